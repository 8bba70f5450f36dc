//! `ipkit serve http`: the ipinfo-style API (`GET /`, `/json`, `/IP`,
//! `/IP/FIELD`, `/health`) over the same databases as `ipkit info`. The
//! access log (Common Log Format) goes to stderr or `--access-log FILE`;
//! with `--json` each request is a `request` record on stdout.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ipkit::cancel::Cancel;
use ipkit::info::data::Databases;
use ipkit::serve::http::{self, HttpEvent, HttpLog, HttpOptions, HttpSummary};
use ipkit::serve::listen::Transport;

use super::ListenArgs;
use crate::exit::usage;
use crate::interrupt::Interrupt;
use crate::output::{Output, write_record};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit serve http                        port 8080 on 0.0.0.0 and ::, data from IPKIT_DB or the data directory
  ipkit serve http --db city.mmdb --db asn.csv --port 0
  curl localhost:8080                     your address (text for curl, JSON for Accept: application/json)
  curl localhost:8080/8.8.8.8             one address's record, as ipinfo.io/8.8.8.8
  curl localhost:8080/8.8.8.8/country     one field
  ipkit serve http --trust-proxy --access-log /var/log/ipkit.log
  ipkit info --api http://localhost:8080 1.1.1.1";

/// Arguments of `ipkit serve http`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The port (0: one the kernel picks; the log says which).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Where to listen.
    #[command(flatten)]
    pub listen: ListenArgs,
    /// A database (repeatable: a city .mmdb and an ASN .mmdb or .csv);
    /// default: IPKIT_DB, else the data directory's files.
    #[arg(long, value_name = "FILE")]
    pub db: Vec<PathBuf>,
    /// Answer for the address in X-Forwarded-For (its last entry) rather
    /// than the peer's: only behind a proxy that sets it.
    #[arg(long)]
    pub trust_proxy: bool,
    /// Connections served at once; more wait in the listen backlog.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub max_connections: usize,
    /// Seconds a client has to send a request's head (and body); also how
    /// long a keep-alive connection may sit idle.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub read_timeout: f64,
    /// Seconds a response may wait for a client that does not read.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub write_timeout: f64,
    /// The largest request head in bytes (larger: 431).
    #[arg(long, value_name = "BYTES", default_value_t = 8192)]
    pub max_header_size: usize,
    /// Append the access log (Common Log Format) to FILE instead of stderr.
    #[arg(long, value_name = "FILE")]
    pub access_log: Option<PathBuf>,
}

fn seconds(what: &str, value: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            usage(format!(
                "{what} must be a positive number of seconds, not {value}"
            ))
        })
}

impl Args {
    fn options(&self) -> anyhow::Result<HttpOptions> {
        let options = HttpOptions {
            trust_proxy: self.trust_proxy,
            max_connections: self.max_connections,
            max_header_bytes: self.max_header_size,
            read_timeout: seconds("--read-timeout", self.read_timeout)?,
            write_timeout: seconds("--write-timeout", self.write_timeout)?,
            ..HttpOptions::default()
        };
        options.validate().map_err(|e| usage(e.to_string()))?;
        Ok(options)
    }
}

fn open_databases(paths: &[PathBuf]) -> anyhow::Result<Databases> {
    let paths = if paths.is_empty() {
        ipkit::info::dirs::default_paths()
    } else {
        paths.to_vec()
    };
    if paths.is_empty() {
        eprintln!(
            "no database (--db FILE, IPKIT_DB, or `ipkit info --update`): only bogons are answered"
        );
        return Ok(Databases::empty());
    }
    Databases::open(&paths).map_err(|e| anyhow::anyhow!("{}", ipkit::error_chain(&e)))
}

/// Run the HTTP server until SIGINT/SIGTERM.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    let options = args.options()?;
    let databases = Arc::new(open_databases(&args.db)?);
    let access: Box<dyn Write> = match &args.access_log {
        Some(path) => Box::new(
            File::options()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| anyhow::anyhow!("opening the access log {}: {e}", path.display()))?,
        ),
        None => Box::new(io::stderr()),
    };
    let interrupt = Interrupt::install();
    let listeners = super::open(&args.listen.request(args.port), Transport::Tcp, out)?;
    let mut log = Log {
        json: out.json,
        access: BufWriter::new(access),
        stdout: BufWriter::new(io::stdout()),
        file_too: args.access_log.is_some(),
        cancel: interrupt.token().clone(),
    };
    let summary = super::runtime()?.block_on(http::run(
        listeners,
        databases,
        options,
        interrupt.token(),
        &mut log,
    ))?;
    log.summary(&summary);
    Ok(interrupt.exit_code().unwrap_or(crate::exit::OK))
}

/// The binary's side of the log: CLF lines to the access log, NDJSON
/// records to stdout with `--json`.
struct Log {
    json: bool,
    access: BufWriter<Box<dyn Write>>,
    stdout: BufWriter<io::Stdout>,
    file_too: bool,
    cancel: Cancel,
}

impl Log {
    fn record<T: serde::Serialize>(&mut self, kind: &str, value: &T) {
        if write_record(&mut self.stdout, kind, value).is_err() {
            // stdout closed (`| head`): stop serving, as streams do.
            self.cancel.cancel();
        }
    }

    fn summary(&mut self, s: &HttpSummary) {
        if self.json {
            self.record("summary", s);
            let _ = self.stdout.flush();
        } else {
            eprintln!(
                "stopped: {} connections, {} requests, {} rejected, {} unfinished",
                s.connections, s.requests, s.rejected, s.unfinished
            );
        }
    }
}

impl HttpLog for Log {
    fn event(&mut self, event: &HttpEvent) {
        match event {
            HttpEvent::Request(entry) => {
                if self.json {
                    self.record("request", entry);
                }
                if !self.json || self.file_too {
                    let _ = writeln!(self.access, "{}", entry.common_log_line());
                }
            }
            HttpEvent::Rejected(r) => {
                if self.json {
                    self.record("rejected", r);
                } else {
                    let status = r.status.map_or(String::new(), |s| format!(" ({s})"));
                    eprintln!("rejected {}{status}: {}", r.peer, r.reason);
                }
            }
        }
    }

    fn flush(&mut self) {
        let _ = self.access.flush();
        if self.json && self.stdout.flush().is_err() {
            self.cancel.cancel();
        }
    }
}
