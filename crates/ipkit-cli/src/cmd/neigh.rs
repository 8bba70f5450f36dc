//! `ipkit neigh` (alias `arp`): the ARP and NDP tables, and the chapter's
//! `arp -s` / `arp -d`. The engine is `ipkit::host::neighbours`; every
//! argument is checked before anything changes.

use std::io::Write;
use std::net::IpAddr;

use ipkit::host::neighbours::{self, InterfaceChoice, NeighbourQuery};
use ipkit::host::{HostError, InterfaceTable, Neighbour, NeighbourTable};
use ipkit_core::host::MacAddr;

use crate::exit::usage;
use crate::output::{Output, write_record};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit neigh                               the ARP and NDP tables (arp -a, ip neigh)
  ipkit arp -a --view windows               Windows arp -a: per interface, dynamic/static
  ipkit neigh -i eth0 -4                    one interface, IPv4 only
  ipkit arp -s 10.0.0.7 00-aa-00-62-c6-09   add a permanent entry (Windows or colon MACs)
  ipkit arp -d 10.0.0.7                     delete it
  ipkit arp -d '*' eth0 --yes               flush one interface's table

Changes need CAP_NET_ADMIN (root).";

/// Arguments of `ipkit neigh`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Show the tables (the default).
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Add a permanent entry: ADDRESS MAC [INTERFACE].
    #[arg(short = 's', long = "set", num_args = 2..=3, value_names = ["ADDRESS", "MAC", "INTERFACE"], conflicts_with_all = ["delete", "all"])]
    pub set: Option<Vec<String>>,
    /// Delete an entry: ADDRESS [INTERFACE]; '*' INTERFACE flushes one
    /// interface's dynamic and static entries.
    #[arg(short = 'd', long = "delete", num_args = 1..=2, value_names = ["ADDRESS", "INTERFACE"], conflicts_with = "all")]
    pub delete: Option<Vec<String>>,
    /// Only this interface.
    #[arg(short = 'i', long, value_name = "NAME")]
    pub interface: Option<String>,
    /// Only the interface that has this address (Windows arp -N if_addr).
    #[arg(short = 'N', value_name = "IF_ADDR", conflicts_with = "interface")]
    pub if_addr: Option<IpAddr>,
    /// IPv4 (ARP) only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// IPv6 (NDP) only.
    #[arg(short = '6')]
    pub ipv6: bool,
    /// Also the NOARP entries (multicast and other link-layer mappings the
    /// kernel computes), which `ip neigh` hides too.
    #[arg(long)]
    pub all_states: bool,
    /// Do not ask before a flush.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Table layout: ip (default) or windows (arp -a).
    #[arg(long, value_enum, default_value = "ip")]
    pub view: View,
}

/// Table layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum View {
    /// Address, MAC, interface, state, router.
    Ip,
    /// Windows arp -a: a block per interface, dynamic or static.
    Windows,
}

fn parse_addr(text: &str) -> anyhow::Result<IpAddr> {
    text.parse().map_err(|_| {
        usage(format!(
            "'{text}' is not an IP address (give it in full, as 192.0.2.7 or 2001:db8::7)"
        ))
    })
}

/// The listing these arguments ask for.
fn query(args: &Args) -> NeighbourQuery {
    NeighbourQuery {
        interface: match (&args.interface, args.if_addr) {
            (Some(n), _) => Some(InterfaceChoice::Named(n.clone())),
            (None, Some(a)) => Some(InterfaceChoice::WithAddress(a)),
            (None, None) => None,
        },
        v4_only: args.ipv4,
        v6_only: args.ipv6,
        all_states: args.all_states,
    }
}

/// The usage line for an interface the host does not have, as the
/// library's error says it.
fn no_interface(e: HostError) -> anyhow::Error {
    match e {
        HostError::NoInterface(_) => usage(e.to_string()),
        HostError::NoInterfaceOn(_) => usage(format!(
            "{e}: name one (ipkit arp -s ADDRESS MAC INTERFACE)"
        )),
        HostError::NoInterfaceWith(a) => usage(format!(
            "-N {a}: no interface of this host has that address"
        )),
        other => other.into(),
    }
}

/// Run `ipkit neigh`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    let tables = ipkit::host::system();
    if let Some(set) = &args.set {
        let addr = parse_addr(&set[0])?;
        let mac: MacAddr = set[1]
            .parse()
            .map_err(|e: ipkit_core::host::MacError| usage(e.to_string()))?;
        if !mac.is_unicast() {
            return Err(usage(format!(
                "{} is a broadcast, multicast or all-zero MAC: a neighbour's must be unicast",
                set[1]
            )));
        }
        let index = match set.get(2) {
            Some(name) => neighbours::interface_index(tables, name),
            None => neighbours::interface_for(tables, addr),
        }
        .map_err(no_interface)?;
        tables.add_permanent(addr, mac, index)?;
        if !out.json {
            println!("added {addr} at {} (permanent)", mac.windows());
        }
        return Ok(crate::exit::OK);
    }
    if let Some(del) = &args.delete {
        let index = del
            .get(1)
            .map(|n| neighbours::interface_index(tables, n))
            .transpose()
            .map_err(no_interface)?;
        if del[0] == "*" {
            let Some(index) = index else {
                return Err(usage(
                    "-d '*' flushes one interface: name it (ipkit arp -d '*' eth0)",
                ));
            };
            let victims = neighbours::flush_victims(tables, index, &query(&args))?;
            if victims.is_empty() {
                eprintln!("ipkit: {} has no neighbour entries", del[1]);
                return Ok(crate::exit::NEGATIVE);
            }
            if !args.yes
                && !crate::input::confirm(&format!(
                    "Delete {} entries on {}?",
                    victims.len(),
                    del[1]
                ))?
            {
                eprintln!("ipkit: nothing was deleted");
                return Ok(crate::exit::DECLINED);
            }
            for n in &victims {
                tables.delete(n.addr, n.ifindex)?;
            }
            if !out.json {
                println!("deleted {} entries on {}", victims.len(), del[1]);
            }
            return Ok(crate::exit::OK);
        }
        let addr = parse_addr(&del[0])?;
        let indexes = neighbours::entries_of(tables, addr, index)?;
        if indexes.is_empty() {
            eprintln!("ipkit: no neighbour entry for {addr}");
            return Ok(crate::exit::NEGATIVE);
        }
        for i in indexes {
            tables.delete(addr, i)?;
        }
        if !out.json {
            println!("deleted {addr}");
        }
        return Ok(crate::exit::OK);
    }
    let list: Vec<Neighbour> = neighbours::list(tables, &query(&args))
        .map_err(no_interface)?
        .into_iter()
        // Windows arp -a is ARP: IPv4 only.
        .filter(|n| args.view != View::Windows || out.json || n.addr.is_ipv4())
        .collect();
    // The Windows view heads each interface's block with its own address.
    let interfaces = if args.view == View::Windows && !out.json {
        tables.interfaces()?
    } else {
        Vec::new()
    };
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    if out.json {
        for n in &list {
            write_record(&mut w, "neighbour", n)?;
        }
        return Ok(crate::exit::OK);
    }
    match args.view {
        View::Ip => {
            writeln!(
                w,
                "{}",
                out.bold(&format!(
                    "{:<28} {:<18} {:<12} {:<20} {}",
                    "Address", "MAC", "Interface", "State", "Router"
                ))
            )?;
            for n in &list {
                writeln!(
                    w,
                    "{:<28} {:<18} {:<12} {:<20} {}",
                    n.addr.to_string(),
                    n.mac.map_or("-".to_string(), |m| m.to_string()),
                    n.interface,
                    n.state.join(","),
                    if n.router { "yes" } else { "" }
                )
                .map(|()| ())?;
            }
        }
        View::Windows => {
            let mut current = None;
            for n in &list {
                if current != Some(n.ifindex) {
                    current = Some(n.ifindex);
                    let own = neighbours::own_address(&interfaces, n);
                    writeln!(w, "\nInterface: {own} --- 0x{:x}", n.ifindex)?;
                    writeln!(
                        w,
                        "  {:<22}{:<22}Type",
                        "Internet Address", "Physical Address"
                    )?;
                }
                let kind = if n.is_static() { "static" } else { "dynamic" };
                let mac = n.mac.map_or("-".to_string(), |m| m.windows());
                writeln!(w, "  {:<22}{:<22}{kind}", n.addr.to_string(), mac)?;
            }
        }
    }
    Ok(crate::exit::OK)
}
