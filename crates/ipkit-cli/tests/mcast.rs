//! `ipkit mcast` and `ipkit bcast` on a real LAN: network namespaces joined
//! by a Linux bridge (snooping off, so every host's NIC sees every frame and
//! only its own joins decide what it takes). What a receiver must get is
//! what the test sent — its payload, its sender's address as the test
//! configured it, the TTL the test asked for — and `ip maddr` is the anchor
//! for the memberships the kernel holds.

use std::io::Read;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::lab::{Netns, can_use_namespaces};
use crate::util::{finish_limited, signal, stderr, stdout};

/// Hosts on one bridge; each has `eth0` with the addresses given.
pub struct Lan {
    pub hosts: Vec<Netns>,
    _switch: Netns,
}

impl Lan {
    pub fn new(addresses: &[&[&str]]) -> Lan {
        let switch = Netns::new("", "");
        switch.ip(&[
            "-n",
            &switch.name,
            "link",
            "add",
            "br0",
            "type",
            "bridge",
            "mcast_snooping",
            "0",
        ]);
        switch.ip(&["-n", &switch.name, "link", "set", "br0", "up"]);
        let mut hosts = Vec::new();
        for (i, addrs) in addresses.iter().enumerate() {
            let host = Netns::new("", "");
            let port = format!("p{i}");
            switch.ip(&[
                "link",
                "add",
                "eth0",
                "netns",
                &host.name,
                "type",
                "veth",
                "peer",
                "name",
                &port,
                "netns",
                &switch.name,
            ]);
            switch.ip(&["-n", &switch.name, "link", "set", &port, "master", "br0"]);
            switch.ip(&["-n", &switch.name, "link", "set", &port, "up"]);
            for a in *addrs {
                let mut args = vec!["-n", &host.name, "addr", "add", a, "dev", "eth0"];
                if a.contains(':') {
                    args.push("nodad");
                }
                host.ip(&args);
            }
            host.ip(&["-n", &host.name, "link", "set", "eth0", "up"]);
            hosts.push(host);
        }
        Lan {
            hosts,
            _switch: switch,
        }
    }
}

/// A long-running ipkit in `ns`, started and waited on until its first line
/// (`joined …`, printed once the join is done) is out.
pub struct Running {
    pub child: Child,
    first: Vec<u8>,
}

pub fn start(ns: &Netns, args: &[&str]) -> Running {
    let mut child = ns
        .command(env!("CARGO_BIN_EXE_ipkit"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ipkit");
    let mut out = child.stdout.take().expect("stdout");
    let mut first = Vec::new();
    let mut byte = [0u8; 1];
    let began = Instant::now();
    while !first.ends_with(b"\n") {
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "no first line: {args:?}"
        );
        match out.read(&mut byte) {
            Ok(0) => {
                let mut err = String::new();
                let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
                panic!("ipkit {args:?} ended before its first line: {err}");
            }
            Ok(_) => first.push(byte[0]),
            Err(e) => panic!("reading ipkit's stdout: {e}"),
        }
    }
    child.stdout = Some(out);
    Running { child, first }
}

impl Running {
    pub fn finish(mut self) -> Output {
        let mut o = finish_limited(&mut self.child, b"", Duration::from_secs(30), "ipkit");
        self.first.append(&mut o.stdout);
        o.stdout = self.first;
        o
    }
}

/// The NDJSON records of an output, by type.
fn records(o: &Output, kind: &str) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .filter(|v| v["type"] == kind)
        .map(|v| v["data"].clone())
        .collect()
}

/// The senders' addresses (no port) of the datagrams an output shows.
fn senders(o: &Output) -> Vec<String> {
    records(o, "datagram")
        .iter()
        .map(|d| {
            let from: std::net::SocketAddr = d["from"].as_str().unwrap().parse().unwrap();
            from.ip().to_string()
        })
        .collect()
}

fn send(ns: &Netns, args: &[&str]) {
    let o = ns.ipkit(args);
    assert!(o.status.success(), "send {args:?}: {}", stderr(&o));
}

/// Any-source groups, IPv4 and IPv6: both receivers get every datagram,
/// with the sender's address, the payload and TTL 2 as sent; the host that
/// joined nothing (IPv4: a socket on the port; IPv6: a member of another
/// group on the port) gets none.
#[test]
fn any_source_group_reaches_its_members_only() {
    if !can_use_namespaces("any_source_group_reaches_its_members_only") {
        return;
    }
    let lan = Lan::new(&[
        &["10.9.0.1/24", "fd09::1/64"],
        &["10.9.0.2/24", "fd09::2/64"],
        &["10.9.0.3/24", "fd09::3/64"],
        &["10.9.0.4/24", "fd09::4/64"],
    ]);
    let [sender, r1, r2, outsider] = &lan.hosts[..] else {
        unreachable!()
    };
    for (group, other, from) in [
        ("239.1.2.3:5000", None, "10.9.0.1"),
        ("[ff0e::1:3]:5000", Some("[ff0e::1:4]:5000"), "fd09::1"),
    ] {
        let join = ["--json", "mcast", "join", group, "-i", "eth0", "-t", "3"];
        let a = start(r1, &join);
        let b = start(r2, &join);
        let c = match other {
            None => start(outsider, &["--json", "bcast", "listen", "5000", "-t", "3"]),
            Some(o) => start(
                outsider,
                &["--json", "mcast", "join", o, "-i", "eth0", "-t", "3"],
            ),
        };
        send(
            sender,
            &[
                "mcast",
                "send",
                group,
                "-i",
                "eth0",
                "--ttl",
                "2",
                "-c",
                "3",
                "--interval",
                "0.05",
                "hello",
            ],
        );
        for (name, o) in [("r1", a.finish()), ("r2", b.finish())] {
            assert_eq!(o.status.code(), Some(0), "{name} {group}: {}", stderr(&o));
            let got = records(&o, "datagram");
            assert_eq!(got.len(), 3, "{name} {group}: {}", stdout(&o));
            assert_eq!(senders(&o), vec![from; 3]);
            for d in &got {
                assert_eq!(d["payload"], "hello");
                assert_eq!(d["size"], 5);
                assert_eq!(d["ttl"], 2);
            }
            let summary = &records(&o, "summary")[0];
            assert_eq!(summary["received"], 3);
            assert_eq!(summary["left"], true);
        }
        let o = c.finish();
        assert_eq!(o.status.code(), Some(1), "outsider {group}: {}", stdout(&o));
        assert!(records(&o, "datagram").is_empty(), "{}", stdout(&o));
    }
}

/// Source-specific joins, IPv4 (IGMPv3) and IPv6 (MLDv2,
/// MCAST_JOIN_SOURCE_GROUP): of two senders to the group, only the named
/// source's datagrams arrive.
#[test]
fn source_specific_join_filters_out_a_second_source() {
    if !can_use_namespaces("source_specific_join_filters_out_a_second_source") {
        return;
    }
    let lan = Lan::new(&[
        &["10.9.0.1/24", "fd09::1/64"],
        &["10.9.0.2/24", "fd09::2/64"],
        &["10.9.0.3/24", "fd09::3/64"],
    ]);
    let [wanted, unwanted, receiver] = &lan.hosts[..] else {
        unreachable!()
    };
    for (group, source) in [
        ("232.1.1.1:5001", "10.9.0.1"),
        ("[ff3e::8000:1]:5001", "fd09::1"),
    ] {
        let r = start(
            receiver,
            &[
                "--json", "mcast", "join", group, "-s", source, "-i", "eth0", "-t", "2",
            ],
        );
        for (host, text) in [(unwanted, "no"), (wanted, "yes"), (unwanted, "no")] {
            send(
                host,
                &[
                    "mcast",
                    "send",
                    group,
                    "-i",
                    "eth0",
                    "-c",
                    "2",
                    "--interval",
                    "0.05",
                    text,
                ],
            );
        }
        let o = r.finish();
        assert_eq!(o.status.code(), Some(0), "{group}: {}", stderr(&o));
        assert_eq!(senders(&o), vec![source; 2], "{group}: {}", stdout(&o));
        let joined = &records(&o, "joined")[0];
        assert_eq!(joined["mode"], "ssm");
        assert_eq!(joined["sources"][0], source);
    }
}

/// While `mcast join` runs the kernel holds the membership (`ip maddr`
/// lists the group on the interface); after Ctrl-C ipkit prints its
/// summary, exits 130 and the membership is gone.
#[test]
fn join_leaves_the_group_on_ctrl_c() {
    if !can_use_namespaces("join_leaves_the_group_on_ctrl_c") {
        return;
    }
    let lan = Lan::new(&[&["10.9.0.1/24", "fd09::1/64"]]);
    let host = &lan.hosts[0];
    for (group, shown) in [
        ("239.7.7.7:5000", "239.7.7.7"),
        ("[ff0e::7:7]:5000", "ff0e::7:7"),
    ] {
        let maddr = || {
            let o = crate::util::run(host.command("ip").args(["maddr", "show", "dev", "eth0"]));
            stdout(&o)
        };
        let r = start(host, &["mcast", "join", group, "-i", "eth0", "-t", "60"]);
        assert!(
            maddr().contains(shown),
            "{shown} not in ip maddr: {}",
            maddr()
        );
        signal(&r.child, "INT");
        let o = r.finish();
        assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
        let text = stdout(&o);
        assert!(text.contains("interrupted; left the group"), "{text}");
        assert!(
            !maddr().contains(shown),
            "{shown} still joined: {}",
            maddr()
        );
    }
}

/// The subnet-directed broadcast, computed from eth0's 10.9.0.1/24, is
/// 10.9.0.255 and reaches the host of that subnet, not the host of a second
/// subnet on the same wire; the limited broadcast (asked for by name)
/// reaches both.
#[test]
fn directed_broadcast_reaches_its_subnet_only() {
    if !can_use_namespaces("directed_broadcast_reaches_its_subnet_only") {
        return;
    }
    let lan = Lan::new(&[&["10.9.0.1/24"], &["10.9.0.2/24"], &["10.9.1.3/24"]]);
    let [sender, same, other] = &lan.hosts[..] else {
        unreachable!()
    };
    let listen = ["--json", "bcast", "listen", "9999", "-t", "2"];
    let a = start(same, &listen);
    let b = start(other, &listen);
    let o = sender.ipkit(&["--json", "bcast", "send", "9999", "-i", "eth0", "hi"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let target = &records(&o, "target")[0];
    assert_eq!(target["broadcast"], "10.9.0.255");
    assert_eq!(target["kind"], "directed");
    assert_eq!(senders(&a.finish()), vec!["10.9.0.1"]);
    assert!(senders(&b.finish()).is_empty());

    let a = start(same, &listen);
    let b = start(other, &listen);
    let o = sender.ipkit(&["bcast", "send", "9999", "--limited", "-i", "eth0", "all"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("broadcast to 255.255.255.255 (limited"),
        "{}",
        stdout(&o)
    );
    assert_eq!(senders(&a.finish()), vec!["10.9.0.1"]);
    assert_eq!(senders(&b.finish()), vec!["10.9.0.1"]);
}

/// Each error the issue lists is one line, and usage errors exit 2.
#[test]
fn refusals_are_one_clear_line() {
    if !can_use_namespaces("refusals_are_one_clear_line") {
        return;
    }
    let lan = Lan::new(&[&["fd09::1/64"]]);
    let host = &lan.hosts[0];
    // A /31 point-to-point link, and a link with no IPv4 address.
    host.ip(&[
        "-n", &host.name, "link", "add", "p2p", "type", "veth", "peer", "name", "bare",
    ]);
    host.ip(&[
        "-n",
        &host.name,
        "addr",
        "add",
        "10.77.0.0/31",
        "dev",
        "p2p",
    ]);
    host.ip(&["-n", &host.name, "link", "set", "p2p", "up"]);
    host.ip(&["-n", &host.name, "link", "set", "bare", "up"]);
    let cases: &[(&[&str], &str)] = &[
        (
            &["mcast", "join", "10.0.0.1:5000"],
            "10.0.0.1 is not a multicast group",
        ),
        (
            &["mcast", "send", "[fd00::1]:5000", "x"],
            "fd00::1 is not a multicast group",
        ),
        (
            &["mcast", "join", "239.1.1.1:5000", "-s", "10.0.0.1"],
            "239.1.1.1 is an any-source group: --source needs a source-specific group",
        ),
        (
            &["mcast", "join", "232.1.1.1:5000", "-s", "fd00::1"],
            "source fd00::1 is not of the group 232.1.1.1's address family",
        ),
        (
            &["mcast", "send", "239.1.1.1:5000", "-i", "eth0", "x"],
            "interface eth0 has no IPv4 address",
        ),
        (
            &["bcast", "send", "9", "-i", "bare", "x"],
            "interface bare has no IPv4 address",
        ),
        (
            &["bcast", "send", "9", "-i", "p2p", "x"],
            "interface p2p is 10.77.0.0/31: a /31 or /32 has no broadcast address",
        ),
        (
            &["mcast", "join", "239.1.1.1:5000", "-t", "1"],
            "no route for 239.1.1.1",
        ),
        (
            &["mcast", "send", "239.1.1.1:5000", "x"],
            "no route for 239.1.1.1",
        ),
        (
            &["mcast", "join", "239.1.1.1:5000", "-i", "nope"],
            "no interface named 'nope'",
        ),
    ];
    for (args, want) in cases {
        let o = host.ipkit(args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(stdout(&o).is_empty(), "{args:?}: {}", stdout(&o));
    }
}

/// The groups `ip maddr` lists per interface (its `inet` / `inet6` lines).
fn ip_maddr(ns: &Netns) -> std::collections::BTreeSet<(String, String)> {
    let o = crate::util::run(ns.command("ip").args(["maddr", "show"]));
    let mut out = std::collections::BTreeSet::new();
    let mut dev = String::new();
    for line in stdout(&o).lines() {
        if let Some((_, name)) = line.split_once(":\t") {
            dev = name.trim().to_string();
        } else if let Some(rest) = line
            .trim()
            .strip_prefix("inet6 ")
            .or(line.trim().strip_prefix("inet "))
        {
            let group = rest.split_whitespace().next().unwrap_or_default();
            out.insert((dev.clone(), group.to_string()));
        }
    }
    out
}

/// The element of array `list` whose `key` is `value`.
fn find<'a>(list: &'a Value, key: &str, value: &str) -> &'a Value {
    list.as_array()
        .and_then(|a| a.iter().find(|v| v[key] == value))
        .unwrap_or_else(|| panic!("no {key} {value} in {list}"))
}

/// `mcast groups` lists what `ip maddr` lists, interface by interface,
/// with the source filter of a source-specific join and the IGMP version
/// the test forced on eth0 (`force_igmp_version=2`; lo keeps v3).
#[test]
fn groups_match_ip_maddr() {
    if !can_use_namespaces("groups_match_ip_maddr") {
        return;
    }
    let lan = Lan::new(&[&["10.9.0.1/24", "fd09::1/64"]]);
    let host = &lan.hosts[0];
    crate::lab::RouterLab::sysctl(host, "net.ipv4.conf.eth0.force_igmp_version", "2");
    // The source-specific joins last: the kernel's mcfilter tables show an
    // interface's filters only when its newest group has one.
    let joins = [
        start(
            host,
            &["mcast", "join", "239.1.2.3:5000", "-i", "eth0", "-t", "20"],
        ),
        start(
            host,
            &[
                "mcast",
                "join",
                "[ff0e::1:3]:5000",
                "-i",
                "eth0",
                "-t",
                "20",
            ],
        ),
        start(
            host,
            &[
                "mcast",
                "join",
                "[ff3e::8000:9]:5000",
                "-s",
                "fd09::7",
                "-i",
                "eth0",
                "-t",
                "20",
            ],
        ),
        start(
            host,
            &[
                "mcast",
                "join",
                "232.1.1.1:5000",
                "-s",
                "10.9.0.7",
                "-i",
                "eth0",
                "-t",
                "20",
            ],
        ),
    ];
    let o = host.ipkit(&["--json", "mcast", "groups"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut ours = std::collections::BTreeSet::new();
    for i in report["interfaces"].as_array().unwrap() {
        for g in i["groups"].as_array().unwrap() {
            ours.insert((
                i["name"].as_str().unwrap().to_string(),
                g["group"].as_str().unwrap().to_string(),
            ));
        }
    }
    assert_eq!(ours, ip_maddr(host));
    let eth0 = find(&report["interfaces"], "name", "eth0");
    assert_eq!(eth0["igmp"], "IGMPv2");
    let lo = find(&report["interfaces"], "name", "lo");
    assert_eq!(lo["igmp"], "IGMPv3");
    let ssm = find(&eth0["groups"], "group", "232.1.1.1");
    assert_eq!(ssm["filter"], "include");
    assert_eq!(ssm["sources"][0]["source"], "10.9.0.7");
    let text = stdout(&host.ipkit(&["mcast", "groups", "-i", "eth0"]));
    assert!(text.contains("inet  232.1.1.1 include 10.9.0.7"), "{text}");
    for j in joins {
        signal(&j.child, "INT");
        assert_eq!(j.finish().status.code(), Some(130));
    }
}

/// Two hosts on a bridge with default routes out of eth0, IPv4 and IPv6
/// (ssmpingd sends its multicast answers by route).
fn routed_pair() -> Lan {
    let lan = Lan::new(&[
        &["10.9.0.1/24", "fd09::1/64"],
        &["10.9.0.2/24", "fd09::2/64"],
    ]);
    for h in &lan.hosts {
        for family in ["-4", "-6"] {
            h.ip(&[
                "-n", &h.name, family, "route", "add", "default", "dev", "eth0",
            ]);
        }
    }
    lan
}

/// Both directions against Debian's `ssmping` package, IPv4 and IPv6:
/// its ssmpingd answers `ipkit mcast ping` (unicast and multicast, every
/// request, distance 0 on one link), and `ipkit mcast pingd` answers its
/// ssmping and asmping (whose statistics say 0% loss for both kinds).
#[test]
fn multicast_ping_interoperates_with_ssmping() {
    if !can_use_namespaces("multicast_ping_interoperates_with_ssmping") {
        return;
    }
    crate::lab::ensure_installed("ssmpingd", "ssmping");
    let mut lan = routed_pair();
    let client = lan.hosts.remove(1);
    let responder = &mut lan.hosts[0];
    responder.spawn("ssmpingd", &[]);
    for server in ["10.9.0.1", "fd09::1"] {
        // ssmpingd may not have bound yet: one ping until it answers.
        let ready = || {
            client
                .ipkit(&["mcast", "ping", server, "-c", "1"])
                .status
                .success()
        };
        client.wait_until("ssmpingd", Duration::from_secs(20), ready);
        let o = client.ipkit(&[
            "--json",
            "mcast",
            "ping",
            server,
            "-c",
            "3",
            "--interval",
            "0.2",
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{server}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        let replies = records(&o, "reply");
        for kind in ["unicast", "multicast"] {
            let seqs: Vec<u64> = replies
                .iter()
                .filter(|r| r["kind"] == kind)
                .map(|r| r["seq"].as_u64().unwrap())
                .collect();
            assert_eq!(seqs, [1, 2, 3], "{server} {kind}: {}", stdout(&o));
        }
        assert!(
            replies
                .iter()
                .all(|r| r["from"] == server && r["hops"] == 0)
        );
        let summary = &records(&o, "summary")[0];
        assert_eq!(summary["unicast"]["loss_percent"], 0.0);
        assert_eq!(summary["multicast"]["loss_percent"], 0.0);
    }
    drop(lan);

    let lan = routed_pair();
    let pingd = start(&lan.hosts[0], &["mcast", "pingd"]);
    let tool = |program: &str, args: &[&str]| {
        let o = crate::util::run_limited(
            lan.hosts[1].command(program).args(args),
            b"",
            Duration::from_secs(30),
        );
        let text = stdout(&o);
        assert!(
            o.status.success(),
            "{program} {args:?}: {text}{}",
            stderr(&o)
        );
        text
    };
    for server in ["10.9.0.1", "fd09::1"] {
        let text = tool("ssmping", &["-c", "3", server]);
        assert!(text.contains("Server version: ipkit"), "{text}");
        assert_eq!(
            text.matches(&format!("  unicast from {server}")).count(),
            3,
            "{text}"
        );
        assert_eq!(
            text.matches(&format!("multicast from {server}")).count(),
            3,
            "{text}"
        );
        assert_eq!(text.matches(" 0% packet loss").count(), 2, "{text}");
    }
    let text = tool("asmping", &["-c", "3", "239.1.1.234", "10.9.0.1"]);
    assert_eq!(text.matches("multicast from 10.9.0.1").count(), 3, "{text}");
    signal(&pingd.child, "INT");
    let o = pingd.finish();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(stdout(&o).contains("9 requests answered"), "{}", stdout(&o));
}

/// A sender and a receiver on two subnets with a router between them that
/// runs a real multicast router (Debian's smcroute, static routes for the
/// group from the sender's side to the receiver's), IPv4 and IPv6: a
/// datagram sent with TTL 1 does not cross the router, one sent with TTL 2
/// does and arrives with TTL 1; and the sender's subnet-directed broadcast
/// stays on its own subnet.
#[test]
fn ttl_decides_whether_a_multicast_router_forwards() {
    if !can_use_namespaces("ttl_decides_whether_a_multicast_router_forwards") {
        return;
    }
    crate::lab::ensure_installed("smcrouted", "smcroute");
    let sender = Netns::new("", "");
    let mut router = Netns::new("", "");
    let receiver = Netns::new("", "");
    for (host, port, ours, theirs) in [
        (
            &sender,
            "r0",
            ["10.9.1.1/24", "fd01::1/64"],
            ["10.9.1.254/24", "fd01::fe/64"],
        ),
        (
            &receiver,
            "r1",
            ["10.9.2.1/24", "fd02::1/64"],
            ["10.9.2.254/24", "fd02::fe/64"],
        ),
    ] {
        router.ip(&[
            "link",
            "add",
            "eth0",
            "netns",
            &host.name,
            "type",
            "veth",
            "peer",
            "name",
            port,
            "netns",
            &router.name,
        ]);
        for (ns, dev, addrs) in [(host, "eth0", ours), (&router, port, theirs)] {
            for a in addrs {
                ns.ip(&["-n", &ns.name, "addr", "add", a, "dev", dev, "nodad"]);
            }
            ns.ip(&["-n", &ns.name, "link", "set", dev, "up"]);
        }
        let gw4 = theirs[0].split('/').next().unwrap();
        let gw6 = theirs[1].split('/').next().unwrap();
        host.ip(&["-n", &host.name, "route", "add", "default", "via", gw4]);
        host.ip(&[
            "-n", &host.name, "-6", "route", "add", "default", "via", gw6,
        ]);
    }
    crate::lab::RouterLab::sysctl(&router, "net.ipv4.ip_forward", "1");
    crate::lab::RouterLab::sysctl(&router, "net.ipv6.conf.all.forwarding", "1");
    let dir = std::env::temp_dir().join(&router.name);
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("smcroute.conf");
    std::fs::write(
        &conf,
        "mroute from r0 group 239.1.2.3 to r1\nmroute from r0 group ff0e::1:3 to r1\n",
    )
    .unwrap();
    let sock = dir.join("smcroute.sock");
    let (conf_s, sock_s, pid_s) = (
        conf.to_str().unwrap().to_string(),
        sock.to_str().unwrap().to_string(),
        dir.join("smcroute.pid").to_str().unwrap().to_string(),
    );
    let ident = router.name.clone();
    router.spawn(
        "smcrouted",
        &[
            "-n", "-f", &conf_s, "-i", &ident, "-u", &sock_s, "-P", &pid_s, "-l", "info",
        ],
    );
    router.wait_until("smcrouted", Duration::from_secs(20), || sock.exists());

    for (group, from) in [
        ("239.1.2.3:5000", "10.9.1.1"),
        ("[ff0e::1:3]:5000", "fd01::1"),
    ] {
        let r = start(
            &receiver,
            &["--json", "mcast", "join", group, "-i", "eth0", "-t", "3"],
        );
        for (ttl, text) in [("1", "one"), ("2", "two")] {
            send(
                &sender,
                &["mcast", "send", group, "-i", "eth0", "--ttl", ttl, text],
            );
        }
        let o = r.finish();
        let got = records(&o, "datagram");
        assert_eq!(got.len(), 1, "{group}: {}{}", stdout(&o), stderr(&o));
        assert_eq!(got[0]["payload"], "two");
        assert_eq!(got[0]["ttl"], 1);
        assert_eq!(senders(&o), [from]);
    }

    let r = start(&receiver, &["--json", "bcast", "listen", "9999", "-t", "2"]);
    let o = sender.ipkit(&["bcast", "send", "9999", "-i", "eth0", "subnet"]);
    assert!(
        stdout(&o).starts_with("broadcast to 10.9.1.255"),
        "{}",
        stdout(&o)
    );
    assert!(senders(&r.finish()).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Read the next line of a running ipkit's stdout, or None after `limit` (a
/// reader thread, so the test never hangs on a pipe that stays silent).
fn next_line(r: &mut Running, limit: Duration) -> Option<String> {
    let mut out = r.child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while !line.ends_with(b"\n") {
            match out.read(&mut byte) {
                Ok(1) => line.push(byte[0]),
                _ => break,
            }
        }
        let _ = tx.send((String::from_utf8_lossy(&line).into_owned(), out));
    });
    let (line, out) = rx.recv_timeout(limit).ok()?;
    r.child.stdout = Some(out);
    r.first.extend_from_slice(line.as_bytes()); // finish() shows every line
    Some(line)
}

/// The receiver reads in batches (`recvmmsg`): a burst of 300 datagrams
/// arrives whole and in order, each with the TTL the sender set and a
/// receive time within the test's own clock window; a slow stream still
/// shows each datagram as it comes, while the join goes on.
#[test]
fn batched_receive_keeps_each_datagram_and_shows_it_at_once() {
    if !can_use_namespaces("batched_receive_keeps_each_datagram_and_shows_it_at_once") {
        return;
    }
    let lan = Lan::new(&[&["10.9.0.1/24"], &["10.9.0.2/24"]]);
    let [sender, receiver] = &lan.hosts[..] else {
        unreachable!()
    };
    let group = "239.1.2.9:5000";
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    };
    let join = ["--json", "mcast", "join", group, "-i", "eth0", "-t", "20"];
    let mut r = start(receiver, &join);
    let joined: Value = serde_json::from_slice(&r.first).expect("joined record");
    assert!(joined["data"]["receive_buffer"].as_u64().unwrap() > 0);
    // Slow: one datagram, then its line while ipkit still runs.
    send(sender, &["mcast", "send", group, "-i", "eth0", "first"]);
    let line = next_line(&mut r, Duration::from_secs(5)).expect("the datagram at once");
    let d: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        (d["type"].as_str(), d["data"]["payload"].as_str()),
        (Some("datagram"), Some("first"))
    );
    // A burst.
    let before = now();
    let args = [
        "mcast",
        "send",
        group,
        "-i",
        "eth0",
        "--ttl",
        "3",
        "-c",
        "300",
        "--interval",
        "0.0001",
        "burst",
    ];
    send(sender, &args);
    let after = now();
    signal(&r.child, "INT");
    let o = r.finish();
    let got = records(&o, "datagram");
    assert_eq!(got.len(), 301, "{}", stdout(&o));
    for (i, d) in got.iter().enumerate().skip(1) {
        assert_eq!(d["seq"], i as u64 + 1);
        assert_eq!(d["payload"], "burst");
        assert_eq!(d["ttl"], 3);
        let t = d["unix_time"].as_f64().unwrap();
        assert!(
            t >= before - 0.01 && t <= after + 0.01,
            "{t} not in {before}..{after}"
        );
    }
    assert_eq!(records(&o, "summary")[0]["received"], 301);
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
}

/// `ipkit mcast ping --live` as a user meets it: the real binary in
/// Debian's tmux (an 80×24 pane whose shell runs in the client's
/// namespace) against Debian's ssmpingd on the other host. Both series —
/// unicast and multicast — get figures and lose nothing while ssmpingd
/// answers (distance 0: one link, as ssmping reports it); once the test
/// kills its ssmpingd, both rows show losses; `q` leaves the alternate
/// screen with exit 0 and a shell that answers.
#[test]
fn multicast_ping_live_charts_both_answers_and_their_losses() {
    if !can_use_namespaces("multicast_ping_live_charts_both_answers_and_their_losses") {
        return;
    }
    crate::lab::ensure_installed("ssmpingd", "ssmping");
    crate::lab::ensure_installed("tmux", "tmux");
    let mut lan = routed_pair();
    let client = lan.hosts.remove(1);
    let responder = &mut lan.hosts[0];
    let server = "10.9.0.1";
    let ssmpingd = responder.spawn("ssmpingd", &[]).id();
    client.wait_until("ssmpingd", Duration::from_secs(20), || {
        client
            .ipkit(&["mcast", "ping", server, "-c", "1"])
            .status
            .success()
    });
    let tmux = crate::live::Tmux::shell_in(&client.name, "live$ ");
    let command = format!(
        "NO_COLOR=1 {} mcast ping --live --interval 0.2 {server}",
        env!("CARGO_BIN_EXE_ipkit")
    );
    tmux.keys(&[&command, "Enter"]);
    let row = |s: &str, kind: &str| -> Option<String> {
        s.lines()
            .find(|l| l.starts_with(&format!("{kind} dist=0 ")))
            .map(str::to_string)
    };
    let screen = tmux.wait_for("both series' figures, nothing lost", |s| {
        ["unicast", "multicast"]
            .iter()
            .all(|k| row(s, k).is_some_and(|l| l.ends_with(" 0.0%") && !l.contains(" -")))
    });
    assert!(
        screen
            .lines()
            .any(|l| l.contains(&format!("({server},232.43.211.234)"))),
        "{screen}"
    );
    assert!(tmux.alternate_screen(), "{screen}");
    // The responder goes away: every answer from now on is lost.
    let o =
        crate::util::run(std::process::Command::new("kill").args(["-KILL", &ssmpingd.to_string()]));
    assert!(o.status.success(), "kill ssmpingd: {}", stderr(&o));
    tmux.wait_for("losses in both series", |s| {
        ["unicast", "multicast"]
            .iter()
            .all(|k| row(s, k).is_some_and(|l| l.ends_with('%') && !l.ends_with(" 0.0%")))
    });
    tmux.keys(&["q"]);
    tmux.wait_for("the shell's prompt back", |s| {
        s.lines().filter(|l| l.starts_with("live$")).count() >= 2
    });
    assert!(!tmux.alternate_screen(), "still on the alternate screen");
    tmux.keys(&["echo exit-$?-ok", "Enter"]);
    let end = tmux.wait_for("the shell answering", |s| s.contains("exit-0-ok"));
    assert!(!end.contains("panicked"), "{end}");
}

#[test]
fn multicast_ping_live_without_a_terminal_says_so_and_exits_2() {
    let o = crate::util::ipkit(&["mcast", "ping", "--live", "127.0.0.1"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--live needs a terminal"), "{err}");
    assert!(stdout(&o).is_empty());
}
