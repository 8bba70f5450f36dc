//! `ipkit ping`: ICMP echo with iputils' letters and view. The engine is
//! `ipkit::ping`; this module parses, prints and picks the exit code
//! (0 a reply came, 1 none, 2 an error), as iputils does.

use std::fmt::Write as _;
use std::io::Write;
use std::net::IpAddr;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use ipkit::ping::session::{self, PingEvent, PingOptions};
use serde::Serialize;

use crate::exit::usage;
use crate::output::{Output, write_record};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit ping 127.0.0.1                 until Ctrl-C, then the statistics
  ipkit ping -c 3 -i 0.2 ::1
  ipkit ping -c 1 -W 2 -t 5 192.0.2.1   one probe, TTL 5, wait 2 s
  ipkit ping -c 4 --json 127.0.0.1     NDJSON: reply/timeout/error records, then a summary

Exit codes: 0 a reply came, 1 none, 2 an error (as iputils).
A raw ICMP socket needs CAP_NET_RAW; without it ipkit uses the unprivileged
ICMP socket when net.ipv4.ping_group_range allows, and says how to fix it
when neither is possible.";

/// Arguments of `ipkit ping`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The host to ping (an address or a name).
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// Stop after COUNT probes.
    #[arg(short = 'c', long, value_name = "COUNT")]
    pub count: Option<u64>,
    /// Seconds between probes (below 0.2 needs root, as in iputils).
    #[arg(short = 'i', long, value_name = "SECONDS", default_value_t = 1.0)]
    pub interval: f64,
    /// Seconds to wait for each reply.
    #[arg(short = 'W', long, value_name = "SECONDS", default_value_t = 10.0)]
    pub timeout: f64,
    /// Stop after this many seconds, whatever happened.
    #[arg(short = 'w', long, value_name = "SECONDS")]
    pub deadline: Option<f64>,
    /// Payload bytes (default 56: 64 bytes of ICMP).
    #[arg(short = 's', long, value_name = "BYTES", default_value_t = 56)]
    pub size: usize,
    /// TTL (IPv4) or hop limit (IPv6) of the probes.
    #[arg(short = 't', long, value_name = "TTL")]
    pub ttl: Option<u32>,
    /// Type of service / traffic class byte.
    #[arg(short = 'Q', long, value_name = "TOS")]
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
    /// Only the summary lines.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Prefix each line with a Unix timestamp.
    #[arg(short = 'D', long)]
    pub timestamps: bool,
    /// Numeric output only (no name lookups; ipkit does none by default).
    #[arg(short = 'n')]
    pub numeric: bool,
    /// Use IPv4 only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// Use IPv6 only.
    #[arg(short = '6')]
    pub ipv6: bool,
}

/// The NDJSON records of `ipkit ping --json`.
#[derive(Serialize)]
struct ReplyRecord {
    from: IpAddr,
    seq: u16,
    bytes: usize,
    ttl: Option<u8>,
    rtt_ms: f64,
    duplicate: bool,
    late: bool,
}

#[derive(Serialize)]
struct SummaryRecord {
    target: IpAddr,
    transmitted: u64,
    received: u64,
    duplicates: u64,
    errors: u64,
    loss_percent: f64,
    time_ms: u128,
    rtt_min_ms: Option<f64>,
    rtt_avg_ms: Option<f64>,
    rtt_max_ms: Option<f64>,
    rtt_mdev_ms: Option<f64>,
}

fn secs(v: f64, what: &str) -> anyhow::Result<Duration> {
    if (0.0..=86_400.0).contains(&v) {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(usage(format!("{what} {v}: give seconds from 0 to 86400")))
    }
}

fn resolve(target: &str, v4: bool, v6: bool) -> anyhow::Result<IpAddr> {
    if let Ok(ip) = target.parse::<IpAddr>() {
        return Ok(ip);
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

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Run `ipkit ping`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    static STOP: AtomicBool = AtomicBool::new(false);
    let target = resolve(&args.target, args.ipv4, args.ipv6)?;
    if args
        .pmtu
        .as_deref()
        .is_some_and(|m| m != "do" && m != "dont" && m != "want")
    {
        return Err(usage("-M takes do, want or dont"));
    }
    if args.size > 65_507 {
        return Err(usage(format!(
            "-s {}: the largest ICMP payload is 65507 bytes",
            args.size
        )));
    }
    let (source, interface) = match args.interface.as_deref().map(|i| (i, i.parse::<IpAddr>())) {
        Some((_, Ok(ip))) => (Some(ip), None),
        Some((name, Err(_))) => (None, Some(name.to_string())),
        None => (None, None),
    };
    let o = PingOptions {
        count: args.count,
        interval: secs(args.interval, "-i")?,
        timeout: secs(args.timeout, "-W")?,
        deadline: args.deadline.map(|d| secs(d, "-w")).transpose()?,
        size: args.size,
        ttl: args.ttl,
        tos: args.tos,
        dont_fragment: args.dont_fragment || args.pmtu.as_deref() == Some("do"),
        source,
        interface,
    };
    ipkit::sys::stop_on_interrupt(&STOP);
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    let ip_header = if target.is_ipv6() { 40 } else { 20 };
    if !out.json {
        writeln!(
            w,
            "PING {} ({target}) {}({}) bytes of data.",
            args.target,
            args.size,
            args.size + 8 + ip_header
        )?;
        w.flush()?;
    }
    let started = Instant::now();
    let mut write_err = None;
    let tracker = session::run(target, &o, &STOP, |e| {
        if write_err.is_some() {
            return;
        }
        let res = if out.json {
            match e {
                PingEvent::Reply {
                    from,
                    seq,
                    bytes,
                    ttl,
                    rtt,
                    duplicate,
                    late,
                } => write_record(
                    &mut w,
                    "reply",
                    &ReplyRecord {
                        from: *from,
                        seq: *seq,
                        bytes: *bytes,
                        ttl: *ttl,
                        rtt_ms: ms(*rtt),
                        duplicate: *duplicate,
                        late: *late,
                    },
                ),
                PingEvent::Timeout { seq } => {
                    write_record(&mut w, "timeout", &serde_json::json!({ "seq": seq }))
                }
                PingEvent::Error { from, seq, text } => write_record(
                    &mut w,
                    "error",
                    &serde_json::json!({ "from": from, "seq": seq, "text": text }),
                ),
            }
        } else if args.quiet {
            Ok(())
        } else {
            let mut line = String::new();
            if args.timestamps {
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
                } => {
                    let _ = write!(line, "{bytes} bytes from {from}: icmp_seq={seq}");
                    if let Some(t) = ttl {
                        let _ = write!(line, " ttl={t}");
                    }
                    let _ = write!(line, " time={}", fmt_ms(*rtt));
                    if *duplicate {
                        line.push_str(" (DUP!)");
                    }
                    if *late {
                        line.push_str(" (late)");
                    }
                }
                PingEvent::Error { from, seq, text } => {
                    let _ = write!(line, "From {from} icmp_seq={seq} {text}");
                }
                PingEvent::Timeout { .. } => return,
            }
            writeln!(w, "{line}").and_then(|()| w.flush())
        };
        if let Err(err) = res {
            write_err = Some(err);
        }
    })?;
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
                time_ms: elapsed.as_millis(),
                rtt_min_ms: rtt.map(|r| ms(r.0)),
                rtt_avg_ms: rtt.map(|r| ms(r.1)),
                rtt_max_ms: rtt.map(|r| ms(r.2)),
                rtt_mdev_ms: rtt.map(|r| ms(r.3)),
            },
        )?;
    } else {
        let mut t = format!(
            "\n--- {} ping statistics ---\n{} packets transmitted, {} received",
            args.target, s.transmitted, s.received
        );
        if s.duplicates > 0 {
            let _ = write!(t, ", +{} duplicates", s.duplicates);
        }
        if s.errors > 0 {
            let _ = write!(t, ", +{} errors", s.errors);
        }
        let _ = writeln!(
            t,
            ", {}% packet loss, time {}ms",
            fmt_loss(s.loss_percent()),
            elapsed.as_millis()
        );
        if let Some((min, avg, max, mdev)) = rtt {
            let _ = writeln!(
                t,
                "rtt min/avg/max/mdev = {:.3}/{:.3}/{:.3}/{:.3} ms",
                ms(min),
                ms(avg),
                ms(max),
                ms(mdev)
            );
        }
        w.write_all(t.as_bytes())?;
    }
    w.flush()?;
    Ok(if s.received > 0 {
        crate::exit::OK
    } else {
        crate::exit::NEGATIVE
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
