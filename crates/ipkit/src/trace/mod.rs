//! The route tracer behind `ipkit trace` (traceroute's and tracert's ways).
//!
//! The spine, as ping's: [`request::Asked`] (what the user typed) is checked
//! into a [`Request`] (target resolved, defaults as traceroute's); the
//! [`engine`] runs it over a [`channel::TraceChannel`] — the operating
//! system's ([`System`]) or a scripted fake ([`fake`]) — deciding with the
//! pure hop state machine of [`hops`]; it emits [`engine::TraceEvent`]s in
//! hop order and returns a [`report::TraceReport`], the JSON contract every
//! view renders from. Reverse names come from a background resolver
//! ([`names`]) so they never delay the probes.

pub mod channel;
pub mod engine;
pub mod fake;
pub mod hops;
pub mod ip_info;
pub mod live;
pub mod names;
pub mod report;
pub mod request;
mod system;

pub use channel::{
    ChannelConfig, MplsLabel, ProbeSpec, Protocol, ReplyKind, SendError, System, TraceChannel,
    TraceProvider, TraceReply,
};
pub use engine::{TraceEvent, run, run_live, run_live_with, run_with, run_with_names};
pub use report::{HopReport, HopStats, ProbeResult, TraceReport};
pub use request::{Asked, Request, RequestError};

use crate::privilege::Needs;

/// Why a trace could not start or go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// The probes' sockets may not be opened. The message says what is
    /// missing; how to grant it is the program's to word.
    #[error("cannot open the tracer's sockets: they need {needs}")]
    NoPrivilege {
        /// What was missing.
        needs: Needs,
    },
    /// This platform has no trace channel (yet).
    #[error("route tracing is not supported on this platform")]
    Unsupported,
    /// The kernel refused the loose source route: setting the LSRR option
    /// (`IP_OPTIONS`), or sending along it (a broadcast gateway: EACCES).
    #[error("the kernel refused the loose source route via {via}")]
    LooseRoute {
        /// The gateways, as `a, b`.
        via: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// tracert's `-R`: the kernel refused the IPv6 type 0 routing header a
    /// round-trip trace needs (`IPV6_RTHDR`). Linux no longer sends them
    /// (RFC 5095 deprecated type 0 routing headers).
    #[error(
        "tracert -R: the kernel refused the IPv6 type 0 routing header a round-trip trace needs (deprecated by RFC 5095)"
    )]
    RoundTrip {
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Opening, sending or reading failed: `op` names the step, the OS
    /// error (the source) says why.
    #[error("{op}")]
    Io {
        /// The OS error.
        #[source]
        source: std::io::Error,
        /// The step that failed.
        op: &'static str,
    },
}
