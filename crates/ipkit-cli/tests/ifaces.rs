//! `ipkit if` against an interface the test builds in a namespace (known
//! MAC, alias, MTU, addresses with lifetimes, default routes with metrics,
//! its own resolv.conf and DHCP lease files in a private mount namespace),
//! compared field by field with what it set and with `ip -j`.

use serde_json::Value;

use crate::lab::{Netns, can_use_namespaces, lab_lock};
use crate::util::{stderr, stdout};

const DHCLIENT: &str = r#"lease {
  interface "va";
  fixed-address 10.9.0.1;
  option dhcp-lease-time 3600;
  option dhcp-server-identifier 10.9.0.2;
  expire epoch 4102444800;
}
"#;

const DHCLIENT6: &str = r#"lease6 {
  interface "va";
  ia-na 0a:0b:0c:0d {
    starts 4102400000;
    iaaddr 2001:db8:9::1 {
      starts 4102400000;
      preferred-life 3600;
      max-life 7200;
    }
  }
  option dhcp6.client-id 0:1:0:1:2a:2b:2c:2d:2:0:0:0:0:1;
}
"#;

fn lab() -> (Netns, Netns) {
    let a = Netns::new("", "nameserver 192.0.2.53\nsearch lab.test\n");
    let b = Netns::new("", "");
    a.veth_to(&b);
    let n = a.name.as_str();
    for args in [
        &[
            "-n", n, "link", "set", "va", "mtu", "1400", "alias", "uplink",
        ][..],
        &[
            "-n",
            n,
            "addr",
            "add",
            "10.9.0.1/24",
            "brd",
            "+",
            "dev",
            "va",
        ],
        &[
            "-n",
            n,
            "addr",
            "add",
            "2001:db8:9::1/64",
            "dev",
            "va",
            "nodad",
            "preferred_lft",
            "100",
            "valid_lft",
            "200",
        ],
        &[
            "-n",
            n,
            "addr",
            "add",
            "2001:db8:9::5/64",
            "dev",
            "va",
            "nodad",
            "preferred_lft",
            "0",
            "valid_lft",
            "300",
        ],
        &["-n", n, "link", "set", "va", "up"],
        &["-n", &b.name, "link", "set", "vb", "up"],
        &[
            "-n", n, "route", "add", "default", "via", "10.9.0.2", "metric", "50",
        ],
        &[
            "-n", n, "route", "add", "default", "via", "10.9.0.3", "metric", "10",
        ],
        &[
            "-n",
            n,
            "-6",
            "route",
            "add",
            "default",
            "via",
            "2001:db8:9::2",
            "dev",
            "va",
            "metric",
            "7",
            // The carrier may still be settling: the gateway is on this link.
            "onlink",
        ],
    ] {
        a.ip(args);
    }
    (a, b)
}

fn json(a: &Netns, args: &[&str]) -> Value {
    let o = a.ipkit(args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn interfaces_fields_match_what_was_configured_and_ip() {
    if !can_use_namespaces("interfaces_fields_match_what_was_configured_and_ip") {
        return;
    }
    let _serial = lab_lock();
    let (a, _b) = lab();
    let doc = json(&a, &["if", "--json", "va"]);
    let ifs = doc["interfaces"].as_array().unwrap();
    assert_eq!(ifs.len(), 1);
    let va = &ifs[0];
    assert_eq!(va["name"], "va");
    assert_eq!(va["mac"], "02:00:00:00:00:01");
    assert_eq!(va["mtu"], 1400);
    assert_eq!(va["alias"], "uplink");
    assert_eq!(va["kind"], "veth");
    assert_eq!(va["oper_state"], "UP");
    // Gateways: both defaults, lowest metric first; the metric is the lowest.
    assert_eq!(
        va["gateways"],
        serde_json::json!(["10.9.0.3", "10.9.0.2", "2001:db8:9::2"])
    );
    // Addresses with prefix, broadcast, flags and lifetimes.
    let addr = |ip: &str| {
        va["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["addr"] == ip)
            .unwrap_or_else(|| panic!("{ip} missing: {va}"))
            .clone()
    };
    let v4 = addr("10.9.0.1");
    assert_eq!(
        (v4["prefix_len"].as_u64(), v4["broadcast"].as_str()),
        (Some(24), Some("10.9.0.255"))
    );
    assert_eq!(v4["valid_lifetime"], Value::Null, "forever");
    let v6 = addr("2001:db8:9::1");
    assert_eq!(v6["scope"], "global");
    let (p, v) = (
        v6["preferred_lifetime"].as_u64().unwrap(),
        v6["valid_lifetime"].as_u64().unwrap(),
    );
    assert!(p <= 100 && p > 90 && v <= 200 && v > 190, "{v6}");
    let old = addr("2001:db8:9::5");
    assert!(
        old["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "deprecated"),
        "{old}"
    );
    let link_local = va["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["scope"] == "link");
    assert!(link_local.is_some(), "the kernel's fe80:: address: {va}");
    // The same addresses and link facts as ip -j shows.
    let o = crate::util::run(
        std::process::Command::new("ip").args(["-j", "-n", &a.name, "addr", "show", "dev", "va"]),
    );
    let ip: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();
    let theirs: Vec<(String, u64)> = ip[0]["addr_info"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["local"].as_str().unwrap().to_string(),
                x["prefixlen"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut ours: Vec<(String, u64)> = va["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["addr"].as_str().unwrap().to_string(),
                x["prefix_len"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut theirs_sorted = theirs.clone();
    ours.sort();
    theirs_sorted.sort();
    assert_eq!(ours, theirs_sorted);
    assert_eq!(ip[0]["mtu"], va["mtu"]);
    assert_eq!(ip[0]["address"], va["mac"]);
    assert_eq!(ip[0]["operstate"], va["oper_state"]);
    // DNS from the namespace's resolv.conf; the host name.
    assert_eq!(va["dns"]["servers"], serde_json::json!(["192.0.2.53"]));
    assert_eq!(va["dns"]["search"], serde_json::json!(["lab.test"]));
    assert!(doc["host_name"].is_string());
    // No lease file: DHCP says so rather than inventing one.
    assert_eq!(va["dhcp"], serde_json::json!([]));

    // The ipconfig /all view.
    let o = a.ipkit(&["ipconfig", "--all", "va"]);
    let text = stdout(&o);
    for want in [
        "Ethernet adapter va:",
        ": uplink",
        ": 02-00-00-00-00-01",
        ": 10.9.0.1(Preferred)",
        // Windows' shapes (tests/data/windows/ipconfig-all.txt): the mask
        // alone, no prefix length on IPv6, each gateway and DNS server on a
        // line of its own (IPv6 first), DHCP Enabled a bare No.
        ": 255.255.255.0\n",
        ": 2001:db8:9::5(Deprecated)",
        "   Default Gateway . . . . . . . . . : 2001:db8:9::2\n                                       10.9.0.3\n                                       10.9.0.2\n",
        "   DNS Servers . . . . . . . . . . . : 192.0.2.53\n",
        "   DHCP Enabled. . . . . . . . . . . : No\n",
    ] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }
    // The chapter's spelling, `ipconfig /all`.
    let o = a.ipkit(&["ipconfig", "/all"]);
    assert!(
        stdout(&o).contains("Ethernet adapter va:"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("Loopback interface lo:"),
        "{}",
        stdout(&o)
    );
    // netsh's IPv6 table: the IPv6 metric, MTU, state, name.
    let o = a.ipkit(&["if", "--ipv6"]);
    let text = stdout(&o);
    assert!(
        text.lines().any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() == 5 && f[4] == "va" && f[2] == "1400" && f[3] == "connected"
        }),
        "{text}"
    );
    assert!(
        text.contains("Default route (IPv6): via 2001:db8:9::2 dev va metric 7"),
        "{text}"
    );
    // Bad input: one line, exit 2.
    let o = a.ipkit(&["if", "nosuch0"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().count(), 1);
}

#[test]
fn dhcp_leases_are_read_from_the_clients_files() {
    if !can_use_namespaces("dhcp_leases_are_read_from_the_clients_files") {
        return;
    }
    let _serial = lab_lock();
    let (a, _b) = lab();
    let index = {
        let doc = json(&a, &["if", "--json", "va"]);
        doc["interfaces"][0]["index"].as_u64().unwrap()
    };
    // A private mount namespace with tmpfs over /var/lib and /run: the lease
    // files exist only there, never on the host.
    let script = format!(
        "set -e
mount -t tmpfs ipkit-test /var/lib
mount -t tmpfs ipkit-test /run
mkdir -p /var/lib/dhcp /run/systemd/netif/leases
cat > /var/lib/dhcp/dhclient.va.leases <<'EOF'
{DHCLIENT}EOF
cat > /var/lib/dhcp/dhclient6.va.leases <<'EOF'
{DHCLIENT6}EOF
printf 'ADDRESS=10.9.0.1\\nSERVER_ADDRESS=10.9.0.2\\nLIFETIME=600\\n' > /run/systemd/netif/leases/{index}
exec \"$0\" if --json va"
    );
    let o = crate::util::run(a.command("unshare").args([
        "--mount",
        "sh",
        "-c",
        &script,
        env!("CARGO_BIN_EXE_ipkit"),
    ]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let dhcp = doc["interfaces"][0]["dhcp"].as_array().unwrap().clone();
    let by = |client: &str, v6: bool| {
        dhcp.iter()
            .find(|l| l["client"] == client && l["v6"] == v6)
            .unwrap_or_else(|| panic!("{client} v6={v6} missing: {dhcp:?}"))
            .clone()
    };
    let v4 = by("dhclient", false);
    assert_eq!(v4["address"], "10.9.0.1");
    assert_eq!(v4["server"], "10.9.0.2");
    assert_eq!(v4["expires"], 4_102_444_800u64);
    assert_eq!(
        v4["obtained"],
        4_102_444_800u64 - 3600,
        "expiry − lease time"
    );
    let v6 = by("dhclient", true);
    assert_eq!(v6["iaid"], "0a:0b:0c:0d");
    assert_eq!(v6["duid"], "0:1:0:1:2a:2b:2c:2d:2:0:0:0:0:1");
    assert_eq!(v6["expires"], 4_102_407_200u64);
    let nd = by("systemd-networkd", false);
    assert_eq!(nd["server"], "10.9.0.2");
    let (obtained, expires) = (
        nd["obtained"].as_u64().unwrap(),
        nd["expires"].as_u64().unwrap(),
    );
    assert_eq!(expires - obtained, 600, "the file's time + LIFETIME");
}

#[test]
fn systemd_resolved_per_link_servers_when_resolv_conf_is_its_stub() {
    if !can_use_namespaces("systemd_resolved_per_link_servers_when_resolv_conf_is_its_stub") {
        return;
    }
    let ns = Netns::new(
        "",
        "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n",
    );
    // resolved's state files exist only in this private mount namespace.
    let script = "set -e
mount -t tmpfs ipkit-test /run
mkdir -p /run/systemd/resolve/netif
printf 'SERVERS=192.0.2.10 2001:db8::10\\nDOMAINS=corp.test\\n' > /run/systemd/resolve/netif/1
printf 'nameserver 192.0.2.99\\nsearch global.test\\n' > /run/systemd/resolve/resolv.conf
exec \"$0\" if --json lo";
    let o = crate::util::run(ns.command("unshare").args([
        "--mount",
        "sh",
        "-c",
        script,
        env!("CARGO_BIN_EXE_ipkit"),
    ]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let lo = &doc["interfaces"][0];
    assert_eq!(
        lo["dns"]["servers"],
        serde_json::json!(["192.0.2.10", "2001:db8::10"])
    );
    assert_eq!(lo["dns"]["search"], serde_json::json!(["corp.test"]));
    assert!(
        lo["dns"]["source"]
            .as_str()
            .unwrap()
            .contains("systemd-resolved")
    );
    // The host-wide view: resolved's real upstream list, not the stub.
    assert_eq!(doc["dns"]["servers"], serde_json::json!(["192.0.2.99"]));
}
