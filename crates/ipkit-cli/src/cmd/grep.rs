//! `ipkit grep`: IPv4 and IPv6 addresses in text, found with exact
//! boundaries by `ipkit_core::scan`. Input is read in blocks of whole lines
//! (`ipkit::text`), never whole, so files of any size stream.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::ops::ControlFlow;

use crate::interrupt::Interrupt;
use std::net::IpAddr;
use std::path::PathBuf;

use ipkit_core::addr::{is_global, is_private, is_reserved, verdict_address};
use ipkit_core::scan::{Match, find_all};

use crate::output::{Output, write_record};
use ipkit::report::grep::{MatchRecord, Summary};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit grep access.log                 lines that contain an address
  ipkit grep -o access.log              each address, one per line
  ipkit grep -ou --only-global *.log    each public address once
  ipkit grep -c -6 access.log           how many lines hold an IPv6 address
  journalctl | ipkit grep -on --exclude-reserved

  ipkit grep --address-only fw.log      bare addresses, as grepip prints them

Lookalikes are never matched: 999.1.1.1, 1.2.3.4.5, v1.2.3.4, 01.2.3.4, MAC
addresses, times, `::` in prose. Read as a log reader reads them:
`addr:192.168.1.5` and `IP:1.2.3.4` (key:value), `dial tcp 10.0.0.1:5432:`,
`see 10.0.0.1...`, `fe80::1%eth0.` (the dot ends the sentence, not the zone).
A file with a NUL byte is binary, as GNU grep decides: its matches are
counted, not printed (`binary file matches` on stderr) unless -a.
Exit codes: 0 a match, 1 none, 2 an error (e.g. a file that cannot be read;
the others are still searched).";

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
    /// Print the bare address (no /prefix, :port, brackets or %zone), as grepip does (implies -o).
    #[arg(long)]
    pub address_only: bool,
    /// Print only a count per file: matching lines, or addresses with -o.
    #[arg(short = 'c', long)]
    pub count: bool,
    /// Prefix output with the 1-based line number.
    #[arg(short = 'n', long)]
    pub line_number: bool,
    /// Prefix output with the file name (default with several files).
    #[arg(short = 'H', long, conflicts_with = "no_filename")]
    pub with_filename: bool,
    /// Never prefix the file name; with -c, print one total for all files.
    #[arg(short = 'h', long)]
    pub no_filename: bool,
    /// Search binary files (a NUL byte) as text, printing their lines.
    #[arg(short = 'a', long)]
    pub text: bool,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}

/// What a scan of one chunk of whole lines produced.
#[derive(Default)]
struct ChunkResult {
    /// Rendered output, in order.
    out: Vec<u8>,
    /// Addresses that passed the filters.
    matches: u64,
    /// Lines holding at least one.
    lines: u64,
}

/// GNU grep's default colours (GREP_COLORS `ms=01;31:fn=35:ln=32:se=36`),
/// written as it writes them, so a terminal shows ipkit's output as grep's.
const MATCH: &str = "01;31";
const FILE_NAME: &str = "35";
const LINE_NUMBER: &str = "32";
const SEPARATOR: &str = "36";

/// `text`, in SGR `sgr` when colour is on (`ESC[…m ESC[K text ESC[m ESC[K`).
fn paint(w: &mut Vec<u8>, color: bool, sgr: &str, text: &[u8]) {
    if color {
        w.extend_from_slice(b"\x1b[");
        w.extend_from_slice(sgr.as_bytes());
        w.extend_from_slice(b"m\x1b[K");
        w.extend_from_slice(text);
        w.extend_from_slice(b"\x1b[m\x1b[K");
    } else {
        w.extend_from_slice(text);
    }
}

/// How the lines of the file being searched are shown.
#[derive(Clone, Copy)]
struct FileView<'a> {
    /// The file's name (`-` for stdin).
    name: &'a str,
    /// Prefix each line with the name.
    show_name: bool,
    /// Binary from here on: count matches, print none.
    quiet: bool,
}

/// Search one chunk of whole lines (`line_no`: the number of its first
/// line). `seen` is the --unique set; without it chunks are independent and
/// may be searched in parallel.
fn scan_chunk(
    args: &Args,
    out: &Output,
    file: &FileView<'_>,
    block: &[u8],
    mut line_no: u64,
    mut seen: Option<&mut HashSet<IpAddr>>,
) -> io::Result<ChunkResult> {
    let FileView {
        name,
        show_name,
        quiet,
    } = *file;
    let mut r = ChunkResult::default();
    let w = &mut r.out;
    let only = args.only_matching || args.unique || args.address_only;
    let numbered = args.line_number || out.json;
    let filters =
        args.v4 || args.v6 || args.only_global || args.only_private || args.exclude_reserved;
    // The family filters look at the address as written; the reachability
    // filters at the IPv4 address it carries, if any (::ffff:10.0.0.1 is
    // private).
    let keep = |m: &Match| {
        let ip = m.addr;
        let host = verdict_address(ip);
        !(args.v4 && !ip.is_ipv4()
            || args.v6 && !ip.is_ipv6()
            || args.only_global && !is_global(host)
            || args.only_private && !is_private(host)
            || args.exclude_reserved && is_reserved(host))
    };
    // Line bounds only when the mode needs them (-c -o needs none).
    let need_lines = !(only && args.count) || numbered;
    let mut counted_to = 0usize;
    let mut last_line_end = 0usize;
    for m in find_all(block) {
        if m.start < last_line_end && !only && !out.json {
            continue; // this line is already printed
        }
        if filters && !keep(&m) {
            continue;
        }
        if let Some(seen) = seen.as_deref_mut()
            && !seen.insert(m.addr)
        {
            continue;
        }
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
        r.matches += 1;
        let new_line = ls >= last_line_end;
        if new_line {
            r.lines += 1;
        }
        last_line_end = le.max(last_line_end);
        if args.count || quiet {
            continue;
        }
        if out.json {
            let text = String::from_utf8_lossy(&block[m.start..m.end]);
            let rec = MatchRecord {
                file: name,
                line: line_no,
                addr: m.addr,
                prefix_len: m.prefix_len,
                port: m.port,
                text: &text,
            };
            write_record(&mut *w, "match", &rec)?;
            continue;
        }
        if !only && !new_line {
            continue;
        }
        let color = out.color;
        if show_name {
            paint(w, color, FILE_NAME, name.as_bytes());
            paint(w, color, SEPARATOR, b":");
        }
        if args.line_number {
            paint(w, color, LINE_NUMBER, line_no.to_string().as_bytes());
            paint(w, color, SEPARATOR, b":");
        }
        if args.address_only {
            paint(w, color, MATCH, m.addr.to_string().as_bytes());
        } else if only {
            paint(w, color, MATCH, &block[m.start..m.end]);
        } else if color {
            // Every match on the line that passes the filters, highlighted.
            let line = &block[ls..le];
            let mut at = 0;
            for lm in find_all(line).filter(|lm| !filters || keep(lm)) {
                w.extend_from_slice(&line[at..lm.start]);
                paint(w, true, MATCH, &line[lm.start..lm.end]);
                at = lm.end;
            }
            w.extend_from_slice(&line[at..]);
        } else {
            w.extend_from_slice(&block[ls..le]);
        }
        w.push(b'\n');
    }
    Ok(r)
}

struct Searcher<'o, W: Write> {
    args: &'o Args,
    out: &'o Output,
    w: W,
    seen: HashSet<IpAddr>,
    matches: u64,
    lines: u64,
    show_name: bool,
    threads: usize,
    interrupt: &'o Interrupt,
    /// Where the current block starts in the current file.
    offset: u64,
    /// The current file has shown a NUL byte.
    binary: bool,
    /// …and matched after it.
    binary_matched: bool,
}

impl<W: Write> Searcher<'_, W> {
    /// Search a block of whole lines, split across the cores unless
    /// --unique needs one ordered pass; returns the next line number.
    fn block(&mut self, name: &str, block: &[u8], line_no: u64) -> io::Result<u64> {
        let numbered = self.args.line_number || self.out.json;
        let parts = if self.args.unique || block.len() < (256 << 10) {
            1
        } else {
            self.threads
        };
        // Cut at newlines into `parts` chunks.
        let mut bounds = vec![0usize];
        for k in 1..parts {
            let at = (block.len() * k / parts).max(*bounds.last().unwrap_or(&0));
            let cut = memchr::memchr(b'\n', &block[at..]).map_or(block.len(), |i| at + i + 1);
            bounds.push(cut);
        }
        bounds.push(block.len());
        let chunks: Vec<&[u8]> = bounds.windows(2).map(|w| &block[w[0]..w[1]]).collect();
        let mut bases = Vec::with_capacity(chunks.len());
        let mut next = line_no;
        for c in &chunks {
            bases.push(next);
            if numbered || chunks.len() > 1 {
                next += memchr::memchr_iter(b'\n', c).count() as u64;
            }
        }
        // From the first NUL byte on, a file is binary: its matches are
        // counted, not printed, and a note says so (as grep does); not with
        // -a, and not in JSON, whose records carry the text escaped.
        if !self.binary
            && !self.args.text
            && !self.out.json
            && let Some(nul) = memchr::memchr(0, block)
        {
            // GNU grep (3.8) reads 96 KiB buffers and prints the lines
            // of those before the one holding the NUL; so do we.
            const GNU_BUFFER: u64 = 96 * 1024;
            let boundary = (self.offset + nul as u64) / GNU_BUFFER * GNU_BUFFER;
            let cut = match usize::try_from(boundary.saturating_sub(self.offset)) {
                Ok(rel) if rel > 0 => memchr::memrchr(b'\n', &block[..rel]).map_or(0, |i| i + 1),
                _ => 0,
            };
            let line_no = if cut > 0 {
                self.block(name, &block[..cut], line_no)?
            } else {
                line_no
            };
            self.binary = true;
            return self.block(name, &block[cut..], line_no);
        }
        let quiet = self.binary;
        let view = FileView {
            name,
            show_name: self.show_name,
            quiet,
        };
        let (args, out, view) = (self.args, self.out, &view);
        let results: Vec<io::Result<ChunkResult>> = if chunks.len() == 1 {
            let seen = if self.args.unique {
                Some(&mut self.seen)
            } else {
                None
            };
            vec![scan_chunk(args, out, view, chunks[0], bases[0], seen)]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = chunks
                    .iter()
                    .zip(&bases)
                    .map(|(c, &base)| {
                        scope.spawn(move || scan_chunk(args, out, view, c, base, None))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join()
                            .unwrap_or_else(|_| Err(io::Error::other("a search thread failed")))
                    })
                    .collect()
            })
        };
        for r in results {
            let r = r?;
            self.w.write_all(&r.out)?;
            self.matches += r.matches;
            self.lines += r.lines;
            self.binary_matched |= quiet && r.matches > 0;
        }
        Ok(if numbered || chunks.len() > 1 {
            next
        } else {
            line_no + memchr::memchr_iter(b'\n', block).count() as u64
        })
    }

    /// Search a stream: while one 4 MiB block of whole lines is searched,
    /// the next is read on another thread.
    fn stream(&mut self, name: &str, r: impl Read + Send) -> io::Result<()> {
        let mut line_no = 1u64;
        let mut stopped = false;
        ipkit::text::for_each_line_block(r, |block| {
            line_no = self.block(name, block, line_no)?;
            self.offset += block.len() as u64;
            // Between blocks, so what was written ends with a whole line.
            stopped = self.interrupt.fired();
            Ok(if stopped {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            })
        })?;
        if stopped {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        Ok(())
    }
}

/// Run `ipkit grep`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    let files: Vec<PathBuf> = if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files.clone()
    };
    let interrupt = Interrupt::install();
    let stdout = io::stdout();
    let mut s = Searcher {
        args: &args,
        out,
        w: BufWriter::with_capacity(1 << 16, stdout.lock()),
        seen: HashSet::new(),
        matches: 0,
        lines: 0,
        show_name: (args.with_filename || files.len() > 1) && !args.no_filename,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
        interrupt: &interrupt,
        offset: 0,
        binary: false,
        binary_matched: false,
    };
    let only = args.only_matching || args.unique || args.address_only;
    let counted = |s: &Searcher<'_, _>| if only { s.matches } else { s.lines };
    let mut errors = 0u64;
    for (i, f) in files.iter().enumerate() {
        let name = f.display().to_string();
        let before = counted(&s);
        s.offset = 0;
        s.binary = false;
        s.binary_matched = false;
        let result = if name == "-" {
            s.stream("-", io::stdin())
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
            if interrupt.fired() {
                s.w.flush()?;
                let rest = files.len() - i - 1;
                let more = if rest > 0 {
                    format!(" and {rest} more file(s) were not read")
                } else {
                    String::new()
                };
                eprintln!("ipkit: interrupted: {name} was not read to its end{more}");
                break;
            }
            s.w.flush()?;
            eprintln!("error: reading {name}: {e}");
            errors += 1;
        }
        if s.binary_matched && !args.count {
            s.w.flush()?;
            eprintln!("ipkit: {name}: binary file matches");
        }
        // -c: a count per file, as grep prints it; -h: one total at the end.
        if args.count && !out.json && !args.no_filename {
            let n = counted(&s) - before;
            if s.show_name {
                writeln!(s.w, "{name}:{n}")?;
            } else {
                writeln!(s.w, "{n}")?;
            }
        }
    }
    if out.json {
        let summary = Summary {
            matches: s.matches,
            lines: s.lines,
            unique: args.unique.then_some(s.seen.len()),
            errors,
            interrupted: interrupt.fired(),
        };
        write_record(&mut s.w, "summary", &summary)?;
    } else if args.count && args.no_filename {
        writeln!(s.w, "{}", counted(&s))?;
    }
    s.w.flush()?;
    if let Some(code) = interrupt.exit_code() {
        return Ok(code);
    }
    Ok(if errors > 0 {
        crate::exit::ERROR
    } else if s.matches > 0 {
        crate::exit::OK
    } else {
        crate::exit::NEGATIVE
    })
}
