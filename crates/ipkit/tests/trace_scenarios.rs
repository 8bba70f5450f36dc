//! The tracer replayed against scripted paths: every `tests/scenarios/
//! trace_*.toml` says what the fake trace channel ([`ipkit::trace::fake`])
//! answers for each TTL (or one probe of it) — time exceeded from a router,
//! the destination's answer, ICMP errors, duplicates, late and reordered
//! replies, stray replies quoting no probe, a narrow link — and the hops
//! the engine must report, in order, with what else is checked (reached,
//! foreign replies, the path MTU, the quoted TOS, how long it took on
//! tokio's paused clock).

use std::collections::HashSet;
use std::net::IpAddr;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ipkit::cancel::Cancel;
use ipkit::trace::channel::ReplyKind;
use ipkit::trace::fake::{FakeTrace, Response, Script};
use ipkit::trace::names::Names;
use ipkit::trace::{Asked, HopReport, Request, TraceEvent, TraceReport, run_with_names};

#[path = "support/scenarios.rs"]
mod support;
use support::trace::{Scenario, asked, script};

/// A hop as the scenario writes it.
fn shown(hop: &HopReport) -> String {
    hop.probes
        .iter()
        .map(|p| {
            let mut t = match (p.from, &p.name) {
                (None, _) => "*".to_string(),
                (Some(ip), Some(n)) => format!("{n}={ip}"),
                (Some(ip), None) => ip.to_string(),
            };
            if let Some(a) = &p.annotation {
                t.push_str(a);
            }
            if let Some(m) = p.frag_mtu {
                t.push_str(&format!("-{m}"));
            }
            t
        })
        .collect::<Vec<_>>()
        .join(" ")
}

struct Outcome {
    report: TraceReport,
    events: Vec<TraceEvent>,
    elapsed: Duration,
    sent: Vec<(Duration, ipkit::trace::ProbeSpec)>,
}

fn play(s: &Scenario) -> Outcome {
    let request = Request::new(&asked(s)).expect("the scenario's request is valid");
    let fake = FakeTrace::new(script(s));
    let names = (!s.names.is_empty()).then(|| {
        let table = s.names.clone();
        Names::inline(Arc::new(move |ip| table.get(&ip).cloned()))
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    let mut events = Vec::new();
    let (report, elapsed) = rt.block_on(async {
        let start = tokio::time::Instant::now();
        let report = run_with_names(&request, &fake, names, &Cancel::new(), |e| {
            events.push(e.clone());
            ControlFlow::Continue(())
        })
        .await
        .expect("the trace runs");
        (report, start.elapsed())
    });
    Outcome {
        report,
        events,
        elapsed,
        sent: fake.sent(),
    }
}

fn check(path: &Path) {
    let s: Scenario = support::load(path);
    let name = path.display();
    let got = play(&s);
    let r = &got.report;
    let e = &s.expect;
    let hops: Vec<String> = r.hops.iter().map(shown).collect();
    assert_eq!(hops, e.hops, "{name}: hops");
    assert_eq!(r.reached, e.reached, "{name}: reached");
    assert_eq!(r.foreign_replies, e.foreign, "{name}: foreign replies");
    assert!(!r.interrupted, "{name}: not interrupted");
    if !e.rtt_ms.is_empty() {
        let rtts: Vec<Vec<f64>> = r
            .hops
            .iter()
            .map(|h| h.probes.iter().filter_map(|p| p.rtt_ms).collect())
            .collect();
        assert_eq!(rtts, e.rtt_ms, "{name}: round trips");
    }
    assert_eq!(r.path_mtu, e.path_mtu, "{name}: path MTU");
    if let Some((ttl, mtu)) = e.mtu_at {
        let at: Vec<(u8, u16)> = r
            .hops
            .iter()
            .filter_map(|h| h.mtu.map(|m| (h.ttl, m)))
            .collect();
        assert_eq!(at, vec![(ttl, mtu)], "{name}: where the MTU dropped");
    }
    for (ttl, tos) in &e.quoted_tos {
        let hop = r.hops.iter().find(|h| h.ttl == *ttl).expect("the TOS hop");
        assert!(
            hop.probes.iter().all(|p| p.quoted_tos == Some(*tos)),
            "{name}: quoted TOS at hop {ttl}: {:?}",
            hop.probes
        );
    }
    if let Some(max) = e.max_elapsed_ms {
        assert!(
            got.elapsed <= Duration::from_millis(max),
            "{name}: took {:?}",
            got.elapsed
        );
    }
    if let Some(min) = e.min_elapsed_ms {
        assert!(
            got.elapsed >= Duration::from_millis(min),
            "{name}: took {:?}",
            got.elapsed
        );
    }
    assert_eq!(r.rounds, e.rounds.unwrap_or(1), "{name}: rounds");
    if !e.loss_percent.is_empty() {
        let loss: Vec<f64> = r.hops.iter().map(|h| h.stats.loss_percent).collect();
        assert_eq!(loss, e.loss_percent, "{name}: loss");
    }
    // Hop events come once each, in TTL order, and say what the report says.
    let evented: Vec<&HopReport> = got
        .events
        .iter()
        .filter_map(|ev| match ev {
            TraceEvent::Hop(h) => Some(h),
            TraceEvent::Round { .. } | TraceEvent::Opened => None,
        })
        .collect();
    assert_eq!(
        evented,
        r.hops.iter().collect::<Vec<_>>(),
        "{name}: hop events"
    );
    // No id twice among probes in flight: every id sent once (no wrap here).
    let ids: HashSet<u16> = got.sent.iter().map(|(_, p)| p.id).collect();
    assert_eq!(ids.len(), got.sent.len(), "{name}: ids unique");
}

#[test]
fn trace_scenarios() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("trace_"))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    for f in files {
        check(&f);
    }
}

#[test]
fn all_ttls_go_at_once_within_the_window() {
    let mut text =
        String::from("target = \"198.51.100.9\"\ndestination = { ttl = 9, after_ms = 9 }\n");
    for ttl in 1..=8 {
        text += &format!("[[hop]]\nttl = {ttl}\nfrom = \"192.0.2.{ttl}\"\nafter_ms = {ttl}\n");
    }
    text += "[expect]\nreached = true\nhops = []\n";
    let s: Scenario = toml::from_str(&text).unwrap();
    let got = play(&s);
    // The first 15 probes (TTLs 1 to 5: as far as a silent run could end
    // the trace) leave together, before any reply is in.
    let first: Vec<_> = got.sent.iter().take(15).collect();
    assert!(
        first.len() == 15 && first.iter().all(|(t, _)| t.is_zero()),
        "{first:?}"
    );
    let ttls: Vec<u8> = first.iter().map(|(_, p)| p.ttl).collect();
    assert_eq!(&ttls[..6], &[1, 1, 1, 2, 2, 2]);
    assert_eq!(got.report.hops.len(), 9);
    assert!(
        got.elapsed < Duration::from_millis(100),
        "{:?}",
        got.elapsed
    );
}

#[test]
fn a_cancel_stops_the_trace_and_the_report_says_interrupted() {
    let mut script = Script::new();
    script.hop(
        1,
        Response::new(
            IpAddr::from([192, 0, 2, 1]),
            ReplyKind::TimeExceeded,
            Duration::from_millis(1),
        ),
    );
    let request = Request::new(&Asked {
        target: "198.51.100.9".into(),
        no_resolve: true,
        ..Asked::default()
    })
    .unwrap();
    let fake = FakeTrace::new(script);
    let cancel = Cancel::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let (report, elapsed) = rt.block_on(async {
        let start = tokio::time::Instant::now();
        // Cancelled once the first hop is out.
        let report = run_with_names(&request, &fake, None, &cancel, |e| {
            if matches!(e, TraceEvent::Hop(_)) {
                cancel.cancel();
            }
            ControlFlow::Continue(())
        })
        .await
        .unwrap();
        (report, start.elapsed())
    });
    assert!(report.interrupted);
    assert!(!report.reached);
    assert_eq!(report.hops.len(), 1);
    assert!(elapsed < Duration::from_millis(100), "{elapsed:?}");
}

/// `run_live` (trace --live): rounds one after another over one channel,
/// each round's hops then its `Round`, folded into the library's rolling
/// statistics; stopped by the caller after three rounds, a second apart on
/// the paused clock.
#[test]
fn live_rounds_fold_into_rolling_statistics() {
    let mut script = Script::new();
    for ttl in 1..=3u8 {
        script.hop(
            ttl,
            Response::new(
                IpAddr::from([192, 0, 2, ttl]),
                ReplyKind::TimeExceeded,
                Duration::from_millis(u64::from(ttl)),
            ),
        );
    }
    script.destination(4, Duration::from_millis(4));
    let request = Request::new(&Asked {
        target: "198.51.100.9".into(),
        no_resolve: true,
        queries: 1,
        ..Asked::default()
    })
    .unwrap();
    let (fake, cancel) = (FakeTrace::new(script), Cancel::new());
    let mut rt = tokio::runtime::Builder::new_current_thread();
    let rt = rt.enable_time().start_paused(true).build().unwrap();
    let mut live = ipkit::trace::live::LiveTrace::default();
    let (rounds, elapsed) = rt.block_on(async {
        let start = tokio::time::Instant::now();
        let rounds = ipkit::trace::run_live_with(&request, &fake, None, &cancel, |e| match e {
            TraceEvent::Hop(hop) => {
                live.record(hop);
                ControlFlow::Continue(())
            }
            TraceEvent::Round { round } => {
                live.end_round();
                if *round == 3 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            }
            TraceEvent::Opened => ControlFlow::Continue(()),
        })
        .await
        .unwrap();
        (rounds, start.elapsed())
    });
    assert_eq!(rounds, 3);
    assert_eq!(live.rounds, 3);
    assert_eq!(live.hops.len(), 4);
    for (i, h) in live.hops.iter().enumerate() {
        assert_eq!((h.ttl, h.sent, h.received), (i as u8 + 1, 3, 3));
        assert_eq!(h.avg_ms(), Some((i + 1) as f64), "hop {}", h.ttl);
    }
    assert!(live.reached());
    // Rounds 1 s apart (the default interval): the third ends past 2 s.
    assert!(
        elapsed >= Duration::from_secs(2) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    // Round 1 sends a window of TTLs; the rounds after it stop at the
    // destination's TTL that round 1 found: one probe per hop each.
    let later = fake
        .sent()
        .iter()
        .filter(|(at, _)| *at >= Duration::from_secs(1))
        .count();
    assert_eq!(later, 8, "{:?}", fake.sent());
}
