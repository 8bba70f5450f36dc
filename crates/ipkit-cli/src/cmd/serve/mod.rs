//! `ipkit serve`: the version-independent servers of the chapter. `echo`
//! is its tcpserver practice (TCP and UDP echo); `http` the ipinfo-style
//! API over `ipkit info`'s data. Both listen on every address family
//! getaddrinfo(AI_PASSIVE) offers, or on `--bind` addresses, and say where
//! they listen on stderr (a `listening` record with `--json`), so that
//! `ipkit sockets --port` finds them. Their logs go to stderr; with
//! `--json` every event is an NDJSON record on stdout.

pub mod echo;
pub mod http;
pub mod metrics;

use std::io::Write;
use std::net::IpAddr;

use ipkit::serve::listen::{self, ListenRequest, Listening, Transport};
use socket2::Socket;

use crate::output::{Output, write_record};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit serve echo                       TCP and UDP echo on port 5150, IPv4 and IPv6
  ipkit serve echo --port 0 --json       a free port; NDJSON events on stdout
  ipkit serve echo --bind ::1 --bind 127.0.0.1
  ipkit sockets --port 5150              find it (the chapter's netstat practice)
  ipkit kill --port 5150                 and stop it
  ipkit serve http --db city.mmdb        the ipinfo-style API on port 8080
  ipkit serve metrics --ping 192.0.2.1   a Prometheus exporter on port 9427";

/// Arguments of `ipkit serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which server.
    #[command(subcommand)]
    pub server: Server,
}

/// The servers.
#[derive(Debug, clap::Subcommand)]
pub enum Server {
    /// TCP and UDP echo (the chapter's tcpserver), one log line per connection.
    #[command(after_help = echo::EXAMPLES)]
    Echo(echo::Args),
    /// The ipinfo-style HTTP API over `ipkit info`'s data.
    #[command(after_help = http::EXAMPLES)]
    Http(http::Args),
    /// A Prometheus exporter: continuous ping, TCP, DNS and trace probes
    /// (/metrics) and blackbox-style /probe.
    #[command(after_help = metrics::EXAMPLES)]
    Metrics(metrics::Args),
}

/// Where to listen: shared by every server.
#[derive(Debug, Clone, clap::Args)]
pub struct ListenArgs {
    /// Listen on this address only (repeatable); default: every address
    /// getaddrinfo(AI_PASSIVE, AF_UNSPEC) returns (0.0.0.0 and ::).
    #[arg(long, value_name = "ADDR")]
    pub bind: Vec<IpAddr>,
}

impl ListenArgs {
    /// The library's request for `port`.
    pub fn request(&self, port: u16) -> ListenRequest {
        ListenRequest {
            binds: self.bind.clone(),
            ..ListenRequest::port(port)
        }
    }
}

/// Open the sockets and say where they listen.
pub fn open(
    request: &ListenRequest,
    transport: Transport,
    out: &Output,
) -> anyhow::Result<Vec<Socket>> {
    let sockets = listen::open(request, transport)
        .map_err(|e| anyhow::anyhow!("{}", ipkit::error_chain(&e)))?;
    for socket in &sockets {
        if let Some(at) = listen::listening(socket, transport) {
            announce(&at, out)?;
        }
    }
    Ok(sockets)
}

fn announce(at: &Listening, out: &Output) -> anyhow::Result<()> {
    if out.json {
        let mut stdout = std::io::stdout().lock();
        write_record(&mut stdout, "listening", at)?;
        stdout.flush()?;
    } else {
        eprintln!("listening on {} {}", at.transport.name(), at.address);
    }
    Ok(())
}

/// Run `ipkit serve`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    match args.server {
        Server::Echo(a) => echo::run(a, out),
        Server::Http(a) => http::run(a, out),
        Server::Metrics(a) => metrics::run(a, out),
    }
}

/// Start a multi-thread tokio runtime (the servers use both cores).
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| anyhow::anyhow!("starting the async runtime: {e}"))
}
