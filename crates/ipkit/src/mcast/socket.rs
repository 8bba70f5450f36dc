//! The real sockets: a UDP socket joined to a group (or, for broadcast, a
//! plain one on a port) that [`super::receive`] reads, and the sending
//! socket with its TTL, loopback and interface set. socket2 does the joins
//! it has; `sys` the IPv6 source-specific one and the TTL of each datagram.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::time::Duration;

use socket2::{Domain, InterfaceIndexOrAddress, Protocol, Socket, Type};

use super::receive::{Received, Receiver};
use super::request::{JoinRequest, SendRequest};
use super::{Interface, McastError};
use crate::sys;

/// How long one read waits before the engine looks at its clock and its
/// cancellation token again.
const POLL: Duration = Duration::from_millis(100);

/// Datagrams read per system call (Linux's `recvmmsg`; one elsewhere).
const BATCH: usize = 64;

/// Bytes kept of each datagram (the largest UDP payload).
const DATAGRAM_ROOM: usize = 65_536;

/// The receive buffer asked for: a burst of small datagrams at line rate
/// (each costs the kernel ~1 KiB of buffer) outruns the default ~200 KiB
/// in a fraction of a millisecond. The kernel caps it at
/// `net.core.rmem_max` unless `SO_RCVBUFFORCE` (CAP_NET_ADMIN) is allowed.
const RECEIVE_BUFFER: usize = 32 << 20;

/// A UDP socket, bound and (for a group) joined; it leaves on
/// [`Receiver::leave`] or, at the latest, when dropped.
#[derive(Debug)]
pub struct GroupSocket {
    sock: Socket,
    joined: Option<JoinRequest>,
    batch: sys::McastBatch,
    /// The next datagram of `batch` to hand out.
    next: usize,
    receive_buffer: usize,
}

fn udp(v6: bool) -> io::Result<Socket> {
    let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
    let sock = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    if v6 {
        sock.set_only_v6(true)?;
    }
    Ok(sock)
}

/// Ask for [`RECEIVE_BUFFER`] (forced when allowed, else as much as
/// `rmem_max` lets) and each datagram's TTL and kernel time; returns the
/// buffer the kernel gave (it counts its bookkeeping: twice what it stores).
fn receiving(sock: &Socket, v6: bool) -> io::Result<usize> {
    if sys::force_receive_buffer(sock, RECEIVE_BUFFER).is_err() {
        sock.set_recv_buffer_size(RECEIVE_BUFFER)?;
    }
    sys::receive_ttl(sock, v6)?;
    sys::receive_timestamps(sock)?;
    sock.set_read_timeout(Some(POLL))?;
    sock.recv_buffer_size()
}

impl GroupSocket {
    fn new(sock: Socket, joined: Option<JoinRequest>, receive_buffer: usize) -> GroupSocket {
        GroupSocket {
            sock,
            joined,
            batch: sys::McastBatch::new(BATCH, DATAGRAM_ROOM),
            next: 0,
            receive_buffer,
        }
    }

    /// The receive buffer the kernel gave, in bytes (`SO_RCVBUF` as read back).
    pub fn receive_buffer(&self) -> usize {
        self.receive_buffer
    }
}

impl GroupSocket {
    /// Bind to the group's port and join it as `r` asks.
    pub fn join(r: &JoinRequest) -> Result<GroupSocket, McastError> {
        let group = r.group.ip();
        let v6 = group.is_ipv6();
        let ifindex = r.interface.as_ref().map_or(0, |i| i.index);
        let open = |op: &str, e| McastError::io(format!("{op} for {}", r.group), e);
        let sock = udp(v6).map_err(|e| open("opening a UDP socket", e))?;
        // Several listeners on one host may share a group and port.
        sock.set_reuse_address(true)
            .map_err(|e| open("SO_REUSEADDR", e))?;
        // Bound to the group itself, the socket gets only that group's
        // datagrams (not unicast, not other groups on the port).
        let bind_to: SocketAddr = match group {
            IpAddr::V4(_) => r.group,
            IpAddr::V6(g) => SocketAddrV6::new(g, r.group.port(), 0, ifindex).into(),
        };
        sock.bind(&bind_to.into()).map_err(|e| open("binding", e))?;
        let rcvbuf = receiving(&sock, v6).map_err(|e| open("setting up receiving", e))?;
        membership(&sock, r, true).map_err(|e| no_route_or(group, e, "joining"))?;
        Ok(GroupSocket::new(sock, Some(r.clone()), rcvbuf))
    }

    /// Bind to `port` on every address (`bcast listen`): no group to join.
    pub fn listen(port: u16, interface: Option<&str>) -> Result<GroupSocket, McastError> {
        let open = |op: &str, e| McastError::io(format!("{op} for port {port}"), e);
        let sock = udp(false).map_err(|e| open("opening a UDP socket", e))?;
        sock.set_reuse_address(true)
            .map_err(|e| open("SO_REUSEADDR", e))?;
        if let Some(name) = interface {
            crate::sockopt::bind_to_interface(&sock, name)
                .map_err(|e| McastError::io(format!("binding to {name}"), io::Error::other(e)))?;
        }
        let any = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port);
        sock.bind(&any.into()).map_err(|e| open("binding", e))?;
        let rcvbuf = receiving(&sock, false).map_err(|e| open("setting up receiving", e))?;
        Ok(GroupSocket::new(sock, None, rcvbuf))
    }
}

impl GroupSocket {
    /// The socket itself (the multicast ping reads it beside another).
    pub fn socket(&self) -> &Socket {
        &self.sock
    }

    /// Reads return at once when nothing is queued.
    pub fn set_nonblocking(&self) -> io::Result<()> {
        self.sock.set_nonblocking(true)
    }
}

/// Join or leave every membership `r` asks for.
fn membership(sock: &Socket, r: &JoinRequest, join: bool) -> io::Result<()> {
    let ifindex = r.interface.as_ref().map_or(0, |i| i.index);
    let if_v4 = r
        .interface
        .as_ref()
        .and_then(|i| i.ipv4)
        .map_or(Ipv4Addr::UNSPECIFIED, |(a, _)| a);
    match r.group.ip() {
        IpAddr::V4(g) if r.sources.is_empty() => {
            let on = InterfaceIndexOrAddress::Index(ifindex);
            if join {
                sock.join_multicast_v4_n(&g, &on)
            } else {
                sock.leave_multicast_v4_n(&g, &on)
            }
        }
        IpAddr::V4(g) => r.sources.iter().try_for_each(|s| {
            let IpAddr::V4(s) = s else { return Ok(()) };
            if join {
                sock.join_ssm_v4(s, &g, &if_v4)
            } else {
                sock.leave_ssm_v4(s, &g, &if_v4)
            }
        }),
        IpAddr::V6(g) if r.sources.is_empty() => {
            if join {
                sock.join_multicast_v6(&g, ifindex)
            } else {
                sock.leave_multicast_v6(&g, ifindex)
            }
        }
        IpAddr::V6(g) => r
            .sources
            .iter()
            .try_for_each(|&s| sys::source_group_membership(sock, IpAddr::V6(g), s, ifindex, join)),
    }
}

/// A join's or send's OS error as [`McastError::NoRoute`] when that is what
/// it means.
fn no_route_or(target: IpAddr, e: io::Error, op: &str) -> McastError {
    if sys::is_no_route(&e) {
        McastError::NoRoute { target, os: e }
    } else {
        McastError::io(format!("{op} {target}"), e)
    }
}

impl Receiver for GroupSocket {
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<Option<Received>> {
        if self.next >= self.batch.len() {
            self.next = 0;
            match sys::recv_datagrams(&self.sock, &mut self.batch) {
                Ok(_) => {}
                Err(e) if crate::sys::is_quiet(&e) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
        let Some((got, bytes)) = self.batch.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        let kept = bytes.len().min(buf.len());
        buf[..kept].copy_from_slice(&bytes[..kept]);
        Ok(Some(Received {
            len: got.len,
            from: got.from,
            ttl: got.ttl,
            kernel_time: got.kernel_time,
        }))
    }

    fn drained(&self) -> bool {
        // A batch that came short of full took all the socket had.
        self.next >= self.batch.len() && self.batch.len() < self.batch.capacity()
    }

    fn leave(&mut self) -> io::Result<bool> {
        match self.joined.take() {
            Some(r) => membership(&self.sock, &r, false).map(|()| true),
            None => Ok(false),
        }
    }
}

/// A socket that sends to a group (or a broadcast address).
#[derive(Debug)]
pub struct Sender {
    sock: Socket,
    to: socket2::SockAddr,
}

impl Sender {
    /// The sending socket `r` asks for: TTL, loopback, interface.
    pub fn group(r: &SendRequest) -> Result<Sender, McastError> {
        let v6 = r.group.is_ipv6();
        let setup = |op: &str, e| McastError::io(format!("{op} for {}", r.group), e);
        let sock = udp(v6).map_err(|e| setup("opening a UDP socket", e))?;
        let ttl = u32::from(r.ttl);
        if v6 {
            sock.set_multicast_hops_v6(ttl)
                .map_err(|e| setup("setting the hop limit", e))?;
            sock.set_multicast_loop_v6(r.loopback)
                .map_err(|e| setup("setting loopback", e))?;
            if let Some(i) = &r.interface {
                sock.set_multicast_if_v6(i.index)
                    .map_err(|e| setup("choosing the interface", e))?;
            }
        } else {
            sock.set_multicast_ttl_v4(ttl)
                .map_err(|e| setup("setting the TTL", e))?;
            sock.set_multicast_loop_v4(r.loopback)
                .map_err(|e| setup("setting loopback", e))?;
            if let Some(Interface {
                ipv4: Some((a, _)), ..
            }) = &r.interface
            {
                sock.set_multicast_if_v4(a)
                    .map_err(|e| setup("choosing the interface", e))?;
            }
        }
        let to = match r.group {
            SocketAddr::V6(g) => {
                let scope = r.interface.as_ref().map_or(0, |i| i.index);
                SocketAddr::V6(SocketAddrV6::new(*g.ip(), g.port(), 0, scope))
            }
            v4 => v4,
        };
        Ok(Sender {
            sock,
            to: to.into(),
        })
    }

    /// A broadcasting socket to `to` (SO_BROADCAST; bound to `interface`
    /// when one is named, so a limited broadcast leaves through it).
    pub fn broadcast(to: SocketAddr, interface: Option<&str>) -> Result<Sender, McastError> {
        let setup = |op: &str, e| McastError::io(format!("{op} for {to}"), e);
        let sock = udp(false).map_err(|e| setup("opening a UDP socket", e))?;
        sock.set_broadcast(true)
            .map_err(|e| setup("SO_BROADCAST", e))?;
        if let Some(name) = interface {
            crate::sockopt::bind_to_interface(&sock, name)
                .map_err(|e| McastError::io(format!("binding to {name}"), io::Error::other(e)))?;
        }
        Ok(Sender {
            sock,
            to: to.into(),
        })
    }

    /// Send one datagram.
    pub fn send(&self, payload: &[u8]) -> Result<usize, McastError> {
        let target = self
            .to
            .as_socket()
            .map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |a| a.ip());
        self.sock
            .send_to(payload, &self.to)
            .map_err(|e| no_route_or(target, e, "sending to"))
    }
}
