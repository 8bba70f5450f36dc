//! The human views of `ipkit resolve`, rendered from the library's reports
//! ([`ipkit::resolve::report`]): the Winsock sample's header, the compact
//! view and the legacy calls' view. No I/O here.

use std::fmt::Write as _;

use ipkit::resolve::NiFlags;
use ipkit::resolve::report::{EntryReport, LegacyReport, QueryReport, ResolveReport};

/// The legacy calls' view (`--legacy`), as the chapter shows them.
pub fn legacy_view(report: &LegacyReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "gethostbyname(\"{}\"):", report.name);
    let _ = writeln!(s, "  h_name:      {}", report.official_name);
    let aliases = if report.aliases.is_empty() {
        "(none)".to_string()
    } else {
        report.aliases.join(" ")
    };
    let _ = writeln!(s, "  h_aliases:   {aliases}");
    let _ = writeln!(s, "  h_addrtype:  AF_INET");
    for a in &report.addresses {
        let _ = writeln!(s, "  h_addr_list: {a}   (inet_ntoa)");
    }
    match &report.inet_addr {
        Some(v) => {
            let _ = writeln!(s, "inet_addr(\"{}\") = {v} (host order)", report.name);
        }
        None => {
            let _ = writeln!(
                s,
                "inet_addr(\"{}\") = INADDR_NONE (not an address, or 255.255.255.255: it cannot tell)",
                report.name
            );
        }
    }
    let _ = writeln!(s, "\nNote: {}", report.why);
    s
}

/// The sample's NOTE and parameter block, line for line.
pub fn sample_header(q: &QueryReport, ni: NiFlags) -> String {
    let mut s = String::new();
    if !ni.numericserv {
        s.push_str(
            "\nNOTE: Without the NI_NUMERICSERV flag (-f numericserv) getnameinfo will\n      \
             fail if the port information does not resolve to a well known service\n      \
             like ftp (21), etc.\n\n",
        );
    }
    let family = match q.family {
        "AF_UNSPEC" => "NONE (default is AF_UNSPEC)",
        f => f,
    };
    let none_if_zero = |v: &str| {
        if v == "0" {
            "NONE".to_string()
        } else {
            v.to_string()
        }
    };
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Attempting to resolve the host: {}",
        q.name.as_deref().unwrap_or("NULL")
    );
    let _ = writeln!(
        s,
        "Service/port information is   : {}",
        q.service.as_deref().unwrap_or("NULL")
    );
    let _ = writeln!(s, "Requested address family      : {family}");
    let _ = writeln!(
        s,
        "Requested socket type         : {}",
        none_if_zero(&q.socktype)
    );
    let _ = writeln!(
        s,
        "Requested protocol            : {}",
        none_if_zero(&q.protocol)
    );
    let flags: String = ni.names().iter().map(|n| format!("{n} ")).collect();
    let _ = writeln!(s, "Requested flags to getnameinfo: {flags}\n");
    s
}

/// The compact view (`--modern`): one line per entry.
pub fn modern_view(r: &ResolveReport) -> String {
    let mut s = String::new();
    if let Some(c) = &r.canonical_name {
        let _ = writeln!(s, "canonical name: {c}");
    }
    for e in &r.entries {
        let names = match (&e.host, &e.service, &e.error) {
            (Some(h), Some(sv), _) => format!("{h} {sv}"),
            (_, _, Some(err)) => format!("({}: {})", err.code, err.message),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "{:<40} {:<11} {:<11} {names}",
            socket_text(e),
            e.socktype,
            e.protocol
        );
    }
    s
}

/// An entry's socket address, IPv6 in brackets.
fn socket_text(e: &EntryReport) -> String {
    if e.family == "AF_INET6" {
        format!("[{}]:{}", e.address, e.port)
    } else {
        format!("{}:{}", e.address, e.port)
    }
}
