//! The IP information a trace labels its responders with (mtr's `-z`,
//! trippy's AS column, traceroute's `-A`): each responder's autonomous
//! system, its holder (ipinfo's `org`, `AS15169 Google LLC`) and its
//! country, from the databases `ipkit info` reads ([`crate::info`]).
//!
//! Every responder is looked up once per trace ([`Labels`] keeps the
//! answers); bogons (private, loopback, documentation … addresses, as
//! ipinfo defines them: [`crate::info::bogon`]) are never looked up, as
//! ipinfo answers them with `bogon: true` and nothing else.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use crate::info::{Databases, bogon};

/// The databases a trace reads its responders' information from; none
/// (the default) leaves every responder's `asn`, `org` and `country` null.
#[derive(Clone, Default)]
pub struct HopData(Option<Arc<Databases>>);

impl HopData {
    /// Label responders from `dbs` (an empty set labels nothing).
    pub fn new(dbs: Databases) -> HopData {
        HopData((!dbs.is_empty()).then(|| Arc::new(dbs)))
    }

    /// Whether there is data to label from.
    pub fn is_present(&self) -> bool {
        self.0.is_some()
    }

    /// The opened databases, if any (for views that place hops, such as a map).
    pub fn databases(&self) -> Option<&Databases> {
        self.0.as_deref()
    }
}

impl std::fmt::Debug for HopData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(dbs) => write!(f, "HopData({dbs:?})"),
            None => f.write_str("HopData(None)"),
        }
    }
}

impl PartialEq for HopData {
    /// The same databases (the same opened set), or none on both sides.
    fn eq(&self, other: &HopData) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

/// What the data says of one responder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Label {
    /// The autonomous system's number.
    pub asn: Option<u32>,
    /// Its holder, as ipinfo's `org`: `AS15169 Google LLC`.
    pub org: Option<String>,
    /// The ISO 3166-1 alpha-2 country code.
    pub country: Option<String>,
}

/// The labels of a trace's responders, each looked up once.
#[derive(Debug, Default)]
pub struct Labels {
    data: HopData,
    known: HashMap<IpAddr, Label>,
    lookups: u64,
}

impl Labels {
    /// Labels from `data`.
    pub fn new(data: HopData) -> Labels {
        Labels {
            data,
            known: HashMap::new(),
            lookups: 0,
        }
    }

    /// The label of `ip`: empty without data and for a bogon (not looked
    /// up); otherwise looked up the first time and remembered.
    pub fn of(&mut self, ip: IpAddr) -> Label {
        let Some(dbs) = &self.data.0 else {
            return Label::default();
        };
        if bogon::is_bogon(ip) {
            return Label::default();
        }
        if let Some(known) = self.known.get(&ip) {
            return known.clone();
        }
        self.lookups += 1;
        let info = dbs.lookup(ip);
        let label = Label {
            asn: info.org.as_deref().and_then(asn_of),
            org: info.org,
            country: info.country,
        };
        self.known.insert(ip, label.clone());
        label
    }

    /// How many database lookups were made (one per distinct non-bogon
    /// responder).
    pub fn lookups(&self) -> u64 {
        self.lookups
    }
}

/// The number of an ipinfo `org` (`AS15169 Google LLC` → 15169).
///
/// # Examples
/// ```
/// use ipkit::trace::ip_info::asn_of;
/// assert_eq!(asn_of("AS15169 Google LLC"), Some(15169));
/// assert_eq!(asn_of("AS4766"), Some(4766));
/// assert_eq!(asn_of("Google LLC"), None);
/// ```
pub fn asn_of(org: &str) -> Option<u32> {
    let digits = org.strip_prefix("AS")?;
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_data_nothing_is_looked_up() {
        let mut labels = Labels::new(HopData::default());
        assert_eq!(labels.of("8.8.8.8".parse().unwrap()), Label::default());
        assert_eq!(labels.lookups(), 0);
    }

    #[test]
    fn an_empty_set_is_no_data() {
        assert!(!HopData::new(Databases::empty()).is_present());
    }

    #[test]
    fn asn_needs_the_prefix_and_digits() {
        assert_eq!(asn_of("AS"), None);
        assert_eq!(asn_of("ASx 1"), None);
        assert_eq!(asn_of("AS4294967296 Too Big"), None);
    }
}
