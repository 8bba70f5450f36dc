//! `ipkit ping` through the real binary, on loopback and inside network
//! namespaces, checked side by side against iputils `ping` and `fping`.
//!
//! Every child runs under a deadline ([`finish`]); signals go only to the
//! children these tests start.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::lab::Netns;
use crate::util::{stderr, stdout};

/// How long any child may run.
const LIMIT: Duration = Duration::from_secs(60);

/// Kills and reaps a child even when an assertion fails first.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `c` with stdout and stderr piped, stdin empty, no colour.
fn start(mut c: Command) -> Reaped {
    Reaped(
        c.env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn"),
    )
}

/// Wait for a started child, at most `limit`: its output and status.
fn collect(mut child: Reaped, limit: Duration) -> Output {
    crate::util::finish_limited(&mut child.0, b"", limit, "child")
}

/// Run `c` to its end, at most [`LIMIT`].
fn finish(c: Command) -> Output {
    collect(start(c), LIMIT)
}

fn ipkit_command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ipkit"))
}

/// ipkit on this host (loopback targets only).
fn ipkit(args: &[&str]) -> Output {
    let mut c = ipkit_command();
    c.args(args);
    finish(c)
}

/// `program ARGS` inside `ns`.
fn inside(ns: &Netns, program: &str, args: &[&str]) -> Output {
    let mut c = ns.command(program);
    c.args(args);
    finish(c)
}

/// ipkit inside `ns`.
fn ipkit_in(ns: &Netns, args: &[&str]) -> Output {
    inside(ns, env!("CARGO_BIN_EXE_ipkit"), args)
}

/// `program ARGS` inside `ns` as nobody, without inherited capabilities.
fn as_nobody(ns: &Netns, program: &str, args: &[&str]) -> Output {
    let mut all = vec![
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
        program,
    ];
    all.extend_from_slice(args);
    inside(ns, "setpriv", &all)
}

/// A namespace with only loopback, whose resolver points at 127.0.0.1
/// where nothing listens: nothing a test does there leaves it.
fn loopback_only() -> Netns {
    Netns::new("", "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
}

/// For a namespace test: None (skip) without root; else the tools it
/// compares with installed, and a [`loopback_only`] namespace.
fn loopback_lab(test: &str, tools: &[(&str, &str)]) -> Option<Netns> {
    if !crate::lab::can_use_namespaces(test) {
        return None;
    }
    for (binary, package) in tools {
        crate::lab::ensure_installed(binary, package);
    }
    Some(loopback_only())
}

/// Send `signal` (INT, TERM) to a child this test started.
fn signal(child: &Reaped, signal: &str) {
    crate::util::signal(&child.0, signal);
}

/// Wait (at most [`LIMIT`]) until `child` catches SIGINT: bit 2 of
/// `SigCgt` in /proc/PID/status.
fn wait_for_sigint_handler(child: &Reaped) {
    let begun = Instant::now();
    let path = format!("/proc/{}/status", child.0.id());
    loop {
        let status = std::fs::read_to_string(&path).unwrap_or_default();
        let caught = status
            .lines()
            .find_map(|l| l.strip_prefix("SigCgt:"))
            .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
            .is_some_and(|mask| mask & (1 << (SIGINT - 1)) != 0);
        if caught {
            return;
        }
        assert!(begun.elapsed() < LIMIT, "{path}: SIGINT never caught");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// SIGINT's number (2 on every Linux architecture).
const SIGINT: u32 = 2;

/// A started child's stdout, read line by line on a thread of its own so
/// that waiting for a line has a deadline.
struct Lines {
    rx: std::sync::mpsc::Receiver<String>,
    seen: String,
}

impl Lines {
    fn of(child: &mut Reaped) -> Lines {
        let out = child.0.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line + "\n").is_err() {
                    break;
                }
            }
        });
        Lines {
            rx,
            seen: String::new(),
        }
    }

    /// Wait until the output so far contains `what`, at most [`LIMIT`].
    fn until(&mut self, what: &str) {
        let begun = Instant::now();
        while !self.seen.contains(what) {
            let left = LIMIT.saturating_sub(begun.elapsed());
            match self.rx.recv_timeout(left) {
                Ok(line) => self.seen.push_str(&line),
                Err(e) => panic!("no {what:?} ({e}) in {}", self.seen),
            }
        }
    }

    /// Everything, once the child has exited (its pipe closed).
    fn rest(mut self) -> String {
        while let Ok(line) = self.rx.recv_timeout(Duration::from_secs(10)) {
            self.seen.push_str(&line);
        }
        self.seen
    }
}

/// Replace the number after each `prefix` with X (times, which differ
/// from run to run).
fn mask_after(text: &str, prefix: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(prefix) {
        out.push_str(&rest[..i + prefix.len()]);
        rest = &rest[i + prefix.len()..];
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '/'))
            .unwrap_or(rest.len());
        if n > 0 {
            out.push('X');
        }
        rest = &rest[n..];
    }
    out.push_str(rest);
    out
}

/// iputils' or ipkit's output with the times masked.
fn mask_times(text: &str) -> String {
    [
        "time=",
        ", time ",
        "mdev = ",
        "min/avg/max = ",
        "bytes, ",
        " ms (",
        "timed out (",
    ]
    .iter()
    .fold(text.to_string(), |t, p| mask_after(&t, p))
}

fn records_of(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("NDJSON"))
        .collect()
}

fn records(args: &[&str]) -> (Option<i32>, Vec<Value>) {
    let o = ipkit(args);
    (o.status.code(), records_of(&o))
}

#[test]
fn a_closed_pipe_stops_every_view_at_once() {
    for args in [
        &["ping", "-i", "0.2", "127.0.0.1"][..],
        &["ping", "--json", "-i", "0.2", "127.0.0.1"],
        &["ping", "-q", "-i", "0.2", "-w", "1", "127.0.0.1"],
        &["ping", "--windows", "-t", "::1"],
        &["ping", "--windows", "--json", "-t", "127.0.0.1"],
        &["ping", "-c", "100", "-i", "0.2", "127.0.0.1", "::1"],
        &[
            "ping",
            "--json",
            "-c",
            "100",
            "-i",
            "0.2",
            "127.0.0.1",
            "::1",
        ],
        &["ping", "--rate", "0", "127.0.0.0/24"],
    ] {
        let mut c = ipkit_command();
        c.args(args);
        let mut child = start(c);
        // Read a line, then close the pipe: the reader goes away as
        // `head -1` does (its thread drops the pipe at the next line).
        let mut lines = Lines::of(&mut child);
        lines.until("\n");
        drop(lines);
        let o = collect(child, Duration::from_secs(5));
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(
            !stderr(&o).contains("error"),
            "{args:?}: no error line: {}",
            stderr(&o)
        );
    }
}

#[test]
fn ctrl_c_and_sigterm_end_a_session_as_they_end_iputils() {
    let Some(ns) = loopback_lab(
        "ctrl_c_and_sigterm_end_a_session_as_they_end_iputils",
        &[("ping", "iputils-ping")],
    ) else {
        return;
    };
    let run = |program: &str, sig: &str, wait_for: &str| {
        // iputils writes through stdio: line-buffer it on a pipe.
        let mut c = ns.command("stdbuf");
        c.args(["-oL", program]);
        if program != "ping" {
            c.arg("ping");
        }
        c.args(["-n", "-i", "0.2", "127.0.0.1"]);
        let mut child = start(c);
        let mut lines = Lines::of(&mut child);
        lines.until(wait_for);
        // Past the start-up, where both have their handlers in place.
        std::thread::sleep(Duration::from_millis(300));
        signal(&child, sig);
        let o = collect(child, Duration::from_secs(10));
        (o.status, lines.rest())
    };
    for (answers, wait_for) in [(true, "icmp_seq=2 "), (false, "bytes of data")] {
        crate::lab::RouterLab::sysctl(
            &ns,
            "net.ipv4.icmp_echo_ignore_all",
            if answers { "0" } else { "1" },
        );
        // Ctrl-C: the statistics, then 0 when a reply came, 1 when none.
        let (theirs, their_text) = run("ping", "INT", wait_for);
        let (ours, our_text) = run(env!("CARGO_BIN_EXE_ipkit"), "INT", wait_for);
        assert_eq!(
            theirs.code(),
            Some(if answers { 0 } else { 1 }),
            "{their_text}"
        );
        assert_eq!(ours.code(), theirs.code(), "{our_text}");
        for text in [&their_text, &our_text] {
            assert!(
                text.contains("\n--- 127.0.0.1 ping statistics ---\n"),
                "{text}"
            );
        }
        // SIGTERM: iputils dies of it (the shell reports 143); ipkit exits
        // 143 too, after its statistics.
        let (theirs, _) = run("ping", "TERM", wait_for);
        let (ours, our_text) = run(env!("CARGO_BIN_EXE_ipkit"), "TERM", wait_for);
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&theirs),
            Some(15)
        );
        assert_eq!(ours.code(), Some(128 + 15), "{our_text}");
        assert!(our_text.contains("packets transmitted"), "{our_text}");
    }
}

#[test]
fn an_interrupted_sweep_counts_what_it_never_probed() {
    let Some(ns) = loopback_lab(
        "an_interrupted_sweep_counts_what_it_never_probed",
        &[("fping", "fping")],
    ) else {
        return;
    };
    // 127.0.0.0/16 at 1,000 probes/s takes a minute: stopped after a second.
    // Each is signalled a second after it has installed its SIGINT handler:
    // before that, on a loaded machine, the signal would only kill it.
    let sweep = |program: &str, args: &[&str], sig: &str| {
        let mut c = ns.command(program);
        c.args(args);
        let child = start(c);
        wait_for_sigint_handler(&child);
        std::thread::sleep(Duration::from_secs(1));
        signal(&child, sig);
        collect(child, Duration::from_secs(30))
    };
    let fping = sweep(
        "fping",
        &["-g", "127.0.0.0/16", "-i", "1", "-r", "0"],
        "INT",
    );
    let ours = sweep(
        env!("CARGO_BIN_EXE_ipkit"),
        &["ping", "127.0.0.0/16"],
        "INT",
    );
    // fping stops sending and exits 1 (not every target answered); so does ipkit.
    assert_eq!(fping.status.code(), Some(1), "{}", stderr(&fping));
    assert_eq!(ours.status.code(), fping.status.code(), "{}", stderr(&ours));
    // fping calls the hosts it never reached unreachable; ipkit prints
    // nothing for them and counts them.
    let lines: Vec<String> = stdout(&ours).lines().map(str::to_string).collect();
    assert!(!lines.is_empty() && lines.len() < 65_000, "{}", lines.len());
    assert!(
        lines
            .iter()
            .all(|l| l.ends_with(" ms)") && l.contains(" is alive ("))
    );
    let err = stderr(&ours);
    let not_probed = 65_534 - lines.len();
    assert!(
        err.contains(&format!(
            "{} alive, 0 unreachable, {not_probed} not probed (interrupted)",
            lines.len()
        )),
        "{err}"
    );
    // JSON: each host has its status, and the summary counts them.
    let o = sweep(
        env!("CARGO_BIN_EXE_ipkit"),
        &["ping", "--json", "127.0.0.0/16"],
        "INT",
    );
    assert_eq!(o.status.code(), Some(1));
    let recs = records_of(&o);
    let count = |status: &str| {
        recs.iter()
            .filter(|r| r["type"] == "host" && r["data"]["status"] == status)
            .count() as u64
    };
    let s = &recs.last().expect("a summary")["data"];
    assert_eq!(s["interrupted"], true);
    assert_eq!(s["not_probed"].as_u64(), Some(count("not_probed")));
    assert_eq!(s["alive"].as_u64(), Some(count("alive")));
    assert!(count("not_probed") > 60_000, "{s}");
    assert_eq!(
        count("alive") + count("unreachable") + count("not_probed"),
        65_534
    );
    // SIGTERM: fping dies of it; ipkit still accounts for every target and exits 143.
    let fping = sweep(
        "fping",
        &["-g", "127.0.0.0/16", "-i", "1", "-r", "0"],
        "TERM",
    );
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&fping.status),
        Some(15)
    );
    let o = sweep(
        env!("CARGO_BIN_EXE_ipkit"),
        &["ping", "--json", "127.0.0.0/16"],
        "TERM",
    );
    assert_eq!(o.status.code(), Some(143));
    assert_eq!(records_of(&o).last().unwrap()["data"]["interrupted"], true);
}

#[test]
fn sweeps_exit_and_print_as_fping_does() {
    if !crate::lab::can_use_namespaces("sweeps_exit_and_print_as_fping_does") {
        return;
    }
    crate::lab::ensure_installed("fping", "fping");
    let _serial = crate::lab::lab_lock();
    let lab = crate::lab::RouterLab::new();
    // .1 and .2 answer; .10 is silent (no neighbour); 203.0.113.9 has no
    // route at the router.
    for (targets, code) in [
        (&["198.51.100.1", "198.51.100.2"][..], 0),
        (&["198.51.100.2", "198.51.100.10"], 1),
        (&["198.51.100.2", "203.0.113.9"], 1),
        (&["198.51.100.10", "198.51.100.11"], 1),
    ] {
        for (ours, theirs) in [
            (
                &["--retries", "0", "-W", "0.5"][..],
                &["-r", "0", "-t", "500"][..],
            ),
            (
                &["--alive", "--retries", "0", "-W", "0.5"],
                &["-a", "-r", "0", "-t", "500"],
            ),
            (
                &["--unreachable", "--retries", "0", "-W", "0.5"],
                &["-u", "-r", "0", "-t", "500"],
            ),
        ] {
            let mut a = vec!["ping"];
            a.extend_from_slice(ours);
            a.extend_from_slice(targets);
            let o = ipkit_in(&lab.client, &a);
            let mut b = theirs.to_vec();
            b.extend_from_slice(targets);
            let f = inside(&lab.client, "fping", &b);
            assert_eq!(f.status.code(), Some(code), "fping {b:?}: {}", stdout(&f));
            assert_eq!(o.status.code(), Some(code), "{a:?}: {}", stderr(&o));
            if ours[0] == "--alive" || ours[0] == "--unreachable" {
                // The same hosts (fping lists them as they answer, ipkit
                // in the order given).
                let sorted = |o: &Output| {
                    let mut v: Vec<String> = stdout(o).lines().map(str::to_string).collect();
                    v.sort_unstable();
                    v
                };
                assert_eq!(sorted(&o), sorted(&f), "{a:?} against fping {b:?}");
            }
        }
    }
    // -c: replies as they come, names padded to the longest, an empty line,
    // then one summary per target; fping writes the summaries to stderr.
    let targets = ["198.51.100.2", "198.51.100.10", "192.0.2.1"];
    let mut a = vec!["ping", "-c", "2", "-i", "0.1", "-W", "0.5"];
    a.extend_from_slice(&targets);
    let o = ipkit_in(&lab.client, &a);
    let mut b = vec!["-c", "2", "-p", "100", "-t", "500"];
    b.extend_from_slice(&targets);
    let f = inside(&lab.client, "fping", &b);
    assert_eq!((o.status.code(), f.status.code()), (Some(1), Some(1)));
    let ours = mask_times(&stdout(&o));
    let (replies, summaries) = ours
        .split_once("\n\n")
        .expect("an empty line before the summaries");
    let mut replies: Vec<&str> = replies.lines().collect();
    let their_text = mask_times(&stdout(&f));
    // Replies and timeouts alike (sorted: the two may differ in the order
    // of replies that came microseconds apart).
    let mut theirs: Vec<&str> = their_text.lines().collect();
    assert!(
        theirs.iter().any(|l| l.contains("timed out")),
        "{their_text}"
    );
    replies.sort_unstable();
    theirs.sort_unstable();
    assert_eq!(replies, theirs);
    assert_eq!(
        summaries,
        mask_times(&stderr(&f)).trim_start_matches('\n'),
        "the summaries"
    );
}

#[test]
fn values_are_refused_before_anything_is_sent() {
    let Some(ns) = loopback_lab(
        "values_are_refused_before_anything_is_sent",
        &[("ping", "iputils-ping")],
    ) else {
        return;
    };
    for (args, iputils_refuses) in [
        (&["-t", "0"][..], true),
        (&["-t", "256"], true),
        (&["-Q", "999"], true),
        (&["-c", "-1"], true),
        (&["-c", "0"], true),
        (&["-i", "-1"], false),
        (&["-W", "-1"], true),
        (&["-w", "-1"], true),
        (&["-s", "-1"], true),
        (&["-s", "65508"], false),
    ] {
        let mut all = vec!["ping"];
        all.extend_from_slice(args);
        all.push("127.0.0.1");
        let o = ipkit_in(&ns, &all);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(stdout(&o), "", "{args:?}: nothing printed, nothing sent");
        assert!(
            err.lines().next().is_some_and(|l| l.contains("must be")) && !err.contains("-- -1"),
            "{args:?}: {err}"
        );
        if iputils_refuses {
            let mut theirs = vec!["-n", "-c", "1"];
            theirs.extend_from_slice(args);
            theirs.push("127.0.0.1");
            let t = inside(&ns, "ping", &theirs);
            assert!(
                !t.status.success() && !stdout(&t).contains("bytes from"),
                "iputils {theirs:?}"
            );
        }
    }
    for args in [
        &["ping", "--windows", "-l", "70000", "127.0.0.1"][..],
        &["ping", "--windows", "-i", "0", "127.0.0.1"],
        &["ping", "--windows", "-n", "-1", "127.0.0.1"],
        &["ping", "--windows", "-w", "-1", "127.0.0.1"],
        &["ping", "--rate", "-1", "127.0.0.1", "::1"],
    ] {
        let o = ipkit_in(&ns, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains("must be"), "{args:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), "");
    }
    // Below 2 ms only root may go, as iputils (20221126) rules; nobody
    // uses the unprivileged ICMP socket here.
    crate::lab::RouterLab::sysctl(&ns, "net.ipv4.ping_group_range", "0 2147483647");
    for (interval, code) in [("0.001", 2), ("0.002", 0)] {
        let args = ["-n", "-c", "2", "-i", interval, "127.0.0.1"];
        let theirs = as_nobody(&ns, "ping", &args);
        let mut all = vec!["ping"];
        all.extend_from_slice(&args[1..]);
        let ours = as_nobody(&ns, env!("CARGO_BIN_EXE_ipkit"), &all);
        assert_eq!(
            theirs.status.code(),
            Some(code),
            "iputils -i {interval}: {}",
            stderr(&theirs)
        );
        assert_eq!(
            ours.status.code(),
            Some(code),
            "-i {interval}: {}",
            stderr(&ours)
        );
        if code == 2 {
            assert!(stderr(&theirs).contains("2ms"));
            assert!(stderr(&ours).contains("2 ms"), "{}", stderr(&ours));
            assert!(!stdout(&ours).contains("bytes from"));
        }
    }
    // As root, faster is allowed.
    let o = ipkit_in(&ns, &["ping", "-c", "2", "-i", "0.001", "127.0.0.1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn an_os_error_is_printed_once() {
    let Some(ns) = loopback_lab("an_os_error_is_printed_once", &[]) else {
        return;
    };
    for (args, errno) in [
        (&["-I", "nosuchdev0"][..], "(os error 19)"),
        (&["--interface", "nosuchdev0"], "(os error 19)"),
        (&["-I", "192.0.2.99"], "(os error 99)"),
        (&["--source", "192.0.2.99"], "(os error 99)"),
    ] {
        for targets in [&["127.0.0.1"][..], &["127.0.0.1", "127.0.0.2"]] {
            let mut all = vec!["ping", "-c", "1"];
            all.extend_from_slice(args);
            all.extend_from_slice(targets);
            let o = ipkit_in(&ns, &all);
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{all:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{all:?}: {err}");
            assert_eq!(err.matches(errno).count(), 1, "{all:?}: {err}");
        }
    }
}

#[test]
fn the_iputils_view_matches_iputils_side_by_side() {
    let Some(ns) = loopback_lab(
        "the_iputils_view_matches_iputils_side_by_side",
        &[("ping", "iputils-ping")],
    ) else {
        return;
    };
    let mut cases: Vec<Vec<String>> = vec![
        vec!["-c", "2", "-i", "0.2", "127.0.0.1"],
        vec!["-c", "2", "-i", "0.2", "::1"],
        vec!["-c", "2", "-i", "0.2", "-R", "127.0.0.1"],
        vec!["-c", "1", "-s", "0", "::1"],
        vec!["-c", "1", "-s", "100", "-t", "9", "127.0.0.1"],
    ]
    .into_iter()
    .map(|c| c.into_iter().map(str::to_string).collect())
    .collect();
    for size in 0..=16 {
        cases.push(
            ["-c", "1", "-s", &size.to_string(), "127.0.0.1"]
                .map(str::to_string)
                .to_vec(),
        );
    }
    for case in &cases {
        let args: Vec<&str> = case.iter().map(String::as_str).collect();
        let mut theirs = vec!["-n"];
        theirs.extend_from_slice(&args);
        let t = inside(&ns, "ping", &theirs);
        let mut ours = vec!["ping"];
        ours.extend_from_slice(&args);
        let o = ipkit_in(&ns, &ours);
        assert_eq!(o.status.code(), t.status.code(), "{args:?}");
        assert_eq!(mask_times(&stdout(&o)), mask_times(&stdout(&t)), "{args:?}");
    }
}

#[test]
fn the_windows_view_of_ipv6_matches_a_windows_capture() {
    // The capture's lines, with the address and the times as placeholders.
    let shape = |text: &str, addr: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let l = l.replace(addr, "ADDR").replace("time<1ms", "time=0ms");
                let l = mask_after(&l, "time=");
                ["Minimum = ", "Maximum = ", "Average = "]
                    .iter()
                    .fold(l, |l, p| mask_after(&l, p))
            })
            .collect()
    };
    let capture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/windows-ping-ipv6.txt"
    ))
    .expect("the capture");
    let o = ipkit(&["ping", "--windows", "-n", "4", "::1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        shape(&stdout(&o), "::1"),
        shape(&capture, "2606:4700:4700::1001")
    );
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
        let mut c = ipkit_command();
        c.args(["ping", "--json", "-c", "20", "-i", "0.01", "127.0.0.1"]);
        start(c)
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let o = collect(child, LIMIT);
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

fn lab_records(lab: &crate::lab::RouterLab, args: &[&str]) -> (Option<i32>, Vec<Value>) {
    let mut all = vec!["ping", "--json"];
    all.extend_from_slice(args);
    let o = ipkit_in(&lab.client, &all);
    (
        o.status.code(),
        stdout(&o)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect(),
    )
}

/// `ipkit ping --alive` over `range` from `ns`, quickly (no rate limit, 0.3 s wait).
fn alive_in(ns: &Netns, range: &str) -> Output {
    ipkit_in(ns, &["ping", "--alive", "--rate", "0", "-W", "0.3", range])
}

/// The route of the first reply in ipkit's records.
fn route_of(recs: &[Value]) -> Vec<String> {
    first(recs, "reply").expect("a reply")["route"]
        .as_array()
        .expect("a route")
        .iter()
        .map(|a| a.as_str().expect("an address").to_string())
        .collect()
}

/// The route iputils `ping -R` records from `ns` to `target` (its RR: lines).
fn iputils_route(ns: &Netns, target: &str) -> Vec<String> {
    crate::lab::ensure_installed("ping", "iputils-ping");
    let o = inside(ns, "ping", &["-n", "-c", "1", "-W", "2", "-R", target]);
    assert_eq!(o.status.code(), Some(0), "iputils -R: {}", stderr(&o));
    let text = stdout(&o);
    let rr = &text[text.find("RR: ").expect("an RR: list") + 4..];
    let route: Vec<String> = rr
        .lines()
        .map_while(|l| l.strip_prefix('\t'))
        .map(str::to_string)
        .collect();
    assert!(route.len() >= 3, "{text}");
    route
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
    let (code, recs) = lab_records(&lab, &["-c", "2", "-i", "0.1", "-W", "0.5", "198.51.100.2"]);
    assert_eq!(code, Some(1));
    assert_eq!(recs.iter().filter(|r| r["type"] == "timeout").count(), 2);
    let s = first(&recs, "summary").unwrap();
    assert_eq!(
        (s["received"].as_u64(), s["loss_percent"].as_f64()),
        (Some(0), Some(100.0))
    );
}

#[test]
fn unprivileged_socket_and_the_missing_privilege_message() {
    if !crate::lab::can_use_namespaces("unprivileged_socket_and_the_missing_privilege_message") {
        return;
    }
    let _serial = crate::lab::lab_lock();
    let lab = crate::lab::RouterLab::new();
    // As nobody, without CAP_NET_RAW: only the unprivileged ICMP socket.
    let as_nobody = |args: &[&str]| as_nobody(&lab.client, env!("CARGO_BIN_EXE_ipkit"), args);
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
    assert_eq!(o.status.code(), Some(1), "one unreachable: {}", stderr(&o));
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
    assert_eq!(
        route_of(&records_of(&o)),
        iputils_route(&lab.client, "198.51.100.2"),
        "the route iputils records on the same path"
    );
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
    let o = ipkit_in(
        &lab.client,
        &[
            "ping",
            "--windows",
            "-n",
            "1",
            "-i",
            "1",
            "-w",
            "2000",
            "198.51.100.2",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("Reply from 192.0.2.1: TTL expired in transit.\n"),
        "{}",
        stdout(&o)
    );
    crate::lab::RouterLab::sysctl(&lab.server, "net.ipv4.icmp_echo_ignore_all", "1");
    let o = ipkit_in(
        &lab.client,
        &["ping", "--windows", "-n", "1", "-w", "300", "198.51.100.2"],
    );
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
    // Each as it answers (in any order), as fping -a.
    let mut alive: Vec<std::net::Ipv4Addr> = stdout(&o)
        .lines()
        .map(|l| l.parse().expect("an address per line"))
        .collect();
    alive.sort_unstable();
    let expected: Vec<std::net::Ipv4Addr> = (1..=254).map(|i| [127, 0, 0, i].into()).collect();
    assert_eq!(
        alive, expected,
        "network and broadcast are skipped, the rest of 127/8 answers"
    );
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
    // Over --limit: refused. Should the refusal break, the sweep stays in
    // a namespace that has only loopback.
    if crate::lab::can_use_namespaces("sweeps_ranges_and_lists") {
        let ns = loopback_only();
        let o = ipkit_in(&ns, &["ping", "--alive", "--limit", "256", "10.0.0.0/23"]);
        assert_eq!(o.status.code(), Some(2), "over --limit");
        assert!(stderr(&o).contains("--limit"));
        assert_eq!(stdout(&o), "");
    }
    // -c: every target gets COUNT probes and a summary line, fping -c style.
    let o = ipkit(&["ping", "-c", "3", "-i", "0.05", "127.0.0.1", "::1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 9, "{lines:?}");
    // Each reply as it comes (names padded to the longest, as fping), an
    // empty line, then the summaries.
    for target in ["127.0.0.1", "::1"] {
        for round in 0..3 {
            let head = format!("{target:<9} : [{round}], 64 bytes, ");
            assert!(
                lines
                    .iter()
                    .any(|l| l.starts_with(&head) && l.ends_with(" avg, 0% loss)")),
                "{head} missing: {lines:?}"
            );
        }
    }
    assert_eq!(lines[6], "");
    assert!(
        lines[7].starts_with("127.0.0.1 : xmt/rcv/%loss = 3/3/0%, min/avg/max = "),
        "{lines:?}"
    );
    assert!(
        lines[8].starts_with("::1       : xmt/rcv/%loss = 3/3/0%, min/avg/max = "),
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
    let o = ipkit_in(
        &lab.client,
        &[
            "ping",
            "--unreachable",
            "--rate",
            "0",
            "--retries",
            "1",
            "-W",
            "0.3",
            "198.51.100.0/29",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "some are unreachable, as fping -u: {}",
        stderr(&o)
    );
    assert_eq!(
        stdout(&o),
        "198.51.100.3\n198.51.100.4\n198.51.100.5\n198.51.100.6\n"
    );
    let o = alive_in(&lab.client, "198.51.100.0/29");
    assert_eq!(stdout(&o), "198.51.100.1\n198.51.100.2\n");
    let o = ipkit_in(
        &lab.client,
        &[
            "ping",
            "--rate",
            "0",
            "--retries",
            "0",
            "-W",
            "0.2",
            "198.51.100.5",
            "198.51.100.6",
        ],
    );
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
    assert_eq!(code, Some(1), "one of the two did not answer, as fping");
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
        assert_eq!(code, Some(1), "{recs:?}");
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
        let o = ipkit_in(&lab.client, &text_args);
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
    let o = ipkit_in(
        &lab.client,
        &["ping", "-s", "8", "198.51.100.1", "198.51.100.2"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("-s 8"), "{}", stderr(&o));
    // Options a sweep cannot honour are refused, not ignored.
    let o = ipkit_in(&lab.client, &["ping", "-R", "198.51.100.1", "198.51.100.2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("record route"), "{}", stderr(&o));
    // IPv6 ranges: the router (::1) and the server (::2) answer, ::3–::7 do not.
    // A fresh lab's first IPv6 packet waits up to a second for its links'
    // link-local addresses and neighbour discovery: one ping settles that.
    let o = ipkit_in(
        &lab.client,
        &["ping", "-c", "1", "-W", "5", "2001:db8:2::2"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = alive_in(&lab.client, "2001:db8:2::/125");
    assert_eq!(
        o.status.code(),
        Some(1),
        "::3 to ::7 are silent: {}",
        stderr(&o)
    );
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
    let route = route_of(&recs);
    assert_eq!(
        route,
        iputils_route(&lab.client, "198.51.100.2"),
        "as iputils records it"
    );
    // Out from the client, through the router (its far side) to the
    // server, and back through the router (its near side).
    assert_eq!(&route[..3], ["192.0.2.2", "198.51.100.1", "198.51.100.2"]);
    assert!(route[3..].contains(&"192.0.2.1".to_string()), "{route:?}");
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
    let o = ipkit_in(
        &lab.client,
        &["ping", "-c", "1", "-W", "2", "-R", "198.51.100.2"],
    );
    assert!(stdout(&o).contains("RR: \t"), "{}", stdout(&o));
    assert!(stdout(&o).contains("\t198.51.100.1\n"), "{}", stdout(&o));
    // Loose source route through the router: Linux drops source-routed
    // packets by default, and ipkit says so when nothing comes back.
    let o = ipkit_in(
        &lab.client,
        &[
            "ping",
            "-c",
            "1",
            "-W",
            "0.5",
            "--loose-route",
            "192.0.2.1",
            "198.51.100.2",
        ],
    );
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
    // Accepted once every hop allows it, and the path taken is the source
    // route's: without its default route the client cannot reach the
    // server, except through the source route, whose first hop is on its
    // own link.
    lab.client
        .ip(&["-n", &lab.client.name, "route", "del", "default"]);
    let (code, recs) = lab_records(&lab, &["-c", "1", "-W", "1", "198.51.100.2"]);
    assert_eq!(code, Some(1), "no route without the source route: {recs:?}");
    assert!(first(&recs, "reply").is_none(), "{recs:?}");
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
    assert_eq!(
        code,
        Some(0),
        "through the router by the source route: {recs:?}"
    );
    assert_eq!(first(&recs, "reply").unwrap()["from"], "198.51.100.2");
    lab.client.ip(&[
        "-n",
        &lab.client.name,
        "route",
        "add",
        "default",
        "via",
        "192.0.2.1",
    ]);
    // Windows letters -r and -j do the same.
    let o = ipkit_in(
        &lab.client,
        &[
            "ping",
            "--windows",
            "-n",
            "1",
            "-r",
            "4",
            "-j",
            "192.0.2.1",
            "198.51.100.2",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("    Route: "), "{}", stdout(&o));
    // Options are IPv4 only, and must fit the header.
    let o = ipkit_in(&lab.client, &["ping", "-c", "1", "-R", "2001:db8:2::2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("IPv4 only"), "{}", stderr(&o));
    let o = ipkit_in(
        &lab.client,
        &["ping", "-c", "1", "-R", "-T", "tsandaddr", "198.51.100.2"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("40"), "{}", stderr(&o));
    // --resolve names the hosts that answer, from the namespace's own hosts
    // file (no DNS leaves the namespace).
    std::fs::write(
        format!("/etc/netns/{}/hosts", lab.client.name),
        "192.0.2.1 router.lab\n198.51.100.2 server.lab\n",
    )
    .expect("hosts");
    let o = ipkit_in(
        &lab.client,
        &["ping", "-c", "1", "-W", "2", "--resolve", "198.51.100.2"],
    );
    assert!(
        stdout(&o).contains("bytes from server.lab (198.51.100.2): icmp_seq=1"),
        "{}",
        stdout(&o)
    );
    let o = ipkit_in(
        &lab.client,
        &[
            "ping",
            "-c",
            "1",
            "-W",
            "2",
            "-t",
            "1",
            "--resolve",
            "198.51.100.2",
        ],
    );
    assert!(
        stdout(&o).contains("From router.lab (192.0.2.1) icmp_seq=1 Time to live exceeded"),
        "{}",
        stdout(&o)
    );
    let o = ipkit_in(
        &lab.client,
        &["ping", "--windows", "-n", "1", "-a", "198.51.100.2"],
    );
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
