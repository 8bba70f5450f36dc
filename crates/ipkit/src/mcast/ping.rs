//! `ipkit mcast ping` and `mcast pingd`: RFC 6450's multicast ping
//! ([`super::ssmping`] is the wire format). The client joins (S,G) — or
//! (*,G) with `asm` — on a socket bound to the group and its own port,
//! sends unicast requests to the responder's port 4321 and tells the
//! unicast answer from the multicast one by the socket it arrives on; per
//! responder it reports both losses, round trips and the hop distance
//! (64, the TTL answers leave with, less the TTL they arrive with). The
//! responder answers every request twice, unicast and to the group.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::ControlFlow;
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;
use socket2::{Domain, Protocol, Socket, Type};

use super::ssmping::{self, PORT, Probe, REPLY_TTL};
use super::{Interface, McastError};
use crate::cancel::Cancel;
use crate::sys;

/// What `mcast ping` was asked.
#[derive(Debug, Clone)]
pub struct PingRequest {
    /// The responder.
    pub server: IpAddr,
    /// The group answers come on (RFC 6450's by default).
    pub group: IpAddr,
    /// Join any-source (asmping) instead of (server, group).
    pub asm: bool,
    /// How many requests.
    pub count: u64,
    /// The time between two.
    pub interval: Duration,
    /// How long to wait for the last answers.
    pub wait: Duration,
    /// The interface to join on.
    pub interface: Option<Interface>,
}

impl PingRequest {
    /// Check what was asked.
    pub fn new(
        server: IpAddr,
        group: Option<IpAddr>,
        asm: bool,
        count: u64,
        interval: Duration,
        interface: Option<&str>,
    ) -> Result<PingRequest, McastError> {
        if server.is_multicast() || server.is_unspecified() {
            return Err(McastError::BadArgument(format!(
                "{server} is not a responder's unicast address"
            )));
        }
        let group = group.unwrap_or_else(|| ssmping::default_group(server.is_ipv6()));
        if !group.is_multicast() {
            return Err(McastError::NotMulticast(group));
        }
        if group.is_ipv6() != server.is_ipv6() {
            return Err(McastError::SourceFamily {
                group,
                source_addr: server,
            });
        }
        if !asm && !super::is_source_specific(group) {
            return Err(McastError::BadArgument(format!(
                "{group} is an any-source group: ping it with --asm"
            )));
        }
        if count == 0 {
            return Err(McastError::BadArgument("--count must be 1 or more".into()));
        }
        let interface = interface.map(super::interface).transpose()?;
        Ok(PingRequest {
            server,
            group,
            asm,
            count,
            interval,
            wait: Duration::from_secs(1),
            interface,
        })
    }
}

/// One answer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PingReply {
    /// Who answered.
    pub from: IpAddr,
    /// `unicast` or `multicast`.
    pub kind: &'static str,
    /// The request's sequence number.
    pub seq: u32,
    /// Round trip in milliseconds.
    pub rtt_ms: f64,
    /// TTL / hop limit on arrival.
    pub ttl: Option<u8>,
    /// Routers crossed: 64 less the arrival TTL.
    pub hops: Option<u8>,
}

/// Loss and round trips of one kind of answer.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct KindStats {
    /// Answers received.
    pub received: u64,
    /// Requests not answered, percent of those sent.
    pub loss_percent: f64,
    /// Fastest round trip.
    pub min_ms: Option<f64>,
    /// Mean round trip.
    pub avg_ms: Option<f64>,
    /// Slowest round trip.
    pub max_ms: Option<f64>,
    /// The hop distance of the last answer.
    pub hops: Option<u8>,
}

/// The summary for one responder.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PingSummary {
    /// The responder.
    pub server: IpAddr,
    /// The group.
    pub group: IpAddr,
    /// `ssm` or `asm`.
    pub mode: &'static str,
    /// Requests sent.
    pub sent: u64,
    /// Unicast answers.
    pub unicast: KindStats,
    /// Multicast answers.
    pub multicast: KindStats,
    /// Whether Ctrl-C / SIGTERM ended it.
    pub interrupted: bool,
}

fn udp(v6: bool) -> io::Result<Socket> {
    let sock = Socket::new(
        if v6 { Domain::IPV6 } else { Domain::IPV4 },
        Type::DGRAM,
        Some(Protocol::UDP),
    )?;
    if v6 {
        sock.set_only_v6(true)?;
    }
    sock.set_reuse_address(true)?;
    sys::receive_ttl(&sock, v6)?;
    sys::receive_timestamps(&sock)?;
    sock.set_nonblocking(true)?;
    Ok(sock)
}

fn unspecified(v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    }
}

fn now() -> Duration {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
}

/// What [`run_events`] reports as it goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An answer came (the first of its kind for its request).
    Reply(PingReply),
    /// No answer of `kind` (`unicast` or `multicast`) came for request
    /// `seq` within the wait after it was sent ([`PingRequest::wait`]).
    /// An answer that comes later still counts in the summary (as
    /// ssmping counts it) and is reported as a [`Event::Reply`].
    Lost {
        /// `unicast` or `multicast`.
        kind: &'static str,
        /// The request's sequence number.
        seq: u32,
    },
}

/// Ping as `r` asks; each answer reported as it comes.
pub fn run(
    r: &PingRequest,
    cancel: &Cancel,
    mut on_reply: impl FnMut(&PingReply) -> ControlFlow<()>,
) -> Result<PingSummary, McastError> {
    run_events(r, cancel, |e| match e {
        Event::Reply(reply) => on_reply(reply),
        Event::Lost { .. } => ControlFlow::Continue(()),
    })
}

/// Ping as `r` asks; each answer reported as it comes, and each answer
/// that did not come within the wait as a loss (for a live chart).
pub fn run_events(
    r: &PingRequest,
    cancel: &Cancel,
    mut on_event: impl FnMut(&Event) -> ControlFlow<()>,
) -> Result<PingSummary, McastError> {
    let v6 = r.server.is_ipv6();
    fn io(op: &'static str) -> impl Fn(io::Error) -> McastError {
        move |e| McastError::io(format!("{op} (mcast ping)"), e)
    }
    // The unicast socket: our port, any address, deaf to groups it did not
    // join itself.
    let unicast = udp(v6).map_err(io("opening a socket"))?;
    unicast
        .bind(&SocketAddr::new(unspecified(v6), 0).into())
        .map_err(io("binding"))?;
    if v6 {
        unicast.set_multicast_all_v6(false)
    } else {
        unicast.set_multicast_all_v4(false)
    }
    .map_err(io("IP_MULTICAST_ALL"))?;
    let port = unicast
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .map_or(0, |a| a.port());
    // The multicast socket: the group at the same port, joined.
    let join = super::JoinRequest {
        group: SocketAddr::new(r.group, port),
        interface: r.interface.clone(),
        sources: if r.asm { Vec::new() } else { vec![r.server] },
        count: None,
        timeout: None,
    };
    let mut group_sock = super::socket::GroupSocket::join(&join)?;
    group_sock.set_nonblocking().map_err(io("non-blocking"))?;
    let server = SocketAddr::new(r.server, PORT);
    let pid = std::process::id();
    let mut stats = Tally::default();
    let start = Instant::now();
    let mut sent = 0u64;
    let mut buf = [0u8; 2048];
    let mut interrupted = false;
    // Requests whose answers are not all in, oldest first, with when they
    // left: past the wait, a missing kind is a loss.
    let mut pending: std::collections::VecDeque<(u32, Instant)> = Default::default();
    let end = 'run: loop {
        if cancel.is_cancelled() {
            interrupted = true;
            break Ok(());
        }
        while let Some(&(seq, at)) = pending.front() {
            if at.elapsed() < r.wait {
                break;
            }
            pending.pop_front();
            for kind in stats.missing(seq) {
                if on_event(&Event::Lost { kind, seq }).is_break() {
                    break 'run Ok(());
                }
            }
        }
        let due = start
            + r.interval
                .saturating_mul(u32::try_from(sent).unwrap_or(u32::MAX));
        if sent < r.count && Instant::now() >= due {
            sent += 1;
            let probe = Probe {
                pid,
                seq: u32::try_from(sent).unwrap_or(u32::MAX),
                sent: now(),
                group: Some(r.group),
            };
            if let Err(e) = unicast.send_to(&ssmping::request(&probe), &server.into()) {
                break Err(McastError::io(format!("sending to {server}"), e));
            }
            pending.push_back((probe.seq, Instant::now()));
        }
        let last_due = start
            + r.interval
                .saturating_mul(u32::try_from(r.count - 1).unwrap_or(0));
        if sent >= r.count && Instant::now() >= last_due + r.wait {
            // What has not come by the end is lost.
            for (seq, _) in std::mem::take(&mut pending) {
                for kind in stats.missing(seq) {
                    if on_event(&Event::Lost { kind, seq }).is_break() {
                        break;
                    }
                }
            }
            break Ok(());
        }
        let mut got_any = false;
        for (kind, sock) in [("unicast", &unicast), ("multicast", group_sock.socket())] {
            let got = match sys::recv_datagram(sock, &mut buf) {
                Ok(g) => g,
                Err(e) if sys::is_quiet(&e) => continue,
                Err(e) => return Err(McastError::io("receiving", e)),
            };
            got_any = true;
            let Some(answer) = ssmping::parse_answer(&buf[..got.len.min(buf.len())]) else {
                continue;
            };
            let Some(from) = got.from.filter(|_| answer.pid == pid) else {
                continue;
            };
            let arrived = got.kernel_time.unwrap_or_else(now);
            let reply = PingReply {
                from: from.ip(),
                kind,
                seq: answer.seq,
                rtt_ms: crate::ping::report::ms(arrived.saturating_sub(answer.sent)),
                ttl: got.ttl,
                hops: got.ttl.and_then(|t| REPLY_TTL.checked_sub(t)),
            };
            if !stats.add(&reply) {
                continue; // a duplicate
            }
            if on_event(&Event::Reply(reply)).is_break() {
                break 'run Ok(());
            }
        }
        if !got_any {
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    let _ = super::receive::Receiver::leave(&mut group_sock);
    end?;
    Ok(PingSummary {
        server: r.server,
        group: r.group,
        mode: if r.asm { "asm" } else { "ssm" },
        sent,
        unicast: stats.unicast.finish(sent),
        multicast: stats.multicast.finish(sent),
        interrupted,
    })
}

/// Answers so far, by kind.
#[derive(Debug, Default)]
struct Tally {
    unicast: Kind,
    multicast: Kind,
}

#[derive(Debug, Default)]
struct Kind {
    seqs: std::collections::BTreeSet<u32>,
    rtts: Vec<f64>,
    hops: Option<u8>,
}

impl Tally {
    /// The kinds of answer to request `seq` not received.
    fn missing(&self, seq: u32) -> impl Iterator<Item = &'static str> + use<> {
        let unicast = !self.unicast.seqs.contains(&seq);
        let multicast = !self.multicast.seqs.contains(&seq);
        [("unicast", unicast), ("multicast", multicast)]
            .into_iter()
            .filter_map(|(kind, missing)| missing.then_some(kind))
    }

    /// Count an answer; false for a duplicate.
    fn add(&mut self, r: &PingReply) -> bool {
        let k = if r.kind == "unicast" {
            &mut self.unicast
        } else {
            &mut self.multicast
        };
        if !k.seqs.insert(r.seq) {
            return false;
        }
        k.rtts.push(r.rtt_ms);
        k.hops = r.hops;
        true
    }
}

impl Kind {
    fn finish(&self, sent: u64) -> KindStats {
        let received = self.rtts.len() as u64;
        let n = self.rtts.len() as f64;
        let round = |x: f64| (x * 1000.0).round() / 1000.0;
        KindStats {
            received,
            loss_percent: if sent == 0 {
                0.0
            } else {
                round(100.0 * sent.saturating_sub(received) as f64 / sent as f64)
            },
            min_ms: self.rtts.iter().copied().reduce(f64::min),
            avg_ms: (!self.rtts.is_empty()).then(|| round(self.rtts.iter().sum::<f64>() / n)),
            max_ms: self.rtts.iter().copied().reduce(f64::max),
            hops: self.hops,
        }
    }
}

/// `mcast pingd`'s first record: the port is bound.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Listening {
    /// The UDP port (4321).
    pub port: u16,
}

/// One request answered by `mcast pingd`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Answered {
    /// Who asked.
    pub from: SocketAddr,
    /// Its sequence number.
    pub seq: u32,
    /// The group the multicast answer went to.
    pub group: IpAddr,
    /// Why no multicast answer went, if none did.
    pub multicast_error: Option<String>,
}

/// The version string `pingd` answers with.
const VERSION: &str = concat!("ipkit ", env!("CARGO_PKG_VERSION"), " [asm]");

/// The responder's sockets, bound to port 4321 (IPv4, and IPv6 where it
/// opens).
#[derive(Debug)]
pub struct Responder {
    socks: Vec<Socket>,
}

/// Bind port 4321 for [`Responder::serve`].
pub fn bind() -> Result<Responder, McastError> {
    let mut socks = Vec::new();
    for v6 in [false, true] {
        let open = || -> io::Result<Socket> {
            let s = udp(v6)?;
            s.bind(&SocketAddr::new(unspecified(v6), PORT).into())?;
            let ttl = u32::from(REPLY_TTL);
            if v6 {
                s.set_unicast_hops_v6(ttl)?;
                s.set_multicast_hops_v6(ttl)?;
            } else {
                s.set_ttl_v4(ttl)?;
                s.set_multicast_ttl_v4(ttl)?;
            }
            Ok(s)
        };
        match open() {
            Ok(s) => socks.push(s),
            Err(e) if socks.is_empty() && v6 => {
                return Err(McastError::io(format!("binding port {PORT}"), e));
            }
            Err(e) if !v6 => return Err(McastError::io(format!("binding port {PORT}"), e)),
            Err(_) => {}
        }
    }
    Ok(Responder { socks })
}

impl Responder {
    /// Answer requests until cancelled; each answered request reported.
    pub fn serve(
        &self,
        cancel: &Cancel,
        on_answer: impl FnMut(&Answered) -> ControlFlow<()>,
    ) -> Result<u64, McastError> {
        answer_on(&self.socks, cancel, on_answer)
    }
}

fn answer_on(
    socks: &[Socket],
    cancel: &Cancel,
    mut on_answer: impl FnMut(&Answered) -> ControlFlow<()>,
) -> Result<u64, McastError> {
    let mut answered = 0;
    let mut buf = [0u8; 65_536];
    while !cancel.is_cancelled() {
        let mut got_any = false;
        for s in socks {
            let got = match sys::recv_datagram(s, &mut buf) {
                Ok(g) => g,
                Err(e) if sys::is_quiet(&e) => continue,
                Err(e) => return Err(McastError::io("receiving", e)),
            };
            got_any = true;
            let Some(from) = got.from else { continue };
            let Some((reply, group)) = ssmping::answer(&buf[..got.len.min(buf.len())], VERSION)
            else {
                continue;
            };
            let seq = ssmping::parse_answer(&reply).map_or(0, |p| p.seq);
            let _ = s.send_to(&reply, &from.into());
            let group = group.unwrap_or_else(|| ssmping::default_group(from.is_ipv6()));
            let multicast_error =
                if group.is_ipv6() != from.is_ipv6() || !ssmping::group_allowed(group) {
                    Some(format!(
                        "{group} is not a group RFC 6450 lets a responder answer on"
                    ))
                } else {
                    s.send_to(&reply, &SocketAddr::new(group, from.port()).into())
                        .err()
                        .map(|e| e.to_string())
                };
            answered += 1;
            let record = Answered {
                from,
                seq,
                group,
                multicast_error,
            };
            if on_answer(&record).is_break() {
                return Ok(answered);
            }
        }
        if !got_any {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    Ok(answered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(kind: &'static str, seq: u32) -> PingReply {
        PingReply {
            from: "10.9.0.1".parse().unwrap(),
            kind,
            seq,
            rtt_ms: 1.0,
            ttl: Some(64),
            hops: Some(0),
        }
    }

    #[test]
    fn a_request_misses_the_kinds_not_received() {
        let mut t = Tally::default();
        assert!(t.add(&reply("unicast", 1)));
        assert!(!t.add(&reply("unicast", 1)), "a duplicate");
        assert!(t.add(&reply("multicast", 2)));
        assert_eq!(t.missing(1).collect::<Vec<_>>(), ["multicast"]);
        assert_eq!(t.missing(2).collect::<Vec<_>>(), ["unicast"]);
        assert_eq!(t.missing(3).collect::<Vec<_>>(), ["unicast", "multicast"]);
        assert_eq!(t.unicast.finish(3).loss_percent, 66.667);
    }
}
