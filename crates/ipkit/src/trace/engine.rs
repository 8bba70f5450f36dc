//! The tracer: probes every TTL of a window at once over a
//! [`TraceChannel`], matches replies by id ([`hops`] decides, purely), gives
//! probes up by traceroute's `-w MAX,HERE,NEAR` rule, and emits each hop as
//! soon as it and every hop before it are complete and its responders'
//! names are in ([`names`], looked up in the background). With `--report
//! -c N` it runs N passes over the path the first found and reports each
//! hop's probes and statistics once, at the end.
//!
//! Async on tokio like ping's session: it waits on the channel's readiness
//! and tokio's timer, so a scripted channel on a paused clock runs a trace
//! of seconds at once.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::ops::ControlFlow;
use std::time::Duration;

use ipkit_core::wire::icmp::IcmpError;
use ipkit_core::wire::{icmpv4, icmpv6};
use tokio::time::Instant;

use super::TraceError;
use super::channel::{ReplyKind, SendError, System, TraceChannel, TraceProvider};
use super::hops::{self, Hop, Ids, Outcome, Pass, PassConfig, Verdict};
use super::ip_info::{Label, Labels};
use super::names::{self, NAME_WAIT, Name, Names};
use super::report::{HopReport, HopStats, ProbeResult, TraceReport};
use super::request::Request;
use crate::cancel::Cancel;
use crate::probe::LocalError;

/// The first probe size of `--mtu` when no size was asked for.
pub const MTU_START: usize = 1500;

/// The longest the engine sleeps at once (to notice a cancel).
const TICK: Duration = Duration::from_millis(50);

/// How often pending names are looked at.
const NAME_POLL: Duration = Duration::from_millis(5);

/// What the engine tells its caller while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum TraceEvent {
    /// The channel is open: probes are about to go (views print their
    /// header here, so a channel that will not open prints only its error).
    Opened,
    /// A hop is complete (every query answered or given up), in hop order;
    /// views print one line per hop from this.
    Hop(HopReport),
    /// One round of `--report -c N` (or of [`run_live`]) is complete.
    Round {
        /// The round's number, from 1.
        round: u32,
    },
}

/// Trace over the operating system's channel.
pub async fn run(
    r: &Request,
    cancel: &Cancel,
    on_event: impl FnMut(&TraceEvent) -> ControlFlow<()>,
) -> Result<TraceReport, TraceError> {
    run_with(r, &System, cancel, on_event).await
}

/// Trace over `provider`'s channel; names (unless the request turns them
/// off) from the system's resolver.
pub async fn run_with<P: TraceProvider>(
    r: &Request,
    provider: &P,
    cancel: &Cancel,
    on_event: impl FnMut(&TraceEvent) -> ControlFlow<()>,
) -> Result<TraceReport, TraceError> {
    let names = r
        .resolve_names
        .then(|| Names::background(names::system_lookup()));
    run_with_names(r, provider, names, cancel, on_event).await
}

/// Trace over `provider`'s channel, with the responders' names from
/// `names` (None: no names).
pub async fn run_with_names<P: TraceProvider>(
    r: &Request,
    provider: &P,
    names: Option<Names>,
    cancel: &Cancel,
    mut on_event: impl FnMut(&TraceEvent) -> ControlFlow<()>,
) -> Result<TraceReport, TraceError> {
    let mut chan = provider.open(&r.config)?;
    let mut report = TraceReport {
        target: r.target,
        shown: r.shown.clone(),
        protocol: r.config.protocol,
        hops: Vec::new(),
        reached: false,
        path_mtu: None,
        rounds: 0,
        foreign_replies: 0,
        interrupted: false,
    };
    if on_event(&TraceEvent::Opened).is_break() {
        report.interrupted = true;
        return Ok(report);
    }
    let mut tracer = Tracer::new(r, names);
    let report_mode = r.rounds.is_some();
    let mut merged: Vec<HopReport> = Vec::new();
    let mut last = r.max_hops;
    for round in 1..=r.rounds.unwrap_or(1) {
        let began = tracer.now();
        let emit = |e: &TraceEvent| {
            if report_mode {
                ControlFlow::Continue(())
            } else {
                on_event(e)
            }
        };
        let done = tracer.pass(&mut chan, last, cancel, emit).await?;
        merge(&mut merged, done.hops);
        report.reached |= done.reached;
        report.path_mtu = done.path_mtu.or(report.path_mtu);
        if round == 1 {
            last = done.end.unwrap_or(last);
        }
        if done.stopped {
            report.interrupted = true;
            break;
        }
        report.rounds = round;
        if report_mode && on_event(&TraceEvent::Round { round }).is_break() {
            report.interrupted = true;
            break;
        }
        if round < r.rounds.unwrap_or(1) && tracer.pause(began + r.interval, cancel).await {
            report.interrupted = true;
            break;
        }
    }
    if report_mode {
        for hop in &merged {
            if on_event(&TraceEvent::Hop(hop.clone())).is_break() {
                break;
            }
        }
    }
    report.hops = merged;
    report.foreign_replies = tracer.ids.foreign;
    Ok(report)
}

/// Trace round after round over the operating system's channel until
/// `cancel` or `on_event` says stop (`ipkit trace --live`, mtr's way): one
/// channel and one id space for the whole run, so a late reply of an
/// earlier round is never taken for a newer probe. Each round's hops come
/// as [`TraceEvent::Hop`] as they complete, then [`TraceEvent::Round`];
/// nothing is accumulated here (the caller folds the hops in, e.g. into
/// [`super::live::LiveTrace`]), so memory does not grow with the rounds.
/// Between rounds nothing is in flight: a caller may hold the next round
/// back by not returning from the `Round` event (a pause). Rounds start
/// `r.interval` apart; the first round's end (the destination or the last
/// hop that answered) bounds the TTLs of the rounds after it.
pub async fn run_live(
    r: &Request,
    cancel: &Cancel,
    on_event: impl FnMut(&TraceEvent) -> ControlFlow<()>,
) -> Result<u32, TraceError> {
    let names = r
        .resolve_names
        .then(|| Names::background(names::system_lookup()));
    run_live_with(r, &System, names, cancel, on_event).await
}

/// [`run_live`] over `provider`'s channel, with names from `names`;
/// returns the rounds completed.
pub async fn run_live_with<P: TraceProvider>(
    r: &Request,
    provider: &P,
    names: Option<Names>,
    cancel: &Cancel,
    mut on_event: impl FnMut(&TraceEvent) -> ControlFlow<()>,
) -> Result<u32, TraceError> {
    let mut chan = provider.open(&r.config)?;
    if on_event(&TraceEvent::Opened).is_break() {
        return Ok(0);
    }
    let mut tracer = Tracer::new(r, names);
    let mut last = r.max_hops;
    let mut round = 0;
    loop {
        let began = tracer.now();
        let done = tracer.pass(&mut chan, last, cancel, &mut on_event).await?;
        if round == 0 {
            last = done.end.unwrap_or(last);
        }
        if done.stopped {
            return Ok(round);
        }
        round += 1;
        if on_event(&TraceEvent::Round { round }).is_break() {
            return Ok(round);
        }
        if tracer.pause(began + r.interval, cancel).await {
            return Ok(round);
        }
    }
}

/// What one pass found.
struct PassDone {
    hops: Vec<HopReport>,
    reached: bool,
    path_mtu: Option<u16>,
    /// The last TTL shown.
    end: Option<u8>,
    /// Cancelled, or the caller said stop.
    stopped: bool,
}

/// A trace's state across passes.
struct Tracer<'a> {
    r: &'a Request,
    ids: Ids,
    names: Option<Names>,
    /// The responders' AS, holder and country, each looked up once.
    labels: Labels,
    /// When each responder's name was asked for.
    asked: HashMap<IpAddr, Duration>,
    start: Instant,
    /// The real-time clock at `start`, onto which kernel receive times map.
    start_real: Duration,
}

impl<'a> Tracer<'a> {
    /// A trace of `r` starting now.
    fn new(r: &'a Request, names: Option<Names>) -> Tracer<'a> {
        Tracer {
            r,
            ids: Ids::default(),
            names,
            labels: Labels::new(r.ip_info.clone()),
            asked: HashMap::new(),
            start: Instant::now(),
            start_real: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default(),
        }
    }

    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    /// Sleep until `until` (since the start); true when cancelled.
    async fn pause(&self, until: Duration, cancel: &Cancel) -> bool {
        loop {
            if cancel.is_cancelled() {
                return true;
            }
            let left = until.saturating_sub(self.now());
            if left.is_zero() {
                return false;
            }
            tokio::time::sleep(left.min(TICK)).await;
        }
    }

    async fn pass<C: TraceChannel>(
        &mut self,
        chan: &mut C,
        last: u8,
        cancel: &Cancel,
        mut on_event: impl FnMut(&TraceEvent) -> ControlFlow<()>,
    ) -> Result<PassDone, TraceError> {
        let r = self.r;
        let mut pass = Pass::new(PassConfig {
            first: r.first_hop,
            last,
            queries: r.queries,
            wait: r.wait,
            window: usize::from(r.window),
            silent_limit: r.silent_limit,
            mtu_start: r.mtu.then(|| r.config.size.unwrap_or(MTU_START)),
            family: r.config.family,
            target: r.target,
        });
        let mut pending: VecDeque<Hop> = VecDeque::new();
        let mut shown = Vec::new();
        let mut next_send = Duration::ZERO;
        let mut stopped = false;
        loop {
            if cancel.is_cancelled() {
                stopped = true;
                break;
            }
            let now = self.now();
            pass.expire(&mut self.ids, now);
            while now >= next_send
                && let Some(spec) = pass.next_probe(&mut self.ids, now)
            {
                match chan.send(&spec) {
                    Ok(()) => {}
                    Err(SendError::Local(e)) => pass.refused(&mut self.ids, spec.id, e),
                    Err(SendError::Io(source)) => {
                        return Err(TraceError::Io {
                            source,
                            op: "sending a probe",
                        });
                    }
                    Err(SendError::Refused(e)) => return Err(e),
                }
                if !r.send_wait.is_zero() {
                    next_send = now + r.send_wait;
                }
            }
            while let Some(hop) = pass.pop_complete() {
                pending.push_back(hop);
            }
            while pending.front().is_some_and(|h| self.names_ready(h, now)) {
                let Some(hop) = pending.pop_front() else {
                    break;
                };
                let report = self.hop_report(&hop);
                let flow = on_event(&TraceEvent::Hop(report.clone()));
                shown.push(report);
                if flow.is_break() {
                    stopped = true;
                }
            }
            if stopped || (pass.finished() && pending.is_empty()) {
                break;
            }
            let mut limit = TICK;
            if let Some(d) = pass.next_deadline() {
                limit = limit.min(d.saturating_sub(now));
            }
            if !pending.is_empty() {
                limit = limit.min(NAME_POLL);
            }
            if next_send > now {
                limit = limit.min(next_send - now);
            }
            chan.wait(limit).await.map_err(|source| TraceError::Io {
                source,
                op: "waiting for replies",
            })?;
            self.receive(chan, &mut pass)?;
        }
        // Stopped: the hops complete so far are reported, names as known.
        for hop in &pending {
            shown.push(self.hop_report(hop));
        }
        Ok(PassDone {
            hops: shown,
            reached: pass.reached(),
            path_mtu: pass.size().and_then(|s| u16::try_from(s).ok()),
            end: pass.end_ttl(),
            stopped,
        })
    }

    /// Read every waiting reply into `pass`.
    fn receive<C: TraceChannel>(
        &mut self,
        chan: &mut C,
        pass: &mut Pass,
    ) -> Result<(), TraceError> {
        while let Some(got) = chan.try_recv().map_err(|source| TraceError::Io {
            source,
            op: "receiving replies",
        })? {
            let now = self.now();
            // Kernel receive times (the real-time clock) leave out this
            // process's scheduling delay; a time from before the start or
            // after now is not believed.
            let at = got
                .kernel_time
                .and_then(|k| k.checked_sub(self.start_real))
                .filter(|k| *k <= now)
                .unwrap_or(now);
            if let Verdict::Matched { .. } = pass.reply(&mut self.ids, &got, at)
                && let Some(names) = &mut self.names
            {
                names.ask(got.from);
                self.asked.entry(got.from).or_insert(now);
            }
        }
        Ok(())
    }

    /// Whether every responder of `hop` has its name, or waited long enough.
    fn names_ready(&self, hop: &Hop, now: Duration) -> bool {
        let Some(names) = &self.names else {
            return true;
        };
        hop.outcomes().filter_map(|o| o.from).all(|ip| {
            names.lookup(ip) != Name::Pending
                || self.asked.get(&ip).is_none_or(|a| now >= *a + NAME_WAIT)
        })
    }

    fn hop_report(&mut self, hop: &Hop) -> HopReport {
        let probes: Vec<ProbeResult> = hop
            .outcomes()
            .map(|o| {
                let name = match (o.from, &self.names) {
                    (Some(ip), Some(names)) => match names.lookup(ip) {
                        Name::Done(n) => n,
                        _ => None,
                    },
                    _ => None,
                };
                let label = o.from.map(|ip| self.labels.of(ip)).unwrap_or_default();
                probe_result(o, name, label, self.r.target)
            })
            .collect();
        HopReport {
            ttl: hop.ttl,
            stats: HopStats::of(&probes),
            probes,
            mtu: hop.mtu,
        }
    }
}

/// A probe's record.
fn probe_result(o: &Outcome, name: Option<String>, label: Label, target: IpAddr) -> ProbeResult {
    let (annotation, frag_mtu) = annotation(o);
    ProbeResult {
        from: o.from,
        name,
        asn: label.asn,
        org: label.org,
        country: label.country,
        rtt_ms: o
            .rtt
            .filter(|_| o.from.is_some())
            .map(|r| r.as_secs_f64() * 1000.0),
        annotation,
        frag_mtu,
        reached: hops::reached(o, target),
        quoted_tos: o.quoted_tos,
        mpls: o.mpls.clone(),
    }
}

/// traceroute's mark for what a probe got, and the MTU of `!F`. A code
/// with no letter is shown by number as traceroute 2.x shows it
/// (`traceroute/traceroute.c`, `parse_icmp_res`): an unreachable code as
/// `!<code>`, any other ICMP error as `!<type-code>`.
pub fn annotation(o: &Outcome) -> (Option<String>, Option<u16>) {
    if let Some(local) = &o.local {
        let mark = match local {
            LocalError::NetworkUnreachable { .. } => "!N",
            LocalError::HostUnreachable { .. } => "!H",
            LocalError::MessageTooLong { .. } => "!F",
        };
        let mtu = match local {
            LocalError::MessageTooLong { mtu } => *mtu,
            _ => None,
        };
        return (Some(mark.to_string()), mtu);
    }
    let Some(ReplyKind::Error(e)) = &o.kind else {
        return (None, None);
    };
    let v6 = o.from.is_some_and(|a| a.is_ipv6());
    let (mark, mtu) = match e {
        IcmpError::DestinationUnreachable { reason } => (unreachable_v4(*reason), None),
        IcmpError::DestinationUnreachableV6 { reason } => (unreachable_v6(*reason), None),
        IcmpError::FragmentationNeeded { mtu } => {
            (Some("!F".into()), Some(*mtu).filter(|m| *m > 0))
        }
        IcmpError::PacketTooBig { mtu } => (Some("!F".into()), u16::try_from(*mtu).ok()),
        // ICMPv6 "unrecognized next header": the protocol is unknown there.
        IcmpError::ParameterProblem { code: 1, .. } if v6 => (Some("!P".into()), None),
        IcmpError::ParameterProblem { code, .. } => {
            (Some(type_code(if v6 { 4 } else { 12 }, *code)), None)
        }
        IcmpError::TimeExceeded { code } => (Some(type_code(11, *code)), None),
        IcmpError::HopLimitExceeded { code } => (Some(type_code(3, *code)), None),
    };
    (mark, mtu)
}

/// traceroute's mark for an ICMP error it has no letter for.
fn type_code(msg_type: u8, code: u8) -> String {
    format!("!<{msg_type}-{code}>")
}

/// IPv4 unreachable codes, as traceroute 2.x marks them.
fn unreachable_v4(reason: icmpv4::Unreachable) -> Option<String> {
    use icmpv4::Unreachable::*;
    let mark = match reason {
        Net | NetUnknown | SourceIsolated | NetTos => "!N",
        Host | HostUnknown | HostTos => "!H",
        NetProhibited | HostProhibited | AdminProhibited => "!X",
        Protocol => "!P",
        Port => return None,
        FragNeeded => "!F",
        SourceRouteFailed => "!S",
        PrecedenceViolation => "!V",
        PrecedenceCutoff => "!C",
        Unknown(code) => return Some(format!("!<{code}>")),
    };
    Some(mark.to_string())
}

/// ICMPv6 unreachable codes, as traceroute 2.x marks them.
fn unreachable_v6(reason: icmpv6::Unreachable) -> Option<String> {
    use icmpv6::Unreachable::*;
    let mark = match reason {
        NoRoute | RejectRoute => "!N",
        BeyondScope | Address => "!H",
        AdminProhibited | SourcePolicy => "!X",
        Port => return None,
        Unknown(code) => return Some(format!("!<{code}>")),
    };
    Some(mark.to_string())
}

/// Add a pass's hops to those of the passes before (by TTL).
fn merge(into: &mut Vec<HopReport>, hops: Vec<HopReport>) {
    for hop in hops {
        match into.iter_mut().find(|h| h.ttl == hop.ttl) {
            Some(h) => {
                h.probes.extend(hop.probes);
                h.stats = HopStats::of(&h.probes);
                h.mtu = h.mtu.or(hop.mtu);
            }
            None => into.push(hop),
        }
    }
    into.sort_by_key(|h| h.ttl);
}
