//! The report of `ipkit addr`: one [`AddrReport`] per argument. With
//! `--json` the command prints `{"addresses": [AddrReport, ...]}`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipkit_core::addr::{self, Block, Classful, EmbeddedIpv4, Ipv6Scope, Kind, Multicast6};
use ipkit_core::legacy::LegacyForm;
use ipkit_core::{IpNet, Ipv4Net, Ipv6Net};
use serde::Serialize;

/// The JSON document of `ipkit addr --json`.
#[derive(Debug, Serialize)]
pub struct AddrDocument {
    /// One report per argument, in order.
    pub addresses: Vec<AddrReport>,
}

/// Everything ipkit knows about one address.
#[derive(Debug, Serialize)]
pub struct AddrReport {
    /// The argument as given.
    pub input: String,
    /// 4 or 6.
    pub version: u8,
    /// The address in canonical text (dotted quad; RFC 5952 for IPv6).
    pub address: String,
    /// unicast, multicast, limited-broadcast, unspecified, loopback.
    pub kind: Kind,
    /// Globally reachable, as the IANA special-purpose registries say.
    pub global: bool,
    /// RFC 1918 or unique-local.
    pub private: bool,
    /// Every registry block containing the address, most specific first.
    pub blocks: Vec<Block>,
    /// The PTR name.
    pub reverse_dns: String,
    /// Present when the input was a legacy inet_aton form accepted with `--legacy`.
    pub legacy: Option<LegacyForm>,
    /// IPv4 details (version 4 only).
    pub ipv4: Option<Ipv4Details>,
    /// IPv6 details (version 6 only).
    pub ipv6: Option<Ipv6Details>,
    /// The prefix, when one was given (`/len`, `/mask` or `--mask`).
    pub network: Option<NetworkReport>,
    /// The socket-address view: always present; `port` is null without one.
    pub socket: SocketReport,
}

/// IPv4-only facts.
#[derive(Debug, Serialize)]
pub struct Ipv4Details {
    /// The classful view.
    pub classful: Classful,
    /// The address as a 32-bit number (what inet_addr returns, in host order).
    pub integer: u32,
    /// The address as 8 hex digits.
    pub hex: String,
    /// The address in dotted binary.
    pub binary: String,
}

/// IPv6-only facts.
#[derive(Debug, Serialize)]
pub struct Ipv6Details {
    /// All eight groups, zero-padded.
    pub expanded: String,
    /// The RFC 4007 scope.
    pub scope: Ipv6Scope,
    /// Flags and scope when multicast.
    pub multicast: Option<Multicast6>,
    /// An embedded IPv4 address, if any, with its own verdicts.
    pub embedded_ipv4: Option<EmbeddedReport>,
    /// The MAC behind a modified EUI-64 interface id.
    pub eui64_mac: Option<String>,
}

/// An IPv4 address carried inside an IPv6 one, and what it is: the IPv6
/// block keeps its registry verdict; these are the carried address's.
#[derive(Debug, Serialize)]
pub struct EmbeddedReport {
    /// How it is carried (`kind`) and its fields, as `ipkit_core` names them.
    #[serde(flatten)]
    pub form: EmbeddedIpv4,
    /// The IPv4 address that stands for the host (Teredo: the client's).
    pub address: Ipv4Addr,
    /// Globally reachable, per the IANA IPv4 registry.
    pub global: bool,
    /// RFC 1918 private-use.
    pub private: bool,
    /// 127.0.0.0/8.
    pub loopback: bool,
    /// The most specific IPv4 special-purpose block holding it.
    pub block: Option<Block>,
}

/// The prefix view.
#[derive(Debug, Serialize)]
pub struct NetworkReport {
    /// The prefix in slash form, host bits cleared.
    pub prefix: String,
    /// Prefix length.
    pub prefix_len: u8,
    /// Network address.
    pub network: String,
    /// Netmask (IPv4) or the mask written as an address (IPv6).
    pub netmask: String,
    /// Wildcard mask (IPv4 only).
    pub wildcard: Option<String>,
    /// Subnet-directed broadcast (IPv4 only; null for /31 and /32, RFC 3021).
    pub broadcast: Option<String>,
    /// Last address of the prefix.
    pub last: String,
    /// First usable host.
    pub first_host: String,
    /// Last usable host.
    pub last_host: String,
    /// Usable hosts (a decimal string: IPv6 counts exceed 2^64).
    pub host_count: String,
    /// All addresses in the prefix (decimal string; "2^128" for ::/0).
    pub address_count: String,
}

/// The socket-address view, as sockaddr_in / sockaddr_in6.
#[derive(Debug, Serialize)]
pub struct SocketReport {
    /// AF_INET or AF_INET6.
    pub family: &'static str,
    /// That constant's value on this OS.
    pub family_value: u16,
    /// The port, if given.
    pub port: Option<u16>,
    /// sin6_flowinfo (IPv6; always 0 from text).
    pub flowinfo: Option<u32>,
    /// sin6_scope_id: the zone's interface index (IPv6).
    pub scope_id: Option<u32>,
    /// The zone as written.
    pub zone: Option<String>,
    /// The interface the zone names on this host.
    pub zone_interface: Option<String>,
    /// WSAAddressToString / inet_ntop form with the port.
    pub text: String,
    /// The sockaddr bytes in hex, family in host order, the rest in network order.
    pub bytes: String,
}

/// Build the IPv4 details.
pub fn ipv4_details(a: Ipv4Addr) -> Ipv4Details {
    let o = a.octets();
    Ipv4Details {
        classful: addr::classful(a),
        integer: u32::from(a),
        hex: format!("{:08x}", u32::from(a)),
        binary: format!("{:08b}.{:08b}.{:08b}.{:08b}", o[0], o[1], o[2], o[3]),
    }
}

/// Build the IPv6 details.
pub fn ipv6_details(a: Ipv6Addr) -> Ipv6Details {
    let s = a.segments();
    Ipv6Details {
        expanded: s
            .iter()
            .map(|g| format!("{g:04x}"))
            .collect::<Vec<_>>()
            .join(":"),
        scope: addr::scope6(a),
        multicast: addr::multicast6(a),
        embedded_ipv4: addr::embedded_ipv4(a).map(|form| {
            let address = form.address();
            let ip = IpAddr::V4(address);
            EmbeddedReport {
                form,
                address,
                global: addr::is_global(ip),
                private: addr::is_private(ip),
                loopback: address.is_loopback(),
                block: addr::special_blocks(ip).into_iter().next(),
            }
        }),
        eui64_mac: addr::eui64_mac(a).map(addr::format_mac),
    }
}

/// Build the prefix view.
pub fn network_report(net: IpNet) -> NetworkReport {
    match net {
        IpNet::V4(n) => v4_network(n),
        IpNet::V6(n) => v6_network(n),
    }
}

fn v4_network(n: Ipv4Net) -> NetworkReport {
    let (first, last, hosts) = n.hosts();
    NetworkReport {
        prefix: n.trunc().to_string(),
        prefix_len: n.prefix_len(),
        network: n.network().to_string(),
        netmask: n.netmask().to_string(),
        wildcard: Some(n.hostmask().to_string()),
        broadcast: (n.prefix_len() < 31).then(|| n.broadcast().to_string()),
        last: n.broadcast().to_string(),
        first_host: first.to_string(),
        last_host: last.to_string(),
        host_count: hosts.to_string(),
        address_count: n.size().to_string(),
    }
}

fn v6_network(n: Ipv6Net) -> NetworkReport {
    // IPv6 has no broadcast: every address of a prefix is usable, except that
    // the first is the Subnet-Router anycast (RFC 4291 §2.6.1) for len < 127.
    let count = n
        .size()
        .map_or("340282366920938463463374607431768211456".to_string(), |s| {
            s.to_string()
        });
    NetworkReport {
        prefix: n.trunc().to_string(),
        prefix_len: n.prefix_len(),
        network: n.network().to_string(),
        netmask: n.netmask().to_string(),
        wildcard: None,
        broadcast: None,
        last: n.last().to_string(),
        first_host: n.network().to_string(),
        last_host: n.last().to_string(),
        host_count: count.clone(),
        address_count: count,
    }
}

/// The facts common to both families.
pub fn common(input: &str, ip: IpAddr) -> AddrReport {
    AddrReport {
        input: input.to_string(),
        version: if ip.is_ipv4() { 4 } else { 6 },
        address: ip.to_string(),
        kind: addr::kind(ip),
        global: addr::is_global(ip),
        private: addr::is_private(ip),
        blocks: addr::special_blocks(ip),
        reverse_dns: addr::reverse_name(ip),
        legacy: None,
        ipv4: match ip {
            IpAddr::V4(a) => Some(ipv4_details(a)),
            IpAddr::V6(_) => None,
        },
        ipv6: match ip {
            IpAddr::V6(a) => Some(ipv6_details(a)),
            IpAddr::V4(_) => None,
        },
        network: None,
        socket: SocketReport {
            family: "",
            family_value: 0,
            port: None,
            flowinfo: None,
            scope_id: None,
            zone: None,
            zone_interface: None,
            text: String::new(),
            bytes: String::new(),
        },
    }
}
