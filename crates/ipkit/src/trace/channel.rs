//! The tracer's platform seam: send one probe of a protocol with a TTL and
//! an id, and hand back the replies already matched to a probe id through
//! the datagram they quote. Implementations: `sys` (Linux: raw sockets
//! with CAP_NET_RAW, else unprivileged ICMP/UDP sockets with IP_RECVERR),
//! and `trace::fake` for scenario tests.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use ipkit_core::wire::icmp::{Family, IcmpError};

/// How probes travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// ICMP echo requests (tracert's way; `-I`).
    Icmp,
    /// UDP datagrams (traceroute's default; `-U` for a fixed port).
    Udp,
    /// TCP SYNs to a port (`-T`, default port 80).
    Tcp,
}

/// Set once when a channel opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelConfig {
    /// IPv4 or IPv6.
    pub family: Family,
    /// How probes travel.
    pub protocol: Protocol,
    /// The destination.
    pub target: IpAddr,
    /// UDP: the first destination port (classic: base + id; Paris: fixed);
    /// TCP: the port (default 80). Ignored for ICMP.
    pub port: u16,
    /// Paris traceroute: keep the flow identifier (ports, ICMP checksum)
    /// fixed for every probe, so per-flow load balancers keep one path;
    /// the id then travels where the flow hash does not look.
    pub paris: bool,
    /// Source address.
    pub source: Option<IpAddr>,
    /// Send through this interface only.
    pub interface: Option<String>,
    /// TOS / traffic class of the probes.
    pub tos: Option<u8>,
    /// Total probe packet size in bytes, IP header included (traceroute's
    /// `packetlen`); None: the protocol's default (60 for UDP/ICMP v4).
    pub size: Option<usize>,
    /// Set DF / forbid fragmentation (path-MTU discovery).
    pub dont_fragment: bool,
    /// IPv4 loose source route (traceroute's `-g`, tracert's `-j`): the
    /// gateways in order, the target not included; every probe carries an
    /// LSRR option (`IP_OPTIONS`) through them. Empty: none.
    pub loose_route: Vec<Ipv4Addr>,
    /// tracert's `-R`: a round trip over an IPv6 type 0 routing header
    /// (to the target and back). Linux refuses such headers (RFC 5095
    /// deprecated them): the channel says so when it opens.
    pub round_trip: bool,
}

impl ChannelConfig {
    /// The IPv4 options every probe carries: the LSRR option of
    /// [`loose_route`](Self::loose_route), the target in its last slot (the
    /// kernel sends to the first gateway and writes the target there);
    /// empty without a route.
    pub fn ip_options(&self) -> Vec<u8> {
        if self.loose_route.is_empty() {
            return Vec::new();
        }
        let mut route = self.loose_route.clone();
        if let IpAddr::V4(t) = self.target {
            route.push(t);
        }
        ipkit_core::wire::ipv4::emit_options(&[
            ipkit_core::wire::ipv4::Ipv4Option::LooseSourceRoute { route, pointer: 4 },
        ])
    }

    /// Whether a quoted probe's destination is one of ours: the target, or
    /// with a loose source route, a gateway the probe was on its way to.
    pub fn is_probe_destination(&self, dst: IpAddr) -> bool {
        dst == self.target || matches!(dst, IpAddr::V4(d) if self.loose_route.contains(&d))
    }
}

/// One probe to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeSpec {
    /// TTL / hop limit.
    pub ttl: u8,
    /// The probe's id, unique among probes in flight; the channel encodes it
    /// (ICMP seq, UDP port offset or payload/checksum for Paris, TCP seq)
    /// and finds it again in the quoted datagram.
    pub id: u16,
    /// Size override for this probe (path-MTU discovery); None: config's.
    pub size: Option<usize>,
}

/// What came back about a probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyKind {
    /// A router: TTL / hop limit exceeded in transit.
    TimeExceeded,
    /// The destination answered: echo reply (ICMP), port unreachable from
    /// the target (UDP), SYN-ACK or RST (TCP).
    Reached,
    /// Any other ICMP error (unreachable host/net/protocol/admin …,
    /// fragmentation needed with its MTU): traceroute's `!H !N !P !F !X !A`.
    Error(IcmpError),
}

/// An MPLS label stack entry from an ICMP extension (RFC 4950).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct MplsLabel {
    /// The 20-bit label.
    pub label: u32,
    /// Traffic class (3 bits).
    pub tc: u8,
    /// Bottom of stack.
    pub bottom: bool,
    /// TTL.
    pub ttl: u8,
}

/// A reply matched to a probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceReply {
    /// The probe's id (from the quoted datagram, or the reply itself).
    pub id: u16,
    /// Who sent it.
    pub from: IpAddr,
    /// What it says.
    pub kind: ReplyKind,
    /// Kernel receive time since the Unix epoch, when the kernel gave it.
    pub kernel_time: Option<Duration>,
    /// The TOS byte of the quoted probe header, when quoted (a hop that
    /// rewrote DSCP shows here).
    pub quoted_tos: Option<u8>,
    /// MPLS labels from the ICMP extension, when present.
    pub mpls: Vec<MplsLabel>,
}

/// Why a probe did not leave.
#[derive(Debug)]
pub enum SendError {
    /// The local host refused it (no route; message too long with DF, with
    /// the MTU the kernel knows): reported for that probe, the trace goes on.
    Local(crate::probe::LocalError),
    /// Anything else: the trace stops.
    Io(io::Error),
    /// The platform refused the probe in a way that ends the trace with
    /// this error (a loose source route the kernel will not send along).
    Refused(crate::trace::TraceError),
}

/// Opens trace channels: the platform, or a fake.
pub trait TraceProvider {
    /// The channel it opens.
    type Channel: TraceChannel;
    /// Open a channel; the error says which privilege is missing
    /// (`crate::trace::TraceError::NoPrivilege { needs }`).
    fn open(&self, config: &ChannelConfig) -> Result<Self::Channel, crate::trace::TraceError>;
}

/// An open trace channel.
pub trait TraceChannel {
    /// Whether this channel needed no privilege (unprivileged sockets).
    fn unprivileged(&self) -> bool;
    /// Send one probe.
    fn send(&mut self, probe: &ProbeSpec) -> Result<(), SendError>;
    /// Read one waiting reply, if any, without waiting. Packets that are not
    /// about this channel's probes are dropped here; a reply quoting a probe
    /// of ours whose id is not in flight is returned (the engine counts it).
    fn try_recv(&mut self) -> io::Result<Option<TraceReply>>;
    /// Wait until something may be read, or `limit` passes.
    fn wait(&self, limit: Duration) -> impl Future<Output = io::Result<()>>;
}

/// The operating system's channels.
#[derive(Debug, Clone, Copy, Default)]
pub struct System;
// impl TraceProvider for System { type Channel = crate::sys::TraceSocket; … }  (platform owner)
