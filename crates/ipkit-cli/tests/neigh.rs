//! `ipkit neigh` / `ipkit arp` in a pair of network namespaces the test
//! builds (never the host's own table), compared with `ip -j neigh`.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::lab::{Netns, can_use_namespaces, lab_lock};
use crate::util::{stderr, stdout};

/// Two namespaces joined by a veth pair with known MACs: `a` (10.9.0.1,
/// 2001:db8:9::1, 02:00:00:00:00:01) and `b` (.2, ::2, 02:…:02), b a router.
fn pair() -> (Netns, Netns) {
    let (a, b) = (Netns::new("", ""), Netns::new("", ""));
    a.veth_to(&b);
    for (ns, dev, v4, v6) in [
        (&a, "va", "10.9.0.1/24", "2001:db8:9::1/64"),
        (&b, "vb", "10.9.0.2/24", "2001:db8:9::2/64"),
    ] {
        a.ip(&["-n", &ns.name, "addr", "add", v4, "dev", dev]);
        a.ip(&["-n", &ns.name, "addr", "add", v6, "dev", dev, "nodad"]);
        a.ip(&["-n", &ns.name, "link", "set", dev, "up"]);
    }
    crate::lab::RouterLab::sysctl(&b, "net.ipv6.conf.all.forwarding", "1");
    (a, b)
}

/// (address, MAC, interface, state, router) from ipkit's NDJSON.
fn ours(a: &Netns, extra: &[&str]) -> BTreeSet<(String, String, String, String, bool)> {
    let mut args = vec!["neigh", "--json"];
    args.extend_from_slice(extra);
    let o = a.ipkit(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| {
            let r: Value = serde_json::from_str(l).unwrap();
            let d = &r["data"];
            (
                d["addr"].as_str().unwrap().to_string(),
                d["mac"].as_str().unwrap_or("").to_string(),
                d["interface"].as_str().unwrap().to_string(),
                d["state"].as_array().unwrap()[0]
                    .as_str()
                    .unwrap()
                    .to_string(),
                d["router"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// The same from `ip -j neigh show`.
fn theirs(a: &Netns) -> BTreeSet<(String, String, String, String, bool)> {
    let o = crate::util::run(
        std::process::Command::new("ip").args(["-j", "-n", &a.name, "neigh", "show"]),
    );
    let list: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();
    list.iter()
        .map(|n| {
            (
                n["dst"].as_str().unwrap().to_string(),
                n["lladdr"].as_str().unwrap_or("").to_string(),
                n["dev"].as_str().unwrap().to_string(),
                n["state"].as_array().unwrap()[0]
                    .as_str()
                    .unwrap()
                    .to_string(),
                n.get("router").is_some(),
            )
        })
        .collect()
}

#[test]
fn neighbours_listed_added_deleted_and_flushed_in_a_namespace() {
    if !can_use_namespaces("neighbours_listed_added_deleted_and_flushed_in_a_namespace") {
        return;
    }
    let _serial = lab_lock();
    let (a, _b) = pair();
    for target in ["10.9.0.2", "2001:db8:9::2"] {
        let o = a.ipkit(&["ping", "-c", "1", "-W", "5", target]);
        assert_eq!(o.status.code(), Some(0), "{target}: {}", stderr(&o));
    }
    // Field by field, the same table ip shows; the router flag from NDP.
    let table = ours(&a, &[]);
    assert_eq!(table, theirs(&a));
    assert!(table.contains(&(
        "10.9.0.2".into(),
        "02:00:00:00:00:02".into(),
        "va".into(),
        "REACHABLE".into(),
        false
    )));
    assert!(
        table.iter().any(|n| n.0 == "2001:db8:9::2" && n.4),
        "{table:?}"
    );
    // The family filters are exactly ip's table split by family (the IPv6
    // side holds at least the neighbour pinged above).
    let (v4, v6): (Vec<_>, Vec<_>) = table.iter().cloned().partition(|n| !n.0.contains(':'));
    assert_eq!(ours(&a, &["-4"]), v4.into_iter().collect());
    let six = ours(&a, &["-6"]);
    assert!(six.iter().any(|n| n.0 == "2001:db8:9::2"), "{six:?}");
    assert_eq!(six, v6.into_iter().collect());

    // arp -s with the chapter's Windows MAC form; the interface is found
    // from the address (10.9.0.0/24 is on va).
    let o = a.ipkit(&["arp", "-s", "10.9.0.7", "00-aa-00-62-c6-09"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(theirs(&a).contains(&(
        "10.9.0.7".into(),
        "00:aa:00:62:c6:09".into(),
        "va".into(),
        "PERMANENT".into(),
        false
    )));
    // Windows arp -a calls it static.
    let o = a.ipkit(&["arp", "-a", "-N", "10.9.0.1", "--view", "windows"]);
    let text = stdout(&o);
    assert!(text.contains("Interface: 10.9.0.1 --- 0x"), "{text}");
    assert!(
        text.lines().any(|l| l.contains("10.9.0.7")
            && l.contains("00-aa-00-62-c6-09")
            && l.ends_with("static")),
        "{text}"
    );
    // Bad input changes nothing: a bad MAC, a multicast MAC, an unknown
    // interface, a legacy address.
    let before = theirs(&a);
    for args in [
        &["arp", "-s", "10.9.0.8", "00-aa-00-62-c6"][..],
        &["arp", "-s", "10.9.0.8", "01:00:5e:00:00:01", "va"],
        &["arp", "-s", "10.9.0.8", "00:aa:00:62:c6:09", "nosuch0"],
        &["arp", "-s", "10.9.8", "00:aa:00:62:c6:09", "va"],
        &["arp", "-d", "10.9.0.7", "nosuch0"],
    ] {
        let o = a.ipkit(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&o).lines().count(), 1, "{args:?}: {}", stderr(&o));
    }
    assert_eq!(theirs(&a), before);
    // Without CAP_NET_ADMIN: one line naming it.
    let o = crate::lab::ipkit_as_nobody(
        Some(&a),
        &["arp", "-s", "10.9.0.9", "00:aa:00:62:c6:09", "va"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("CAP_NET_ADMIN"), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert_eq!(theirs(&a), before);
    // Delete one entry.
    let o = a.ipkit(&["arp", "-d", "10.9.0.7"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!theirs(&a).iter().any(|n| n.0 == "10.9.0.7"));
    let o = a.ipkit(&["arp", "-d", "10.9.0.7"]);
    assert_eq!(o.status.code(), Some(1), "already gone");
    // Flush: refused without a terminal or --yes, done with --yes.
    let before = theirs(&a);
    assert!(!before.is_empty());
    let o = a.ipkit(&["arp", "-d", "*", "va"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(theirs(&a), before, "nothing deleted");
    let o = a.ipkit(&["arp", "-d", "*", "va", "--yes"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(theirs(&a).is_empty(), "{:?}", theirs(&a));
}
