//! Counts over many answers, as ipinfo's `summarize` gives them: how many
//! addresses (and distinct ones), the share of bogons, and the top
//! countries, ASNs (`org`), cities and regions ([`Summary`], the JSON and
//! the table's source). [`Tally`] counts as answers arrive.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use serde::Serialize;

use super::record::IpInfo;

/// One value and how often it was seen.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Count {
    /// The value (`KR`, `AS4766 Korea Telecom`, `Seoul`).
    pub value: String,
    /// How many addresses had it.
    pub count: u64,
    /// `count` over all addresses, 0–1, rounded to 4 decimals.
    pub share: f64,
}

/// The summary of a set of addresses.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Addresses counted (valid lines).
    pub total: u64,
    /// Distinct addresses.
    pub unique: u64,
    /// Bogons among them.
    pub bogons: u64,
    /// `bogons / total`, 0–1, rounded to 4 decimals.
    pub bogon_share: f64,
    /// Lines that held no address.
    pub bad_lines: u64,
    /// By country, most first (ties by value).
    pub countries: Vec<Count>,
    /// By autonomous system (`org`), most first.
    pub asns: Vec<Count>,
    /// By city (`City, Region, CC`), most first.
    pub cities: Vec<Count>,
    /// By region (`Region, CC`), most first.
    pub regions: Vec<Count>,
}

/// Counts answers as they come.
#[derive(Debug, Default)]
pub struct Tally {
    total: u64,
    bogons: u64,
    seen: HashSet<IpAddr>,
    countries: HashMap<String, u64>,
    asns: HashMap<String, u64>,
    cities: HashMap<String, u64>,
    regions: HashMap<String, u64>,
}

impl Tally {
    /// Count one answer.
    pub fn add(&mut self, info: &IpInfo) {
        self.add_times(info, 1);
    }

    /// Count an answer `n` times for its fields; `info.ip` is counted once.
    pub fn add_times(&mut self, info: &IpInfo, n: u64) {
        self.total += n;
        self.seen.insert(info.ip);
        if info.is_bogon() {
            self.bogons += n;
            return;
        }
        let cc = info.country.as_deref();
        if let Some(c) = cc {
            *self.countries.entry(c.to_string()).or_default() += n;
        }
        if let Some(o) = &info.org {
            *self.asns.entry(o.clone()).or_default() += n;
        }
        let place = |first: &str| match cc {
            Some(c) => format!("{first}, {c}"),
            None => first.to_string(),
        };
        if let Some(city) = &info.city {
            let name = match &info.region {
                Some(r) => place(&format!("{city}, {r}")),
                None => place(city),
            };
            *self.cities.entry(name).or_default() += n;
        }
        if let Some(r) = &info.region {
            *self.regions.entry(place(r)).or_default() += n;
        }
    }

    /// Count an address seen again, with the same answer counted already.
    pub fn seen(&mut self, ip: IpAddr) {
        self.seen.insert(ip);
    }

    /// The summary; `bad_lines` from the reader.
    pub fn finish(self, bad_lines: u64) -> Summary {
        let total = self.total;
        let share = |n: u64| {
            if total == 0 {
                0.0
            } else {
                (n as f64 / total as f64 * 10_000.0).round() / 10_000.0
            }
        };
        let ranked = |m: HashMap<String, u64>| {
            let mut v: Vec<Count> = m
                .into_iter()
                .map(|(value, count)| Count {
                    value,
                    count,
                    share: share(count),
                })
                .collect();
            v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            v
        };
        Summary {
            total,
            unique: self.seen.len() as u64,
            bogons: self.bogons,
            bogon_share: share(self.bogons),
            bad_lines,
            countries: ranked(self.countries),
            asns: ranked(self.asns),
            cities: ranked(self.cities),
            regions: ranked(self.regions),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_rank_and_share() {
        let mut t = Tally::default();
        let mut a = IpInfo::new("1.1.1.1".parse().unwrap());
        a.country = Some("AU".into());
        a.org = Some("AS13335 Cloudflare".into());
        let mut b = IpInfo::new("10.0.0.1".parse().unwrap());
        b.bogon = Some(true);
        t.add(&a);
        t.add(&a);
        t.add(&b);
        let mut c = IpInfo::new("8.8.8.8".parse().unwrap());
        c.country = Some("US".into());
        t.add(&c);
        let s = t.finish(2);
        assert_eq!((s.total, s.unique, s.bogons, s.bad_lines), (4, 3, 1, 2));
        assert_eq!(s.bogon_share, 0.25);
        assert_eq!(s.countries[0].value, "AU");
        assert_eq!(s.countries[0].count, 2);
        assert_eq!(s.countries[0].share, 0.5);
        assert_eq!(s.countries[1].value, "US");
    }
}
