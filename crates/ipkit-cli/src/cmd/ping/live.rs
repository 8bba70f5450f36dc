//! `ipkit ping --live TARGET...`: one ping session per target (the same
//! engine as `ipkit ping`, each on a thread of its own), their events
//! folded into the library's [`Series`] windows and drawn as gping's chart
//! ([`crate::live::ping`]) ten times a second. `q` ends it (exit 0),
//! Ctrl-C as SIGINT (130), SIGTERM 143; a session that cannot start leaves
//! the screen and reports its error.

use std::sync::mpsc;
use std::time::Instant;

use ipkit::cancel::Cancel;
use ipkit::ping::request::{Asked, Request, SessionRequest};
use ipkit::ping::session::PingEvent;

use crate::exit::usage;
use crate::live::Screen;
use crate::live::ping::{Target, draw, run_chart};

enum Update {
    Event(usize, PingEvent, Instant),
    Failed(anyhow::Error),
}

/// One session request per target of `asked` (ranges are not charted).
pub fn sessions(asked: &Asked) -> anyhow::Result<Vec<SessionRequest>> {
    asked
        .targets
        .iter()
        .map(|t| {
            let one = Asked {
                targets: vec![t.clone()],
                ..asked.clone()
            };
            match Request::new(&one).map_err(super::request_error)? {
                Request::Session(r) => Ok(r),
                Request::Sweep(_) => Err(usage(format!("--live charts hosts, not ranges: {t}"))),
            }
        })
        .collect()
}

/// Chart `requests`, `span_s` seconds wide (`--buffer`), until a key or a
/// signal ends it.
pub fn run(requests: Vec<SessionRequest>, colour: bool, span_s: f64) -> anyhow::Result<u8> {
    let interrupt = crate::interrupt::Interrupt::install();
    let cancel = Cancel::new();
    let (tx, rx) = mpsc::channel();
    let mut targets: Vec<Target> = requests
        .iter()
        .map(|r| Target {
            shown: r.shown.clone(),
            ..Target::default()
        })
        .collect();
    let mut term = Screen::enter()?;
    let start = Instant::now();
    let mut threads = Vec::new();
    for (i, r) in requests.into_iter().enumerate() {
        let (cancel, tx) = (cancel.clone(), tx.clone());
        threads.push(
            std::thread::Builder::new()
                .name("ping-live".into())
                .spawn(move || {
                    let res = crate::cmd::ping::block_on(ipkit::ping::session::run(
                        r.target,
                        &r.options,
                        &cancel,
                        |e| match tx.send(Update::Event(i, e.clone(), Instant::now())) {
                            Ok(()) => std::ops::ControlFlow::Continue(()),
                            Err(_) => std::ops::ControlFlow::Break(()),
                        },
                    ));
                    let failed = match res {
                        Ok(Ok(_)) => return,
                        Ok(Err(e)) => e.into(),
                        Err(e) => e,
                    };
                    let _ = tx.send(Update::Failed(failed));
                })?,
        );
    }
    drop(tx);
    let outcome = run_chart(
        &mut term,
        &interrupt,
        start,
        &mut targets,
        |targets| {
            for update in rx.try_iter() {
                match update {
                    Update::Event(i, e, at) => targets[i].series.record(&e, at - start),
                    Update::Failed(e) => return Err(e),
                }
            }
            Ok(())
        },
        |f, targets, now| draw(f, targets, now.max(span_s), span_s, colour),
    );
    cancel.cancel();
    drop(term);
    for t in threads {
        let _ = t.join();
    }
    outcome
}
