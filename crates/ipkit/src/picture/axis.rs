//! Axes for the charts: "nice" tick values (1, 2, 5 × 10ⁿ) over a range,
//! a linear scale from data to pixels, and drawing an axis with its ticks
//! and its label (the unit in the label: `round trip (ms)`).

use super::svg::{Anchor, Svg};

/// A linear map from a data range onto a pixel range.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Data at the start.
    pub lo: f64,
    /// Data at the end.
    pub hi: f64,
    /// Pixel of `lo`.
    pub from: f64,
    /// Pixel of `hi`.
    pub to: f64,
}

impl Scale {
    /// The scale from the first to the last of `ticks` (at least two)
    /// onto `from..to` pixels.
    pub fn over(ticks: &[f64], from: f64, to: f64) -> Scale {
        Scale {
            lo: ticks.first().copied().unwrap_or(0.0),
            hi: ticks.last().copied().unwrap_or(1.0),
            from,
            to,
        }
    }

    /// The pixel of `v`.
    pub fn at(&self, v: f64) -> f64 {
        let span = self.hi - self.lo;
        if span <= 0.0 || !span.is_finite() {
            return self.from;
        }
        self.from + (v - self.lo) / span * (self.to - self.from)
    }
}

/// About `count` round tick values covering `0..=max` (or `lo..=hi`):
/// steps of 1, 2 or 5 × 10ⁿ; the last tick is at or above `hi`.
///
/// # Examples
/// ```
/// assert_eq!(ipkit::picture::axis::ticks(0.0, 9.3, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
/// assert_eq!(ipkit::picture::axis::ticks(0.0, 0.0, 5), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
/// ```
pub fn ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    let (lo, hi) = if hi > lo && hi.is_finite() && lo.is_finite() {
        (lo, hi)
    } else {
        (lo.min(0.0), lo.max(0.0) + 1.0)
    };
    let raw = (hi - lo) / count.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let start = (lo / step).floor() * step;
    let scale = 10f64.powi((-step.log10().floor()).max(0.0) as i32);
    let mut out = Vec::new();
    let mut i = 0.0;
    loop {
        let t = start + i * step;
        // Round away the float noise (0.6000000000000001).
        let t = (t * scale).round() / scale;
        out.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
        if t >= hi - step * 1e-9 || out.len() > 1000 {
            break;
        }
        i += 1.0;
    }
    out
}

/// Only the whole ticks of `ticks` (counts, sequence numbers); `0, 1`
/// when fewer than two are.
pub fn whole(ticks: Vec<f64>) -> Vec<f64> {
    let whole: Vec<f64> = ticks.into_iter().filter(|t| t.fract() == 0.0).collect();
    if whole.len() < 2 {
        vec![
            whole.first().copied().unwrap_or(0.0),
            whole.first().copied().unwrap_or(0.0) + 1.0,
        ]
    } else {
        whole
    }
}

/// A tick value as a label: as few decimals as the step needs.
pub fn label(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    format!("{v:.decimals$}")
}

/// Draw a left (vertical) axis at pixel `x` with `ticks` on `scale`, grid
/// lines across to `right`, and `title` turned along it.
pub fn left(svg: &mut Svg, x: f64, right: f64, scale: &Scale, ticks: &[f64], title: &str) {
    let step = ticks.get(1).zip(ticks.first()).map_or(1.0, |(b, a)| b - a);
    svg.open_group(r#"class="axis y""#);
    svg.line((x, scale.from), (x, scale.to), r#"stroke="black""#);
    for &t in ticks {
        let y = scale.at(t);
        svg.line((x - 4.0, y), (x, y), r#"stroke="black""#);
        svg.line((x, y), (right, y), r##"stroke="#ddd""##);
        svg.text(
            (x - 6.0, y + 4.0),
            &label(t, step),
            Anchor::End,
            r#"class="tick""#,
        );
    }
    let mid = (scale.from + scale.to) / 2.0;
    svg.text_rotated(
        (x - 44.0, mid),
        -90.0,
        title,
        Anchor::Middle,
        r#"class="label""#,
    );
    svg.close_group();
}

/// Draw a bottom (horizontal) axis at pixel `y` with `ticks` on `scale`
/// (None: the caller labels its own categories) and `title` under it.
pub fn bottom(svg: &mut Svg, y: f64, scale: &Scale, ticks: Option<&[f64]>, title: &str) {
    svg.open_group(r#"class="axis x""#);
    svg.line((scale.from, y), (scale.to, y), r#"stroke="black""#);
    if let Some(ticks) = ticks {
        let step = ticks.get(1).zip(ticks.first()).map_or(1.0, |(b, a)| b - a);
        for &t in ticks {
            let x = scale.at(t);
            svg.line((x, y), (x, y + 4.0), r#"stroke="black""#);
            svg.text(
                (x, y + 16.0),
                &label(t, step),
                Anchor::Middle,
                r#"class="tick""#,
            );
        }
    }
    let mid = (scale.from + scale.to) / 2.0;
    svg.text((mid, y + 36.0), title, Anchor::Middle, r#"class="label""#);
    svg.close_group();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(ticks(0.0, 0.42, 4), vec![0.0, 0.2, 0.4, 0.6]);
        assert_eq!(ticks(1.0, 20.0, 4), vec![0.0, 5.0, 10.0, 15.0, 20.0]);
        assert_eq!(label(0.30000000000000004, 0.1), "0.3");
        assert_eq!(ticks(f64::NAN, f64::NAN, 4), vec![0.0, 0.5, 1.0]);
    }
}
