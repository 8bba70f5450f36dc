//! ip-location-db's ASN ranges as CSV (`start,end,asn,org`, one range a
//! line, IPv4 and IPv6 alike), loaded into a sorted range table and looked
//! up by binary search.
//!
//! The format is four fields of which only the last may hold a comma, so
//! the line is split by hand at its first three commas and the org is
//! unquoted when it is quoted (`"Cloudflare, Inc."`, `""` for a quote):
//! a CSV crate would add nothing here but a dependency.

use std::net::IpAddr;

/// Why a line is not a range.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {why}")]
pub struct CsvError {
    /// The line number, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub why: &'static str,
}

/// The ranges of one ASN CSV file, sorted by their first address, held
/// in the binary layout of [`super::asn_cache`] (built by [`AsnTable::parse`],
/// or a validated cache file mapped from disk), so a lookup reads the same
/// bytes either way.
pub struct AsnTable {
    pub(crate) table: super::asn_cache::Table,
}

impl std::fmt::Debug for AsnTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsnTable")
            .field("ranges", &self.len())
            .finish()
    }
}

/// The parsed ranges before they are laid out as bytes.
#[derive(Default)]
pub(crate) struct Ranges {
    pub v4: Vec<(u32, u32, u32)>,
    pub v6: Vec<(u128, u128, u32)>,
    /// `org` of each entry, as `"AS13335 Cloudflare, Inc."`.
    pub orgs: Vec<Box<str>>,
}

impl AsnTable {
    /// Parse a whole file. Blank lines and a header line (`start,end,…`)
    /// are skipped; any other line that is not a range is an error.
    ///
    /// # Examples
    /// ```
    /// use ipkit::info::asn_csv::AsnTable;
    /// let t = AsnTable::parse("1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n").unwrap();
    /// assert_eq!(t.lookup("1.0.0.7".parse().unwrap()), Some("AS13335 Cloudflare, Inc."));
    /// assert_eq!(t.lookup("1.0.1.0".parse().unwrap()), None);
    /// ```
    pub fn parse(text: &str) -> Result<AsnTable, CsvError> {
        let ranges = parse_ranges(text)?;
        Ok(AsnTable {
            table: super::asn_cache::Table::build(&ranges, &super::asn_cache::SourceId::default()),
        })
    }

    /// How many ranges.
    pub fn len(&self) -> usize {
        self.table.v4_len() + self.table.v6_len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index of the range holding `ip`'s org (for caching: equal
    /// indexes, equal orgs), if any.
    pub fn find(&self, ip: IpAddr) -> Option<u32> {
        match ip {
            IpAddr::V4(a) => self.table.find_v4(u32::from(a)),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) if self.table.v6_len() == 0 => self.table.find_v4(u32::from(v4)),
                _ => self.table.find_v6(u128::from(a)),
            },
        }
    }

    /// As [`AsnTable::find`] for an IPv4 address, with the first and last
    /// address of its range: every address between them has this org.
    pub(crate) fn find_v4_span(&self, ip: u32) -> Option<(u32, u32, u32)> {
        self.table.find_v4_span(ip)
    }

    /// How many distinct orgs (the indexes [`AsnTable::find`] gives are below it).
    pub fn orgs(&self) -> usize {
        self.table.orgs_len()
    }

    /// The `org` (`"AS13335 Cloudflare, Inc."`) of an index from [`AsnTable::find`].
    pub fn org(&self, index: u32) -> &str {
        self.table.org(index)
    }

    /// The `org` of the range holding `ip`.
    pub fn lookup(&self, ip: IpAddr) -> Option<&str> {
        self.find(ip).map(|i| self.org(i))
    }
}

/// The ranges of a whole file, sorted (see [`AsnTable::parse`]).
pub(crate) fn parse_ranges(text: &str) -> Result<Ranges, CsvError> {
    let mut table = Ranges::default();
    let mut orgs: rustc_hash::FxHashMap<(u32, std::borrow::Cow<'_, str>), u32> = Default::default();
    // The previous line's (asn, org) and its index: neighbouring ranges
    // mostly belong to one AS, so most lines skip the hash of the name.
    let mut last: Option<(u32, &str, u32)> = None;
    let mut from = 0;
    let mut next_line = 0;
    while from < text.len() {
        let end = memchr::memchr(b'\n', &text.as_bytes()[from..]).map_or(text.len(), |n| from + n);
        let raw = &text[from..end];
        from = end + 1;
        let i = next_line;
        next_line += 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty()
            || (i == 0 && !line.starts_with(|c: char| c.is_ascii_hexdigit() || c == ':'))
        {
            continue;
        }
        let err = |why| CsvError { line: i + 1, why };
        let Some((start, end, asn, org_field)) = split_fields(line) else {
            return Err(err("not start,end,asn,org"));
        };
        let org_field = org_field.trim();
        let start = parse_ip(start).ok_or_else(|| err("the first address is not an address"))?;
        let end = parse_ip(end).ok_or_else(|| err("the last address is not an address"))?;
        let asn: u32 = match digits_u32(asn.as_bytes()) {
            Some(n) => n,
            None => asn
                .trim()
                .trim_start_matches("AS")
                .parse()
                .map_err(|_| err("the AS number is not a number"))?,
        };
        let index = match last {
            Some((a, o, index)) if a == asn && o == org_field => index,
            _ => {
                let org = unquote(org_field);
                let next = table.orgs.len() as u32;
                let index = *orgs.entry((asn, org.clone())).or_insert_with(|| {
                    let name = if org.is_empty() {
                        format!("AS{asn}")
                    } else {
                        format!("AS{asn} {org}")
                    };
                    table.orgs.push(name.into());
                    next
                });
                last = Some((asn, org_field, index));
                index
            }
        };
        match (start, end) {
            (IpAddr::V4(s), IpAddr::V4(e)) if s <= e => table.v4.push((s.into(), e.into(), index)),
            (IpAddr::V6(s), IpAddr::V6(e)) if s <= e => table.v6.push((s.into(), e.into(), index)),
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                return Err(err("the range ends before it starts"));
            }
            _ => return Err(err("the range mixes IPv4 and IPv6")),
        }
    }
    table.v4.sort_unstable();
    table.v6.sort_unstable();
    Ok(table)
}

fn unquote(field: &str) -> std::borrow::Cow<'_, str> {
    match field.strip_prefix('"').and_then(|f| f.strip_suffix('"')) {
        Some(inner) if inner.contains('"') => inner.replace("\"\"", "\"").into(),
        Some(inner) => inner.into(),
        None => field.into(),
    }
}

/// The first three fields and the rest (`splitn(4, ',')`, by `memchr`:
/// the file has half a million lines); None with fewer than three commas
/// but two (the org may be missing: `""`).
fn split_fields(line: &str) -> Option<(&str, &str, &str, &str)> {
    let b = line.as_bytes();
    let c1 = memchr::memchr(b',', b)?;
    let c2 = c1 + 1 + memchr::memchr(b',', &b[c1 + 1..])?;
    match memchr::memchr(b',', &b[c2 + 1..]) {
        Some(n) => {
            let c3 = c2 + 1 + n;
            Some((
                &line[..c1],
                &line[c1 + 1..c2],
                &line[c2 + 1..c3],
                &line[c3 + 1..],
            ))
        }
        None => Some((&line[..c1], &line[c1 + 1..c2], &line[c2 + 1..], "")),
    }
}

/// A plain decimal `u32` (digits only), else None (the caller's general
/// path then decides, so the answers are std's).
fn digits_u32(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 10 {
        return None;
    }
    let mut n: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(c - b'0');
    }
    u32::try_from(n).ok()
}

/// A canonical dotted quad (what std's parser accepts: four decimal
/// octets, no leading zeros) by hand, else None: the general path then
/// parses it, so every answer is std's; this one is 5× fewer instructions
/// (callgrind) on the half-million lines of ip-location-db's file.
pub(crate) fn canonical_v4(b: &[u8]) -> Option<u32> {
    if !(7..=15).contains(&b.len()) {
        return None;
    }
    let (mut value, mut octet, mut digits, mut dots) = (0u32, 0u32, 0u32, 0u32);
    for &c in b {
        if c == b'.' {
            if digits == 0 || dots == 3 {
                return None;
            }
            value = value << 8 | octet;
            (octet, digits, dots) = (0, 0, dots + 1);
        } else {
            let d = u32::from(c.wrapping_sub(b'0'));
            // A digit, at most three, and none after a leading zero.
            if d > 9 || digits == 3 || (digits == 1 && octet == 0) {
                return None;
            }
            octet = octet * 10 + d;
            digits += 1;
            if octet > 255 {
                return None;
            }
        }
    }
    (dots == 3 && digits > 0).then_some(value << 8 | octet)
}

/// An address of a range: IPv4 tried first, as nearly every line is.
fn parse_ip(text: &str) -> Option<IpAddr> {
    if let Some(v4) = canonical_v4(text.as_bytes()) {
        return Some(IpAddr::V4(v4.into()));
    }
    let t = text.trim();
    t.parse::<std::net::Ipv4Addr>()
        .map(IpAddr::V4)
        .or_else(|_| t.parse::<std::net::Ipv6Addr>().map(IpAddr::V6))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_of_both_families_and_their_edges() {
        let t = AsnTable::parse(
            "start,end,asn,org\n\
             2.0.0.0,2.0.0.255,3215,Orange\n\
             1.0.0.0,1.0.0.255,13335,\"Cloudflare, \"\"Inc.\"\"\"\n\
             2001:db8::,2001:db8::ffff,64500,Example\n\
             3.0.0.0,3.255.255.255,16509,Amazon\n\
             255.255.255.0,255.255.255.255,64511,Last\n",
        )
        .unwrap();
        assert_eq!(t.len(), 5);
        // A range over many /16s is found from any of them; edges are inclusive.
        for (ip, org) in [
            ("3.128.0.1", Some("AS16509 Amazon")),
            ("3.255.255.255", Some("AS16509 Amazon")),
            ("4.0.0.0", None),
            ("255.255.255.255", Some("AS64511 Last")),
            ("::ffff:3.1.1.1", None),
            ("1.0.0.0", Some("AS13335 Cloudflare, \"Inc.\"")),
            ("2.0.0.255", Some("AS3215 Orange")),
            ("2.0.1.0", None),
            ("0.255.255.255", None),
            ("2001:db8::ff", Some("AS64500 Example")),
        ] {
            assert_eq!(t.lookup(ip.parse().unwrap()), org, "{ip}");
        }
    }

    #[test]
    fn the_hand_parsers_agree_with_std() {
        for text in [
            "1.2.3.4",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..3.4",
            "1.2.3.",
            ".1.2.3",
            "1.2.3.4 ",
            "1.2.3.0004",
            "10.0.0.10",
            "0.0.0.00",
            "00.0.0.0",
            "1.2.3.4\n",
            "255.255.255.256",
            "1.2.3.-4",
            "1.2.3.4.",
            "192.168.100.200",
            "::1",
            "",
        ] {
            let std = text.parse::<std::net::Ipv4Addr>().ok().map(u32::from);
            let hand = canonical_v4(text.as_bytes());
            assert!(
                hand.is_none() || hand == std,
                "{text:?}: {hand:?} vs {std:?}"
            );
            if std.is_some() && !text.contains(' ') {
                assert_eq!(hand, std, "{text:?}");
            }
        }
        // Every address's own text reads back (a pseudo-random sample).
        let mut x: u32 = 14;
        for _ in 0..20_000 {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let text = std::net::Ipv4Addr::from(x).to_string();
            assert_eq!(canonical_v4(text.as_bytes()), Some(x), "{text}");
        }
        for text in [
            "0",
            "13335",
            "4294967295",
            "4294967296",
            "AS1",
            "",
            "12a",
            "99999999999",
        ] {
            let std = text.parse::<u32>().ok();
            let hand = digits_u32(text.as_bytes());
            assert!(hand.is_none() || hand == std, "{text:?}");
        }
        assert_eq!(split_fields("a,b,c,d,e"), Some(("a", "b", "c", "d,e")));
        assert_eq!(split_fields("a,b,c"), Some(("a", "b", "c", "")));
        assert_eq!(split_fields("a,b"), None);
    }

    #[test]
    fn a_bad_line_is_named() {
        let e = AsnTable::parse("1.0.0.0,1.0.0.255,13335,A\n1.0.0.0,x,1,B\n").unwrap_err();
        assert_eq!(e.to_string(), "line 2: the last address is not an address");
    }
}
