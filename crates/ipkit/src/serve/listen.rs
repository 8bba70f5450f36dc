//! Version-independent listening sockets, the way the chapter builds them:
//! `getaddrinfo(NULL, port, AI_PASSIVE, AF_UNSPEC)` through the library's
//! resolver ([`crate::resolve::getaddrinfo`]), one socket per result
//! (socket2), and `IPV6_V6ONLY` on the IPv6 one so that the IPv4 and the
//! IPv6 wildcard can both bind the same port. Explicit `--bind` addresses
//! replace the getaddrinfo list. Port 0 asks the kernel for a port: the
//! first socket gets one and every other socket binds that same port, so
//! the families still share it.

use std::net::{IpAddr, SocketAddr};

use serde::Serialize;
use socket2::{Domain, Protocol as SockProtocol, SockAddr, Socket, Type};

use crate::resolve::{AiFlags, Family, Hints, ResolveError, SockType, getaddrinfo};

/// The transport a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// A TCP listening socket.
    Tcp,
    /// A bound UDP socket.
    Udp,
}

impl Transport {
    /// "tcp" or "udp".
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }
}

/// Where to listen: a port on every address getaddrinfo offers, or on the
/// given addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenRequest {
    /// The port (0: one the kernel picks, shared by every socket).
    pub port: u16,
    /// Explicit addresses (`--bind`); empty means getaddrinfo's passive list.
    pub binds: Vec<IpAddr>,
    /// The listen(2) backlog for TCP sockets.
    pub backlog: i32,
}

impl ListenRequest {
    /// A request for `port` on the wildcard addresses.
    pub fn port(port: u16) -> ListenRequest {
        ListenRequest {
            port,
            binds: Vec::new(),
            backlog: 1024,
        }
    }
}

/// One socket that is listening: the JSON `listening` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Listening {
    /// "tcp" or "udp".
    pub transport: Transport,
    /// The bound address with the real port.
    pub address: SocketAddr,
}

/// Why the sockets could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListenError {
    /// getaddrinfo failed.
    #[error("finding the passive addresses")]
    Resolve(#[source] ResolveError),
    /// getaddrinfo returned nothing usable.
    #[error("getaddrinfo returned no address to listen on")]
    NoAddress,
    /// A socket call failed.
    #[error("{op} {transport} {address}")]
    Socket {
        /// "creating a socket for", "binding", "listening on".
        op: &'static str,
        /// tcp or udp.
        transport: &'static str,
        /// The address.
        address: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl ListenError {
    /// The OS error kind, when a socket call failed (e.g. AddrInUse).
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            ListenError::Socket { source, .. } => Some(source.kind()),
            _ => None,
        }
    }
}

/// The addresses to bind for `request` and `transport`, in getaddrinfo's
/// order (or the `--bind` order).
pub fn addresses(
    request: &ListenRequest,
    transport: Transport,
) -> Result<Vec<SocketAddr>, ListenError> {
    if !request.binds.is_empty() {
        return Ok(request
            .binds
            .iter()
            .map(|ip| SocketAddr::new(*ip, request.port))
            .collect());
    }
    let hints = Hints {
        family: Family::Unspec,
        socktype: match transport {
            Transport::Tcp => SockType::Stream,
            Transport::Udp => SockType::Dgram,
        },
        flags: AiFlags {
            passive: true,
            numericserv: true,
            ..AiFlags::default()
        },
        ..Hints::default()
    };
    let port = request.port.to_string();
    let list = getaddrinfo(None, Some(&port), &hints).map_err(ListenError::Resolve)?;
    let mut out: Vec<SocketAddr> = Vec::new();
    for entry in list {
        if !out.contains(&entry.addr) {
            out.push(entry.addr);
        }
    }
    if out.is_empty() {
        return Err(ListenError::NoAddress);
    }
    Ok(out)
}

/// Open one socket per address for `transport`: TCP sockets listening,
/// UDP sockets bound; all non-blocking, `SO_REUSEADDR` on TCP, and
/// `IPV6_V6ONLY` on IPv6 ones.
pub fn open(request: &ListenRequest, transport: Transport) -> Result<Vec<Socket>, ListenError> {
    let mut port = request.port;
    let mut sockets = Vec::new();
    for mut address in addresses(request, transport)? {
        address.set_port(port);
        let socket = open_one(address, transport, request.backlog)?;
        if port == 0 {
            port = socket
                .local_addr()
                .ok()
                .and_then(|a| a.as_socket())
                .map_or(0, |a| a.port());
        }
        sockets.push(socket);
    }
    Ok(sockets)
}

/// Where an opened socket is bound (its `Listening` event).
pub fn listening(socket: &Socket, transport: Transport) -> Option<Listening> {
    let address = socket.local_addr().ok()?.as_socket()?;
    Some(Listening { transport, address })
}

fn open_one(
    address: SocketAddr,
    transport: Transport,
    backlog: i32,
) -> Result<Socket, ListenError> {
    let fail = |op: &'static str| {
        move |source| ListenError::Socket {
            op,
            transport: transport.name(),
            address,
            source,
        }
    };
    let (ty, proto) = match transport {
        Transport::Tcp => (Type::STREAM, SockProtocol::TCP),
        Transport::Udp => (Type::DGRAM, SockProtocol::UDP),
    };
    let socket = Socket::new(Domain::for_address(address), ty, Some(proto))
        .map_err(fail("creating a socket for"))?;
    if address.is_ipv6() {
        socket
            .set_only_v6(true)
            .map_err(fail("setting IPV6_V6ONLY for"))?;
    }
    if transport == Transport::Tcp {
        socket
            .set_reuse_address(true)
            .map_err(fail("setting SO_REUSEADDR for"))?;
    }
    socket
        .set_nonblocking(true)
        .map_err(fail("setting O_NONBLOCK for"))?;
    socket
        .bind(&SockAddr::from(address))
        .map_err(fail("binding"))?;
    if transport == Transport::Tcp {
        socket.listen(backlog).map_err(fail("listening on"))?;
    }
    Ok(socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passive_list_has_a_wildcard_per_family_and_port_zero_is_shared() {
        let request = ListenRequest::port(0);
        let addrs = addresses(&request, Transport::Tcp).unwrap();
        assert!(addrs.iter().all(|a| a.ip().is_unspecified()), "{addrs:?}");
        let sockets = open(
            &ListenRequest {
                binds: vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()],
                ..request
            },
            Transport::Tcp,
        )
        .unwrap();
        let ports: Vec<u16> = sockets
            .iter()
            .map(|s| listening(s, Transport::Tcp).unwrap().address.port())
            .collect();
        assert_ne!(ports[0], 0);
        assert_eq!(ports[0], ports[1]);
    }
}
