//! `ipkit serve echo`: TCP and UDP echo on one port over every family. One
//! log line per connection closed (peer, bytes, duration, counts) and per
//! datagram; on SIGINT/SIGTERM the open connections are closed, the
//! summary printed, and the exit code is 130/143.

use std::io::Write;

use ipkit::serve::echo::{self, EchoEvent, EchoSummary};
use ipkit::serve::listen::Transport;

use super::ListenArgs;
use crate::interrupt::Interrupt;
use crate::output::{Output, write_record};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit serve echo                       port 5150 on 0.0.0.0 and ::
  ipkit serve echo --port 7 --bind ::1   the classic echo port, IPv6 loopback only
  ipkit serve echo --json                NDJSON: listening, closed, datagram, summary";

/// Arguments of `ipkit serve echo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The port (0: one the kernel picks; the log says which).
    #[arg(long, default_value_t = 5150)]
    pub port: u16,
    /// Where to listen.
    #[command(flatten)]
    pub listen: ListenArgs,
}

/// Run the echo server until SIGINT/SIGTERM.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    let interrupt = Interrupt::install();
    let request = args.listen.request(args.port);
    let tcp = super::open(&request, Transport::Tcp, out)?;
    // UDP on the port TCP got, so port 0 gives one port for both.
    let port = tcp
        .first()
        .and_then(|s| ipkit::serve::listen::listening(s, Transport::Tcp))
        .map_or(args.port, |l| l.address.port());
    let udp = super::open(&args.listen.request(port), Transport::Udp, out)?;
    let json = out.json;
    let summary = super::runtime()?.block_on(echo::run(tcp, udp, interrupt.token(), |event| {
        log(event, json)
    }))?;
    print_summary(&summary, json)?;
    Ok(interrupt.exit_code().unwrap_or(crate::exit::OK))
}

fn log(event: &EchoEvent, json: bool) {
    if json {
        let mut stdout = std::io::stdout().lock();
        let _ = match event {
            EchoEvent::Closed(c) => write_record(&mut stdout, "closed", c),
            EchoEvent::Datagram(d) => write_record(&mut stdout, "datagram", d),
        };
        let _ = stdout.flush();
        return;
    }
    match event {
        EchoEvent::Closed(c) => eprintln!(
            "tcp {} -> {}: {} bytes echoed in {:.1} ms, {} ({} connections, {} open)",
            c.peer, c.local, c.bytes, c.duration_ms, c.end, c.connections, c.open
        ),
        EchoEvent::Datagram(d) => {
            eprintln!("udp {} -> {}: {} bytes echoed", d.peer, d.local, d.bytes);
        }
    }
}

fn print_summary(s: &EchoSummary, json: bool) -> anyhow::Result<()> {
    if json {
        let mut stdout = std::io::stdout().lock();
        // A closed stdout at the end changes nothing: the server has stopped.
        let _ = write_record(&mut stdout, "summary", s).and_then(|()| stdout.flush());
    } else {
        eprintln!(
            "stopped: {} connections, {} bytes over TCP; {} datagrams, {} bytes over UDP",
            s.connections, s.tcp_bytes, s.datagrams, s.udp_bytes
        );
    }
    Ok(())
}
