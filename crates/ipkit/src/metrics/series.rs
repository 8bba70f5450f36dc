//! The exporter's series, held in prometheus-client's metric types and
//! written by its encoder (a [`Collector`] walks the targets at each
//! scrape; no exposition text is written by hand). The OpenMetrics 1.0.0
//! text is prometheus-client's own; the Prometheus text format 0.0.4 is
//! derived from it ([`to_prometheus_text`]): the two differ only in the
//! `# EOF` line, `# UNIT` lines and a counter's family name (`x` in
//! OpenMetrics, `x_total` in 0.0.4).
//!
//! Cardinality is bounded by the configuration: one series set per target;
//! per hop of a trace at most `max_hops`; a `responder` label only when the
//! module asks, and at most `max_responders` values per target (the rest
//! are `responder="other"`); an `rcode` per DNS response code seen (at most
//! the 24 codes DNS defines).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;

use super::config::{Kind, Settings, Target};

/// A gauge of floating-point values.
pub type GaugeF = Gauge<f64, AtomicU64>;

/// The probes a loss ratio is computed over (the contract's "last 10").
pub const LOSS_WINDOW: u32 = 10;

/// The outcomes of the last [`LOSS_WINDOW`] probes, as bits (1 = lost).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    bits: u32,
    len: u32,
}

impl Window {
    /// Record one probe.
    pub fn push(&mut self, lost: bool) {
        self.bits = ((self.bits << 1) | u32::from(lost)) & ((1 << LOSS_WINDOW) - 1);
        self.len = (self.len + 1).min(LOSS_WINDOW);
    }

    /// Lost / sent over the window (0 before any probe).
    ///
    /// ```
    /// let mut w = ipkit::metrics::series::Window::default();
    /// w.push(true);
    /// w.push(false);
    /// assert_eq!(w.ratio(), 0.5);
    /// for _ in 0..10 { w.push(true); }
    /// assert_eq!(w.ratio(), 1.0);
    /// ```
    pub fn ratio(&self) -> f64 {
        if self.len == 0 {
            0.0
        } else {
            f64::from(self.bits.count_ones()) / f64::from(self.len)
        }
    }
}

/// A ping target's series.
#[derive(Debug)]
pub struct PingSeries {
    /// `ipkit_ping_rtt_seconds`.
    pub rtt: Histogram,
    /// `ipkit_ping_sent_total`.
    pub sent: Counter,
    /// `ipkit_ping_received_total`.
    pub received: Counter,
    /// `ipkit_ping_loss_ratio`.
    pub loss: GaugeF,
    /// `ipkit_ping_last_ttl`.
    pub last_ttl: Gauge,
    window: Mutex<Window>,
}

impl PingSeries {
    /// Record one probe: its round trip and reply TTL, or None when lost.
    pub fn record(&self, reply: Option<(f64, Option<u8>)>) {
        self.sent.inc();
        if let Some((secs, ttl)) = reply {
            self.received.inc();
            self.rtt.observe(secs);
            if let Some(ttl) = ttl {
                self.last_ttl.set(i64::from(ttl));
            }
        }
        let mut w = self
            .window
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        w.push(reply.is_none());
        self.loss.set(w.ratio());
    }
}

/// The `result` label values of `ipkit_tcp_connects_total`.
pub const TCP_RESULTS: [&str; 4] = ["ok", "refused", "timeout", "error"];

/// A TCP target's series.
#[derive(Debug)]
pub struct TcpSeries {
    /// `ipkit_tcp_connect_seconds` (connections made only).
    pub connect: Histogram,
    /// `ipkit_tcp_connects_total`, by [`TCP_RESULTS`].
    pub results: [Counter; 4],
}

/// A DNS target's series.
#[derive(Debug)]
pub struct DnsSeries {
    /// `ipkit_dns_lookup_seconds` (answered lookups).
    pub lookup: Histogram,
    /// `ipkit_dns_responses_total` by rcode.
    pub rcodes: Mutex<BTreeMap<String, Counter>>,
    /// `ipkit_dns_answers`.
    pub answers: Gauge,
}

impl DnsSeries {
    /// Count a response with this rcode (its mnemonic, `NOERROR`).
    pub fn response(&self, rcode: &str) {
        let mut r = self
            .rcodes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        r.entry(rcode.to_string()).or_default().inc();
    }
}

/// One round of a trace, as the series take it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Round {
    /// Per TTL from 1: who answered and after how long (seconds); None:
    /// nobody answered this round.
    pub hops: Vec<Option<(IpAddr, f64)>>,
    /// Whether the target answered.
    pub reached: bool,
}

/// What a trace target remembers between rounds.
#[derive(Debug, Default)]
struct TraceState {
    rtt: BTreeMap<(u8, String), Histogram>,
    loss: BTreeMap<u8, (Window, GaugeF)>,
    responders: Vec<IpAddr>,
    /// The last responder seen at each TTL (from 1).
    path: Vec<Option<IpAddr>>,
    /// The hop count of the last round that reached the target.
    reached_hops: Option<usize>,
}

/// A trace target's series.
#[derive(Debug)]
pub struct TraceSeries {
    buckets: Vec<f64>,
    responder_label: bool,
    max_responders: usize,
    state: Mutex<TraceState>,
    /// `ipkit_trace_hops`.
    pub hops: Gauge,
    /// `ipkit_trace_reached`.
    pub reached: Gauge,
    /// `ipkit_trace_path_changes_total`.
    pub changes: Counter,
    /// `ipkit_trace_path_hash`.
    pub hash: GaugeF,
}

/// Whether `round` changes the known `path`, and the path after it.
///
/// The rule: a path changes when a hop answers from another address than
/// the last one that answered at that TTL, or when the target is reached in
/// a different number of hops than the last time it was reached. A hop that
/// did not answer this round is not a change (its last responder stands),
/// nor is the first answer ever seen at a TTL.
///
/// # Examples
/// ```
/// use ipkit::metrics::series::{Round, path_change};
/// let a = "192.0.2.1".parse().unwrap();
/// let b = "192.0.2.2".parse().unwrap();
/// let t = "198.51.100.1".parse().unwrap();
/// let known = vec![Some(a), Some(t)];
/// let silent = Round { hops: vec![None, Some((t, 0.002))], reached: true };
/// assert_eq!(path_change(&known, Some(2), &silent).0, false);
/// let moved = Round { hops: vec![Some((b, 0.001)), Some((t, 0.002))], reached: true };
/// assert_eq!(path_change(&known, Some(2), &moved).0, true);
/// ```
pub fn path_change(
    known: &[Option<IpAddr>],
    reached_hops: Option<usize>,
    round: &Round,
) -> (bool, Vec<Option<IpAddr>>) {
    let mut changed = false;
    let hops = if round.reached {
        round.hops.len()
    } else {
        known.len().max(round.hops.len())
    };
    let mut path: Vec<Option<IpAddr>> = Vec::with_capacity(hops);
    for ttl in 0..hops {
        let old = known.get(ttl).copied().flatten();
        let new = round.hops.get(ttl).copied().flatten().map(|(ip, _)| ip);
        match (old, new) {
            (Some(o), Some(n)) if o != n => {
                changed = true;
                path.push(Some(n));
            }
            (_, Some(n)) => path.push(Some(n)),
            (o, None) => path.push(o),
        }
    }
    if round.reached && reached_hops.is_some_and(|h| h != round.hops.len()) {
        changed = true;
    }
    (changed, path)
}

/// FNV-1a over the responder sequence (`*` for a TTL never answered),
/// cut to 53 bits so that a float64 sample holds it exactly.
///
/// ```
/// let a = "192.0.2.1".parse().unwrap();
/// let h = ipkit::metrics::series::path_hash(&[Some(a), None]);
/// assert!(h < (1u64 << 53));
/// assert_ne!(h, ipkit::metrics::series::path_hash(&[None, Some(a)]));
/// ```
pub fn path_hash(path: &[Option<IpAddr>]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for hop in path {
        match hop {
            Some(ip) => eat(ip.to_string().as_bytes()),
            None => eat(b"*"),
        }
        eat(b",");
    }
    h & ((1 << 53) - 1)
}

impl TraceSeries {
    /// Fold one round in.
    pub fn record(&self, round: &Round) {
        let mut s = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let s = &mut *s;
        for (i, hop) in round.hops.iter().enumerate() {
            let ttl = u8::try_from(i + 1).unwrap_or(u8::MAX);
            let (window, gauge) = s.loss.entry(ttl).or_default();
            window.push(hop.is_none());
            gauge.set(window.ratio());
            let Some((ip, secs)) = hop else {
                continue;
            };
            let responder = if !self.responder_label {
                String::new()
            } else if s.responders.contains(ip) {
                ip.to_string()
            } else if s.responders.len() < self.max_responders {
                s.responders.push(*ip);
                ip.to_string()
            } else {
                "other".to_string()
            };
            s.rtt
                .entry((ttl, responder))
                .or_insert_with(|| Histogram::new(self.buckets.iter().copied()))
                .observe(*secs);
        }
        let (changed, path) = path_change(&s.path, s.reached_hops, round);
        if changed {
            self.changes.inc();
        }
        s.path = path;
        if round.reached {
            s.reached_hops = Some(round.hops.len());
        }
        self.hash.set(path_hash(&s.path) as f64);
        let answered = round
            .hops
            .iter()
            .rposition(Option::is_some)
            .map_or(0, |i| i + 1);
        let count = if round.reached {
            round.hops.len()
        } else {
            answered
        };
        self.hops.set(i64::try_from(count).unwrap_or(i64::MAX));
        self.reached.set(i64::from(round.reached));
    }
}

/// A target's series by kind.
#[derive(Debug)]
pub enum Body {
    /// icmp.
    Ping(PingSeries),
    /// tcp.
    Tcp(TcpSeries),
    /// dns.
    Dns(DnsSeries),
    /// trace.
    Trace(TraceSeries),
}

/// Every series of one target.
#[derive(Debug)]
pub struct TargetSeries {
    /// The `target` label.
    pub name: String,
    /// Its module's name.
    pub module: String,
    /// The module's buckets (a reload with other buckets starts new series).
    pub buckets: Vec<f64>,
    /// `ipkit_target_resolved`.
    pub resolved: Gauge,
    /// `ipkit_target_up`.
    pub up: Gauge,
    /// The kind's series.
    pub body: Body,
    /// When the newest probe whose result set `up` was due (probes of a
    /// target overlap, and an older probe's timeout may end after a newer
    /// one's reply). A time, not a slot number: a reload that restarts the
    /// target's loop keeps the series, and its new slots are later.
    newest: Mutex<Option<tokio::time::Instant>>,
}

impl TargetSeries {
    /// The probe due at `due` ended (`ok`: it succeeded): `up` follows it
    /// unless a probe due later already ended.
    pub fn settle(&self, due: tokio::time::Instant, ok: bool) {
        let mut newest = self
            .newest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if newest.is_none_or(|n| due >= n) {
            *newest = Some(due);
            self.up.set(i64::from(ok));
        }
    }

    /// Fresh series for `target`.
    pub fn new(target: &Target) -> TargetSeries {
        let m = &target.module;
        let histogram = || Histogram::new(m.buckets.iter().copied());
        let body = match &m.settings {
            Settings::Icmp { .. } => Body::Ping(PingSeries {
                rtt: histogram(),
                sent: Counter::default(),
                received: Counter::default(),
                loss: GaugeF::default(),
                last_ttl: Gauge::default(),
                window: Mutex::new(Window::default()),
            }),
            Settings::Tcp => Body::Tcp(TcpSeries {
                connect: histogram(),
                results: Default::default(),
            }),
            Settings::Dns { .. } => Body::Dns(DnsSeries {
                lookup: histogram(),
                rcodes: Mutex::new(BTreeMap::new()),
                answers: Gauge::default(),
            }),
            Settings::Trace {
                responder_label,
                max_responders,
                ..
            } => Body::Trace(TraceSeries {
                buckets: m.buckets.clone(),
                responder_label: *responder_label,
                max_responders: *max_responders,
                state: Mutex::new(TraceState::default()),
                hops: Gauge::default(),
                reached: Gauge::default(),
                changes: Counter::default(),
                hash: GaugeF::default(),
            }),
        };
        TargetSeries {
            newest: Mutex::new(None),
            name: target.name.clone(),
            module: m.name.clone(),
            buckets: m.buckets.clone(),
            resolved: Gauge::default(),
            up: Gauge::default(),
            body,
        }
    }

    /// The kind of its module.
    pub fn kind(&self) -> Kind {
        match self.body {
            Body::Ping(_) => Kind::Icmp,
            Body::Tcp(_) => Kind::Tcp,
            Body::Dns(_) => Kind::Dns,
            Body::Trace(_) => Kind::Trace,
        }
    }
}

/// The exporter's own series.
#[derive(Debug, Default)]
pub struct ExporterSeries {
    /// `ipkit_exporter_probes_in_flight`.
    pub in_flight: Gauge,
    /// `ipkit_exporter_probes_total` by kind ([`Kind::ALL`] order).
    pub probes: [Counter; 4],
    /// `ipkit_exporter_probes_dropped_total` by kind.
    pub dropped: [Counter; 4],
    /// `ipkit_exporter_config_reloads_total{result="success"}`.
    pub reloads_ok: Counter,
    /// `ipkit_exporter_config_reloads_total{result="failure"}`.
    pub reloads_failed: Counter,
    /// `ipkit_exporter_config_last_reload_successful`.
    pub last_reload_ok: Gauge,
}

/// Index of `kind` in [`Kind::ALL`].
pub fn kind_index(kind: Kind) -> usize {
    Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0)
}

type Labels = Vec<(&'static str, String)>;
type Enc<'a> = DescriptorEncoder<'a>;
type Res = Result<(), std::fmt::Error>;

/// The series of a set of targets, for one scrape: every target's with
/// its `target` label (`/metrics`), or one probe's without (`/probe`).
pub fn encode_targets(enc: &mut Enc<'_>, targets: &[Arc<TargetSeries>], labelled: bool) -> Res {
    let base = |t: &TargetSeries| -> Labels {
        if labelled {
            vec![("target", t.name.clone())]
        } else {
            Vec::new()
        }
    };
    let of = |kind: Kind| targets.iter().filter(move |t| t.kind() == kind);
    macro_rules! family {
        ($name:expr, $help:expr, $ty:expr, $kind:expr, $body:pat => $metric:expr) => {
            if !labelled {
                // One probe's series: no labels, no `{}`.
                if let Some($body) = of($kind).next().map(|t| &t.body) {
                    $metric.encode(enc.encode_descriptor($name, $help, None, $ty)?)?;
                }
            } else if of($kind).next().is_some() {
                let mut me = enc.encode_descriptor($name, $help, None, $ty)?;
                for t in of($kind) {
                    if let $body = &t.body {
                        let labels = base(t);
                        $metric.encode(me.encode_family(&labels)?)?;
                    }
                }
            }
        };
    }
    use MetricType::{Counter as C, Gauge as G, Histogram as H};
    family!("ipkit_ping_rtt_seconds", "Round-trip time of answered echo requests.", H, Kind::Icmp, Body::Ping(p) => p.rtt);
    family!("ipkit_ping_sent", "Echo requests sent.", C, Kind::Icmp, Body::Ping(p) => p.sent);
    family!("ipkit_ping_received", "Echo replies received in time.", C, Kind::Icmp, Body::Ping(p) => p.received);
    family!("ipkit_ping_loss_ratio", "Lost share of the last 10 echo requests (1: all lost).", G, Kind::Icmp, Body::Ping(p) => p.loss);
    family!("ipkit_ping_last_ttl", "TTL (hop limit) of the last echo reply.", G, Kind::Icmp, Body::Ping(p) => p.last_ttl);
    family!("ipkit_tcp_connect_seconds", "Time to a TCP connection (Happy Eyeballs), connections made.", H, Kind::Tcp, Body::Tcp(p) => p.connect);
    if of(Kind::Tcp).next().is_some() {
        let mut me =
            enc.encode_descriptor("ipkit_tcp_connects", "TCP connects by result.", None, C)?;
        for t in of(Kind::Tcp) {
            if let Body::Tcp(p) = &t.body {
                for (result, counter) in TCP_RESULTS.iter().zip(&p.results) {
                    let mut labels = base(t);
                    labels.push(("result", (*result).to_string()));
                    counter.encode(me.encode_family(&labels)?)?;
                }
            }
        }
    }
    family!("ipkit_dns_lookup_seconds", "Time to a DNS answer.", H, Kind::Dns, Body::Dns(p) => p.lookup);
    if of(Kind::Dns).next().is_some() {
        let mut me =
            enc.encode_descriptor("ipkit_dns_responses", "DNS responses by rcode.", None, C)?;
        for t in of(Kind::Dns) {
            if let Body::Dns(p) = &t.body {
                let rcodes = p
                    .rcodes
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                for (rcode, counter) in rcodes.iter() {
                    let mut labels = base(t);
                    labels.push(("rcode", rcode.clone()));
                    counter.encode(me.encode_family(&labels)?)?;
                }
            }
        }
    }
    family!("ipkit_dns_answers", "Records in the answer section of the last response.", G, Kind::Dns, Body::Dns(p) => p.answers);
    if of(Kind::Trace).next().is_some() {
        let mut me = enc.encode_descriptor(
            "ipkit_trace_hop_rtt_seconds",
            "Round-trip time per hop (one probe per hop per round).",
            None,
            H,
        )?;
        for t in of(Kind::Trace) {
            if let Body::Trace(p) = &t.body {
                let s = p
                    .state
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                for ((hop, responder), h) in &s.rtt {
                    let mut labels = base(t);
                    labels.push(("hop", hop.to_string()));
                    if p.responder_label {
                        labels.push(("responder", responder.clone()));
                    }
                    h.encode(me.encode_family(&labels)?)?;
                }
            }
        }
        let mut me = enc.encode_descriptor(
            "ipkit_trace_hop_loss_ratio",
            "Unanswered share of the last 10 probes per hop.",
            None,
            G,
        )?;
        for t in of(Kind::Trace) {
            if let Body::Trace(p) = &t.body {
                let s = p
                    .state
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                for (hop, (_, g)) in &s.loss {
                    let mut labels = base(t);
                    labels.push(("hop", hop.to_string()));
                    g.encode(me.encode_family(&labels)?)?;
                }
            }
        }
    }
    family!("ipkit_trace_hops", "Hops to the target in the last round (the last that answered when not reached).", G, Kind::Trace, Body::Trace(p) => p.hops);
    family!("ipkit_trace_reached", "1 if the last round reached the target.", G, Kind::Trace, Body::Trace(p) => p.reached);
    family!("ipkit_trace_path_changes", "Rounds whose responders differ from the known path.", C, Kind::Trace, Body::Trace(p) => p.changes);
    family!("ipkit_trace_path_hash", "Hash of the responder sequence (53-bit integer).", G, Kind::Trace, Body::Trace(p) => p.hash);
    if !targets.is_empty() && labelled {
        let mut me = enc.encode_descriptor(
            "ipkit_target_resolved",
            "0 while the target's host does not resolve.",
            None,
            G,
        )?;
        for t in targets {
            t.resolved.encode(me.encode_family(&base(t))?)?;
        }
        let mut me =
            enc.encode_descriptor("ipkit_target_up", "1 if the last probe succeeded.", None, G)?;
        for t in targets {
            t.up.encode(me.encode_family(&base(t))?)?;
        }
    }
    Ok(())
}

/// Everything `/metrics` shows: the targets and the exporter's own series.
#[derive(Debug, Default)]
pub struct Exposition {
    /// The continuous targets' series.
    pub targets: RwLock<Vec<Arc<TargetSeries>>>,
    /// The exporter's series.
    pub exporter: ExporterSeries,
}

impl Collector for Exposition {
    fn encode(&self, mut enc: DescriptorEncoder) -> Res {
        let targets = self
            .targets
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        encode_targets(&mut enc, &targets, true)?;
        let e = &self.exporter;
        e.in_flight.encode(enc.encode_descriptor(
            "ipkit_exporter_probes_in_flight",
            "Probes running now.",
            None,
            MetricType::Gauge,
        )?)?;
        for (name, help, counters) in [
            (
                "ipkit_exporter_probes",
                "Probes started, by kind.",
                &e.probes,
            ),
            (
                "ipkit_exporter_probes_dropped",
                "Probes not sent within their interval (the previous one still ran), by kind.",
                &e.dropped,
            ),
        ] {
            let mut me = enc.encode_descriptor(name, help, None, MetricType::Counter)?;
            for (kind, c) in Kind::ALL.iter().zip(counters) {
                c.encode(me.encode_family(&[("kind", kind.name())])?)?;
            }
        }
        let mut me = enc.encode_descriptor(
            "ipkit_exporter_config_reloads",
            "Configuration reloads, by result.",
            None,
            MetricType::Counter,
        )?;
        e.reloads_ok
            .encode(me.encode_family(&[("result", "success")])?)?;
        e.reloads_failed
            .encode(me.encode_family(&[("result", "failure")])?)?;
        e.last_reload_ok.encode(enc.encode_descriptor(
            "ipkit_exporter_config_last_reload_successful",
            "1 if the last configuration load succeeded.",
            None,
            MetricType::Gauge,
        )?)?;
        let mut me = enc.encode_descriptor(
            "ipkit_exporter_targets",
            "Continuous targets, by kind.",
            None,
            MetricType::Gauge,
        )?;
        for kind in Kind::ALL {
            let n = targets.iter().filter(|t| t.kind() == kind).count();
            let g: Gauge = Gauge::default();
            g.set(i64::try_from(n).unwrap_or(i64::MAX));
            g.encode(me.encode_family(&[("kind", kind.name())])?)?;
        }
        Ok(())
    }
}

/// The exposition formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text format 0.0.4.
    Text,
    /// OpenMetrics text 1.0.0.
    OpenMetrics,
}

impl Format {
    /// The format an `Accept` header asks for: OpenMetrics when it names
    /// `application/openmetrics-text` (with a non-zero q), else text.
    pub fn negotiate(accept: Option<&str>) -> Format {
        let Some(accept) = accept else {
            return Format::Text;
        };
        for part in accept.split(',') {
            let mut params = part.split(';').map(str::trim);
            if params.next() != Some("application/openmetrics-text") {
                continue;
            }
            let zero = params.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f64>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            if !zero {
                return Format::OpenMetrics;
            }
        }
        Format::Text
    }

    /// The Content-Type of the format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// Encode `registry` in `format`.
pub fn render(registry: &prometheus_client::registry::Registry, format: Format) -> String {
    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut text, registry);
    match format {
        Format::OpenMetrics => text,
        Format::Text => to_prometheus_text(&text),
    }
}

/// OpenMetrics text (as prometheus-client writes it) as Prometheus text
/// 0.0.4: no `# EOF` and no `# UNIT` lines, and a counter's `# HELP` and
/// `# TYPE` name its samples' `_total` name, as 0.0.4 parsers expect.
///
/// ```
/// let om = "# HELP x Probes.\n# TYPE x counter\nx_total 3\n# EOF\n";
/// assert_eq!(ipkit::metrics::series::to_prometheus_text(om),
///     "# HELP x_total Probes.\n# TYPE x_total counter\nx_total 3\n");
/// ```
pub fn to_prometheus_text(openmetrics: &str) -> String {
    let lines: Vec<&str> = openmetrics.lines().collect();
    let mut out = String::with_capacity(openmetrics.len() + 256);
    for (i, line) in lines.iter().enumerate() {
        if *line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let counter_name = |l: &str| -> Option<String> {
            let rest = l.strip_prefix("# TYPE ")?;
            let name = rest.strip_suffix(" counter")?;
            Some(name.to_string())
        };
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap_or("");
            let next = lines.get(i + 1).copied().unwrap_or("");
            if counter_name(next).as_deref() == Some(name) {
                out.push_str("# HELP ");
                out.push_str(name);
                out.push_str("_total");
                out.push_str(&rest[name.len()..]);
                out.push('\n');
                continue;
            }
        }
        if let Some(name) = counter_name(line) {
            out.push_str("# TYPE ");
            out.push_str(&name);
            out.push_str("_total counter\n");
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_negotiation_follows_prometheus_headers() {
        let prom = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Format::negotiate(Some(prom)), Format::OpenMetrics);
        assert_eq!(Format::negotiate(Some("text/plain")), Format::Text);
        assert_eq!(Format::negotiate(None), Format::Text);
        assert_eq!(
            Format::negotiate(Some("application/openmetrics-text; q=0")),
            Format::Text
        );
    }

    fn round(hops: &[Option<&str>], reached: bool) -> Round {
        Round {
            hops: hops
                .iter()
                .map(|h| h.map(|a| (a.parse().unwrap(), 0.001)))
                .collect(),
            reached,
        }
    }

    /// The path-change rule on a sequence of rounds: a silent hop, then a
    /// first answer, are no change; another responder and a longer path are.
    #[test]
    fn path_changes_count_moved_hops_not_silent_ones() {
        let t = TraceSeries {
            buckets: vec![0.1],
            responder_label: true,
            max_responders: 2,
            state: Mutex::default(),
            hops: Gauge::default(),
            reached: Gauge::default(),
            changes: Counter::default(),
            hash: GaugeF::default(),
        };
        t.record(&round(&[Some("10.0.0.1"), None, Some("10.9.0.1")], true));
        let first = t.hash.get();
        t.record(&round(&[None, Some("10.0.1.1"), Some("10.9.0.1")], true));
        assert_eq!(t.changes.get(), 0);
        assert_ne!(t.hash.get(), first, "the new hop is part of the path");
        let settled = t.hash.get();
        t.record(&round(&[Some("10.0.0.1"), None, Some("10.9.0.1")], true));
        assert_eq!((t.changes.get(), t.hash.get()), (0, settled));
        t.record(&round(
            &[Some("10.0.0.2"), Some("10.0.1.1"), Some("10.9.0.1")],
            true,
        ));
        assert_eq!(t.changes.get(), 1);
        t.record(&round(
            &[
                Some("10.0.0.2"),
                Some("10.0.1.1"),
                Some("10.0.2.1"),
                Some("10.9.0.1"),
            ],
            true,
        ));
        assert_eq!(t.changes.get(), 2);
        assert_eq!(t.hops.get(), 4);
        // Five responders seen, two labelled by address, the rest "other".
        let s = t.state.lock().unwrap();
        let labels: std::collections::BTreeSet<&str> =
            s.rtt.keys().map(|(_, r)| r.as_str()).collect();
        assert_eq!(labels.len(), 3, "{labels:?}");
        assert!(labels.contains("other"));
    }
}
