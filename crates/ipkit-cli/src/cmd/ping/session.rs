//! One target: run the session engine, turn each event into its
//! [`SessionRecord`] (names looked up there, by the library's [`Names`]),
//! and print it as NDJSON or in the chosen view; then the statistics and
//! the exit code (0 a reply came, 1 none, 143 after SIGTERM).

use std::io::Write;
use std::time::{Duration, Instant, SystemTime};

use ipkit::ping::report::{Names, SessionRecord, Summary};
use ipkit::ping::request::SessionRequest;

use super::{Style, block_on, iputils, keep_going, terminated, windows};
use crate::output::{Output, write_record};

/// Choices about the reply lines (iputils view).
#[derive(Debug, Clone, Default)]
pub struct Lines {
    /// Only the statistics (`-q`).
    pub quiet: bool,
    /// A Unix timestamp before each line (`-D`).
    pub timestamps: bool,
    /// Where the session's picture goes (`--plot`).
    pub plot: Option<crate::plot::Target>,
}

/// Ping `r`'s target and print, in `style`; returns the exit code.
pub fn run(r: &SessionRequest, style: Style, lines: &Lines, out: &Output) -> anyhow::Result<u8> {
    let interrupt = crate::interrupt::Interrupt::install();
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    let windows = style == Style::Windows;
    let o = &r.options;
    if !out.json {
        if windows {
            // Windows -a names the target only.
            let name = Names::new(r.names).lookup(r.target);
            writeln!(w, "{}", windows::header(r.target, name.as_deref(), o.size))?;
        } else {
            writeln!(w, "{}", iputils::header(&r.shown, r.target, o))?;
        }
        w.flush()?;
    }
    let started = Instant::now();
    let mut write_err = None;
    // iputils names every host that answers.
    let mut names = Names::new(r.names && !windows);
    let mut view = iputils::Lines::new(o.size);
    let mut series = ipkit::picture::ping::Series::new();
    let tracker = block_on(ipkit::ping::session::run(
        r.target,
        o,
        interrupt.token(),
        |e| {
            let quiet = lines.quiet && !out.json;
            if quiet && lines.plot.is_none() {
                return std::ops::ControlFlow::Continue(());
            }
            let record = SessionRecord::of(e, &r.asked, &mut names);
            series.record(&record);
            if quiet {
                return std::ops::ControlFlow::Continue(());
            }
            let res = if out.json {
                write_record(&mut w, record.kind(), &record)
            } else {
                let line = if windows {
                    windows::line(&record, o.size)
                } else {
                    view.line(&record, lines.timestamps.then(unix_time))
                };
                match line {
                    Some(l) => writeln!(w, "{l}").and_then(|()| w.flush()),
                    None => Ok(()),
                }
            };
            keep_going(res, &mut write_err)
        },
    ))??;
    if let Some(e) = write_err {
        return Err(e.into());
    }
    let summary = Summary::of(r.target, &tracker.stats, started.elapsed());
    if let Some(plot) = &lines.plot {
        crate::plot::write(
            plot,
            &ipkit::picture::ping::plot(&r.shown, &series, &summary),
        )?;
    }
    if out.json {
        write_record(&mut w, "summary", &summary)?;
    } else if windows {
        w.write_all(windows::statistics(&summary).as_bytes())?;
    } else {
        w.write_all(iputils::statistics(&r.shown, &summary, view.timed(), out).as_bytes())?;
    }
    w.flush()?;
    if r.asked.source_route && summary.received == 0 && !out.json {
        let _ = writeln!(
            std::io::stderr(),
            "ipkit: no reply to a source-routed probe: most routers and hosts drop source routes \
             (on Linux every host on the way there and back, this one and the target included, needs net.ipv4.conf.<if>.accept_source_route=1)"
        );
    }
    Ok(terminated(&interrupt).unwrap_or(if summary.received > 0 {
        crate::exit::OK
    } else {
        crate::exit::NEGATIVE
    }))
}

/// Now, as a Unix time (for `-D`).
fn unix_time() -> Duration {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
}
