//! The sending engine of `mcast send` and `bcast send`: `count` datagrams,
//! `interval` apart, each reported as it goes; the [`Cancel`] ends it
//! between two.

use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use super::McastError;
use super::report::{SendSummary, SentRecord};
use super::socket::Sender;
use crate::cancel::Cancel;

/// What to send, however the socket was made.
#[derive(Debug, Clone)]
pub struct Plan<'a> {
    /// Where to (for the records).
    pub to: SocketAddr,
    /// The TTL it leaves with (for the summary).
    pub ttl: u8,
    /// How many.
    pub count: u64,
    /// The time between two.
    pub interval: Duration,
    /// The payload.
    pub payload: &'a [u8],
}

/// Send `plan` through `sender`.
pub fn run_with(
    sender: &Sender,
    plan: &Plan<'_>,
    cancel: &Cancel,
    mut on_sent: impl FnMut(&SentRecord) -> ControlFlow<()>,
) -> Result<SendSummary, McastError> {
    let mut summary = SendSummary {
        to: plan.to,
        sent: 0,
        bytes: 0,
        ttl: plan.ttl,
        interrupted: false,
    };
    let start = Instant::now();
    for seq in 1..=plan.count {
        if seq > 1 {
            // Sleep in short steps so Ctrl-C is seen at once.
            let due = start
                + plan
                    .interval
                    .saturating_mul(u32::try_from(seq - 1).unwrap_or(u32::MAX));
            while Instant::now() < due && !cancel.is_cancelled() {
                let left = due.saturating_duration_since(Instant::now());
                std::thread::sleep(left.min(Duration::from_millis(50)));
            }
        }
        if cancel.is_cancelled() {
            summary.interrupted = true;
            break;
        }
        let size = sender.send(plan.payload)?;
        summary.sent += 1;
        summary.bytes += size as u64;
        let record = SentRecord {
            seq,
            to: plan.to,
            size,
        };
        if on_sent(&record).is_break() {
            break;
        }
    }
    Ok(summary)
}

/// Run `mcast send` as `r` asks.
pub fn run(
    r: &super::SendRequest,
    cancel: &Cancel,
    on_sent: impl FnMut(&SentRecord) -> ControlFlow<()>,
) -> Result<SendSummary, McastError> {
    let sender = Sender::group(r)?;
    let plan = Plan {
        to: r.group,
        ttl: r.ttl,
        count: r.count,
        interval: r.interval,
        payload: &r.payload,
    };
    run_with(&sender, &plan, cancel, on_sent)
}
