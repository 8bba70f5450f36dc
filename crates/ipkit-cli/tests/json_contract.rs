//! docs/json.md is the JSON contract: every path a command prints is
//! listed in its section, and every path listed is printed by the inputs
//! below (so a renamed, added or dropped field fails here, as a
//! `deny_unknown_fields` struct would). Commands whose sections list fields
//! by record (ping, sockets, kill, neigh, if, dns --bulk) are checked by
//! their own tests.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::util::{ipkit, ipkit_with_input, stderr, stdout};

/// The text of the section headed `## \`ipkit NAME\``, up to the next.
fn section_of(name: &str) -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/json.md"))
        .expect("docs/json.md");
    let head = format!("## `ipkit {name}`");
    let at = doc
        .find(&head)
        .unwrap_or_else(|| panic!("docs/json.md has no {head}"));
    let section = &doc[at + head.len()..];
    section[..section.find("\n## ").unwrap_or(section.len())].to_string()
}

/// The paths listed in the tables of the section whose heading starts with
/// `## \`ipkit NAME\``.
fn documented(name: &str) -> BTreeSet<String> {
    section_of(name)
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`'))
        .map(|(path, _)| path.to_string())
        .collect()
}

/// Every path in one JSON value (`a.b`, `a[].c`), prefixed by `prefix`.
fn paths(v: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(p.clone());
                paths(x, &p, out);
            }
        }
        Value::Array(a) => {
            for x in a {
                paths(x, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

/// The paths of a one-document output.
fn document_paths(o: &std::process::Output, out: &mut BTreeSet<String>) {
    assert!(o.status.success(), "{}", stderr(o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    paths(&v, "", out);
}

/// The paths of an NDJSON output, each under its record type.
fn record_paths(o: &std::process::Output, out: &mut BTreeSet<String>) {
    for line in stdout(o).lines() {
        let r: Value = serde_json::from_str(line).expect("an NDJSON record");
        let kind = r["type"].as_str().expect("a record type").to_string();
        out.insert(kind.clone());
        paths(&r["data"], &kind, out);
    }
}

fn agree(name: &str, seen: &BTreeSet<String>) {
    let listed = documented(name);
    let unlisted: Vec<_> = seen.difference(&listed).collect();
    let unseen: Vec<_> = listed.difference(seen).collect();
    assert!(
        unlisted.is_empty(),
        "ipkit {name} prints paths docs/json.md does not list: {unlisted:?}"
    );
    assert!(
        unseen.is_empty(),
        "docs/json.md lists paths ipkit {name} did not print: {unseen:?}"
    );
}

#[test]
fn addr_output_is_the_documented_contract() {
    let mut seen = BTreeSet::new();
    document_paths(
        &ipkit(&[
            "addr",
            "--json",
            "172.31.28.120/16",
            "[fe80::1%lo]:80",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "::ffff:10.0.0.1",
            "ff02::1",
            "fe80::200:5eff:fe00:5301",
        ]),
        &mut seen,
    );
    document_paths(&ipkit(&["addr", "--json", "--legacy", "127.1"]), &mut seen);
    agree("addr", &seen);
}

#[test]
fn cidr_output_is_the_documented_contract() {
    let mut seen = BTreeSet::new();
    for args in [
        &["cidr", "merge", "10.0.0.0/24", "10.0.1.0/24"][..],
        &["cidr", "exclude", "10.0.0.0/8", "--remove", "10.0.0.0/9"],
        &["cidr", "split", "10.0.0.0/8", "--into", "/9"],
        &["cidr", "range2cidr", "10.0.0.1-10.0.0.6"],
        &["cidr", "cidr2range", "10.0.0.0/8"],
        &["cidr", "count", "10.0.0.0/8", "::/0"],
    ] {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        document_paths(&ipkit(&all), &mut seen);
    }
    record_paths(
        &ipkit(&["--json", "cidr", "hosts", "192.0.2.0/30"]),
        &mut seen,
    );
    record_paths(
        &ipkit_with_input(
            &["--json", "cidr", "match", "--set", "10.0.0.0/8"],
            b"a 10.1.1.1 b\n",
        ),
        &mut seen,
    );
    agree("cidr", &seen);
}

#[test]
fn grep_output_is_the_documented_contract() {
    let mut seen = BTreeSet::new();
    record_paths(
        &ipkit_with_input(
            &["--json", "grep", "-u"],
            b"a 10.0.0.1:80 b 2001:db8::/32\n",
        ),
        &mut seen,
    );
    agree("grep", &seen);
}

#[test]
fn service_output_is_the_documented_contract() {
    let mut seen = BTreeSet::new();
    document_paths(&ipkit(&["--json", "service", "http", "ftp"]), &mut seen);
    document_paths(
        &ipkit(&["--json", "service", "--protocol", "icmp"]),
        &mut seen,
    );
    agree("service", &seen);
}

#[test]
fn resolve_output_is_the_documented_contract() {
    if !crate::lab::can_use_namespaces("resolve_output_is_the_documented_contract") {
        return;
    }
    // In a namespace of its own: getnameinfo of 0.0.0.0 fails there at once
    // (no server), which fills `error` without leaving the machine.
    let ns = crate::lab::Netns::new(
        "127.0.0.1 localhost\n",
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    );
    let mut seen = BTreeSet::new();
    document_paths(
        &ns.ipkit(&[
            "--json",
            "resolve",
            "-n",
            "localhost",
            "-s",
            "80",
            "-a",
            "4",
            "-f",
            "namereqd",
        ]),
        &mut seen,
    );
    document_paths(
        &ns.ipkit(&[
            "--json",
            "resolve",
            "-n",
            "fe80::1%lo",
            "-s",
            "80",
            "--ai",
            "numerichost",
        ]),
        &mut seen,
    );
    document_paths(
        &ns.ipkit(&[
            "--json", "resolve", "-s", "5150", "-b", "-a", "4", "-t", "stream", "-f", "namereqd",
        ]),
        &mut seen,
    );
    document_paths(
        &ns.ipkit(&["--json", "resolve", "--legacy", "-n", "127.1"]),
        &mut seen,
    );
    agree("resolve", &seen);
}

/// The backticked words of the section headed `## \`ipkit NAME\``.
fn words_of(name: &str) -> BTreeSet<String> {
    section_of(name)
        .split('`')
        .skip(1)
        .step_by(2)
        .flat_map(|w| w.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The key names in `paths` (their last parts).
fn key_names(paths: &BTreeSet<String>) -> BTreeSet<String> {
    paths
        .iter()
        .filter_map(|p| p.rsplit('.').next())
        .map(|k| k.trim_end_matches("[]").to_string())
        .collect()
}

/// The sections that list fields by record (if, neigh, kill): every key the
/// command prints is named there, so a renamed or new field fails.
#[test]
fn record_style_sections_name_every_key() {
    if !crate::lab::can_use_namespaces("record_style_sections_name_every_key") {
        return;
    }
    let ns = crate::lab::Netns::new("", "nameserver 127.0.0.1\nsearch lab.test\n");
    ns.ip(&[
        "-n",
        &ns.name,
        "neigh",
        "add",
        "127.0.0.9",
        "lladdr",
        "02:00:00:00:00:09",
        "dev",
        "lo",
        "nud",
        "permanent",
    ]);
    for (name, args, stream) in [
        ("if", &["--json", "if"][..], false),
        ("neigh", &["--json", "neigh"], true),
        ("kill", &["--json", "kill", "--pid", "1", "--yes"], true),
    ] {
        // kill's refusal of PID 1 is asked inside a fresh PID namespace, whose
        // PID 1 is the shell: harmless even if the refusal broke.
        let o = if name == "kill" {
            crate::util::run(
                std::process::Command::new("unshare")
                    .args([
                        "--pid",
                        "--fork",
                        "--mount-proc",
                        "sh",
                        "-c",
                        "\"$0\" \"$@\"; true",
                    ])
                    .arg(env!("CARGO_BIN_EXE_ipkit"))
                    .args(args),
            )
        } else {
            ns.ipkit(args)
        };
        let mut seen = BTreeSet::new();
        if stream {
            for line in stdout(&o).lines() {
                let r: Value = serde_json::from_str(line).expect("NDJSON");
                paths(&r["data"], "", &mut seen);
            }
        } else {
            let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
            paths(&v, "", &mut seen);
        }
        assert!(
            !seen.is_empty(),
            "ipkit {name} printed no JSON: {}",
            stderr(&o)
        );
        let named = words_of(name);
        let unnamed: Vec<_> = key_names(&seen)
            .into_iter()
            .filter(|k| !named.contains(k))
            .collect();
        assert!(
            unnamed.is_empty(),
            "ipkit {name} prints keys docs/json.md does not name: {unnamed:?}"
        );
    }
}

/// `ipkit trace --json 127.0.0.1`: the destination answers at hop 1, with
/// each protocol; every path the hop and summary records print is listed.
#[test]
fn trace_output_is_the_documented_contract() {
    let mut seen = BTreeSet::new();
    for protocol in ["-I", "-U"] {
        let o = ipkit(&["trace", "--json", "-q", "2", protocol, "127.0.0.1"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        record_paths(&o, &mut seen);
        for line in stdout(&o).lines() {
            let record: Value = serde_json::from_str(line).expect("an NDJSON record");
            at_most_micros(&record, "");
        }
    }
    agree("trace", &seen);
}

/// `ipkit connect -z --json` to a listener on 127.0.0.1: every path of the
/// race's record is listed (the absent ones print as `null`).
#[test]
fn connect_output_is_the_documented_contract() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port().to_string();
    let mut seen = BTreeSet::new();
    document_paths(
        &ipkit(&["connect", "-z", "--json", "127.0.0.1", &port]),
        &mut seen,
    );
    agree("connect", &seen);
}

/// Every `*_ms` number under `v` is rounded to the microsecond (at most
/// three decimals), as docs/json.md's rule says.
fn at_most_micros(v: &Value, key: &str) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, x)| at_most_micros(x, k)),
        Value::Array(a) => a.iter().for_each(|x| at_most_micros(x, key)),
        Value::Number(n) if key.ends_with("_ms") => {
            let text = n.to_string();
            let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
            assert!(decimals <= 3, "{key} = {text}: more than three decimals");
        }
        _ => {}
    }
}

#[test]
fn info_output_is_the_documented_contract() {
    let dir = crate::info::scratch("contract");
    let (city, asn) = crate::info::maxmind_dbs(&dir);
    let (city, asn) = (city.to_str().unwrap(), asn.to_str().unwrap());
    let mut seen = BTreeSet::new();
    for ip in ["1.2.3.4", "10.0.0.1"] {
        document_paths(
            &crate::info::info_with(
                &dir,
                &["info", "--json", "-n", "--db", city, "--db", asn, ip],
                b"",
            ),
            &mut seen,
        );
    }
    // `hostname` needs a reverse DNS answer for a global address, which a
    // sealed run cannot get: it is the one documented path not printed here.
    seen.insert("hostname".to_string());
    agree("info", &seen);

    let mut seen = BTreeSet::new();
    document_paths(
        &crate::info::info_with(
            &dir,
            &[
                "info",
                "--json",
                "-n",
                "--summarize",
                "--db",
                city,
                "--db",
                asn,
                "1.2.3.4",
                "10.0.0.1",
            ],
            b"",
        ),
        &mut seen,
    );
    agree("info --summarize", &seen);
}
