//! The tracer's channels on Linux ([`crate::trace::channel::TraceChannel`]):
//! - ICMP echo through ping's [`IcmpSocket`] (raw with CAP_NET_RAW, else
//!   the unprivileged datagram socket and its error queue), the probe's id
//!   in the echo sequence;
//! - UDP from one socket, the id in the destination port (classic) or, for
//!   Paris, in the payload with a compensating word that keeps the UDP
//!   checksum (the flow hash's last input) the same for every probe; the
//!   errors come on a raw ICMP socket when one may be opened (quotes, TOS,
//!   MPLS), else on the UDP socket's own error queue (IP_RECVERR, as
//!   tracepath), which gives the offender, the original destination port
//!   and the payload back;
//! - TCP SYNs built with core's TCP view on a raw socket (CAP_NET_RAW), the
//!   id in the high half of the sequence number; the target's SYN-ACK or
//!   RST is read on the same raw socket (the kernel answers a SYN-ACK with
//!   a RST, as no socket is bound), the errors on a raw ICMP socket.
//!
//! Every probe's TTL is set with `setsockopt` before its send; kernel
//! receive timestamps come with every read (SO_TIMESTAMPNS).
#![allow(unsafe_code)]

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use ipkit_core::wire::icmp::{Family, IcmpError, Message, QuotedProbe, QuotedTransport};
use ipkit_core::wire::{icmp_ext, icmpv4, icmpv6, ipv4, tcp};
use nix::sys::socket::{self as nix_socket, MsgFlags, sockopt};
use socket2::{Domain, Protocol as SockProtocol, SockAddr, Socket, Type};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use super::ancillary;
use super::icmp::{IcmpKind, IcmpSocket};
use crate::ping::PingError;
use crate::probe::{self, IcmpChannel, LocalError};
use crate::sys::is_quiet;
use crate::trace::TraceError;
use crate::trace::channel::{
    ChannelConfig, MplsLabel, ProbeSpec, Protocol, ReplyKind, SendError, TraceChannel, TraceReply,
};

/// How this channel's probes travel and where their answers come from.
#[derive(Debug)]
enum Way {
    /// ICMP echo requests; `ident` is the echo identifier (the kernel's on
    /// a datagram socket).
    Icmp { icmp: IcmpSocket, ident: u16 },
    /// UDP datagrams from `local_port`; `errors`: the raw ICMP socket, or
    /// None when the UDP socket's error queue is read instead.
    Udp {
        udp: AsyncFd<Socket>,
        local_port: u16,
        errors: Option<IcmpSocket>,
    },
    /// TCP without privilege: a non-blocking `connect()` per probe (its
    /// TTL set, IP_RECVERR on), each socket kept until its answer.
    TcpConnect { pending: Vec<Connecting> },
    /// TCP SYNs from `source`:`local_port` on a raw socket.
    Tcp {
        tcp: AsyncFd<Socket>,
        source: IpAddr,
        local_port: u16,
        errors: IcmpSocket,
    },
}

/// One unprivileged TCP probe in flight: its socket and id.
#[derive(Debug)]
struct Connecting {
    id: u16,
    sock: AsyncFd<Socket>,
}

/// An open trace channel on Linux.
#[derive(Debug)]
pub struct TraceSocket {
    config: ChannelConfig,
    family: Family,
    way: Way,
    buf: Vec<u8>,
    control: Vec<u8>,
}

fn io_err(op: &'static str) -> impl Fn(io::Error) -> TraceError {
    move |source| TraceError::Io { op, source }
}

fn nix_err(op: &'static str) -> impl Fn(nix::Error) -> TraceError {
    move |e| TraceError::Io {
        op,
        source: e.into(),
    }
}

fn from_ping(e: PingError) -> TraceError {
    match e {
        PingError::NoPrivilege { needs, .. } => TraceError::NoPrivilege { needs },
        PingError::Io { op, source } => TraceError::Io { op, source },
        PingError::Unsupported => TraceError::Unsupported,
    }
}

fn unspecified(v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    }
}

/// The bytes of IP header in front of a probe.
fn ip_header_len(family: Family) -> usize {
    match family {
        Family::V4 => 20,
        Family::V6 => 40,
    }
}

/// The word that, added to `id` in a one's-complement sum, gives the same
/// total for every id: a Paris probe carries both, so its checksum stays.
fn compensation(id: u16) -> u16 {
    0xffff - id
}

impl TraceSocket {
    /// Open the sockets `config` needs, with the least privilege that
    /// works; register them with the running tokio reactor.
    pub fn open(config: &ChannelConfig) -> Result<TraceSocket, TraceError> {
        let family = config.family;
        if config.round_trip {
            round_trip_header(config)?;
        }
        let icmp_config = probe::ChannelConfig {
            source: config.source,
            interface: config.interface.clone(),
            ttl: None,
            tos: config.tos.map(u32::from),
            dont_fragment: config.dont_fragment,
            ip_options: Vec::new(),
            broadcast: false,
        };
        let way = match config.protocol {
            Protocol::Icmp => {
                // The echo requests carry the loose source route.
                let with_route = probe::ChannelConfig {
                    ip_options: config.ip_options(),
                    ..icmp_config
                };
                let icmp = IcmpSocket::open(family, &with_route).map_err(|e| match e {
                    PingError::Io {
                        op: "setting IP options",
                        source,
                    } => loose_route_refused(config, source),
                    e => from_ping(e),
                })?;
                let ident = icmp.kernel_ident().unwrap_or_else(crate::random::u16);
                Way::Icmp { icmp, ident }
            }
            Protocol::Udp => {
                let errors = match IcmpSocket::open(family, &icmp_config) {
                    Ok(s) if s.kind == IcmpKind::Raw => Some(s),
                    Ok(_) | Err(PingError::NoPrivilege { .. }) => None,
                    Err(e) => return Err(from_ping(e)),
                };
                let udp = open_udp(config, errors.is_none())?;
                let local_port = local_port(udp.get_ref())?;
                Way::Udp {
                    udp,
                    local_port,
                    errors,
                }
            }
            Protocol::Tcp => {
                let errors = match IcmpSocket::open(family, &icmp_config) {
                    Ok(s) if s.kind == IcmpKind::Raw => Some(s),
                    Ok(_) | Err(PingError::NoPrivilege { .. }) => None,
                    Err(e) => return Err(from_ping(e)),
                };
                let source = match config.source {
                    Some(s) => s,
                    None => route_source(config)?,
                };
                let tcp = match errors {
                    Some(_) => match open_raw_tcp(config, source) {
                        Ok(tcp) => Some(tcp),
                        Err(e) if is_refused(&e) => None,
                        Err(e) => return Err(io_err("opening a raw TCP socket")(e)),
                    },
                    None => None,
                };
                match (tcp, errors) {
                    (Some(tcp), Some(errors)) => Way::Tcp {
                        tcp,
                        source,
                        local_port: 0x8000 | (crate::random::u16() & 0x7fff),
                        errors,
                    },
                    _ => Way::TcpConnect {
                        pending: Vec::new(),
                    },
                }
            }
        };
        Ok(TraceSocket {
            config: config.clone(),
            family,
            way,
            buf: vec![0u8; 65_536],
            control: vec![0u8; 512],
        })
    }

    fn v6(&self) -> bool {
        self.family == Family::V6
    }

    /// The probe's total size, IP header included.
    fn size(&self, probe: &ProbeSpec) -> usize {
        probe
            .size
            .or(self.config.size)
            .unwrap_or(if self.v6() { 80 } else { 60 })
    }

    /// The transport payload of a probe, sized to the probe's size.
    fn payload(&self, probe: &ProbeSpec) -> Vec<u8> {
        let len = self
            .size(probe)
            .saturating_sub(ip_header_len(self.family) + 8);
        probe_payload(len, probe.id, self.config.paris)
    }

    /// What an ICMP error or echo reply read on a raw or ICMP socket says
    /// about one of this channel's probes; None when it is about another.
    fn reply_from_icmp(&self, r: &probe::Received, verified: bool) -> Option<TraceReply> {
        let message = probe::decode(self.family, &r.icmp, r.queued, !verified).ok()?;
        let from = r.from;
        let (id, kind, quoted_tos) = match message {
            Message::EchoReply { ident, seq, .. } => match &self.way {
                Way::Icmp { icmp, ident: ours }
                    if icmp.kind == IcmpKind::Datagram || ident == *ours =>
                {
                    (seq, ReplyKind::Reached, None)
                }
                _ => return None,
            },
            Message::Error { error, probe } => {
                if probe
                    .dst
                    .is_some_and(|d| !self.config.is_probe_destination(d))
                {
                    return None;
                }
                let id = self.quoted_id(&probe, r.queued.is_some())?;
                (id, self.kind(error, from), probe.tos)
            }
            Message::Other { .. } => return None,
        };
        let mpls = if r.queued.is_none() {
            icmp_ext::mpls_labels(self.family, &r.icmp)
                .into_iter()
                .map(mpls_label)
                .collect()
        } else {
            Vec::new()
        };
        Some(TraceReply {
            id,
            from,
            kind,
            kernel_time: r.kernel_time,
            quoted_tos,
            mpls,
        })
    }

    /// The id of the probe an error quotes, if the probe is this channel's.
    fn quoted_id(&self, probe: &QuotedProbe<'_>, queued: bool) -> Option<u16> {
        match (&self.way, probe.transport) {
            (Way::Icmp { ident: ours, .. }, QuotedTransport::Echo { ident, seq_no }) => {
                (queued || ident == *ours).then_some(seq_no)
            }
            (Way::Udp { local_port, .. }, QuotedTransport::Udp { src_port, dst_port })
                if src_port == *local_port =>
            {
                self.udp_id(dst_port, probe.payload)
            }
            (
                Way::Tcp { local_port, .. },
                QuotedTransport::Tcp {
                    src_port,
                    dst_port,
                    seq,
                },
            ) if src_port == *local_port && dst_port == self.config.port => {
                u16::try_from(seq >> 16).ok()
            }
            _ => None,
        }
    }

    /// A UDP probe's id: from its destination port (classic), or from its
    /// payload (Paris; only when the router quoted that much).
    fn udp_id(&self, dst_port: u16, payload: &[u8]) -> Option<u16> {
        if self.config.paris {
            (dst_port == self.config.port && payload.len() >= 2)
                .then(|| u16::from_be_bytes([payload[0], payload[1]]))
        } else {
            Some(dst_port.wrapping_sub(self.config.port))
        }
    }

    /// What an error from `from` means for the trace.
    fn kind(&self, error: IcmpError, from: IpAddr) -> ReplyKind {
        if error.is_time_exceeded() {
            return ReplyKind::TimeExceeded;
        }
        let port_unreachable = matches!(
            error,
            IcmpError::DestinationUnreachable {
                reason: icmpv4::Unreachable::Port
            } | IcmpError::DestinationUnreachableV6 {
                reason: icmpv6::Unreachable::Port
            }
        );
        if port_unreachable && from == self.config.target && self.config.protocol == Protocol::Udp {
            ReplyKind::Reached
        } else {
            ReplyKind::Error(error)
        }
    }

    /// One message from a UDP socket's error queue, or what the target's
    /// service itself sent back (classic ids only).
    fn recv_udp(&mut self, flags: MsgFlags) -> io::Result<Option<Option<TraceReply>>> {
        let Way::Udp { udp, .. } = &self.way else {
            return Ok(None);
        };
        let fd = udp.get_ref().as_raw_fd();
        let meta = match ancillary::recv(fd, &mut self.buf, &mut self.control, flags) {
            Ok(m) => m,
            Err(e) if is_quiet(&e) => return Ok(None),
            Err(e) if !flags.contains(MsgFlags::MSG_ERRQUEUE) => {
                // The pending error of a queued ICMP message, reported
                // once; its details wait on the error queue.
                let _ = e;
                return Ok(Some(None));
            }
            Err(e) => return Err(e),
        };
        let data = &self.buf[..meta.len];
        let reply = match (meta.queued, meta.address) {
            (Some((q, Some(from))), Some(original)) => {
                IcmpError::from_type_code(self.family, q.msg_type, q.code, q.info)
                    .and_then(|error| {
                        let id = self.udp_id(original.port(), data)?;
                        self.config
                            .is_probe_destination(original.ip())
                            .then_some((id, error))
                    })
                    .map(|(id, error)| TraceReply {
                        id,
                        from,
                        kind: self.kind(error, from),
                        kernel_time: meta.kernel_time,
                        quoted_tos: None,
                        mpls: Vec::new(),
                    })
            }
            (None, Some(sender))
                if meta.local_error.is_none()
                    && sender.ip() == self.config.target
                    && !self.config.paris =>
            {
                Some(TraceReply {
                    id: sender.port().wrapping_sub(self.config.port),
                    from: sender.ip(),
                    kind: ReplyKind::Reached,
                    kernel_time: meta.kernel_time,
                    quoted_tos: None,
                    mpls: Vec::new(),
                })
            }
            _ => None,
        };
        Ok(Some(reply))
    }

    /// One segment from the raw TCP socket: the target's SYN-ACK or RST
    /// to one of this channel's SYNs.
    fn recv_tcp(&mut self) -> io::Result<Option<Option<TraceReply>>> {
        let Way::Tcp {
            tcp, local_port, ..
        } = &self.way
        else {
            return Ok(None);
        };
        let local_port = *local_port;
        let fd = tcp.get_ref().as_raw_fd();
        let meta =
            match ancillary::recv(fd, &mut self.buf, &mut self.control, MsgFlags::MSG_DONTWAIT) {
                Ok(m) => m,
                Err(e) if is_quiet(&e) => return Ok(None),
                Err(e) => return Err(e),
            };
        let data = &self.buf[..meta.len];
        let (from, segment) = if self.family == Family::V4 {
            // Raw IPv4 reads start with the IP header.
            match ipv4::Packet::new_checked(data) {
                Ok(ip) => (IpAddr::V4(ip.src()), &data[ip.header_len()..]),
                Err(_) => return Ok(Some(None)),
            }
        } else {
            match meta.address {
                Some(a) => (a.ip(), data),
                None => return Ok(Some(None)),
            }
        };
        let Ok(p) = tcp::Packet::new_checked(segment) else {
            return Ok(Some(None));
        };
        let answers = p.flags() & (tcp::flags::SYN | tcp::flags::ACK)
            == tcp::flags::SYN | tcp::flags::ACK
            || p.flags() & tcp::flags::RST != 0;
        if from != self.config.target
            || p.src_port() != self.config.port
            || p.dst_port() != local_port
            || !answers
        {
            return Ok(Some(None));
        }
        Ok(Some(u16::try_from(p.ack().wrapping_sub(1) >> 16).ok().map(
            |id| TraceReply {
                id,
                from,
                kind: ReplyKind::Reached,
                kernel_time: meta.kernel_time,
                quoted_tos: None,
                mpls: Vec::new(),
            },
        )))
    }

    /// The first unprivileged TCP probe that has its answer: an ICMP error
    /// on its socket's error queue (time exceeded, unreachable), or the
    /// connection made or refused by the target (reached). Its socket is
    /// closed then (a made connection is reset by the close).
    fn recv_connects(&mut self) -> io::Result<Option<Option<TraceReply>>> {
        let Way::TcpConnect { pending } = &mut self.way else {
            return Ok(None);
        };
        for i in 0..pending.len() {
            let c = &pending[i];
            let fd = c.sock.get_ref().as_raw_fd();
            let flags = MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT;
            let reply = match ancillary::recv(fd, &mut self.buf, &mut self.control, flags) {
                Ok(meta) => {
                    let Some((q, Some(from))) = meta.queued else {
                        continue;
                    };
                    IcmpError::from_type_code(self.family, q.msg_type, q.code, q.info).map(
                        |error| TraceReply {
                            id: c.id,
                            from,
                            kind: if error.is_time_exceeded() {
                                ReplyKind::TimeExceeded
                            } else {
                                ReplyKind::Error(error)
                            },
                            kernel_time: meta.kernel_time,
                            quoted_tos: None,
                            mpls: Vec::new(),
                        },
                    )
                }
                Err(e) if is_quiet(&e) => {
                    let reached = match c.sock.get_ref().take_error()? {
                        Some(e) => e.raw_os_error() == Some(libc::ECONNREFUSED),
                        None if c.sock.get_ref().peer_addr().is_ok() => true,
                        None => continue,
                    };
                    reached.then(|| TraceReply {
                        id: c.id,
                        from: self.config.target,
                        kind: ReplyKind::Reached,
                        kernel_time: None,
                        quoted_tos: None,
                        mpls: Vec::new(),
                    })
                }
                Err(e) => return Err(e),
            };
            pending.swap_remove(i);
            return Ok(Some(reply));
        }
        Ok(None)
    }

    /// The next message on the ICMP socket that is about this channel.
    fn recv_icmp(&mut self) -> io::Result<Option<Option<TraceReply>>> {
        let icmp = match &mut self.way {
            Way::Icmp { icmp, .. } | Way::Tcp { errors: icmp, .. } => icmp,
            Way::Udp {
                errors: Some(icmp), ..
            } => icmp,
            Way::Udp { errors: None, .. } | Way::TcpConnect { .. } => return Ok(None),
        };
        let verified = icmp.checksums_verified();
        let received = match icmp.try_recv_error_queue()? {
            Some(r) => Some(r),
            None => icmp.try_recv()?,
        };
        Ok(received.map(|r| self.reply_from_icmp(&r, verified)))
    }

    fn set_ttl(&mut self, ttl: u8) -> io::Result<()> {
        let v6 = self.v6();
        let sock = match &mut self.way {
            Way::Icmp { icmp, .. } => return icmp.set_ttl(u32::from(ttl)),
            Way::Udp { udp, .. } => udp.get_ref(),
            Way::Tcp { tcp, .. } => tcp.get_ref(),
            Way::TcpConnect { .. } => return Ok(()),
        };
        if v6 {
            sock.set_unicast_hops_v6(u32::from(ttl))
        } else {
            sock.set_ttl_v4(u32::from(ttl))
        }
    }
}

/// A probe's payload of `len` bytes (4 at least): the id, then for Paris
/// the word that keeps the one's-complement sum (so the UDP checksum) the
/// same for every id, then zeros.
fn probe_payload(len: usize, id: u16, paris: bool) -> Vec<u8> {
    let mut p = vec![0u8; len.max(4)];
    p[..2].copy_from_slice(&id.to_be_bytes());
    if paris {
        p[2..4].copy_from_slice(&compensation(id).to_be_bytes());
    }
    p
}

/// The contract's MPLS label from core's entry.
fn mpls_label(e: icmp_ext::MplsEntry) -> MplsLabel {
    MplsLabel {
        label: e.label,
        tc: e.tc,
        bottom: e.bottom,
        ttl: e.ttl,
    }
}

/// The local port the kernel gave a socket.
fn local_port(sock: &Socket) -> Result<u16, TraceError> {
    sock.local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .map(|a| a.port())
        .ok_or_else(|| io_err("reading the local port")(io::ErrorKind::AddrNotAvailable.into()))
}

/// The source address the routing table picks for the target (a UDP
/// socket connected, nothing sent).
fn route_source(config: &ChannelConfig) -> Result<IpAddr, TraceError> {
    let probe = UdpSocket::bind(SocketAddr::new(unspecified(config.target.is_ipv6()), 0))
        .map_err(io_err("looking up the source address"))?;
    if let Some(i) = &config.interface {
        socket2::SockRef::from(&probe)
            .bind_device(Some(i.as_bytes()))
            .map_err(io_err("binding to the interface"))?;
    }
    probe
        .connect(SocketAddr::new(config.target, config.port.max(1)))
        .map_err(io_err("looking up the source address"))?;
    probe
        .local_addr()
        .map(|a| a.ip())
        .map_err(io_err("looking up the source address"))
}

/// The MTU the kernel knows for the route to the target: `IP_MTU` /
/// `IPV6_MTU` of a UDP socket connected there (bound as the probes are),
/// the outgoing link's or a smaller path MTU it learnt. None when it will
/// not say.
fn route_mtu(config: &ChannelConfig) -> Option<u16> {
    let v6 = config.target.is_ipv6();
    let probe =
        UdpSocket::bind(SocketAddr::new(config.source.unwrap_or(unspecified(v6)), 0)).ok()?;
    if let Some(i) = &config.interface {
        socket2::SockRef::from(&probe)
            .bind_device(Some(i.as_bytes()))
            .ok()?;
    }
    probe
        .connect(SocketAddr::new(config.target, config.port.max(1)))
        .ok()?;
    let (level, name) = if v6 {
        (libc::IPPROTO_IPV6, libc::IPV6_MTU)
    } else {
        (libc::IPPROTO_IP, libc::IP_MTU)
    };
    let mut mtu: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `mtu` and `len` are valid for writes for the call; `len`
    // holds the size of `mtu`; the descriptor is owned by `probe`.
    let rc = unsafe {
        libc::getsockopt(
            probe.as_raw_fd(),
            level,
            name,
            (&raw mut mtu).cast(),
            &raw mut len,
        )
    };
    (rc == 0).then(|| u16::try_from(mtu).ok()).flatten()
}

impl TraceSocket {
    /// Send one probe as the protocol sends it.
    fn send_probe(&mut self, probe: &ProbeSpec) -> Result<(), SendError> {
        self.set_ttl(probe.ttl).map_err(SendError::Io)?;
        let target = self.config.target;
        let payload = self.payload(probe);
        match &mut self.way {
            Way::TcpConnect { pending } => {
                let sock = connect(&self.config, probe.ttl)?;
                pending.push(Connecting { id: probe.id, sock });
                Ok(())
            }
            Way::Icmp { icmp, ident } => {
                // The sequence carries the id; for Paris the payload's
                // first word compensates it, so the checksum stays.
                let mut b = vec![0u8; 8];
                b.extend_from_slice(&payload);
                let first = if self.config.paris {
                    compensation(probe.id)
                } else {
                    0
                };
                b[8..10].copy_from_slice(&first.to_be_bytes());
                b[10..12].fill(0);
                ipkit_core::wire::icmp::write_echo_request(self.family, &mut b, *ident, probe.id)
                    .map_err(|e| SendError::Io(io::Error::other(e)))?;
                // Sent on the registered socket itself: ping's `send` words
                // the errno, which the pending-error retry needs.
                let sock = icmp.async_fd().get_ref();
                let to = SockAddr::from(SocketAddr::new(target, 0));
                send_clearing_errors(sock, || sock.send_to(&b, &to).map(drop))
            }
            Way::Udp { udp, .. } => {
                let port = if self.config.paris {
                    self.config.port
                } else {
                    self.config.port.wrapping_add(probe.id)
                };
                let to = SockAddr::from(SocketAddr::new(target, port));
                let sock = udp.get_ref();
                send_clearing_errors(sock, || sock.send_to(&payload, &to).map(drop))
            }
            Way::Tcp {
                tcp,
                source,
                local_port,
                ..
            } => {
                let syn = tcp::Repr {
                    src_port: *local_port,
                    dst_port: self.config.port,
                    seq: u32::from(probe.id) << 16,
                    ack: 0,
                    flags: tcp::flags::SYN,
                    window: 64_240,
                    options: &[],
                    payload: &[],
                };
                let mut b = vec![0u8; syn.buffer_len()];
                syn.emit(&mut b, *source, target)
                    .map_err(|e| SendError::Io(io::Error::other(e)))?;
                tcp.get_ref()
                    .send_to(&b, &SockAddr::from(SocketAddr::new(target, 0)))
                    .map(drop)
                    .map_err(send_error)
            }
        }
    }
}

/// The gateways of `config`'s loose source route, as `a, b`.
fn gateways(config: &ChannelConfig) -> String {
    config
        .loose_route
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The kernel's refusal of the loose source route, as the trace's error.
fn loose_route_refused(config: &ChannelConfig, source: io::Error) -> TraceError {
    TraceError::LooseRoute {
        via: gateways(config),
        source,
    }
}

/// Send every probe of `sock` with these IPv4 options (`IP_OPTIONS`; for
/// a source route the kernel sends to the first gateway).
fn set_ip_options(sock: &Socket, options: &[u8]) -> io::Result<()> {
    setsockopt_bytes(sock, libc::IPPROTO_IP, libc::IP_OPTIONS, options)
}

/// One `setsockopt` of a byte string (options neither nix nor socket2 has).
fn setsockopt_bytes(sock: &Socket, level: i32, name: i32, value: &[u8]) -> io::Result<()> {
    let len = libc::socklen_t::try_from(value.len()).map_err(|_| io::ErrorKind::InvalidInput)?;
    // SAFETY: `value` is valid for reads of `len` bytes for the call; the
    // descriptor is owned by `sock`.
    let rc = unsafe { libc::setsockopt(sock.as_raw_fd(), level, name, value.as_ptr().cast(), len) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// tracert's `-R`: ask the kernel for the IPv6 type 0 routing header a
/// round trip needs (RFC 2460 §4.4: to the target, and back), on a UDP
/// socket of its own. Linux refuses type 0 (`IPV6_RTHDR`: EINVAL, since
/// RFC 5095 deprecated it): that refusal is the error. A kernel that took
/// it would still get none of ipkit's probes that way: ipkit sends no
/// round-trip traces, and says so.
fn round_trip_header(config: &ChannelConfig) -> Result<(), TraceError> {
    let sock = Socket::new(Domain::IPV6, Type::DGRAM, Some(SockProtocol::UDP))
        .map_err(io_err("opening a UDP socket"))?;
    let IpAddr::V6(target) = config.target else {
        return Err(TraceError::RoundTrip {
            source: io::ErrorKind::InvalidInput.into(),
        });
    };
    // Next header (the kernel's), length in 8-byte units past the first
    // 8, type 0, segments left 1, 4 reserved bytes, then the address.
    let mut header = vec![0u8, 2, 0, 1, 0, 0, 0, 0];
    header.extend_from_slice(&target.octets());
    let set = setsockopt_bytes(&sock, libc::IPPROTO_IPV6, libc::IPV6_RTHDR, &header);
    let source = match set {
        Ok(()) => io::Error::new(
            io::ErrorKind::Unsupported,
            "the kernel took it, but ipkit sends no round-trip traces",
        ),
        Err(e) => e,
    };
    Err(TraceError::RoundTrip { source })
}

/// Source, interface, TOS, DF and timestamps, the same on every socket.
fn configure(sock: &Socket, config: &ChannelConfig, source: IpAddr) -> Result<(), TraceError> {
    let v6 = config.family == Family::V6;
    sock.bind(&SocketAddr::new(source, 0).into())
        .map_err(io_err("binding the source address"))?;
    if let Some(i) = &config.interface {
        sock.bind_device(Some(i.as_bytes()))
            .map_err(io_err("binding to the interface"))?;
    }
    if let Some(t) = config.tos {
        if v6 {
            sock.set_tclass_v6(u32::from(t))
        } else {
            sock.set_tos_v4(u32::from(t))
        }
        .map_err(io_err("setting the TOS"))?;
    }
    ancillary::set_dont_fragment(sock, v6, config.dont_fragment).map_err(io_err("setting DF"))?;
    let options = config.ip_options();
    if !options.is_empty() {
        set_ip_options(sock, &options).map_err(|e| loose_route_refused(config, e))?;
    }
    nix_socket::setsockopt(sock, sockopt::ReceiveTimestampns, &true)
        .map_err(nix_err("asking for timestamps"))?;
    sock.set_nonblocking(true)
        .map_err(io_err("making the socket non-blocking"))
}

fn register(sock: Socket) -> Result<AsyncFd<Socket>, TraceError> {
    // SAFETY: the descriptor is owned by `sock`, which the AsyncFd owns
    // from here on; it stays open, and `as_raw_fd` returns the same
    // descriptor, until the AsyncFd is dropped.
    unsafe { AsyncFd::register_with_interest(sock, Interest::READABLE | Interest::ERROR) }
        .map_err(|e| e.into_parts().1)
        .map_err(io_err(
            "registering the socket with the async runtime (run inside tokio with IO enabled)",
        ))
}

/// The UDP socket probes leave from; with `recv_errors`, its error queue
/// gets the ICMP errors about them (IP_RECVERR / IPV6_RECVERR).
fn open_udp(config: &ChannelConfig, recv_errors: bool) -> Result<AsyncFd<Socket>, TraceError> {
    let v6 = config.family == Family::V6;
    let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
    let sock = Socket::new(domain, Type::DGRAM, Some(SockProtocol::UDP))
        .map_err(io_err("opening a UDP socket"))?;
    configure(&sock, config, config.source.unwrap_or(unspecified(v6)))?;
    if recv_errors {
        if v6 {
            nix_socket::setsockopt(&sock, sockopt::Ipv6RecvErr, &true)
                .and_then(|()| nix_socket::setsockopt(&sock, sockopt::Ipv6RecvHopLimit, &true))
        } else {
            nix_socket::setsockopt(&sock, sockopt::Ipv4RecvErr, &true)
                .and_then(|()| nix_socket::setsockopt(&sock, sockopt::Ipv4RecvTtl, &true))
        }
        .map_err(nix_err("asking for ICMP errors"))?;
    }
    register(sock)
}

/// The raw TCP socket SYNs leave from and SYN-ACKs / RSTs arrive on.
fn open_raw_tcp(config: &ChannelConfig, source: IpAddr) -> io::Result<AsyncFd<Socket>> {
    let v6 = config.family == Family::V6;
    let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
    let sock = Socket::new(domain, Type::RAW, Some(SockProtocol::TCP))?;
    configure(&sock, config, source).map_err(|e| match e {
        TraceError::Io { source, .. } => source,
        other => io::Error::other(other.to_string()),
    })?;
    register(sock).map_err(|e| match e {
        TraceError::Io { source, .. } => source,
        other => io::Error::other(other.to_string()),
    })
}

/// Whether opening a socket failed for want of privilege.
fn is_refused(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EPERM | libc::EACCES))
}

/// Start one unprivileged TCP probe: a socket with this TTL and IP_RECVERR
/// whose non-blocking `connect()` sends the SYN.
fn connect(config: &ChannelConfig, ttl: u8) -> Result<AsyncFd<Socket>, SendError> {
    let v6 = config.family == Family::V6;
    let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
    let opened = || -> Result<Socket, TraceError> {
        let sock = Socket::new(domain, Type::STREAM, Some(SockProtocol::TCP))
            .map_err(io_err("opening a TCP socket"))?;
        configure(&sock, config, config.source.unwrap_or(unspecified(v6)))?;
        if v6 {
            sock.set_unicast_hops_v6(u32::from(ttl))
        } else {
            sock.set_ttl_v4(u32::from(ttl))
        }
        .map_err(io_err("setting the TTL"))?;
        if v6 {
            nix_socket::setsockopt(&sock, sockopt::Ipv6RecvErr, &true)
        } else {
            nix_socket::setsockopt(&sock, sockopt::Ipv4RecvErr, &true)
        }
        .map_err(nix_err("asking for ICMP errors"))?;
        // One retransmission at most (the least Linux allows): a silent
        // hop's socket stops sending SYNs after about 3 s.
        ancillary::setsockopt_int(&sock, libc::IPPROTO_TCP, libc::TCP_SYNCNT, 1)
            .map_err(io_err("limiting SYN retransmissions"))?;
        Ok(sock)
    };
    let sock = opened().map_err(|e| match e {
        TraceError::Io { source, .. } => SendError::Io(source),
        other => SendError::Io(io::Error::other(other.to_string())),
    })?;
    match sock.connect(&SocketAddr::new(config.target, config.port).into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) if e.raw_os_error() == Some(libc::ECONNREFUSED) => {}
        Err(e) => return Err(send_error(e)),
    }
    // SAFETY: as in `register`: the AsyncFd owns the descriptor from here on.
    unsafe {
        AsyncFd::register_with_interest(
            sock,
            Interest::READABLE | Interest::WRITABLE | Interest::ERROR,
        )
    }
    .map_err(|e| SendError::Io(e.into_parts().1))
}

/// Wait until one of the unprivileged TCP probes has its answer (its
/// socket writable, closed or with an error), or `limit` passes.
async fn wait_connects(pending: &[Connecting], limit: Duration) -> io::Result<()> {
    let any = std::future::poll_fn(|cx| {
        for c in pending {
            if let Poll::Ready(r) = c.sock.poll_write_ready(cx) {
                return Poll::Ready(r.map(|mut g| g.clear_ready()));
            }
        }
        Poll::Pending
    });
    match tokio::time::timeout(limit, any).await {
        Ok(r) => r,
        Err(_elapsed) => Ok(()),
    }
}

/// Send on a socket whose ICMP errors are queued (UDP, the ICMP datagram
/// socket): an error pending from an earlier probe's ICMP (the socket's
/// `SO_ERROR`) would fail this send, so it is cleared first, and once more
/// if one arrived in between.
fn send_clearing_errors(
    sock: &Socket,
    mut send: impl FnMut() -> io::Result<()>,
) -> Result<(), SendError> {
    let mut retried = false;
    loop {
        let _ = sock.take_error();
        match send() {
            Ok(()) => return Ok(()),
            Err(e) if !retried && pending_icmp_errno(&e) => retried = true,
            Err(e) => return Err(send_error(e)),
        }
    }
}

/// Errnos a queued ICMP error leaves pending on a socket.
fn pending_icmp_errno(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(
            libc::ECONNREFUSED
                | libc::EHOSTUNREACH
                | libc::ENETUNREACH
                | libc::EPROTO
                | libc::EMSGSIZE
                | libc::EACCES
        )
    )
}

fn send_error(e: io::Error) -> SendError {
    ancillary::local_error(e).map_or_else(SendError::Io, SendError::Local)
}

impl TraceChannel for TraceSocket {
    fn unprivileged(&self) -> bool {
        match &self.way {
            Way::Icmp { icmp, .. } => icmp.kind == IcmpKind::Datagram,
            Way::Udp { errors, .. } => errors.is_none(),
            Way::Tcp { .. } => false,
            Way::TcpConnect { .. } => true,
        }
    }

    fn send(&mut self, probe: &ProbeSpec) -> Result<(), SendError> {
        match self.send_probe(probe) {
            // Too big with DF: say the MTU the kernel knows for the route,
            // as tracepath does (`pmtu N`).
            Err(SendError::Local(LocalError::MessageTooLong { mtu: None })) => {
                Err(SendError::Local(LocalError::MessageTooLong {
                    mtu: route_mtu(&self.config),
                }))
            }
            // Along a loose source route, a send the kernel will not make
            // (a broadcast gateway: EACCES; a route it cannot use: EINVAL)
            // is the route's fault: the trace stops and says so.
            Err(SendError::Io(e))
                if !self.config.loose_route.is_empty()
                    && matches!(
                        e.raw_os_error(),
                        Some(libc::EACCES | libc::EPERM | libc::EINVAL)
                    ) =>
            {
                Err(SendError::Refused(loose_route_refused(&self.config, e)))
            }
            other => other,
        }
    }

    fn try_recv(&mut self) -> io::Result<Option<TraceReply>> {
        // Read every source until one gives a reply of ours or all are
        // empty (readiness was cleared by `wait`).
        loop {
            let mut any = false;
            for source in 0..5 {
                let got = match source {
                    0 => self.recv_udp(MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT)?,
                    1 => self.recv_udp(MsgFlags::MSG_DONTWAIT)?,
                    2 => self.recv_tcp()?,
                    3 => self.recv_connects()?,
                    _ => self.recv_icmp()?,
                };
                if let Some(read) = got {
                    any = true;
                    if let Some(reply) = read {
                        return Ok(Some(reply));
                    }
                }
            }
            if !any {
                return Ok(None);
            }
        }
    }

    async fn wait(&self, limit: Duration) -> io::Result<()> {
        let (first, second) = match &self.way {
            Way::TcpConnect { pending } => return wait_connects(pending, limit).await,
            Way::Icmp { icmp, .. } => (icmp.async_fd(), None),
            Way::Udp { udp, errors, .. } => (udp, errors.as_ref().map(IcmpSocket::async_fd)),
            Way::Tcp { tcp, errors, .. } => (tcp, Some(errors.async_fd())),
        };
        let interest = Interest::READABLE | Interest::ERROR;
        let mut a = pin!(first.ready(interest));
        let mut b = pin!(async {
            match second {
                Some(fd) => fd.ready(interest).await.map(Some),
                None => std::future::pending().await,
            }
        });
        let either = std::future::poll_fn(|cx| {
            if let Poll::Ready(r) = a.as_mut().poll(cx) {
                return Poll::Ready(r.map(|mut g| g.clear_ready()));
            }
            if let Poll::Ready(r) = b.as_mut().poll(cx) {
                return Poll::Ready(r.map(|g| {
                    if let Some(mut g) = g {
                        g.clear_ready();
                    }
                }));
            }
            Poll::Pending
        });
        match tokio::time::timeout(limit, either).await {
            Ok(r) => r,
            Err(_elapsed) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipkit_core::wire::udp;

    fn udp_checksum(payload: &[u8]) -> u16 {
        let (src, dst): (IpAddr, IpAddr) = (
            "192.0.2.1".parse().unwrap(),
            "198.51.100.9".parse().unwrap(),
        );
        let r = udp::Repr {
            src_port: 40_000,
            dst_port: 33_434,
            payload,
        };
        let mut b = vec![0u8; 8 + payload.len()];
        r.emit(&mut b, src, dst).unwrap();
        udp::Packet::new_checked(&b[..]).unwrap().checksum()
    }

    #[test]
    fn paris_payloads_keep_the_checksum_and_carry_the_id() {
        let first = udp_checksum(&probe_payload(32, 1, true));
        for id in [2, 300, 0x7fff, 0xfffe, 0] {
            let p = probe_payload(32, id, true);
            assert_eq!(udp_checksum(&p), first, "id {id}");
            assert_eq!(u16::from_be_bytes([p[0], p[1]]), id);
        }
        assert_ne!(
            udp_checksum(&probe_payload(32, 1, false)),
            udp_checksum(&probe_payload(32, 2, false)),
            "classic probes differ (their ports carry the id)"
        );
        assert_eq!(probe_payload(0, 5, false).len(), 4);
    }
}
