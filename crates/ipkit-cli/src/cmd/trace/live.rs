//! `ipkit trace --live`: the tracer's rounds ([`ipkit::trace::run_live`],
//! one channel for the whole run) at the request's interval, on a thread
//! of their own; their hops fold into the library's [`LiveTrace`] and the
//! screen ([`crate::live::trace`]) redraws ten times a second and on every
//! key. `p` holds the probing (after the round under way), `r` forgets the
//! statistics; `q` ends it (exit 0), Ctrl-C as SIGINT (130), SIGTERM 143.
//! A trace that cannot start (no privilege …) leaves the screen and
//! reports its error as the other views do.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use ipkit::cancel::Cancel;
use ipkit::trace::live::LiveTrace;
use ipkit::trace::{HopReport, Request, TraceEvent};

use crate::live::trace::{Action, TraceScreen, draw};
use crate::live::{Screen, key_of};

/// How often the screen redraws when nothing happens.
const FRAME: Duration = Duration::from_millis(100);

/// The exit code of Ctrl-C, a key in raw mode: as after SIGINT (128 + 2).
const AFTER_CTRL_C: u8 = 130;

/// What the probing thread tells the screen.
enum Update {
    Hop(HopReport),
    Round,
    Failed(anyhow::Error),
}

/// Run the live view of `r` until a key or a signal ends it.
pub fn run(r: Request, colour: bool) -> anyhow::Result<u8> {
    let interrupt = crate::interrupt::Interrupt::install();
    let cancel = Cancel::new();
    let paused = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let mut screen = TraceScreen {
        title: if r.shown == r.target.to_string() {
            r.shown.clone()
        } else {
            format!("{} ({})", r.shown, r.target)
        },
        selected: 0,
        paused: false,
        names: r.resolve_names,
        colour,
    };
    let mut term = Screen::enter()?;
    let prober = {
        let (cancel, paused) = (cancel.clone(), Arc::clone(&paused));
        std::thread::Builder::new()
            .name("trace-live".into())
            .spawn(move || probe(&r, &cancel, &paused, &tx))?
    };
    let mut live = LiveTrace::default();
    let mut outcome = Ok(crate::exit::OK);
    loop {
        for update in rx.try_iter() {
            match update {
                Update::Hop(hop) => live.record(&hop),
                Update::Round => live.end_round(),
                Update::Failed(e) => outcome = Err(e),
            }
        }
        if outcome.is_err() {
            break;
        }
        if interrupt.fired() {
            outcome = Ok(interrupt.exit_code().unwrap_or(AFTER_CTRL_C));
            break;
        }
        term.terminal.draw(|f| draw(f, &live, &screen))?;
        if !crossterm::event::poll(FRAME)? {
            continue;
        }
        let Some(key) = key_of(&crossterm::event::read()?) else {
            continue;
        };
        match screen.key(key, live.hops.len()) {
            Action::None => {}
            Action::Quit => break,
            Action::Interrupt => {
                outcome = Ok(AFTER_CTRL_C);
                break;
            }
            Action::Reset => live.reset(),
        }
        paused.store(screen.paused, Ordering::Relaxed);
    }
    cancel.cancel();
    drop(term);
    let _ = prober.join();
    outcome
}

/// The probing thread: the library's rounds ([`ipkit::trace::run_live`],
/// one channel for the whole run) until cancelled, each hop sent on; a
/// pause holds the engine between rounds, when nothing is in flight.
fn probe(r: &Request, cancel: &Cancel, paused: &AtomicBool, tx: &mpsc::Sender<Update>) {
    let run = crate::cmd::ping::block_on(ipkit::trace::run_live(r, cancel, |event| {
        let sent = match event {
            TraceEvent::Hop(hop) => tx.send(Update::Hop(hop.clone())),
            TraceEvent::Round { .. } => {
                let sent = tx.send(Update::Round);
                while paused.load(Ordering::Relaxed) && !cancel.is_cancelled() {
                    std::thread::sleep(Duration::from_millis(20));
                }
                sent
            }
            TraceEvent::Opened => Ok(()),
        };
        match sent {
            Ok(()) => ControlFlow::Continue(()),
            Err(_) => ControlFlow::Break(()),
        }
    }));
    let failed = match run {
        Ok(Ok(_)) => return,
        Ok(Err(e)) => e.into(),
        Err(e) => e,
    };
    let _ = tx.send(Update::Failed(failed));
}
