//! Linux's host tables: rtnetlink for links, addresses, routes and
//! neighbours; NETLINK_SOCK_DIAG for sockets; /proc for processes; sysfs,
//! /proc/sys and the resolvers' and DHCP clients' own files for the rest.

use std::net::IpAddr;

use ipkit_core::host::MacAddr;
use netlink_packet_route::address::{AddressAttribute, AddressMessage, AddressScope};
use netlink_packet_route::link::{LinkAttribute, LinkInfo, LinkMessage};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::protocols::NETLINK_ROUTE;

use super::netlink::{ACK, DUMP, NLM_F_CREATE, NLM_F_REPLACE, transact};
use crate::host::HostError;
use crate::host::inodes::PendingInodes;
use crate::host::interfaces::{Address, DhcpLease, DnsConfig, Interface, InterfaceTable, Route};
use crate::host::neighbours::{Neighbour, NeighbourTable};
use crate::host::processes::{Holder, ProcessInfo, ProcessTable, Signal, SignalError};
use crate::host::sockets::{PortFilter, SocketEntry, SocketTable, Transport, UnixSocketEntry};
use crate::privilege::{Capability, Needs};

/// An I/O error, or the missing capability when the kernel said EPERM or
/// EACCES.
fn host_error(op: impl Into<String>, needs: Capability, e: std::io::Error) -> HostError {
    let op = op.into();
    match e.raw_os_error() {
        Some(libc::EPERM | libc::EACCES) => HostError::NoPrivilege {
            what: op,
            needs: Needs::Capability(needs),
        },
        _ => HostError::Io { op, source: e },
    }
}

/// This host's tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostTables;

fn route_dump(
    request: RouteNetlinkMessage,
    what: &str,
) -> Result<Vec<RouteNetlinkMessage>, HostError> {
    let mut out = Vec::new();
    transact(NETLINK_ROUTE, request, DUMP, |m| out.push(m))
        .map_err(|e| host_error(format!("reading {what}"), Capability::NetAdmin, e))?;
    Ok(out)
}

fn interface_names() -> Result<Vec<(u32, String)>, HostError> {
    let links = route_dump(
        RouteNetlinkMessage::GetLink(LinkMessage::default()),
        "links",
    )?;
    Ok(links
        .into_iter()
        .filter_map(|m| match m {
            RouteNetlinkMessage::NewLink(l) => {
                let name = l.attributes.iter().find_map(|a| match a {
                    LinkAttribute::IfName(n) => Some(n.clone()),
                    _ => None,
                })?;
                Some((l.header.index, name))
            }
            _ => None,
        })
        .collect())
}

fn nud_bits(s: NeighbourState) -> u16 {
    match s {
        NeighbourState::Incomplete => 0x01,
        NeighbourState::Reachable => 0x02,
        NeighbourState::Stale => 0x04,
        NeighbourState::Delay => 0x08,
        NeighbourState::Probe => 0x10,
        NeighbourState::Failed => 0x20,
        NeighbourState::Noarp => 0x40,
        NeighbourState::Permanent => 0x80,
        NeighbourState::Other(b) => b,
        _ => 0,
    }
}

fn neighbour_message(addr: IpAddr, ifindex: u32) -> NeighbourMessage {
    let mut m = NeighbourMessage::default();
    m.header.family = if addr.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    };
    m.header.ifindex = ifindex;
    m.attributes
        .push(NeighbourAttribute::Destination(match addr {
            IpAddr::V4(a) => NeighbourAddress::Inet(a),
            IpAddr::V6(a) => NeighbourAddress::Inet6(a),
        }));
    m
}

impl NeighbourTable for HostTables {
    fn neighbours(&self) -> Result<Vec<Neighbour>, HostError> {
        let names = interface_names()?;
        let msgs = route_dump(
            RouteNetlinkMessage::GetNeighbour(NeighbourMessage::default()),
            "the neighbour table",
        )?;
        let mut out = Vec::new();
        for m in msgs {
            let RouteNetlinkMessage::NewNeighbour(n) = m else {
                continue;
            };
            let mut addr = None;
            let mut mac = None;
            for a in &n.attributes {
                match a {
                    NeighbourAttribute::Destination(NeighbourAddress::Inet(v4)) => {
                        addr = Some(IpAddr::V4(*v4));
                    }
                    NeighbourAttribute::Destination(NeighbourAddress::Inet6(v6)) => {
                        addr = Some(IpAddr::V6(*v6));
                    }
                    NeighbourAttribute::LinkLayerAddress(b) => mac = MacAddr::from_slice(b),
                    _ => {}
                }
            }
            let Some(addr) = addr else { continue };
            let ifindex = n.header.ifindex;
            out.push(Neighbour {
                addr,
                mac,
                ifindex,
                interface: names
                    .iter()
                    .find(|(i, _)| *i == ifindex)
                    .map_or_else(|| ifindex.to_string(), |(_, n)| n.clone()),
                state: ipkit_core::host::neighbour_state_names(nud_bits(n.header.state)),
                router: n.header.flags.contains(NeighbourFlags::Router),
            });
        }
        Ok(out)
    }

    fn add_permanent(&self, addr: IpAddr, mac: MacAddr, ifindex: u32) -> Result<(), HostError> {
        let mut m = neighbour_message(addr, ifindex);
        m.header.state = NeighbourState::Permanent;
        m.attributes
            .push(NeighbourAttribute::LinkLayerAddress(mac.0.to_vec()));
        transact(
            NETLINK_ROUTE,
            RouteNetlinkMessage::NewNeighbour(m),
            ACK | NLM_F_CREATE | NLM_F_REPLACE,
            |_| {},
        )
        .map_err(|e| host_error(format!("adding {addr}"), Capability::NetAdmin, e))
    }

    fn delete(&self, addr: IpAddr, ifindex: u32) -> Result<(), HostError> {
        transact(
            NETLINK_ROUTE,
            RouteNetlinkMessage::DelNeighbour(neighbour_message(addr, ifindex)),
            ACK,
            |_| {},
        )
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ENOENT) => HostError::NotFound(format!("no neighbour entry for {addr}")),
            _ => host_error(format!("deleting {addr}"), Capability::NetAdmin, e),
        })
    }

    fn interface_index(&self, name: &str) -> Option<u32> {
        crate::sys::name_to_index(name)
    }
}

impl SocketTable for HostTables {
    fn dump(
        &self,
        transport: Transport,
        v6: bool,
        states: u32,
        port: Option<PortFilter>,
        each: &mut dyn FnMut(SocketEntry),
    ) -> Result<(), HostError> {
        super::sockdiag::dump_inet(transport, v6, states, port, each).map_err(|e| {
            host_error(
                "reading the socket table (sock_diag)",
                Capability::NetAdmin,
                e,
            )
        })
    }

    fn dump_unix(&self, each: &mut dyn FnMut(UnixSocketEntry)) -> Result<(), HostError> {
        super::sockdiag::dump_unix(each).map_err(|e| {
            host_error(
                "reading the Unix socket table (sock_diag)",
                Capability::NetAdmin,
                e,
            )
        })
    }
}

impl ProcessTable for HostTables {
    fn pids(&self) -> Result<Vec<u32>, HostError> {
        super::procfs::pids().map_err(|source| HostError::Io {
            op: "listing /proc".into(),
            source,
        })
    }

    fn holders(
        &self,
        pids: &[u32],
        wanted: &PendingInodes,
        stop_when_found: bool,
    ) -> (Vec<Holder>, usize) {
        let (found, denied) = super::procfs::socket_holders(pids, wanted, stop_when_found);
        (
            found
                .into_iter()
                .map(|h| Holder {
                    inode: h.inode,
                    pid: h.pid,
                    fd: h.fd,
                })
                .collect(),
            denied,
        )
    }

    fn info(&self, pid: u32) -> Option<ProcessInfo> {
        super::procfs::process_info(pid).map(|p| ProcessInfo {
            name: p.name,
            uid: p.uid,
            kernel_thread: p.kernel_thread,
        })
    }

    fn user_name(&self, uid: u32) -> Option<String> {
        let user = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid));
        user.ok().flatten().map(|u| u.name)
    }

    fn signal(&self, pid: u32, signal: Signal) -> Result<(), SignalError> {
        use nix::errno::Errno;
        use nix::sys::signal::Signal as Number;
        let number = match signal {
            Signal::Check => None,
            Signal::Terminate => Some(Number::SIGTERM),
            Signal::Kill => Some(Number::SIGKILL),
        };
        // A pid beyond pid_t's range names no process.
        let Ok(pid) = i32::try_from(pid) else {
            return Err(SignalError::Gone(Errno::ESRCH.into()));
        };
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), number).map_err(|e| match e {
            Errno::ESRCH => SignalError::Gone(e.into()),
            Errno::EPERM => SignalError::NotPermitted(e.into()),
            other => SignalError::Failed(other.into()),
        })
    }

    fn is_running(&self, pid: u32) -> bool {
        super::procfs::is_running(pid)
    }

    fn own_pid(&self) -> u32 {
        super::procfs::own_pid()
    }
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

fn link_flags(bits: u32) -> Vec<String> {
    const NAMES: [(u32, &str); 12] = [
        (1 << 0, "UP"),
        (1 << 1, "BROADCAST"),
        (1 << 3, "LOOPBACK"),
        (1 << 4, "POINTOPOINT"),
        (1 << 6, "RUNNING"),
        (1 << 7, "NOARP"),
        (1 << 8, "PROMISC"),
        (1 << 9, "ALLMULTI"),
        (1 << 10, "MASTER"),
        (1 << 11, "SLAVE"),
        (1 << 12, "MULTICAST"),
        (1 << 16, "LOWER_UP"),
    ];
    NAMES
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| (*n).to_string())
        .collect()
}

fn address_flags(bits: u32, v6: bool) -> Vec<String> {
    const NAMES: [(u32, &str); 11] = [
        (0x01, "secondary"),
        (0x02, "nodad"),
        (0x04, "optimistic"),
        (0x08, "dadfailed"),
        (0x10, "homeaddress"),
        (0x20, "deprecated"),
        (0x40, "tentative"),
        (0x80, "permanent"),
        (0x100, "mngtmpaddr"),
        (0x200, "noprefixroute"),
        (0x800, "stable-privacy"),
    ];
    NAMES
        .iter()
        .filter(|(b, _)| bits & b != 0)
        // IFA_F_SECONDARY is IFA_F_TEMPORARY for IPv6.
        .map(|(b, n)| if *b == 0x01 && v6 { "temporary" } else { *n })
        .map(str::to_string)
        .collect()
}

fn address_of(m: &AddressMessage) -> Option<(u32, Address)> {
    let v6 = m.header.family == AddressFamily::Inet6;
    let mut addr = None;
    let mut local = None;
    let mut broadcast = None;
    let mut lifetimes = (None, None);
    let mut flags = u32::from(m.header.flags.bits());
    for a in &m.attributes {
        match a {
            AddressAttribute::Address(x) => addr = Some(*x),
            AddressAttribute::Local(x) => local = Some(*x),
            AddressAttribute::Broadcast(b) => broadcast = Some(*b),
            AddressAttribute::CacheInfo(c) => {
                let life = |s: u32| (s != u32::MAX).then_some(s);
                lifetimes = (life(c.ifa_preferred), life(c.ifa_valid));
            }
            AddressAttribute::Flags(f) => flags = f.bits(),
            _ => {}
        }
    }
    // For IPv4 IFA_LOCAL is the interface's address (IFA_ADDRESS is the
    // peer on point-to-point links).
    let addr = if v6 { addr.or(local) } else { local.or(addr) }?;
    let scope = match m.header.scope {
        AddressScope::Universe => "global".to_string(),
        AddressScope::Site => "site".into(),
        AddressScope::Link => "link".into(),
        AddressScope::Host => "host".into(),
        AddressScope::Nowhere => "nowhere".into(),
        AddressScope::Other(n) => n.to_string(),
        _ => "unknown".into(),
    };
    Some((
        m.header.index,
        Address {
            addr,
            prefix_len: m.header.prefix_len,
            broadcast,
            scope,
            flags: address_flags(flags, v6),
            preferred_lifetime: lifetimes.0,
            valid_lifetime: lifetimes.1,
        },
    ))
}

impl InterfaceTable for HostTables {
    fn interfaces(&self) -> Result<Vec<Interface>, HostError> {
        let links = route_dump(
            RouteNetlinkMessage::GetLink(LinkMessage::default()),
            "links",
        )?;
        let addrs = route_dump(
            RouteNetlinkMessage::GetAddress(AddressMessage::default()),
            "addresses",
        )?;
        let mut addresses: Vec<(u32, Address)> = addrs
            .iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewAddress(a) => address_of(a),
                _ => None,
            })
            .collect();
        addresses.sort_by_key(|(_, a)| a.addr.is_ipv6());
        let mut out = Vec::new();
        for m in links {
            let RouteNetlinkMessage::NewLink(l) = m else {
                continue;
            };
            let mut i = Interface {
                index: l.header.index,
                name: String::new(),
                alias: None,
                kind: None,
                driver: None,
                mac: None,
                oper_state: "UNKNOWN".into(),
                carrier: None,
                flags: link_flags(l.header.flags.bits()),
                mtu: None,
                addresses: Vec::new(),
                ipv6_autoconf: None,
                ipv6_accept_ra: None,
            };
            for a in &l.attributes {
                match a {
                    LinkAttribute::IfName(n) => i.name = n.clone(),
                    LinkAttribute::IfAlias(n) => i.alias = Some(n.clone()),
                    LinkAttribute::Mtu(n) => i.mtu = Some(*n),
                    LinkAttribute::Address(b) => i.mac = MacAddr::from_slice(b),
                    LinkAttribute::Carrier(c) => i.carrier = Some(*c != 0),
                    LinkAttribute::OperState(s) => i.oper_state = s.to_string().to_uppercase(),
                    LinkAttribute::LinkInfo(infos) => {
                        for info in infos {
                            if let LinkInfo::Kind(k) = info {
                                i.kind = Some(k.to_string());
                            }
                        }
                    }
                    _ => {}
                }
            }
            i.driver = std::fs::read_link(format!("/sys/class/net/{}/device/driver", i.name))
                .ok()
                .and_then(|p| Some(p.file_name()?.to_string_lossy().into_owned()));
            let conf = format!("/proc/sys/net/ipv6/conf/{}", i.name);
            i.ipv6_autoconf = read_trimmed(&format!("{conf}/autoconf")).map(|v| v != "0");
            i.ipv6_accept_ra =
                read_trimmed(&format!("{conf}/accept_ra")).and_then(|v| v.parse().ok());
            i.addresses = addresses
                .iter()
                .filter(|(idx, _)| *idx == i.index)
                .map(|(_, a)| a.clone())
                .collect();
            out.push(i);
        }
        out.sort_by_key(|i| i.index);
        Ok(out)
    }

    fn routes(&self) -> Result<Vec<Route>, HostError> {
        let mut out = Vec::new();
        for family in [AddressFamily::Inet, AddressFamily::Inet6] {
            let mut req = RouteMessage::default();
            req.header.address_family = family;
            for m in route_dump(RouteNetlinkMessage::GetRoute(req), "routes")? {
                let RouteNetlinkMessage::NewRoute(r) = m else {
                    continue;
                };
                let mut table = u32::from(r.header.table);
                let mut dst = None;
                let mut gateway = None;
                let mut ifindex = 0;
                let mut metric = 0;
                for a in &r.attributes {
                    match a {
                        RouteAttribute::Table(t) => table = *t,
                        RouteAttribute::Destination(d) => dst = route_ip(d),
                        RouteAttribute::Gateway(g) => gateway = route_ip(g),
                        RouteAttribute::Oif(o) => ifindex = *o,
                        RouteAttribute::Priority(p) => metric = *p,
                        _ => {}
                    }
                }
                if table != 254 {
                    continue; // the main table only
                }
                let v6 = family == AddressFamily::Inet6;
                let dst = dst.unwrap_or(if v6 {
                    IpAddr::from([0u16; 8])
                } else {
                    IpAddr::from([0u8; 4])
                });
                out.push(Route {
                    destination: format!("{dst}/{}", r.header.destination_prefix_length),
                    gateway,
                    ifindex,
                    metric,
                    v6,
                });
            }
        }
        out.sort_by_key(|r| (r.v6, r.metric));
        Ok(out)
    }

    fn dns(&self, ifindex: Option<u32>) -> Option<DnsConfig> {
        super::host_files::dns(ifindex)
    }

    fn dhcp_leases(&self, name: &str, index: u32) -> Vec<DhcpLease> {
        super::host_files::dhcp_leases(name, index)
    }

    fn host_name(&self) -> String {
        read_trimmed("/proc/sys/kernel/hostname").unwrap_or_default()
    }
}

fn route_ip(a: &RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(v4) => Some(IpAddr::V4(*v4)),
        RouteAddress::Inet6(v6) => Some(IpAddr::V6(*v6)),
        _ => None,
    }
}
