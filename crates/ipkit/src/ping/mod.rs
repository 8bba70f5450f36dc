//! The ICMP echo engine behind `ipkit ping`.
//!
//! [`track`] decides (pure); the engines ([`session`] for one target,
//! [`sweep`] for many) run over an ICMP channel of [`crate::probe`] — the
//! operating system's, or a scripted fake in tests — and are async on tokio
//! (a current-thread runtime with IO and time is enough): they wait for the
//! channel's readiness and for send times with tokio's timer, so a program
//! can ping from its own runtime without giving up a thread.
//!
//! The spine: [`request::Asked`] (what the user typed) is checked into a
//! [`Request`] — a session or a sweep, targets resolved — whose options the
//! engines run; their [`session::PingEvent`]s and final statistics become
//! [`report`] records, the JSON contract every view renders from.

pub mod live;
pub mod report;
pub mod request;
pub mod session;
pub mod sweep;
pub mod track;

pub use request::{Asked, Request, RequestError};

use ipkit_core::wire::icmp::IcmpError;

use crate::privilege::Needs;

/// Why pinging could not start or go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PingError {
    /// Neither a raw nor a datagram ICMP socket may be opened. The message
    /// says what is missing; how to grant it is the program's to word.
    #[error("cannot open an ICMP{v} socket: it needs {needs}", v = if *v6 { "v6" } else { "" })]
    NoPrivilege {
        /// What was missing ([`Needs::IcmpSocket`]).
        needs: Needs,
        /// IPv6.
        v6: bool,
    },
    /// This platform has no ICMP channel (yet).
    #[error("ICMP sockets are not supported on this platform")]
    Unsupported,
    /// A socket operation failed. The message names the operation only:
    /// the OS error is the source, printed once by whoever walks the chain
    /// (`{:#}` in anyhow).
    #[error("{op}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// Why a probe got no reply: what a router or the destination answered, or
/// what the local host said when it refused to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeFailure {
    /// An ICMP error about the probe.
    Icmp(IcmpError),
    /// The local host refused to send it.
    Local(crate::probe::LocalError),
}

impl std::fmt::Display for ProbeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProbeFailure::Icmp(e) => e.fmt(f),
            ProbeFailure::Local(e) => e.fmt(f),
        }
    }
}

/// The ICMP errors ping reports against a probe: all but parameter
/// problems, which iputils and ipkit leave to the tracer.
pub(crate) fn reported(e: &IcmpError) -> bool {
    !matches!(e, IcmpError::ParameterProblem { .. })
}

fn io(op: &'static str) -> impl Fn(std::io::Error) -> PingError {
    move |source| PingError::Io { op, source }
}
