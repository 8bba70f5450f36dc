//! ICMP sockets on Linux: a raw socket when the process may open one
//! (CAP_NET_RAW), otherwise the unprivileged ICMP datagram socket
//! (`net.ipv4.ping_group_range`); received packets come with their TTL or
//! hop limit and the kernel's receive timestamp (SO_TIMESTAMPNS), read from
//! control messages with `recvmsg(2)`.
#![allow(unsafe_code)]

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

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

/// A received ICMP message.
#[derive(Debug, Clone)]
pub struct Received {
    /// Who sent it.
    pub from: IpAddr,
    /// The ICMP message (IP header removed).
    pub icmp: Vec<u8>,
    /// TTL / hop limit of the packet, when known.
    pub ttl: Option<u8>,
    /// Kernel receive time (CLOCK_REALTIME), when the kernel gave it.
    pub kernel_time: Option<Duration>,
    /// The IPv4 options of the packet that carried it (empty when none).
    pub ip_options: Vec<u8>,
}

/// An open ICMP socket.
#[derive(Debug)]
pub struct IcmpSocket {
    sock: Socket,
    /// Raw or datagram.
    pub kind: IcmpKind,
    /// IPv6 (ICMPv6) or IPv4.
    pub v6: bool,
}

fn setsockopt_int(fd: i32, level: i32, name: i32, value: i32) -> io::Result<()> {
    // SAFETY: `value` is a valid c_int for the duration of the call; the
    // length passed is its size.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&raw const value).cast(),
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

impl IcmpSocket {
    /// Open a raw socket, or the datagram socket when raw is not permitted.
    /// The error says which capability or sysctl is missing.
    pub fn open(v6: bool) -> Result<IcmpSocket, crate::ping::PingError> {
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
                    Err(_) => return Err(crate::ping::PingError::NoPrivilege { v6 }),
                }
            }
            Err(e) => {
                return Err(crate::ping::PingError::Io {
                    op: "opening an ICMP socket",
                    source: e,
                });
            }
        };
        let fd = sock.as_raw_fd();
        let io_err = |op| move |source| crate::ping::PingError::Io { op, source };
        if v6 {
            setsockopt_int(fd, libc::IPPROTO_IPV6, libc::IPV6_RECVHOPLIMIT, 1)
                .map_err(io_err("asking for hop limits"))?;
        } else if kind == IcmpKind::Datagram {
            setsockopt_int(fd, libc::IPPROTO_IP, libc::IP_RECVTTL, 1)
                .map_err(io_err("asking for TTLs"))?;
        }
        setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, 1)
            .map_err(io_err("asking for timestamps"))?;
        if kind == IcmpKind::Datagram {
            // A datagram socket never reads ICMP errors itself: the kernel
            // queues them on the socket's error queue (read in `recv`).
            let (level, name) = if v6 {
                (libc::IPPROTO_IPV6, libc::IPV6_RECVERR)
            } else {
                (libc::IPPROTO_IP, libc::IP_RECVERR)
            };
            setsockopt_int(fd, level, name, 1).map_err(io_err("asking for ICMP errors"))?;
        }
        // A sweep's replies arrive in bursts: ask for 32 MiB, beyond rmem_max
        // when privileged (SO_RCVBUFFORCE), else as much as rmem_max allows.
        if setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, 32 << 20).is_err() {
            let _ = sock.set_recv_buffer_size(32 << 20);
        }
        // Non-blocking: the engines wait for readiness (tokio's AsyncFd).
        sock.set_nonblocking(true)
            .map_err(io_err("making the socket non-blocking"))?;
        Ok(IcmpSocket { sock, kind, v6 })
    }

    /// The identifier the kernel uses for a datagram socket (its local
    /// "port"), once bound; None for raw sockets.
    pub fn kernel_ident(&self) -> Option<u16> {
        if self.kind != IcmpKind::Datagram {
            return None;
        }
        self.sock
            .local_addr()
            .ok()
            .and_then(|a| a.as_socket())
            .map(|a| a.port())
    }

    /// Bind the source address (and, for datagram sockets, get an identifier).
    pub fn bind(&self, source: Option<IpAddr>) -> io::Result<()> {
        let ip = source.unwrap_or(if self.v6 {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        });
        self.sock.bind(&SocketAddr::new(ip, 0).into())
    }

    /// Send through this interface only (SO_BINDTODEVICE).
    pub fn bind_device(&self, ifname: &str) -> io::Result<()> {
        self.sock.bind_device(Some(ifname.as_bytes()))
    }

    /// Set the TTL / hop limit of probes.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        if self.v6 {
            self.sock.set_unicast_hops_v6(ttl)
        } else {
            self.sock.set_ttl_v4(ttl)
        }
    }

    /// Set the type-of-service / traffic-class byte.
    pub fn set_tos(&self, tos: u32) -> io::Result<()> {
        if self.v6 {
            self.sock.set_tclass_v6(tos)
        } else {
            self.sock.set_tos_v4(tos)
        }
    }

    /// Forbid fragmentation (path-MTU discovery "do").
    pub fn set_dont_fragment(&self) -> io::Result<()> {
        let fd = self.sock.as_raw_fd();
        if self.v6 {
            setsockopt_int(
                fd,
                libc::IPPROTO_IPV6,
                libc::IPV6_MTU_DISCOVER,
                libc::IPV6_PMTUDISC_DO,
            )
        } else {
            setsockopt_int(
                fd,
                libc::IPPROTO_IP,
                libc::IP_MTU_DISCOVER,
                libc::IP_PMTUDISC_DO,
            )
        }
    }

    /// Send every probe with these IPv4 options (`IP_OPTIONS`; encoded by
    /// `ipkit_core::wire::ipv4::emit_options`), and read the options of what
    /// comes back. For source routes the last address is the destination's
    /// slot: the kernel sends to the first hop and writes the destination there.
    pub fn set_ip_options(&self, options: &[u8]) -> io::Result<()> {
        let fd = self.sock.as_raw_fd();
        // SAFETY: `options` is valid for its length for the duration of the call.
        let rc = unsafe {
            libc::setsockopt(
                fd,
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
            setsockopt_int(fd, libc::IPPROTO_IP, libc::IP_RECVOPTS, 1)?;
        }
        Ok(())
    }

    /// Allow sending to a broadcast address.
    pub fn set_broadcast(&self) -> io::Result<()> {
        self.sock.set_broadcast(true)
    }

    /// Send an ICMP message (the caller built it; for raw IPv4 with its checksum).
    pub fn send_to(&self, icmp: &[u8], dst: IpAddr) -> io::Result<usize> {
        self.sock
            .send_to(icmp, &SockAddr::from(SocketAddr::new(dst, 0)))
    }

    /// Read one packet if one is waiting (None when none is). On a datagram
    /// socket an ICMP error for one of its probes comes back from the error
    /// queue, rebuilt as the ICMP message it arrived as, so callers decode
    /// one form.
    pub fn try_recv(&self) -> io::Result<Option<Received>> {
        match self.recv_flags(libc::MSG_DONTWAIT) {
            Err(e) if self.kind == IcmpKind::Datagram && !is_quiet(&e) => {
                // The kernel reports a queued error once through recvmsg;
                // its details wait on the error queue.
                self.recv_flags(libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT)
                    .or_else(|q| if is_quiet(&q) { Ok(None) } else { Err(e) })
            }
            Err(e) if is_quiet(&e) => Ok(None),
            other => other,
        }
    }

    fn recv_flags(&self, flags: i32) -> io::Result<Option<Received>> {
        let mut buf = [0u8; 65_536];
        let mut control = [0u8; 512];
        // SAFETY: sockaddr_storage is plain data.
        let mut from: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: msghdr is plain data; the pointers set below outlive the call.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_name = (&raw mut from).cast();
        msg.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        msg.msg_iov = &raw mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = control.len() as _;
        // SAFETY: every pointer in `msg` refers to a live buffer of the stated size.
        let n = unsafe { libc::recvmsg(self.sock.as_raw_fd(), &raw mut msg, flags) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let n = usize::try_from(n).unwrap_or(0);
        let mut ttl = None;
        let mut kernel_time = None;
        let mut ip_options = Vec::new();
        let mut queued: Option<(libc::sock_extended_err, Option<IpAddr>)> = None;
        // SAFETY: CMSG_* walk the control buffer the kernel filled, within
        // msg_controllen; each data read is bounds-checked by cmsg_len.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&raw const msg);
            while !c.is_null() {
                let (level, kind, len) = ((*c).cmsg_level, (*c).cmsg_type, (*c).cmsg_len as usize);
                let data = libc::CMSG_DATA(c);
                let data_len = len.saturating_sub(libc::CMSG_LEN(0) as usize);
                let is_ttl = (level, kind) == (libc::IPPROTO_IP, libc::IP_TTL)
                    || (level, kind) == (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT);
                let is_err = (level, kind) == (libc::IPPROTO_IP, libc::IP_RECVERR)
                    || (level, kind) == (libc::IPPROTO_IPV6, libc::IPV6_RECVERR);
                let ee_len = std::mem::size_of::<libc::sock_extended_err>();
                if is_ttl && data_len >= 4 {
                    ttl = u8::try_from(std::ptr::read_unaligned(data.cast::<i32>())).ok();
                } else if (level, kind) == (libc::SOL_SOCKET, libc::SCM_TIMESTAMPNS)
                    && data_len >= std::mem::size_of::<libc::timespec>()
                {
                    let ts = std::ptr::read_unaligned(data.cast::<libc::timespec>());
                    kernel_time = Some(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32));
                } else if level == libc::IPPROTO_IP
                    && matches!(kind, libc::IP_OPTIONS | libc::IP_RECVOPTS)
                {
                    ip_options = std::slice::from_raw_parts(data, data_len).to_vec();
                } else if is_err && data_len >= ee_len {
                    let ee = std::ptr::read_unaligned(data.cast::<libc::sock_extended_err>());
                    // SO_EE_OFFENDER: the sender's address follows the struct.
                    let offender = std::slice::from_raw_parts(data.add(ee_len), data_len - ee_len);
                    queued = Some((ee, sockaddr_ip(offender)));
                }
                c = libc::CMSG_NXTHDR(&raw const msg, c);
            }
        }
        let data = &buf[..n];
        if let Some((ee, offender)) = queued {
            // Only errors that came as ICMP (not local ones, like EMSGSIZE).
            let from_icmp = matches!(
                ee.ee_origin,
                libc::SO_EE_ORIGIN_ICMP | libc::SO_EE_ORIGIN_ICMP6
            );
            return Ok(offender.filter(|_| from_icmp).map(|from| Received {
                from,
                icmp: rebuild_icmp_error(self.v6, &ee, data),
                ttl,
                kernel_time,
                ip_options,
            }));
        }
        // SAFETY: the kernel wrote a sockaddr of `msg_namelen` bytes into `from`.
        let name = unsafe {
            std::slice::from_raw_parts(
                (&raw const from).cast::<u8>(),
                (msg.msg_namelen as usize).min(std::mem::size_of::<libc::sockaddr_storage>()),
            )
        };
        let Some(from) = sockaddr_ip(name) else {
            return Ok(None);
        };
        let icmp = if !self.v6 && self.kind == IcmpKind::Raw {
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
            ttl,
            kernel_time,
            ip_options,
        }))
    }
}

/// The address in a `sockaddr_in`/`sockaddr_in6` given as bytes.
fn sockaddr_ip(b: &[u8]) -> Option<IpAddr> {
    let family = i32::from(u16::from_ne_bytes([*b.first()?, *b.get(1)?]));
    match family {
        libc::AF_INET if b.len() >= 8 => Some(IpAddr::V4(Ipv4Addr::new(b[4], b[5], b[6], b[7]))),
        libc::AF_INET6 if b.len() >= 24 => {
            let a: [u8; 16] = b[8..24].try_into().ok()?;
            Some(IpAddr::V6(Ipv6Addr::from(a)))
        }
        _ => None,
    }
}

/// Rebuild the ICMP error a datagram socket's error queue describes: type,
/// code, the MTU where one applies, and a quoted IP header in front of the
/// probe's ICMP bytes (which is what the queue returns).
fn rebuild_icmp_error(v6: bool, ee: &libc::sock_extended_err, probe: &[u8]) -> Vec<u8> {
    let mut m = vec![ee.ee_type, ee.ee_code, 0, 0, 0, 0, 0, 0];
    let mtu = u16::try_from(ee.ee_info).unwrap_or(u16::MAX).to_be_bytes();
    let probe = &probe[..probe.len().min(1232)];
    let len = u16::try_from(probe.len()).unwrap_or(0);
    if v6 {
        if ee.ee_type == 2 {
            m[4..8].copy_from_slice(&ee.ee_info.to_be_bytes());
        }
        let mut ip = [0u8; 40];
        ip[0] = 0x60;
        ip[4..6].copy_from_slice(&len.to_be_bytes());
        ip[6] = 58;
        m.extend_from_slice(&ip);
    } else {
        if (ee.ee_type, ee.ee_code) == (3, 4) {
            m[6..8].copy_from_slice(&mtu);
        }
        let mut ip = [0u8; 20];
        ip[0] = 0x45;
        ip[2..4].copy_from_slice(&(len + 20).to_be_bytes());
        ip[9] = 1;
        m.extend_from_slice(&ip);
    }
    m.extend_from_slice(probe);
    m
}

impl AsRawFd for IcmpSocket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.sock.as_raw_fd()
    }
}

impl IcmpSocket {
    /// Hand the socket to the running tokio reactor, to be woken when a
    /// packet or a queued error is waiting.
    pub fn into_async(self) -> io::Result<tokio::io::unix::AsyncFd<IcmpSocket>> {
        let interest = tokio::io::Interest::READABLE | tokio::io::Interest::ERROR;
        // SAFETY: the descriptor is owned by `self.sock`, which the AsyncFd
        // owns from here on; it stays open, and `as_raw_fd` returns the
        // same descriptor, until the AsyncFd is dropped.
        unsafe { tokio::io::unix::AsyncFd::register_with_interest(self, interest) }
            .map_err(|e| e.into_parts().1)
    }
}

impl IcmpSocket {
    /// Send many ICMP messages with one `sendmmsg(2)`; returns how many went.
    /// Stops early (returns fewer) when the socket buffer is full.
    pub fn send_batch(&self, packets: &[(IpAddr, &[u8])]) -> io::Result<usize> {
        let addrs: Vec<SockAddr> = packets
            .iter()
            .map(|(ip, _)| SockAddr::from(SocketAddr::new(*ip, 0)))
            .collect();
        let datagrams: Vec<&[u8]> = packets.iter().map(|(_, b)| *b).collect();
        super::mmsg::send_mmsg(self.sock.as_raw_fd(), &addrs, &datagrams)
    }

    /// Receive up to `bufs.len()` waiting packets with one `recvmmsg(2)`,
    /// without waiting. Fills `froms` and `lens`; returns how many arrived.
    /// For raw IPv4 sockets each buffer starts with the IP header.
    pub fn try_recv_batch(
        &self,
        bufs: &mut [Vec<u8>],
        froms: &mut [Option<IpAddr>],
        lens: &mut [usize],
    ) -> io::Result<usize> {
        let count = bufs.len().min(froms.len()).min(lens.len());
        if count == 0 {
            return Ok(0);
        }
        // SAFETY: sockaddr_storage is plain data.
        let mut names: Vec<libc::sockaddr_storage> =
            (0..count).map(|_| unsafe { std::mem::zeroed() }).collect();
        // MSG_DONTWAIT takes what is queued and returns.
        let rc = super::mmsg::recv_mmsg(
            self.sock.as_raw_fd(),
            &mut bufs[..count],
            &mut lens[..count],
            Some(&mut names),
            libc::MSG_DONTWAIT,
        );
        let mut got = 0;
        match rc {
            Err(e) if !is_quiet(&e) && self.kind != IcmpKind::Datagram => return Err(e),
            Err(_) => {}
            Ok(n) => {
                got = n;
                fill_froms(&names[..got], froms);
            }
        }
        if self.kind == IcmpKind::Datagram && got < count {
            // A datagram socket's ICMP errors wait on its error queue (the
            // pending error recvmmsg or a send reports once says only that
            // there is one): hand them back as the ICMP messages they
            // arrived as.
            while got < count {
                match self.recv_flags(libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT) {
                    Ok(Some(r)) => {
                        let n = r.icmp.len().min(bufs[got].len());
                        bufs[got][..n].copy_from_slice(&r.icmp[..n]);
                        lens[got] = n;
                        froms[got] = Some(r.from);
                        got += 1;
                    }
                    Ok(None) => {}
                    Err(q) if is_quiet(&q) => break,
                    Err(q) => return Err(q),
                }
            }
        }
        Ok(got)
    }
}

/// The senders of a batch's messages, from the addresses the kernel wrote.
fn fill_froms(names: &[libc::sockaddr_storage], froms: &mut [Option<IpAddr>]) {
    for (from, name) in froms.iter_mut().zip(names) {
        *from = match i32::from(name.ss_family) {
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
        };
    }
}
