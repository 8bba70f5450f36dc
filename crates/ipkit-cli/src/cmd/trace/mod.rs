//! `ipkit trace` (aliases `traceroute`, `tracert`): route tracing with
//! traceroute's letters and view, tracert's (`--windows`), mtr
//! --report's table (`--report -c N`) and NDJSON (`--json`). The library
//! does the work: flags become an [`ipkit::trace::Asked`], checked into a
//! [`Request`]; [`ipkit::trace::run`] probes and emits each hop as it
//! completes; the views here print one line per hop from those
//! [`HopReport`]s (flushed at once) and pick the exit code from the
//! [`TraceReport`]: 0 reached, 1 not, 2 an error, 130/143 after a signal.

mod args;
mod live;
mod report;
mod traceroute;
mod tracert;

use std::io::Write;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::SystemTime;

use ipkit::host::InterfaceTable;
use ipkit::info::Databases;
use ipkit::trace::ip_info::HopData;
use ipkit::trace::{Request, RequestError, TraceEvent, TraceReport};

pub use args::{Args, EXAMPLES, WindowsArgs};

use crate::exit::usage;
use crate::output::{Output, write_record};

/// How the hops are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    /// traceroute's lines.
    Traceroute,
    /// tracert's lines.
    Tracert,
    /// mtr --report's table, after the last round.
    Report {
        /// With the jitter column.
        jitter: bool,
    },
    /// NDJSON records.
    Json,
}

/// Parse `ipkit trace --windows …` (what `ipkit tracert …` is rewritten
/// to) when that is what the command line says; None otherwise (the
/// ordinary parser runs). A `--json` before the command counts.
pub fn windows_command_line(
    argv: &[std::ffi::OsString],
) -> Option<Result<WindowsArgs, clap::Error>> {
    let at = crate::windows::subcommand_at(argv)?;
    let is_windows = argv[at] == "trace" && argv.get(at + 1).is_some_and(|a| a == "--windows");
    let json_before = argv[1..at].iter().any(|a| a == "--json");
    is_windows.then(|| {
        let mut args = argv[at..].to_vec();
        if json_before {
            args.push("--json".into());
        }
        <WindowsArgs as clap::Parser>::try_parse_from(args)
    })
}

/// Run `ipkit trace --windows` / `ipkit tracert`.
pub fn run_windows(args: WindowsArgs, color: crate::output::ColorChoice) -> anyhow::Result<u8> {
    let out = Output::new(args.json, color);
    let asked = args.asked().map_err(usage)?;
    let mut request = Request::new(&asked).map_err(request_error)?;
    // Only the JSON view shows the responders' labels.
    request.ip_info = hop_data(&[], out.json)?;
    let view = if out.json { View::Json } else { View::Tracert };
    trace(&request, view, false, &Pictures::default())
}

/// Run `ipkit trace`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    if args.windows {
        return Err(usage(
            "--windows must come right after `trace`: ipkit trace --windows [OPTIONS] TARGET",
        ));
    }
    if args.interval.is_some() && !(args.report || args.live) {
        return Err(usage(
            "--interval is the pace of --report's or --live's rounds: give one of them",
        ));
    }
    let targets = args.targets().map_err(usage)?;
    // The views that show labels or places: JSON, -A (traceroute's and the
    // report's), --map, and --live's AS and CC columns.
    let needed = args.live || out.json || args.as_path || args.map.is_some();
    let ip_info = hop_data(&args.db, needed)?;
    if args.live {
        if out.json {
            return Err(usage("--live is a terminal view; it does not take --json"));
        }
        let mut tabs = Vec::new();
        for target in targets {
            let asked = ipkit::trace::Asked {
                target,
                ..args.asked()
            };
            let mut request = Request::new(&asked).map_err(request_error)?;
            request.ip_info = ip_info.clone();
            tabs.push((asked, request));
        }
        if let Some(why) = crate::live::needs_terminal("--live") {
            return Err(usage(why));
        }
        return live::run(tabs, out.color);
    }
    let mut request = Request::new(&args.asked()).map_err(request_error)?;
    request.ip_info = ip_info;
    let view = if out.json {
        View::Json
    } else if args.report {
        View::Report {
            jitter: args.jitter,
        }
    } else {
        View::Traceroute
    };
    let pictures = Pictures {
        plot: args.plot.as_ref(),
        map: args.map.as_ref(),
    };
    trace(&request, view, args.as_path, &pictures)
}

/// The IP-information data of `--db` (a file that will not open: one
/// line, exit 2), else of `IPKIT_DB` or the data directory, named only and
/// opened on the first responder looked up (not at all when the view
/// shows no labels, `needed` false): there a database that will not open
/// leaves the hops unlabelled and the trace says why in one line at its
/// end (the trace is what was asked for).
fn hop_data(given: &[PathBuf], needed: bool) -> anyhow::Result<HopData> {
    if !given.is_empty() {
        return Databases::open(given)
            .map(HopData::new)
            .map_err(|e| usage(ipkit::error_chain(&e)));
    }
    if !needed {
        return Ok(HopData::default());
    }
    Ok(HopData::lazy(ipkit::info::dirs::default_paths()))
}

/// The pictures asked for: `--plot`, and `--map` (over the request's data).
#[derive(Debug, Default)]
struct Pictures<'a> {
    plot: Option<&'a crate::plot::Target>,
    map: Option<&'a crate::plot::Target>,
}

/// Trace `r` and print it in `view` (`as_path`: with each responder's
/// AS) and draw the pictures asked for; returns the exit code.
fn trace(r: &Request, view: View, as_path: bool, pictures: &Pictures<'_>) -> anyhow::Result<u8> {
    let interrupt = crate::interrupt::Interrupt::install();
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    let numeric = !r.resolve_names;
    let started = SystemTime::now();
    let sent_tos = r.config.tos.unwrap_or(0);
    let mut write_err = None;
    let report = super::ping::block_on(ipkit::trace::run(r, interrupt.token(), |event| {
        let hop = match event {
            // The header once the channel is open: a trace that cannot
            // start prints its one error line and nothing else.
            TraceEvent::Opened => match header(r, view, &mut w) {
                Ok(()) => return ControlFlow::Continue(()),
                Err(e) => {
                    write_err = Some(e);
                    return ControlFlow::Break(());
                }
            },
            TraceEvent::Hop(hop) => hop,
            _ => return ControlFlow::Continue(()),
        };
        let res = match view {
            View::Traceroute => writeln!(
                w,
                "{}",
                traceroute::hop_line(hop, numeric, sent_tos, as_path)
            ),
            View::Tracert => writeln!(w, "{}", tracert::hop_line(hop, numeric)),
            View::Json => write_record(&mut w, "hop", hop),
            View::Report { .. } => Ok(()),
        }
        .and_then(|()| w.flush());
        match res {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                write_err = Some(e);
                ControlFlow::Break(())
            }
        }
    }))??;
    if let Some(e) = write_err {
        return Err(e.into());
    }
    match view {
        View::Traceroute => {}
        // Stopped by Ctrl-C, the hops so far are all there is to say.
        View::Tracert if report.interrupted => {}
        View::Tracert => writeln!(w, "{}", tracert::footer())?,
        View::Json => write_record(
            &mut w,
            "summary",
            &ipkit::trace::report::Summary::of(&report),
        )?,
        View::Report { jitter } => {
            let since = started
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default();
            let host = ipkit::host::system().host_name();
            writeln!(
                w,
                "{}",
                report::header(&report::start_time(since), &host, jitter)
            )?;
            for hop in &report.hops {
                writeln!(w, "{}", report::row(hop, numeric, jitter, as_path))?;
            }
        }
    }
    w.flush()?;
    if let Some(plot) = pictures.plot {
        crate::plot::write(plot, &ipkit::picture::trace::plot(&report))?;
    }
    if let Some(map) = pictures.map {
        draw_map(map, &r.ip_info, &report)?;
    }
    if let Some(why) = r.ip_info.open_error() {
        let _ = writeln!(
            std::io::stderr(),
            "ipkit: hops not labelled: IP-information data: {why}"
        );
    }
    if !report.reached && !report.interrupted && view != View::Json {
        let _ = writeln!(std::io::stderr(), "ipkit: {}", not_reached(r, &report));
    }
    Ok(interrupt.exit_code().unwrap_or(if report.reached {
        crate::exit::OK
    } else {
        crate::exit::NEGATIVE
    }))
}

/// `--map`: the hops the IP-information data locates, on the world map.
fn draw_map(map: &crate::plot::Target, data: &HopData, report: &TraceReport) -> anyhow::Result<()> {
    // The data the trace already opened (--db, IPKIT_DB or the data
    // directory): not opened a second time, nor for bogons alone.
    let places = ipkit::picture::map::hops(report, |ip| {
        if ipkit::info::bogon::is_bogon(ip) {
            return None;
        }
        ipkit::picture::map::parse_loc(data.databases()?.lookup(ip).loc.as_deref()?)
    });
    if places.is_empty() {
        let _ = writeln!(
            std::io::stderr(),
            "ipkit: no hop has a known location (IP-information data: `ipkit info --update` or --db FILE)"
        );
    }
    let title = format!(
        "ipkit trace {} ({}): {} of {} hops located",
        report.shown,
        report.target,
        places.len(),
        report.hops.len()
    );
    let svg = ipkit::picture::map::route(&title, &places, ipkit::info::DBIP_ATTRIBUTION);
    crate::plot::write(map, &svg)
}

/// The view's first lines (none for the table and JSON), flushed.
fn header(r: &Request, view: View, w: &mut impl Write) -> std::io::Result<()> {
    match view {
        View::Traceroute => writeln!(
            w,
            "{}",
            // traceroute counts the IP options (a loose route) in.
            traceroute::header(
                &r.shown,
                r.target,
                r.max_hops,
                r.packet_size() + r.config.ip_options().len()
            )
        )?,
        View::Tracert => writeln!(w, "{}", tracert::header(&r.shown, r.target, r.max_hops))?,
        View::Report { .. } | View::Json => {}
    }
    w.flush()
}

/// Why the trace ended short of the destination, in one line (stderr, so
/// the views keep their anchors' layout).
fn not_reached(r: &Request, report: &TraceReport) -> String {
    let last_answer = report
        .hops
        .iter()
        .rev()
        .find(|h| h.probes.iter().any(|p| p.from.is_some()));
    let mark = last_answer.and_then(|h| {
        h.probes
            .iter()
            .find_map(|p| p.annotation.as_deref())
            .map(|m| (h.ttl, m))
    });
    let tried = report.hops.last().map_or(0, |h| h.ttl);
    let why = match (mark, last_answer) {
        (Some((ttl, mark)), _) => format!("hop {ttl} answered {mark}"),
        _ if tried >= r.max_hops => format!("not within {} hops", r.max_hops),
        (None, Some(h)) => format!(
            "no answer from the {} hops after hop {}",
            tried - h.ttl,
            h.ttl
        ),
        (None, None) => format!("no hop answered up to hop {tried}"),
    };
    format!("destination {} not reached: {why}", r.target)
}

/// A request's error as the command reports it: a usage error (exit 2, one
/// line) unless the fault is a name that did not resolve.
fn request_error(e: RequestError) -> anyhow::Error {
    if e.is_usage() {
        usage(e.to_string())
    } else {
        e.into()
    }
}

#[cfg(test)]
mod fixtures {
    //! Hops for the views' tests.

    use ipkit::trace::{HopReport, HopStats, ProbeResult};

    /// A probe answered by `from` after `rtt` ms (None, None: `*`).
    pub fn probe(from: Option<&str>, rtt: Option<f64>) -> ProbeResult {
        ProbeResult {
            from: from.map(|f| f.parse().unwrap()),
            rtt_ms: rtt,
            ..ProbeResult::default()
        }
    }

    /// A hop of these probes, with their statistics.
    pub fn hop(ttl: u8, probes: Vec<ProbeResult>) -> HopReport {
        HopReport {
            ttl,
            stats: HopStats::of(&probes),
            probes,
            mtu: None,
        }
    }
}
