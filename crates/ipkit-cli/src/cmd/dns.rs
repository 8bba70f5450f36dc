//! `ipkit dns`: nslookup and dig in one command that speaks DNS itself.
//! The request's checks, the exchange, server choice, search list and the
//! reports are `ipkit::dns`; this module turns the dig-style arguments into
//! an [`ipkit::dns::request::Request`] and picks the view.

use std::io::Write;
use std::net::IpAddr;

use hickory_proto::rr::{DNSClass, RecordType};
use ipkit::dns::Outcome;
use ipkit::dns::presentation::parse_type;
use ipkit::dns::report::Results;
use ipkit::dns::request::{Request, ServerFamily, ServerWord, Transport, timeout_from_secs};
use ipkit::dns_bulk::BulkRequest;

use crate::exit::usage;
use crate::output::{Output, print_json};
use crate::view::dns::{Sections, dig_view, nslookup_view, short_view, trace_view, transfer_view};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit dns example.com                 A and AAAA, nslookup's view, servers from resolv.conf
  ipkit dns example.com MX @127.0.0.1   one type, one server
  ipkit dns example.com A AAAA @127.0.0.1:5353 @::1
  ipkit dns -x 192.0.2.1                reverse (PTR); a bare address does the same
  ipkit dns version.bind TXT --class CH @127.0.0.1
  ipkit dns example.com TYPE65 --dig    any type by number, dig's full view
  ipkit dns example.com --short --tcp
  ipkit dns example.com --nsid --cookie --dig @127.0.0.1
  ipkit dns example.com AXFR @127.0.0.1  zone transfer over TCP
  ipkit dns example.com --tls @9.9.9.9 --tls-name dns.quad9.net
  ipkit dns example.com --https @1.1.1.1 --tls-name cloudflare-dns.com
  ipkit dns www.example.com --trace --root 127.0.0.1  follow delegations

Names without a trailing dot go through resolv.conf's search list exactly as
the system resolver does (ndots); --no-search sends them as given.
Exit codes: 0 answered; 1 NXDOMAIN or no records of the type (NODATA);
2 bad usage; 3 no answer in time (the error names the server); 4 the server
failed (SERVFAIL, REFUSED, …).";

/// Arguments of `ipkit dns`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// NAME, record TYPEs (A, MX, TYPE65 …) and @SERVER[:PORT]s, in any order, as dig takes them.
    #[arg(value_name = "NAME|TYPE|@SERVER", required_unless_present_any = ["reverse", "bulk"])]
    pub words: Vec<String>,
    /// A record type to ask for, as dig's -t (repeatable; the same as a TYPE word).
    #[arg(short = 't', long = "type", value_name = "TYPE")]
    pub rtype: Vec<String>,
    /// The server port, as dig's -p (for every server without its own :PORT).
    #[arg(short = 'p', long, value_name = "PORT")]
    pub port: Option<u16>,
    /// Ask IPv4 servers only, as dig -4.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// Ask IPv6 servers only, as dig -6.
    #[arg(short = '6')]
    pub ipv6: bool,
    /// Reverse lookup of this address (PTR in in-addr.arpa / ip6.arpa).
    #[arg(short = 'x', value_name = "ADDRESS")]
    pub reverse: Option<IpAddr>,
    /// Query class: IN, CH, HS or ANY.
    #[arg(long, value_name = "CLASS", default_value = "IN")]
    pub class: String,
    /// Use TCP only.
    #[arg(long)]
    pub tcp: bool,
    /// DNS over TLS (RFC 7858); servers without a port use 853.
    #[arg(long, conflicts_with_all = ["tcp", "https", "bulk"])]
    pub tls: bool,
    /// DNS over HTTPS (RFC 8484), at /dns-query or `--https=PATH`; servers without a port use 443.
    #[arg(long, value_name = "PATH", num_args = 0..=1, require_equals = true, default_missing_value = "/dns-query", conflicts_with_all = ["tcp", "bulk"])]
    pub https: Option<String>,
    /// The name to check the server's TLS certificate against (default: its IP address).
    #[arg(long, value_name = "NAME")]
    pub tls_name: Option<String>,
    /// Trust the CA certificates in this PEM file instead of the system's.
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<std::path::PathBuf>,
    /// Clear RD: do not ask the server to recurse.
    #[arg(long)]
    pub norecurse: bool,
    /// Set the EDNS DO bit: ask for DNSSEC records; the view shows the AD flag.
    #[arg(long)]
    pub dnssec: bool,
    /// Follow delegations from the root servers (or --root) down to the
    /// answer, without recursion, showing each step as dig +trace does.
    #[arg(long, conflicts_with_all = ["bulk", "short"])]
    pub trace: bool,
    /// With --trace: start from these servers instead of the IANA root hints.
    #[arg(long, value_name = "ADDRESS[:PORT]", requires = "trace")]
    pub root: Vec<String>,
    /// Ask the server to identify itself (EDNS NSID, RFC 5001).
    #[arg(long)]
    pub nsid: bool,
    /// Send EDNS client subnet (RFC 7871), e.g. 192.0.2.0/24.
    #[arg(long, value_name = "PREFIX")]
    pub subnet: Option<String>,
    /// Send a random EDNS client cookie (RFC 7873); the view shows the server's.
    #[arg(long)]
    pub cookie: bool,
    /// EDNS UDP payload size to advertise; 0 sends no EDNS.
    #[arg(long, value_name = "BYTES", default_value_t = 1232)]
    pub bufsize: u16,
    /// Seconds to wait for each answer (default: resolv.conf's timeout, else
    /// 5; with --bulk, 1), more than 0 and at most 300.
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    pub timeout: Option<f64>,
    /// Rounds over the server list (default: resolv.conf's attempts, else 2).
    #[arg(long, value_name = "N")]
    pub tries: Option<u8>,
    /// Send the query from this local address.
    #[arg(long, value_name = "ADDRESS")]
    pub source: Option<IpAddr>,
    /// Send the query through this interface (SO_BINDTODEVICE; needs CAP_NET_RAW).
    #[arg(long, value_name = "NAME")]
    pub interface: Option<String>,
    /// Do not apply resolv.conf's search list.
    #[arg(long)]
    pub no_search: bool,
    /// dig's full view: header, flags, sections, query time, server, size.
    #[arg(long, conflicts_with = "short")]
    pub dig: bool,
    /// Only the record data, one per line.
    #[arg(long)]
    pub short: bool,
    /// Show the authority section (always shown with --dig).
    #[arg(long)]
    pub authority: bool,
    /// Show the additional section (always shown with --dig).
    #[arg(long)]
    pub additional: bool,
    /// Resolve every name in FILE (`-` for stdin): one name per line, optionally
    /// followed by types (`example.com A AAAA`); TYPE words on the command line
    /// are the default (A). Names are taken as absolute (no search list).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["reverse", "dig", "short"])]
    pub bulk: Option<std::path::PathBuf>,
    /// Bulk: names in flight at most (the adaptive window's ceiling).
    #[arg(
        long,
        visible_alias = "window",
        value_name = "N",
        default_value_t = 2000,
        requires = "bulk",
        long_help = "Bulk: names in flight at most, 1 to 65536. The window adapts \
as TCP's congestion window does: it starts at 32 (or N when smaller), grows \
by one per answer until answers slow down (the server is queueing) or a \
query times out, then by one per round trip; it shrinks while answers keep \
coming late and halves on a time-out. N is its ceiling; with --fixed-window \
it is kept at exactly N."
    )]
    pub concurrency: usize,
    /// Bulk: keep exactly --concurrency names in flight (no adaptation).
    #[arg(long, requires = "bulk")]
    pub fixed_window: bool,
    /// Bulk: write results in input order (held back only until the names
    /// before them finish), not as they complete.
    #[arg(long, requires = "bulk")]
    pub ordered: bool,
    /// Bulk: queries per second at most; 0 for no limit.
    #[arg(long, value_name = "QPS", default_value_t = 0, requires = "bulk")]
    pub rate: u32,
    /// Bulk: retries after the first try (each doubles the timeout).
    #[arg(long, value_name = "N", default_value_t = 2, requires = "bulk")]
    pub retries: u8,
}

/// The words sorted into what they are.
struct Words {
    name: Option<String>,
    types: Vec<RecordType>,
    /// Servers, with the port when one was written.
    servers: Vec<ServerWord>,
}

fn parse_server(text: &str) -> anyhow::Result<ServerWord> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(ServerWord { ip, port: None });
    }
    match ipkit_core::sockaddr::parse(text) {
        Ok(s) => Ok(ServerWord {
            ip: s.ip,
            port: s.port,
        }),
        Err(_) => Err(usage(format!(
            "'@{text}' is not a server address: write @ADDRESS or @ADDRESS:PORT (IPv6: @[ADDRESS]:PORT)"
        ))),
    }
}

fn sort_words(words: &[String]) -> anyhow::Result<Words> {
    let mut w = Words {
        name: None,
        types: Vec::new(),
        servers: Vec::new(),
    };
    for word in words {
        if let Some(option) = word.strip_prefix('+') {
            return Err(usage(dig_option(option)));
        }
        if let Some(server) = word.strip_prefix('@') {
            w.servers.push(parse_server(server)?);
        } else if w.name.is_some() || (parse_type(word).is_some() && !word.contains('.')) {
            let t = parse_type(word).ok_or_else(|| {
                usage(format!(
                    "'{word}' is not a record type (A, AAAA, MX, TXT, TYPE65 …)"
                ))
            })?;
            w.types.push(t);
        } else {
            w.name = Some(word.clone());
        }
    }
    Ok(w)
}

/// The line for a dig `+option` word: ipkit's flag for it, when there is one.
fn dig_option(option: &str) -> String {
    let (key, value) = option.split_once('=').unwrap_or((option, ""));
    let key = key.to_ascii_lowercase();
    let flag = match key.as_str() {
        "short" => "--short".to_string(),
        "tcp" | "vc" => "--tcp".to_string(),
        "tls" => "--tls".to_string(),
        "https" => "--https".to_string(),
        "dnssec" => "--dnssec".to_string(),
        "norecurse" | "norec" => "--norecurse".to_string(),
        "trace" => "--trace".to_string(),
        "nsid" => "--nsid".to_string(),
        "cookie" => "--cookie".to_string(),
        "authority" => "--authority".to_string(),
        "additional" => "--additional".to_string(),
        "subnet" | "client" => format!("--subnet {value}"),
        "bufsize" => format!("--bufsize {value}"),
        "time" => format!("--timeout {value}"),
        "tries" | "retry" => format!("--tries {value}"),
        "nosearch" => "--no-search".to_string(),
        _ => {
            return format!(
                "'+{}' is a dig option ipkit does not take; see `ipkit dns --help`",
                crate::message::excerpt(option)
            );
        }
    };
    format!(
        "'+{}' is dig's spelling: ipkit takes {}",
        crate::message::excerpt(option),
        flag.trim_end()
    )
}

/// `--timeout`, checked.
fn timeout_of(args: &Args) -> anyhow::Result<Option<std::time::Duration>> {
    Ok(args.timeout.map(timeout_from_secs).transpose()?)
}

/// `--bulk`'s request.
fn bulk_request(args: &Args, words: &Words) -> anyhow::Result<BulkRequest> {
    Ok(BulkRequest {
        servers: words.servers.clone(),
        default_types: words.types.clone(),
        window: args.concurrency,
        fixed_window: args.fixed_window,
        rate: args.rate,
        timeout: timeout_of(args)?,
        retries: args.retries,
        recursion_desired: !args.norecurse,
        dnssec_ok: args.dnssec,
        edns_payload: (args.bufsize > 0).then_some(args.bufsize),
        source: args.source,
        interface: args.interface.clone(),
    })
}

/// The request of a lookup, transfer or trace.
fn request(args: &Args, words: Words) -> anyhow::Result<Request> {
    let class: DNSClass = args.class.to_ascii_uppercase().parse().map_err(|_| {
        usage(format!(
            "'{}' is not a class: use IN, CH, HS or ANY",
            args.class
        ))
    })?;
    let client_subnet = match &args.subnet {
        Some(p) => {
            let net: ipkit_core::IpNet =
                p.parse().map_err(|e| usage(format!("--subnet {p}: {e}")))?;
            Some((net.network(), net.prefix_len()))
        }
        None => None,
    };
    let trace_from = match args.trace {
        true => Some(
            args.root
                .iter()
                .map(|r| parse_server(r))
                .collect::<anyhow::Result<_>>()?,
        ),
        false => None,
    };
    Ok(Request {
        name: words.name,
        reverse: args.reverse,
        types: words.types,
        class,
        servers: words.servers,
        port: args.port,
        family: match (args.ipv4, args.ipv6) {
            (true, _) => Some(ServerFamily::V4),
            (_, true) => Some(ServerFamily::V6),
            _ => None,
        },
        transport: match (&args.https, args.tls, args.tcp) {
            (Some(path), _, _) => Transport::Https { path: path.clone() },
            (None, true, _) => Transport::Tls,
            (None, false, true) => Transport::Tcp,
            (None, false, false) => Transport::Udp,
        },
        tls_name: args.tls_name.clone(),
        tls_ca: args.tls_ca.clone(),
        recursion_desired: !args.norecurse,
        dnssec_ok: args.dnssec,
        edns_payload: (args.bufsize > 0).then_some(args.bufsize),
        edns_requests: ipkit::dns::EdnsRequests {
            nsid: args.nsid,
            client_subnet,
            cookie: args.cookie,
        },
        timeout: timeout_of(args)?,
        tries: args.tries,
        source: args.source,
        interface: args.interface.clone(),
        no_search: args.no_search,
        trace_from,
    })
}

/// Run `ipkit dns`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    let mut words = sort_words(&args.words)?;
    for t in &args.rtype {
        words.types.push(parse_type(t).ok_or_else(|| {
            usage(format!(
                "-t '{}': not a record type (A, AAAA, MX, TXT, TYPE65 …)",
                crate::message::excerpt(t)
            ))
        })?);
    }
    if let Some(path) = &args.bulk {
        let request = bulk_request(&args, &words)?;
        return crate::cmd::dns_bulk::run(path, &request, args.ordered, out);
    }
    let request = request(&args, words)?;
    let plan = request.plan(ipkit::dns::system_config()?)?;
    let outcome = ipkit::dns::run(&plan)?;
    if out.json {
        match &outcome {
            Outcome::Lookups(reports) => print_json(&Results { results: reports })?,
            Outcome::Transfer(report) => print_json(&Results {
                results: std::slice::from_ref(report),
            })?,
            Outcome::Trace(trace, _) => print_json(trace)?,
        }
    } else {
        std::io::stdout()
            .lock()
            .write_all(human_view(&outcome, &args, out).as_bytes())?;
    }
    Ok(match outcome {
        Outcome::Lookups(reports) => crate::exit::for_dns(&reports),
        Outcome::Transfer(report) => crate::exit::for_transfer(&report),
        // Stopped short: main prints the error, exit::for_error maps it.
        Outcome::Trace(_, Some(e)) => return Err(e.into()),
        Outcome::Trace(trace, None) => crate::exit::for_dns(
            trace
                .trace
                .last()
                .map(std::slice::from_ref)
                .unwrap_or_default(),
        ),
    })
}

/// The human view the flags ask for.
fn human_view(outcome: &Outcome, args: &Args, out: &Output) -> String {
    match outcome {
        Outcome::Transfer(report) => transfer_view(report),
        Outcome::Trace(trace, _) => trace_view(trace),
        Outcome::Lookups(reports) if args.short => short_view(reports),
        Outcome::Lookups(reports) if args.dig => reports
            .iter()
            .map(|r| dig_view(r, out))
            .collect::<Vec<_>>()
            .join("\n"),
        Outcome::Lookups(reports) => {
            let sections = Sections {
                authority: args.authority,
                additional: args.additional,
            };
            nslookup_view(reports, sections, out)
        }
    }
}
