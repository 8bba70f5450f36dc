//! ICMP channels on Linux ([`crate::probe::IcmpChannel`]): a raw socket
//! when the process may open one (CAP_NET_RAW), otherwise the unprivileged
//! ICMP datagram socket (`net.ipv4.ping_group_range`). Received packets come
//! with their TTL or hop limit, the kernel's receive timestamp
//! (SO_TIMESTAMPNS) and IPv4 options, read from control messages with nix's
//! `recvmsg` (`ControlMessageOwned`); a datagram socket's ICMP errors come
//! from its error queue (`IP_RECVERR`, `sock_extended_err`) and are handed
//! on as [`QueuedError`]s for core's decoder. Readiness is tokio's `AsyncFd`.
//!
//! Hand-written, and why: `IP_MTU_DISCOVER`/`IPV6_MTU_DISCOVER`,
//! `IP_OPTIONS` and `IP_RECVOPTS` (neither nix 0.30 nor socket2 0.6 has
//! them) are one `setsockopt` each; the sweep's batches use `sendmmsg` and
//! `recvmmsg` ([`super::mmsg`], measured in bench/ping.sh), whose sender
//! addresses are decoded here from the `sockaddr_storage` the kernel wrote.
#![allow(unsafe_code)]

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd};
use std::time::Duration;

use ipkit_core::wire::icmp::Family;
use nix::sys::socket::{self as nix_socket, MsgFlags, sockopt};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::ping::PingError;
use crate::privilege::Needs;
use crate::probe::{ChannelConfig, IcmpChannel, Received, RecvBatch, SendError, Slot};
use crate::sys::is_quiet;

/// Which kind of ICMP socket was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcmpKind {
    /// SOCK_RAW: sees every ICMP packet; IPv4 reads include the IP header.
    Raw,
    /// SOCK_DGRAM/IPPROTO_ICMP: unprivileged; the kernel sets the identifier
    /// and delivers only replies to this socket.
    Datagram,
}

/// An open ICMP socket, registered with the tokio reactor.
#[derive(Debug)]
pub struct IcmpSocket {
    fd: AsyncFd<Socket>,
    /// Raw or datagram.
    pub kind: IcmpKind,
    family: Family,
    /// Receive buffer for one message, and its control messages.
    buf: Vec<u8>,
    control: Vec<u8>,
    /// Scratch for a `recvmmsg` batch: lengths and sender addresses.
    lens: Vec<usize>,
    names: Vec<libc::sockaddr_storage>,
}

fn io_err(op: &'static str) -> impl Fn(io::Error) -> PingError {
    move |source| PingError::Io { op, source }
}

fn nix_err(op: &'static str) -> impl Fn(nix::Error) -> PingError {
    move |e| PingError::Io {
        op,
        source: e.into(),
    }
}

impl IcmpSocket {
    /// Open a raw socket, or the datagram socket when raw is not permitted,
    /// configure it and register it with the running tokio reactor. The
    /// error says what is missing when neither may be opened.
    pub fn open(family: Family, config: &ChannelConfig) -> Result<IcmpSocket, PingError> {
        let v6 = family == Family::V6;
        let (domain, proto) = if v6 {
            (Domain::IPV6, Protocol::ICMPV6)
        } else {
            (Domain::IPV4, Protocol::ICMPV4)
        };
        let (sock, kind) = match Socket::new(domain, Type::RAW, Some(proto)) {
            Ok(s) => (s, IcmpKind::Raw),
            Err(raw) if matches!(raw.raw_os_error(), Some(libc::EPERM | libc::EACCES)) => {
                match Socket::new(domain, Type::DGRAM, Some(proto)) {
                    Ok(s) => (s, IcmpKind::Datagram),
                    Err(_) => {
                        return Err(PingError::NoPrivilege {
                            needs: Needs::IcmpSocket,
                            v6,
                        });
                    }
                }
            }
            Err(e) => return Err(io_err("opening an ICMP socket")(e)),
        };
        if v6 {
            nix_socket::setsockopt(&sock, sockopt::Ipv6RecvHopLimit, &true)
                .map_err(nix_err("asking for hop limits"))?;
        } else if kind == IcmpKind::Datagram {
            nix_socket::setsockopt(&sock, sockopt::Ipv4RecvTtl, &true)
                .map_err(nix_err("asking for TTLs"))?;
        }
        nix_socket::setsockopt(&sock, sockopt::ReceiveTimestampns, &true)
            .map_err(nix_err("asking for timestamps"))?;
        if kind == IcmpKind::Datagram {
            // A datagram socket never reads ICMP errors itself: the kernel
            // queues them on the socket's error queue (read in `recv`).
            if v6 {
                nix_socket::setsockopt(&sock, sockopt::Ipv6RecvErr, &true)
            } else {
                nix_socket::setsockopt(&sock, sockopt::Ipv4RecvErr, &true)
            }
            .map_err(nix_err("asking for ICMP errors"))?;
        }
        // A sweep's replies arrive in bursts: ask for 32 MiB, beyond rmem_max
        // when privileged (SO_RCVBUFFORCE), else as much as rmem_max allows.
        if nix_socket::setsockopt(&sock, sockopt::RcvBufForce, &(32 << 20)).is_err() {
            let _ = sock.set_recv_buffer_size(32 << 20);
        }
        // Non-blocking: the engines wait for readiness (tokio's AsyncFd).
        sock.set_nonblocking(true)
            .map_err(io_err("making the socket non-blocking"))?;
        let interest = Interest::READABLE | Interest::ERROR;
        // SAFETY: the descriptor is owned by `sock`, which the AsyncFd owns
        // from here on; it stays open, and `as_raw_fd` returns the same
        // descriptor, until the AsyncFd is dropped.
        let fd = unsafe { AsyncFd::register_with_interest(sock, interest) }
            .map_err(|e| e.into_parts().1)
            .map_err(io_err(
                "registering the socket with the async runtime (run inside tokio with IO enabled)",
            ))?;
        let mut s = IcmpSocket {
            fd,
            kind,
            family,
            buf: vec![0u8; 65_536],
            control: vec![0u8; 512],
            lens: Vec::new(),
            names: Vec::new(),
        };
        s.configure(config)?;
        Ok(s)
    }

    fn sock(&self) -> &Socket {
        self.fd.get_ref()
    }

    fn v6(&self) -> bool {
        self.family == Family::V6
    }

    /// Where and how probes leave: the source address (bound even when
    /// None, so a datagram socket gets its identifier), the interface, the
    /// TTL / hop limit, the TOS, DF, IPv4 options and broadcast.
    fn configure(&mut self, c: &ChannelConfig) -> Result<(), PingError> {
        let v6 = self.v6();
        let sock = self.sock();
        let ip = c.source.unwrap_or(if v6 {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        });
        sock.bind(&SocketAddr::new(ip, 0).into())
            .map_err(io_err("binding the source address"))?;
        if let Some(i) = &c.interface {
            sock.bind_device(Some(i.as_bytes()))
                .map_err(io_err("binding to the interface"))?;
        }
        if let Some(t) = c.ttl {
            self.set_hops(t).map_err(io_err("setting the TTL"))?;
        }
        if let Some(t) = c.tos {
            if v6 {
                sock.set_tclass_v6(t)
            } else {
                sock.set_tos_v4(t)
            }
            .map_err(io_err("setting the TOS"))?;
        }
        if c.dont_fragment {
            super::ancillary::set_dont_fragment(sock, v6, true)
                .map_err(io_err("forbidding fragmentation"))?;
        }
        if !c.ip_options.is_empty() {
            self.set_ip_options(&c.ip_options)
                .map_err(io_err("setting IP options"))?;
        }
        if c.broadcast {
            let _ = self.sock().set_broadcast(true);
        }
        Ok(())
    }

    /// The TTL / hop limit of what is sent from now on.
    fn set_hops(&self, ttl: u32) -> io::Result<()> {
        if self.v6() {
            self.sock().set_unicast_hops_v6(ttl)
        } else {
            self.sock().set_ttl_v4(ttl)
        }
    }

    /// Send every probe with these IPv4 options (`IP_OPTIONS`), and read
    /// the options of what comes back. For source routes the last address
    /// is the destination's slot: the kernel sends to the first hop and
    /// writes the destination there.
    fn set_ip_options(&self, options: &[u8]) -> io::Result<()> {
        // SAFETY: `options` is valid for its length for the duration of the call.
        let rc = unsafe {
            libc::setsockopt(
                self.sock().as_raw_fd(),
                libc::IPPROTO_IP,
                libc::IP_OPTIONS,
                options.as_ptr().cast(),
                libc::socklen_t::try_from(options.len()).unwrap_or(0),
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        if self.kind == IcmpKind::Datagram {
            super::ancillary::setsockopt_int(self.sock(), libc::IPPROTO_IP, libc::IP_RECVOPTS, 1)?;
        }
        Ok(())
    }

    /// Read one message with `flags` (the error queue with MSG_ERRQUEUE).
    fn recv_flags(&mut self, flags: MsgFlags) -> io::Result<Option<Received>> {
        let fd = self.fd.get_ref().as_raw_fd();
        let meta = super::ancillary::recv(fd, &mut self.buf, &mut self.control, flags)?;
        let data = &self.buf[..meta.len];
        let (mut ttl, kernel_time, mut ip_options) = (meta.ttl, meta.kernel_time, meta.ip_options);
        if meta.local_error.is_some() {
            // Only errors that came as ICMP (not local ones, like EMSGSIZE).
            return Ok(None);
        }
        if let Some((queued, offender)) = meta.queued {
            return Ok(offender.map(|from| Received {
                from,
                icmp: data.to_vec(),
                queued: Some(queued),
                ttl,
                kernel_time,
                ip_options,
            }));
        }
        let Some(from) = meta.address.map(|a| a.ip()) else {
            return Ok(None);
        };
        let icmp = if !self.v6() && self.kind == IcmpKind::Raw {
            // Raw IPv4 reads start with the IP header.
            match ipkit_core::wire::ipv4::Packet::new_checked(data) {
                Ok(ip) => {
                    ttl = Some(ip.ttl());
                    ip_options = ip.options().to_vec();
                    data[ip.header_len()..].to_vec()
                }
                Err(_) => return Ok(None),
            }
        } else {
            data.to_vec()
        };
        Ok(Some(Received {
            from,
            icmp,
            queued: None,
            ttl,
            kernel_time,
            ip_options,
        }))
    }

    /// Read one message from a datagram socket's error queue, if any (the
    /// tracer clears the socket's pending error before each send, so it
    /// cannot wait for that error to say the queue has something).
    pub(crate) fn try_recv_error_queue(&mut self) -> io::Result<Option<Received>> {
        if self.kind != IcmpKind::Datagram {
            return Ok(None);
        }
        match self.recv_flags(MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT) {
            Err(e) if is_quiet(&e) => Ok(None),
            other => other,
        }
    }

    /// The registered descriptor (the tracer waits on it with its own).
    pub(crate) fn async_fd(&self) -> &AsyncFd<Socket> {
        &self.fd
    }
}

impl IcmpChannel for IcmpSocket {
    fn kernel_ident(&self) -> Option<u16> {
        if self.kind != IcmpKind::Datagram {
            return None;
        }
        self.sock()
            .local_addr()
            .ok()
            .and_then(|a| a.as_socket())
            .map(|a| a.port())
    }

    fn checksums_verified(&self) -> bool {
        self.kind == IcmpKind::Datagram || self.v6()
    }

    fn set_ttl(&mut self, ttl: u32) -> io::Result<()> {
        self.set_hops(ttl)
    }

    /// `IP_TTL` / `IPV6_UNICAST_HOPS`: until set, Linux answers with
    /// `net.ipv4.ip_default_ttl` / the hop limit of the route or the
    /// interface configuration.
    fn ttl(&self) -> io::Result<u32> {
        if self.v6() {
            self.sock().unicast_hops_v6()
        } else {
            self.sock().ttl_v4()
        }
    }

    fn send(&mut self, icmp: &[u8], dst: IpAddr) -> Result<(), SendError> {
        match self
            .sock()
            .send_to(icmp, &SockAddr::from(SocketAddr::new(dst, 0)))
        {
            Ok(_) => Ok(()),
            Err(e) => {
                Err(super::ancillary::local_error(e).map_or_else(SendError::Io, SendError::Local))
            }
        }
    }

    /// One `sendmmsg(2)`; stops early (returns fewer) when the socket buffer is full.
    fn send_batch(&mut self, packets: &[(IpAddr, &[u8])]) -> io::Result<usize> {
        let addrs: Vec<SockAddr> = packets
            .iter()
            .map(|(ip, _)| SockAddr::from(SocketAddr::new(*ip, 0)))
            .collect();
        let datagrams: Vec<&[u8]> = packets.iter().map(|(_, b)| *b).collect();
        super::mmsg::send_mmsg(self.sock().as_raw_fd(), &addrs, &datagrams)
    }

    /// On a datagram socket an ICMP error for one of its probes comes from
    /// the error queue.
    fn try_recv(&mut self) -> io::Result<Option<Received>> {
        match self.recv_flags(MsgFlags::MSG_DONTWAIT) {
            Err(e) if self.kind == IcmpKind::Datagram && !is_quiet(&e) => {
                // The kernel reports a queued error once through recvmsg;
                // its details wait on the error queue.
                self.recv_flags(MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT)
                    .or_else(|q| if is_quiet(&q) { Ok(None) } else { Err(e) })
            }
            Err(e) if is_quiet(&e) => Ok(None),
            other => other,
        }
    }

    /// One `recvmmsg(2)`, then (datagram sockets) the error queue.
    fn try_recv_batch(&mut self, batch: &mut RecvBatch) -> io::Result<usize> {
        let count = batch.capacity();
        batch.filled = 0;
        if count == 0 {
            return Ok(0);
        }
        if self.names.len() < count {
            // SAFETY: sockaddr_storage is plain data.
            self.names
                .resize_with(count, || unsafe { std::mem::zeroed() });
            self.lens.resize(count, 0);
        }
        // MSG_DONTWAIT takes what is queued and returns.
        let rc = super::mmsg::recv_mmsg(
            self.sock().as_raw_fd(),
            &mut batch.bufs[..count],
            &mut self.lens[..count],
            Some(&mut self.names[..count]),
            libc::MSG_DONTWAIT,
        );
        let mut got = 0;
        match rc {
            Err(e) if !is_quiet(&e) && self.kind != IcmpKind::Datagram => return Err(e),
            Err(_) => {}
            Ok(n) => got = n,
        }
        let raw_v4 = !self.v6() && self.kind == IcmpKind::Raw;
        for i in 0..got {
            let b = &batch.bufs[i][..self.lens[i].min(batch.bufs[i].len())];
            // Raw IPv4 reads start with the IP header.
            let start = if raw_v4 {
                ipkit_core::wire::ipv4::Packet::new_checked(b).map_or(b.len(), |ip| ip.header_len())
            } else {
                0
            };
            batch.slots[i] = Slot {
                from: sender(&self.names[i]),
                start,
                len: b.len().saturating_sub(start),
                queued: None,
            };
        }
        batch.filled = got;
        if self.kind == IcmpKind::Datagram {
            // A datagram socket's ICMP errors wait on its error queue (the
            // pending error recvmmsg or a send reports once says only that
            // there is one).
            while batch.filled < count {
                match self.recv_flags(MsgFlags::MSG_ERRQUEUE | MsgFlags::MSG_DONTWAIT) {
                    Ok(Some(r)) => {
                        batch.push(&r);
                    }
                    Ok(None) => {}
                    Err(q) if is_quiet(&q) => break,
                    Err(q) => return Err(q),
                }
            }
        }
        Ok(batch.filled)
    }

    async fn wait(&self, limit: Duration) -> io::Result<()> {
        let interest = Interest::READABLE | Interest::ERROR;
        match tokio::time::timeout(limit, self.fd.ready(interest)).await {
            Ok(Ok(mut guard)) => {
                guard.clear_ready();
                Ok(())
            }
            Ok(Err(e)) => Err(e),
            Err(_elapsed) => Ok(()),
        }
    }
}

impl AsFd for IcmpSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.sock().as_fd()
    }
}

/// The sender of a batch's message, from the address the kernel wrote.
fn sender(name: &libc::sockaddr_storage) -> Option<IpAddr> {
    match i32::from(name.ss_family) {
        libc::AF_INET => {
            // SAFETY: the kernel wrote a sockaddr_in for an AF_INET peer.
            let sin = unsafe { *(&raw const *name).cast::<libc::sockaddr_in>() };
            Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                sin.sin_addr.s_addr,
            ))))
        }
        libc::AF_INET6 => {
            // SAFETY: the kernel wrote a sockaddr_in6 for an AF_INET6 peer.
            let sin6 = unsafe { *(&raw const *name).cast::<libc::sockaddr_in6>() };
            Some(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)))
        }
        _ => None,
    }
}
