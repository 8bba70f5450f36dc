//! `ipkit info --bulk`: many addresses, one a line (or `ipkit grep`
//! output: the first address on each line), to NDJSON — one [`IpInfo`]
//! object a line, exactly as a single lookup serializes it — fast.
//!
//! How it is fast (the issue's goal is 2,000,000 addresses/s with city and
//! ASN joined). The hot paths below are written by hand because they were
//! measured to be hot (callgrind instruction counts and `perf` samples on
//! the DB-IP Lite city file with 1,000,000 random addresses, see
//! bench/RESULTS.md, "third pass"):
//! - the input is read (on a thread of its own) in chunks that end at a
//!   line boundary; a pipeline with no rounds hands each chunk to the next
//!   free worker (at most two a worker in flight) and writes the answers
//!   in input order as they come back, so no core waits for a round's
//!   slowest chunk and writing overlaps the lookups; the chunk and answer
//!   buffers go round and round, so the run does not keep faulting in
//!   fresh memory (that was 12 % of a run, `perf`);
//! - a whole-line dotted quad is parsed by hand (`canonical_v4`: exactly
//!   the addresses std's parser accepts, 5× fewer instructions) and copied
//!   as the `ip`; anything else goes to std's parser and `ipkit grep`'s
//!   scanner;
//! - a worker looks its chunk's addresses up in address order (IPv4 keys
//!   packed into one `u64` with their entry, so the sort moves 8 bytes)
//!   and writes them back in input order: neighbouring lookups share the
//!   upper search tree, which then stays in the CPU's cache (the tree walk
//!   fell from 45 % of a run to 11 %, `perf`); in that order the next
//!   address is often (55 % of the time on the DB-IP city file) inside the
//!   network the last walk ended in, or the ASN range the last search
//!   found, and then shares its answer with no walk at all;
//! - each database's record is rendered once per worker as a *piece* — the
//!   JSON of its fields after `"ip"`, one slot per ipinfo field — found
//!   again by the record's key: an mmdb's data offset (a hash of a `u32`)
//!   or an ASN CSV's org index (an array, no hash). An answer is its
//!   pieces copied in field order (one copy per run of neighbouring slots:
//!   city + ASN is three copies), so 134,000 distinct city+ASN answers
//!   cost only 87,000 city decodes and 27,000 org renders, and an address
//!   costs a parse, the tree walks, two lookups and a few `memcpy`s, with
//!   no serde and no allocation. serde_json still writes every string of
//!   a piece, so the escaping is the single lookup's and the output byte
//!   for byte what serializing [`IpInfo`] gives.
//!
//! Bogons are answered without a lookup. Bad lines are handed back (line
//! number and text) for the caller to report, and counted; blank lines are
//! skipped. [`summarize`] counts instead of printing.

use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use rustc_hash::FxHashMap;

use super::asn_csv::canonical_v4;
use super::data::{DataError, Databases, MAX_KEYED, RecordKey};
use super::record::IpInfo;
use super::summary::{Summary, Tally};
use super::zone::ZoneMemo;
use crate::cancel::Cancel;

/// Bytes read per chunk (a chunk ends at a line boundary).
const CHUNK: usize = 1 << 21;

/// The longest line kept whole.
const LINE_MAX: usize = 1 << 26;

/// Rendered records kept per worker before the cache starts afresh.
const CACHE_MAX: usize = 1 << 20;

/// Bytes of rendered records kept per worker (a piece's offsets are `u32`).
const TEXT_MAX: usize = 1 << 30;

/// A line that held no address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine {
    /// Its number, from 1.
    pub line: u64,
    /// Its text (lossy UTF-8, without the line end).
    pub text: String,
}

/// What a bulk run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BulkStats {
    /// Lines read.
    pub lines: u64,
    /// Addresses answered.
    pub addresses: u64,
    /// Lines that held no address.
    pub bad_lines: u64,
    /// Bogons among the addresses.
    pub bogons: u64,
    /// Whether the run stopped early on the cancellation token.
    pub interrupted: bool,
}

/// Why a bulk run stopped.
#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    /// Reading the input or writing the output failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// A database record could not be decoded.
    #[error(transparent)]
    Data(#[from] DataError),
}

/// The first address on a line: the whole line, else the first address
/// `ipkit grep`'s scanner finds in it.
pub fn line_address(line: &[u8]) -> Option<IpAddr> {
    let text = line.trim_ascii();
    if let Ok(s) = std::str::from_utf8(text)
        && let Ok(ip) = s.parse()
    {
        return Some(ip);
    }
    ipkit_core::scan::find_all(text).next().map(|m| m.addr)
}

/// One address of a chunk, waiting for its answer.
#[derive(Clone, Copy)]
struct Entry {
    /// Where its canonical text is in the chunk (a whole-line IPv4
    /// address), else `(0, 0)`: written from `v6[ip]`'s address.
    text: (u32, u32),
    /// Its answer: a piece per database, [`BOGON`] in the first for a bogon.
    pieces: [u32; MAX_KEYED],
}

/// The piece index that means "bogon".
const BOGON: u32 = u32::MAX;
/// The piece index that means "no record in this database".
const NONE: u32 = 0;

/// The ipinfo fields after `ip`, in their order, as piece slots; slot 7 is
/// a time zone derived from this record's `loc` (used only when no
/// database has one of its own).
const SLOTS: usize = 8;
const TIMEZONE: usize = 6;
const DERIVED: usize = 7;
const LOC: usize = 3;

/// One database record rendered: its fields' JSON (`,"city":"Seoul"` …)
/// in `Worker::text` from `start`, slot `i` ending at `ends[i]`.
#[derive(Clone, Copy, Default)]
struct Piece {
    start: u32,
    ends: [u32; SLOTS],
}

impl Piece {
    fn slot(&self, i: usize) -> (usize, usize) {
        let from = if i == 0 { 0 } else { self.ends[i - 1] };
        (
            self.start as usize + from as usize,
            self.start as usize + self.ends[i] as usize,
        )
    }

    fn has(&self, i: usize) -> bool {
        let (a, b) = self.slot(i);
        b > a
    }
}

/// An answer and the IPv4 addresses `first..=last` that share it.
#[derive(Clone, Copy)]
struct Near {
    first: u32,
    last: u32,
    piece: u32,
}

/// A [`Near`] that holds no address.
const FAR: Near = Near {
    first: 1,
    last: 0,
    piece: NONE,
};

/// Rendered records of one database, by key.
enum Keys {
    /// An mmdb's data offset → piece.
    Hashed(FxHashMap<u32, u32>),
    /// An ASN CSV's org index → piece (`u32::MAX`: not rendered yet).
    Dense(Vec<u32>),
}

/// Pieces any worker rendered, by database and key, so a record is
/// decoded once per run however many workers meet it (a worker asks here
/// only when its own cache misses).
struct Shared {
    maps: std::sync::Mutex<Vec<FxHashMap<u32, SharedPiece>>>,
}

/// A rendered piece's text and slot ends.
type SharedPiece = (Box<[u8]>, [u32; SLOTS]);

impl Shared {
    fn new(dbs: &Databases) -> Shared {
        Shared {
            maps: std::sync::Mutex::new(vec![FxHashMap::default(); dbs.len()]),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FxHashMap<u32, SharedPiece>>> {
        self.maps.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One worker's state: its caches, and its output for the current chunk.
struct Worker {
    keys: Vec<Keys>,
    pieces: Vec<Piece>,
    text: Vec<u8>,
    zones: ZoneMemo,
    entries: Vec<Entry>,
    /// Addresses not written from the chunk's text (IPv6, or found in a
    /// longer line), by `Entry::text.0`.
    others: Vec<IpAddr>,
    /// IPv4 lookups in address order: `address << 32 | entry`.
    order4: Vec<u64>,
    /// The other lookups: (address, entry).
    order6: Vec<(u128, u32)>,
    scratch: Vec<u64>,
    starts: Vec<u32>,
    /// Per database, the last IPv4 answer and the addresses that share it
    /// (the network or range it came from): in address order, the next
    /// address is often in it (55 % of a million random addresses on the
    /// DB-IP city file), and then needs no walk and no cache probe.
    near: [Near; MAX_KEYED],
    /// What the current chunk gave.
    answers: Answers,
}

/// One chunk's answers: NDJSON, bad lines (line number in the chunk, text)
/// and counts; or the error that stopped it.
#[derive(Default)]
struct Answers {
    out: Vec<u8>,
    bad: Vec<(u64, String)>,
    lines: u64,
    addresses: u64,
    bogons: u64,
    failed: Option<DataError>,
}

impl Worker {
    fn new(dbs: &Databases) -> Worker {
        let mut w = Worker {
            keys: Vec::new(),
            pieces: Vec::new(),
            text: Vec::new(),
            zones: ZoneMemo::default(),
            entries: Vec::new(),
            others: Vec::new(),
            order4: Vec::new(),
            order6: Vec::new(),
            scratch: Vec::new(),
            starts: Vec::new(),
            near: [FAR; MAX_KEYED],
            answers: Answers::default(),
        };
        w.reset_cache(dbs);
        w
    }

    /// Forget every rendered record (piece 0 is the empty one).
    fn reset_cache(&mut self, dbs: &Databases) {
        self.keys = (0..dbs.len())
            .map(|d| match dbs.dense_keys(d) {
                Some(n) => Keys::Dense(vec![u32::MAX; n]),
                None => Keys::Hashed(FxHashMap::default()),
            })
            .collect();
        self.near = [FAR; MAX_KEYED];
        self.pieces.clear();
        self.pieces.push(Piece::default());
        self.text.clear();
    }

    /// Parse the chunk's lines, look the addresses up in address order
    /// (neighbouring lookups share the upper search tree, which then stays
    /// in the CPU's cache), and write the answers in input order.
    fn process(&mut self, dbs: &Databases, shared: &Shared, chunk: &[u8]) {
        let mut out = std::mem::take(&mut self.answers.out);
        out.clear();
        self.answers = Answers {
            out,
            ..Answers::default()
        };
        self.entries.clear();
        self.others.clear();
        self.order4.clear();
        self.order6.clear();
        if self.pieces.len() >= CACHE_MAX || self.text.len() >= TEXT_MAX {
            self.reset_cache(dbs);
        }
        let mut start = 0;
        while start < chunk.len() {
            let end = memchr::memchr(b'\n', &chunk[start..]).map_or(chunk.len(), |i| start + i);
            self.answers.lines += 1;
            self.parse(chunk, start, end);
            start = end + 1;
        }
        sort_by_address(&mut self.order4, &mut self.scratch, &mut self.starts);
        self.order6.sort_unstable();
        for k in 0..self.order4.len() {
            let key = self.order4[k];
            let ip = IpAddr::V4(((key >> 32) as u32).into());
            if let Err(e) = self.answer(dbs, shared, ip, key as u32 as usize) {
                self.answers.failed = Some(e);
                return;
            }
        }
        for k in 0..self.order6.len() {
            let (_, i) = self.order6[k];
            let ip = self.others[self.entries[i as usize].text.0 as usize];
            if let Err(e) = self.answer(dbs, shared, ip, i as usize) {
                self.answers.failed = Some(e);
                return;
            }
        }
        self.write(dbs.len().min(MAX_KEYED), chunk);
    }

    fn parse(&mut self, chunk: &[u8], start: usize, end: usize) {
        let line = &chunk[start..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let text = line.trim_ascii();
        if text.is_empty() {
            return;
        }
        let i = self.entries.len() as u32;
        // The fast path: a whole-line canonical dotted quad (exactly what
        // std's parser accepts) is its own text in the output.
        if let Some(a) = canonical_v4(text) {
            let from = text.as_ptr() as usize - chunk.as_ptr() as usize;
            self.entries.push(Entry {
                text: (from as u32, (from + text.len()) as u32),
                pieces: [NONE; MAX_KEYED],
            });
            self.order4.push(u64::from(a) << 32 | u64::from(i));
            return;
        }
        match line_address(text) {
            Some(ip) => {
                self.entries.push(Entry {
                    text: (self.others.len() as u32, 0),
                    pieces: [NONE; MAX_KEYED],
                });
                self.others.push(ip);
                match ip {
                    IpAddr::V4(a) => self
                        .order4
                        .push(u64::from(u32::from(a)) << 32 | u64::from(i)),
                    IpAddr::V6(a) => self.order6.push((u128::from(a), i)),
                }
            }
            None => self.answers.bad.push((
                self.answers.lines,
                String::from_utf8_lossy(line).into_owned(),
            )),
        }
    }

    /// Entry `i`'s pieces: each database's record, rendered if it is new.
    fn answer(
        &mut self,
        dbs: &Databases,
        shared: &Shared,
        ip: IpAddr,
        i: usize,
    ) -> Result<(), DataError> {
        if super::bogon::is_bogon(ip) {
            self.entries[i].pieces[0] = BOGON;
            return Ok(());
        }
        if dbs.len() > MAX_KEYED {
            // More databases than an entry keys: merged and rendered whole.
            let mut fields = super::layout::Fields::default();
            for d in 0..dbs.len() {
                fields.fill_from(dbs.record(d, ip)?.fields()?);
            }
            self.entries[i].pieces[0] = self.render(ip, fields);
            return Ok(());
        }
        let v4 = match ip {
            IpAddr::V4(a) => Some(u32::from(a)),
            IpAddr::V6(_) => None,
        };
        for d in 0..dbs.len() {
            if let Some(a) = v4 {
                let near = self.near[d];
                if near.first <= a && a <= near.last {
                    self.entries[i].pieces[d] = near.piece;
                    continue;
                }
            }
            let record = dbs.record(d, ip)?;
            let Some(key) = record.key else {
                self.entries[i].pieces[d] = NONE;
                if let Some((first, last)) = record.span {
                    self.near[d] = Near {
                        first,
                        last,
                        piece: NONE,
                    };
                }
                continue;
            };
            let known = match &self.keys[d] {
                Keys::Hashed(m) => m.get(&key).copied(),
                Keys::Dense(v) => v.get(key as usize).copied().filter(|&p| p != u32::MAX),
            };
            let piece = match known {
                Some(p) => p,
                None => {
                    let from_shared = shared.lock().get(d).and_then(|m| {
                        m.get(&key).map(|(text, ends)| {
                            let start = self.text.len() as u32;
                            self.text.extend_from_slice(text);
                            self.pieces.push(Piece { start, ends: *ends });
                            (self.pieces.len() - 1) as u32
                        })
                    });
                    let p = match from_shared {
                        Some(p) => p,
                        None => {
                            let p = self.render(ip, record.fields()?);
                            let piece = self.pieces[p as usize];
                            let (a, b) = (piece.slot(0).0, piece.slot(SLOTS - 1).1);
                            let mut maps = shared.lock();
                            if let Some(m) = maps.get_mut(d) {
                                if m.len() >= CACHE_MAX {
                                    m.clear();
                                }
                                m.insert(key, (self.text[a..b].into(), piece.ends));
                            }
                            p
                        }
                    };
                    match &mut self.keys[d] {
                        Keys::Hashed(m) => {
                            m.insert(key, p);
                        }
                        Keys::Dense(v) => {
                            if let Some(slot) = v.get_mut(key as usize) {
                                *slot = p;
                            }
                        }
                    }
                    p
                }
            };
            self.entries[i].pieces[d] = piece;
            if let Some((first, last)) = record.span {
                self.near[d] = Near { first, last, piece };
            }
        }
        Ok(())
    }

    /// Render one record's fields as a piece (serde_json writes each
    /// string, so the escaping is the single lookup's).
    fn render(&mut self, ip: IpAddr, fields: super::layout::Fields) -> u32 {
        let explicit_zone = fields.timezone.is_some();
        let info = super::data::to_info(ip, fields, &mut self.zones, None);
        let start = self.text.len();
        let mut ends = [0u32; SLOTS];
        let values = [
            ("city", &info.city),
            ("region", &info.region),
            ("country", &info.country),
            ("loc", &info.loc),
            ("org", &info.org),
            ("postal", &info.postal),
            (
                "timezone",
                if explicit_zone { &info.timezone } else { &None },
            ),
            (
                "timezone",
                if explicit_zone { &None } else { &info.timezone },
            ),
        ];
        for (slot, (name, value)) in values.into_iter().enumerate() {
            if let Some(v) = value {
                self.text.extend_from_slice(b",\"");
                self.text.extend_from_slice(name.as_bytes());
                self.text.extend_from_slice(b"\":");
                let _ = serde_json::to_writer(&mut self.text, v);
            }
            ends[slot] = (self.text.len() - start) as u32;
        }
        self.pieces.push(Piece {
            start: start as u32,
            ends,
        });
        (self.pieces.len() - 1) as u32
    }

    fn write(&mut self, n: usize, chunk: &[u8]) {
        self.answers.addresses = self.entries.len() as u64;
        self.answers.out.reserve(self.entries.len() * 160);
        for e in &self.entries {
            self.answers.out.extend_from_slice(b"{\"ip\":\"");
            if e.text.1 > 0 {
                self.answers
                    .out
                    .extend_from_slice(&chunk[e.text.0 as usize..e.text.1 as usize]);
            } else {
                let _ = write!(self.answers.out, "{}", self.others[e.text.0 as usize]);
            }
            self.answers.out.push(b'"');
            if e.pieces[0] == BOGON {
                self.answers.bogons += 1;
                self.answers.out.extend_from_slice(b",\"bogon\":true}\n");
                continue;
            }
            if n <= 1 {
                // One database: its piece is the whole answer.
                let p = &self.pieces[e.pieces[0] as usize];
                let (a, _) = p.slot(0);
                let (_, b) = p.slot(SLOTS - 1);
                self.answers.out.extend_from_slice(&self.text[a..b]);
            } else {
                compose(
                    &mut self.answers.out,
                    &self.text,
                    &self.pieces,
                    &e.pieces[..n],
                );
            }
            self.answers.out.extend_from_slice(b"}\n");
        }
    }
}

/// Sort packed IPv4 lookups (`address << 32 | entry`, entries ascending)
/// by address: two passes of a 16-bit LSD radix sort over the address
/// bits, stable, so equal addresses keep their entry order and the result
/// is the keys' sorted order (a comparison sort was 3 % of a run's
/// instructions, callgrind).
fn sort_by_address(keys: &mut Vec<u64>, scratch: &mut Vec<u64>, starts: &mut Vec<u32>) {
    if keys.len() < 1 << 12 {
        keys.sort_unstable();
        return;
    }
    scratch.clear();
    scratch.resize(keys.len(), 0);
    starts.resize(1 << 16, 0);
    for shift in [32, 48] {
        starts.fill(0);
        for &k in keys.iter() {
            starts[(k >> shift) as usize & 0xffff] += 1;
        }
        let mut sum = 0;
        for c in starts.iter_mut() {
            let n = *c;
            *c = sum;
            sum += n;
        }
        for &k in keys.iter() {
            let bucket = &mut starts[(k >> shift) as usize & 0xffff];
            scratch[*bucket as usize] = k;
            *bucket += 1;
        }
        std::mem::swap(keys, scratch);
    }
}

/// The answer from several databases' pieces: each field from the first
/// database that has it (as [`Databases::try_lookup`] merges them), a
/// derived time zone from the database that gave `loc` when none has its
/// own; neighbouring slots of one piece are copied as one run.
fn compose(out: &mut Vec<u8>, text: &[u8], pieces: &[Piece], ids: &[u32]) {
    let owner = |slot: usize| {
        ids.iter()
            .map(|&p| &pieces[p as usize])
            .find(|p| p.has(slot))
    };
    let mut run: Option<(usize, usize)> = None;
    let mut emit = |span: (usize, usize), out: &mut Vec<u8>| match &mut run {
        Some((_, end)) if *end == span.0 => *end = span.1,
        _ => {
            if let Some((a, b)) = run.replace(span) {
                out.extend_from_slice(&text[a..b]);
            }
        }
    };
    for slot in 0..TIMEZONE {
        if let Some(p) = owner(slot) {
            emit(p.slot(slot), out);
        }
    }
    match owner(TIMEZONE) {
        Some(p) => emit(p.slot(TIMEZONE), out),
        None => {
            if let Some(p) = owner(LOC).filter(|p| p.has(DERIVED)) {
                emit(p.slot(DERIVED), out);
            }
        }
    }
    if let Some((a, b)) = run {
        out.extend_from_slice(&text[a..b]);
    }
}

/// Read the next chunk into `buf` (a recycled buffer, emptied first):
/// whole lines (the last line of the input may lack its newline); the
/// bytes after the last newline wait in `carry`. A read that returns less
/// than asked (a pipe with nothing more yet) ends the chunk at once if it
/// holds a whole line, so a slow stream is answered line by line; a file
/// fills whole chunks. A "line" longer than [`LINE_MAX`] is cut there (it
/// holds no address anyway). False at the end of the input.
fn read_chunk(input: &mut impl Read, carry: &mut Vec<u8>, buf: &mut Vec<u8>) -> io::Result<bool> {
    buf.clear();
    buf.extend_from_slice(carry);
    carry.clear();
    let mut eof = false;
    loop {
        let old = buf.len();
        buf.resize(old + CHUNK, 0);
        let short = match input.read(&mut buf[old..]) {
            Ok(0) => {
                buf.truncate(old);
                eof = true;
                break;
            }
            Ok(n) => {
                buf.truncate(old + n);
                n < CHUNK
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                buf.truncate(old);
                false
            }
            Err(e) => return Err(e),
        };
        let has_line = memchr::memchr(b'\n', &buf[old..]).is_some() || buf[..old].contains(&b'\n');
        if (buf.len() >= CHUNK || short) && has_line || buf.len() >= LINE_MAX {
            break;
        }
    }
    if buf.is_empty() {
        return Ok(false);
    }
    if !eof && let Some(i) = memchr::memrchr(b'\n', buf) {
        carry.extend_from_slice(&buf[i + 1..]);
        buf.truncate(i + 1);
    }
    Ok(true)
}

/// Chunks read ahead of the workers.
const READ_AHEAD: usize = 4;

/// What the reader thread says.
enum Input {
    /// The next chunk of whole lines.
    Chunk(Vec<u8>),
    /// Reading failed.
    Failed(io::Error),
    /// The end of the input.
    End,
}

/// Read chunks on a thread of their own, so waiting for input never keeps
/// the cancellation token from being seen (the thread is left blocked in
/// its read when the run stops early; it ends with the process). It fills
/// buffers handed back on `free` and makes at most `buffers` of its own,
/// so memory stays bounded when the output is slower than the input.
fn spawn_reader<T: Send + 'static>(
    mut input: impl Read + Send + 'static,
    tx: std::sync::mpsc::Sender<T>,
    wrap: fn(Input) -> T,
    free: Receiver<Vec<u8>>,
    buffers: usize,
) {
    std::thread::spawn(move || {
        let mut carry = Vec::new();
        let mut made = 0;
        loop {
            let mut buf = match free.try_recv() {
                Ok(b) => b,
                Err(_) if made < buffers => {
                    made += 1;
                    Vec::with_capacity(CHUNK + 4096)
                }
                Err(_) => match free.recv() {
                    Ok(b) => b,
                    Err(_) => return,
                },
            };
            let said = match read_chunk(&mut input, &mut carry, &mut buf) {
                Ok(true) => Input::Chunk(std::mem::take(&mut buf)),
                Ok(false) => Input::End,
                Err(e) => Input::Failed(e),
            };
            let last = !matches!(said, Input::Chunk(_));
            if tx.send(wrap(said)).is_err() || last {
                return;
            }
        }
    });
}

/// How often a wait looks at the cancellation token.
const POLL: Duration = Duration::from_millis(50);

/// A chunk handed to a worker, with a buffer for its answers.
struct Job {
    seq: u64,
    chunk: Vec<u8>,
    out: Vec<u8>,
}

/// A worker's answers to one chunk, handed back with both buffers.
struct Done {
    seq: u64,
    chunk: Vec<u8>,
    answers: Answers,
}

/// What the coordinating thread hears: input, or a worker's answers.
enum Event {
    Input(Input),
    Done(Done),
}

/// Answer every address of `input` as NDJSON into `out`, on `threads`
/// workers, in input order; `on_bad` hears each bad line. Stops between
/// chunks when `cancel` fires (every chunk handed out is answered and
/// written first).
///
/// A pipeline with no rounds: the reader thread reads chunks; this thread
/// hands each to the next free worker (at most two a worker in flight),
/// writes the answers in input order as they arrive and hands both
/// buffers back for reuse, so no core waits for the slowest chunk of a
/// round, writing overlaps the lookups, and the same few buffers (still
/// mapped, often still in cache) carry the whole run.
pub fn to_ndjson(
    dbs: &Databases,
    input: impl Read + Send + 'static,
    out: &mut impl Write,
    threads: usize,
    cancel: &Cancel,
    on_bad: &mut dyn FnMut(BadLine),
) -> Result<BulkStats, BulkError> {
    let threads = threads.max(1);
    let window = 2 * threads;
    let shared = Shared::new(dbs);
    let (events_tx, events) = std::sync::mpsc::channel::<Event>();
    let (free_tx, free_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    spawn_reader(
        input,
        events_tx.clone(),
        Event::Input,
        free_rx,
        window + READ_AHEAD,
    );
    let (jobs_tx, jobs_rx) = std::sync::mpsc::channel::<Job>();
    let jobs_rx = std::sync::Mutex::new(jobs_rx);
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (jobs_rx, events_tx, shared) = (&jobs_rx, events_tx.clone(), &shared);
            s.spawn(move || {
                let mut w = Worker::new(dbs);
                loop {
                    let job = jobs_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok(Job { seq, chunk, out }) = job else {
                        return;
                    };
                    w.answers.out = out;
                    w.process(dbs, shared, &chunk);
                    let done = Done {
                        seq,
                        chunk,
                        answers: std::mem::take(&mut w.answers),
                    };
                    if events_tx.send(Event::Done(done)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(events_tx);
        let result = coordinate(&events, &jobs_tx, &free_tx, window, out, cancel, on_bad);
        // Dropping the jobs' sender ends the workers.
        drop(jobs_tx);
        result
    })
}

/// The coordinating thread's loop for [`to_ndjson`].
fn coordinate(
    events: &Receiver<Event>,
    jobs: &std::sync::mpsc::Sender<Job>,
    free: &std::sync::mpsc::Sender<Vec<u8>>,
    window: usize,
    out: &mut impl Write,
    cancel: &Cancel,
    on_bad: &mut dyn FnMut(BadLine),
) -> Result<BulkStats, BulkError> {
    let mut stats = BulkStats::default();
    let mut waiting: std::collections::VecDeque<Vec<u8>> = Default::default();
    let mut arrived: std::collections::BTreeMap<u64, Done> = Default::default();
    let mut spare_out: Vec<Vec<u8>> = Vec::new();
    let (mut handed, mut written) = (0u64, 0u64);
    let mut input_done = false;
    let mut failure: Option<BulkError> = None;
    loop {
        let stopping = failure.is_some() || stats.interrupted;
        if !stopping && cancel.is_cancelled() {
            stats.interrupted = true;
            continue;
        }
        while !stopping && handed - written < window as u64 {
            let Some(chunk) = waiting.pop_front() else {
                break;
            };
            let job = Job {
                seq: handed,
                chunk,
                out: spare_out.pop().unwrap_or_default(),
            };
            if jobs.send(job).is_err() {
                break;
            }
            handed += 1;
        }
        if handed == written && (input_done || stopping) {
            break;
        }
        let event = match events.recv_timeout(POLL) {
            Ok(e) => e,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        match event {
            Event::Input(Input::Chunk(c)) => waiting.push_back(c),
            Event::Input(Input::End) => input_done = true,
            Event::Input(Input::Failed(e)) => {
                input_done = true;
                failure.get_or_insert(e.into());
            }
            Event::Done(d) => {
                arrived.insert(d.seq, d);
                while let Some(mut d) = arrived.remove(&written) {
                    written += 1;
                    if let Some(e) = d.answers.failed.take() {
                        failure.get_or_insert(e.into());
                    }
                    if failure.is_none() {
                        for (line, text) in d.answers.bad.drain(..) {
                            stats.bad_lines += 1;
                            on_bad(BadLine {
                                line: stats.lines + line,
                                text,
                            });
                        }
                        stats.lines += d.answers.lines;
                        stats.addresses += d.answers.addresses;
                        stats.bogons += d.answers.bogons;
                        if let Err(e) = out.write_all(&d.answers.out) {
                            failure.get_or_insert(e.into());
                        }
                    }
                    d.answers.out.clear();
                    spare_out.push(d.answers.out);
                    let _ = free.send(d.chunk);
                }
                if failure.is_none()
                    && arrived.is_empty()
                    && let Err(e) = out.flush()
                {
                    failure.get_or_insert(e.into());
                }
            }
        }
    }
    match failure {
        Some(e) => Err(e),
        None => {
            out.flush()?;
            Ok(stats)
        }
    }
}

/// The next chunk, waiting for it while checking `cancel`: None at the
/// end of the input or when cancelled (`stats.interrupted` then says so).
fn next_chunk(
    rx: &Receiver<Input>,
    cancel: &Cancel,
    stats: &mut BulkStats,
) -> io::Result<Option<Vec<u8>>> {
    loop {
        if cancel.is_cancelled() {
            stats.interrupted = true;
            return Ok(None);
        }
        match rx.recv_timeout(POLL) {
            Ok(Input::Chunk(c)) => return Ok(Some(c)),
            Ok(Input::Failed(e)) => return Err(e),
            Ok(Input::End) | Err(RecvTimeoutError::Disconnected) => return Ok(None),
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

/// A chunk that goes back to the reader when dropped.
struct Recycled<'a>(Vec<u8>, &'a std::sync::mpsc::Sender<Vec<u8>>);

impl std::ops::Deref for Recycled<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Recycled<'_> {
    fn drop(&mut self) {
        let _ = self.1.send(std::mem::take(&mut self.0));
    }
}

/// Count every address of `input` ([`Summary`]) instead of printing it.
pub fn summarize(
    dbs: &Databases,
    input: impl Read + Send + 'static,
    cancel: &Cancel,
    on_bad: &mut dyn FnMut(BadLine),
) -> Result<(Summary, BulkStats), BulkError> {
    let mut tally = Tally::default();
    let mut stats = BulkStats::default();
    let mut cache: FxHashMap<RecordKey, IpInfo> = FxHashMap::default();
    // The summary counts no time zones.
    let mut zones = ZoneMemo::not_needed();
    let (tx, rx) = std::sync::mpsc::channel();
    let (free_tx, free_rx) = std::sync::mpsc::channel();
    spawn_reader(input, tx, |i| i, free_rx, READ_AHEAD);
    while let Some(chunk) = next_chunk(&rx, cancel, &mut stats)? {
        let chunk = Recycled(chunk, &free_tx);
        for raw in chunk.split(|&b| b == b'\n') {
            stats.lines += 1;
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            if line.trim_ascii().is_empty() {
                continue;
            }
            let Some(ip) = line_address(line) else {
                stats.bad_lines += 1;
                on_bad(BadLine {
                    line: stats.lines,
                    text: String::from_utf8_lossy(line).into_owned(),
                });
                continue;
            };
            stats.addresses += 1;
            let key = (!super::bogon::is_bogon(ip))
                .then(|| dbs.keyed(ip))
                .flatten();
            match key {
                Some(key) => {
                    if let Some(info) = cache.get(&key) {
                        let info = IpInfo { ip, ..info.clone() };
                        tally.add(&info);
                    } else {
                        let info = dbs.try_lookup_with(ip, &mut zones)?;
                        tally.add(&info);
                        cache.insert(key, info);
                    }
                }
                None => {
                    let info = dbs.try_lookup(ip)?;
                    stats.bogons += u64::from(info.is_bogon());
                    tally.add(&info);
                }
            }
        }
        // `split` yields an empty piece after the final newline.
        if chunk.last() == Some(&b'\n') {
            stats.lines -= 1;
        }
    }
    Ok((tally.finish(stats.bad_lines), stats))
}

#[cfg(test)]
mod tests {
    use super::sort_by_address;

    #[test]
    fn the_radix_sort_sorts_as_the_comparison_sort_does() {
        for n in [0usize, 5, 4096, 50_000] {
            let mut x: u64 = 7;
            let mut keys: Vec<u64> = (0..n as u64)
                .map(|i| {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    // Repeated addresses too (the top bits of every eighth).
                    let addr = if i % 8 == 0 { 0x0808_0808 } else { x >> 32 };
                    addr << 32 | i
                })
                .collect();
            let mut want = keys.clone();
            want.sort_unstable();
            sort_by_address(&mut keys, &mut Vec::new(), &mut Vec::new());
            assert_eq!(keys, want, "{n}");
        }
    }
}
