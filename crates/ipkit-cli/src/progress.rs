//! One progress line on stderr, for the long runs (ping sweeps, `dns
//! --bulk`): drawn only when stderr is a terminal and the command was asked
//! for a human view, redrawn in place at most ten times a second, and wiped
//! before the results' summary so nothing is left half-written.

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

    /// Redraw the line with `text()`, unless it was drawn less than 100 ms
    /// ago (then `text` is not called).
    pub fn show(&mut self, text: impl FnOnce() -> String) {
        if !self.enabled || self.last.is_some_and(|l| l.elapsed() < EVERY) {
            return;
        }
        self.last = Some(Instant::now());
        let text = text();
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
