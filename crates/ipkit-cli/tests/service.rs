//! `ipkit service` through the real binary, against a services file the test
//! writes and against the built-in copy.

use crate::util::{ipkit, stderr, stdout};

fn services_file() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ipkit-services-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("services");
    std::fs::write(&path, "# test database\nftp\t\t21/tcp\nmyproto\t\t5150/udp\tmine winsock\t# the chapter's port\nmyproto\t\t5150/tcp\nbroken line\n").unwrap();
    path
}

#[test]
fn by_name_alias_and_port_from_the_file() {
    let f = services_file();
    let f = f.to_str().unwrap();
    let o = ipkit(&["service", "--services-file", f, "myproto"]);
    assert_eq!(
        stdout(&o),
        "myproto              5150/udp   mine winsock\nmyproto              5150/tcp\n"
    );
    let o = ipkit(&["service", "--services-file", f, "winsock"]);
    assert!(
        stdout(&o).starts_with("myproto              5150/udp"),
        "aliases match"
    );
    let o = ipkit(&["service", "--services-file", f, "5150/tcp", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["source"], f);
    assert_eq!(v["results"][0]["matches"][0]["protocol"], "tcp");
    assert_eq!(v["results"][0]["matches"].as_array().map(Vec::len), Some(1));
    let o = ipkit(&["service", "--services-file", f, "ftp/udp"]);
    assert_eq!(o.status.code(), Some(1), "not found is a negative result");
    assert!(stderr(&o).contains("ftp/udp: not found"));
}

#[test]
fn builtin_copy_answers_when_the_file_is_missing() {
    let o = ipkit(&[
        "service",
        "--services-file",
        "/nonexistent/services",
        "ftp",
        "domain/udp",
        "443",
    ]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("built-in IANA copy"));
    let text = stdout(&o);
    assert!(text.contains("ftp                  21/tcp\n"), "{text}");
    assert!(text.contains("domain               53/udp\n"));
    assert!(text.contains("https                443/tcp\n"));
    let o = ipkit(&[
        "service",
        "--services-file",
        "/nonexistent/services",
        "--all",
    ]);
    // Every entry of the built-in copy is well formed, listed once, and
    // where the system database names the same service and protocol, glibc
    // gives it the same port (getent, side by side).
    let text = stdout(&o);
    let entries: Vec<Vec<&str>> = text.lines().map(words).collect();
    assert!(entries.len() > 50, "{} entries", entries.len());
    let mut keys: Vec<String> = Vec::new();
    for e in &entries {
        assert!(e.len() >= 2, "{e:?}");
        let (port, proto) = e[1].split_once('/').expect("PORT/PROTO");
        assert!(port.parse::<u16>().is_ok(), "{e:?}");
        assert!(["tcp", "udp", "sctp", "ddp"].contains(&proto), "{e:?}");
        keys.push(format!("{}/{proto}", e[0]));
    }
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), keys.len(), "each entry once");
    let mut agreed = 0;
    for (key, e) in keys.iter().zip(&entries) {
        let g = crate::util::run(std::process::Command::new("getent").args(["services", key]));
        if g.status.success() {
            let g = stdout(&g);
            assert_eq!(words(&g)[1], e[1], "{key}: built-in copy vs getent");
            agreed += 1;
        }
    }
    assert!(agreed > 40, "only {agreed} entries checked against getent");
}

#[test]
fn protocols_database() {
    for file in ["/etc/protocols", "/nonexistent/protocols"] {
        let o = ipkit(&[
            "service",
            "--protocols-file",
            file,
            "--protocol",
            "icmp",
            "--protocol",
            "58",
            "--json",
        ]);
        assert!(o.status.success(), "{file}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["results"][0]["matches"][0]["number"], 1, "{file}");
        assert_eq!(v["results"][1]["matches"][0]["name"], "ipv6-icmp", "{file}");
    }
    let o = ipkit(&["service", "--protocol", "no-such-proto"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn malformed_queries_are_usage_errors() {
    for bad in ["70000", "/tcp", "ftp/"] {
        let o = ipkit(&["service", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert_eq!(stderr(&o).lines().count(), 1, "{bad}: {}", stderr(&o));
    }
}

/// Split an entry line into its words (the column widths differ).
fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// The entries of a services/protocols style file: the words of each line,
/// comments dropped, lines of fewer than two words skipped.
fn entries(path: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .map(|l| {
            l.split('#')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|w| w.len() >= 2)
        .collect()
}

/// Every `name/proto` and `port/proto` of the system's /etc/services, as
/// glibc's getservbyname/getservbyport answer them (getent, side by side).
#[test]
fn every_service_agrees_with_getent() {
    let mut keys: Vec<String> = Vec::new();
    for e in entries("/etc/services") {
        let Some((port, proto)) = e[1].split_once('/') else {
            continue;
        };
        keys.push(format!("{}/{proto}", e[0]));
        keys.push(format!("{port}/{proto}"));
        for alias in &e[2..] {
            keys.push(format!("{alias}/{proto}"));
        }
    }
    keys.sort();
    keys.dedup();
    assert!(keys.len() > 100, "{} keys", keys.len());
    for chunk in keys.chunks(200) {
        let mut getent = vec!["services"];
        getent.extend(chunk.iter().map(String::as_str));
        let theirs = crate::util::run(std::process::Command::new("getent").args(&getent));
        let mut ours = vec!["service", "--json", "--services-file", "/etc/services"];
        ours.extend(chunk.iter().map(String::as_str));
        let o = ipkit(&ours);
        assert!(o.status.success(), "{}", stderr(&o));
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        let results = doc["results"].as_array().expect("results");
        let theirs = stdout(&theirs);
        let theirs: Vec<Vec<&str>> = theirs.lines().map(words).collect();
        assert_eq!(results.len(), chunk.len(), "one result per key");
        assert_eq!(theirs.len(), chunk.len(), "getent: one line per key");
        // getservbyname answers the first entry in file order; ipkit lists
        // every entry that matches (dicom is an alias of acr-nema 104/tcp and
        // the name of 11112/tcp), the first being the C library's.
        for ((key, t), r) in chunk.iter().zip(&theirs).zip(results) {
            let m = &r["matches"][0];
            let port_proto = format!("{}/{}", m["port"], m["protocol"].as_str().unwrap_or(""));
            let mut ours = vec![m["name"].as_str().unwrap_or(""), port_proto.as_str()];
            ours.extend(
                m["aliases"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str()),
            );
            assert_eq!(&ours, t, "{key}: ipkit vs getent");
        }
    }
}

/// Every protocol name, alias and number of /etc/protocols, as
/// getprotobyname/getprotobynumber answer them (getent protocols).
#[test]
fn every_protocol_agrees_with_getent() {
    let mut keys: Vec<String> = Vec::new();
    for e in entries("/etc/protocols") {
        // Numbers above 255 (mptcp 262) are a known gap: see issue 11.
        if e[1].parse::<u16>().is_ok_and(|n| n > 255) {
            continue;
        }
        keys.extend(e);
    }
    keys.dedup();
    assert!(keys.len() > 50, "{} keys", keys.len());
    for key in &keys {
        let theirs =
            crate::util::run(std::process::Command::new("getent").args(["protocols", key]));
        let o = ipkit(&[
            "service",
            "--protocols-file",
            "/etc/protocols",
            "--protocol",
            key,
        ]);
        assert!(o.status.success(), "{key}: {}", stderr(&o));
        let first = stdout(&o);
        let first = first.lines().next().unwrap_or("");
        assert_eq!(
            words(first),
            words(stdout(&theirs).trim_end()),
            "{key}: ipkit vs getent"
        );
    }
}
