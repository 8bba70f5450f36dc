//! `ipkit trace` labels its responders from the IP-information data (the
//! `asn`, `org` and `country` of each probe, `-A`'s `[AS… holder]`): on
//! real traces (loopback, and a namespace whose loopback holds a global
//! address, so that a responder is not a bogon), over databases written by
//! the info tests' builder. Expected values are what those databases hold
//! (the builder's records: 1.2.0.0/16 AS4766 Korea Telecom, 1.2.3.0/24 in
//! KR) and ipinfo's rule that a bogon is not looked up.
//!
//! The lab's routers (198.18.0.0/15, 2001:db8::/32) are bogons, so a
//! labelled hop needs a global address: rather than readdress the shared
//! trace lab, one namespace puts 1.2.3.4 on its own loopback (nothing
//! leaves the namespace) and traces it.

use std::process::Command;

use serde_json::Value;

use crate::info::{info_with, maxmind_dbs, scratch};
use crate::lab::{Netns, can_use_namespaces};
use crate::util::{CHILD_LIMIT, run_limited, stderr, stdout};

/// The hop records' data of a `--json` trace.
fn hops(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["type"] == "hop")
        .map(|v| v["data"].clone())
        .collect()
}

#[test]
fn a_global_responder_carries_the_datas_as_holder_and_country() {
    let test = "a_global_responder_carries_the_datas_as_holder_and_country";
    if !can_use_namespaces(test) {
        return;
    }
    let dir = scratch("trace-global");
    let (city, asn) = maxmind_dbs(&dir);
    let ns = Netns::new("", "");
    ns.ip(&["-n", &ns.name, "addr", "add", "1.2.3.4/32", "dev", "lo"]);
    let trace = |extra: &[&str]| {
        let mut c = ns.command(env!("CARGO_BIN_EXE_ipkit"));
        c.args(["trace", "-n", "-q", "1", "--db"])
            .arg(&city)
            .arg("--db")
            .arg(&asn)
            .args(extra)
            .arg("1.2.3.4")
            .env("NO_COLOR", "1");
        run_limited(&mut c, b"", CHILD_LIMIT)
    };
    let o = trace(&["--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let found = hops(&o.stdout);
    assert_eq!(found.len(), 1, "{}", stdout(&o));
    let probe = &found[0]["probes"][0];
    assert_eq!(probe["from"], "1.2.3.4");
    assert_eq!(probe["asn"], 4766);
    assert_eq!(probe["org"], "AS4766 Korea Telecom");
    assert_eq!(probe["country"], "KR");
    // traceroute -A: the lookup's result right after the address.
    let o = trace(&["-A"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let line = stdout(&o).lines().nth(1).unwrap_or_default().to_string();
    assert!(
        line.starts_with(" 1  1.2.3.4 [AS4766 Korea Telecom]  "),
        "{line}"
    );
    // Without -A the line is traceroute's own.
    let o = trace(&[]);
    assert!(!stdout(&o).contains('['), "{}", stdout(&o));
    // mtr -z's column in the report table.
    let o = trace(&["--report", "-c", "1", "-A"]);
    let row = stdout(&o).lines().nth(2).unwrap_or_default().to_string();
    assert!(row.starts_with("  1.|-- AS4766   1.2.3.4"), "{row}");

    // The trace lab's router range (198.18.0.0/15, RFC 2544's benchmarking
    // block: a bogon) in a database that covers it: not looked up.
    ns.ip(&["-n", &ns.name, "addr", "add", "198.18.0.1/32", "dev", "lo"]);
    let lab_range = dir.join("lab-asn.csv");
    std::fs::write(&lab_range, "198.18.0.0,198.19.255.255,64501,Lab Test Net\n").unwrap();
    let mut c = ns.command(env!("CARGO_BIN_EXE_ipkit"));
    c.args(["trace", "-n", "-q", "1", "--json", "--db"])
        .arg(&lab_range)
        .arg("198.18.0.1");
    let o = run_limited(&mut c, b"", CHILD_LIMIT);
    assert!(o.status.success(), "{}", stderr(&o));
    let probe = &hops(&o.stdout)[0]["probes"][0];
    assert_eq!(probe["from"], "198.18.0.1");
    assert!(probe["asn"].is_null() && probe["org"].is_null(), "{probe}");
}

#[test]
fn bogons_are_not_looked_up_even_when_the_data_covers_them() {
    let dir = scratch("trace-bogon");
    // A database that does hold the loopback network: a lookup would
    // answer AS64500.
    let covering = dir.join("asn.csv");
    std::fs::write(
        &covering,
        "127.0.0.0,127.255.255.255,64500,Loopback Test Net\n",
    )
    .unwrap();
    let db = covering.to_str().unwrap();
    let o = info_with(
        &dir,
        &["trace", "-n", "-q", "1", "--json", "--db", db, "127.0.0.1"],
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let hops = hops(&o.stdout);
    let probe = &hops[0]["probes"][0];
    assert_eq!(probe["from"], "127.0.0.1");
    assert!(probe["asn"].is_null() && probe["org"].is_null(), "{probe}");
    assert!(probe["country"].is_null(), "{probe}");
    let o = info_with(
        &dir,
        &["trace", "-n", "-q", "1", "-A", "--db", db, "127.0.0.1"],
        b"",
    );
    assert!(stdout(&o).contains(" 1  127.0.0.1 [*]  "), "{}", stdout(&o));
}

#[test]
fn without_data_the_fields_stay_null_and_nothing_is_said() {
    let dir = scratch("trace-nodata");
    let o = info_with(&dir, &["trace", "-n", "-q", "1", "--json", "::1"], b"");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    let probe = &hops(&o.stdout)[0]["probes"][0];
    assert!(probe["asn"].is_null() && probe["org"].is_null(), "{probe}");
}

#[test]
fn a_db_that_will_not_open_is_one_line_and_exit_2() {
    let dir = scratch("trace-baddb");
    let missing = dir.join("missing.mmdb");
    let corrupt = dir.join("corrupt.mmdb");
    std::fs::write(&corrupt, b"not a database").unwrap();
    for db in [&missing, &corrupt] {
        let o = info_with(
            &dir,
            &["trace", "--db", db.to_str().unwrap(), "127.0.0.1"],
            b"",
        );
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
        assert_eq!(stdout(&o), "");
    }
    // IPKIT_DB naming a broken file only leaves the hops unlabelled; and
    // is not even opened: no view here shows labels, and with -A or
    // --json the only responder is a bogon (never looked up).
    for extra in [&[][..], &["-A"], &["--json"]] {
        let o = run_limited(
            Command::new(env!("CARGO_BIN_EXE_ipkit"))
                .args(["trace", "-n", "-q", "1"])
                .args(extra)
                .arg("127.0.0.1")
                .env("IPKIT_DB", &corrupt)
                .env("XDG_DATA_HOME", &dir),
            b"",
            CHILD_LIMIT,
        );
        assert!(o.status.success(), "{extra:?}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{extra:?}");
    }
}

#[test]
fn the_default_data_is_opened_only_for_a_view_that_shows_a_global_responders_label() {
    let test = "the_default_data_is_opened_only_for_a_view_that_shows_a_global_responders_label";
    if !can_use_namespaces(test) {
        return;
    }
    let dir = scratch("trace-lazy");
    let corrupt = dir.join("corrupt.mmdb");
    std::fs::write(&corrupt, b"not a database").unwrap();
    let ns = Netns::new("", "");
    ns.ip(&["-n", &ns.name, "addr", "add", "1.2.3.4/32", "dev", "lo"]);
    let trace = |extra: &[&str]| {
        let mut c = ns.command(env!("CARGO_BIN_EXE_ipkit"));
        c.args(["trace", "-n", "-q", "1"])
            .args(extra)
            .arg("1.2.3.4")
            .env("IPKIT_DB", &corrupt)
            .env("XDG_DATA_HOME", &dir)
            .env("NO_COLOR", "1");
        run_limited(&mut c, b"", CHILD_LIMIT)
    };
    // No view that shows labels: the broken file is never read.
    let o = trace(&[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    assert!(stdout(&o).contains(" 1  1.2.3.4  "), "{}", stdout(&o));
    // -A needs 1.2.3.4's label: opened, and the trace says in one line
    // why its hops carry none.
    let o = trace(&["-A"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains(" 1  1.2.3.4 [*]  "), "{}", stdout(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("ipkit: hops not labelled: IP-information data: ")
            && err.contains("corrupt.mmdb"),
        "{err}"
    );
}
