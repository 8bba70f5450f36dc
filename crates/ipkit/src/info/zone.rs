//! The time zone at a latitude and longitude, for databases that have none
//! (DB-IP Lite, ip-location-db's city files): the offline finder of the
//! `tzf-rs` crate over its bundled time-zone boundaries (lite edition),
//! the source of truth for every derived zone.
//!
//! Its `EmbeddedFinder` reads the bundled data in place, but opening it
//! checks all 4 MB of it (a CRC32 and structure checks): ~27 M
//! instructions, several milliseconds, far more than the rest of a single
//! lookup. So the answers it gives for a database's places are kept on
//! disk ([`cache`], `~/.cache/ipkit/zones-v1.bin`): a single `ipkit info`
//! looks its place up there first and opens the finder only on a miss.
//! The first lookup that misses for a database it has not seen
//! ([`ZoneMemo::filling`]) walks that database's records once (~1.6 s for
//! DB-IP Lite's IPv4 city file, 420,000 places) and writes the answers for
//! all of them; a cache that cannot be read, checked or written only
//! means the finder answers, as before.
//!
//! A bulk run asks for the same place's zone again and again (the DB-IP
//! city file's 134,000 distinct records for a million random addresses
//! sit at 86,000 distinct coordinates), so [`ZoneMemo`] keeps each answer
//! by the coordinates' exact bits: the same input, the same answer, one
//! finder walk. After [`CONSULT_MAX`] cache reads in one process the
//! finder is the cheaper way and answers the rest.

pub mod cache;
mod crc32;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use rustc_hash::FxHashMap;

use cache::{Fill, Key, ZoneCache};

use super::Databases;

static FINDER: OnceLock<tzf_rs::EmbeddedFinder> = OnceLock::new();

/// The cache file, opened at most once per process.
static CACHE: OnceLock<Option<ZoneCache>> = OnceLock::new();

/// Cache reads made by this process.
static CONSULTS: AtomicUsize = AtomicUsize::new(0);

/// Cache reads (one 9 KB block each, a few microseconds) a process makes
/// before it opens the finder instead (milliseconds once, then well under
/// a microsecond per answer).
pub const CONSULT_MAX: usize = 256;

/// Where the zone cache lives: `zones-v1.bin` in [`super::dirs::cache_dir`].
pub fn cache_path() -> Option<PathBuf> {
    super::dirs::cache_dir().map(|d| d.join(cache::FILE_NAME))
}

fn in_range(lat: f64, lon: f64) -> bool {
    (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)
}

/// The IANA time zone at (`lat`, `lon`), e.g. `Asia/Seoul`; None off the
/// map (out-of-range coordinates) or where the finder has no name. From
/// the zone cache where it holds the place, else from the finder: the same
/// answer either way.
///
/// # Examples
/// ```
/// assert_eq!(ipkit::info::zone::zone_at(37.5665, 126.978).as_deref(), Some("Asia/Seoul"));
/// ```
pub fn zone_at(lat: f64, lon: f64) -> Option<String> {
    match cached(lat, lon) {
        Some(zone) => zone,
        None => finder_zone_at(lat, lon),
    }
}

/// [`zone_at`] from the finder alone (opened on first use), never the
/// cache: the source of truth the cache is filled from.
pub fn finder_zone_at(lat: f64, lon: f64) -> Option<String> {
    if !in_range(lat, lon) {
        return None;
    }
    let name = FINDER
        .get_or_init(tzf_rs::EmbeddedFinder::new)
        .get_tz_name(lon, lat);
    (!name.is_empty()).then(|| name.to_string())
}

/// The cache's answer: `Some(zone)` when it holds the place (or the place
/// is off the map), None when the finder must answer (not held, no
/// cache, the finder open already, or this process's reads used up).
fn cached(lat: f64, lon: f64) -> Option<Option<String>> {
    if !in_range(lat, lon) {
        return Some(None);
    }
    if FINDER.get().is_some() || CONSULTS.fetch_add(1, Ordering::Relaxed) >= CONSULT_MAX {
        return None;
    }
    let cache = opened_cache()?;
    cache
        .get((lat.to_bits(), lon.to_bits()))
        .map(|z| z.map(str::to_string))
}

fn opened_cache() -> Option<&'static ZoneCache> {
    CACHE
        .get_or_init(|| cache_path().and_then(|p| ZoneCache::open(&p)))
        .as_ref()
}

/// What [`fill`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filled {
    /// Databases walked (city databases the cache did not cover yet).
    pub databases: usize,
    /// Distinct places found in them, each given the finder's zone.
    pub places: usize,
    /// Whether the cache file was written.
    pub written: bool,
}

/// Walk the city databases of `dbs` that the cache at `path` does not
/// cover yet (all of them when it is missing, damaged or for other tzf
/// data), give each distinct place without a zone of its own the finder's
/// zone, and write the answers, merged with the cache's, to `path`.
/// Nothing is walked when `path`'s directory cannot be written (the walk
/// would be lost); `ipkit info --update` can call this for the files it
/// installs, so that no later lookup pays for the walk.
pub fn fill(dbs: &Databases, path: &std::path::Path) -> Filled {
    fill_answers(dbs, path, ZoneCache::open(path).as_ref(), &mut |_| {}).0
}

/// What a lookup that fills the zone cache says while it does (the walk
/// takes seconds on a real city database): see
/// [`crate::info::report::report_observed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneFillEvent {
    /// The walk of `databases` city databases' places begins.
    Started {
        /// City databases to walk.
        databases: usize,
    },
    /// The walk is over.
    Finished(Filled),
}

/// Called with each [`ZoneFillEvent`] of a filling lookup.
pub type ZoneFillObserver = Box<dyn FnMut(ZoneFillEvent) + Send>;

/// [`fill`] over the cache `old` (already opened from `path`), with the
/// answers it found; `observe` hears when a walk starts and ends.
fn fill_answers(
    dbs: &Databases,
    path: &std::path::Path,
    old: Option<&ZoneCache>,
    observe: &mut dyn FnMut(ZoneFillEvent),
) -> (Filled, Vec<(Key, Option<String>)>) {
    let mut filled = Filled {
        databases: 0,
        places: 0,
        written: false,
    };
    let fresh = old.is_none_or(ZoneCache::damaged);
    let todo: Vec<_> = dbs
        .city_readers()
        .filter(|r| fresh || !old.is_some_and(|c| c.covers(cache::identity(r))))
        .collect();
    if todo.is_empty() || !writable(path) {
        return (filled, Vec::new());
    }
    observe(ZoneFillEvent::Started {
        databases: todo.len(),
    });
    let mut keys = Vec::new();
    for reader in &todo {
        cache::places(reader, &mut keys);
    }
    keys.sort_unstable();
    keys.dedup();
    let answers: Vec<(Key, Option<String>)> = keys
        .into_iter()
        .map(|k| (k, finder_zone_at(f64::from_bits(k.0), f64::from_bits(k.1))))
        .collect();
    filled.databases = todo.len();
    filled.places = answers.len();
    let fill = Fill {
        answers: answers.clone(),
        covered: todo.iter().map(|r| cache::identity(r)).collect(),
    };
    filled.written = cache::write(path, old, fill).is_ok();
    observe(ZoneFillEvent::Finished(filled.clone()));
    (filled, answers)
}

/// Whether a file can be made in `path`'s directory (made if missing).
fn writable(path: &std::path::Path) -> bool {
    let Some(dir) = path.parent() else {
        return false;
    };
    std::fs::create_dir_all(dir).is_ok()
        && tempfile::Builder::new()
            .prefix(".zones-")
            .tempfile_in(dir)
            .is_ok()
}

/// Zones already found, by the exact bits of (`lat`, `lon`); or, where the
/// output shows no time zone (`--summarize`, `--field` of another field),
/// none derived at all ([`ZoneMemo::not_needed`]), so the finder's data is
/// never loaded.
pub(crate) struct ZoneMemo {
    found: FxHashMap<(u64, u64), Option<Box<str>>>,
    derive: bool,
    /// On a cache miss, fill the cache from the databases (once).
    fill: bool,
    /// Hears the fill's start and end.
    observe: ZoneFillObserver,
}

impl Default for ZoneMemo {
    fn default() -> Self {
        ZoneMemo {
            found: FxHashMap::default(),
            derive: true,
            fill: false,
            observe: Box::new(|_| {}),
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

    /// For a few lookups (`ipkit info ADDRESS...`): the first place the
    /// zone cache misses fills it from the databases ([`fill`]), so the
    /// next process finds every place of theirs there; `observe` hears
    /// when that walk starts and ends.
    pub(crate) fn filling(observe: ZoneFillObserver) -> ZoneMemo {
        ZoneMemo {
            fill: true,
            observe,
            ..ZoneMemo::default()
        }
    }

    /// [`zone_at`], asked once per distinct coordinates; `dbs` are the
    /// databases the coordinates came from (walked by a filling memo; none:
    /// nothing to fill from).
    pub(crate) fn zone_at(
        &mut self,
        lat: f64,
        lon: f64,
        dbs: Option<&Databases>,
    ) -> Option<String> {
        if !self.derive {
            return None;
        }
        if self.found.len() >= MEMO_MAX {
            self.found.clear();
        }
        let key = (lat.to_bits(), lon.to_bits());
        if let Some(known) = self.found.get(&key) {
            return known.as_deref().map(str::to_string);
        }
        let zone = match cached(lat, lon) {
            Some(zone) => zone,
            None if self.fill && dbs.is_some() => {
                self.fill = false;
                if let (Some(path), Some(dbs)) = (cache_path(), dbs) {
                    let (_, answers) = fill_answers(dbs, &path, opened_cache(), &mut self.observe);
                    for (k, z) in answers.into_iter().take(MEMO_MAX - 1) {
                        self.found.insert(k, z.map(String::into_boxed_str));
                    }
                }
                match self.found.get(&key) {
                    Some(z) => z.as_deref().map(str::to_string),
                    None => finder_zone_at(lat, lon),
                }
            }
            None => finder_zone_at(lat, lon),
        };
        self.found.insert(key, zone.as_deref().map(Box::from));
        zone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_keyed_by_the_data_tzf_rs_reads() {
        // tzf-dist's header names its release at bytes 24..40; the finder
        // says which release it read. The same: the identity the cache
        // files carry is the finder's data's.
        let data = tzf_dist::load_lite_tzb();
        let version = &data[24..40];
        let end = version.iter().position(|&b| b == 0).unwrap_or(16);
        let finder = tzf_rs::EmbeddedFinder::new();
        assert_eq!(
            std::str::from_utf8(&version[..end]).unwrap(),
            finder.data_version()
        );
    }

    #[test]
    fn off_the_map_is_no_zone_either_way() {
        for (lat, lon) in [(91.0, 0.0), (0.0, 180.5), (f64::NAN, 0.0)] {
            assert_eq!(zone_at(lat, lon), None);
            assert_eq!(finder_zone_at(lat, lon), None);
        }
    }
}
