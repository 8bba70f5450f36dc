//! `ipkit serve metrics`: a Prometheus exporter for continuous ICMP, DNS,
//! TCP and trace probes, in the two ways its anchors probe —
//! smokeping_prober's (targets probed on a schedule into histograms and
//! counters, served at `/metrics`) and blackbox_exporter's (`/probe?target=
//! &module=` runs one probe when Prometheus asks, so Prometheus's own
//! schedule and relabelling drive it).
//!
//! The parts: [`config`] (TOML and the command line's targets, checked),
//! [`schedule`] (deadlines on a grid, missed slots counted, never
//! bunched), [`icmp`] (one ICMP channel per family for every ping target),
//! [`probe`] (one probe of a target through ipkit's engines), [`series`]
//! (prometheus-client's metrics and the exposition), [`http`] (hyper).
//!
//! The engine never prints and installs no signal handler: it reports
//! [`MetricsEvent`]s to its caller, stops when the [`Cancel`] token fires,
//! and reloads its configuration when the caller's reload flag is set
//! (the binary sets it on SIGHUP) or on `POST /-/reload`. A reload keeps
//! the series (and counters) of every target whose name, module and host
//! are unchanged; a bad configuration is refused whole, the old one stays.
//!
//! What it does not do: HTTP or TLS probes (blackbox_exporter's http
//! module), authentication, or remote write — Prometheus does the rest.

pub mod config;
mod http;
pub mod icmp;
pub mod probe;
pub mod schedule;
pub mod series;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ipkit_core::wire::icmp::Family;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use socket2::Socket;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::cancel::Cancel;
use config::{CliTargets, Config, ConfigErrors, Target};
use series::{Exposition, Format, GaugeF, TargetSeries, kind_index};

/// Where the configuration comes from: a file (read again at each reload)
/// and the command line's targets.
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// `--config FILE`.
    pub path: Option<PathBuf>,
    /// `--ping` … `--interval`.
    pub cli: CliTargets,
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("reading {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The configuration is invalid: every error, one line each.
    #[error("{0}")]
    Invalid(ConfigErrors),
}

impl Source {
    /// Read and check the configuration.
    pub fn load(&self) -> Result<Config, LoadError> {
        let text = match &self.path {
            None => None,
            Some(path) => {
                Some(
                    std::fs::read_to_string(path).map_err(|source| LoadError::Read {
                        path: path.clone(),
                        source,
                    })?,
                )
            }
        };
        Config::new(text.as_deref(), &self.cli).map_err(LoadError::Invalid)
    }
}

/// What the exporter tells its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsEvent {
    /// The configuration was (re)loaded.
    Loaded {
        /// `start`, `signal` or `http`.
        via: &'static str,
        /// Continuous targets now.
        targets: usize,
    },
    /// A reload was refused: the old configuration stays.
    ReloadFailed {
        /// `signal` or `http`.
        via: &'static str,
        /// Why, one line each.
        errors: Vec<String>,
    },
    /// An ICMP channel would not open: ping probes of that family fail.
    IcmpUnavailable {
        /// 4 or 6.
        family: u8,
        /// Why.
        reason: String,
        /// The privilege that was missing, when that was why.
        needs: Option<crate::privilege::Needs>,
    },
}

struct Running {
    target: Target,
    series: Arc<TargetSeries>,
    task: JoinHandle<()>,
}

/// The running exporter: configuration, targets' tasks, series.
pub struct Exporter {
    source: Source,
    registry: Registry,
    exposition: Arc<Exposition>,
    probers: probe::Probers,
    running: Mutex<Vec<Running>>,
    modules: Mutex<std::collections::BTreeMap<String, Arc<config::Module>>>,
    events: tokio::sync::mpsc::UnboundedSender<MetricsEvent>,
    /// Serialises reloads (SIGHUP and POST at once).
    reloading: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// The `/probe` answer's own series, blackbox_exporter's names.
#[derive(Debug)]
struct ProbeAnswer {
    series: Arc<TargetSeries>,
    success: Gauge,
    duration: GaugeF,
}

impl Collector for ProbeAnswer {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        self.success.encode(enc.encode_descriptor(
            "probe_success",
            "Whether the probe succeeded.",
            None,
            MetricType::Gauge,
        )?)?;
        self.duration.encode(enc.encode_descriptor(
            "probe_duration_seconds",
            "How long the probe took.",
            None,
            MetricType::Gauge,
        )?)?;
        series::encode_targets(&mut enc, std::slice::from_ref(&self.series), false)
    }
}

impl Exporter {
    /// The exposition of every continuous target and the exporter itself.
    pub fn metrics(&self, format: Format) -> String {
        series::render(&self.registry, format)
    }

    /// One probe of `target` with `module` now (`/probe`): its metrics, or
    /// why it cannot run (unknown module, bad target). `limit` (from
    /// Prometheus's scrape timeout) shortens the module's timeout, and
    /// bounds the whole probe (a trace round's hops, a name's lookup).
    pub async fn probe_once(
        &self,
        target: &str,
        module: &str,
        format: Format,
        limit: Option<Duration>,
    ) -> Result<String, String> {
        let mut module = self
            .modules
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(module)
            .cloned()
            .ok_or_else(|| format!("unknown module \"{module}\""))?;
        config::check_target(&module, target).map_err(|e| format!("target: {e}"))?;
        if let Some(limit) = limit.filter(|l| *l < module.timeout) {
            let mut shorter = (*module).clone();
            shorter.timeout = limit;
            module = Arc::new(shorter);
        }
        // The module's timeout ends every probe but a trace round (one
        // timeout per hop) or a slow name lookup: those end at the scrape's
        // limit (a little past it, so that a probe ending at its own
        // timeout, the limit, is not cut; the offset leaves the time).
        let bound = limit.map(|l| l + Duration::from_millis(50));
        let t = Target {
            name: target.to_string(),
            host: target.to_string(),
            interval: module.timeout,
            module,
        };
        let series = Arc::new(TargetSeries::new(&t));
        let k = kind_index(t.module.kind);
        self.exposition.exporter.probes[k].inc();
        let began = Instant::now();
        let ok = {
            let _in_flight = InFlight::new(&self.exposition.exporter.in_flight);
            let probe = self.probers.probe(&t, &series, began);
            match bound {
                Some(b) => tokio::time::timeout(b, probe).await.unwrap_or(false),
                None => probe.await,
            }
        };
        let answer = ProbeAnswer {
            series,
            success: Gauge::default(),
            duration: GaugeF::default(),
        };
        answer.success.set(i64::from(ok));
        answer.duration.set(began.elapsed().as_secs_f64());
        let mut registry = Registry::default();
        registry.register_collector(Box::new(answer));
        Ok(series::render(&registry, format))
    }

    /// Read the configuration again and apply it; the number of targets.
    /// A bad one changes nothing (and is counted as a failed reload).
    pub async fn reload(&self, via: &'static str) -> Result<usize, LoadError> {
        let _one = self.reloading.lock().await;
        let source = self.source.clone();
        let loaded = tokio::task::spawn_blocking(move || source.load())
            .await
            .unwrap_or_else(|e| {
                Err(LoadError::Read {
                    path: PathBuf::new(),
                    source: std::io::Error::other(e.to_string()),
                })
            });
        let e = &self.exposition.exporter;
        match loaded {
            Ok(config) => {
                let n = self.apply(config);
                e.reloads_ok.inc();
                e.last_reload_ok.set(1);
                let _ = self.events.send(MetricsEvent::Loaded { via, targets: n });
                Ok(n)
            }
            Err(err) => {
                e.reloads_failed.inc();
                e.last_reload_ok.set(0);
                let errors = match &err {
                    LoadError::Invalid(c) => c.0.iter().map(ToString::to_string).collect(),
                    other => vec![crate::error_chain(other)],
                };
                let _ = self.events.send(MetricsEvent::ReloadFailed { via, errors });
                Err(err)
            }
        }
    }

    /// Replace the targets with `config`'s: unchanged ones keep running
    /// with their series; changed settings of the same name, module and
    /// host restart the task but keep the series (unless the buckets
    /// changed); removed ones stop.
    fn apply(self: &Exporter, config: Config) -> usize {
        let mut running = self
            .running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut old: HashMap<_, Running> = running.drain(..).map(|r| (r.target.key(), r)).collect();
        let mut next = Vec::with_capacity(config.targets.len());
        for target in config.targets {
            match old.remove(&target.key()) {
                Some(r) if r.target == target => next.push(r),
                Some(r) => {
                    r.task.abort();
                    let series = if r.series.buckets == target.module.buckets {
                        r.series
                    } else {
                        Arc::new(TargetSeries::new(&target))
                    };
                    next.push(self.spawn(target, series));
                }
                None => {
                    let series = Arc::new(TargetSeries::new(&target));
                    next.push(self.spawn(target, series));
                }
            }
        }
        for (_, r) in old {
            r.task.abort();
        }
        *self
            .exposition
            .targets
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            next.iter().map(|r| Arc::clone(&r.series)).collect();
        *self
            .modules
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = config.modules;
        let n = next.len();
        *running = next;
        n
    }

    fn spawn(&self, target: Target, series: Arc<TargetSeries>) -> Running {
        let task = tokio::spawn(run_target(
            target.clone(),
            Arc::clone(&series),
            self.probers.clone(),
            Arc::clone(&self.exposition),
        ));
        Running {
            target,
            series,
            task,
        }
    }
}

/// `ipkit_exporter_probes_in_flight` up while it lives.
struct InFlight<'a>(&'a Gauge);

impl<'a> InFlight<'a> {
    fn new(g: &'a Gauge) -> InFlight<'a> {
        g.inc();
        InFlight(g)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// How many probes of `target` may be out at once. An echo's answer may
/// take its whole timeout from its slot, so `ceil(timeout / interval)`
/// earlier ones may still wait while a slot's probe goes out: that many
/// plus one, and a probe whose previous one still waits is not a drop
/// (smokeping_prober's model). DNS questions and TCP connects are as
/// independent (each its own socket), so the same rule. A trace round runs
/// alone: it is a burst of probes along one path whose routers rate-limit
/// their ICMP errors, so overlapping rounds would report each other as
/// loss, and its path-change rule compares whole rounds in order.
fn outstanding_limit(target: &Target) -> usize {
    if target.module.kind == config::Kind::Trace {
        return 1;
    }
    let interval = target.interval.as_nanos().max(1);
    usize::try_from(target.module.timeout.as_nanos().div_ceil(interval))
        .unwrap_or(usize::MAX)
        .saturating_add(1)
}

/// Run `probe(due, slot)` at every slot of `schedule`, up to `limit` at
/// once, each as its own task: a slot's probe starts on its deadline
/// whatever the earlier ones are doing. When `limit` are still out the
/// slot waits for one to end, at most a tenth of an interval, then counts
/// as dropped (`dropped(n)`), as do the slots that passed while the loop
/// itself was not woken. The probes still out end with the loop.
async fn run_slots<F, Fut>(
    mut schedule: schedule::Schedule,
    limit: usize,
    mut probe: F,
    dropped: impl Fn(u64),
) where
    F: FnMut(Instant, u64) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut out = tokio::task::JoinSet::new();
    loop {
        schedule.wait().await;
        while out.try_join_next().is_some() {}
        let grace = schedule.deadline() + schedule.interval() / 10;
        while out.len() >= limit
            && tokio::time::timeout_at(grace, out.join_next())
                .await
                .is_ok()
        {}
        if out.len() >= limit {
            dropped(1);
        } else {
            out.spawn(probe(schedule.deadline(), schedule.slot()));
        }
        let missed = schedule.advance();
        if missed > 0 {
            dropped(missed);
        }
    }
}

/// One target's loop: probe at each slot ([`run_slots`]), count the slots
/// missed.
async fn run_target(
    target: Target,
    series: Arc<TargetSeries>,
    probers: probe::Probers,
    exposition: Arc<Exposition>,
) {
    let k = kind_index(target.module.kind);
    let start = Instant::now() + schedule::phase(&target.key(), target.interval);
    let schedule = schedule::Schedule::new(start, target.interval);
    let limit = outstanding_limit(&target);
    let target = Arc::new(target);
    let e = Arc::clone(&exposition);
    run_slots(
        schedule,
        limit,
        move |due, _slot| {
            let (target, series, probers, e) = (
                Arc::clone(&target),
                Arc::clone(&series),
                probers.clone(),
                Arc::clone(&exposition),
            );
            e.exporter.probes[k].inc();
            async move {
                let _in_flight = InFlight::new(&e.exporter.in_flight);
                probers.probe(&target, &series, due).await;
            }
        },
        move |n| {
            e.exporter.dropped[k].inc_by(n);
        },
    )
    .await;
}

/// How often the reload flag and the cancel token are looked at.
const POLL: Duration = Duration::from_millis(50);

/// Run the exporter on `listeners` (TCP, listening, from
/// [`crate::serve::listen::open`]) with `config` (already loaded from
/// `source`) until `cancel` fires; `reload` is set by the caller to ask
/// for a reload (SIGHUP). Events go to `on_event` as they happen. Needs a
/// tokio runtime with IO and time.
pub async fn serve(
    listeners: Vec<Socket>,
    source: Source,
    config: Config,
    cancel: &Cancel,
    reload: Arc<AtomicBool>,
    mut on_event: impl FnMut(&MetricsEvent),
) -> std::io::Result<()> {
    let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
    let open = |family: Family, n: u8| match icmp::start(&crate::probe::System, family) {
        Ok((p, channel)) => (Ok(p), Some(channel)),
        Err(e) => {
            let reason = crate::error_chain(&e);
            let needs = match &e {
                crate::ping::PingError::NoPrivilege { needs, .. } => Some(*needs),
                _ => None,
            };
            let _ = events.send(MetricsEvent::IcmpUnavailable {
                family: n,
                reason: reason.clone(),
                needs,
            });
            (Err(reason), None)
        }
    };
    let (v4, v4_loop) = open(Family::V4, 4);
    let (v6, v6_loop) = open(Family::V6, 6);
    let pingers = icmp::Pingers { v4, v6 };
    // The channels' loops run here, on the caller's thread (their futures
    // need not be Send); the probes run on the runtime's workers.
    let channels = async move {
        let a = async move {
            if let Some(f) = v4_loop {
                f.await;
            }
        };
        let b = async move {
            if let Some(f) = v6_loop {
                f.await;
            }
        };
        tokio::join!(a, b);
        // Both ended (cannot while the exporter holds its handles): wait.
        std::future::pending::<()>().await;
    };
    let exposition = Arc::new(Exposition::default());
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Arc::clone(&exposition)));
    let exporter = Arc::new(Exporter {
        source,
        registry,
        exposition,
        probers: probe::Probers { pingers },
        running: Mutex::new(Vec::new()),
        modules: Mutex::new(std::collections::BTreeMap::new()),
        events: events.clone(),
        reloading: tokio::sync::Mutex::new(()),
    });
    let n = exporter.apply(config);
    exporter.exposition.exporter.last_reload_ok.set(1);
    let _ = events.send(MetricsEvent::Loaded {
        via: "start",
        targets: n,
    });
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let server = tokio::spawn(http::serve(listeners, Arc::clone(&exporter), stop));
    let control = async {
        loop {
            while let Ok(e) = received.try_recv() {
                on_event(&e);
            }
            if cancel.is_cancelled() {
                break;
            }
            if reload.swap(false, Ordering::SeqCst) {
                let exporter = Arc::clone(&exporter);
                tokio::spawn(async move {
                    let _ = exporter.reload("signal").await;
                });
            }
            tokio::time::sleep(POLL).await;
        }
    };
    tokio::select! {
        () = control => {}
        () = channels => {}
    }
    let _ = stop_tx.send(true);
    let served = server.await.unwrap_or(Ok(()));
    for r in exporter
        .running
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .drain(..)
    {
        r.task.abort();
    }
    while let Ok(e) = received.try_recv() {
        on_event(&e);
    }
    served
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::fake::{FakeIcmp, Script};
    use std::sync::atomic::AtomicU64;

    fn target(timeout: Duration, interval: Duration) -> Target {
        let mut module = config::Module::builtin(config::Kind::Icmp);
        module.timeout = timeout;
        Target {
            name: "silent".into(),
            host: "192.0.2.9".into(),
            interval,
            module: Arc::new(module),
        }
    }

    #[test]
    fn outstanding_limits_follow_the_timeout() {
        let s = Duration::from_secs(1);
        let limit = |t: Duration| outstanding_limit(&target(t, s));
        assert_eq!(limit(Duration::from_millis(500)), 2);
        assert_eq!(limit(s), 2);
        assert_eq!(limit(Duration::from_millis(2500)), 4);
    }

    /// Overlapping probes: `up` follows the probe due last, whatever the
    /// order they end in.
    #[test]
    fn up_follows_the_newest_slot_not_the_last_to_end() {
        let s = Duration::from_secs(1);
        let series = TargetSeries::new(&target(s * 3, s));
        let t0 = Instant::now();
        series.settle(t0 + s, true);
        assert_eq!(series.up.get(), 1);
        // Slot 0's timeout ends after slot 1's reply: up stays 1.
        series.settle(t0, false);
        assert_eq!(series.up.get(), 1);
        series.settle(t0 + s * 2, false);
        assert_eq!(series.up.get(), 0);
    }

    /// Probes that end 150 ms after the next slot (an answer or timeout
    /// resolved late, a task woken late): every slot still starts on its
    /// deadline and none is dropped; at most two are out at once.
    #[tokio::test(start_paused = true)]
    async fn a_late_answer_delays_no_slot() {
        let interval = Duration::from_secs(1);
        let start = Instant::now();
        let starts = Arc::new(Mutex::new(Vec::new()));
        let dropped = Arc::new(AtomicU64::new(0));
        let (s, d) = (Arc::clone(&starts), Arc::clone(&dropped));
        let slots = run_slots(
            schedule::Schedule::new(start, interval),
            2,
            move |due, slot| {
                s.lock().unwrap().push((slot, due - start, start.elapsed()));
                tokio::time::sleep(interval + Duration::from_millis(150))
            },
            move |n| {
                d.fetch_add(n, Ordering::SeqCst);
            },
        );
        let _ = tokio::time::timeout(Duration::from_millis(20_500), slots).await;
        let starts = starts.lock().unwrap();
        assert_eq!(starts.len(), 21);
        for (n, (slot, due, at)) in starts.iter().enumerate() {
            assert_eq!(*slot, n as u64);
            assert_eq!(*due, interval * n as u32);
            assert_eq!(at, due, "slot {n} started late");
        }
        assert_eq!(dropped.load(Ordering::SeqCst), 0);
    }

    /// Probes that never end: `limit` of them go out, then every slot is
    /// dropped — the bound holds.
    #[tokio::test(start_paused = true)]
    async fn probes_that_never_end_are_bounded() {
        let started = Arc::new(AtomicU64::new(0));
        let dropped = Arc::new(AtomicU64::new(0));
        let (s, d) = (Arc::clone(&started), Arc::clone(&dropped));
        let slots = run_slots(
            schedule::Schedule::new(Instant::now(), Duration::from_secs(1)),
            3,
            move |_, _| {
                s.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<()>()
            },
            move |n| {
                d.fetch_add(n, Ordering::SeqCst);
            },
        );
        let _ = tokio::time::timeout(Duration::from_millis(9_500), slots).await;
        assert_eq!(started.load(Ordering::SeqCst), 3);
        assert_eq!(dropped.load(Ordering::SeqCst), 7);
    }

    /// A trace round runs alone (limit 1): a round that overruns the next
    /// slot by more than a tenth of an interval drops it, as before.
    #[tokio::test(start_paused = true)]
    async fn one_at_a_time_drops_the_overrun_slots() {
        let start = Instant::now();
        let starts = Arc::new(Mutex::new(Vec::new()));
        let dropped = Arc::new(AtomicU64::new(0));
        let (s, d) = (Arc::clone(&starts), Arc::clone(&dropped));
        let slots = run_slots(
            schedule::Schedule::new(start, Duration::from_secs(1)),
            1,
            move |_, slot| {
                s.lock().unwrap().push(start.elapsed().as_millis());
                tokio::time::sleep(Duration::from_millis(if slot == 1 { 2500 } else { 100 }))
            },
            move |n| {
                d.fetch_add(n, Ordering::SeqCst);
            },
        );
        let _ = tokio::time::timeout(Duration::from_millis(6_500), slots).await;
        assert_eq!(*starts.lock().unwrap(), vec![0, 1000, 4000, 5000, 6000]);
        assert_eq!(dropped.load(Ordering::SeqCst), 2);
    }

    /// The whole loop on the shared (scripted) ICMP channel: a target that
    /// never answers, timeout == interval, for 30 s — a request every
    /// second on the grid, each counted lost, no slot dropped.
    #[tokio::test(start_paused = true)]
    async fn a_silent_target_with_timeout_equal_to_interval_never_drops() {
        let interval = Duration::from_secs(1);
        let t = target(interval, interval);
        let script = Script::new();
        let (pinger, channel) =
            icmp::start(&FakeIcmp::new(script.clone()), Family::V4).expect("fake channel");
        let probers = probe::Probers {
            pingers: icmp::Pingers {
                v4: Ok(pinger),
                v6: Err("no IPv6 here".into()),
            },
        };
        let series = Arc::new(TargetSeries::new(&t));
        let exposition = Arc::new(Exposition::default());
        let began = Instant::now();
        let first = began + schedule::phase(&t.key(), interval);
        let task = tokio::spawn(run_target(
            t,
            Arc::clone(&series),
            probers,
            Arc::clone(&exposition),
        ));
        let run = tokio::time::sleep_until(first + interval * 30 - Duration::from_millis(1));
        tokio::select! {
            () = run => {}
            () = channel => unreachable!("the channel ended"),
        }
        task.abort();
        let k = kind_index(config::Kind::Icmp);
        assert_eq!(exposition.exporter.dropped[k].get(), 0);
        assert_eq!(exposition.exporter.probes[k].get(), 30);
        let sent = script.sent();
        assert_eq!(sent.len(), 30);
        let series::Body::Ping(p) = &series.body else {
            unreachable!()
        };
        // The 30th is still out; 29 timed out.
        assert_eq!(p.sent.get(), 29);
        assert_eq!(p.received.get(), 0);
        assert_eq!(series.up.get(), 0);
    }
}
