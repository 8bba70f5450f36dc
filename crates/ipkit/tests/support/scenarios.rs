//! The scenario files of `crates/ipkit/tests/scenarios/` as data: what a
//! fake channel answers (ping's [`ipkit::probe::fake`] for
//! `{session,sweep}_*.toml`, the tracer's [`ipkit::trace::fake`] for
//! `trace_*.toml`), the engine's options, and what it must report; and a
//! ping session played on tokio's paused clock. Shared, through `#[path]`,
//! by the library's replays (`scenarios.rs`, `trace_scenarios.rs`) and the
//! CLI's screen snapshots (`ipkit-cli/src/live/scenarios.rs`), so all read
//! a scenario the same way; each uses part of it.
#![allow(dead_code)]

use std::path::Path;

/// The scenario in the file at `path`.
pub fn load<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Ping's scenarios (`session_*`, `sweep_*`).
pub mod ping {
    use ipkit::cancel::Cancel;
    use ipkit::ping::session::{self, PingEvent, PingOptions};
    use ipkit::ping::track::Tracker;
    use ipkit::probe::LocalError;
    use ipkit::probe::fake::{FakeIcmp, Response, Script};
    use ipkit_core::wire::icmp::IcmpError;
    use serde::Deserialize;
    use std::net::IpAddr;
    use std::time::Duration;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Scenario {
        pub engine: String,
        /// Play an unprivileged datagram socket with this kernel identifier
        /// (errors come from its error queue); absent: a raw socket.
        pub datagram_ident: Option<u16>,
        pub target: Option<IpAddr>,
        #[serde(default)]
        pub targets: Vec<IpAddr>,
        pub options: Options,
        #[serde(default)]
        pub respond: Vec<Respond>,
        #[serde(default)]
        pub refuse: Vec<Refuse>,
        #[serde(default)]
        pub expect: Vec<Expect>,
        pub stats: Option<Stats>,
        #[serde(default)]
        pub host: Vec<Host>,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Options {
        pub count: Option<u16>,
        pub interval_ms: Option<u64>,
        pub timeout_ms: Option<u64>,
        pub period_ms: Option<u64>,
        pub rate: Option<u32>,
        pub retries: Option<u8>,
        pub size: Option<usize>,
    }

    /// One response to the probe to `dst` (the session's target when absent)
    /// with sequence number (a sweep: round) `seq`: a reply after `reply_ms`,
    /// or an ICMP `error` from `from` after `after_ms`.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Respond {
        pub dst: Option<IpAddr>,
        pub seq: u16,
        pub reply_ms: Option<u64>,
        pub error: Option<String>,
        pub code: Option<u8>,
        pub mtu: Option<u32>,
        pub from: Option<IpAddr>,
        pub after_ms: Option<u64>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Refuse {
        pub dst: Option<IpAddr>,
        pub seq: u16,
        pub error: String,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    pub struct Expect {
        pub event: String,
        pub seq: Option<u16>,
        pub target: Option<IpAddr>,
        pub round: Option<u16>,
        pub rtt_ms: Option<u64>,
        #[serde(default)]
        pub duplicate: bool,
        #[serde(default)]
        pub late: bool,
        pub from: Option<IpAddr>,
        pub text: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    pub struct Stats {
        pub transmitted: u64,
        pub received: u64,
        pub duplicates: u64,
        pub late: u64,
        pub errors: u64,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    pub struct Host {
        pub addr: IpAddr,
        pub sent: u16,
        pub received: u16,
        pub error: Option<String>,
        pub error_from: Option<IpAddr>,
    }

    pub fn icmp_error(r: &Respond, dst: IpAddr) -> IcmpError {
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

    pub fn script(s: &Scenario) -> Script {
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

    pub fn ms(ms: Option<u64>, default: Duration) -> Duration {
        ms.map_or(default, Duration::from_millis)
    }

    pub fn paused_runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime")
    }

    /// Play a session scenario on the paused clock: `on_event` gets each
    /// event with the time since the session began; the tracker's verdicts at
    /// the end.
    pub fn play_session(s: &Scenario, mut on_event: impl FnMut(Duration, &PingEvent)) -> Tracker {
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
        paused_runtime()
            .block_on(async {
                let start = tokio::time::Instant::now();
                session::run_with(&fake, target, &o, &Cancel::new(), |e| {
                    on_event(start.elapsed(), e);
                    std::ops::ControlFlow::Continue(())
                })
                .await
            })
            .expect("the session runs")
    }
}

/// The tracer's scenarios (`trace_*`).
pub mod trace {
    use ipkit::probe::LocalError;
    use ipkit::trace::Asked;
    use ipkit::trace::channel::{Protocol, ReplyKind};
    use ipkit::trace::fake::{Narrow, Response, Script, Stray};
    use ipkit::trace::request::WaitRule;
    use ipkit_core::wire::icmp::{Family, IcmpError};
    use serde::Deserialize;
    use std::net::IpAddr;
    use std::time::Duration;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Scenario {
        pub target: IpAddr,
        #[serde(default)]
        pub options: Options,
        /// Probes with this TTL or more reach the destination.
        pub destination: Option<Destination>,
        #[serde(default)]
        pub hop: Vec<Reply>,
        #[serde(default)]
        pub probe: Vec<Reply>,
        #[serde(default)]
        pub narrow: Vec<NarrowLink>,
        #[serde(default)]
        pub stray: Vec<StrayReply>,
        #[serde(default)]
        pub refuse: Vec<Refuse>,
        /// Reverse names the scripted resolver knows.
        #[serde(default)]
        pub names: std::collections::BTreeMap<IpAddr, String>,
        pub expect: Expect,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Options {
        pub protocol: Option<String>,
        pub queries: Option<u32>,
        pub first_hop: Option<u32>,
        pub max_hops: Option<u32>,
        /// MAX, HERE, NEAR.
        pub wait: Option<[f64; 3]>,
        pub window: Option<u32>,
        pub silent_limit: Option<u32>,
        pub rounds: Option<u32>,
        pub interval: Option<f64>,
        pub mtu: Option<bool>,
        pub size: Option<usize>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Destination {
        pub ttl: u8,
        pub after_ms: u64,
    }

    /// A reply: to every probe of `ttl` (`[[hop]]`), or to its `nth`
    /// (`[[probe]]`). `kind`: time-exceeded (the default), reached, or an
    /// unreachable by its mark (net, host, protocol, admin, frag), an
    /// unreachable by its code (`code-N`), or another ICMP error by type and
    /// code (`icmp-T-C`).
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Reply {
        pub ttl: u8,
        pub nth: Option<u32>,
        pub from: Option<IpAddr>,
        pub after_ms: u64,
        pub kind: Option<String>,
        pub mtu: Option<u16>,
        pub tos: Option<u8>,
        pub copies: Option<u8>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct NarrowLink {
        pub ttl: u8,
        pub from: IpAddr,
        pub mtu: u16,
        pub after_ms: u64,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct StrayReply {
        pub at_ms: u64,
        pub id: u16,
        pub from: IpAddr,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Refuse {
        pub ttl: u8,
        pub nth: u32,
        /// net, host, too-long, or too-long-MTU (the kernel names the MTU).
        pub error: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Expect {
        pub reached: bool,
        /// Each hop's probes: an address, `*`, an address with its mark
        /// (`192.0.2.2!N`, `!F-1280`), or a name and address (`r1.test=192.0.2.1`).
        pub hops: Vec<String>,
        /// Round trips per hop, ms (lost probes left out).
        #[serde(default)]
        pub rtt_ms: Vec<Vec<f64>>,
        #[serde(default)]
        pub foreign: u64,
        pub path_mtu: Option<u16>,
        /// (ttl, mtu) of the hop where the path narrowed.
        pub mtu_at: Option<(u8, u16)>,
        /// (ttl, TOS) of every probe of that hop.
        #[serde(default)]
        pub quoted_tos: Vec<(u8, u8)>,
        pub max_elapsed_ms: Option<u64>,
        pub min_elapsed_ms: Option<u64>,
        pub rounds: Option<u32>,
        /// Loss percent per hop (with rounds).
        #[serde(default)]
        pub loss_percent: Vec<f64>,
    }

    pub fn reply_kind(r: &Reply, target: IpAddr) -> ReplyKind {
        let unreachable = |v4: u8, v6: u8| {
            ReplyKind::Error(if target.is_ipv6() {
                IcmpError::DestinationUnreachableV6 { reason: v6.into() }
            } else {
                IcmpError::DestinationUnreachable { reason: v4.into() }
            })
        };
        match r.kind.as_deref().unwrap_or("time-exceeded") {
            "time-exceeded" => ReplyKind::TimeExceeded,
            "reached" => ReplyKind::Reached,
            "net" => unreachable(0, 0),
            "host" => unreachable(1, 3),
            "protocol" => unreachable(2, 2),
            "admin" => unreachable(13, 1),
            "frag" => ReplyKind::Error(IcmpError::FragmentationNeeded {
                mtu: r.mtu.unwrap_or(0),
            }),
            other => {
                let numbers: Vec<u8> = other
                    .strip_prefix("code-")
                    .or_else(|| other.strip_prefix("icmp-"))
                    .unwrap_or_else(|| panic!("unknown reply kind {other:?}"))
                    .split('-')
                    .map(|n| n.parse().expect("a number in the reply kind"))
                    .collect();
                match numbers[..] {
                    [code] => unreachable(code, code),
                    [msg_type, code] => {
                        let family = if target.is_ipv6() {
                            Family::V6
                        } else {
                            Family::V4
                        };
                        ReplyKind::Error(
                            IcmpError::from_type_code(family, msg_type, code, 0)
                                .expect("an ICMP error type"),
                        )
                    }
                    _ => panic!("unknown reply kind {other:?}"),
                }
            }
        }
    }

    pub fn response(r: &Reply, target: IpAddr) -> Response {
        Response {
            quoted_tos: r.tos,
            copies: r.copies.unwrap_or(1),
            ..Response::new(
                r.from.unwrap_or(target),
                reply_kind(r, target),
                Duration::from_millis(r.after_ms),
            )
        }
    }

    pub fn script(s: &Scenario) -> Script {
        let mut script = Script::new();
        if let Some(d) = &s.destination {
            script.destination(d.ttl, Duration::from_millis(d.after_ms));
        }
        for r in &s.hop {
            script.hop(r.ttl, response(r, s.target));
        }
        for r in &s.probe {
            script.probe(
                r.ttl,
                r.nth.expect("[[probe]] needs nth"),
                response(r, s.target),
            );
        }
        for n in &s.narrow {
            script.narrow(Narrow {
                ttl: n.ttl,
                from: n.from,
                mtu: n.mtu,
                after: Duration::from_millis(n.after_ms),
            });
        }
        for st in &s.stray {
            script.stray(Stray {
                at: Duration::from_millis(st.at_ms),
                id: st.id,
                from: st.from,
            });
        }
        for f in &s.refuse {
            let error = match f.error.as_str() {
                "net" => LocalError::NetworkUnreachable {
                    message: "Network is unreachable".into(),
                },
                "host" => LocalError::HostUnreachable {
                    message: "No route to host".into(),
                },
                "too-long" => LocalError::MessageTooLong { mtu: None },
                other => LocalError::MessageTooLong {
                    mtu: Some(
                        other
                            .strip_prefix("too-long-")
                            .and_then(|m| m.parse().ok())
                            .unwrap_or_else(|| panic!("unknown local error {other:?}")),
                    ),
                },
            };
            script.refuse(f.ttl, f.nth, error);
        }
        script
    }

    pub fn asked(s: &Scenario) -> Asked {
        let o = &s.options;
        let d = Asked::default();
        let wait = o
            .wait
            .map_or(d.wait, |[max, here, near]| WaitRule { max, here, near });
        Asked {
            target: s.target.to_string(),
            protocol: match o.protocol.as_deref() {
                None | Some("udp") => Protocol::Udp,
                Some("icmp") => Protocol::Icmp,
                Some("tcp") => Protocol::Tcp,
                Some(other) => panic!("unknown protocol {other:?}"),
            },
            queries: o.queries.unwrap_or(d.queries),
            first_hop: o.first_hop.unwrap_or(d.first_hop),
            max_hops: o.max_hops.unwrap_or(d.max_hops),
            wait,
            sim_queries: o.window.unwrap_or(d.sim_queries),
            silent_limit: o.silent_limit.unwrap_or(d.silent_limit),
            rounds: o.rounds,
            interval: o.interval.unwrap_or(d.interval),
            mtu: o.mtu.unwrap_or(false),
            size: o.size,
            no_resolve: s.names.is_empty(),
            ..d
        }
    }
}
