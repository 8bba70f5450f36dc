//! Many datagrams per system call on Linux: `sendmmsg(2)` and `recvmmsg(2)`,
//! shared by the ICMP sockets (ping sweeps) and [`BatchSocket`], the
//! connected UDP socket of `dns --bulk`.
//!
//! [`BatchSocket`] keeps its socket in blocking mode with `SO_RCVTIMEO` as
//! the wait: `MSG_WAITFORONE` waits for the first datagram of a batch (up to
//! that timeout) and takes the rest without waiting; `MSG_DONTWAIT` never
//! waits. So waiting or not costs no `fcntl` and a batch costs one call.
//! It does not read the error queue (`IP_RECVERR` is not set): an ICMP
//! error shows as `ECONNREFUSED` on the next call, for the caller to judge.
#![allow(unsafe_code)]

use std::io;
use std::net::UdpSocket;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use socket2::SockAddr;

/// Send `datagrams` with one `sendmmsg(2)` without waiting; datagram `i`
/// goes to `to[i]`, or, when `to` is empty, to the connected peer. Returns
/// how many went: fewer (0 included) when the send buffer is full. Any
/// other error comes back only when none went (the kernel's rule).
pub(crate) fn send_mmsg(fd: RawFd, to: &[SockAddr], datagrams: &[&[u8]]) -> io::Result<usize> {
    if datagrams.is_empty() {
        return Ok(0);
    }
    let mut iovs: Vec<libc::iovec> = datagrams
        .iter()
        .map(|b| libc::iovec {
            iov_base: b.as_ptr().cast_mut().cast(),
            iov_len: b.len(),
        })
        .collect();
    // SAFETY: mmsghdr is plain data; every pointer set below refers to
    // `to` or `iovs`, which outlive the call and are not moved.
    let mut msgs: Vec<libc::mmsghdr> = (0..datagrams.len())
        .map(|_| unsafe { std::mem::zeroed() })
        .collect();
    for (i, m) in msgs.iter_mut().enumerate() {
        if let Some(addr) = to.get(i) {
            m.msg_hdr.msg_name = addr.as_ptr().cast_mut().cast();
            m.msg_hdr.msg_namelen = addr.len();
        }
        m.msg_hdr.msg_iov = &raw mut iovs[i];
        m.msg_hdr.msg_iovlen = 1;
    }
    let n = u32::try_from(msgs.len()).unwrap_or(u32::MAX);
    // SAFETY: `msgs` holds `n` initialised headers as described above.
    let rc = unsafe { libc::sendmmsg(fd, msgs.as_mut_ptr(), n, libc::MSG_DONTWAIT) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::WouldBlock {
            Ok(0)
        } else {
            Err(e)
        };
    }
    Ok(usize::try_from(rc).unwrap_or(0))
}

/// Receive up to `bufs.len()` datagrams (and `lens.len()`, and
/// `names.len()` when given) with one `recvmmsg(2)`. `flags` says whether
/// to wait (`MSG_WAITFORONE`) or not (`MSG_DONTWAIT`). Fills `lens`, and
/// `names` with the senders when given; returns how many arrived. Errors,
/// `WouldBlock` included, come back as the kernel gave them.
pub(crate) fn recv_mmsg(
    fd: RawFd,
    bufs: &mut [Vec<u8>],
    lens: &mut [usize],
    mut names: Option<&mut [libc::sockaddr_storage]>,
    flags: libc::c_int,
) -> io::Result<usize> {
    let mut count = bufs.len().min(lens.len());
    if let Some(names) = names.as_deref() {
        count = count.min(names.len());
    }
    if count == 0 {
        return Ok(0);
    }
    let mut iovs = iovecs(&mut bufs[..count]);
    // The pointers set below refer to `iovs` and `names`, which outlive
    // the call and are not moved.
    let mut msgs = blank_headers(count);
    for (i, m) in msgs.iter_mut().enumerate() {
        if let Some(names) = names.as_deref_mut() {
            m.msg_hdr.msg_name = (&raw mut names[i]).cast();
            m.msg_hdr.msg_namelen =
                std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        }
        m.msg_hdr.msg_iov = &raw mut iovs[i];
        m.msg_hdr.msg_iovlen = 1;
    }
    // No timeout pointer: recvmmsg checks one only after each datagram.
    let n = u32::try_from(count).unwrap_or(u32::MAX);
    // SAFETY: `msgs` holds `n` headers pointing at live buffers of the stated sizes.
    let rc = unsafe { libc::recvmmsg(fd, msgs.as_mut_ptr(), n, flags, std::ptr::null_mut()) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    let got = usize::try_from(rc).unwrap_or(0);
    for (len, m) in lens.iter_mut().zip(&msgs[..got]) {
        *len = m.msg_len as usize;
    }
    Ok(got)
}

/// One iovec per receive buffer, each its whole length.
fn iovecs(bufs: &mut [Vec<u8>]) -> Vec<libc::iovec> {
    bufs.iter_mut()
        .map(|b| libc::iovec {
            iov_base: b.as_mut_ptr().cast(),
            iov_len: b.len(),
        })
        .collect()
}

/// `count` zeroed message headers, for the caller to point at its buffers.
fn blank_headers(count: usize) -> Vec<libc::mmsghdr> {
    // SAFETY: mmsghdr is plain data; all zeroes (null pointers, zero
    // lengths) is a valid value.
    (0..count).map(|_| unsafe { std::mem::zeroed() }).collect()
}

/// A connected UDP socket that sends and receives datagrams in batches,
/// one system call per batch.
#[derive(Debug)]
pub struct BatchSocket {
    sock: UdpSocket,
    read_timeout: Option<Duration>,
}

impl BatchSocket {
    /// Take over a connected UDP socket.
    pub fn new(sock: UdpSocket) -> io::Result<BatchSocket> {
        sock.set_nonblocking(false)?;
        Ok(BatchSocket {
            sock,
            read_timeout: None,
        })
    }
}

impl crate::batch::BatchDatagrams for BatchSocket {
    fn send(&mut self, datagrams: &[&[u8]]) -> io::Result<usize> {
        send_mmsg(self.sock.as_raw_fd(), &[], datagrams)
    }

    fn recv(
        &mut self,
        bufs: &mut [Vec<u8>],
        lens: &mut [usize],
        wait: Option<Duration>,
    ) -> io::Result<usize> {
        let flags = match wait {
            Some(w) => {
                let w = Some(w.max(Duration::from_micros(1)));
                if self.read_timeout != w {
                    self.sock.set_read_timeout(w)?;
                    self.read_timeout = w;
                }
                libc::MSG_WAITFORONE
            }
            None => libc::MSG_DONTWAIT,
        };
        match recv_mmsg(self.sock.as_raw_fd(), bufs, lens, None, flags) {
            Err(e) if crate::sys::is_quiet(&e) => Ok(0),
            other => other,
        }
    }
}

/// Room for the control messages a group socket asks for per datagram:
/// TTL / hop limit (an int) and SO_TIMESTAMPNS (a timespec), with slack.
const CONTROL_ROOM: usize = 128;

/// One datagram of a [`MetaBatch`]: its length, sender, TTL / hop limit
/// and kernel receive time, decoded from its own control messages.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct MetaSlot {
    pub(crate) len: usize,
    pub(crate) from: Option<std::net::SocketAddr>,
    pub(crate) ttl: Option<u8>,
    pub(crate) kernel_time: Option<Duration>,
}

/// Buffers for `recvmmsg(2)` on an unconnected socket: per message a
/// payload buffer, a sender address and a control buffer, kept from call
/// to call so a batch allocates nothing.
#[derive(Debug)]
pub(crate) struct MetaBatch {
    pub(crate) bufs: Vec<Vec<u8>>,
    names: Vec<libc::sockaddr_storage>,
    controls: Vec<[u8; CONTROL_ROOM]>,
    pub(crate) slots: Vec<MetaSlot>,
    /// Set up once, pointing into the heap buffers above (which are never
    /// resized, so the pointers stay good when the batch moves): a call
    /// then costs work only for the datagrams that came.
    iovs: Vec<libc::iovec>,
    msgs: Vec<libc::mmsghdr>,
}

// SAFETY: the raw pointers in `iovs` and `msgs` point only into this
// batch's own heap buffers, owned and moved with it.
unsafe impl Send for MetaBatch {}

impl MetaBatch {
    /// `count` messages of up to `size` bytes each.
    pub(crate) fn new(count: usize, size: usize) -> MetaBatch {
        let mut bufs = vec![vec![0; size]; count];
        let iovs = iovecs(&mut bufs);
        let mut batch = MetaBatch {
            bufs,
            // SAFETY: sockaddr_storage is plain data; all zeroes is valid.
            names: vec![unsafe { std::mem::zeroed() }; count],
            controls: vec![[0; CONTROL_ROOM]; count],
            slots: vec![MetaSlot::default(); count],
            iovs,
            msgs: blank_headers(count),
        };
        for i in 0..count {
            let m = &mut batch.msgs[i].msg_hdr;
            m.msg_name = (&raw mut batch.names[i]).cast();
            m.msg_iov = &raw mut batch.iovs[i];
            m.msg_iovlen = 1;
            m.msg_control = batch.controls[i].as_mut_ptr().cast();
        }
        batch.reset(count);
        batch
    }

    /// Give the first `count` headers their full room again (the kernel
    /// shrank the lengths of those it filled).
    fn reset(&mut self, count: usize) {
        for m in &mut self.msgs[..count] {
            m.msg_hdr.msg_namelen =
                std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            m.msg_hdr.msg_controllen = CONTROL_ROOM as _;
            m.msg_hdr.msg_flags = 0;
        }
    }
}

/// Receive up to a batch of datagrams with one `recvmmsg(2)`, each with its
/// sender and control messages (TTL / hop limit, kernel timestamp) decoded
/// into `batch.slots`. `flags` as for [`recv_mmsg`]; returns how many came.
pub(crate) fn recv_mmsg_meta(
    fd: RawFd,
    batch: &mut MetaBatch,
    flags: libc::c_int,
) -> io::Result<usize> {
    let count = batch.msgs.len();
    let n = u32::try_from(count).unwrap_or(u32::MAX);
    // SAFETY: `msgs` holds `n` headers pointing at live buffers of the stated sizes.
    let rc = unsafe { libc::recvmmsg(fd, batch.msgs.as_mut_ptr(), n, flags, std::ptr::null_mut()) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    let got = usize::try_from(rc).unwrap_or(0);
    for (i, m) in batch.msgs[..got].iter().enumerate() {
        let from = socket_addr(&batch.names[i], m.msg_hdr.msg_namelen);
        let mut slot = MetaSlot {
            len: m.msg_len as usize,
            from,
            ..MetaSlot::default()
        };
        decode_control(&m.msg_hdr, &mut slot);
        batch.slots[i] = slot;
    }
    batch.reset(got);
    Ok(got)
}

/// The sender a `recvmmsg` wrote, if it is an IPv4 or IPv6 address.
fn socket_addr(
    name: &libc::sockaddr_storage,
    len: libc::socklen_t,
) -> Option<std::net::SocketAddr> {
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
    let len = len as usize;
    match i32::from(name.ss_family) {
        libc::AF_INET if len >= std::mem::size_of::<libc::sockaddr_in>() => {
            // SAFETY: the kernel wrote a sockaddr_in (family and length
            // checked) into `name`, a sockaddr_storage, aligned for any.
            let a = unsafe { &*(&raw const *name).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
            Some(SocketAddr::new(ip.into(), u16::from_be(a.sin_port)))
        }
        libc::AF_INET6 if len >= std::mem::size_of::<libc::sockaddr_in6>() => {
            // SAFETY: as above, a sockaddr_in6.
            let a = unsafe { &*(&raw const *name).cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
            // As the one-at-a-time read reports it: no flow label or scope.
            Some(SocketAddr::new(ip.into(), u16::from_be(a.sin6_port)))
        }
        _ => None,
    }
}

/// Decode the TTL / hop limit and SO_TIMESTAMPNS control messages of `hdr`.
fn decode_control(hdr: &libc::msghdr, slot: &mut MetaSlot) {
    // SAFETY: `hdr` is a header recvmmsg filled: its control pointer and
    // length describe the control messages the kernel wrote; CMSG_* walk
    // only within them, and each data read is checked against its length.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(hdr);
        while !c.is_null() {
            let level = (*c).cmsg_level;
            let kind = (*c).cmsg_type;
            let data = libc::CMSG_DATA(c);
            let room = (*c).cmsg_len as usize - (data as usize - c as usize);
            let ttl = (level == libc::IPPROTO_IP && kind == libc::IP_TTL)
                || (level == libc::IPPROTO_IPV6 && kind == libc::IPV6_HOPLIMIT);
            if ttl && room >= std::mem::size_of::<libc::c_int>() {
                let v = std::ptr::read_unaligned(data.cast::<libc::c_int>());
                slot.ttl = u8::try_from(v).ok();
            } else if level == libc::SOL_SOCKET
                && kind == libc::SO_TIMESTAMPNS
                && room >= std::mem::size_of::<libc::timespec>()
            {
                let ts = std::ptr::read_unaligned(data.cast::<libc::timespec>());
                slot.kernel_time = Some(Duration::new(
                    u64::try_from(ts.tv_sec).unwrap_or(0),
                    u32::try_from(ts.tv_nsec).unwrap_or(0),
                ));
            }
            c = libc::CMSG_NXTHDR(hdr, c);
        }
    }
}
