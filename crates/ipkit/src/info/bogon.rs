//! Bogons: addresses that should not appear on the public Internet,
//! answered as ipinfo answers them (`"bogon": true`) with no lookup and no
//! DNS.
//!
//! The list is ipinfo's (ipinfo.io/bogon): every special-purpose block the
//! IANA registries mark not globally reachable (from
//! [`ipkit_core::addr`]: private, loopback, link-local, shared,
//! documentation, benchmarking, reserved …); all IPv4 multicast
//! (224.0.0.0/4) and IPv6 multicast but for global scope (ff0e::/16);
//! the IPv4-compatible ::/96 and IPv4-mapped ::ffff:0:0/96 blocks whole;
//! and the 6to4 images (2002::/16) of IPv4 bogons. Where the registries give no verdict (6to4 of a global
//! address, NAT64) the address is not a bogon.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use std::sync::LazyLock;

use ipkit_core::addr::{Block, IPV4_MULTICAST, IPV4_SPECIAL, is_global, special_blocks};

/// Whether `ip` is a bogon (see the module doc).
///
/// # Examples
/// ```
/// use ipkit::info::bogon::is_bogon;
/// assert!(is_bogon("10.1.2.3".parse().unwrap()));
/// assert!(is_bogon("224.0.1.1".parse().unwrap()));
/// assert!(is_bogon("2002:a00:1::1".parse().unwrap()));
/// assert!(!is_bogon("2002:808:808::1".parse().unwrap()));
/// assert!(!is_bogon("8.8.8.8".parse().unwrap()));
/// ```
pub fn is_bogon(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => is_bogon4(a),
        IpAddr::V6(a) => is_bogon6(a),
    }
}

fn is_bogon4(a: Ipv4Addr) -> bool {
    // Most first octets hold no special-purpose block: no table walk then
    // (`--bulk` asks this for every address).
    if !NEEDS_CHECK[usize::from(a.octets()[0])] {
        return false;
    }
    a.is_multicast() || !is_global(IpAddr::V4(a))
}

/// First octets that some IPv4 special-purpose block, or multicast, touches.
static NEEDS_CHECK: LazyLock<[bool; 256]> = LazyLock::new(|| {
    let mut t = [false; 256];
    for b in IPV4_SPECIAL.iter().chain(IPV4_MULTICAST) {
        if let (IpAddr::V4(first), IpAddr::V4(last)) = (b.prefix.network(), b.prefix.last()) {
            for octet in first.octets()[0]..=last.octets()[0] {
                t[usize::from(octet)] = true;
            }
        }
    }
    t[224..].fill(true);
    t
});

fn is_bogon6(a: Ipv6Addr) -> bool {
    let s = a.segments();
    if s[0] == 0x2002 {
        let carried = Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8);
        return is_bogon4(carried);
    }
    // ::/96 IPv4-compatible (with the unspecified and loopback addresses)
    // and ::ffff:0:0/96 IPv4-mapped: whole blocks in ipinfo's list.
    if s[..5] == [0; 5] && (s[5] == 0 || s[5] == 0xffff) {
        return true;
    }
    !is_global(IpAddr::V6(a))
}

/// The most specific special-purpose block `ip` is in (e.g. `10.0.0.0/8`
/// "Private-Use"), for the human view.
pub fn block(ip: IpAddr) -> Option<Block> {
    special_blocks(ip).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first-octet shortcut answers as the full table walk would, at
    /// the edges of every /16 and inside each.
    #[test]
    fn the_first_octet_table_agrees_with_the_registries() {
        for hi in 0..=u32::from(u16::MAX) {
            for lo in [0u32, 1, 0x80, 0xfffe, 0xffff] {
                let a = Ipv4Addr::from(hi << 16 | lo);
                let slow = a.is_multicast() || !is_global(IpAddr::V4(a));
                assert_eq!(is_bogon4(a), slow, "{a}");
            }
        }
    }
}
