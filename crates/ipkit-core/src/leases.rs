//! DHCP lease files as the usual Linux clients write them, parsed from text:
//! ISC dhclient's `lease { … }` and `lease6 { … }` blocks, and the
//! `KEY=VALUE` files of systemd-networkd (and NetworkManager's internal
//! client). Also systemd-resolved's per-link state files. Reading the files
//! is the caller's business.

use std::net::IpAddr;

/// What a lease says, whichever client wrote it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lease {
    /// The interface it is for (dhclient names it; networkd files are per
    /// interface index).
    pub interface: Option<String>,
    /// The leased address.
    pub address: Option<IpAddr>,
    /// The server that granted it.
    pub server: Option<IpAddr>,
    /// Unix time the lease was obtained, when the file says.
    pub obtained: Option<u64>,
    /// Unix time the lease expires, when the file says.
    pub expires: Option<u64>,
    /// Lease time in seconds.
    pub lease_time: Option<u64>,
    /// DHCPv6 identity association id (hex).
    pub iaid: Option<String>,
    /// DHCPv6 client DUID.
    pub duid: Option<String>,
    /// A DHCPv6 lease.
    pub v6: bool,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// dhclient's time forms: `W YYYY/MM/DD HH:MM:SS` (UTC), `epoch N`, or
/// `never`.
///
/// ```
/// use ipkit_core::leases::dhclient_time;
/// assert_eq!(dhclient_time("3 2026/11/25 04:00:00"), Some(1_795_579_200));
/// assert_eq!(dhclient_time("epoch 1700000000"), Some(1_700_000_000));
/// assert_eq!(dhclient_time("never"), None);
/// ```
pub fn dhclient_time(text: &str) -> Option<u64> {
    let mut parts = text.split_whitespace();
    let first = parts.next()?;
    if first == "epoch" {
        return parts.next()?.parse().ok();
    }
    let date = parts.next()?;
    let time = parts.next()?;
    let d: Vec<i64> = date
        .split('/')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let t: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let in_range = d.len() == 3
        && t.len() == 3
        && (1970..=9999).contains(&d[0])
        && (1..=12).contains(&d[1])
        && (1..=31).contains(&d[2])
        && (0..24).contains(&t[0])
        && (0..60).contains(&t[1])
        && (0..=60).contains(&t[2]);
    if !in_range {
        return None;
    }
    let secs = days_from_civil(d[0], d[1], d[2]) * 86_400 + t[0] * 3600 + t[1] * 60 + t[2];
    u64::try_from(secs).ok()
}

/// Every lease in a dhclient lease file (`lease` and `lease6` blocks), in
/// file order — the last one for an interface is the newest.
///
/// ```
/// let text = "lease {\n  interface \"eth0\";\n  fixed-address 192.0.2.50;\n  option dhcp-lease-time 86400;\n  option dhcp-server-identifier 192.0.2.1;\n  expire 3 2026/11/25 04:00:00;\n}\n";
/// let l = &ipkit_core::leases::parse_dhclient(text)[0];
/// assert_eq!(l.interface.as_deref(), Some("eth0"));
/// assert_eq!(l.expires, Some(1_795_579_200));
/// assert_eq!(l.obtained, Some(1_795_579_200 - 86_400));
/// ```
pub fn parse_dhclient(text: &str) -> Vec<Lease> {
    let mut out = Vec::new();
    let mut current: Option<Lease> = None;
    let mut default_duid = None;
    let mut depth = 0usize;
    let mut ia_starts: Option<u64> = None;
    for raw in text.lines() {
        let line = strip_comment(raw).trim().trim_end_matches(';').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(d) = line.strip_prefix("default-duid ") {
            default_duid = Some(d.trim_matches('"').to_string());
            continue;
        }
        if depth == 0 {
            if line.starts_with("lease6") && line.ends_with('{') {
                current = Some(Lease {
                    v6: true,
                    duid: default_duid.clone(),
                    ..Lease::default()
                });
                depth = 1;
            } else if line.starts_with("lease") && line.ends_with('{') {
                current = Some(Lease::default());
                depth = 1;
            }
            continue;
        }
        let Some(lease) = current.as_mut() else {
            continue;
        };
        if line == "}" {
            depth -= 1;
            if depth == 0 {
                if lease.obtained.is_none() {
                    lease.obtained = lease
                        .expires
                        .zip(lease.lease_time)
                        .and_then(|(e, t)| e.checked_sub(t));
                }
                out.extend(current.take());
            }
            continue;
        }
        let (key, value) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let value = value.trim();
        match key {
            "interface" => lease.interface = Some(value.trim_matches('"').to_string()),
            "fixed-address" => lease.address = value.parse().ok(),
            "expire" if !lease.v6 => lease.expires = dhclient_time(value),
            "ia-na" | "ia-ta" | "ia-pd" => {
                lease.iaid = value
                    .trim_end_matches('{')
                    .split_whitespace()
                    .next()
                    .map(str::to_string);
                depth += 1;
            }
            "iaaddr" | "iaprefix" => {
                lease.address = value
                    .trim_end_matches('{')
                    .trim()
                    .split('/')
                    .next()
                    .and_then(|a| a.parse().ok());
                depth += 1;
            }
            "starts" if lease.v6 => {
                let t = value.parse().ok();
                ia_starts = ia_starts.or(t);
                lease.obtained = lease.obtained.or(t);
            }
            "max-life" if lease.v6 => {
                let life: Option<u64> = value.parse().ok();
                lease.lease_time = life;
                lease.expires = ia_starts.zip(life).and_then(|(s, l)| s.checked_add(l));
            }
            "option" => {
                let (name, v) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
                let v = v.trim().trim_matches('"');
                match name {
                    "dhcp-lease-time" => lease.lease_time = v.parse().ok(),
                    "dhcp-server-identifier" => lease.server = v.parse().ok(),
                    "dhcp6.client-id" => lease.duid = Some(v.to_string()),
                    "dhcp6.server-id" => {}
                    _ => {}
                }
            }
            _ if line.ends_with('{') => depth += 1,
            _ => {}
        }
    }
    out
}

/// The line without a `#` comment outside quotes.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

/// A systemd-networkd (or NetworkManager internal) lease: `KEY=VALUE`
/// lines. The file holds no time of issue; `written` (the file's
/// modification time) stands for it, and the expiry is `written + LIFETIME`.
///
/// ```
/// let l = ipkit_core::leases::parse_networkd("ADDRESS=192.0.2.50\nSERVER_ADDRESS=192.0.2.1\nLIFETIME=3600\n", Some(1000));
/// assert_eq!(l.address, Some("192.0.2.50".parse().unwrap()));
/// assert_eq!((l.obtained, l.expires), (Some(1000), Some(4600)));
/// ```
pub fn parse_networkd(text: &str, written: Option<u64>) -> Lease {
    let mut l = Lease::default();
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        match k.trim() {
            "ADDRESS" => l.address = v.trim().parse().ok(),
            "SERVER_ADDRESS" => l.server = v.trim().parse().ok(),
            "LIFETIME" => l.lease_time = v.trim().parse().ok(),
            "CLIENTID" => l.duid = Some(v.trim().to_string()),
            _ => {}
        }
    }
    l.obtained = written;
    l.expires = written
        .zip(l.lease_time)
        .and_then(|(w, t)| w.checked_add(t));
    l
}

/// systemd-resolved's per-link state (`/run/systemd/resolve/netif/IFINDEX`):
/// its DNS servers and domains.
///
/// ```
/// let (servers, domains) = ipkit_core::leases::parse_resolved_link("SERVERS=192.0.2.53 2001:db8::53\nDOMAINS=example.test\n");
/// assert_eq!(servers.len(), 2);
/// assert_eq!(domains, vec!["example.test"]);
/// ```
pub fn parse_resolved_link(text: &str) -> (Vec<IpAddr>, Vec<String>) {
    let mut servers = Vec::new();
    let mut domains = Vec::new();
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("SERVERS=") {
            // Entries may carry a port or an SNI name: `ADDR:PORT#NAME`.
            servers.extend(v.split_whitespace().filter_map(|s| {
                let s = s.split('#').next()?;
                s.parse()
                    .ok()
                    .or_else(|| s.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
            }));
        } else if let Some(v) = line.strip_prefix("DOMAINS=") {
            domains.extend(v.split_whitespace().map(str::to_string));
        }
    }
    (servers, domains)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DHCLIENT: &str = r#"lease {
  interface "eth0";
  fixed-address 192.0.2.40;
  option subnet-mask 255.255.255.0;
  option dhcp-lease-time 600;
  option dhcp-server-identifier 192.0.2.1;
  renew 2 2026/11/24 10:00:00;
  rebind 2 2026/11/24 10:03:00;
  expire 2 2026/11/24 10:05:00;
}
lease {
  interface "eth0";
  fixed-address 192.0.2.50;
  option dhcp-lease-time 86400;
  option dhcp-server-identifier 192.0.2.1;
  expire epoch 1795579200; # Wed 2026/11/25 04:00:00 UTC
}
"#;

    const DHCLIENT6: &str = r#"default-duid "\000\001\000\001\036\213\022\064RT\000\022\064V";
lease6 {
  interface "eth0";
  ia-na 3a:bc:de:f0 {
    starts 1795500000;
    renew 1800;
    rebind 2880;
    iaaddr 2001:db8::1:50 {
      starts 1795500000;
      preferred-life 3600;
      max-life 7200;
    }
  }
  option dhcp6.client-id 0:1:0:1:1e:8b:12:34:52:54:0:12:34:56;
  option dhcp6.server-id 0:1:0:1:1e:8b:0:1:52:54:0:0:0:1;
}
"#;

    #[test]
    fn dhclient_v4_leases_in_order() {
        let l = parse_dhclient(DHCLIENT);
        assert_eq!(l.len(), 2);
        let newest = &l[1];
        assert_eq!(newest.address, Some("192.0.2.50".parse().unwrap()));
        assert_eq!(newest.server, Some("192.0.2.1".parse().unwrap()));
        assert_eq!(newest.expires, Some(1_795_579_200));
        assert_eq!(newest.obtained, Some(1_795_579_200 - 86_400));
        assert_eq!(l[0].expires, dhclient_time("2 2026/11/24 10:05:00"));
        assert_eq!(l[0].obtained, l[0].expires.map(|e| e - 600));
    }

    #[test]
    fn dhclient_v6_lease_has_iaid_duid_and_lifetimes() {
        let l = &parse_dhclient(DHCLIENT6)[0];
        assert!(l.v6);
        assert_eq!(l.interface.as_deref(), Some("eth0"));
        assert_eq!(l.iaid.as_deref(), Some("3a:bc:de:f0"));
        assert_eq!(l.address, Some("2001:db8::1:50".parse().unwrap()));
        assert_eq!(l.obtained, Some(1_795_500_000));
        assert_eq!(l.expires, Some(1_795_507_200));
        assert_eq!(
            l.duid.as_deref(),
            Some("0:1:0:1:1e:8b:12:34:52:54:0:12:34:56")
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(dhclient_time("4 2026/13/01 00:00:00"), None);
    }
}
