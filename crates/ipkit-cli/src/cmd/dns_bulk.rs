//! `ipkit dns --bulk`: the CLI side of `ipkit::dns_bulk` — reading names,
//! reporting bad lines, streaming results (NDJSON with `--json`), a progress
//! line on a terminal, and a summary.
//!
//! NDJSON records: `{"type":"result","data":{"line","name","type","status",
//! "answers","tries","rtt_ms","tcp"}}` per name (status: an RCODE mnemonic,
//! `TIMEOUT` or `FAILED`), then `{"type":"summary","data":{...}}`.

use std::cell::RefCell;
use std::io::{BufWriter, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use hickory_proto::rr::{Name, RecordType};
use ipkit::dns::{self, QueryOptions};
use ipkit::dns_bulk::{BulkItem, BulkOptions, BulkOutcome, BulkResult};
use serde::Serialize;

use crate::cmd::dns::{Args, parse_type};
use crate::exit::usage;
use crate::input::{BadLines, Source};
use crate::output::{Output, write_record};
use crate::report::dns::{rcode_name, type_name};

/// One result record.
#[derive(Serialize)]
struct ResultRecord<'a> {
    /// Input line number.
    line: u64,
    /// The name, fully qualified.
    name: String,
    /// The record type.
    #[serde(rename = "type")]
    rtype: String,
    /// NOERROR, NXDOMAIN, SERVFAIL … or TIMEOUT / FAILED.
    status: String,
    /// Answer records (type and data), answer section order.
    answers: Vec<AnswerRecord>,
    /// Queries sent for this name.
    tries: u8,
    /// Round-trip time of the accepted answer, ms.
    rtt_ms: f64,
    /// Answered over TCP after truncation.
    tcp: bool,
    /// Why it failed, for FAILED.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

/// One answer record in a result.
#[derive(Serialize)]
struct AnswerRecord {
    #[serde(rename = "type")]
    rtype: String,
    data: String,
}

/// The closing summary.
#[derive(Serialize, Default)]
struct Summary {
    /// Names handed to the engine (bad lines excluded).
    names: u64,
    /// Results written; always equals `names`.
    results: u64,
    /// NOERROR with at least one answer record.
    answered: u64,
    /// NOERROR without records.
    nodata: u64,
    /// NXDOMAIN.
    nxdomain: u64,
    /// SERVFAIL.
    servfail: u64,
    /// Other RCODEs (REFUSED …).
    other_rcode: u64,
    /// No answer after every try.
    timeout: u64,
    /// Could not be sent.
    failed: u64,
    /// Input lines skipped as malformed.
    bad_lines: u64,
    /// Queries sent, retries included.
    queries_sent: u64,
    /// Bogus answers rejected.
    rejected: u64,
    /// Names finished over TCP.
    tcp_fallbacks: u64,
    /// Wall time, seconds.
    elapsed_s: f64,
    /// Names per second.
    names_per_s: f64,
}

/// Run a bulk resolution.
pub fn run(
    path: &Path,
    default_types: &[RecordType],
    given: &[SocketAddr],
    args: &Args,
    out: &Output,
) -> anyhow::Result<u8> {
    let conf = dns::system_config()?;
    let server = *dns::servers(given, &conf)
        .first()
        .ok_or_else(|| usage("no server: give @SERVER"))?;
    let default_types: Vec<RecordType> = if default_types.is_empty() {
        vec![RecordType::A]
    } else {
        default_types.to_vec()
    };
    let timeout = match args.timeout {
        Some(t) if t > 0.0 && t <= 300.0 => Duration::from_secs_f64(t),
        Some(t) => {
            return Err(usage(format!(
                "--timeout {t}: give seconds between 0 and 300"
            )));
        }
        None => Duration::from_secs(1),
    };
    if args.concurrency == 0 || args.concurrency > 65_536 {
        return Err(usage("--concurrency: give 1 to 65536"));
    }
    let opts = BulkOptions {
        server,
        window: args.concurrency,
        rate: args.rate,
        timeout,
        retries: args.retries,
        query: QueryOptions {
            recursion_desired: !args.norecurse,
            dnssec_ok: args.dnssec,
            edns_payload: (args.bufsize > 0).then_some(args.bufsize),
            timeout: timeout.max(Duration::from_secs(2)),
            source: args.source,
            interface: args.interface.clone(),
            ..QueryOptions::default()
        },
    };
    let source = Source::open(
        Vec::new(),
        (path.as_os_str() != "-").then(|| path.to_path_buf()),
    )?;
    let source_name = source.name().to_string();
    let bad = RefCell::new(BadLines::default());
    let items = source
        .into_lines()
        .flat_map(|(line, text)| parse_line(line, &text, &default_types, &source_name, &bad));

    let stdout = std::io::stdout();
    let mut w = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut summary = Summary::default();
    let mut write_error: Option<std::io::Error> = None;
    let progress = std::io::stderr().is_terminal() && !out.json;
    let start = Instant::now();
    let mut last_progress = start;
    let stats = ipkit::dns_bulk::run(items, &opts, |r| {
        summary.results += 1;
        let record = record_of(&r, &mut summary);
        if write_error.is_none() {
            let res = if out.json {
                write_record(&mut w, "result", &record)
            } else {
                write_line(&mut w, &record)
            };
            if let Err(e) = res {
                write_error = Some(e);
            }
        }
        if progress && last_progress.elapsed() > Duration::from_millis(100) {
            last_progress = Instant::now();
            let rate = summary.results as f64 / start.elapsed().as_secs_f64();
            eprint!(
                "\r{} names, {rate:.0}/s, {} timeouts, {} failures   ",
                summary.results, summary.timeout, summary.failed
            );
        }
    })?;
    if progress {
        eprint!("\r{}\r", " ".repeat(60));
    }
    if let Some(e) = write_error {
        return Err(e.into());
    }
    summary.names = stats.names;
    summary.queries_sent = stats.sent;
    summary.rejected = stats.rejected;
    summary.tcp_fallbacks = stats.tcp_fallbacks;
    summary.bad_lines = bad.borrow().count;
    summary.elapsed_s = start.elapsed().as_secs_f64();
    summary.names_per_s = summary.results as f64 / summary.elapsed_s.max(1e-9);
    if out.json {
        write_record(&mut w, "summary", &summary)?;
    }
    w.flush()?;
    drop(w);
    if !out.json {
        eprintln!(
            "ipkit: {} names in {:.2} s ({:.0}/s): {} answered, {} nodata, {} nxdomain, {} servfail, {} other, {} timed out, {} failed; {} bad lines",
            summary.results,
            summary.elapsed_s,
            summary.names_per_s,
            summary.answered,
            summary.nodata,
            summary.nxdomain,
            summary.servfail,
            summary.other_rcode,
            summary.timeout,
            summary.failed,
            summary.bad_lines
        );
    }
    Ok(bad.borrow().finish())
}

fn parse_line(
    line: u64,
    text: &str,
    default_types: &[RecordType],
    source: &str,
    bad: &RefCell<BadLines>,
) -> Vec<BulkItem> {
    let text = text.split('#').next().unwrap_or("").trim();
    let mut words = text.split_whitespace();
    let Some(raw) = words.next() else {
        return Vec::new();
    };
    let fq = if raw.ends_with('.') {
        raw.to_string()
    } else {
        format!("{raw}.")
    };
    let name = match Name::from_ascii(&fq) {
        Ok(n) if fq.len() <= 254 && fq.split('.').all(|l| l.len() <= 63) && !fq.contains("..") => n,
        _ => {
            bad.borrow_mut()
                .report(source, line, format!("'{raw}' is not a domain name"));
            return Vec::new();
        }
    };
    let mut types = Vec::new();
    for w in words {
        match parse_type(w) {
            Some(t) => types.push(t),
            None => {
                bad.borrow_mut()
                    .report(source, line, format!("'{w}' is not a record type"));
                return Vec::new();
            }
        }
    }
    if types.is_empty() {
        types = default_types.to_vec();
    }
    types
        .into_iter()
        .map(|rtype| BulkItem {
            tag: line,
            name: name.clone(),
            rtype,
        })
        .collect()
}

fn record_of<'a>(r: &'a BulkResult, s: &mut Summary) -> ResultRecord<'a> {
    let (status, answers, tcp, error) = match &r.outcome {
        BulkOutcome::Answered {
            rcode,
            answers,
            tcp,
        } => {
            let status = rcode_name(*rcode);
            match status.as_str() {
                "NOERROR" if answers.is_empty() => s.nodata += 1,
                "NOERROR" => s.answered += 1,
                "NXDOMAIN" => s.nxdomain += 1,
                "SERVFAIL" => s.servfail += 1,
                _ => s.other_rcode += 1,
            }
            let answers = answers
                .iter()
                .map(|(t, d)| AnswerRecord {
                    rtype: type_name(*t),
                    data: d.clone(),
                })
                .collect();
            (status, answers, *tcp, None)
        }
        BulkOutcome::TimedOut => {
            s.timeout += 1;
            ("TIMEOUT".to_string(), Vec::new(), false, None)
        }
        BulkOutcome::Failed(e) => {
            s.failed += 1;
            ("FAILED".to_string(), Vec::new(), false, Some(e.as_str()))
        }
    };
    ResultRecord {
        line: r.tag,
        name: r.name.to_ascii(),
        rtype: type_name(r.rtype),
        status,
        answers,
        tries: r.tries,
        rtt_ms: r.rtt.as_secs_f64() * 1000.0,
        tcp,
        error,
    }
}

fn write_line(w: &mut impl Write, r: &ResultRecord) -> std::io::Result<()> {
    write!(w, "{}\t{}\t{}", r.name, r.rtype, r.status)?;
    for (i, a) in r.answers.iter().enumerate() {
        write!(w, "{}{}", if i == 0 { "\t" } else { " " }, a.data)?;
    }
    writeln!(w)
}
