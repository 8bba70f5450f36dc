//! The time zone at a latitude and longitude, for databases that have none
//! (DB-IP Lite, ip-location-db's city files): the offline finder of the
//! `tzf-rs` crate over its bundled time-zone boundaries (lite edition).
//!
//! Its `EmbeddedFinder` reads the bundled data in place, so the first
//! answer costs milliseconds (a `DefaultFinder` would expand every polygon
//! first); it is built once, on first use. A bulk run asks for the same
//! place's zone again and again (the DB-IP city file's 134,000 distinct
//! records for a million random addresses sit at 86,000 distinct
//! coordinates), so [`ZoneMemo`] keeps each answer by the coordinates'
//! exact bits: the same input, the same answer, one finder walk.

use std::sync::LazyLock;

use rustc_hash::FxHashMap;

static FINDER: LazyLock<tzf_rs::EmbeddedFinder> = LazyLock::new(tzf_rs::EmbeddedFinder::new);

/// The IANA time zone at (`lat`, `lon`), e.g. `Asia/Seoul`; None off the
/// map (out-of-range coordinates) or where the finder has no name.
///
/// # Examples
/// ```
/// assert_eq!(ipkit::info::zone::zone_at(37.5665, 126.978).as_deref(), Some("Asia/Seoul"));
/// ```
pub fn zone_at(lat: f64, lon: f64) -> Option<String> {
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return None;
    }
    let name = FINDER.get_tz_name(lon, lat);
    (!name.is_empty()).then(|| name.to_string())
}

/// Zones already found, by the exact bits of (`lat`, `lon`); or, where the
/// output shows no time zone (`--summarize`, `--field` of another field),
/// none derived at all ([`ZoneMemo::not_needed`]), so the finder's data is
/// never loaded.
pub(crate) struct ZoneMemo {
    found: FxHashMap<(u64, u64), Option<Box<str>>>,
    derive: bool,
}

impl Default for ZoneMemo {
    fn default() -> Self {
        ZoneMemo {
            found: FxHashMap::default(),
            derive: true,
        }
    }
}

/// Coordinates kept before the memo starts afresh.
const MEMO_MAX: usize = 1 << 20;

impl ZoneMemo {
    /// Derive no zone: the output has no use for it.
    pub(crate) fn not_needed() -> ZoneMemo {
        ZoneMemo {
            derive: false,
            ..ZoneMemo::default()
        }
    }

    /// [`zone_at`], asked once per distinct coordinates.
    pub(crate) fn zone_at(&mut self, lat: f64, lon: f64) -> Option<String> {
        if !self.derive {
            return None;
        }
        if self.found.len() >= MEMO_MAX {
            self.found.clear();
        }
        self.found
            .entry((lat.to_bits(), lon.to_bits()))
            .or_insert_with(|| zone_at(lat, lon).map(String::into_boxed_str))
            .as_deref()
            .map(str::to_string)
    }
}
