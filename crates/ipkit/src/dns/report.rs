//! The report of a DNS exchange: one [`DnsReport`] per question, the JSON
//! contract of `ipkit dns --json` (docs/json.md) and the values its human
//! views (nslookup's, dig's, `--short`) render from. Record data is in
//! presentation (zone-file) form; unknown types in RFC 3597 form
//! (`\# LEN HEX`).

use super::message::{Answer, Question};
use super::presentation::type_name;
use hickory_proto::op::Message;
use hickory_proto::rr::{RData, Record, RecordType};
use serde::Serialize;

/// One question and its answer. The fields of this report and its parts
/// are in alphabetical order, the order `ipkit dns --json` has always
/// printed them in.
#[derive(Debug, Serialize)]
pub struct DnsReport {
    /// Additional section (the OPT pseudo-record is not listed).
    pub additional: Vec<RecordView>,
    /// Answer section.
    pub answer: Vec<RecordView>,
    /// Authority section.
    pub authority: Vec<RecordView>,
    /// EDNS options in the answer (NSID, client subnet, cookie …).
    pub edns_options: Vec<EdnsOptionView>,
    /// The EDNS UDP payload size the server advertised, if it sent OPT.
    pub edns_payload: Option<u16>,
    /// Header flags that are set: qr aa tc rd ra ad cd.
    pub flags: Vec<&'static str>,
    /// The message id.
    pub id: u16,
    /// Time from question to accepted answer, milliseconds.
    pub query_time_ms: f64,
    /// The question as sent (after the search list was applied).
    pub question: QuestionView,
    /// Bogus answers rejected while waiting.
    pub rejected: u32,
    /// A truncated UDP answer was retried over TCP.
    pub retried_over_tcp: bool,
    /// The server that answered, `ADDRESS#PORT`.
    pub server: String,
    /// Answer size in bytes.
    pub size: usize,
    /// NOERROR, NXDOMAIN, SERVFAIL, REFUSED …
    pub status: String,
    /// "udp", "tcp", "tls" or "https".
    pub transport: &'static str,
}

/// One EDNS option of the answer.
#[derive(Debug, Serialize)]
pub struct EdnsOptionView {
    /// The option code.
    pub code: u16,
    /// The data: hex, with NSID's printable text and the subnet in prefix form.
    pub data: String,
    /// NSID, CLIENT-SUBNET, COOKIE, or OPTnnn.
    pub name: String,
}

/// Extended DNS Error info codes (RFC 8914 §4).
fn ede_name(code: u16) -> &'static str {
    match code {
        0 => "Other",
        1 => "Unsupported DNSKEY Algorithm",
        2 => "Unsupported DS Digest Type",
        3 => "Stale Answer",
        4 => "Forged Answer",
        5 => "DNSSEC Indeterminate",
        6 => "DNSSEC Bogus",
        7 => "Signature Expired",
        8 => "Signature Not Yet Valid",
        9 => "DNSKEY Missing",
        10 => "RRSIGs Missing",
        11 => "No Zone Key Bit Set",
        12 => "NSEC Missing",
        13 => "Cached Error",
        14 => "Not Ready",
        15 => "Blocked",
        16 => "Censored",
        17 => "Filtered",
        18 => "Prohibited",
        19 => "Stale NXDOMAIN Answer",
        20 => "Not Authoritative",
        21 => "Not Supported",
        22 => "No Reachable Authority",
        23 => "Network Error",
        24 => "Invalid Data",
        _ => "Unassigned",
    }
}

fn edns_options(m: &Message) -> Vec<EdnsOptionView> {
    use hickory_proto::rr::rdata::opt::EdnsOption;
    let Some(edns) = &m.edns else {
        return Vec::new();
    };
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    edns.options()
        .as_ref()
        .iter()
        .map(|(code, opt)| {
            let code = u16::from(*code);
            let (name, data) = match opt {
                EdnsOption::NSID(p) => {
                    let b = p.as_ref();
                    let text: String = b
                        .iter()
                        .map(|&c| {
                            if (0x20..0x7f).contains(&c) {
                                c as char
                            } else {
                                '.'
                            }
                        })
                        .collect();
                    ("NSID".to_string(), format!("{} (\"{text}\")", hex(b)))
                }
                EdnsOption::Subnet(c) => ("CLIENT-SUBNET".to_string(), format!("{c:?}")),
                EdnsOption::Unknown(10, b) => ("COOKIE".to_string(), hex(b)),
                EdnsOption::Unknown(15, b) if b.len() >= 2 => {
                    let info = u16::from_be_bytes([b[0], b[1]]);
                    let text = String::from_utf8_lossy(&b[2..]);
                    (
                        "EDE".to_string(),
                        format!("{info} ({}): {text}", ede_name(info)),
                    )
                }
                EdnsOption::Unknown(3, b) => ("NSID".to_string(), hex(b)),
                EdnsOption::Unknown(c, b) => (format!("OPT{c}"), hex(b)),
                #[allow(unreachable_patterns)]
                other => (format!("OPT{code}"), format!("{other:?}")),
            };
            EdnsOptionView { code, name, data }
        })
        .collect()
}

/// The question.
#[derive(Debug, Serialize)]
pub struct QuestionView {
    /// Class.
    pub class: String,
    /// Fully qualified name.
    pub name: String,
    /// Record type.
    #[serde(rename = "type")]
    pub rtype: String,
}

/// One resource record.
#[derive(Debug, Clone, Serialize)]
pub struct RecordView {
    /// Class.
    pub class: String,
    /// Data in presentation form.
    pub data: String,
    /// Owner name.
    pub name: String,
    /// TTL in seconds.
    pub ttl: u32,
    /// Type (TYPEnnn when unknown).
    #[serde(rename = "type")]
    pub rtype: String,
}

/// Record data in presentation form, as dig prints it (see
/// [`super::presentation`]); every RDATA is shown, in RFC 3597's generic
/// form where nothing better applies.
pub fn rdata_text(d: &RData) -> String {
    use super::presentation::{generic, name_text, quoted, text};
    use hickory_proto::serialize::binary::BinEncodable;
    match d {
        // Empty RDATA (RFC 3597 §5), which hickory reads as an UPDATE marker.
        RData::Update0(_) => return generic(&[]),
        // Names in dig's escapes (decimal \DDD), not hickory's.
        RData::CNAME(n) => return name_text(&n.0),
        RData::NS(n) => return name_text(&n.0),
        RData::PTR(n) => return name_text(&n.0),
        RData::MX(mx) => return format!("{} {}", mx.preference, name_text(&mx.exchange)),
        RData::SRV(srv) => {
            return format!(
                "{} {} {} {}",
                srv.priority,
                srv.weight,
                srv.port,
                name_text(&srv.target)
            );
        }
        RData::SOA(soa) => {
            return format!(
                "{} {} {} {} {} {} {}",
                name_text(&soa.mname),
                name_text(&soa.rname),
                soa.serial,
                soa.refresh,
                soa.retry,
                soa.expire,
                soa.minimum
            );
        }
        RData::TXT(txt) => {
            return txt
                .txt_data
                .iter()
                .map(|s| quoted(s))
                .collect::<Vec<_>>()
                .join(" ");
        }
        _ => {}
    }
    let code = u16::from(d.record_type());
    // Encode to wire bytes only for the types rendered from them (not for
    // every A record of a bulk run).
    let unknown = matches!(d, RData::Unknown { .. });
    if !unknown && !super::presentation::from_wire(code) {
        return d.to_string();
    }
    let wire = d.to_bytes().unwrap_or_default();
    match text(code, &wire) {
        Some(s) => s,
        None if unknown => generic(&wire),
        None => d.to_string(),
    }
}

/// dig's mnemonic for a response code (RFC 1035, RFC 6895), `RCODEn` otherwise.
pub fn rcode_name(code: hickory_proto::op::ResponseCode) -> String {
    let n = u16::from(code);
    let name = match n {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        16 => "BADVERS",
        23 => "BADCOOKIE",
        _ => return format!("RCODE{n}"),
    };
    name.to_string()
}

/// One record as a view.
pub fn record_view(r: &Record) -> RecordView {
    RecordView {
        name: super::presentation::name_text(&r.name),
        ttl: r.ttl,
        class: r.dns_class.to_string(),
        rtype: type_name(r.record_type()),
        data: rdata_text(&r.data),
    }
}

/// The header flags that are set.
pub fn flags(m: &Message) -> Vec<&'static str> {
    let h = &m.metadata;
    let mut f = Vec::new();
    for (on, name) in [
        (
            h.message_type == hickory_proto::op::MessageType::Response,
            "qr",
        ),
        (h.authoritative, "aa"),
        (h.truncation, "tc"),
        (h.recursion_desired, "rd"),
        (h.recursion_available, "ra"),
        (h.authentic_data, "ad"),
        (h.checking_disabled, "cd"),
    ] {
        if on {
            f.push(name);
        }
    }
    f
}

/// Build the report of one exchange; `transport` names how it travelled
/// (udp, tcp, tls, https).
pub fn build_via(q: &Question, a: &Answer, transport: &'static str) -> DnsReport {
    let m = &a.message;
    let views = |rs: &[Record]| {
        rs.iter()
            .filter(|r| r.record_type() != RecordType::OPT)
            .map(record_view)
            .collect()
    };
    DnsReport {
        server: format!("{}#{}", a.server.ip(), a.server.port()),
        question: QuestionView {
            name: super::presentation::name_text(&q.name),
            rtype: type_name(q.rtype),
            class: q.class.to_string(),
        },
        status: rcode_name(m.metadata.response_code),
        flags: flags(m),
        id: m.metadata.id,
        answer: views(&m.answers),
        authority: views(&m.authorities),
        additional: views(&m.additionals),
        query_time_ms: millis(a.elapsed),
        size: a.size,
        transport,
        retried_over_tcp: a.retried_over_tcp,
        rejected: a.rejected,
        edns_payload: m.edns.as_ref().map(|e| e.max_payload()),
        edns_options: edns_options(m),
    }
}

/// Build the report of a plain (UDP/TCP) exchange.
pub fn build(q: &Question, a: &Answer) -> DnsReport {
    build_via(q, a, if a.tcp { "tcp" } else { "udp" })
}

/// A duration in milliseconds, to the microsecond.
pub fn millis(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// The reports of one command, one per question: `{"results": [...]}`.
#[derive(Debug, Serialize)]
pub struct Results<'a> {
    /// One report per question asked (one for a zone transfer).
    pub results: &'a [DnsReport],
}

/// A delegation trace: every step's report, and why it stopped short.
/// (Fields in the order the JSON has always had: `error`, then `trace`.)
#[derive(Debug, Serialize)]
pub struct TraceReport {
    /// Why the trace ended without an answer (the whole error chain), or null.
    pub error: Option<String>,
    /// Each step, the root's referral first, the final answer last.
    pub trace: Vec<DnsReport>,
    /// The zone whose servers each step asked ("." first); in the human
    /// view only.
    #[serde(skip)]
    pub zones: Vec<String>,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use hickory_proto::op::{Edns, Message, MessageType, OpCode};
    use hickory_proto::rr::rdata::A;
    use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

    use super::{TraceReport, build};
    use crate::dns::{Answer, Question};

    /// The JSON has always been printed through `serde_json::Value`, whose
    /// maps sort their keys: the typed reports print the same bytes.
    #[test]
    fn reports_print_their_fields_in_the_order_json_values_do() {
        let name = Name::from_ascii("www.example.test.").unwrap();
        let mut m = Message::new(7, MessageType::Response, OpCode::Query);
        m.add_answer(Record::from_rdata(
            name.clone(),
            60,
            RData::A(A::new(192, 0, 2, 1)),
        ));
        m.set_edns(Edns::new());
        let q = Question {
            name,
            rtype: RecordType::A,
            class: DNSClass::IN,
        };
        let a = Answer {
            server: "127.0.0.1:53".parse().unwrap(),
            message: m,
            size: 60,
            elapsed: Duration::from_micros(1500),
            tcp: false,
            retried_over_tcp: false,
            rejected: 0,
        };
        let trace = TraceReport {
            error: None,
            trace: vec![build(&q, &a)],
            zones: vec![".".into()],
        };
        let typed = serde_json::to_string_pretty(&trace).unwrap();
        let value = serde_json::to_string_pretty(&serde_json::to_value(&trace).unwrap()).unwrap();
        assert_eq!(typed, value);
        assert!(typed.contains("\"data\": \"192.0.2.1\""), "{typed}");
    }
}
