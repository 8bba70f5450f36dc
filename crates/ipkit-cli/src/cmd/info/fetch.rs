//! The parts of `ipkit info` that go to the network: `--update [--from URL]`
//! (download DB-IP Lite into the data directory, `ipkit::info::update`) and
//! `--api URL` (ask an ipinfo-compatible service, `ipkit::info::api`). The
//! engines do the work; this module turns the flags into their requests,
//! draws the download's progress on stderr and prints the update's report.

use std::io::Write;
use std::net::IpAddr;
use std::ops::ControlFlow;
use std::time::SystemTime;

use ipkit::info::api::{ApiClient, ApiRequest};
use ipkit::info::record::IpInfo;
use ipkit::info::report::InfoReport;
use ipkit::info::update::{self, UpdateEvent, UpdateReport, UpdateRequest};

use crate::exit;
use crate::interrupt::Interrupt;
use crate::output::{Output, print_json};

/// The environment variable `--api` takes its token from (ipinfo's name).
pub const TOKEN_ENV: &str = "IPINFO_TOKEN";

/// The flags of `ipkit info` that fetch data (flattened into its `Args`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FetchArgs {
    /// Download the free DB-IP Lite city and ASN databases into the data
    /// directory ($XDG_DATA_HOME/ipkit, else ~/.local/share/ipkit), check
    /// them, and replace the old ones atomically. The data is CC BY 4.0:
    /// IP Geolocation by DB-IP (https://db-ip.com).
    #[arg(long, conflicts_with_all = ["api", "addresses", "db", "bulk", "field", "summarize"])]
    pub update: bool,
    /// Where --update fetches the files from: a directory URL holding
    /// dbip-city-lite-YYYY-MM.mmdb.gz and dbip-asn-lite-YYYY-MM.mmdb.gz.
    #[arg(long, value_name = "URL", requires = "update")]
    pub from: Option<String>,
    /// Ask an ipinfo-compatible HTTP service (GET URL/IP, JSON) instead of
    /// the local databases, e.g. https://ipinfo.io or `ipkit serve http`.
    /// The token, if any, comes from IPINFO_TOKEN.
    #[arg(long, value_name = "URL", conflicts_with_all = ["db", "bulk"])]
    pub api: Option<String>,
}

/// `ipkit info --update`: run the update, progress on stderr, the report
/// (with the attribution) on stdout. Exit 0 when both files were installed;
/// 130/143 when interrupted; 2 on any failure (the old files stay).
pub fn run_update(args: &FetchArgs, out: &Output) -> anyhow::Result<u8> {
    let dir = ipkit::info::dirs::data_dir().ok_or(update::UpdateError::NoDataDir)?;
    let request = UpdateRequest::new(args.from.as_deref(), dir, SystemTime::now())?;
    let interrupt = Interrupt::install();
    let mut progress = Progress::new(!out.json);
    let result = update::run(&request, interrupt.token(), |event| {
        progress.show(&event);
        ControlFlow::Continue(())
    });
    progress.finish();
    let report = match result {
        Ok(report) => report,
        Err(update::UpdateError::Cancelled) if interrupt.fired() => {
            eprintln!("ipkit: update interrupted; the old databases are unchanged");
            return Ok(interrupt.exit_code().unwrap_or(exit::ERROR));
        }
        Err(e) => {
            return Err(
                anyhow::Error::new(e).context("update failed; the old databases are unchanged")
            );
        }
    };
    if out.json {
        print_json(&report)?;
    } else {
        print_report(&report)?;
    }
    if std::env::var_os(ipkit::info::dirs::DB_ENV).is_some() {
        eprintln!(
            "ipkit: note: {} is set, so ipkit info reads the files it names, not these",
            ipkit::info::dirs::DB_ENV
        );
    }
    Ok(exit::OK)
}

/// The human view of an update.
fn print_report(report: &UpdateReport) -> anyhow::Result<()> {
    let mut w = std::io::stdout().lock();
    for i in &report.installed {
        writeln!(
            w,
            "installed {} ({}, {} bytes) from {}",
            i.path.display(),
            i.month,
            i.bytes,
            i.url
        )?;
    }
    writeln!(w, "{} ({})", report.attribution, report.attribution_url)?;
    Ok(())
}

/// Progress of the download on stderr: a line per file asked for, and a
/// redrawn byte count while it comes in when stderr is a terminal.
struct Progress {
    enabled: bool,
    line: crate::progress::ProgressLine,
}

impl Progress {
    fn new(wanted: bool) -> Progress {
        Progress {
            enabled: wanted,
            line: crate::progress::ProgressLine::new(wanted),
        }
    }

    fn show(&mut self, event: &UpdateEvent) {
        if !self.enabled {
            return;
        }
        match event {
            UpdateEvent::Fetching { url, .. } => {
                self.line.clear();
                eprintln!("fetching {url}");
            }
            UpdateEvent::NotPublished { url, .. } => {
                self.line.clear();
                eprintln!("not published yet: {url}; trying the previous month");
            }
            UpdateEvent::Progress {
                received, total, ..
            } => self.line.show(|| match total {
                Some(t) if *t > 0 => format!(
                    "  {} of {} MiB ({}%)",
                    received >> 20,
                    t >> 20,
                    received * 100 / t
                ),
                _ => format!("  {} MiB", received >> 20),
            }),
            UpdateEvent::Verified { edition, bytes } => {
                self.line.clear();
                eprintln!("  checked {} ({bytes} bytes)", edition.stem());
            }
        }
    }

    fn finish(&self) {
        if self.enabled {
            self.line.clear();
        }
    }
}

/// `ipkit info --api URL ADDRESS...`: the service's answers, in order, as
/// the report `ipkit info` renders. The token is read here, from
/// [`TOKEN_ENV`], as the library reads no environment.
pub fn api_report(url: &str, addresses: &[IpAddr]) -> anyhow::Result<InfoReport> {
    let token = std::env::var(TOKEN_ENV).ok();
    let request = ApiRequest::new(url, token).map_err(|e| exit::usage(e.to_string()))?;
    let client = ApiClient::new(request);
    let answers = addresses
        .iter()
        .map(|ip| client.lookup(*ip))
        .collect::<Result<Vec<IpInfo>, _>>()?;
    Ok(InfoReport {
        answers,
        no_data: false,
    })
}
