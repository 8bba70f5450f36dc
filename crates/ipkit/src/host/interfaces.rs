//! Interfaces as `ipconfig /all`, `ip addr` and `netsh interface ipv6 show
//! interface` show them: link facts, addresses with their lifetimes and
//! flags, default gateways, DNS configuration and DHCP leases — each field
//! from the source that really holds it, or marked as not available — and
//! the [`InterfacesReport`] that joins them (routes → gateways per interface).

use std::net::{IpAddr, Ipv4Addr};

use ipkit_core::host::MacAddr;
use serde::Serialize;

use super::HostError;

/// One interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interface {
    /// Kernel index.
    pub index: u32,
    /// Name (`eth0`).
    pub name: String,
    /// Its alias (`ip link set … alias`), when set.
    pub alias: Option<String>,
    /// Link kind (`veth`, `bridge`, `vlan` …) from the kernel's link info.
    pub kind: Option<String>,
    /// The driver bound to the device (sysfs), for hardware interfaces.
    pub driver: Option<String>,
    /// Link-layer address.
    pub mac: Option<MacAddr>,
    /// Operational state (`UP`, `DOWN`, `LOWERLAYERDOWN`, `UNKNOWN` …).
    pub oper_state: String,
    /// Carrier present.
    pub carrier: Option<bool>,
    /// Flags (`UP`, `BROADCAST`, `LOOPBACK`, `MULTICAST`, `RUNNING` …).
    pub flags: Vec<String>,
    /// MTU in bytes.
    pub mtu: Option<u32>,
    /// Addresses, IPv4 first.
    pub addresses: Vec<Address>,
    /// IPv6 stateless autoconfiguration enabled (`…/conf/IF/autoconf`).
    pub ipv6_autoconf: Option<bool>,
    /// Router advertisements accepted (`…/conf/IF/accept_ra`: 0, 1, 2).
    pub ipv6_accept_ra: Option<u8>,
}

/// An address on an interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address {
    /// The address.
    pub addr: IpAddr,
    /// Prefix length.
    pub prefix_len: u8,
    /// IPv4 broadcast address.
    pub broadcast: Option<Ipv4Addr>,
    /// Scope (`global`, `link`, `host`, `site`).
    pub scope: String,
    /// Flags: `deprecated`, `tentative`, `temporary`, `permanent`,
    /// `dadfailed`, `optimistic`, `mngtmpaddr`, `noprefixroute` …
    pub flags: Vec<String>,
    /// Seconds the address stays preferred (None: forever).
    pub preferred_lifetime: Option<u32>,
    /// Seconds the address stays valid (None: forever).
    pub valid_lifetime: Option<u32>,
}

/// A route (defaults are what `ipconfig` calls the default gateway).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    /// Destination prefix (`0.0.0.0/0`, `::/0` for defaults).
    pub destination: String,
    /// Next hop, when the route has one.
    pub gateway: Option<IpAddr>,
    /// Outgoing interface index.
    pub ifindex: u32,
    /// Metric (priority); lower wins.
    pub metric: u32,
    /// IPv6.
    pub v6: bool,
}

impl Route {
    /// A default route.
    pub fn is_default(&self) -> bool {
        self.destination == "0.0.0.0/0" || self.destination == "::/0"
    }
}

/// Where names are resolved, for the host or one interface.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DnsConfig {
    /// Servers in order.
    pub servers: Vec<IpAddr>,
    /// Search domains.
    pub search: Vec<String>,
    /// Where this came from (`/etc/resolv.conf`, `systemd-resolved (link 2)` …).
    pub source: String,
}

/// A DHCP lease, as the client that owns the interface recorded it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DhcpLease {
    /// The client (`dhclient`, `systemd-networkd`, `NetworkManager`).
    pub client: String,
    /// The lease file read.
    pub file: String,
    /// The leased address.
    pub address: Option<IpAddr>,
    /// The DHCP server.
    pub server: Option<IpAddr>,
    /// When the lease was obtained (Unix seconds).
    pub obtained: Option<u64>,
    /// When it expires (Unix seconds).
    pub expires: Option<u64>,
    /// DHCPv6: the IAID.
    pub iaid: Option<String>,
    /// DHCPv6: the client's DUID.
    pub duid: Option<String>,
    /// IPv6 lease.
    pub v6: bool,
}

/// The interface table.
pub trait InterfaceTable {
    /// Every interface with its addresses.
    fn interfaces(&self) -> Result<Vec<Interface>, HostError>;
    /// The main routing table, both families.
    fn routes(&self) -> Result<Vec<Route>, HostError>;
    /// The host's DNS configuration, and an interface's own when the system
    /// keeps one per link (systemd-resolved).
    fn dns(&self, ifindex: Option<u32>) -> Option<DnsConfig>;
    /// DHCP leases for an interface, from the clients' lease files.
    fn dhcp_leases(&self, name: &str, index: u32) -> Vec<DhcpLease>;
    /// The host name.
    fn host_name(&self) -> String;
}

/// One interface as `ipkit if` reports it: the table's facts joined with
/// its routes, DNS configuration and DHCP leases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterfaceReport {
    /// The interface.
    #[serde(flatten)]
    pub interface: Interface,
    /// Its default gateways, lowest metric first.
    pub gateways: Vec<IpAddr>,
    /// The lowest metric among the interface's routes.
    pub metric: Option<u32>,
    /// Its DNS configuration (its own, or the host's).
    pub dns: Option<DnsConfig>,
    /// Its DHCP leases.
    pub dhcp: Vec<DhcpLease>,
}

/// Everything `ipkit if` shows (its JSON document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterfacesReport {
    /// The host name.
    pub host_name: String,
    /// The default routes, by family then metric.
    pub default_routes: Vec<Route>,
    /// The host's DNS configuration.
    pub dns: Option<DnsConfig>,
    /// The interfaces, by index.
    pub interfaces: Vec<InterfaceReport>,
    /// The whole main routing table (netsh's per-interface IPv6 metric);
    /// not in the JSON.
    #[serde(skip)]
    pub routes: Vec<Route>,
}

impl InterfacesReport {
    /// Read the tables: every interface, or only the one called `name`.
    pub fn build(
        table: &dyn InterfaceTable,
        name: Option<&str>,
    ) -> Result<InterfacesReport, HostError> {
        let mut interfaces = table.interfaces()?;
        if let Some(name) = name {
            interfaces.retain(|i| i.name == name);
            if interfaces.is_empty() {
                return Err(HostError::NoInterface(name.to_string()));
            }
        }
        let routes = table.routes()?;
        let interfaces = interfaces
            .into_iter()
            .map(|i| {
                let mine: Vec<&Route> = routes.iter().filter(|r| r.ifindex == i.index).collect();
                InterfaceReport {
                    // Routes are sorted by metric: defaults lowest first.
                    gateways: mine
                        .iter()
                        .filter(|r| r.is_default())
                        .filter_map(|r| r.gateway)
                        .collect(),
                    metric: mine.iter().map(|r| r.metric).min(),
                    dns: table.dns(Some(i.index)),
                    dhcp: table.dhcp_leases(&i.name, i.index),
                    interface: i,
                }
            })
            .collect();
        Ok(InterfacesReport {
            host_name: table.host_name(),
            default_routes: routes.iter().filter(|r| r.is_default()).cloned().collect(),
            dns: table.dns(None),
            interfaces,
            routes,
        })
    }
}
