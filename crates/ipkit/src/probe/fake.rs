//! A scripted network behind the ICMP seam, for tests: each probe (by
//! destination and sequence number) draws the responses its script lists —
//! echo replies after a delay, copies of them, ICMP errors from a router
//! quoting the probe (or, as a datagram socket gets them, from the error
//! queue) — or nothing (a loss). Time is tokio's, so a test on a
//! paused clock (`tokio::time::pause`) runs a minute of pinging at once and
//! every round-trip time is exactly the delay scripted.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::time::Duration;

use ipkit_core::wire::icmp::{self as wire_icmp, Family, IcmpError};
use tokio::time::Instant;

use super::{
    ChannelConfig, IcmpChannel, IcmpProvider, LocalError, QueuedError, Received, RecvBatch,
    SendError,
};
use crate::ping::PingError;

/// The TTL a fake channel's probes leave with until it is set: not 64 (the
/// usual system default), so that code assuming 64 shows in a test.
pub const DEFAULT_TTL: u32 = 77;

/// What the network sends back for one probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// The destination's echo reply, `after` the probe left.
    Reply {
        /// The delay.
        after: Duration,
    },
    /// An ICMP error from `from` quoting the probe, `after` it left.
    Error {
        /// The delay.
        after: Duration,
        /// The router or host that sends it.
        from: IpAddr,
        /// What it says.
        error: IcmpError,
    },
}

/// The responses for every probe, by (destination, sequence number); a
/// probe not listed is lost. What the local host refuses to send is listed
/// apart.
#[derive(Debug, Clone, Default)]
pub struct Script {
    responses: HashMap<(IpAddr, u16), Vec<Response>>,
    refused: HashMap<(IpAddr, u16), LocalError>,
    /// Behave as an unprivileged datagram socket: the kernel imposes this
    /// echo identifier, has checked checksums, and hands ICMP errors over
    /// from the error queue (type, code, MTU and the probe's own bytes, no
    /// quoted IP header). None: a raw socket.
    pub datagram_ident: Option<u16>,
    /// Every probe sent, in order: destination, sequence number, the TTL
    /// it left with (shared by the script's clones, so a test reads it).
    sent: std::sync::Arc<std::sync::Mutex<Vec<(IpAddr, u16, u32)>>>,
}

impl Script {
    /// An empty script: every probe is lost.
    pub fn new() -> Script {
        Script::default()
    }

    /// Add a response to the probe to `dst` with sequence number `seq`.
    pub fn respond(&mut self, dst: IpAddr, seq: u16, response: Response) -> &mut Script {
        self.responses.entry((dst, seq)).or_default().push(response);
        self
    }

    /// Every probe sent so far: (destination, sequence number, TTL).
    pub fn sent(&self) -> Vec<(IpAddr, u16, u32)> {
        self.sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Have the local host refuse to send that probe.
    pub fn refuse(&mut self, dst: IpAddr, seq: u16, error: LocalError) -> &mut Script {
        self.refused.insert((dst, seq), error);
        self
    }
}

/// Opens [`FakeChannel`]s that play a [`Script`].
#[derive(Debug, Clone, Default)]
pub struct FakeIcmp {
    script: Script,
}

impl FakeIcmp {
    /// A network that plays `script`.
    pub fn new(script: Script) -> FakeIcmp {
        FakeIcmp { script }
    }
}

impl IcmpProvider for FakeIcmp {
    type Channel = FakeChannel;

    fn open(&self, family: Family, config: &ChannelConfig) -> Result<FakeChannel, PingError> {
        Ok(FakeChannel {
            family,
            script: self.script.clone(),
            source: config.source,
            ttl: config.ttl,
            pending: BTreeMap::new(),
            order: 0,
        })
    }
}

/// One family's channel of a [`FakeIcmp`].
#[derive(Debug)]
pub struct FakeChannel {
    family: Family,
    script: Script,
    source: Option<IpAddr>,
    ttl: Option<u32>,
    /// What will arrive, by (arrival time, order sent).
    pending: BTreeMap<(Instant, u64), Received>,
    order: u64,
}

impl FakeChannel {
    /// The TTL / hop limit the probes now leave with (None: the default).
    pub fn ttl(&self) -> Option<u32> {
        self.ttl
    }

    fn arrive(&mut self, at: Instant, r: Received) {
        self.order += 1;
        self.pending.insert((at, self.order), r);
    }

    fn local_source(&self) -> IpAddr {
        self.source.unwrap_or(match self.family {
            Family::V4 => IpAddr::from([192, 0, 2, 100]),
            Family::V6 => "2001:db8::100".parse().unwrap_or(IpAddr::from([0u8; 16])),
        })
    }

    fn take_due(&mut self) -> Option<Received> {
        let first = *self.pending.keys().next()?;
        (first.0 <= Instant::now())
            .then(|| self.pending.remove(&first))
            .flatten()
    }
}

impl IcmpChannel for FakeChannel {
    fn kernel_ident(&self) -> Option<u16> {
        self.script.datagram_ident
    }

    fn checksums_verified(&self) -> bool {
        self.script.datagram_ident.is_some()
    }

    fn set_ttl(&mut self, ttl: u32) -> io::Result<()> {
        self.ttl = Some(ttl);
        Ok(())
    }

    fn ttl(&self) -> io::Result<u32> {
        Ok(self.ttl.unwrap_or(DEFAULT_TTL))
    }

    fn send(&mut self, icmp: &[u8], dst: IpAddr) -> Result<(), SendError> {
        if icmp.len() < 8 {
            return Err(SendError::Io(io::Error::from(io::ErrorKind::InvalidInput)));
        }
        let seq = u16::from_be_bytes([icmp[6], icmp[7]]);
        if let Some(e) = self.script.refused.get(&(dst, seq)) {
            return Err(SendError::Local(e.clone()));
        }
        self.script
            .sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((dst, seq, self.ttl.unwrap_or(DEFAULT_TTL)));
        let now = Instant::now();
        let responses = self
            .script
            .responses
            .get(&(dst, seq))
            .cloned()
            .unwrap_or_default();
        for r in responses {
            match r {
                Response::Reply { after } => {
                    let mut reply = icmp.to_vec();
                    reply[0] = self.family.echo_reply();
                    if self.family == Family::V4 {
                        let mut p = ipkit_core::wire::icmpv4::Packet::new_checked(&mut reply[..])
                            .map_err(|e| SendError::Io(io::Error::other(e.to_string())))?;
                        p.fill_checksum();
                    }
                    self.arrive(now + after, received(dst, reply));
                }
                Response::Error { after, from, error } if self.script.datagram_ident.is_some() => {
                    let (_, msg_type, code, info) = error.type_code(self.family);
                    let r = Received {
                        queued: Some(QueuedError {
                            msg_type,
                            code,
                            info,
                        }),
                        ..received(from, icmp.to_vec())
                    };
                    self.arrive(now + after, r);
                }
                Response::Error { after, from, error } => {
                    let m = wire_icmp::emit_error(error, self.local_source(), dst, icmp)
                        .map_err(|e| SendError::Io(io::Error::other(e.to_string())))?;
                    self.arrive(now + after, received(from, m));
                }
            }
        }
        Ok(())
    }

    fn send_batch(&mut self, packets: &[(IpAddr, &[u8])]) -> io::Result<usize> {
        for (dst, icmp) in packets {
            match self.send(icmp, *dst) {
                Ok(()) | Err(SendError::Local(_)) => {}
                Err(SendError::Io(e)) => return Err(e),
            }
        }
        Ok(packets.len())
    }

    fn try_recv(&mut self) -> io::Result<Option<Received>> {
        Ok(self.take_due())
    }

    fn try_recv_batch(&mut self, batch: &mut RecvBatch) -> io::Result<usize> {
        batch.filled = 0;
        while batch.len() < batch.capacity() {
            let Some(r) = self.take_due() else { break };
            batch.push(&r);
        }
        Ok(batch.len())
    }

    fn wait(&self, limit: Duration) -> impl Future<Output = io::Result<()>> {
        let deadline = Instant::now() + limit;
        let next = self.pending.keys().next().map(|k| k.0);
        async move {
            tokio::time::sleep_until(next.map_or(deadline, |n| n.min(deadline))).await;
            Ok(())
        }
    }
}

fn received(from: IpAddr, icmp: Vec<u8>) -> Received {
    Received {
        from,
        icmp,
        queued: None,
        ttl: Some(64),
        kernel_time: None,
        ip_options: Vec::new(),
    }
}
