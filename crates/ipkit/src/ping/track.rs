//! The pure half of the ping engine: which probe a reply answers, whether it
//! is a duplicate or late, and the statistics iputils prints. Events in,
//! verdicts out; no sockets, no clocks (times are passed in), so every rule
//! is tested without I/O.
//!
//! Matching (three keys, so two pings running at once never count each
//! other's replies): the ICMP identifier, the sequence number, and a per-run
//! random cookie carried at the start of the payload.

use std::collections::HashMap;
use std::time::Duration;

/// Bytes at the start of every probe payload: the 8-byte run cookie.
pub const COOKIE_LEN: usize = 8;

/// What one received echo reply is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The first reply to a probe still waited for.
    Reply {
        /// Round-trip time.
        rtt: Duration,
    },
    /// A second (or later) reply to the same probe.
    Duplicate {
        /// Round-trip time of this copy.
        rtt: Duration,
    },
    /// A reply after the probe's timeout passed (counted as lost, shown as late).
    Late {
        /// Round-trip time.
        rtt: Duration,
    },
    /// Not ours: another identifier, unknown sequence, or wrong cookie.
    Foreign,
}

#[derive(Debug, Clone, Copy)]
struct Sent {
    at: Duration,
    answered: bool,
    expired: bool,
}

/// Probes of one target and the replies they got.
#[derive(Debug, Clone)]
pub struct Tracker {
    ident: u16,
    cookie: [u8; COOKIE_LEN],
    /// How much of the cookie the probes carry (less than all of it when
    /// the payload is shorter, as `ping -s 0..7` asks).
    cookie_len: usize,
    sent: HashMap<u16, Sent>,
    /// Statistics so far.
    pub stats: Stats,
}

impl Tracker {
    /// A tracker for probes with this identifier and cookie.
    pub fn new(ident: u16, cookie: [u8; COOKIE_LEN]) -> Self {
        Tracker {
            ident,
            cookie,
            cookie_len: COOKIE_LEN,
            sent: HashMap::new(),
            stats: Stats::default(),
        }
    }

    /// Probes whose payload holds only the first `len` bytes of the cookie
    /// (none with `ping -s 0`): replies are then matched on what fits, the
    /// identifier and the sequence number, as iputils matches them.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ipkit::ping::track::{Tracker, Verdict};
    /// let mut t = Tracker::new(7, *b"cookie!!").carrying(2);
    /// t.sent(1, Duration::ZERO);
    /// assert_eq!(t.reply(7, 1, b"cx", Duration::ZERO), Verdict::Foreign);
    /// assert_eq!(t.reply(7, 1, b"co", Duration::ZERO), Verdict::Reply { rtt: Duration::ZERO });
    /// ```
    #[must_use]
    pub fn carrying(mut self, len: usize) -> Self {
        self.cookie_len = len.min(COOKIE_LEN);
        self
    }

    /// Record a probe sent at `at` (time since the run started).
    pub fn sent(&mut self, seq: u16, at: Duration) {
        self.sent.insert(
            seq,
            Sent {
                at,
                answered: false,
                expired: false,
            },
        );
        self.stats.transmitted += 1;
    }

    /// Judge a reply received at `at`.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use ipkit::ping::track::{Tracker, Verdict};
    /// let mut t = Tracker::new(7, *b"cookie!!");
    /// t.sent(1, Duration::from_millis(0));
    /// let ms = Duration::from_millis;
    /// assert_eq!(t.reply(7, 1, b"cookie!!rest", ms(3)), Verdict::Reply { rtt: ms(3) });
    /// assert_eq!(t.reply(7, 1, b"cookie!!rest", ms(4)), Verdict::Duplicate { rtt: ms(4) });
    /// assert_eq!(t.reply(8, 1, b"cookie!!rest", ms(5)), Verdict::Foreign);
    /// assert_eq!(t.reply(7, 1, b"another!rest", ms(5)), Verdict::Foreign);
    /// ```
    pub fn reply(&mut self, ident: u16, seq: u16, payload: &[u8], at: Duration) -> Verdict {
        let cookie = &self.cookie[..self.cookie_len];
        if ident != self.ident || payload.get(..self.cookie_len) != Some(cookie) {
            return Verdict::Foreign;
        }
        let Some(s) = self.sent.get_mut(&seq) else {
            return Verdict::Foreign;
        };
        let rtt = at.saturating_sub(s.at);
        if s.answered {
            self.stats.duplicates += 1;
            return Verdict::Duplicate { rtt };
        }
        s.answered = true;
        if s.expired {
            self.stats.late += 1;
            return Verdict::Late { rtt };
        }
        self.stats.received += 1;
        self.stats.add_rtt(rtt);
        Verdict::Reply { rtt }
    }

    /// Mark probes sent at or before `deadline_sent` that are still
    /// unanswered as expired; returns their sequence numbers, ascending.
    pub fn expire(&mut self, deadline_sent: Duration) -> Vec<u16> {
        let mut gone: Vec<u16> = self
            .sent
            .iter_mut()
            .filter(|(_, s)| !s.answered && !s.expired && s.at <= deadline_sent)
            .map(|(seq, s)| {
                s.expired = true;
                *seq
            })
            .collect();
        gone.sort_unstable();
        gone
    }

    /// Whether every probe sent has been answered or has expired.
    pub fn settled(&self) -> bool {
        self.sent.values().all(|s| s.answered || s.expired)
    }

    /// Count an ICMP error (unreachable, time exceeded …) for a probe.
    pub fn error(&mut self, seq: u16) -> bool {
        match self.sent.get_mut(&seq) {
            Some(s) if !s.answered => {
                s.answered = true;
                self.stats.errors += 1;
                true
            }
            _ => false,
        }
    }
}

/// What iputils prints at the end.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    /// Probes sent.
    pub transmitted: u64,
    /// First replies in time.
    pub received: u64,
    /// Extra copies.
    pub duplicates: u64,
    /// Replies after their timeout.
    pub late: u64,
    /// ICMP errors received for our probes.
    pub errors: u64,
    rtt_min: Option<Duration>,
    rtt_max: Duration,
    sum_ns: u128,
    sum_sq_ns: u128,
}

impl Stats {
    fn add_rtt(&mut self, rtt: Duration) {
        self.rtt_min = Some(self.rtt_min.map_or(rtt, |m| m.min(rtt)));
        self.rtt_max = self.rtt_max.max(rtt);
        let ns = rtt.as_nanos();
        self.sum_ns += ns;
        self.sum_sq_ns += ns * ns;
    }

    /// Packet loss in percent, as iputils computes it.
    pub fn loss_percent(&self) -> f64 {
        if self.transmitted == 0 {
            return 0.0;
        }
        (self.transmitted - self.received.min(self.transmitted)) as f64 * 100.0
            / self.transmitted as f64
    }

    /// (min, avg, max, mdev) of the in-time replies; None without replies.
    /// mdev is iputils' `sqrt(avg(rtt²) - avg(rtt)²)`.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use ipkit::ping::track::Tracker;
    /// let mut t = Tracker::new(1, [0; 8]);
    /// for (seq, ms) in [(1u16, 10u64), (2, 20), (3, 30)] {
    ///     t.sent(seq, Duration::ZERO);
    ///     t.reply(1, seq, &[0; 8], Duration::from_millis(ms));
    /// }
    /// let (min, avg, max, mdev) = t.stats.rtt().unwrap();
    /// assert_eq!((min.as_millis(), avg.as_millis(), max.as_millis()), (10, 20, 30));
    /// assert_eq!(mdev.as_micros(), 8164); // sqrt(2/3) * 10 ms
    /// ```
    pub fn rtt(&self) -> Option<(Duration, Duration, Duration, Duration)> {
        let min = self.rtt_min?;
        let n = u128::from(self.received.max(1));
        let avg = self.sum_ns / n;
        let var = (self.sum_sq_ns / n).saturating_sub(avg * avg);
        let mdev = (var as f64).sqrt();
        Some((
            min,
            Duration::from_nanos(avg as u64),
            self.rtt_max,
            Duration::from_nanos(mdev as u64),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn late_replies_are_lost_but_shown() {
        let mut t = Tracker::new(9, *b"runcooki");
        t.sent(1, MS(0));
        t.sent(2, MS(1000));
        assert_eq!(t.expire(MS(0)), vec![1]);
        assert!(!t.settled());
        assert_eq!(
            t.reply(9, 1, b"runcookie", MS(1500)),
            Verdict::Late { rtt: MS(1500) }
        );
        assert_eq!(
            t.reply(9, 2, b"runcookie", MS(1010)),
            Verdict::Reply { rtt: MS(10) }
        );
        assert!(t.settled());
        assert_eq!(
            (t.stats.transmitted, t.stats.received, t.stats.late),
            (2, 1, 1)
        );
        assert_eq!(t.stats.loss_percent(), 50.0);
    }

    #[test]
    fn errors_and_unknown_sequences() {
        let mut t = Tracker::new(1, [1; 8]);
        t.sent(5, MS(0));
        assert!(t.error(5));
        assert!(!t.error(5), "counted once");
        assert!(!t.error(6), "not ours");
        assert_eq!(t.reply(1, 99, &[1; 8], MS(1)), Verdict::Foreign);
        assert_eq!(
            t.reply(1, 5, &[1; 7], MS(1)),
            Verdict::Foreign,
            "short payload"
        );
        assert_eq!(t.stats.rtt(), None);
        assert_eq!(t.stats.loss_percent(), 100.0);
    }
}
