//! The ICMP echo engine behind `ipkit ping`.
//!
//! [`track`] decides (pure); the socket side lives in [`crate::sys`]; the
//! engines ([`session`] for one target, [`sweep`] for many) are async and run
//! on tokio (a current-thread runtime with IO and time is enough): they wait
//! for socket readiness with `AsyncFd` and for send times with tokio's timer,
//! so a program can ping from its own runtime without giving up a thread.

pub mod report;
pub mod request;
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

/// Wait until `socket` has something to read (a packet, or an error on its
/// error queue), or `limit` passes. The readiness is cleared first, so the
/// caller must then read until the socket would block.
pub(crate) async fn wait_readable(
    socket: &tokio::io::unix::AsyncFd<crate::sys::IcmpSocket>,
    limit: std::time::Duration,
) -> Result<(), PingError> {
    let interest = tokio::io::Interest::READABLE | tokio::io::Interest::ERROR;
    match tokio::time::timeout(limit, socket.ready(interest)).await {
        Ok(Ok(mut guard)) => {
            guard.clear_ready();
            Ok(())
        }
        Ok(Err(source)) => Err(PingError::Io {
            op: "waiting for replies",
            source,
        }),
        Err(_elapsed) => Ok(()),
    }
}

/// Register an ICMP socket with the running tokio reactor.
pub(crate) fn register(
    socket: crate::sys::IcmpSocket,
) -> Result<tokio::io::unix::AsyncFd<crate::sys::IcmpSocket>, PingError> {
    socket.into_async().map_err(|source| PingError::Io {
        op: "registering the socket with the async runtime (run inside tokio with IO enabled)",
        source,
    })
}

/// Where and how probes leave, the same for a session and a sweep: the
/// source address (bound even when None, so a datagram socket gets its
/// identifier), the interface, the TTL / hop limit and the TOS.
pub(crate) fn configure(
    sock: &crate::sys::IcmpSocket,
    source: Option<std::net::IpAddr>,
    interface: Option<&str>,
    ttl: Option<u32>,
    tos: Option<u32>,
) -> Result<(), PingError> {
    let io = |op| move |source| PingError::Io { op, source };
    sock.bind(source)
        .map_err(io("binding the source address"))?;
    if let Some(i) = interface {
        sock.bind_device(i)
            .map_err(io("binding to the interface"))?;
    }
    if let Some(t) = ttl {
        sock.set_ttl(t).map_err(io("setting the TTL"))?;
    }
    if let Some(t) = tos {
        sock.set_tos(t).map_err(io("setting the TOS"))?;
    }
    Ok(())
}
