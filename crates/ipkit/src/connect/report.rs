//! The report of one `ipkit connect`: the addresses in the order they were
//! raced, each attempt's fate with its times, and the winner. These structs
//! are the JSON contract (docs/json.md, "ipkit connect"); the `-v` lines
//! render from the same values.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Serialize;

use super::Request;
use super::race::{Abandoned, AttemptState, Outcome, Race};
use crate::ping::report::ms;

/// One connect: resolve, race, result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectReport {
    /// The host as given (brackets removed).
    pub host: String,
    /// The port as given (a number or a service name).
    pub port: String,
    /// `tcp` or `udp`.
    pub protocol: &'static str,
    /// The Connection Attempt Delay used, ms.
    pub attempt_delay_ms: f64,
    /// The overall deadline, ms.
    pub timeout_ms: f64,
    /// How long getaddrinfo took, ms.
    pub resolve_ms: f64,
    /// `connected`, `failed` (every attempt failed), `timed_out` or
    /// `interrupted`.
    pub outcome: &'static str,
    /// The number of the attempt that connected (1-based), or `null`.
    pub winner: Option<usize>,
    /// From the first attempt's start to the outcome, ms.
    pub elapsed_ms: f64,
    /// The winner's local socket address, or `null`.
    pub local: Option<String>,
    /// The winner's remote socket address, or `null`.
    pub remote: Option<String>,
    /// Every address, in the order raced.
    pub attempts: Vec<AttemptReport>,
}

/// One attempt (one address).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttemptReport {
    /// 1-based, in the order raced.
    pub attempt: usize,
    /// The address.
    pub address: String,
    /// The port.
    pub port: u16,
    /// `ipv6` or `ipv4`.
    pub family: &'static str,
    /// `connected`, `failed`, `lost_race` (another connected first),
    /// `timed_out`, `interrupted`, `in_flight` or `not_started`.
    pub result: &'static str,
    /// When it started, ms since the race began, or `null`.
    pub started_ms: Option<f64>,
    /// When it ended, ms since the race began, or `null`.
    pub ended_ms: Option<f64>,
    /// Why it failed (the operating system's words), or `null`.
    pub error: Option<String>,
}

impl AttemptReport {
    fn of(attempt: usize, addr: SocketAddr, state: &AttemptState) -> AttemptReport {
        let result = match state {
            AttemptState::NotStarted => "not_started",
            AttemptState::Pending { .. } => "in_flight",
            AttemptState::Connected { .. } => "connected",
            AttemptState::Failed { .. } => "failed",
            AttemptState::Abandoned { why, .. } => match why {
                Abandoned::LostRace => "lost_race",
                Abandoned::TimedOut => "timed_out",
                Abandoned::Interrupted => "interrupted",
            },
        };
        AttemptReport {
            attempt: attempt + 1,
            address: addr.ip().to_string(),
            port: addr.port(),
            family: if addr.is_ipv6() { "ipv6" } else { "ipv4" },
            result,
            started_ms: state.started().map(ms),
            ended_ms: state.ended().map(ms),
            error: match state {
                AttemptState::Failed { reason, .. } => Some(reason.clone()),
                _ => None,
            },
        }
    }
}

impl ConnectReport {
    /// The report of a race run for `request`; `resolve` is how long
    /// getaddrinfo took, `elapsed` the race's length, `ends` the winner's
    /// (local, remote) addresses.
    pub fn of(
        request: &Request,
        race: &Race,
        resolve: Duration,
        elapsed: Duration,
        ends: Option<(SocketAddr, SocketAddr)>,
    ) -> ConnectReport {
        let (outcome, winner) = match race.outcome() {
            Some(Outcome::Connected(n)) => ("connected", Some(n + 1)),
            Some(Outcome::AllFailed) | None => ("failed", None),
            Some(Outcome::TimedOut) => ("timed_out", None),
            Some(Outcome::Interrupted) => ("interrupted", None),
        };
        ConnectReport {
            host: request.host.clone(),
            port: request.port.clone(),
            protocol: request.transport.name(),
            attempt_delay_ms: ms(race.delay()),
            timeout_ms: ms(request.timeout),
            resolve_ms: ms(resolve),
            outcome,
            winner,
            elapsed_ms: ms(elapsed),
            local: ends.map(|(l, _)| l.to_string()),
            remote: ends.map(|(_, r)| r.to_string()),
            attempts: race
                .addrs()
                .iter()
                .zip(race.attempts())
                .enumerate()
                .map(|(i, (a, s))| AttemptReport::of(i, *a, s))
                .collect(),
        }
    }

    /// Whether an attempt connected.
    pub fn connected(&self) -> bool {
        self.winner.is_some()
    }
}
