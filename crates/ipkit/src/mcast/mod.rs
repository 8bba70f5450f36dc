//! Multicast: join a group and show what arrives (`ipkit mcast join`), send
//! to a group (`ipkit mcast send`).
//!
//! The spine of every command: a request checked before any socket opens
//! ([`request::JoinRequest`], [`request::SendRequest`]: a group that is not
//! multicast, a source for an any-source group, a source of the other
//! family are refused there), an engine over a small platform seam
//! ([`receive::Receiver`], implemented by [`socket::GroupSocket`] over
//! socket2 plus the few calls socket2 lacks in `sys/`: the IPv6
//! source-specific join, the TTL of each datagram), typed events and the
//! `Serialize` records of [`report`] that are the JSON.
//!
//! Joins are IGMPv2/v3 and MLDv1/v2 as the kernel speaks them: any-source
//! `(*,G)` with `IP_ADD_MEMBERSHIP` / `IPV6_JOIN_GROUP`, source-specific
//! `(S,G)` with `IP_ADD_SOURCE_MEMBERSHIP` (socket2) and
//! `MCAST_JOIN_SOURCE_GROUP` (IPv6). The group is left explicitly when the
//! engine ends, by count, timeout or cancellation.

pub mod groups;
pub mod ping;
pub mod receive;
pub mod report;
pub mod request;
pub mod send;
pub mod socket;
pub mod ssmping;

use std::net::{IpAddr, Ipv4Addr};

pub use receive::{ReceiveEvent, Receiver};
pub use report::{DatagramRecord, ReceiveSummary, SendSummary, SentRecord};
pub use request::{JoinRequest, SendRequest};

/// The port `mcast join GROUP` listens on when none is given (iperf2's,
/// which `bench/mcast.sh` sends with).
pub const DEFAULT_PORT: u16 = 5001;

/// Why a multicast or broadcast command could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum McastError {
    /// The group is not a multicast address.
    #[error("{0} is not a multicast group (IPv4 224.0.0.0/4, IPv6 ff00::/8)")]
    NotMulticast(IpAddr),
    /// A source was given for a group outside the source-specific range.
    #[error(
        "{group} is an any-source group: --source needs a source-specific group (IPv4 232.0.0.0/8, IPv6 ff3x::/32)"
    )]
    SourceForAnySource {
        /// The group.
        group: IpAddr,
    },
    /// A source of the other address family.
    #[error("source {source_addr} is not of the group {group}'s address family")]
    SourceFamily {
        /// The group.
        group: IpAddr,
        /// The source.
        source_addr: IpAddr,
    },
    /// A group, address or port the user wrote does not parse.
    #[error("{0}")]
    BadArgument(String),
    /// The interface does not exist.
    #[error("no interface named '{0}' on this host (see `ipkit if`)")]
    NoInterface(String),
    /// The interface has no IPv4 address (IPv4 needs one to send from).
    #[error("interface {0} has no IPv4 address")]
    NoIpv4Address(String),
    /// The interface's prefix leaves no room for a broadcast address.
    #[error(
        "interface {name} is {addr}/{prefix_len}: a /31 or /32 has no broadcast address (RFC 3021)"
    )]
    NoBroadcast {
        /// The interface.
        name: String,
        /// Its IPv4 address.
        addr: Ipv4Addr,
        /// Its prefix length.
        prefix_len: u8,
    },
    /// No interface named and no route covers the group.
    #[error("no route for {target}: {os} (name the interface with --interface)")]
    NoRoute {
        /// The group or broadcast address.
        target: IpAddr,
        /// The OS error.
        os: std::io::Error,
    },
    /// The host's interface table could not be read.
    #[error("{0}")]
    Host(#[from] crate::host::HostError),
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

impl McastError {
    /// Whether the user asked for something that cannot be (exit 2 as a
    /// usage error) rather than the system failing.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            McastError::NotMulticast(_)
                | McastError::SourceForAnySource { .. }
                | McastError::SourceFamily { .. }
                | McastError::BadArgument(_)
        )
    }

    /// A failed system call, named.
    pub(crate) fn io(op: impl Into<String>, source: std::io::Error) -> McastError {
        McastError::Io {
            op: op.into(),
            source,
        }
    }
}

/// Whether `group` is in the source-specific range (RFC 4607: IPv4
/// 232.0.0.0/8, IPv6 FF3x::/32).
pub fn is_source_specific(group: IpAddr) -> bool {
    match group {
        IpAddr::V4(g) => g.octets()[0] == 232,
        IpAddr::V6(g) => g.segments()[0] & 0xfff0 == 0xff30,
    }
}

/// An interface a command was told to use, as the host's table has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// Its name.
    pub name: String,
    /// Its index.
    pub index: u32,
    /// Its first IPv4 address and prefix length, if any.
    pub ipv4: Option<(Ipv4Addr, u8)>,
}

/// Look `name` up in the host's interface table.
pub fn interface(name: &str) -> Result<Interface, McastError> {
    use crate::host::InterfaceTable;
    let all = crate::host::system().interfaces()?;
    let found = all
        .into_iter()
        .find(|i| i.name == name)
        .ok_or_else(|| McastError::NoInterface(name.to_string()))?;
    let ipv4 = found.addresses.iter().find_map(|a| match a.addr {
        IpAddr::V4(v4) => Some((v4, a.prefix_len)),
        IpAddr::V6(_) => None,
    });
    Ok(Interface {
        name: found.name,
        index: found.index,
        ipv4,
    })
}
