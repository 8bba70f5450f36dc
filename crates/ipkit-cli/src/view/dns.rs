//! The human views of `ipkit dns`, rendered from the library's reports
//! ([`ipkit::dns::report`]): nslookup's (the default), dig's (`--dig`),
//! `--short`, a zone transfer's and a trace's. No I/O here.

use std::fmt::Write as _;

use ipkit::dns::report::{DnsReport, TraceReport};

use crate::output::Output;

/// Which optional sections nslookup's view shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sections {
    /// The authority section (`--authority`).
    pub authority: bool,
    /// The additional section (`--additional`).
    pub additional: bool,
}

/// One record as a zone-file line: name, TTL, class, type, data.
fn zone_line(s: &mut String, r: &ipkit::dns::report::RecordView) {
    let _ = writeln!(
        s,
        "{}\t{}\t{}\t{}\t{}",
        r.name, r.ttl, r.class, r.rtype, r.data
    );
}

/// `--short`: every answer record's data, as dig +short prints them: a
/// CNAME chain's targets come before the address.
pub fn short_view(reports: &[DnsReport]) -> String {
    reports
        .iter()
        .flat_map(|r| &r.answer)
        .map(|a| format!("{}\n", a.data))
        .collect()
}

/// A zone transfer: the records, then dig's size line or why it failed.
pub fn transfer_view(report: &DnsReport) -> String {
    let mut s = String::new();
    for r in &report.answer {
        zone_line(&mut s, r);
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
    s
}

/// `--trace`: each step's records and where they came from.
pub fn trace_view(trace: &TraceReport) -> String {
    let mut text = String::new();
    for (report, zone) in trace.trace.iter().zip(&trace.zones) {
        for r in report.answer.iter().chain(&report.authority) {
            zone_line(&mut text, r);
        }
        let (ip, port) = report
            .server
            .rsplit_once('#')
            .unwrap_or((&report.server, "53"));
        let _ = writeln!(
            text,
            ";; Received {} bytes from {ip}#{port}({zone}) in {:.0} ms\n",
            report.size, report.query_time_ms
        );
    }
    text
}

/// The nslookup view, as the chapter shows it (Windows nslookup).
pub fn nslookup_view(reports: &[DnsReport], sections: Sections, out: &Output) -> String {
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
        for (shown, title, records) in [
            (
                sections.authority,
                "Authoritative answers can be found from:",
                &r.authority,
            ),
            (sections.additional, "Additional records:", &r.additional),
        ] {
            if shown && !records.is_empty() {
                let _ = writeln!(s, "\n{title}");
                for a in records {
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
    }
    s
}

/// The status word's colour: green for NOERROR, red for any failure.
fn status_colour(status: &str) -> &'static str {
    if status == "NOERROR" { GREEN } else { RED }
}

/// SGR codes for the status words.
const GREEN: &str = "32";
const RED: &str = "31";

/// dig's full view.
pub fn dig_view(r: &DnsReport, out: &Output) -> String {
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
                zone_line(&mut s, rec);
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
