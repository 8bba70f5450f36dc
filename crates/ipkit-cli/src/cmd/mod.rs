//! One module per command: each defines its clap `Args` and a `run` that
//! calls the library and renders. `run` returns the exit code.

pub mod addr;
pub mod cidr;
pub mod connect;
pub mod dns;
pub mod dns_bulk;
pub mod grep;
pub mod ifaces;
pub mod info;
pub mod kill;
pub mod neigh;
pub mod ping;
pub mod resolve;
pub mod service;
pub mod sockets;
pub mod trace;

use std::io::Write;

use clap::Subcommand;

use crate::output::Output;

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Everything about an address, prefix or socket address.
    #[command(after_help = addr::EXAMPLES)]
    Addr(addr::Args),
    /// Sets of prefixes: merge, exclude, split, ranges, hosts, match, count.
    #[command(after_help = cidr::EXAMPLES)]
    Cidr(cidr::Args),
    /// Find IPv4 and IPv6 addresses in text, with exact boundaries.
    #[command(after_help = grep::EXAMPLES, disable_help_flag = true)]
    Grep(grep::Args),
    /// DNS queries, nslookup and dig style, speaking DNS itself.
    #[command(after_help = dns::EXAMPLES, visible_aliases = ["dig", "nslookup"])]
    Dns(dns::Args),
    /// ICMP echo to one host or sweeps of many: iputils, Windows and fping styles.
    #[command(after_help = ping::EXAMPLES)]
    Ping(ping::Args),
    /// Route tracing, traceroute, tracert and mtr style.
    #[command(after_help = trace::EXAMPLES, visible_aliases = ["traceroute", "tracert"])]
    Trace(trace::Args),
    /// getaddrinfo + getnameinfo with every flag (the Winsock resolver sample).
    #[command(after_help = resolve::EXAMPLES)]
    Resolve(resolve::Args),
    /// The services and protocols databases (getservbyname, getservbyport).
    #[command(after_help = service::EXAMPLES)]
    Service(service::Args),
    /// TCP and UDP sockets with the processes that hold them.
    #[command(after_help = sockets::EXAMPLES, visible_alias = "netstat")]
    Sockets(sockets::Args),
    /// Interfaces: addresses, state, gateways, DNS, DHCP.
    #[command(name = "if", after_help = ifaces::EXAMPLES, visible_alias = "ipconfig")]
    If(ifaces::Args),
    /// The ARP and NDP neighbour tables; add and delete entries.
    #[command(after_help = neigh::EXAMPLES, visible_alias = "arp")]
    Neigh(neigh::Args),
    /// End the processes holding a port, or one process (asks first).
    #[command(after_help = kill::EXAMPLES, visible_alias = "taskkill")]
    Kill(kill::Args),
    /// A version-independent client: Happy Eyeballs (RFC 8305), then netcat.
    #[command(after_help = connect::EXAMPLES)]
    Connect(connect::Args),
    /// Location, AS and time zone of addresses, ipinfo style, offline.
    #[command(after_help = info::EXAMPLES, visible_alias = "ipinfo")]
    Info(info::Args),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  ipkit completions bash > ~/.local/share/bash-completion/completions/ipkit\n  ipkit completions zsh > ~/.zfunc/_ipkit"
    )]
    Completions {
        /// The shell to generate for.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout.
    #[command(after_help = "Examples:\n  ipkit man > ipkit.1 && man ./ipkit.1")]
    Man,
}

/// Whether a command's human view has colour (`--color always` is refused
/// for the others, where it would change nothing).
pub fn uses_colour(c: &Command) -> bool {
    !matches!(
        c,
        Command::Cidr(_)
            | Command::Service(_)
            | Command::Resolve(_)
            | Command::Kill(_)
            | Command::Connect(_)
            | Command::Completions { .. }
            | Command::Man
    )
}

/// The exit code for an error that ended a command ([`crate::exit::for_error`]).
pub fn exit_code_for(e: &anyhow::Error) -> u8 {
    crate::exit::for_error(e)
}

/// Run one command.
pub fn run(command: Command, out: &Output) -> anyhow::Result<u8> {
    match command {
        Command::Addr(a) => addr::run(a, out),
        Command::Cidr(a) => cidr::run(a, out),
        Command::Grep(a) => grep::run(a, out),
        Command::Dns(a) => dns::run(a, out),
        Command::Ping(a) => ping::run(a, out),
        Command::Trace(a) => trace::run(a, out),
        Command::Resolve(a) => resolve::run(a, out),
        Command::Service(a) => service::run(a, out),
        Command::Sockets(a) => sockets::run(a, out),
        Command::Kill(a) => kill::run(a, out),
        Command::Neigh(a) => neigh::run(a, out),
        Command::If(a) => ifaces::run(a, out),
        Command::Connect(a) => connect::run(a, out),
        Command::Info(a) => info::run(a, out),
        Command::Completions { shell } => {
            if out.json {
                return Err(crate::exit::usage(
                    "completions prints a shell script: --json does not apply",
                ));
            }
            let mut cmd = crate::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "ipkit", &mut buf);
            std::io::stdout().write_all(&buf)?;
            Ok(crate::exit::OK)
        }
        Command::Man => {
            if out.json {
                return Err(crate::exit::usage("man prints roff: --json does not apply"));
            }
            std::io::stdout().write_all(&crate::man::render(&crate::command())?)?;
            Ok(crate::exit::OK)
        }
    }
}
