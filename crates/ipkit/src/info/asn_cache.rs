//! The ASN CSV's ranges as a compact binary table ([`Table`]), and the
//! cache file that keeps it between runs.
//!
//! Parsing ip-location-db's 412,000-line `asn-ipv4.csv` costs ~0.2 s of CPU
//! (734 M instructions, callgrind) on every start; the same table mapped
//! from a cache file costs a CRC over ~6 MB and a few checks. The cache is
//! written beside the CSV (`.NAME.ipkit-asn`, hidden, so the data
//! directory's listing never picks it up) or, where that directory is not
//! writable, in the per-user cache directory (`$XDG_CACHE_HOME/ipkit` or
//! `~/.cache/ipkit`, [`super::dirs::cache_dir`]) as
//! `asn-<hash of the CSV's path>.bin`.
//!
//! A cache file is never trusted blindly: it must have the magic and the
//! version, name the CSV it was built from by size, modification time,
//! inode and device, have exactly the length its counts say, match its
//! CRC-32, and hold sorted ranges whose org indexes are in range. Anything
//! else and it is ignored: the CSV is parsed and the cache written anew
//! (atomically: a temporary file in the same directory, then a rename, so a
//! reader never maps a half-written table). Failing to write a cache is not
//! an error; the run goes on with the parsed table.
//!
//! The layout (little-endian; header 96 bytes, then the sections in this
//! order): `v4_start[n4] u32`, `v4_end[n4] u32`, `v4_org[n4] u32`,
//! `v4_index[65537] u32` (the first range starting in each /16),
//! `v6_start[n6] u128`, `v6_end[n6] u128`, `v6_org[n6] u32`,
//! `org_ends[n_orgs] u32` (where each org's text ends in the last section),
//! `org_text`. A table built from the CSV in memory has the same bytes, so
//! one lookup code reads both.

use std::fs::{File, Metadata};
use std::io::Write;
use std::path::{Path, PathBuf};

use maxminddb::Mmap;

use super::asn_csv::Ranges;

const MAGIC: &[u8; 8] = b"IPKITASN";
const VERSION: u32 = 1;
const HEADER: usize = 96;
/// Entries of the /16 index.
const INDEX: usize = (1 << 16) + 1;

/// Which CSV a table was built from: a cache is used only for the same.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SourceId {
    len: u64,
    mtime_s: i64,
    mtime_ns: u32,
    ino: u64,
    dev: u64,
}

impl SourceId {
    /// The identity of the file `meta` describes.
    pub(crate) fn of(meta: &Metadata) -> SourceId {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            SourceId {
                len: meta.len(),
                mtime_s: meta.mtime(),
                mtime_ns: meta.mtime_nsec() as u32,
                ino: meta.ino(),
                dev: meta.dev(),
            }
        }
        #[cfg(not(unix))]
        {
            let since = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .unwrap_or_default();
            SourceId {
                len: meta.len(),
                mtime_s: since.as_secs() as i64,
                mtime_ns: since.subsec_nanos(),
                ino: 0,
                dev: 0,
            }
        }
    }
}

enum Store {
    Owned(Vec<u8>),
    Mapped(Mmap),
}

impl Store {
    fn bytes(&self) -> &[u8] {
        match self {
            Store::Owned(v) => v,
            Store::Mapped(m) => m,
        }
    }
}

/// The ranges in the binary layout (see the module doc), in memory or mapped.
pub(crate) struct Table {
    store: Store,
    n4: usize,
    n6: usize,
    n_orgs: usize,
    v4_start: usize,
    v4_end: usize,
    v4_org: usize,
    v4_index: usize,
    v6_start: usize,
    v6_end: usize,
    v6_org: usize,
    org_ends: usize,
    org_text: usize,
}

/// Section offsets for the counts, and the whole length; None on overflow.
fn layout(n4: u64, n6: u64, n_orgs: u64, text: u64) -> Option<[usize; 10]> {
    let n4 = usize::try_from(n4).ok()?;
    let n6 = usize::try_from(n6).ok()?;
    let n_orgs = usize::try_from(n_orgs).ok()?;
    let text = usize::try_from(text).ok()?;
    let mut at = HEADER;
    let mut out = [0; 10];
    for (i, size) in [
        n4.checked_mul(4)?,
        n4.checked_mul(4)?,
        n4.checked_mul(4)?,
        INDEX * 4,
        n6.checked_mul(16)?,
        n6.checked_mul(16)?,
        n6.checked_mul(4)?,
        n_orgs.checked_mul(4)?,
        text,
    ]
    .into_iter()
    .enumerate()
    {
        out[i] = at;
        at = at.checked_add(size)?;
    }
    out[9] = at;
    Some(out)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .map_or(0, |s| u64::from_le_bytes(s.try_into().unwrap_or_default()))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map_or(0, |s| u32::from_le_bytes(s.try_into().unwrap_or_default()))
}

/// The `n` little-endian u32s at `at` (fewer where `b` ends first: the
/// caller has checked the layout's length).
fn words(b: &[u8], at: usize, n: usize) -> impl Iterator<Item = u32> + '_ {
    let end = at.saturating_add(n.saturating_mul(4)).min(b.len());
    b.get(at..end)
        .unwrap_or_default()
        .chunks_exact(4)
        .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
}

/// Whether `words` never decrease, and the last of them (0 for none).
fn ascending_last(words: impl Iterator<Item = u32>) -> (bool, u32) {
    words.fold((true, 0), |(sorted, prev), w| (sorted & (w >= prev), w))
}

impl Table {
    /// Lay `ranges` out as bytes, naming `source`.
    pub(crate) fn build(ranges: &Ranges, source: &SourceId) -> Table {
        let text: usize = ranges.orgs.iter().map(|o| o.len()).sum();
        let offsets = layout(
            ranges.v4.len() as u64,
            ranges.v6.len() as u64,
            ranges.orgs.len() as u64,
            text as u64,
        )
        .unwrap_or_default();
        let mut b = Vec::with_capacity(offsets[9]);
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&VERSION.to_le_bytes());
        b.extend_from_slice(&(HEADER as u32).to_le_bytes());
        b.extend_from_slice(&source.len.to_le_bytes());
        b.extend_from_slice(&source.mtime_s.to_le_bytes());
        b.extend_from_slice(&source.mtime_ns.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes()); // the CRC, set below
        b.extend_from_slice(&source.ino.to_le_bytes());
        b.extend_from_slice(&source.dev.to_le_bytes());
        for n in [ranges.v4.len(), ranges.v6.len(), ranges.orgs.len(), text, 0] {
            b.extend_from_slice(&(n as u64).to_le_bytes());
        }
        debug_assert_eq!(b.len(), HEADER);
        for r in &ranges.v4 {
            b.extend_from_slice(&r.0.to_le_bytes());
        }
        for r in &ranges.v4 {
            b.extend_from_slice(&r.1.to_le_bytes());
        }
        for r in &ranges.v4 {
            b.extend_from_slice(&r.2.to_le_bytes());
        }
        for h in 0..INDEX as u64 {
            let at = h << 16;
            let first = ranges.v4.partition_point(|r| u64::from(r.0) < at) as u32;
            b.extend_from_slice(&first.to_le_bytes());
        }
        for r in &ranges.v6 {
            b.extend_from_slice(&r.0.to_le_bytes());
        }
        for r in &ranges.v6 {
            b.extend_from_slice(&r.1.to_le_bytes());
        }
        for r in &ranges.v6 {
            b.extend_from_slice(&r.2.to_le_bytes());
        }
        let mut end = 0u32;
        for o in &ranges.orgs {
            end += o.len() as u32;
            b.extend_from_slice(&end.to_le_bytes());
        }
        for o in &ranges.orgs {
            b.extend_from_slice(o.as_bytes());
        }
        let crc = crc32fast::hash(&b[HEADER..]);
        b[36..40].copy_from_slice(&crc.to_le_bytes());
        Table::check(Store::Owned(b), None).unwrap_or_else(|_| Table::empty())
    }

    fn empty() -> Table {
        Table::build(&Ranges::default(), &SourceId::default())
    }

    /// The table in `store` if it is whole and (when given) built from
    /// `source`; else why not.
    fn check(store: Store, source: Option<&SourceId>) -> Result<Table, &'static str> {
        let b = store.bytes();
        if b.len() < HEADER || &b[..8] != MAGIC {
            return Err("no magic");
        }
        if u32_at(b, 8) != VERSION || u32_at(b, 12) != HEADER as u32 || u64_at(b, 88) != 0 {
            return Err("another version");
        }
        let id = SourceId {
            len: u64_at(b, 16),
            mtime_s: u64_at(b, 24) as i64,
            mtime_ns: u32_at(b, 32),
            ino: u64_at(b, 40),
            dev: u64_at(b, 48),
        };
        if source.is_some_and(|s| *s != id) {
            return Err("built from another file");
        }
        let (n4, n6, n_orgs, text) = (u64_at(b, 56), u64_at(b, 64), u64_at(b, 72), u64_at(b, 80));
        let Some(o) = layout(n4, n6, n_orgs, text) else {
            return Err("counts overflow");
        };
        if o[9] != b.len() {
            return Err("wrong length");
        }
        if crc32fast::hash(&b[HEADER..]) != u32_at(b, 36) {
            return Err("wrong CRC");
        }
        let t = Table {
            n4: n4 as usize,
            n6: n6 as usize,
            n_orgs: n_orgs as usize,
            v4_start: o[0],
            v4_end: o[1],
            v4_org: o[2],
            v4_index: o[3],
            v6_start: o[4],
            v6_end: o[5],
            v6_org: o[6],
            org_ends: o[7],
            org_text: o[8],
            store,
        };
        t.check_contents()?;
        Ok(t)
    }

    /// Sorted starts, an index that points into the ranges, org indexes
    /// and ends in range: what the lookups rely on. Each section in one
    /// pass with no early exit, which the compiler turns into vector code:
    /// a single lookup checks every one of the CSV's 550,000 ranges.
    fn check_contents(&self) -> Result<(), &'static str> {
        let b = self.store.bytes();
        let (n4, n6, orgs) = (self.n4, self.n6, self.n_orgs);
        let (sorted, _) = ascending_last(words(b, self.v4_start, n4));
        if !sorted {
            return Err("unsorted IPv4 ranges");
        }
        let in_range = |max: Option<u32>| max.is_none_or(|m| (m as usize) < orgs);
        if !in_range(words(b, self.v4_org, n4).max()) {
            return Err("org index out of range");
        }
        let (sorted, last) = ascending_last(words(b, self.v4_index, INDEX));
        if !sorted || last as usize > n4 {
            return Err("bad /16 index");
        }
        let mut prev = 0;
        for i in 0..n6 {
            let s = self.v6_start_at(i);
            if s < prev {
                return Err("unsorted IPv6 ranges");
            }
            prev = s;
        }
        if !in_range(words(b, self.v6_org, n6).max()) {
            return Err("org index out of range");
        }
        let (sorted, last) = ascending_last(words(b, self.org_ends, orgs));
        if !sorted || self.org_text.saturating_add(last as usize) > b.len() {
            return Err("bad org text ends");
        }
        Ok(())
    }

    /// The bytes (header and sections), as a cache file holds them.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.store.bytes()
    }

    pub(crate) fn v4_len(&self) -> usize {
        self.n4
    }

    pub(crate) fn v6_len(&self) -> usize {
        self.n6
    }

    pub(crate) fn orgs_len(&self) -> usize {
        self.n_orgs
    }

    fn v6_start_at(&self, i: usize) -> u128 {
        let b = self.store.bytes();
        let at = self.v6_start + 16 * i;
        b.get(at..at + 16)
            .map_or(0, |s| u128::from_le_bytes(s.try_into().unwrap_or_default()))
    }

    fn v6_end_at(&self, i: usize) -> u128 {
        let b = self.store.bytes();
        let at = self.v6_end + 16 * i;
        b.get(at..at + 16)
            .map_or(0, |s| u128::from_le_bytes(s.try_into().unwrap_or_default()))
    }

    /// The org index of the range holding `x`: the last range starting at
    /// or before it, if it ends at or after it. The range holding `x`
    /// starts in `x`'s /16, or is the last one before it.
    #[inline]
    pub(crate) fn find_v4(&self, x: u32) -> Option<u32> {
        self.find_v4_span(x).map(|(org, _, _)| org)
    }

    /// As [`Table::find_v4`], with the first and last address that give
    /// the same answer: the range's, cut before the next range's start
    /// (ranges may nest: a later start wins from there on).
    #[inline]
    pub(crate) fn find_v4_span(&self, x: u32) -> Option<(u32, u32, u32)> {
        let b = self.store.bytes();
        let h = (x >> 16) as usize;
        let lo = (u32_at(b, self.v4_index + 4 * h) as usize).saturating_sub(1);
        let hi = u32_at(b, self.v4_index + 4 * h + 4) as usize;
        // The first of lo..hi starting after x.
        let (mut a, mut z) = (lo, hi.max(lo));
        while a < z {
            let m = a + (z - a) / 2;
            if u32_at(b, self.v4_start + 4 * m) <= x {
                a = m + 1;
            } else {
                z = m;
            }
        }
        if a == lo {
            return None;
        }
        let r = a - 1;
        let end = u32_at(b, self.v4_end + 4 * r);
        (x <= end).then(|| {
            let last = if r + 1 < self.n4 {
                end.min(u32_at(b, self.v4_start + 4 * (r + 1)).saturating_sub(1))
            } else {
                end
            };
            (
                u32_at(b, self.v4_org + 4 * r),
                u32_at(b, self.v4_start + 4 * r),
                last,
            )
        })
    }

    /// As [`Table::find_v4`], over the IPv6 ranges.
    pub(crate) fn find_v6(&self, x: u128) -> Option<u32> {
        let (mut a, mut z) = (0, self.n6);
        while a < z {
            let m = a + (z - a) / 2;
            if self.v6_start_at(m) <= x {
                a = m + 1;
            } else {
                z = m;
            }
        }
        let r = a.checked_sub(1)?;
        (x <= self.v6_end_at(r)).then(|| u32_at(self.store.bytes(), self.v6_org + 4 * r))
    }

    /// The text of org `index` ("" for an index out of range).
    pub(crate) fn org(&self, index: u32) -> &str {
        let b = self.store.bytes();
        let i = index as usize;
        if i >= self.n_orgs {
            return "";
        }
        let end = u32_at(b, self.org_ends + 4 * i) as usize;
        let start = match i {
            0 => 0,
            _ => u32_at(b, self.org_ends + 4 * (i - 1)) as usize,
        };
        b.get(self.org_text + start..self.org_text + end)
            .and_then(|s| std::str::from_utf8(s).ok())
            .unwrap_or("")
    }
}

/// Where the cache of the CSV at `csv` may be: beside it first, then in
/// the per-user cache directory.
fn places(csv: &Path) -> Vec<PathBuf> {
    let mut out = Vec::with_capacity(2);
    if let Some(name) = csv.file_name() {
        let mut hidden = std::ffi::OsString::from(".");
        hidden.push(name);
        hidden.push(".ipkit-asn");
        out.push(csv.with_file_name(hidden));
    }
    if let Some(dir) = super::dirs::cache_dir() {
        let full = std::fs::canonicalize(csv).unwrap_or_else(|_| csv.to_path_buf());
        out.push(dir.join(format!(
            "asn-{:016x}.bin",
            fnv1a(full.as_os_str().as_encoded_bytes())
        )));
    }
    out
}

/// FNV-1a, 64 bits: a stable name for a path.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The cached table of the CSV at `csv` (whose metadata is `meta`), if a
/// whole one built from this very file is there.
pub(crate) fn load(csv: &Path, meta: &Metadata) -> Option<Table> {
    let source = SourceId::of(meta);
    places(csv).into_iter().find_map(|p| {
        let file = File::open(&p).ok()?;
        let map = super::data::map_file(&file).ok()?;
        Table::check(Store::Mapped(map), Some(&source)).ok()
    })
}

/// Keep `table` as the cache of the CSV at `csv`: beside it if that
/// directory is writable, else in the per-user cache directory. Errors are
/// ignored (the next run parses the CSV again).
pub(crate) fn store(csv: &Path, table: &Table) {
    for place in places(csv) {
        if write_atomically(&place, table.bytes()).is_ok() {
            return;
        }
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".ipkit-asn-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    // Readable by whoever may read the CSV beside it (a temporary file is
    // created private).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::info::asn_csv::parse_ranges;

    const CSV: &str = "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n\
                       3.0.0.0,3.255.255.255,16509,Amazon\n\
                       2001:db8::,2001:db8::ffff,64500,Example\n";

    fn table() -> Table {
        Table::build(&parse_ranges(CSV).unwrap(), &SourceId::default())
    }

    #[test]
    fn a_table_read_back_from_its_bytes_answers_the_same() {
        let t = table();
        let again =
            Table::check(Store::Owned(t.bytes().to_vec()), Some(&SourceId::default())).unwrap();
        for x in [0x0100_0007u32, 0x0300_0000, 0x03ff_ffff, 0x0400_0000, 0] {
            assert_eq!(t.find_v4(x), again.find_v4(x), "{x:#x}");
        }
        assert_eq!(
            again.org(again.find_v4(0x0100_0001).unwrap()),
            "AS13335 Cloudflare, Inc."
        );
        let v6 = u128::from("2001:db8::5".parse::<std::net::Ipv6Addr>().unwrap());
        assert_eq!(again.org(again.find_v6(v6).unwrap()), "AS64500 Example");
    }

    /// A table whose CRC matches but whose contents break what the
    /// lookups rely on (a writer's bug, not damage) is refused too, each
    /// with its reason; the largest values that are still right pass.
    #[test]
    fn contents_that_check_out_by_crc_but_not_by_meaning_are_refused() {
        let t = table();
        let (n4, n_orgs) = (t.n4 as u32, t.n_orgs as u32);
        let set = |at: usize, v: u32| {
            let mut b = t.bytes().to_vec();
            b[at..at + 4].copy_from_slice(&v.to_le_bytes());
            let crc = crc32fast::hash(&b[HEADER..]);
            b[36..40].copy_from_slice(&crc.to_le_bytes());
            Table::check(Store::Owned(b), None).err()
        };
        let first_start = u32_at(t.bytes(), t.v4_start);
        let cases = [
            (
                t.v4_start + 4,
                first_start - 1,
                Some("unsorted IPv4 ranges"),
            ),
            (t.v4_org, n_orgs, Some("org index out of range")),
            (t.v4_org + 4, n_orgs - 1, None),
            (t.v6_org, n_orgs, Some("org index out of range")),
            (t.v4_index + 4 * (INDEX - 1), n4 + 1, Some("bad /16 index")),
            (t.v4_index + 4 * (INDEX - 1), n4, None),
            (t.v4_index + 4 * 0x0200, 0, Some("bad /16 index")),
            (t.org_ends, u32::MAX, Some("bad org text ends")),
        ];
        for (at, v, want) in cases {
            assert_eq!(set(at, v), want, "{v} at {at}");
        }
    }

    #[test]
    fn every_damaged_byte_and_every_cut_is_refused_without_a_panic() {
        let good = table().bytes().to_vec();
        // Every header byte, and a sample of the body (each check is a CRC
        // over all of it).
        for i in (0..HEADER).chain((HEADER..good.len()).step_by(997)) {
            let mut bad = good.clone();
            bad[i] ^= 0x5a;
            assert!(
                Table::check(Store::Owned(bad), Some(&SourceId::default())).is_err(),
                "byte {i}"
            );
        }
        for n in (0..good.len()).step_by(61) {
            assert!(
                Table::check(Store::Owned(good[..n].to_vec()), None).is_err(),
                "cut at {n}"
            );
        }
        let other = SourceId {
            len: 1,
            ..SourceId::default()
        };
        assert_eq!(
            Table::check(Store::Owned(good), Some(&other)).err(),
            Some("built from another file")
        );
    }
}
