//! One probe of one target, by kind, through ipkit's engines: ICMP echo on
//! the shared channels ([`super::icmp`]), DNS through [`crate::dns`]'s
//! exchange, TCP through [`crate::connect`]'s Happy Eyeballs race, a trace
//! round through [`crate::trace`]'s engine. Each folds its result into the
//! target's [`TargetSeries`] and says whether it succeeded. Names are
//! resolved at every probe (on a blocking thread), so a name that stops
//! resolving shows as `ipkit_target_resolved 0` and one that starts again
//! recovers without a reload.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use hickory_proto::rr::DNSClass;
use tokio::time::Instant;

use super::config::{FamilyPref, Settings, Target, split_dns_target, split_host_port};
use super::icmp::{EchoProbe, EchoResult, Pingers};
use super::series::{Body, Round, TargetSeries};
use crate::cancel::Cancel;
use crate::connect::{Connector, FamilyChoice, SystemConnector, Transport};

/// What a probe needs besides its target: the shared ICMP channels.
#[derive(Debug, Clone)]
pub struct Probers {
    /// The ICMP channels.
    pub pingers: Pingers,
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}

impl Probers {
    /// Probe `target` once, fold the result into `series`; true when it
    /// succeeded (and `ipkit_target_up` is then 1, unless a probe due
    /// later already ended). `due` is when the probe was due (its slot): an
    /// echo's timeout runs from there.
    pub async fn probe(&self, target: &Target, series: &TargetSeries, due: Instant) -> bool {
        let ok = match (&target.module.settings, &series.body) {
            (Settings::Icmp { size, ttl, family }, Body::Ping(p)) => {
                match resolve_host(&target.host, *family).await {
                    None => {
                        series.resolved.set(0);
                        false
                    }
                    Some(dst) => {
                        series.resolved.set(1);
                        // No channel for the family (it would not open,
                        // and the exporter said why at start): nothing is
                        // sent, so nothing is counted but the failure.
                        let Ok(pinger) = self.pingers.for_addr(dst) else {
                            series.settle(due, false);
                            return false;
                        };
                        let result = pinger
                            .ping(EchoProbe {
                                dst,
                                size: *size,
                                ttl: *ttl,
                                deadline: due + target.module.timeout,
                            })
                            .await;
                        match result {
                            EchoResult::Reply { rtt, ttl } => {
                                p.record(Some((rtt.as_secs_f64(), ttl)));
                                true
                            }
                            EchoResult::Lost | EchoResult::Failed(_) => {
                                p.record(None);
                                false
                            }
                        }
                    }
                }
            }
            (Settings::Tcp, Body::Tcp(p)) => {
                let (result, secs, resolved) = tcp(&target.host, target.module.timeout).await;
                series.resolved.set(i64::from(resolved));
                if let Some(i) = super::series::TCP_RESULTS.iter().position(|r| *r == result) {
                    p.results[i].inc();
                }
                if let Some(s) = secs {
                    p.connect.observe(s);
                }
                result == "ok"
            }
            (Settings::Dns { rtype, server, tcp }, Body::Dns(p)) => {
                series.resolved.set(1);
                dns(
                    &target.host,
                    *rtype,
                    *server,
                    *tcp,
                    target.module.timeout,
                    p,
                )
                .await
            }
            (
                Settings::Trace {
                    protocol, max_hops, ..
                },
                Body::Trace(p),
            ) => {
                let asked = crate::trace::Asked {
                    target: target.host.clone(),
                    protocol: *protocol,
                    paris: *protocol == crate::trace::Protocol::Udp,
                    max_hops: u32::from(*max_hops),
                    queries: 1,
                    no_resolve: true,
                    wait: crate::trace::request::WaitRule {
                        max: target.module.timeout.as_secs_f64(),
                        here: 0.0,
                        near: 0.0,
                    },
                    ..crate::trace::Asked::default()
                };
                let request = blocking(move || crate::trace::Request::new(&asked)).await;
                match request {
                    Some(Ok(r)) => {
                        series.resolved.set(1);
                        match crate::trace::run_with_names(
                            &r,
                            &crate::trace::System,
                            None,
                            &Cancel::new(),
                            |_| std::ops::ControlFlow::Continue(()),
                        )
                        .await
                        {
                            Ok(report) => {
                                let round = Round {
                                    hops: report
                                        .hops
                                        .iter()
                                        .map(|h| {
                                            h.probes.iter().find_map(|pr| {
                                                Some((pr.from?, pr.rtt_ms? / 1000.0))
                                            })
                                        })
                                        .collect(),
                                    reached: report.reached,
                                };
                                p.record(&round);
                                report.reached
                            }
                            Err(_) => false,
                        }
                    }
                    Some(Err(crate::trace::RequestError::Target(_))) | None => {
                        series.resolved.set(0);
                        false
                    }
                    Some(Err(_)) => false,
                }
            }
            _ => false,
        };
        series.settle(due, ok);
        ok
    }
}

/// One DNS question for `NAME[@SERVER[:PORT]]` (the module's server when
/// the target names none), folded into `p`; true for a NOERROR answer.
async fn dns(
    target: &str,
    rtype: hickory_proto::rr::RecordType,
    server: Option<SocketAddr>,
    tcp: bool,
    timeout: Duration,
    p: &super::series::DnsSeries,
) -> bool {
    let Ok((name, given)) = split_dns_target(target) else {
        return false;
    };
    let (Some(server), Ok(name)) = (given.or(server), crate::dns::request::check_name(&name))
    else {
        return false;
    };
    let q = crate::dns::Question {
        name,
        rtype,
        class: DNSClass::IN,
    };
    let o = crate::dns::QueryOptions {
        timeout,
        tcp,
        ..crate::dns::QueryOptions::default()
    };
    match blocking(move || crate::dns::exchange(server, &q, &o)).await {
        Some(Ok(a)) => {
            let code = a.message.metadata.response_code;
            p.response(&crate::dns::report::rcode_name(code));
            p.lookup.observe(a.elapsed.as_secs_f64());
            p.answers
                .set(i64::try_from(a.message.answers.len()).unwrap_or(i64::MAX));
            code == hickory_proto::op::ResponseCode::NoError
        }
        _ => false,
    }
}

/// The host's address: numeric at once, a name by getaddrinfo on a
/// blocking thread; None when it does not resolve.
async fn resolve_host(host: &str, family: FamilyPref) -> Option<IpAddr> {
    let (v4, v6) = (family == FamilyPref::V4, family == FamilyPref::V6);
    if host.parse::<IpAddr>().is_ok() {
        // Numeric: no lookup, nothing that blocks.
        return crate::ping::request::resolve(host, v4, v6).ok();
    }
    let host = host.to_string();
    blocking(move || crate::ping::request::resolve(&host, v4, v6).ok())
        .await
        .flatten()
}

/// A connector that remembers why attempts failed (to tell "refused" from
/// other errors by the OS's error kind, not its words).
struct Recording {
    inner: SystemConnector,
    kinds: Mutex<Vec<io::ErrorKind>>,
}

impl Connector for Recording {
    type Conn = crate::connect::Connection;

    async fn connect(&self, addr: SocketAddr) -> io::Result<Self::Conn> {
        let r = self.inner.connect(addr).await;
        if let Err(e) = &r {
            self.kinds
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(e.kind());
        }
        r
    }
}

/// One Happy Eyeballs connect to `HOST:PORT`: (result label, seconds to
/// connect, whether the host resolved).
async fn tcp(target: &str, timeout: Duration) -> (&'static str, Option<f64>, bool) {
    let Some((host, port)) = split_host_port(target) else {
        return ("error", None, false);
    };
    let port = port.to_string();
    let addrs = match host.parse::<IpAddr>() {
        Ok(_) => crate::connect::order::resolve(&host, &port, FamilyChoice::Any, Transport::Tcp),
        Err(_) => match blocking(move || {
            crate::connect::order::resolve(&host, &port, FamilyChoice::Any, Transport::Tcp)
        })
        .await
        {
            Some(r) => r,
            None => return ("error", None, false),
        },
    };
    let Ok(addrs) = addrs else {
        return ("error", None, false);
    };
    let connector = Recording {
        inner: SystemConnector(Transport::Tcp),
        kinds: Mutex::new(Vec::new()),
    };
    let raced = crate::connect::race_with(
        &connector,
        crate::connect::order::interleave(&addrs),
        crate::connect::ATTEMPT_DELAY,
        timeout,
        &Cancel::new(),
    )
    .await;
    if raced.conn.is_some() {
        return ("ok", Some(raced.elapsed.as_secs_f64()), true);
    }
    let kinds = connector
        .kinds
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let result = match raced.race.outcome() {
        Some(crate::connect::race::Outcome::TimedOut) => "timeout",
        _ if kinds.contains(&io::ErrorKind::ConnectionRefused) => "refused",
        _ if kinds.contains(&io::ErrorKind::TimedOut) => "timeout",
        _ => "error",
    };
    (result, None, true)
}
