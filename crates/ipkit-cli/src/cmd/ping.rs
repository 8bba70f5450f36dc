//! `ipkit ping`: ICMP echo with iputils' letters and view. The engine is
//! `ipkit::ping`; this module parses, prints and picks the exit code
//! (0 a reply came, 1 none, 2 an error), as iputils does.

use std::fmt::Write as _;
use std::io::Write;
use std::net::IpAddr;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use ipkit::ping::session::{self, PingEvent, PingOptions};
use ipkit_core::wire::ipv4::Ipv4Option;
use serde::Serialize;

use crate::exit::usage;
use crate::output::{Output, ms, write_record};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit ping 127.0.0.1                 until Ctrl-C, then the statistics
  ipkit ping -c 3 -i 0.2 ::1
  ipkit ping -c 1 -W 2 -t 5 192.0.2.1   one probe, TTL 5, wait 2 s
  ipkit ping -c 4 --json 127.0.0.1     NDJSON: reply/timeout/error records, then a summary
  ipkit ping -c 1 -R 127.0.0.1         record route (IPv4 option), printed under the reply
  ipkit ping --alive 127.0.0.0/24      sweep a range, fping style: the hosts that answer
  ipkit ping --windows -n 4 -l 32 ::1  Windows ping's letters and view

Many targets or a CIDR range sweep all of them (one socket per family,
sendmmsg/recvmmsg batches): --rate probes/s (default 1000; 0 = no limit, for
loopback and labs), --retries rounds for the silent (default 1), -W the wait
after each round (default 1 s in a sweep).

Exit codes, one target (as iputils): 0 a reply came, 1 none, also when
Ctrl-C ends it (the statistics come first); 143 after SIGTERM.
A sweep (as fping): 0 every target answered, 1 any did not or, after
Ctrl-C, was never probed (the summary counts those apart); 143 after
SIGTERM. 2 an error or bad usage. A closed pipe (`| head`) ends ipkit at
once with 0.
A raw ICMP socket needs CAP_NET_RAW; without it ipkit uses the unprivileged
ICMP socket when net.ipv4.ping_group_range allows, and says how to fix it
when neither is possible.";

/// Arguments of `ipkit ping`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Hosts to ping: addresses, names, or CIDR ranges (`127.0.0.0/24`).
    /// Several targets or a range sweep them all, as fping does.
    #[arg(value_name = "TARGET", required = true)]
    pub targets: Vec<String>,
    /// Sweep: print only the hosts that answered.
    #[arg(long, conflicts_with = "unreachable")]
    pub alive: bool,
    /// Sweep: print only the hosts that did not answer.
    #[arg(long)]
    pub unreachable: bool,
    /// Sweep: probes per second at most (default 1000; 0: no limit, for loopback
    /// and labs only).
    #[arg(long, value_name = "PPS", default_value_t = 1000, allow_negative_numbers = true, value_parser = whole::<u32>(0))]
    pub rate: u32,
    /// Sweep: extra rounds for hosts that stayed silent.
    #[arg(long, value_name = "N", default_value_t = 1, allow_negative_numbers = true, value_parser = whole::<u8>(0))]
    pub retries: u8,
    /// Sweep: refuse more targets than this.
    #[arg(long, value_name = "N", default_value_t = 1 << 20, allow_negative_numbers = true, value_parser = whole::<usize>(1))]
    pub limit: usize,
    /// Stop after COUNT probes (in a sweep: COUNT probes to every target,
    /// -i apart, and a summary line per target).
    #[arg(short = 'c', long, value_name = "COUNT", conflicts_with = "forever", allow_negative_numbers = true, value_parser = whole::<u64>(1))]
    pub count: Option<u64>,
    /// Ping until stopped (the default for one target; Ctrl-C prints the statistics).
    #[arg(long)]
    pub forever: bool,
    /// Seconds between probes (below 0.002 needs root, as in iputils).
    #[arg(
        short = 'i',
        long,
        value_name = "SECONDS",
        default_value_t = 1.0,
        allow_negative_numbers = true,
        value_parser = seconds,
        long_help = "Seconds between probes (default 1). As in iputils (20221126), only root may \
                     go below 0.002 s (2 ms): other users are refused before anything is sent. \
                     In a sweep with -c, the time between rounds to the same target."
    )]
    pub interval: f64,
    /// Seconds to wait for each reply (default 10; in a sweep, 1 after the
    /// last round).
    #[arg(short = 'W', long, value_name = "SECONDS", allow_negative_numbers = true, value_parser = seconds)]
    pub timeout: Option<f64>,
    /// Stop after this many seconds, whatever happened.
    #[arg(short = 'w', long, value_name = "SECONDS", allow_negative_numbers = true, value_parser = seconds)]
    pub deadline: Option<f64>,
    /// Payload bytes (default 56: 64 bytes of ICMP; below 16 no time fits,
    /// and, as in iputils, no round-trip time is shown).
    #[arg(short = 's', long, value_name = "BYTES", default_value_t = 56, allow_negative_numbers = true, value_parser = between::<usize>(0, 65_507))]
    pub size: usize,
    /// TTL (IPv4) or hop limit (IPv6) of the probes, 1 to 255.
    #[arg(short = 't', long, value_name = "TTL", allow_negative_numbers = true, value_parser = between::<u32>(1, 255))]
    pub ttl: Option<u32>,
    /// Type of service / traffic class byte, 0 to 255.
    #[arg(short = 'Q', long, value_name = "TOS", allow_negative_numbers = true, value_parser = between::<u32>(0, 255))]
    pub tos: Option<u32>,
    /// Path-MTU discovery: `do` forbids fragmentation.
    #[arg(short = 'M', value_name = "do")]
    pub pmtu: Option<String>,
    /// Forbid fragmentation (same as -M do).
    #[arg(long)]
    pub dont_fragment: bool,
    /// Send from this interface name or source address.
    #[arg(short = 'I', long, value_name = "IFACE|ADDRESS")]
    pub interface: Option<String>,
    /// Send from this source address.
    #[arg(long, value_name = "ADDRESS", conflicts_with = "interface")]
    pub source: Option<IpAddr>,
    /// Only the summary lines.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Prefix each line with a Unix timestamp.
    #[arg(short = 'D', long)]
    pub timestamps: bool,
    /// Numeric output only (no name lookups; ipkit does none by default).
    #[arg(short = 'n', long, conflicts_with = "resolve")]
    pub numeric: bool,
    /// Show the names of the target and of every host that answers
    /// (getnameinfo), as iputils does without -n.
    #[arg(long)]
    pub resolve: bool,
    /// Record route: ask each router to write its address into the probe
    /// (IPv4 option, 1–9 slots). The reply carries the route there and back.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=9))]
    pub record_route: Option<u8>,
    /// Record route with all 9 slots (same as --record-route 9).
    #[arg(short = 'R', conflicts_with = "record_route")]
    pub record_route_all: bool,
    /// Internet timestamps from N hops, each with its address (IPv4 option, 1–4).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=4))]
    pub timestamp: Option<u8>,
    /// Internet timestamps, iputils style: tsonly (9 timestamps) or
    /// tsandaddr (4 address + timestamp pairs).
    #[arg(short = 'T', value_name = "KIND", conflicts_with = "timestamp")]
    pub timestamp_kind: Option<String>,
    /// Loose source route: go through these routers (commas or spaces), in
    /// order, then to the target (IPv4 option; most routers refuse it).
    #[arg(long, value_name = "HOSTS", conflicts_with = "strict_route")]
    pub loose_route: Option<String>,
    /// Strict source route: only through these routers, each the next hop.
    #[arg(long, value_name = "HOSTS")]
    pub strict_route: Option<String>,
    /// Use IPv4 only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// Use IPv6 only.
    #[arg(short = '6')]
    pub ipv6: bool,
    /// The output style: iputils (default) or windows.
    #[arg(long, value_enum, default_value = "iputils")]
    pub style: Style,
    /// Take Windows ping's letters instead (-t -a -n -l -f -i -v -w …; see
    /// `ipkit ping --windows --help`) and print the Windows view. Must come
    /// right after `ping`.
    #[arg(long)]
    pub windows: bool,
}

/// How replies are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Style {
    /// Linux iputils ping.
    Iputils,
    /// Windows ping, as the chapter's transcript shows it.
    Windows,
}

/// `ipkit ping --windows`: Windows ping's letters and meanings.
#[derive(Debug, clap::Parser)]
#[command(
    name = "ipkit ping --windows",
    bin_name = "ipkit ping",
    about = "ICMP echo with Windows ping's options and view.",
    after_help = "Examples:\n  ipkit ping --windows -n 4 -l 32 127.0.0.1\n  ipkit ping --windows -t -w 1000 ::1\n\nExit codes: 0 a reply came, 1 none (also after Ctrl-C), 143 after SIGTERM, 2 an error."
)]
pub struct WindowsArgs {
    /// Must be given first, to choose these letters.
    #[arg(long, required = true)]
    windows: bool,
    /// The host to ping.
    #[arg(value_name = "TARGET")]
    target: String,
    /// Ping until stopped (Ctrl-C prints the statistics).
    #[arg(short = 't')]
    forever: bool,
    /// Resolve the address to a host name.
    #[arg(short = 'a')]
    resolve: bool,
    /// Number of echo requests to send.
    #[arg(short = 'n', value_name = "COUNT", default_value_t = 4, allow_negative_numbers = true, value_parser = between::<u64>(1, 4_294_967_295))]
    count: u64,
    /// Send buffer size, 0 to 65500 (Windows' own limit).
    #[arg(short = 'l', value_name = "SIZE", default_value_t = 32, allow_negative_numbers = true, value_parser = between::<usize>(0, 65_500))]
    size: usize,
    /// Set the Don't Fragment flag.
    #[arg(short = 'f')]
    dont_fragment: bool,
    /// Time to live, 1 to 255.
    #[arg(short = 'i', value_name = "TTL", allow_negative_numbers = true, value_parser = between::<u32>(1, 255))]
    ttl: Option<u32>,
    /// Type of service, 0 to 255.
    #[arg(short = 'v', value_name = "TOS", allow_negative_numbers = true, value_parser = between::<u32>(0, 255))]
    tos: Option<u32>,
    /// Record route for COUNT hops (not available yet in ipkit).
    #[arg(short = 'r', value_name = "COUNT")]
    record_route: Option<u8>,
    /// Timestamp for COUNT hops (not available yet in ipkit).
    #[arg(short = 's', value_name = "COUNT")]
    timestamp: Option<u8>,
    /// Loose source route along the host list (not available yet in ipkit).
    #[arg(short = 'j', value_name = "HOSTS")]
    loose: Option<String>,
    /// Strict source route along the host list (not available yet in ipkit).
    #[arg(short = 'k', value_name = "HOSTS")]
    strict: Option<String>,
    /// Timeout in milliseconds to wait for each reply.
    #[arg(short = 'w', value_name = "MS", default_value_t = 4000, allow_negative_numbers = true, value_parser = whole::<u64>(0))]
    timeout_ms: u64,
    /// Print JSON (NDJSON records) instead of the view.
    #[arg(long)]
    json: bool,
}

/// Parse `ipkit ping --windows …` when that is what the command line says;
/// None otherwise (the ordinary parser runs).
pub fn windows_command_line(
    argv: &[std::ffi::OsString],
) -> Option<Result<WindowsArgs, clap::Error>> {
    let is_windows =
        argv.get(1).is_some_and(|a| a == "ping") && argv.get(2).is_some_and(|a| a == "--windows");
    is_windows.then(|| <WindowsArgs as clap::Parser>::try_parse_from(argv.iter().skip(1)))
}

/// Run `ipkit ping --windows`.
pub fn run_windows(args: WindowsArgs, color: crate::output::ColorChoice) -> anyhow::Result<u8> {
    let _ = args.windows;
    let target = resolve(&args.target, false, false)?;
    let route = match (&args.loose, &args.strict) {
        (Some(_), Some(_)) => return Err(usage("-j and -k exclude each other: give one route")),
        (Some(h), None) => Some((SourceRoute::Loose, h.as_str())),
        (None, Some(h)) => Some((SourceRoute::Strict, h.as_str())),
        (None, None) => None,
    };
    let requested = IpOptionsWanted {
        record_route: args.record_route,
        timestamp: args.timestamp.map(|n| (1, n)),
        route,
    };
    let ip_options = requested.encode(target, "-r/-s/-j/-k")?;
    let o = PingOptions {
        count: (!args.forever).then_some(args.count),
        interval: Duration::from_secs(1),
        timeout: Duration::from_millis(args.timeout_ms),
        deadline: None,
        size: args.size,
        ttl: args.ttl,
        tos: args.tos,
        dont_fragment: args.dont_fragment,
        source: None,
        interface: None,
        ip_options,
    };
    let out = Output::new(args.json, color);
    let view = View {
        style: Style::Windows,
        quiet: false,
        timestamps: false,
        resolve_name: args.resolve,
        wanted: requested,
    };
    ping_and_render(&args.target, target, &o, &view, &out)
}

/// The NDJSON records of `ipkit ping --json`.
#[derive(Serialize)]
struct ReplyRecord {
    from: IpAddr,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    seq: u16,
    bytes: usize,
    ttl: Option<u8>,
    rtt_ms: f64,
    duplicate: bool,
    late: bool,
    /// Record route: the addresses written into the probe and the reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    route: Option<Vec<std::net::Ipv4Addr>>,
    /// Internet timestamps: (address when recorded, ms since midnight UT).
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamps: Option<Vec<TimestampRecord>>,
}

#[derive(Serialize)]
struct TimestampRecord {
    addr: Option<std::net::Ipv4Addr>,
    ms_since_midnight_utc: u32,
}

/// The recorded route and timestamps of a reply, when it carried them.
fn options_of(
    options: &[Ipv4Option],
) -> (
    Option<Vec<std::net::Ipv4Addr>>,
    Option<Vec<TimestampRecord>>,
) {
    let mut route = None;
    let mut stamps = None;
    for o in options {
        match o {
            Ipv4Option::RecordRoute { route: r, .. } => route = Some(r.clone()),
            Ipv4Option::Timestamp { entries, .. } => {
                stamps = Some(
                    entries
                        .iter()
                        .map(|&(addr, ms)| TimestampRecord {
                            addr,
                            ms_since_midnight_utc: ms,
                        })
                        .collect(),
                );
            }
            _ => {}
        }
    }
    (route, stamps)
}

#[derive(Serialize)]
struct SummaryRecord {
    target: IpAddr,
    transmitted: u64,
    received: u64,
    duplicates: u64,
    errors: u64,
    loss_percent: f64,
    elapsed_ms: f64,
    rtt_min_ms: Option<f64>,
    rtt_avg_ms: Option<f64>,
    rtt_max_ms: Option<f64>,
    rtt_mdev_ms: Option<f64>,
}

/// A clap value parser for a whole number of at least `min`: refuses
/// negative numbers and words with one line that says what is allowed.
fn whole<T>(min: T) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy + Send + Sync + 'static,
{
    move |text| match text.trim().parse::<T>() {
        Ok(v) if v >= min => Ok(v),
        _ => Err(format!("must be a whole number ≥ {min}")),
    }
}

/// A clap value parser for a whole number from `min` to `max`.
fn between<T>(min: T, max: T) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy + Send + Sync + 'static,
{
    move |text| match text.trim().parse::<T>() {
        Ok(v) if v >= min && v <= max => Ok(v),
        _ => Err(format!("must be a whole number between {min} and {max}")),
    }
}

/// A clap value parser for seconds: a number from 0 to 86400 (a day).
fn seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if (0.0..=86_400.0).contains(&v) => Ok(v),
        _ => Err("must be seconds between 0 and 86400 (fractions allowed: 0.2)".into()),
    }
}

fn resolve(target: &str, v4: bool, v6: bool) -> anyhow::Result<IpAddr> {
    if let Ok(ip) = target.parse::<IpAddr>() {
        if (v4 && ip.is_ipv6()) || (v6 && ip.is_ipv4()) {
            return Err(usage(format!(
                "{target} is an IPv{} address, but -{} was given",
                if ip.is_ipv4() { 4 } else { 6 },
                if v4 { 4 } else { 6 }
            )));
        }
        return Ok(ip);
    }
    // The C library would read `2` as 0.0.0.2 and `127.1` as 127.0.0.1:
    // refuse those legacy forms rather than ping an address nobody wrote.
    if let Some(legacy) = ipkit_core::legacy::parse_inet_aton(target) {
        return Err(usage(format!(
            "'{target}' is not a host: the C library would read it as {} (a legacy inet_aton form); \
             write the address in full{}",
            legacy.addr,
            if target.bytes().all(|b| b.is_ascii_digit()) {
                " (a count is -c COUNT here; Windows letters need `ipkit ping --windows`)"
            } else {
                ""
            }
        )));
    }
    let hints = ipkit::resolve::Hints {
        family: if v4 {
            ipkit::resolve::Family::Inet
        } else if v6 {
            ipkit::resolve::Family::Inet6
        } else {
            ipkit::resolve::Family::Unspec
        },
        socktype: ipkit::resolve::SockType::Raw,
        ..Default::default()
    };
    let list = ipkit::resolve::getaddrinfo(Some(target), None, &hints)
        .map_err(|e| anyhow::anyhow!("{target}: {e}"))?;
    list.first()
        .map(|a| a.addr.ip())
        .ok_or_else(|| anyhow::anyhow!("{target}: no address"))
}

/// Run an engine's future on a current-thread tokio runtime (IO and time).
fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| anyhow::anyhow!("starting the async runtime: {e}"))?;
    Ok(rt.block_on(f))
}

/// Run `ipkit ping`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    if args.windows {
        return Err(usage(
            "--windows must come right after `ping`: ipkit ping --windows [OPTIONS] TARGET",
        ));
    }
    if args.targets.len() > 1 || args.targets[0].contains('/') || args.alive || args.unreachable {
        return run_sweep(&args, out);
    }
    let shown = args.targets[0].clone();
    let target = resolve(&shown, args.ipv4, args.ipv6)?;
    if args
        .pmtu
        .as_deref()
        .is_some_and(|m| m != "do" && m != "dont" && m != "want")
    {
        return Err(usage("-M takes do, want or dont"));
    }
    check_interval(args.interval, ipkit::sys::real_uid() == 0)?;
    let timestamp = match args.timestamp_kind.as_deref() {
        None => args.timestamp.map(|n| (1, n)),
        Some("tsonly") => Some((0, 9)),
        Some("tsandaddr") => Some((1, 4)),
        Some(k) => {
            return Err(usage(format!(
                "-T {k}: give tsonly or tsandaddr (prespecified addresses are not supported)"
            )));
        }
    };
    let route = match (&args.loose_route, &args.strict_route) {
        (Some(h), _) => Some((SourceRoute::Loose, h.as_str())),
        (None, Some(h)) => Some((SourceRoute::Strict, h.as_str())),
        (None, None) => None,
    };
    let requested = IpOptionsWanted {
        record_route: args.record_route.or(args.record_route_all.then_some(9)),
        timestamp,
        route,
    };
    let ip_options = requested.encode(
        target,
        "--record-route/--timestamp/--loose-route/--strict-route",
    )?;
    let (source, interface) = match args.interface.as_deref().map(|i| (i, i.parse::<IpAddr>())) {
        Some((_, Ok(ip))) => (Some(ip), None),
        Some((name, Err(_))) => (None, Some(name.to_string())),
        None => (args.source, None),
    };
    let o = PingOptions {
        count: args.count,
        interval: Duration::from_secs_f64(args.interval),
        timeout: Duration::from_secs_f64(args.timeout.unwrap_or(10.0)),
        deadline: args.deadline.map(Duration::from_secs_f64),
        size: args.size,
        ttl: args.ttl,
        tos: args.tos,
        dont_fragment: args.dont_fragment || args.pmtu.as_deref() == Some("do"),
        source,
        interface,
        ip_options,
    };
    let view = View {
        style: args.style,
        quiet: args.quiet,
        timestamps: args.timestamps,
        resolve_name: args.resolve,
        wanted: requested,
    };
    ping_and_render(&shown, target, &o, &view, out)
}

/// iputils' rule (20221126): only root may send faster than one probe
/// every 2 ms.
fn check_interval(interval: f64, root: bool) -> anyhow::Result<()> {
    let min = session::MIN_USER_INTERVAL.as_secs_f64();
    if root || interval >= min {
        return Ok(());
    }
    Err(usage(format!(
        "-i {interval}: below {min} s ({} ms) only root may go, as in iputils; give -i {min} or more, or run as root",
        session::MIN_USER_INTERVAL.as_millis()
    )))
}

/// Expand targets (addresses, names, CIDR ranges without their network and
/// broadcast addresses for IPv4 prefixes shorter than /31, as fping -g).
fn expand(args: &Args) -> anyhow::Result<Vec<IpAddr>> {
    let mut out = Vec::new();
    for t in &args.targets {
        if t.contains('/') {
            let net: ipkit_core::IpNet = t.parse().map_err(|e| usage(format!("'{t}': {e}")))?;
            let mut set = ipkit_core::set::IpSet::new();
            set.add_net(net);
            let total = set.count();
            let count = u128::from(total.0) + total.1;
            if count > args.limit as u128 {
                return Err(usage(format!(
                    "'{t}' holds {count} addresses, more than --limit {}",
                    args.limit
                )));
            }
            match net.trunc() {
                ipkit_core::IpNet::V4(n) => {
                    let (first, last, _) = n.hosts();
                    out.extend((u32::from(first)..=u32::from(last)).map(|a| IpAddr::V4(a.into())));
                }
                ipkit_core::IpNet::V6(n) => {
                    let (first, last) = (u128::from(n.network()), u128::from(n.last()));
                    let mut a = first;
                    loop {
                        out.push(IpAddr::V6(a.into()));
                        if a == last {
                            break;
                        }
                        a += 1;
                    }
                }
            }
        } else {
            out.push(resolve(t, args.ipv4, args.ipv6)?);
        }
        if out.len() > args.limit {
            return Err(usage(format!("more than --limit {} targets", args.limit)));
        }
    }
    Ok(out)
}

/// NDJSON record of a swept host.
#[derive(Serialize)]
struct HostRecord {
    addr: IpAddr,
    /// `alive`, `unreachable`, or `not_probed` (an interrupted sweep).
    status: HostStatus,
    alive: bool,
    /// Average round-trip time (the only one, without -c).
    rtt_ms: Option<f64>,
    sent: u16,
    received: u16,
    loss_percent: f64,
    rtt_min_ms: Option<f64>,
    rtt_max_ms: Option<f64>,
    /// The last ICMP error a probe to it drew.
    error: Option<SweepError>,
}

/// What a sweep learnt of one target.
#[derive(Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum HostStatus {
    /// At least one reply.
    Alive,
    /// Probed, and no reply.
    Unreachable,
    /// Never probed: the sweep was interrupted before its turn.
    NotProbed,
}

impl HostStatus {
    fn of(t: &ipkit::ping::sweep::TargetStats) -> HostStatus {
        if t.alive() {
            HostStatus::Alive
        } else if t.probed() {
            HostStatus::Unreachable
        } else {
            HostStatus::NotProbed
        }
    }
}

#[derive(Serialize)]
struct SweepError {
    from: IpAddr,
    text: String,
}

/// A progress bar on stderr, for sweeps with more than 1,000 probes, drawn
/// only when stderr is a terminal, at most ten times a second.
struct ProgressBar {
    enabled: bool,
    last: Option<Instant>,
}

impl ProgressBar {
    fn new(wanted: bool) -> ProgressBar {
        ProgressBar {
            enabled: wanted && std::io::IsTerminal::is_terminal(&std::io::stderr()),
            last: None,
        }
    }

    fn show(&mut self, p: &ipkit::ping::sweep::Progress) {
        if !self.enabled
            || self
                .last
                .is_some_and(|l| l.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(Instant::now());
        const WIDTH: u64 = 30;
        let filled = (p.sent.min(p.planned) * WIDTH)
            .checked_div(p.planned)
            .unwrap_or(WIDTH);
        let filled = usize::try_from(filled).unwrap_or(0);
        let _ = write!(
            std::io::stderr(),
            "\r[{}{}] {}/{} probes, {} of {} hosts alive ",
            "#".repeat(filled),
            " ".repeat(30 - filled.min(30)),
            p.sent,
            p.planned,
            p.alive,
            p.targets
        );
    }

    fn clear(&self) {
        if self.enabled && self.last.is_some() {
            let _ = write!(std::io::stderr(), "\r{}\r", " ".repeat(79));
        }
    }
}

/// Several targets: sweep them, fping style.
fn run_sweep(args: &Args, out: &Output) -> anyhow::Result<u8> {
    let interrupt = crate::interrupt::Interrupt::install();
    let targets = expand(args)?;
    let count = args
        .count
        .map(|c| {
            u16::try_from(c).ok().filter(|c| *c > 0).ok_or_else(|| {
                usage(format!(
                    "-c {c}: a sweep sends 1 to 65535 probes per target"
                ))
            })
        })
        .transpose()?;
    // What a sweep cannot do is refused, not ignored.
    for (given, what) in [
        (
            args.record_route.is_some() || args.record_route_all,
            "record route",
        ),
        (
            args.timestamp.is_some() || args.timestamp_kind.is_some(),
            "IP timestamps",
        ),
        (
            args.loose_route.is_some() || args.strict_route.is_some(),
            "source routes",
        ),
        (args.resolve, "--resolve"),
        (args.timestamps, "-D"),
        (args.deadline.is_some(), "-w (use --retries and -W)"),
        (args.style == Style::Windows, "the Windows view"),
        (
            args.dont_fragment || args.pmtu.is_some(),
            "-M / --dont-fragment",
        ),
        (args.forever, "--forever"),
    ] {
        if given {
            return Err(usage(format!(
                "{what} is for one target; with several targets or a range, drop it"
            )));
        }
    }
    if !(16..=65_507).contains(&args.size) {
        return Err(usage(format!(
            "-s {}: a sweep's probes carry 16 to 65507 payload bytes (16 hold its cookie, the target's index and the send time)",
            args.size
        )));
    }
    let (source, interface) = match args.interface.as_deref().map(|i| (i, i.parse::<IpAddr>())) {
        Some((_, Ok(ip))) => (Some(ip), None),
        Some((name, Err(_))) => (None, Some(name.to_string())),
        None => (args.source, None),
    };
    let o = ipkit::ping::sweep::SweepOptions {
        rate: args.rate,
        retries: args.retries,
        timeout: Duration::from_secs_f64(args.timeout.unwrap_or(1.0)),
        count,
        period: Duration::from_secs_f64(args.interval),
        ttl: args.ttl,
        tos: args.tos,
        source,
        interface,
        size: args.size,
    };
    let started = Instant::now();
    let planned = targets.len() as u64 * u64::from(count.unwrap_or(1));
    let mut bar = ProgressBar::new(planned > 1000 && !out.json);
    // With -c, each reply is shown as it comes, as fping -c does.
    let live = count.is_some() && !args.quiet && !args.alive && !args.unreachable;
    let mut running: Vec<(u32, f64)> = vec![(0, 0.0); if live { targets.len() } else { 0 }];
    // fping pads names to the longest target in its -c lines.
    let width = targets
        .iter()
        .map(|t| t.to_string().len())
        .max()
        .unwrap_or(0);
    // Without -c, each host is shown as it answers, as fping does (the
    // silent ones at the end, in the order given): written in batches,
    // flushed after each batch of probes and at most 20 ms after a reply.
    let as_they_answer = count.is_none() && !out.json && !args.unreachable;
    let mut shown = vec![false; if as_they_answer { targets.len() } else { 0 }];
    let mut flushed = Instant::now();
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    let mut live_err = None;
    let result = block_on(ipkit::ping::sweep::sweep(
        &targets,
        &o,
        interrupt.token(),
        |e| match e {
            ipkit::ping::sweep::SweepEvent::Progress(p) => {
                bar.show(&p);
                flushed = Instant::now();
                keep_going(w.flush(), &mut live_err)
            }
            ipkit::ping::sweep::SweepEvent::Reply { target, rtt, .. } if as_they_answer => {
                if std::mem::replace(&mut shown[target], true) {
                    return ControlFlow::Continue(());
                }
                let mut res = if args.alive {
                    writeln!(w, "{}", targets[target])
                } else {
                    writeln!(w, "{} is alive ({})", targets[target], fmt_ms(rtt))
                };
                if res.is_ok() && flushed.elapsed() > Duration::from_millis(20) {
                    flushed = Instant::now();
                    res = w.flush();
                }
                keep_going(res, &mut live_err)
            }
            ipkit::ping::sweep::SweepEvent::Reply { target, round, rtt } if live => {
                let (received, sum) = &mut running[target];
                *received += 1;
                *sum += ms(rtt);
                let sent = u32::from(round) + 1;
                let loss = 100 * sent.saturating_sub(*received) / sent;
                let res = if out.json {
                    write_record(
                        &mut w,
                        "reply",
                        &serde_json::json!({ "addr": targets[target], "seq": round, "rtt_ms": ms(rtt) }),
                    )
                } else {
                    writeln!(
                        w,
                        "{:<width$} : [{round}], {} bytes, {:.3} ms ({:.3} avg, {loss}% loss)",
                        targets[target].to_string(),
                        8 + args.size,
                        ms(rtt),
                        *sum / f64::from(*received)
                    )
                };
                keep_going(res.and_then(|()| w.flush()), &mut live_err)
            }
            ipkit::ping::sweep::SweepEvent::Timeout { target, round } if live => {
                let (received, sum) = running[target];
                let sent = u32::from(round) + 1;
                let loss = 100 * sent.saturating_sub(received) / sent;
                let res = if out.json {
                    write_record(
                        &mut w,
                        "timeout",
                        &serde_json::json!({ "addr": targets[target], "seq": round }),
                    )
                } else {
                    // fping -c: `name : [0], timed out (NaN avg, 100% loss)`.
                    let avg = if received == 0 {
                        "NaN".to_string()
                    } else {
                        format!("{:.3}", sum / f64::from(received))
                    };
                    writeln!(
                        w,
                        "{:<width$} : [{round}], timed out ({avg} avg, {loss}% loss)",
                        targets[target].to_string(),
                    )
                };
                keep_going(res.and_then(|()| w.flush()), &mut live_err)
            }
            ipkit::ping::sweep::SweepEvent::Reply { .. }
            | ipkit::ping::sweep::SweepEvent::Timeout { .. } => ControlFlow::Continue(()),
        },
    ))??;
    bar.clear();
    if let Some(e) = live_err {
        return Err(e.into());
    }
    let interrupted = interrupt.fired();
    let not_probed = result.targets.iter().filter(|t| !t.probed()).count() as u64;
    let unreachable = targets.len() as u64 - result.alive - not_probed;
    if live && !out.json {
        // fping -c leaves an empty line between the replies and the summaries.
        writeln!(w)?;
    }
    for (ip, t) in targets.iter().zip(&result.targets) {
        let alive = t.alive();
        let rtt = t.rtt();
        if out.json {
            write_record(
                &mut w,
                "host",
                &HostRecord {
                    addr: *ip,
                    status: HostStatus::of(t),
                    alive,
                    rtt_ms: rtt.map(|r| ms(r.1)),
                    sent: t.sent,
                    received: t.received,
                    loss_percent: t.loss_percent(),
                    rtt_min_ms: rtt.map(|r| ms(r.0)),
                    rtt_max_ms: rtt.map(|r| ms(r.2)),
                    error: t.error().map(|(from, e)| SweepError {
                        from,
                        text: format!("{e:#}"),
                    }),
                },
            )?;
        } else if !t.probed() {
            // Never probed (the sweep was interrupted first): neither alive
            // nor unreachable; the summary counts them.
        } else if as_they_answer && alive {
            // Shown when it answered.
        } else if args.alive {
            if alive {
                writeln!(w, "{ip}")?;
            }
        } else if args.unreachable {
            if !alive {
                writeln!(w, "{ip}")?;
            }
        } else if count.is_some() {
            // fping -c's per-target summary.
            write!(
                w,
                "{:<width$} : xmt/rcv/%loss = {}/{}/{}%",
                ip.to_string(),
                t.sent,
                t.received,
                fmt_loss(t.loss_percent())
            )?;
            if let Some((min, avg, max)) = rtt {
                write!(
                    w,
                    ", min/avg/max = {:.3}/{:.3}/{:.3}",
                    ms(min),
                    ms(avg),
                    ms(max)
                )?;
            }
            writeln!(w)?;
        } else if let Some((_, avg, _)) = rtt {
            writeln!(w, "{ip} is {} ({})", out.paint("32", "alive"), fmt_ms(avg))?;
        } else if let Some((from, e)) = t.error() {
            writeln!(
                w,
                "{ip} is {} ({e:#} from {from})",
                out.paint("31", "unreachable")
            )?;
        } else {
            writeln!(w, "{ip} is {}", out.paint("31", "unreachable"))?;
        }
    }
    let elapsed = started.elapsed();
    if out.json {
        write_record(
            &mut w,
            "summary",
            &serde_json::json!({
                "targets": targets.len(),
                "alive": result.alive,
                "unreachable": unreachable,
                "not_probed": not_probed,
                "interrupted": interrupted,
                "sent": result.sent,
                "elapsed_ms": ms(elapsed),
            }),
        )?;
    }
    w.flush()?;
    if !out.json && (!args.quiet || interrupted) {
        let skipped = if interrupted {
            format!(", {not_probed} not probed (interrupted)")
        } else {
            String::new()
        };
        let _ = writeln!(
            std::io::stderr(),
            "ipkit: {} targets, {} alive, {unreachable} unreachable{skipped}, {} probes in {:.2} s",
            targets.len(),
            result.alive,
            result.sent,
            elapsed.as_secs_f64()
        );
    }
    // fping's exit status: 0 when every target answered, 1 when any did
    // not (or was never probed: fping counts those as unreachable after
    // Ctrl-C too); SIGTERM ends it with 143.
    Ok(
        terminated(&interrupt).unwrap_or(if result.alive == targets.len() as u64 {
            crate::exit::OK
        } else {
            crate::exit::NEGATIVE
        }),
    )
}

/// Presentation choices.
struct View<'a> {
    style: Style,
    quiet: bool,
    timestamps: bool,
    resolve_name: bool,
    wanted: IpOptionsWanted<'a>,
}

/// Which way a source route binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SourceRoute {
    Loose,
    Strict,
}

/// The IPv4 options asked for on the command line.
#[derive(Debug, Clone, Copy)]
struct IpOptionsWanted<'a> {
    record_route: Option<u8>,
    /// (flag: 0 timestamps only, 1 with addresses; slots)
    timestamp: Option<(u8, u8)>,
    route: Option<(SourceRoute, &'a str)>,
}

impl IpOptionsWanted<'_> {
    fn any(&self) -> bool {
        self.record_route.is_some() || self.timestamp.is_some() || self.route.is_some()
    }

    /// Encode for IP_OPTIONS; refuses IPv6 targets, unknown hops and
    /// options that do not fit the header's 40 bytes.
    fn encode(&self, target: IpAddr, letters: &str) -> anyhow::Result<Vec<u8>> {
        use ipkit_core::wire::ipv4::{Ipv4Option, emit_options};
        if !self.any() {
            return Ok(Vec::new());
        }
        let IpAddr::V4(dst) = target else {
            return Err(usage(format!(
                "{letters}: IP options exist in IPv4 only; {target} is IPv6"
            )));
        };
        let mut list = Vec::new();
        let mut size = 0usize;
        if let Some((kind, hosts)) = self.route {
            let mut route = Vec::new();
            for h in hosts.split([',', ' ']).filter(|h| !h.is_empty()) {
                match resolve(h, true, false)? {
                    IpAddr::V4(a) => route.push(a),
                    IpAddr::V6(_) => {
                        return Err(usage(format!("{h}: source routes take IPv4 hops")));
                    }
                }
            }
            if route.is_empty() || route.len() > 8 {
                return Err(usage(format!(
                    "a source route takes 1 to 8 hops (the target fills the 9th slot); got {}",
                    route.len()
                )));
            }
            // The last slot is the destination's: the kernel sends to the
            // first hop and writes the destination there.
            route.push(dst);
            size += 3 + 4 * route.len();
            list.push(match kind {
                SourceRoute::Loose => Ipv4Option::LooseSourceRoute { route, pointer: 4 },
                SourceRoute::Strict => Ipv4Option::StrictSourceRoute { route, pointer: 4 },
            });
        }
        if let Some(n) = self.record_route {
            size += 3 + 4 * usize::from(n);
            list.push(Ipv4Option::RecordRoute {
                route: Vec::new(),
                slots: n,
            });
        }
        if let Some((flag, n)) = self.timestamp {
            size += 4 + if flag == 0 { 4 } else { 8 } * usize::from(n);
            list.push(Ipv4Option::Timestamp {
                flag,
                overflow: 0,
                entries: Vec::new(),
                slots: n,
            });
        }
        if size.div_ceil(4) * 4 > 40 {
            return Err(usage(format!(
                "{letters}: these options take {size} bytes, and an IPv4 header holds 40; ask for fewer slots"
            )));
        }
        Ok(emit_options(&list))
    }
}

/// Payload bytes iputils needs for the send time it carries (a `struct
/// timeval`): below this no round-trip time is printed.
const TIMESTAMP_LEN: usize = 16;

/// The bytes an IPv4 header's option area holds; iputils counts all of it
/// in the header line when an option is asked for.
const IP_OPTIONS_ROOM: usize = 40;

/// iputils' first line: `PING h (a) 56(84) bytes of data.` for IPv4,
/// `PING h(a) 56 data bytes` for IPv6.
fn iputils_header(shown: &str, target: IpAddr, o: &PingOptions) -> String {
    match target {
        IpAddr::V6(_) => format!("PING {shown}({target}) {} data bytes", o.size),
        IpAddr::V4(_) => {
            let options = if o.ip_options.is_empty() {
                0
            } else {
                IP_OPTIONS_ROOM
            };
            format!(
                "PING {shown} ({target}) {}({}) bytes of data.",
                o.size,
                o.size + 8 + 20 + options
            )
        }
    }
}

/// The exit code a signal imposes: SIGTERM ends ping as it ends iputils
/// (143, 128 + 15); SIGINT is ping's normal end and imposes none.
fn terminated(interrupt: &crate::interrupt::Interrupt) -> Option<u8> {
    (interrupt.signal() == Some(signal_hook::consts::SIGTERM))
        .then(|| interrupt.exit_code())
        .flatten()
}

/// Stop the engine at the first failed write (a reader that went away),
/// keeping the error for the caller.
fn keep_going(res: std::io::Result<()>, failed: &mut Option<std::io::Error>) -> ControlFlow<()> {
    match res {
        Ok(()) => ControlFlow::Continue(()),
        Err(e) => {
            *failed = Some(e);
            ControlFlow::Break(())
        }
    }
}

/// Ping and print, in the chosen view; returns the exit code.
fn ping_and_render(
    shown: &str,
    target: IpAddr,
    o: &PingOptions,
    view: &View,
    out: &Output,
) -> anyhow::Result<u8> {
    let interrupt = crate::interrupt::Interrupt::install();
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    let windows = view.style == Style::Windows;
    if !out.json {
        if windows {
            let name = if view.resolve_name {
                reverse_name(target).map(|n| format!("{n} [{target}]"))
            } else {
                None
            };
            writeln!(
                w,
                "\nPinging {} with {} bytes of data:",
                name.unwrap_or_else(|| target.to_string()),
                o.size
            )?;
        } else {
            writeln!(w, "{}", iputils_header(shown, target, o))?;
        }
        w.flush()?;
    }
    let started = Instant::now();
    let mut write_err = None;
    // Windows -a names the target only; iputils names every host that answers.
    let mut names = Names::new(view.resolve_name && !windows);
    let mut last_route = None;
    // iputils shows round-trip times only when its send time fits.
    let timed = o.size >= TIMESTAMP_LEN;
    let tracker = block_on(session::run(target, o, interrupt.token(), |e| {
        let res = if out.json {
            json_event(&mut w, e, &mut names)
        } else if view.quiet {
            Ok(())
        } else {
            let line = if windows {
                windows_line(e, o.size)
            } else {
                let mut state = IputilsState {
                    names: &mut names,
                    last_route: &mut last_route,
                    timed,
                };
                iputils_line(e, view, &mut state)
            };
            match line {
                Some(l) => writeln!(w, "{l}").and_then(|()| w.flush()),
                None => Ok(()),
            }
        };
        keep_going(res, &mut write_err)
    }))??;
    if let Some(e) = write_err {
        return Err(e.into());
    }
    let s = tracker.stats;
    let elapsed = started.elapsed();
    let rtt = s.rtt();
    if out.json {
        write_record(
            &mut w,
            "summary",
            &SummaryRecord {
                target,
                transmitted: s.transmitted,
                received: s.received,
                duplicates: s.duplicates,
                errors: s.errors,
                loss_percent: s.loss_percent(),
                elapsed_ms: ms(elapsed),
                rtt_min_ms: rtt.map(|r| ms(r.0)),
                rtt_avg_ms: rtt.map(|r| ms(r.1)),
                rtt_max_ms: rtt.map(|r| ms(r.2)),
                rtt_mdev_ms: rtt.map(|r| ms(r.3)),
            },
        )?;
    } else if windows {
        let lost = s.transmitted.saturating_sub(s.received);
        let mut t = format!(
            "\nPing statistics for {target}:\n    Packets: Sent = {}, Received = {}, Lost = {lost} ({:.0}% loss),\n",
            s.transmitted,
            s.received,
            s.loss_percent()
        );
        if let Some((min, avg, max, _)) = rtt {
            let whole = |d: Duration| d.as_millis();
            let _ = writeln!(
                t,
                "Approximate round trip times in milli-seconds:\n    Minimum = {}ms, Maximum = {}ms, Average = {}ms",
                whole(min),
                whole(max),
                whole(avg)
            );
        }
        w.write_all(t.as_bytes())?;
    } else {
        let mut t = format!(
            "\n--- {shown} ping statistics ---\n{} packets transmitted, {} received",
            s.transmitted, s.received
        );
        if s.duplicates > 0 {
            let _ = write!(t, ", +{} duplicates", s.duplicates);
        }
        if s.errors > 0 {
            let _ = write!(t, ", +{} errors", s.errors);
        }
        // On a terminal with colour: the loss in green when none was lost,
        // red when everything was, yellow between.
        let loss = s.loss_percent();
        let shown_loss = format!("{}% packet loss", fmt_loss(loss));
        let colour = if s.received == s.transmitted {
            "32"
        } else if s.received == 0 {
            "31"
        } else {
            "33"
        };
        let _ = writeln!(
            t,
            ", {}, time {}ms",
            out.paint(colour, &shown_loss),
            elapsed.as_millis()
        );
        // iputils ends the statistics with a newline: after the rtt line
        // when there is one, on a line of its own when not.
        // Without a send time in the payload iputils has no round-trip
        // time to show (ipkit knows it; --json keeps it).
        if let Some((min, avg, max, mdev)) = rtt.filter(|_| timed) {
            let _ = write!(
                t,
                "rtt min/avg/max/mdev = {:.3}/{:.3}/{:.3}/{:.3} ms",
                ms(min),
                ms(avg),
                ms(max),
                ms(mdev)
            );
        }
        t.push('\n');
        w.write_all(t.as_bytes())?;
    }
    w.flush()?;
    if view.wanted.route.is_some() && s.received == 0 && !out.json {
        let _ = writeln!(
            std::io::stderr(),
            "ipkit: no reply to a source-routed probe: most routers and hosts drop source routes \
             (on Linux every host on the way there and back, this one and the target included, needs net.ipv4.conf.<if>.accept_source_route=1)"
        );
    }
    Ok(terminated(&interrupt).unwrap_or(if s.received > 0 {
        crate::exit::OK
    } else {
        crate::exit::NEGATIVE
    }))
}

fn reverse_name(ip: IpAddr) -> Option<String> {
    let flags = ipkit::resolve::NiFlags {
        namereqd: true,
        ..Default::default()
    };
    ipkit::resolve::getnameinfo(&std::net::SocketAddr::new(ip, 0), flags)
        .ok()
        .map(|(h, _)| h)
}

fn json_event(w: &mut impl Write, e: &PingEvent, names: &mut Names) -> std::io::Result<()> {
    match e {
        PingEvent::Reply {
            from,
            seq,
            bytes,
            ttl,
            rtt,
            duplicate,
            late,
            options,
        } => {
            let (route, timestamps) = options_of(options);
            write_record(
                w,
                "reply",
                &ReplyRecord {
                    from: *from,
                    name: names.lookup(*from),
                    seq: *seq,
                    bytes: *bytes,
                    ttl: *ttl,
                    rtt_ms: ms(*rtt),
                    duplicate: *duplicate,
                    late: *late,
                    route,
                    timestamps,
                },
            )
        }
        PingEvent::Timeout { seq } => {
            write_record(w, "timeout", &serde_json::json!({ "seq": seq }))
        }
        PingEvent::Error { from, seq, cause } => write_record(
            w,
            "error",
            &serde_json::json!({ "from": from, "name": names.lookup(*from), "seq": seq, "text": cause.to_string() }),
        ),
    }
}

/// What the iputils view remembers between lines.
struct IputilsState<'a> {
    names: &'a mut Names,
    /// The last route printed: iputils prints `(same route)` for a repeat.
    last_route: &'a mut Option<Vec<std::net::Ipv4Addr>>,
    /// The payload holds a send time (≥ 16 bytes): replies show `time=`.
    timed: bool,
}

fn iputils_line(e: &PingEvent, view: &View<'_>, state: &mut IputilsState<'_>) -> Option<String> {
    let mut line = String::new();
    if view.timestamps {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let _ = write!(line, "[{}.{:06}] ", now.as_secs(), now.subsec_micros());
    }
    match e {
        PingEvent::Reply {
            from,
            seq,
            bytes,
            ttl,
            rtt,
            duplicate,
            late,
            options,
        } => {
            let _ = write!(
                line,
                "{bytes} bytes from {}: icmp_seq={seq}",
                state.names.show(*from)
            );
            if let Some(t) = ttl {
                let _ = write!(line, " ttl={t}");
            }
            if state.timed {
                let _ = write!(line, " time={}", fmt_ms(*rtt));
            }
            if *duplicate {
                line.push_str(" (DUP!)");
            }
            if *late {
                line.push_str(" (late)");
            }
            iputils_options(&mut line, options, &view.wanted, state.last_route);
        }
        PingEvent::Error { from, seq, cause } => {
            let _ = write!(
                line,
                "From {} icmp_seq={seq} {cause}",
                state.names.show(*from)
            );
        }
        PingEvent::Timeout { .. } => return None,
    }
    Some(line)
}

/// iputils' RR and TS lists under a reply, each list ending with an empty
/// line (`(same route)` on the reply line instead when the route did not
/// change); a line saying so when an option asked for did not come back.
fn iputils_options(
    line: &mut String,
    options: &[Ipv4Option],
    wanted: &IpOptionsWanted<'_>,
    last_route: &mut Option<Vec<std::net::Ipv4Addr>>,
) {
    let (route, stamps) = options_of(options);
    // A list (RR: or TS:) ends with an empty line, as in iputils.
    let mut listed = stamps.is_some();
    match route {
        Some(r) if !r.is_empty() && last_route.as_ref() == Some(&r) => {
            line.push_str("\t(same route)");
        }
        Some(r) => {
            line.push_str("\nRR: ");
            listed = true;
            let hops: Vec<String> = r.iter().map(|a| format!("\t{a}")).collect();
            line.push_str(&hops.join("\n"));
            if r.is_empty() {
                line.push_str("\t(no address recorded)");
            }
            *last_route = Some(r);
        }
        None if wanted.record_route.is_some() => {
            line.push_str("\nRR: not returned (the option was dropped on the way)");
        }
        None => {}
    }
    match stamps {
        Some(t) => {
            line.push_str("\nTS: ");
            let mut previous: Option<u32> = None;
            let mut rows = Vec::new();
            for e in &t {
                let mut row = String::new();
                if let Some(a) = e.addr {
                    let _ = write!(row, "\t{a}");
                }
                match previous {
                    None => {
                        let _ = write!(row, "\t{} absolute", e.ms_since_midnight_utc);
                    }
                    Some(p) => {
                        let delta = i64::from(e.ms_since_midnight_utc) - i64::from(p);
                        let _ = write!(row, "\t{delta}");
                    }
                }
                previous = Some(e.ms_since_midnight_utc);
                rows.push(row);
            }
            line.push_str(&rows.join("\n"));
            if t.is_empty() {
                line.push_str("\t(no timestamp recorded)");
            }
        }
        None if wanted.timestamp.is_some() => {
            line.push_str("\nTS: not returned (the option was dropped on the way)");
        }
        None => {}
    }
    if listed {
        line.push('\n');
    }
}

/// Names for addresses, looked up once each (getnameinfo) when asked for.
struct Names {
    enabled: bool,
    cache: std::collections::HashMap<IpAddr, Option<String>>,
}

impl Names {
    fn new(enabled: bool) -> Names {
        Names {
            enabled,
            cache: std::collections::HashMap::new(),
        }
    }

    fn lookup(&mut self, ip: IpAddr) -> Option<String> {
        if !self.enabled {
            return None;
        }
        self.cache
            .entry(ip)
            .or_insert_with(|| reverse_name(ip))
            .clone()
    }

    /// `name (address)` as iputils prints it, or the address alone.
    fn show(&mut self, ip: IpAddr) -> String {
        match self.lookup(ip) {
            Some(n) => format!("{n} ({ip})"),
            None => ip.to_string(),
        }
    }
}

/// Windows ping's lines: `Reply from A: bytes=32 time=39ms TTL=54`
/// (IPv6: `Reply from ::1: time<1ms`), `Request timed out.`, `Reply from R: TTL expired in transit.`
fn windows_line(e: &PingEvent, size: usize) -> Option<String> {
    Some(match e {
        PingEvent::Reply {
            from,
            ttl,
            rtt,
            duplicate: false,
            late: false,
            options,
            ..
        } => {
            let time = if rtt.as_millis() < 1 {
                "time<1ms".to_string()
            } else {
                format!("time={}ms", rtt.as_millis())
            };
            // Windows prints neither size nor TTL for IPv6 replies:
            // `Reply from ::1: time<1ms`.
            let mut line = if from.is_ipv6() {
                format!("Reply from {from}: {time}")
            } else {
                let ttl = ttl.map_or(String::new(), |t| format!(" TTL={t}"));
                format!("Reply from {from}: bytes={size} {time}{ttl}")
            };
            let (route, stamps) = options_of(options);
            if let Some(r) = route.filter(|r| !r.is_empty()) {
                let hops: Vec<String> = r.iter().map(ToString::to_string).collect();
                let _ = write!(line, "\n    Route: {}", hops.join(" ->\n           "));
            }
            if let Some(t) = stamps.filter(|t| !t.is_empty()) {
                let hops: Vec<String> = t
                    .iter()
                    .map(|e| match e.addr {
                        Some(a) => format!("{a} : {}", e.ms_since_midnight_utc),
                        None => e.ms_since_midnight_utc.to_string(),
                    })
                    .collect();
                let _ = write!(
                    line,
                    "\n    Timestamp: {}",
                    hops.join(" ->\n               ")
                );
            }
            line
        }
        PingEvent::Reply { .. } => return None,
        PingEvent::Timeout { .. } => "Request timed out.".to_string(),
        PingEvent::Error { from, cause, .. } => {
            use ipkit::ping::ProbeFailure;
            use ipkit::probe::LocalError;
            let what = match cause {
                ProbeFailure::Icmp(e) if e.is_time_exceeded() => "TTL expired in transit.",
                ProbeFailure::Icmp(e) if e.is_too_big() => {
                    "Packet needs to be fragmented but DF set."
                }
                ProbeFailure::Icmp(e) if e.is_network_unreachable() => {
                    "Destination net unreachable."
                }
                ProbeFailure::Local(
                    LocalError::NetworkUnreachable { .. } | LocalError::HostUnreachable { .. },
                ) => "Destination net unreachable.",
                _ => "Destination host unreachable.",
            };
            format!("Reply from {from}: {what}")
        }
    })
}

/// iputils prints times with 3 significant decimals below 1 ms, fewer above.
fn fmt_ms(d: Duration) -> String {
    let v = ms(d);
    if v < 1.0 {
        format!("{v:.3} ms")
    } else if v < 10.0 {
        format!("{v:.2} ms")
    } else if v < 100.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.0} ms")
    }
}

fn fmt_loss(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{p:.0}")
    } else {
        format!("{p:.4}").trim_end_matches('0').to_string()
    }
}
