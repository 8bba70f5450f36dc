//! `ipkit service`: getservbyname / getservbyport, and the protocols
//! database, from the system files or ipkit's built-in IANA copy.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use ipkit::services::{
    DbSource, PROTOCOLS_FILE, QueryResult, SERVICES_FILE, ServiceDocument, load_protocols,
    load_services,
};
use ipkit_core::services::{ServiceQuery, find_protocol};
use serde::Serialize;

use crate::exit::usage;
use crate::output::{Output, print_json};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit service ftp               getservbyname: name or alias, every protocol
  ipkit service 21/tcp            getservbyport
  ipkit service http/udp          none: http is TCP-only in the database
  ipkit service --all             the whole database
  ipkit service --protocol icmp   the protocols database: icmp is 1
  ipkit service --protocol 58

When the services (or protocols) file is missing, ipkit answers from its
built-in copy of the IANA well-known entries and says so on stderr.
Exit codes: 0 found, 1 not found, 2 bad usage or an unreadable file.";

/// Arguments of `ipkit service`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Services to look up: NAME, PORT, NAME/PROTO or PORT/PROTO.
    #[arg(value_name = "SERVICE", required_unless_present_any = ["all", "protocol"])]
    pub services: Vec<String>,
    /// List the whole services database.
    #[arg(long, conflicts_with = "protocol")]
    pub all: bool,
    /// Look up a protocol (name, alias or number) instead of services;
    /// repeat for several; alone (`--protocol`), list the whole protocols database.
    #[arg(long, value_name = "PROTOCOL", num_args = 0..=1, action = clap::ArgAction::Append)]
    pub protocol: Option<Vec<String>>,
    /// The services file to read (default /etc/services, or the built-in
    /// copy when that is missing; a file named here must exist).
    #[arg(long, value_name = "FILE")]
    pub services_file: Option<PathBuf>,
    /// The protocols file to read (default /etc/protocols, likewise).
    #[arg(long, value_name = "FILE")]
    pub protocols_file: Option<PathBuf>,
}

fn source_name(s: &DbSource) -> String {
    match s {
        DbSource::File(p) => p.display().to_string(),
        DbSource::Builtin { missing } => {
            eprintln!(
                "ipkit: {} is missing; answering from the built-in IANA copy",
                missing.display()
            );
            "builtin".into()
        }
    }
}

/// The database file to read: the one named, which must exist (no silent
/// fallback for a file the user asked for), or the system's default, which
/// may be missing (then the built-in copy answers).
fn database(named: Option<&Path>, default: &str, flag: &str) -> anyhow::Result<PathBuf> {
    match named {
        Some(p) if !p.exists() => Err(usage(format!(
            "{flag} {}: no such file; name an existing file, or leave {flag} out to use {default}",
            p.display()
        ))),
        Some(p) => Ok(p.to_path_buf()),
        None => Ok(PathBuf::from(default)),
    }
}

/// Run `ipkit service`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    if let Some(protocols) = &args.protocol {
        return run_protocols(protocols, &args, out);
    }
    let queries = args
        .services
        .iter()
        .map(|s| ServiceQuery::parse(s).map_err(|e| usage(e.to_string())))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let db = load_services(&database(
        args.services_file.as_deref(),
        SERVICES_FILE,
        "--services-file",
    )?)?;
    let source = source_name(&db.source);
    let results: Vec<QueryResult<_>> = if args.all {
        vec![QueryResult {
            query: "*".into(),
            matches: db.entries.iter().collect(),
        }]
    } else {
        args.services
            .iter()
            .zip(&queries)
            .map(|(text, q)| QueryResult {
                query: text.clone(),
                matches: q.lookup(&db.entries),
            })
            .collect()
    };
    render(source, results, out, "", |m| {
        let port = format!("{}/{}", m.port, m.protocol);
        format!("{:<20} {port:<10} {}", m.name, m.aliases.join(" "))
    })
}

/// Print the results (JSON or one line per match, trailing blanks trimmed),
/// report queries that found nothing, and return the exit code.
fn render<T: Serialize>(
    source: String,
    results: Vec<QueryResult<T>>,
    out: &Output,
    what: &str,
    line: impl Fn(&T) -> String,
) -> anyhow::Result<u8> {
    let found = results.iter().all(|r| !r.matches.is_empty());
    for r in results.iter().filter(|r| r.matches.is_empty()) {
        eprintln!("ipkit: {what}{}: not found in {source}", r.query);
    }
    if out.json {
        print_json(&ServiceDocument { source, results })?;
    } else {
        let mut s = String::new();
        for m in results.iter().flat_map(|r| &r.matches) {
            let _ = writeln!(s, "{}", line(m).trim_end());
        }
        std::io::stdout().lock().write_all(s.as_bytes())?;
    }
    Ok(if found {
        crate::exit::OK
    } else {
        crate::exit::NEGATIVE
    })
}

fn run_protocols(queries: &[String], args: &Args, out: &Output) -> anyhow::Result<u8> {
    let db = load_protocols(&database(
        args.protocols_file.as_deref(),
        PROTOCOLS_FILE,
        "--protocols-file",
    )?)?;
    let source = source_name(&db.source);
    let results: Vec<QueryResult<_>> = if queries.is_empty() {
        vec![QueryResult {
            query: "*".into(),
            matches: db.entries.iter().collect(),
        }]
    } else {
        queries
            .iter()
            .map(|q| QueryResult {
                query: q.clone(),
                matches: find_protocol(&db.entries, q).into_iter().collect(),
            })
            .collect()
    };
    render(source, results, out, "protocol ", |p| {
        format!("{:<20} {:<4} {}", p.name, p.number, p.aliases.join(" "))
    })
}
