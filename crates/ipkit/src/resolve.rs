//! Name resolution through the C library: `getaddrinfo(3)` and
//! `getnameinfo(3)` with every flag, named, never written as numbers.
//!
//! This is the operating system's resolver on purpose — `/etc/hosts`,
//! nsswitch, resolv.conf's search list — as a program calling these functions
//! would see it. ipkit's own DNS client is another module. The flag and error
//! values differ between C libraries (glibc `NI_NUMERICHOST` is 1, Windows 2),
//! so this module speaks in names and [`crate::sys`] maps them.
//!
//! The calls block; async callers should run them on a blocking thread
//! (`tokio::task::spawn_blocking`), never on the runtime's workers.
//!
//! What it does not do: reorder or deduplicate. With socket type 0, glibc
//! returns one entry per address for each of stream, datagram and raw, and
//! may order AAAA before A (RFC 6724): callers see exactly that.

pub mod report;
pub mod request;

pub use request::{Request, run};

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};

use crate::sys;

/// An address family for the `ai_family` hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Family {
    /// AF_UNSPEC: any family.
    #[default]
    Unspec,
    /// AF_INET.
    Inet,
    /// AF_INET6.
    Inet6,
}

impl Family {
    /// The constant's name.
    pub fn name(self) -> &'static str {
        match self {
            Family::Unspec => "AF_UNSPEC",
            Family::Inet => "AF_INET",
            Family::Inet6 => "AF_INET6",
        }
    }
}

/// A socket type for the `ai_socktype` hint and in results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SockType {
    /// 0: any.
    #[default]
    Any,
    /// SOCK_STREAM.
    Stream,
    /// SOCK_DGRAM.
    Dgram,
    /// SOCK_RAW.
    Raw,
    /// A value this module has no name for.
    Other(i32),
}

impl SockType {
    /// The constant's name (`SOCK_STREAM` …), or the number.
    pub fn name(self) -> String {
        match self {
            SockType::Any => "0".into(),
            SockType::Stream => "SOCK_STREAM".into(),
            SockType::Dgram => "SOCK_DGRAM".into(),
            SockType::Raw => "SOCK_RAW".into(),
            SockType::Other(n) => n.to_string(),
        }
    }
}

/// A protocol for the `ai_protocol` hint and in results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// 0: any.
    #[default]
    Any,
    /// IPPROTO_TCP.
    Tcp,
    /// IPPROTO_UDP.
    Udp,
    /// A value this module has no name for.
    Other(i32),
}

impl Protocol {
    /// The constant's name (`IPPROTO_TCP` …), or the number.
    pub fn name(self) -> String {
        match self {
            Protocol::Any => "0".into(),
            Protocol::Tcp => "IPPROTO_TCP".into(),
            Protocol::Udp => "IPPROTO_UDP".into(),
            Protocol::Other(n) => n.to_string(),
        }
    }
}

/// `ai_flags`, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AiFlags {
    /// AI_PASSIVE: a wildcard address for bind() when there is no name.
    pub passive: bool,
    /// AI_CANONNAME: return the canonical name in the first entry.
    pub canonname: bool,
    /// AI_NUMERICHOST: the name must be a numeric address; no lookup.
    pub numerichost: bool,
    /// AI_NUMERICSERV: the service must be a port number.
    pub numericserv: bool,
    /// AI_ADDRCONFIG: only families the host has an address of.
    pub addrconfig: bool,
    /// AI_V4MAPPED: with AF_INET6, IPv4 answers as ::ffff:a.b.c.d.
    pub v4mapped: bool,
    /// AI_ALL: with V4MAPPED, both native IPv6 and mapped IPv4.
    pub all: bool,
    /// AI_IDN: convert an internationalised name to punycode (glibc).
    pub idn: bool,
}

impl AiFlags {
    /// The names of the flags that are set, `AI_` prefixed.
    pub fn names(&self) -> Vec<&'static str> {
        let all = [
            (self.passive, "AI_PASSIVE"),
            (self.canonname, "AI_CANONNAME"),
            (self.numerichost, "AI_NUMERICHOST"),
            (self.numericserv, "AI_NUMERICSERV"),
            (self.addrconfig, "AI_ADDRCONFIG"),
            (self.v4mapped, "AI_V4MAPPED"),
            (self.all, "AI_ALL"),
            (self.idn, "AI_IDN"),
        ];
        all.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect()
    }
}

/// `getnameinfo` flags, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NiFlags {
    /// NI_NOFQDN: only the host part of local names.
    pub nofqdn: bool,
    /// NI_NUMERICHOST: the numeric address, no lookup.
    pub numerichost: bool,
    /// NI_NAMEREQD: fail when the address has no name.
    pub namereqd: bool,
    /// NI_NUMERICSERV: the port number, not the service name.
    pub numericserv: bool,
    /// NI_DGRAM: look the port up as a UDP service.
    pub dgram: bool,
}

impl NiFlags {
    /// The names of the flags that are set, in the sample's order.
    pub fn names(&self) -> Vec<&'static str> {
        let all = [
            (self.nofqdn, "NI_NOFQDN"),
            (self.numerichost, "NI_NUMERICHOST"),
            (self.namereqd, "NI_NAMEREQD"),
            (self.numericserv, "NI_NUMERICSERV"),
            (self.dgram, "NI_DGRAM"),
        ];
        all.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect()
    }
}

/// The hints for one `getaddrinfo` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Hints {
    /// ai_family.
    pub family: Family,
    /// ai_socktype.
    pub socktype: SockType,
    /// ai_protocol.
    pub protocol: Protocol,
    /// ai_flags.
    pub flags: AiFlags,
}

/// One entry of a `getaddrinfo` result list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrInfo {
    /// The entry's family.
    pub family: Family,
    /// The entry's socket type.
    pub socktype: SockType,
    /// The entry's protocol.
    pub protocol: Protocol,
    /// The socket address (IPv6 with flowinfo and scope id).
    pub addr: SocketAddr,
    /// ai_canonname (the C library sets it on the first entry only).
    pub canonname: Option<String>,
}

/// An `EAI_*` error code, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EaiCode {
    /// EAI_NONAME: the name or service is not known.
    NoName,
    /// EAI_AGAIN: temporary failure (no answer from the name server).
    Again,
    /// EAI_FAIL: non-recoverable failure.
    Fail,
    /// EAI_FAMILY: the family is not supported.
    Family,
    /// EAI_SOCKTYPE: the socket type is not supported.
    SockType,
    /// EAI_SERVICE: the service is not available for the socket type.
    Service,
    /// EAI_BADFLAGS: invalid flags.
    BadFlags,
    /// EAI_MEMORY: out of memory.
    Memory,
    /// EAI_SYSTEM: a system error, in errno.
    System,
    /// EAI_NODATA: the name has no address (glibc).
    NoData,
    /// EAI_ADDRFAMILY: the name has no address in the family (glibc).
    AddrFamily,
    /// EAI_OVERFLOW: a buffer was too small.
    Overflow,
    /// EAI_IDN_ENCODE: IDN encoding failed (glibc).
    IdnEncode,
    /// A value this module has no name for.
    Other(i32),
}

impl EaiCode {
    /// The constant's name.
    pub fn name(self) -> String {
        match self {
            EaiCode::NoName => "EAI_NONAME".into(),
            EaiCode::Again => "EAI_AGAIN".into(),
            EaiCode::Fail => "EAI_FAIL".into(),
            EaiCode::Family => "EAI_FAMILY".into(),
            EaiCode::SockType => "EAI_SOCKTYPE".into(),
            EaiCode::Service => "EAI_SERVICE".into(),
            EaiCode::BadFlags => "EAI_BADFLAGS".into(),
            EaiCode::Memory => "EAI_MEMORY".into(),
            EaiCode::System => "EAI_SYSTEM".into(),
            EaiCode::NoData => "EAI_NODATA".into(),
            EaiCode::AddrFamily => "EAI_ADDRFAMILY".into(),
            EaiCode::Overflow => "EAI_OVERFLOW".into(),
            EaiCode::IdnEncode => "EAI_IDN_ENCODE".into(),
            EaiCode::Other(n) => format!("EAI_{n}"),
        }
    }
}

/// A failed resolver call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// The C library returned an `EAI_*` code.
    #[error("{call} failed for {subject}: {} ({message})", code.name())]
    Gai {
        /// `getaddrinfo` or `getnameinfo`.
        call: &'static str,
        /// What was being resolved.
        subject: String,
        /// The code.
        code: EaiCode,
        /// `gai_strerror`'s text (with errno's text for EAI_SYSTEM).
        message: String,
    },
    /// A name or service with a NUL byte cannot be passed to C.
    #[error("{what} contains a NUL byte, which the C resolver cannot take")]
    EmbeddedNul {
        /// "host name" or "service".
        what: &'static str,
    },
    /// gethostbyname failed; h_errno says why.
    #[error("gethostbyname failed for '{name}': {}", code.name())]
    HostEnt {
        /// The name.
        name: String,
        /// h_errno.
        code: HErrno,
    },
    /// A flag this C library does not have.
    #[error("{flag} is not supported by this system's C library")]
    Unsupported {
        /// The flag's name.
        flag: &'static str,
    },
}

impl ResolveError {
    /// The `EAI_*` code, when the C library gave one.
    pub fn code(&self) -> Option<EaiCode> {
        match self {
            ResolveError::Gai { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Call `getaddrinfo(node, service, hints)`. At least one of node and
/// service must be given (the C library says EAI_NONAME otherwise).
///
/// # Examples
/// ```
/// use ipkit::resolve::{getaddrinfo, Hints, AiFlags, SockType};
/// let hints = Hints { socktype: SockType::Stream, flags: AiFlags { numerichost: true, ..Default::default() }, ..Default::default() };
/// let list = getaddrinfo(Some("127.0.0.1"), Some("80"), &hints).unwrap();
/// assert_eq!(list[0].addr, "127.0.0.1:80".parse().unwrap());
/// ```
pub fn getaddrinfo(
    node: Option<&str>,
    service: Option<&str>,
    hints: &Hints,
) -> Result<Vec<AddrInfo>, ResolveError> {
    sys::getaddrinfo(node, service, hints)
}

/// Call `getnameinfo(addr, flags)`, returning (host, service).
///
/// # Examples
/// ```
/// use ipkit::resolve::{getnameinfo, NiFlags};
/// let flags = NiFlags { numerichost: true, numericserv: true, ..Default::default() };
/// let (host, serv) = getnameinfo(&"[::1]:443".parse().unwrap(), flags).unwrap();
/// assert_eq!((host.as_str(), serv.as_str()), ("::1", "443"));
/// ```
pub fn getnameinfo(addr: &SocketAddr, flags: NiFlags) -> Result<(String, String), ResolveError> {
    sys::getnameinfo(addr, flags)
}

/// The legacy resolver's `h_errno` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HErrno {
    /// HOST_NOT_FOUND.
    HostNotFound,
    /// TRY_AGAIN.
    TryAgain,
    /// NO_RECOVERY.
    NoRecovery,
    /// NO_DATA: the name exists but has no IPv4 address.
    NoData,
    /// Another value.
    Other(i32),
}

impl HErrno {
    /// The constant's name and meaning.
    pub fn name(self) -> String {
        match self {
            HErrno::HostNotFound => "HOST_NOT_FOUND (unknown host)".into(),
            HErrno::TryAgain => {
                "TRY_AGAIN (temporary failure, no answer from the name server)".into()
            }
            HErrno::NoRecovery => "NO_RECOVERY (non-recoverable error)".into(),
            HErrno::NoData => "NO_DATA (the name has no IPv4 address)".into(),
            HErrno::Other(n) => format!("h_errno {n}"),
        }
    }
}

/// What `gethostbyname(3)` returned: the official name, aliases and IPv4
/// addresses only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostEnt {
    /// h_name.
    pub name: String,
    /// h_aliases.
    pub aliases: Vec<String>,
    /// h_addr_list (AF_INET only: the legacy call cannot return IPv6 here).
    pub addresses: Vec<std::net::Ipv4Addr>,
}

/// Why getaddrinfo replaced the legacy calls, in one line.
pub const LEGACY_WHY: &str = "getaddrinfo/getnameinfo replaced these (RFC 3493): gethostbyname returns only IPv4 addresses, \
shares one static buffer (not thread-safe) and knows nothing of services or socket types; \
inet_addr cannot tell 255.255.255.255 from its error value INADDR_NONE and accepts ambiguous forms like 127.1.";

/// The legacy `gethostbyname(3)`.
///
/// # Examples
/// ```
/// let h = ipkit::resolve::gethostbyname("127.0.0.1").unwrap();
/// assert_eq!(h.addresses, vec![std::net::Ipv4Addr::LOCALHOST]);
/// ```
pub fn gethostbyname(name: &str) -> Result<HostEnt, ResolveError> {
    sys::legacy_gethostbyname(name)
}

/// The legacy `inet_addr(3)`, in network byte order; None for INADDR_NONE.
pub fn inet_addr(text: &str) -> Option<u32> {
    sys::legacy_inet_addr(text)
}

/// The legacy `inet_aton(3)`.
///
/// # Examples
/// ```
/// assert_eq!(ipkit::resolve::inet_aton("127.1"), Some(std::net::Ipv4Addr::LOCALHOST));
/// ```
pub fn inet_aton(text: &str) -> Option<std::net::Ipv4Addr> {
    sys::legacy_inet_aton(text)
}

/// The legacy `inet_ntoa(3)`.
pub fn inet_ntoa(addr: std::net::Ipv4Addr) -> String {
    sys::legacy_inet_ntoa(addr)
}

/// Host names of addresses (reverse lookups with `NI_NAMEREQD`, so a
/// number is never taken for a name), each asked once: the one cache every
/// report that shows host names uses (ping, sweeps, sockets).
#[derive(Debug, Clone, Default)]
pub struct ReverseNames {
    cache: HashMap<IpAddr, Option<std::sync::Arc<str>>>,
}

impl ReverseNames {
    /// The name of `ip` if it was looked up and has one.
    pub fn known(&self, ip: IpAddr) -> Option<&str> {
        self.cache.get(&ip)?.as_deref()
    }

    /// The name of `ip`, None when it has none (or the lookup failed). The
    /// unspecified address is not looked up.
    pub fn get(&mut self, ip: IpAddr) -> Option<std::sync::Arc<str>> {
        if ip.is_unspecified() {
            return None;
        }
        self.cache
            .entry(ip)
            .or_insert_with(|| {
                let flags = crate::resolve::NiFlags {
                    namereqd: true,
                    ..Default::default()
                };
                crate::resolve::getnameinfo(&std::net::SocketAddr::new(ip, 0), flags)
                    .ok()
                    .map(|(host, _)| std::sync::Arc::from(host))
            })
            .clone()
    }
}
