//! What a trace found, as records: the JSON contract (`docs/json.md`, the
//! trace section) every view renders from. mtr's `report.hubs` is the
//! model: one [`HopReport`] per TTL with its probes in query order and
//! their statistics, and a [`TraceReport`] for the whole trace.
//!
//! Round trips are kept as exact milliseconds (the views print them to
//! three places) and written to JSON rounded to the microsecond, the unit
//! and precision of every `*_ms` field in docs/json.md ([`micros`]).

use std::net::IpAddr;

use serde::{Serialize, Serializer};

use super::channel::{MplsLabel, Protocol};

/// Milliseconds rounded to the microsecond, as every `*_ms` field of the
/// JSON is written (ping's [`crate::ping::report::ms`] does the same from a
/// duration).
///
/// # Examples
/// ```
/// assert_eq!(ipkit::trace::report::micros(0.060000000000000005), 0.06);
/// assert_eq!(ipkit::trace::report::micros(1.2345678), 1.235);
/// ```
pub fn micros(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

#[allow(
    clippy::ref_option,
    reason = "serde's serialize_with hands the field by reference"
)]
fn as_micros<S: Serializer>(ms: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.serialize_f64(micros(*ms)),
        None => s.serialize_none(),
    }
}

/// The whole trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceReport {
    /// The destination.
    pub target: IpAddr,
    /// The target as the user wrote it.
    pub shown: String,
    /// How probes travelled.
    pub protocol: Protocol,
    /// The hops, in TTL order, up to the destination (or the last tried).
    pub hops: Vec<HopReport>,
    /// Whether the destination answered.
    pub reached: bool,
    /// With `--mtu`: the path MTU found — the size the last probes went
    /// with (1500, or `--size`, when the path never narrowed); None
    /// without `--mtu`.
    pub path_mtu: Option<u16>,
    /// Rounds completed (1 without `--report`).
    pub rounds: u32,
    /// Replies about probes of ours that were not in flight (late ones
    /// excepted): counted, not used.
    pub foreign_replies: u64,
    /// Whether the trace was stopped before its end.
    pub interrupted: bool,
}

/// One TTL.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HopReport {
    /// The TTL / hop limit of its probes.
    pub ttl: u8,
    /// Its probes, in query order (round after round with `--report`).
    pub probes: Vec<ProbeResult>,
    /// Their statistics.
    pub stats: HopStats,
    /// With `--mtu`: the path MTU that this hop reported (the probe size
    /// dropped here).
    pub mtu: Option<u16>,
}

/// One probe. The default is a probe that nothing answered.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProbeResult {
    /// Who answered; None: nobody (`*`).
    pub from: Option<IpAddr>,
    /// The responder's reverse name, resolved off the probing path.
    pub name: Option<String>,
    /// The responder's autonomous system number, from the IP-information
    /// data ([`crate::info`], looked up once per responder:
    /// [`super::ip_info`]); None without data, for a bogon (never looked
    /// up), or when the data has none for it.
    pub asn: Option<u32>,
    /// The organisation holding the responder's address (ipinfo's `org`,
    /// as `AS15169 Google LLC`), from the same data.
    pub org: Option<String>,
    /// The responder's country (ipinfo's `country`, ISO 3166-1 alpha-2),
    /// from the same data.
    pub country: Option<String>,
    /// Round trip, milliseconds.
    #[serde(serialize_with = "as_micros")]
    pub rtt_ms: Option<f64>,
    /// traceroute's mark: `!H`, `!N`, `!P`, `!F`, `!X`, `!S`, `!A`, `!Z`,
    /// `!V`, `!C`, `!U`, `!W`, `!I`, `!T`, `!Q` (traceroute(8)); a code
    /// with no letter by number: `!<code>` (unreachable), `!<type-code>`.
    pub annotation: Option<String>,
    /// With `!F`: the next-hop MTU the router gave (traceroute's `!F-1280`).
    pub frag_mtu: Option<u16>,
    /// Whether this probe reached the destination.
    pub reached: bool,
    /// The TOS byte the responder quoted from the probe.
    pub quoted_tos: Option<u8>,
    /// MPLS labels from the ICMP extension.
    pub mpls: Vec<MplsLabel>,
}

/// A hop's statistics, as mtr's report columns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HopStats {
    /// Probes sent.
    pub sent: u32,
    /// Probes answered.
    pub received: u32,
    /// Unanswered share, percent.
    pub loss_percent: f64,
    /// The last round trip, ms.
    #[serde(serialize_with = "as_micros")]
    pub last_ms: Option<f64>,
    /// Mean, ms.
    #[serde(serialize_with = "as_micros")]
    pub avg_ms: Option<f64>,
    /// Best, ms.
    #[serde(serialize_with = "as_micros")]
    pub best_ms: Option<f64>,
    /// Worst, ms.
    #[serde(serialize_with = "as_micros")]
    pub worst_ms: Option<f64>,
    /// Standard deviation, ms.
    #[serde(serialize_with = "as_micros")]
    pub stddev_ms: Option<f64>,
    /// Mean absolute difference of consecutive round trips, ms (mtr's
    /// jitter).
    #[serde(serialize_with = "as_micros")]
    pub jitter_ms: Option<f64>,
}

impl HopStats {
    /// The statistics of `probes` (all sent).
    pub fn of(probes: &[ProbeResult]) -> HopStats {
        let rtts: Vec<f64> = probes.iter().filter_map(|p| p.rtt_ms).collect();
        let sent = probes.len() as u32;
        let received = rtts.len() as u32;
        let loss_percent = if sent == 0 {
            0.0
        } else {
            100.0 * f64::from(sent - received) / f64::from(sent)
        };
        let n = rtts.len() as f64;
        let avg = (!rtts.is_empty()).then(|| rtts.iter().sum::<f64>() / n);
        let stddev = avg.map(|a| (rtts.iter().map(|r| (r - a) * (r - a)).sum::<f64>() / n).sqrt());
        let jitter = (rtts.len() >= 2)
            .then(|| rtts.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>() / (n - 1.0));
        HopStats {
            sent,
            received,
            loss_percent,
            last_ms: rtts.last().copied(),
            avg_ms: avg,
            best_ms: rtts.iter().copied().reduce(f64::min),
            worst_ms: rtts.iter().copied().reduce(f64::max),
            stddev_ms: stddev,
            jitter_ms: jitter,
        }
    }
}

/// The `summary` record: the [`TraceReport`] without its hops (each came
/// as a `hop` record).
#[derive(Debug, Serialize)]
pub struct Summary<'a> {
    /// The destination.
    pub target: IpAddr,
    /// The target as given.
    pub shown: &'a str,
    /// How probes travelled.
    pub protocol: Protocol,
    /// Whether the destination answered.
    pub reached: bool,
    /// Hops reported.
    pub hops: usize,
    /// The path MTU, with `--mtu`.
    pub path_mtu: Option<u16>,
    /// Rounds probed.
    pub rounds: u32,
    /// Replies quoting a probe not in flight (ignored).
    pub foreign_replies: u64,
    /// Stopped by a signal before the end.
    pub interrupted: bool,
}

impl<'a> Summary<'a> {
    /// The summary of `r`.
    pub fn of(r: &'a TraceReport) -> Summary<'a> {
        Summary {
            target: r.target,
            shown: &r.shown,
            protocol: r.protocol,
            reached: r.reached,
            hops: r.hops.len(),
            path_mtu: r.path_mtu,
            rounds: r.rounds,
            foreign_replies: r.foreign_replies,
            interrupted: r.interrupted,
        }
    }
}
