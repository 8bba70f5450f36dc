//! The neighbour tables: ARP (IPv4) and NDP (IPv6), as `arp -a`, `ip neigh`
//! and Windows' `arp -a/-s/-d` show and change them.

use std::net::IpAddr;

use ipkit_core::host::MacAddr;
use serde::Serialize;

use super::HostError;

/// One neighbour entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Neighbour {
    /// The neighbour's IP address.
    pub addr: IpAddr,
    /// Its link-layer address (None while INCOMPLETE or FAILED).
    pub mac: Option<MacAddr>,
    /// Interface index.
    pub ifindex: u32,
    /// Interface name.
    pub interface: String,
    /// NUD state names (`REACHABLE`, `STALE`, `PERMANENT` …).
    pub state: Vec<&'static str>,
    /// The neighbour said it is a router (NDP).
    pub router: bool,
}

impl Neighbour {
    /// A static entry (PERMANENT or NOARP), as Windows calls "static".
    pub fn is_static(&self) -> bool {
        self.state
            .iter()
            .any(|s| *s == "PERMANENT" || *s == "NOARP")
    }
}

/// The neighbour table.
pub trait NeighbourTable {
    /// Every IPv4 and IPv6 neighbour entry.
    fn neighbours(&self) -> Result<Vec<Neighbour>, HostError>;
    /// Add or replace a permanent entry.
    fn add_permanent(&self, addr: IpAddr, mac: MacAddr, ifindex: u32) -> Result<(), HostError>;
    /// Delete one entry.
    fn delete(&self, addr: IpAddr, ifindex: u32) -> Result<(), HostError>;
    /// An interface's index by name.
    fn interface_index(&self, name: &str) -> Option<u32>;
}
