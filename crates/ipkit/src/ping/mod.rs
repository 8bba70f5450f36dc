//! The ICMP echo engine behind `ipkit ping`.
//!
//! [`track`] decides (pure); the socket side lives in [`crate::sys`].

pub mod session;
pub mod sweep;
pub mod track;

/// Why pinging could not start or go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PingError {
    /// Neither a raw nor a datagram ICMP socket may be opened.
    #[error(
        "cannot open an ICMP{v} socket: a raw socket needs CAP_NET_RAW (run as root, or `sudo setcap cap_net_raw+ep $(command -v ipkit)`), \
         and this group may not use unprivileged ICMP sockets (allow it: `sudo sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"`)",
        v = if *v6 { "v6" } else { "" }
    )]
    NoPrivilege {
        /// IPv6.
        v6: bool,
    },
    /// A socket operation failed.
    #[error("{op}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}
