//! `ipkit mcast`: join a group and print what arrives (`join`), send to a
//! group (`send`). The library does the work ([`ipkit::mcast`]); here the
//! flags become its requests and its records become lines or NDJSON.

pub mod live;
pub mod ping;
pub mod stream;

use std::net::IpAddr;
use std::time::Duration;

use ipkit::mcast::{JoinRequest, McastError, SendRequest};

use crate::output::Output;

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit mcast join 239.1.2.3:5000 -i eth0        any-source join (IGMP); print every datagram
  ipkit mcast join 232.1.1.1:5000 --source 10.0.0.1 -i eth0   source-specific (IGMPv3)
  ipkit mcast join '[ff3e::8000:1]:5000' --source fd00::1 -i eth0   IPv6 SSM (MLDv2)
  ipkit mcast send 239.1.2.3:5000 -i eth0 --ttl 2 hello   one datagram, two hops at most
  ipkit mcast send 239.1.2.3:5000 -c 10 --interval 0.5 -  ten of stdin's text
  ipkit --json mcast join 239.1.2.3:5000 -c 5    NDJSON: joined, datagram…, summary
  ipkit mcast groups -i eth0                     the groups eth0 holds, with source filters
  ipkit mcast ping 10.0.0.1 -c 5                 RFC 6450 ping of an ssmpingd: unicast and multicast
  ipkit mcast ping --live 10.0.0.1               both round trips charted (ping --live's view), until q
  ipkit mcast pingd                              answer ssmping / asmping / ipkit on port 4321

The group is left when join ends: after --count datagrams, after --timeout,
or on Ctrl-C (the summary is printed, exit 130).
Exit codes: 0 done (join: something arrived), 1 join heard nothing, 2 an
error or bad usage, 130 after Ctrl-C, 143 after SIGTERM.";

/// Arguments of `ipkit mcast`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

/// The `mcast` subcommands.
#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Join a group and print every datagram (sender, size, TTL, time).
    Join(JoinArgs),
    /// Send datagrams to a group.
    Send(SendArgs),
    /// The groups each interface has joined, with IGMP/MLD version and
    /// source filters (ip maddr's view).
    Groups(GroupsArgs),
    /// Multicast ping (RFC 6450, ssmping/asmping): unicast and multicast
    /// loss, round trip and hop distance to a responder.
    Ping(ping::PingArgs),
    /// Answer multicast pings (RFC 6450, ssmpingd) on UDP port 4321.
    Pingd,
}

/// `ipkit mcast groups`.
#[derive(Debug, clap::Args)]
struct GroupsArgs {
    /// Only this interface.
    #[arg(short = 'i', long, value_name = "IF")]
    interface: Option<String>,
}

/// `ipkit mcast join`.
#[derive(Debug, clap::Args)]
struct JoinArgs {
    /// The group, GROUP[:PORT] (IPv6 as [GROUP]:PORT); port 5001 if none.
    #[arg(value_name = "GROUP[:PORT]")]
    group: String,
    /// The interface to join on (default: the one the route picks).
    #[arg(short = 'i', long, value_name = "IF")]
    interface: Option<String>,
    /// Only datagrams from this sender (source-specific join, 232/8 or
    /// ff3x::/32); repeat for more.
    #[arg(short = 's', long = "source", value_name = "S")]
    sources: Vec<IpAddr>,
    #[command(flatten)]
    limits: ReceiveArgs,
}

/// When a receive stops and what it prints (`mcast join`, `bcast listen`).
#[derive(Debug, clap::Args)]
pub struct ReceiveArgs {
    /// Stop after this many datagrams.
    #[arg(short = 'c', long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Stop after this many seconds.
    #[arg(short = 't', long, value_name = "SECONDS", value_parser = seconds)]
    pub timeout: Option<Duration>,
    /// Print only the summary (no line per datagram).
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

impl ReceiveArgs {
    /// The engine's limits.
    pub fn limits(&self) -> ipkit::mcast::receive::Limits {
        ipkit::mcast::receive::Limits {
            count: self.count,
            timeout: self.timeout,
            payloads: !self.quiet,
        }
    }
}

/// `ipkit mcast send`.
#[derive(Debug, clap::Args)]
struct SendArgs {
    /// The group and port, GROUP:PORT (IPv6 as [GROUP]:PORT).
    #[arg(value_name = "GROUP:PORT")]
    group: String,
    /// The message, or - to read it from stdin.
    #[arg(value_name = "MESSAGE|-")]
    message: String,
    /// TTL / hop limit: 1 stays on the link, each router on the way takes one.
    #[arg(long, value_name = "N", default_value_t = 1)]
    ttl: u8,
    /// The interface to send through (default: the one the route picks).
    #[arg(short = 'i', long, value_name = "IF")]
    interface: Option<String>,
    /// Deliver a copy to this host's own members too (IP_MULTICAST_LOOP).
    #[arg(long = "loop")]
    loopback: bool,
    /// How many datagrams.
    #[arg(short = 'c', long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    count: u64,
    /// Seconds between two datagrams.
    #[arg(long, value_name = "SECONDS", default_value = "1", value_parser = seconds)]
    interval: Duration,
}

/// A number of seconds (`0.5`, `2`) as a duration.
pub fn seconds(text: &str) -> Result<Duration, String> {
    let s = ipkit::ping::request::parse_seconds(text)?;
    Duration::try_from_secs_f64(s).map_err(|e| format!("'{text}': {e}"))
}

/// The message: the argument, or stdin's bytes for `-`.
pub fn message(text: &str) -> anyhow::Result<Vec<u8>> {
    if text == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut buf)?;
        Ok(buf)
    } else {
        Ok(text.as_bytes().to_vec())
    }
}

/// A library refusal as the command reports it: usage errors exit 2 as
/// usage, the rest as errors.
pub fn refusal(e: McastError) -> anyhow::Error {
    if e.is_usage() {
        crate::exit::usage(e.to_string())
    } else {
        e.into()
    }
}

/// Run `ipkit mcast`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    match args.command {
        Command::Join(a) => {
            let r = JoinRequest::new(
                &a.group,
                a.interface.as_deref(),
                &a.sources,
                a.limits.count,
                a.limits.timeout,
            )
            .map_err(refusal)?;
            stream::join(&r, a.limits.quiet, out)
        }
        Command::Send(a) => {
            let payload = message(&a.message)?;
            let r = SendRequest::new(
                &a.group,
                a.ttl,
                a.interface.as_deref(),
                a.loopback,
                a.count,
                a.interval,
                payload,
            )
            .map_err(refusal)?;
            stream::send(&r, out)
        }
        Command::Groups(a) => groups(a.interface.as_deref(), out),
        Command::Ping(a) => ping::ping(a, out),
        Command::Pingd => ping::pingd(out),
    }
}

/// `ipkit mcast groups`: ip maddr's layout (`inet`/`inet6` lines under each
/// interface), with the version and the source filters.
fn groups(only: Option<&str>, out: &Output) -> anyhow::Result<u8> {
    use std::io::Write;
    let mut interfaces = ipkit::mcast::groups::groups().map_err(refusal)?;
    if let Some(name) = only {
        interfaces.retain(|i| i.name == name);
        if interfaces.is_empty() {
            ipkit::mcast::interface(name).map_err(refusal)?;
        }
    }
    let report = ipkit::mcast::groups::GroupsReport { interfaces };
    if out.json {
        crate::output::print_json(&report)?;
        return Ok(crate::exit::OK);
    }
    let mut w = std::io::stdout().lock();
    for i in &report.interfaces {
        let versions: Vec<&str> = [i.igmp.as_deref(), i.mld.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        writeln!(w, "{}:\t{} ({})", i.index, i.name, versions.join(", "))?;
        for m in &i.groups {
            let family = if m.group.is_ipv4() { "inet " } else { "inet6" };
            let mut line = format!("\t{family} {}", m.group);
            if m.users > 1 {
                line.push_str(&format!(" users {}", m.users));
            }
            if !m.sources.is_empty() {
                let s: Vec<String> = m.sources.iter().map(|s| s.source.to_string()).collect();
                line.push_str(&format!(" {} {}", m.filter, s.join(" ")));
            }
            writeln!(w, "{line}")?;
        }
    }
    w.flush()?;
    Ok(crate::exit::OK)
}
