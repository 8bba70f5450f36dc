//! Ping's engines replayed against scripted networks: every file under
//! `tests/scenarios/` says what the fake ICMP channel
//! ([`ipkit::probe::fake`]) returns for each probe — replies after a delay,
//! losses, duplicates, late and reordered replies, ICMP errors quoting the
//! probe, probes the local host refuses — and the events and final
//! statistics the engine must report. Time is tokio's paused clock, so a
//! scenario of seconds runs at once and round-trip times are exact.

use std::ops::ControlFlow;
use std::path::Path;

use ipkit::cancel::Cancel;
use ipkit::ping::session::PingEvent;
use ipkit::ping::sweep::{self, SweepEvent, SweepOptions};
use ipkit::probe::fake::FakeIcmp;

#[path = "support/scenarios.rs"]
mod support;
use support::ping::{Expect, Host, Scenario, Stats, ms, paused_runtime, play_session, script};

fn run_session(s: &Scenario) -> (Vec<Expect>, Stats) {
    let mut seen = Vec::new();
    let tracker = play_session(s, |_, e| {
        seen.push(match e {
            PingEvent::Reply {
                seq,
                rtt,
                duplicate,
                late,
                ..
            } => Expect {
                event: "reply".into(),
                seq: Some(*seq),
                rtt_ms: Some(u64::try_from(rtt.as_millis()).unwrap()),
                duplicate: *duplicate,
                late: *late,
                ..expect("")
            },
            PingEvent::Error { from, seq, cause } => Expect {
                event: "error".into(),
                seq: Some(*seq),
                from: Some(*from),
                text: Some(cause.to_string()),
                ..expect("")
            },
            PingEvent::Timeout { seq } => Expect {
                event: "timeout".into(),
                seq: Some(*seq),
                ..expect("")
            },
        });
    });
    let t = tracker.stats;
    let stats = Stats {
        transmitted: t.transmitted,
        received: t.received,
        duplicates: t.duplicates,
        late: t.late,
        errors: t.errors,
    };
    (seen, stats)
}

fn expect(event: &str) -> Expect {
    Expect {
        event: event.into(),
        seq: None,
        target: None,
        round: None,
        rtt_ms: None,
        duplicate: false,
        late: false,
        from: None,
        text: None,
    }
}

fn run_sweep(s: &Scenario) -> (Vec<Expect>, Vec<Host>) {
    let d = SweepOptions::default();
    let o = SweepOptions {
        rate: s.options.rate.unwrap_or(d.rate),
        retries: s.options.retries.unwrap_or(d.retries),
        timeout: ms(s.options.timeout_ms, d.timeout),
        count: s.options.count,
        period: ms(s.options.period_ms, d.period),
        size: s.options.size.unwrap_or(d.size),
        ..d
    };
    let fake = FakeIcmp::new(script(s));
    let targets = &s.targets;
    let mut seen = Vec::new();
    let result = paused_runtime()
        .block_on(sweep::sweep_with(&fake, targets, &o, &Cancel::new(), |e| {
            match e {
                SweepEvent::Reply { target, round, rtt } => seen.push(Expect {
                    target: Some(targets[target]),
                    round: Some(round),
                    rtt_ms: Some(u64::try_from(rtt.as_millis()).unwrap()),
                    ..expect("reply")
                }),
                SweepEvent::Timeout { target, round } => seen.push(Expect {
                    target: Some(targets[target]),
                    round: Some(round),
                    ..expect("timeout")
                }),
                SweepEvent::Progress(_) => {}
            }
            ControlFlow::Continue(())
        }))
        .expect("the sweep runs");
    let hosts = targets
        .iter()
        .zip(&result.targets)
        .map(|(addr, t)| Host {
            addr: *addr,
            sent: t.sent,
            received: t.received,
            error: t.error().map(|(_, e)| e.to_string()),
            error_from: t.error().map(|(from, _)| from),
        })
        .collect();
    (seen, hosts)
}

fn run(path: &Path) {
    let s: Scenario = support::load(path);
    let name = path.display();
    match s.engine.as_str() {
        "session" => {
            let (events, stats) = run_session(&s);
            assert_eq!(events, s.expect, "{name}: events");
            assert_eq!(Some(stats), s.stats, "{name}: statistics");
        }
        "sweep" => {
            let (events, hosts) = run_sweep(&s);
            assert_eq!(events, s.expect, "{name}: events");
            assert_eq!(hosts, s.host, "{name}: hosts");
        }
        other => panic!("{name}: unknown engine {other:?}"),
    }
}

fn scenarios(prefix: &str) -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "toml")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn session_scenarios() {
    let files = scenarios("session_");
    assert!(files.len() >= 5, "{files:?}");
    for f in files {
        run(&f);
    }
}

#[test]
fn sweep_scenarios() {
    let files = scenarios("sweep_");
    assert!(files.len() >= 3, "{files:?}");
    for f in files {
        run(&f);
    }
}
