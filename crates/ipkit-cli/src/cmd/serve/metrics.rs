//! `ipkit serve metrics`: the Prometheus exporter ([`ipkit::metrics`]).
//! Parses the flags into the library's [`Source`], loads the configuration
//! (exit 2 with one line per error), opens the listening sockets (one per
//! family, as every `ipkit serve`), maps SIGHUP to a reload and
//! SIGINT/SIGTERM to a graceful stop (exit 130 / 143, as `serve http`), and
//! logs the exporter's events to stderr.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use ipkit::metrics::config::{CliTargets, DEFAULT_PORT, parse_duration};
use ipkit::metrics::{LoadError, MetricsEvent, Source};
use ipkit::serve::listen::{ListenRequest, Transport};

use crate::exit::usage;
use crate::interrupt::Interrupt;
use crate::output::Output;

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit serve metrics --ping 127.0.0.1 --ping ::1 --interval 1s --listen 127.0.0.1:9427
  ipkit serve metrics --config /etc/ipkit/metrics.toml
  ipkit serve metrics --tcp example.org:443 --dns example.org@192.0.2.53 --trace example.org
  curl localhost:9427/metrics
  curl 'localhost:9427/probe?target=192.0.2.1&module=icmp'
  curl -X POST localhost:9427/-/reload    (or: kill -HUP PID)
The configuration (TOML), every metric and the privileges: docs/metrics.md.";

/// Arguments of `ipkit serve metrics`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration file (TOML: modules and targets); read again on
    /// SIGHUP and POST /-/reload.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Listen on ADDR:PORT (repeatable); default: port 9427 on every
    /// address getaddrinfo(AI_PASSIVE) returns, or the file's `listen`.
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Vec<SocketAddr>,
    /// Ping HOST continuously (repeatable; module `icmp`).
    #[arg(long, value_name = "HOST")]
    pub ping: Vec<String>,
    /// Connect to HOST:PORT continuously (repeatable; module `tcp`).
    #[arg(long, value_name = "HOST:PORT")]
    pub tcp: Vec<String>,
    /// Ask NAME's A record of SERVER continuously (repeatable; module `dns`).
    #[arg(long, value_name = "NAME@SERVER[:PORT]")]
    pub dns: Vec<String>,
    /// Trace the route to HOST continuously, one round per interval
    /// (repeatable; module `trace`).
    #[arg(long, value_name = "HOST")]
    pub trace: Vec<String>,
    /// Time between two probes of a target (500ms, 1s, 2m); default: the
    /// file's `interval`, else 1s.
    #[arg(long, value_name = "DUR")]
    pub interval: Option<String>,
}

/// Run the exporter until SIGINT/SIGTERM.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    let interval = args
        .interval
        .as_deref()
        .map(parse_duration)
        .transpose()
        .map_err(|e| usage(format!("--interval {e}")))?;
    let source = Source {
        path: args.config.clone(),
        cli: CliTargets {
            ping: args.ping,
            tcp: args.tcp,
            dns: args.dns,
            trace: args.trace,
            interval,
        },
    };
    let config = match source.load() {
        Ok(c) => c,
        Err(LoadError::Invalid(errors)) => {
            let file = args
                .config
                .as_ref()
                .map_or_else(|| "command line".to_string(), |p| p.display().to_string());
            // One line per error: all but the last here, the last as the
            // command's error (main prints it and exits 2).
            let mut lines: Vec<String> = errors.0.iter().map(|e| format!("{file}: {e}")).collect();
            let last = lines.pop().unwrap_or_default();
            for line in lines {
                eprintln!("error: {line}");
            }
            return Err(usage(last));
        }
        Err(e) => return Err(usage(ipkit::error_chain(&e))),
    };
    let listen = if args.listen.is_empty() {
        config.listen.clone()
    } else {
        args.listen
    };
    let interrupt = Interrupt::install();
    let reload = Arc::new(AtomicBool::new(false));
    let _ = signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&reload));
    let runtime = super::runtime()?;
    // The sockets are registered with the runtime's reactor: open them
    // inside it.
    let _guard = runtime.enter();
    let mut listeners = Vec::new();
    if listen.is_empty() {
        listeners = super::open(&ListenRequest::port(DEFAULT_PORT), Transport::Tcp, out)?;
    } else {
        for at in &listen {
            let request = ListenRequest {
                binds: vec![at.ip()],
                ..ListenRequest::port(at.port())
            };
            listeners.extend(super::open(&request, Transport::Tcp, out)?);
        }
    }
    let result = runtime.block_on(ipkit::metrics::serve(
        listeners,
        source,
        config,
        interrupt.token(),
        reload,
        log,
    ));
    result.map_err(|e| anyhow::anyhow!("serving: {e}"))?;
    eprintln!("stopped");
    Ok(interrupt.exit_code().unwrap_or(crate::exit::OK))
}

fn log(event: &MetricsEvent) {
    match event {
        MetricsEvent::Loaded { via, targets } => {
            eprintln!("configuration loaded ({via}): {targets} targets");
        }
        MetricsEvent::ReloadFailed { via, errors } => {
            eprintln!("reload ({via}) refused, the old configuration stays:");
            for e in errors {
                eprintln!("  {e}");
            }
        }
        MetricsEvent::IcmpUnavailable {
            family,
            reason,
            needs,
        } => {
            let fix = needs.map_or(String::new(), |n| format!("; {}", crate::remedy::grant(n)));
            eprintln!("IPv{family} pings will fail: {reason}{fix}");
        }
    }
}
