//! `ipkit connect` over real sockets: listeners on 127.0.0.1 in this test
//! process, and — for the race between families — network namespaces whose
//! hosts file gives one name both `::1` and `127.0.0.1` (so getaddrinfo
//! answers with both families, IPv6 first by RFC 6724's policy table),
//! with a listener (perl's IO::Socket::IP, from Debian's perl) on ::1 only,
//! on 127.0.0.1 only, or on both with an nftables rule that drops SYNs to
//! ::1. The expected values are the RFC's (250 ms Connection Attempt Delay)
//! and the kernel's (connection refused); timings are asserted with
//! generous bounds — these test behaviour, not speed.

use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::lab::{Netns, can_use_namespaces, ensure_installed};
use crate::util::{CHILD_LIMIT, finish_limited, ipkit, ipkit_with_input, stderr, stdout};

/// The name both families answer for, in the namespaces' hosts file.
const DUAL: &str = "dual.test";
/// The port the namespaced listeners use (a fresh namespace has every port free).
const PORT: &str = "5150";

/// The race's JSON record of `ipkit connect -z --json ARGS` (stdout).
fn record(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("no JSON record ({e}): {}{}", stdout(o), stderr(o)))
}

/// A port on 127.0.0.1 with nothing listening on it (bound, then closed).
fn closed_tcp_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

#[test]
fn refused_port_exits_1_with_the_reason() {
    let port = closed_tcp_port().to_string();
    let o = ipkit(&["connect", "127.0.0.1", &port]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "connect to 127.0.0.1 (127.0.0.1) port {port} (tcp) failed: Connection refused"
        )),
        "{}",
        stderr(&o)
    );
    let o = ipkit(&["connect", "-z", "--json", "127.0.0.1", &port]);
    assert_eq!(o.status.code(), Some(1));
    let r = record(&o);
    assert_eq!(r["outcome"], "failed");
    assert_eq!(r["attempts"][0]["result"], "failed");
    assert_eq!(r["attempts"][0]["error"], "Connection refused");
}

#[test]
fn bad_ports_and_flags_are_usage_errors() {
    for port in ["0", "65536", "99999999999", "no such", "-1"] {
        let o = ipkit(&["connect", "127.0.0.1", port]);
        assert_eq!(o.status.code(), Some(2), "port {port:?}: {}", stderr(&o));
        assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    }
    let o = ipkit(&["connect", "127.0.0.1", "no-such-service-here"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = ipkit(&["connect", "-4", "::1", "80"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = ipkit(&["connect", "--timeout", "0", "127.0.0.1", "80"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = ipkit(&["connect", "-4", "-6", "127.0.0.1", "80"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn a_numeric_ipv6_host_in_brackets_and_a_service_name_work() {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port().to_string();
    let o = ipkit(&["connect", "-z", "-v", "[127.0.0.1]", &port]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains(&format!(
        "Connection to 127.0.0.1 (127.0.0.1) {port} port [tcp/*] succeeded!"
    )));
    // A service name from /etc/services goes to getaddrinfo as it is.
    let o = ipkit(&["connect", "-z", "--json", "127.0.0.1", "tcpmux"]);
    let r = record(&o);
    assert_eq!(r["attempts"][0]["port"], 1);
}

/// A TCP server that reads until the client half-closes, then sends back
/// what it read, upper-cased, and closes: the answer only comes if ipkit
/// sent its FIN, and ipkit only ends when the server closes.
#[test]
fn the_relay_half_closes_and_ends_when_the_peer_closes() {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port().to_string();
    let server = std::thread::spawn(move || {
        let (mut c, _) = l.accept().expect("accept");
        c.set_read_timeout(Some(CHILD_LIMIT)).expect("timeout");
        let mut got = Vec::new();
        c.read_to_end(&mut got).expect("read to the client's FIN");
        c.write_all(&got.to_ascii_uppercase()).expect("answer");
        got
    });
    let input = "hello\nworld\n".repeat(20_000);
    let o = ipkit_with_input(&["connect", "127.0.0.1", &port], input.as_bytes());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(server.join().expect("server"), input.as_bytes());
    assert_eq!(stdout(&o), input.to_ascii_uppercase());
}

#[test]
fn udp_sends_a_datagram_per_line_and_prints_the_answers() {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = s.local_addr().expect("addr").port().to_string();
    s.set_read_timeout(Some(CHILD_LIMIT)).expect("timeout");
    let server = std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut buf = [0u8; 2048];
        for _ in 0..3 {
            let (n, from) = s.recv_from(&mut buf).expect("a datagram");
            got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
            s.send_to(&buf[..n], from).expect("echo");
        }
        got
    });
    let o = ipkit_with_input(
        &["connect", "--udp", "-q", "0.5", "127.0.0.1", &port],
        b"one\ntwo\nthree",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(server.join().expect("server"), ["one\n", "two\n", "three"]);
    assert_eq!(stdout(&o), "one\ntwo\nthree");
}

#[test]
fn udp_to_a_closed_port_reports_the_refusal() {
    let port = {
        let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
        s.local_addr().expect("addr").port().to_string()
    };
    let o = ipkit_with_input(&["connect", "-u", "127.0.0.1", &port], b"ping\n");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("Connection refused"), "{}", stderr(&o));
}

/// Start `ipkit connect ARGS` with every pipe open; its stderr is read
/// until `line` shows (the race is over), which is returned with the child.
fn start_until(args: &[&str], line: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ipkit"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ipkit");
    let mut err = child.stderr.take().expect("stderr");
    let mut seen = Vec::new();
    let start = Instant::now();
    let mut byte = [0u8; 1];
    while !String::from_utf8_lossy(&seen).contains(line) {
        assert!(start.elapsed() < CHILD_LIMIT, "no {line:?} from ipkit");
        match err.read(&mut byte) {
            Ok(0) => panic!(
                "ipkit ended before {line:?}: {}",
                String::from_utf8_lossy(&seen)
            ),
            Ok(_) => seen.push(byte[0]),
            Err(e) => panic!("reading ipkit's stderr: {e}"),
        }
    }
    child.stderr = Some(err);
    (child, String::from_utf8_lossy(&seen).into_owned())
}

#[test]
fn sigint_while_relaying_exits_130() {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port().to_string();
    let held = std::thread::spawn(move || l.accept().map(|(c, _)| c));
    let (mut child, _) = start_until(&["connect", "-v", "127.0.0.1", &port], "succeeded!");
    crate::util::signal(&child, "INT");
    let o = finish_limited(&mut child, b"", Duration::from_secs(30), "ipkit connect");
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    drop(held.join());
}

#[test]
fn a_closed_stdout_stops_the_relay_at_once() {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port().to_string();
    let server = std::thread::spawn(move || {
        let (mut c, _) = l.accept().expect("accept");
        let chunk = vec![b'x'; 64 * 1024];
        // Until ipkit closes: its end of the connection goes with it.
        while c.write_all(&chunk).is_ok() {}
    });
    let (mut child, _) = start_until(&["connect", "-v", "127.0.0.1", &port], "succeeded!");
    let mut out = child.stdout.take().expect("stdout");
    let mut first = [0u8; 10];
    out.read_exact(&mut first).expect("the peer's bytes");
    drop(out);
    let o = finish_limited(&mut child, b"", Duration::from_secs(20), "ipkit connect");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    server.join().expect("server");
}

/// A namespace whose hosts file names `dual.test` ::1 and 127.0.0.1.
fn dual_namespace() -> Netns {
    Netns::new(
        &format!("127.0.0.1 localhost\n::1 {DUAL}\n127.0.0.1 {DUAL}\n"),
        "nameserver 127.0.0.1\n",
    )
}

/// A TCP listener inside `ns` on `addr`, port [`PORT`] (perl's
/// IO::Socket::IP): accepts and holds each connection until it closes.
struct Listener(Child);

impl Listener {
    fn start(ns: &Netns, addr: &str) -> Listener {
        let script = "use IO::Socket::IP; $| = 1; \
            my $s = IO::Socket::IP->new(LocalHost => $ARGV[0], LocalPort => $ARGV[1], \
              Listen => 16, ReuseAddr => 1) or die \"listen: $@\\n\"; \
            print \"ready\\n\"; \
            while (my $c = $s->accept) { while (sysread($c, my $b, 65536)) {} close $c }";
        let mut child = ns
            .command("perl")
            .args(["-e", script, addr, PORT])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start perl");
        let mut line = [0u8; 6];
        child
            .stdout
            .as_mut()
            .expect("stdout")
            .read_exact(&mut line)
            .unwrap_or_else(|e| panic!("perl listener on {addr} not ready: {e}"));
        assert_eq!(&line, b"ready\n");
        Listener(child)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `ipkit connect -z --json [EXTRA] dual.test 5150` in `ns`: the record.
fn race_in(ns: &Netns, extra: &[&str]) -> Value {
    let mut args = vec!["connect", "-z", "--json"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[DUAL, PORT]);
    let o = ns.ipkit(&args);
    let r = record(&o);
    let families: Vec<&str> = r["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| a["address"].as_str().expect("address"))
        .collect();
    assert_eq!(families, ["::1", "127.0.0.1"], "getaddrinfo's order: {r}");
    r
}

fn needs_lab(test: &str) -> bool {
    if !can_use_namespaces(test) {
        return false;
    }
    ensure_installed("perl", "perl");
    true
}

#[test]
fn a_listener_on_ipv6_only_wins_with_the_first_attempt() {
    if !needs_lab("a_listener_on_ipv6_only_wins_with_the_first_attempt") {
        return;
    }
    let ns = dual_namespace();
    let _l = Listener::start(&ns, "::1");
    let r = race_in(&ns, &[]);
    assert_eq!(r["outcome"], "connected", "{r}");
    assert_eq!(r["winner"], 1);
    assert_eq!(r["attempts"][1]["result"], "not_started");
    assert!(r["remote"].as_str().unwrap().starts_with("[::1]:"), "{r}");
    // A name nobody knows (no hosts entry, no DNS server): nc's exit status 1.
    let o = ns.ipkit(&["connect", "-z", "unknown.test", PORT]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("getaddrinfo failed for 'unknown.test'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_listener_on_ipv4_only_wins_at_once_after_the_refusal() {
    if !needs_lab("a_listener_on_ipv4_only_wins_at_once_after_the_refusal") {
        return;
    }
    let ns = dual_namespace();
    let _l = Listener::start(&ns, "127.0.0.1");
    let r = race_in(&ns, &[]);
    assert_eq!(r["outcome"], "connected", "{r}");
    assert_eq!(r["winner"], 2);
    assert_eq!(r["attempts"][0]["result"], "failed");
    assert_eq!(r["attempts"][0]["error"], "Connection refused");
    // Not after the 250 ms delay: a refusal starts the next at once (10 ms floor).
    let second = r["attempts"][1]["started_ms"].as_f64().expect("started");
    assert!((10.0..200.0).contains(&second), "{r}");
}

#[test]
fn syns_dropped_on_ipv6_fall_back_to_ipv4_after_the_attempt_delay() {
    if !needs_lab("syns_dropped_on_ipv6_fall_back_to_ipv4_after_the_attempt_delay") {
        return;
    }
    ensure_installed("nft", "nftables");
    let ns = dual_namespace();
    let _v6 = Listener::start(&ns, "::1");
    let _v4 = Listener::start(&ns, "127.0.0.1");
    let rules = format!(
        "table inet drop_syn {{\n  chain input {{\n    type filter hook input priority 0;\n    \
         ip6 daddr ::1 tcp dport {PORT} tcp flags & (syn | ack) == syn drop\n  }}\n}}\n"
    );
    let o = crate::util::run_limited(
        ns.command("nft").args(["-f", "-"]),
        rules.as_bytes(),
        CHILD_LIMIT,
    );
    assert!(o.status.success(), "nft: {}", stderr(&o));
    for (extra, delay) in [(&[][..], 250.0), (&["--attempt-delay", "120"][..], 120.0)] {
        let r = race_in(&ns, extra);
        assert_eq!(r["outcome"], "connected", "{r}");
        assert_eq!(r["winner"], 2, "{r}");
        assert_eq!(r["attempt_delay_ms"], delay);
        assert_eq!(r["attempts"][0]["result"], "lost_race", "{r}");
        let second = r["attempts"][1]["started_ms"].as_f64().expect("started");
        assert!(second >= delay - 1.0 && second < delay + 500.0, "{r}");
        let elapsed = r["elapsed_ms"].as_f64().expect("elapsed");
        assert!(elapsed < 2000.0, "{r}");
    }
    // Only ::1 asked for: nothing answers, and the timeout ends it (exit 1).
    let o = ns.ipkit(&[
        "connect",
        "-z",
        "--json",
        "-6",
        "--timeout",
        "0.6",
        DUAL,
        PORT,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = record(&o);
    assert_eq!(r["outcome"], "timed_out");
    assert_eq!(r["attempts"][0]["result"], "timed_out");
}
