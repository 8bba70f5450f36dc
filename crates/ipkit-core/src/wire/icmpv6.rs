//! ICMPv6 (RFC 4443): echo, destination unreachable, packet too big, time
//! exceeded, parameter problem, with the checksum over the IPv6
//! pseudo-header, and the quoted datagram decoded as for ICMPv4.

use std::net::Ipv6Addr;

use super::checksum;
use super::icmpv4::{Quoted, quoted_transport};
use super::{Layer, WireError, be16, need, set_be16};

use super::icmp_field as field;

/// Header length.
pub const HEADER_LEN: usize = 8;

/// A checked view of an ICMPv6 message.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Check that the 8-byte header is present.
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        need(Layer::Icmpv6, buffer.as_ref(), HEADER_LEN)?;
        Ok(Packet { buffer })
    }
    icmp_header_getters!();
    /// Whether the checksum verifies with this pseudo-header.
    pub fn verify_checksum(&self, src: Ipv6Addr, dst: Ipv6Addr) -> bool {
        let b = self.buffer.as_ref();
        let len = u32::try_from(b.len()).unwrap_or(u32::MAX);
        checksum::verifies(checksum::accumulate(
            checksum::pseudo_v6(src, dst, 58, len),
            b,
        ))
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    icmp_header_setters!();
    /// Recompute and store the checksum.
    pub fn fill_checksum(&mut self, src: Ipv6Addr, dst: Ipv6Addr) {
        let b = self.buffer.as_mut();
        set_be16(b, field::CHECKSUM, 0);
        let len = u32::try_from(b.len()).unwrap_or(u32::MAX);
        let c = checksum::finish(checksum::accumulate(
            checksum::pseudo_v6(src, dst, 58, len),
            b,
        ));
        set_be16(b, field::CHECKSUM, c);
    }
}

/// A parsed ICMPv6 message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repr<'a> {
    /// Type 128.
    EchoRequest {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Payload.
        data: &'a [u8],
    },
    /// Type 129.
    EchoReply {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Payload.
        data: &'a [u8],
    },
    /// Type 1: code 0 no route, 1 prohibited, 3 address unreachable, 4 port unreachable…
    DstUnreachable {
        /// The code.
        code: u8,
        /// The quoted packet.
        quoted: &'a [u8],
    },
    /// Type 2.
    PacketTooBig {
        /// The next-hop MTU.
        mtu: u32,
        /// The quoted packet.
        quoted: &'a [u8],
    },
    /// Type 3: code 0 hop limit exceeded in transit.
    TimeExceeded {
        /// The code.
        code: u8,
        /// The quoted packet.
        quoted: &'a [u8],
    },
    /// Type 4.
    ParamProblem {
        /// The code.
        code: u8,
        /// Offset of the problem.
        pointer: u32,
        /// The quoted packet.
        quoted: &'a [u8],
    },
    /// Anything else (neighbour discovery, MLD …).
    Other {
        /// Type.
        msg_type: u8,
        /// Code.
        code: u8,
        /// Bytes after type, code and checksum.
        rest: &'a [u8],
    },
}

/// Destination-unreachable codes (RFC 4443 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unreachable {
    /// 0.
    NoRoute,
    /// 1.
    AdminProhibited,
    /// 2.
    BeyondScope,
    /// 3.
    Address,
    /// 4.
    Port,
    /// 5.
    SourcePolicy,
    /// 6.
    RejectRoute,
    /// Another code.
    Unknown(u8),
}

impl From<u8> for Unreachable {
    fn from(c: u8) -> Self {
        use Unreachable::*;
        match c {
            0 => NoRoute,
            1 => AdminProhibited,
            2 => BeyondScope,
            3 => Address,
            4 => Port,
            5 => SourcePolicy,
            6 => RejectRoute,
            n => Unknown(n),
        }
    }
}

impl Unreachable {
    /// What ping prints for it.
    pub fn text(self) -> &'static str {
        use Unreachable::*;
        match self {
            NoRoute => "No route",
            AdminProhibited => "Administratively prohibited",
            BeyondScope => "Beyond scope of source address",
            Address => "Address unreachable",
            Port => "Port unreachable",
            SourcePolicy => "Source address failed ingress/egress policy",
            RejectRoute => "Reject route to destination",
            Unknown(_) => "Destination unreachable, unknown code",
        }
    }
}

/// The text ping prints for a destination-unreachable code.
pub fn unreachable_text(code: u8) -> &'static str {
    Unreachable::from(code).text()
}

impl<'a> Repr<'a> {
    /// Parse, verifying the checksum against the pseudo-header.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        p: &'a Packet<&'a T>,
        src: Ipv6Addr,
        dst: Ipv6Addr,
    ) -> Result<Repr<'a>, WireError> {
        if !p.verify_checksum(src, dst) {
            return Err(WireError::BadChecksum {
                layer: Layer::Icmpv6,
            });
        }
        Ok(Repr::parse_unchecked(p.buffer.as_ref()))
    }

    /// Parse without a checksum check (a datagram socket's kernel has checked it).
    pub fn parse_unchecked(b: &'a [u8]) -> Repr<'a> {
        let data = b.get(HEADER_LEN..).unwrap_or(&[]);
        if b.len() < HEADER_LEN {
            return Repr::Other {
                msg_type: b.first().copied().unwrap_or(0),
                code: 0,
                rest: &[],
            };
        }
        match b[0] {
            128 => Repr::EchoRequest {
                ident: be16(b, 4),
                seq_no: be16(b, 6),
                data,
            },
            129 => Repr::EchoReply {
                ident: be16(b, 4),
                seq_no: be16(b, 6),
                data,
            },
            1 => Repr::DstUnreachable {
                code: b[1],
                quoted: data,
            },
            2 => Repr::PacketTooBig {
                mtu: super::be32(b, 4),
                quoted: data,
            },
            3 => Repr::TimeExceeded {
                code: b[1],
                quoted: data,
            },
            4 => Repr::ParamProblem {
                code: b[1],
                pointer: super::be32(b, 4),
                quoted: data,
            },
            t => Repr::Other {
                msg_type: t,
                code: b[1],
                rest: &b[4..],
            },
        }
    }

    /// Bytes `emit` writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
            + match self {
                Repr::EchoRequest { data, .. } | Repr::EchoReply { data, .. } => data.len(),
                Repr::DstUnreachable { quoted, .. }
                | Repr::PacketTooBig { quoted, .. }
                | Repr::TimeExceeded { quoted, .. }
                | Repr::ParamProblem { quoted, .. } => quoted.len(),
                Repr::Other { rest, .. } => rest.len().saturating_sub(4),
            }
    }

    /// Write the message, checksum included.
    pub fn emit(&self, buf: &mut [u8], src: Ipv6Addr, dst: Ipv6Addr) -> Result<(), WireError> {
        let len = self.buffer_len();
        need(Layer::Icmpv6, buf, len)?;
        let b = &mut buf[..len];
        b[..HEADER_LEN].fill(0);
        let (t, code, rest, body): (u8, u8, [u8; 4], &[u8]) = match self {
            Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => (128, 0, echo_rest(*ident, *seq_no), data),
            Repr::EchoReply {
                ident,
                seq_no,
                data,
            } => (129, 0, echo_rest(*ident, *seq_no), data),
            Repr::DstUnreachable { code, quoted } => (1, *code, [0; 4], quoted),
            Repr::PacketTooBig { mtu, quoted } => (2, 0, mtu.to_be_bytes(), quoted),
            Repr::TimeExceeded { code, quoted } => (3, *code, [0; 4], quoted),
            Repr::ParamProblem {
                code,
                pointer,
                quoted,
            } => (4, *code, pointer.to_be_bytes(), quoted),
            Repr::Other {
                msg_type,
                code,
                rest,
            } => {
                let mut r = [0u8; 4];
                let n = rest.len().min(4);
                r[..n].copy_from_slice(&rest[..n]);
                (*msg_type, *code, r, rest.get(4..).unwrap_or(&[]))
            }
        };
        b[0] = t;
        b[1] = code;
        b[4..8].copy_from_slice(&rest);
        b[HEADER_LEN..].copy_from_slice(body);
        Packet { buffer: &mut *b }.fill_checksum(src, dst);
        Ok(())
    }
}

fn echo_rest(ident: u16, seq_no: u16) -> [u8; 4] {
    let mut r = [0u8; 4];
    r[..2].copy_from_slice(&ident.to_be_bytes());
    r[2..].copy_from_slice(&seq_no.to_be_bytes());
    r
}

/// Decode the packet an ICMPv6 error quotes.
pub fn quoted(bytes: &[u8]) -> Result<Quoted, WireError> {
    let ip = super::ipv6::Packet::new_checked(bytes)?;
    let t = &bytes[super::ipv6::HEADER_LEN..];
    Ok(Quoted {
        src: ip.src().into(),
        dst: ip.dst().into(),
        ident: ip.flow_label(),
        transport: quoted_transport(ip.next_header(), t, 128),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::icmpv4::QuotedTransport;
    use crate::wire::ipv4::tests::hex;
    use crate::wire::ipv6::tests::{ECHO6_REQUEST, PORT_UNREACHABLE6};

    #[test]
    fn captured_echo_verifies_with_the_pseudo_header() {
        let bytes = hex(ECHO6_REQUEST);
        let p = Packet::new_checked(&bytes[40..]).unwrap();
        let r = Repr::parse(&p, Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST).unwrap();
        assert_eq!(
            r,
            Repr::EchoRequest {
                ident: 0x4321,
                seq_no: 7,
                data: b"ipkit-v6"
            }
        );
        let mut out = vec![0u8; r.buffer_len()];
        r.emit(&mut out, Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST)
            .unwrap();
        assert_eq!(out, &bytes[40..]);
        let other: Ipv6Addr = "2001:db8::1".parse().unwrap();
        assert!(
            Repr::parse(&p, other, Ipv6Addr::LOCALHOST).is_err(),
            "the pseudo-header counts"
        );
    }

    #[test]
    fn captured_port_unreachable() {
        let bytes = hex(PORT_UNREACHABLE6);
        let p = Packet::new_checked(&bytes[40..]).unwrap();
        let Repr::DstUnreachable { code, quoted: q } =
            Repr::parse(&p, Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST).unwrap()
        else {
            panic!("not unreachable")
        };
        assert_eq!(unreachable_text(code), "Port unreachable");
        assert_eq!(
            quoted(q).unwrap().transport,
            QuotedTransport::Udp {
                src_port: 0xeb03,
                dst_port: 9
            }
        );
    }

    #[test]
    fn errors_round_trip() {
        let inner = hex(ECHO6_REQUEST);
        let (s, d): (Ipv6Addr, Ipv6Addr) = (
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
        );
        for r in [
            Repr::PacketTooBig {
                mtu: 1280,
                quoted: &inner[..],
            },
            Repr::TimeExceeded {
                code: 0,
                quoted: &inner[..],
            },
            Repr::ParamProblem {
                code: 1,
                pointer: 40,
                quoted: &inner[..],
            },
        ] {
            let mut buf = vec![0u8; r.buffer_len()];
            r.emit(&mut buf, s, d).unwrap();
            let p = Packet::new_checked(&buf[..]).unwrap();
            assert_eq!(Repr::parse(&p, s, d).unwrap(), r);
        }
        let q = quoted(&inner).unwrap();
        assert_eq!(
            q.transport,
            QuotedTransport::Echo {
                ident: 0x4321,
                seq_no: 7
            }
        );
    }
}
