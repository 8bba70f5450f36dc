//! The multicast ping protocol of RFC 6450 (ssmping / asmping, port 4321),
//! written from the RFC and checked against Debian's `ssmping` package: a
//! message is one type byte (`Q` request, `A` answer) followed by TLVs
//! (type and length as big-endian u16, then the value). A request carries
//! the client's id, a sequence number, its send time (seconds and
//! microseconds) and, optionally, the group to answer on; the responder
//! answers with the request's TLVs under `A`, once by unicast and once to
//! the group, from its port 4321 to the client's port. Hand-written: the
//! format is a dozen lines and no crate speaks it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// The responder's UDP port.
pub const PORT: u16 = 4321;
/// The IPv4 group RFC 6450 assigns (232.43.211.234).
pub const GROUP_V4: Ipv4Addr = Ipv4Addr::new(232, 43, 211, 234);
/// The IPv6 group RFC 6450 assigns, global scope (ff3e::4321:1234).
pub const GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xff3e, 0, 0, 0, 0, 0, 0x4321, 0x1234);
/// The TTL / hop limit replies leave with (ssmpingd's), so the distance a
/// reply travelled is this less the TTL it arrives with.
pub const REPLY_TTL: u8 = 64;

const REQUEST: u8 = b'Q';
const ANSWER: u8 = b'A';
const PID: u16 = 1;
const SEQ: u16 = 2;
const TIMESTAMP: u16 = 3;
const GROUP: u16 = 4;
const VERSION: u16 = 6;

/// The group replies go to when a request names none.
pub fn default_group(v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(GROUP_V6)
    } else {
        IpAddr::V4(GROUP_V4)
    }
}

/// Whether a responder may answer on `group`: ssmpingd's rule (an IPv4
/// group ending in .234, an IPv6 one ending in 4321:1234), so a request
/// cannot point the multicast copy at any group it likes.
pub fn group_allowed(group: IpAddr) -> bool {
    group.is_multicast()
        && match group {
            IpAddr::V4(g) => g.octets()[3] == 234,
            IpAddr::V6(g) => g.segments()[6..] == [0x4321, 0x1234],
        }
}

/// What a request says (and its answer echoes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// The client's id (ssmping: its process id).
    pub pid: u32,
    /// The sequence number.
    pub seq: u32,
    /// When it was sent, since the Unix epoch (microsecond precision).
    pub sent: Duration,
    /// The group to answer on, if named.
    pub group: Option<IpAddr>,
}

fn tlv(out: &mut Vec<u8>, kind: u16, value: &[u8]) {
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(&u16::try_from(value.len()).unwrap_or(u16::MAX).to_be_bytes());
    out.extend_from_slice(value);
}

/// A request's bytes.
pub fn request(p: &Probe) -> Vec<u8> {
    let mut out = vec![REQUEST];
    tlv(&mut out, PID, &p.pid.to_be_bytes());
    tlv(&mut out, SEQ, &p.seq.to_be_bytes());
    let secs = u32::try_from(p.sent.as_secs()).unwrap_or(u32::MAX);
    let mut ts = secs.to_be_bytes().to_vec();
    ts.extend_from_slice(&p.sent.subsec_micros().to_be_bytes());
    tlv(&mut out, TIMESTAMP, &ts);
    match p.group {
        Some(IpAddr::V4(g)) => {
            let mut v = vec![1];
            v.extend_from_slice(&g.octets());
            tlv(&mut out, GROUP, &v);
        }
        Some(IpAddr::V6(g)) => {
            let mut v = vec![2];
            v.extend_from_slice(&g.octets());
            tlv(&mut out, GROUP, &v);
        }
        None => {}
    }
    out
}

/// The TLVs after the type byte; None unless they fill it exactly.
fn tlvs(body: &[u8]) -> Option<Vec<(u16, &[u8])>> {
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let head = rest.get(..4)?;
        let kind = u16::from_be_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
        let value = rest.get(4..4 + len)?;
        out.push((kind, value));
        rest = &rest[4 + len..];
    }
    Some(out)
}

/// Read a message of type `want` back into a [`Probe`].
fn parse(msg: &[u8], want: u8) -> Option<Probe> {
    let (&kind, body) = msg.split_first()?;
    if kind != want {
        return None;
    }
    let mut p = Probe {
        pid: 0,
        seq: 0,
        sent: Duration::ZERO,
        group: None,
    };
    let word = |v: &[u8]| Some(u32::from_be_bytes(v.try_into().ok()?));
    for (t, v) in tlvs(body)? {
        match t {
            PID => p.pid = word(v)?,
            SEQ => p.seq = word(v)?,
            TIMESTAMP if v.len() == 8 => {
                let micros = word(&v[4..])?.min(999_999);
                p.sent = Duration::new(u64::from(word(&v[..4])?), micros * 1000);
            }
            GROUP => {
                p.group = match (v.first(), v.len()) {
                    (Some(1), 5) => Some(IpAddr::V4(Ipv4Addr::new(v[1], v[2], v[3], v[4]))),
                    (Some(2), 17) => Some(IpAddr::V6(Ipv6Addr::from(
                        <[u8; 16]>::try_from(&v[1..]).ok()?,
                    ))),
                    _ => return None,
                }
            }
            _ => {}
        }
    }
    Some(p)
}

/// An answer's probe (None for anything else, our own requests included).
pub fn parse_answer(msg: &[u8]) -> Option<Probe> {
    parse(msg, ANSWER)
}

/// The answer to a request: its TLVs under `A`, with our version string,
/// and the group it names; None when `msg` is not a well-formed request.
pub fn answer(msg: &[u8], version: &str) -> Option<(Vec<u8>, Option<IpAddr>)> {
    let probe = parse(msg, REQUEST)?;
    let mut out = Vec::with_capacity(msg.len() + 4 + version.len());
    out.push(ANSWER);
    out.extend_from_slice(&msg[1..]);
    tlv(&mut out, VERSION, version.as_bytes());
    Some((out, probe.group))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request as ssmping 0.9.1 builds it (pid 0x1234, seq 7, time
    /// 1.5 s, group 232.43.211.234), from the TLV layout RFC 6450 §3.
    const SSMPING_REQUEST: &[u8] = &[
        b'Q', 0, 1, 0, 4, 0, 0, 0x12, 0x34, 0, 2, 0, 4, 0, 0, 0, 7, 0, 3, 0, 8, 0, 0, 0, 1, 0, 7,
        0xa1, 0x20, 0, 4, 0, 5, 1, 232, 43, 211, 234,
    ];

    #[test]
    fn requests_are_built_as_ssmping_builds_them() {
        let p = Probe {
            pid: 0x1234,
            seq: 7,
            sent: Duration::from_millis(1500),
            group: Some(IpAddr::V4(GROUP_V4)),
        };
        assert_eq!(request(&p), SSMPING_REQUEST);
        let (a, group) = answer(SSMPING_REQUEST, "ipkit").unwrap();
        assert_eq!(group, Some(IpAddr::V4(GROUP_V4)));
        assert_eq!(parse_answer(&a), Some(p));
        assert_eq!(parse_answer(SSMPING_REQUEST), None);
        let v6 = Probe {
            group: Some(IpAddr::V6(GROUP_V6)),
            ..p
        };
        assert_eq!(parse(&request(&v6), b'Q'), Some(v6));
    }

    #[test]
    fn bad_messages_are_refused_not_a_panic() {
        for bad in [
            &b""[..],
            b"Q\x00",
            b"Q\x00\x01\x00\x09abc",
            b"A\x00\x04\x00\x02\x07\x01",
        ] {
            assert_eq!(
                parse(bad, bad.first().copied().unwrap_or(0)),
                None,
                "{bad:?}"
            );
        }
        assert!(group_allowed("232.1.2.234".parse().unwrap()));
        assert!(!group_allowed("232.1.2.3".parse().unwrap()));
        assert!(group_allowed("ff3e::4321:1234".parse().unwrap()));
        assert!(!group_allowed("10.0.0.234".parse().unwrap()));
    }
}
