//! `ipkit resolve` through the real binary: numeric hosts and the system
//! databases on the host; names, CNAMEs, AAAA, NXDOMAIN, a silent server and
//! reverse names through a real resolver configuration inside a namespace
//! with its own DNS server (dnsmasq), so nothing leaves the machine.

use std::time::Duration;

use serde_json::Value;

use crate::lab::{Netns, can_use_namespaces, ensure_installed, lab_lock};
use std::process::Output;

use crate::util::{stderr, stdout};

/// Run ipkit in a namespace of its own with only loopback, the usual
/// loopback names in its hosts file, and a resolver at 127.0.0.1 where
/// nothing listens: a lookup the C library sends to DNS (getnameinfo of
/// 0.0.0.0, say) is refused at once and cannot leave the machine.
pub fn quiet(args: &[&str]) -> Output {
    Netns::new(
        "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n",
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    )
    .ipkit(args)
}

// The sample's view line by line, with and without its NOTE:
// windows_views::resolve_matches_the_winsock_sample, against the sample's own
// format strings.

fn json(args: &[&str]) -> Value {
    let mut all = vec!["resolve", "--json"];
    all.extend_from_slice(args);
    let o = quiet(&all);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("JSON")
}

#[test]
fn service_name_from_the_system_database() {
    if !can_use_namespaces("service_name_from_the_system_database") {
        return;
    }
    let r = json(&[
        "-n",
        "127.0.0.1",
        "-s",
        "domain",
        "-t",
        "dgram",
        "-f",
        "numericserv",
    ]);
    assert_eq!(r["entries"][0]["port"], 53);
    assert_eq!(r["entries"][0]["socktype"], "SOCK_DGRAM");
    assert_eq!(r["entries"][0]["protocol"], "IPPROTO_UDP");
    // The numeric attempt succeeded, so no second (canonname) call was made.
    assert_eq!(r["query"]["attempts"].as_array().map(Vec::len), Some(1));
    assert_eq!(r["query"]["attempts"][0][0], "AI_NUMERICHOST");
}

#[test]
fn localhost_takes_the_second_attempt_with_canonname() {
    if !can_use_namespaces("localhost_takes_the_second_attempt_with_canonname") {
        return;
    }
    let r = json(&["-n", "localhost", "-a", "4", "-t", "stream"]);
    assert_eq!(
        r["query"]["attempts"],
        serde_json::json!([["AI_NUMERICHOST"], ["AI_CANONNAME"]])
    );
    assert_eq!(r["canonical_name"], "localhost");
    let entries = r["entries"].as_array().expect("entries");
    assert!(!entries.is_empty());
    for e in entries {
        assert_eq!(e["family"], "AF_INET");
        assert!(e["address"].as_str().is_some_and(|a| a.starts_with("127.")));
    }
}

#[test]
fn socket_type_zero_shows_every_entry_the_c_library_returns() {
    if !can_use_namespaces("socket_type_zero_shows_every_entry_the_c_library_returns") {
        return;
    }
    let r = json(&["-n", "127.0.0.1", "-s", "7", "-f", "numericserv"]);
    let types: Vec<&str> = r["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["socktype"].as_str())
        .collect();
    // glibc: one entry per socket type for the same address.
    assert!(
        types.contains(&"SOCK_STREAM") && types.contains(&"SOCK_DGRAM"),
        "{types:?}"
    );
}

#[test]
fn bind_address_is_the_wildcard() {
    if !can_use_namespaces("bind_address_is_the_wildcard") {
        return;
    }
    let r = json(&["-s", "5150", "-b", "-a", "4", "-t", "stream"]);
    assert_eq!(r["entries"][0]["address"], "0.0.0.0");
    assert_eq!(r["entries"][0]["port"], 5150);
    assert_eq!(r["query"]["attempts"][0][0], "AI_PASSIVE");
    let o = quiet(&[
        "resolve", "-s", "5150", "-a", "4", "-t", "stream", "--modern",
    ]);
    assert!(
        stdout(&o).contains("127.0.0.1:5150"),
        "without -b: loopback"
    );
}

#[test]
fn errors_are_named_with_distinct_exit_codes() {
    if !can_use_namespaces("errors_are_named_with_distinct_exit_codes") {
        return;
    }
    let o = quiet(&["resolve", "-n", "127.0.0.1", "-s", "no-such-service-here"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains("EAI_SERVICE"), "{}", stderr(&o));
    let o = quiet(&[
        "resolve",
        "-n",
        "127.0.0.1",
        "-a",
        "4",
        "--ai",
        "numerichost",
        "-s",
        "http",
        "-t",
        "raw",
    ]);
    assert_eq!(o.status.code(), Some(2), "bad -t value is a usage error");
    let o = quiet(&["resolve"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("-n NAME"));
    let o = quiet(&["resolve", "-n", "example.test", "--ai", "numerichost"]);
    assert_eq!(o.status.code(), Some(1), "EAI_NONAME: {}", stderr(&o));
    assert!(stderr(&o).contains("EAI_NONAME"));
}

const HOSTS: &str =
    "127.0.0.1 localhost\n::1 localhost\n192.0.2.77 fromhosts.test fh other-alias\n";

/// A namespace whose resolver is a dnsmasq on its own loopback.
fn dns_lab() -> Netns {
    ensure_installed("dnsmasq", "dnsmasq-base");
    let mut ns = Netns::new(
        HOSTS,
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    );
    ns.spawn(
        "dnsmasq",
        &[
            "--no-daemon",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--pid-file=",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--port=53",
            "--local=/test/",
            "--local=/2.0.192.in-addr.arpa/",
            "--local=/8.b.d.0.1.0.0.2.ip6.arpa/",
            "--host-record=a.test,192.0.2.10,2001:db8::10",
            "--host-record=v6only.test,2001:db8::66",
            "--cname=alias.test,a.test",
        ],
    );
    ns.wait_until("dnsmasq", Duration::from_secs(10), || {
        ns.ipkit(&[
            "resolve", "-n", "a.test", "-a", "4", "-t", "stream", "--modern",
        ])
        .status
        .success()
    });
    ns
}

fn ns_json(ns: &Netns, args: &[&str]) -> (Option<i32>, Value, String) {
    let mut all = vec!["resolve", "--json"];
    all.extend_from_slice(args);
    let o = ns.ipkit(&all);
    let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o.status.code(), v, stderr(&o))
}

/// The same getaddrinfo call as `getent ahosts` (AI_ADDRCONFIG |
/// AI_CANONNAME, any family, any socket type), side by side in the same
/// namespace: the same addresses and socket types, in the same order.
#[test]
fn entries_agree_with_getent_ahosts() {
    if !can_use_namespaces("entries_agree_with_getent_ahosts") {
        return;
    }
    let _serial = lab_lock();
    let ns = dns_lab();
    for name in [
        "a.test",
        "alias.test",
        "v6only.test",
        "fromhosts.test",
        "localhost",
        "192.0.2.10",
        "2001:db8::10",
    ] {
        let theirs = crate::util::run(ns.command("getent").args(["ahosts", name]));
        let theirs: Vec<(String, String)> = stdout(&theirs)
            .lines()
            .map(|l| {
                let mut w = l.split_whitespace();
                let addr = w.next().unwrap_or("").to_string();
                let kind = w.next().unwrap_or("").to_string();
                (addr, kind)
            })
            .collect();
        let (code, r, err) = ns_json(&ns, &["-n", name, "--ai", "addrconfig,canonname"]);
        let ours: Vec<(String, String)> = r["entries"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|e| {
                let kind = match e["socktype"].as_str() {
                    Some("SOCK_STREAM") => "STREAM",
                    Some("SOCK_DGRAM") => "DGRAM",
                    Some("SOCK_RAW") => "RAW",
                    other => panic!("{other:?}"),
                };
                (
                    e["address"].as_str().unwrap_or("").to_string(),
                    kind.to_string(),
                )
            })
            .collect();
        assert_eq!(
            ours, theirs,
            "{name}: ipkit (exit {code:?}, {err}) vs getent ahosts"
        );
    }
}

#[test]
fn names_cnames_aaaa_and_nxdomain_through_a_real_resolver() {
    if !can_use_namespaces("names_cnames_aaaa_and_nxdomain_through_a_real_resolver") {
        return;
    }
    let _serial = lab_lock();
    let ns = dns_lab();

    let (code, r, err) = ns_json(
        &ns,
        &["-n", "alias.test", "-t", "stream", "-f", "numericserv"],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        r["canonical_name"], "a.test",
        "the CNAME's target is the canonical name"
    );
    let addrs: Vec<&str> = r["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["address"].as_str())
        .collect();
    assert!(
        addrs.contains(&"192.0.2.10") && addrs.contains(&"2001:db8::10"),
        "{addrs:?}"
    );
    // getnameinfo turns the address back into its PTR name.
    let hosts: Vec<&str> = r["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["host"].as_str())
        .collect();
    assert!(hosts.iter().all(|h| *h == "a.test"), "{hosts:?}");

    let (code, r, _) = ns_json(&ns, &["-n", "v6only.test", "-a", "6", "-t", "stream"]);
    assert_eq!(code, Some(0));
    assert_eq!(r["entries"][0]["address"], "2001:db8::66");
    assert_eq!(r["entries"][0]["family"], "AF_INET6");

    let (code, r, _) = ns_json(&ns, &["-n", "fromhosts.test", "-a", "4", "-t", "stream"]);
    assert_eq!(
        (code, r["entries"][0]["address"].as_str()),
        (Some(0), Some("192.0.2.77")),
        "/etc/netns hosts file is used"
    );

    let o = ns.ipkit(&["resolve", "-n", "missing.test"]);
    assert_eq!(o.status.code(), Some(1), "NXDOMAIN: {}", stderr(&o));
    assert!(stderr(&o).contains("EAI_NONAME"), "{}", stderr(&o));

    let long = "a".repeat(300);
    let o = ns.ipkit(&["resolve", "-n", &long]);
    assert!(
        matches!(o.status.code(), Some(1 | 3 | 4)),
        "an over-long name fails cleanly: {}",
        stderr(&o)
    );
    assert!(stderr(&o).starts_with("error: getaddrinfo failed"));
}

#[test]
fn reverse_names_with_and_without_namereqd() {
    if !can_use_namespaces("reverse_names_with_and_without_namereqd") {
        return;
    }
    let _serial = lab_lock();
    let ns = dns_lab();
    let (code, r, _) = ns_json(&ns, &["-n", "192.0.2.10", "-t", "stream"]);
    assert_eq!(
        (code, r["entries"][0]["host"].as_str()),
        (Some(0), Some("a.test"))
    );
    // No PTR record: the numeric form comes back without NI_NAMEREQD…
    let (code, r, _) = ns_json(&ns, &["-n", "192.0.2.99", "-t", "stream"]);
    assert_eq!(
        (code, r["entries"][0]["host"].as_str()),
        (Some(0), Some("192.0.2.99"))
    );
    // …and a per-address failure with it, while the lookup itself succeeds.
    let o = ns.ipkit(&[
        "resolve",
        "-n",
        "192.0.2.99",
        "-t",
        "stream",
        "-f",
        "namereqd",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("[1] Numeric address resolved: 192.0.2.99"));
    assert!(!stdout(&o).contains("[1] Host:"));
    assert!(
        stderr(&o).contains("getnameinfo failed: EAI_NONAME"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("for the address: 192.0.2.99"));
    // A reverse zone the server refuses (dnsmasq has no upstream for it):
    // glibc says EAI_AGAIN for that address, and the lookup still succeeds.
    let o = ns.ipkit(&[
        "resolve",
        "-n",
        "198.51.100.7",
        "-t",
        "stream",
        "-f",
        "namereqd",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("[1] Numeric address resolved: 198.51.100.7"));
    assert!(
        stderr(&o).contains("getnameinfo failed: EAI_AGAIN"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_server_that_never_answers_gives_eai_again_within_the_timeout() {
    if !can_use_namespaces("a_server_that_never_answers_gives_eai_again_within_the_timeout") {
        return;
    }
    let _serial = lab_lock();
    // The name server's address resolves (permanently) to a MAC nobody has:
    // queries leave through a veth whose peer drops them. Nothing answers,
    // not even an ICMP error.
    let ns = Netns::new(
        HOSTS,
        "nameserver 198.51.100.53\noptions timeout:1 attempts:1\n",
    );
    let n = ns.name.as_str();
    ns.ip(&[
        "-n", n, "link", "add", "sink0", "type", "veth", "peer", "name", "sink1",
    ]);
    ns.ip(&["-n", n, "addr", "add", "198.51.100.1/24", "dev", "sink0"]);
    ns.ip(&["-n", n, "link", "set", "sink0", "up"]);
    ns.ip(&["-n", n, "link", "set", "sink1", "up"]);
    ns.ip(&[
        "-n",
        n,
        "neigh",
        "add",
        "198.51.100.53",
        "lladdr",
        "02:00:5e:00:53:53",
        "dev",
        "sink0",
        "nud",
        "permanent",
    ]);
    // timeout:1 attempts:1, two attempts (numeric, then by name; A only):
    // a few seconds; the limit only stops a hang (speed is for bench/).
    let o = crate::util::run_limited(
        ns.command(env!("CARGO_BIN_EXE_ipkit"))
            .args(["resolve", "-n", "silent.test", "-a", "4"]),
        b"",
        Duration::from_secs(30),
    );
    assert_eq!(o.status.code(), Some(3), "EAI_AGAIN: {}", stderr(&o));
    assert!(stderr(&o).contains("EAI_AGAIN"));
}

#[test]
fn legacy_calls_show_aliases_and_inet_addr() {
    if !can_use_namespaces("legacy_calls_show_aliases_and_inet_addr") {
        return;
    }
    let o = quiet(&["resolve", "--legacy", "-n", "127.1"]);
    let text = stdout(&o);
    assert!(text.contains("h_addr_list: 127.0.0.1"), "{text}");
    assert!(text.contains("inet_addr(\"127.1\") = 0x7f000001"), "{text}");
    assert!(
        text.contains("RFC 3493"),
        "says why getaddrinfo replaced them"
    );
    let o = quiet(&["resolve", "--legacy", "-n", "255.255.255.255", "--json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["inet_addr"].is_null(),
        "255.255.255.255 is INADDR_NONE to inet_addr"
    );
    assert_eq!(v["addresses"][0], "255.255.255.255");
    let o = quiet(&["resolve", "--legacy", "-s", "80"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "--legacy needs -n and takes no service"
    );

    // No server listens on the namespace's 127.0.0.1:53: the hosts file answers.
    let ns = Netns::new(
        HOSTS,
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    );
    let o = ns.ipkit(&["resolve", "--legacy", "-n", "fh", "--json"]);
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["official_name"], "fromhosts.test");
    assert_eq!(v["aliases"], serde_json::json!(["fh", "other-alias"]));
    assert_eq!(v["addresses"], serde_json::json!(["192.0.2.77"]));
    let o = ns.ipkit(&["resolve", "--legacy", "-n", "nowhere.test"]);
    assert!(matches!(o.status.code(), Some(1 | 3)), "{}", stderr(&o));
    assert!(stderr(&o).contains("gethostbyname failed"));
}
