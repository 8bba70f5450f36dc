//! Windows tracert's view: `Tracing route to name [addr]` / `over a
//! maximum of 30 hops:`, a blank line, one line per hop with three times
//! (`<1 ms`, `12 ms`, `*`) and the responder (`name [addr]`), `Request
//! timed out.` for a silent hop, and `Trace complete.` after a blank line.
//! Rendered from [`HopReport`] values; no I/O.

use std::fmt::Write as _;
use std::net::IpAddr;

use ipkit::trace::{HopReport, ProbeResult};

/// The lines before the first hop (a blank line first, as tracert).
/// A target typed as a name shows `name [addr]` on two lines; an address
/// alone fits on one (`Tracing route to 192.0.2.1 over a maximum of 30
/// hops`), as tracert prints it.
pub fn header(shown: &str, target: IpAddr, max_hops: u8) -> String {
    if shown == target.to_string() {
        format!("\nTracing route to {target} over a maximum of {max_hops} hops\n")
    } else {
        format!("\nTracing route to {shown} [{target}]\nover a maximum of {max_hops} hops:\n")
    }
}

/// One hop: `  1    <1 ms    <1 ms    <1 ms  192.0.2.1`, `  4     *        *        *     Request timed out.`.
pub fn hop_line(hop: &HopReport, numeric: bool) -> String {
    let mut line = format!("{:3}", hop.ttl);
    for probe in &hop.probes {
        match probe.rtt_ms {
            Some(ms) if ms < 1.0 => line.push_str("    <1 ms"),
            Some(ms) => {
                let _ = write!(line, "{:>6} ms", ms.round() as u64);
            }
            None => line.push_str("     *   "),
        }
    }
    line.push_str("  ");
    match hop.probes.iter().find(|p| p.from.is_some()) {
        None => line.push_str("Request timed out."),
        Some(probe) => {
            line.push_str(&responder(probe, numeric));
            if let Some(words) = probe.annotation.as_deref().and_then(reports) {
                let _ = write!(line, " reports: {words}");
            }
        }
    }
    line
}

/// The last lines.
pub fn footer() -> &'static str {
    "\nTrace complete."
}

/// `name [addr]`, or the address alone (`-d`, or no name).
fn responder(probe: &ProbeResult, numeric: bool) -> String {
    let from = probe.from.map(|a| a.to_string()).unwrap_or_default();
    match &probe.name {
        Some(name) if !numeric => format!("{name} [{from}]"),
        _ => from,
    }
}

/// Windows' words for traceroute's marks.
fn reports(mark: &str) -> Option<&'static str> {
    Some(match mark {
        "!N" => "Destination net unreachable.",
        "!H" => "Destination host unreachable.",
        "!P" => "Destination protocol unreachable.",
        "!F" => "Packet needs to be fragmented but DF set.",
        "!X" | "!A" | "!C" => "Communication administratively prohibited.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::trace::fixtures::{hop, probe};

    #[test]
    fn lines_as_tracert_prints_them() {
        let a = Some("192.0.2.1");
        let h = hop(
            1,
            vec![
                probe(a, Some(0.2)),
                probe(a, Some(0.3)),
                probe(a, Some(0.1)),
            ],
        );
        assert_eq!(
            hop_line(&h, false),
            "  1    <1 ms    <1 ms    <1 ms  192.0.2.1"
        );
        let silent = hop(4, vec![probe(None, None); 3]);
        assert_eq!(
            hop_line(&silent, false),
            "  4     *        *        *     Request timed out."
        );
        let mut named = probe(Some("198.51.100.7"), Some(12.4));
        named.name = Some("r7.example".into());
        let h = hop(10, vec![named.clone(), probe(None, None), named.clone()]);
        assert_eq!(
            hop_line(&h, false),
            " 10    12 ms     *       12 ms  r7.example [198.51.100.7]"
        );
        assert_eq!(
            hop_line(&h, true),
            " 10    12 ms     *       12 ms  198.51.100.7"
        );
        assert_eq!(
            header("dns.example", "192.0.2.53".parse().unwrap(), 30),
            "\nTracing route to dns.example [192.0.2.53]\nover a maximum of 30 hops:\n"
        );
    }
}
