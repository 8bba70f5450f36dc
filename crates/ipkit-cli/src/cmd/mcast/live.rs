//! `ipkit mcast ping --live SERVER`: the multicast ping engine
//! ([`ipkit::mcast::ping::run_events`], on a thread of its own) charted
//! as `ping --live` charts a target ([`crate::live::mcast`]), redrawn ten
//! times a second. `q` ends it (exit 0), Ctrl-C as SIGINT (130), SIGTERM
//! 143; a ping that cannot start (a join refused, a socket error) leaves
//! the screen and reports its error.

use std::sync::mpsc;
use std::time::Instant;

use ipkit::cancel::Cancel;
use ipkit::mcast::ping::{Event, PingRequest};

use crate::live::Screen;
use crate::live::mcast::{McastChart, draw};
use crate::live::ping::run_chart;

/// The chart's width in time.
const SPAN_S: f64 = 60.0;

enum Update {
    Event(Event, Instant),
    Failed(anyhow::Error),
}

/// Chart `r` until a key or a signal ends it.
pub fn run(r: &PingRequest, colour: bool) -> anyhow::Result<u8> {
    let interrupt = crate::interrupt::Interrupt::install();
    let cancel = Cancel::new();
    let (tx, rx) = mpsc::channel();
    let mut chart = McastChart::new(r.server, r.group, r.asm);
    let mut term = Screen::enter()?;
    let start = Instant::now();
    let engine = {
        let (r, cancel) = (r.clone(), cancel.clone());
        std::thread::Builder::new()
            .name("mcast-ping-live".into())
            .spawn(move || {
                let res = ipkit::mcast::ping::run_events(&r, &cancel, |e| {
                    match tx.send(Update::Event(e.clone(), Instant::now())) {
                        Ok(()) => std::ops::ControlFlow::Continue(()),
                        Err(_) => std::ops::ControlFlow::Break(()),
                    }
                });
                if let Err(e) = res {
                    let _ = tx.send(Update::Failed(super::refusal(e)));
                }
            })?
    };
    let outcome = run_chart(
        &mut term,
        &interrupt,
        start,
        &mut chart,
        |chart| {
            for update in rx.try_iter() {
                match update {
                    Update::Event(e, at) => chart.record(&e, at - start),
                    Update::Failed(e) => return Err(e),
                }
            }
            Ok(())
        },
        |f, chart, now| draw(f, chart, now.max(SPAN_S), SPAN_S, colour),
    );
    cancel.cancel();
    drop(term);
    let _ = engine.join();
    outcome
}
