//! The time zone at a latitude and longitude, for databases that have none
//! (DB-IP Lite, ip-location-db's city files): the offline finder of the
//! `tzf-rs` crate over its bundled time-zone boundaries (lite edition).
//!
//! Its `EmbeddedFinder` reads the bundled data in place, so the first
//! answer costs milliseconds (a `DefaultFinder` would expand every polygon
//! first); it is built once, on first use.

use std::sync::LazyLock;

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
