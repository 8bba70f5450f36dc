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
    let mut iovs: Vec<libc::iovec> = bufs[..count]
        .iter_mut()
        .map(|b| libc::iovec {
            iov_base: b.as_mut_ptr().cast(),
            iov_len: b.len(),
        })
        .collect();
    // SAFETY: mmsghdr is plain data; the pointers set below refer to
    // `iovs` and `names`, which outlive the call and are not moved.
    let mut msgs: Vec<libc::mmsghdr> = (0..count).map(|_| unsafe { std::mem::zeroed() }).collect();
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
