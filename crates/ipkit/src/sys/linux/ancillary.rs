//! What the ICMP and trace sockets share: one `recvmsg` (nix) with its
//! control messages decoded — TTL / hop limit, the kernel's receive
//! timestamp (SO_TIMESTAMPNS), IPv4 options, a queued error
//! (`sock_extended_err` and the offender) — the `setsockopt` of an int
//! that nix and socket2 lack, and the errno a send fails with, sorted into
//! the local errors an engine reports per probe.
#![allow(unsafe_code)]

use std::io::{self, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use nix::sys::socket::{self as nix_socket, ControlMessageOwned, MsgFlags, SockaddrStorage};
use socket2::Socket;

use crate::probe::{LocalError, QueuedError};

/// One message read with `recvmsg`, its control messages decoded.
#[derive(Debug, Clone, Default)]
pub(crate) struct Meta {
    /// Bytes read into the buffer.
    pub(crate) len: usize,
    /// The sender (or, on the error queue, the original destination).
    pub(crate) address: Option<SocketAddr>,
    /// TTL / hop limit.
    pub(crate) ttl: Option<u8>,
    /// Kernel receive time since the Unix epoch.
    pub(crate) kernel_time: Option<Duration>,
    /// IPv4 options (IP_RECVOPTS).
    pub(crate) ip_options: Vec<u8>,
    /// A queued error that came as ICMP, and who sent it; `local_error`
    /// is set instead for one the host raised itself (EMSGSIZE …).
    pub(crate) queued: Option<(QueuedError, Option<IpAddr>)>,
    /// A queued error of local origin, its errno.
    pub(crate) local_error: Option<u32>,
}

/// Read one message from `fd` into `buf` with `flags`
/// (`MSG_ERRQUEUE | MSG_DONTWAIT` for the error queue).
#[allow(clippy::ptr_arg)] // nix's recvmsg takes the control buffer as a Vec
pub(crate) fn recv(
    fd: RawFd,
    buf: &mut [u8],
    control: &mut Vec<u8>,
    flags: MsgFlags,
) -> io::Result<Meta> {
    let mut iov = [IoSliceMut::new(buf)];
    let msg = nix_socket::recvmsg::<SockaddrStorage>(fd, &mut iov, Some(control), flags)
        .map_err(io::Error::from)?;
    let mut meta = Meta {
        len: msg.bytes,
        address: msg.address.and_then(|a| {
            a.as_sockaddr_in()
                .map(|s| SocketAddr::new(IpAddr::V4(s.ip()), s.port()))
                .or_else(|| {
                    a.as_sockaddr_in6()
                        .map(|s| SocketAddr::new(IpAddr::V6(s.ip()), s.port()))
                })
        }),
        ..Meta::default()
    };
    for c in msg.cmsgs().map_err(io::Error::from)? {
        match c {
            ControlMessageOwned::Ipv4Ttl(t) | ControlMessageOwned::Ipv6HopLimit(t) => {
                meta.ttl = u8::try_from(t).ok();
            }
            ControlMessageOwned::ScmTimestampns(ts) => {
                meta.kernel_time = Some(Duration::new(
                    u64::try_from(ts.tv_sec()).unwrap_or(0),
                    u32::try_from(ts.tv_nsec()).unwrap_or(0),
                ));
            }
            ControlMessageOwned::Ipv4RecvErr(ee, offender) => {
                let from =
                    offender.map(|a| IpAddr::V4(Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr))));
                meta.note_error(&ee, from);
            }
            ControlMessageOwned::Ipv6RecvErr(ee, offender) => {
                let from = offender.map(|a| IpAddr::V6(Ipv6Addr::from(a.sin6_addr.s6_addr)));
                meta.note_error(&ee, from);
            }
            ControlMessageOwned::Unknown(u)
                if u.cmsg_header.cmsg_level == libc::IPPROTO_IP
                    && matches!(
                        u.cmsg_header.cmsg_type,
                        libc::IP_OPTIONS | libc::IP_RECVOPTS
                    ) =>
            {
                meta.ip_options = u.data_bytes;
            }
            _ => {}
        }
    }
    Ok(meta)
}

impl Meta {
    fn note_error(&mut self, ee: &libc::sock_extended_err, from: Option<IpAddr>) {
        if matches!(
            ee.ee_origin,
            libc::SO_EE_ORIGIN_ICMP | libc::SO_EE_ORIGIN_ICMP6
        ) {
            let q = QueuedError {
                msg_type: ee.ee_type,
                code: ee.ee_code,
                info: ee.ee_info,
            };
            self.queued = Some((q, from));
        } else {
            self.local_error = Some(ee.ee_errno);
        }
    }
}

/// One `setsockopt` of an int, for the options nix and socket2 lack.
pub(crate) fn setsockopt_int(sock: &Socket, level: i32, name: i32, value: i32) -> io::Result<()> {
    // SAFETY: `value` is a valid c_int for the duration of the call; the
    // length passed is its size.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
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

/// Set or clear DF on what `sock` sends from now on (`IP_MTU_DISCOVER` /
/// `IPV6_MTU_DISCOVER`: "do", or "don't" so big probes fragment).
pub(crate) fn set_dont_fragment(sock: &Socket, v6: bool, on: bool) -> io::Result<()> {
    if v6 {
        let mode = if on {
            libc::IPV6_PMTUDISC_DO
        } else {
            libc::IPV6_PMTUDISC_DONT
        };
        setsockopt_int(sock, libc::IPPROTO_IPV6, libc::IPV6_MTU_DISCOVER, mode)
    } else {
        let mode = if on {
            libc::IP_PMTUDISC_DO
        } else {
            libc::IP_PMTUDISC_DONT
        };
        setsockopt_int(sock, libc::IPPROTO_IP, libc::IP_MTU_DISCOVER, mode)
    }
}

/// A failed send as the engines see it: the local refusals they report for
/// that probe (no route, too big with DF), or the I/O error.
pub(crate) fn local_error(e: io::Error) -> Result<LocalError, io::Error> {
    match e.raw_os_error() {
        Some(libc::ENETUNREACH) => Ok(LocalError::NetworkUnreachable {
            message: e.to_string(),
        }),
        Some(libc::EHOSTUNREACH) => Ok(LocalError::HostUnreachable {
            message: e.to_string(),
        }),
        Some(libc::EMSGSIZE) => Ok(LocalError::MessageTooLong { mtu: None }),
        _ => Err(e),
    }
}
