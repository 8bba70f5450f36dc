//! The Windows ping view of one target (`ipkit ping --windows`, `--style
//! windows`): `Pinging …`, `Reply from …` lines and the statistics, as the
//! checked-in Windows captures show them, rendered from
//! [`ipkit::ping::report`]'s values. No I/O: the target's name (`-a`) is
//! looked up before.

use std::fmt::Write as _;
use std::net::IpAddr;

use ipkit::ping::ProbeFailure;
use ipkit::ping::report::{Returned, SessionRecord, Summary};
use ipkit::probe::LocalError;

/// `Pinging name [addr] with 32 bytes of data:` (after an empty line).
pub fn header(target: IpAddr, name: Option<&str>, size: usize) -> String {
    let shown = match name {
        Some(n) => format!("{n} [{target}]"),
        None => target.to_string(),
    };
    format!("\nPinging {shown} with {size} bytes of data:")
}

/// Windows ping's lines: `Reply from A: bytes=32 time=39ms TTL=54`
/// (IPv6: `Reply from ::1: time<1ms`), `Request timed out.`,
/// `Reply from R: TTL expired in transit.`; None for duplicates and late
/// replies, which Windows does not show.
pub fn line(record: &SessionRecord, size: usize) -> Option<String> {
    Some(match record {
        SessionRecord::Reply(r) if !r.duplicate && !r.late => {
            let time = if r.rtt.as_millis() < 1 {
                "time<1ms".to_string()
            } else {
                format!("time={}ms", r.rtt.as_millis())
            };
            // Windows prints neither size nor TTL for IPv6 replies.
            let mut line = if r.from.is_ipv6() {
                format!("Reply from {}: {time}", r.from)
            } else {
                let ttl = r.ttl.map_or(String::new(), |t| format!(" TTL={t}"));
                format!("Reply from {}: bytes={size} {time}{ttl}", r.from)
            };
            if let Returned::Carried(route) = &r.route
                && !route.is_empty()
            {
                let hops: Vec<String> = route.iter().map(ToString::to_string).collect();
                let _ = write!(line, "\n    Route: {}", hops.join(" ->\n           "));
            }
            if let Returned::Carried(stamps) = &r.timestamps
                && !stamps.is_empty()
            {
                let hops: Vec<String> = stamps
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
        SessionRecord::Reply(_) => return None,
        SessionRecord::Timeout(_) => "Request timed out.".to_string(),
        SessionRecord::Error(e) => format!("Reply from {}: {}", e.from, error_words(&e.cause)),
    })
}

/// Windows' words for a probe's error, from the typed cause.
fn error_words(cause: &ProbeFailure) -> &'static str {
    match cause {
        ProbeFailure::Icmp(e) if e.is_time_exceeded() => "TTL expired in transit.",
        ProbeFailure::Icmp(e) if e.is_too_big() => "Packet needs to be fragmented but DF set.",
        ProbeFailure::Icmp(e) if e.is_network_unreachable() => "Destination net unreachable.",
        ProbeFailure::Local(
            LocalError::NetworkUnreachable { .. } | LocalError::HostUnreachable { .. },
        ) => "Destination net unreachable.",
        _ => "Destination host unreachable.",
    }
}

/// Windows' statistics: counts, loss, and whole-millisecond round trips.
pub fn statistics(s: &Summary) -> String {
    let lost = s.transmitted.saturating_sub(s.received);
    let mut t = format!(
        "\nPing statistics for {}:\n    Packets: Sent = {}, Received = {}, Lost = {lost} ({:.0}% loss),\n",
        s.target, s.transmitted, s.received, s.loss_percent
    );
    if let (Some(min), Some(avg), Some(max)) = (s.rtt_min, s.rtt_avg, s.rtt_max) {
        let _ = writeln!(
            t,
            "Approximate round trip times in milli-seconds:\n    Minimum = {}ms, Maximum = {}ms, Average = {}ms",
            min.as_millis(),
            max.as_millis(),
            avg.as_millis()
        );
    }
    t
}
