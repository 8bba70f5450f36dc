//! `ipkit info --bulk`: many addresses, one a line (or `ipkit grep`
//! output: the first address on each line), to NDJSON — one [`IpInfo`]
//! object a line, exactly as a single lookup serializes it — fast.
//!
//! How it is fast (the issue's goal is 2,000,000 addresses/s with city and
//! ASN joined):
//! - the input is read (on a thread of its own) in chunks that end at a
//!   line boundary; each round hands one chunk to each of `threads`
//!   workers (scoped threads) and writes their output in input order, so
//!   order is kept without locks;
//! - a worker looks its chunk's addresses up in address order and writes
//!   them back in input order: neighbouring lookups share the upper search
//!   tree, which then stays in the CPU's cache (the tree walk fell from
//!   45 % of a run to 11 %, `perf`, on the DB-IP city file);
//! - a lookup only walks each database's search tree to its record offset
//!   ([`Databases::keyed`]); the NDJSON text after `"ip"` is rendered once
//!   per distinct tuple of record offsets and cached per worker, so a
//!   record is decoded (borrowing its strings) once, not once per address;
//! - an IPv4 line that parses whole is copied as the `ip` (std's parser
//!   takes only the canonical dotted quad, so it is already the text
//!   serde would write).
//!
//! Addresses are parsed with std's parser: it is 2 % of a run (`perf`), so
//! a hand parser would not pay. Bogons are answered without a lookup. Bad
//! lines are handed back (line number and text) for the caller to report,
//! and counted; blank lines are skipped. [`summarize`] counts instead of
//! printing.

use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use rustc_hash::FxHashMap;

use super::data::{DataError, Databases, RecordKey};
use super::record::IpInfo;
use super::summary::{Summary, Tally};
use crate::cancel::Cancel;

/// Bytes read per chunk (a chunk ends at a line boundary).
const CHUNK: usize = 1 << 21;

/// The longest line kept whole.
const LINE_MAX: usize = 1 << 26;

/// Rendered fragments kept per worker before the cache starts afresh.
const CACHE_MAX: usize = 1 << 20;

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
struct Entry {
    ip: IpAddr,
    /// Where its canonical text is in the chunk (a whole-line IPv4
    /// address), else `(0, 0)`: written from `ip`.
    text: (u32, u32),
    /// Its answer's index in `Worker::fragments`.
    fragment: u32,
}

/// The fragment index that means "bogon".
const BOGON: u32 = u32::MAX;

/// One worker's state: its cache, and its output for the current chunk.
#[derive(Default)]
struct Worker {
    /// Record key → index in `fragments`.
    cache: FxHashMap<RecordKey, u32>,
    fragments: Vec<Box<[u8]>>,
    entries: Vec<Entry>,
    order: Vec<(u128, u32)>,
    out: Vec<u8>,
    bad: Vec<(u64, String)>,
    lines: u64,
    addresses: u64,
    bogons: u64,
    failed: Option<DataError>,
}

impl Worker {
    /// Parse the chunk's lines, look the addresses up in address order
    /// (neighbouring lookups share the upper search tree, which then stays
    /// in the CPU's cache), and write the answers in input order.
    fn process(&mut self, dbs: &Databases, chunk: &[u8]) {
        self.out.clear();
        self.bad.clear();
        self.entries.clear();
        self.order.clear();
        self.lines = 0;
        self.addresses = 0;
        self.bogons = 0;
        if self.cache.len() >= CACHE_MAX {
            self.cache.clear();
            self.fragments.clear();
        }
        let mut start = 0;
        while start < chunk.len() {
            let end = memchr::memchr(b'\n', &chunk[start..]).map_or(chunk.len(), |i| start + i);
            self.lines += 1;
            self.parse(chunk, start, end);
            start = end + 1;
        }
        self.order
            .extend(self.entries.iter().enumerate().map(|(i, e)| {
                let key = match e.ip {
                    IpAddr::V4(a) => u128::from(u32::from(a)),
                    IpAddr::V6(a) => u128::from(a),
                };
                (key, i as u32)
            }));
        self.order.sort_unstable();
        for k in 0..self.order.len() {
            let i = self.order[k].1 as usize;
            match self.answer(dbs, self.entries[i].ip) {
                Ok(f) => self.entries[i].fragment = f,
                Err(e) => {
                    self.failed = Some(e);
                    return;
                }
            }
        }
        self.write(chunk);
    }

    fn parse(&mut self, chunk: &[u8], start: usize, end: usize) {
        let line = &chunk[start..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let text = line.trim_ascii();
        if text.is_empty() {
            return;
        }
        // The fast path: a whole-line IPv4 address is its own canonical text.
        let whole_v4 = std::str::from_utf8(text)
            .ok()
            .and_then(|s| s.parse::<std::net::Ipv4Addr>().ok());
        let entry = match whole_v4 {
            Some(a) => {
                let from = text.as_ptr() as usize - chunk.as_ptr() as usize;
                Entry {
                    ip: IpAddr::V4(a),
                    text: (from as u32, (from + text.len()) as u32),
                    fragment: 0,
                }
            }
            None => match line_address(text) {
                Some(ip) => Entry {
                    ip,
                    text: (0, 0),
                    fragment: 0,
                },
                None => {
                    self.bad
                        .push((self.lines, String::from_utf8_lossy(line).into_owned()));
                    return;
                }
            },
        };
        self.entries.push(entry);
    }

    /// The fragment index of `ip`'s answer, rendering it if it is new.
    fn answer(&mut self, dbs: &Databases, ip: IpAddr) -> Result<u32, DataError> {
        if super::bogon::is_bogon(ip) {
            return Ok(BOGON);
        }
        let key = dbs.keyed(ip);
        if let Some(&f) = key.as_ref().and_then(|k| self.cache.get(k)) {
            return Ok(f);
        }
        let f = self.fragments.len() as u32;
        self.fragments.push(render_fragment(&dbs.try_lookup(ip)?));
        if let Some(key) = key {
            self.cache.insert(key, f);
        }
        Ok(f)
    }

    fn write(&mut self, chunk: &[u8]) {
        self.addresses = self.entries.len() as u64;
        for e in &self.entries {
            self.out.extend_from_slice(b"{\"ip\":\"");
            if e.text.1 > 0 {
                self.out
                    .extend_from_slice(&chunk[e.text.0 as usize..e.text.1 as usize]);
            } else {
                let _ = write!(self.out, "{}", e.ip);
            }
            self.out.push(b'"');
            if e.fragment == BOGON {
                self.bogons += 1;
                self.out.extend_from_slice(b",\"bogon\":true}");
            } else {
                self.out
                    .extend_from_slice(&self.fragments[e.fragment as usize]);
            }
            self.out.push(b'\n');
        }
    }
}

/// The JSON of `info` after its `"ip":"…"` (from the `,` or the `}`).
fn render_fragment(info: &IpInfo) -> Box<[u8]> {
    let json = serde_json::to_vec(info).unwrap_or_default();
    let skip = "{\"ip\":\"".len() + info.ip.to_string().len() + 1;
    json.get(skip..).unwrap_or(b"}").into()
}

/// Read the next chunk: whole lines (the last line of the input may lack
/// its newline); the bytes after the last newline wait in `carry`. A read
/// that returns less than asked (a pipe with nothing more yet) ends the
/// chunk at once if it holds a whole line, so a slow stream is answered
/// line by line; a file fills whole chunks. A "line" longer than
/// [`LINE_MAX`] is cut there (it holds no address anyway).
fn read_chunk(input: &mut impl Read, carry: &mut Vec<u8>) -> io::Result<Option<Vec<u8>>> {
    let mut buf = std::mem::take(carry);
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
        return Ok(None);
    }
    if !eof && let Some(i) = memchr::memrchr(b'\n', &buf) {
        *carry = buf.split_off(i + 1);
    }
    Ok(Some(buf))
}

/// Chunks read ahead of the workers.
const READ_AHEAD: usize = 4;

/// Read chunks on a thread of their own, so waiting for input never keeps
/// the cancellation token from being seen (the thread is left blocked in
/// its read when the run stops early; it ends with the process).
fn spawn_reader(mut input: impl Read + Send + 'static) -> Receiver<io::Result<Vec<u8>>> {
    let (tx, rx) = std::sync::mpsc::sync_channel(READ_AHEAD);
    std::thread::spawn(move || {
        let mut carry = Vec::new();
        loop {
            match read_chunk(&mut input, &mut carry) {
                Ok(None) => return,
                Ok(Some(chunk)) => {
                    if tx.send(Ok(chunk)).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
    });
    rx
}

/// The next chunk, waiting for it while checking `cancel`: None at the
/// end of the input or when cancelled (`stats.interrupted` then says so).
fn next_chunk(
    rx: &Receiver<io::Result<Vec<u8>>>,
    cancel: &Cancel,
    stats: &mut BulkStats,
) -> io::Result<Option<Vec<u8>>> {
    loop {
        if cancel.is_cancelled() {
            stats.interrupted = true;
            return Ok(None);
        }
        match rx.recv_timeout(POLL) {
            Ok(chunk) => return chunk.map(Some),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Ok(None),
        }
    }
}

/// How often a wait for input looks at the cancellation token.
const POLL: Duration = Duration::from_millis(50);

/// Answer every address of `input` as NDJSON into `out`, on `threads`
/// workers, in input order; `on_bad` hears each bad line. Stops between
/// chunks when `cancel` fires (what was read is written first).
pub fn to_ndjson(
    dbs: &Databases,
    input: impl Read + Send + 'static,
    out: &mut impl Write,
    threads: usize,
    cancel: &Cancel,
    on_bad: &mut dyn FnMut(BadLine),
) -> Result<BulkStats, BulkError> {
    let threads = threads.max(1);
    let mut workers: Vec<Worker> = (0..threads).map(|_| Worker::default()).collect();
    let mut stats = BulkStats::default();
    let rx = spawn_reader(input);
    while let Some(first) = next_chunk(&rx, cancel, &mut stats)? {
        // This round: the chunk waited for, and those already read.
        let mut chunks = vec![first];
        while chunks.len() < threads {
            match rx.try_recv() {
                Ok(c) => chunks.push(c?),
                Err(_) => break,
            }
        }
        std::thread::scope(|s| {
            let mut pairs = workers.iter_mut().zip(&chunks);
            let first = pairs.next();
            for (w, c) in pairs {
                s.spawn(move || w.process(dbs, c));
            }
            if let Some((w, c)) = first {
                w.process(dbs, c);
            }
        });
        for w in workers.iter_mut().take(chunks.len()) {
            if let Some(e) = w.failed.take() {
                return Err(e.into());
            }
            for (line, text) in w.bad.drain(..) {
                stats.bad_lines += 1;
                on_bad(BadLine {
                    line: stats.lines + line,
                    text,
                });
            }
            out.write_all(&w.out)?;
            stats.lines += w.lines;
            stats.addresses += w.addresses;
            stats.bogons += w.bogons;
        }
        out.flush()?;
    }
    out.flush()?;
    Ok(stats)
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
    let rx = spawn_reader(input);
    while let Some(chunk) = next_chunk(&rx, cancel, &mut stats)? {
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
                        let info = dbs.try_lookup(ip)?;
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
