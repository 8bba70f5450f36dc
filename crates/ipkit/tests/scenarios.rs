//! Ping's engines replayed against scripted networks: every file under
//! `tests/scenarios/` says what the fake ICMP channel
//! ([`ipkit::probe::fake`]) returns for each probe — replies after a delay,
//! losses, duplicates, late and reordered replies, ICMP errors quoting the
//! probe, probes the local host refuses — and the events and final
//! statistics the engine must report. Time is tokio's paused clock, so a
//! scenario of seconds runs at once and round-trip times are exact.

use std::net::IpAddr;
use std::ops::ControlFlow;
use std::path::Path;
use std::time::Duration;

use ipkit::cancel::Cancel;
use ipkit::ping::session::{self, PingEvent, PingOptions};
use ipkit::ping::sweep::{self, SweepEvent, SweepOptions};
use ipkit::probe::LocalError;
use ipkit::probe::fake::{FakeIcmp, Response, Script};
use ipkit_core::wire::icmp::IcmpError;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    engine: String,
    /// Play an unprivileged datagram socket with this kernel identifier
    /// (errors come from its error queue); absent: a raw socket.
    datagram_ident: Option<u16>,
    target: Option<IpAddr>,
    #[serde(default)]
    targets: Vec<IpAddr>,
    options: Options,
    #[serde(default)]
    respond: Vec<Respond>,
    #[serde(default)]
    refuse: Vec<Refuse>,
    #[serde(default)]
    expect: Vec<Expect>,
    stats: Option<Stats>,
    #[serde(default)]
    host: Vec<Host>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    count: Option<u16>,
    interval_ms: Option<u64>,
    timeout_ms: Option<u64>,
    period_ms: Option<u64>,
    rate: Option<u32>,
    retries: Option<u8>,
    size: Option<usize>,
}

/// One response to the probe to `dst` (the session's target when absent)
/// with sequence number (a sweep: round) `seq`: a reply after `reply_ms`,
/// or an ICMP `error` from `from` after `after_ms`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Respond {
    dst: Option<IpAddr>,
    seq: u16,
    reply_ms: Option<u64>,
    error: Option<String>,
    code: Option<u8>,
    mtu: Option<u32>,
    from: Option<IpAddr>,
    after_ms: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Refuse {
    dst: Option<IpAddr>,
    seq: u16,
    error: String,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Expect {
    event: String,
    seq: Option<u16>,
    target: Option<IpAddr>,
    round: Option<u16>,
    rtt_ms: Option<u64>,
    #[serde(default)]
    duplicate: bool,
    #[serde(default)]
    late: bool,
    from: Option<IpAddr>,
    text: Option<String>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Stats {
    transmitted: u64,
    received: u64,
    duplicates: u64,
    late: u64,
    errors: u64,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Host {
    addr: IpAddr,
    sent: u16,
    received: u16,
    error: Option<String>,
    error_from: Option<IpAddr>,
}

fn icmp_error(r: &Respond, dst: IpAddr) -> IcmpError {
    let code = r.code.unwrap_or(0);
    let mtu = r.mtu.unwrap_or(0);
    match (r.error.as_deref().unwrap_or_default(), dst.is_ipv6()) {
        ("time-exceeded", _) => IcmpError::TimeExceeded { code },
        ("hop-limit-exceeded", _) => IcmpError::HopLimitExceeded { code },
        ("unreachable", false) => IcmpError::DestinationUnreachable {
            reason: code.into(),
        },
        ("unreachable", true) => IcmpError::DestinationUnreachableV6 {
            reason: code.into(),
        },
        ("frag-needed", _) => IcmpError::FragmentationNeeded {
            mtu: u16::try_from(mtu).unwrap(),
        },
        ("packet-too-big", _) => IcmpError::PacketTooBig { mtu },
        (other, _) => panic!("unknown error {other:?} in a scenario"),
    }
}

fn script(s: &Scenario) -> Script {
    let mut script = Script::new();
    script.datagram_ident = s.datagram_ident;
    for r in &s.respond {
        let dst = r.dst.or(s.target).expect("respond needs dst");
        let response = match r.reply_ms {
            Some(ms) => Response::Reply {
                after: Duration::from_millis(ms),
            },
            None => Response::Error {
                after: Duration::from_millis(r.after_ms.unwrap_or(0)),
                from: r.from.expect("an error needs from"),
                error: icmp_error(r, dst),
            },
        };
        script.respond(dst, r.seq, response);
    }
    for r in &s.refuse {
        let dst = r.dst.or(s.target).expect("refuse needs dst");
        let error = match r.error.as_str() {
            "network-unreachable" => LocalError::NetworkUnreachable {
                message: "Network is unreachable".into(),
            },
            "host-unreachable" => LocalError::HostUnreachable {
                message: "No route to host".into(),
            },
            "message-too-long" => LocalError::MessageTooLong { mtu: None },
            other => panic!("unknown refusal {other:?}"),
        };
        script.refuse(dst, r.seq, error);
    }
    script
}

fn ms(ms: Option<u64>, default: Duration) -> Duration {
    ms.map_or(default, Duration::from_millis)
}

fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime")
}

fn run_session(s: &Scenario) -> (Vec<Expect>, Stats) {
    let target = s.target.expect("a session scenario needs a target");
    let d = PingOptions::default();
    let o = PingOptions {
        count: s.options.count.map(u64::from),
        interval: ms(s.options.interval_ms, d.interval),
        timeout: ms(s.options.timeout_ms, d.timeout),
        size: s.options.size.unwrap_or(d.size),
        ..d
    };
    let fake = FakeIcmp::new(script(s));
    let mut seen = Vec::new();
    let tracker = paused_runtime()
        .block_on(session::run_with(&fake, target, &o, &Cancel::new(), |e| {
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
            ControlFlow::Continue(())
        }))
        .expect("the session runs");
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
    let text = std::fs::read_to_string(path).unwrap();
    let s: Scenario = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
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
