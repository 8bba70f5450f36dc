//! The packet layer: zero-copy views of IPv4, IPv6, ICMPv4, ICMPv6, UDP and
//! TCP headers, written by hand because probing engines need exactly this —
//! checked views over received bytes, building probes in place, and ICMP
//! errors whose quoted datagram must be decoded to find the probe it answers.
//!
//! The contract, as in smoltcp's `wire` module:
//! - `Packet::new_checked` validates lengths (and versions) once; after it,
//!   field getters are infallible and never panic. Byte offsets are named in
//!   a `field` module per protocol.
//! - `Repr` is a plain struct: `Repr::parse(&Packet)` and `Repr::emit(&mut
//!   Packet)`. Emitting fills checksums; parsing verifies them (skipped under
//!   `cfg(fuzzing)` so fuzzers get past them).
//! - Unknown protocol numbers and message types become `Unknown(n)`, never errors.
//!
//! Not here: fragmentation and reassembly, IPv6 extension-header chains
//! beyond reporting the next header, TCP options beyond raw bytes.

/// Byte offsets of the 8-byte header ICMPv4 and ICMPv6 share.
mod icmp_field {
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: usize = 2;
    pub const IDENT: usize = 4;
    pub const SEQ: usize = 6;
    pub const DATA: usize = 8;
}

/// The field getters ICMPv4 and ICMPv6 share (same 8-byte header layout:
/// type, code, checksum, then an echo's identifier and sequence number),
/// and the checked constructor, for a `Packet` whose module names the
/// offsets in `field`.
macro_rules! icmp_header_getters {
    ($layer:expr) => {
        /// Check that the 8-byte header is present.
        pub fn new_checked(buffer: T) -> Result<Self, WireError> {
            need($layer, buffer.as_ref(), HEADER_LEN)?;
            Ok(Packet { buffer })
        }
        /// Message type.
        pub fn msg_type(&self) -> u8 {
            self.buffer.as_ref()[field::TYPE]
        }
        /// Message code.
        pub fn code(&self) -> u8 {
            self.buffer.as_ref()[field::CODE]
        }
        /// Checksum field.
        pub fn checksum(&self) -> u16 {
            be16(self.buffer.as_ref(), field::CHECKSUM)
        }
        /// Echo identifier.
        pub fn ident(&self) -> u16 {
            be16(self.buffer.as_ref(), field::IDENT)
        }
        /// Echo sequence number.
        pub fn seq_no(&self) -> u16 {
            be16(self.buffer.as_ref(), field::SEQ)
        }
        /// Everything after the 8-byte header.
        pub fn data(&self) -> &[u8] {
            &self.buffer.as_ref()[field::DATA..]
        }
    };
}

/// The field setters ICMPv4 and ICMPv6 share (see `icmp_header_getters`).
macro_rules! icmp_header_setters {
    () => {
        /// Set the message type.
        pub fn set_msg_type(&mut self, v: u8) {
            self.buffer.as_mut()[field::TYPE] = v;
        }
        /// Set the message code.
        pub fn set_code(&mut self, v: u8) {
            self.buffer.as_mut()[field::CODE] = v;
        }
        /// Set the checksum field (`fill_checksum` computes it; 0 asks a
        /// kernel's ICMPv6 socket to fill it).
        pub fn set_checksum(&mut self, v: u16) {
            set_be16(self.buffer.as_mut(), field::CHECKSUM, v);
        }
        /// Set the echo identifier.
        pub fn set_ident(&mut self, v: u16) {
            set_be16(self.buffer.as_mut(), field::IDENT, v);
        }
        /// Set the echo sequence number.
        pub fn set_seq_no(&mut self, v: u16) {
            set_be16(self.buffer.as_mut(), field::SEQ, v);
        }
        /// Everything after the 8-byte header, to write.
        pub fn data_mut(&mut self) -> &mut [u8] {
            &mut self.buffer.as_mut()[field::DATA..]
        }
    };
}

pub mod checksum;
pub mod icmp;
pub mod icmp_ext;
pub mod icmpv4;
pub mod icmpv6;
pub mod ipv4;
pub mod ipv6;
pub mod tcp;
pub mod udp;

/// The protocol layer an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// IPv4 header.
    Ipv4,
    /// IPv6 header.
    Ipv6,
    /// ICMPv4 message.
    Icmpv4,
    /// ICMPv6 message.
    Icmpv6,
    /// UDP header.
    Udp,
    /// TCP header.
    Tcp,
}

/// Why bytes are not a valid packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// Fewer bytes than the header (or a length field) needs.
    #[error("{layer:?}: truncated, need {need} bytes, got {got}")]
    Truncated {
        /// The layer.
        layer: Layer,
        /// Bytes needed.
        need: usize,
        /// Bytes present.
        got: usize,
    },
    /// A version field that does not match.
    #[error("{layer:?}: version {got}, not {want}")]
    BadVersion {
        /// The layer.
        layer: Layer,
        /// The version found.
        got: u8,
        /// The version expected.
        want: u8,
    },
    /// A length field that contradicts itself (e.g. IHL < 5).
    #[error("{layer:?}: malformed {field} {value}")]
    Malformed {
        /// The layer.
        layer: Layer,
        /// The field's name.
        field: &'static str,
        /// Its value.
        value: usize,
    },
    /// The checksum does not verify.
    #[error("{layer:?}: bad checksum")]
    BadChecksum {
        /// The layer.
        layer: Layer,
    },
}

/// An IP protocol number (IANA "Assigned Internet Protocol Numbers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpProtocol {
    /// 1.
    Icmp,
    /// 6.
    Tcp,
    /// 17.
    Udp,
    /// 58.
    Icmpv6,
    /// Any other.
    Unknown(u8),
}

impl From<u8> for IpProtocol {
    fn from(v: u8) -> Self {
        match v {
            1 => IpProtocol::Icmp,
            6 => IpProtocol::Tcp,
            17 => IpProtocol::Udp,
            58 => IpProtocol::Icmpv6,
            n => IpProtocol::Unknown(n),
        }
    }
}

impl From<IpProtocol> for u8 {
    fn from(p: IpProtocol) -> u8 {
        match p {
            IpProtocol::Icmp => 1,
            IpProtocol::Tcp => 6,
            IpProtocol::Udp => 17,
            IpProtocol::Icmpv6 => 58,
            IpProtocol::Unknown(n) => n,
        }
    }
}

pub(crate) fn need(layer: Layer, buf: &[u8], need: usize) -> Result<(), WireError> {
    if buf.len() < need {
        Err(WireError::Truncated {
            layer,
            need,
            got: buf.len(),
        })
    } else {
        Ok(())
    }
}

pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

pub(crate) fn set_be16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

pub(crate) fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
