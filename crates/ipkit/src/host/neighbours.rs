//! The neighbour tables: ARP (IPv4) and NDP (IPv6), as `arp -a`, `ip neigh`
//! and Windows' `arp -a/-s/-d` show and change them: the table trait, the
//! listing's [`NeighbourQuery`], and the choices a change needs made first
//! (which interface an entry goes on, which entries a flush deletes).

use std::net::IpAddr;

use ipkit_core::host::MacAddr;
use serde::Serialize;

use super::HostError;
use super::interfaces::InterfaceTable;

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

/// The index of the interface called `name`.
pub fn interface_index(table: &dyn NeighbourTable, name: &str) -> Result<u32, HostError> {
    table
        .interface_index(name)
        .ok_or_else(|| HostError::NoInterface(name.to_string()))
}

/// The interface whose own prefix holds `addr`: where `arp -s` without an
/// interface puts the entry (a host route, /32 or /128, holds only itself
/// and does not count).
pub fn interface_for(table: &dyn InterfaceTable, addr: IpAddr) -> Result<u32, HostError> {
    for i in table.interfaces()? {
        for a in &i.addresses {
            let same =
                match (a.addr, addr) {
                    (IpAddr::V4(x), IpAddr::V4(y)) => ipkit_core::Ipv4Net::new(x, a.prefix_len)
                        .is_some_and(|n| n.trunc().contains(y)),
                    (IpAddr::V6(x), IpAddr::V6(y)) => ipkit_core::Ipv6Net::new(x, a.prefix_len)
                        .is_some_and(|n| n.trunc().contains(y)),
                    _ => false,
                };
            if same && a.prefix_len < if addr.is_ipv4() { 32 } else { 128 } {
                return Ok(i.index);
            }
        }
    }
    Err(HostError::NoInterfaceOn(addr))
}

/// Which interfaces a listing covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterfaceChoice {
    /// The one with this name.
    Named(String),
    /// The one that has this address (Windows `arp -N IF_ADDR`).
    WithAddress(IpAddr),
}

/// Which neighbour entries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NeighbourQuery {
    /// Only this interface.
    pub interface: Option<InterfaceChoice>,
    /// IPv4 (ARP) only.
    pub v4_only: bool,
    /// IPv6 (NDP) only.
    pub v6_only: bool,
    /// Also the NOARP entries the kernel computes (multicast and the like).
    pub all_states: bool,
}

impl NeighbourQuery {
    /// Is `addr` of a family the query keeps?
    pub fn family_ok(&self, addr: IpAddr) -> bool {
        !(self.v4_only && addr.is_ipv6() || self.v6_only && addr.is_ipv4())
    }
}

/// The entries `q` asks for, by interface index, IPv4 first, then address.
pub fn list<T: NeighbourTable + InterfaceTable>(
    table: &T,
    q: &NeighbourQuery,
) -> Result<Vec<Neighbour>, HostError> {
    let only = match &q.interface {
        Some(InterfaceChoice::Named(n)) => Some(interface_index(table, n)?),
        Some(InterfaceChoice::WithAddress(a)) => Some(
            table
                .interfaces()?
                .into_iter()
                .find(|i| i.addresses.iter().any(|x| x.addr == *a))
                .map(|i| i.index)
                .ok_or(HostError::NoInterfaceWith(*a))?,
        ),
        None => None,
    };
    let mut list: Vec<Neighbour> = table
        .neighbours()?
        .into_iter()
        .filter(|n| only.is_none_or(|i| n.ifindex == i) && q.family_ok(n.addr))
        .filter(|n| q.all_states || !n.state.contains(&"NOARP"))
        .collect();
    list.sort_by(|a, b| {
        (a.ifindex, a.addr.is_ipv6(), a.addr).cmp(&(b.ifindex, b.addr.is_ipv6(), b.addr))
    });
    Ok(list)
}

/// The entries a flush of interface `ifindex` deletes: its dynamic and
/// static ones of the families `q` keeps, not the NOARP ones.
pub fn flush_victims(
    table: &dyn NeighbourTable,
    ifindex: u32,
    q: &NeighbourQuery,
) -> Result<Vec<Neighbour>, HostError> {
    Ok(table
        .neighbours()?
        .into_iter()
        .filter(|n| n.ifindex == ifindex && !n.state.contains(&"NOARP"))
        .filter(|n| q.family_ok(n.addr))
        .collect())
}

/// The interfaces that have an entry for `addr` (all of them, when no
/// interface is named).
pub fn entries_of(
    table: &dyn NeighbourTable,
    addr: IpAddr,
    ifindex: Option<u32>,
) -> Result<Vec<u32>, HostError> {
    Ok(match ifindex {
        Some(i) => vec![i],
        None => table
            .neighbours()?
            .into_iter()
            .filter(|n| n.addr == addr)
            .map(|n| n.ifindex)
            .collect(),
    })
}

/// The address an interface heads its block with in Windows' `arp -a`
/// (`Interface: 10.0.0.5 --- 0x2`): its first of `neighbour`'s family, or
/// else the neighbour's interface name.
pub fn own_address(interfaces: &[super::Interface], neighbour: &Neighbour) -> String {
    interfaces
        .iter()
        .find(|i| i.index == neighbour.ifindex)
        .and_then(|i| {
            i.addresses
                .iter()
                .find(|a| a.addr.is_ipv4() == neighbour.addr.is_ipv4())
        })
        .map_or_else(|| neighbour.interface.clone(), |a| a.addr.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{Address, DhcpLease, DnsConfig, Interface, Route};

    /// Interfaces only: eth0 on 10.0.0.0/24 and 2001:db8::/64, lo, and a
    /// host route (/32) that holds nothing but itself.
    struct Fake;

    fn interface(index: u32, name: &str, addrs: &[(&str, u8)]) -> Interface {
        Interface {
            index,
            name: name.into(),
            alias: None,
            kind: None,
            driver: None,
            mac: None,
            oper_state: "UP".into(),
            carrier: None,
            flags: Vec::new(),
            mtu: None,
            addresses: addrs
                .iter()
                .map(|(a, len)| Address {
                    addr: a.parse().unwrap(),
                    prefix_len: *len,
                    broadcast: None,
                    scope: "global".into(),
                    flags: Vec::new(),
                    preferred_lifetime: None,
                    valid_lifetime: None,
                })
                .collect(),
            ipv6_autoconf: None,
            ipv6_accept_ra: None,
        }
    }

    impl InterfaceTable for Fake {
        fn interfaces(&self) -> Result<Vec<Interface>, HostError> {
            Ok(vec![
                interface(1, "lo", &[("127.0.0.1", 8)]),
                interface(2, "eth0", &[("10.0.0.5", 24), ("2001:db8::5", 64)]),
                interface(3, "tun0", &[("192.0.2.1", 32)]),
            ])
        }
        fn routes(&self) -> Result<Vec<Route>, HostError> {
            Ok(Vec::new())
        }
        fn dns(&self, _: Option<u32>) -> Option<DnsConfig> {
            None
        }
        fn dhcp_leases(&self, _: &str, _: u32) -> Vec<DhcpLease> {
            Vec::new()
        }
        fn host_name(&self) -> String {
            String::new()
        }
    }

    #[test]
    fn an_entry_goes_on_the_interface_whose_prefix_holds_it() {
        let on = |a: &str| interface_for(&Fake, a.parse().unwrap());
        assert_eq!(on("10.0.0.7").unwrap(), 2);
        assert_eq!(on("2001:db8::7").unwrap(), 2);
        assert_eq!(on("127.9.9.9").unwrap(), 1);
        // A /32 holds only itself: no interface is on its "network".
        for a in ["192.0.2.1", "198.51.100.1", "2001:db9::1"] {
            assert!(
                matches!(on(a), Err(HostError::NoInterfaceOn(x)) if x.to_string() == a),
                "{a}"
            );
        }
    }

    #[test]
    fn a_family_filter_keeps_its_family() {
        let v4: IpAddr = "10.0.0.7".parse().unwrap();
        let v6: IpAddr = "2001:db8::7".parse().unwrap();
        let both = NeighbourQuery::default();
        assert!(both.family_ok(v4) && both.family_ok(v6));
        let only4 = NeighbourQuery {
            v4_only: true,
            ..NeighbourQuery::default()
        };
        assert!(only4.family_ok(v4) && !only4.family_ok(v6));
    }
}
