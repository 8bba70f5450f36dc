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

/// The ranges of one ASN CSV file, sorted by their first address.
#[derive(Debug, Default)]
pub struct AsnTable {
    v4: Vec<(u32, u32, u32)>,
    /// `v4_index[h]`: the first IPv4 range starting at or after `h << 16`
    /// (65,537 entries), so a lookup binary-searches one /16's ranges.
    v4_index: Vec<u32>,
    v6: Vec<(u128, u128, u32)>,
    /// `org` of each entry, as `"AS13335 Cloudflare, Inc."`.
    orgs: Vec<Box<str>>,
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
        let mut table = AsnTable::default();
        let mut orgs: rustc_hash::FxHashMap<(u32, std::borrow::Cow<'_, str>), u32> =
            Default::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty()
                || (i == 0 && !line.starts_with(|c: char| c.is_ascii_hexdigit() || c == ':'))
            {
                continue;
            }
            let err = |why| CsvError { line: i + 1, why };
            let mut parts = line.splitn(4, ',');
            let (Some(start), Some(end), Some(asn)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(err("not start,end,asn,org"));
            };
            let org = unquote(parts.next().unwrap_or("").trim());
            let start =
                parse_ip(start).ok_or_else(|| err("the first address is not an address"))?;
            let end = parse_ip(end).ok_or_else(|| err("the last address is not an address"))?;
            let asn: u32 = asn
                .trim()
                .trim_start_matches("AS")
                .parse()
                .map_err(|_| err("the AS number is not a number"))?;
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
            match (start, end) {
                (IpAddr::V4(s), IpAddr::V4(e)) if s <= e => {
                    table.v4.push((s.into(), e.into(), index))
                }
                (IpAddr::V6(s), IpAddr::V6(e)) if s <= e => {
                    table.v6.push((s.into(), e.into(), index))
                }
                (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                    return Err(err("the range ends before it starts"));
                }
                _ => return Err(err("the range mixes IPv4 and IPv6")),
            }
        }
        table.v4.sort_unstable();
        table.v6.sort_unstable();
        table.v4_index = (0..=1u32 << 16)
            .map(|h| {
                let at = u64::from(h) << 16;
                table.v4.partition_point(|r| u64::from(r.0) < at) as u32
            })
            .collect();
        Ok(table)
    }

    /// How many ranges.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index of the range holding `ip` (for caching), if any.
    pub fn find(&self, ip: IpAddr) -> Option<u32> {
        fn search<T: Ord + Copy>(ranges: &[(T, T, u32)], x: T) -> Option<u32> {
            let after = ranges.partition_point(|r| r.0 <= x);
            let r = ranges.get(after.checked_sub(1)?)?;
            (x <= r.1).then_some(r.2)
        }
        match ip {
            IpAddr::V4(a) => {
                let x = u32::from(a);
                let h = (x >> 16) as usize;
                let (Some(&lo), Some(&hi)) = (self.v4_index.get(h), self.v4_index.get(h + 1))
                else {
                    return search(&self.v4, x);
                };
                // The range holding x starts in x's /16, or is the last one before it.
                let lo = lo.saturating_sub(1) as usize;
                search(&self.v4[lo..hi as usize], x)
            }
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) if self.v6.is_empty() => self.find(IpAddr::V4(v4)),
                _ => search(&self.v6, u128::from(a)),
            },
        }
    }

    /// The `org` (`"AS13335 Cloudflare, Inc."`) of an index from [`AsnTable::find`].
    pub fn org(&self, index: u32) -> &str {
        &self.orgs[index as usize]
    }

    /// The `org` of the range holding `ip`.
    pub fn lookup(&self, ip: IpAddr) -> Option<&str> {
        self.find(ip).map(|i| self.org(i))
    }
}

fn unquote(field: &str) -> std::borrow::Cow<'_, str> {
    match field.strip_prefix('"').and_then(|f| f.strip_suffix('"')) {
        Some(inner) if inner.contains('"') => inner.replace("\"\"", "\"").into(),
        Some(inner) => inner.into(),
        None => field.into(),
    }
}

/// An address of a range: IPv4 tried first, as nearly every line is.
fn parse_ip(text: &str) -> Option<IpAddr> {
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
    fn a_bad_line_is_named() {
        let e = AsnTable::parse("1.0.0.0,1.0.0.255,13335,A\n1.0.0.0,x,1,B\n").unwrap_err();
        assert_eq!(e.to_string(), "line 2: the last address is not an address");
    }
}
