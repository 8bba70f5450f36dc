//! IPv4 headers (RFC 791) with options: record route, timestamp (RFC 791
//! §3.1, RFC 781), loose and strict source route.
//!
//! `Packet::new_checked` accepts a header whose total length is larger than
//! the buffer, because an ICMP error quotes only the first bytes of the
//! datagram it reports; `payload()` is cut at whichever ends first.

use std::net::Ipv4Addr;

use super::checksum;
use super::{IpProtocol, Layer, WireError, be16, need, set_be16};

mod field {
    pub const VER_IHL: usize = 0;
    pub const TOS: usize = 1;
    pub const LENGTH: usize = 2;
    pub const IDENT: usize = 4;
    pub const FLG_OFF: usize = 6;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: usize = 10;
    pub const SRC: std::ops::Range<usize> = 12..16;
    pub const DST: std::ops::Range<usize> = 16..20;
    pub const OPTIONS: usize = 20;
}

/// The fixed header length.
pub const HEADER_LEN: usize = 20;

/// The most option bytes a header holds (IHL 15 → 60 bytes, less the fixed 20).
pub const OPTIONS_ROOM: usize = 40;

/// A checked view of an IPv4 header and what follows it.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Check version, IHL and that the header fits in the buffer.
    ///
    /// # Examples
    /// ```
    /// use ipkit_core::wire::ipv4::Packet;
    /// assert!(Packet::new_checked(&[0x45u8; 10][..]).is_err());
    /// ```
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let b = buffer.as_ref();
        need(Layer::Ipv4, b, HEADER_LEN)?;
        if b[field::VER_IHL] >> 4 != 4 {
            return Err(WireError::BadVersion {
                layer: Layer::Ipv4,
                got: b[0] >> 4,
                want: 4,
            });
        }
        let ihl = usize::from(b[field::VER_IHL] & 0x0f) * 4;
        if ihl < HEADER_LEN {
            return Err(WireError::Malformed {
                layer: Layer::Ipv4,
                field: "header length",
                value: ihl,
            });
        }
        need(Layer::Ipv4, b, ihl)?;
        let total = usize::from(be16(b, field::LENGTH));
        if total < ihl {
            return Err(WireError::Malformed {
                layer: Layer::Ipv4,
                field: "total length",
                value: total,
            });
        }
        Ok(Packet { buffer })
    }

    /// Header length in bytes (IHL × 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::VER_IHL] & 0x0f) * 4
    }
    /// The type-of-service byte (DSCP and ECN).
    pub fn tos(&self) -> u8 {
        self.buffer.as_ref()[field::TOS]
    }
    /// The total length field.
    pub fn total_len(&self) -> u16 {
        be16(self.buffer.as_ref(), field::LENGTH)
    }
    /// The identification field.
    pub fn ident(&self) -> u16 {
        be16(self.buffer.as_ref(), field::IDENT)
    }
    /// The DF flag.
    pub fn dont_frag(&self) -> bool {
        self.buffer.as_ref()[field::FLG_OFF] & 0x40 != 0
    }
    /// The MF flag.
    pub fn more_frags(&self) -> bool {
        self.buffer.as_ref()[field::FLG_OFF] & 0x20 != 0
    }
    /// The fragment offset in bytes.
    pub fn frag_offset(&self) -> u16 {
        (be16(self.buffer.as_ref(), field::FLG_OFF) & 0x1fff) * 8
    }
    /// Time to live.
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[field::TTL]
    }
    /// The payload's protocol.
    pub fn protocol(&self) -> IpProtocol {
        IpProtocol::from(self.buffer.as_ref()[field::PROTOCOL])
    }
    /// The header checksum field.
    pub fn checksum(&self) -> u16 {
        be16(self.buffer.as_ref(), field::CHECKSUM)
    }
    /// Source address.
    pub fn src(&self) -> Ipv4Addr {
        let b = &self.buffer.as_ref()[field::SRC];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }
    /// Destination address.
    pub fn dst(&self) -> Ipv4Addr {
        let b = &self.buffer.as_ref()[field::DST];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }
    /// The options bytes.
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[field::OPTIONS..self.header_len()]
    }
    /// The payload: after the header, up to the total length or the buffer's end.
    pub fn payload(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        let end = usize::from(self.total_len()).min(b.len());
        &b[self.header_len()..end.max(self.header_len())]
    }
    /// Whether the header checksum verifies.
    pub fn verify_checksum(&self) -> bool {
        checksum::verifies(checksum::accumulate(
            0,
            &self.buffer.as_ref()[..self.header_len()],
        ))
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Recompute and store the header checksum.
    pub fn fill_checksum(&mut self) {
        let len = self.header_len();
        let b = self.buffer.as_mut();
        set_be16(b, field::CHECKSUM, 0);
        let c = checksum::checksum(&b[..len]);
        set_be16(b, field::CHECKSUM, c);
    }
}

/// An IPv4 option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ipv4Option {
    /// Record route (type 7): the addresses recorded so far, and how many slots.
    RecordRoute {
        /// Addresses filled in.
        route: Vec<Ipv4Addr>,
        /// Total slots.
        slots: u8,
    },
    /// Loose source route (131).
    LooseSourceRoute {
        /// The route.
        route: Vec<Ipv4Addr>,
        /// The pointer (1-based byte offset of the next address).
        pointer: u8,
    },
    /// Strict source route (137).
    StrictSourceRoute {
        /// The route.
        route: Vec<Ipv4Addr>,
        /// The pointer.
        pointer: u8,
    },
    /// Timestamp (68), flag 0: timestamps only, or 1: address + timestamp.
    Timestamp {
        /// The flag (0, 1 or 3).
        flag: u8,
        /// Overflow count.
        overflow: u8,
        /// Entries filled in: (address if flag≠0, milliseconds since midnight UT).
        entries: Vec<(Option<Ipv4Addr>, u32)>,
        /// Total slots.
        slots: u8,
    },
    /// No operation (1).
    Nop,
    /// Any other option, raw.
    Unknown {
        /// The type byte.
        kind: u8,
        /// The data after type and length.
        data: Vec<u8>,
    },
}

impl Ipv4Option {
    /// The bytes [`emit_options`] writes for this option, before the list is
    /// padded to a multiple of 4: type, length and pointer (and the
    /// timestamp's flag byte), then 4 bytes a route slot, 4 a bare
    /// timestamp, 8 an address and timestamp pair.
    ///
    /// # Examples
    /// ```
    /// use ipkit_core::wire::ipv4::{emit_options, Ipv4Option};
    /// let rr = Ipv4Option::RecordRoute { route: Vec::new(), slots: 9 };
    /// assert_eq!(rr.emitted_len(), 39);
    /// let ts = Ipv4Option::Timestamp { flag: 1, overflow: 0, entries: Vec::new(), slots: 4 };
    /// assert_eq!(ts.emitted_len(), 36);
    /// assert_eq!(emit_options(&[rr]).len(), 40);
    /// ```
    pub fn emitted_len(&self) -> usize {
        match self {
            Ipv4Option::Nop => 1,
            Ipv4Option::RecordRoute { slots, .. } => 3 + 4 * usize::from((*slots).clamp(1, 9)),
            Ipv4Option::Timestamp { flag, slots, .. } => {
                let step = timestamp_step(*flag);
                4 + step * usize::from(*slots).clamp(1, 36 / step)
            }
            Ipv4Option::LooseSourceRoute { route, .. }
            | Ipv4Option::StrictSourceRoute { route, .. } => 3 + 4 * route.len().min(9),
            Ipv4Option::Unknown { data, .. } => 2 + data.len(),
        }
    }
}

/// Bytes one timestamp entry takes: 4 for a bare timestamp (flag 0), 8 for
/// an address and timestamp.
fn timestamp_step(flag: u8) -> usize {
    if flag == 0 { 4 } else { 8 }
}

fn addrs(data: &[u8]) -> Vec<Ipv4Addr> {
    data.chunks_exact(4)
        .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]))
        .collect()
}

/// Decode an options area. Malformed lengths end the list (as routers do,
/// reporting what came before).
///
/// # Examples
/// ```
/// use std::net::Ipv4Addr;
/// use ipkit_core::wire::ipv4::{parse_options, Ipv4Option};
/// // Record route with 2 slots, one filled.
/// let opt = [7, 11, 8, 192, 0, 2, 1, 0, 0, 0, 0, 0];
/// assert_eq!(parse_options(&opt)[0], Ipv4Option::RecordRoute { route: vec![Ipv4Addr::new(192, 0, 2, 1)], slots: 2 });
/// ```
pub fn parse_options(mut b: &[u8]) -> Vec<Ipv4Option> {
    let mut out = Vec::new();
    while let Some(&kind) = b.first() {
        match kind {
            0 => break,
            1 => {
                out.push(Ipv4Option::Nop);
                b = &b[1..];
                continue;
            }
            _ => {}
        }
        let Some(&len) = b.get(1) else { break };
        let len = usize::from(len);
        if len < 2 || len > b.len() {
            break;
        }
        let data = &b[2..len];
        let pointer = data.first().copied().unwrap_or(0);
        // The pointer is 1-based from the option's start; filled bytes are
        // those before it (past type, length and pointer).
        let filled = usize::from(pointer)
            .saturating_sub(4)
            .min(data.len().saturating_sub(1));
        let area = data.get(1..).unwrap_or(&[]);
        let slots = u8::try_from(area.len() / 4).unwrap_or(u8::MAX);
        out.push(match kind {
            7 => Ipv4Option::RecordRoute {
                route: addrs(&area[..filled]),
                slots,
            },
            131 => Ipv4Option::LooseSourceRoute {
                route: addrs(area),
                pointer,
            },
            137 => Ipv4Option::StrictSourceRoute {
                route: addrs(area),
                pointer,
            },
            68 if data.len() >= 2 => {
                let (flag, overflow) = (data[1] & 0x0f, data[1] >> 4);
                let area = &data[2..];
                let filled = usize::from(pointer).saturating_sub(5).min(area.len());
                let step = if flag == 0 { 4 } else { 8 };
                let entries = area[..filled]
                    .chunks_exact(step)
                    .map(|c| {
                        if flag == 0 {
                            (None, super::be32(c, 0))
                        } else {
                            (
                                Some(Ipv4Addr::new(c[0], c[1], c[2], c[3])),
                                super::be32(c, 4),
                            )
                        }
                    })
                    .collect();
                Ipv4Option::Timestamp {
                    flag,
                    overflow,
                    entries,
                    slots: u8::try_from(area.len() / step).unwrap_or(u8::MAX),
                }
            }
            _ => Ipv4Option::Unknown {
                kind,
                data: data.to_vec(),
            },
        });
        b = &b[len..];
    }
    out
}

/// Encode options for a probe, padded with EOL to a multiple of 4 bytes.
/// Record route and timestamp get empty slots; source routes carry their hops.
pub fn emit_options(options: &[Ipv4Option]) -> Vec<u8> {
    let mut out = Vec::new();
    for o in options {
        match o {
            Ipv4Option::Nop => out.push(1),
            Ipv4Option::RecordRoute { .. } => {
                let len = o.emitted_len();
                out.extend_from_slice(&[7, u8::try_from(len).unwrap_or(39), 4]);
                out.extend(std::iter::repeat_n(0, len - 3));
            }
            Ipv4Option::Timestamp { flag, .. } => {
                let len = o.emitted_len();
                out.extend_from_slice(&[68, u8::try_from(len).unwrap_or(40), 5, *flag & 0x0f]);
                out.extend(std::iter::repeat_n(0, len - 4));
            }
            Ipv4Option::LooseSourceRoute { route, .. }
            | Ipv4Option::StrictSourceRoute { route, .. } => {
                let kind = if matches!(o, Ipv4Option::LooseSourceRoute { .. }) {
                    131
                } else {
                    137
                };
                let route = &route[..route.len().min(9)];
                out.extend_from_slice(&[kind, u8::try_from(o.emitted_len()).unwrap_or(39), 4]);
                for a in route {
                    out.extend_from_slice(&a.octets());
                }
            }
            Ipv4Option::Unknown { kind, data } => {
                out.push(*kind);
                out.push(u8::try_from(data.len() + 2).unwrap_or(u8::MAX));
                out.extend_from_slice(data);
            }
        }
    }
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out.truncate(OPTIONS_ROOM);
    out
}

/// A parsed IPv4 header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repr {
    /// Source.
    pub src: Ipv4Addr,
    /// Destination.
    pub dst: Ipv4Addr,
    /// Payload protocol.
    pub protocol: IpProtocol,
    /// Time to live.
    pub ttl: u8,
    /// Type of service.
    pub tos: u8,
    /// Identification.
    pub ident: u16,
    /// Don't fragment.
    pub dont_frag: bool,
    /// Payload length (total length − header length).
    pub payload_len: usize,
    /// Options.
    pub options: Vec<Ipv4Option>,
}

impl Repr {
    /// Parse and verify the checksum.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Repr, WireError> {
        if !p.verify_checksum() {
            return Err(WireError::BadChecksum { layer: Layer::Ipv4 });
        }
        Ok(Repr {
            src: p.src(),
            dst: p.dst(),
            protocol: p.protocol(),
            ttl: p.ttl(),
            tos: p.tos(),
            ident: p.ident(),
            dont_frag: p.dont_frag(),
            payload_len: usize::from(p.total_len()) - p.header_len(),
            options: parse_options(p.options()),
        })
    }

    /// Header length this repr emits.
    pub fn header_len(&self) -> usize {
        HEADER_LEN + emit_options(&self.options).len()
    }

    /// Write the header into `buf` (at least `header_len()` bytes), checksum included.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        let opts = emit_options(&self.options);
        let hl = HEADER_LEN + opts.len();
        need(Layer::Ipv4, buf, hl)?;
        let total = u16::try_from(hl + self.payload_len).map_err(|_| WireError::Malformed {
            layer: Layer::Ipv4,
            field: "total length",
            value: hl + self.payload_len,
        })?;
        buf[field::VER_IHL] = 0x40 | u8::try_from(hl / 4).unwrap_or(15);
        buf[field::TOS] = self.tos;
        set_be16(buf, field::LENGTH, total);
        set_be16(buf, field::IDENT, self.ident);
        set_be16(buf, field::FLG_OFF, if self.dont_frag { 0x4000 } else { 0 });
        buf[field::TTL] = self.ttl;
        buf[field::PROTOCOL] = self.protocol.into();
        buf[field::SRC].copy_from_slice(&self.src.octets());
        buf[field::DST].copy_from_slice(&self.dst.octets());
        buf[field::OPTIONS..hl].copy_from_slice(&opts);
        Packet {
            buffer: &mut buf[..],
        }
        .fill_checksum();
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A kernel-built ICMP echo request over loopback (captured with a raw socket).
    pub const ECHO_REQUEST: &str = "4500002e926540004001aa677f0000017f0000010800582c1234000169706b69742d746573742d7061796c6f6164";
    /// The kernel's port-unreachable error for a UDP datagram to port 9.
    pub const PORT_UNREACHABLE: &str = "45c00041933e00004001e8bb7f0000017f0000010303101a0000000045000025c2eb4000401179da7f0000017f000001c53f00090011fe2468656c6c6f2d756470";

    pub fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn parses_captured_echo_request() {
        let bytes = hex(ECHO_REQUEST);
        let p = Packet::new_checked(&bytes[..]).unwrap();
        let r = Repr::parse(&p).unwrap();
        assert_eq!(
            (r.src, r.dst, r.protocol, r.ttl),
            (
                Ipv4Addr::LOCALHOST,
                Ipv4Addr::LOCALHOST,
                IpProtocol::Icmp,
                64
            )
        );
        assert!(r.dont_frag);
        assert_eq!(r.payload_len, 26);
        assert_eq!(p.payload().len(), 26);
        // emit reproduces the kernel's bytes, checksum included.
        let mut out = vec![0u8; 20];
        r.emit(&mut out).unwrap();
        assert_eq!(out, bytes[..20]);
    }

    #[test]
    fn rejects_bad_headers() {
        let mut bytes = hex(ECHO_REQUEST);
        bytes[11] ^= 1;
        assert_eq!(
            Repr::parse(&Packet::new_checked(&bytes[..]).unwrap()),
            Err(WireError::BadChecksum { layer: Layer::Ipv4 })
        );
        assert!(matches!(
            Packet::new_checked(&[0x65u8; 20][..]),
            Err(WireError::BadVersion { .. })
        ));
        assert!(matches!(
            Packet::new_checked(&[0x44u8; 20][..]),
            Err(WireError::Malformed { .. })
        ));
        assert!(matches!(
            Packet::new_checked(&[0x46u8; 20][..]),
            Err(WireError::Truncated { need: 24, .. })
        ));
    }

    #[test]
    fn options_round_trip() {
        let opts = vec![Ipv4Option::RecordRoute {
            route: vec![],
            slots: 9,
        }];
        let r = Repr {
            src: Ipv4Addr::new(192, 0, 2, 1),
            dst: Ipv4Addr::new(192, 0, 2, 2),
            protocol: IpProtocol::Icmp,
            ttl: 9,
            tos: 0,
            ident: 1,
            dont_frag: false,
            payload_len: 8,
            options: opts,
        };
        assert_eq!(r.header_len(), 60);
        let mut buf = vec![0u8; 68];
        r.emit(&mut buf).unwrap();
        // A router records itself: write an address at the pointer and advance it.
        buf[23..27].copy_from_slice(&[198, 51, 100, 1]);
        buf[22] = 8;
        Packet::new_checked(&mut buf[..]).unwrap().fill_checksum();
        let back = Repr::parse(&Packet::new_checked(&buf[..]).unwrap()).unwrap();
        assert_eq!(
            back.options[0],
            Ipv4Option::RecordRoute {
                route: vec![Ipv4Addr::new(198, 51, 100, 1)],
                slots: 9
            }
        );
        let ts = emit_options(&[Ipv4Option::Timestamp {
            flag: 1,
            overflow: 0,
            entries: vec![],
            slots: 4,
        }]);
        assert_eq!(&ts[..4], &[68, 36, 5, 1]);
        let lsrr = emit_options(&[Ipv4Option::LooseSourceRoute {
            route: vec![Ipv4Addr::new(192, 0, 2, 9)],
            pointer: 4,
        }]);
        assert_eq!(
            parse_options(&lsrr)[0],
            Ipv4Option::LooseSourceRoute {
                route: vec![Ipv4Addr::new(192, 0, 2, 9)],
                pointer: 4
            }
        );
    }
}
