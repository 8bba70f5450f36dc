//! The DNS message as ipkit asks it: the [`Question`], how to ask it
//! ([`QueryOptions`]), the query built from them ([`build_query`]), the
//! check that a reply answers it ([`answers`]), names read from
//! presentation form ([`name_from_text`], RFC 1035 §5.1) and the tolerant
//! decoder ([`decode`]). Wire format is hickory-proto's; nothing here opens
//! a socket.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::opt::{ClientSubnet, EdnsCode, EdnsOption};
use hickory_proto::rr::{DNSClass, Name, RecordType};
use std::io;

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
