//! The records of `mcast join`, `mcast send` and `bcast`: the `Serialize`
//! values that are the NDJSON of docs/json.md and that the human views
//! render.

use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

/// Said once, before the first datagram: what was joined (or bound).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct JoinedRecord {
    /// The group, or for `bcast listen` the unspecified address.
    pub group: IpAddr,
    /// The UDP port.
    pub port: u16,
    /// The sources of a source-specific join; empty: any source.
    pub sources: Vec<IpAddr>,
    /// The interface named, if one was.
    pub interface: Option<String>,
    /// "asm", "ssm" or, for `bcast listen`, "broadcast".
    pub mode: &'static str,
    /// The socket's receive buffer in bytes as the kernel gave it
    /// (`SO_RCVBUF` read back), once the socket is open.
    pub receive_buffer: Option<usize>,
}

impl JoinedRecord {
    /// The record for a join request.
    pub fn of(r: &super::JoinRequest) -> JoinedRecord {
        JoinedRecord {
            group: r.group.ip(),
            port: r.group.port(),
            sources: r.sources.clone(),
            interface: r.interface.as_ref().map(|i| i.name.clone()),
            mode: if r.sources.is_empty() { "asm" } else { "ssm" },
            receive_buffer: None,
        }
    }
}

/// One datagram received.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DatagramRecord {
    /// 1 for the first datagram received.
    pub seq: u64,
    /// The sender's address and port.
    pub from: Option<SocketAddr>,
    /// Its UDP payload's length in bytes.
    pub size: usize,
    /// Its TTL (IPv4) or hop limit (IPv6) on arrival.
    pub ttl: Option<u8>,
    /// Milliseconds since the join.
    pub elapsed_ms: f64,
    /// When it arrived, in seconds since the Unix epoch.
    pub unix_time: f64,
    /// The payload as text (invalid UTF-8 replaced), unless `--quiet`.
    pub payload: Option<String>,
}

/// How many came from one sender.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SenderTally {
    /// The sender.
    pub from: Option<SocketAddr>,
    /// Datagrams from it.
    pub received: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// The end of a receive.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct ReceiveSummary {
    /// Datagrams received.
    pub received: u64,
    /// Their payload bytes.
    pub bytes: u64,
    /// Per sender, in the order they were first heard.
    pub senders: Vec<SenderTally>,
    /// How long it listened, in milliseconds.
    pub elapsed_ms: f64,
    /// Whether `--timeout` ended it.
    pub timed_out: bool,
    /// Whether Ctrl-C / SIGTERM ended it.
    pub interrupted: bool,
    /// Whether a group was left at the end.
    pub left: bool,
}

/// One datagram sent.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SentRecord {
    /// 1 for the first.
    pub seq: u64,
    /// Where it went.
    pub to: SocketAddr,
    /// Its payload length.
    pub size: usize,
}

/// The end of a send.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SendSummary {
    /// Where they went.
    pub to: SocketAddr,
    /// Datagrams sent.
    pub sent: u64,
    /// Their payload bytes.
    pub bytes: u64,
    /// The TTL / hop limit they left with.
    pub ttl: u8,
    /// Whether Ctrl-C / SIGTERM ended it.
    pub interrupted: bool,
}
