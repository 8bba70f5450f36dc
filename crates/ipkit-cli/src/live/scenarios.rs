//! The live screens drawn from the library's scenario files: each
//! `crates/ipkit/tests/scenarios/*.toml` named here is read by the same
//! code the library's replay tests use (`tests/support/`, included by
//! path), played through the real engine over the fake channel on tokio's
//! paused clock — `trace::run_live_with` for `trace --live`, the ping
//! session for `ping --live` — folded into the library's [`LiveTrace`] or
//! [`ipkit::ping::live::Series`] as the run loops fold them, and drawn on
//! an 80×24 TestBackend. What each screen must show comes from the
//! scenario's own script (its routers, its losses); the whole screen is
//! pinned with an insta snapshot, reviewed once (`cargo insta review`
//! after a deliberate change).

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use ipkit::cancel::Cancel;
use ipkit::trace::fake::FakeTrace;
use ipkit::trace::live::LiveTrace;
use ipkit::trace::{Request, TraceEvent};

use super::trace::TraceScreen;

#[path = "../../../ipkit/tests/support/scenarios.rs"]
mod support;

use support::{ping as ping_scenario, trace as trace_scenario};

/// Rounds each trace scenario is played for.
const ROUNDS: u64 = 3;

fn scenario_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ipkit/tests/scenarios")
        .join(name)
}

/// `name` played for [`ROUNDS`] rounds of `trace --live`, folded as
/// `cmd/trace/live.rs` folds the engine's events.
fn live_trace(name: &str) -> (trace_scenario::Scenario, LiveTrace) {
    let s: trace_scenario::Scenario = support::load(&scenario_file(name));
    let request = Request::new(&trace_scenario::asked(&s)).expect("a valid request");
    let fake = FakeTrace::new(trace_scenario::script(&s));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    let mut live = LiveTrace::default();
    rt.block_on(ipkit::trace::run_live_with(
        &request,
        &fake,
        None,
        &Cancel::new(),
        |e| match e {
            TraceEvent::Hop(hop) => {
                live.record(hop);
                ControlFlow::Continue(())
            }
            TraceEvent::Round { .. } => {
                live.end_round();
                if live.rounds == ROUNDS {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            }
            TraceEvent::Opened => ControlFlow::Continue(()),
        },
    ))
    .expect("the trace runs");
    (s, live)
}

fn trace_screen(s: &trace_scenario::Scenario, live: &LiveTrace) -> String {
    let screen = TraceScreen {
        title: s.target.to_string(),
        selected: 0,
        paused: false,
        names: false,
        colour: false,
    };
    super::screen_text(80, 24, |f| super::trace::draw(f, live, &screen))
}

/// The addresses the scenario scripts for each TTL (its `expect.hops`:
/// every probe's responder), first seen first.
fn scripted_responders(s: &trace_scenario::Scenario) -> Vec<Vec<String>> {
    s.expect
        .hops
        .iter()
        .map(|h| {
            let mut seen: Vec<String> = Vec::new();
            for a in h.split_whitespace().filter(|a| *a != "*") {
                if !seen.iter().any(|s| s == a) {
                    seen.push(a.to_string());
                }
            }
            seen
        })
        .collect()
}

/// Every hop of the scenario with its scripted responders, none lost.
fn check_hops(s: &trace_scenario::Scenario, live: &LiveTrace, text: &str) {
    assert_eq!(live.rounds, ROUNDS, "{text}");
    let want = scripted_responders(s);
    assert_eq!(live.hops.len(), want.len(), "{text}");
    for (hop, want) in live.hops.iter().zip(&want) {
        let got: Vec<String> = hop.responders.iter().map(|r| r.addr.to_string()).collect();
        assert_eq!(&got, want, "hop {}\n{text}", hop.ttl);
        // Every round probes every hop `queries` times (3 by default).
        let queries = u64::from(trace_scenario::asked(s).queries);
        assert_eq!(hop.sent, ROUNDS * queries, "hop {}\n{text}", hop.ttl);
        assert_eq!(
            hop.sent, hop.received,
            "hop {} lost nothing\n{text}",
            hop.ttl
        );
        let row = text
            .lines()
            .find(|l| l.starts_with(&format!("{}. ", hop.ttl)))
            .unwrap_or_else(|| panic!("hop {}'s row\n{text}", hop.ttl));
        assert!(row.contains(&format!(" {} ", want[0])), "{row}");
        assert!(row.contains(" 0.0% "), "{row}");
    }
    assert!(live.reached(), "{text}");
}

#[test]
fn trace_ecmp_shows_both_routers_of_hop_3() {
    let (s, live) = live_trace("trace_ecmp.toml");
    let text = trace_screen(&s, &live);
    check_hops(&s, &live, &text);
    // The second router on a row of its own under hop 3's.
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("3. "))
        .expect("hop 3");
    assert_eq!(lines[at + 1].trim(), "192.0.2.33", "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn trace_duplicates_count_each_probe_once() {
    let (s, live) = live_trace("trace_duplicates.toml");
    let text = trace_screen(&s, &live);
    // Hop 2 and the destination answered every probe twice or three times:
    // still one reply per probe sent.
    check_hops(&s, &live, &text);
    insta::assert_snapshot!(text);
}

#[test]
fn trace_mtu_drop_keeps_every_hop() {
    let (s, live) = live_trace("trace_mtu_drop.toml");
    let text = trace_screen(&s, &live);
    check_hops(&s, &live, &text);
    insta::assert_snapshot!(text);
}

#[test]
fn ping_session_with_a_loss_a_duplicate_and_a_late_reply() {
    // Four probes: 1 answered after its timeout (late), 2 answered twice
    // (10 ms, then a duplicate), 3 never, 4 after 5 ms.
    let s: ping_scenario::Scenario =
        support::load(&scenario_file("session_v4_loss_duplicate_late.toml"));
    let mut target = super::ping::Target {
        shown: s.target.expect("a target").to_string(),
        ..Default::default()
    };
    ping_scenario::play_session(&s, |at, e| target.series.record(e, at));
    let f = target.series.figures();
    // Probes 1 and 3 lost, the duplicate and the late reply not probes.
    assert_eq!((f.probes, f.lost), (4, 2));
    assert_eq!((f.min, f.max, f.last), (Some(5.0), Some(10.0), Some(5.0)));
    let targets = [target];
    let text = super::screen_text(80, 24, |f| {
        super::ping::draw(f, &targets, 60.0, 60.0, false)
    });
    let row: Vec<&str> = text
        .lines()
        .find(|l| l.starts_with("198.51.100.2"))
        .expect("the target's row")
        .split_whitespace()
        .collect();
    assert_eq!(
        row,
        [
            "198.51.100.2",
            "5.00",
            "5.00",
            "10.00",
            "7.50",
            "5.00",
            "10.00",
            "50.0%"
        ],
        "{text}"
    );
    insta::assert_snapshot!(text);
}
