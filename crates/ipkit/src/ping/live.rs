//! A ping session's rolling window for a live chart (`ipkit ping --live`,
//! gping's view): the last [`WINDOW`] probes of one target as (time since
//! the start, round trip or loss) with their figures — last, min, max,
//! mean, jitter (mean absolute difference of consecutive round trips) and
//! the 95th percentile (nearest rank) over the window. Fixed length, so
//! memory stays bounded however long the chart runs.

use std::collections::VecDeque;
use std::time::Duration;

use super::session::PingEvent;

/// Probes kept per target: an hour at one a second (`ping --live
/// --buffer` spans at most 3,600 s), ~115 KiB.
pub const WINDOW: usize = 3_600;

/// One probe's outcome on the chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// When its outcome was known, since the chart began.
    pub at: Duration,
    /// Round trip, ms; None: lost (timeout or error).
    pub rtt_ms: Option<f64>,
}

/// The window's figures, ms (None while nothing answered).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Figures {
    /// Probes in the window.
    pub probes: usize,
    /// Of them lost.
    pub lost: usize,
    /// The newest round trip.
    pub last: Option<f64>,
    /// Least.
    pub min: Option<f64>,
    /// Greatest.
    pub max: Option<f64>,
    /// Mean.
    pub avg: Option<f64>,
    /// Mean absolute difference of consecutive round trips.
    pub jitter: Option<f64>,
    /// 95th percentile, nearest rank.
    pub p95: Option<f64>,
}

/// One target's window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// The samples, oldest first, at most [`WINDOW`].
    pub samples: VecDeque<Sample>,
}

impl Series {
    /// Fold a session event in, `at` after the chart began (first replies,
    /// timeouts and errors; duplicates and late replies are not probes).
    pub fn record(&mut self, event: &PingEvent, at: Duration) {
        let rtt_ms = match event {
            PingEvent::Reply {
                duplicate: false,
                late: false,
                rtt,
                ..
            } => Some(rtt.as_secs_f64() * 1000.0),
            PingEvent::Reply { .. } => return,
            PingEvent::Timeout { .. } | PingEvent::Error { .. } => None,
        };
        self.push(at, rtt_ms);
    }

    /// Add one probe's outcome, `at` after the chart began: its round trip
    /// in ms, or None when it was lost (for engines other than ping's
    /// session, such as `mcast ping`'s two kinds of answer).
    pub fn push(&mut self, at: Duration, rtt_ms: Option<f64>) {
        if self.samples.len() == WINDOW {
            self.samples.pop_front();
        }
        self.samples.push_back(Sample { at, rtt_ms });
    }

    /// The window's figures.
    pub fn figures(&self) -> Figures {
        let rtts: Vec<f64> = self.samples.iter().filter_map(|s| s.rtt_ms).collect();
        let n = rtts.len();
        let mut sorted = rtts.clone();
        sorted.sort_by(f64::total_cmp);
        // Nearest rank: the ceil(0.95 n)-th smallest.
        let p95 = (n > 0).then(|| sorted[(n * 95).div_ceil(100).max(1) - 1]);
        Figures {
            probes: self.samples.len(),
            lost: self.samples.len() - n,
            last: rtts.last().copied(),
            min: sorted.first().copied(),
            max: sorted.last().copied(),
            avg: (n > 0).then(|| rtts.iter().sum::<f64>() / n as f64),
            jitter: (n >= 2).then(|| {
                rtts.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>() / (n - 1) as f64
            }),
            p95,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(ms: u64) -> PingEvent {
        PingEvent::Reply {
            from: "192.0.2.1".parse().unwrap(),
            seq: 0,
            bytes: 64,
            ttl: Some(64),
            rtt: Duration::from_millis(ms),
            duplicate: false,
            late: false,
            options: Vec::new(),
        }
    }

    #[test]
    fn figures_over_the_window() {
        let mut s = Series::default();
        for (i, ms) in (1..=20).enumerate() {
            s.record(&reply(ms), Duration::from_secs(i as u64));
        }
        s.record(&PingEvent::Timeout { seq: 21 }, Duration::from_secs(21));
        let f = s.figures();
        assert_eq!((f.probes, f.lost), (21, 1));
        assert_eq!((f.last, f.min, f.max), (Some(20.0), Some(1.0), Some(20.0)));
        assert_eq!(f.avg, Some(10.5));
        assert_eq!(f.jitter, Some(1.0));
        // 20 values: rank ceil(19) = 19th smallest.
        assert_eq!(f.p95, Some(19.0));
    }

    #[test]
    fn the_window_is_bounded() {
        let mut s = Series::default();
        for i in 0..(WINDOW as u64 * 2) {
            s.record(&reply(i % 7), Duration::from_secs(i));
        }
        assert_eq!(s.samples.len(), WINDOW);
        assert_eq!(
            s.samples.front().unwrap().at,
            Duration::from_secs(WINDOW as u64)
        );
    }
}
