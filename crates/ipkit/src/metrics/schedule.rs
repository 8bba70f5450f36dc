//! When each target is probed: on a grid of deadlines `start + k·interval`
//! (no jitter, no drift: a slow probe never pushes the later ones back), one
//! probe per slot at most (the exporter's loop lets a slot's probe start
//! while earlier ones still wait, up to a bound per kind). A slot that
//! cannot start in time is not made up — it is counted as dropped, so
//! probes never bunch after a stall (what smokeping_prober and blackbox_exporter's
//! Prometheus-driven scrapes also avoid). The arithmetic is pure
//! ([`next_slot`]); [`Schedule`] waits on tokio's clock, so tests run it on
//! a paused clock.

use std::time::Duration;

use tokio::time::Instant;

/// The slot to run after slot `last` when it is `elapsed` since the start:
/// `(slot, missed)`. A slot may still start up to a tenth of an interval
/// after its deadline (a probe whose timeout equals the interval ends just
/// after the next deadline, and that slot is not lost); a slot later than
/// that is missed, and the next one on the grid runs on time. So no two
/// probes of a target start less than nine tenths of an interval apart.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ipkit::metrics::schedule::next_slot;
/// let s = Duration::from_secs(1);
/// // On time: the next slot, nothing missed.
/// assert_eq!(next_slot(3, Duration::from_millis(3200), s), (4, 0));
/// // Slot 3's probe ran until 5.5 s: slots 4 and 5 passed, 6 is next.
/// assert_eq!(next_slot(3, Duration::from_millis(5500), s), (6, 2));
/// ```
pub fn next_slot(last: u64, elapsed: Duration, interval: Duration) -> (u64, u64) {
    let interval_ns = interval.as_nanos().max(1);
    let late_ok = interval / 10;
    let e = elapsed.saturating_sub(late_ok).as_nanos();
    // The first slot whose deadline is not more than `late_ok` ago.
    let first = u64::try_from(e.div_ceil(interval_ns)).unwrap_or(u64::MAX);
    let next = last + 1;
    let slot = first.max(next);
    (slot, slot - next)
}

/// Where in its interval a target's grid starts: a fixed fraction of the
/// interval from a hash of the target's identity, as Prometheus spreads its
/// scrapes (not jitter: the same target always gets the same phase). So a
/// thousand targets do not all send in the same millisecond.
///
/// ```
/// use std::time::Duration;
/// use ipkit::metrics::schedule::phase;
/// let s = Duration::from_secs(1);
/// assert!(phase(&"192.0.2.1", s) < s);
/// assert_eq!(phase(&"192.0.2.1", s), phase(&"192.0.2.1", s));
/// ```
pub fn phase<K: std::hash::Hash>(key: &K, interval: Duration) -> Duration {
    use std::hash::{BuildHasher, BuildHasherDefault};
    // A fixed hasher (FNV-style via rustc-hash): stable across runs.
    let h = BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(key);
    let ns = u64::try_from(interval.as_nanos())
        .unwrap_or(u64::MAX)
        .max(1);
    Duration::from_nanos(h % ns)
}

/// A target's clock: the deadlines of its slots.
#[derive(Debug)]
pub struct Schedule {
    start: Instant,
    interval: Duration,
    slot: u64,
}

impl Schedule {
    /// Slots `interval` apart, the first at `start`.
    pub fn new(start: Instant, interval: Duration) -> Schedule {
        Schedule {
            start,
            interval,
            slot: 0,
        }
    }

    /// The deadline of the current slot.
    pub fn deadline(&self) -> Instant {
        self.start + self.interval * u32::try_from(self.slot).unwrap_or(u32::MAX)
    }

    /// The time between slots.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The current slot's number (0 is the first).
    pub fn slot(&self) -> u64 {
        self.slot
    }

    /// Wait for the current slot's deadline.
    pub async fn wait(&self) {
        tokio::time::sleep_until(self.deadline()).await;
    }

    /// The probe of the current slot has ended: move to the next slot
    /// whose deadline is still ahead; returns how many were missed.
    pub fn advance(&mut self) -> u64 {
        let (slot, missed) = next_slot(
            self.slot,
            Instant::now().saturating_duration_since(self.start),
            self.interval,
        );
        self.slot = slot;
        missed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_the_grid() {
        let s = Duration::from_secs(1);
        assert_eq!(next_slot(0, Duration::ZERO, s), (1, 0));
        assert_eq!(next_slot(0, Duration::from_millis(999), s), (1, 0));
        assert_eq!(next_slot(0, Duration::from_millis(1050), s), (1, 0));
        assert_eq!(next_slot(0, Duration::from_millis(1150), s), (2, 1));
        assert_eq!(next_slot(9, Duration::from_secs(100), s), (100, 90));
    }

    /// A probe that takes 2.5 intervals: the slots it overran are dropped,
    /// the next probe starts on the grid, and no two probes start closer
    /// than one interval (no bunching).
    #[tokio::test(start_paused = true)]
    async fn a_slow_probe_drops_slots_and_never_bunches() {
        let interval = Duration::from_secs(1);
        let start = Instant::now();
        let mut schedule = Schedule::new(start, interval);
        let mut starts = Vec::new();
        let mut dropped = 0;
        for n in 0..6 {
            schedule.wait().await;
            starts.push(start.elapsed());
            let work = if n == 2 { 2500 } else { 100 };
            tokio::time::sleep(Duration::from_millis(work)).await;
            dropped += schedule.advance();
        }
        let ms: Vec<u128> = starts.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, vec![0, 1000, 2000, 5000, 6000, 7000]);
        assert_eq!(dropped, 2);
        assert!(starts.windows(2).all(|w| w[1] - w[0] >= interval));
    }

    /// Many targets on the same clock: each keeps its own grid, and a stall
    /// of one does not move another.
    #[tokio::test(start_paused = true)]
    async fn targets_keep_their_own_grid() {
        let start = Instant::now();
        let fast = async {
            let mut s = Schedule::new(start, Duration::from_millis(300));
            let mut at = Vec::new();
            for _ in 0..4 {
                s.wait().await;
                at.push(start.elapsed().as_millis());
                assert_eq!(s.advance(), 0);
            }
            at
        };
        let slow = async {
            let mut s = Schedule::new(start, Duration::from_millis(1000));
            s.wait().await;
            tokio::time::sleep(Duration::from_millis(3200)).await;
            s.advance()
        };
        let (at, missed) = tokio::join!(fast, slow);
        assert_eq!(at, vec![0, 300, 600, 900]);
        assert_eq!(missed, 3);
    }
}
