//! The receiving engine, shared by `mcast join` and `bcast listen`: read
//! datagrams from a [`Receiver`] until the count, the timeout or the
//! [`Cancel`] says stop, report each as it comes, then leave the group and
//! return the summary.

use std::io;
use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::time::{Duration, Instant, SystemTime};

use super::McastError;
use super::report::{DatagramRecord, ReceiveSummary, SenderTally};
use crate::cancel::Cancel;

/// One datagram as a [`Receiver`] reads it.
#[derive(Debug, Clone, Copy)]
pub struct Received {
    /// Its length (the buffer holds its first bytes).
    pub len: usize,
    /// Who sent it.
    pub from: Option<SocketAddr>,
    /// TTL / hop limit on arrival, where the OS says.
    pub ttl: Option<u8>,
    /// When the kernel received it, since the Unix epoch, where the OS says.
    pub kernel_time: Option<Duration>,
}

/// The platform seam: a socket that yields datagrams and can leave its
/// group ([`super::socket::GroupSocket`] on a real host).
pub trait Receiver {
    /// The next datagram, or None when none came within a short wait
    /// (the engine then checks its clock and token).
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<Option<Received>>;
    /// Leave the group; true when there was one to leave.
    fn leave(&mut self) -> io::Result<bool>;
    /// Whether the last datagram handed out was the last the socket had
    /// queued (so a writer should flush now). A receiver reading one
    /// datagram at a time may always say so.
    fn drained(&self) -> bool {
        true
    }
}

/// What the engine reports as it runs.
#[derive(Debug)]
pub enum ReceiveEvent<'a> {
    /// A datagram arrived.
    Datagram(&'a DatagramRecord),
    /// Nothing more is queued for now: the time to flush what was written.
    Drained,
}

/// Limits on a receive.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// Stop after this many datagrams.
    pub count: Option<u64>,
    /// Stop after this long.
    pub timeout: Option<Duration>,
    /// Keep the payload text in each record (off for rate measurement).
    pub payloads: bool,
}

/// Receive from `rx` within `limits`; `on_event` may stop the run (a
/// closed pipe). The group is left before this returns, whatever ended it.
pub fn run_with<R: Receiver>(
    rx: &mut R,
    limits: Limits,
    cancel: &Cancel,
    mut on_event: impl FnMut(ReceiveEvent<'_>) -> ControlFlow<()>,
) -> Result<ReceiveSummary, McastError> {
    let start = Instant::now();
    let mut buf = vec![0u8; 65_536];
    let mut summary = ReceiveSummary::default();
    let outcome = loop {
        if cancel.is_cancelled() {
            summary.interrupted = true;
            break Ok(());
        }
        if limits.count.is_some_and(|c| summary.received >= c) {
            break Ok(());
        }
        if limits.timeout.is_some_and(|t| start.elapsed() >= t) {
            summary.timed_out = true;
            break Ok(());
        }
        let got = match rx.recv(&mut buf) {
            Ok(Some(got)) => got,
            Ok(None) => continue,
            Err(e) => break Err(McastError::io("receiving", e)),
        };
        let record = DatagramRecord {
            seq: summary.received + 1,
            from: got.from,
            size: got.len,
            ttl: got.ttl,
            elapsed_ms: crate::ping::report::ms(start.elapsed()),
            unix_time: got
                .kernel_time
                .or_else(|| {
                    SystemTime::now()
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .ok()
                })
                .map_or(0.0, |d| d.as_secs_f64()),
            payload: limits
                .payloads
                .then(|| String::from_utf8_lossy(&buf[..got.len.min(buf.len())]).into_owned()),
        };
        summary.count(&record);
        if on_event(ReceiveEvent::Datagram(&record)).is_break() {
            break Ok(());
        }
        if rx.drained() && on_event(ReceiveEvent::Drained).is_break() {
            break Ok(());
        }
    };
    summary.elapsed_ms = crate::ping::report::ms(start.elapsed());
    let left = rx
        .leave()
        .map_err(|e| McastError::io("leaving the group", e));
    outcome?;
    summary.left = left?;
    Ok(summary)
}

impl ReceiveSummary {
    /// Add one datagram to the totals.
    fn count(&mut self, d: &DatagramRecord) {
        self.received += 1;
        self.bytes += d.size as u64;
        match self.senders.iter_mut().find(|s| s.from == d.from) {
            Some(s) => {
                s.received += 1;
                s.bytes += d.size as u64;
            }
            None => self.senders.push(SenderTally {
                from: d.from,
                received: 1,
                bytes: d.size as u64,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Datagrams as data: a fake receiver for the engine's own rules.
    struct Scripted {
        left: Vec<Option<Received>>,
        gone: bool,
    }

    impl Receiver for Scripted {
        fn recv(&mut self, _buf: &mut [u8]) -> io::Result<Option<Received>> {
            Ok(self.left.pop().flatten())
        }
        fn leave(&mut self) -> io::Result<bool> {
            self.gone = true;
            Ok(true)
        }
    }

    #[test]
    fn counts_senders_stops_at_count_and_leaves() {
        let a: SocketAddr = "10.0.0.1:4000".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:4000".parse().unwrap();
        let d = |from, len| {
            Some(Received {
                len,
                from: Some(from),
                ttl: Some(1),
                kernel_time: None,
            })
        };
        let mut rx = Scripted {
            left: vec![d(b, 9), d(a, 3), None, d(a, 5)],
            gone: false,
        };
        let limits = Limits {
            count: Some(3),
            ..Limits::default()
        };
        let mut seen = 0;
        let s = run_with(&mut rx, limits, &Cancel::new(), |e| {
            if let ReceiveEvent::Datagram(_) = e {
                seen += 1;
            }
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!((s.received, s.bytes, seen), (3, 17, 3));
        assert_eq!(s.senders.len(), 2);
        assert_eq!(s.senders[0].received, 2);
        assert!(rx.gone && s.left && !s.interrupted);
    }

    #[test]
    fn cancelled_leaves_and_says_so() {
        let mut rx = Scripted {
            left: vec![],
            gone: false,
        };
        let cancel = Cancel::new();
        cancel.cancel();
        let s = run_with(&mut rx, Limits::default(), &cancel, |_| {
            ControlFlow::Continue(())
        })
        .unwrap();
        assert!(s.interrupted && s.left && rx.gone);
    }
}
