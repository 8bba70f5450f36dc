//! One ICMP channel per address family for every ping target of the
//! exporter (smokeping_prober's way, and why it probes thousands of targets
//! where blackbox_exporter opens a socket per probe). The channel is
//! [`crate::probe`]'s — a datagram ICMP socket where
//! `net.ipv4.ping_group_range` allows it, a raw one with CAP_NET_RAW, the
//! same choice and the same [`crate::ping::PingError::NoPrivilege`] as
//! `ipkit ping` — opened once, owned by one task that sends the probes it
//! is asked for and matches replies to them.
//!
//! Matching: every probe of a family gets its own sequence number (no two
//! probes in flight share one), carries the channel's identifier and the
//! run's random cookie; a reply counts when identifier, sequence, cookie
//! and source address (the target's) all match. An ICMP error quoting the
//! probe ends it at once as failed. A probe nobody answers within its
//! timeout is reported lost.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

use ipkit_core::wire::icmp::{Family, Message, QuotedTransport, write_echo_request};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::ping::PingError;
use crate::ping::track::COOKIE_LEN;
use crate::probe::{ChannelConfig, IcmpChannel, IcmpProvider, SendError};

/// One echo probe to send.
#[derive(Debug)]
pub struct EchoProbe {
    /// The target address.
    pub dst: IpAddr,
    /// Payload bytes after the ICMP header (at least the cookie's 8).
    pub size: usize,
    /// TTL / hop limit for this probe; None: the channel's.
    pub ttl: Option<u32>,
    /// When to give up waiting for the reply. The caller fixes it from
    /// when the probe was due (its slot), not from when it left, so that a
    /// burst of probes queued behind each other still ends by the slot's
    /// timeout and the next slot starts on time.
    pub deadline: Instant,
}

/// What became of one echo probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EchoResult {
    /// The target answered.
    Reply {
        /// Round-trip time.
        rtt: Duration,
        /// The reply's TTL / hop limit, when the channel reports it.
        ttl: Option<u8>,
    },
    /// No reply within the timeout.
    Lost,
    /// An ICMP error (unreachable …) or the local host refused to send it.
    Failed(String),
}

struct Request {
    probe: EchoProbe,
    done: oneshot::Sender<EchoResult>,
}

/// A handle to the family's pinger task: cheap to clone, shared by every
/// ping target.
#[derive(Debug, Clone)]
pub struct Pinger {
    tx: mpsc::UnboundedSender<Request>,
}

impl Pinger {
    /// Send `probe` and wait for its result.
    pub async fn ping(&self, probe: EchoProbe) -> EchoResult {
        let (done, result) = oneshot::channel();
        if self.tx.send(Request { probe, done }).is_err() {
            return EchoResult::Failed("the ICMP socket is closed".into());
        }
        result
            .await
            .unwrap_or_else(|_| EchoResult::Failed("the ICMP socket is closed".into()))
    }
}

/// Both families' pingers (either may be missing: its channel would not
/// open, and the error says why).
#[derive(Debug, Clone)]
pub struct Pingers {
    /// IPv4.
    pub v4: Result<Pinger, String>,
    /// IPv6.
    pub v6: Result<Pinger, String>,
}

impl Pingers {
    /// The pinger for `dst`'s family.
    pub fn for_addr(&self, dst: IpAddr) -> Result<&Pinger, &str> {
        let p = if dst.is_ipv4() { &self.v4 } else { &self.v6 };
        p.as_ref().map_err(String::as_str)
    }
}

/// Open `family`'s channel through `provider`: the handle, and the loop
/// that owns the channel, for the caller to drive (it ends once every
/// handle is dropped and nothing is in flight). The error is the
/// channel's (no privilege …).
pub fn start<P: IcmpProvider>(
    provider: &P,
    family: Family,
) -> Result<(Pinger, impl Future<Output = ()> + use<P>), PingError> {
    let chan = provider.open(family, &ChannelConfig::default())?;
    let (tx, rx) = mpsc::unbounded_channel();
    Ok((Pinger { tx }, run(chan, family, rx)))
}

struct Pending {
    dst: IpAddr,
    sent: Instant,
    deadline: Instant,
    done: oneshot::Sender<EchoResult>,
}

/// The family's task: send what is asked, read what arrives, expire what
/// is late; ends when every [`Pinger`] handle is dropped.
async fn run<C: IcmpChannel>(
    mut chan: C,
    family: Family,
    mut rx: mpsc::UnboundedReceiver<Request>,
) {
    let ident = chan.kernel_ident().unwrap_or_else(crate::random::u16);
    let seed = crate::random::u16().to_be_bytes();
    let cookie: [u8; COOKIE_LEN] = [0x69, 0x70, 0x6b, 0x6d, 0x65, 0x74, seed[0], seed[1]];
    let verify = !chan.checksums_verified();
    let mut pending: HashMap<u16, Pending> = HashMap::new();
    let mut deadlines: BinaryHeap<Reverse<(Instant, u16)>> = BinaryHeap::new();
    let mut next_seq: u16 = crate::random::u16();
    // The socket's own TTL, read at open: a probe without one leaves with
    // it again after a probe that set one.
    let ttl_initial = chan.ttl().ok();
    let mut ttl_now: Option<u32> = None;
    let mut packet = Vec::new();
    let mut open = true;
    enum Woke {
        Asked(Option<Request>),
        Readable,
        Tick,
    }
    while open || !pending.is_empty() {
        let now = Instant::now();
        let limit = deadlines
            .peek()
            .map_or(Duration::from_millis(500), |Reverse((d, _))| {
                d.saturating_duration_since(now)
            });
        let woke = tokio::select! {
            r = rx.recv(), if open => Woke::Asked(r),
            r = chan.wait(limit) => if r.is_ok() { Woke::Readable } else { Woke::Tick },
        };
        match woke {
            Woke::Asked(None) => open = false,
            Woke::Asked(Some(first)) => {
                let mut next = Some(first);
                while let Some(req) = next {
                    // A sequence number no probe in flight has.
                    while pending.contains_key(&next_seq) {
                        next_seq = next_seq.wrapping_add(1);
                    }
                    let seq = next_seq;
                    next_seq = next_seq.wrapping_add(1);
                    if req.probe.ttl != ttl_now {
                        let want = req.probe.ttl.or(ttl_initial).unwrap_or(64);
                        if chan.set_ttl(want).is_ok() {
                            ttl_now = req.probe.ttl;
                        }
                    }
                    let size = req.probe.size.max(COOKIE_LEN);
                    packet.clear();
                    packet.resize(8 + size, 0);
                    packet[8..8 + COOKIE_LEN].copy_from_slice(&cookie);
                    if write_echo_request(family, &mut packet, ident, seq).is_err() {
                        let _ = req.done.send(EchoResult::Failed("probe too short".into()));
                    } else {
                        let sent = Instant::now();
                        match chan.send(&packet, req.probe.dst) {
                            Ok(()) => {
                                let deadline = req.probe.deadline;
                                deadlines.push(Reverse((deadline, seq)));
                                pending.insert(
                                    seq,
                                    Pending {
                                        dst: req.probe.dst,
                                        sent,
                                        deadline,
                                        done: req.done,
                                    },
                                );
                            }
                            Err(SendError::Local(e)) => {
                                let _ = req.done.send(EchoResult::Failed(e.to_string()));
                            }
                            Err(SendError::Io(e)) => {
                                let _ = req.done.send(EchoResult::Failed(e.to_string()));
                            }
                        }
                    }
                    next = rx.try_recv().ok();
                }
            }
            Woke::Readable => {
                while let Ok(Some(r)) = chan.try_recv() {
                    let at = Instant::now();
                    let decoded = crate::probe::decode(family, &r.icmp, r.queued, verify);
                    match decoded {
                        Ok(Message::EchoReply {
                            ident: i,
                            seq,
                            data,
                        }) if i == ident && data.get(..COOKIE_LEN) == Some(&cookie[..]) => {
                            if pending.get(&seq).is_some_and(|p| p.dst == r.from)
                                && let Some(p) = pending.remove(&seq)
                            {
                                let _ = p.done.send(EchoResult::Reply {
                                    rtt: at.saturating_duration_since(p.sent),
                                    ttl: r.ttl,
                                });
                            }
                        }
                        Ok(Message::Error { error, probe }) => {
                            let QuotedTransport::Echo { ident: i, seq_no } = probe.transport else {
                                continue;
                            };
                            if i != ident || !crate::ping::reported(&error) {
                                continue;
                            }
                            let ours = pending
                                .get(&seq_no)
                                .is_some_and(|p| probe.dst.is_none_or(|d| d == p.dst));
                            if ours && let Some(p) = pending.remove(&seq_no) {
                                let _ = p
                                    .done
                                    .send(EchoResult::Failed(format!("{error} from {}", r.from)));
                            }
                        }
                        _ => {}
                    }
                }
            }
            Woke::Tick => {}
        }
        let now = Instant::now();
        while let Some(&Reverse((deadline, seq))) = deadlines.peek() {
            if deadline > now {
                break;
            }
            deadlines.pop();
            if pending.get(&seq).is_some_and(|p| p.deadline == deadline)
                && let Some(p) = pending.remove(&seq)
            {
                let _ = p.done.send(EchoResult::Lost);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::fake::{FakeIcmp, Response, Script};

    /// Two targets on one channel: each gets its own reply, a silent one is
    /// lost after its timeout (scripted network, paused clock).
    #[tokio::test(start_paused = true)]
    async fn replies_are_matched_to_their_targets_on_one_channel() {
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let mut script = Script::new();
        for seq in 0..=u16::MAX {
            script.respond(
                a,
                seq,
                Response::Reply {
                    after: Duration::from_millis(5),
                },
            );
        }
        let (pinger, channel) = start(&FakeIcmp::new(script), Family::V4).unwrap();
        let probe = |dst| EchoProbe {
            dst,
            size: 56,
            ttl: None,
            deadline: Instant::now() + Duration::from_secs(1),
        };
        let asks = async {
            let r = tokio::join!(pinger.ping(probe(a)), pinger.ping(probe(b)));
            drop(pinger);
            r
        };
        let ((ra, rb), ()) = tokio::join!(asks, channel);
        assert!(
            matches!(ra, EchoResult::Reply { rtt, .. } if rtt == Duration::from_millis(5)),
            "{ra:?}"
        );
        assert_eq!(rb, EchoResult::Lost);
    }

    /// A probe without a TTL after one with: it leaves with the socket's
    /// initial TTL (the fake's 77, not an assumed 64).
    #[tokio::test(start_paused = true)]
    async fn a_probe_without_ttl_gets_the_sockets_initial_one_back() {
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let script = Script::new();
        let (pinger, channel) = start(&FakeIcmp::new(script.clone()), Family::V4).unwrap();
        let probe = |ttl| EchoProbe {
            dst: a,
            size: 56,
            ttl,
            deadline: Instant::now() + Duration::from_millis(10),
        };
        let asks = async {
            for ttl in [None, Some(3), None, Some(5), Some(5), None] {
                pinger.ping(probe(ttl)).await;
            }
            drop(pinger);
        };
        tokio::join!(asks, channel);
        let ttls: Vec<u32> = script.sent().iter().map(|s| s.2).collect();
        let d = crate::probe::fake::DEFAULT_TTL;
        assert_eq!(ttls, vec![d, 3, d, 5, 5, d]);
    }
}
