//! ipkit's own DNS client: one question to one server over UDP (retried over
//! TCP when the answer is truncated) or TCP, answers checked before they are
//! believed, and resolv.conf's servers, attempts and search list applied the
//! way the glibc stub resolver applies them.
//!
//! Wire format is hickory-proto's (we do not hand-write DNS parsing). The
//! transport is ours, on plain blocking sockets: a single query pays no
//! runtime start-up, which keeps `ipkit dns name @server` as quick as kdig.
//! An answer is rejected (and counted) unless it comes from the server we
//! asked (a connected UDP socket lets the kernel drop others), carries our
//! random id, is a response, and repeats our question; a malformed answer is
//! rejected the same way and never ends the wait early.
//!
//! Not here yet: DoT/DoH, AXFR, `--trace`, and the bulk engine.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::opt::{ClientSubnet, EdnsCode, EdnsOption};
use hickory_proto::rr::{DNSClass, Name, Record, RecordType};
use ipkit_core::resolvconf::ResolvConf;

/// The question: name, type, class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// A fully qualified name.
    pub name: Name,
    /// The record type.
    pub rtype: RecordType,
    /// The class (IN, or CH for `version.bind`).
    pub class: DNSClass,
}

/// How to ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryOptions {
    /// RD: ask the server to recurse.
    pub recursion_desired: bool,
    /// The EDNS0 DO bit (DNSSEC records wanted).
    pub dnssec_ok: bool,
    /// CD: checking disabled.
    pub checking_disabled: bool,
    /// EDNS0 UDP payload size; None sends no OPT record.
    pub edns_payload: Option<u16>,
    /// Time to wait for each answer.
    pub timeout: Duration,
    /// TCP only (`--tcp`, resolv.conf `use-vc`).
    pub tcp: bool,
    /// Source address to bind the query socket to.
    pub source: Option<IpAddr>,
    /// Interface to send from (SO_BINDTODEVICE; Linux, needs CAP_NET_RAW).
    pub interface: Option<String>,
    /// EDNS options to send.
    pub edns_requests: EdnsRequests,
    /// DNS over TLS (RFC 7858) or over HTTPS (RFC 8484) instead of UDP/TCP.
    pub secure: Option<Secure>,
}

/// Settings of an encrypted transport.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secure {
    /// The name to verify the server's certificate against; None: its IP address.
    pub server_name: Option<String>,
    /// PEM file of trusted CA certificates; None: the system's roots.
    pub ca_file: Option<std::path::PathBuf>,
    /// For DoH, the URL path (e.g. `/dns-query`); None means DoT.
    pub https_path: Option<String>,
}

/// EDNS options a query can carry (each needs EDNS; asking for one sends OPT).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EdnsRequests {
    /// NSID (RFC 5001): ask the server to identify itself.
    pub nsid: bool,
    /// Client subnet (RFC 7871): an address and source prefix length.
    pub client_subnet: Option<(IpAddr, u8)>,
    /// A client cookie (RFC 7873), 8 random bytes.
    pub cookie: bool,
}

impl EdnsRequests {
    fn any(&self) -> bool {
        self.nsid || self.client_subnet.is_some() || self.cookie
    }
}

impl Default for QueryOptions {
    fn default() -> Self {
        QueryOptions {
            recursion_desired: true,
            dnssec_ok: false,
            checking_disabled: false,
            edns_payload: Some(1232),
            timeout: Duration::from_secs(5),
            tcp: false,
            source: None,
            interface: None,
            edns_requests: EdnsRequests::default(),
            secure: None,
        }
    }
}

/// A server's answer, with how it was obtained.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The server that answered.
    pub server: SocketAddr,
    /// The decoded message.
    pub message: Message,
    /// Its size on the wire, in bytes.
    pub size: usize,
    /// Time from sending the question to the accepted answer.
    pub elapsed: Duration,
    /// Whether the accepted answer came over TCP.
    pub tcp: bool,
    /// Whether a truncated UDP answer made us retry over TCP.
    pub retried_over_tcp: bool,
    /// Answers that were rejected while waiting (wrong id, question, or malformed).
    pub rejected: u32,
}

/// A failed exchange.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// No acceptable answer in time.
    #[error("no answer from {server} within {timeout:?}{}", rejected_note(*rejected))]
    Timeout {
        /// The server asked.
        server: SocketAddr,
        /// How long we waited.
        timeout: Duration,
        /// Answers rejected meanwhile.
        rejected: u32,
    },
    /// A socket operation failed. The OS error is the source, not part of
    /// this message, so a chain printer (`{:#}`) shows it once.
    #[error("{op} {server}")]
    Io {
        /// What we were doing.
        op: &'static str,
        /// The server.
        server: SocketAddr,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The question could not be encoded (e.g. a name too long).
    #[error("cannot encode the question for {name}: {reason}")]
    Encode {
        /// The name.
        name: String,
        /// hickory's reason.
        reason: String,
    },
    /// TLS could not be set up or the handshake failed.
    #[error("TLS with {server}: {reason}")]
    Tls {
        /// The server.
        server: SocketAddr,
        /// Why.
        reason: String,
    },
    /// The DoH server answered with something other than a DNS message.
    #[error("DNS over HTTPS with {server}: {reason}")]
    Http {
        /// The server.
        server: SocketAddr,
        /// Why.
        reason: String,
    },
    /// No name server to ask.
    #[error(
        "no name server configured (resolv.conf has no usable nameserver line); give one as @SERVER"
    )]
    NoServer,
}

fn rejected_note(n: u32) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(" ({n} bogus answers rejected)")
    }
}

/// A random query id ([`crate::random`]).
pub fn random_id() -> u16 {
    crate::random::u16()
}

/// Build the query message.
///
/// # Examples
/// ```
/// use hickory_proto::rr::{DNSClass, Name, RecordType};
/// use ipkit::dns::{build_query, Question, QueryOptions};
/// let q = Question { name: Name::from_ascii("example.test.").unwrap(), rtype: RecordType::MX, class: DNSClass::IN };
/// let m = build_query(7, &q, &QueryOptions::default());
/// assert_eq!(m.metadata.id, 7);
/// assert!(m.metadata.recursion_desired);
/// assert_eq!(m.edns.as_ref().map(|e| e.max_payload()), Some(1232));
/// ```
pub fn build_query(id: u16, q: &Question, o: &QueryOptions) -> Message {
    let mut m = Message::new(id, MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = o.recursion_desired;
    m.metadata.checking_disabled = o.checking_disabled;
    let mut query = Query::query(q.name.clone(), q.rtype);
    query.set_query_class(q.class);
    m.add_query(query);
    let wants_edns = o.dnssec_ok || o.edns_requests.any();
    if let Some(payload) = o.edns_payload.or(wants_edns.then_some(1232)) {
        let mut edns = Edns::new();
        edns.set_max_payload(payload.max(512));
        edns.set_dnssec_ok(o.dnssec_ok);
        let r = &o.edns_requests;
        if r.nsid {
            edns.options_mut()
                .insert(EdnsOption::Unknown(u16::from(EdnsCode::NSID), Vec::new()));
        }
        if let Some((ip, len)) = r.client_subnet {
            edns.options_mut()
                .insert(EdnsOption::Subnet(ClientSubnet::new(ip, len, 0)));
        }
        if r.cookie {
            let cookie = crate::random::u64().to_be_bytes();
            edns.options_mut().insert(EdnsOption::Unknown(
                u16::from(EdnsCode::Cookie),
                cookie.to_vec(),
            ));
        }
        m.set_edns(edns);
    }
    m
}

/// Whether `reply` answers `query`: a response with the same id and question.
pub fn answers(query: &Message, reply: &Message) -> bool {
    reply.metadata.message_type == MessageType::Response
        && reply.metadata.id == query.metadata.id
        && (reply.queries.is_empty() && reply.metadata.response_code != ResponseCode::NoError
            || reply.queries.len() == query.queries.len()
                && reply.queries.iter().zip(&query.queries).all(|(a, b)| {
                    a.query_type() == b.query_type()
                        && a.query_class() == b.query_class()
                        && same_name(a.name(), b.name())
                }))
}

/// Whether two names are the same, ASCII case ignored (RFC 4343), whether
/// or not either is marked fully qualified; allocates nothing.
fn same_name(a: &Name, b: &Name) -> bool {
    a.num_labels() == b.num_labels()
        && a.iter()
            .zip(b.iter())
            .all(|(x, y)| x.eq_ignore_ascii_case(y))
}

/// A domain name in presentation form (RFC 1035 §5.1): labels split at
/// unescaped dots, `\X` a literal X, and `\DDD` the byte with *decimal*
/// value DDD (`ww\119.example.test.` is www.example.test.,
/// `space\032name` a label holding a space). hickory-proto reads `\DDD` as
/// octal, so names are decoded here and built from raw labels. A final dot
/// makes the name fully qualified.
///
/// # Examples
/// ```
/// use ipkit::dns::name_from_text;
/// assert_eq!(name_from_text("ww\\119.example.test.").unwrap().to_string(), "www.example.test.");
/// let n = name_from_text("space\\032name.test").unwrap();
/// assert_eq!(n.iter().next().unwrap(), b"space name");
/// assert!(!n.is_fqdn());
/// assert!(name_from_text("a\\256.test").is_err());
/// ```
pub fn name_from_text(text: &str) -> Result<Name, NameError> {
    let bad = |why: &'static str| NameError {
        name: text.to_string(),
        why,
    };
    if text == "." {
        return Ok(Name::root());
    }
    let bytes = text.as_bytes();
    let mut labels: Vec<Vec<u8>> = Vec::new();
    let mut label = Vec::new();
    let mut i = 0;
    let mut fqdn = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                let rest = &bytes[i + 1..];
                if rest.len() >= 3 && rest[..3].iter().all(u8::is_ascii_digit) {
                    let v = rest[..3]
                        .iter()
                        .fold(0u32, |a, d| a * 10 + u32::from(d - b'0'));
                    label.push(u8::try_from(v).map_err(|_| bad("\\DDD is a byte, 000 to 255"))?);
                    i += 4;
                } else if let Some(&c) = rest.first() {
                    label.push(c);
                    i += 2;
                } else {
                    return Err(bad("it ends with a lone backslash"));
                }
            }
            b'.' => {
                if label.is_empty() {
                    return Err(bad("it has an empty label"));
                }
                labels.push(std::mem::take(&mut label));
                i += 1;
                if i == bytes.len() {
                    fqdn = true;
                }
            }
            c => {
                label.push(c);
                i += 1;
            }
        }
    }
    if !label.is_empty() {
        labels.push(label);
    }
    if labels.iter().any(|l| l.len() > 63) {
        return Err(bad("a label is longer than 63 bytes"));
    }
    let mut name = Name::from_labels(labels).map_err(|_| bad("it is longer than 255 bytes"))?;
    name.set_fqdn(fqdn);
    Ok(name)
}

/// Why a name could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{name}' is not a domain name: {why}")]
pub struct NameError {
    /// The text.
    pub name: String,
    /// What is wrong.
    pub why: &'static str,
}

/// Decode a DNS message, accepting records with empty RDATA.
///
/// RFC 1035 and RFC 3597 allow an RDLENGTH of 0 for any type (`NULL`,
/// `TYPE65001 \# 0`); hickory-proto reads such a record as an UPDATE
/// placeholder and refuses it outside UPDATE messages, which would turn a
/// valid answer (or a whole zone transfer) into a "bogus" one. So a message
/// that fails only for that is read again with its opcode shown to the
/// decoder as UPDATE — the sections have the same wire form — and the real
/// opcode is put back. The empty records come out as `RData::Update0(type)`,
/// which the views print as `\# 0`, as dig does.
///
/// # Examples
/// ```
/// // A response with one answer, `e. 0 IN TYPE65001`, RDLENGTH 0.
/// let wire = [
///     0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, // header
///     1, b'e', 0, 0xfd, 0xe9, 0, 1, // question e. TYPE65001 IN
///     0xc0, 12, 0xfd, 0xe9, 0, 1, 0, 0, 0, 0, 0, 0, // answer, empty RDATA
/// ];
/// let m = ipkit::dns::decode(&wire).unwrap();
/// assert_eq!(m.answers.len(), 1);
/// assert_eq!(m.metadata.op_code, hickory_proto::op::OpCode::Query);
/// ```
pub fn decode(wire: &[u8]) -> Result<Message, hickory_proto::serialize::binary::DecodeError> {
    match Message::from_vec(wire) {
        Ok(m) => Ok(m),
        Err(first) => {
            let Some(&flags) = wire.get(2) else {
                return Err(first);
            };
            let op = (flags >> 3) & 0x0f;
            if op == 5 {
                return Err(first);
            }
            let mut patched = wire.to_vec();
            patched[2] = (flags & 0x87) | (5 << 3);
            let mut m = Message::from_vec(&patched).map_err(|_| first)?;
            m.metadata.op_code = hickory_proto::op::OpCode::from_u8(op);
            Ok(m)
        }
    }
}

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
        return crate::dns_tls::exchange_secure(server, &query, &wire, o, secure, start);
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

fn bind_addr(server: SocketAddr, source: Option<IpAddr>) -> SocketAddr {
    let ip = source.unwrap_or(match server {
        SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    });
    SocketAddr::new(ip, 0)
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
        crate::sys::bind_device(&sock, ifname)?;
    }
    sock.bind(&bind_addr(server, o.source).into())?;
    Ok(sock)
}

/// Read `/etc/resolv.conf` (a missing file is an empty configuration, as in
/// glibc, which then asks 127.0.0.1).
pub fn system_config() -> io::Result<ResolvConf> {
    match std::fs::read_to_string("/etc/resolv.conf") {
        Ok(text) => Ok(ResolvConf::parse(&text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(ResolvConf::default()),
        Err(e) => Err(e),
    }
}

/// The servers to ask, in order: those given, else resolv.conf's (else
/// 127.0.0.1 and ::1, as glibc does), rotated when resolv.conf says `rotate`.
pub fn servers(given: &[SocketAddr], conf: &ResolvConf) -> Vec<SocketAddr> {
    if !given.is_empty() {
        return given.to_vec();
    }
    let mut v: Vec<SocketAddr> = conf
        .nameservers
        .iter()
        .map(|ip| SocketAddr::new(*ip, 53))
        .collect();
    if v.is_empty() {
        v = vec![
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 53),
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), 53),
        ];
    }
    if conf.rotate && v.len() > 1 {
        let k = usize::from(random_id()) % v.len();
        v.rotate_left(k);
    }
    v
}

/// Ask `servers` in order, each up to `attempts` rounds (res_send's loop):
/// the first answer wins; an error names the last server tried.
pub fn ask(
    servers: &[SocketAddr],
    q: &Question,
    o: &QueryOptions,
    attempts: u8,
) -> Result<Answer, DnsError> {
    let mut last = DnsError::NoServer;
    for _ in 0..attempts.max(1) {
        for &server in servers {
            match exchange(server, q, o) {
                Ok(a) => return Ok(a),
                Err(e @ DnsError::Encode { .. }) => return Err(e),
                Err(e) => last = e,
            }
        }
    }
    Err(last)
}

/// res_search: try each candidate name from the search list in order; go on
/// past NXDOMAIN (and past NODATA, remembering it, as glibc does); stop at
/// the first answer with records, or at a server failure.
pub fn search(
    servers: &[SocketAddr],
    conf: &ResolvConf,
    name: &str,
    rtype: RecordType,
    class: DNSClass,
    o: &QueryOptions,
) -> Result<(Question, Answer), DnsError> {
    let mut nodata: Option<(Question, Answer)> = None;
    let mut last: Option<(Question, Answer)> = None;
    for candidate in conf.candidates(name) {
        let qname = name_from_text(&candidate).map_err(|e| DnsError::Encode {
            name: candidate.clone(),
            reason: e.to_string(),
        })?;
        let q = Question {
            name: qname,
            rtype,
            class,
        };
        let a = ask(servers, &q, o, conf.attempts)?;
        let code = a.message.metadata.response_code;
        if code == ResponseCode::NoError && !a.message.answers.is_empty() {
            return Ok((q, a));
        }
        if code == ResponseCode::NoError {
            nodata.get_or_insert((q, a));
        } else if code == ResponseCode::NXDomain {
            last = Some((q, a));
        } else {
            return Ok((q, a));
        }
    }
    nodata.or(last).ok_or(DnsError::NoServer)
}

/// A zone transfer (AXFR, RFC 5936) over TCP: every record, the SOA first and
/// last, gathered from as many messages as the server sends. Each message
/// must arrive within the timeout; at most `max_records` are accepted.
pub fn axfr(
    server: SocketAddr,
    zone: &Name,
    o: &QueryOptions,
    max_records: usize,
) -> Result<Answer, DnsError> {
    let q = Question {
        name: zone.clone(),
        rtype: RecordType::AXFR,
        class: DNSClass::IN,
    };
    let mut plain = o.clone();
    plain.edns_payload = None;
    plain.edns_requests = EdnsRequests::default();
    let query = build_query(random_id(), &q, &plain);
    let wire = query.to_vec().map_err(|e| DnsError::Encode {
        name: zone.to_ascii(),
        reason: e.to_string(),
    })?;
    let start = Instant::now();
    let err = stream_error(server, o.timeout, 0, "transferring from");
    let mut s = tcp_connect(server, o).map_err(err)?;
    s.set_read_timeout(Some(o.timeout)).map_err(err)?;
    write_framed(&mut s, &wire).map_err(err)?;
    let mut first: Option<Message> = None;
    let mut records: Vec<Record> = Vec::new();
    let mut size = 0;
    let mut rejected = 0;
    let mut soas = 0;
    while soas < 2 && records.len() < max_records {
        let buf = read_framed(&mut s).map_err(err)?;
        size += buf.len();
        let Ok(msg) = decode(&buf) else {
            rejected += 1;
            continue;
        };
        if msg.metadata.id != query.metadata.id
            || msg.metadata.message_type != MessageType::Response
        {
            rejected += 1;
            continue;
        }
        let failed = msg.metadata.response_code != ResponseCode::NoError || msg.answers.is_empty();
        for r in &msg.answers {
            if r.record_type() == RecordType::SOA {
                soas += 1;
            }
        }
        records.extend(msg.answers.iter().cloned());
        if first.is_none() {
            first = Some(msg);
        }
        if failed {
            break;
        }
    }
    let mut message = first.ok_or(DnsError::Timeout {
        server,
        timeout: o.timeout,
        rejected,
    })?;
    message.answers = records;
    Ok(Answer {
        server,
        message,
        size,
        elapsed: start.elapsed(),
        tcp: true,
        retried_over_tcp: false,
        rejected,
    })
}

/// One step of a delegation trace: who was asked and what they said.
#[derive(Debug, Clone)]
pub struct TraceStep {
    /// The zone whose servers were asked ("." first).
    pub zone: Name,
    /// The answer (a referral, or the final answer).
    pub answer: Answer,
}

/// The IANA root servers' IPv4 addresses (root hints), the default start of
/// a trace.
pub const ROOT_HINTS: [Ipv4Addr; 13] = [
    Ipv4Addr::new(198, 41, 0, 4),
    Ipv4Addr::new(170, 247, 170, 2),
    Ipv4Addr::new(192, 33, 4, 12),
    Ipv4Addr::new(199, 7, 91, 13),
    Ipv4Addr::new(192, 203, 230, 10),
    Ipv4Addr::new(192, 5, 5, 241),
    Ipv4Addr::new(192, 112, 36, 4),
    Ipv4Addr::new(198, 97, 190, 53),
    Ipv4Addr::new(192, 36, 148, 17),
    Ipv4Addr::new(192, 58, 128, 30),
    Ipv4Addr::new(193, 0, 14, 129),
    Ipv4Addr::new(199, 7, 83, 42),
    Ipv4Addr::new(202, 12, 27, 33),
];

/// Why a trace stopped without an answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// No server of a zone answered.
    #[error("no server for zone {zone} answered")]
    NoAnswer {
        /// The zone.
        zone: String,
        /// The last error.
        #[source]
        source: DnsError,
    },
    /// A referral that does not lead closer to the name (lame or looping).
    #[error(
        "{server} referred {name} to {zone}, which is not closer than {from}: lame or looping delegation"
    )]
    NotCloser {
        /// The server.
        server: SocketAddr,
        /// The name traced.
        name: String,
        /// The zone referred to.
        zone: String,
        /// The zone we were at.
        from: String,
    },
    /// A referral without addresses for its servers.
    #[error(
        "{zone}'s servers ({servers}) have no glue addresses and resolving them is not done by --trace"
    )]
    NoGlue {
        /// The zone.
        zone: String,
        /// Its name servers.
        servers: String,
    },
    /// More steps than allowed.
    #[error("more than {0} delegations: giving up")]
    TooDeep(usize),
}

/// Follow delegations from `roots` down to the answer, without recursion
/// (RD clear), as `dig +trace` does. Each step is reported through `on_step`
/// as it completes. Glue must come with referrals; at most 32 steps.
pub fn trace(
    roots: &[SocketAddr],
    q: &Question,
    o: &QueryOptions,
    mut on_step: impl FnMut(&TraceStep),
) -> Result<Answer, TraceError> {
    let mut o = o.clone();
    o.recursion_desired = false;
    let mut servers = roots.to_vec();
    let mut zone = Name::root();
    let port = roots.first().map_or(53, SocketAddr::port);
    for _ in 0..32 {
        let answer = ask(&servers, q, &o, 1).map_err(|e| TraceError::NoAnswer {
            zone: zone.to_ascii(),
            source: e,
        })?;
        let step = TraceStep {
            zone: zone.clone(),
            answer,
        };
        on_step(&step);
        let m = &step.answer.message;
        let ns: Vec<&Record> = m
            .authorities
            .iter()
            .filter(|r| r.record_type() == RecordType::NS)
            .collect();
        let is_referral = m.answers.is_empty()
            && m.metadata.response_code == ResponseCode::NoError
            && !ns.is_empty()
            && !m.metadata.authoritative;
        if !is_referral {
            return Ok(step.answer);
        }
        let next = ns[0].name.clone();
        if !(zone.zone_of(&next) && next.num_labels() > zone.num_labels() && next.zone_of(&q.name))
        {
            return Err(TraceError::NotCloser {
                server: step.answer.server,
                name: q.name.to_ascii(),
                zone: next.to_ascii(),
                from: zone.to_ascii(),
            });
        }
        let ns_names: Vec<Name> = ns
            .iter()
            .filter_map(|r| match &r.data {
                hickory_proto::rr::RData::NS(n) => Some(n.0.clone()),
                _ => None,
            })
            .collect();
        let glue: Vec<SocketAddr> = m
            .additionals
            .iter()
            .filter(|r| ns_names.iter().any(|n| n.eq_case(&r.name) || n == &r.name))
            .filter_map(|r| match &r.data {
                hickory_proto::rr::RData::A(a) => Some(SocketAddr::new(IpAddr::V4(a.0), port)),
                hickory_proto::rr::RData::AAAA(a) => Some(SocketAddr::new(IpAddr::V6(a.0), port)),
                _ => None,
            })
            .collect();
        if glue.is_empty() {
            return Err(TraceError::NoGlue {
                zone: next.to_ascii(),
                servers: ns_names
                    .iter()
                    .map(Name::to_ascii)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        servers = glue;
        zone = next;
    }
    Err(TraceError::TooDeep(32))
}

#[cfg(test)]
mod tests {
    use super::{Name, same_name};

    #[test]
    fn names_compare_without_case_or_the_final_dot() {
        let n = |s: &str| Name::from_ascii(s).unwrap();
        assert!(same_name(&n("WWW.Lab.test."), &n("www.lab.test")));
        assert!(same_name(&n("."), &n(".")));
        assert!(!same_name(&n("www.lab.test."), &n("www.lab.tes.")));
        assert!(!same_name(&n("a.b."), &n("a.b.c.")));
        assert!(!same_name(&n("ab.c."), &n("a.bc.")));
    }
}
