//! The IP information a trace labels its responders with (mtr's `-z`,
//! trippy's AS column, traceroute's `-A`): each responder's autonomous
//! system, its holder (ipinfo's `org`, `AS15169 Google LLC`) and its
//! country, from the databases `ipkit info` reads ([`crate::info`]).
//!
//! Every responder is looked up once per trace ([`Labels`] keeps the
//! answers), and data that is only named ([`HopData::lazy`]) is opened on
//! the first lookup; bogons (private, loopback, documentation … addresses, as
//! ipinfo defines them: [`crate::info::bogon`]) are never looked up, as
//! ipinfo answers them with `bogon: true` and nothing else.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use crate::info::{Databases, bogon};

/// The databases a trace reads its responders' information from; none
/// (the default) leaves every responder's `asn`, `org` and `country` null.
///
/// The data may be opened already ([`HopData::new`], for `--db`, whose
/// error the user must see before the trace) or only named
/// ([`HopData::lazy`], the default data): then it is opened on the first
/// responder that is looked up (not a bogon), so a trace that never needs
/// it (a loopback trace, a view without labels) never reads it. An ASN CSV
/// costs a few hundred milliseconds to load.
#[derive(Clone, Default)]
pub struct HopData(Option<Arc<Data>>);

/// Opened, or named and opened on first use.
struct Data {
    /// The files to open on first use (none when opened already).
    paths: Vec<PathBuf>,
    /// The opened set, or why it would not open (one line).
    opened: OnceLock<Result<Databases, String>>,
}

impl HopData {
    /// Label responders from `dbs` (an empty set labels nothing).
    pub fn new(dbs: Databases) -> HopData {
        HopData((!dbs.is_empty()).then(|| {
            Arc::new(Data {
                paths: Vec::new(),
                opened: OnceLock::from(Ok(dbs)),
            })
        }))
    }

    /// Label responders from the databases in `paths`, opened only when
    /// the first responder is looked up; none (an empty list) labels
    /// nothing. Files that will not open leave the responders unlabelled
    /// and [`HopData::open_error`] says why.
    pub fn lazy(paths: Vec<PathBuf>) -> HopData {
        HopData((!paths.is_empty()).then(|| {
            Arc::new(Data {
                paths,
                opened: OnceLock::new(),
            })
        }))
    }

    /// Whether there is data to label from (opened or still to open).
    pub fn is_present(&self) -> bool {
        self.0.is_some()
    }

    /// The databases, opened now if they were only named; None without
    /// data or when they would not open.
    pub fn databases(&self) -> Option<&Databases> {
        let data = self.0.as_deref()?;
        data.opened
            .get_or_init(|| Databases::open(&data.paths).map_err(|e| crate::error_chain(&e)))
            .as_ref()
            .ok()
    }

    /// Whether the data has been opened (or tried): false for a trace that
    /// looked nothing up.
    pub fn was_opened(&self) -> bool {
        self.0.as_deref().is_some_and(|d| d.opened.get().is_some())
    }

    /// Why the data named would not open, once a lookup tried (one line).
    pub fn open_error(&self) -> Option<&str> {
        match self.0.as_deref()?.opened.get()? {
            Err(why) => Some(why),
            Ok(_) => None,
        }
    }
}

impl std::fmt::Debug for HopData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_deref() {
            None => f.write_str("HopData(None)"),
            Some(d) => match d.opened.get() {
                Some(Ok(dbs)) => write!(f, "HopData({dbs:?})"),
                Some(Err(why)) => write!(f, "HopData(Err({why:?}))"),
                None => write!(f, "HopData(lazy {:?})", d.paths),
            },
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
        if !self.data.is_present() || bogon::is_bogon(ip) {
            return Label::default();
        }
        if let Some(known) = self.known.get(&ip) {
            return known.clone();
        }
        // The first responder looked up opens named data.
        let Some(dbs) = self.data.databases() else {
            return Label::default();
        };
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
    fn named_data_is_opened_on_the_first_lookup_not_before() {
        let missing = std::env::temp_dir().join("ipkit-no-such-database.mmdb");
        let data = HopData::lazy(vec![missing]);
        assert!(data.is_present() && !data.was_opened());
        let mut labels = Labels::new(data.clone());
        // A bogon is not looked up: the data stays closed.
        assert_eq!(labels.of("127.0.0.1".parse().unwrap()), Label::default());
        assert!(!data.was_opened() && data.open_error().is_none());
        // A global address opens it; it will not open: unlabelled, and why.
        assert_eq!(labels.of("8.8.8.8".parse().unwrap()), Label::default());
        assert!(data.was_opened());
        assert!(data.open_error().unwrap().contains("no such database"));
        assert_eq!(labels.lookups(), 0);
        assert!(!HopData::lazy(Vec::new()).is_present());
    }

    #[test]
    fn asn_needs_the_prefix_and_digits() {
        assert_eq!(asn_of("AS"), None);
        assert_eq!(asn_of("ASx 1"), None);
        assert_eq!(asn_of("AS4294967296 Too Big"), None);
    }
}
