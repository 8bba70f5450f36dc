//! The time zones derived for a database's places, kept on disk so that a
//! single `ipkit info` lookup does not pay for opening tzf-rs's data.
//!
//! tzf-rs checks its bundled 4 MB boundary file (a CRC32 over all of it
//! plus structure checks) every time a process opens it: ~27 M
//! instructions, several milliseconds, where the rest of a lookup costs
//! about one. This cache holds, for every distinct coordinate pair of a
//! database's records (420,000 in DB-IP Lite's IPv4 city file), the
//! answer tzf-rs gave: the same function of the same input, so every
//! answer from the cache is one the finder gives (checked in the tests).
//!
//! The file (`zones-v1.bin` in [`crate::info::dirs::cache_dir`]) is little-endian:
//!
//! | bytes | what |
//! |---|---|
//! | 0..8 | magic `IPKZONE1` |
//! | 8..16 | the bundled tzf data's identity: its length and its own CRC32 footer |
//! | 16..20 | entries `n` |
//! | 20..24 | blocks `b` (of [`BLOCK`] entries, the last one shorter) |
//! | 24..28 | zone names `k` |
//! | 28..32 | databases covered `c` |
//! | 32..36 | CRC32 of everything from byte 40 to the end of the index |
//! | 36..40 | length of the names' text |
//! | 40.. | `c` database identities (u64 each, [`identity`]) |
//! | | `k` name ends (u32 each), then the names' text |
//! | | `b` index entries: the block's first key (two u64) and its CRC32 |
//! | | `n` entries: latitude and longitude bits (u64 each), zone (u16; [`NO_ZONE`] for none) |
//!
//! Opening reads and checks the header and index (tens of kilobytes); a
//! lookup reads and checks one block (9 KB). Anything that does not check
//! out is a miss, never an answer: a file that will not validate is
//! ignored and rebuilt, one whose block fails its CRC marks the cache
//! damaged (the next fill starts afresh). Written whole to a temporary file
//! in the same directory and renamed over the old one, so a reader never
//! sees half a file.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use maxminddb::Reader;

use crate::info::layout::Record;

/// The cache file's name in [`crate::info::dirs::cache_dir`].
pub const FILE_NAME: &str = "zones-v1.bin";
const MAGIC: &[u8; 8] = b"IPKZONE1";
const HEADER: usize = 40;
/// Entries per block.
pub const BLOCK: usize = 512;
const ENTRY: usize = 18;
const INDEX_ENTRY: usize = 20;
/// The zone of a coordinate the finder names no zone for.
pub const NO_ZONE: u16 = u16::MAX;
/// More entries than this and a fill starts afresh (a bound on the file:
/// 4 M entries is 72 MB).
const MAX_ENTRIES: usize = 1 << 22;

/// A coordinate pair's key: the exact bits of (latitude, longitude).
pub type Key = (u64, u64);

/// The bundled tzf data's identity: its length and its CRC32 footer (the
/// last four bytes, which tzf-rs checks against the rest on open). A new
/// tzf-dist release changes it, and with it every cache goes stale.
pub(crate) fn tzf_identity() -> [u8; 8] {
    let data = tzf_dist::load_lite_tzb();
    let mut id = [0u8; 8];
    id[..4].copy_from_slice(&(data.len() as u32).to_le_bytes());
    if let Some(footer) = data.get(data.len().saturating_sub(4)..) {
        id[4..].copy_from_slice(footer);
    }
    id
}

/// A database's identity for the list of databases covered: FNV-1a over
/// its metadata's type, build time, node count, record size and IP
/// version (the same release of the same database, wherever the file is).
pub fn identity<S: AsRef<[u8]>>(reader: &Reader<S>) -> u64 {
    let m = reader.metadata();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(m.database_type.as_bytes());
    eat(&m.build_epoch.to_le_bytes());
    eat(&m.node_count.to_le_bytes());
    eat(&m.record_size.to_le_bytes());
    eat(&m.ip_version.to_le_bytes());
    h
}

/// Every distinct coordinate pair of `reader`'s records that has no time
/// zone of its own (the ones `ipkit info` derives a zone for), decoded as
/// a lookup decodes them; each record once.
pub fn places<S: AsRef<[u8]>>(reader: &Reader<S>, into: &mut Vec<Key>) {
    let mut seen = rustc_hash::FxHashSet::default();
    let Ok(networks) = reader.networks(Default::default()) else {
        return;
    };
    for hit in networks.flatten() {
        if !seen.insert(hit.offset()) {
            continue;
        }
        let Ok(Some(record)) = hit.decode::<Record>() else {
            continue;
        };
        let f = record.fields();
        if let (None, Some((lat, lon))) = (f.timezone, f.lat_lon) {
            into.push((lat.to_bits(), lon.to_bits()));
        }
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn crc(bytes: &[u8]) -> u32 {
    super::crc32::crc32(bytes)
}

/// An opened, checked cache file.
pub struct ZoneCache {
    file: Mutex<File>,
    /// Header and index, checked.
    head: Vec<u8>,
    entries: usize,
    blocks: usize,
    names: usize,
    covered: usize,
    names_len: usize,
    /// A block failed its check: the next fill starts afresh.
    damaged: AtomicBool,
}

impl ZoneCache {
    /// Open `path`; None when it is missing, for other tzf data, or does
    /// not check out.
    pub fn open(path: &Path) -> Option<ZoneCache> {
        let mut file = File::open(path).ok()?;
        let mut h = [0u8; HEADER];
        file.read_exact(&mut h).ok()?;
        if &h[..8] != MAGIC || h[8..16] != tzf_identity() {
            return None;
        }
        let count = |at| u32_at(&h, at) as usize;
        let (entries, blocks, names, covered, names_len) =
            (count(16), count(20), count(24), count(28), count(36));
        if entries > MAX_ENTRIES
            || blocks != entries.div_ceil(BLOCK)
            || names >= usize::from(NO_ZONE)
            || covered > 1024
            || names_len > 1 << 20
        {
            return None;
        }
        let head_len = HEADER + covered * 8 + names * 4 + names_len + blocks * INDEX_ENTRY;
        let total = file.metadata().ok()?.len();
        if total != (head_len + entries * ENTRY) as u64 {
            return None;
        }
        let mut head = vec![0u8; head_len];
        head[..HEADER].copy_from_slice(&h);
        file.read_exact(&mut head[HEADER..]).ok()?;
        if crc(&head[HEADER..]) != u32_at(&h, 32) {
            return None;
        }
        let cache = ZoneCache {
            file: Mutex::new(file),
            head,
            entries,
            blocks,
            names,
            covered,
            names_len,
            damaged: AtomicBool::new(false),
        };
        // Names: ends in order, within the text, each UTF-8.
        let mut start = 0;
        for i in 0..names {
            let end = u32_at(&cache.head, cache.names_at() + 4 * i) as usize;
            if end < start || end > names_len {
                return None;
            }
            std::str::from_utf8(&cache.text()[start..end]).ok()?;
            start = end;
        }
        Some(cache)
    }

    fn names_at(&self) -> usize {
        HEADER + self.covered * 8
    }

    fn text(&self) -> &[u8] {
        let at = self.names_at() + self.names * 4;
        &self.head[at..at + self.names_len]
    }

    fn index_at(&self) -> usize {
        self.names_at() + self.names * 4 + self.names_len
    }

    /// Whether the database of identity `id` has been walked into it.
    pub fn covers(&self, id: u64) -> bool {
        (0..self.covered).any(|i| u64_at(&self.head, HEADER + 8 * i) == id)
    }

    /// The databases walked into it.
    fn covered(&self) -> Vec<u64> {
        (0..self.covered)
            .map(|i| u64_at(&self.head, HEADER + 8 * i))
            .collect()
    }

    /// Whether a block failed its check since it was opened.
    pub fn damaged(&self) -> bool {
        self.damaged.load(Ordering::Relaxed)
    }

    /// Zone name `i`.
    fn name(&self, i: u16) -> Option<&str> {
        let i = usize::from(i);
        if i >= self.names {
            return None;
        }
        let end_of = |j: usize| u32_at(&self.head, self.names_at() + 4 * j) as usize;
        let start = if i == 0 { 0 } else { end_of(i - 1) };
        std::str::from_utf8(&self.text()[start..end_of(i)]).ok()
    }

    fn block_key(&self, j: usize) -> Key {
        let at = self.index_at() + j * INDEX_ENTRY;
        (u64_at(&self.head, at), u64_at(&self.head, at + 8))
    }

    /// Block `j`'s entries, checked; None (and the cache marked damaged)
    /// when it cannot be read or fails its CRC.
    fn block(&self, j: usize) -> Option<Vec<u8>> {
        let first = j * BLOCK;
        let len = (self.entries - first).min(BLOCK) * ENTRY;
        let mut buf = vec![0u8; len];
        let read = {
            let mut file = self.file.lock().ok()?;
            file.seek(SeekFrom::Start((self.head.len() + first * ENTRY) as u64))
                .and_then(|_| file.read_exact(&mut buf))
        };
        let want = u32_at(&self.head, self.index_at() + j * INDEX_ENTRY + 16);
        if read.is_err() || crc(&buf) != want || buf.len() < ENTRY {
            self.damaged.store(true, Ordering::Relaxed);
            return None;
        }
        Some(buf)
    }

    /// The zone kept for `key`: `Some(None)` where the finder names none,
    /// None when the cache does not hold the key (or cannot be trusted for
    /// it).
    pub fn get(&self, key: Key) -> Option<Option<&str>> {
        // The last block whose first key is <= key.
        let (mut lo, mut hi) = (0, self.blocks);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.block_key(mid) <= key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let j = lo.checked_sub(1)?;
        let block = self.block(j)?;
        let key_at = |i: usize| (u64_at(&block, i * ENTRY), u64_at(&block, i * ENTRY + 8));
        if key_at(0) != self.block_key(j) {
            self.damaged.store(true, Ordering::Relaxed);
            return None;
        }
        let n = block.len() / ENTRY;
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match key_at(mid).cmp(&key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    let zone =
                        u16::from_le_bytes([block[mid * ENTRY + 16], block[mid * ENTRY + 17]]);
                    if zone == NO_ZONE {
                        return Some(None);
                    }
                    let Some(name) = self.name(zone) else {
                        self.damaged.store(true, Ordering::Relaxed);
                        return None;
                    };
                    return Some(Some(name));
                }
            }
        }
        None
    }

    /// Every entry, when every block checks out.
    fn all(&self) -> Option<Vec<(Key, Option<String>)>> {
        let mut out = Vec::with_capacity(self.entries);
        for j in 0..self.blocks {
            let block = self.block(j)?;
            for e in block.chunks_exact(ENTRY) {
                let zone = u16::from_le_bytes([e[16], e[17]]);
                let name = match zone {
                    NO_ZONE => None,
                    z => Some(self.name(z)?.to_string()),
                };
                out.push(((u64_at(e, 0), u64_at(e, 8)), name));
            }
        }
        Some(out)
    }
}

/// What a fill adds: answers by key, and the databases they cover.
pub(crate) struct Fill {
    pub answers: Vec<(Key, Option<String>)>,
    pub covered: Vec<u64>,
}

/// Write `fill`, merged with what `old` holds (unless it is damaged or the
/// whole would be too big), to `path` atomically: a temporary file in the
/// same directory, synced, renamed over the old one.
pub(crate) fn write(path: &Path, old: Option<&ZoneCache>, fill: Fill) -> std::io::Result<()> {
    let Fill {
        mut answers,
        mut covered,
    } = fill;
    if let Some(old) = old.filter(|c| !c.damaged())
        && old.entries + answers.len() <= MAX_ENTRIES
        && let Some(kept) = old.all()
    {
        answers.extend(kept);
        covered.extend(old.covered());
    }
    // Stable: where a key is both new and kept, the new answer stays.
    answers.sort_by_key(|(k, _)| *k);
    answers.dedup_by_key(|(k, _)| *k);
    if answers.len() > MAX_ENTRIES {
        return Err(std::io::Error::other("too many places for the zone cache"));
    }
    covered.sort_unstable();
    covered.dedup();
    covered.truncate(1024);

    let mut names: Vec<&str> = answers.iter().filter_map(|(_, z)| z.as_deref()).collect();
    names.sort_unstable();
    names.dedup();
    if names.len() >= usize::from(NO_ZONE) {
        return Err(std::io::Error::other("too many zone names"));
    }
    let mut body = Vec::new();
    for id in &covered {
        body.extend_from_slice(&id.to_le_bytes());
    }
    let mut end = 0u32;
    for n in &names {
        end += n.len() as u32;
        body.extend_from_slice(&end.to_le_bytes());
    }
    let names_len = end;
    for n in &names {
        body.extend_from_slice(n.as_bytes());
    }
    let mut entries = Vec::with_capacity(answers.len() * ENTRY);
    for ((lat, lon), zone) in &answers {
        entries.extend_from_slice(&lat.to_le_bytes());
        entries.extend_from_slice(&lon.to_le_bytes());
        let z = match zone {
            Some(z) => names
                .binary_search(&z.as_str())
                .map_or(NO_ZONE, |i| i as u16),
            None => NO_ZONE,
        };
        entries.extend_from_slice(&z.to_le_bytes());
    }
    for block in entries.chunks(BLOCK * ENTRY) {
        body.extend_from_slice(&block[..16]);
        body.extend_from_slice(&crc(block).to_le_bytes());
    }
    let mut head = Vec::with_capacity(HEADER + body.len());
    head.extend_from_slice(MAGIC);
    head.extend_from_slice(&tzf_identity());
    for v in [
        answers.len(),
        answers.len().div_ceil(BLOCK),
        names.len(),
        covered.len(),
    ] {
        head.extend_from_slice(&(v as u32).to_le_bytes());
    }
    head.extend_from_slice(&crc(&body).to_le_bytes());
    head.extend_from_slice(&names_len.to_le_bytes());
    head.extend_from_slice(&body);

    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".zones-")
        .tempfile_in(dir)?;
    tmp.write_all(&head)?;
    tmp.write_all(&entries)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("ipkit-zone-cache-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn key(lat: f64, lon: f64) -> Key {
        (lat.to_bits(), lon.to_bits())
    }

    /// A fill over `n` coordinates on a grid, with the finder's answers.
    fn fill(n: usize) -> Fill {
        let mut answers: Vec<_> = (0..n)
            .map(|i| {
                let (lat, lon) = ((i % 170) as f64 - 85.0, (i / 170) as f64 * 0.7 - 179.0);
                (key(lat, lon), super::super::finder_zone_at(lat, lon))
            })
            .collect();
        // The finder names a zone everywhere on the map (Etc/GMT±N at
        // sea); off the map it names none, and the cache keeps that too.
        answers.push((key(95.0, 0.0), None));
        Fill {
            answers,
            covered: vec![7],
        }
    }

    #[test]
    fn what_is_written_reads_back_as_the_finders_answers() {
        let dir = scratch("roundtrip");
        let path = dir.join(FILE_NAME);
        let filled = fill(3000);
        let want = filled.answers.clone();
        write(&path, None, filled).unwrap();
        let cache = ZoneCache::open(&path).expect("opens");
        assert!(cache.covers(7) && !cache.covers(8));
        for (k, zone) in &want {
            assert_eq!(cache.get(*k), Some(zone.as_deref()), "{k:?}");
        }
        assert!(want.iter().any(|(_, z)| z.is_none()) && want.iter().any(|(_, z)| z.is_some()));
        assert_eq!(cache.get(key(1.5, 1.5)), None);
        assert_eq!(cache.get((0, 0)), None);
        assert_eq!(cache.get((u64::MAX, u64::MAX)), None);
        assert!(!cache.damaged());
        // A second fill merges.
        let more = Fill {
            answers: vec![(key(1.5, 1.5), Some("Africa/Lagos".into()))],
            covered: vec![8],
        };
        write(&path, Some(&cache), more).unwrap();
        let merged = ZoneCache::open(&path).unwrap();
        assert!(merged.covers(7) && merged.covers(8));
        assert_eq!(merged.get(key(1.5, 1.5)), Some(Some("Africa/Lagos")));
        assert_eq!(merged.get(want[0].0), Some(want[0].1.as_deref()));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_damaged_file_is_never_an_answer() {
        let dir = scratch("corrupt");
        let path = dir.join(FILE_NAME);
        let filled = fill(2000);
        // The greatest key: in the last block, at the end of the file.
        let k = filled.answers.iter().map(|a| a.0).max().unwrap();
        write(&path, None, filled).unwrap();
        let good = std::fs::read(&path).unwrap();
        // Truncated, or any header byte changed: not opened.
        std::fs::write(&path, &good[..good.len() - 1]).unwrap();
        assert!(ZoneCache::open(&path).is_none());
        for at in [0, 9, 17, 33, 45, 60] {
            let mut bad = good.clone();
            bad[at] ^= 0x40;
            std::fs::write(&path, &bad).unwrap();
            assert!(ZoneCache::open(&path).is_none(), "byte {at}");
        }
        // A byte of an entry changed: that block misses, and the cache says
        // it is damaged.
        let mut bad = good.clone();
        let n = bad.len();
        bad[n - 3] ^= 0x01;
        std::fs::write(&path, &bad).unwrap();
        let cache = ZoneCache::open(&path).unwrap();
        assert_eq!(cache.get(k), None);
        assert!(cache.damaged());
        // A fill over a damaged cache starts afresh.
        write(
            &path,
            Some(&cache),
            Fill {
                answers: vec![(key(2.0, 2.0), None)],
                covered: vec![9],
            },
        )
        .unwrap();
        let fresh = ZoneCache::open(&path).unwrap();
        assert!(fresh.covers(9) && !fresh.covers(7));
        assert_eq!(fresh.get(key(2.0, 2.0)), Some(None));
        // Garbage and an empty file.
        std::fs::write(&path, b"IPKZONE1 and then nonsense").unwrap();
        assert!(ZoneCache::open(&path).is_none());
        std::fs::write(&path, b"").unwrap();
        assert!(ZoneCache::open(&path).is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
