//! ICMPv6 (RFC 4443): the checked view of a message, with the checksum
//! over the IPv6 pseudo-header, and the destination-unreachable codes. What
//! a message means is decoded for both families at once in [`super::icmp`].

use std::net::Ipv6Addr;

use super::checksum;
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
    icmp_header_getters!(Layer::Icmpv6);
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
