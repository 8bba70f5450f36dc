//! The host's DNS and DHCP state as the resolvers and DHCP clients keep it
//! in files: /etc/resolv.conf, systemd-resolved's per-link state when
//! resolv.conf points at its stub, and the lease files of dhclient,
//! systemd-networkd and NetworkManager's internal client. Parsing is in
//! `ipkit_core::{resolvconf, leases}`; this module only finds and reads.

use std::net::IpAddr;
use std::time::UNIX_EPOCH;

use ipkit_core::leases::{Lease, parse_dhclient, parse_networkd, parse_resolved_link};
use ipkit_core::resolvconf::ResolvConf;

use crate::host::interfaces::{DhcpLease, DnsConfig};

const RESOLVED_STUB: [u8; 4] = [127, 0, 0, 53];

/// The DNS configuration of the host (`ifindex` None) or of one link.
pub fn dns(ifindex: Option<u32>) -> Option<DnsConfig> {
    let text = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    let conf = ResolvConf::parse(&text);
    let stub = conf.nameservers == [IpAddr::from(RESOLVED_STUB)];
    if stub {
        // systemd-resolved: the stub forwards to per-link servers.
        if let Some(i) = ifindex {
            let path = format!("/run/systemd/resolve/netif/{i}");
            let state = std::fs::read_to_string(&path).ok()?;
            let (servers, search) = parse_resolved_link(&state);
            return Some(DnsConfig {
                servers,
                search,
                source: format!("systemd-resolved ({path})"),
            });
        }
        let path = "/run/systemd/resolve/resolv.conf";
        if let Ok(real) = std::fs::read_to_string(path) {
            let real = ResolvConf::parse(&real);
            return Some(DnsConfig {
                servers: real.nameservers,
                search: real.search,
                source: format!("systemd-resolved ({path})"),
            });
        }
    }
    // resolv.conf applies to every interface alike.
    Some(DnsConfig {
        servers: conf.nameservers,
        search: conf.search,
        source: "/etc/resolv.conf".into(),
    })
}

fn modified(path: &std::path::Path) -> Option<u64> {
    let t = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(t.duration_since(UNIX_EPOCH).ok()?.as_secs())
}

fn lease(client: &str, file: &std::path::Path, l: Lease) -> DhcpLease {
    DhcpLease {
        client: client.into(),
        file: file.display().to_string(),
        address: l.address,
        server: l.server,
        obtained: l.obtained,
        expires: l.expires,
        iaid: l.iaid,
        duid: l.duid,
        v6: l.v6,
    }
}

fn files_in(dir: &str, keep: impl Fn(&str) -> bool) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(&keep))
        .collect();
    out.sort();
    out
}

/// The newest lease per family for interface `name` (index `index`).
pub fn dhcp_leases(name: &str, index: u32) -> Vec<DhcpLease> {
    let mut out: Vec<DhcpLease> = Vec::new();
    // ISC dhclient (Debian: /var/lib/dhcp, Red Hat: /var/lib/dhclient).
    for dir in ["/var/lib/dhcp", "/var/lib/dhclient"] {
        for f in files_in(dir, |n| n.contains("lease")) {
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            for l in parse_dhclient(&text) {
                if l.interface.as_deref() != Some(name) {
                    continue;
                }
                // Later blocks are newer: replace the family's entry.
                out.retain(|o| !(o.client == "dhclient" && o.v6 == l.v6));
                out.push(lease("dhclient", &f, l));
            }
        }
    }
    // systemd-networkd.
    let path = std::path::PathBuf::from(format!("/run/systemd/netif/leases/{index}"));
    if let Ok(text) = std::fs::read_to_string(&path) {
        out.push(lease(
            "systemd-networkd",
            &path,
            parse_networkd(&text, modified(&path)),
        ));
    }
    // NetworkManager's internal client writes networkd-style files.
    for f in files_in("/var/lib/NetworkManager", |n| {
        n.starts_with("internal-") && n.ends_with(&format!("-{name}.lease"))
    }) {
        if let Ok(text) = std::fs::read_to_string(&f) {
            out.push(lease(
                "NetworkManager",
                &f,
                parse_networkd(&text, modified(&f)),
            ));
        }
    }
    out
}
