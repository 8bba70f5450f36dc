//! `ipkit trace`'s flags: traceroute's letters and ipkit's long names
//! ([`Args`]), and tracert's ([`WindowsArgs`], `ipkit trace --windows` and
//! the `tracert` alias), each mapped into the library's
//! [`ipkit::trace::Asked`], which checks them. Only clap's syntax (a
//! number, an address) is checked here.

use std::net::IpAddr;

use ipkit::trace::Protocol;
use ipkit::trace::request::{Asked, Dialect, WaitRule};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit trace 127.0.0.1                  traceroute's view: one line per hop
  ipkit traceroute -n -I -q 1 ::1        ICMP echo, addresses only, one probe per hop
  ipkit trace -T -p 443 192.0.2.1        TCP SYNs to port 443 (a SYN-ACK or RST is \"reached\")
  ipkit trace --paris 192.0.2.1          one flow for every probe: per-flow load balancers keep one path
  ipkit trace --mtu 192.0.2.1            discover the path MTU (DF set), tracepath's way
  ipkit trace --report -c 10 192.0.2.1   10 rounds, mtr --report's table (--jitter adds a column)
  ipkit trace --live 192.0.2.1           mtr's live table (q quits, p pauses, r resets)
  ipkit trace --live -I 192.0.2.1 192.0.2.7   a tab per target, ICMP echo (u/i/t change it)
  ipkit trace --json 127.0.0.1           NDJSON: a hop record per hop, then a summary
  ipkit tracert -d -h 10 192.0.2.1       Windows tracert's letters and view
  ipkit trace -g 192.0.2.7 192.0.2.1     an IPv4 loose source route through 192.0.2.7 (-g again for more, 8 at most)
  ipkit trace -A 192.0.2.1               each hop's AS and holder from `ipkit info`'s data: [AS15169 Google LLC]

Every TTL of a window (-N, default 16) is probed at once; a probe is given
up after -w MAX,HERE,NEAR (traceroute's rule: 5 s at most, 3 times a reply
of the same hop, 10 times one of a later hop), and the trace ends at the
destination or after 5 silent hops past the last answer.
Without CAP_NET_RAW ipkit uses unprivileged ICMP sockets (where
net.ipv4.ping_group_range allows) and UDP sockets that read time-exceeded
from their error queue, as tracepath does.

Exit codes: 0 the destination was reached, 1 it was not, 2 an error or bad
usage, 130 after Ctrl-C (the hops found so far, then the summary), 143
after SIGTERM. A closed pipe (`| head`) ends ipkit at once with 0.";

/// Arguments of `ipkit trace` (aliases `traceroute`, `tracert`).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The host to trace: an address or a name.
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// The full probe packet length in bytes, IP header included (default
    /// 60 for IPv4, 80 for IPv6); same as --size. With --live: a further
    /// target instead (a tab each; --size gives the length).
    #[arg(value_name = "PACKETLEN", allow_negative_numbers = true)]
    pub packet_len: Option<String>,
    /// With --live: more targets, a tab each.
    #[arg(value_name = "TARGET", hide_short_help = true)]
    pub more_targets: Vec<String>,
    /// Do not look up the names of the hops (addresses only).
    #[arg(short = 'n', long)]
    pub no_resolve: bool,
    /// The last TTL to probe.
    #[arg(short = 'm', long, value_name = "MAX_TTL", default_value_t = 30, allow_negative_numbers = true, value_parser = whole::<u32>)]
    pub max_hops: u32,
    /// The first TTL to probe.
    #[arg(short = 'f', long, value_name = "FIRST_TTL", default_value_t = 1, allow_negative_numbers = true, value_parser = whole::<u32>)]
    pub first_hop: u32,
    /// Give a probe up after MAX seconds, or HERE times the round trip of a
    /// reply from the same hop, or NEAR times one from a later hop
    /// (default 5,3,10; HERE or NEAR of 0 turns that rule off).
    #[arg(short = 'w', long, value_name = "MAX[,HERE,NEAR]", allow_negative_numbers = true, value_parser = wait_rule)]
    pub wait: Option<WaitRule>,
    /// Probes per hop (default 3; with --report, per hop and round: 1, as mtr).
    #[arg(short = 'q', long, value_name = "NQUERIES", allow_negative_numbers = true, value_parser = whole::<u32>)]
    pub queries: Option<u32>,
    /// Probes in flight at once.
    #[arg(short = 'N', long, value_name = "SQUERIES", default_value_t = 16, allow_negative_numbers = true, value_parser = whole::<u32>)]
    pub sim_queries: u32,
    /// The destination port: the first of the incrementing ports of UDP
    /// (default 33434), the fixed port of -U (53) and of TCP (80).
    #[arg(short = 'p', long, value_name = "PORT", allow_negative_numbers = true, value_parser = whole::<u16>)]
    pub port: Option<u16>,
    /// Probe with ICMP echo requests (tracert's way).
    #[arg(short = 'I', long, conflicts_with_all = ["tcp", "udp"])]
    pub icmp: bool,
    /// Probe with TCP SYNs (default port 80); a SYN-ACK or RST from the
    /// target is "reached".
    #[arg(short = 'T', long, conflicts_with = "udp")]
    pub tcp: bool,
    /// Probe with UDP to one fixed port (default 53), as traceroute's -U;
    /// without -I, -T or -U, UDP to incrementing ports from 33434.
    #[arg(short = 'U', long)]
    pub udp: bool,
    /// Paris traceroute: keep every probe's flow (ports, checksum) the same,
    /// so per-flow load balancers keep one path.
    #[arg(long)]
    pub paris: bool,
    /// Send from this source address.
    #[arg(short = 's', long, value_name = "SRC_ADDR")]
    pub source: Option<IpAddr>,
    /// Send through this interface only.
    #[arg(short = 'i', long, value_name = "DEVICE")]
    pub interface: Option<String>,
    /// The full probe packet length in bytes, IP header included.
    #[arg(long, value_name = "BYTES", allow_negative_numbers = true, value_parser = whole::<usize>)]
    pub size: Option<usize>,
    /// TOS (IPv4) or traffic class (IPv6) of the probes, 0 to 255.
    #[arg(short = 't', long, value_name = "TOS", allow_negative_numbers = true, value_parser = whole::<u32>)]
    pub tos: Option<u32>,
    /// Set DF: do not fragment the probes.
    #[arg(short = 'F', long)]
    pub dont_fragment: bool,
    /// Route the probes through this gateway (an IPv4 loose source route;
    /// repeat for more, at most 8, in order; commas also separate).
    #[arg(short = 'g', long = "gateway", value_name = "GATEWAY", action = clap::ArgAction::Append)]
    pub gateways: Vec<String>,
    /// Discover the path MTU (DF set, shrink on "fragmentation needed"), and
    /// show `F=MTU` at the hop where it dropped.
    #[arg(long)]
    pub mtu: bool,
    /// Seconds between two probes (default 0; above 10 it is milliseconds,
    /// as traceroute's -z).
    #[arg(short = 'z', long, value_name = "SENDWAIT", allow_negative_numbers = true, value_parser = send_wait)]
    pub sendwait: Option<f64>,
    /// Probe every hop --count times (one probe a round) and print mtr
    /// --report's table.
    #[arg(long)]
    pub report: bool,
    /// Rounds of --report (default 10).
    #[arg(short = 'c', long, value_name = "COUNT", requires = "report", allow_negative_numbers = true, value_parser = whole::<u32>)]
    pub count: Option<u32>,
    /// Seconds between rounds of --report and --live (default 1).
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true, value_parser = seconds)]
    pub interval: Option<f64>,
    /// Add the jitter column to --report's table.
    #[arg(long, requires = "report")]
    pub jitter: bool,
    /// Show each responder's autonomous system and holder after its address
    /// (`[AS15169 Google LLC]`; an ASN column with --report), from the
    /// IP-information data `ipkit info` reads. JSON always carries them
    /// when there is data.
    #[arg(short = 'A', long)]
    pub as_path: bool,
    /// An IP-information database (as `ipkit info --db`; repeatable); else
    /// IPKIT_DB or the data directory, and none is no error. --map reads
    /// the same data.
    #[arg(long = "db", value_name = "FILE")]
    pub db: Vec<std::path::PathBuf>,
    /// Full-screen live view (mtr's): rounds every --interval until `q`;
    /// several targets get a tab each (Tab, Shift-Tab, 1-9 switch). Keys: p
    /// pause, f freeze the screen (probing goes on), r reset, n
    /// names/addresses, y cycle the host column (address, name, AS), z AS,
    /// u/i/t probe with UDP/ICMP/TCP (statistics reset), up/down select.
    /// AS and CC columns when there is IP-information data (as -A, --db).
    #[arg(long, conflicts_with_all = ["report", "windows"])]
    pub live: bool,
    /// Also draw the hops' latency and loss as a picture: FILE.svg, or
    /// FILE.png (the same SVG rendered).
    #[arg(long, value_name = "FILE", value_parser = crate::plot::parse)]
    pub plot: Option<crate::plot::Target>,
    /// Also draw the hops with known locations on a world map, joined in
    /// order: FILE.svg or FILE.png. Locations come from the IP-information
    /// data (--db, else IPKIT_DB or the data `ipkit info` keeps up to date).
    #[arg(long, value_name = "FILE", value_parser = crate::plot::parse)]
    pub map: Option<crate::plot::Target>,
    /// Use IPv4.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// Use IPv6.
    #[arg(short = '6')]
    pub ipv6: bool,
    /// Take Windows tracert's letters instead (-d -h -j -w -R -S -4 -6; see
    /// `ipkit trace --windows --help`) and print its view. Must come right
    /// after `trace`.
    #[arg(long)]
    pub windows: bool,
}

/// The rounds of `--report` when `-c` is not given (mtr's).
pub const DEFAULT_ROUNDS: u32 = 10;

/// `ipkit trace --windows` and `ipkit tracert`: tracert's letters and meanings.
#[derive(Debug, clap::Parser)]
#[command(
    name = "ipkit trace --windows",
    bin_name = "ipkit tracert",
    disable_help_flag = true,
    about = "Route tracing with Windows tracert's options and view.",
    after_help = "Examples:\n  ipkit tracert 127.0.0.1\n  ipkit tracert -d -h 10 -w 500 ::1\n  ipkit trace --windows /D /H 5 127.0.0.1\n\nSwitches are case-insensitive and start with - or /, as tracert's.\nExit codes: 0 the destination was reached, 1 it was not, 2 an error, 130 after Ctrl-C."
)]
pub struct WindowsArgs {
    /// Print help (also /? and -?; -h is tracert's maximum hops).
    #[arg(long, action = clap::ArgAction::Help)]
    help: Option<bool>,
    /// Must be given first, to choose these letters (`tracert` gives it).
    #[arg(long, required = true, hide = true)]
    windows: bool,
    /// The host to trace.
    #[arg(value_name = "TARGET")]
    target: String,
    /// Do not resolve addresses to host names.
    #[arg(short = 'd')]
    pub no_resolve: bool,
    /// Maximum number of hops to search for the target.
    #[arg(short = 'h', value_name = "MAXIMUM_HOPS", default_value_t = 30, allow_negative_numbers = true, value_parser = whole::<u32>)]
    max_hops: u32,
    /// Loose source route along the host list (IPv4 only; at most 8 hosts,
    /// separated by spaces or commas).
    #[arg(short = 'j', value_name = "HOST-LIST")]
    loose: Option<String>,
    /// Wait this many milliseconds for each reply.
    #[arg(short = 'w', value_name = "TIMEOUT", default_value_t = 4000, allow_negative_numbers = true, value_parser = whole::<u64>)]
    timeout_ms: u64,
    /// Trace the round-trip path (IPv6 only). It needs an IPv6 type 0
    /// routing header, which Linux refuses (RFC 5095 deprecated them): the
    /// kernel's refusal is reported, exit 2.
    #[arg(short = 'R')]
    round_trip: bool,
    /// The source address to use (IPv6 only in tracert).
    #[arg(short = 'S', value_name = "SRCADDR")]
    source: Option<IpAddr>,
    /// Force IPv4.
    #[arg(short = '4', conflicts_with = "ipv6")]
    ipv4: bool,
    /// Force IPv6.
    #[arg(short = '6')]
    ipv6: bool,
    /// Print JSON (NDJSON records) instead of the view.
    #[arg(long)]
    pub json: bool,
}

impl Args {
    /// The targets: TARGET, and with --live the further ones (a tab each);
    /// without --live the second word is PACKETLEN, checked here (a usage
    /// error's text).
    pub fn targets(&self) -> Result<Vec<String>, String> {
        let mut targets = vec![self.target.clone()];
        match &self.packet_len {
            Some(more) if self.live => targets.push(more.clone()),
            Some(len) => {
                whole::<usize>(len)
                    .map_err(|e| format!("invalid value '{len}' for '[PACKETLEN]': {e}"))?;
                if self.size.is_some() {
                    return Err(
                        "the argument '[PACKETLEN]' cannot be used with '--size <BYTES>'".into(),
                    );
                }
            }
            None => {}
        }
        if !self.live && !self.more_targets.is_empty() {
            return Err(format!(
                "more than one TARGET ({}) needs --live, which opens a tab each",
                self.more_targets.join(" ")
            ));
        }
        targets.extend(self.more_targets.iter().cloned());
        if targets.len() > 9 {
            return Err(format!(
                "--live: at most 9 targets (tabs 1-9), not {}",
                targets.len()
            ));
        }
        Ok(targets)
    }

    /// What these flags ask for, for [`ipkit::trace::Request::new`].
    pub fn asked(&self) -> Asked {
        let protocol = if self.icmp {
            Protocol::Icmp
        } else if self.tcp {
            Protocol::Tcp
        } else {
            Protocol::Udp
        };
        let defaults = Asked::default();
        Asked {
            dialect: Dialect::Traceroute,
            target: self.target.clone(),
            protocol,
            // traceroute's -U: one fixed port, 53 unless -p says.
            paris: self.paris || self.udp,
            port: self.port.or(self.udp.then_some(53)),
            first_hop: self.first_hop,
            max_hops: self.max_hops,
            queries: self.queries.unwrap_or(if self.report || self.live {
                1
            } else {
                defaults.queries
            }),
            wait: self.wait.unwrap_or(defaults.wait),
            sim_queries: self.sim_queries,
            send_wait: self.sendwait.unwrap_or(defaults.send_wait),
            size: self
                .size
                .or(self.packet_len.as_deref().and_then(|t| whole(t).ok())),
            tos: self.tos,
            source: self.source,
            interface: self.interface.clone(),
            dont_fragment: self.dont_fragment,
            loose_route: self.gateways.clone(),
            mtu: self.mtu,
            rounds: self.report.then_some(self.count.unwrap_or(DEFAULT_ROUNDS)),
            interval: self.interval.unwrap_or(defaults.interval),
            no_resolve: self.no_resolve,
            ipv4: self.ipv4,
            ipv6: self.ipv6,
            ..defaults
        }
    }
}

impl WindowsArgs {
    /// What these flags ask for: tracert's ICMP echo, 3 probes a hop, each
    /// waited for `-w` milliseconds; `-j` a loose source route, `-R` the
    /// round trip (IPv6: a name resolves to its IPv6 address; the kernel
    /// has the last word).
    pub fn asked(&self) -> Result<Asked, String> {
        let _ = self.windows;
        let defaults = Asked::default();
        Ok(Asked {
            dialect: Dialect::Windows,
            target: self.target.clone(),
            protocol: Protocol::Icmp,
            max_hops: self.max_hops,
            wait: WaitRule {
                max: self.timeout_ms as f64 / 1000.0,
                ..defaults.wait
            },
            source: self.source,
            no_resolve: self.no_resolve,
            loose_route: self.loose.iter().cloned().collect(),
            round_trip: self.round_trip,
            ipv4: self.ipv4,
            // tracert -R is IPv6's: a name resolves to its IPv6 address.
            ipv6: self.ipv6
                || (self.round_trip && !self.ipv4 && self.target.parse::<IpAddr>().is_err()),
            ..defaults
        })
    }
}

/// A clap value parser for a whole number ≥ 0 (the library checks ranges).
fn whole<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.trim()
        .parse::<T>()
        .map_err(|_| "must be a whole number ≥ 0".to_string())
}

/// A clap value parser for seconds.
fn seconds(text: &str) -> Result<f64, String> {
    ipkit::ping::request::parse_seconds(text)
}

/// traceroute's `-z`: above 10 the number is milliseconds.
fn send_wait(text: &str) -> Result<f64, String> {
    let v = seconds(text)?;
    Ok(if v > 10.0 { v / 1000.0 } else { v })
}

/// traceroute's `-w MAX[,HERE[,NEAR]]`: numbers only (the library checks
/// their ranges); the ones left out keep their defaults.
fn wait_rule(text: &str) -> Result<WaitRule, String> {
    let mut rule = WaitRule::default();
    let parts: Vec<&str> = text.split(['/', ',']).collect();
    if parts.len() > 3 {
        return Err("give MAX[,HERE,NEAR] seconds".into());
    }
    for (i, part) in parts.iter().enumerate() {
        let v: f64 = part
            .trim()
            .parse()
            .map_err(|_| "give MAX[,HERE,NEAR] seconds".to_string())?;
        match i {
            0 => rule.max = v,
            1 => rule.here = v,
            _ => rule.near = v,
        }
    }
    Ok(rule)
}
