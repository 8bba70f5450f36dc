//! `ipkit grep`: IPv4 and IPv6 addresses in text, found with exact
//! boundaries by `ipkit_core::scan`. Input is read in 1 MiB blocks (the last
//! partial line carried over), never whole, so files of any size stream.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::net::IpAddr;
use std::path::PathBuf;

use ipkit_core::addr::{is_global, is_private, is_reserved};
use ipkit_core::scan::{Match, find_all};
use serde::Serialize;

use crate::output::{Output, write_record};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit grep access.log                 lines that contain an address
  ipkit grep -o access.log              each address, one per line
  ipkit grep -ou --only-global *.log    each public address once
  ipkit grep -c -6 access.log           how many lines hold an IPv6 address
  journalctl | ipkit grep -on --exclude-reserved

Lookalikes are never matched: 999.1.1.1, 1.2.3.4.5, v1.2.3.4, 01.2.3.4, MAC
addresses, times. Exit codes: 0 a match, 1 none, 2 an error (e.g. a file
that cannot be read; the others are still searched).";

/// Arguments of `ipkit grep`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files to search (`-` or none: stdin).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Only IPv4 addresses.
    #[arg(short = '4', conflicts_with = "v6")]
    pub v4: bool,
    /// Only IPv6 addresses.
    #[arg(short = '6')]
    pub v6: bool,
    /// Only globally reachable addresses (IANA special-purpose registries).
    #[arg(long, conflicts_with = "only_private")]
    pub only_global: bool,
    /// Only private-use addresses (RFC 1918, unique-local fc00::/7).
    #[arg(long)]
    pub only_private: bool,
    /// Drop addresses in non-global special-purpose blocks (loopback, documentation, …).
    #[arg(long)]
    pub exclude_reserved: bool,
    /// Print each address (with its /prefix or :port as written) instead of whole lines.
    #[arg(short = 'o', long)]
    pub only_matching: bool,
    /// Print each address once, in first-seen order (implies -o).
    #[arg(short = 'u', long)]
    pub unique: bool,
    /// Print only a count: matching lines, or addresses with -o.
    #[arg(short = 'c', long)]
    pub count: bool,
    /// Prefix output with the 1-based line number.
    #[arg(short = 'n', long)]
    pub line_number: bool,
    /// Prefix output with the file name (default with several files).
    #[arg(short = 'H', long)]
    pub with_filename: bool,
}

/// One NDJSON match record (`{"type":"match","data":…}`).
#[derive(Serialize)]
struct MatchRecord<'a> {
    /// The file (`-` for stdin).
    file: &'a str,
    /// 1-based line number.
    line: u64,
    /// The address.
    addr: IpAddr,
    /// Prefix length, when written.
    prefix_len: Option<u8>,
    /// Port, when written.
    port: Option<u16>,
    /// The text as written.
    text: &'a str,
}

/// The closing NDJSON record (`{"type":"summary","data":…}`).
#[derive(Serialize)]
struct Summary {
    /// Addresses that passed the filters.
    matches: u64,
    /// Lines holding at least one.
    lines: u64,
    /// Distinct addresses (with -u).
    unique: Option<usize>,
    /// Files that could not be read.
    errors: u64,
}

struct Searcher<'o, W: Write> {
    args: &'o Args,
    out: &'o Output,
    w: W,
    seen: HashSet<IpAddr>,
    matches: u64,
    lines: u64,
    show_name: bool,
}

impl<W: Write> Searcher<'_, W> {
    fn keep(&self, m: &Match) -> bool {
        let a = self.args;
        let ip = m.addr;
        !(a.v4 && !ip.is_ipv4()
            || a.v6 && !ip.is_ipv6()
            || a.only_global && !is_global(ip)
            || a.only_private && !is_private(ip)
            || a.exclude_reserved && is_reserved(ip))
    }

    fn filters_on(&self) -> bool {
        let a = self.args;
        a.v4 || a.v6 || a.only_global || a.only_private || a.exclude_reserved
    }

    /// Search one block of whole lines; `line_no` is the number of the block's first line.
    fn block(&mut self, name: &str, block: &[u8], mut line_no: u64) -> io::Result<u64> {
        let only = self.args.only_matching || self.args.unique;
        let numbered = self.args.line_number || self.out.json;
        let mut counted_to = 0usize;
        let mut last_line_end = 0usize;
        let filters = self.filters_on();
        for m in find_all(block) {
            if m.start < last_line_end && !only && !self.out.json {
                continue; // this line is already printed
            }
            if filters && !self.keep(&m) {
                continue;
            }
            if self.args.unique && !self.seen.insert(m.addr) {
                continue;
            }
            // Line bounds only when the mode needs them (-c -o needs none).
            let need_lines = !(only && self.args.count) || numbered;
            let (ls, le) = if need_lines {
                let ls = memchr::memrchr(b'\n', &block[..m.start]).map_or(0, |i| i + 1);
                let le = memchr::memchr(b'\n', &block[m.end..]).map_or(block.len(), |i| m.end + i);
                (ls, le)
            } else {
                (m.start, m.end)
            };
            if numbered {
                line_no += memchr::memchr_iter(b'\n', &block[counted_to..ls]).count() as u64;
                counted_to = ls;
            }
            self.matches += 1;
            let new_line = ls >= last_line_end;
            if new_line {
                self.lines += 1;
            }
            last_line_end = le.max(last_line_end);
            if self.args.count {
                continue;
            }
            let text = String::from_utf8_lossy(&block[m.start..m.end]);
            if self.out.json {
                let rec = MatchRecord {
                    file: name,
                    line: line_no,
                    addr: m.addr,
                    prefix_len: m.prefix_len,
                    port: m.port,
                    text: &text,
                };
                write_record(&mut self.w, "match", &rec)?;
                continue;
            }
            if !only && !new_line {
                continue;
            }
            if self.show_name {
                write!(self.w, "{name}:")?;
            }
            if self.args.line_number {
                write!(self.w, "{line_no}:")?;
            }
            if only {
                self.w.write_all(&block[m.start..m.end])?;
            } else {
                self.w.write_all(&block[ls..le])?;
            }
            self.w.write_all(b"\n")?;
        }
        if numbered {
            line_no += memchr::memchr_iter(b'\n', &block[counted_to..]).count() as u64;
        }
        Ok(line_no)
    }

    fn stream(&mut self, name: &str, mut r: impl Read) -> io::Result<()> {
        let mut buf = vec![0u8; 1 << 20];
        let mut filled = 0usize;
        let mut line_no = 1u64;
        loop {
            if filled == buf.len() {
                buf.resize(buf.len() * 2, 0); // one line longer than the buffer
            }
            let n = match r.read(&mut buf[filled..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            filled += n;
            let eof = n == 0;
            let cut = if eof {
                filled
            } else {
                memchr::memrchr(b'\n', &buf[..filled]).map_or(0, |i| i + 1)
            };
            if cut > 0 {
                line_no = self.block(name, &buf[..cut], line_no)?;
                buf.copy_within(cut..filled, 0);
                filled -= cut;
            }
            if eof {
                return Ok(());
            }
        }
    }
}

/// Run `ipkit grep`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    let files: Vec<PathBuf> = if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files.clone()
    };
    let stdout = io::stdout();
    let mut s = Searcher {
        args: &args,
        out,
        w: BufWriter::with_capacity(1 << 16, stdout.lock()),
        seen: HashSet::new(),
        matches: 0,
        lines: 0,
        show_name: args.with_filename || files.len() > 1,
    };
    let mut errors = 0u64;
    for f in &files {
        let name = f.display().to_string();
        let result = if name == "-" {
            s.stream("-", io::stdin().lock())
        } else {
            match File::open(f) {
                Ok(file) => s.stream(&name, file),
                Err(e) => {
                    s.w.flush()?;
                    eprintln!("error: cannot open {name}: {e}");
                    errors += 1;
                    continue;
                }
            }
        };
        if let Err(e) = result {
            if e.kind() == io::ErrorKind::BrokenPipe {
                return Ok(crate::exit::OK);
            }
            s.w.flush()?;
            eprintln!("error: reading {name}: {e}");
            errors += 1;
        }
    }
    let only = args.only_matching || args.unique;
    if out.json {
        let summary = Summary {
            matches: s.matches,
            lines: s.lines,
            unique: args.unique.then_some(s.seen.len()),
            errors,
        };
        write_record(&mut s.w, "summary", &summary)?;
    } else if args.count {
        writeln!(s.w, "{}", if only { s.matches } else { s.lines })?;
    }
    s.w.flush()?;
    Ok(if errors > 0 {
        crate::exit::ERROR
    } else if s.matches > 0 {
        crate::exit::OK
    } else {
        crate::exit::NEGATIVE
    })
}
