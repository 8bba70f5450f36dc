//! `ipkit addr`: everything about one address, prefix or socket address.
//! The analysis is the library's (`ipkit::addr`, reports in
//! `ipkit::report::addr`); this module maps arguments and renders.

use std::fmt::Write as _;
use std::io::Write;

use crate::exit::usage;
use crate::output::{Output, print_json};
use ipkit::report::addr::{AddrDocument, AddrReport};

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

/// Run `ipkit addr`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    let mask = args
        .mask
        .as_deref()
        .map(ipkit::addr::parse_mask)
        .transpose()
        .map_err(|e| usage(e.to_string()))?;
    let mut reports = Vec::with_capacity(args.address.len());
    for a in &args.address {
        let analysis =
            ipkit::addr::analyse(a, mask, args.legacy).map_err(|e| usage(e.to_string()))?;
        if let Some(z) = &analysis.unresolved_zone {
            eprintln!(
                "ipkit: no interface '{z}' on this host; scope_id left unresolved (see `ip link`)"
            );
        }
        reports.push(analysis.report);
    }
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
