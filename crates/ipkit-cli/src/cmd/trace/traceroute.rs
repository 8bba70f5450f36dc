//! traceroute's view (Debian's traceroute 2.1): the header
//! `traceroute to NAME (ADDR), 30 hops max, 60 byte packets`, then one
//! line per hop, ` 1  name (addr)  0.123 ms  0.101 ms  0.099 ms`, `*` for
//! a lost probe, a new `name (addr)` when a probe came from another
//! address than the one before it, marks (` !H`) after the time. Rendered
//! from [`HopReport`] values; no I/O.

use std::fmt::Write as _;
use std::net::IpAddr;

use ipkit::trace::{HopReport, ProbeResult};

/// traceroute's first line.
pub fn header(shown: &str, target: IpAddr, max_hops: u8, packet_size: usize) -> String {
    format!("traceroute to {shown} ({target}), {max_hops} hops max, {packet_size} byte packets")
}

/// One hop's line, as traceroute prints it. `numeric` (`-n`): addresses
/// only; else `name (addr)`, the address standing for a name that did not
/// resolve. `sent_tos` is the TOS the probes left with: a responder that
/// quotes another shows it (` <TOS=0x..>`), since a hop rewrote it.
/// `as_path` (traceroute's `-A`, "print results directly after the
/// corresponding addresses"): ` [AS15169 Google LLC]` after each
/// responder, ` [*]` when the data has nothing for it (as traceroute marks
/// a failed lookup).
pub fn hop_line(hop: &HopReport, numeric: bool, sent_tos: u8, as_path: bool) -> String {
    let mut line = format!("{:2} ", hop.ttl);
    let mut last_from: Option<IpAddr> = None;
    for (i, probe) in hop.probes.iter().enumerate() {
        match probe.from {
            None => line.push_str(" *"),
            Some(from) => {
                if last_from != Some(from) {
                    line.push(' ');
                    line.push_str(&responder(probe, from, numeric));
                    if as_path {
                        let _ = write!(line, " [{}]", probe.org.as_deref().unwrap_or("*"));
                    }
                    if i == first_answered(&hop.probes)
                        && let Some(mtu) = hop.mtu
                    {
                        let _ = write!(line, " F={mtu}");
                    }
                }
                last_from = Some(from);
            }
        }
        if let Some(rtt) = probe.rtt_ms {
            let _ = write!(line, "  {rtt:.3} ms");
        }
        match (&probe.annotation, probe.from, probe.frag_mtu) {
            // The local host refused it as too big, and the kernel named
            // the route's MTU: tracepath's words for it.
            (Some(mark), None, Some(mtu)) if mark == "!F" => {
                let _ = write!(line, " pmtu {mtu}");
            }
            (Some(mark), _, mtu) => {
                line.push(' ');
                line.push_str(mark);
                if let Some(mtu) = mtu {
                    let _ = write!(line, "-{mtu}");
                }
            }
            (None, ..) => {}
        }
        if !probe.mpls.is_empty() {
            line.push_str(&mpls(probe));
        }
        if let Some(tos) = probe.quoted_tos
            && tos != sent_tos
        {
            let _ = write!(line, " <TOS=0x{tos:02x}>");
        }
    }
    line
}

/// `name (addr)`, or the address alone with `-n`.
fn responder(probe: &ProbeResult, from: IpAddr, numeric: bool) -> String {
    if numeric {
        from.to_string()
    } else {
        let name = probe.name.clone().unwrap_or_else(|| from.to_string());
        format!("{name} ({from})")
    }
}

/// The index of the first probe that was answered (the one `F=` follows).
fn first_answered(probes: &[ProbeResult]) -> usize {
    probes.iter().position(|p| p.from.is_some()).unwrap_or(0)
}

/// The label stack as traceroute's `-e` prints it:
/// ` <MPLS:L=100,E=0,S=1,T=1>`, entries joined by `/`.
fn mpls(probe: &ProbeResult) -> String {
    let entries: Vec<String> = probe
        .mpls
        .iter()
        .map(|m| {
            format!(
                "L={},E={},S={},T={}",
                m.label,
                m.tc,
                u8::from(m.bottom),
                m.ttl
            )
        })
        .collect();
    format!(" <MPLS:{}>", entries.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::trace::fixtures::{hop, probe};

    #[test]
    fn lines_as_traceroute_prints_them() {
        assert_eq!(
            header("localhost", "127.0.0.1".parse().unwrap(), 30, 60),
            "traceroute to localhost (127.0.0.1), 30 hops max, 60 byte packets"
        );
        let mut first = probe(Some("127.0.0.1"), Some(0.031));
        first.name = Some("localhost".into());
        let h = hop(
            1,
            vec![
                first,
                probe(Some("127.0.0.1"), Some(0.008)),
                probe(Some("127.0.0.1"), Some(0.0071)),
            ],
        );
        assert_eq!(
            hop_line(&h, false, 0, false),
            " 1  localhost (127.0.0.1)  0.031 ms  0.008 ms  0.007 ms"
        );
        assert_eq!(
            hop_line(&h, true, 0, false),
            " 1  127.0.0.1  0.031 ms  0.008 ms  0.007 ms"
        );
        let silent = hop(12, vec![probe(None, None), probe(None, None)]);
        assert_eq!(hop_line(&silent, true, 0, false), "12  * *");
        let mut unreachable = probe(Some("192.0.2.2"), Some(1.5));
        unreachable.annotation = Some("!N".into());
        let mixed = hop(
            3,
            vec![
                probe(None, None),
                probe(Some("192.0.2.1"), Some(1.25)),
                unreachable,
            ],
        );
        assert_eq!(
            hop_line(&mixed, true, 0, false),
            " 3  * 192.0.2.1  1.250 ms 192.0.2.2  1.500 ms !N"
        );
        // Refused locally as too big, the kernel naming the route's MTU:
        // tracepath's `pmtu N`; a router's `!F` keeps traceroute's form.
        let mut local = probe(None, None);
        local.annotation = Some("!F".into());
        local.frag_mtu = Some(1280);
        let mut router = probe(Some("192.0.2.1"), Some(2.0));
        router.annotation = Some("!F".into());
        router.frag_mtu = Some(1400);
        assert_eq!(
            hop_line(&hop(1, vec![local, router]), true, 0, false),
            " 1  * pmtu 1280 192.0.2.1  2.000 ms !F-1400"
        );
    }

    #[test]
    fn as_path_follows_each_responder_as_traceroute_a_prints_it() {
        let mut labelled = probe(Some("192.0.2.1"), Some(1.0));
        labelled.org = Some("AS64500 Example Net".into());
        let h = hop(4, vec![labelled, probe(Some("192.0.2.2"), Some(2.0))]);
        assert_eq!(
            hop_line(&h, true, 0, true),
            " 4  192.0.2.1 [AS64500 Example Net]  1.000 ms 192.0.2.2 [*]  2.000 ms"
        );
    }
}
