//! Rolling per-hop statistics for a continuous trace (`ipkit trace
//! --live`, mtr's and trippy's table): every pass's [`HopReport`]s are
//! folded into one [`LiveHop`] per TTL. The counts and moments are running
//! sums (O(1) memory however long the trace runs); the round trips kept
//! for a sparkline are a fixed-length ring ([`HISTORY`]), and a hop keeps
//! at most [`MAX_RESPONDERS`] responders (ECMP), so memory is bounded.
//!
//! Each responder carries what the IP-information data says of it (AS,
//! holder, country: the probes' labels, [`super::ip_info`]); a hop's
//! [`LiveHop::histogram`] buckets its kept round trips for a detail pane.
//!
//! The figures are [`HopStats`]'s definitions (mtr's columns: population
//! standard deviation, jitter as the mean absolute difference of
//! consecutive round trips), computed incrementally; a test checks the two
//! agree on the same probes.

use std::collections::VecDeque;
use std::net::IpAddr;

use super::report::{HopReport, HopStats, ProbeResult};

/// Round trips kept per hop for its history (a sparkline's width and more).
pub const HISTORY: usize = 512;

/// Responders kept per hop (the first seen; later ones are counted only).
pub const MAX_RESPONDERS: usize = 8;

/// One responder of a hop.
#[derive(Debug, Clone, PartialEq)]
pub struct Responder {
    /// Its address.
    pub addr: IpAddr,
    /// Its reverse name, once known.
    pub name: Option<String>,
    /// Replies from it.
    pub replies: u64,
    /// Its autonomous system, from the IP-information data.
    pub asn: Option<u32>,
    /// Its holder (ipinfo's `org`: `AS15169 Google LLC`).
    pub org: Option<String>,
    /// Its country (ISO 3166-1 alpha-2).
    pub country: Option<String>,
}

impl Responder {
    fn label_from(&mut self, p: &ProbeResult) {
        if p.name.is_some() {
            self.name.clone_from(&p.name);
        }
        if p.asn.is_some() {
            self.asn = p.asn;
        }
        if p.org.is_some() {
            self.org.clone_from(&p.org);
        }
        if p.country.is_some() {
            self.country.clone_from(&p.country);
        }
    }
}

/// One bar of a hop's round-trip histogram: the probes whose round trip
/// was at least `from_ms` and below `to_ms` (the last bucket includes its
/// upper edge).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// The lower edge, ms.
    pub from_ms: f64,
    /// The upper edge, ms.
    pub to_ms: f64,
    /// The round trips in it.
    pub count: usize,
}

/// One TTL's statistics over every round so far.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveHop {
    /// The TTL.
    pub ttl: u8,
    /// Who answered, in the order first seen (at most [`MAX_RESPONDERS`]).
    pub responders: Vec<Responder>,
    /// Probes sent.
    pub sent: u64,
    /// Probes answered.
    pub received: u64,
    /// The last round trip, ms.
    pub last_ms: Option<f64>,
    /// Best, ms.
    pub best_ms: Option<f64>,
    /// Worst, ms.
    pub worst_ms: Option<f64>,
    /// The last [`HISTORY`] probes' round trips, oldest first (None: lost).
    pub history: VecDeque<Option<f64>>,
    /// Whether a probe of this hop reached the destination.
    pub reached: bool,
    /// The last annotation (`!H`, …) seen.
    pub annotation: Option<String>,
    mean: f64,
    m2: f64,
    jitter_sum: f64,
}

impl LiveHop {
    fn new(ttl: u8) -> LiveHop {
        LiveHop {
            ttl,
            responders: Vec::new(),
            sent: 0,
            received: 0,
            last_ms: None,
            best_ms: None,
            worst_ms: None,
            history: VecDeque::with_capacity(HISTORY),
            reached: false,
            annotation: None,
            mean: 0.0,
            m2: 0.0,
            jitter_sum: 0.0,
        }
    }

    /// Unanswered share, percent.
    pub fn loss_percent(&self) -> f64 {
        if self.sent == 0 {
            0.0
        } else {
            100.0 * (self.sent - self.received) as f64 / self.sent as f64
        }
    }

    /// Mean round trip, ms.
    pub fn avg_ms(&self) -> Option<f64> {
        (self.received > 0).then_some(self.mean)
    }

    /// Population standard deviation, ms.
    pub fn stddev_ms(&self) -> Option<f64> {
        (self.received > 0).then(|| (self.m2 / self.received as f64).sqrt())
    }

    /// Mean absolute difference of consecutive round trips, ms.
    pub fn jitter_ms(&self) -> Option<f64> {
        (self.received >= 2).then(|| self.jitter_sum / (self.received - 1) as f64)
    }

    fn record(&mut self, hop: &HopReport) {
        for p in &hop.probes {
            self.sent += 1;
            if self.history.len() == HISTORY {
                self.history.pop_front();
            }
            self.history.push_back(p.rtt_ms);
            self.reached |= p.reached;
            if p.annotation.is_some() {
                self.annotation.clone_from(&p.annotation);
            }
            if let Some(from) = p.from {
                let known = self.responders.iter().position(|r| r.addr == from);
                match known {
                    Some(at) => {
                        let r = &mut self.responders[at];
                        r.replies += 1;
                        r.label_from(p);
                    }
                    None if self.responders.len() < MAX_RESPONDERS => {
                        let mut r = Responder {
                            addr: from,
                            name: None,
                            replies: 1,
                            asn: None,
                            org: None,
                            country: None,
                        };
                        r.label_from(p);
                        self.responders.push(r);
                    }
                    None => {}
                }
            }
            let Some(rtt) = p.rtt_ms else { continue };
            if let Some(last) = self.last_ms {
                self.jitter_sum += (rtt - last).abs();
            }
            self.received += 1;
            let delta = rtt - self.mean;
            self.mean += delta / self.received as f64;
            self.m2 += delta * (rtt - self.mean);
            self.last_ms = Some(rtt);
            self.best_ms = Some(self.best_ms.map_or(rtt, |b| b.min(rtt)));
            self.worst_ms = Some(self.worst_ms.map_or(rtt, |w| w.max(rtt)));
        }
    }

    /// The kept round trips ([`LiveHop::history`], losses left out) in at
    /// most `buckets` equal-width buckets from the smallest to the largest;
    /// empty when none was answered. All equal: one bucket.
    pub fn histogram(&self, buckets: usize) -> Vec<Bucket> {
        let answered = || self.history.iter().flatten().copied();
        let (Some(lo), Some(hi)) = (
            answered().min_by(f64::total_cmp),
            answered().max_by(f64::total_cmp),
        ) else {
            return Vec::new();
        };
        let n = if hi > lo { buckets.max(1) } else { 1 };
        let width = (hi - lo) / n as f64;
        let mut out: Vec<Bucket> = (0..n)
            .map(|i| Bucket {
                from_ms: lo + width * i as f64,
                to_ms: if i + 1 == n {
                    hi
                } else {
                    lo + width * (i + 1) as f64
                },
                count: 0,
            })
            .collect();
        for rtt in answered() {
            let at = if width > 0.0 {
                (((rtt - lo) / width) as usize).min(n - 1)
            } else {
                0
            };
            out[at].count += 1;
        }
        out
    }

    /// These statistics as [`HopStats`] (counts saturate at `u32::MAX`).
    pub fn stats(&self) -> HopStats {
        HopStats {
            sent: u32::try_from(self.sent).unwrap_or(u32::MAX),
            received: u32::try_from(self.received).unwrap_or(u32::MAX),
            loss_percent: self.loss_percent(),
            last_ms: self.last_ms,
            avg_ms: self.avg_ms(),
            best_ms: self.best_ms,
            worst_ms: self.worst_ms,
            stddev_ms: self.stddev_ms(),
            jitter_ms: self.jitter_ms(),
        }
    }
}

/// A continuous trace's state: one [`LiveHop`] per TTL seen, in TTL order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveTrace {
    /// The hops.
    pub hops: Vec<LiveHop>,
    /// Passes completed.
    pub rounds: u64,
}

impl LiveTrace {
    /// Fold one hop of a pass in.
    pub fn record(&mut self, hop: &HopReport) {
        let at = match self.hops.binary_search_by_key(&hop.ttl, |h| h.ttl) {
            Ok(at) => at,
            Err(at) => {
                self.hops.insert(at, LiveHop::new(hop.ttl));
                at
            }
        };
        self.hops[at].record(hop);
        // A destination nearer than hops seen before (the path shortened):
        // the hops past it are no longer on the path.
        if self.hops[at].reached && hop.probes.iter().any(|p| p.reached) {
            self.hops.truncate(at + 1);
        }
    }

    /// A pass ended.
    pub fn end_round(&mut self) {
        self.rounds += 1;
    }

    /// Forget every statistic (mtr's `r`).
    pub fn reset(&mut self) {
        *self = LiveTrace::default();
    }

    /// Whether some hop reached the destination.
    pub fn reached(&self) -> bool {
        self.hops.iter().any(|h| h.reached)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(from: Option<&str>, rtt: Option<f64>) -> ProbeResult {
        ProbeResult {
            from: from.map(|f| f.parse().unwrap()),
            rtt_ms: rtt,
            ..ProbeResult::default()
        }
    }

    fn hop(ttl: u8, probes: Vec<ProbeResult>) -> HopReport {
        HopReport {
            ttl,
            stats: HopStats::of(&probes),
            probes,
            mtu: None,
        }
    }

    #[test]
    fn rolling_figures_are_hop_stats_of_all_probes() {
        let rtts = [
            Some(1.5),
            None,
            Some(3.25),
            Some(2.0),
            None,
            Some(10.0),
            Some(0.5),
        ];
        let mut live = LiveTrace::default();
        let mut all = Vec::new();
        for (i, rtt) in rtts.iter().enumerate() {
            let from = rtt.map(|_| if i % 2 == 0 { "10.0.0.1" } else { "10.0.0.2" });
            let p = probe(from, *rtt);
            all.push(p.clone());
            live.record(&hop(1, vec![p]));
            live.end_round();
        }
        let want = HopStats::of(&all);
        let got = live.hops[0].stats();
        assert_eq!((got.sent, got.received), (want.sent, want.received));
        assert_eq!(got.loss_percent, want.loss_percent);
        assert_eq!(got.last_ms, want.last_ms);
        assert_eq!(got.best_ms, want.best_ms);
        assert_eq!(got.worst_ms, want.worst_ms);
        for (g, w) in [
            (got.avg_ms, want.avg_ms),
            (got.stddev_ms, want.stddev_ms),
            (got.jitter_ms, want.jitter_ms),
        ] {
            assert!((g.unwrap() - w.unwrap()).abs() < 1e-9, "{g:?} {w:?}");
        }
        assert_eq!(live.hops[0].responders.len(), 2);
        assert_eq!(live.rounds, rtts.len() as u64);
    }

    #[test]
    fn history_and_responders_are_bounded() {
        let mut live = LiveTrace::default();
        for i in 0..(HISTORY * 3) {
            let from = format!("10.0.{}.{}", i / 256, i % 256);
            live.record(&hop(1, vec![probe(Some(&from), Some(i as f64))]));
        }
        let h = &live.hops[0];
        assert_eq!(h.history.len(), HISTORY);
        assert_eq!(h.history.back(), Some(&Some((HISTORY * 3 - 1) as f64)));
        assert_eq!(h.responders.len(), MAX_RESPONDERS);
        assert_eq!(h.sent, (HISTORY * 3) as u64);
    }

    #[test]
    fn hops_stay_in_ttl_order_and_reset_forgets() {
        let mut live = LiveTrace::default();
        live.record(&hop(2, vec![probe(None, None)]));
        live.record(&hop(1, vec![probe(Some("10.0.0.1"), Some(1.0))]));
        assert_eq!(live.hops.iter().map(|h| h.ttl).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(live.hops[1].loss_percent(), 100.0);
        live.reset();
        assert!(live.hops.is_empty());
    }

    /// 10,000 rounds over a 30-hop path (the figure): every hop
    /// keeps [`HISTORY`] round trips and at most [`MAX_RESPONDERS`]
    /// responders, however many rounds and routers went by.
    #[test]
    fn ten_thousand_rounds_of_thirty_hops_stay_bounded() {
        let mut live = LiveTrace::default();
        for round in 0..10_000u32 {
            for ttl in 1..=30u8 {
                // Hop 5 balances over a new router every round.
                let from = if ttl == 5 {
                    format!("10.5.{}.{}", round / 256 % 256, round % 256)
                } else {
                    format!("10.0.0.{ttl}")
                };
                let rtt = (round % 7 != 0).then(|| f64::from(ttl) + f64::from(round % 10));
                live.record(&hop(ttl, vec![probe(Some(&from), rtt)]));
            }
            live.end_round();
        }
        assert_eq!(live.rounds, 10_000);
        assert_eq!(live.hops.len(), 30);
        for h in &live.hops {
            assert_eq!(h.sent, 10_000);
            assert_eq!(h.history.len(), HISTORY);
            assert!(
                h.history.capacity() < 2 * HISTORY,
                "{}",
                h.history.capacity()
            );
            assert!(h.responders.len() <= MAX_RESPONDERS);
        }
        assert_eq!(live.hops[4].responders.len(), MAX_RESPONDERS);
    }

    #[test]
    fn histogram_buckets_the_kept_round_trips() {
        let mut live = LiveTrace::default();
        for rtt in [Some(1.0), Some(2.0), None, Some(2.5), Some(5.0)] {
            live.record(&hop(1, vec![probe(rtt.map(|_| "10.0.0.1"), rtt)]));
        }
        let h = live.hops[0].histogram(4);
        // 1..5 ms in four 1 ms buckets; the loss is left out, 5.0 is in the last.
        let counts: Vec<usize> = h.iter().map(|b| b.count).collect();
        assert_eq!(counts, [1, 2, 0, 1]);
        assert_eq!((h[0].from_ms, h[3].to_ms), (1.0, 5.0));
        assert_eq!((h[1].from_ms, h[1].to_ms), (2.0, 3.0));
        let mut same = LiveTrace::default();
        same.record(&hop(1, vec![probe(Some("10.0.0.1"), Some(3.0))]));
        assert_eq!(same.hops[0].histogram(4).len(), 1);
        assert!(LiveTrace::default().hops.is_empty());
        let mut lost = LiveTrace::default();
        lost.record(&hop(1, vec![probe(None, None)]));
        assert!(lost.hops[0].histogram(4).is_empty());
    }

    #[test]
    fn responders_carry_their_labels() {
        let mut live = LiveTrace::default();
        let mut p = probe(Some("203.0.113.1"), Some(1.0));
        live.record(&hop(1, vec![p.clone()]));
        assert_eq!(live.hops[0].responders[0].asn, None);
        p.asn = Some(64500);
        p.org = Some("AS64500 Example".into());
        p.country = Some("NL".into());
        live.record(&hop(1, vec![p]));
        let r = &live.hops[0].responders[0];
        assert_eq!(
            (r.asn, r.org.as_deref(), r.country.as_deref()),
            (Some(64500), Some("AS64500 Example"), Some("NL"))
        );
        assert_eq!(r.replies, 2);
    }
}
