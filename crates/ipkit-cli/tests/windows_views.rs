//! The Windows views against the real programs' output. No Windows program
//! runs here, so the expected text is a capture checked into
//! `tests/data/windows/` with its source named in its header (or, for the
//! Winsock resolver sample, its printf format strings copied from its
//! source). Each test builds the capture's situation in a namespace, with
//! the capture's values where Linux can hold them, runs ipkit's view and
//! compares line by line. What necessarily differs (PIDs, interface indexes,
//! the host's name) is masked on both sides, and each test says what.
//!
//! Lines are compared with trailing blanks and CRs removed: the captures
//! were published with Windows' CRLF (netstat) or with trailing blanks
//! stripped (arp, ipconfig), so trailing blanks are not evidence either way.

use std::process::Command;
use std::time::Duration;

use crate::lab::{Netns, can_use_namespaces, lab_lock};
use crate::util::{stderr, stdout};

/// The capture `name` without its `#` header, one entry per line, with
/// trailing blanks and CRs removed.
fn capture(name: &str) -> Vec<String> {
    let path = format!("{}/tests/data/windows/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .skip_while(|l| l.starts_with('#'))
        .map(|l| l.trim_end().to_string())
        .collect()
}

/// ipkit's output the same way.
fn lines(text: &str) -> Vec<String> {
    text.lines().map(|l| l.trim_end().to_string()).collect()
}

/// Replace the hex number after the last `0x` (an interface index).
fn mask_hex(line: &str) -> String {
    match line.rfind(" 0x") {
        Some(i) if line[i + 3..].chars().all(|c| c.is_ascii_hexdigit()) => {
            format!("{} 0x#", &line[..i])
        }
        _ => line.to_string(),
    }
}

/// Replace every `%DIGITS` (an IPv6 zone, an interface index) with `%#`.
fn mask_zone(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('#');
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
        }
    }
    out
}

/// Windows `arp -a` (tests/data/windows/arp-a.txt): the capture's own
/// address and neighbours, its dynamic entries as STALE (learnt) and its
/// static one as PERMANENT (`arp -s`). Masked: the interface index after
/// `0x` (the namespace's is not Windows' 5). The interface has a /16 so that
/// the capture's 10.0.0.255 is an ordinary neighbour here (on a /24 Linux
/// makes the broadcast address a NOARP entry that ip neigh hides too).
#[test]
fn arp_a_matches_windows() {
    if !can_use_namespaces("arp_a_matches_windows") {
        return;
    }
    let _serial = lab_lock();
    let want = capture("arp-a.txt");
    let (a, b) = (Netns::new("", ""), Netns::new("", ""));
    a.veth_to(&b);
    a.ip(&["-n", &a.name, "addr", "add", "10.0.0.185/16", "dev", "va"]);
    a.ip(&["-n", &a.name, "link", "set", "va", "up"]);
    a.ip(&["-n", &b.name, "link", "set", "vb", "up"]);
    for l in &want[3..] {
        let f: Vec<&str> = l.split_whitespace().collect();
        let nud = if f[2] == "static" {
            "permanent"
        } else {
            "stale"
        };
        let mac = f[1].replace('-', ":");
        a.ip(&[
            "-n", &a.name, "neigh", "add", f[0], "lladdr", &mac, "nud", nud, "dev", "va",
        ]);
    }
    let o = a.ipkit(&["arp", "-a", "--view", "windows"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let got: Vec<String> = lines(&stdout(&o)).iter().map(|l| mask_hex(l)).collect();
    let want: Vec<String> = want.iter().map(|l| mask_hex(l)).collect();
    assert_eq!(got, want, "\n{}", stdout(&o));
}

/// A perl script that holds the sockets of tests/data/windows/netstat-aon.txt
/// and touches READY when they are all open.
const NETSTAT_SOCKETS: &str = r#"
use strict; use IO::Socket::IP; use Socket qw(SOCK_STREAM SOCK_DGRAM);
my ($ready) = @ARGV;
my @keep;
sub sock { my $s = IO::Socket::IP->new(ReuseAddr => 1, @_) or die "socket: $@ $!"; push @keep, $s; $s }
sock(LocalHost => '0.0.0.0', LocalPort => 135, Listen => 5, Type => SOCK_STREAM);
sock(LocalHost => '::', LocalPort => 135, Listen => 5, Type => SOCK_STREAM, V6Only => 1);
my $l = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 1032, Listen => 1, ReuseAddr => 1) or die "listen: $!";
sock(LocalHost => '127.0.0.1', LocalPort => 1031, PeerHost => '127.0.0.1', PeerPort => 1032, Type => SOCK_STREAM);
push @keep, $l->accept; close $l;
sock(LocalHost => '0.0.0.0', LocalPort => 53, Type => SOCK_DGRAM);
sock(LocalHost => '::1', LocalPort => 5353, Type => SOCK_DGRAM);
sock(LocalHost => 'fe80::244e:2f1e:2096:62b2%d0', LocalPort => 1900, Type => SOCK_DGRAM);
open(my $f, '>', $ready) or die; close $f;
sleep 60;
"#;

/// Windows `netstat -aon` (tests/data/windows/netstat-aon.txt): the same
/// sockets, opened by one process in a namespace of its own (so its table
/// holds nothing else), with the capture's addresses and ports; the
/// link-local one on an interface of the namespace with the capture's
/// address. Masked: the PID column (Windows' processes are not ours) and
/// the zone index after `%` (that interface's index is not Windows' 9).
#[test]
fn netstat_aon_matches_windows() {
    if !can_use_namespaces("netstat_aon_matches_windows") {
        return;
    }
    let _serial = lab_lock();
    let mut ns = Netns::new("", "nameserver 127.0.0.1\n");
    let n = ns.name.clone();
    // (A veth pair inside the namespace: this kernel may have no dummy.)
    ns.ip(&[
        "-n", &n, "link", "add", "d0", "type", "veth", "peer", "name", "d1",
    ]);
    ns.ip(&["-n", &n, "link", "set", "d1", "up"]);
    ns.ip(&[
        "-n",
        &n,
        "addr",
        "add",
        "fe80::244e:2f1e:2096:62b2/64",
        "dev",
        "d0",
        "nodad",
    ]);
    ns.ip(&["-n", &n, "link", "set", "d0", "up"]);
    let ready = std::env::temp_dir().join(format!("{n}-sockets-ready"));
    let ready_path = ready.to_str().expect("utf-8 path").to_string();
    ns.spawn("perl", &["-e", NETSTAT_SOCKETS, &ready_path]);
    ns.wait_until("the sockets", Duration::from_secs(20), || ready.exists());
    let o = ns.ipkit(&["netstat", "-a", "-o", "-n"]);
    let _ = std::fs::remove_file(&ready);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mask = |l: &String| {
        let l = mask_zone(l);
        if l.starts_with("  TCP") || l.starts_with("  UDP") {
            let cut = l.trim_end_matches(|c: char| c.is_ascii_digit());
            assert!(cut.len() < l.len(), "no PID in {l:?}");
            format!("{cut}#")
        } else {
            l
        }
    };
    let got: Vec<String> = lines(&stdout(&o)).iter().map(mask).collect();
    let want: Vec<String> = capture("netstat-aon.txt").iter().map(mask).collect();
    assert_eq!(got, want, "\n{}", stdout(&o));
}

/// Windows `ipconfig /all` (tests/data/windows/ipconfig-all.txt, a Windows
/// Server 2016 host with one statically configured adapter): an interface
/// named as the adapter, with its MAC, its description as the alias, its
/// link-local and IPv4 addresses, gateway, DNS server and search list.
/// Left out of the expected text: the lines Windows prints from NetBIOS and
/// settings Linux has no counterpart for, or that need a DHCPv6 lease (Node
/// Type, IP Routing Enabled, WINS Proxy Enabled, DHCPv6 IAID, DHCPv6 Client
/// DUID, NetBIOS over Tcpip). Masked: the host name and primary DNS suffix
/// (the machine's own), the connection-specific suffix (Windows' comes from
/// DHCP; ours from resolv.conf's search list) and the zone index after `%`.
#[test]
fn ipconfig_all_matches_windows() {
    if !can_use_namespaces("ipconfig_all_matches_windows") {
        return;
    }
    let _serial = lab_lock();
    let a = Netns::new("", "nameserver 192.168.22.151\nsearch somecompany.corp\n");
    let b = Netns::new("", "");
    a.veth_to(&b);
    let n = a.name.as_str();
    for args in [
        &["-n", n, "link", "set", "va", "name", "Ethernet0"][..],
        &[
            "-n",
            n,
            "link",
            "set",
            "Ethernet0",
            "address",
            "00:0c:29:d6:12:2e",
            "alias",
            "Intel(R) 82574L Gigabit Network Connection",
            "addrgenmode",
            "none",
        ],
        &[
            "-n",
            n,
            "addr",
            "add",
            "fe80::40c:2f5f:6658:9ec3/64",
            "dev",
            "Ethernet0",
            "nodad",
        ],
        &[
            "-n",
            n,
            "addr",
            "add",
            "192.168.22.153/24",
            "dev",
            "Ethernet0",
        ],
        &["-n", n, "link", "set", "Ethernet0", "up"],
        &["-n", &b.name, "link", "set", "vb", "up"],
        &[
            "-n",
            n,
            "route",
            "add",
            "default",
            "via",
            "192.168.22.1",
            "dev",
            "Ethernet0",
            "onlink",
        ],
    ] {
        a.ip(args);
    }
    let o = a.ipkit(&["ipconfig", "--all", "Ethernet0"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let label = |l: &str| l.split(" :").next().unwrap_or("").trim().to_string();
    let masked = [
        "Host Name . . . . . . . . . . . .",
        "Primary Dns Suffix  . . . . . . .",
        "Connection-specific DNS Suffix  .",
    ];
    let mask = |l: &String| {
        let l = mask_zone(l);
        if masked.contains(&label(&l).as_str()) {
            format!("{} : #", l.split(" :").next().unwrap_or(""))
        } else {
            l
        }
    };
    let absent = [
        "Node Type . . . . . . . . . . . .",
        "IP Routing Enabled. . . . . . . .",
        "WINS Proxy Enabled. . . . . . . .",
        "DHCPv6 IAID . . . . . . . . . . .",
        "DHCPv6 Client DUID. . . . . . . .",
        "NetBIOS over Tcpip. . . . . . . .",
    ];
    let want: Vec<String> = capture("ipconfig-all.txt")
        .iter()
        .filter(|l| !absent.contains(&label(l).as_str()))
        .map(mask)
        .collect();
    let got: Vec<String> = lines(&stdout(&o)).iter().map(mask).collect();
    assert_eq!(got, want, "\n{}", stdout(&o));
}

/// The resolver sample's format strings (tests/data/windows/resolver-printf.txt)
/// by key, with their C escapes (`\n`, `\"`) undone.
fn formats() -> std::collections::HashMap<String, String> {
    let path = format!(
        "{}/tests/data/windows/resolver-printf.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (key, lit) = l.split_once(' ').expect("key \"literal\"");
            let lit = lit
                .strip_prefix('"')
                .and_then(|x| x.strip_suffix('"'))
                .expect("a quoted literal");
            (
                key.to_string(),
                lit.replace("\\n", "\n").replace("\\\"", "\""),
            )
        })
        .collect()
}

/// printf with `%s` / `%d` filled from `args` in order.
fn printf(format: &str, args: &[&str]) -> String {
    let mut out = String::new();
    let mut args = args.iter();
    let mut rest = format;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        out.push_str(args.next().expect("an argument per conversion"));
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    out
}

/// Run `ipkit ARGS` where its resolver cannot leave the machine and insist
/// it prints what the sample's printf calls print: the keys of
/// resolver-printf.txt in the order its code calls them, with their
/// arguments.
fn same_as_sample(args: &[&str], calls: &[(&str, &[&str])]) {
    let o = crate::resolve::quiet(args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let f = formats();
    let want: String = calls
        .iter()
        .map(|(key, args)| printf(&f[*key], args))
        .collect();
    assert_eq!(stdout(&o), want, "{args:?}");
}

/// `resolver -n 127.0.0.1 -s 80 -t stream -p tcp -f numerichost -f
/// numericserv` and `resolver -n ::1 -s 80 -a 6 -t stream -f numerichost`
/// as the sample's printf calls would print them, against ipkit's view, run
/// in a namespace whose resolver cannot leave it. The service name without
/// NI_NUMERICSERV comes from getent, the anchor for /etc/services.
#[test]
fn resolve_matches_the_winsock_sample() {
    if !can_use_namespaces("resolve_matches_the_winsock_sample") {
        return;
    }
    same_as_sample(
        &[
            "resolve",
            "-n",
            "127.0.0.1",
            "-s",
            "80",
            "-t",
            "stream",
            "-p",
            "tcp",
            "-f",
            "numerichost",
            "-f",
            "numericserv",
        ],
        &[
            ("params", &[]),
            ("host", &["127.0.0.1"]),
            ("serv", &["80"]),
            ("af_unspec", &[]),
            ("type_stream", &[]),
            ("proto_tcp", &[]),
            ("flags", &[]),
            ("flag_numerichost", &[]),
            ("flag_numericserv", &[]),
            ("flags_end", &[]),
            ("count", &["127.0.0.1", "1"]),
            ("numeric", &["1", "127.0.0.1"]),
            ("host_line", &["1", "127.0.0.1"]),
            ("service_line", &["1", "80"]),
            ("entry_end", &[]),
        ],
    );
    let getent = crate::util::run(Command::new("getent").args(["services", "80/tcp"]));
    let http = stdout(&getent);
    let service = http.split_whitespace().next().unwrap_or("80");
    same_as_sample(
        &[
            "resolve",
            "-n",
            "::1",
            "-s",
            "80",
            "-a",
            "6",
            "-t",
            "stream",
            "-f",
            "numerichost",
        ],
        &[
            ("note", &[]),
            ("params", &[]),
            ("host", &["::1"]),
            ("serv", &["80"]),
            ("af_inet6", &[]),
            ("type_stream", &[]),
            ("proto_none", &[]),
            ("flags", &[]),
            ("flag_numerichost", &[]),
            ("flags_end", &[]),
            ("count", &["::1", "1"]),
            ("numeric", &["1", "::1"]),
            ("host_line", &["1", "::1"]),
            ("service_line", &["1", service]),
            ("entry_end", &[]),
        ],
    );
}

/// `ipkit ipconfig` without switches is Windows' `ipconfig`, compared with
/// Microsoft's capture: an up adapter with the capture's link-local and
/// IPv4 addresses and no gateway, and a disconnected one. Masked: the
/// adapter names and kinds (Linux names hold no blanks; Wi-Fi is not
/// simulated) and the `%index` of the link-local zone.
#[test]
fn ipconfig_matches_windows() {
    if !can_use_namespaces("ipconfig_matches_windows") {
        return;
    }
    let _serial = lab_lock();
    let a = Netns::new("", "nameserver 127.0.0.1\n");
    let b = Netns::new("", "");
    a.veth_to(&b);
    let n = a.name.as_str();
    a.ip(&["-n", n, "link", "set", "va", "addrgenmode", "none"]);
    a.ip(&[
        "-n",
        n,
        "addr",
        "add",
        "fe80::b52f:36dc:be07:9d6d/64",
        "dev",
        "va",
        "nodad",
    ]);
    a.ip(&["-n", n, "addr", "add", "131.107.0.101/24", "dev", "va"]);
    a.ip(&["-n", n, "link", "set", "va", "up"]);
    a.ip(&["-n", &b.name, "link", "set", "vb", "up"]);
    a.ip(&[
        "-n", n, "link", "add", "wl0", "type", "veth", "peer", "name", "wl1",
    ]);
    let mask = |l: &str| {
        let l = if l.ends_with(':') && !l.starts_with(' ') {
            "ADAPTER:".to_string()
        } else {
            l.to_string()
        };
        match l.rfind('%') {
            Some(i) => format!("{}%#", &l[..i]),
            None => l,
        }
    };
    let want: Vec<String> = capture("ipconfig.txt").iter().map(|l| mask(l)).collect();
    let mut got = Vec::new();
    for dev in ["va", "wl0"] {
        let o = a.ipkit(&["ipconfig", dev]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let lines = lines(&stdout(&o));
        // The title once, then each adapter's block.
        let skip = if got.is_empty() { 0 } else { 3 };
        got.extend(lines.into_iter().skip(skip).map(|l| mask(&l)));
    }
    while got.last().is_some_and(String::is_empty) {
        got.pop();
    }
    let mut want = want;
    while want.last().is_some_and(String::is_empty) {
        want.pop();
    }
    assert_eq!(got, want, "ipkit ipconfig vs Windows");
}
