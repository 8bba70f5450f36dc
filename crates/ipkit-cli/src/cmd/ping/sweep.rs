//! Several targets or a range: run the sweep engine and print, fping style —
//! each host as it answers (or, with `-c`, each reply and timeout, then a
//! summary line per target), the `--alive` / `--unreachable` lists, or
//! NDJSON — from [`ipkit::ping::report`]'s values; a progress bar on stderr
//! for long sweeps; the counts on stderr; fping's exit code.

use std::io::Write;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use ipkit::ping::report::{Host, HostStatus, SweepReply, SweepSummary, SweepTimeout, ms};
use ipkit::ping::request::SweepRequest;
use ipkit::ping::sweep::{Progress, SweepEvent};

use super::{block_on, fmt_loss, fmt_ms, keep_going, terminated};
use crate::interrupt::Interrupt;
use crate::output::{Output, write_record};

/// Which hosts the human view lists.
#[derive(Debug, Clone, Copy)]
pub struct Listing {
    /// Only the hosts that answered (`--alive`).
    pub alive: bool,
    /// Only the hosts that did not (`--unreachable`).
    pub unreachable: bool,
    /// Only the summaries (`-q`).
    pub quiet: bool,
}

/// The sweep's progress bar: probes sent of those planned, hosts alive.
fn bar(p: &Progress) -> String {
    format!(
        "{}{}/{} probes, {} of {} hosts alive ",
        crate::progress::bar(p.sent, p.planned, 30),
        p.sent,
        p.planned,
        p.alive,
        p.targets
    )
}

/// Replies and loss so far of one target, for fping -c's running lines.
#[derive(Debug, Clone, Copy, Default)]
struct Running {
    received: u32,
    sum_ms: f64,
}

impl Running {
    /// The loss so far after the probe of `round`, percent.
    fn loss(&self, round: u16) -> u32 {
        let sent = u32::from(round) + 1;
        100 * sent.saturating_sub(self.received) / sent
    }
}

/// fping -c's line for a reply: `name : [0], 64 bytes, 0.05 ms (0.05 avg, 0% loss)`.
fn reply_line(r: &SweepReply, tally: &Running, bytes: usize, width: usize) -> String {
    format!(
        "{:<width$} : [{}], {bytes} bytes, {:.3} ms ({:.3} avg, {}% loss)",
        r.addr.to_string(),
        r.seq,
        ms(r.rtt),
        tally.sum_ms / f64::from(tally.received),
        tally.loss(r.seq)
    )
}

/// fping -c's line for a timeout: `name : [0], timed out (NaN avg, 100% loss)`.
fn timeout_line(t: &SweepTimeout, tally: &Running, width: usize) -> String {
    let avg = if tally.received == 0 {
        "NaN".to_string()
    } else {
        format!("{:.3}", tally.sum_ms / f64::from(tally.received))
    };
    format!(
        "{:<width$} : [{}], timed out ({avg} avg, {}% loss)",
        t.addr.to_string(),
        t.seq,
        tally.loss(t.seq)
    )
}

/// The end-of-sweep line of one host in the human view, if it gets one.
fn host_line(
    h: &Host,
    listing: &Listing,
    counted: bool,
    width: usize,
    out: &Output,
) -> Option<String> {
    let alive = h.alive;
    if h.status == HostStatus::NotProbed {
        // Never probed (the sweep was interrupted first): neither alive
        // nor unreachable; the summary counts them.
        return None;
    }
    if listing.alive || listing.unreachable {
        return (alive == listing.alive).then(|| h.addr.to_string());
    }
    Some(if counted {
        // fping -c's per-target summary.
        let mut line = format!(
            "{:<width$} : xmt/rcv/%loss = {}/{}/{}%",
            h.addr.to_string(),
            h.sent,
            h.received,
            fmt_loss(h.loss_percent)
        );
        if let (Some(min), Some(avg), Some(max)) = (h.rtt_min, h.rtt_avg, h.rtt_max) {
            line.push_str(&format!(
                ", min/avg/max = {:.3}/{:.3}/{:.3}",
                ms(min),
                ms(avg),
                ms(max)
            ));
        }
        line
    } else if let Some(avg) = h.rtt_avg {
        format!(
            "{} is {} ({})",
            h.addr,
            out.paint("32", "alive"),
            fmt_ms(avg)
        )
    } else if let Some(e) = &h.error {
        format!(
            "{} is {} ({} from {})",
            h.addr,
            out.paint("31", "unreachable"),
            e.text,
            e.from
        )
    } else {
        format!("{} is {}", h.addr, out.paint("31", "unreachable"))
    })
}

/// The counts line on stderr.
fn counts_line(s: &SweepSummary) -> String {
    let skipped = if s.interrupted {
        format!(", {} not probed (interrupted)", s.not_probed)
    } else {
        String::new()
    };
    format!(
        "ipkit: {} targets, {} alive, {} unreachable{skipped}, {} probes in {:.2} s",
        s.targets,
        s.alive,
        s.unreachable,
        s.sent,
        s.elapsed.as_secs_f64()
    )
}

/// Sweep `r`'s targets and print; returns fping's exit code.
pub fn run(
    r: &SweepRequest,
    listing: &Listing,
    interrupt: &Interrupt,
    out: &Output,
) -> anyhow::Result<u8> {
    let targets = &r.targets;
    let count = r.options.count;
    let started = Instant::now();
    let planned = targets.len() as u64 * u64::from(count.unwrap_or(1));
    let mut progress = crate::progress::ProgressLine::new(planned > 1000 && !out.json);
    // With -c, each reply is shown as it comes, as fping -c does.
    let live = count.is_some() && !listing.quiet && !listing.alive && !listing.unreachable;
    let mut running = vec![Running::default(); if live { targets.len() } else { 0 }];
    // fping pads names to the longest target in its -c lines.
    let width = targets
        .iter()
        .map(|t| t.to_string().len())
        .max()
        .unwrap_or(0);
    // Without -c, each host is shown as it answers, as fping does (the
    // silent ones at the end, in the order given): written in batches,
    // flushed after each batch of probes and at most 20 ms after a reply.
    let as_they_answer = count.is_none() && !out.json && !listing.unreachable;
    let mut shown = vec![false; if as_they_answer { targets.len() } else { 0 }];
    let mut flushed = Instant::now();
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    let mut live_err = None;
    let bytes = 8 + r.options.size;
    let result = block_on(ipkit::ping::sweep::sweep(
        targets,
        &r.options,
        interrupt.token(),
        |e| match e {
            SweepEvent::Progress(p) => {
                progress.show(|| bar(&p));
                flushed = Instant::now();
                keep_going(w.flush(), &mut live_err)
            }
            SweepEvent::Reply { target, rtt, .. } if as_they_answer => {
                if std::mem::replace(&mut shown[target], true) {
                    return ControlFlow::Continue(());
                }
                let mut res = if listing.alive {
                    writeln!(w, "{}", targets[target])
                } else {
                    writeln!(w, "{} is alive ({})", targets[target], fmt_ms(rtt))
                };
                if res.is_ok() && flushed.elapsed() > Duration::from_millis(20) {
                    flushed = Instant::now();
                    res = w.flush();
                }
                keep_going(res, &mut live_err)
            }
            SweepEvent::Reply { target, round, rtt } if live => {
                let reply = SweepReply {
                    addr: targets[target],
                    rtt,
                    seq: round,
                };
                let tally = &mut running[target];
                tally.received += 1;
                tally.sum_ms += ms(rtt);
                let res = if out.json {
                    write_record(&mut w, "reply", &reply)
                } else {
                    writeln!(w, "{}", reply_line(&reply, tally, bytes, width))
                };
                keep_going(res.and_then(|()| w.flush()), &mut live_err)
            }
            SweepEvent::Timeout { target, round } if live => {
                let timeout = SweepTimeout {
                    addr: targets[target],
                    seq: round,
                };
                let res = if out.json {
                    write_record(&mut w, "timeout", &timeout)
                } else {
                    writeln!(w, "{}", timeout_line(&timeout, &running[target], width))
                };
                keep_going(res.and_then(|()| w.flush()), &mut live_err)
            }
            SweepEvent::Reply { .. } | SweepEvent::Timeout { .. } => ControlFlow::Continue(()),
        },
    ))??;
    progress.clear();
    if let Some(e) = live_err {
        return Err(e.into());
    }
    if live && !out.json {
        // fping -c leaves an empty line between the replies and the summaries.
        writeln!(w)?;
    }
    for (ip, t) in targets.iter().zip(&result.targets) {
        let host = Host::of(*ip, t);
        if out.json {
            write_record(&mut w, "host", &host)?;
        } else if as_they_answer && host.alive {
            // Shown when it answered.
        } else if let Some(line) = host_line(&host, listing, count.is_some(), width, out) {
            writeln!(w, "{line}")?;
        }
    }
    let summary = SweepSummary::of(&result, interrupt.fired(), started.elapsed());
    if out.json {
        write_record(&mut w, "summary", &summary)?;
    }
    w.flush()?;
    if !out.json && (!listing.quiet || summary.interrupted) {
        let _ = writeln!(std::io::stderr(), "{}", counts_line(&summary));
    }
    // fping's exit status: 0 when every target answered, 1 when any did
    // not (or was never probed: fping counts those as unreachable after
    // Ctrl-C too); SIGTERM ends it with 143.
    Ok(
        terminated(interrupt).unwrap_or(if summary.alive == summary.targets {
            crate::exit::OK
        } else {
            crate::exit::NEGATIVE
        }),
    )
}
