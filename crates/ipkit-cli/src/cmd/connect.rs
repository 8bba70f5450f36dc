//! `ipkit connect HOST PORT`: the version-independent client. The library
//! (`ipkit::connect`) resolves, orders and races the addresses (Happy
//! Eyeballs v2, RFC 8305) and relays; this module turns the flags into a
//! request, prints the race (`-v` lines or the JSON record) and picks nc's
//! exit code.

use std::io::Write;
use std::time::Duration;

use ipkit::connect::relay::{self, RelayEnd, RelayError};
use ipkit::connect::report::{AttemptReport, ConnectReport};
use ipkit::connect::{Asked, ConnectError, FamilyChoice, Request, Transport};

use crate::exit::{self, usage};
use crate::interrupt::Interrupt;
use crate::output::Output;

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit connect -v example.org 80              race IPv6 and IPv4, show the attempts
  printf 'GET / HTTP/1.0\\r\\n\\r\\n' | ipkit connect example.org 80
  ipkit connect -z --json localhost 5150       connect, report, close
  ipkit connect --udp 127.0.0.1 5150           one datagram per line of input
  ipkit connect -6 --attempt-delay 100 host 22

The race (RFC 8305): getaddrinfo's addresses, families interleaved (IPv6
first when it comes first), one attempt started every 250 ms (the
Connection Attempt Delay; --attempt-delay, kept within the RFC's 100 ms to
2 s) or at once when the attempts in flight have failed; the first to
connect wins and the others are closed.

Standard input goes to the peer and the peer's bytes to standard output; at
the end of the input the connection is half-closed (TCP), and ipkit ends
when the peer closes. --json prints the race's record: to standard output
with -z, to standard error otherwise (standard output carries the peer's
bytes).

Exit codes (nc's): 0 connected; 1 no attempt connected (refused,
unreachable, timed out), the name did not resolve, or the connection failed
while relaying; 2 bad usage; 130 interrupted.";

/// Arguments of `ipkit connect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The host: a name (resolved with getaddrinfo) or an address.
    #[arg(value_name = "HOST")]
    pub host: String,
    /// The port: a number (1-65535) or a service name.
    #[arg(value_name = "PORT", allow_hyphen_values = true)]
    pub port: String,
    /// UDP: a connected UDP socket, one datagram per line of input.
    #[arg(short = 'u', long)]
    pub udp: bool,
    /// IPv4 addresses only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// IPv6 addresses only.
    #[arg(short = '6')]
    pub ipv6: bool,
    /// Say what the race did: each attempt, when it started and how it ended.
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// Connect, report and close: send nothing (nc's -z).
    #[arg(short = 'z')]
    pub zero_io: bool,
    /// The Connection Attempt Delay, ms (RFC 8305: 250; kept within 100-2000).
    #[arg(long, value_name = "MS")]
    pub attempt_delay: Option<u64>,
    /// Give up connecting after this many seconds (resolving included).
    #[arg(long, value_name = "S", default_value = "10")]
    pub timeout: f64,
    /// UDP: after the input ends, wait this long for more datagrams (s).
    #[arg(
        short = 'q',
        long = "quiet-time",
        value_name = "S",
        default_value = "1"
    )]
    pub quiet: f64,
}

/// Run `ipkit connect`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    let request = Request::new(&Asked {
        host: args.host.clone(),
        port: args.port.clone(),
        transport: if args.udp {
            Transport::Udp
        } else {
            Transport::Tcp
        },
        family: match (args.ipv4, args.ipv6) {
            (true, _) => FamilyChoice::V4,
            (_, true) => FamilyChoice::V6,
            _ => FamilyChoice::Any,
        },
        attempt_delay_ms: args.attempt_delay,
        timeout_s: Some(args.timeout),
    })
    .map_err(|e| usage(e.to_string()))?;
    if !(args.quiet.is_finite() && args.quiet >= 0.0 && args.quiet < 1e9) {
        return Err(usage(format!(
            "--quiet-time {}: must be a number of seconds ≥ 0",
            args.quiet
        )));
    }
    let quiet = Duration::from_secs_f64(args.quiet);
    if let Some(asked) = request.attempt_delay_asked {
        let _ = writeln!(
            std::io::stderr(),
            "ipkit: --attempt-delay {} ms is outside RFC 8305's bounds (100 ms to 2 s); using {} ms",
            asked.as_millis(),
            request.attempt_delay.as_millis()
        );
    }
    let interrupt = Interrupt::install();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| anyhow::anyhow!("starting the async runtime: {e}"))?;
    let code = rt.block_on(session(&request, &args, quiet, &interrupt, out));
    // The standard input reader may be blocked in read(2) on its thread:
    // do not wait for it.
    rt.shutdown_background();
    code
}

/// Connect, show the race, relay.
async fn session(
    request: &Request,
    args: &Args,
    quiet: Duration,
    interrupt: &Interrupt,
    out: &Output,
) -> anyhow::Result<u8> {
    let connected = match ipkit::connect::connect(request, interrupt.token()).await {
        Ok(c) => c,
        Err(ConnectError::Interrupted { .. }) => return Ok(interrupted(interrupt)),
        Err(e) if e.is_usage() => return Err(usage(e.to_string())),
        // Every other failure (the name did not resolve, resolving took
        // longer than the timeout) is nc's exit status 1.
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "ipkit: {}",
                crate::message::safe_line(&ipkit::error_chain(&e))
            );
            return Ok(exit::NEGATIVE);
        }
    };
    show(&connected.report, args, out)?;
    let Some(connection) = connected.connection else {
        return Ok(if connected.report.outcome == "interrupted" {
            interrupted(interrupt)
        } else {
            exit::NEGATIVE
        });
    };
    if args.zero_io {
        return Ok(exit::OK);
    }
    let relayed = relay::relay(
        connection,
        tokio::io::stdin(),
        tokio::io::stdout(),
        quiet,
        interrupt.token(),
    )
    .await;
    match relayed {
        Ok(r) if r.end == RelayEnd::Interrupted => Ok(interrupted(interrupt)),
        Ok(r) => {
            if args.verbose {
                let _ = writeln!(
                    std::io::stderr(),
                    "ipkit: sent {} bytes, received {} bytes; {}",
                    r.sent,
                    r.received,
                    match r.end {
                        RelayEnd::PeerClosed => "the peer closed the connection",
                        _ => "the peer went quiet after the input ended",
                    }
                );
            }
            Ok(exit::OK)
        }
        Err(e @ RelayError::Socket { .. }) => {
            let _ = writeln!(
                std::io::stderr(),
                "ipkit: {}",
                crate::message::safe_line(&ipkit::error_chain(&e))
            );
            Ok(exit::NEGATIVE)
        }
        Err(e) => Err(e.into()),
    }
}

fn interrupted(interrupt: &Interrupt) -> u8 {
    interrupt.exit_code().unwrap_or(130)
}

/// The race as JSON (stdout with -z, else stderr) or as lines on stderr:
/// every attempt with -v, the failures always (as nc prints them).
fn show(report: &ConnectReport, args: &Args, out: &Output) -> anyhow::Result<()> {
    if out.json {
        let line = serde_json::to_string(report)?;
        if args.zero_io {
            let mut o = std::io::stdout().lock();
            writeln!(o, "{line}")?;
            o.flush()?;
        } else {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
        return Ok(());
    }
    let mut err = std::io::stderr().lock();
    for line in race_lines(report, args.verbose) {
        let _ = writeln!(err, "{}", crate::message::safe_line(&line));
    }
    Ok(())
}

/// The human view of a race, one line each: the plan and every attempt
/// with `verbose`; else only the failed attempts and a timeout; nc's
/// success line with `verbose`.
pub fn race_lines(r: &ConnectReport, verbose: bool) -> Vec<String> {
    let mut lines = Vec::new();
    if verbose {
        let addrs: Vec<&str> = r.attempts.iter().map(|a| a.address.as_str()).collect();
        lines.push(format!(
            "ipkit: {} port {} ({}): {} address{} ({}), resolved in {} ms; attempt delay {} ms",
            r.host,
            r.port,
            r.protocol,
            addrs.len(),
            if addrs.len() == 1 { "" } else { "es" },
            addrs.join(", "),
            r.resolve_ms,
            r.attempt_delay_ms
        ));
    }
    for a in &r.attempts {
        if verbose {
            lines.push(attempt_line(r, a));
        } else if a.result == "failed" && !r.connected() {
            lines.push(format!(
                "ipkit: connect to {} ({}) port {} ({}) failed: {}",
                r.host,
                a.address,
                a.port,
                r.protocol,
                a.error.as_deref().unwrap_or("")
            ));
        }
    }
    match (r.outcome, r.winner.and_then(|w| r.attempts.get(w - 1))) {
        ("connected", Some(w)) if verbose => lines.push(format!(
            "Connection to {} ({}) {} port [{}/*] succeeded!",
            r.host, w.address, w.port, r.protocol
        )),
        ("timed_out", _) => lines.push(format!(
            "ipkit: connect to {} port {} ({}) timed out after {} s",
            r.host,
            r.port,
            r.protocol,
            r.timeout_ms / 1000.0
        )),
        _ => {}
    }
    lines
}

fn attempt_line(r: &ConnectReport, a: &AttemptReport) -> String {
    let head = format!(
        "attempt {}: {} port {} ({})",
        a.attempt, a.address, a.port, a.family
    );
    let (Some(start), end) = (a.started_ms, a.ended_ms) else {
        return format!("{head}: not started (the race was over)");
    };
    let took = end.map(|e| ((e - start) * 1000.0).round() / 1000.0);
    let took = took.map_or(String::new(), |t| format!(" after {t} ms"));
    let what = match a.result {
        "connected" => format!("connected{took}"),
        "failed" => format!("failed{took}: {}", a.error.as_deref().unwrap_or("")),
        "lost_race" => format!(
            "closed{took}: attempt {} connected first",
            r.winner.unwrap_or_default()
        ),
        "timed_out" => format!("no answer{took}: the timeout passed"),
        "interrupted" => format!("interrupted{took}"),
        other => other.to_string(),
    };
    format!("{head}: started at {start} ms, {what}")
}
