//! `ipkit addr` through the real binary.

use serde_json::Value;

use crate::util::{ipkit, stderr, stdout};

fn json(args: &[&str]) -> Value {
    let mut all = vec!["addr", "--json"];
    all.extend_from_slice(args);
    let o = ipkit(&all);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("addr --json is JSON")
}

#[test]
fn slash_and_mask_notation_agree() {
    let a = json(&["172.31.28.120/16"]);
    let b = json(&["172.31.28.120/255.255.0.0"]);
    let c = json(&["172.31.28.120", "--mask", "255.255.0.0"]);
    let net = &a["addresses"][0]["network"];
    assert_eq!(net, &b["addresses"][0]["network"]);
    assert_eq!(net, &c["addresses"][0]["network"]);
    assert_eq!(net["network"], "172.31.0.0");
    assert_eq!(net["broadcast"], "172.31.255.255");
    assert_eq!(net["wildcard"], "0.0.255.255");
    assert_eq!(net["first_host"], "172.31.0.1");
    assert_eq!(net["last_host"], "172.31.255.254");
    assert_eq!(net["host_count"], "65534");
    let class = &a["addresses"][0]["ipv4"]["classful"];
    assert_eq!(class["class"], "B");
    assert_eq!(class["default_mask"], "255.255.0.0");
}

#[test]
fn point_to_point_and_host_prefixes() {
    let r = json(&["192.0.2.0/31", "192.0.2.9/32"]);
    let p2p = &r["addresses"][0]["network"];
    assert_eq!(
        (p2p["host_count"].as_str(), p2p["broadcast"].is_null()),
        (Some("2"), true)
    );
    assert_eq!(p2p["first_host"], "192.0.2.0");
    let host = &r["addresses"][1]["network"];
    assert_eq!(host["host_count"], "1");
    assert_eq!(host["first_host"], "192.0.2.9");
}

#[test]
fn special_blocks_and_global_flag() {
    let r = json(&[
        "100.64.1.1",
        "255.255.255.255",
        "9.9.9.9",
        "239.255.255.250",
    ]);
    let a = &r["addresses"];
    assert_eq!(a[0]["blocks"][0]["name"], "Shared Address Space (CGNAT)");
    assert_eq!(a[0]["global"], false);
    assert_eq!(a[1]["kind"], "limited-broadcast");
    assert_eq!(a[2]["global"], true);
    assert_eq!(a[2]["blocks"].as_array().map(Vec::len), Some(0));
    assert_eq!(a[3]["kind"], "multicast");
    assert_eq!(a[3]["blocks"][0]["name"], "IPv4 Local Scope");
}

#[test]
fn ipv6_socket_address_with_zone_on_this_host() {
    let r = json(&["[fe80::21a:2bff:fe3c:4d5e%lo]:8080"]);
    let a = &r["addresses"][0];
    assert_eq!(a["ipv6"]["scope"], "link-local");
    assert_eq!(a["ipv6"]["eui64_mac"], "00:1a:2b:3c:4d:5e");
    let s = &a["socket"];
    assert_eq!(s["family"], "AF_INET6");
    assert_eq!(s["port"], 8080);
    assert_eq!(s["zone_interface"], "lo");
    let index = std::fs::read_to_string("/sys/class/net/lo/ifindex").expect("lo ifindex");
    assert_eq!(s["scope_id"].as_u64(), index.trim().parse().ok());
    // sockaddr_in6: family, then port 8080 = 0x1f90 in network order.
    assert_eq!(&s["bytes"].as_str().unwrap()[4..8], "1f90");
    // A numeric zone resolves back to the name.
    let r = json(&[&format!("fe80::1%{}", index.trim())]);
    assert_eq!(r["addresses"][0]["socket"]["zone_interface"], "lo");
}

#[test]
fn embedded_ipv4_forms() {
    let r = json(&[
        "::ffff:192.0.2.1",
        "2002:c000:201::1",
        "64:ff9b::198.51.100.1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    ]);
    let a = &r["addresses"];
    assert_eq!(a[0]["ipv6"]["embedded_ipv4"]["kind"], "mapped");
    assert_eq!(a[1]["ipv6"]["embedded_ipv4"]["ipv4"], "192.0.2.1");
    assert_eq!(a[2]["ipv6"]["embedded_ipv4"]["kind"], "nat64");
    assert_eq!(a[3]["ipv6"]["embedded_ipv4"]["client"], "192.0.2.45");
    assert_eq!(a[3]["ipv6"]["embedded_ipv4"]["port"], 40000);
}

#[test]
fn legacy_forms_refused_unless_asked() {
    for form in ["127.1", "0x7f.0.0.1", "0177.0.0.1", "2130706433"] {
        let o = ipkit(&["addr", form]);
        assert_eq!(o.status.code(), Some(2), "{form}");
        let err = stderr(&o);
        assert!(
            err.contains("127.0.0.1") && err.contains("--legacy"),
            "{form}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "one clear line: {err}");
        assert!(o.stdout.is_empty());
        let r = json(&["--legacy", form]);
        assert_eq!(r["addresses"][0]["address"], "127.0.0.1");
        assert!(
            r["addresses"][0]["legacy"]["reasons"]
                .as_array()
                .is_some_and(|v| !v.is_empty())
        );
    }
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    for bad in [
        "300.1.1.1",
        "1.2.3.4/33",
        "1.2.3.4/255.0.255.0",
        "[::1",
        "::1]:80",
        "fe80::1%",
        "1.2.3.4:70000",
        "hello",
    ] {
        let o = ipkit(&["addr", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let err = stderr(&o);
        assert!(
            err.starts_with("error: ") && err.lines().count() == 1,
            "{bad}: {err}"
        );
        assert!(o.stdout.is_empty(), "nothing half-written for {bad}");
    }
    // One bad argument among good ones: nothing is printed.
    let o = ipkit(&["addr", "192.0.2.1", "nonsense"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
}

#[test]
fn human_view_has_the_chapter_fields() {
    let o = ipkit(&["addr", "172.31.28.120/16"]);
    let text = stdout(&o);
    for want in [
        "class:",
        "B (unicast",
        "255.255.0.0",
        "broadcast:",
        "172.31.255.255",
        "28.31.172.in-addr.arpa",
    ] {
        assert!(text.contains(want), "missing {want} in\n{text}");
    }
    assert!(!text.contains('\x1b'), "no colour when not a terminal");
}

/// Zones with prefixes, zero-padded lengths and `%` inside a zone: accepted
/// and refused exactly as Python 3.13's ipaddress does, with the same
/// network, length and zone.
#[test]
fn parsing_agrees_with_python_ipaddress() {
    let inputs = [
        "fe80::1%eth0/64",
        "2001:db8::%scope/32",
        "::/0128",
        "::1/064",
        "1.2.3.4/024",
        "1.2.3.4/0",
        "::1%scope%",
        "fe80::1%eth0",
        "fe80::1%/64",
        "10.0.0.1/33",
        "::/129",
        "1.2.3.4/",
        "2001:db8::1/+64",
        "2001:db8::1/ 64",
    ];
    let script = r#"
import ipaddress, sys
for line in sys.stdin.read().splitlines():
    try:
        i = ipaddress.ip_interface(line)
        zone = getattr(i, "scope_id", None)
        print("ok", str(i.network.network_address).split("%")[0], i.network.prefixlen, zone or "-")
    except ValueError:
        print("refused")
"#;
    let theirs = crate::util::python313_run(script, &inputs.join("\n"));
    for (input, want) in inputs.iter().zip(theirs.lines()) {
        let o = ipkit(&["addr", "--json", input]);
        let ours = if o.status.success() {
            let v: Value = serde_json::from_slice(&o.stdout).unwrap();
            let a = &v["addresses"][0];
            let (net, len) = match a["network"].as_object() {
                Some(n) => (
                    n["network"].as_str().unwrap().to_string(),
                    n["prefix_len"].to_string(),
                ),
                None => {
                    let addr = a["address"].as_str().unwrap().to_string();
                    let len = if addr.contains(':') { "128" } else { "32" };
                    (addr, len.to_string())
                }
            };
            let zone = a["socket"]["zone"].as_str().unwrap_or("-").to_string();
            format!("ok {net} {len} {zone}")
        } else {
            assert_eq!(o.status.code(), Some(2), "{input}");
            assert_eq!(stderr(&o).lines().count(), 1, "{input}: {}", stderr(&o));
            "refused".to_string()
        };
        assert_eq!(ours, want, "{input}: ipkit vs Python 3.13 ipaddress");
    }
}

/// An IPv4 address inside an IPv6 one (mapped, 6to4, NAT64, Teredo): the
/// IPv6 block keeps the registry's verdict, and the carried address gets its
/// own — global and loopback as Python 3.13 judges the IPv4 address, private
/// as RFC 1918 draws it.
#[test]
fn embedded_ipv4_verdicts_agree_with_python_ipaddress() {
    let inputs = [
        ("::ffff:127.0.0.1", "127.0.0.1"),
        ("::ffff:10.0.0.1", "10.0.0.1"),
        ("::ffff:8.8.8.8", "8.8.8.8"),
        ("64:ff9b::a00:1", "10.0.0.1"),
        ("64:ff9b::808:808", "8.8.8.8"),
        ("2002:a00:1::", "10.0.0.1"),
        ("2002:c000:201::1", "192.0.2.1"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "192.0.2.45"),
    ];
    let script = r#"
import ipaddress, sys
rfc1918 = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
for line in sys.stdin.read().splitlines():
    six, four = line.split()
    a6, a4 = ipaddress.IPv6Address(six), ipaddress.IPv4Address(four)
    carried = a6.ipv4_mapped or a6.sixtofour or (a6.teredo[1] if a6.teredo else None) or a4
    assert carried == a4, (six, carried)
    print(a4.is_global, a4.is_loopback, any(a4 in n for n in rfc1918))
"#;
    let input: String = inputs.iter().map(|(a, b)| format!("{a} {b}\n")).collect();
    let theirs = crate::util::python313_run(script, &input);
    let py = |b: bool| if b { "True" } else { "False" };
    for ((six, four), want) in inputs.iter().zip(theirs.lines()) {
        let v = json(&[six]);
        let e = &v["addresses"][0]["ipv6"]["embedded_ipv4"];
        assert_eq!(e["address"], *four, "{six}");
        let ours = format!(
            "{} {} {}",
            py(e["global"].as_bool().unwrap()),
            py(e["loopback"].as_bool().unwrap()),
            py(e["private"].as_bool().unwrap())
        );
        assert_eq!(ours, want, "{six}: ipkit vs Python 3.13 on {four}");
    }
    // The block's own verdict stays the registry's: NAT64's well-known
    // prefix is globally reachable (RFC 6052, IANA), whatever it carries.
    let v = json(&["64:ff9b::a00:1"]);
    assert_eq!(v["addresses"][0]["global"], true);
    let text = stdout(&ipkit(&["addr", "::ffff:10.0.0.1"]));
    assert!(
        text.contains("embedded verdict:    global: no, private: yes, loopback: no, block: 10.0.0.0/8 Private-Use (RFC 1918)"),
        "{text}"
    );
}

/// Filters decide on the carried IPv4 address: a private host behind a
/// mapped, NAT64 or 6to4 address is private, not global.
#[test]
fn grep_filters_decide_on_the_embedded_address() {
    let log =
        b"a ::ffff:10.0.0.1 b 64:ff9b::a00:1 c 2002:a00:1:: d ::ffff:8.8.8.8 e 2001:4860::8888\n";
    let o = crate::util::ipkit_with_input(&["grep", "-o", "--only-global"], log);
    assert_eq!(stdout(&o), "::ffff:8.8.8.8\n2001:4860::8888\n");
    let o = crate::util::ipkit_with_input(&["grep", "-o", "--only-private"], log);
    assert_eq!(
        stdout(&o),
        "::ffff:10.0.0.1\n64:ff9b::a00:1\n2002:a00:1::\n"
    );
    let o = crate::util::ipkit_with_input(&["grep", "-o", "--exclude-reserved"], log);
    assert_eq!(stdout(&o), "::ffff:8.8.8.8\n2001:4860::8888\n");
}

/// `cidr count ::/0` is 2^128, as Python's num_addresses says.
#[test]
fn all_of_ipv6_counts_2_to_the_128() {
    let theirs = crate::util::python313_run(
        "import ipaddress\nprint(ipaddress.ip_network('::/0').num_addresses)\nprint(ipaddress.ip_network('::/1').num_addresses + 2**32)",
        "",
    );
    let mut theirs = theirs.lines();
    let o = ipkit(&["cidr", "count", "::/0", "--json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ipv6"].as_str(), theirs.next());
    let o = ipkit(&["cidr", "hosts", "::/0"]);
    assert!(
        stderr(&o).contains("340282366920938463463374607431768211456 addresses"),
        "{}",
        stderr(&o)
    );
    let o = ipkit(&["cidr", "hosts", "::/1", "0.0.0.0/0"]);
    assert!(
        stderr(&o).contains(&format!("{} addresses", theirs.next().unwrap())),
        "{}",
        stderr(&o)
    );
}
