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

/// Run ipkit with /etc hidden (an empty tmpfs over it in a private mount
/// namespace), as on a system without /etc/services and /etc/protocols.
fn without_etc(args: &[&str]) -> std::process::Output {
    crate::util::run(
        std::process::Command::new("unshare")
            .args([
                "--mount",
                "sh",
                "-c",
                "mount -t tmpfs none /etc && exec \"$0\" \"$@\"",
            ])
            .arg(env!("CARGO_BIN_EXE_ipkit"))
            .args(args)
            .env("NO_COLOR", "1"),
    )
}

#[test]
fn builtin_copy_answers_when_the_file_is_missing() {
    if !crate::lab::can_use_namespaces("builtin_copy_answers_when_the_file_is_missing") {
        return;
    }
    let o = without_etc(&["service", "ftp", "domain/udp", "443"]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("built-in IANA copy"));
    let text = stdout(&o);
    assert!(text.contains("ftp                  21/tcp\n"), "{text}");
    assert!(text.contains("domain               53/udp\n"));
    assert!(text.contains("https                443/tcp\n"));
    let o = without_etc(&["service", "--all"]);
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
    if !crate::lab::can_use_namespaces("protocols_database") {
        return;
    }
    for file in ["/etc/protocols", "built-in"] {
        let args = [
            "service",
            "--protocol",
            "icmp",
            "--protocol",
            "58",
            "--json",
        ];
        let o = if file == "built-in" {
            without_etc(&args)
        } else {
            ipkit(&args)
        };
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
        // mptcp 262 included: numbers above 255 exist in the file.
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

/// A services or protocols file named on the command line must exist: no
/// silent fall-back to the built-in copy for a file the user asked for.
#[test]
fn a_named_database_file_that_is_missing_is_an_error() {
    for flag in ["--services-file", "--protocols-file"] {
        let mut args = vec!["service", flag, "/nonexistent/db"];
        if flag == "--protocols-file" {
            args.extend(["--protocol", "icmp"]);
        } else {
            args.push("ftp");
        }
        let o = ipkit(&args);
        assert_eq!(o.status.code(), Some(2), "{flag}");
        assert_eq!(stderr(&o).lines().count(), 1, "{flag}: {}", stderr(&o));
        assert!(stderr(&o).contains("/nonexistent/db"), "{}", stderr(&o));
        assert!(stdout(&o).is_empty());
    }
}

/// Names are matched as glibc matches them: case-sensitively (getent, side
/// by side; ICMP is an alias of icmp in /etc/protocols, Icmp nothing).
#[test]
fn case_is_matched_as_glibc_matches_it() {
    for key in ["ftp", "FTP", "ftp/TCP", "Domain/udp", "http/tcp"] {
        let theirs = crate::util::run(std::process::Command::new("getent").args(["services", key]));
        let o = ipkit(&["service", key]);
        assert_eq!(o.status.success(), theirs.status.success(), "service {key}");
    }
    for key in [
        "icmp",
        "ICMP",
        "Icmp",
        "ipv6-icmp",
        "IPV6-ICMP",
        "mptcp",
        "262",
    ] {
        let theirs =
            crate::util::run(std::process::Command::new("getent").args(["protocols", key]));
        let o = ipkit(&["service", "--protocol", key]);
        assert_eq!(
            o.status.success(),
            theirs.status.success(),
            "protocol {key}"
        );
        if o.status.success() {
            let first = stdout(&o);
            assert_eq!(
                words(first.lines().next().unwrap_or("")),
                words(stdout(&theirs).trim_end()),
                "protocol {key}"
            );
        }
    }
}
