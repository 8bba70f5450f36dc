//! `ipkit dns --bulk`: the CLI side of `ipkit::dns_bulk` — reading names,
//! reporting bad lines, streaming results as they complete (in input order
//! with `--ordered`; NDJSON with `--json`), a progress line on a terminal,
//! and a summary that accounts for every name.
//!
//! Output is buffered for speed and flushed whenever the engine waits for
//! answers (and at least every 50 ms), so a reader such as `head -1` gets its
//! line at once; the first failed write ends the run (a closed pipe exits 0,
//! silently, as ripgrep does). SIGINT or SIGTERM stops sending: answers in
//! flight are awaited for up to the first try's timeout, the rest is
//! accounted for as interrupted or not sent, the summary is printed, and the
//! exit status is 130 or 143.
//!
//! NDJSON records: `{"type":"result","data":{"line","name","type","status",
//! "answers","tries","rtt_ms","tcp"}}` per name (status: an RCODE mnemonic,
//! `TIMEOUT`, `FAILED`, `INTERRUPTED` or `NOT_SENT`), then
//! `{"type":"summary","data":{...}}` (see [`ipkit::dns_bulk::report`], docs/json.md).

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::io::{BufWriter, StdoutLock, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::time::{Duration, Instant};

use hickory_proto::rr::RecordType;
use ipkit::dns_bulk::report::{ResultRecord, Summary};
use ipkit::dns_bulk::{BulkEvent, BulkItem, BulkOutcome, BulkRequest, BulkResult};

use crate::input::{BadLines, Source};
use crate::interrupt::Interrupt;
use crate::output::{Output, write_record};

/// How many never-sent names the human view lists.
const NOT_SENT_SHOWN: usize = 10;

/// Writes results as they come (or in input order), flushing promptly.
struct Printer<'a> {
    w: BufWriter<StdoutLock<'static>>,
    json: bool,
    /// With --ordered: the tags handed to the engine, oldest unwritten first.
    issued: Option<&'a RefCell<VecDeque<u64>>>,
    /// With --ordered: finished results waiting for those before them.
    waiting: BTreeMap<u64, BulkResult>,
    summary: Summary,
    not_sent_names: Vec<String>,
    unflushed: bool,
    last_flush: Instant,
}

impl Printer<'_> {
    fn take(&mut self, r: BulkResult) -> std::io::Result<()> {
        let Some(issued) = self.issued else {
            return self.write(&r);
        };
        self.waiting.insert(r.tag, r);
        loop {
            let next = issued.borrow().front().copied();
            let Some(r) = next.and_then(|tag| self.waiting.remove(&tag)) else {
                return Ok(());
            };
            issued.borrow_mut().pop_front();
            self.write(&r)?;
        }
    }

    fn write(&mut self, r: &BulkResult) -> std::io::Result<()> {
        self.summary.results += 1;
        let record = ResultRecord::of(r, &mut self.summary);
        if r.outcome == BulkOutcome::NotSent && self.not_sent_names.len() < NOT_SENT_SHOWN {
            self.not_sent_names.push(record.name.clone());
        }
        if self.json {
            write_record(&mut self.w, "result", &record)?;
        } else if r.outcome != BulkOutcome::NotSent {
            write_line(&mut self.w, &record)?;
        }
        self.unflushed = true;
        if self.last_flush.elapsed() >= Duration::from_millis(50) {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.unflushed {
            self.w.flush()?;
            self.unflushed = false;
        }
        self.last_flush = Instant::now();
        Ok(())
    }
}

/// Run a bulk resolution of the names in `path` (`-` for stdin); with
/// `ordered`, results in input order.
pub fn run(path: &Path, request: &BulkRequest, ordered: bool, out: &Output) -> anyhow::Result<u8> {
    let conf = ipkit::dns::system_config()?;
    let opts = request.options(&conf)?;
    let default_types = request.default_types();
    let source = Source::open(
        Vec::new(),
        (path.as_os_str() != "-").then(|| path.to_path_buf()),
    )?;
    let source_name = source.name().to_string();
    let bad = RefCell::new(BadLines::default());
    let issued = RefCell::new(VecDeque::new());
    let items = source.into_lines().flat_map(|(line, text)| {
        let items = parse_line(line, &text, &default_types, &source_name, &bad);
        if ordered {
            issued.borrow_mut().extend(items.iter().map(|i| i.tag));
        }
        items
    });

    let interrupt = Interrupt::install();
    let mut p = Printer {
        w: BufWriter::with_capacity(1 << 16, std::io::stdout().lock()),
        json: out.json,
        issued: ordered.then_some(&issued),
        waiting: BTreeMap::new(),
        summary: Summary::default(),
        not_sent_names: Vec::new(),
        unflushed: false,
        last_flush: Instant::now(),
    };
    let mut write_error: Option<std::io::Error> = None;
    let mut progress = crate::progress::ProgressLine::new(!out.json);
    // A file's questions are counted first for the ETA, only when the line
    // is drawn; stdin (or a pipe) is read once, so it has no total.
    let total = (progress.enabled() && path.as_os_str() != "-")
        .then(|| planned(path, &default_types))
        .flatten();
    let start = Instant::now();
    let stats = ipkit::dns_bulk::run(items, &opts, interrupt.token(), |event| {
        let res = match event {
            BulkEvent::Result(r) => p.take(r),
            BulkEvent::Idle => p.flush(),
        };
        if let Err(e) = res {
            write_error = Some(e);
            return ControlFlow::Break(());
        }
        progress.show(|| progress_line(&p.summary, total, start.elapsed()));
        ControlFlow::Continue(())
    })?;
    progress.clear();
    if let Some(e) = write_error {
        return Err(e.into());
    }
    let mut summary = std::mem::take(&mut p.summary);
    summary.names = stats.names;
    summary.queries_sent = stats.sent;
    summary.rejected = stats.rejected;
    summary.tcp_fallbacks = stats.tcp_fallbacks;
    summary.window_peak = stats.window_peak;
    summary.window_end = stats.window_end;
    summary.bad_lines = bad.borrow().count;
    let elapsed = start.elapsed();
    summary.elapsed_ms = ipkit::dns::report::millis(elapsed);
    summary.names_per_s = (summary.results as f64 / elapsed.as_secs_f64().max(1e-9)).round();
    summary.signal = match interrupt.exit_code() {
        Some(130) => Some("SIGINT"),
        Some(143) => Some("SIGTERM"),
        Some(_) => Some("signal"),
        None => None,
    };
    if out.json {
        write_record(&mut p.w, "summary", &summary)?;
    }
    p.w.flush()?;
    drop(p.w);
    if !out.json {
        eprintln!(
            "ipkit: {} names in {:.2} s ({:.0}/s): {} answered, {} nodata, {} nxdomain, {} servfail, {} other, {} timed out, {} failed, {} interrupted, {} not sent; {} bad lines",
            summary.results,
            elapsed.as_secs_f64(),
            summary.names_per_s,
            summary.answered,
            summary.nodata,
            summary.nxdomain,
            summary.servfail,
            summary.other_rcode,
            summary.timeout,
            summary.failed,
            summary.interrupted,
            summary.not_sent,
            summary.bad_lines
        );
        if summary.not_sent > 0 {
            let more = summary.not_sent - p.not_sent_names.len() as u64;
            eprintln!(
                "ipkit: not sent: {}{}",
                p.not_sent_names.join(" "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
    }
    let code = bad.borrow().finish();
    Ok(interrupt.exit_code().unwrap_or(code))
}

/// The questions the file at `path` asks (its good lines' items), for the
/// progress line's ETA; None if it cannot be read.
fn planned(path: &Path, default_types: &[RecordType]) -> Option<u64> {
    // A pipe or a device read twice would lose its lines: regular files only.
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let source = Source::open(Vec::new(), Some(path.to_path_buf())).ok()?;
    Some(
        source
            .into_lines()
            .map(|(line, text)| {
                ipkit::dns_bulk::parse_line(line, &text, default_types).map_or(0, |i| i.len())
                    as u64
            })
            .sum(),
    )
}

/// The progress line: how many of the questions are done (a bar with a
/// total), how many the server replied to (any RCODE) and how many failed
/// (timed out after every try, or could not be sent), the rate, and the
/// time left at that rate.
fn progress_line(s: &Summary, total: Option<u64>, elapsed: Duration) -> String {
    let done = s.results;
    let (bar, of) = match total {
        Some(t) => (crate::progress::bar(done, t, 10), format!("/{t}")),
        None => (String::new(), String::new()),
    };
    let replied = s.answered + s.nodata + s.nxdomain + s.servfail + s.other_rcode;
    format!(
        "{bar}{done}{of} names, {replied} replied, {} failed, {} ",
        s.timeout + s.failed,
        crate::progress::rate_eta(done, total, elapsed)
    )
}

/// The items of one input line; a bad line is reported and skipped.
fn parse_line(
    line: u64,
    text: &str,
    default_types: &[RecordType],
    source: &str,
    bad: &RefCell<BadLines>,
) -> Vec<BulkItem> {
    ipkit::dns_bulk::parse_line(line, text, default_types).unwrap_or_else(|e| {
        bad.borrow_mut().report(source, line, e.to_string());
        Vec::new()
    })
}

fn write_line(w: &mut impl Write, r: &ResultRecord) -> std::io::Result<()> {
    write!(w, "{}\t{}\t{}", r.name, r.rtype, r.status)?;
    for (i, a) in r.answers.iter().enumerate() {
        write!(w, "{}{}", if i == 0 { "\t" } else { " " }, a.data)?;
    }
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_line_counts_replies_and_failures_with_rate_and_eta() {
        let s = Summary {
            results: 150,
            answered: 20,
            nodata: 5,
            nxdomain: 100,
            servfail: 2,
            other_rcode: 3,
            timeout: 15,
            failed: 5,
            ..Summary::default()
        };
        // 150 of 300 in 3 s: 50/s, 150 left: 3 s.
        assert_eq!(
            progress_line(&s, Some(300), Duration::from_secs(3)),
            "[#####     ] 150/300 names, 130 replied, 20 failed, 50/s, ETA 0:03 "
        );
        assert_eq!(
            progress_line(&s, None, Duration::from_secs(3)),
            "150 names, 130 replied, 20 failed, 50/s "
        );
    }
}
