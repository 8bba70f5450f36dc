//! The host's own tables: interfaces, neighbours (ARP/NDP), sockets with
//! their processes, and signalling those processes.
//!
//! Each table is a trait ([`SocketTable`], [`ProcessTable`],
//! [`NeighbourTable`], [`InterfaceTable`]) with one implementation per OS in
//! [`crate::sys`]; [`system`] returns this OS's. The commands only see the
//! traits and the plain types here, so another OS is added by implementing
//! the traits, without touching the commands.

pub mod interfaces;
pub mod neighbours;
pub mod processes;
pub mod sockets;

pub use interfaces::{Address, DhcpLease, DnsConfig, Interface, InterfaceTable, Route};
pub use neighbours::{Neighbour, NeighbourTable};
pub use processes::{Owner, ProcessTable};
pub use sockets::{SocketEntry, SocketQuery, SocketTable, Transport, UnixSocketEntry};

/// Why a table could not be read or changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The process lacks a capability.
    #[error(
        "{what} needs {capability}: run as root, or grant it with `sudo setcap {cap_lower}+ep $(command -v ipkit)`",
        cap_lower = capability.to_lowercase()
    )]
    NoPrivilege {
        /// What was being done.
        what: String,
        /// CAP_NET_ADMIN, CAP_KILL …
        capability: &'static str,
    },
    /// The interface does not exist.
    #[error("no interface named '{0}' on this host (see `ipkit if`)")]
    NoInterface(String),
    /// Nothing to change.
    #[error("{0}")]
    NotFound(String),
    /// This OS has no implementation of the table.
    #[error("{0} is not available on this operating system yet")]
    Unsupported(&'static str),
    /// A system call failed.
    #[error("{op}: {source}")]
    Io {
        /// What was being done.
        op: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl HostError {
    /// An I/O error, or the missing capability when the kernel said EPERM.
    pub fn from_io(
        op: impl Into<String>,
        capability: &'static str,
        e: std::io::Error,
    ) -> HostError {
        let op = op.into();
        match e.raw_os_error() {
            Some(libc::EPERM | libc::EACCES) => HostError::NoPrivilege {
                what: op,
                capability,
            },
            _ => HostError::Io { op, source: e },
        }
    }
}

/// This operating system's tables.
pub fn system() -> &'static crate::sys::HostTables {
    &crate::sys::HostTables
}
