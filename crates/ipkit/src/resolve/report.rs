//! The report of a resolution: one [`ResolveReport`] (or [`LegacyReport`]
//! for the legacy calls), the JSON contract of `ipkit resolve --json`
//! (docs/json.md) and the values its human views render from.

use super::ResolveError;
use serde::Serialize;

/// The whole result.
#[derive(Debug, Serialize)]
pub struct ResolveReport {
    /// What was asked.
    pub query: QueryReport,
    /// ai_canonname of the answer, when the C library gave one.
    pub canonical_name: Option<String>,
    /// Every entry getaddrinfo returned, in its order.
    pub entries: Vec<EntryReport>,
}

/// What was asked.
#[derive(Debug, Serialize)]
pub struct QueryReport {
    /// -n, the host name.
    pub name: Option<String>,
    /// -s, the service.
    pub service: Option<String>,
    /// AF_UNSPEC, AF_INET or AF_INET6.
    pub family: &'static str,
    /// "0" (any), SOCK_STREAM or SOCK_DGRAM.
    pub socktype: String,
    /// "0" (any), IPPROTO_TCP or IPPROTO_UDP.
    pub protocol: String,
    /// NI_* flags given with -f.
    pub ni_flags: Vec<&'static str>,
    /// The ai_flags of each getaddrinfo call made, in order.
    pub attempts: Vec<Vec<&'static str>>,
}

/// One getaddrinfo entry and its getnameinfo answer.
#[derive(Debug, Serialize)]
pub struct EntryReport {
    /// 1-based, as the sample numbers them.
    pub index: usize,
    /// AF_INET or AF_INET6.
    pub family: &'static str,
    /// SOCK_STREAM, SOCK_DGRAM, SOCK_RAW or a number.
    pub socktype: String,
    /// IPPROTO_TCP, IPPROTO_UDP, or a number ("0" for raw).
    pub protocol: String,
    /// The numeric address (NI_NUMERICHOST), with %zone for scoped IPv6.
    pub address: String,
    /// The port.
    pub port: u16,
    /// sin6_scope_id (IPv6 only).
    pub scope_id: Option<u32>,
    /// ai_canonname of this entry.
    pub canonname: Option<String>,
    /// getnameinfo's host, with the requested flags.
    pub host: Option<String>,
    /// getnameinfo's service, with the requested flags.
    pub service: Option<String>,
    /// getnameinfo's failure for this address, if it failed.
    pub error: Option<ErrorReport>,
}

/// A resolver error.
#[derive(Debug, Serialize)]
pub struct ErrorReport {
    /// The EAI_* name.
    pub code: String,
    /// The C library's text.
    pub message: String,
}

impl From<&ResolveError> for ErrorReport {
    fn from(e: &ResolveError) -> Self {
        match e {
            ResolveError::Gai { code, message, .. } => ErrorReport {
                code: code.name(),
                message: message.clone(),
            },
            other => ErrorReport {
                code: "ERROR".into(),
                message: other.to_string(),
            },
        }
    }
}

/// `ipkit resolve --legacy --json`.
#[derive(Debug, Serialize)]
pub struct LegacyReport {
    /// The name given.
    pub name: String,
    /// h_name.
    pub official_name: String,
    /// h_aliases.
    pub aliases: Vec<String>,
    /// h_addr_list through inet_ntoa (IPv4 only).
    pub addresses: Vec<String>,
    /// inet_addr of the name, host order hex; null for INADDR_NONE.
    pub inet_addr: Option<String>,
    /// Why getaddrinfo replaced these calls.
    pub why: &'static str,
}
