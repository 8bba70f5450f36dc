//! `ipkit ping`'s flags: iputils' letters ([`Args`]) and Windows ping's
//! ([`WindowsArgs`]), each mapped into the library's
//! [`ipkit::ping::request::Asked`], which checks them. Only clap's syntax
//! (numbers in range) is checked here.

use std::net::IpAddr;
use std::time::Duration;

use ipkit::ping::request::{Asked, Dialect, TimestampAsked};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit ping 127.0.0.1                 until Ctrl-C, then the statistics
  ipkit ping -c 3 -i 0.2 ::1
  ipkit ping -c 1 -W 2 -t 5 192.0.2.1   one probe, TTL 5, wait 2 s
  ipkit ping -c 4 --json 127.0.0.1     NDJSON: reply/timeout/error records, then a summary
  ipkit ping -c 1 -R 127.0.0.1         record route (IPv4 option), printed under the reply
  ipkit ping --live 192.0.2.1 ::1      gping's chart of both, until q
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
    /// Full-screen chart of every target's round trips (gping's); q quits.
    #[arg(long, conflicts_with_all = ["alive", "unreachable", "quiet"])]
    pub live: bool,
    /// With --live: the seconds of history the chart spans (gping's
    /// --buffer), 10 to 3600.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, requires = "live", value_parser = clap::value_parser!(u32).range(10..=3600))]
    pub buffer: u32,
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
    /// Also draw the session as a picture (latency over time, losses
    /// marked, and a histogram): FILE.svg, or FILE.png (the same SVG
    /// rendered). One target only.
    #[arg(long, value_name = "FILE", value_parser = crate::plot::parse)]
    pub plot: Option<crate::plot::Target>,
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
    pub json: bool,
}

impl Args {
    /// What these flags ask for, for [`ipkit::ping::request::Request::new`].
    pub fn asked(&self) -> Asked {
        Asked {
            dialect: Dialect::Iputils,
            targets: self.targets.clone(),
            sweep_listing: self.alive || self.unreachable,
            rate: self.rate,
            retries: self.retries,
            limit: self.limit,
            count: self.count,
            forever: self.forever,
            interval: self.interval,
            timeout: self.timeout.map(Duration::from_secs_f64),
            deadline: self.deadline.map(Duration::from_secs_f64),
            size: self.size,
            ttl: self.ttl,
            tos: self.tos,
            pmtu: self.pmtu.clone(),
            dont_fragment: self.dont_fragment,
            interface: self.interface.clone(),
            source: self.source,
            record_route: self.record_route.or(self.record_route_all.then_some(9)),
            timestamp: match (&self.timestamp_kind, self.timestamp) {
                (Some(kind), _) => Some(TimestampAsked::Kind(kind.clone())),
                (None, Some(n)) => Some(TimestampAsked::Hops(n)),
                (None, None) => None,
            },
            loose_route: self.loose_route.clone(),
            strict_route: self.strict_route.clone(),
            ipv4: self.ipv4,
            ipv6: self.ipv6,
            names: self.resolve,
            line_timestamps: self.timestamps,
            windows_view: self.style == Style::Windows,
        }
    }
}

impl WindowsArgs {
    /// What these flags ask for: Windows ping probes once a second.
    pub fn asked(&self) -> Asked {
        let _ = self.windows;
        Asked {
            dialect: Dialect::Windows,
            targets: vec![self.target.clone()],
            count: Some(self.count),
            forever: self.forever,
            interval: 1.0,
            timeout: Some(Duration::from_millis(self.timeout_ms)),
            size: self.size,
            ttl: self.ttl,
            tos: self.tos,
            dont_fragment: self.dont_fragment,
            record_route: self.record_route,
            timestamp: self.timestamp.map(TimestampAsked::Hops),
            loose_route: self.loose.clone(),
            strict_route: self.strict.clone(),
            names: self.resolve,
            windows_view: true,
            ..Asked::default()
        }
    }
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

/// A clap value parser for seconds, by the library's rule
/// ([`ipkit::ping::request::parse_seconds`]).
fn seconds(text: &str) -> Result<f64, String> {
    ipkit::ping::request::parse_seconds(text)
}
