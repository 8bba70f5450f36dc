//! ICMPv4 (RFC 792, RFC 1191 for the next-hop MTU): echo, the errors a
//! probe meets (destination unreachable with every code, time exceeded,
//! parameter problem, redirect), and the quoted datagram inside an error
//! decoded so the error can be matched to the probe that caused it.

use std::net::Ipv4Addr;

use super::checksum;
use super::{IpProtocol, Layer, WireError, be16, need, set_be16};

mod field {
    pub use super::super::icmp_field::*;
    pub const MTU: usize = 6;
    pub const REST: usize = 4;
}

/// Header length: type, code, checksum and four type-specific bytes.
pub const HEADER_LEN: usize = 8;

/// A checked view of an ICMPv4 message.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Check that the 8-byte header is present.
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        need(Layer::Icmpv4, buffer.as_ref(), HEADER_LEN)?;
        Ok(Packet { buffer })
    }
    icmp_header_getters!();
    /// Whether the checksum over the whole message verifies.
    pub fn verify_checksum(&self) -> bool {
        checksum::verifies(checksum::accumulate(0, self.buffer.as_ref()))
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    icmp_header_setters!();
    /// Recompute and store the checksum.
    pub fn fill_checksum(&mut self) {
        let b = self.buffer.as_mut();
        set_be16(b, field::CHECKSUM, 0);
        let c = checksum::checksum(b);
        set_be16(b, field::CHECKSUM, c);
    }
}

/// Destination-unreachable codes (RFC 792, RFC 1122, RFC 1812).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unreachable {
    /// 0.
    Net,
    /// 1.
    Host,
    /// 2.
    Protocol,
    /// 3.
    Port,
    /// 4: fragmentation needed and DF set (with the next-hop MTU).
    FragNeeded,
    /// 5.
    SourceRouteFailed,
    /// 6.
    NetUnknown,
    /// 7.
    HostUnknown,
    /// 8.
    SourceIsolated,
    /// 9.
    NetProhibited,
    /// 10.
    HostProhibited,
    /// 11.
    NetTos,
    /// 12.
    HostTos,
    /// 13: administratively prohibited (a filter).
    AdminProhibited,
    /// 14.
    PrecedenceViolation,
    /// 15.
    PrecedenceCutoff,
    /// Another code.
    Unknown(u8),
}

impl From<u8> for Unreachable {
    fn from(c: u8) -> Self {
        use Unreachable::*;
        match c {
            0 => Net,
            1 => Host,
            2 => Protocol,
            3 => Port,
            4 => FragNeeded,
            5 => SourceRouteFailed,
            6 => NetUnknown,
            7 => HostUnknown,
            8 => SourceIsolated,
            9 => NetProhibited,
            10 => HostProhibited,
            11 => NetTos,
            12 => HostTos,
            13 => AdminProhibited,
            14 => PrecedenceViolation,
            15 => PrecedenceCutoff,
            n => Unknown(n),
        }
    }
}

impl Unreachable {
    /// What ping prints for it.
    pub fn text(self) -> &'static str {
        use Unreachable::*;
        match self {
            Net => "Destination Net Unreachable",
            Host => "Destination Host Unreachable",
            Protocol => "Destination Protocol Unreachable",
            Port => "Destination Port Unreachable",
            FragNeeded => "Frag needed and DF set",
            SourceRouteFailed => "Source Route Failed",
            NetUnknown => "Destination Net Unknown",
            HostUnknown => "Destination Host Unknown",
            SourceIsolated => "Source Host Isolated",
            NetProhibited => "Destination Net Prohibited",
            HostProhibited => "Destination Host Prohibited",
            NetTos => "Destination Net Unreachable for Type of Service",
            HostTos => "Destination Host Unreachable for Type of Service",
            AdminProhibited => "Packet filtered",
            PrecedenceViolation => "Precedence Violation",
            PrecedenceCutoff => "Precedence Cutoff",
            Unknown(_) => "Destination Unreachable, unknown code",
        }
    }
}

/// A parsed ICMPv4 message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repr<'a> {
    /// Type 8.
    EchoRequest {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Payload.
        data: &'a [u8],
    },
    /// Type 0.
    EchoReply {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Payload.
        data: &'a [u8],
    },
    /// Type 3.
    DstUnreachable {
        /// Why.
        reason: Unreachable,
        /// Next-hop MTU (code 4, RFC 1191; 0 when the router did not say).
        mtu: u16,
        /// The quoted datagram (IP header and at least 8 bytes of payload).
        quoted: &'a [u8],
    },
    /// Type 11: code 0 TTL exceeded in transit, 1 reassembly time exceeded.
    TimeExceeded {
        /// The code.
        code: u8,
        /// The quoted datagram.
        quoted: &'a [u8],
    },
    /// Type 12.
    ParamProblem {
        /// Byte offset of the problem.
        pointer: u8,
        /// The quoted datagram.
        quoted: &'a [u8],
    },
    /// Type 5.
    Redirect {
        /// The code.
        code: u8,
        /// The better gateway.
        gateway: Ipv4Addr,
        /// The quoted datagram.
        quoted: &'a [u8],
    },
    /// Anything else.
    Other {
        /// Type.
        msg_type: u8,
        /// Code.
        code: u8,
        /// Bytes after the 4-byte type/code/checksum.
        rest: &'a [u8],
    },
}

impl<'a> Repr<'a> {
    /// Parse and verify the checksum.
    ///
    /// # Examples
    /// ```
    /// use ipkit_core::wire::icmpv4::{Packet, Repr};
    /// let mut b = [8u8, 0, 0, 0, 0x12, 0x34, 0, 1, b'h', b'i'];
    /// Packet::new_checked(&mut b[..]).unwrap().fill_checksum();
    /// let p = Packet::new_checked(&b[..]).unwrap();
    /// let r = Repr::parse(&p).unwrap();
    /// assert_eq!(r, Repr::EchoRequest { ident: 0x1234, seq_no: 1, data: b"hi" });
    /// ```
    pub fn parse<T: AsRef<[u8]> + ?Sized>(p: &'a Packet<&'a T>) -> Result<Repr<'a>, WireError> {
        if !p.verify_checksum() {
            return Err(WireError::BadChecksum {
                layer: Layer::Icmpv4,
            });
        }
        let b: &'a [u8] = p.buffer.as_ref();
        let data = &b[field::DATA..];
        Ok(match (b[0], b[1]) {
            (8, 0) => Repr::EchoRequest {
                ident: p.ident(),
                seq_no: p.seq_no(),
                data,
            },
            (0, 0) => Repr::EchoReply {
                ident: p.ident(),
                seq_no: p.seq_no(),
                data,
            },
            (3, code) => Repr::DstUnreachable {
                reason: code.into(),
                mtu: be16(b, field::MTU),
                quoted: data,
            },
            (11, code) => Repr::TimeExceeded { code, quoted: data },
            (12, _) => Repr::ParamProblem {
                pointer: b[field::REST],
                quoted: data,
            },
            (5, code) => Repr::Redirect {
                code,
                gateway: Ipv4Addr::new(b[4], b[5], b[6], b[7]),
                quoted: data,
            },
            (msg_type, code) => Repr::Other {
                msg_type,
                code,
                rest: &b[field::REST..],
            },
        })
    }

    /// Bytes `emit` writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
            + match self {
                Repr::EchoRequest { data, .. } | Repr::EchoReply { data, .. } => data.len(),
                Repr::DstUnreachable { quoted, .. }
                | Repr::TimeExceeded { quoted, .. }
                | Repr::ParamProblem { quoted, .. }
                | Repr::Redirect { quoted, .. } => quoted.len(),
                Repr::Other { rest, .. } => rest.len().saturating_sub(4),
            }
    }

    /// Write the message into `buf`, checksum included.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        let len = self.buffer_len();
        need(Layer::Icmpv4, buf, len)?;
        let b = &mut buf[..len];
        b[..HEADER_LEN].fill(0);
        match self {
            Repr::EchoRequest {
                ident,
                seq_no,
                data,
            }
            | Repr::EchoReply {
                ident,
                seq_no,
                data,
            } => {
                b[0] = if matches!(self, Repr::EchoRequest { .. }) {
                    8
                } else {
                    0
                };
                set_be16(b, field::IDENT, *ident);
                set_be16(b, field::SEQ, *seq_no);
                b[HEADER_LEN..].copy_from_slice(data);
            }
            Repr::DstUnreachable {
                reason,
                mtu,
                quoted,
            } => {
                b[0] = 3;
                b[1] = match reason {
                    Unreachable::Unknown(n) => *n,
                    r => (0..16).find(|&c| Unreachable::from(c) == *r).unwrap_or(0),
                };
                set_be16(b, field::MTU, *mtu);
                b[HEADER_LEN..].copy_from_slice(quoted);
            }
            Repr::TimeExceeded { code, quoted } => {
                b[0] = 11;
                b[1] = *code;
                b[HEADER_LEN..].copy_from_slice(quoted);
            }
            Repr::ParamProblem { pointer, quoted } => {
                b[0] = 12;
                b[field::REST] = *pointer;
                b[HEADER_LEN..].copy_from_slice(quoted);
            }
            Repr::Redirect {
                code,
                gateway,
                quoted,
            } => {
                b[0] = 5;
                b[1] = *code;
                b[4..8].copy_from_slice(&gateway.octets());
                b[HEADER_LEN..].copy_from_slice(quoted);
            }
            Repr::Other {
                msg_type,
                code,
                rest,
            } => {
                b[0] = *msg_type;
                b[1] = *code;
                let n = rest.len().min(len - 4);
                b[4..4 + n].copy_from_slice(&rest[..n]);
            }
        }
        Packet { buffer: &mut *b }.fill_checksum();
        Ok(())
    }
}

/// What an ICMP error's quoted datagram says about the probe it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoted {
    /// The probe's source.
    pub src: std::net::IpAddr,
    /// The probe's destination.
    pub dst: std::net::IpAddr,
    /// The probe's IP identification (IPv4) or flow label (IPv6).
    pub ident: u32,
    /// What the probe carried.
    pub transport: QuotedTransport,
}

/// The first bytes of the quoted transport header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotedTransport {
    /// An ICMP or ICMPv6 echo request.
    Echo {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
    },
    /// UDP ports.
    Udp {
        /// Source port.
        src_port: u16,
        /// Destination port.
        dst_port: u16,
    },
    /// TCP ports and sequence number.
    Tcp {
        /// Source port.
        src_port: u16,
        /// Destination port.
        dst_port: u16,
        /// Sequence number.
        seq: u32,
    },
    /// Another protocol, or too few bytes quoted.
    Other(IpProtocol),
}

pub(crate) fn quoted_transport(protocol: IpProtocol, t: &[u8], echo_type: u8) -> QuotedTransport {
    match protocol {
        IpProtocol::Icmp | IpProtocol::Icmpv6 if t.len() >= 8 && t[0] == echo_type => {
            QuotedTransport::Echo {
                ident: be16(t, 4),
                seq_no: be16(t, 6),
            }
        }
        IpProtocol::Udp if t.len() >= 4 => QuotedTransport::Udp {
            src_port: be16(t, 0),
            dst_port: be16(t, 2),
        },
        IpProtocol::Tcp if t.len() >= 8 => QuotedTransport::Tcp {
            src_port: be16(t, 0),
            dst_port: be16(t, 2),
            seq: super::be32(t, 4),
        },
        p => QuotedTransport::Other(p),
    }
}

/// Decode the datagram an ICMPv4 error quotes (no checksum checks: routers
/// may have changed it, and it is often cut short).
///
/// # Examples
/// ```
/// use ipkit_core::wire::icmpv4::{quoted, QuotedTransport};
/// let q = [0x45, 0, 0, 28, 0, 7, 0, 0, 1, 1, 0, 0, 192, 0, 2, 1, 198, 51, 100, 1, 8, 0, 0, 0, 0x12, 0x34, 0, 9];
/// assert_eq!(quoted(&q).unwrap().transport, QuotedTransport::Echo { ident: 0x1234, seq_no: 9 });
/// ```
pub fn quoted(bytes: &[u8]) -> Result<Quoted, WireError> {
    let ip = super::ipv4::Packet::new_checked(bytes)?;
    let t = &bytes[ip.header_len()..];
    Ok(Quoted {
        src: ip.src().into(),
        dst: ip.dst().into(),
        ident: u32::from(ip.ident()),
        transport: quoted_transport(ip.protocol(), t, 8),
    })
}

#[cfg(test)]
mod tests {
    use super::super::ipv4::tests::{ECHO_REQUEST, PORT_UNREACHABLE, hex};
    use super::*;

    #[test]
    fn captured_echo_request() {
        let bytes = hex(ECHO_REQUEST);
        let p = Packet::new_checked(&bytes[20..]).unwrap();
        let r = Repr::parse(&p).unwrap();
        assert_eq!(
            r,
            Repr::EchoRequest {
                ident: 0x1234,
                seq_no: 1,
                data: b"ipkit-test-payload"
            }
        );
        let mut out = vec![0u8; r.buffer_len()];
        r.emit(&mut out).unwrap();
        assert_eq!(out, &bytes[20..], "emit reproduces the captured bytes");
    }

    #[test]
    fn captured_port_unreachable_points_back_at_the_probe() {
        let bytes = hex(PORT_UNREACHABLE);
        let p = Packet::new_checked(&bytes[20..]).unwrap();
        let Repr::DstUnreachable {
            reason, quoted: q, ..
        } = Repr::parse(&p).unwrap()
        else {
            panic!("not unreachable")
        };
        assert_eq!(reason, Unreachable::Port);
        assert_eq!(reason.text(), "Destination Port Unreachable");
        let q = quoted(q).unwrap();
        assert_eq!(q.dst, std::net::IpAddr::from(Ipv4Addr::LOCALHOST));
        assert_eq!(
            q.transport,
            QuotedTransport::Udp {
                src_port: 0xc53f,
                dst_port: 9
            }
        );
        assert_eq!(q.ident, 0xc2eb);
    }

    #[test]
    fn errors_round_trip_and_bad_checksums_are_caught() {
        let inner = hex(ECHO_REQUEST);
        for r in [
            Repr::TimeExceeded {
                code: 0,
                quoted: &inner[..28],
            },
            Repr::DstUnreachable {
                reason: Unreachable::FragNeeded,
                mtu: 1400,
                quoted: &inner[..28],
            },
            Repr::ParamProblem {
                pointer: 20,
                quoted: &inner[..28],
            },
        ] {
            let mut buf = vec![0u8; r.buffer_len()];
            r.emit(&mut buf).unwrap();
            let p = Packet::new_checked(&buf[..]).unwrap();
            assert_eq!(Repr::parse(&p).unwrap(), r);
            buf[9] ^= 0xff;
            let p = Packet::new_checked(&buf[..]).unwrap();
            assert!(matches!(
                Repr::parse(&p),
                Err(WireError::BadChecksum { .. })
            ));
        }
        assert!(Packet::new_checked(&[0u8; 7][..]).is_err());
    }
}
