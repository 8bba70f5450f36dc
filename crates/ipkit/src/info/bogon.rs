//! Bogons: addresses in a special-purpose block that is not globally
//! reachable (private, loopback, link-local, documentation, shared,
//! reserved …), answered as ipinfo answers them (`"bogon": true`) with no
//! lookup and no DNS. The blocks are the IANA registries' in
//! [`ipkit_core::addr`].

use std::net::IpAddr;

use ipkit_core::addr::{Block, is_global, special_blocks};

/// Whether `ip` is a bogon: not globally reachable per the IANA registries.
///
/// # Examples
/// ```
/// use ipkit::info::bogon::is_bogon;
/// assert!(is_bogon("10.1.2.3".parse().unwrap()));
/// assert!(is_bogon("::1".parse().unwrap()));
/// assert!(!is_bogon("8.8.8.8".parse().unwrap()));
/// ```
pub fn is_bogon(ip: IpAddr) -> bool {
    !is_global(ip)
}

/// The most specific special-purpose block `ip` is in (e.g. `10.0.0.0/8`
/// "Private-Use"), for the human view.
pub fn block(ip: IpAddr) -> Option<Block> {
    special_blocks(ip).into_iter().next()
}
