//! One question to one server: over UDP (retried over TCP when the answer
//! is truncated), TCP, or the encrypted transports of [`super::tls`]. An
//! answer is believed only when it comes from the server asked, carries our
//! id, is a response and repeats our question.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::Instant;

use hickory_proto::op::Message;

use super::message::{
    Answer, DnsError, QueryOptions, Question, answers, build_query, decode, random_id,
};
use super::stream::{open_socket, read_framed, stream_error, tcp_connect, write_framed};

/// Ask one server one question.
///
/// # Examples
/// ```no_run
/// use hickory_proto::rr::{DNSClass, Name, RecordType};
/// use ipkit::dns::{exchange, Question, QueryOptions};
/// let q = Question { name: Name::from_ascii("example.test.").unwrap(), rtype: RecordType::A, class: DNSClass::IN };
/// let a = exchange("127.0.0.1:53".parse().unwrap(), &q, &QueryOptions::default()).unwrap();
/// println!("{} answers in {:?}", a.message.answers.len(), a.elapsed);
/// ```
pub fn exchange(server: SocketAddr, q: &Question, o: &QueryOptions) -> Result<Answer, DnsError> {
    // RFC 8484 §4.1: DoH uses id 0 so that HTTP caches can share answers.
    let doh = o.secure.as_ref().is_some_and(|s| s.https_path.is_some());
    let query = build_query(if doh { 0 } else { random_id() }, q, o);
    let wire = query.to_vec().map_err(|e| DnsError::Encode {
        name: q.name.to_ascii(),
        reason: e.to_string(),
    })?;
    let start = Instant::now();
    if let Some(secure) = &o.secure {
        return super::tls::exchange_secure(server, &query, &wire, o, secure, start);
    }
    if o.tcp {
        return exchange_tcp(server, &query, &wire, o, start, false, 0);
    }
    let (reply, size, rejected) = exchange_udp(server, &query, &wire, o)?;
    if reply.metadata.truncation {
        return exchange_tcp(server, &query, &wire, o, start, true, rejected);
    }
    Ok(Answer {
        server,
        message: reply,
        size,
        elapsed: start.elapsed(),
        tcp: false,
        retried_over_tcp: false,
        rejected,
    })
}

fn exchange_udp(
    server: SocketAddr,
    query: &Message,
    wire: &[u8],
    o: &QueryOptions,
) -> Result<(Message, usize, u32), DnsError> {
    let io = |op| move |source| DnsError::Io { op, server, source };
    let sock: UdpSocket = open_socket(server, o, socket2::Type::DGRAM)
        .map_err(io("binding a socket for"))?
        .into();
    // Connected: the kernel drops datagrams from any other address or port.
    sock.connect(server).map_err(io("connecting to"))?;
    sock.send(wire).map_err(io("sending to"))?;
    let deadline = Instant::now() + o.timeout;
    let mut buf = vec![0u8; 65535];
    let mut rejected = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(DnsError::Timeout {
                server,
                timeout: o.timeout,
                rejected,
            });
        }
        sock.set_read_timeout(Some(left))
            .map_err(io("waiting for"))?;
        match sock.recv(&mut buf) {
            Ok(n) => match decode(&buf[..n]) {
                Ok(reply) if answers(query, &reply) => return Ok((reply, n, rejected)),
                _ => rejected += 1,
            },
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(DnsError::Timeout {
                    server,
                    timeout: o.timeout,
                    rejected,
                });
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(DnsError::Io {
                    op: "receiving from",
                    server,
                    source: e,
                });
            }
        }
    }
}

fn exchange_tcp(
    server: SocketAddr,
    query: &Message,
    wire: &[u8],
    o: &QueryOptions,
    start: Instant,
    retried: bool,
    rejected: u32,
) -> Result<Answer, DnsError> {
    let err = stream_error(server, o.timeout, rejected, "talking TCP to");
    let mut s = tcp_connect(server, o).map_err(err)?;
    s.set_read_timeout(Some(o.timeout)).map_err(err)?;
    s.set_write_timeout(Some(o.timeout)).map_err(err)?;
    s.set_nodelay(true).map_err(err)?;
    write_framed(&mut s, wire).map_err(err)?;
    let mut rejected = rejected;
    loop {
        let buf = read_framed(&mut s).map_err(err)?;
        match decode(&buf) {
            Ok(reply) if answers(query, &reply) => {
                return Ok(Answer {
                    server,
                    message: reply,
                    size: buf.len(),
                    elapsed: start.elapsed(),
                    tcp: true,
                    retried_over_tcp: retried,
                    rejected,
                });
            }
            _ => rejected += 1,
        }
    }
}
