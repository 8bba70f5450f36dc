//! The opened databases ([`Databases`]): MaxMind-format files read with the
//! `maxminddb` crate, memory-mapped, and ip-location-db's ASN CSV ranges,
//! each recognised from the file itself (the metadata's `database_type` and
//! a sample record's shape, see [`super::layout`]).
//!
//! A lookup asks every database in the order given and keeps the first
//! answer for each field, so `--db city.mmdb --db asn.csv` joins city and
//! ASN. Bogons are answered without data. [`Databases::keyed`] gives the
//! record offsets of a lookup, so a bulk run decodes each distinct record
//! once.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use maxminddb::{MaxMindDbError, Mmap, Reader};
use serde::Serialize;

use super::asn_csv::AsnTable;
use super::layout::{Fields, Kind, Layout, Record, kind_of, layout_by_type};
use super::record::IpInfo;
use super::zone::ZoneMemo;

/// The marker before a MaxMind database's metadata section.
const METADATA_MARKER: &[u8] = b"\xAB\xCD\xEFMaxMind.com";

/// What was opened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Source {
    /// The file.
    pub path: PathBuf,
    /// What it answers.
    pub kind: Kind,
    /// Whose layout.
    pub layout: Layout,
    /// The metadata's `database_type` (`"asn-csv"` for a CSV).
    pub database_type: String,
    /// When it was built (Unix seconds), from the metadata; None for a CSV.
    pub build_epoch: Option<u64>,
    /// The metadata's `ip_version` (4 or 6); None for a CSV.
    pub ip_version: Option<u16>,
}

/// Why a database cannot be used: one line each.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file is not there.
    #[error("{}: no such database", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// The file cannot be read.
    #[error("{}: cannot read the database", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Neither a MaxMind database (no metadata section: truncated?) nor an ASN CSV.
    #[error("{}: not a MaxMind database (no metadata section: truncated?) nor an ASN CSV", path.display())]
    NotADatabase {
        /// The file.
        path: PathBuf,
    },
    /// A MaxMind database the reader refuses, or whose records cannot be decoded.
    #[error("{}: corrupt or truncated database ({why})", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The reader's words.
        why: String,
    },
    /// A MaxMind database whose records have none of the fields ipkit knows.
    #[error("{}: unknown database layout (type {database_type:?}: no city, country or ASN fields)", path.display())]
    UnknownLayout {
        /// The file.
        path: PathBuf,
        /// Its `database_type`.
        database_type: String,
    },
    /// An ASN CSV with a line that is not a range.
    #[error("{}: not an ASN CSV (start,end,asn,org): {source}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// Which line, and why.
        #[source]
        source: super::asn_csv::CsvError,
    },
}

/// One MaxMind-format database.
struct Mmdb {
    reader: Reader<Mmap>,
    path: PathBuf,
}

/// One database of either format.
enum Db {
    Mmdb(Mmdb),
    AsnCsv(AsnTable),
}

/// The opened databases (city/country layout + ASN), shareable (Send +
/// Sync, cheap `&self` lookups).
pub struct Databases {
    dbs: Vec<Db>,
    sources: Vec<Source>,
}

impl std::fmt::Debug for Databases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Databases")
            .field("sources", &self.sources)
            .finish()
    }
}

/// The record of each database for one address: `u32::MAX` where a
/// database has none. Equal keys give equal answers (bogons aside).
pub type RecordKey = [u32; MAX_KEYED];

/// How many databases [`Databases::keyed`] can key (more are looked up
/// without the record cache).
pub const MAX_KEYED: usize = 4;

impl Databases {
    /// Open each file, recognising its kind from its contents.
    pub fn open(paths: &[PathBuf]) -> Result<Databases, DataError> {
        let mut dbs = Vec::with_capacity(paths.len());
        let mut sources = Vec::with_capacity(paths.len());
        for path in paths {
            let (db, source) = open_one(path)?;
            dbs.push(db);
            sources.push(source);
        }
        Ok(Databases { dbs, sources })
    }

    /// No data: bogons still answer.
    pub fn empty() -> Databases {
        Databases {
            dbs: Vec::new(),
            sources: Vec::new(),
        }
    }

    /// Whether no database is open.
    pub fn is_empty(&self) -> bool {
        self.dbs.is_empty()
    }

    /// What was opened.
    pub fn sources(&self) -> Vec<Source> {
        self.sources.clone()
    }

    /// Everything the data says of `ip` (no hostname); a bogon is answered
    /// without data. A record that cannot be decoded is left out.
    pub fn lookup(&self, ip: IpAddr) -> IpInfo {
        self.try_lookup(ip).unwrap_or_else(|_| IpInfo::new(ip))
    }

    /// As [`Databases::lookup`], but a record that cannot be decoded
    /// (a corrupt database) is an error.
    pub fn try_lookup(&self, ip: IpAddr) -> Result<IpInfo, DataError> {
        self.try_lookup_with(ip, &mut ZoneMemo::default())
    }

    /// As [`Databases::try_lookup`], with derived time zones kept in `zones`.
    pub(crate) fn try_lookup_with(
        &self,
        ip: IpAddr,
        zones: &mut ZoneMemo,
    ) -> Result<IpInfo, DataError> {
        if super::bogon::is_bogon(ip) {
            let mut info = IpInfo::new(ip);
            info.bogon = Some(true);
            return Ok(info);
        }
        let mut fields = Fields::default();
        for db in &self.dbs {
            fields.fill_from(db.fields(ip)?);
        }
        Ok(to_info(ip, fields, zones, Some(self)))
    }

    /// The key of `ip`'s records (None when there are more databases than
    /// [`MAX_KEYED`]); bogons are not looked up and key as all-`u32::MAX`.
    /// A database lookup that fails keys as that database's `u32::MAX - 1`.
    pub fn keyed(&self, ip: IpAddr) -> Option<RecordKey> {
        if self.dbs.len() > MAX_KEYED {
            return None;
        }
        let mut key = [u32::MAX; MAX_KEYED];
        for (slot, db) in key.iter_mut().zip(&self.dbs) {
            *slot = match db {
                Db::Mmdb(m) => match m.reader.lookup(ip) {
                    Ok(hit) => hit
                        .offset()
                        .map_or(u32::MAX, |o| o.min(u32::MAX as usize - 2) as u32),
                    Err(_) => u32::MAX - 1,
                },
                Db::AsnCsv(t) => t.find(ip).unwrap_or(u32::MAX),
            };
        }
        Some(key)
    }
}

/// One database's record for an address, from one search-tree walk: its
/// key (equal keys, equal fields) and, when asked, its fields
/// ([`Databases::record`], for `--bulk`).
pub(crate) struct DbRecord<'a> {
    /// The record's key in its database: an mmdb's data offset, an ASN
    /// CSV's org index; None where the database has no record.
    pub key: Option<u32>,
    hit: Hit<'a>,
    /// For an IPv4 address: the first and last address that share this
    /// answer (the search tree's network, the CSV's range), when known.
    pub span: Option<(u32, u32)>,
}

enum Hit<'a> {
    Mmdb(&'a Mmdb, maxminddb::LookupResult<'a, Mmap>),
    Csv(&'a AsnTable),
}

impl DbRecord<'_> {
    /// The record's fields (decoded from the database: once per key).
    pub fn fields(&self) -> Result<Fields, DataError> {
        match &self.hit {
            Hit::Mmdb(m, hit) => Ok(hit
                .decode::<Record>()
                .map_err(|e| DataError::Corrupt {
                    path: m.path.clone(),
                    why: e.to_string(),
                })?
                .map(Record::fields)
                .unwrap_or_default()),
            Hit::Csv(t) => Ok(Fields {
                org: self.key.map(|i| t.org(i).to_string()),
                ..Fields::default()
            }),
        }
    }
}

impl Databases {
    /// How many databases are open.
    pub(crate) fn len(&self) -> usize {
        self.dbs.len()
    }

    /// How many distinct keys database `d` gives, when they are small
    /// indexes (an ASN CSV's orgs): a bulk run then keeps an array, not a
    /// hash.
    pub(crate) fn dense_keys(&self, d: usize) -> Option<usize> {
        match self.dbs.get(d)? {
            Db::AsnCsv(t) => Some(t.orgs()),
            Db::Mmdb(_) => None,
        }
    }

    /// Database `d`'s record for `ip` (one tree walk); a lookup the
    /// reader refuses is an error, as in [`Databases::try_lookup`].
    #[inline]
    pub(crate) fn record(&self, d: usize, ip: IpAddr) -> Result<DbRecord<'_>, DataError> {
        match &self.dbs[d] {
            Db::Mmdb(m) => {
                let hit = m.reader.lookup(ip).map_err(|e| DataError::Corrupt {
                    path: m.path.clone(),
                    why: e.to_string(),
                })?;
                // The network the walk ended in: its addresses share the
                // walk's end, so its answer (IPv4 networks only: an IPv4
                // address in an IPv6 tree without an IPv4 subtree has none).
                let span = match (ip, hit.network()) {
                    (IpAddr::V4(_), Ok(net)) => match (net.network(), net.prefix()) {
                        (IpAddr::V4(first), prefix) if prefix <= 32 => {
                            let first = u32::from(first);
                            let host = u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0);
                            Some((first, first | host))
                        }
                        _ => None,
                    },
                    _ => None,
                };
                Ok(DbRecord {
                    key: hit.offset().map(|o| o.min(u32::MAX as usize) as u32),
                    hit: Hit::Mmdb(m, hit),
                    span,
                })
            }
            Db::AsnCsv(t) => Ok(match ip {
                IpAddr::V4(a) => {
                    let found = t.find_v4_span(u32::from(a));
                    DbRecord {
                        key: found.map(|(org, _, _)| org),
                        hit: Hit::Csv(t),
                        span: found.map(|(_, first, last)| (first, last)),
                    }
                }
                IpAddr::V6(_) => DbRecord {
                    key: t.find(ip),
                    hit: Hit::Csv(t),
                    span: None,
                },
            }),
        }
    }

    /// The city databases' readers, for the zone cache's walk over their
    /// places ([`super::zone::fill`]).
    pub(crate) fn city_readers(&self) -> impl Iterator<Item = &Reader<Mmap>> {
        self.dbs
            .iter()
            .zip(&self.sources)
            .filter_map(|(db, source)| match db {
                Db::Mmdb(m) if source.kind == Kind::City => Some(&m.reader),
                _ => None,
            })
    }
}

impl Db {
    fn fields(&self, ip: IpAddr) -> Result<Fields, DataError> {
        match self {
            Db::Mmdb(m) => {
                let corrupt = |e: MaxMindDbError| DataError::Corrupt {
                    path: m.path.clone(),
                    why: e.to_string(),
                };
                let hit = m.reader.lookup(ip).map_err(corrupt)?;
                Ok(hit
                    .decode::<Record>()
                    .map_err(corrupt)?
                    .map(Record::fields)
                    .unwrap_or_default())
            }
            Db::AsnCsv(t) => Ok(Fields {
                org: t.lookup(ip).map(str::to_string),
                ..Fields::default()
            }),
        }
    }
}

/// The answer from `f`, its zone derived where the data has none (`dbs`:
/// the databases the fields came from, walked by a filling memo).
pub(crate) fn to_info(
    ip: IpAddr,
    f: Fields,
    zones: &mut ZoneMemo,
    dbs: Option<&Databases>,
) -> IpInfo {
    let timezone = f.timezone.or_else(|| {
        f.lat_lon
            .and_then(|(lat, lon)| zones.zone_at(lat, lon, dbs))
    });
    IpInfo {
        ip,
        hostname: None,
        bogon: None,
        city: f.city,
        region: f.region,
        country: f.country,
        loc: f
            .lat_lon
            .map(|(lat, lon)| format!("{},{}", Fixed4(lat), Fixed4(lon))),
        org: f.org,
        postal: f.postal,
        timezone,
    }
}

/// A coordinate with four decimals, as ipinfo writes `loc`: rounded half
/// away from zero at the fourth decimal, by integer arithmetic (std's
/// `{:.4}` takes its slow exact path for most doubles; a bulk run formats
/// every distinct record).
struct Fixed4(f64);

impl std::fmt::Display for Fixed4 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scaled = (self.0 * 10_000.0).round();
        if !scaled.is_finite() || scaled.abs() > 1e15 {
            return write!(f, "{:.4}", self.0);
        }
        let n = scaled as i64;
        let sign = if n < 0 { "-" } else { "" };
        let n = n.unsigned_abs();
        write!(f, "{sign}{}.{:04}", n / 10_000, n % 10_000)
    }
}

/// Open one database and check it: the metadata parses and a sample record
/// has fields ipkit knows. Used by `--update` before it replaces a file.
pub fn verify(path: &Path) -> Result<Source, DataError> {
    let (db, source) = open_one(path)?;
    if let Db::Mmdb(m) = &db {
        m.reader.verify().map_err(|e| DataError::Corrupt {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
    }
    Ok(source)
}

fn open_one(path: &Path) -> Result<(Db, Source), DataError> {
    let io = |source: std::io::Error| {
        if source.kind() == std::io::ErrorKind::NotFound {
            DataError::Missing {
                path: path.to_path_buf(),
            }
        } else {
            DataError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(DataError::NotADatabase {
            path: path.to_path_buf(),
        });
    }
    let is_mmdb_name = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("mmdb"));
    if !is_mmdb_name && let Some(table) = super::asn_cache::load(path, &meta) {
        return Ok(asn_csv_db(path, AsnTable { table }));
    }
    let map = map_file(&file).map_err(io)?;
    if memchr::memmem::rfind(&map, METADATA_MARKER).is_some() {
        return open_mmdb(path, map);
    }
    let Ok(text) = std::str::from_utf8(&map) else {
        return Err(DataError::NotADatabase {
            path: path.to_path_buf(),
        });
    };
    let looks_like_csv = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.matches(',').count() >= 3);
    if !looks_like_csv {
        return Err(DataError::NotADatabase {
            path: path.to_path_buf(),
        });
    }
    let ranges = super::asn_csv::parse_ranges(text).map_err(|source| DataError::Csv {
        path: path.to_path_buf(),
        source,
    })?;
    let table = super::asn_cache::Table::build(&ranges, &super::asn_cache::SourceId::of(&meta));
    super::asn_cache::store(path, &table);
    Ok(asn_csv_db(path, AsnTable { table }))
}

/// An ASN CSV's table as an opened database.
fn asn_csv_db(path: &Path, table: AsnTable) -> (Db, Source) {
    let source = Source {
        path: path.to_path_buf(),
        kind: Kind::Asn,
        layout: Layout::AsnCsv,
        database_type: "asn-csv".to_string(),
        build_epoch: None,
        ip_version: None,
    };
    (Db::AsnCsv(table), source)
}

fn open_mmdb(path: &Path, map: Mmap) -> Result<(Db, Source), DataError> {
    let corrupt = |e: MaxMindDbError| DataError::Corrupt {
        path: path.to_path_buf(),
        why: e.to_string(),
    };
    let reader = Reader::from_source(map).map_err(corrupt)?;
    let meta = reader.metadata();
    let database_type = meta.database_type.clone();
    // A sample record tells the layout and the kind.
    let mut sample = None;
    for hit in reader
        .networks(Default::default())
        .map_err(corrupt)?
        .take(64)
    {
        let hit = hit.map_err(corrupt)?;
        if let Some(record) = hit.decode::<Record>().map_err(corrupt)?
            && let Some(layout) = record.layout()
        {
            sample = Some((layout, record.fields()));
            break;
        }
    }
    let Some((shape, fields)) = sample else {
        return Err(DataError::UnknownLayout {
            path: path.to_path_buf(),
            database_type,
        });
    };
    let source = Source {
        path: path.to_path_buf(),
        kind: kind_of(&database_type, &fields),
        layout: layout_by_type(&database_type).unwrap_or(shape),
        build_epoch: Some(meta.build_epoch),
        ip_version: Some(meta.ip_version),
        database_type,
    };
    let db = Db::Mmdb(Mmdb {
        reader,
        path: path.to_path_buf(),
    });
    Ok((db, source))
}

/// Map a database file into memory.
///
/// Mapping is `unsafe` because another process could change the file under
/// the map. ipkit itself never writes a database in place (`--update`
/// writes a new file and renames it over the old one, so a mapped old file
/// stays whole); the reader checks every offset it follows, so a file
/// truncated under the map reads as corrupt or faults, as the `maxminddb`
/// crate documents for its own `open_mmap`.
#[allow(unsafe_code)]
pub(crate) fn map_file(file: &std::fs::File) -> std::io::Result<Mmap> {
    // SAFETY: see above: ipkit never modifies a database in place.
    unsafe { Mmap::map(file) }
}

#[cfg(test)]
mod tests {
    use super::Fixed4;

    #[test]
    fn four_decimals_as_ipinfo_writes_them() {
        for (x, want) in [
            (37.5665, "37.5665"),
            (126.978, "126.9780"),
            (-122.08499908447266, "-122.0850"),
            (48.85341, "48.8534"),
            (-0.00004, "0.0000"),
            (-0.00006, "-0.0001"),
            (0.0, "0.0000"),
            (-33.8688, "-33.8688"),
        ] {
            assert_eq!(Fixed4(x).to_string(), want, "{x}");
        }
    }
}
