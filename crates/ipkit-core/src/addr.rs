//! What an address *is*, decided from its bits alone.
//!
//! - IPv4: the classful view (RFC 791 classes A–E, as the Winsock chapter
//!   teaches them), multicast scope blocks (IANA "IPv4 Multicast Address
//!   Space Registry"), and every block of the IANA IPv4 Special-Purpose
//!   Address Registry (RFC 6890 and its successors) with its `global` flag.
//! - IPv6: scope (RFC 4007), multicast flags and scope (RFC 4291 §2.7), the
//!   IANA IPv6 Special-Purpose Address Registry, embedded IPv4 (mapped,
//!   compatible, 6to4 RFC 3056, Teredo RFC 4380, NAT64 RFC 6052), and
//!   modified EUI-64 interface identifiers decoded back to a MAC.
//! - Both: the reverse-DNS name (in-addr.arpa, ip6.arpa).
//!
//! The tables are the registries as of 2025; a block the registry marks
//! "N/A" for global has `global: None`. This module does not look anything up
//! on the host (zone ids, interfaces): that is the `ipkit` crate's job.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

use crate::prefix::{IpNet, Ipv4Net, Ipv6Net};

/// A classful IPv4 address class (RFC 791, RFC 1112).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Ipv4Class {
    /// 0–127: 8 network bits, mask 255.0.0.0.
    A,
    /// 128–191: 16 network bits, mask 255.255.0.0.
    B,
    /// 192–223: 24 network bits, mask 255.255.255.0.
    C,
    /// 224–239: multicast.
    D,
    /// 240–255: experimental.
    E,
}

/// The classful view of an IPv4 address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classful {
    /// The class letter.
    pub class: Ipv4Class,
    /// Leading bits that identify the class (`0`, `10`, `110`, `1110`, `1111`).
    pub leading_bits: &'static str,
    /// First-octet range, inclusive.
    pub first_octet: (u8, u8),
    /// Network bits (None for D and E, which have no network/host split).
    pub network_bits: Option<u8>,
    /// Default subnet mask (None for D and E).
    pub default_mask: Option<Ipv4Addr>,
    /// Hosts per classful network: 2^host_bits - 2 (None for D and E).
    pub endpoints: Option<u64>,
    /// What the class is used for.
    pub usage: &'static str,
}

/// The classful view of `addr`.
///
/// # Examples
/// ```
/// use std::net::Ipv4Addr;
/// use ipkit_core::addr::{classful, Ipv4Class};
/// let c = classful(Ipv4Addr::new(172, 31, 28, 120));
/// assert_eq!(c.class, Ipv4Class::B);
/// assert_eq!(c.default_mask, Some(Ipv4Addr::new(255, 255, 0, 0)));
/// assert_eq!(c.endpoints, Some(65_534));
/// ```
pub fn classful(addr: Ipv4Addr) -> Classful {
    let o = addr.octets()[0];
    let unicast = |class, leading_bits, first_octet, bits: u8| Classful {
        class,
        leading_bits,
        first_octet,
        network_bits: Some(bits),
        default_mask: Some(crate::prefix::len_to_mask(bits)),
        endpoints: Some((1u64 << (32 - bits)) - 2),
        usage: "unicast",
    };
    match o {
        0..=127 => unicast(Ipv4Class::A, "0", (0, 127), 8),
        128..=191 => unicast(Ipv4Class::B, "10", (128, 191), 16),
        192..=223 => unicast(Ipv4Class::C, "110", (192, 223), 24),
        224..=239 => Classful {
            class: Ipv4Class::D,
            leading_bits: "1110",
            first_octet: (224, 239),
            network_bits: None,
            default_mask: None,
            endpoints: None,
            usage: "multicast",
        },
        240..=255 => Classful {
            class: Ipv4Class::E,
            leading_bits: "1111",
            first_octet: (240, 255),
            network_bits: None,
            default_mask: None,
            endpoints: None,
            usage: "experimental (reserved)",
        },
    }
}

/// One block of an IANA registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Block {
    /// The block, e.g. `10.0.0.0/8`.
    #[serde(serialize_with = "display")]
    pub prefix: IpNet,
    /// The registry's name for it.
    pub name: &'static str,
    /// The defining document, e.g. `RFC 1918`.
    pub rfc: &'static str,
    /// The registry's "Globally Reachable" column; None where it says N/A.
    pub global: Option<bool>,
}

fn display<S: serde::Serializer, T: std::fmt::Display>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> IpNet {
    match Ipv4Net::new(Ipv4Addr::new(a, b, c, d), len) {
        Some(n) => IpNet::V4(n),
        None => panic!("bad table prefix"),
    }
}

const fn v6(segs: [u16; 8], len: u8) -> IpNet {
    let [a, b, c, d, e, f, g, h] = segs;
    match Ipv6Net::new(Ipv6Addr::new(a, b, c, d, e, f, g, h), len) {
        Some(n) => IpNet::V6(n),
        None => panic!("bad table prefix"),
    }
}

const fn blk(prefix: IpNet, name: &'static str, rfc: &'static str, global: Option<bool>) -> Block {
    Block {
        prefix,
        name,
        rfc,
        global,
    }
}

const N: Option<bool> = Some(false);
const Y: Option<bool> = Some(true);

/// The IANA IPv4 Special-Purpose Address Registry, plus the multicast block
/// (which has a registry of its own).
pub const IPV4_SPECIAL: &[Block] = &[
    blk(v4(0, 0, 0, 0, 8), "\"This network\"", "RFC 791", N),
    blk(
        v4(0, 0, 0, 0, 32),
        "\"This host on this network\"",
        "RFC 1122",
        N,
    ),
    blk(v4(10, 0, 0, 0, 8), "Private-Use", "RFC 1918", N),
    blk(
        v4(100, 64, 0, 0, 10),
        "Shared Address Space (CGNAT)",
        "RFC 6598",
        N,
    ),
    blk(v4(127, 0, 0, 0, 8), "Loopback", "RFC 1122", N),
    blk(v4(169, 254, 0, 0, 16), "Link Local", "RFC 3927", N),
    blk(v4(172, 16, 0, 0, 12), "Private-Use", "RFC 1918", N),
    blk(
        v4(192, 0, 0, 0, 24),
        "IETF Protocol Assignments",
        "RFC 6890",
        N,
    ),
    blk(
        v4(192, 0, 0, 0, 29),
        "IPv4 Service Continuity Prefix",
        "RFC 7335",
        N,
    ),
    blk(v4(192, 0, 0, 8, 32), "IPv4 dummy address", "RFC 7600", N),
    blk(
        v4(192, 0, 0, 9, 32),
        "Port Control Protocol Anycast",
        "RFC 7723",
        Y,
    ),
    blk(
        v4(192, 0, 0, 10, 32),
        "Traversal Using Relays around NAT Anycast",
        "RFC 8155",
        Y,
    ),
    blk(
        v4(192, 0, 0, 170, 32),
        "NAT64/DNS64 Discovery",
        "RFC 8880",
        N,
    ),
    blk(
        v4(192, 0, 0, 171, 32),
        "NAT64/DNS64 Discovery",
        "RFC 8880",
        N,
    ),
    blk(
        v4(192, 0, 2, 0, 24),
        "Documentation (TEST-NET-1)",
        "RFC 5737",
        N,
    ),
    blk(v4(192, 31, 196, 0, 24), "AS112-v4", "RFC 7535", Y),
    blk(v4(192, 52, 193, 0, 24), "AMT", "RFC 7450", Y),
    blk(
        v4(192, 88, 99, 0, 24),
        "Deprecated (6to4 Relay Anycast)",
        "RFC 7526",
        None,
    ),
    blk(
        v4(192, 88, 99, 2, 32),
        "6a44-relay anycast address",
        "RFC 6751",
        N,
    ),
    blk(v4(192, 168, 0, 0, 16), "Private-Use", "RFC 1918", N),
    blk(
        v4(192, 175, 48, 0, 24),
        "Direct Delegation AS112 Service",
        "RFC 7534",
        Y,
    ),
    blk(v4(198, 18, 0, 0, 15), "Benchmarking", "RFC 2544", N),
    blk(
        v4(198, 51, 100, 0, 24),
        "Documentation (TEST-NET-2)",
        "RFC 5737",
        N,
    ),
    blk(
        v4(203, 0, 113, 0, 24),
        "Documentation (TEST-NET-3)",
        "RFC 5737",
        N,
    ),
    blk(v4(224, 0, 0, 0, 4), "Multicast", "RFC 5771", None),
    blk(v4(240, 0, 0, 0, 4), "Reserved", "RFC 1112", N),
    blk(
        v4(255, 255, 255, 255, 32),
        "Limited Broadcast",
        "RFC 919",
        N,
    ),
];

/// The IANA IPv4 multicast address space registry's blocks (RFC 5771) and
/// the administratively scoped sub-blocks (RFC 2365).
pub const IPV4_MULTICAST: &[Block] = &[
    blk(
        v4(224, 0, 0, 0, 24),
        "Local Network Control Block (link-local, never forwarded)",
        "RFC 5771",
        N,
    ),
    blk(
        v4(224, 0, 1, 0, 24),
        "Internetwork Control Block",
        "RFC 5771",
        Y,
    ),
    blk(v4(224, 0, 2, 0, 23), "AD-HOC Block I", "RFC 5771", Y),
    blk(v4(224, 0, 4, 0, 22), "AD-HOC Block I", "RFC 5771", Y),
    blk(v4(224, 0, 8, 0, 21), "AD-HOC Block I", "RFC 5771", Y),
    blk(v4(224, 0, 16, 0, 20), "AD-HOC Block I", "RFC 5771", Y),
    blk(v4(224, 0, 32, 0, 19), "AD-HOC Block I", "RFC 5771", Y),
    blk(v4(224, 0, 64, 0, 18), "AD-HOC Block I", "RFC 5771", Y),
    blk(v4(224, 0, 128, 0, 17), "AD-HOC Block I", "RFC 5771", Y),
    blk(v4(224, 2, 0, 0, 16), "SDP/SAP Block", "RFC 2974", Y),
    blk(v4(224, 3, 0, 0, 15), "AD-HOC Block II", "RFC 5771", Y),
    blk(
        v4(224, 252, 0, 0, 14),
        "DIS Transient Groups",
        "RFC 5771",
        Y,
    ),
    blk(
        v4(232, 0, 0, 0, 8),
        "Source-Specific Multicast Block",
        "RFC 4607",
        Y,
    ),
    blk(v4(233, 0, 0, 0, 8), "GLOP Block", "RFC 3180", Y),
    blk(v4(233, 252, 0, 0, 14), "AD-HOC Block III", "RFC 5771", Y),
    blk(
        v4(234, 0, 0, 0, 8),
        "Unicast-Prefix-based IPv4 Multicast",
        "RFC 6034",
        Y,
    ),
    blk(
        v4(239, 0, 0, 0, 8),
        "Administratively Scoped Block",
        "RFC 2365",
        N,
    ),
    blk(
        v4(239, 192, 0, 0, 14),
        "Organization-Local Scope",
        "RFC 2365",
        N,
    ),
    blk(v4(239, 255, 0, 0, 16), "IPv4 Local Scope", "RFC 2365", N),
];

/// The IANA IPv6 Special-Purpose Address Registry, plus the architectural
/// blocks of RFC 4291 that it does not list (multicast, deprecated
/// site-local, IPv4-compatible).
pub const IPV6_SPECIAL: &[Block] = &[
    blk(
        v6([0, 0, 0, 0, 0, 0, 0, 1], 128),
        "Loopback Address",
        "RFC 4291",
        N,
    ),
    blk(
        v6([0, 0, 0, 0, 0, 0, 0, 0], 128),
        "Unspecified Address",
        "RFC 4291",
        N,
    ),
    blk(
        v6([0, 0, 0, 0, 0, 0, 0, 0], 96),
        "IPv4-compatible (deprecated)",
        "RFC 4291",
        N,
    ),
    blk(
        v6([0, 0, 0, 0, 0, 0xffff, 0, 0], 96),
        "IPv4-mapped Address",
        "RFC 4291",
        N,
    ),
    blk(
        v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96),
        "IPv4-IPv6 Translation (NAT64)",
        "RFC 6052",
        Y,
    ),
    blk(
        v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48),
        "Local-use IPv4/IPv6 Translation",
        "RFC 8215",
        N,
    ),
    blk(
        v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64),
        "Discard-Only Address Block",
        "RFC 6666",
        N,
    ),
    blk(
        v6([0x100, 0, 0, 1, 0, 0, 0, 0], 64),
        "Dummy IPv6 Prefix",
        "RFC 9780",
        N,
    ),
    blk(
        v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23),
        "IETF Protocol Assignments",
        "RFC 2928",
        N,
    ),
    blk(
        v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 32),
        "TEREDO",
        "RFC 4380",
        None,
    ),
    blk(
        v6([0x2001, 1, 0, 0, 0, 0, 0, 1], 128),
        "Port Control Protocol Anycast",
        "RFC 7723",
        Y,
    ),
    blk(
        v6([0x2001, 1, 0, 0, 0, 0, 0, 2], 128),
        "Traversal Using Relays around NAT Anycast",
        "RFC 8155",
        Y,
    ),
    blk(
        v6([0x2001, 1, 0, 0, 0, 0, 0, 3], 128),
        "DNS-SD Service Registration Protocol Anycast",
        "RFC 9665",
        Y,
    ),
    blk(
        v6([0x2001, 2, 0, 0, 0, 0, 0, 0], 48),
        "Benchmarking",
        "RFC 5180",
        N,
    ),
    blk(v6([0x2001, 3, 0, 0, 0, 0, 0, 0], 32), "AMT", "RFC 7450", Y),
    blk(
        v6([0x2001, 4, 0x112, 0, 0, 0, 0, 0], 48),
        "AS112-v6",
        "RFC 7535",
        Y,
    ),
    blk(
        v6([0x2001, 0x10, 0, 0, 0, 0, 0, 0], 28),
        "Deprecated (previously ORCHID)",
        "RFC 4843",
        N,
    ),
    blk(
        v6([0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28),
        "ORCHIDv2",
        "RFC 7343",
        Y,
    ),
    blk(
        v6([0x2001, 0x30, 0, 0, 0, 0, 0, 0], 28),
        "Drone Remote ID Protocol Entity Tags (DETs)",
        "RFC 9374",
        Y,
    ),
    blk(
        v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32),
        "Documentation",
        "RFC 3849",
        N,
    ),
    blk(
        v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16),
        "6to4",
        "RFC 3056",
        None,
    ),
    blk(
        v6([0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0], 48),
        "Direct Delegation AS112 Service",
        "RFC 7534",
        Y,
    ),
    blk(
        v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20),
        "Documentation",
        "RFC 9637",
        N,
    ),
    blk(
        v6([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16),
        "Segment Routing (SRv6) SIDs",
        "RFC 9602",
        N,
    ),
    blk(
        v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7),
        "Unique-Local",
        "RFC 4193",
        N,
    ),
    blk(
        v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10),
        "Link-Local Unicast",
        "RFC 4291",
        N,
    ),
    blk(
        v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10),
        "Site-Local (deprecated)",
        "RFC 3879",
        N,
    ),
    blk(
        v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8),
        "Multicast",
        "RFC 4291",
        None,
    ),
];

/// Every registry block that contains `ip`, most specific first.
///
/// # Examples
/// ```
/// use ipkit_core::addr::special_blocks;
/// let b = special_blocks("192.0.0.9".parse().unwrap());
/// assert_eq!(b[0].name, "Port Control Protocol Anycast");
/// assert_eq!(b[1].name, "IETF Protocol Assignments");
/// ```
pub fn special_blocks(ip: IpAddr) -> Vec<Block> {
    let mut found: Vec<Block> = tables(ip)
        .iter()
        .flat_map(|t| t.iter())
        .filter(|b| b.prefix.contains(ip))
        .copied()
        .collect();
    found.sort_by_key(|b| std::cmp::Reverse(b.prefix.prefix_len()));
    found
}

/// Whether `ip` is globally reachable, as the IANA registries say: the most
/// specific block with a yes/no answer decides; an address in no block is
/// global. IPv6 multicast is global only with global scope.
///
/// # Examples
/// ```
/// use ipkit_core::addr::is_global;
/// assert!(is_global("8.8.8.8".parse().unwrap()));
/// assert!(!is_global("10.1.2.3".parse().unwrap()));
/// assert!(is_global("192.0.0.9".parse().unwrap()));
/// assert!(!is_global("2001:db8::1".parse().unwrap()));
/// assert!(is_global("ff0e::1".parse().unwrap()));
/// ```
pub fn is_global(ip: IpAddr) -> bool {
    if let IpAddr::V6(a) = ip
        && let Some(m) = multicast6(a)
    {
        return m.scope == Ipv6Scope::Global;
    }
    // The most specific block with a yes/no answer; no allocation, since
    // `ipkit grep --only-global` asks this for every match.
    let mut best: Option<(u8, bool)> = None;
    for b in tables(ip).iter().flat_map(|t| t.iter()) {
        if let Some(g) = b.global {
            let len = b.prefix.prefix_len();
            if b.prefix.contains(ip) && best.is_none_or(|(l, _)| len > l) {
                best = Some((len, g));
            }
        }
    }
    best.is_none_or(|(_, g)| g)
}

fn tables(ip: IpAddr) -> &'static [&'static [Block]] {
    match ip {
        IpAddr::V4(_) => &[IPV4_SPECIAL, IPV4_MULTICAST],
        IpAddr::V6(_) => &[IPV6_SPECIAL],
    }
}

/// Whether `ip` is private-use: RFC 1918 for IPv4 (10/8, 172.16/12,
/// 192.168/16), unique-local fc00::/7 for IPv6.
///
/// # Examples
/// ```
/// use ipkit_core::addr::is_private;
/// assert!(is_private("172.31.28.120".parse().unwrap()));
/// assert!(!is_private("172.32.0.1".parse().unwrap()));
/// assert!(is_private("fd00::1".parse().unwrap()));
/// ```
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.is_private(),
        IpAddr::V6(a) => a.segments()[0] & 0xfe00 == 0xfc00,
    }
}

/// Whether `ip` lies in any special-purpose block that is not globally
/// reachable (loopback, private, documentation, reserved …): the addresses a
/// log scanner usually wants to drop.
///
/// # Examples
/// ```
/// use ipkit_core::addr::is_reserved;
/// assert!(is_reserved("127.0.0.1".parse().unwrap()));
/// assert!(is_reserved("240.0.0.1".parse().unwrap()));
/// assert!(!is_reserved("1.1.1.1".parse().unwrap()));
/// ```
pub fn is_reserved(ip: IpAddr) -> bool {
    !is_global(ip)
        && tables(ip)
            .iter()
            .flat_map(|t| t.iter())
            .any(|b| b.prefix.contains(ip))
}

/// An IPv6 scope (RFC 4007 §4; multicast scope values from RFC 7346).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ipv6Scope {
    /// Interface-local (loopback; multicast scope 1).
    InterfaceLocal,
    /// Link-local (fe80::/10; multicast scope 2).
    LinkLocal,
    /// Realm-local (multicast scope 3).
    RealmLocal,
    /// Admin-local (multicast scope 4).
    AdminLocal,
    /// Site-local (deprecated fec0::/10; multicast scope 5).
    SiteLocal,
    /// Organization-local (multicast scope 8).
    OrganizationLocal,
    /// Global.
    Global,
    /// A reserved or unassigned multicast scope value.
    Reserved(u8),
}

/// The flags and scope of an IPv6 multicast address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Multicast6 {
    /// The scope nibble decoded.
    pub scope: Ipv6Scope,
    /// T flag: a transient (dynamically assigned) group, not well-known.
    pub transient: bool,
    /// P flag: unicast-prefix-based (RFC 3306).
    pub prefix_based: bool,
    /// R flag: embeds its rendezvous point (RFC 3956).
    pub rendezvous_point: bool,
}

/// Decode flags and scope if `a` is multicast (ff00::/8).
///
/// # Examples
/// ```
/// use ipkit_core::addr::{multicast6, Ipv6Scope};
/// let m = multicast6("ff02::1".parse().unwrap()).unwrap();
/// assert_eq!(m.scope, Ipv6Scope::LinkLocal);
/// assert!(!m.transient);
/// ```
pub fn multicast6(a: Ipv6Addr) -> Option<Multicast6> {
    let o = a.octets();
    if o[0] != 0xff {
        return None;
    }
    let flags = o[1] >> 4;
    let scope = match o[1] & 0x0f {
        1 => Ipv6Scope::InterfaceLocal,
        2 => Ipv6Scope::LinkLocal,
        3 => Ipv6Scope::RealmLocal,
        4 => Ipv6Scope::AdminLocal,
        5 => Ipv6Scope::SiteLocal,
        8 => Ipv6Scope::OrganizationLocal,
        0xe => Ipv6Scope::Global,
        other => Ipv6Scope::Reserved(other),
    };
    Some(Multicast6 {
        scope,
        transient: flags & 1 != 0,
        prefix_based: flags & 2 != 0,
        rendezvous_point: flags & 4 != 0,
    })
}

/// The scope of an IPv6 address: the multicast scope field, or for unicast
/// loopback → interface-local, fe80::/10 → link-local, fec0::/10 →
/// site-local, everything else (unique-local included, RFC 4193 §3) global.
///
/// # Examples
/// ```
/// use ipkit_core::addr::{scope6, Ipv6Scope};
/// assert_eq!(scope6("fe80::1".parse().unwrap()), Ipv6Scope::LinkLocal);
/// assert_eq!(scope6("::1".parse().unwrap()), Ipv6Scope::InterfaceLocal);
/// assert_eq!(scope6("2001:db8::1".parse().unwrap()), Ipv6Scope::Global);
/// ```
pub fn scope6(a: Ipv6Addr) -> Ipv6Scope {
    if let Some(m) = multicast6(a) {
        return m.scope;
    }
    let s0 = a.segments()[0];
    if a.is_loopback() {
        Ipv6Scope::InterfaceLocal
    } else if s0 & 0xffc0 == 0xfe80 {
        Ipv6Scope::LinkLocal
    } else if s0 & 0xffc0 == 0xfec0 {
        Ipv6Scope::SiteLocal
    } else {
        Ipv6Scope::Global
    }
}

/// An IPv4 address carried inside an IPv6 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EmbeddedIpv4 {
    /// ::ffff:a.b.c.d (RFC 4291 §2.5.5.2).
    Mapped {
        /// The IPv4 address.
        ipv4: Ipv4Addr,
    },
    /// ::a.b.c.d (deprecated, RFC 4291 §2.5.5.1).
    Compatible {
        /// The IPv4 address.
        ipv4: Ipv4Addr,
    },
    /// 2002:AABB:CCDD::/48 (RFC 3056).
    SixToFour {
        /// The 6to4 router's IPv4 address.
        ipv4: Ipv4Addr,
    },
    /// 2001:0::/32 (RFC 4380 §4): server, and the client's public address
    /// and port with the obfuscation (bit inversion) undone.
    Teredo {
        /// The Teredo server.
        server: Ipv4Addr,
        /// The client's external address.
        client: Ipv4Addr,
        /// The client's external UDP port.
        port: u16,
        /// The flags field (bit 0x8000 "cone NAT").
        flags: u16,
    },
    /// 64:ff9b::/96 well-known NAT64 prefix (RFC 6052).
    Nat64 {
        /// The IPv4 address.
        ipv4: Ipv4Addr,
    },
}

impl EmbeddedIpv4 {
    /// The IPv4 address that stands for the host: the embedded address, or
    /// for Teredo the client's external address (not the server's).
    ///
    /// # Examples
    /// ```
    /// use ipkit_core::addr::embedded_ipv4;
    /// let e = embedded_ipv4("64:ff9b::a00:1".parse().unwrap()).unwrap();
    /// assert_eq!(e.address(), "10.0.0.1".parse::<std::net::Ipv4Addr>().unwrap());
    /// ```
    pub fn address(&self) -> Ipv4Addr {
        match *self {
            EmbeddedIpv4::Mapped { ipv4 }
            | EmbeddedIpv4::Compatible { ipv4 }
            | EmbeddedIpv4::SixToFour { ipv4 }
            | EmbeddedIpv4::Nat64 { ipv4 } => ipv4,
            EmbeddedIpv4::Teredo { client, .. } => client,
        }
    }
}

/// The address whose verdicts (global, private, reserved) a filter should
/// apply: the embedded IPv4 address when `ip` carries one, else `ip`.
/// `::ffff:10.0.0.1`, `64:ff9b::a00:1` and `2002:a00:1::` reach a private
/// host, whatever the IPv6 block's own registry entry says — deciding on the
/// outer address alone is how address filters get bypassed.
///
/// # Examples
/// ```
/// use ipkit_core::addr::{is_private, verdict_address};
/// let ip = "::ffff:10.0.0.1".parse().unwrap();
/// assert!(!is_private(ip));
/// assert!(is_private(verdict_address(ip)));
/// ```
pub fn verdict_address(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(a) => embedded_ipv4(a).map_or(ip, |e| IpAddr::V4(e.address())),
        IpAddr::V4(_) => ip,
    }
}

/// The IPv4 address embedded in `a`, if any.
///
/// # Examples
/// ```
/// use ipkit_core::addr::{embedded_ipv4, EmbeddedIpv4};
/// // RFC 4380's own example.
/// let t = embedded_ipv4("2001:0:4136:e378:8000:63bf:3fff:fdd2".parse().unwrap());
/// assert_eq!(t, Some(EmbeddedIpv4::Teredo {
///     server: "65.54.227.120".parse().unwrap(),
///     client: "192.0.2.45".parse().unwrap(),
///     port: 40000,
///     flags: 0x8000,
/// }));
/// ```
pub fn embedded_ipv4(a: Ipv6Addr) -> Option<EmbeddedIpv4> {
    let s = a.segments();
    let o = a.octets();
    let tail = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    if s[..5] == [0; 5] && s[5] == 0xffff {
        Some(EmbeddedIpv4::Mapped { ipv4: tail })
    } else if s[..6] == [0; 6] && u32::from(tail) > 1 {
        Some(EmbeddedIpv4::Compatible { ipv4: tail })
    } else if s[0] == 0x2002 {
        Some(EmbeddedIpv4::SixToFour {
            ipv4: Ipv4Addr::new(o[2], o[3], o[4], o[5]),
        })
    } else if s[0] == 0x2001 && s[1] == 0 {
        Some(EmbeddedIpv4::Teredo {
            server: Ipv4Addr::new(o[4], o[5], o[6], o[7]),
            client: Ipv4Addr::from(!u32::from(tail)),
            port: !s[5],
            flags: s[4],
        })
    } else if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        Some(EmbeddedIpv4::Nat64 { ipv4: tail })
    } else {
        None
    }
}

/// The MAC address a modified EUI-64 interface identifier (RFC 4291
/// Appendix A) was made from: the low 64 bits hold `ff:fe` in the middle and
/// the universal/local bit inverted. None when the identifier is not EUI-64
/// or the address is multicast.
///
/// # Examples
/// ```
/// use ipkit_core::addr::eui64_mac;
/// let mac = eui64_mac("fe80::21a:2bff:fe3c:4d5e".parse().unwrap());
/// assert_eq!(mac, Some([0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e]));
/// ```
pub fn eui64_mac(a: Ipv6Addr) -> Option<[u8; 6]> {
    let o = a.octets();
    (o[0] != 0xff && o[11] == 0xff && o[12] == 0xfe)
        .then(|| [o[8] ^ 0x02, o[9], o[10], o[13], o[14], o[15]])
}

/// Format a MAC as `00:1a:2b:3c:4d:5e`.
pub fn format_mac(mac: [u8; 6]) -> String {
    let mut s = String::with_capacity(17);
    for (i, b) in mac.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The reverse-DNS (PTR) name of an address.
///
/// # Examples
/// ```
/// use ipkit_core::addr::reverse_name;
/// assert_eq!(reverse_name("192.0.2.1".parse().unwrap()), "1.2.0.192.in-addr.arpa");
/// assert!(reverse_name("2001:db8::1".parse().unwrap())
///     .starts_with("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."));
/// ```
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => {
            let [a, b, c, d] = a.octets();
            format!("{d}.{c}.{b}.{a}.in-addr.arpa")
        }
        IpAddr::V6(a) => {
            let mut s = String::with_capacity(73);
            for byte in a.octets().iter().rev() {
                let _ = write!(s, "{:x}.{:x}.", byte & 0xf, byte >> 4);
            }
            s.push_str("ip6.arpa");
            s
        }
    }
}

/// The broad kind of an address, as one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// One host.
    Unicast,
    /// A group.
    Multicast,
    /// 255.255.255.255.
    LimitedBroadcast,
    /// 0.0.0.0 or ::.
    Unspecified,
    /// 127/8 or ::1.
    Loopback,
}

/// The broad kind of `ip`.
///
/// # Examples
/// ```
/// use ipkit_core::addr::{kind, Kind};
/// assert_eq!(kind("255.255.255.255".parse().unwrap()), Kind::LimitedBroadcast);
/// assert_eq!(kind("239.1.2.3".parse().unwrap()), Kind::Multicast);
/// ```
pub fn kind(ip: IpAddr) -> Kind {
    if ip.is_unspecified() {
        Kind::Unspecified
    } else if ip.is_loopback() {
        Kind::Loopback
    } else if ip.is_multicast() {
        Kind::Multicast
    } else if ip == IpAddr::V4(Ipv4Addr::BROADCAST) {
        Kind::LimitedBroadcast
    } else {
        Kind::Unicast
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn classes_at_their_edges() {
        let cases = [
            ("0.0.0.0", Ipv4Class::A),
            ("127.255.255.255", Ipv4Class::A),
            ("128.0.0.0", Ipv4Class::B),
            ("191.255.255.255", Ipv4Class::B),
            ("192.0.0.0", Ipv4Class::C),
            ("223.255.255.255", Ipv4Class::C),
            ("224.0.0.0", Ipv4Class::D),
            ("239.255.255.255", Ipv4Class::D),
            ("240.0.0.0", Ipv4Class::E),
            ("255.255.255.255", Ipv4Class::E),
        ];
        for (a, class) in cases {
            assert_eq!(classful(a.parse().unwrap()).class, class, "{a}");
        }
        let a = classful("10.0.0.1".parse().unwrap());
        assert_eq!((a.network_bits, a.endpoints), (Some(8), Some(16_777_214)));
        let c = classful("200.1.1.1".parse().unwrap());
        assert_eq!(
            (c.default_mask, c.endpoints),
            (Some("255.255.255.0".parse().unwrap()), Some(254))
        );
        assert_eq!(classful("230.0.0.1".parse().unwrap()).default_mask, None);
    }

    #[test]
    fn ipv4_registry_cases() {
        // (address, most specific block name, global)
        let cases = [
            ("0.1.2.3", "\"This network\"", false),
            ("0.0.0.0", "\"This host on this network\"", false),
            ("10.255.0.1", "Private-Use", false),
            ("100.64.0.1", "Shared Address Space (CGNAT)", false),
            ("100.128.0.1", "", true),
            ("127.0.0.1", "Loopback", false),
            ("169.254.1.1", "Link Local", false),
            ("172.16.0.1", "Private-Use", false),
            ("172.31.255.255", "Private-Use", false),
            (
                "192.0.0.10",
                "Traversal Using Relays around NAT Anycast",
                true,
            ),
            ("192.0.2.1", "Documentation (TEST-NET-1)", false),
            ("192.168.1.1", "Private-Use", false),
            ("198.19.255.255", "Benchmarking", false),
            ("198.51.100.7", "Documentation (TEST-NET-2)", false),
            ("203.0.113.7", "Documentation (TEST-NET-3)", false),
            (
                "224.0.0.251",
                "Local Network Control Block (link-local, never forwarded)",
                false,
            ),
            ("232.1.1.1", "Source-Specific Multicast Block", true),
            ("239.255.255.250", "IPv4 Local Scope", false),
            ("240.0.0.1", "Reserved", false),
            ("255.255.255.255", "Limited Broadcast", false),
            ("8.8.8.8", "", true),
        ];
        for (a, name, global) in cases {
            let b = special_blocks(ip(a));
            assert_eq!(b.first().map_or("", |b| b.name), name, "{a}");
            assert_eq!(is_global(ip(a)), global, "{a}");
        }
    }

    #[test]
    fn ipv6_registry_and_scopes() {
        let cases = [
            ("::1", "Loopback Address", false, Ipv6Scope::InterfaceLocal),
            ("::", "Unspecified Address", false, Ipv6Scope::Global),
            (
                "::ffff:1.2.3.4",
                "IPv4-mapped Address",
                false,
                Ipv6Scope::Global,
            ),
            (
                "64:ff9b::1.2.3.4",
                "IPv4-IPv6 Translation (NAT64)",
                true,
                Ipv6Scope::Global,
            ),
            ("2001:db8::1", "Documentation", false, Ipv6Scope::Global),
            ("3fff::1", "Documentation", false, Ipv6Scope::Global),
            ("fd12:3456::1", "Unique-Local", false, Ipv6Scope::Global),
            ("fe80::1", "Link-Local Unicast", false, Ipv6Scope::LinkLocal),
            (
                "fec0::1",
                "Site-Local (deprecated)",
                false,
                Ipv6Scope::SiteLocal,
            ),
            (
                "2001:1::1",
                "Port Control Protocol Anycast",
                true,
                Ipv6Scope::Global,
            ),
            ("2606:4700::1111", "", true, Ipv6Scope::Global),
            ("ff05::2", "Multicast", false, Ipv6Scope::SiteLocal),
        ];
        for (a, name, global, scope) in cases {
            assert_eq!(
                special_blocks(ip(a)).first().map_or("", |b| b.name),
                name,
                "{a}"
            );
            assert_eq!(is_global(ip(a)), global, "{a}");
            let IpAddr::V6(v6) = ip(a) else {
                unreachable!()
            };
            assert_eq!(scope6(v6), scope, "{a}");
        }
        let m = multicast6("ff3e:40:2001:db8::1".parse().unwrap()).unwrap();
        assert!(m.prefix_based && m.transient && !m.rendezvous_point);
        assert_eq!(m.scope, Ipv6Scope::Global);
    }

    #[test]
    fn embedded_forms() {
        let e = |s: &str| embedded_ipv4(s.parse().unwrap());
        assert_eq!(
            e("::ffff:192.0.2.1"),
            Some(EmbeddedIpv4::Mapped {
                ipv4: "192.0.2.1".parse().unwrap()
            })
        );
        assert_eq!(
            e("::192.0.2.1"),
            Some(EmbeddedIpv4::Compatible {
                ipv4: "192.0.2.1".parse().unwrap()
            })
        );
        assert_eq!(e("::1"), None);
        assert_eq!(
            e("2002:c000:0201::1"),
            Some(EmbeddedIpv4::SixToFour {
                ipv4: "192.0.2.1".parse().unwrap()
            })
        );
        assert_eq!(
            e("64:ff9b::c000:201"),
            Some(EmbeddedIpv4::Nat64 {
                ipv4: "192.0.2.1".parse().unwrap()
            })
        );
        assert_eq!(e("2001:db8::1"), None);
        assert_eq!(eui64_mac("2001:db8::1".parse().unwrap()), None);
        assert_eq!(format_mac([0, 0xaa, 0, 0x62, 0xc6, 9]), "00:aa:00:62:c6:09");
    }

    #[test]
    fn kinds_and_reverse() {
        assert_eq!(kind(ip("0.0.0.0")), Kind::Unspecified);
        assert_eq!(kind(ip("::1")), Kind::Loopback);
        assert_eq!(kind(ip("ff02::1")), Kind::Multicast);
        assert_eq!(kind(ip("1.2.3.4")), Kind::Unicast);
        assert_eq!(reverse_name(ip("::1")).len(), 72);
        assert!(reverse_name(ip("::1")).starts_with("1.0.0.0."));
    }
}
