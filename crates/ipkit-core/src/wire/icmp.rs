//! ICMP as a probing engine sees it, for both families at once: what a
//! received message is ([`Message`]: an echo reply, an error about one of
//! our probes, or something else), the errors as one typed enum
//! ([`IcmpError`], whose `Display` is the one place their text is written),
//! and echo requests written in place through the packet views' setters.
//!
//! Messages come in two forms, both decoded here: the ICMP bytes a socket
//! reads ([`Message::parse`]), and an error a datagram socket's kernel
//! queued for it, which gives the type, code and extra word and the probe's
//! own bytes but no IP header ([`Message::queued`]).

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use super::icmpv4::{self, QuotedTransport, quoted_transport};
use super::{IpProtocol, WireError, icmpv6, ipv4, ipv6};

/// Which ICMP: ICMPv4 (with IPv4) or ICMPv6 (with IPv6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// ICMPv4.
    V4,
    /// ICMPv6.
    V6,
}

impl Family {
    /// The family of an address.
    pub fn of(addr: IpAddr) -> Family {
        if addr.is_ipv6() {
            Family::V6
        } else {
            Family::V4
        }
    }

    /// The echo request's message type.
    pub fn echo_request(self) -> u8 {
        match self {
            Family::V4 => 8,
            Family::V6 => 128,
        }
    }

    /// The echo reply's message type.
    pub fn echo_reply(self) -> u8 {
        match self {
            Family::V4 => 0,
            Family::V6 => 129,
        }
    }
}

/// An ICMP error, v4 or v6, as typed values; `Display` renders what ping
/// prints for it, and the alternate form (`{:#}`) leaves out the MTU, as a
/// sweep's one-line summary does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IcmpError {
    /// ICMPv4 destination unreachable (type 3), any code but 4.
    DestinationUnreachable {
        /// Why.
        reason: icmpv4::Unreachable,
    },
    /// ICMPv6 destination unreachable (type 1).
    DestinationUnreachableV6 {
        /// Why.
        reason: icmpv6::Unreachable,
    },
    /// ICMPv4 type 3 code 4: fragmentation needed and DF set (RFC 1191).
    FragmentationNeeded {
        /// Next-hop MTU (0 when the router did not say).
        mtu: u16,
    },
    /// ICMPv6 packet too big (type 2).
    PacketTooBig {
        /// Next-hop MTU.
        mtu: u32,
    },
    /// ICMPv4 time exceeded (type 11): code 0 TTL in transit, 1 reassembly.
    TimeExceeded {
        /// The code.
        code: u8,
    },
    /// ICMPv6 time exceeded (type 3): code 0 hop limit in transit.
    HopLimitExceeded {
        /// The code.
        code: u8,
    },
    /// Parameter problem (ICMPv4 type 12, ICMPv6 type 4).
    ParameterProblem {
        /// The code.
        code: u8,
        /// Byte offset of the problem in the quoted datagram.
        pointer: u32,
    },
}

impl IcmpError {
    /// The error a message of this family, type and code is, with `info`
    /// the four bytes after the checksum (they carry the MTU or pointer);
    /// None for messages that are not errors about a datagram.
    ///
    /// # Examples
    /// ```
    /// use ipkit_core::wire::icmp::{Family, IcmpError};
    /// let e = IcmpError::from_type_code(Family::V4, 3, 4, 1400).unwrap();
    /// assert_eq!(e.to_string(), "Frag needed and DF set (mtu = 1400)");
    /// assert_eq!(format!("{e:#}"), "Frag needed and DF set");
    /// ```
    pub fn from_type_code(family: Family, msg_type: u8, code: u8, info: u32) -> Option<IcmpError> {
        Some(match (family, msg_type) {
            (Family::V4, 3) if code == 4 => IcmpError::FragmentationNeeded {
                mtu: u16::try_from(info & 0xffff).unwrap_or(u16::MAX),
            },
            (Family::V4, 3) => IcmpError::DestinationUnreachable {
                reason: code.into(),
            },
            (Family::V4, 11) => IcmpError::TimeExceeded { code },
            (Family::V4, 12) => IcmpError::ParameterProblem {
                code,
                pointer: info >> 24,
            },
            (Family::V6, 1) => IcmpError::DestinationUnreachableV6 {
                reason: code.into(),
            },
            (Family::V6, 2) => IcmpError::PacketTooBig { mtu: info },
            (Family::V6, 3) => IcmpError::HopLimitExceeded { code },
            (Family::V6, 4) => IcmpError::ParameterProblem {
                code,
                pointer: info,
            },
            _ => return None,
        })
    }

    /// Whether the probe ran out of hops (TTL or hop limit exceeded in transit).
    pub fn is_time_exceeded(self) -> bool {
        matches!(
            self,
            IcmpError::TimeExceeded { .. } | IcmpError::HopLimitExceeded { .. }
        )
    }

    /// Whether the probe was too big for a link and may not be fragmented.
    pub fn is_too_big(self) -> bool {
        matches!(
            self,
            IcmpError::FragmentationNeeded { .. }
                | IcmpError::PacketTooBig { .. }
                | IcmpError::DestinationUnreachable {
                    reason: icmpv4::Unreachable::FragNeeded
                }
        )
    }

    /// Whether it says the destination's network (not only the host) is
    /// out of reach: the `Net` codes of ICMPv4, ICMPv6's "no route".
    pub fn is_network_unreachable(self) -> bool {
        use icmpv4::Unreachable as U4;
        matches!(
            self,
            IcmpError::DestinationUnreachable {
                reason: U4::Net | U4::NetUnknown | U4::NetProhibited | U4::NetTos
            } | IcmpError::DestinationUnreachableV6 {
                reason: icmpv6::Unreachable::NoRoute
            }
        )
    }
}

impl fmt::Display for IcmpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let brief = f.alternate();
        match *self {
            IcmpError::DestinationUnreachable { reason } => f.write_str(reason.text()),
            IcmpError::DestinationUnreachableV6 { reason } => f.write_str(reason.text()),
            IcmpError::FragmentationNeeded { .. } if brief => {
                f.write_str(icmpv4::Unreachable::FragNeeded.text())
            }
            IcmpError::FragmentationNeeded { mtu } => {
                write!(
                    f,
                    "{} (mtu = {mtu})",
                    icmpv4::Unreachable::FragNeeded.text()
                )
            }
            IcmpError::PacketTooBig { .. } if brief => f.write_str("Packet too big"),
            IcmpError::PacketTooBig { mtu } => write!(f, "Packet too big: mtu={mtu}"),
            IcmpError::TimeExceeded { code: 0 } => f.write_str("Time to live exceeded"),
            IcmpError::TimeExceeded { .. } => f.write_str("Frag reassembly time exceeded"),
            IcmpError::HopLimitExceeded { .. } => f.write_str("Time exceeded: Hop limit"),
            IcmpError::ParameterProblem { pointer, .. } => {
                write!(f, "Parameter problem: pointer = {pointer}")
            }
        }
    }
}

/// What an ICMP error quotes of the probe it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotedProbe<'a> {
    /// The probe's destination; None when only the probe's own bytes were
    /// given (a kernel's error queue), not its IP header.
    pub dst: Option<IpAddr>,
    /// The quoted transport header (an echo request's identifier and sequence).
    pub transport: QuotedTransport,
    /// What the probe carried after its 8-byte transport header, as much as
    /// was quoted.
    pub payload: &'a [u8],
}

/// A received ICMP message, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// An echo reply.
    EchoReply {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq: u16,
        /// Payload.
        data: &'a [u8],
    },
    /// An error about a datagram, and what it quotes of it.
    Error {
        /// The error.
        error: IcmpError,
        /// The datagram it is about.
        probe: QuotedProbe<'a>,
    },
    /// Anything else (an echo request, a redirect, neighbour discovery …),
    /// or an error whose quoted datagram does not decode.
    Other {
        /// Type.
        msg_type: u8,
        /// Code.
        code: u8,
    },
}

impl<'a> Message<'a> {
    /// Decode the ICMP message in `icmp` (no IP header in front). With
    /// `verify`, an ICMPv4 checksum that does not verify is an error; pass
    /// false when the kernel has checked it (datagram sockets, and ICMPv6,
    /// whose checksum the kernel verifies on every socket).
    ///
    /// # Examples
    /// ```
    /// use ipkit_core::wire::icmp::{Family, Message, write_echo_request};
    /// let mut b = [0u8; 12];
    /// b[8..].copy_from_slice(b"ping");
    /// write_echo_request(Family::V4, &mut b, 0x1234, 7).unwrap();
    /// b[0] = 0; // an echo reply is the request with another type
    /// b[2] = 0; b[3] = 0;
    /// let m = Message::parse(Family::V4, &b, false).unwrap();
    /// assert_eq!(m, Message::EchoReply { ident: 0x1234, seq: 7, data: b"ping" });
    /// ```
    pub fn parse(family: Family, icmp: &'a [u8], verify: bool) -> Result<Message<'a>, WireError> {
        let (msg_type, code, info, data) = match family {
            Family::V4 => {
                let p = icmpv4::Packet::new_checked(icmp)?;
                if verify && !p.verify_checksum() {
                    return Err(WireError::BadChecksum {
                        layer: super::Layer::Icmpv4,
                    });
                }
                (p.msg_type(), p.code(), super::be32(icmp, 4), &icmp[8..])
            }
            Family::V6 => {
                let p = icmpv6::Packet::new_checked(icmp)?;
                (p.msg_type(), p.code(), super::be32(icmp, 4), &icmp[8..])
            }
        };
        if (msg_type, code) == (family.echo_reply(), 0) {
            return Ok(Message::EchoReply {
                ident: super::be16(icmp, 4),
                seq: super::be16(icmp, 6),
                data,
            });
        }
        let Some(error) = IcmpError::from_type_code(family, msg_type, code, info) else {
            return Ok(Message::Other { msg_type, code });
        };
        Ok(match quoted_probe(family, data) {
            Some(probe) => Message::Error { error, probe },
            None => Message::Other { msg_type, code },
        })
    }

    /// An error a kernel queued for a datagram socket: its type, code and
    /// extra word (`sock_extended_err`'s `ee_type`, `ee_code`, `ee_info`),
    /// and the bytes of the probe it is about, from its ICMP header on.
    /// None when the type is not an error about a datagram.
    pub fn queued(
        family: Family,
        msg_type: u8,
        code: u8,
        info: u32,
        probe: &'a [u8],
    ) -> Option<Message<'a>> {
        let error = IcmpError::from_type_code(family, msg_type, code, info)?;
        let protocol = match family {
            Family::V4 => IpProtocol::Icmp,
            Family::V6 => IpProtocol::Icmpv6,
        };
        Some(Message::Error {
            error,
            probe: QuotedProbe {
                dst: None,
                transport: quoted_transport(protocol, probe, family.echo_request()),
                payload: probe.get(8..).unwrap_or(&[]),
            },
        })
    }
}

/// Decode the datagram an error quotes: its IP header, then its transport.
fn quoted_probe(family: Family, quoted: &[u8]) -> Option<QuotedProbe<'_>> {
    let (dst, protocol, transport): (IpAddr, _, &[u8]) = match family {
        Family::V4 => {
            let ip = ipv4::Packet::new_checked(quoted).ok()?;
            (ip.dst().into(), ip.protocol(), &quoted[ip.header_len()..])
        }
        Family::V6 => {
            let ip = ipv6::Packet::new_checked(quoted).ok()?;
            (
                ip.dst().into(),
                ip.next_header(),
                &quoted[ipv6::HEADER_LEN..],
            )
        }
    };
    Some(QuotedProbe {
        dst: Some(dst),
        transport: quoted_transport(protocol, transport, family.echo_request()),
        payload: transport.get(8..).unwrap_or(&[]),
    })
}

/// Write an echo request's header into `buf[..8]` through the packet
/// view's setters; the payload is what `buf[8..]` already holds. ICMPv4
/// gets its checksum; ICMPv6's is left 0, for the kernel to fill (it knows
/// the source address the pseudo-header needs).
pub fn write_echo_request(
    family: Family,
    buf: &mut [u8],
    ident: u16,
    seq: u16,
) -> Result<(), WireError> {
    match family {
        Family::V4 => {
            let mut p = icmpv4::Packet::new_checked(buf)?;
            p.set_msg_type(family.echo_request());
            p.set_code(0);
            p.set_ident(ident);
            p.set_seq_no(seq);
            p.fill_checksum();
        }
        Family::V6 => {
            let mut p = icmpv6::Packet::new_checked(buf)?;
            p.set_msg_type(family.echo_request());
            p.set_code(0);
            p.set_ident(ident);
            p.set_seq_no(seq);
            p.set_checksum(0);
        }
    }
    Ok(())
}

/// The error message a router at `from` would send about `probe` (the ICMP
/// bytes of a probe sent from `src` to `dst`, as an engine sent them): the
/// ICMP header, then the probe's IP header and the probe, checksummed. For
/// tests and simulations of a network.
pub fn emit_error(
    error: IcmpError,
    src: IpAddr,
    dst: IpAddr,
    probe: &[u8],
) -> Result<Vec<u8>, WireError> {
    let probe_len = probe.len();
    let mut quoted = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let ip = ipv4::Repr {
                src: s,
                dst: d,
                protocol: IpProtocol::Icmp,
                ttl: 1,
                tos: 0,
                ident: 0,
                dont_frag: false,
                payload_len: probe_len,
                options: Vec::new(),
            };
            let mut b = vec![0u8; ip.header_len()];
            ip.emit(&mut b)?;
            b
        }
        (s, d) => {
            let v6 = |a: IpAddr| match a {
                IpAddr::V6(a) => a,
                IpAddr::V4(a) => a.to_ipv6_mapped(),
            };
            let ip = ipv6::Repr {
                src: v6(s),
                dst: v6(d),
                next_header: IpProtocol::Icmpv6,
                hop_limit: 1,
                traffic_class: 0,
                flow_label: 0,
                payload_len: probe_len,
            };
            let mut b = vec![0u8; ipv6::HEADER_LEN];
            ip.emit(&mut b)?;
            b
        }
    };
    quoted.extend_from_slice(probe);
    let (family, msg_type, code, info) = match error {
        IcmpError::DestinationUnreachable { reason } => {
            (Family::V4, 3, unreachable_code(reason), 0)
        }
        IcmpError::FragmentationNeeded { mtu } => (Family::V4, 3, 4, u32::from(mtu)),
        IcmpError::TimeExceeded { code } => (Family::V4, 11, code, 0),
        IcmpError::DestinationUnreachableV6 { reason } => {
            (Family::V6, 1, unreachable6_code(reason), 0)
        }
        IcmpError::PacketTooBig { mtu } => (Family::V6, 2, 0, mtu),
        IcmpError::HopLimitExceeded { code } => (Family::V6, 3, code, 0),
        IcmpError::ParameterProblem { code, pointer } if dst.is_ipv4() => {
            (Family::V4, 12, code, pointer << 24)
        }
        IcmpError::ParameterProblem { code, pointer } => (Family::V6, 4, code, pointer),
    };
    let mut m = vec![msg_type, code, 0, 0];
    m.extend_from_slice(&info.to_be_bytes());
    m.extend_from_slice(&quoted);
    match family {
        Family::V4 => icmpv4::Packet::new_checked(&mut m[..])?.fill_checksum(),
        Family::V6 => {
            let v6 = |a: IpAddr| match a {
                IpAddr::V6(a) => a,
                IpAddr::V4(_) => Ipv6Addr::UNSPECIFIED,
            };
            icmpv6::Packet::new_checked(&mut m[..])?.fill_checksum(v6(dst), v6(src));
        }
    }
    Ok(m)
}

fn unreachable_code(reason: icmpv4::Unreachable) -> u8 {
    match reason {
        icmpv4::Unreachable::Unknown(n) => n,
        r => (0..16)
            .find(|&c| icmpv4::Unreachable::from(c) == r)
            .unwrap_or(0),
    }
}

fn unreachable6_code(reason: icmpv6::Unreachable) -> u8 {
    match reason {
        icmpv6::Unreachable::Unknown(n) => n,
        r => (0..7)
            .find(|&c| icmpv6::Unreachable::from(c) == r)
            .unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo(family: Family, ident: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 8 + payload.len()];
        b[8..].copy_from_slice(payload);
        write_echo_request(family, &mut b, ident, seq).unwrap();
        b
    }

    #[test]
    fn texts_are_what_ping_prints() {
        let cases = [
            (Family::V4, 11, 0, 0, "Time to live exceeded"),
            (Family::V4, 11, 1, 0, "Frag reassembly time exceeded"),
            (Family::V4, 3, 1, 0, "Destination Host Unreachable"),
            (Family::V4, 3, 0, 0, "Destination Net Unreachable"),
            (
                Family::V4,
                3,
                4,
                1280,
                "Frag needed and DF set (mtu = 1280)",
            ),
            (Family::V6, 1, 0, 0, "No route"),
            (Family::V6, 1, 3, 0, "Address unreachable"),
            (Family::V6, 2, 0, 1280, "Packet too big: mtu=1280"),
            (Family::V6, 3, 0, 0, "Time exceeded: Hop limit"),
        ];
        for (family, t, c, info, text) in cases {
            let e = IcmpError::from_type_code(family, t, c, info).unwrap();
            assert_eq!(e.to_string(), text);
        }
        let too_big = IcmpError::PacketTooBig { mtu: 1280 };
        assert_eq!(format!("{too_big:#}"), "Packet too big");
        assert!(IcmpError::from_type_code(Family::V4, 5, 0, 0).is_none());
        assert!(IcmpError::from_type_code(Family::V6, 135, 0, 0).is_none());
    }

    #[test]
    fn an_error_built_about_a_probe_decodes_back_to_it() {
        let pairs: [(IpAddr, IpAddr, IcmpError); 3] = [
            (
                "192.0.2.1".parse().unwrap(),
                "198.51.100.2".parse().unwrap(),
                IcmpError::FragmentationNeeded { mtu: 1280 },
            ),
            (
                "192.0.2.1".parse().unwrap(),
                "198.51.100.2".parse().unwrap(),
                IcmpError::TimeExceeded { code: 0 },
            ),
            (
                "2001:db8::1".parse().unwrap(),
                "2001:db8::2".parse().unwrap(),
                IcmpError::PacketTooBig { mtu: 1280 },
            ),
        ];
        for (src, dst, error) in pairs {
            let family = Family::of(dst);
            let probe = echo(family, 0x4242, 9, b"cookie!!index");
            let m = emit_error(error, src, dst, &probe).unwrap();
            let Message::Error { error: e, probe: q } = Message::parse(family, &m, true).unwrap()
            else {
                panic!("not an error")
            };
            assert_eq!(e, error);
            assert_eq!(q.dst, Some(dst));
            assert_eq!(
                q.transport,
                QuotedTransport::Echo {
                    ident: 0x4242,
                    seq_no: 9
                }
            );
            assert_eq!(q.payload, b"cookie!!index");
            let queued = Message::queued(family, m[0], m[1], super::super::be32(&m, 4), &probe);
            let Some(Message::Error { error: e, probe: q }) = queued else {
                panic!("queued error")
            };
            assert_eq!((e, q.dst, q.payload), (error, None, &b"cookie!!index"[..]));
        }
    }

    #[test]
    fn bad_checksums_are_refused_only_when_asked() {
        let mut b = echo(Family::V4, 1, 1, b"x");
        b[0] = 0;
        assert!(Message::parse(Family::V4, &b, true).is_err());
        assert!(matches!(
            Message::parse(Family::V4, &b, false),
            Ok(Message::EchoReply { .. })
        ));
        assert!(Message::parse(Family::V4, &b[..7], false).is_err());
    }
}
