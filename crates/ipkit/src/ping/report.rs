//! What `ping` reports: the `Serialize` values that are the JSON contract
//! (docs/json.md, `ipkit ping --json`), built from the engines' events and
//! results. The binary's human views (iputils, Windows, fping-like sweep
//! lines) render from these same values, so the two cannot disagree.
//!
//! Building a value is where the I/O happens, if any: reverse names are
//! looked up through [`Names`] (getnameinfo, each address once) when a
//! record is built, never when it is rendered. Durations are kept as
//! durations and written as milliseconds rounded to the microsecond
//! ([`ms`]), the unit of every `*_ms` field.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use ipkit_core::wire::ipv4::Ipv4Option;
use serde::{Serialize, Serializer};

use super::ProbeFailure;
use super::request::OptionsAsked;
use super::session::PingEvent;
use super::sweep::{SweepResult, TargetStats};
use super::track::Stats;

/// A duration in milliseconds, rounded to the microsecond: the one unit and
/// precision of every `*_ms` field in the JSON, so no `0.060000000000000005`
/// reaches a reader.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// assert_eq!(ipkit::ping::report::ms(Duration::from_nanos(60_000_400)), 60.0);
/// ```
pub fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

fn as_ms<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(ms(*d))
}

#[allow(
    clippy::ref_option,
    reason = "serde's serialize_with hands the field by reference"
)]
fn as_ms_or_null<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_f64(ms(*d)),
        None => s.serialize_none(),
    }
}

/// Reverse names for addresses, each looked up once
/// ([`crate::resolve::ReverseNames`]); a disabled cache looks nothing up.
/// One cache serves a whole run.
#[derive(Debug, Default)]
pub struct Names {
    enabled: bool,
    names: crate::resolve::ReverseNames,
}

impl Names {
    /// A cache that looks names up only when `enabled`.
    pub fn new(enabled: bool) -> Names {
        Names {
            enabled,
            names: crate::resolve::ReverseNames::default(),
        }
    }

    /// The name of `ip`, when enabled and it has one.
    pub fn lookup(&mut self, ip: IpAddr) -> Option<String> {
        if !self.enabled {
            return None;
        }
        self.names.get(ip).map(|n| n.to_string())
    }
}

/// An IPv4 option in a reply: carried, asked for and dropped on the way, or
/// neither. In JSON: the value, `null`, or no field at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Returned<T> {
    /// Not asked for and not carried.
    NotAsked,
    /// Asked for, and the reply came without it.
    Dropped,
    /// The reply carried it.
    Carried(T),
}

impl<T> Returned<T> {
    /// Neither asked for nor carried (the JSON leaves the field out).
    pub fn is_not_asked(&self) -> bool {
        matches!(self, Returned::NotAsked)
    }

    fn of(carried: Option<T>, asked: bool) -> Returned<T> {
        match carried {
            Some(v) => Returned::Carried(v),
            None if asked => Returned::Dropped,
            None => Returned::NotAsked,
        }
    }
}

impl<T: Serialize> Serialize for Returned<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Returned::Carried(v) => v.serialize(s),
            Returned::Dropped | Returned::NotAsked => s.serialize_none(),
        }
    }
}

/// One internet timestamp a reply carried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Timestamp {
    /// The address that recorded it (`None` for `tsonly`).
    pub addr: Option<Ipv4Addr>,
    /// Milliseconds since midnight UT.
    pub ms_since_midnight_utc: u32,
}

/// An echo reply (`reply` record of one target).
#[derive(Debug, Clone, Serialize)]
pub struct Reply {
    /// Who answered.
    pub from: IpAddr,
    /// Its name, with names asked for and when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Sequence number.
    pub seq: u16,
    /// ICMP bytes received.
    pub bytes: usize,
    /// TTL / hop limit of the reply.
    pub ttl: Option<u8>,
    /// Round-trip time.
    #[serde(rename = "rtt_ms", serialize_with = "as_ms")]
    pub rtt: Duration,
    /// A second copy.
    pub duplicate: bool,
    /// After its timeout.
    pub late: bool,
    /// Record route: the addresses written into the probe and the reply.
    #[serde(skip_serializing_if = "Returned::is_not_asked")]
    pub route: Returned<Vec<Ipv4Addr>>,
    /// Internet timestamps.
    #[serde(skip_serializing_if = "Returned::is_not_asked")]
    pub timestamps: Returned<Vec<Timestamp>>,
}

/// An ICMP error for a probe (`error` record of one target).
#[derive(Debug, Clone, Serialize)]
pub struct ProbeError {
    /// The router or host that sent it.
    pub from: IpAddr,
    /// Its name, with names asked for (else `null`).
    pub name: Option<String>,
    /// The probe's sequence number.
    pub seq: u16,
    /// What happened, as iputils prints it (the cause's `Display`).
    pub text: String,
    /// What happened, typed: the views that word it their own way (the
    /// Windows view) match on this, never on `text`.
    #[serde(skip)]
    pub cause: ProbeFailure,
}

/// No answer in time (`timeout` record of one target).
#[derive(Debug, Clone, Serialize)]
pub struct ProbeTimeout {
    /// Sequence number.
    pub seq: u16,
}

/// One record of a session, from one engine event.
#[derive(Debug, Clone)]
pub enum SessionRecord {
    /// An echo reply.
    Reply(Reply),
    /// An ICMP error.
    Error(ProbeError),
    /// A timeout.
    Timeout(ProbeTimeout),
}

impl SessionRecord {
    /// The record for `event`; names are looked up here.
    pub fn of(event: &PingEvent, asked: &OptionsAsked, names: &mut Names) -> SessionRecord {
        match event {
            PingEvent::Reply {
                from,
                seq,
                bytes,
                ttl,
                rtt,
                duplicate,
                late,
                options,
            } => {
                let (route, stamps) = carried_options(options);
                SessionRecord::Reply(Reply {
                    from: *from,
                    name: names.lookup(*from),
                    seq: *seq,
                    bytes: *bytes,
                    ttl: *ttl,
                    rtt: *rtt,
                    duplicate: *duplicate,
                    late: *late,
                    route: Returned::of(route, asked.record_route),
                    timestamps: Returned::of(stamps, asked.timestamps),
                })
            }
            PingEvent::Timeout { seq } => SessionRecord::Timeout(ProbeTimeout { seq: *seq }),
            PingEvent::Error { from, seq, cause } => SessionRecord::Error(ProbeError {
                from: *from,
                name: names.lookup(*from),
                seq: *seq,
                text: cause.to_string(),
                cause: cause.clone(),
            }),
        }
    }

    /// The NDJSON record type.
    pub fn kind(&self) -> &'static str {
        match self {
            SessionRecord::Reply(_) => "reply",
            SessionRecord::Error(_) => "error",
            SessionRecord::Timeout(_) => "timeout",
        }
    }
}

impl Serialize for SessionRecord {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            SessionRecord::Reply(r) => r.serialize(s),
            SessionRecord::Error(r) => r.serialize(s),
            SessionRecord::Timeout(r) => r.serialize(s),
        }
    }
}

/// The recorded route and timestamps of a reply, when it carried them.
fn carried_options(options: &[Ipv4Option]) -> (Option<Vec<Ipv4Addr>>, Option<Vec<Timestamp>>) {
    let mut route = None;
    let mut stamps = None;
    for o in options {
        match o {
            Ipv4Option::RecordRoute { route: r, .. } => route = Some(r.clone()),
            Ipv4Option::Timestamp { entries, .. } => {
                stamps = Some(
                    entries
                        .iter()
                        .map(|&(addr, ms)| Timestamp {
                            addr,
                            ms_since_midnight_utc: ms,
                        })
                        .collect(),
                );
            }
            _ => {}
        }
    }
    (route, stamps)
}

/// A session's statistics (`summary` record of one target).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The address pinged.
    pub target: IpAddr,
    /// Probes sent.
    pub transmitted: u64,
    /// Probes answered.
    pub received: u64,
    /// Duplicate replies.
    pub duplicates: u64,
    /// ICMP errors.
    pub errors: u64,
    /// Lost probes, percent of those sent.
    pub loss_percent: f64,
    /// The whole run.
    #[serde(rename = "elapsed_ms", serialize_with = "as_ms")]
    pub elapsed: Duration,
    /// Shortest round trip.
    #[serde(rename = "rtt_min_ms", serialize_with = "as_ms_or_null")]
    pub rtt_min: Option<Duration>,
    /// Average round trip.
    #[serde(rename = "rtt_avg_ms", serialize_with = "as_ms_or_null")]
    pub rtt_avg: Option<Duration>,
    /// Longest round trip.
    #[serde(rename = "rtt_max_ms", serialize_with = "as_ms_or_null")]
    pub rtt_max: Option<Duration>,
    /// Mean deviation, as iputils computes it.
    #[serde(rename = "rtt_mdev_ms", serialize_with = "as_ms_or_null")]
    pub rtt_mdev: Option<Duration>,
}

impl Summary {
    /// The summary of a session to `target` that ran `elapsed`.
    pub fn of(target: IpAddr, s: &Stats, elapsed: Duration) -> Summary {
        let rtt = s.rtt();
        Summary {
            target,
            transmitted: s.transmitted,
            received: s.received,
            duplicates: s.duplicates,
            errors: s.errors,
            loss_percent: s.loss_percent(),
            elapsed,
            rtt_min: rtt.map(|r| r.0),
            rtt_avg: rtt.map(|r| r.1),
            rtt_max: rtt.map(|r| r.2),
            rtt_mdev: rtt.map(|r| r.3),
        }
    }
}

/// A reply in a sweep with a count (`reply` record of a sweep). Fields in
/// the order the JSON has always had them.
#[derive(Debug, Clone, Serialize)]
pub struct SweepReply {
    /// The target.
    pub addr: IpAddr,
    /// Round-trip time.
    #[serde(rename = "rtt_ms", serialize_with = "as_ms")]
    pub rtt: Duration,
    /// The round, from 0.
    pub seq: u16,
}

/// A probe of a sweep with a count that got no reply (`timeout` record).
#[derive(Debug, Clone, Serialize)]
pub struct SweepTimeout {
    /// The target.
    pub addr: IpAddr,
    /// The round, from 0.
    pub seq: u16,
}

/// What a sweep learnt of one target.
#[derive(Debug, Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum HostStatus {
    /// At least one reply.
    Alive,
    /// Probed, and no reply.
    Unreachable,
    /// Never probed: the sweep was interrupted before its turn.
    NotProbed,
}

impl HostStatus {
    /// The status of a target from its statistics.
    pub fn of(t: &TargetStats) -> HostStatus {
        if t.alive() {
            HostStatus::Alive
        } else if t.probed() {
            HostStatus::Unreachable
        } else {
            HostStatus::NotProbed
        }
    }
}

/// The last ICMP error a probe to a target drew.
#[derive(Debug, Clone, Serialize)]
pub struct SweepError {
    /// Who sent it.
    pub from: IpAddr,
    /// What happened.
    pub text: String,
}

impl SweepError {
    /// The last error of `t`, if any. The one place that reads the
    /// engine's error of a target.
    pub fn of(t: &TargetStats) -> Option<SweepError> {
        // `{:#}`: the error without its MTU, as the sweep's lines print it.
        t.error().map(|(from, e)| SweepError {
            from,
            text: format!("{e:#}"),
        })
    }
}

/// One swept target (`host` record).
#[derive(Debug, Clone, Serialize)]
pub struct Host {
    /// The target.
    pub addr: IpAddr,
    /// `alive`, `unreachable`, or `not_probed` (an interrupted sweep).
    pub status: HostStatus,
    /// At least one reply.
    pub alive: bool,
    /// Average round-trip time (the only one, without a count).
    #[serde(rename = "rtt_ms", serialize_with = "as_ms_or_null")]
    pub rtt_avg: Option<Duration>,
    /// Probes sent.
    pub sent: u16,
    /// Rounds answered.
    pub received: u16,
    /// Lost probes, percent of those sent.
    pub loss_percent: f64,
    /// Shortest round trip.
    #[serde(rename = "rtt_min_ms", serialize_with = "as_ms_or_null")]
    pub rtt_min: Option<Duration>,
    /// Longest round trip.
    #[serde(rename = "rtt_max_ms", serialize_with = "as_ms_or_null")]
    pub rtt_max: Option<Duration>,
    /// The last ICMP error a probe to it drew.
    pub error: Option<SweepError>,
}

impl Host {
    /// The record of target `addr` from its statistics.
    pub fn of(addr: IpAddr, t: &TargetStats) -> Host {
        let rtt = t.rtt();
        Host {
            addr,
            status: HostStatus::of(t),
            alive: t.alive(),
            rtt_avg: rtt.map(|r| r.1),
            sent: t.sent,
            received: t.received,
            loss_percent: t.loss_percent(),
            rtt_min: rtt.map(|r| r.0),
            rtt_max: rtt.map(|r| r.2),
            error: SweepError::of(t),
        }
    }
}

/// The end of a sweep (`summary` record). Fields in the order the JSON has
/// always had them.
#[derive(Debug, Clone, Serialize)]
pub struct SweepSummary {
    /// Targets that answered.
    pub alive: u64,
    /// The whole sweep.
    #[serde(rename = "elapsed_ms", serialize_with = "as_ms")]
    pub elapsed: Duration,
    /// Ctrl-C or SIGTERM stopped it.
    pub interrupted: bool,
    /// Targets never probed.
    pub not_probed: u64,
    /// Probes sent in all.
    pub sent: u64,
    /// Targets in all.
    pub targets: u64,
    /// Targets probed that did not answer.
    pub unreachable: u64,
}

impl SweepSummary {
    /// The summary of `result`, a sweep that ran `elapsed`.
    pub fn of(result: &SweepResult, interrupted: bool, elapsed: Duration) -> SweepSummary {
        let targets = result.targets.len() as u64;
        let not_probed = result.targets.iter().filter(|t| !t.probed()).count() as u64;
        SweepSummary {
            alive: result.alive,
            elapsed,
            interrupted,
            not_probed,
            sent: result.sent,
            targets,
            unreachable: targets - result.alive - not_probed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(options: Vec<Ipv4Option>) -> PingEvent {
        PingEvent::Reply {
            from: "192.0.2.1".parse().unwrap(),
            seq: 1,
            bytes: 64,
            ttl: Some(64),
            rtt: Duration::from_micros(60),
            duplicate: false,
            late: false,
            options,
        }
    }

    #[test]
    fn a_route_asked_for_and_dropped_is_null_and_not_asked_is_absent() {
        let asked = OptionsAsked {
            record_route: true,
            ..OptionsAsked::default()
        };
        let r = SessionRecord::of(&reply(Vec::new()), &asked, &mut Names::new(false));
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"from":"192.0.2.1","seq":1,"bytes":64,"ttl":64,"rtt_ms":0.06,"duplicate":false,"late":false,"route":null}"#
        );
        let r = SessionRecord::of(
            &reply(vec![Ipv4Option::RecordRoute {
                route: vec!["192.0.2.1".parse().unwrap()],
                slots: 9,
            }]),
            &OptionsAsked::default(),
            &mut Names::new(false),
        );
        assert!(
            serde_json::to_string(&r)
                .unwrap()
                .ends_with(r#""route":["192.0.2.1"]}"#)
        );
    }

    #[test]
    fn a_sweep_summary_keeps_its_field_order() {
        let s = SweepSummary {
            alive: 1,
            elapsed: Duration::from_millis(3),
            interrupted: false,
            not_probed: 0,
            sent: 2,
            targets: 2,
            unreachable: 1,
        };
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"alive":1,"elapsed_ms":3.0,"interrupted":false,"not_probed":0,"sent":2,"targets":2,"unreachable":1}"#
        );
    }
}
