//! `ipkit sockets` and `ipkit kill` against sockets and processes the tests
//! make themselves, on loopback.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::util::{ipkit, stderr, stdout};

fn sockets(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["sockets", "--json"];
    all.extend_from_slice(args);
    let o = ipkit(&all);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["type"] == "socket")
        .map(|r| r["data"].clone())
        .collect()
}

fn describe(s: &Value) -> (String, String, String, String) {
    (
        s["transport"].as_str().unwrap().to_string(),
        s["state"].as_str().unwrap().to_string(),
        s["local"].as_str().unwrap().to_string(),
        s["remote"].as_str().unwrap().to_string(),
    )
}

fn owner_pids(s: &Value) -> Vec<u64> {
    s["owners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["pid"].as_u64().unwrap())
        .collect()
}

#[test]
fn finds_exactly_the_sockets_this_test_opened_with_its_pid() {
    let me = u64::from(std::process::id());
    let tcp4 = TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp6 = TcpListener::bind("[::1]:0").unwrap();
    let udp4 = UdpSocket::bind("127.0.0.1:0").unwrap();
    let udp6 = UdpSocket::bind("[::1]:0").unwrap();
    let client = TcpStream::connect(tcp4.local_addr().unwrap()).unwrap();
    let (accepted, _) = tcp4.accept().unwrap();
    let (p4, p6) = (tcp4.local_addr().unwrap(), tcp6.local_addr().unwrap());
    let (c, a) = (client.local_addr().unwrap(), accepted.local_addr().unwrap());

    // A port question: the listener and both ends of the connection, all ours.
    let mut found: Vec<_> = sockets(&["--port", &p4.port().to_string()])
        .iter()
        .map(|s| {
            assert_eq!(owner_pids(s), vec![me], "{s}");
            describe(s)
        })
        .collect();
    found.sort();
    let mut expected = vec![
        (
            "tcp".into(),
            "LISTEN".into(),
            p4.to_string(),
            "0.0.0.0:0".to_string(),
        ),
        (
            "tcp".into(),
            "ESTABLISHED".into(),
            c.to_string(),
            p4.to_string(),
        ),
        (
            "tcp".into(),
            "ESTABLISHED".into(),
            a.to_string(),
            c.to_string(),
        ),
    ];
    expected.sort();
    assert_eq!(found, expected);

    // Filters: listening only, state, family, transport.
    let listening = sockets(&["--listen", "--port", &p4.port().to_string()]);
    assert_eq!(listening.len(), 1);
    let established = sockets(&["--state", "established", "--port", &p4.port().to_string()]);
    assert_eq!(established.len(), 2);
    assert!(sockets(&["-6", "--port", &p4.port().to_string()]).is_empty());
    assert!(sockets(&["--udp", "--port", &p4.port().to_string()]).is_empty());
    let v6 = sockets(&["-6", "--tcp", "--port", &p6.port().to_string()]);
    assert_eq!(v6.len(), 1);
    assert_eq!(describe(&v6[0]).2, p6.to_string());
    for u in [&udp4, &udp6] {
        let port = u.local_addr().unwrap().port().to_string();
        let found = sockets(&["--udp", "--port", &port]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(describe(&found[0]).2, u.local_addr().unwrap().to_string());
        assert_eq!(owner_pids(&found[0]), vec![me]);
        // An unconnected UDP socket counts as listening, as in ss -l.
        assert_eq!(sockets(&["--listen", "--udp", "--port", &port]).len(), 1);
        assert!(sockets(&["--listen", "--tcp", "--port", &port]).is_empty());
    }
    // By process id: ours include every one of them.
    let mine: Vec<String> = sockets(&["--pid", &me.to_string()])
        .iter()
        .map(|s| describe(s).2)
        .collect();
    for want in [
        p4,
        p6,
        c,
        a,
        udp4.local_addr().unwrap(),
        udp6.local_addr().unwrap(),
    ] {
        assert!(
            mine.contains(&want.to_string()),
            "{want} missing from {mine:?}"
        );
    }
    // The human views name the process and pid; Windows' netstat -a -o layout too.
    let o = ipkit(&[
        "sockets",
        "-n",
        "--listen",
        "--port",
        &p4.port().to_string(),
    ]);
    let text = stdout(&o);
    assert!(text.contains(&format!("pid={me},")), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{}", p4.port())), "{text}");
    // -e: the socket's uid and inode (as ss -e).
    let listening = sockets(&["--listen", "--port", &p4.port().to_string()]);
    let (uid, inode) = (
        listening[0]["uid"].as_u64().unwrap(),
        listening[0]["inode"].as_u64().unwrap(),
    );
    let o = ipkit(&[
        "sockets",
        "-e",
        "--listen",
        "--port",
        &p4.port().to_string(),
    ]);
    let text = stdout(&o);
    assert!(text.contains(&format!(" uid={uid}(")), "{text}");
    assert!(text.contains(&format!(" ino={inode}")), "{text}");
    // The chapter's `netstat -a -o`.
    let o = ipkit(&["netstat", "-a", "-o", "--port", &p4.port().to_string()]);
    let text = stdout(&o);
    assert!(
        text.lines().any(|l| l.trim_start().starts_with("TCP")
            && l.contains(&p4.to_string())
            && l.contains("LISTENING")
            && l.trim_end().ends_with(&me.to_string())),
        "{text}"
    );
    // Bad input: one line, exit 2.
    let o = ipkit(&["sockets", "--state", "sleeping"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    drop((client, accepted));
}

/// A child (perl, which every Debian has) that listens on a loopback port and
/// prints it; with `ignore_term`, SIGTERM is ignored.
fn listener_child(ignore_term: bool) -> (Child, u16) {
    let script = format!(
        "{}use IO::Socket::INET; $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 5, Proto => 'tcp') or die; $| = 1; print $s->sockport, \"\\n\"; sleep 60;",
        if ignore_term {
            "$SIG{TERM} = 'IGNORE'; "
        } else {
            ""
        }
    );
    let mut child = Command::new("perl")
        .args(["-e", &script])
        .stdout(Stdio::piped())
        .spawn()
        .expect("perl");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().parse().expect("a port"))
}

#[test]
fn kill_by_port_ends_the_listener() {
    let (mut child, port) = listener_child(false);
    let o = ipkit(&["kill", "--port", &port.to_string(), "--yes"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains(&format!("will signal {} (perl", child.id())),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("ended after SIGTERM"), "{}", stdout(&o));
    // The child is gone (reaped here), and the port is free.
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert!(sockets(&["--port", &port.to_string(), "--listen"]).is_empty());
    // Nothing holds it now: exit 1 and a line saying so.
    let o = ipkit(&["kill", "--port", &port.to_string(), "--yes"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no socket uses local port"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn kill_force_follows_an_ignored_sigterm_with_sigkill() {
    let (mut child, port) = listener_child(true);
    let o = ipkit(&[
        "kill",
        "--port",
        &port.to_string(),
        "--yes",
        "--grace",
        "0.3",
    ]);
    assert_eq!(o.status.code(), Some(1), "still running without --force");
    assert!(stdout(&o).contains("still running"), "{}", stdout(&o));
    assert!(child.try_wait().unwrap().is_none(), "SIGTERM was ignored");
    let o = ipkit(&[
        "kill",
        "--pid",
        &child.id().to_string(),
        "--yes",
        "--grace",
        "0.3",
        "--force",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("killed with SIGKILL"), "{}", stdout(&o));
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(child.wait().unwrap().signal(), Some(9));
}

#[test]
fn kill_refuses_init_itself_and_kernel_threads() {
    // Without a terminal and without --yes: refuse to guess.
    let (mut child, port) = listener_child(false);
    let o = ipkit(&["kill", "--port", &port.to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--yes"), "{}", stderr(&o));
    assert!(child.try_wait().unwrap().is_none(), "nothing was signalled");
    child.kill().unwrap();
    child.wait().unwrap();
    if !crate::lab::can_use_namespaces("kill_refuses_init_itself_and_kernel_threads") {
        return;
    }
    // As another user (nobody): root's listener is invisible, and root's
    // process may not be signalled; both are said, and nothing is sent.
    let (mut child, port) = listener_child(false);
    let as_nobody = |args: &[&str]| crate::lab::ipkit_as_nobody(None, args);
    let o = as_nobody(&["kill", "--port", &port.to_string(), "--yes"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no process this user may see"),
        "{}",
        stderr(&o)
    );
    let o = as_nobody(&["kill", "--pid", &child.id().to_string(), "--yes"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("may not signal"), "{}", stderr(&o));
    assert!(child.try_wait().unwrap().is_none(), "still running");
    child.kill().unwrap();
    child.wait().unwrap();
    // PID 1 of a fresh PID namespace (a shell that outlives the refusal).
    let o = Command::new("unshare")
        .args([
            "--pid",
            "--fork",
            "--mount-proc",
            "sh",
            "-c",
            "\"$0\" kill --pid 1 --yes; echo \"exit=$?\"",
            env!("CARGO_BIN_EXE_ipkit"),
        ])
        .output()
        .expect("unshare");
    assert!(
        stdout(&o).contains("exit=2"),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
    assert!(stderr(&o).contains("PID 1"), "{}", stderr(&o));
    // ipkit itself.
    let o = Command::new("unshare")
        .args([
            "--pid",
            "--fork",
            "--mount-proc",
            "sh",
            "-c",
            "sh -c 'exec \"$0\" kill --pid $$ --yes' \"$0\"",
            env!("CARGO_BIN_EXE_ipkit"),
        ])
        .output()
        .expect("unshare");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("ipkit itself"), "{}", stderr(&o));
    // A kernel thread (kthreadd, when this PID namespace shows it).
    let kthread = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "kthreadd")
        });
    match kthread {
        Some(pid) => {
            let o = ipkit(&["kill", "--pid", &pid.to_string(), "--yes"]);
            assert_eq!(o.status.code(), Some(2));
            assert!(stderr(&o).contains("kernel thread"), "{}", stderr(&o));
        }
        None => eprintln!("no kernel thread visible here: that refusal is not exercised"),
    }
}

/// Every field sockets' NDJSON emits is documented in docs/json.md.
#[test]
fn socket_json_fields_are_documented() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/json.md"))
        .expect("docs/json.md");
    let section = &doc[doc.find("## `ipkit sockets`").expect("a sockets section")..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let o = ipkit(&["sockets", "--json", "--port", &port]);
    let mut checked = 0;
    for line in stdout(&o).lines() {
        let r: Value = serde_json::from_str(line).unwrap();
        for (key, value) in r["data"].as_object().unwrap() {
            assert!(
                section.contains(&format!("`{key}`")),
                "field {key} undocumented"
            );
            if key == "owners" {
                for owner_key in value[0].as_object().unwrap().keys() {
                    assert!(
                        section.contains(owner_key.as_str()),
                        "owner field {owner_key} undocumented"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 10, "{}", stdout(&o));
}

#[test]
fn unix_and_raw_sockets_with_their_owners() {
    let me = u64::from(std::process::id());
    let path = std::env::temp_dir().join(format!("ipkit-test-{me}.sock"));
    let _ = std::fs::remove_file(&path);
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let (left, right) = std::os::unix::net::UnixStream::pair().unwrap();
    let o = ipkit(&["sockets", "--unix", "--json", "--pid", &me.to_string()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let unix: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["type"] == "unix")
        .map(|r| r["data"].clone())
        .collect();
    let bound = unix
        .iter()
        .find(|u| u["path"] == path.to_str().unwrap())
        .unwrap_or_else(|| panic!("{} missing: {unix:?}", path.display()));
    assert_eq!(
        (bound["kind"].as_str(), bound["state"].as_str()),
        (Some("stream"), Some("LISTEN"))
    );
    assert_eq!(owner_pids(bound), vec![me]);
    // The pair: each end names the other's inode as its peer.
    let inodes: Vec<u64> = unix.iter().map(|u| u["inode"].as_u64().unwrap()).collect();
    let paired = unix
        .iter()
        .filter(|u| u["peer"].as_u64().is_some_and(|p| inodes.contains(&p)))
        .count();
    assert!(paired >= 2, "{unix:?}");
    let o = ipkit(&["sockets", "-x", "--pid", &me.to_string()]);
    assert!(
        stdout(&o).contains(path.to_str().unwrap()),
        "{}",
        stdout(&o)
    );
    drop((listener, left, right));
    let _ = std::fs::remove_file(&path);

    // Raw: a child holding a raw ICMP socket (needs root).
    if !crate::lab::can_use_namespaces("unix_and_raw_sockets_with_their_owners (raw part)") {
        return;
    }
    let mut child = Command::new("perl")
        .args([
            "-e",
            "use Socket; socket(my $s, PF_INET, SOCK_RAW, 1) or die \"$!\"; $| = 1; print \"ready\\n\"; sleep 60;",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    let found = sockets(&["--raw", "--pid", &child.id().to_string()]);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["transport"], "raw");
    assert_eq!(
        found[0]["local"], "0.0.0.0:1",
        "the protocol, ICMP, as its port"
    );
    assert_eq!(owner_pids(&found[0]), vec![u64::from(child.id())]);
}

/// On a terminal (a pty from `script`, which every Debian has) kill asks,
/// and only "y" goes ahead.
#[test]
fn kill_asks_on_a_terminal() {
    let (mut child, port) = listener_child(false);
    let ask = |answer: &str| {
        let mut c = Command::new("script")
            .args([
                "-q",
                "-e",
                "-c",
                &format!("{} kill --port {port}", env!("CARGO_BIN_EXE_ipkit")),
                "/dev/null",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("script");
        use std::io::Write;
        c.stdin
            .take()
            .unwrap()
            .write_all(answer.as_bytes())
            .unwrap();
        c.wait_with_output().unwrap()
    };
    let o = ask("n\n");
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("Send SIGTERM to 1 process? [y/N]"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("nothing was signalled"),
        "{}",
        stdout(&o)
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "still running after 'n'"
    );
    let o = ask("y\n");
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("ended after SIGTERM"), "{}", stdout(&o));
    assert!(!child.wait().unwrap().success());
}
