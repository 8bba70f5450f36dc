//! `ipkit trace --live A [B …]`: a tab per target, each with its own
//! tracer's rounds ([`ipkit::trace::run_live`], one channel for the whole
//! run) at the request's `--interval`, on a thread of their own; their hops
//! fold into the tab's [`LiveTrace`] and the screen ([`crate::live::trace`])
//! redraws ten times a second and on every key. `p` holds every tab's
//! probing (after the round under way), `f` freezes the screen while the
//! probing goes on, `r` forgets the active tab's statistics, `u`/`i`/`t`
//! restart its probing with UDP/ICMP/TCP: the new engine is opened first,
//! and only once it is open are the old one stopped and the statistics
//! reset — a refusal (no privilege for that protocol) is said on the status
//! line and the old engine goes on. `q` ends it (exit 0), Ctrl-C as SIGINT
//! (130), SIGTERM 143. A trace that cannot start (no privilege …) leaves
//! the screen and reports its error as the other views do.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use ipkit::cancel::Cancel;
use ipkit::trace::live::LiveTrace;
use ipkit::trace::request::Asked;
use ipkit::trace::{HopReport, Protocol, Request, TraceEvent};

use crate::live::trace::{Action, TabLabel, TraceScreen, draw, protocol_name, tab_state};
use crate::live::{Screen, key_of};

/// How often the screen redraws when nothing happens.
const FRAME: Duration = Duration::from_millis(100);

/// The exit code of Ctrl-C, a key in raw mode: as after SIGINT (128 + 2).
const AFTER_CTRL_C: u8 = 130;

/// The hidden test switch: panic after the first frame (the tmux test of
/// the terminal-restoring panic hook sets it).
const TEST_PANIC: &str = "IPKIT_LIVE_TEST_PANIC";

/// What a probing thread tells the screen.
enum Update {
    Opened,
    Hop(HopReport),
    Round,
    Failed(anyhow::Error),
}

/// One probing thread: its tab, its generation (a protocol change starts
/// the next), its stop token.
struct Engine {
    generation: u64,
    cancel: Cancel,
    thread: JoinHandle<()>,
}

/// One target's tab.
struct Tab {
    /// What was asked (the protocol change re-checks it with another
    /// protocol).
    asked: Asked,
    request: Request,
    live: LiveTrace,
    engine: Engine,
    /// A protocol change under way: the new engine, until it opens.
    pending: Option<(Engine, Request)>,
    failed: bool,
}

impl Tab {
    fn title(&self) -> String {
        let r = &self.request;
        if r.shown == r.target.to_string() {
            r.shown.clone()
        } else {
            format!("{} ({})", r.shown, r.target)
        }
    }
}

/// Start an engine for `r`, its updates tagged with `tab` and `generation`.
fn start(
    tab: usize,
    generation: u64,
    r: Request,
    paused: &Arc<AtomicBool>,
    tx: &mpsc::Sender<(usize, u64, Update)>,
) -> std::io::Result<Engine> {
    let cancel = Cancel::new();
    let (c, p, tx) = (cancel.clone(), Arc::clone(paused), tx.clone());
    let thread = std::thread::Builder::new()
        .name(format!("trace-live-{tab}"))
        .spawn(move || probe(&r, &c, &p, |u| tx.send((tab, generation, u)).is_ok()))?;
    Ok(Engine {
        generation,
        cancel,
        thread,
    })
}

/// The request `asked` makes with `protocol` instead, for the target `r`
/// already resolved to (not looked up again), with `r`'s data.
fn with_protocol(asked: &Asked, r: &Request, protocol: Protocol) -> anyhow::Result<Request> {
    let again = Asked {
        protocol,
        target: r.target.to_string(),
        ..asked.clone()
    };
    let mut new = Request::new(&again)?;
    new.shown.clone_from(&r.shown);
    new.ip_info = r.ip_info.clone();
    Ok(new)
}

/// Run the live view of `targets` (one tab each) until a key or a signal
/// ends it.
pub fn run(targets: Vec<(Asked, Request)>, colour: bool) -> anyhow::Result<u8> {
    let interrupt = crate::interrupt::Interrupt::install();
    let paused = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let first = &targets[0].1;
    let mut screen = TraceScreen::new(
        String::new(),
        first.config.protocol,
        first.resolve_names,
        colour,
    );
    screen.ip_data = first.ip_info.is_present();
    let test_panic = std::env::var_os(TEST_PANIC).is_some_and(|v| v == "1");
    let mut term = Screen::enter()?;
    let mut tabs = Vec::new();
    for (i, (asked, request)) in targets.into_iter().enumerate() {
        let engine = start(i, 0, request.clone(), &paused, &tx)?;
        tabs.push(Tab {
            asked,
            request,
            live: LiveTrace::default(),
            engine,
            pending: None,
            failed: false,
        });
    }
    let mut generations = 0;
    let mut retired = Vec::new();
    // The screen's copy while frozen.
    let mut frozen: Option<Vec<LiveTrace>> = None;
    let mut outcome = Ok(crate::exit::OK);
    loop {
        let single = tabs.len() == 1;
        for (at, generation, update) in rx.try_iter() {
            let tab = &mut tabs[at];
            let pending = tab
                .pending
                .as_ref()
                .is_some_and(|(e, _)| e.generation == generation);
            if pending {
                let (engine, request) = tab.pending.take().expect("pending");
                match update {
                    Update::Failed(e) => {
                        let was = protocol_name(tab.request.config.protocol);
                        screen.status = Some(refusal(&request, &e, was));
                        retired.push(engine.thread);
                    }
                    // The new engine is open: it replaces the old one.
                    _ => {
                        tab.engine.cancel.cancel();
                        let old = std::mem::replace(&mut tab.engine, engine);
                        retired.push(old.thread);
                        let was = protocol_name(tab.request.config.protocol);
                        tab.request = request;
                        tab.live.reset();
                        tab.failed = false;
                        let now = protocol_name(tab.request.config.protocol);
                        screen.status = Some(format!(
                            "tab {}: probing with {now} now (was {was}); statistics reset",
                            at + 1
                        ));
                        if let Update::Hop(hop) = update {
                            tab.live.record(&hop);
                        }
                    }
                }
                continue;
            }
            if generation != tab.engine.generation {
                continue;
            }
            match update {
                Update::Opened => {}
                Update::Hop(hop) => tab.live.record(&hop),
                Update::Round => tab.live.end_round(),
                Update::Failed(e) if single => outcome = Err(e),
                Update::Failed(e) => {
                    tab.failed = true;
                    screen.status = Some(format!("tab {}: {}", at + 1, ipkit::error_chain(&*e)));
                }
            }
        }
        if outcome.is_err() {
            break;
        }
        if interrupt.fired() {
            outcome = Ok(interrupt.exit_code().unwrap_or(AFTER_CTRL_C));
            break;
        }
        let shown: Vec<&LiveTrace> = match &frozen {
            Some(copy) => copy.iter().collect(),
            None => tabs.iter().map(|t| &t.live).collect(),
        };
        let active = &tabs[screen.active];
        screen.title = active.title();
        screen.protocol = active.request.config.protocol;
        if tabs.len() > 1 {
            screen.tabs = tabs
                .iter()
                .zip(&shown)
                .map(|(t, live)| TabLabel {
                    title: t.title(),
                    state: tab_state(live, t.request.config.protocol, t.failed),
                })
                .collect();
        }
        let live = shown[screen.active];
        term.terminal.draw(|f| draw(f, live, &screen))?;
        assert!(
            !test_panic,
            "{TEST_PANIC}=1: a panic after the first frame, as asked"
        );
        if !crossterm::event::poll(FRAME)? {
            continue;
        }
        let Some(key) = key_of(&crossterm::event::read()?) else {
            continue;
        };
        let hops = shown[screen.active].hops.len();
        match screen.key(key, hops) {
            Action::None | Action::Tab(_) => {}
            Action::Quit => break,
            Action::Interrupt => {
                outcome = Ok(AFTER_CTRL_C);
                break;
            }
            Action::Reset => {
                tabs[screen.active].live.reset();
                if let Some(copy) = &mut frozen {
                    copy[screen.active].reset();
                }
            }
            Action::Freeze(true) => frozen = Some(tabs.iter().map(|t| t.live.clone()).collect()),
            Action::Freeze(false) => frozen = None,
            Action::Protocol(p) => {
                let at = screen.active;
                let tab = &mut tabs[at];
                let now = tab.request.config.protocol;
                screen.status = Some(if tab.pending.is_some() {
                    "a protocol change is already under way".to_string()
                } else if p == now {
                    format!("already probing with {}", protocol_name(p))
                } else {
                    match with_protocol(&tab.asked, &tab.request, p) {
                        Err(e) => format!("{}: {}", protocol_name(p), ipkit::error_chain(&*e)),
                        Ok(request) => {
                            generations += 1;
                            let engine = start(at, generations, request.clone(), &paused, &tx)?;
                            tab.pending = Some((engine, request));
                            format!("opening {} …", protocol_name(p))
                        }
                    }
                });
            }
        }
        paused.store(screen.paused, Ordering::Relaxed);
    }
    for tab in &tabs {
        tab.engine.cancel.cancel();
        if let Some((e, _)) = &tab.pending {
            e.cancel.cancel();
        }
    }
    drop(term);
    for tab in tabs {
        let _ = tab.engine.thread.join();
        if let Some((e, _)) = tab.pending {
            let _ = e.thread.join();
        }
    }
    for thread in retired {
        let _ = thread.join();
    }
    outcome
}

/// The status line when a new protocol's engine did not open.
fn refusal(r: &Request, e: &anyhow::Error, was: &str) -> String {
    let remedy = crate::remedy::for_error(e)
        .map(|how| format!(" ({how})"))
        .unwrap_or_default();
    format!(
        "{} refused, still {was}: {}{remedy}",
        protocol_name(r.config.protocol),
        ipkit::error_chain(&**e)
    )
}

/// The probing thread: the library's rounds ([`ipkit::trace::run_live`],
/// one channel for the whole run) until cancelled, each update handed to
/// `send` (false: nobody listens, stop); a pause holds the engine between
/// rounds, when nothing is in flight.
fn probe(r: &Request, cancel: &Cancel, paused: &AtomicBool, send: impl Fn(Update) -> bool) {
    let run = crate::cmd::ping::block_on(ipkit::trace::run_live(r, cancel, |event| {
        let sent = match event {
            TraceEvent::Opened => send(Update::Opened),
            TraceEvent::Hop(hop) => send(Update::Hop(hop.clone())),
            TraceEvent::Round { .. } => {
                let sent = send(Update::Round);
                while paused.load(Ordering::Relaxed) && !cancel.is_cancelled() {
                    std::thread::sleep(Duration::from_millis(20));
                }
                sent
            }
        };
        if sent {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    }));
    let failed = match run {
        Ok(Ok(_)) => return,
        Ok(Err(e)) => e.into(),
        Err(e) => e,
    };
    let _ = send(Update::Failed(failed));
}
