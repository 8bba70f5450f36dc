//! IP prefixes: an address plus a prefix length, as written `10.1.2.3/8`,
//! `10.1.2.3/255.0.0.0` or `2001:db8::/32`.
//!
//! The types mirror the `ipnet` crate and std's `IpAddr`: [`IpNet`] is
//! `V4(`[`Ipv4Net`]`)` or `V6(`[`Ipv6Net`]`)`. A prefix keeps the address it
//! was written with (host bits included), because `ipkit addr 172.31.28.120/16`
//! must talk about that host *and* its network; [`Ipv4Net::trunc`] clears the
//! host bits. `FromStr` and `Display` round-trip. Dotted masks must be
//! contiguous (RFC 4632 §3.1 forbids the others); they are accepted only for
//! IPv4.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// Why a prefix could not be parsed or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrefixError {
    /// The address part is not an IPv4 or IPv6 address.
    #[error("'{text}' is not an IP address")]
    BadAddress {
        /// The text that failed to parse.
        text: String,
    },
    /// The prefix length is not a number or is larger than the family allows.
    #[error("'{text}' is not a prefix length: use 0 to {max}")]
    BadLength {
        /// The text after the slash.
        text: String,
        /// 32 for IPv4, 128 for IPv6.
        max: u8,
    },
    /// A dotted mask whose one-bits are not contiguous from the left.
    #[error(
        "'{text}' is not a contiguous netmask (its one-bits must all come first, like 255.255.240.0)"
    )]
    BadMask {
        /// The mask as written.
        text: String,
    },
    /// A `%zone` that is empty, holds a `%`, or follows an IPv4 address.
    #[error(
        "'{text}' has a bad zone: write ADDRESS%ZONE/LEN, the zone an interface name or index (IPv6 only)"
    )]
    BadZone {
        /// The prefix as written.
        text: String,
    },
}

/// Prefix length that a contiguous IPv4 netmask stands for, or `None` if the
/// mask has a hole in it.
///
/// # Examples
/// ```
/// use std::net::Ipv4Addr;
/// use ipkit_core::prefix::mask_to_len;
/// assert_eq!(mask_to_len(Ipv4Addr::new(255, 255, 0, 0)), Some(16));
/// assert_eq!(mask_to_len(Ipv4Addr::new(255, 0, 255, 0)), None);
/// ```
pub fn mask_to_len(mask: Ipv4Addr) -> Option<u8> {
    let bits = u32::from(mask);
    let len = bits.leading_ones();
    let len8 = u8::try_from(len).ok()?;
    (bits.checked_shl(len).unwrap_or(0) == 0).then_some(len8)
}

/// The IPv4 netmask of a prefix length (0–32; larger lengths saturate).
///
/// # Examples
/// ```
/// use std::net::Ipv4Addr;
/// use ipkit_core::prefix::len_to_mask;
/// assert_eq!(len_to_mask(20), Ipv4Addr::new(255, 255, 240, 0));
/// ```
pub fn len_to_mask(len: u8) -> Ipv4Addr {
    Ipv4Addr::from(
        u32::MAX
            .checked_shl(32 - u32::from(len.min(32)))
            .unwrap_or(0),
    )
}

fn v6_mask(len: u8) -> u128 {
    u128::MAX
        .checked_shl(128 - u32::from(len.min(128)))
        .unwrap_or(0)
}

/// An IPv4 prefix: an address and a length from 0 to 32.
///
/// # Examples
/// ```
/// use ipkit_core::Ipv4Net;
/// let net: Ipv4Net = "172.31.28.120/255.255.0.0".parse().unwrap();
/// assert_eq!(net.to_string(), "172.31.28.120/16");
/// assert_eq!(net.network().to_string(), "172.31.0.0");
/// assert_eq!(net.broadcast().to_string(), "172.31.255.255");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv4Net {
    addr: Ipv4Addr,
    len: u8,
}

impl Ipv4Net {
    /// A prefix from an address and a length; `None` if `len > 32`.
    pub const fn new(addr: Ipv4Addr, len: u8) -> Option<Self> {
        if len > 32 {
            None
        } else {
            Some(Ipv4Net { addr, len })
        }
    }
    /// The address as written (host bits kept).
    pub const fn addr(&self) -> Ipv4Addr {
        self.addr
    }
    /// The prefix length.
    pub const fn prefix_len(&self) -> u8 {
        self.len
    }
    /// The netmask, e.g. 255.255.0.0 for /16.
    pub fn netmask(&self) -> Ipv4Addr {
        len_to_mask(self.len)
    }
    /// The wildcard (host) mask, e.g. 0.0.255.255 for /16.
    pub fn hostmask(&self) -> Ipv4Addr {
        Ipv4Addr::from(!u32::from(self.netmask()))
    }
    /// The first address of the prefix (host bits cleared).
    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) & u32::from(self.netmask()))
    }
    /// The last address of the prefix (the subnet-directed broadcast).
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) | u32::from(self.hostmask()))
    }
    /// The same prefix with the host bits cleared.
    pub fn trunc(&self) -> Self {
        Ipv4Net {
            addr: self.network(),
            len: self.len,
        }
    }
    /// Number of addresses in the prefix (2^(32-len)).
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.len))
    }
    /// Whether `addr` lies inside the prefix.
    pub fn contains(&self, addr: Ipv4Addr) -> bool {
        u32::from(addr) & u32::from(self.netmask()) == u32::from(self.network())
    }
    /// Usable host range and count, RFC 3021 aware: a /31 has two hosts and no
    /// broadcast, a /32 one host; otherwise network and broadcast are excluded.
    ///
    /// # Examples
    /// ```
    /// use ipkit_core::Ipv4Net;
    /// let p: Ipv4Net = "10.0.0.0/31".parse().unwrap();
    /// assert_eq!(p.hosts().2, 2);
    /// let p: Ipv4Net = "10.0.0.0/24".parse().unwrap();
    /// assert_eq!(p.hosts(), ("10.0.0.1".parse().unwrap(), "10.0.0.254".parse().unwrap(), 254));
    /// ```
    pub fn hosts(&self) -> (Ipv4Addr, Ipv4Addr, u64) {
        let (first, last) = (u32::from(self.network()), u32::from(self.broadcast()));
        match self.len {
            31 | 32 => (first.into(), last.into(), self.size()),
            _ => ((first + 1).into(), (last - 1).into(), self.size() - 2),
        }
    }
}

impl fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl FromStr for Ipv4Net {
    type Err = PrefixError;
    fn from_str(s: &str) -> Result<Self, PrefixError> {
        let (a, l) = s.split_once('/').unwrap_or((s, "32"));
        let addr = a.parse().map_err(|_| PrefixError::BadAddress {
            text: a.to_string(),
        })?;
        let len = if l.contains('.') {
            let mask: Ipv4Addr = l.parse().map_err(|_| PrefixError::BadMask {
                text: l.to_string(),
            })?;
            mask_to_len(mask).ok_or_else(|| PrefixError::BadMask {
                text: l.to_string(),
            })?
        } else {
            parse_len(l, 32)?
        };
        Ok(Ipv4Net { addr, len })
    }
}

/// A prefix length: ASCII digits (leading zeros allowed, as Python's
/// ipaddress and glibc's inet_net_pton take `/024`), at most `max`.
fn parse_len(text: &str, max: u8) -> Result<u8, PrefixError> {
    let bad = || PrefixError::BadLength {
        text: text.to_string(),
        max,
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let digits = text.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(0);
    }
    digits
        .parse::<u8>()
        .ok()
        .filter(|&l| l <= max)
        .ok_or_else(bad)
}

/// A prefix that may carry an IPv6 zone between the address and the
/// length, as Python's ipaddress writes it: `fe80::1%eth0/64`. Returns the
/// prefix and the zone.
///
/// # Examples
/// ```
/// use ipkit_core::prefix::parse_zoned;
/// let (net, zone) = parse_zoned("fe80::1%eth0/64").unwrap();
/// assert_eq!((net.to_string().as_str(), zone.as_deref()), ("fe80::1/64", Some("eth0")));
/// assert!(parse_zoned("10.0.0.1%eth0/8").is_err());
/// assert!(parse_zoned("fe80::1%a%b/64").is_err());
/// ```
pub fn parse_zoned(text: &str) -> Result<(IpNet, Option<String>), PrefixError> {
    let Some((addr, rest)) = text.split_once('%') else {
        return text.parse().map(|n| (n, None));
    };
    let (zone, len) = rest.split_once('/').unwrap_or((rest, "128"));
    let bad = || PrefixError::BadZone {
        text: text.to_string(),
    };
    if zone.is_empty() || zone.contains('%') || !addr.contains(':') {
        return Err(bad());
    }
    let net: Ipv6Net = format!("{addr}/{len}").parse()?;
    Ok((IpNet::V6(net), Some(zone.to_string())))
}

/// An IPv6 prefix: an address and a length from 0 to 128.
///
/// # Examples
/// ```
/// use ipkit_core::Ipv6Net;
/// let net: Ipv6Net = "2001:db8::1/32".parse().unwrap();
/// assert_eq!(net.network().to_string(), "2001:db8::");
/// assert!(net.contains("2001:db8:ffff::".parse().unwrap()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv6Net {
    addr: Ipv6Addr,
    len: u8,
}

impl Ipv6Net {
    /// A prefix from an address and a length; `None` if `len > 128`.
    pub const fn new(addr: Ipv6Addr, len: u8) -> Option<Self> {
        if len > 128 {
            None
        } else {
            Some(Ipv6Net { addr, len })
        }
    }
    /// The address as written (host bits kept).
    pub const fn addr(&self) -> Ipv6Addr {
        self.addr
    }
    /// The prefix length.
    pub const fn prefix_len(&self) -> u8 {
        self.len
    }
    /// The mask as an address, e.g. ffff:ffff:: for /32.
    pub fn netmask(&self) -> Ipv6Addr {
        Ipv6Addr::from(v6_mask(self.len))
    }
    /// The first address of the prefix.
    pub fn network(&self) -> Ipv6Addr {
        Ipv6Addr::from(u128::from(self.addr) & v6_mask(self.len))
    }
    /// The last address of the prefix.
    pub fn last(&self) -> Ipv6Addr {
        Ipv6Addr::from(u128::from(self.addr) | !v6_mask(self.len))
    }
    /// The same prefix with the host bits cleared.
    pub fn trunc(&self) -> Self {
        Ipv6Net {
            addr: self.network(),
            len: self.len,
        }
    }
    /// Number of addresses, or `None` for a /0 (2^128 does not fit).
    pub fn size(&self) -> Option<u128> {
        1u128
            .checked_shl(128 - u32::from(self.len))
            .filter(|_| self.len > 0)
    }
    /// Whether `addr` lies inside the prefix.
    pub fn contains(&self, addr: Ipv6Addr) -> bool {
        u128::from(addr) & v6_mask(self.len) == u128::from(self.network())
    }
}

impl fmt::Display for Ipv6Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl FromStr for Ipv6Net {
    type Err = PrefixError;
    fn from_str(s: &str) -> Result<Self, PrefixError> {
        let (a, l) = s.split_once('/').unwrap_or((s, "128"));
        let addr = a.parse().map_err(|_| PrefixError::BadAddress {
            text: a.to_string(),
        })?;
        Ok(Ipv6Net {
            addr,
            len: parse_len(l, 128)?,
        })
    }
}

/// An IPv4 or IPv6 prefix.
///
/// # Examples
/// ```
/// use ipkit_core::IpNet;
/// let p: IpNet = "10.0.0.0/8".parse().unwrap();
/// assert!(p.contains("10.200.0.1".parse().unwrap()));
/// assert!(!p.contains("::1".parse().unwrap()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IpNet {
    /// An IPv4 prefix.
    V4(Ipv4Net),
    /// An IPv6 prefix.
    V6(Ipv6Net),
}

impl IpNet {
    /// The address as written.
    pub fn addr(&self) -> IpAddr {
        match self {
            IpNet::V4(n) => n.addr().into(),
            IpNet::V6(n) => n.addr().into(),
        }
    }
    /// The prefix length.
    pub fn prefix_len(&self) -> u8 {
        match self {
            IpNet::V4(n) => n.prefix_len(),
            IpNet::V6(n) => n.prefix_len(),
        }
    }
    /// The first address.
    pub fn network(&self) -> IpAddr {
        match self {
            IpNet::V4(n) => n.network().into(),
            IpNet::V6(n) => n.network().into(),
        }
    }
    /// The last address.
    pub fn last(&self) -> IpAddr {
        match self {
            IpNet::V4(n) => n.broadcast().into(),
            IpNet::V6(n) => n.last().into(),
        }
    }
    /// The same prefix with host bits cleared.
    pub fn trunc(&self) -> Self {
        match self {
            IpNet::V4(n) => IpNet::V4(n.trunc()),
            IpNet::V6(n) => IpNet::V6(n.trunc()),
        }
    }
    /// Whether `addr` lies inside (an address of the other family never does).
    pub fn contains(&self, addr: IpAddr) -> bool {
        match (self, addr) {
            (IpNet::V4(n), IpAddr::V4(a)) => n.contains(a),
            (IpNet::V6(n), IpAddr::V6(a)) => n.contains(a),
            _ => false,
        }
    }
}

impl From<IpAddr> for IpNet {
    fn from(a: IpAddr) -> Self {
        match a {
            IpAddr::V4(a) => IpNet::V4(Ipv4Net { addr: a, len: 32 }),
            IpAddr::V6(a) => IpNet::V6(Ipv6Net { addr: a, len: 128 }),
        }
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpNet::V4(n) => n.fmt(f),
            IpNet::V6(n) => n.fmt(f),
        }
    }
}

impl FromStr for IpNet {
    type Err = PrefixError;
    fn from_str(s: &str) -> Result<Self, PrefixError> {
        let addr_part = s.split_once('/').map_or(s, |(a, _)| a);
        if addr_part.contains(':') {
            s.parse().map(IpNet::V6)
        } else {
            s.parse().map(IpNet::V4)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn masks_both_ways() {
        for len in 0..=32u8 {
            assert_eq!(mask_to_len(len_to_mask(len)), Some(len));
        }
        assert_eq!(
            "1.2.3.4/255.255.0.0"
                .parse::<Ipv4Net>()
                .unwrap()
                .prefix_len(),
            16
        );
        assert!(matches!(
            "1.2.3.4/255.0.255.0".parse::<Ipv4Net>(),
            Err(PrefixError::BadMask { .. })
        ));
        assert!(matches!(
            "1.2.3.4/33".parse::<Ipv4Net>(),
            Err(PrefixError::BadLength { .. })
        ));
        assert!(matches!(
            "1.2.3.4/".parse::<Ipv4Net>(),
            Err(PrefixError::BadLength { .. })
        ));
        assert!(matches!(
            "1.2.3.4/+8".parse::<Ipv4Net>(),
            Err(PrefixError::BadLength { .. })
        ));
        assert!(matches!(
            "::/129".parse::<Ipv6Net>(),
            Err(PrefixError::BadLength { .. })
        ));
        assert!(matches!(
            "::/64".parse::<Ipv4Net>(),
            Err(PrefixError::BadAddress { .. })
        ));
    }

    #[test]
    fn rfc3021_hosts() {
        let p: Ipv4Net = "192.0.2.7/32".parse().unwrap();
        assert_eq!(p.hosts(), (p.addr(), p.addr(), 1));
        let p: Ipv4Net = "192.0.2.7/31".parse().unwrap();
        assert_eq!(
            p.hosts(),
            (
                "192.0.2.6".parse().unwrap(),
                "192.0.2.7".parse().unwrap(),
                2
            )
        );
        let p: Ipv4Net = "192.0.2.7/30".parse().unwrap();
        assert_eq!(
            p.hosts(),
            (
                "192.0.2.5".parse().unwrap(),
                "192.0.2.6".parse().unwrap(),
                2
            )
        );
        let p: Ipv4Net = "0.0.0.0/0".parse().unwrap();
        assert_eq!(p.size(), 1 << 32);
        assert_eq!("::/0".parse::<Ipv6Net>().unwrap().size(), None);
        assert_eq!("::/64".parse::<Ipv6Net>().unwrap().size(), Some(1 << 64));
    }

    proptest! {
        #[test]
        fn v4_round_trip(a in any::<u32>(), len in 0u8..=32) {
            let p = Ipv4Net::new(Ipv4Addr::from(a), len).unwrap();
            prop_assert_eq!(p.to_string().parse::<Ipv4Net>().unwrap(), p);
            prop_assert!(p.contains(p.addr()) && p.contains(p.network()) && p.contains(p.broadcast()));
        }
        #[test]
        fn v6_round_trip(a in any::<u128>(), len in 0u8..=128) {
            let p = IpNet::V6(Ipv6Net::new(Ipv6Addr::from(a), len).unwrap());
            prop_assert_eq!(p.to_string().parse::<IpNet>().unwrap(), p);
        }
    }
}
