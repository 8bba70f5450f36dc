//! Linux: what multicast needs beyond socket2 — the IPv6 source-specific
//! join and leave (`MCAST_JOIN_SOURCE_GROUP` / `MCAST_LEAVE_SOURCE_GROUP`,
//! RFC 3678's protocol-independent API, which socket2 does not offer),
//! receiving a datagram with its TTL / hop limit (`IP_RECVTTL`,
//! `IPV6_RECVHOPLIMIT`, through [`super::ancillary::recv`]), and the errno
//! that means "no route for this group"; the batched receive of `mcast
//! join` (`recvmmsg`, per-datagram control messages, through
//! [`super::mmsg`]) and `SO_RCVBUFFORCE`.
#![allow(unsafe_code)]

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;

use nix::sys::socket::MsgFlags;
use socket2::{SockAddr, Socket};

use super::ancillary;

/// A datagram read from a group socket.
#[derive(Debug, Clone, Copy)]
pub struct McastReceived {
    /// Bytes read.
    pub len: usize,
    /// Who sent it.
    pub from: Option<SocketAddr>,
    /// Its TTL (IPv4) or hop limit (IPv6) on arrival.
    pub ttl: Option<u8>,
    /// When the kernel received it, since the Unix epoch (with
    /// [`receive_timestamps`]).
    pub kernel_time: Option<std::time::Duration>,
}

/// `addr` as a `sockaddr_storage`, as `group_source_req` holds it.
fn storage(addr: IpAddr) -> libc::sockaddr_storage {
    let sa = SockAddr::from(SocketAddr::new(addr, 0));
    // SAFETY: sockaddr_storage is plain old data; all zeroes is valid.
    let mut out: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = (sa.len() as usize).min(std::mem::size_of::<libc::sockaddr_storage>());
    // SAFETY: `sa.as_ptr()` points at `sa.len()` initialised bytes of a
    // sockaddr; `out` has room for `len` (capped at its size); the two do
    // not overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(sa.as_ptr().cast::<u8>(), (&raw mut out).cast::<u8>(), len);
    }
    out
}

/// Join (or, with `join` false, leave) the source-specific group (S,G) on
/// interface `ifindex` (0: the kernel picks by route), for either family.
pub fn source_group_membership(
    sock: &Socket,
    group: IpAddr,
    source: IpAddr,
    ifindex: u32,
    join: bool,
) -> io::Result<()> {
    let req = libc::group_source_req {
        gsr_interface: ifindex,
        gsr_group: storage(group),
        gsr_source: storage(source),
    };
    let level = if group.is_ipv6() {
        libc::IPPROTO_IPV6
    } else {
        libc::IPPROTO_IP
    };
    let name = if join {
        libc::MCAST_JOIN_SOURCE_GROUP
    } else {
        libc::MCAST_LEAVE_SOURCE_GROUP
    };
    // SAFETY: `req` is a valid group_source_req for the duration of the
    // call; the length passed is its size.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (&raw const req).cast(),
            std::mem::size_of::<libc::group_source_req>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Ask for each datagram's TTL / hop limit as a control message.
pub fn receive_ttl(sock: &Socket, v6: bool) -> io::Result<()> {
    if v6 {
        ancillary::setsockopt_int(sock, libc::IPPROTO_IPV6, libc::IPV6_RECVHOPLIMIT, 1)
    } else {
        ancillary::setsockopt_int(sock, libc::IPPROTO_IP, libc::IP_RECVTTL, 1)
    }
}

/// Ask for the kernel's receive time of each datagram (SO_TIMESTAMPNS).
pub fn receive_timestamps(sock: &Socket) -> io::Result<()> {
    ancillary::setsockopt_int(sock, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, 1)
}

/// Read one datagram (waiting up to the socket's read timeout) with its
/// sender and TTL / hop limit.
pub fn recv_datagram(sock: &Socket, buf: &mut [u8]) -> io::Result<McastReceived> {
    let mut control = nix::cmsg_space!(libc::c_int, libc::timespec);
    let meta = ancillary::recv(sock.as_raw_fd(), buf, &mut control, MsgFlags::empty())?;
    Ok(McastReceived {
        len: meta.len,
        from: meta.address,
        ttl: meta.ttl,
        kernel_time: meta.kernel_time,
    })
}

/// Datagrams read in one batch from a group socket, with each one's
/// sender, TTL / hop limit and kernel time (Linux: one `recvmmsg`).
#[derive(Debug)]
pub struct McastBatch {
    inner: super::mmsg::MetaBatch,
    got: usize,
}

impl McastBatch {
    /// Room for `count` datagrams of up to `size` bytes each.
    pub fn new(count: usize, size: usize) -> McastBatch {
        McastBatch {
            inner: super::mmsg::MetaBatch::new(count.max(1), size),
            got: 0,
        }
    }

    /// How many datagrams the last read brought.
    pub fn len(&self) -> usize {
        self.got
    }

    /// Whether the last read brought none.
    pub fn is_empty(&self) -> bool {
        self.got == 0
    }

    /// How many datagrams one read can bring.
    pub fn capacity(&self) -> usize {
        self.inner.bufs.len()
    }

    /// Datagram `i` of the last read and its first bytes.
    pub fn get(&self, i: usize) -> Option<(McastReceived, &[u8])> {
        if i >= self.got {
            return None;
        }
        let s = self.inner.slots[i];
        let buf = &self.inner.bufs[i];
        let got = McastReceived {
            len: s.len,
            from: s.from,
            ttl: s.ttl,
            kernel_time: s.kernel_time,
        };
        Some((got, &buf[..s.len.min(buf.len())]))
    }
}

/// Read a batch of datagrams into `batch`: wait up to the socket's read
/// timeout for the first, then take what else is queued without waiting.
pub fn recv_datagrams(sock: &Socket, batch: &mut McastBatch) -> io::Result<usize> {
    batch.got = 0;
    let got =
        super::mmsg::recv_mmsg_meta(sock.as_raw_fd(), &mut batch.inner, libc::MSG_WAITFORONE)?;
    batch.got = got;
    Ok(got)
}

/// Set the receive buffer past `net.core.rmem_max` (`SO_RCVBUFFORCE`,
/// which needs CAP_NET_ADMIN; EPERM without it).
pub fn force_receive_buffer(sock: &Socket, bytes: usize) -> io::Result<()> {
    let bytes = i32::try_from(bytes).unwrap_or(i32::MAX);
    ancillary::setsockopt_int(sock, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, bytes)
}

/// Whether a join or send failed for want of a route to the group (no
/// interface named and no route, unicast or multicast, covers it).
pub fn is_no_route(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ENODEV | libc::ENETUNREACH | libc::EHOSTUNREACH | libc::EADDRNOTAVAIL)
    )
}

/// The kernel's multicast tables, as `ip maddr` reads them, and each
/// interface's `force_mld_version`.
pub fn multicast_tables() -> io::Result<crate::mcast::groups::Tables> {
    let read = |name: &str| std::fs::read_to_string(format!("/proc/net/{name}"));
    let igmp6 = read("igmp6").unwrap_or_default();
    let mut force_mld = Vec::new();
    for name in igmp6.lines().filter_map(|l| l.split_whitespace().nth(1)) {
        if force_mld.iter().any(|(n, _): &(String, u8)| n == name) {
            continue;
        }
        let path = format!("/proc/sys/net/ipv6/conf/{name}/force_mld_version");
        let v = std::fs::read_to_string(path)
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        force_mld.push((name.to_string(), v));
    }
    Ok(crate::mcast::groups::Tables {
        igmp: read("igmp")?,
        igmp6,
        mcfilter: read("mcfilter").unwrap_or_default(),
        mcfilter6: read("mcfilter6").unwrap_or_default(),
        force_mld,
    })
}
