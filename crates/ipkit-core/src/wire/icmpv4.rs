//! ICMPv4 (RFC 792, RFC 1191 for the next-hop MTU): the checked view of a
//! message and the destination-unreachable codes. What a message means —
//! echo, the errors a probe meets, the quoted datagram — is decoded for
//! both families at once in [`super::icmp`].

use super::checksum;
use super::{Layer, WireError, be16, need, set_be16};

use super::icmp_field as field;

/// Header length: type, code, checksum and four type-specific bytes.
pub const HEADER_LEN: usize = 8;

/// A checked view of an ICMPv4 message.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    icmp_header_getters!(Layer::Icmpv4);
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
