//! The iputils view of one target: the `PING …` header, a line per reply or
//! ICMP error (with the RR and TS lists under a reply), and the statistics,
//! rendered from [`ipkit::ping::report`]'s values. No I/O: names come in
//! the records.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use ipkit::ping::report::{Reply, Returned, SessionRecord, Summary, Timestamp, ms};
use ipkit::ping::session::PingOptions;
use ipkit_core::wire::ipv4::{HEADER_LEN, OPTIONS_ROOM};

use super::{fmt_loss, fmt_ms};
use crate::output::Output;

/// Payload bytes iputils needs for the send time it carries (a `struct
/// timeval`): below this no round-trip time is printed.
const TIMESTAMP_LEN: usize = 16;

/// The ICMP echo header's bytes.
const ICMP_HEADER_LEN: usize = 8;

/// iputils' first line: `PING h (a) 56(84) bytes of data.` for IPv4,
/// `PING h(a) 56 data bytes` for IPv6. iputils counts the whole option area
/// when an option is asked for.
pub fn header(shown: &str, target: IpAddr, o: &PingOptions) -> String {
    match target {
        IpAddr::V6(_) => format!("PING {shown}({target}) {} data bytes", o.size),
        IpAddr::V4(_) => {
            let options = if o.ip_options.is_empty() {
                0
            } else {
                OPTIONS_ROOM
            };
            format!(
                "PING {shown} ({target}) {}({}) bytes of data.",
                o.size,
                o.size + ICMP_HEADER_LEN + HEADER_LEN + options
            )
        }
    }
}

/// What the iputils view remembers between lines.
pub struct Lines {
    /// The last route printed: iputils prints `(same route)` for a repeat.
    last_route: Option<Vec<Ipv4Addr>>,
    /// The payload holds a send time (≥ 16 bytes): replies show `time=`.
    timed: bool,
}

impl Lines {
    /// The view of probes carrying `size` payload bytes.
    pub fn new(size: usize) -> Lines {
        Lines {
            last_route: None,
            timed: size >= TIMESTAMP_LEN,
        }
    }

    /// Whether round-trip times are shown (iputils shows them only when its
    /// send time fits in the payload).
    pub fn timed(&self) -> bool {
        self.timed
    }

    /// The line for `record` (None for a timeout: iputils prints none),
    /// after `[unix time] ` when `now` is given (`-D`).
    pub fn line(&mut self, record: &SessionRecord, now: Option<Duration>) -> Option<String> {
        let mut line = String::new();
        if let Some(now) = now {
            let _ = write!(line, "[{}.{:06}] ", now.as_secs(), now.subsec_micros());
        }
        match record {
            SessionRecord::Reply(r) => {
                let _ = write!(
                    line,
                    "{} bytes from {}: icmp_seq={}",
                    r.bytes,
                    shown(r.from, r.name.as_deref()),
                    r.seq
                );
                if let Some(t) = r.ttl {
                    let _ = write!(line, " ttl={t}");
                }
                if self.timed {
                    let _ = write!(line, " time={}", fmt_ms(r.rtt));
                }
                if r.duplicate {
                    line.push_str(" (DUP!)");
                }
                if r.late {
                    line.push_str(" (late)");
                }
                self.options(&mut line, r);
            }
            SessionRecord::Error(e) => {
                let _ = write!(
                    line,
                    "From {} icmp_seq={} {}",
                    shown(e.from, e.name.as_deref()),
                    e.seq,
                    e.text
                );
            }
            SessionRecord::Timeout(_) => return None,
        }
        Some(line)
    }

    /// iputils' RR and TS lists under a reply, each list ending with an
    /// empty line (`(same route)` on the reply line instead when the route
    /// did not change); a line saying so when an option asked for did not
    /// come back.
    fn options(&mut self, line: &mut String, r: &Reply) {
        // A list (RR: or TS:) ends with an empty line, as in iputils.
        let mut listed = matches!(r.timestamps, Returned::Carried(_));
        match &r.route {
            Returned::Carried(route)
                if !route.is_empty() && self.last_route.as_ref() == Some(route) =>
            {
                line.push_str("\t(same route)");
            }
            Returned::Carried(route) => {
                line.push_str("\nRR: ");
                listed = true;
                let hops: Vec<String> = route.iter().map(|a| format!("\t{a}")).collect();
                line.push_str(&hops.join("\n"));
                if route.is_empty() {
                    line.push_str("\t(no address recorded)");
                }
                self.last_route = Some(route.clone());
            }
            Returned::Dropped => {
                line.push_str("\nRR: not returned (the option was dropped on the way)");
            }
            Returned::NotAsked => {}
        }
        match &r.timestamps {
            Returned::Carried(stamps) => {
                line.push_str("\nTS: ");
                line.push_str(&timestamp_rows(stamps).join("\n"));
                if stamps.is_empty() {
                    line.push_str("\t(no timestamp recorded)");
                }
            }
            Returned::Dropped => {
                line.push_str("\nTS: not returned (the option was dropped on the way)");
            }
            Returned::NotAsked => {}
        }
        if listed {
            line.push('\n');
        }
    }
}

/// iputils' TS rows: the address when recorded, the first time absolute,
/// each next one as the difference from the one before.
fn timestamp_rows(stamps: &[Timestamp]) -> Vec<String> {
    let mut previous: Option<u32> = None;
    let mut rows = Vec::new();
    for e in stamps {
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
    rows
}

/// `name (address)` as iputils prints it, or the address alone.
fn shown(ip: IpAddr, name: Option<&str>) -> String {
    match name {
        Some(n) => format!("{n} ({ip})"),
        None => ip.to_string(),
    }
}

/// iputils' statistics, ending with a newline: after the rtt line when
/// there is one, on a line of its own when not. Without a send time in the
/// payload (`timed` false) iputils has no round-trip time to show (ipkit
/// knows it; --json keeps it). On a terminal with colour: the loss in green
/// when none was lost, red when everything was, yellow between.
pub fn statistics(shown: &str, s: &Summary, timed: bool, out: &Output) -> String {
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
    let shown_loss = format!("{}% packet loss", fmt_loss(s.loss_percent));
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
        s.elapsed.as_millis()
    );
    if let (true, Some(min), Some(avg), Some(max), Some(mdev)) =
        (timed, s.rtt_min, s.rtt_avg, s.rtt_max, s.rtt_mdev)
    {
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
    t
}
