//! One module per command: each defines its clap `Args` and a `run` that
//! calls the library and renders. `run` returns the exit code.

pub mod addr;
pub mod bcast;
pub mod cidr;
pub mod connect;
pub mod dns;
pub mod dns_bulk;
pub mod grep;
pub mod ifaces;
pub mod info;
pub mod kill;
pub mod mcast;
pub mod neigh;
pub mod ping;
pub mod resolve;
pub mod serve;
pub mod service;
pub mod sockets;
pub mod trace;

use std::io::Write;

use clap::Subcommand;

/// A subcommand's arguments, built only when clap needs them (that
/// subcommand is run, or the whole tree is wanted for `--help` of it,
/// completions or the man page): building every subcommand's hundreds of
/// arguments at each start was most of the instructions and a third of the
/// page faults of a single `ipkit info` lookup (perf). Every option that
/// takes a value also takes a negative number as its value
/// ([`crate::allow_negative_values`]).
#[derive(Debug)]
pub struct Lazy<T>(pub T);

impl<T: clap::Args> clap::Args for Lazy<T> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        if EAGER.load(std::sync::atomic::Ordering::Relaxed) {
            return built(cmd, T::augment_args);
        }
        cmd.defer(|c| built(c, T::augment_args))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        if EAGER.load(std::sync::atomic::Ordering::Relaxed) {
            return built(cmd, T::augment_args_for_update);
        }
        cmd.defer(|c| built(c, T::augment_args_for_update))
    }
}

/// Whether [`Lazy`] builds at once: for completions and the man page,
/// which walk the whole tree (clap's generated `help` subcommand copies the
/// subcommands as they are when the top is built).
static EAGER: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The whole command tree, every subcommand built.
fn whole_command() -> clap::Command {
    EAGER.store(true, std::sync::atomic::Ordering::Relaxed);
    crate::command()
}

/// A deferred subcommand built: its arguments added, and its about texts
/// (the variant's, set before) kept over the `Args` struct's own, as the
/// derive orders them when it builds eagerly.
fn built(c: clap::Command, augment: fn(clap::Command) -> clap::Command) -> clap::Command {
    let about = c.get_about().cloned();
    let long_about = c.get_long_about().cloned();
    let c = crate::allow_negative_values(augment(c));
    let c = match about {
        Some(a) => c.about(a),
        None => c.about(None::<&'static str>),
    };
    match long_about {
        Some(a) => c.long_about(a),
        None => c.long_about(None::<&'static str>),
    }
}

impl<T: clap::FromArgMatches> clap::FromArgMatches for Lazy<T> {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Lazy)
    }

    fn from_arg_matches_mut(matches: &mut clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches_mut(matches).map(Lazy)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }

    fn update_from_arg_matches_mut(
        &mut self,
        matches: &mut clap::ArgMatches,
    ) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches_mut(matches)
    }
}

use crate::output::Output;

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Everything about an address, prefix or socket address.
    #[command(after_help = addr::EXAMPLES)]
    Addr(Lazy<addr::Args>),
    /// Sets of prefixes: merge, exclude, split, ranges, hosts, match, count.
    #[command(after_help = cidr::EXAMPLES)]
    Cidr(Lazy<cidr::Args>),
    /// Find IPv4 and IPv6 addresses in text, with exact boundaries.
    #[command(after_help = grep::EXAMPLES, disable_help_flag = true)]
    Grep(Lazy<grep::Args>),
    /// DNS queries, nslookup and dig style, speaking DNS itself.
    #[command(after_help = dns::EXAMPLES, visible_aliases = ["dig", "nslookup"])]
    Dns(Lazy<dns::Args>),
    /// ICMP echo to one host or sweeps of many: iputils, Windows and fping styles.
    #[command(after_help = ping::EXAMPLES)]
    Ping(Lazy<ping::Args>),
    /// Route tracing, traceroute, tracert and mtr style.
    #[command(after_help = trace::EXAMPLES, visible_aliases = ["traceroute", "tracert"])]
    Trace(Lazy<trace::Args>),
    /// getaddrinfo + getnameinfo with every flag (the Winsock resolver sample).
    #[command(after_help = resolve::EXAMPLES)]
    Resolve(Lazy<resolve::Args>),
    /// The services and protocols databases (getservbyname, getservbyport).
    #[command(after_help = service::EXAMPLES)]
    Service(Lazy<service::Args>),
    /// TCP and UDP sockets with the processes that hold them.
    #[command(after_help = sockets::EXAMPLES, visible_alias = "netstat")]
    Sockets(Lazy<sockets::Args>),
    /// Interfaces: addresses, state, gateways, DNS, DHCP.
    #[command(name = "if", after_help = ifaces::EXAMPLES, visible_alias = "ipconfig")]
    If(Lazy<ifaces::Args>),
    /// The ARP and NDP neighbour tables; add and delete entries.
    #[command(after_help = neigh::EXAMPLES, visible_alias = "arp")]
    Neigh(Lazy<neigh::Args>),
    /// End the processes holding a port, or one process (asks first).
    #[command(after_help = kill::EXAMPLES, visible_alias = "taskkill")]
    Kill(Lazy<kill::Args>),
    /// A version-independent client: Happy Eyeballs (RFC 8305), then netcat.
    #[command(after_help = connect::EXAMPLES)]
    Connect(Lazy<connect::Args>),
    /// Location, AS and time zone of addresses, ipinfo style, offline.
    #[command(after_help = info::EXAMPLES, visible_alias = "ipinfo")]
    Info(Lazy<info::Args>),
    /// Version-independent servers: TCP/UDP echo and the ipinfo-style HTTP API.
    #[command(after_help = serve::EXAMPLES)]
    Serve(Lazy<serve::Args>),
    /// Multicast: join a group and print what arrives, send to a group.
    #[command(after_help = mcast::EXAMPLES)]
    Mcast(Lazy<mcast::Args>),
    /// Broadcast: send to a subnet's directed broadcast, listen on a port.
    #[command(after_help = bcast::EXAMPLES)]
    Bcast(Lazy<bcast::Args>),
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
            | Command::Serve(_)
            | Command::Mcast(_)
            | Command::Bcast(_)
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
        Command::Addr(a) => addr::run(a.0, out),
        Command::Cidr(a) => cidr::run(a.0, out),
        Command::Grep(a) => grep::run(a.0, out),
        Command::Dns(a) => dns::run(a.0, out),
        Command::Ping(a) => ping::run(a.0, out),
        Command::Trace(a) => trace::run(a.0, out),
        Command::Resolve(a) => resolve::run(a.0, out),
        Command::Service(a) => service::run(a.0, out),
        Command::Sockets(a) => sockets::run(a.0, out),
        Command::Kill(a) => kill::run(a.0, out),
        Command::Neigh(a) => neigh::run(a.0, out),
        Command::If(a) => ifaces::run(a.0, out),
        Command::Connect(a) => connect::run(a.0, out),
        Command::Info(a) => info::run(a.0, out),
        Command::Serve(a) => serve::run(a.0, out),
        Command::Mcast(a) => mcast::run(a.0, out),
        Command::Bcast(a) => bcast::run(a.0, out),
        Command::Completions { shell } => {
            if out.json {
                return Err(crate::exit::usage(
                    "completions prints a shell script: --json does not apply",
                ));
            }
            let mut cmd = whole_command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "ipkit", &mut buf);
            std::io::stdout().write_all(&buf)?;
            Ok(crate::exit::OK)
        }
        Command::Man => {
            if out.json {
                return Err(crate::exit::usage("man prints roff: --json does not apply"));
            }
            std::io::stdout().write_all(&crate::man::render(&whole_command())?)?;
            Ok(crate::exit::OK)
        }
    }
}
