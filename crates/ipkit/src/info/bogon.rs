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

use ipkit_core::addr::{Block, is_global, special_blocks};

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
    a.is_multicast() || !is_global(IpAddr::V4(a))
}

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
