//! `ipkit info`: what the data says of an address, in ipinfo's shape —
//! the human view of ipinfo's CLI, ipinfo.io's JSON, one `--field`,
//! `--bulk` NDJSON and `--summarize` counts. The lookups, the data readers
//! and the report are `ipkit::info`; this module turns the flags into a
//! request, finds the databases and renders.

pub mod fetch;
mod view;

use std::io::Write;
use std::path::PathBuf;

use ipkit::info::bulk::{self, BadLine};
use ipkit::info::request::Asked;
use ipkit::info::{Databases, dirs};

use crate::input::BadLines;
use crate::interrupt::Interrupt;
use crate::output::{Output, print_json};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit info 8.8.8.8                       ipinfo's Core block
  ipkit info 1.1.1.1 2001:db8::1 --json    ipinfo.io's JSON (an array for several)
  ipkit info 8.8.8.8 --field country       one field
  ipkit info --db city.mmdb --db asn.csv 1.2.3.4
  ipkit info --update                      fetch DB-IP Lite into the data directory
  ipkit info --api https://ipinfo.io 8.8.8.8   ask a service (token from IPINFO_TOKEN)
  ipkit grep -o access.log | ipkit info --bulk -           NDJSON, one object a line
  ipkit info --bulk ips.txt --summarize                    counts by country, ASN, city

Data: --db FILE (repeatable: a city or country .mmdb and an ASN .mmdb or
ip-location-db ASN .csv; the kind is recognised from the file), else
IPKIT_DB (paths separated by ':'), else the *.mmdb and *.csv files in
$XDG_DATA_HOME/ipkit (~/.local/share/ipkit). Any MaxMind-format database
works: MaxMind GeoLite2/GeoIP2, DB-IP Lite, IPinfo, ip-location-db.
Bogons (private, loopback, documentation … addresses) are answered without
data and without DNS.

Exit codes: 0 answered; 1 no database was found, so addresses other than
bogons have no data; 2 bad usage, a bad address, a missing, corrupt or
truncated database, or bad lines in --bulk input; 130/143 interrupted.

IP Geolocation by DB-IP (https://db-ip.com), licensed CC BY 4.0: the
free DB-IP Lite data ipkit info --update fetches.";

/// `ipkit info` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The addresses to look up (IPv4 or IPv6).
    #[arg(value_name = "ADDRESS")]
    pub addresses: Vec<String>,
    /// A database: a MaxMind-format .mmdb (city, country or ASN) or an
    /// ip-location-db ASN .csv; repeat to join several (the first that
    /// answers a field wins).
    #[arg(long = "db", value_name = "FILE")]
    pub db: Vec<PathBuf>,
    /// Print only this field (ip, hostname, bogon, city, region, country,
    /// loc, org, postal, timezone).
    #[arg(long, value_name = "FIELD")]
    pub field: Option<String>,
    /// No reverse DNS for the hostname field.
    #[arg(short = 'n', long = "numeric")]
    pub numeric: bool,
    /// Read addresses from FILE (`-` for stdin), one a line or `ipkit grep`
    /// output (the first address on a line); print NDJSON, one ipinfo
    /// object a line, without host names.
    #[arg(long, value_name = "FILE")]
    pub bulk: Option<PathBuf>,
    /// Count the answers by country, ASN, city and region, with the share
    /// of bogons (ipinfo's summarize), instead of printing them.
    #[arg(long)]
    pub summarize: bool,
    /// With --summarize: also draw the countries as a world map shaded by
    /// their counts (a choropleth): FILE.svg, or FILE.png.
    #[arg(long, value_name = "FILE", requires = "summarize", value_parser = crate::plot::parse)]
    pub map: Option<crate::plot::Target>,
    /// Worker threads for --bulk (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
    /// --update, --from and --api (cmd/info/fetch.rs).
    #[command(flatten)]
    pub fetch: fetch::FetchArgs,
}

/// The one line said when there is no database.
pub const NO_DATA: &str = "no IP database found: run `ipkit info --update` (the free DB-IP Lite data) or give --db FILE or IPKIT_DB; only bogons are answered";

/// A line on the terminal (human view only) while a lookup walks the city
/// data to fill the zone cache: seconds, once per database, where a lookup
/// otherwise takes about a millisecond. Wiped when the walk is over.
fn fill_note(out: &Output) -> ipkit::info::zone::ZoneFillObserver {
    use ipkit::info::zone::ZoneFillEvent;
    let mut line = crate::progress::ProgressLine::new(!out.json);
    Box::new(move |event| match event {
        // Short enough for an 80-column terminal (the line is cut to fit).
        ZoneFillEvent::Started { .. } => line.show(|| {
            "ipkit: finding the time zone of every place in the city data, once…".to_owned()
        }),
        ZoneFillEvent::Finished(_) => line.clear(),
    })
}

/// Run `ipkit info`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    if args.fetch.update {
        return fetch::run_update(&args.fetch, out);
    }
    let asked = Asked {
        addresses: args.addresses.clone(),
        field: args.field.clone(),
        numeric: args.numeric,
    };
    let request = asked
        .check(args.bulk.is_some())
        .map_err(|e| crate::exit::usage(e.to_string()))?;
    if args.bulk.is_some() && !request.addresses.is_empty() {
        return Err(crate::exit::usage(
            "give addresses or --bulk FILE, not both",
        ));
    }
    if args.bulk.is_some() && request.field.is_some() {
        return Err(crate::exit::usage(
            "--field prints one lookup's field; --bulk prints whole objects (pipe them to jq)",
        ));
    }
    let report = if let Some(url) = &args.fetch.api {
        fetch::api_report(url, &request.addresses)?
    } else {
        let dbs = open_databases(&args.db)?;
        if let Some(path) = &args.bulk {
            return run_bulk(&dbs, path, &args, out);
        }
        ipkit::info::report::report_observed(&request, &dbs, fill_note(out))?
    };
    if report.missing_data() {
        eprintln!("ipkit: {NO_DATA}");
    }
    let code = if report.missing_data() {
        crate::exit::NEGATIVE
    } else {
        crate::exit::OK
    };
    if args.summarize {
        let mut tally = ipkit::info::summary::Tally::default();
        for a in &report.answers {
            tally.add(a);
        }
        let summary = tally.finish(0);
        draw_map(args.map.as_ref(), &summary)?;
        if out.json {
            print_json(&summary)?;
        } else {
            let mut w = std::io::stdout().lock();
            view::summary(&mut w, &summary, out)?;
        }
        return Ok(code);
    }
    // The whole answer in one write (stdout is line-buffered: one system
    // call per line otherwise).
    let answer_writer = || std::io::BufWriter::new(std::io::stdout().lock());
    if let Some(field) = request.field {
        let mut w = answer_writer();
        for a in &report.answers {
            let value = a.field(field);
            if out.json {
                serde_json::to_writer(&mut w, &value)?;
                writeln!(w)?;
            } else {
                writeln!(
                    w,
                    "{}",
                    value
                        .as_deref()
                        .map(crate::message::safe_line)
                        .unwrap_or_default()
                )?;
            }
        }
        w.flush()?;
        return Ok(code);
    }
    if out.json {
        match report.answers.as_slice() {
            [one] => print_json(one)?,
            all => print_json(&all)?,
        }
    } else {
        let mut w = answer_writer();
        for (i, a) in report.answers.iter().enumerate() {
            if i > 0 {
                writeln!(w)?;
            }
            view::core(&mut w, a, report.no_data, out)?;
        }
        w.flush()?;
    }
    Ok(code)
}

/// The databases of `--db`, else of `IPKIT_DB` or the data directory;
/// none found is no error (bogons still answer).
fn open_databases(given: &[PathBuf]) -> anyhow::Result<Databases> {
    let paths = if given.is_empty() {
        dirs::default_paths()
    } else {
        given.to_vec()
    };
    if paths.is_empty() {
        return Ok(Databases::empty());
    }
    Databases::open(&paths).map_err(|e| crate::exit::usage(ipkit::error_chain(&e)))
}

fn run_bulk(
    dbs: &Databases,
    path: &std::path::Path,
    args: &Args,
    out: &Output,
) -> anyhow::Result<u8> {
    let source = if path.as_os_str() == "-" {
        "stdin".to_string()
    } else {
        path.display().to_string()
    };
    let input: Box<dyn std::io::Read + Send> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(path).map_err(|e| {
            anyhow::Error::new(e).context(format!("cannot read {}", path.display()))
        })?)
    };
    if dbs.is_empty() {
        eprintln!("ipkit: {NO_DATA}");
    }
    let interrupt = Interrupt::install();
    let mut bad = BadLines::default();
    let mut on_bad =
        |b: BadLine| bad.report(&source, b.line, format!("no address in {:?}", b.text));
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get().min(16)),
        usize::from,
    );
    let stats = if args.summarize {
        let (summary, stats) =
            bulk::summarize(dbs, input, interrupt.token(), &mut on_bad).map_err(bulk_error)?;
        draw_map(args.map.as_ref(), &summary)?;
        if out.json {
            print_json(&summary)?;
        } else {
            let mut w = std::io::stdout().lock();
            view::summary(&mut w, &summary, out)?;
        }
        stats
    } else {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
        bulk::to_ndjson(dbs, input, &mut w, threads, interrupt.token(), &mut on_bad)
            .map_err(bulk_error)?
    };
    if let Some(code) = interrupt.exit_code() {
        eprintln!(
            "ipkit: interrupted after {} lines ({} addresses, {} bad lines)",
            stats.lines, stats.addresses, stats.bad_lines
        );
        return Ok(code);
    }
    let code = bad.finish();
    if code == crate::exit::OK && dbs.is_empty() && stats.addresses > stats.bogons {
        return Ok(crate::exit::NEGATIVE);
    }
    Ok(code)
}

/// `--map`: the summary's countries as a choropleth, with the data's
/// attribution.
fn draw_map(
    map: Option<&crate::plot::Target>,
    summary: &ipkit::info::summary::Summary,
) -> anyhow::Result<()> {
    let Some(map) = map else {
        return Ok(());
    };
    let counts: Vec<(String, u64)> = summary
        .countries
        .iter()
        .map(|c| (c.value.clone(), c.count))
        .collect();
    let title = format!(
        "ipkit info --summarize: {} addresses, {} countries",
        summary.total,
        counts.len()
    );
    let svg = ipkit::picture::map::choropleth(&title, &counts, ipkit::info::DBIP_ATTRIBUTION);
    crate::plot::write(map, &svg)
}

/// A bulk run's error as the binary reports it: an I/O error as itself (so
/// a closed pipe is recognised and ends the run quietly), a database that
/// fails mid-run as one line, exit status 2.
fn bulk_error(e: bulk::BulkError) -> anyhow::Error {
    match e {
        bulk::BulkError::Io(io) => io.into(),
        bulk::BulkError::Data(d) => crate::exit::usage(ipkit::error_chain(&d)),
    }
}
