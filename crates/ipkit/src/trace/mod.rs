//! Route tracing (issue 13): probes with growing TTLs, replies matched to
//! them through the datagram they quote. This file is the platform
//! branch's minimal stand-in; the engine branch's `trace/mod.rs` replaces it.

pub mod channel;

use std::io;

/// Why a trace could not run.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// No channel could be opened without this privilege.
    #[error("tracing needs {needs}")]
    NoPrivilege {
        /// What is missing.
        needs: crate::privilege::Needs,
    },
    /// This platform has no trace channels.
    #[error("tracing is not supported on this platform")]
    Unsupported,
    /// A socket operation failed.
    #[error("{op}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// Why it failed.
        #[source]
        source: io::Error,
    },
}
