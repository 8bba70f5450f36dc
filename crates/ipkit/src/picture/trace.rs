//! `trace --report`'s picture: one bar per hop, its height the mean round
//! trip, a whisker from best to worst, the loss above it (red when any was
//! lost) and, under it, the hop number and its responders' addresses (a
//! hop that never answered: a grey bar the chart's height, `???`).
//!
//! The SVG's parts, for readers and tests: `g.hops` holds a `g.hop` per
//! hop (`data-ttl`, `data-loss-percent`, `data-addresses`), each with its
//! `rect.bar`, `text.ttl`, `text.address` and `text.loss`; `g.axis`
//! groups carry the ticks and the labels with their units.

use crate::trace::{HopReport, TraceReport};

use super::axis::{self, Scale};
use super::svg::{Anchor, Svg, escape};

const HEIGHT: u32 = 560;
const LEFT: f64 = 80.0;
/// Pixels per hop, at least.
const HOP_WIDTH: f64 = 36.0;
const TOP: f64 = 60.0;
const BOTTOM: f64 = 330.0;

/// The responders of `hop`, in the order they first answered.
pub fn responders(hop: &HopReport) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in &hop.probes {
        if let Some(from) = p.from {
            let shown = from.to_string();
            if !out.contains(&shown) {
                out.push(shown);
            }
        }
    }
    out
}

/// The picture of `report`.
pub fn plot(report: &TraceReport) -> String {
    let hops = report.hops.len().max(1);
    let width = (LEFT + 40.0 + HOP_WIDTH * hops as f64).max(600.0);
    let title = format!(
        "ipkit trace --report {} ({}): {} hops, {} rounds{}",
        report.shown,
        report.target,
        report.hops.len(),
        report.rounds,
        if report.reached { "" } else { ", not reached" }
    );
    let mut svg = Svg::new(width.ceil() as u32, HEIGHT, &title);
    svg.text(
        (LEFT, 24.0),
        &title,
        Anchor::Start,
        r#"class="title" font-size="14""#,
    );
    let right = width - 40.0;
    let top = report
        .hops
        .iter()
        .filter_map(|h| h.stats.worst_ms)
        .fold(0.0, f64::max);
    let yt = axis::ticks(0.0, top, 5);
    let y = Scale::over(&yt, BOTTOM, TOP);
    let x = Scale::over(&[0.0, hops as f64], LEFT, right);
    axis::left(&mut svg, LEFT, right, &y, &yt, "round trip (ms)");
    axis::bottom(&mut svg, BOTTOM, &x, None, "");
    svg.text(
        ((LEFT + right) / 2.0, HEIGHT as f64 - 12.0),
        "hop (TTL), responder address; bar: mean round trip, whisker: best to worst; above: loss",
        Anchor::Middle,
        r#"class="label""#,
    );
    svg.open_group(r#"class="hops""#);
    for (i, hop) in report.hops.iter().enumerate() {
        bar(&mut svg, hop, &x, &y, i);
    }
    svg.close_group();
    svg.finish()
}

/// One hop's bar and labels, in the `i`th slot.
fn bar(svg: &mut Svg, hop: &HopReport, x: &Scale, y: &Scale, i: usize) {
    let s = &hop.stats;
    let addresses = responders(hop);
    svg.open_group(&format!(
        r#"class="hop" data-ttl="{}" data-loss-percent="{}" data-addresses="{}""#,
        hop.ttl,
        s.loss_percent,
        escape(&addresses.join(" "))
    ));
    let (left, right) = (x.at(i as f64), x.at(i as f64 + 1.0));
    let centre = (left + right) / 2.0;
    // A few hops on the narrowest canvas keep bars of a hop's width.
    let bw = (right - left - 8.0).min(HOP_WIDTH * 1.5);
    let bx = centre - bw / 2.0;
    match s.avg_ms {
        Some(avg) => {
            let top = y.at(avg);
            svg.rect(bx, top, bw, BOTTOM - top, r##"class="bar" fill="#1f77b4""##);
            if let (Some(best), Some(worst)) = (s.best_ms, s.worst_ms) {
                svg.line(
                    (centre, y.at(best)),
                    (centre, y.at(worst)),
                    r#"class="whisker" stroke="black""#,
                );
                svg.line(
                    (centre - 4.0, y.at(worst)),
                    (centre + 4.0, y.at(worst)),
                    r#"stroke="black""#,
                );
                svg.line(
                    (centre - 4.0, y.at(best)),
                    (centre + 4.0, y.at(best)),
                    r#"stroke="black""#,
                );
            }
        }
        None => svg.rect(
            bx,
            TOP,
            bw,
            BOTTOM - TOP,
            r##"class="bar silent" fill="#ccc""##,
        ),
    }
    let loss_fill = if s.loss_percent > 0.0 {
        "#d62728"
    } else {
        "#2ca02c"
    };
    svg.text(
        (centre, TOP - 6.0),
        &format!("{:.0}%", s.loss_percent),
        Anchor::Middle,
        &format!(r#"class="loss" fill="{loss_fill}" font-size="10""#),
    );
    svg.text(
        (centre, BOTTOM + 16.0),
        &hop.ttl.to_string(),
        Anchor::Middle,
        r#"class="ttl""#,
    );
    let shown = if addresses.is_empty() {
        "???".to_string()
    } else {
        addresses.join(", ")
    };
    svg.text_rotated(
        (centre + 4.0, BOTTOM + 28.0),
        45.0,
        &shown,
        Anchor::Start,
        r#"class="address" font-size="10""#,
    );
    svg.close_group();
}
