//! ping's picture: latency over the session (one point per reply, by
//! `icmp_seq`, lost probes marked in red at the foot of the chart) above a
//! histogram of the round trips, with the session's statistics in the
//! title. Built from the session's records ([`Series::record`]) and its
//! [`Summary`].
//!
//! The SVG's parts, for readers and tests: `g.series` holds a `circle`
//! per reply (`data-seq`, `data-rtt-ms`), `g.losses` a `line` per lost
//! probe (`data-seq`), `g.histogram` a `rect.bin` per bin (`data-count`,
//! `data-from-ms`, `data-to-ms`); `g.axis` groups carry the ticks and the
//! labels with their units.

use crate::ping::report::{SessionRecord, Summary, ms};

use super::axis::{self, Scale};
use super::svg::{Anchor, Svg, escape};

/// One probe of the session.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Its `icmp_seq`, counted on past 65535 (the first probe's number
    /// plus the probes since).
    pub seq: u64,
    /// Its round trip in ms; None: lost (timed out or an ICMP error).
    pub rtt_ms: Option<f64>,
}

/// The session's probes, as they ended, in order.
#[derive(Debug, Clone, Default)]
pub struct Series {
    /// The probes.
    pub samples: Vec<Sample>,
    last_seq: Option<(u16, u64)>,
}

impl Series {
    /// An empty series.
    pub fn new() -> Series {
        Series::default()
    }

    /// Take in one record of the session: a first reply in time is a
    /// point, a timeout or an ICMP error a loss; duplicates and late
    /// replies are not probes of their own and are left out.
    pub fn record(&mut self, record: &SessionRecord) {
        let (seq, rtt_ms) = match record {
            SessionRecord::Reply(r) if r.duplicate || r.late => return,
            SessionRecord::Reply(r) => (r.seq, Some(ms(r.rtt))),
            SessionRecord::Timeout(t) => (t.seq, None),
            SessionRecord::Error(e) => (e.seq, None),
        };
        let seq = self.unwrap(seq);
        self.samples.push(Sample { seq, rtt_ms });
    }

    /// A 16-bit `icmp_seq` counted on past its wrap.
    fn unwrap(&mut self, seq: u16) -> u64 {
        let full = match self.last_seq {
            None => u64::from(seq),
            Some((last, full)) => full + u64::from(seq.wrapping_sub(last)),
        };
        self.last_seq = Some((seq, full));
        full
    }
}

const WIDTH: u32 = 900;
const HEIGHT: u32 = 620;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 870.0;
/// Histogram bins at most.
const BINS: usize = 20;

/// The picture of a session to `target` (as the user wrote it).
pub fn plot(target: &str, series: &Series, summary: &Summary) -> String {
    let title = format!("ipkit ping {target} ({})", summary.target);
    let mut svg = Svg::new(WIDTH, HEIGHT, &title);
    let stats = match (summary.rtt_min, summary.rtt_avg, summary.rtt_max) {
        (Some(lo), Some(avg), Some(hi)) => format!(
            ", rtt min/avg/max {:.3}/{:.3}/{:.3} ms",
            ms(lo),
            ms(avg),
            ms(hi)
        ),
        _ => String::new(),
    };
    svg.text(
        (LEFT, 24.0),
        &format!(
            "{title}: {} sent, {} received, {:.1}% loss{stats}",
            summary.transmitted, summary.received, summary.loss_percent
        ),
        Anchor::Start,
        r#"class="title" font-size="14""#,
    );
    let rtts: Vec<f64> = series.samples.iter().filter_map(|s| s.rtt_ms).collect();
    let top = rtts.iter().copied().fold(0.0, f64::max);
    timeline(&mut svg, series, top);
    histogram(&mut svg, &rtts, top);
    svg.finish()
}

/// Latency over the session: 40..290 px high.
fn timeline(svg: &mut Svg, series: &Series, top: f64) {
    let (y_top, y_bottom) = (44.0, 270.0);
    let first = series.samples.first().map_or(0, |s| s.seq) as f64;
    let last = series.samples.last().map_or(1, |s| s.seq) as f64;
    let xt = axis::whole(axis::ticks(first, last.max(first + 1.0), 10));
    let x = Scale::over(&xt, LEFT, RIGHT);
    let yt = axis::ticks(0.0, top, 5);
    let y = Scale::over(&yt, y_bottom, y_top);
    axis::left(svg, LEFT, RIGHT, &y, &yt, "round trip (ms)");
    axis::bottom(svg, y_bottom, &x, Some(&xt), "probe (icmp_seq)");
    // The line joins consecutive replies; a loss breaks it.
    svg.open_group(r##"class="series" stroke="#1f77b4" fill="#1f77b4""##);
    let mut run: Vec<(f64, f64)> = Vec::new();
    for s in &series.samples {
        match s.rtt_ms {
            Some(rtt) => run.push((x.at(s.seq as f64), y.at(rtt))),
            None => {
                flush_run(svg, &mut run);
            }
        }
    }
    flush_run(svg, &mut run);
    for s in &series.samples {
        if let Some(rtt) = s.rtt_ms {
            svg.circle(
                (x.at(s.seq as f64), y.at(rtt)),
                2.5,
                &format!(r#"data-seq="{}" data-rtt-ms="{}""#, s.seq, rtt),
            );
        }
    }
    svg.close_group();
    svg.open_group(r##"class="losses" stroke="#d62728" stroke-width="2""##);
    for s in series.samples.iter().filter(|s| s.rtt_ms.is_none()) {
        let px = x.at(s.seq as f64);
        svg.line(
            (px, y_bottom),
            (px, y_top),
            &format!(r#"data-seq="{}" stroke-opacity="0.5""#, s.seq),
        );
    }
    svg.close_group();
    let lost = series.samples.iter().filter(|s| s.rtt_ms.is_none()).count();
    if lost > 0 {
        svg.text(
            (RIGHT, y_top - 4.0),
            &format!("red: {lost} lost"),
            Anchor::End,
            r##"class="legend" fill="#d62728""##,
        );
    }
}

/// Draw the replies gathered so far as one line, and start again.
fn flush_run(svg: &mut Svg, run: &mut Vec<(f64, f64)>) {
    if run.len() > 1 {
        svg.polyline(run, r#"stroke-width="1""#);
    }
    run.clear();
}

/// The round trips' histogram: 360..570 px high.
fn histogram(svg: &mut Svg, rtts: &[f64], top: f64) {
    let (y_top, y_bottom) = (350.0, 570.0);
    let xt = axis::ticks(0.0, top, 10);
    let hi = xt[xt.len() - 1];
    let width = hi / BINS as f64;
    let mut counts = [0usize; BINS];
    for &r in rtts {
        let i = ((r / width) as usize).min(BINS - 1);
        counts[i] += 1;
    }
    let most = counts.iter().copied().max().unwrap_or(0);
    let yt = axis::whole(axis::ticks(0.0, most as f64, 4));
    let x = Scale::over(&xt, LEFT, RIGHT);
    let y = Scale::over(&yt, y_bottom, y_top);
    axis::left(svg, LEFT, RIGHT, &y, &yt, "replies");
    axis::bottom(svg, y_bottom, &x, Some(&xt), "round trip (ms)");
    svg.open_group(r##"class="histogram" fill="#1f77b4""##);
    for (i, &c) in counts.iter().enumerate() {
        let (from, to) = (i as f64 * width, (i + 1) as f64 * width);
        let (px, pw) = (x.at(from), x.at(to) - x.at(from));
        let py = y.at(c as f64);
        svg.rect(
            px + 1.0,
            py,
            pw - 2.0,
            y_bottom - py,
            &format!(
                r#"class="bin" data-count="{c}" data-from-ms="{}" data-to-ms="{}""#,
                escape(&format!("{from}")),
                escape(&format!("{to}"))
            ),
        );
    }
    svg.close_group();
}
