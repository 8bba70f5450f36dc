//! Address sets: merge (aggregate), exclude, split, and conversions between
//! ranges and prefixes, for IPv4 and IPv6.
//!
//! Sets are worked as sorted, disjoint inclusive integer ranges (`u32` for
//! IPv4, `u128` for IPv6): merging 1,000,000 prefixes is one sort and one
//! linear pass, then each range is cut into the fewest prefixes that cover
//! it exactly (RFC 4632 aggregation). The same generic code serves both
//! families through the [`Bits`] trait. Output is always sorted, so it is
//! deterministic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::prefix::{IpNet, Ipv4Net, Ipv6Net};

/// An address family's integer: `u32` for IPv4, `u128` for IPv6.
pub trait Bits: Copy + Ord + std::fmt::Debug {
    /// Address width in bits.
    const WIDTH: u32;
    /// Zero.
    const ZERO: Self;
    /// All ones.
    const MAX: Self;
    /// Trailing zero bits (WIDTH for zero).
    fn trailing_zeros(self) -> u32;
    /// self + 1, or None at MAX.
    fn inc(self) -> Option<Self>;
    /// self - 1, or None at zero.
    fn dec(self) -> Option<Self>;
    /// The mask of the low `n` bits (n ≤ WIDTH).
    fn low_mask(n: u32) -> Self;
    /// Bitwise or.
    fn or(self, other: Self) -> Self;
    /// Bitwise and-not.
    fn and_not(self, other: Self) -> Self;
    /// (end - start + 1) as u128, saturating at u128::MAX.
    fn span(start: Self, end: Self) -> u128;
}

macro_rules! impl_bits {
    ($t:ty) => {
        impl Bits for $t {
            const WIDTH: u32 = <$t>::BITS;
            const ZERO: Self = 0;
            const MAX: Self = <$t>::MAX;
            fn trailing_zeros(self) -> u32 {
                <$t>::trailing_zeros(self)
            }
            fn inc(self) -> Option<Self> {
                self.checked_add(1)
            }
            fn dec(self) -> Option<Self> {
                self.checked_sub(1)
            }
            fn low_mask(n: u32) -> Self {
                if n >= <$t>::BITS {
                    <$t>::MAX
                } else {
                    (1 << n) - 1
                }
            }
            fn or(self, o: Self) -> Self {
                self | o
            }
            fn and_not(self, o: Self) -> Self {
                self & !o
            }
            fn span(start: Self, end: Self) -> u128 {
                u128::from(end - start).saturating_add(1)
            }
        }
    };
}
impl_bits!(u32);
impl_bits!(u128);

/// Why a set operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SetError {
    /// A split into prefixes shorter than the one being split, or longer than the family allows.
    #[error("cannot split a /{len} into /{into}: give a length from {len} to {max}")]
    BadSplit {
        /// The prefix's length.
        len: u8,
        /// The length asked for.
        into: u8,
        /// 32 or 128.
        max: u8,
    },
    /// A range whose start is after its end, or whose ends differ in family.
    #[error(
        "'{start}-{end}' is not a range: the start must not be after the end, and both must be the same family"
    )]
    BadRange {
        /// Start.
        start: IpAddr,
        /// End.
        end: IpAddr,
    },
    /// More results than the limit.
    #[error("{what} gives {count} results, more than the limit of {limit}")]
    TooMany {
        /// What was asked.
        what: String,
        /// How many it would give (up to 2^128).
        count: AddrCount,
        /// The limit.
        limit: u128,
    },
}

/// Sort and coalesce overlapping or adjacent ranges, in place.
pub fn coalesce<B: Bits>(ranges: &mut Vec<(B, B)>) {
    ranges.sort_unstable();
    let mut out = 0usize;
    for i in 0..ranges.len() {
        let (s, e) = ranges[i];
        if out > 0 {
            let last = &mut ranges[out - 1];
            if last.1.inc().is_none_or(|next| s <= next) {
                if e > last.1 {
                    last.1 = e;
                }
                continue;
            }
        }
        ranges[out] = (s, e);
        out += 1;
    }
    ranges.truncate(out);
}

/// The fewest prefixes (as (start, prefix length)) that cover `start..=end` exactly.
pub fn range_to_prefixes<B: Bits>(start: B, end: B, mut emit: impl FnMut(B, u8)) {
    let mut s = start;
    loop {
        // The largest block aligned at s that does not pass end.
        let mut size_bits = s.trailing_zeros().min(B::WIDTH);
        while size_bits > 0 && s.or(B::low_mask(size_bits)) > end {
            size_bits -= 1;
        }
        let last = s.or(B::low_mask(size_bits));
        emit(s, u8::try_from(B::WIDTH - size_bits).unwrap_or(0));
        match last.inc() {
            Some(next) if last < end => s = next,
            _ => break,
        }
    }
}

/// Subtract sorted disjoint `remove` from sorted disjoint `keep`.
pub fn subtract<B: Bits>(keep: &[(B, B)], remove: &[(B, B)]) -> Vec<(B, B)> {
    let mut out = Vec::new();
    let mut j = 0;
    for &(mut s, e) in keep {
        let mut alive = true;
        while j < remove.len() && remove[j].1 < s {
            j += 1;
        }
        let mut k = j;
        while alive && k < remove.len() && remove[k].0 <= e {
            let (rs, re) = remove[k];
            if rs > s {
                out.push((s, rs.dec().unwrap_or(B::ZERO)));
            }
            match re.inc() {
                Some(n) if re < e => s = n,
                _ => alive = false,
            }
            k += 1;
        }
        if alive {
            out.push((s, e));
        }
    }
    out
}

/// A set of IPv4 and IPv6 ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpSet {
    /// IPv4 ranges, sorted and disjoint once normalised.
    pub v4: Vec<(u32, u32)>,
    /// IPv6 ranges, sorted and disjoint once normalised.
    pub v6: Vec<(u128, u128)>,
}

/// One item of set input: a prefix or address (`10.0.0.0/8`, `::1`), or a
/// range written `A-B` or `A B`.
///
/// # Examples
/// ```
/// use ipkit_core::set::SetItem;
/// assert!(matches!("10.0.0.1-10.0.0.6".parse(), Ok(SetItem::Range(..))));
/// assert!(matches!("192.0.2.0/24".parse(), Ok(SetItem::Net(_))));
/// assert!("10.0.0.1-x".parse::<SetItem>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetItem {
    /// A prefix or a single address.
    Net(IpNet),
    /// First and last address, inclusive.
    Range(IpAddr, IpAddr),
}

impl std::str::FromStr for SetItem {
    type Err = crate::prefix::PrefixError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let range = text.split_once('-').or_else(|| {
            let mut w = text.split_whitespace();
            match (w.next(), w.next(), w.next()) {
                (Some(a), Some(b), None) => Some((a, b)),
                _ => None,
            }
        });
        let Some((a, b)) = range else {
            return text.parse::<IpNet>().map(SetItem::Net);
        };
        let addr = |t: &str| {
            let t = t.trim();
            t.parse::<IpAddr>()
                .map_err(|_| crate::prefix::PrefixError::BadAddress {
                    text: t.to_string(),
                })
        };
        Ok(SetItem::Range(addr(a)?, addr(b)?))
    }
}

impl IpSet {
    /// Add one item of input.
    pub fn add_item(&mut self, item: SetItem) -> Result<(), SetError> {
        match item {
            SetItem::Net(net) => {
                self.add_net(net);
                Ok(())
            }
            SetItem::Range(s, e) => self.add_range(s, e),
        }
    }

    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a prefix (host bits ignored).
    pub fn add_net(&mut self, net: IpNet) {
        match net {
            IpNet::V4(n) => self
                .v4
                .push((u32::from(n.network()), u32::from(n.broadcast()))),
            IpNet::V6(n) => self
                .v6
                .push((u128::from(n.network()), u128::from(n.last()))),
        }
    }

    /// Add an inclusive range; refused when reversed or mixed-family.
    pub fn add_range(&mut self, start: IpAddr, end: IpAddr) -> Result<(), SetError> {
        match (start, end) {
            (IpAddr::V4(s), IpAddr::V4(e)) if s <= e => self.v4.push((s.into(), e.into())),
            (IpAddr::V6(s), IpAddr::V6(e)) if s <= e => self.v6.push((s.into(), e.into())),
            _ => return Err(SetError::BadRange { start, end }),
        }
        Ok(())
    }

    /// Sort and coalesce.
    pub fn normalize(&mut self) {
        coalesce(&mut self.v4);
        coalesce(&mut self.v6);
    }

    /// Remove every address of `other` (both normalised first).
    pub fn exclude(&mut self, other: &mut IpSet) {
        self.normalize();
        other.normalize();
        self.v4 = subtract(&self.v4, &other.v4);
        self.v6 = subtract(&self.v6, &other.v6);
    }

    /// The minimal prefix list, IPv4 first, ascending. Normalises first.
    ///
    /// # Examples
    /// ```
    /// use ipkit_core::set::IpSet;
    /// let mut s = IpSet::new();
    /// for p in ["10.0.0.0/24", "10.0.1.0/24", "10.0.0.128/25", "2001:db8::/33", "2001:db8:8000::/33"] {
    ///     s.add_net(p.parse().unwrap());
    /// }
    /// let merged: Vec<String> = s.prefixes().iter().map(|p| p.to_string()).collect();
    /// assert_eq!(merged, ["10.0.0.0/23", "2001:db8::/32"]);
    /// ```
    pub fn prefixes(&mut self) -> Vec<IpNet> {
        self.normalize();
        let mut out = Vec::new();
        self.for_each_prefix(|p| out.push(p));
        out
    }

    /// Call `f` on every prefix of the minimal list, in order (already normalised).
    pub fn for_each_prefix(&self, mut f: impl FnMut(IpNet)) {
        for &(s, e) in &self.v4 {
            range_to_prefixes(s, e, |start, len| {
                if let Some(n) = Ipv4Net::new(Ipv4Addr::from(start), len) {
                    f(IpNet::V4(n));
                }
            });
        }
        for &(s, e) in &self.v6 {
            range_to_prefixes(s, e, |start, len| {
                if let Some(n) = Ipv6Net::new(Ipv6Addr::from(start), len) {
                    f(IpNet::V6(n));
                }
            });
        }
    }

    /// The ranges as addresses, IPv4 first.
    pub fn ranges(&self) -> Vec<(IpAddr, IpAddr)> {
        let v4 = self
            .v4
            .iter()
            .map(|&(s, e)| (IpAddr::V4(s.into()), IpAddr::V4(e.into())));
        let v6 = self
            .v6
            .iter()
            .map(|&(s, e)| (IpAddr::V6(s.into()), IpAddr::V6(e.into())));
        v4.chain(v6).collect()
    }

    /// Number of addresses, exactly: (IPv4, IPv6), the IPv6 count up to
    /// 2^128 (all of `::/0`).
    ///
    /// # Examples
    /// ```
    /// use ipkit_core::set::IpSet;
    /// let mut s = IpSet::default();
    /// s.add_net("::/0".parse().unwrap());
    /// s.normalize();
    /// assert_eq!(s.count_exact().1.to_string(), "340282366920938463463374607431768211456");
    /// ```
    pub fn count_exact(&self) -> (u64, AddrCount) {
        let v4 = self.v4.iter().map(|&(s, e)| u64::from(e - s) + 1).sum();
        let v6 = self.v6.iter().fold(AddrCount::ZERO, |acc, &(s, e)| {
            acc.saturating_add(AddrCount::span(s, e))
        });
        (v4, v6)
    }

    /// Number of addresses: (IPv4, IPv6), the IPv6 count saturating at
    /// u128::MAX (see [`IpSet::count_exact`] for 2^128).
    pub fn count(&self) -> (u64, u128) {
        let v4 = self.v4.iter().map(|&(s, e)| u64::from(e - s) + 1).sum();
        let v6 = self
            .v6
            .iter()
            .fold(0u128, |acc, &(s, e)| acc.saturating_add(u128::span(s, e)));
        (v4, v6)
    }

    /// Whether `ip` is in the set (normalised set: binary search).
    pub fn contains(&self, ip: IpAddr) -> bool {
        fn find<B: Bits>(r: &[(B, B)], x: B) -> bool {
            let i = r.partition_point(|&(s, _)| s <= x);
            i > 0 && r[i - 1].1 >= x
        }
        match ip {
            IpAddr::V4(a) => find(&self.v4, u32::from(a)),
            IpAddr::V6(a) => find(&self.v6, u128::from(a)),
        }
    }
}

/// A number of addresses from 0 to 2^128 inclusive: all of IPv6 is one
/// more than a `u128` holds.
///
/// # Examples
/// ```
/// use ipkit_core::set::AddrCount;
/// let all = AddrCount::span(0, u128::MAX);
/// assert_eq!(all, AddrCount::power_of_two(128));
/// assert_eq!(all.to_u128(), None);
/// assert!(all > AddrCount::new(u128::MAX));
/// assert_eq!(AddrCount::new(5).saturating_add(AddrCount::new(7)).to_string(), "12");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AddrCount {
    /// 2^128 over `low` (the only value past u128::MAX that is reached).
    carry: bool,
    low: u128,
}

impl AddrCount {
    /// Zero.
    pub const ZERO: AddrCount = AddrCount {
        carry: false,
        low: 0,
    };

    /// A count that fits a u128.
    pub const fn new(n: u128) -> AddrCount {
        AddrCount {
            carry: false,
            low: n,
        }
    }

    /// The addresses from `start` to `end` inclusive.
    pub fn span(start: u128, end: u128) -> AddrCount {
        let d = end.saturating_sub(start);
        match d.checked_add(1) {
            Some(n) => AddrCount::new(n),
            None => AddrCount {
                carry: true,
                low: 0,
            },
        }
    }

    /// 2^bits, for bits from 0 to 128 (larger saturates at 2^128).
    pub fn power_of_two(bits: u32) -> AddrCount {
        match 1u128.checked_shl(bits) {
            Some(n) if bits < 128 => AddrCount::new(n),
            _ => AddrCount {
                carry: true,
                low: 0,
            },
        }
    }

    /// The sum, saturating at the largest count this type holds.
    #[must_use]
    pub fn saturating_add(self, other: AddrCount) -> AddrCount {
        let (low, over) = self.low.overflowing_add(other.low);
        if self.carry && (other.carry || over) || other.carry && over {
            return AddrCount {
                carry: true,
                low: u128::MAX,
            };
        }
        AddrCount {
            carry: self.carry || other.carry || over,
            low,
        }
    }

    /// The count as a u128, if it fits.
    pub fn to_u128(self) -> Option<u128> {
        (!self.carry).then_some(self.low)
    }
}

impl std::fmt::Display for AddrCount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.carry {
            return write!(f, "{}", self.low);
        }
        // 2^128 + low, in decimal: add digit strings.
        const TWO_128: &[u8] = b"340282366920938463463374607431768211456";
        let low = self.low.to_string();
        let (a, b) = (TWO_128, low.as_bytes());
        let mut digits = Vec::with_capacity(a.len() + 1);
        let mut carry = 0u8;
        for i in 0..a.len().max(b.len()) {
            let da = if i < a.len() {
                a[a.len() - 1 - i] - b'0'
            } else {
                0
            };
            let db = if i < b.len() {
                b[b.len() - 1 - i] - b'0'
            } else {
                0
            };
            let sum = da + db + carry;
            digits.push(b'0' + sum % 10);
            carry = sum / 10;
        }
        if carry > 0 {
            digits.push(b'0' + carry);
        }
        digits.reverse();
        f.write_str(std::str::from_utf8(&digits).map_err(|_| std::fmt::Error)?)
    }
}

/// Split `net` into subnets of length `into`, calling `f` on each in order;
/// refuses more than `limit` results.
///
/// # Examples
/// ```
/// use ipkit_core::set::split;
/// let mut v = Vec::new();
/// split("192.0.2.0/24".parse().unwrap(), 26, 100, |p| v.push(p.to_string())).unwrap();
/// assert_eq!(v, ["192.0.2.0/26", "192.0.2.64/26", "192.0.2.128/26", "192.0.2.192/26"]);
/// ```
pub fn split(
    net: IpNet,
    into: u8,
    limit: u128,
    mut f: impl FnMut(IpNet),
) -> Result<u128, SetError> {
    let (len, max) = (
        net.prefix_len(),
        if matches!(net, IpNet::V4(_)) { 32 } else { 128 },
    );
    if into < len || into > max {
        return Err(SetError::BadSplit { len, into, max });
    }
    let exact = AddrCount::power_of_two(u32::from(into - len));
    let count = match exact.to_u128() {
        Some(c) if c <= limit => c,
        _ => {
            return Err(SetError::TooMany {
                what: format!("splitting {} into /{into}", net.trunc()),
                count: exact,
                limit,
            });
        }
    };
    let step_bits = u32::from(max - into);
    match net.trunc() {
        IpNet::V4(n) => {
            let base = u32::from(n.network());
            for i in 0..count {
                let start = base
                    | u32::try_from(i)
                        .unwrap_or(0)
                        .checked_shl(step_bits)
                        .unwrap_or(0);
                if let Some(p) = Ipv4Net::new(start.into(), into) {
                    f(IpNet::V4(p));
                }
            }
        }
        IpNet::V6(n) => {
            let base = u128::from(n.network());
            for i in 0..count {
                let start = base | i.checked_shl(step_bits).unwrap_or(0);
                if let Some(p) = Ipv6Net::new(start.into(), into) {
                    f(IpNet::V6(p));
                }
            }
        }
    }
    Ok(count)
}

/// The prefix length that splits a `/len` into at least `count` parts.
pub fn split_len_for_count(len: u8, max: u8, count: u128) -> Option<u8> {
    let bits = u8::try_from(count.max(1).next_power_of_two().trailing_zeros()).ok()?;
    let into = len.checked_add(bits)?;
    (into <= max).then_some(into)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn expand(r: &[(u32, u32)]) -> Vec<u32> {
        r.iter().flat_map(|&(s, e)| s..=e).collect()
    }

    proptest! {
        #[test]
        fn counts_add_and_print_as_big_integers(a in any::<u128>(), b in any::<u128>()) {
            let sum = AddrCount::new(a).saturating_add(AddrCount::new(b));
            match a.checked_add(b) {
                Some(n) => prop_assert_eq!(sum.to_string(), n.to_string()),
                None => {
                    // a + b = 2^128 + (a + b - 2^128): check the low digits.
                    prop_assert_eq!(sum.to_u128(), None);
                    prop_assert!(sum > AddrCount::new(u128::MAX));
                }
            }
        }

        #[test]
        fn merge_keeps_exactly_the_addresses(prefixes in proptest::collection::vec((0u32..4096, 20u8..=32), 0..40)) {
            let mut set = IpSet::new();
            let mut want = std::collections::BTreeSet::new();
            for (a, len) in &prefixes {
                let n = Ipv4Net::new(Ipv4Addr::from(*a), *len).unwrap();
                set.add_net(IpNet::V4(n));
                want.extend(u32::from(n.network())..=u32::from(n.broadcast()));
            }
            let merged = set.prefixes();
            let mut again = IpSet::new();
            let mut got = std::collections::BTreeSet::new();
            for p in &merged {
                again.add_net(*p);
                if let IpNet::V4(n) = p { got.extend(u32::from(n.network())..=u32::from(n.broadcast())); }
            }
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(again.prefixes(), merged.clone(), "idempotent");
            // Minimal: no two adjacent siblings that could join.
            for w in merged.windows(2) {
                if let (IpNet::V4(a), IpNet::V4(b)) = (w[0], w[1]) {
                    let joinable = a.prefix_len() == b.prefix_len() && a.prefix_len() > 0
                        && u32::from(a.broadcast()).checked_add(1) == Some(u32::from(b.network()))
                        && Ipv4Net::new(a.network(), a.prefix_len() - 1).unwrap().network() == a.network();
                    prop_assert!(!joinable, "{} and {} should have merged", a, b);
                }
            }
        }

        #[test]
        fn exclude_removes_exactly(keep in proptest::collection::vec((0u32..2048, 0u32..64), 0..20), drop in proptest::collection::vec((0u32..2048, 0u32..64), 0..20)) {
            let mut k = IpSet::new();
            let mut d = IpSet::new();
            for (s, l) in &keep { k.v4.push((*s, s + l)); }
            for (s, l) in &drop { d.v4.push((*s, s + l)); }
            let mut kn = k.clone(); kn.normalize();
            let mut dn = d.clone(); dn.normalize();
            k.exclude(&mut d);
            let got: std::collections::BTreeSet<u32> = expand(&k.v4).into_iter().collect();
            let kept: std::collections::BTreeSet<u32> = expand(&kn.v4).into_iter().collect();
            let dropped: std::collections::BTreeSet<u32> = expand(&dn.v4).into_iter().collect();
            prop_assert_eq!(got, kept.difference(&dropped).copied().collect());
        }

        #[test]
        fn range_and_prefixes_are_inverse(a in any::<u32>(), b in any::<u32>()) {
            let (s, e) = (a.min(b), a.max(b));
            let mut set = IpSet::new();
            set.add_range(IpAddr::V4(s.into()), IpAddr::V4(e.into())).unwrap();
            let prefixes = set.prefixes();
            let mut back = IpSet::new();
            for p in prefixes { back.add_net(p); }
            back.normalize();
            prop_assert_eq!(back.v4, vec![(s, e)]);
        }

        #[test]
        fn split_tiles_the_parent(a in any::<u32>(), len in 16u8..=32, extra in 0u8..6) {
            let net = IpNet::V4(Ipv4Net::new(Ipv4Addr::from(a), len).unwrap().trunc());
            let into = (len + extra).min(32);
            let mut parts = Vec::new();
            split(net, into, 1 << 10, |p| parts.push(p)).unwrap();
            let mut set = IpSet::new();
            for p in &parts { set.add_net(*p); }
            prop_assert_eq!(set.prefixes(), vec![net]);
            prop_assert_eq!(parts.len(), 1usize << (into - len));
        }
    }

    #[test]
    fn edges() {
        let mut s = IpSet::new();
        s.add_net("0.0.0.0/0".parse().unwrap());
        s.add_net("::/0".parse().unwrap());
        assert_eq!(
            s.prefixes()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["0.0.0.0/0", "::/0"]
        );
        assert_eq!(s.count(), (1 << 32, u128::MAX));
        assert_eq!(
            s.count_exact().1.to_string(),
            "340282366920938463463374607431768211456",
            "2^128"
        );
        assert!(s.contains("255.255.255.255".parse().unwrap()));
        let mut r = IpSet::new();
        r.add_range("192.0.2.1".parse().unwrap(), "192.0.2.6".parse().unwrap())
            .unwrap();
        assert_eq!(
            r.prefixes()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            [
                "192.0.2.1/32",
                "192.0.2.2/31",
                "192.0.2.4/31",
                "192.0.2.6/32"
            ]
        );
        assert!(
            r.add_range("192.0.2.9".parse().unwrap(), "192.0.2.1".parse().unwrap())
                .is_err()
        );
        assert!(matches!(
            split("10.0.0.0/8".parse().unwrap(), 7, 10, |_| {}),
            Err(SetError::BadSplit { .. })
        ));
        assert!(matches!(
            split("10.0.0.0/8".parse().unwrap(), 32, 1000, |_| {}),
            Err(SetError::TooMany { .. })
        ));
        assert_eq!(split_len_for_count(24, 32, 3), Some(26));
    }
}
