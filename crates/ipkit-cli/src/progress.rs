//! One progress line on stderr, for the long runs (ping sweeps, `dns
//! --bulk`): drawn only when stderr is a terminal and the command was asked
//! for a human view, redrawn in place at most ten times a second, and wiped
//! before the results' summary so nothing is left half-written. The line's
//! pieces are pure functions shared by every command: [`bar`] (how much of
//! the planned work is done) and [`rate_eta`] (how fast, how long still).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often the line may be redrawn.
const EVERY: Duration = Duration::from_millis(100);

/// A progress line on stderr.
pub struct ProgressLine {
    enabled: bool,
    last: Option<Instant>,
    /// Characters of the longest line drawn, to wipe it all.
    width: usize,
}

impl ProgressLine {
    /// A line shown only when `wanted` and stderr is a terminal.
    pub fn new(wanted: bool) -> ProgressLine {
        ProgressLine {
            enabled: wanted && std::io::stderr().is_terminal(),
            last: None,
            width: 0,
        }
    }

    /// Whether the line is drawn at all.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Redraw the line with `text()`, unless it was drawn less than 100 ms
    /// ago (then `text` is not called).
    pub fn show(&mut self, text: impl FnOnce() -> String) {
        if !self.enabled || self.last.is_some_and(|l| l.elapsed() < EVERY) {
            return;
        }
        self.last = Some(Instant::now());
        let mut text = text();
        // Longer than the terminal is wide, `\r` would return to the
        // start of its last row only: cut it to fit.
        if let Ok((cols, _)) = crossterm::terminal::size() {
            let fits = usize::from(cols.saturating_sub(1)).max(1);
            if let Some((at, _)) = text.char_indices().nth(fits) {
                text.truncate(at);
            }
        }
        self.width = self.width.max(text.chars().count());
        let _ = write!(std::io::stderr(), "\r{text}");
    }

    /// Wipe the line, if one was drawn.
    pub fn clear(&self) {
        if self.enabled && self.last.is_some() {
            let _ = write!(std::io::stderr(), "\r{}\r", " ".repeat(self.width));
        }
    }
}

/// `[#####     ] `: `done` of `total` as a bar `width` characters wide
/// between its brackets (full when `total` is 0; `done` past `total`
/// counts as `total`).
pub fn bar(done: u64, total: u64, width: usize) -> String {
    let w = width as u64;
    let filled = (done.min(total) * w).checked_div(total).unwrap_or(w);
    let filled = usize::try_from(filled).unwrap_or(width).min(width);
    format!("[{}{}] ", "#".repeat(filled), " ".repeat(width - filled))
}

/// `1234/s, ETA 0:42`: the rate of `done` over `elapsed`, and the time
/// the rest of `total` takes at that rate (`m:ss`, `h:mm:ss` from an
/// hour); no ETA without a total, or before anything is done.
pub fn rate_eta(done: u64, total: Option<u64>, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
    let mut text = format!("{rate:.0}/s");
    if let Some(total) = total.filter(|_| rate > 0.0) {
        let left = (total.saturating_sub(done) as f64 / rate).ceil() as u64;
        let (h, m, s) = (left / 3600, left / 60 % 60, left % 60);
        text.push_str(&if h > 0 {
            format!(", ETA {h}:{m:02}:{s:02}")
        } else {
            format!(", ETA {m}:{s:02}")
        });
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_with_the_work_done() {
        assert_eq!(bar(0, 10, 30), format!("[{}] ", " ".repeat(30)));
        assert_eq!(bar(5, 10, 10), "[#####     ] ");
        assert_eq!(bar(1, 3, 10), "[###       ] ");
        assert_eq!(bar(12, 10, 4), "[####] ");
        assert_eq!(bar(0, 0, 4), "[####] ");
    }

    #[test]
    fn rate_and_time_left() {
        // 250 of 1000 in 5 s: 50/s, 750 left: 15 s.
        assert_eq!(
            rate_eta(250, Some(1000), Duration::from_secs(5)),
            "50/s, ETA 0:15"
        );
        // 10/s with 4,000 left: 400 s.
        assert_eq!(
            rate_eta(10, Some(4010), Duration::from_secs(1)),
            "10/s, ETA 6:40"
        );
        assert_eq!(
            rate_eta(1, Some(3602), Duration::from_secs(1)),
            "1/s, ETA 1:00:01"
        );
        assert_eq!(rate_eta(10, None, Duration::from_secs(2)), "5/s");
        assert_eq!(rate_eta(0, Some(10), Duration::from_secs(2)), "0/s");
        assert_eq!(rate_eta(0, Some(10), Duration::ZERO), "0/s");
    }
}
