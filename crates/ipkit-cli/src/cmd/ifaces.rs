//! `ipkit if` (alias `ipconfig`): interfaces, brief by default, the
//! `ipconfig /all` view with `--all` (Windows' labels and layout, checked
//! against a capture in tests/data/windows/), and netsh's IPv6 interface
//! table with `--ipv6`. The engine is `ipkit::host::interfaces`; a field
//! without a source on this OS prints "not available", and the ipconfig
//! lines that only NetBIOS or Windows settings fill are left out.

use std::fmt::Write as _;
use std::io::Write;
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use ipkit::host::{DnsConfig, InterfaceReport, InterfacesReport, Route};

use crate::output::Output;

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit if                        index, name, state, MTU and addresses, one line each
  ipkit if --all                  ipconfig /all, as Windows lays it out: MAC, addresses, gateways, DNS, DHCP
  ipkit ipconfig --all eth0       one interface (ipkit ipconfig /all works too)
  ipkit if --ipv6                 netsh interface ipv6 show interface
  ipkit if --json                 one JSON document (interfaces, routes, DNS, DHCP)";

/// Arguments of `ipkit if`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this interface.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Everything, one block per interface (ipconfig /all).
    #[arg(short = 'a', long, conflicts_with = "ipv6")]
    pub all: bool,
    /// The IPv6 interface table (netsh interface ipv6 show interface).
    #[arg(long)]
    pub ipv6: bool,
    /// The brief table's layout: brief (default) or windows (ipconfig
    /// without switches; the default under the `ipconfig` alias).
    #[arg(long, value_enum, default_value = "brief")]
    pub view: View,
}

/// The layouts of the table without --all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum View {
    /// One line per interface, as `ip -br addr`.
    Brief,
    /// Windows' `ipconfig`.
    Windows,
}

/// Run `ipkit if`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    // The chapter's spelling: ipconfig /all.
    let (all, name) = match args.name.as_deref() {
        Some("/all") => (true, None),
        other => (args.all, other.map(str::to_string)),
    };
    let args = Args { name, all, ..args };
    let report = InterfacesReport::build(ipkit::host::system(), args.name.as_deref())?;
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    if out.json {
        serde_json::to_writer_pretty(&mut w, &report)?;
        writeln!(w)?;
        return Ok(crate::exit::OK);
    }
    let reports = &report.interfaces;
    let text = if args.ipv6 {
        netsh_view(&report.host_name, &report.routes, reports)
    } else if args.all {
        // Lease times are shown relative to now, read once here.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        ipconfig_view(&report.host_name, report.dns.as_ref(), reports, now)
    } else if args.view == View::Windows {
        ipconfig_brief_view(reports)
    } else {
        brief_view(out, reports)
    };
    w.write_all(text.as_bytes())?;
    Ok(crate::exit::OK)
}

fn brief_view(out: &Output, reports: &[InterfaceReport]) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{}",
        out.bold(&format!(
            "{:>3}  {:<16} {:<15} {:>6}  Addresses",
            "Idx", "Name", "State", "MTU"
        ))
    );
    for r in reports {
        let i = &r.interface;
        let addrs: Vec<String> = i
            .addresses
            .iter()
            .map(|a| format!("{}/{}", a.addr, a.prefix_len))
            .collect();
        let _ = writeln!(
            t,
            "{:>3}  {:<16} {:<15} {:>6}  {}",
            i.index,
            i.name,
            i.oper_state,
            i.mtu.map_or("-".into(), |m| m.to_string()),
            addrs.join(" ")
        );
    }
    t
}

/// `   Label . . . . : value` as ipconfig prints it (checked against the
/// capture in tests/data/windows/ipconfig-all.txt): after three blanks and
/// the label, dots on odd columns up to 35, then ` : ` and the value at
/// column 39. Windows spells two labels with a blank where their first dot
/// would go ("Primary Dns Suffix  .", "Connection-specific DNS Suffix  ."):
/// they are given here with that trailing blank. Each further value goes on
/// a line of its own under the first.
fn line<T: std::fmt::Display>(t: &mut String, label: &str, values: impl IntoIterator<Item = T>) {
    let mut padded = format!("   {label}");
    while padded.len() < 36 {
        padded.push(if padded.len() % 2 == 1 { '.' } else { ' ' });
    }
    let mut values = values.into_iter();
    match values.next() {
        Some(v) => {
            let _ = writeln!(t, "{padded} : {v}");
        }
        None => {
            let _ = writeln!(t, "{padded} :");
        }
    }
    for v in values {
        let _ = writeln!(t, "{:39}{v}", "");
    }
}

/// A Unix time as a UTC date and how far it is from `now`.
fn when(unix: Option<u64>, now: u64) -> String {
    let Some(t) = unix else {
        return "not available".into();
    };
    let (days, secs) = (t / 86_400, t % 86_400);
    let (y, m, d) = civil_from_days(days);
    let rel = if t >= now {
        format!("in {}", human(t - now))
    } else {
        format!("{} ago", human(now - t))
    };
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC ({rel})",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn human(s: u64) -> String {
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        7200..=172_799 => format!("{} h", s / 3600),
        _ => format!("{} days", s / 86_400),
    }
}

/// Year, month, day of a day count since 1970-01-01 (Hinnant's civil_from_days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + u64::from(m <= 2), m, d)
}

fn mask(len: u8) -> String {
    let bits = if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len.min(32)))
    };
    std::net::Ipv4Addr::from(bits).to_string()
}

/// `ipconfig /all`: Windows' labels in Windows' order. Lines Windows prints
/// from NetBIOS or settings with no counterpart here (Node Type, IP Routing
/// Enabled, WINS Proxy Enabled, NetBIOS over Tcpip) are left out; what only
/// Linux has (MTU, flags, lifetimes) is in `--json` and the other views.
/// Windows' `ipconfig` without switches: per adapter its DNS suffix, IPv6
/// and IPv4 addresses (no status), mask and gateways; a disconnected one
/// only says so (layout from Microsoft's capture, see
/// tests/data/windows/ipconfig.txt).
fn ipconfig_brief_view(reports: &[InterfaceReport]) -> String {
    let mut t = String::from("\nWindows IP Configuration\n\n");
    for r in reports {
        let i = &r.interface;
        let _ = writeln!(t, "\n{} {}:\n", adapter_kind(i), i.name);
        let suffix = r.dns.as_ref().and_then(|d| d.search.first());
        if i.oper_state != "UP" && i.oper_state != "UNKNOWN" {
            line(&mut t, "Media State", ["Media disconnected"]);
            line(&mut t, "Connection-specific DNS Suffix ", suffix);
            continue;
        }
        line(&mut t, "Connection-specific DNS Suffix ", suffix);
        // Windows' order: global, temporary, link-local.
        let label = |a: &ipkit::host::Address| {
            if a.scope == "link" {
                "Link-local IPv6 Address"
            } else if a.flags.iter().any(|f| f == "temporary") {
                "Temporary IPv6 Address"
            } else {
                "IPv6 Address"
            }
        };
        for kind in [
            "IPv6 Address",
            "Temporary IPv6 Address",
            "Link-local IPv6 Address",
        ] {
            for a in i
                .addresses
                .iter()
                .filter(|a| a.addr.is_ipv6() && label(a) == kind)
            {
                let zone = if a.scope == "link" {
                    format!("%{}", i.index)
                } else {
                    String::new()
                };
                line(&mut t, kind, [format!("{}{zone}", a.addr)]);
            }
        }
        for a in i.addresses.iter().filter(|a| a.addr.is_ipv4()) {
            line(&mut t, "IPv4 Address", [a.addr]);
            line(&mut t, "Subnet Mask", [mask(a.prefix_len)]);
        }
        let mut gateways: Vec<&IpAddr> = r.gateways.iter().collect();
        gateways.sort_by_key(|g| g.is_ipv4());
        line(&mut t, "Default Gateway", gateways);
    }
    t
}

/// Windows' name for the kind of adapter.
fn adapter_kind(i: &ipkit::host::Interface) -> &'static str {
    if i.flags.iter().any(|f| f == "LOOPBACK") {
        "Loopback interface"
    } else {
        "Ethernet adapter"
    }
}

fn ipconfig_view(
    host: &str,
    dns: Option<&DnsConfig>,
    reports: &[InterfaceReport],
    now: u64,
) -> String {
    let mut t = String::from("\nWindows IP Configuration\n\n");
    line(&mut t, "Host Name", [host]);
    let domain = host.split_once('.').map_or("", |(_, d)| d);
    line(
        &mut t,
        "Primary Dns Suffix ",
        (!domain.is_empty()).then_some(domain),
    );
    if let Some(d) = dns.filter(|d| !d.search.is_empty()) {
        line(&mut t, "DNS Suffix Search List", &d.search);
    }
    for r in reports {
        let i = &r.interface;
        let _ = writeln!(t, "\n{} {}:\n", adapter_kind(i), i.name);
        if i.oper_state != "UP" && i.oper_state != "UNKNOWN" {
            line(&mut t, "Media State", ["Media disconnected"]);
        }
        let suffix = r.dns.as_ref().and_then(|d| d.search.first());
        line(&mut t, "Connection-specific DNS Suffix ", suffix);
        let description = match (&i.alias, &i.kind, &i.driver) {
            (Some(a), _, _) => a.clone(),
            (None, Some(k), Some(d)) => format!("{k} ({d})"),
            (None, Some(k), None) => format!("{k} (virtual)"),
            (None, None, Some(d)) => d.clone(),
            (None, None, None) => "not available".into(),
        };
        line(&mut t, "Description", [description]);
        // ipconfig writes MACs in capitals (arp -a in lower case).
        line(
            &mut t,
            "Physical Address",
            i.mac.map(|m| m.windows().to_uppercase()),
        );
        let dhcp4 = r.dhcp.iter().find(|l| !l.v6);
        let dhcp6 = r.dhcp.iter().find(|l| l.v6);
        line(
            &mut t,
            "DHCP Enabled",
            [if dhcp4.is_some() { "Yes" } else { "No" }],
        );
        if let (Some(a), Some(ra)) = (i.ipv6_autoconf, i.ipv6_accept_ra) {
            line(
                &mut t,
                "Autoconfiguration Enabled",
                [if a && ra > 0 { "Yes" } else { "No" }],
            );
        }
        // Windows: global IPv6, temporary, link-local, then IPv4 with its mask.
        let status = |a: &ipkit::host::Address| {
            if a.flags.iter().any(|f| f == "tentative") {
                "Tentative"
            } else if a.flags.iter().any(|f| f == "deprecated") {
                "Deprecated"
            } else if a.flags.iter().any(|f| f == "dadfailed") {
                "Duplicate"
            } else {
                "Preferred"
            }
        };
        let v6 = |label: &str, pick: &dyn Fn(&ipkit::host::Address) -> bool, t: &mut String| {
            for a in i.addresses.iter().filter(|a| a.addr.is_ipv6() && pick(a)) {
                let zone = if a.scope == "link" {
                    format!("%{}", i.index)
                } else {
                    String::new()
                };
                line(t, label, [format!("{}{zone}({})", a.addr, status(a))]);
            }
        };
        let temporary = |a: &ipkit::host::Address| a.flags.iter().any(|f| f == "temporary");
        v6(
            "IPv6 Address",
            &|a| a.scope != "link" && !temporary(a),
            &mut t,
        );
        v6(
            "Temporary IPv6 Address",
            &|a| a.scope != "link" && temporary(a),
            &mut t,
        );
        v6("Link-local IPv6 Address", &|a| a.scope == "link", &mut t);
        for a in i.addresses.iter().filter(|a| a.addr.is_ipv4()) {
            line(
                &mut t,
                "IPv4 Address",
                [format!("{}({})", a.addr, status(a))],
            );
            line(&mut t, "Subnet Mask", [mask(a.prefix_len)]);
        }
        if let Some(l) = dhcp4 {
            line(&mut t, "Lease Obtained", [when(l.obtained, now)]);
            line(&mut t, "Lease Expires", [when(l.expires, now)]);
        }
        // IPv6 gateways first, as Windows lists them; each family by metric.
        let mut gateways: Vec<&IpAddr> = r.gateways.iter().collect();
        gateways.sort_by_key(|g| g.is_ipv4());
        line(&mut t, "Default Gateway", gateways);
        if let Some(l) = dhcp4 {
            line(
                &mut t,
                "DHCP Server",
                [l.server.map_or("not available".into(), |s| s.to_string())],
            );
        }
        if let Some(l) = dhcp6 {
            line(&mut t, "DHCPv6 IAID", l.iaid.as_deref());
            line(&mut t, "DHCPv6 Client DUID", l.duid.as_deref());
        }
        if let Some(d) = r.dns.as_ref().filter(|d| !d.servers.is_empty()) {
            line(&mut t, "DNS Servers", &d.servers);
        }
    }
    t
}

fn netsh_view(host: &str, routes: &[Route], reports: &[InterfaceReport]) -> String {
    let mut t = format!("\nHost name: {host}\n");
    for r in routes.iter().filter(|r| r.is_default()) {
        let via = r.gateway.map_or("on-link".to_string(), |g| g.to_string());
        let dev = reports
            .iter()
            .find(|x| x.interface.index == r.ifindex)
            .map_or(r.ifindex.to_string(), |x| x.interface.name.clone());
        let _ = writeln!(
            t,
            "Default route ({}): via {via} dev {dev} metric {}",
            if r.v6 { "IPv6" } else { "IPv4" },
            r.metric
        );
    }
    let _ = writeln!(
        t,
        "\nIdx     Met         MTU          State                Name\n---  ----------  ----------  ------------  ---------------------------"
    );
    for r in reports {
        let i = &r.interface;
        let v6_metric = routes
            .iter()
            .filter(|x| x.v6 && x.ifindex == i.index)
            .map(|x| x.metric)
            .min()
            .map_or("-".into(), |m| m.to_string());
        let state = if i.oper_state == "UP"
            || (i.oper_state == "UNKNOWN" && i.flags.iter().any(|f| f == "UP"))
        {
            "connected"
        } else {
            "disconnected"
        };
        let _ = writeln!(
            t,
            "{:>3}  {:>10}  {:>10}  {:<12}  {}",
            i.index,
            v6_metric,
            i.mtu.map_or("-".into(), |m| m.to_string()),
            state,
            i.name
        );
    }
    t
}
