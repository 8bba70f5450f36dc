//! `ipkit ping` through the real binary, on loopback.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{ipkit, stderr, stdout};

fn records(args: &[&str]) -> (Option<i32>, Vec<Value>) {
    let o = ipkit(args);
    let v = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("NDJSON"))
        .collect();
    (o.status.code(), v)
}

#[test]
fn iputils_view_on_loopback_v4_and_v6() {
    for target in ["127.0.0.1", "::1"] {
        let o = ipkit(&["ping", "-c", "3", "-i", "0.05", target]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let text = stdout(&o);
        let header = if target == "::1" {
            "PING ::1 (::1) 56(104) bytes of data.\n"
        } else {
            "PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.\n"
        };
        assert!(text.starts_with(header), "{text}");
        for seq in 1..=3 {
            assert!(
                text.contains(&format!(
                    "64 bytes from {target}: icmp_seq={seq} ttl=64 time="
                )),
                "{text}"
            );
        }
        assert!(text.contains(&format!("--- {target} ping statistics ---\n3 packets transmitted, 3 received, 0% packet loss, time ")));
        assert!(text.contains("rtt min/avg/max/mdev = "));
    }
}

#[test]
fn json_size_ttl_and_summary() {
    let (code, recs) = records(&[
        "ping",
        "--json",
        "-c",
        "2",
        "-i",
        "0.05",
        "-s",
        "100",
        "-t",
        "9",
        "127.0.0.1",
    ]);
    assert_eq!(code, Some(0));
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[0]["type"], "reply");
    assert_eq!(recs[0]["data"]["bytes"], 108);
    assert_eq!(recs[1]["data"]["seq"], 2);
    let s = &recs[2]["data"];
    assert_eq!(
        (
            s["transmitted"].as_u64(),
            s["received"].as_u64(),
            s["loss_percent"].as_f64()
        ),
        (Some(2), Some(2), Some(0.0))
    );
    assert!(s["rtt_min_ms"].as_f64().unwrap() <= s["rtt_max_ms"].as_f64().unwrap());
}

#[test]
fn two_pings_at_once_never_count_each_others_replies() {
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_ipkit"))
            .args(["ping", "--json", "-c", "20", "-i", "0.01", "127.0.0.1"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let o = child.wait_with_output().unwrap();
        let recs: Vec<Value> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let replies: Vec<&Value> = recs.iter().filter(|r| r["type"] == "reply").collect();
        assert_eq!(replies.len(), 20, "each sees exactly its own 20 replies");
        assert!(
            replies.iter().all(|r| r["data"]["duplicate"] == false),
            "no foreign reply counted as a duplicate"
        );
        let s = &recs.last().unwrap()["data"];
        assert_eq!(
            (s["received"].as_u64(), s["duplicates"].as_u64()),
            (Some(20), Some(0))
        );
    }
}

#[test]
fn interrupt_prints_statistics_and_exit_codes_follow_iputils() {
    /// Kills and reaps the child even when an assertion fails first.
    struct Reaped(std::process::Child);
    impl Drop for Reaped {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Reaped(
        Command::new(env!("CARGO_BIN_EXE_ipkit"))
            .args(["ping", "-i", "0.05", "127.0.0.1"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let pid = child.0.id().to_string();
    // Wait for the first reply line, then Ctrl-C.
    let mut out = child.0.stdout.take().unwrap();
    let mut seen = Vec::new();
    let start = Instant::now();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains("icmp_seq=2") {
        assert!(start.elapsed() < Duration::from_secs(10), "no replies");
        let n = std::io::Read::read(&mut out, &mut buf).unwrap();
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(
        rest.contains("ping statistics ---") && rest.contains("packets transmitted"),
        "{rest}"
    );

    let o = ipkit(&["ping", "-c", "1", "-W", "x", "127.0.0.1"]);
    assert_eq!(o.status.code(), Some(2), "bad usage is 2");
}

fn lab_records(lab: &crate::lab::RouterLab, args: &[&str]) -> (Option<i32>, Vec<Value>) {
    let mut all = vec!["ping", "--json"];
    all.extend_from_slice(args);
    let o = lab.client.ipkit(&all);
    (
        o.status.code(),
        stdout(&o)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect(),
    )
}

fn first<'a>(recs: &'a [Value], kind: &str) -> Option<&'a Value> {
    recs.iter().find(|r| r["type"] == kind).map(|r| &r["data"])
}

#[test]
fn through_a_router_v4_and_v6() {
    if !crate::lab::can_use_namespaces("through_a_router_v4_and_v6") {
        return;
    }
    let _serial = crate::lab::lab_lock();
    let lab = crate::lab::RouterLab::new();
    for (server, router) in [
        ("198.51.100.2", "192.0.2.1"),
        ("2001:db8:2::2", "2001:db8:1::1"),
    ] {
        // A reply crosses the router: the TTL arrives one lower.
        let (code, recs) = lab_records(&lab, &["-c", "2", "-i", "0.1", "-W", "2", server]);
        assert_eq!(code, Some(0), "{server}: {recs:?}");
        assert_eq!(first(&recs, "reply").unwrap()["ttl"], 63, "{server}");
        // TTL 1: the router reports time exceeded, matched to the probe.
        let (code, recs) = lab_records(&lab, &["-c", "1", "-t", "1", "-W", "2", server]);
        assert_eq!(code, Some(1), "no reply: exit 1");
        let e = first(&recs, "error").unwrap_or_else(|| panic!("{server}: no error in {recs:?}"));
        assert_eq!(
            (e["from"].as_str(), e["seq"].as_u64()),
            (Some(router), Some(1))
        );
        assert!(e["text"].as_str().unwrap().contains("exceeded"), "{e}");
        // No route at the router: destination unreachable from the router.
        let unreachable = if server.contains(':') {
            "2001:db8:99::1"
        } else {
            "203.0.113.9"
        };
        let (code, recs) = lab_records(&lab, &["-c", "1", "-W", "2", unreachable]);
        assert_eq!(code, Some(1));
        let e =
            first(&recs, "error").unwrap_or_else(|| panic!("{unreachable}: no error in {recs:?}"));
        assert_eq!(e["from"].as_str(), Some(router));
        // Too big for the 1280-byte link with DF: the router says so, with the MTU.
        let (code, recs) = lab_records(
            &lab,
            &["-c", "1", "-W", "2", "-s", "1400", "-M", "do", server],
        );
        assert_eq!(code, Some(1));
        let e =
            first(&recs, "error").unwrap_or_else(|| panic!("{server}: no frag-needed in {recs:?}"));
        assert!(e["text"].as_str().unwrap().contains("1280"), "{e}");
    }
    // A host that ignores echo requests: loss, a timeout per probe, exit 1.
    crate::lab::RouterLab::sysctl(&lab.server, "net.ipv4.icmp_echo_ignore_all", "1");
    let started = Instant::now();
    let (code, recs) = lab_records(&lab, &["-c", "2", "-i", "0.1", "-W", "0.5", "198.51.100.2"]);
    assert_eq!(code, Some(1));
    assert_eq!(recs.iter().filter(|r| r["type"] == "timeout").count(), 2);
    let s = first(&recs, "summary").unwrap();
    assert_eq!(
        (s["received"].as_u64(), s["loss_percent"].as_f64()),
        (Some(0), Some(100.0))
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn unprivileged_socket_and_the_missing_privilege_message() {
    if !crate::lab::can_use_namespaces("unprivileged_socket_and_the_missing_privilege_message") {
        return;
    }
    let _serial = crate::lab::lab_lock();
    let lab = crate::lab::RouterLab::new();
    // As nobody, without CAP_NET_RAW: only the unprivileged ICMP socket.
    let as_nobody = |args: &[&str]| crate::lab::ipkit_as_nobody(Some(&lab.client), args);
    crate::lab::RouterLab::sysctl(&lab.client, "net.ipv4.ping_group_range", "0 2147483647");
    let o = as_nobody(&[
        "ping",
        "--json",
        "-c",
        "2",
        "-i",
        "0.1",
        "-W",
        "2",
        "198.51.100.2",
    ]);
    assert_eq!(o.status.code(), Some(0), "datagram socket: {}", stderr(&o));
    let recs: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.iter().filter(|r| r["type"] == "reply").count(), 2);
    assert_eq!(
        recs[0]["data"]["ttl"], 63,
        "TTL from the IP_TTL control message"
    );
    // ICMP errors reach the unprivileged socket through its error queue, and
    // are matched to their probe as on a raw socket; v4 and v6.
    for (server, router) in [
        ("198.51.100.2", "192.0.2.1"),
        ("2001:db8:2::2", "2001:db8:1::1"),
    ] {
        let o = as_nobody(&["ping", "--json", "-c", "1", "-t", "1", "-W", "2", server]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let recs: Vec<Value> = stdout(&o)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let e = first(&recs, "error").unwrap_or_else(|| panic!("{server}: {recs:?}"));
        assert_eq!(
            (e["from"].as_str(), e["seq"].as_u64()),
            (Some(router), Some(1))
        );
        assert!(e["text"].as_str().unwrap().contains("xceeded"), "{e}");
        let o = as_nobody(&[
            "ping", "--json", "-c", "1", "-s", "1400", "-M", "do", "-W", "2", server,
        ]);
        let text = stdout(&o);
        assert!(
            text.contains("1280"),
            "frag needed / too big with the MTU: {text}"
        );
    }
    // A sweep on the unprivileged socket: the error queue's errors are
    // matched to their targets too, and do not stop the sweep.
    let o = as_nobody(&[
        "ping",
        "--json",
        "--rate",
        "0",
        "--retries",
        "0",
        "-W",
        "0.5",
        "203.0.113.9",
        "198.51.100.2",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let recs: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let host = |a: &str| {
        recs.iter()
            .find(|r| r["data"]["addr"] == a)
            .unwrap()
            .clone()
    };
    assert_eq!(host("198.51.100.2")["data"]["alive"], true);
    assert_eq!(
        host("203.0.113.9")["data"]["error"]["from"],
        "192.0.2.1",
        "{recs:?}"
    );
    // IP options on the datagram socket: the route comes back in a control message.
    let o = as_nobody(&["ping", "--json", "-c", "1", "-W", "2", "-R", "198.51.100.2"]);
    assert!(stdout(&o).contains("\"route\":["), "{}", stdout(&o));
    crate::lab::RouterLab::sysctl(&lab.client, "net.ipv4.ping_group_range", "1 0");
    let o = as_nobody(&["ping", "-c", "1", "198.51.100.2"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("CAP_NET_RAW") && err.contains("ping_group_range"),
        "says what is missing and how to fix it: {err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn windows_mode_takes_the_chapters_letters_and_prints_its_view() {
    let o = ipkit(&[
        "ping",
        "--windows",
        "-n",
        "2",
        "-l",
        "40",
        "-i",
        "9",
        "127.0.0.1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[1], "Pinging 127.0.0.1 with 40 bytes of data:");
    for l in &lines[2..4] {
        assert!(
            l.starts_with("Reply from 127.0.0.1: bytes=40 time") && l.ends_with(" TTL=64"),
            "{l}"
        );
    }
    assert_eq!(lines[5], "Ping statistics for 127.0.0.1:");
    assert_eq!(
        lines[6],
        "    Packets: Sent = 2, Received = 2, Lost = 0 (0% loss),"
    );
    assert_eq!(lines[7], "Approximate round trip times in milli-seconds:");
    assert!(
        lines[8].starts_with("    Minimum = ")
            && lines[8].contains("ms, Maximum = ")
            && lines[8].contains("ms, Average = ")
    );
    // Letters that mean something else in iputils are refused there, not misread.
    let o = ipkit(&["ping", "-n", "2", "127.0.0.1"]);
    assert_eq!(o.status.code(), Some(2));
    // IP options are IPv4 only: refused before anything is sent.
    let o = ipkit(&["ping", "--windows", "-r", "4", "::1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("IPv4 only"), "{}", stderr(&o));
}

#[test]
fn windows_view_through_the_router() {
    if !crate::lab::can_use_namespaces("windows_view_through_the_router") {
        return;
    }
    let _serial = crate::lab::lab_lock();
    let lab = crate::lab::RouterLab::new();
    let o = lab.client.ipkit(&[
        "ping",
        "--windows",
        "-n",
        "1",
        "-i",
        "1",
        "-w",
        "2000",
        "198.51.100.2",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("Reply from 192.0.2.1: TTL expired in transit.\n"),
        "{}",
        stdout(&o)
    );
    crate::lab::RouterLab::sysctl(&lab.server, "net.ipv4.icmp_echo_ignore_all", "1");
    let o = lab
        .client
        .ipkit(&["ping", "--windows", "-n", "1", "-w", "300", "198.51.100.2"]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(text.contains("Request timed out.\n"), "{text}");
    assert!(
        text.contains("    Packets: Sent = 1, Received = 0, Lost = 1 (100% loss),"),
        "{text}"
    );
}

#[test]
fn sweeps_ranges_and_lists() {
    let o = ipkit(&["ping", "--alive", "--rate", "0", "127.0.0.0/24"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let alive: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
    assert_eq!(
        alive.len(),
        254,
        "network and broadcast are skipped, the rest of 127/8 answers"
    );
    assert_eq!(alive[0], "127.0.0.1");
    assert_eq!(alive[253], "127.0.0.254");
    // Families mix; records keep the order the targets were given in.
    let (code, recs) = records(&[
        "ping",
        "--json",
        "--rate",
        "0",
        "127.0.0.8/30",
        "::1",
        "127.0.0.1",
    ]);
    assert_eq!(code, Some(0), "{recs:?}");
    let hosts: Vec<&Value> = recs.iter().filter(|r| r["type"] == "host").collect();
    let addrs: Vec<&str> = hosts
        .iter()
        .map(|h| h["data"]["addr"].as_str().unwrap())
        .collect();
    assert_eq!(addrs, ["127.0.0.9", "127.0.0.10", "::1", "127.0.0.1"]);
    assert!(
        hosts
            .iter()
            .all(|h| h["data"]["alive"] == true && h["data"]["rtt_ms"].as_f64().is_some())
    );
    assert_eq!(recs.last().unwrap()["data"]["alive"], 4);
    let o = ipkit(&["ping", "--alive", "10.0.0.0/8"]);
    assert_eq!(o.status.code(), Some(2), "over --limit");
    assert!(stderr(&o).contains("--limit"));
    // -c: every target gets COUNT probes and a summary line, fping -c style.
    let o = ipkit(&["ping", "-c", "3", "-i", "0.05", "127.0.0.1", "::1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 8, "{lines:?}");
    // Each reply as it comes, then the summaries.
    for target in ["127.0.0.1", "::1"] {
        for round in 0..3 {
            let head = format!("{target} : [{round}], 64 bytes, ");
            assert!(
                lines
                    .iter()
                    .any(|l| l.starts_with(&head) && l.ends_with(" avg, 0% loss)")),
                "{head} missing: {lines:?}"
            );
        }
    }
    assert!(
        lines[6].starts_with("127.0.0.1 : xmt/rcv/%loss = 3/3/0%, min/avg/max = "),
        "{lines:?}"
    );
    assert!(
        lines[7].starts_with("::1 : xmt/rcv/%loss = 3/3/0%, min/avg/max = "),
        "{lines:?}"
    );
    // -q: the summaries only.
    let o = ipkit(&["ping", "-q", "-c", "2", "-i", "0.05", "127.0.0.1", "::1"]);
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));
    let (_, recs) = records(&[
        "ping",
        "--json",
        "-c",
        "2",
        "-i",
        "0.05",
        "127.0.0.1",
        "127.0.0.2",
    ]);
    for h in recs.iter().filter(|r| r["type"] == "host") {
        assert_eq!(
            (h["data"]["sent"].as_u64(), h["data"]["received"].as_u64()),
            (Some(2), Some(2)),
            "{h}"
        );
        assert!(h["data"]["rtt_min_ms"].as_f64() <= h["data"]["rtt_max_ms"].as_f64());
    }
    // A bare number is not a host (the C library would read `2` as 0.0.0.2).
    let o = ipkit(&["ping", "-c", "1", "2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("0.0.0.2"), "{}", stderr(&o));
}

#[test]
fn sweep_reports_unreachable_hosts_in_a_lab() {
    if !crate::lab::can_use_namespaces("sweep_reports_unreachable_hosts_in_a_lab") {
        return;
    }
    let _serial = crate::lab::lab_lock();
    let lab = crate::lab::RouterLab::new();
    // 198.51.100.0/29: only .1 (router) and .2 (server) exist.
    let o = lab.client.ipkit(&[
        "ping",
        "--unreachable",
        "--rate",
        "0",
        "--retries",
        "1",
        "-W",
        "0.3",
        "198.51.100.0/29",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "198.51.100.3\n198.51.100.4\n198.51.100.5\n198.51.100.6\n"
    );
    let o = lab.client.ipkit(&[
        "ping",
        "--alive",
        "--rate",
        "0",
        "-W",
        "0.3",
        "198.51.100.0/29",
    ]);
    assert_eq!(stdout(&o), "198.51.100.1\n198.51.100.2\n");
    let o = lab.client.ipkit(&[
        "ping",
        "--rate",
        "0",
        "--retries",
        "0",
        "-W",
        "0.2",
        "198.51.100.5",
        "198.51.100.6",
    ]);
    assert_eq!(o.status.code(), Some(1), "none answered");
    let (code, recs) = lab_records(
        &lab,
        &[
            "-c",
            "2",
            "-i",
            "0.05",
            "-W",
            "0.3",
            "198.51.100.2",
            "198.51.100.5",
        ],
    );
    assert_eq!(code, Some(0), "one of the two answered");
    let hosts: Vec<&Value> = recs
        .iter()
        .filter(|r| r["type"] == "host")
        .map(|r| &r["data"])
        .collect();
    assert_eq!(
        (
            hosts[0]["received"].as_u64(),
            hosts[1]["received"].as_u64(),
            hosts[1]["loss_percent"].as_f64()
        ),
        (Some(2), Some(0), Some(100.0)),
        "{hosts:?}"
    );
    assert_eq!(
        stdout(&o),
        "198.51.100.5 is unreachable\n198.51.100.6 is unreachable\n"
    );
    // ICMP errors are reported against the target they concern: no route
    // at the router, and TTL 1 (time exceeded) while the router itself,
    // one hop away, answers.
    for (args, target, from, text) in [
        (
            &["-W", "0.5", "203.0.113.9", "198.51.100.2"][..],
            "203.0.113.9",
            "192.0.2.1",
            "Unreachable",
        ),
        (
            &["-W", "0.5", "-t", "1", "198.51.100.2", "198.51.100.1"],
            "198.51.100.2",
            "192.0.2.1",
            "exceeded",
        ),
    ] {
        let mut all = vec!["--rate", "0", "--retries", "0"];
        all.extend_from_slice(args);
        let (code, recs) = lab_records(&lab, &all);
        assert_eq!(code, Some(0), "{recs:?}");
        let host = recs
            .iter()
            .find(|r| r["type"] == "host" && r["data"]["addr"] == target)
            .unwrap_or_else(|| panic!("{target}: {recs:?}"));
        assert_eq!(host["data"]["alive"], false);
        assert_eq!(host["data"]["error"]["from"], from, "{host}");
        assert!(
            host["data"]["error"]["text"]
                .as_str()
                .unwrap()
                .contains(text),
            "{host}"
        );
        let mut text_args = vec!["ping"];
        text_args.extend_from_slice(&all);
        let o = lab.client.ipkit(&text_args);
        assert!(
            stdout(&o).contains(&format!("{target} is unreachable (")),
            "{}",
            stdout(&o)
        );
    }
    // -s sizes a sweep's probes too: 1400 bytes cross the MTU-1280 link
    // fragmented and come back; 8 bytes cannot hold the sweep's fields.
    let (code, recs) = lab_records(
        &lab,
        &[
            "-s",
            "1400",
            "--rate",
            "0",
            "-W",
            "1",
            "198.51.100.1",
            "198.51.100.2",
        ],
    );
    assert_eq!(code, Some(0), "{recs:?}");
    assert_eq!(recs.last().unwrap()["data"]["alive"], 2, "{recs:?}");
    let o = lab
        .client
        .ipkit(&["ping", "-s", "8", "198.51.100.1", "198.51.100.2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("-s 8"), "{}", stderr(&o));
    // Options a sweep cannot honour are refused, not ignored.
    let o = lab
        .client
        .ipkit(&["ping", "-R", "198.51.100.1", "198.51.100.2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("record route"), "{}", stderr(&o));
    // IPv6 ranges: the router (::1) and the server (::2) answer, ::3–::7 do not.
    // A fresh lab's first IPv6 packet waits up to a second for its links'
    // link-local addresses and neighbour discovery: one ping settles that.
    let o = lab
        .client
        .ipkit(&["ping", "-c", "1", "-W", "5", "2001:db8:2::2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = lab.client.ipkit(&[
        "ping",
        "--alive",
        "--rate",
        "0",
        "-W",
        "0.3",
        "2001:db8:2::/125",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "2001:db8:2::1\n2001:db8:2::2\n");
}

#[test]
fn ip_options_and_names_through_the_router() {
    if !crate::lab::can_use_namespaces("ip_options_and_names_through_the_router") {
        return;
    }
    let _serial = crate::lab::lab_lock();
    let lab = crate::lab::RouterLab::new();
    // Record route: the router writes its outgoing address both ways.
    let (code, recs) = lab_records(
        &lab,
        &["-c", "1", "-W", "2", "--record-route", "9", "198.51.100.2"],
    );
    assert_eq!(code, Some(0), "{recs:?}");
    let route: Vec<&str> = first(&recs, "reply").unwrap()["route"]
        .as_array()
        .expect("a route")
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let out = route.iter().position(|a| *a == "198.51.100.1");
    let back = route.iter().position(|a| *a == "192.0.2.1");
    assert!(
        matches!((out, back), (Some(o), Some(b)) if o < b),
        "the router's address out, then back: {route:?}"
    );
    // Timestamps with addresses: the router stamps the probe.
    let (_, recs) = lab_records(
        &lab,
        &["-c", "1", "-W", "2", "--timestamp", "4", "198.51.100.2"],
    );
    let stamps = first(&recs, "reply").unwrap()["timestamps"]
        .as_array()
        .expect("timestamps")
        .clone();
    assert!(
        stamps
            .iter()
            .any(|t| t["addr"] == "192.0.2.1" || t["addr"] == "198.51.100.1"),
        "{stamps:?}"
    );
    // The iputils view prints the route under the reply.
    let o = lab
        .client
        .ipkit(&["ping", "-c", "1", "-W", "2", "-R", "198.51.100.2"]);
    assert!(stdout(&o).contains("RR: \t"), "{}", stdout(&o));
    assert!(stdout(&o).contains("\t198.51.100.1\n"), "{}", stdout(&o));
    // Loose source route through the router: Linux drops source-routed
    // packets by default, and ipkit says so when nothing comes back.
    let o = lab.client.ipkit(&[
        "ping",
        "-c",
        "1",
        "-W",
        "0.5",
        "--loose-route",
        "192.0.2.1",
        "198.51.100.2",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stderr(&o).contains("accept_source_route"), "{}", stderr(&o));
    // Every host on the way, there and back, must accept it: the reply
    // follows the reversed route.
    for (ns, ifs) in [
        (&lab.client, &["all", "c0"][..]),
        (&lab.router, &["all", "r0", "r1"][..]),
        (&lab.server, &["all", "s0"][..]),
    ] {
        for i in ifs {
            crate::lab::RouterLab::sysctl(
                ns,
                &format!("net.ipv4.conf.{i}.accept_source_route"),
                "1",
            );
        }
    }
    let (code, recs) = lab_records(
        &lab,
        &[
            "-c",
            "1",
            "-W",
            "2",
            "--loose-route",
            "192.0.2.1",
            "198.51.100.2",
        ],
    );
    assert_eq!(code, Some(0), "accepted once every hop allows it: {recs:?}");
    // Windows letters -r and -j do the same.
    let o = lab.client.ipkit(&[
        "ping",
        "--windows",
        "-n",
        "1",
        "-r",
        "4",
        "-j",
        "192.0.2.1",
        "198.51.100.2",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("    Route: "), "{}", stdout(&o));
    // Options are IPv4 only, and must fit the header.
    let o = lab
        .client
        .ipkit(&["ping", "-c", "1", "-R", "2001:db8:2::2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("IPv4 only"), "{}", stderr(&o));
    let o = lab
        .client
        .ipkit(&["ping", "-c", "1", "-R", "-T", "tsandaddr", "198.51.100.2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("40"), "{}", stderr(&o));
    // --resolve names the hosts that answer, from the namespace's own hosts
    // file (no DNS leaves the namespace).
    std::fs::write(
        format!("/etc/netns/{}/hosts", lab.client.name),
        "192.0.2.1 router.lab\n198.51.100.2 server.lab\n",
    )
    .expect("hosts");
    let o = lab
        .client
        .ipkit(&["ping", "-c", "1", "-W", "2", "--resolve", "198.51.100.2"]);
    assert!(
        stdout(&o).contains("bytes from server.lab (198.51.100.2): icmp_seq=1"),
        "{}",
        stdout(&o)
    );
    let o = lab.client.ipkit(&[
        "ping",
        "-c",
        "1",
        "-W",
        "2",
        "-t",
        "1",
        "--resolve",
        "198.51.100.2",
    ]);
    assert!(
        stdout(&o).contains("From router.lab (192.0.2.1) icmp_seq=1 Time to live exceeded"),
        "{}",
        stdout(&o)
    );
    let o = lab
        .client
        .ipkit(&["ping", "--windows", "-n", "1", "-a", "198.51.100.2"]);
    assert!(
        stdout(&o).contains("Pinging server.lab [198.51.100.2] with 32 bytes of data:"),
        "{}",
        stdout(&o)
    );
}

/// Every field ping's NDJSON emits is documented in docs/json.md.
#[test]
fn json_fields_are_documented() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/json.md"))
        .expect("docs/json.md");
    let section = &doc[doc.find("## `ipkit ping`").expect("a ping section")..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let mut seen = Vec::new();
    for args in [
        &[
            "ping",
            "--json",
            "-c",
            "2",
            "-i",
            "0.05",
            "-R",
            "-W",
            "1",
            "127.0.0.1",
        ][..],
        &["ping", "--json", "-c", "1", "--timestamp", "2", "127.0.0.1"],
        &["ping", "--json", "-c", "1", "-W", "1", "127.0.0.1", "::1"],
    ] {
        let (_, recs) = records(args);
        assert!(!recs.is_empty(), "{args:?}");
        for r in recs {
            let kind = r["type"].as_str().unwrap().to_string();
            for key in r["data"].as_object().unwrap().keys() {
                seen.push((kind.clone(), key.clone()));
            }
        }
    }
    for (kind, key) in seen {
        assert!(
            section.contains(&format!("`{kind}`")),
            "record type {kind} undocumented"
        );
        assert!(
            section.contains(&format!("`{key}`")),
            "field {kind}.{key} undocumented"
        );
    }
}
