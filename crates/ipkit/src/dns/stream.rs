//! The socket plumbing every transport shares: a socket bound to the
//! source address and interface asked for, TCP connects with a deadline,
//! RFC 1035 §4.2.2 length-prefixed framing (TCP, DoT), and how a stream
//! error reads (a time-out names the server and the wait).

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

use super::message::{DnsError, QueryOptions};

fn bind_addr(server: SocketAddr, source: Option<IpAddr>) -> SocketAddr {
    let ip = source.unwrap_or(match server {
        SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    });
    SocketAddr::new(ip, 0)
}

/// How a stream error reads: a time-out names the server and the wait;
/// anything else is an I/O error during `op`.
pub(crate) fn stream_error(
    server: SocketAddr,
    timeout: Duration,
    rejected: u32,
    op: &'static str,
) -> impl Fn(io::Error) -> DnsError + Copy {
    move |e: io::Error| {
        if matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ) {
            DnsError::Timeout {
                server,
                timeout,
                rejected,
            }
        } else {
            DnsError::Io {
                op,
                server,
                source: e,
            }
        }
    }
}

/// Write one message with RFC 1035 §4.2.2's two-byte length prefix (TCP, DoT).
pub(crate) fn write_framed(w: &mut impl Write, wire: &[u8]) -> io::Result<()> {
    let len = u16::try_from(wire.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "DNS message over 65535 bytes"))?;
    let mut framed = Vec::with_capacity(wire.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(wire);
    w.write_all(&framed)
}

/// Read one length-prefixed message.
pub(crate) fn read_framed(r: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 2];
    r.read_exact(&mut len)?;
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
    r.read_exact(&mut buf)?;
    Ok(buf)
}

/// Connect over TCP, from `o.source` when given (bound before connecting).
pub(crate) fn tcp_connect(server: SocketAddr, o: &QueryOptions) -> io::Result<TcpStream> {
    if o.source.is_none() && o.interface.is_none() {
        return TcpStream::connect_timeout(&server, o.timeout);
    }
    let sock = open_socket(server, o, socket2::Type::STREAM)?;
    sock.connect_timeout(&server.into(), o.timeout)?;
    Ok(sock.into())
}

/// A socket of `kind` for talking to `server`, bound to `o.source` and to
/// `o.interface` when given.
pub(crate) fn open_socket(
    server: SocketAddr,
    o: &QueryOptions,
    kind: socket2::Type,
) -> io::Result<socket2::Socket> {
    let sock = socket2::Socket::new(socket2::Domain::for_address(server), kind, None)?;
    if let Some(ifname) = &o.interface {
        crate::sockopt::bind_to_interface(&sock, ifname)?;
    }
    sock.bind(&bind_addr(server, o.source).into())?;
    Ok(sock)
}
