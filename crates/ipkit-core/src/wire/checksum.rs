//! The Internet checksum (RFC 1071) and the IPv4/IPv6 pseudo-headers that
//! UDP, TCP and ICMPv6 include (RFC 768, RFC 9293, RFC 8200 §8.1). One place
//! computes them; each protocol has a verify/fill pair built on these.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Add `data` to a running one's-complement sum (not yet folded).
pub fn accumulate(mut sum: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum = sum.wrapping_add(u32::from(u16::from_be_bytes([c[0], c[1]])));
    }
    if let [last] = chunks.remainder() {
        sum = sum.wrapping_add(u32::from(*last) << 8);
    }
    sum
}

/// Fold a running sum to 16 bits and complement it.
pub fn finish(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !u16::try_from(sum).unwrap_or(u16::MAX)
}

/// The checksum of `data` alone (IPv4 header, ICMPv4).
///
/// # Examples
/// ```
/// use ipkit_core::wire::checksum::checksum;
/// // RFC 1071's example bytes sum to 0xddf2; the checksum is its complement.
/// assert_eq!(checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]), !0xddf2);
/// ```
pub fn checksum(data: &[u8]) -> u16 {
    finish(accumulate(0, data))
}

/// The running sum of an IPv4 pseudo-header.
pub fn pseudo_v4(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, length: u16) -> u32 {
    let mut sum = accumulate(0, &src.octets());
    sum = accumulate(sum, &dst.octets());
    sum.wrapping_add(u32::from(protocol))
        .wrapping_add(u32::from(length))
}

/// The running sum of an IPv6 pseudo-header.
pub fn pseudo_v6(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8, length: u32) -> u32 {
    let mut sum = accumulate(0, &src.octets());
    sum = accumulate(sum, &dst.octets());
    sum.wrapping_add(length >> 16)
        .wrapping_add(length & 0xffff)
        .wrapping_add(u32::from(next_header))
}

/// Whether a checksum over data that includes its own checksum field
/// verifies (the sum folds to all ones). Always true under `cfg(fuzzing)`.
pub fn verifies(sum: u32) -> bool {
    cfg!(fuzzing) || finish(sum) == 0
}

/// The running sum of the pseudo-header for `protocol` between two
/// addresses of the same family (an IPv4/IPv6 mix is summed as IPv6 with the
/// IPv4 address mapped, which never verifies against a real packet).
pub fn pseudo(src: std::net::IpAddr, dst: std::net::IpAddr, protocol: u8, length: usize) -> u32 {
    use std::net::IpAddr;
    let v6 = |a: IpAddr| match a {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    };
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            pseudo_v4(s, d, protocol, u16::try_from(length).unwrap_or(u16::MAX))
        }
        _ => pseudo_v6(
            v6(src),
            v6(dst),
            protocol,
            u32::try_from(length).unwrap_or(u32::MAX),
        ),
    }
}
