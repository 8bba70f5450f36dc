//! The ICMP seam: what a probing engine (ping's session and sweep, the
//! tracer) needs from the platform, as one trait pair. [`IcmpProvider`]
//! opens an [`IcmpChannel`] for a family, configured once; the channel
//! sends probes (one, or a batch) and hands back what arrived — echo
//! replies and ICMP errors with their quoted datagram, TTL / hop limit,
//! kernel timestamp and IPv4 options — which the engines decode with
//! [`ipkit_core::wire::icmp::Message`].
//!
//! [`System`] is the operating system's channel (on Linux a raw socket
//! when the process may open one, else the unprivileged datagram socket;
//! elsewhere an [`crate::ping::PingError::Unsupported`]), and [`fake`] a
//! scripted network for tests. Engines are generic over the provider, so
//! they name no platform type and no errno.

pub mod fake;

use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::time::Duration;

use ipkit_core::wire::WireError;
use ipkit_core::wire::icmp::{Family, Message};

use crate::ping::PingError;

/// How a channel's probes leave, set once when it opens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelConfig {
    /// Source address (bound even when None, so a datagram socket gets its
    /// identifier).
    pub source: Option<IpAddr>,
    /// Send through this interface only.
    pub interface: Option<String>,
    /// TTL / hop limit.
    pub ttl: Option<u32>,
    /// Type of service / traffic class.
    pub tos: Option<u32>,
    /// Forbid fragmentation (path-MTU discovery "do").
    pub dont_fragment: bool,
    /// IPv4 options for every probe, encoded
    /// (`ipkit_core::wire::ipv4::emit_options`); their echo is read back.
    pub ip_options: Vec<u8>,
    /// Allow sending to a broadcast address (best effort).
    pub broadcast: bool,
}

/// Opens ICMP channels: the platform, or a fake.
pub trait IcmpProvider {
    /// The channel it opens.
    type Channel: IcmpChannel;
    /// Open and configure a channel for `family`.
    fn open(&self, family: Family, config: &ChannelConfig) -> Result<Self::Channel, PingError>;
}

/// Why a probe did not leave.
#[derive(Debug)]
pub enum SendError {
    /// The host refused it in a way ping reports per probe and goes on.
    Local(LocalError),
    /// Any other failure: the engine stops.
    Io(io::Error),
}

/// A probe the local host refused to send, reported as that probe's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalError {
    /// No route to the destination's network (ENETUNREACH); the OS's words.
    NetworkUnreachable {
        /// What the OS says.
        message: String,
    },
    /// No route to the host (EHOSTUNREACH); the OS's words.
    HostUnreachable {
        /// What the OS says.
        message: String,
    },
    /// Larger than the outgoing link's MTU while fragmenting is forbidden
    /// (EMSGSIZE).
    MessageTooLong {
        /// The MTU the kernel reported for the route (IP_MTU / IPV6_MTU of
        /// the route to the destination: the link's, or a smaller path MTU
        /// it learnt), when it said.
        mtu: Option<u16>,
    },
}

impl std::fmt::Display for LocalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LocalError::NetworkUnreachable { message }
            | LocalError::HostUnreachable { message } => f.write_str(message),
            LocalError::MessageTooLong { mtu: None } => {
                f.write_str("local error: message too long for the outgoing link (DF set)")
            }
            // iputils ping's words for it.
            LocalError::MessageTooLong { mtu: Some(mtu) } => {
                write!(f, "local error: message too long, mtu={mtu}")
            }
        }
    }
}

/// An error a datagram socket's kernel queued about one of its probes:
/// type, code and the extra word (MTU), without the ICMP message itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuedError {
    /// ICMP type.
    pub msg_type: u8,
    /// ICMP code.
    pub code: u8,
    /// The four bytes after the checksum (the MTU of a too-big error).
    pub info: u32,
}

/// Decode what a channel received: `bytes` are the ICMP message, or, with
/// `queued`, the probe a queued error is about.
pub fn decode(
    family: Family,
    bytes: &[u8],
    queued: Option<QueuedError>,
    verify: bool,
) -> Result<Message<'_>, WireError> {
    match queued {
        None => Message::parse(family, bytes, verify),
        Some(q) => Ok(
            Message::queued(family, q.msg_type, q.code, q.info, bytes).unwrap_or(Message::Other {
                msg_type: q.msg_type,
                code: q.code,
            }),
        ),
    }
}

/// One received ICMP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Who sent it.
    pub from: IpAddr,
    /// The ICMP message (IP header removed), or with `queued` the probe's
    /// own ICMP bytes.
    pub icmp: Vec<u8>,
    /// Set when this is an error the kernel queued (see [`QueuedError`]).
    pub queued: Option<QueuedError>,
    /// TTL / hop limit of the packet, when known.
    pub ttl: Option<u8>,
    /// Kernel receive time since the Unix epoch, when the kernel gave it.
    pub kernel_time: Option<Duration>,
    /// The IPv4 options of the packet that carried it (empty when none).
    pub ip_options: Vec<u8>,
}

/// Buffers for receiving a batch of messages at once: up to `capacity`
/// messages of up to `size` bytes each.
#[derive(Debug)]
pub struct RecvBatch {
    pub(crate) bufs: Vec<Vec<u8>>,
    pub(crate) slots: Vec<Slot>,
    pub(crate) filled: usize,
}

/// Where message `i` of a batch sits in its buffer, and who sent it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Slot {
    pub(crate) from: Option<IpAddr>,
    pub(crate) start: usize,
    pub(crate) len: usize,
    pub(crate) queued: Option<QueuedError>,
}

impl RecvBatch {
    /// Room for `capacity` messages of `size` bytes.
    pub fn new(capacity: usize, size: usize) -> RecvBatch {
        RecvBatch {
            bufs: vec![vec![0u8; size]; capacity],
            slots: vec![Slot::default(); capacity],
            filled: 0,
        }
    }

    /// How many messages a batch holds at most.
    pub fn capacity(&self) -> usize {
        self.bufs.len()
    }

    /// Messages received by the last call.
    pub fn len(&self) -> usize {
        self.filled
    }

    /// Whether the last call received nothing.
    pub fn is_empty(&self) -> bool {
        self.filled == 0
    }

    /// Message `i`: who sent it, its ICMP bytes (or a queued error's probe
    /// bytes) and the queued error.
    pub fn get(&self, i: usize) -> (Option<IpAddr>, &[u8], Option<QueuedError>) {
        let s = self.slots[i];
        let b = &self.bufs[i];
        let end = (s.start + s.len).min(b.len());
        (s.from, &b[s.start.min(end)..end], s.queued)
    }

    /// Store `r` as the next message (for channels that read one at a time).
    pub(crate) fn push(&mut self, r: &Received) -> bool {
        let i = self.filled;
        let Some(buf) = self.bufs.get_mut(i) else {
            return false;
        };
        let n = r.icmp.len().min(buf.len());
        buf[..n].copy_from_slice(&r.icmp[..n]);
        self.slots[i] = Slot {
            from: Some(r.from),
            start: 0,
            len: n,
            queued: r.queued,
        };
        self.filled += 1;
        true
    }
}

/// An open ICMP channel of one family.
pub trait IcmpChannel {
    /// The echo identifier the kernel imposes (a datagram socket's local
    /// "port"); None when the engine picks its own.
    fn kernel_ident(&self) -> Option<u16>;

    /// Whether received ICMPv4 checksums were already verified (a datagram
    /// socket's kernel checks them; a raw socket's reader must).
    fn checksums_verified(&self) -> bool;

    /// Change the TTL / hop limit of the probes sent from now on (a
    /// tracer's per-probe TTL).
    fn set_ttl(&mut self, ttl: u32) -> io::Result<()>;

    /// The TTL / hop limit probes leave with now (the system default until
    /// [`IcmpChannel::set_ttl`] changes it), so that a caller can restore it.
    fn ttl(&self) -> io::Result<u32>;

    /// Send one ICMP message (built by the caller) to `dst`.
    fn send(&mut self, icmp: &[u8], dst: IpAddr) -> Result<(), SendError>;

    /// Send many messages without waiting; returns how many went (fewer,
    /// 0 included, when the send buffer is full).
    fn send_batch(&mut self, packets: &[(IpAddr, &[u8])]) -> io::Result<usize>;

    /// Read one waiting message, if any, without waiting.
    fn try_recv(&mut self) -> io::Result<Option<Received>>;

    /// Read up to the batch's capacity of waiting messages without
    /// waiting; returns how many came (also `batch.len()`).
    fn try_recv_batch(&mut self, batch: &mut RecvBatch) -> io::Result<usize>;

    /// Wait until something may be read, or `limit` passes. Readiness is
    /// cleared: the caller then reads until nothing is left.
    fn wait(&self, limit: Duration) -> impl Future<Output = io::Result<()>>;
}

/// The operating system's ICMP: the provider the engines use by default.
#[derive(Debug, Clone, Copy, Default)]
pub struct System;

impl IcmpProvider for System {
    type Channel = crate::sys::IcmpSocket;

    fn open(&self, family: Family, config: &ChannelConfig) -> Result<Self::Channel, PingError> {
        crate::sys::IcmpSocket::open(family, config)
    }
}
