//! The host's own tables: interfaces, neighbours (ARP/NDP), sockets with
//! their processes, and signalling those processes.
//!
//! Each table is a trait ([`SocketTable`], [`ProcessTable`],
//! [`NeighbourTable`], [`InterfaceTable`]) with one implementation per OS in
//! [`crate::sys`]; [`system`] returns this OS's, as one value with all four
//! ([`Tables`]). The commands only see the traits and the plain types here,
//! so another OS is added by implementing the traits, without touching the
//! commands.
//!
//! Each command's spine is here too: its request ([`SocketQuery`],
//! [`kill::KillRequest`], [`neighbours::NeighbourQuery`]), the decisions made
//! before anything changes ([`kill::select`], [`neighbours::interface_for`]),
//! and its report — the `Serialize` values that are the JSON and that the
//! tables render ([`SocketRecord`], [`kill::KillRecord`], [`Neighbour`],
//! [`InterfacesReport`]), with every name looked up when the report is
//! built ([`names`]), never while it is rendered.

pub mod inodes;
pub mod interfaces;
pub mod kill;
pub mod names;
pub mod neighbours;
pub mod processes;
pub mod sockets;

pub use interfaces::{
    Address, DhcpLease, DnsConfig, Interface, InterfaceReport, InterfaceTable, InterfacesReport,
    Route,
};
pub use neighbours::{Neighbour, NeighbourTable};
pub use processes::{Owner, ProcessTable};
pub use sockets::{
    SocketEntry, SocketQuery, SocketRecord, SocketTable, Transport, UnixSocketEntry,
};

use crate::privilege::Needs;

/// Why a table could not be read or changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The process lacks a privilege (how to grant it is the program's to
    /// say).
    #[error("{what} needs {needs}")]
    NoPrivilege {
        /// What was being done.
        what: String,
        /// What it needed: CAP_NET_ADMIN, CAP_KILL …
        needs: Needs,
    },
    /// The interface does not exist.
    #[error("no interface named '{0}' on this host (see `ipkit if`)")]
    NoInterface(String),
    /// No interface of this host has a prefix that holds the address.
    #[error("no interface of this host is on {0}'s network")]
    NoInterfaceOn(std::net::IpAddr),
    /// No interface of this host has this address.
    #[error("no interface of this host has {0}")]
    NoInterfaceWith(std::net::IpAddr),
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

/// All of an OS's host tables, as [`system`] returns them.
pub trait Tables: InterfaceTable + NeighbourTable + SocketTable + ProcessTable + Sync {}

impl<T: InterfaceTable + NeighbourTable + SocketTable + ProcessTable + Sync> Tables for T {}

/// This operating system's tables.
pub fn system() -> &'static impl Tables {
    &crate::sys::HostTables
}
