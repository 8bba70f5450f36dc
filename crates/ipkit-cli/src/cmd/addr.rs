//! `ipkit addr`: everything about one address, prefix or socket address.
//! Parsing and classification are in `ipkit_core`; zone ids are resolved on
//! this host by `ipkit::iface`. This module only chooses and renders.

use std::fmt::Write as _;
use std::io::Write;
use std::net::IpAddr;

use ipkit_core::legacy::parse_inet_aton;
use ipkit_core::{IpNet, Ipv4Net, sockaddr};
use serde::Serialize;

use crate::exit::usage;
use crate::output::{Output, print_json};
use crate::report::addr::{AddrReport, common, network_report};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit addr 172.31.28.120/16          classful view, network, broadcast, hosts
  ipkit addr 172.31.28.120/255.255.0.0 the same prefix written with a mask
  ipkit addr 10.1.2.3 --mask 255.255.255.192
  ipkit addr '[fe80::1%lo]:80'         socket address with a zone id
  ipkit addr 2002:c000:201::1          6to4: the embedded IPv4 address
  ipkit addr --legacy 0x7f.1           what inet_aton makes of a legacy form
  ipkit addr --json 192.0.2.1";

/// Arguments of `ipkit addr`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Addresses, prefixes (`a.b.c.d/len`, `a.b.c.d/mask`, `v6/len`) or
    /// socket addresses (`1.2.3.4:80`, `[::1]:80`, `[fe80::1%eth0]:80`).
    #[arg(required = true, value_name = "ADDRESS")]
    pub address: Vec<String>,
    /// Apply this IPv4 netmask (e.g. 255.255.0.0) or prefix length to bare addresses.
    #[arg(long, value_name = "MASK")]
    pub mask: Option<String>,
    /// Accept legacy inet_aton forms (`127.1`, `0x7f.0.0.1`, `0177.0.0.1`, `2130706433`) and flag them.
    #[arg(
        long,
        long_help = "Accept the legacy forms inet_aton(3) takes: fewer than four parts (127.1), \
hexadecimal (0x7f.0.0.1), octal by a leading zero (0177.0.0.1) and a single number (2130706433). \
They are refused by default because different parsers read them differently, a known way \
around SSRF filters; with --legacy they are accepted and the report says what was legacy."
    )]
    pub legacy: bool,
}

/// The JSON document of `ipkit addr --json`.
#[derive(Serialize)]
struct AddrDocument {
    addresses: Vec<AddrReport>,
}

/// Run `ipkit addr`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    let mask = args.mask.as_deref().map(parse_mask).transpose()?;
    let reports = args
        .address
        .iter()
        .map(|a| analyse(a, mask, args.legacy))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if out.json {
        print_json(&AddrDocument { addresses: reports })?;
    } else {
        let mut text = String::new();
        for (i, r) in reports.iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            render(&mut text, r, out);
        }
        std::io::stdout().lock().write_all(text.as_bytes())?;
    }
    Ok(crate::exit::OK)
}

fn parse_mask(m: &str) -> anyhow::Result<u8> {
    let text = format!("0.0.0.0/{}", m.trim_start_matches('/'));
    text.parse::<Ipv4Net>()
        .map(|n| n.prefix_len())
        .map_err(|e| usage(format!("--mask: {e}")))
}

/// Parse one argument and build its report.
fn analyse(input: &str, mask: Option<u8>, legacy: bool) -> anyhow::Result<AddrReport> {
    let text = input.trim();
    if text.contains('/') {
        let (net, zone) =
            ipkit_core::prefix::parse_zoned(text).map_err(|e| usage(about(input, &e)))?;
        if mask.is_some() {
            return Err(usage(format!(
                "'{input}' already has a prefix; drop --mask or the /length"
            )));
        }
        let mut r = common(input, net.addr());
        r.network = Some(network_report(net));
        fill_socket(&mut r, net.addr(), None, zone);
        return Ok(r);
    }
    match sockaddr::parse(text) {
        Ok(s) => {
            let mut r = common(input, s.ip);
            if let Some(len) = mask {
                let IpAddr::V4(a) = s.ip else {
                    return Err(usage(format!(
                        "--mask is for IPv4; write '{input}/LEN' for IPv6"
                    )));
                };
                r.network = Ipv4Net::new(a, len).map(|n| network_report(IpNet::V4(n)));
            }
            fill_socket(&mut r, s.ip, s.port, s.zone);
            Ok(r)
        }
        Err(e) => match parse_inet_aton(text) {
            Some(form) if legacy => {
                let mut r = common(input, IpAddr::V4(form.addr));
                if let Some(len) = mask {
                    r.network = Ipv4Net::new(form.addr, len).map(|n| network_report(IpNet::V4(n)));
                }
                fill_socket(&mut r, IpAddr::V4(form.addr), None, None);
                r.legacy = Some(form);
                Ok(r)
            }
            Some(form) => Err(usage(format!(
                "'{input}' is a legacy inet_aton form meaning {} ({}); refused because parsers disagree on such forms — write {} or pass --legacy",
                form.addr,
                form.reasons.join("; "),
                form.addr
            ))),
            None => Err(usage(about(input, &e))),
        },
    }
}

/// An error about `input`, naming it unless the error already does.
fn about(input: &str, e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    if text.contains(&format!("'{}'", input.trim())) {
        text
    } else {
        format!("'{input}': {text}")
    }
}

fn fill_socket(r: &mut AddrReport, ip: IpAddr, port: Option<u16>, zone: Option<String>) {
    let iface = zone.as_deref().and_then(ipkit::iface::resolve_zone);
    let numeric_zone = zone.as_deref().and_then(|z| z.parse::<u32>().ok());
    if let (Some(z), None) = (&zone, &iface) {
        eprintln!(
            "ipkit: no interface '{z}' on this host; scope_id left unresolved (see `ip link`)"
        );
    }
    let scope_id = iface.as_ref().map(|i| i.index).or(numeric_zone);
    let v6 = ip.is_ipv6();
    let (family, family_value) = if v6 {
        ("AF_INET6", ipkit::sys::AF_INET6)
    } else {
        ("AF_INET", ipkit::sys::AF_INET)
    };
    let bytes = sockaddr::sockaddr_bytes(
        family_value,
        ip,
        port.unwrap_or(0),
        0,
        scope_id.unwrap_or(0),
    );
    let text = sockaddr::format(&sockaddr::SockAddrText {
        ip,
        port,
        zone: zone.clone(),
    });
    r.socket = crate::report::addr::SocketReport {
        family,
        family_value,
        port,
        flowinfo: v6.then_some(0),
        scope_id: if v6 {
            Some(scope_id.unwrap_or(0))
        } else {
            None
        },
        zone,
        zone_interface: iface.map(|i| i.name),
        text,
        bytes: bytes.iter().map(|b| format!("{b:02x}")).collect(),
    };
}

fn render(s: &mut String, r: &AddrReport, out: &Output) {
    let _ = writeln!(s, "{}", out.bold(&r.input));
    let mut row = |k: &str, v: &str| {
        let _ = writeln!(s, "  {} {v}", out.dim(&format!("{:<20}", format!("{k}:"))));
    };
    row("address", &r.address);
    if let Some(l) = &r.legacy {
        row("legacy form", &format!("yes — {}", l.reasons.join("; ")));
    }
    row("kind", &format!("{:?}", r.kind).to_lowercase());
    row("global", if r.global { "yes" } else { "no" });
    row("private", if r.private { "yes" } else { "no" });
    for b in &r.blocks {
        let g = b.global.map_or("n/a", |g| if g { "yes" } else { "no" });
        row(
            "block",
            &format!("{} {} ({}, global: {g})", b.prefix, b.name, b.rfc),
        );
    }
    if let Some(v4) = &r.ipv4 {
        let c = &v4.classful;
        let bits = c.network_bits.map_or("none".into(), |b| b.to_string());
        row(
            "class",
            &format!(
                "{:?} ({}; first octet {}–{}, leading bits {})",
                c.class, c.usage, c.first_octet.0, c.first_octet.1, c.leading_bits
            ),
        );
        row("class network bits", &bits);
        if let (Some(m), Some(e)) = (c.default_mask, c.endpoints) {
            row("class default mask", &m.to_string());
            row("class endpoints", &e.to_string());
        }
        row("integer", &format!("{} (0x{})", v4.integer, v4.hex));
        row("binary", &v4.binary);
    }
    if let Some(v6) = &r.ipv6 {
        row("expanded", &v6.expanded);
        row("scope", &scope_name(&v6.scope));
        if let Some(m) = &v6.multicast {
            row(
                "multicast flags",
                &format!(
                    "transient={} prefix-based={} rendezvous-point={}",
                    m.transient, m.prefix_based, m.rendezvous_point
                ),
            );
        }
        if let Some(e) = &v6.embedded_ipv4 {
            row("embedded IPv4", &embedded_text(&e.form));
            let yes = |b: bool| if b { "yes" } else { "no" };
            let block = e.block.as_ref().map_or(String::new(), |b| {
                format!(", block: {} {} ({})", b.prefix, b.name, b.rfc)
            });
            row(
                "embedded verdict",
                &format!(
                    "global: {}, private: {}, loopback: {}{block}",
                    yes(e.global),
                    yes(e.private),
                    yes(e.loopback)
                ),
            );
        }
        if let Some(mac) = &v6.eui64_mac {
            row("EUI-64 MAC", mac);
        }
    }
    if let Some(n) = &r.network {
        row("prefix", &n.prefix);
        row("netmask", &format!("{} (/{})", n.netmask, n.prefix_len));
        if let Some(w) = &n.wildcard {
            row("wildcard", w);
        }
        row("network", &n.network);
        match &n.broadcast {
            Some(b) => row("broadcast", b),
            None if r.version == 4 => {
                row("broadcast", "none (RFC 3021 point-to-point or host route)")
            }
            None => {}
        }
        row("first host", &n.first_host);
        row("last host", &n.last_host);
        row("hosts", &n.host_count);
        row("addresses", &n.address_count);
    }
    let sock = &r.socket;
    let mut fields = format!("family={} ({})", sock.family, sock.family_value);
    if let Some(p) = sock.port {
        let _ = write!(fields, " port={p}");
    }
    if let Some(f) = sock.flowinfo {
        let _ = write!(fields, " flowinfo={f}");
    }
    if let Some(id) = sock.scope_id {
        let _ = write!(fields, " scope_id={id}");
    }
    if let Some(i) = &sock.zone_interface {
        let _ = write!(fields, " ({i})");
    }
    row("sockaddr", &fields);
    row("sockaddr text", &sock.text);
    row("sockaddr bytes", &sock.bytes);
    row("reverse DNS", &r.reverse_dns);
}

fn scope_name(s: &ipkit_core::addr::Ipv6Scope) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{s:?}").to_lowercase())
}

fn embedded_text(e: &ipkit_core::addr::EmbeddedIpv4) -> String {
    use ipkit_core::addr::EmbeddedIpv4 as E;
    match e {
        E::Mapped { ipv4 } => format!("{ipv4} (IPv4-mapped)"),
        E::Compatible { ipv4 } => format!("{ipv4} (IPv4-compatible, deprecated)"),
        E::SixToFour { ipv4 } => format!("{ipv4} (6to4 router)"),
        E::Nat64 { ipv4 } => format!("{ipv4} (NAT64 well-known prefix)"),
        E::Teredo {
            server,
            client,
            port,
            flags,
        } => {
            format!("Teredo server {server}, client {client} port {port} (flags {flags:#06x})")
        }
    }
}
