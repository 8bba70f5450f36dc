//! `ipkit dns`: nslookup and dig in one command that speaks DNS itself.
//! The exchange, server choice and search list are `ipkit::dns`; this module
//! parses the dig-style arguments and renders the views.

use std::fmt::Write as _;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_proto::rr::{DNSClass, RecordType};
use ipkit::dns::{self, DnsError, QueryOptions};

use crate::exit::usage;
use crate::output::{Output, print_json};
use crate::report::dns::{DnsReport, build, build_via};

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

/// Exit code: the server never answered.
const EXIT_TIMEOUT: u8 = 3;
/// Exit code: the server answered with an error.
const EXIT_SERVER_FAILED: u8 = 4;

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
pub(crate) struct Words {
    name: Option<String>,
    types: Vec<RecordType>,
    /// Servers, with the port when one was written.
    servers: Vec<(IpAddr, Option<u16>)>,
}

impl Words {
    /// The servers, with `default_port` where none was written.
    pub(crate) fn servers(&self, default_port: u16) -> Vec<SocketAddr> {
        self.servers
            .iter()
            .map(|(ip, port)| SocketAddr::new(*ip, port.unwrap_or(default_port)))
            .collect()
    }
}

pub(crate) fn parse_type(word: &str) -> Option<RecordType> {
    let up = word.to_ascii_uppercase();
    if let Some(n) = up.strip_prefix("TYPE") {
        return n.parse::<u16>().ok().map(RecordType::from);
    }
    up.parse::<RecordType>()
        .ok()
        .or_else(|| crate::report::presentation::extra_type_code(&up).map(RecordType::from))
}

fn parse_server(text: &str) -> anyhow::Result<(IpAddr, Option<u16>)> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok((ip, None));
    }
    match ipkit_core::sockaddr::parse(text) {
        Ok(s) => Ok((s.ip, s.port)),
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

/// `--timeout`, checked: more than 0 and at most 300 seconds.
pub(crate) fn timeout_of(args: &Args) -> anyhow::Result<Option<Duration>> {
    match args.timeout {
        Some(t) if t > 0.0 && t <= 300.0 => Ok(Some(Duration::from_secs_f64(t))),
        Some(t) => Err(usage(format!(
            "--timeout {t}: must be more than 0 and at most 300 seconds"
        ))),
        None => Ok(None),
    }
}

fn check_name(name: &str) -> anyhow::Result<()> {
    let bare = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.len() > 254 || bare.len() > 253 {
        return Err(usage(format!(
            "'{name}' is not a domain name: at most 253 characters"
        )));
    }
    for label in bare.split('.') {
        if label.is_empty() && !bare.is_empty() {
            return Err(usage(format!(
                "'{name}' has an empty label (two dots in a row)"
            )));
        }
        if label.len() > 63 {
            let start: String = label.chars().take(20).collect();
            return Err(usage(format!(
                "'{name}': the label '{start}…' is over 63 characters"
            )));
        }
    }
    dns::name_from_text(name).map_err(|e| usage(e.to_string()))?;
    Ok(())
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
        return crate::cmd::dns_bulk::run(path, &words.types, &words.servers(53), &args, out);
    }
    let class: DNSClass = args.class.to_ascii_uppercase().parse().map_err(|_| {
        usage(format!(
            "'{}' is not a class: use IN, CH, HS or ANY",
            args.class
        ))
    })?;
    // A bare address as the name means a reverse lookup, as in nslookup.
    let reverse = args
        .reverse
        .or_else(|| words.name.as_deref().and_then(|n| n.parse::<IpAddr>().ok()));
    let (name, types, absolute) = match reverse {
        Some(ip) => (
            ipkit_core::addr::reverse_name(ip) + ".",
            vec![RecordType::PTR],
            true,
        ),
        None => {
            let name = words
                .name
                .clone()
                .ok_or_else(|| usage("give a name to look up (or -x ADDRESS)"))?;
            check_name(&name)?;
            let types = if words.types.is_empty() {
                vec![RecordType::A, RecordType::AAAA]
            } else {
                words.types.clone()
            };
            (name, types, false)
        }
    };
    let mut conf = dns::system_config()?;
    if args.no_search || absolute {
        conf.search.clear();
        conf.ndots = 0;
    }
    let default_port = if args.tls {
        853
    } else if args.https.is_some() {
        443
    } else {
        53
    };
    let mut servers = dns::servers(&words.servers(args.port.unwrap_or(default_port)), &conf);
    if let Some(port) = args.port {
        // resolv.conf's servers too, as dig -p does; a written :PORT stays.
        let written: Vec<IpAddr> = words
            .servers
            .iter()
            .filter(|(_, p)| p.is_some())
            .map(|(ip, _)| *ip)
            .collect();
        for s in &mut servers {
            if !written.contains(&s.ip()) {
                s.set_port(port);
            }
        }
    }
    if args.ipv4 || args.ipv6 {
        servers.retain(|s| s.is_ipv4() == args.ipv4);
        if servers.is_empty() {
            return Err(usage(format!(
                "no IPv{} name server to ask: give one as @SERVER",
                if args.ipv4 { 4 } else { 6 }
            )));
        }
    }
    let opts = QueryOptions {
        recursion_desired: !args.norecurse,
        dnssec_ok: args.dnssec,
        checking_disabled: false,
        edns_payload: (args.bufsize > 0).then_some(args.bufsize),
        timeout: timeout_of(&args)?.unwrap_or(Duration::from_secs(u64::from(conf.timeout_secs))),
        tcp: args.tcp || conf.use_vc,
        source: args.source,
        interface: args.interface.clone(),
        edns_requests: dns::EdnsRequests {
            nsid: args.nsid,
            client_subnet: match &args.subnet {
                Some(p) => {
                    let net: ipkit_core::IpNet =
                        p.parse().map_err(|e| usage(format!("--subnet {p}: {e}")))?;
                    Some((net.network(), net.prefix_len()))
                }
                None => None,
            },
            cookie: args.cookie,
        },
        secure: (args.tls || args.https.is_some()).then(|| dns::Secure {
            server_name: args.tls_name.clone(),
            ca_file: args.tls_ca.clone(),
            https_path: args.https.clone(),
        }),
    };
    let tries = args.tries.unwrap_or(conf.attempts);
    conf.attempts = tries;
    if types.contains(&RecordType::AXFR) {
        let zone = dns::name_from_text(&if name.ends_with('.') {
            name.clone()
        } else {
            format!("{name}.")
        })
        .map_err(|e| usage(format!("'{name}': {e}")))?;
        let server = *servers
            .first()
            .ok_or_else(|| usage("AXFR needs a server: give @SERVER"))?;
        let q = dns::Question {
            name: zone.clone(),
            rtype: RecordType::AXFR,
            class,
        };
        let a = match dns::axfr(server, &zone, &opts, 10_000_000) {
            Ok(a) => a,
            Err(e @ DnsError::Timeout { .. }) => {
                eprintln!("error: {e}");
                return Ok(EXIT_TIMEOUT);
            }
            Err(e) => return Err(e.into()),
        };
        let report = build(&q, &a);
        if out.json {
            print_json(&serde_json::json!({ "results": [report] }))?;
        } else {
            let mut s = String::new();
            for r in &report.answer {
                let _ = writeln!(
                    s,
                    "{}\t{}\t{}\t{}\t{}",
                    r.name, r.ttl, r.class, r.rtype, r.data
                );
            }
            if report.status == "NOERROR" && !report.answer.is_empty() {
                let _ = writeln!(
                    s,
                    ";; XFR size: {} records, {} bytes, {:.0} ms from {}",
                    report.answer.len(),
                    report.size,
                    report.query_time_ms,
                    report.server
                );
            } else {
                // dig says "; Transfer failed."; say why as well.
                let why = if report.status == "NOERROR" {
                    "the server sent no records".to_string()
                } else {
                    format!("the server answered {}", report.status)
                };
                let _ = writeln!(s, "; Transfer failed: {why} (from {}).", report.server);
            }
            std::io::stdout().lock().write_all(s.as_bytes())?;
        }
        return Ok(if report.status == "NOERROR" && !report.answer.is_empty() {
            crate::exit::OK
        } else {
            EXIT_SERVER_FAILED
        });
    }
    if args.trace {
        return run_trace(&args, &name, types[0], class, &opts, out);
    }
    let mut reports = Vec::new();
    for rtype in types {
        let (q, a) = match dns::search(&servers, &conf, &name, rtype, class, &opts) {
            Ok(found) => found,
            Err(e @ DnsError::Timeout { .. }) => {
                eprintln!("error: {e}");
                return Ok(EXIT_TIMEOUT);
            }
            Err(e) => return Err(e.into()),
        };
        let transport = match &args.https {
            Some(_) => "https",
            None if args.tls => "tls",
            None => {
                if a.tcp {
                    "tcp"
                } else {
                    "udp"
                }
            }
        };
        reports.push(build_via(&q, &a, transport));
    }
    if out.json {
        print_json(&serde_json::json!({ "results": reports }))?;
    } else {
        let text = if args.short {
            // Every answer record's data, as dig +short prints them: a
            // CNAME chain's targets come before the address.
            reports
                .iter()
                .flat_map(|r| &r.answer)
                .map(|a| format!("{}\n", a.data))
                .collect()
        } else if args.dig {
            reports
                .iter()
                .map(|r| dig_view(r, out))
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            nslookup_view(&reports, &args, out)
        };
        std::io::stdout().lock().write_all(text.as_bytes())?;
    }
    Ok(exit_code(&reports))
}

/// `--trace`: delegation steps, then the final answer.
fn run_trace(
    args: &Args,
    name: &str,
    rtype: RecordType,
    class: DNSClass,
    opts: &QueryOptions,
    out: &Output,
) -> anyhow::Result<u8> {
    let roots: Vec<SocketAddr> = if args.root.is_empty() {
        dns::ROOT_HINTS
            .iter()
            .map(|ip| SocketAddr::new(IpAddr::V4(*ip), 53))
            .collect()
    } else {
        args.root
            .iter()
            .map(|r| parse_server(r).map(|(ip, port)| SocketAddr::new(ip, port.unwrap_or(53))))
            .collect::<anyhow::Result<_>>()?
    };
    let fq = if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    };
    let q = dns::Question {
        name: dns::name_from_text(&fq).map_err(|e| usage(e.to_string()))?,
        rtype,
        class,
    };
    let mut steps = Vec::new();
    let mut text = String::new();
    let result = dns::trace(&roots, &q, opts, |step| {
        let report = build(&q, &step.answer);
        if !out.json {
            for r in report.answer.iter().chain(&report.authority) {
                let _ = writeln!(
                    text,
                    "{}\t{}\t{}\t{}\t{}",
                    r.name, r.ttl, r.class, r.rtype, r.data
                );
            }
            let (ip, port) = report
                .server
                .rsplit_once('#')
                .unwrap_or((&report.server, "53"));
            let _ = writeln!(
                text,
                ";; Received {} bytes from {ip}#{port}({}) in {:.0} ms\n",
                report.size, step.zone, report.query_time_ms
            );
        }
        steps.push(report);
    });
    let code = match &result {
        Ok(_) => exit_code(steps.last().map(std::slice::from_ref).unwrap_or_default()),
        Err(_) => EXIT_SERVER_FAILED,
    };
    if out.json {
        print_json(
            &serde_json::json!({ "trace": steps, "error": result.as_ref().err().map(|e| ipkit::error_chain(e)) }),
        )?;
    } else {
        std::io::stdout().lock().write_all(text.as_bytes())?;
    }
    if let Err(e) = result {
        eprintln!("error: {}", ipkit::error_chain(&e));
    }
    Ok(code)
}

fn exit_code(reports: &[DnsReport]) -> u8 {
    if reports.iter().any(|r| !r.answer.is_empty()) {
        return crate::exit::OK;
    }
    match reports
        .iter()
        .map(|r| r.status.as_str())
        .find(|s| *s != "NOERROR" && *s != "NXDOMAIN")
    {
        Some(_) => EXIT_SERVER_FAILED,
        None => crate::exit::NEGATIVE,
    }
}

/// The nslookup view, as the chapter shows it (Windows nslookup).
fn nslookup_view(reports: &[DnsReport], args: &Args, out: &Output) -> String {
    let mut s = String::new();
    let Some(first) = reports.first() else {
        return s;
    };
    let (ip, port) = first
        .server
        .rsplit_once('#')
        .unwrap_or((&first.server, "53"));
    let _ = writeln!(s, "Server:  {ip}");
    let _ = writeln!(
        s,
        "Address:  {}\n",
        if port == "53" {
            ip.to_string()
        } else {
            format!("{ip}#{port}")
        }
    );
    let answered: Vec<&DnsReport> = reports.iter().filter(|r| !r.answer.is_empty()).collect();
    if answered.is_empty() {
        let r = first;
        let why = match r.status.as_str() {
            "NXDOMAIN" => "Non-existent domain".to_string(),
            "NOERROR" => format!(
                "No {} records (NODATA)",
                reports
                    .iter()
                    .map(|r| r.question.rtype.as_str())
                    .collect::<Vec<_>>()
                    .join("/")
            ),
            other => format!("Server failed ({other})"),
        };
        let line = format!(
            "*** {ip} can't find {}: {why}",
            r.question.name.trim_end_matches('.')
        );
        let _ = writeln!(s, "{}", out.paint(RED, &line));
        return s;
    }
    if !answered.iter().any(|r| r.flags.contains(&"aa")) {
        s.push_str("Non-authoritative answer:\n");
    }
    let records: Vec<_> = answered.iter().flat_map(|r| r.answer.iter()).collect();
    let aliases: Vec<String> = records
        .iter()
        .filter(|r| r.rtype == "CNAME")
        .map(|r| r.name.trim_end_matches('.').to_string())
        .fold(Vec::new(), |mut v, n| {
            if !v.contains(&n) {
                v.push(n);
            }
            v
        });
    let addresses: Vec<&str> = records
        .iter()
        .filter(|r| r.rtype == "A" || r.rtype == "AAAA")
        .map(|r| r.data.as_str())
        .collect();
    let owner = records
        .iter()
        .find(|r| r.rtype != "CNAME")
        .map_or(first.question.name.as_str(), |r| r.name.as_str());
    if !addresses.is_empty() {
        let _ = writeln!(s, "Name:    {}", owner.trim_end_matches('.'));
        if addresses.len() == 1 {
            let _ = writeln!(s, "Address:  {}", addresses[0]);
        } else {
            let _ = writeln!(s, "Addresses:  {}", addresses[0]);
            for a in &addresses[1..] {
                let _ = writeln!(s, "          {a}");
            }
        }
    }
    for r in records
        .iter()
        .filter(|r| !matches!(r.rtype.as_str(), "A" | "AAAA" | "CNAME"))
    {
        let _ = writeln!(
            s,
            "{}\t{}\t{}",
            r.name.trim_end_matches('.'),
            r.rtype,
            r.data
        );
    }
    if !aliases.is_empty() {
        let _ = writeln!(s, "Aliases:  {}", aliases[0]);
        for a in &aliases[1..] {
            let _ = writeln!(s, "          {a}");
        }
    }
    for r in reports {
        if args.authority && !r.authority.is_empty() {
            s.push_str("\nAuthoritative answers can be found from:\n");
            for a in &r.authority {
                let _ = writeln!(
                    s,
                    "{}\t{}\t{}",
                    a.name.trim_end_matches('.'),
                    a.rtype,
                    a.data
                );
            }
        }
        if args.additional && !r.additional.is_empty() {
            s.push_str("\nAdditional records:\n");
            for a in &r.additional {
                let _ = writeln!(
                    s,
                    "{}\t{}\t{}",
                    a.name.trim_end_matches('.'),
                    a.rtype,
                    a.data
                );
            }
        }
    }
    s
}

/// dig's full view.
/// The status word's colour: green for NOERROR, red for any failure.
fn status_colour(status: &str) -> &'static str {
    if status == "NOERROR" { GREEN } else { RED }
}

/// SGR codes for the status words.
const GREEN: &str = "32";
const RED: &str = "31";

fn dig_view(r: &DnsReport, out: &Output) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "; <<>> ipkit dns <<>> {} {} {}",
        r.question.name, r.question.class, r.question.rtype
    );
    let _ = writeln!(
        s,
        ";; ->>HEADER<<- opcode: QUERY, status: {}, id: {}",
        out.paint(status_colour(&r.status), &r.status),
        r.id
    );
    let _ = writeln!(
        s,
        ";; flags: {}; QUERY: 1, ANSWER: {}, AUTHORITY: {}, ADDITIONAL: {}",
        r.flags.join(" "),
        r.answer.len(),
        r.authority.len(),
        r.additional.len() + usize::from(r.edns_payload.is_some())
    );
    if let Some(p) = r.edns_payload {
        let _ = writeln!(s, "\n;; OPT PSEUDOSECTION:\n; EDNS: version: 0, udp: {p}");
        for o in &r.edns_options {
            let _ = writeln!(s, "; {}: {}", o.name, o.data);
        }
    }
    let _ = writeln!(
        s,
        "\n;; QUESTION SECTION:\n;{}\t\t{}\t{}",
        r.question.name, r.question.class, r.question.rtype
    );
    for (title, records) in [
        ("ANSWER", &r.answer),
        ("AUTHORITY", &r.authority),
        ("ADDITIONAL", &r.additional),
    ] {
        if !records.is_empty() {
            let _ = writeln!(s, "\n;; {title} SECTION:");
            for rec in records {
                let _ = writeln!(
                    s,
                    "{}\t{}\t{}\t{}\t{}",
                    rec.name, rec.ttl, rec.class, rec.rtype, rec.data
                );
            }
        }
    }
    let _ = writeln!(s, "\n;; Query time: {:.0} msec", r.query_time_ms);
    let (ip, port) = r.server.rsplit_once('#').unwrap_or((&r.server, "53"));
    let _ = writeln!(
        s,
        ";; SERVER: {ip}#{port}({ip}) ({})",
        r.transport.to_uppercase()
    );
    if r.retried_over_tcp {
        let _ = writeln!(s, ";; Truncated over UDP, retried in TCP mode.");
    }
    let _ = writeln!(s, ";; MSG SIZE  rcvd: {}", r.size);
    s
}
