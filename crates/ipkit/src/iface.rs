//! Interface names and indexes, the two spellings of an IPv6 zone id
//! (`fe80::1%eth0` and `fe80::1%2`, RFC 4007 §11).
//!
//! This module only looks up; the platform calls are in [`crate::sys`].

use crate::sys;

/// An interface as the zone id of a scoped address names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// The kernel's index (the `sin6_scope_id` value).
    pub index: u32,
    /// The interface name, e.g. `eth0`.
    pub name: String,
}

/// Resolve a zone id, given as a name or a decimal index, to the interface it
/// names on this host. `None` when no such interface exists here.
///
/// # Examples
/// ```
/// let lo = ipkit::iface::resolve_zone("lo").expect("every Linux host has lo");
/// assert_eq!(ipkit::iface::resolve_zone(&lo.index.to_string()), Some(lo));
/// ```
pub fn resolve_zone(zone: &str) -> Option<Interface> {
    if !zone.is_empty() && zone.bytes().all(|b| b.is_ascii_digit()) {
        let index: u32 = zone.parse().ok()?;
        let name = sys::index_to_name(index)?;
        Some(Interface { index, name })
    } else {
        let index = sys::name_to_index(zone)?;
        Some(Interface {
            index,
            name: zone.to_string(),
        })
    }
}
