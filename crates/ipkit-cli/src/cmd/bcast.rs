//! `ipkit bcast`: send to a subnet's directed broadcast (computed from an
//! interface's address and prefix by [`ipkit::bcast`]) or, asked by name,
//! the limited broadcast; listen on a port. The views are `mcast`'s.

use std::io::Write;
use std::net::Ipv4Addr;
use std::time::Duration;

use ipkit::mcast::report::JoinedRecord;
use ipkit::mcast::socket::GroupSocket;

use super::mcast::{message, refusal, seconds, stream};
use crate::output::{Output, write_record};

/// Examples and the chapter's reason, shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit bcast send 9999 hello -i eth0      to eth0's subnet broadcast (e.g. 10.0.1.255)
  ipkit bcast send 9999 hello --to 10.0.1.255
  ipkit bcast send 9999 hello --limited -i eth0   to 255.255.255.255 out of eth0
  ipkit bcast listen 9999 -c 1             print the first broadcast to port 9999

Why directed: a subnet-directed broadcast (the interface's address with
every host bit set) names the subnet it is for, so it reaches that subnet's
hosts and only them, whichever interface the route picks. The limited
broadcast 255.255.255.255 names no subnet: it goes out of one interface the
host picks and reaches whoever shares that wire, so ipkit sends it only with
--limited. A /31 or /32 interface has no broadcast address (RFC 3021).

Exit codes: 0 done (listen: something arrived), 1 listen heard nothing, 2
an error or bad usage, 130 after Ctrl-C, 143 after SIGTERM.";

/// Arguments of `ipkit bcast`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

/// The `bcast` subcommands.
#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Send to a subnet-directed broadcast (or, with --limited, 255.255.255.255).
    Send(SendArgs),
    /// Print every datagram that arrives on a UDP port.
    Listen(ListenArgs),
}

/// `ipkit bcast send`.
#[derive(Debug, clap::Args)]
struct SendArgs {
    /// The UDP port.
    port: u16,
    /// The message, or - to read it from stdin.
    #[arg(value_name = "MESSAGE|-")]
    message: String,
    /// The interface whose subnet to reach (default: the default route's).
    #[arg(short = 'i', long, value_name = "IF")]
    interface: Option<String>,
    /// The broadcast address itself, instead of computing it.
    #[arg(long, value_name = "BROADCAST")]
    to: Option<Ipv4Addr>,
    /// Send to 255.255.255.255, the limited broadcast (see below for why
    /// this is not the default).
    #[arg(long)]
    limited: bool,
    /// How many datagrams.
    #[arg(short = 'c', long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    count: u64,
    /// Seconds between two datagrams.
    #[arg(long, value_name = "SECONDS", default_value = "1", value_parser = seconds)]
    interval: Duration,
}

/// `ipkit bcast listen`.
#[derive(Debug, clap::Args)]
struct ListenArgs {
    /// The UDP port.
    port: u16,
    /// Only what arrives through this interface.
    #[arg(short = 'i', long, value_name = "IF")]
    interface: Option<String>,
    #[command(flatten)]
    limits: super::mcast::ReceiveArgs,
}

/// Run `ipkit bcast`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    match args.command {
        Command::Send(a) => {
            let asked = ipkit::bcast::Asked {
                interface: a.interface.as_deref(),
                to: a.to,
                limited: a.limited,
            };
            let payload = message(&a.message)?;
            let r = ipkit::bcast::SendRequest::new(a.port, asked, payload, a.count, a.interval)
                .map_err(refusal)?;
            {
                let mut w = std::io::stdout().lock();
                if out.json {
                    write_record(&mut w, "target", &r.target)?;
                } else {
                    writeln!(w, "{}", target_line(&r.target))?;
                }
                w.flush()?;
            }
            let interrupt = crate::interrupt::Interrupt::install();
            stream::send_with(out, &interrupt, |cancel, on_sent| {
                ipkit::bcast::send(&r, cancel, on_sent)
            })
        }
        Command::Listen(a) => {
            if a.port == 0 {
                return Err(crate::exit::usage("port 0 cannot be listened on"));
            }
            let mut sock = GroupSocket::listen(a.port, a.interface.as_deref()).map_err(refusal)?;
            let joined = JoinedRecord {
                group: std::net::IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                port: a.port,
                sources: Vec::new(),
                interface: a.interface.clone(),
                mode: "broadcast",
                receive_buffer: Some(sock.receive_buffer()),
            };
            let limits = a.limits.limits();
            stream::receive(&mut sock, &joined, limits, a.limits.quiet, out)
        }
    }
}

/// `broadcast to 10.0.1.255 (directed: eth0 is 10.0.1.5/24)`.
fn target_line(t: &ipkit::bcast::Target) -> String {
    let why = match (&t.interface, &t.network) {
        (Some(i), Some(n)) => format!("{}: {i} is {n}", t.kind),
        (Some(i), None) => format!("{}, out of {i}", t.kind),
        _ => t.kind.to_string(),
    };
    format!("broadcast to {} ({why})", t.broadcast)
}
