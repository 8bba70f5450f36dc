//! ICMP for both families at once (RFC 792, RFC 4443), over the per-family
//! packet views of [`super::icmpv4`] and [`super::icmpv6`]:
//! - [`Repr`]: a message as plain values — echo, an error as the typed
//!   [`IcmpError`] with its quoted datagram, a redirect, anything else —
//!   with `parse` and `emit` (checksums verified and filled per family);
//! - [`IcmpError`], whose `Display` is the one place an error's text is
//!   written;
//! - [`Message`]: what a probing engine makes of a received message (an echo
//!   reply, an error about one of its probes with the probe as quoted, or
//!   something else), from the ICMP bytes a socket reads
//!   ([`Message::parse`]) or an error a datagram socket's kernel queued for
//!   it, which gives type, code and extra word and the probe's own bytes but
//!   no IP header ([`Message::queued`]);
//! - echo requests written in place through the views' setters.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{IpProtocol, Layer, WireError, be16, be32, icmpv4, icmpv6, ipv4, ipv6, need};

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

    /// The protocol layer its messages are.
    pub fn layer(self) -> Layer {
        match self {
            Family::V4 => Layer::Icmpv4,
            Family::V6 => Layer::Icmpv6,
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

    /// The family, type, code and extra word a message carrying this error
    /// has: the inverse of [`IcmpError::from_type_code`]. A parameter
    /// problem is ICMPv4's unless `family` says otherwise.
    pub fn type_code(self, family: Family) -> (Family, u8, u8, u32) {
        match self {
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
            IcmpError::ParameterProblem { code, pointer } => match family {
                Family::V4 => (Family::V4, 12, code, pointer << 24),
                Family::V6 => (Family::V6, 4, code, pointer),
            },
        }
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

/// A parsed ICMP message of either family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repr<'a> {
    /// ICMPv4 type 8, ICMPv6 type 128.
    EchoRequest(Echo<'a>),
    /// ICMPv4 type 0, ICMPv6 type 129.
    EchoReply(Echo<'a>),
    /// An error about a datagram.
    Error {
        /// What it says.
        error: IcmpError,
        /// The datagram it quotes (IP header and at least 8 bytes of it).
        quoted: &'a [u8],
    },
    /// ICMPv4 type 5.
    Redirect {
        /// The code.
        code: u8,
        /// The better gateway.
        gateway: Ipv4Addr,
        /// The quoted datagram.
        quoted: &'a [u8],
    },
    /// Anything else (neighbour discovery, MLD, a timestamp request …).
    Other {
        /// Type.
        msg_type: u8,
        /// Code.
        code: u8,
        /// Bytes after type, code and checksum.
        rest: &'a [u8],
    },
}

/// An echo request or reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Echo<'a> {
    /// Identifier.
    pub ident: u16,
    /// Sequence number.
    pub seq_no: u16,
    /// Payload.
    pub data: &'a [u8],
}

/// How a message's checksum is checked on parse and filled on emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// ICMPv4's, over the message.
    Ipv4,
    /// ICMPv6's, over the message and this pseudo-header.
    Ipv6 {
        /// Source address.
        src: Ipv6Addr,
        /// Destination address.
        dst: Ipv6Addr,
    },
    /// None: a kernel checked it (datagram sockets, ICMPv6 sockets) or
    /// will fill it (ICMPv6 sends); emit leaves it 0.
    Unchecked,
}

impl<'a> Repr<'a> {
    /// Parse a message of `family`, checking the checksum as `checksum` says.
    ///
    /// # Examples
    /// ```
    /// use ipkit_core::wire::icmp::{Checksum, Echo, Family, Repr};
    /// let r = Repr::EchoRequest(Echo { ident: 0x1234, seq_no: 1, data: b"hi" });
    /// let mut b = vec![0u8; r.buffer_len()];
    /// r.emit(Family::V4, &mut b, Checksum::Ipv4).unwrap();
    /// assert_eq!(Repr::parse(Family::V4, &b, Checksum::Ipv4).unwrap(), r);
    /// ```
    pub fn parse(family: Family, b: &'a [u8], checksum: Checksum) -> Result<Repr<'a>, WireError> {
        let (msg_type, code) = match family {
            Family::V4 => {
                let p = icmpv4::Packet::new_checked(b)?;
                (p.msg_type(), p.code())
            }
            Family::V6 => {
                let p = icmpv6::Packet::new_checked(b)?;
                (p.msg_type(), p.code())
            }
        };
        let verifies = match checksum {
            Checksum::Ipv4 => icmpv4::Packet::new_checked(b)?.verify_checksum(),
            Checksum::Ipv6 { src, dst } => {
                icmpv6::Packet::new_checked(b)?.verify_checksum(src, dst)
            }
            Checksum::Unchecked => true,
        };
        if !verifies {
            return Err(WireError::BadChecksum {
                layer: family.layer(),
            });
        }
        let echo = || Echo {
            ident: be16(b, 4),
            seq_no: be16(b, 6),
            data: &b[8..],
        };
        Ok(match (family, msg_type, code) {
            (_, t, 0) if t == family.echo_request() => Repr::EchoRequest(echo()),
            (_, t, 0) if t == family.echo_reply() => Repr::EchoReply(echo()),
            (Family::V4, 5, code) => Repr::Redirect {
                code,
                gateway: Ipv4Addr::new(b[4], b[5], b[6], b[7]),
                quoted: &b[8..],
            },
            (_, t, code) => match IcmpError::from_type_code(family, t, code, be32(b, 4)) {
                Some(error) => Repr::Error {
                    error,
                    quoted: &b[8..],
                },
                None => Repr::Other {
                    msg_type: t,
                    code,
                    rest: &b[4..],
                },
            },
        })
    }

    /// Bytes `emit` writes.
    pub fn buffer_len(&self) -> usize {
        8 + match self {
            Repr::EchoRequest(e) | Repr::EchoReply(e) => e.data.len(),
            Repr::Error { quoted, .. } | Repr::Redirect { quoted, .. } => quoted.len(),
            Repr::Other { rest, .. } => rest.len().saturating_sub(4),
        }
    }

    /// Write the message as `family`'s into `buf`, filling the checksum as
    /// `checksum` says.
    pub fn emit(
        &self,
        family: Family,
        buf: &mut [u8],
        checksum: Checksum,
    ) -> Result<(), WireError> {
        let len = self.buffer_len();
        need(family.layer(), buf, len)?;
        let b = &mut buf[..len];
        let (msg_type, code, rest, body): (u8, u8, [u8; 4], &[u8]) = match *self {
            Repr::EchoRequest(e) => (family.echo_request(), 0, echo_rest(e), e.data),
            Repr::EchoReply(e) => (family.echo_reply(), 0, echo_rest(e), e.data),
            Repr::Error { error, quoted } => {
                let (_, t, c, info) = error.type_code(family);
                (t, c, info.to_be_bytes(), quoted)
            }
            Repr::Redirect {
                code,
                gateway,
                quoted,
            } => (5, code, gateway.octets(), quoted),
            Repr::Other {
                msg_type,
                code,
                rest,
            } => {
                let mut r = [0u8; 4];
                let n = rest.len().min(4);
                r[..n].copy_from_slice(&rest[..n]);
                (msg_type, code, r, rest.get(4..).unwrap_or(&[]))
            }
        };
        b[0] = msg_type;
        b[1] = code;
        b[2..4].fill(0);
        b[4..8].copy_from_slice(&rest);
        b[8..].copy_from_slice(body);
        match checksum {
            Checksum::Ipv4 => icmpv4::Packet::new_checked(b)?.fill_checksum(),
            Checksum::Ipv6 { src, dst } => icmpv6::Packet::new_checked(b)?.fill_checksum(src, dst),
            Checksum::Unchecked => {}
        }
        Ok(())
    }
}

fn echo_rest(e: Echo<'_>) -> [u8; 4] {
    let mut r = [0u8; 4];
    r[..2].copy_from_slice(&e.ident.to_be_bytes());
    r[2..].copy_from_slice(&e.seq_no.to_be_bytes());
    r
}

/// The first bytes of a quoted transport header.
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

fn quoted_transport(family: Family, protocol: IpProtocol, t: &[u8]) -> QuotedTransport {
    match protocol {
        IpProtocol::Icmp | IpProtocol::Icmpv6 if t.len() >= 8 && t[0] == family.echo_request() => {
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
            seq: be32(t, 4),
        },
        p => QuotedTransport::Other(p),
    }
}

/// The checksum field of a quoted transport header, when quoted.
fn transport_checksum(protocol: IpProtocol, t: &[u8]) -> Option<u16> {
    let at = match protocol {
        IpProtocol::Icmp | IpProtocol::Icmpv6 => 2,
        IpProtocol::Udp => 6,
        IpProtocol::Tcp => 16,
        IpProtocol::Unknown(_) => return None,
    };
    (t.len() >= at + 2).then(|| be16(t, at))
}

/// What an ICMP error quotes of the datagram (a probe) it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotedProbe<'a> {
    /// The probe's source; None when only the probe's own bytes were
    /// given (a kernel's error queue), not its IP header.
    pub src: Option<IpAddr>,
    /// The probe's destination (None as for `src`).
    pub dst: Option<IpAddr>,
    /// The probe's IP identification (IPv4) or flow label (IPv6).
    pub ip_ident: Option<u32>,
    /// The probe's TOS (IPv4) or traffic class (IPv6) as the router saw
    /// it (a hop that rewrote DSCP shows here); None as for `src`.
    pub tos: Option<u8>,
    /// The quoted transport header's checksum field (ICMP and UDP; TCP's
    /// when enough was quoted): where a Paris tracer keeps a probe's id.
    pub transport_checksum: Option<u16>,
    /// The quoted transport header (an echo request's identifier and sequence).
    pub transport: QuotedTransport,
    /// What the probe carried after its 8-byte transport header, as much as
    /// was quoted.
    pub payload: &'a [u8],
}

impl<'a> QuotedProbe<'a> {
    /// Decode the datagram an error of `family` quotes: its IP header, then
    /// its transport (no checksum checks: routers may have changed it, and
    /// it is often cut short).
    ///
    /// # Examples
    /// ```
    /// use ipkit_core::wire::icmp::{Family, QuotedProbe, QuotedTransport};
    /// let q = [0x45, 0, 0, 28, 0, 7, 0, 0, 1, 1, 0, 0, 192, 0, 2, 1, 198, 51, 100, 1, 8, 0, 0, 0, 0x12, 0x34, 0, 9];
    /// let p = QuotedProbe::parse(Family::V4, &q).unwrap();
    /// assert_eq!(p.transport, QuotedTransport::Echo { ident: 0x1234, seq_no: 9 });
    /// ```
    pub fn parse(family: Family, quoted: &'a [u8]) -> Result<QuotedProbe<'a>, WireError> {
        let (src, dst, ip_ident, tos, protocol, transport): (IpAddr, IpAddr, u32, u8, _, &[u8]) =
            match family {
                Family::V4 => {
                    let ip = ipv4::Packet::new_checked(quoted)?;
                    (
                        ip.src().into(),
                        ip.dst().into(),
                        u32::from(ip.ident()),
                        ip.tos(),
                        ip.protocol(),
                        &quoted[ip.header_len()..],
                    )
                }
                Family::V6 => {
                    let ip = ipv6::Packet::new_checked(quoted)?;
                    (
                        ip.src().into(),
                        ip.dst().into(),
                        ip.flow_label(),
                        ip.traffic_class(),
                        ip.next_header(),
                        &quoted[ipv6::HEADER_LEN..],
                    )
                }
            };
        Ok(QuotedProbe {
            src: Some(src),
            dst: Some(dst),
            ip_ident: Some(ip_ident),
            tos: Some(tos),
            transport_checksum: transport_checksum(protocol, transport),
            transport: quoted_transport(family, protocol, transport),
            payload: transport.get(8..).unwrap_or(&[]),
        })
    }
}

/// A received ICMP message, as a probing engine sees it.
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
    /// let m = Message::parse(Family::V4, &b, false).unwrap();
    /// assert_eq!(m, Message::EchoReply { ident: 0x1234, seq: 7, data: b"ping" });
    /// ```
    pub fn parse(family: Family, icmp: &'a [u8], verify: bool) -> Result<Message<'a>, WireError> {
        let checksum = match family {
            Family::V4 if verify => Checksum::Ipv4,
            _ => Checksum::Unchecked,
        };
        Ok(match Repr::parse(family, icmp, checksum)? {
            Repr::EchoReply(e) => Message::EchoReply {
                ident: e.ident,
                seq: e.seq_no,
                data: e.data,
            },
            Repr::Error { error, quoted } => match QuotedProbe::parse(family, quoted) {
                Ok(probe) => Message::Error { error, probe },
                Err(_) => Message::Other {
                    msg_type: icmp[0],
                    code: icmp[1],
                },
            },
            _ => Message::Other {
                msg_type: icmp[0],
                code: icmp[1],
            },
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
                src: None,
                dst: None,
                ip_ident: None,
                tos: None,
                transport_checksum: transport_checksum(protocol, probe),
                transport: quoted_transport(family, protocol, probe),
                payload: probe.get(8..).unwrap_or(&[]),
            },
        })
    }
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

/// The error message a router would send about `probe` (the ICMP bytes of
/// a probe sent from `src` to `dst`): the ICMP header, then the probe's IP
/// header and the probe, checksummed. For tests and simulated networks.
pub fn emit_error(
    error: IcmpError,
    src: IpAddr,
    dst: IpAddr,
    probe: &[u8],
) -> Result<Vec<u8>, WireError> {
    let v6 = |a: IpAddr| match a {
        IpAddr::V6(a) => a,
        IpAddr::V4(a) => a.to_ipv6_mapped(),
    };
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
                payload_len: probe.len(),
                options: Vec::new(),
            };
            let mut b = vec![0u8; ip.header_len()];
            ip.emit(&mut b)?;
            b
        }
        (s, d) => {
            let ip = ipv6::Repr {
                src: v6(s),
                dst: v6(d),
                next_header: IpProtocol::Icmpv6,
                hop_limit: 1,
                traffic_class: 0,
                flow_label: 0,
                payload_len: probe.len(),
            };
            let mut b = vec![0u8; ipv6::HEADER_LEN];
            ip.emit(&mut b)?;
            b
        }
    };
    quoted.extend_from_slice(probe);
    let family = Family::of(dst);
    let r = Repr::Error {
        error,
        quoted: &quoted,
    };
    let mut m = vec![0u8; r.buffer_len()];
    let checksum = match family {
        Family::V4 => Checksum::Ipv4,
        // The error goes from the router back to the probe's source.
        Family::V6 => Checksum::Ipv6 {
            src: v6(dst),
            dst: v6(src),
        },
    };
    r.emit(family, &mut m, checksum)?;
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
    use super::super::ipv4::tests::{ECHO_REQUEST, PORT_UNREACHABLE, hex};
    use super::super::ipv6::tests::{ECHO6_REQUEST, PORT_UNREACHABLE6};
    use super::*;

    fn echo(family: Family, ident: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 8 + payload.len()];
        b[8..].copy_from_slice(payload);
        write_echo_request(family, &mut b, ident, seq).unwrap();
        b
    }

    #[test]
    fn captured_echo_request_v4() {
        let bytes = hex(ECHO_REQUEST);
        let r = Repr::parse(Family::V4, &bytes[20..], Checksum::Ipv4).unwrap();
        assert_eq!(
            r,
            Repr::EchoRequest(Echo {
                ident: 0x1234,
                seq_no: 1,
                data: b"ipkit-test-payload"
            })
        );
        let mut out = vec![0u8; r.buffer_len()];
        r.emit(Family::V4, &mut out, Checksum::Ipv4).unwrap();
        assert_eq!(out, &bytes[20..], "emit reproduces the captured bytes");
        assert_eq!(
            echo(Family::V4, 0x1234, 1, b"ipkit-test-payload"),
            &bytes[20..],
            "and so does the in-place writer"
        );
    }

    #[test]
    fn captured_port_unreachable_v4_points_back_at_the_probe() {
        let bytes = hex(PORT_UNREACHABLE);
        let Repr::Error { error, quoted } =
            Repr::parse(Family::V4, &bytes[20..], Checksum::Ipv4).unwrap()
        else {
            panic!("not an error")
        };
        assert_eq!(
            error,
            IcmpError::DestinationUnreachable {
                reason: icmpv4::Unreachable::Port
            }
        );
        assert_eq!(error.to_string(), "Destination Port Unreachable");
        let q = QuotedProbe::parse(Family::V4, quoted).unwrap();
        assert_eq!(q.dst, Some(IpAddr::from(Ipv4Addr::LOCALHOST)));
        assert_eq!(
            q.transport,
            QuotedTransport::Udp {
                src_port: 0xc53f,
                dst_port: 9
            }
        );
        assert_eq!(q.ip_ident, Some(0xc2eb));
    }

    #[test]
    fn captured_echo_v6_verifies_with_the_pseudo_header() {
        let bytes = hex(ECHO6_REQUEST);
        let lo = Checksum::Ipv6 {
            src: Ipv6Addr::LOCALHOST,
            dst: Ipv6Addr::LOCALHOST,
        };
        let r = Repr::parse(Family::V6, &bytes[40..], lo).unwrap();
        assert_eq!(
            r,
            Repr::EchoRequest(Echo {
                ident: 0x4321,
                seq_no: 7,
                data: b"ipkit-v6"
            })
        );
        let mut out = vec![0u8; r.buffer_len()];
        r.emit(Family::V6, &mut out, lo).unwrap();
        assert_eq!(out, &bytes[40..]);
        let other = Checksum::Ipv6 {
            src: "2001:db8::1".parse().unwrap(),
            dst: Ipv6Addr::LOCALHOST,
        };
        assert!(
            Repr::parse(Family::V6, &bytes[40..], other).is_err(),
            "the pseudo-header counts"
        );
    }

    #[test]
    fn captured_port_unreachable_v6() {
        let bytes = hex(PORT_UNREACHABLE6);
        let lo = Checksum::Ipv6 {
            src: Ipv6Addr::LOCALHOST,
            dst: Ipv6Addr::LOCALHOST,
        };
        let Repr::Error { error, quoted } = Repr::parse(Family::V6, &bytes[40..], lo).unwrap()
        else {
            panic!("not an error")
        };
        assert_eq!(error.to_string(), "Port unreachable");
        assert_eq!(
            QuotedProbe::parse(Family::V6, quoted).unwrap().transport,
            QuotedTransport::Udp {
                src_port: 0xeb03,
                dst_port: 9
            }
        );
    }

    #[test]
    fn errors_round_trip_and_bad_checksums_are_caught() {
        let inner = hex(ECHO_REQUEST);
        let inner6 = hex(ECHO6_REQUEST);
        let (s, d): (Ipv6Addr, Ipv6Addr) = (
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
        );
        let v6 = Checksum::Ipv6 { src: s, dst: d };
        let cases = [
            (
                Family::V4,
                IcmpError::TimeExceeded { code: 0 },
                &inner[..28],
                Checksum::Ipv4,
            ),
            (
                Family::V4,
                IcmpError::FragmentationNeeded { mtu: 1400 },
                &inner[..28],
                Checksum::Ipv4,
            ),
            (
                Family::V4,
                IcmpError::ParameterProblem {
                    code: 0,
                    pointer: 20,
                },
                &inner[..28],
                Checksum::Ipv4,
            ),
            (
                Family::V6,
                IcmpError::PacketTooBig { mtu: 1280 },
                &inner6[..],
                v6,
            ),
            (
                Family::V6,
                IcmpError::HopLimitExceeded { code: 0 },
                &inner6[..],
                v6,
            ),
            (
                Family::V6,
                IcmpError::ParameterProblem {
                    code: 1,
                    pointer: 40,
                },
                &inner6[..],
                v6,
            ),
        ];
        for (family, error, quoted, checksum) in cases {
            let r = Repr::Error { error, quoted };
            let mut buf = vec![0u8; r.buffer_len()];
            r.emit(family, &mut buf, checksum).unwrap();
            assert_eq!(Repr::parse(family, &buf, checksum).unwrap(), r);
            buf[9] ^= 0xff;
            assert!(matches!(
                Repr::parse(family, &buf, checksum),
                Err(WireError::BadChecksum { .. })
            ));
        }
        assert!(Repr::parse(Family::V4, &[0u8; 7], Checksum::Unchecked).is_err());
        let q = QuotedProbe::parse(Family::V6, &inner6).unwrap();
        assert_eq!(
            q.transport,
            QuotedTransport::Echo {
                ident: 0x4321,
                seq_no: 7
            }
        );
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
            assert_eq!(e.type_code(family), (family, t, c, info));
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
            assert_eq!((q.src, q.dst), (Some(src), Some(dst)));
            assert_eq!(
                q.transport,
                QuotedTransport::Echo {
                    ident: 0x4242,
                    seq_no: 9
                }
            );
            assert_eq!(q.payload, b"cookie!!index");
            let queued = Message::queued(family, m[0], m[1], be32(&m, 4), &probe);
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

    #[test]
    fn a_quoted_udp_probe_gives_its_tos_and_checksum() {
        // A UDP probe (TOS 0x28, checksum 0xbeef) as a router quotes it.
        let mut q = vec![0x45, 0x28, 0, 28, 0, 1, 0, 0, 1, 17, 0, 0];
        q.extend([192, 0, 2, 1, 198, 51, 100, 1]);
        q.extend([0x82, 0x9a, 0x82, 0x9b, 0, 8, 0xbe, 0xef]);
        let p = QuotedProbe::parse(Family::V4, &q).unwrap();
        assert_eq!(p.tos, Some(0x28));
        assert_eq!(p.transport_checksum, Some(0xbeef));
        assert_eq!(
            p.transport,
            QuotedTransport::Udp {
                src_port: 33434,
                dst_port: 33435
            }
        );
        // Only 4 bytes of transport quoted: ports, no checksum.
        let p = QuotedProbe::parse(Family::V4, &q[..24]).unwrap();
        assert_eq!(p.transport_checksum, None);
    }
}
