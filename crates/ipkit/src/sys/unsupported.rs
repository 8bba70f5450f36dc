//! The POSIX-level calls (resolver, interface names, user id) for a system
//! that has no implementation of them: every lookup answers "not available".
//! Selected off Unix, and on any OS with `--cfg ipkit_unsupported`.

/// Not available on this OS.
pub fn name_to_index(_name: &str) -> Option<u32> {
    None
}

/// Not available on this OS.
pub fn index_to_name(_index: u32) -> Option<String> {
    None
}

/// AF_INET as Windows defines it.
pub const AF_INET: u16 = 2;
/// AF_INET6 as Windows defines it.
pub const AF_INET6: u16 = 23;

/// Not available on this OS yet.
pub fn getaddrinfo(
    _node: Option<&str>,
    _service: Option<&str>,
    _hints: &crate::resolve::Hints,
) -> Result<Vec<crate::resolve::AddrInfo>, crate::resolve::ResolveError> {
    Err(crate::resolve::ResolveError::Unsupported {
        flag: "getaddrinfo",
    })
}

/// Not available on this OS yet.
pub fn getnameinfo(
    _addr: &std::net::SocketAddr,
    _flags: crate::resolve::NiFlags,
) -> Result<(String, String), crate::resolve::ResolveError> {
    Err(crate::resolve::ResolveError::Unsupported {
        flag: "getnameinfo",
    })
}

/// Not available on this OS yet.
pub fn legacy_gethostbyname(
    _name: &str,
) -> Result<crate::resolve::HostEnt, crate::resolve::ResolveError> {
    Err(crate::resolve::ResolveError::Unsupported {
        flag: "gethostbyname",
    })
}

/// Not available on this OS yet.
pub fn legacy_inet_addr(_text: &str) -> Option<u32> {
    None
}

/// Not available on this OS yet.
pub fn legacy_inet_aton(_text: &str) -> Option<std::net::Ipv4Addr> {
    None
}

/// Formats as inet_ntoa does.
pub fn legacy_inet_ntoa(addr: std::net::Ipv4Addr) -> String {
    addr.to_string()
}

/// Not available on this OS yet.
pub fn real_uid() -> u32 {
    u32::MAX
}
