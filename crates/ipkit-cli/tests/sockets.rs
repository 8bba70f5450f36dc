//! `ipkit sockets` and `ipkit kill` against sockets and processes the tests
//! make themselves, on loopback.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::util::{ipkit, stderr, stdout};

fn sockets(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["sockets", "--json"];
    all.extend_from_slice(args);
    let o = ipkit(&all);
    let found: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["type"] == "socket" || r["type"] == "unix")
        .map(|r| r["data"].clone())
        .collect();
    // 0 with a match, 1 without, as grep.
    let want = if found.is_empty() { 1 } else { 0 };
    assert_eq!(o.status.code(), Some(want), "{all:?}: {}", stderr(&o));
    found
}

/// `sockets(args)` once no process but this one holds what it lists. Other
/// tests of this binary start children all the time, and a child holds a
/// copy of every descriptor between its fork and its exec: asked at that
/// instant, the kernel rightly names it as a second owner. Asking again a
/// moment later sees only this process; a socket truly shared stays shared.
fn sockets_owned_by(me: u64, args: &[&str]) -> Vec<Value> {
    let mut found = sockets(args);
    for _ in 0..10 {
        if found.iter().all(|s| owner_pids(s) == vec![me]) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        found = sockets(args);
    }
    found
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
    let mut found: Vec<_> = sockets_owned_by(me, &["--port", &p4.port().to_string()])
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
        let found = sockets_owned_by(me, &["--udp", "--port", &port]);
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

/// Run a shell script in a fresh PID and network namespace (only loopback,
/// up), so the processes `ipkit kill` sees and may signal are the script's own
/// and nothing else can take a port the script freed. The script finds ipkit
/// as `$ipkit`, and `listen [ignore-term]` starts a perl listener on a
/// loopback port, setting `$pid` and `$port`. Output is stdout and stderr
/// together; the script echoes `name=value` markers for the test to read.
fn in_sandbox(script: &str) -> String {
    let prelude = r#"
ip link set lo up
ipkit="$0"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
listen() {
  rm -f "$tmp/port"
  if [ "${1:-}" = ignore-term ]; then trap_term='$SIG{TERM} = "IGNORE";'; else trap_term=''; fi
  perl -e "$trap_term"'use IO::Socket::INET; $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 5, Proto => "tcp") or die; open(F, ">", $ARGV[0]) or die; print F $s->sockport, "\n"; close F; sleep 60;' "$tmp/port.w" &
  pid=$!
  while [ ! -s "$tmp/port.w" ]; do sleep 0.01; done
  port=$(cat "$tmp/port.w"); rm -f "$tmp/port.w"
  echo "pid=$pid"
}
"#;
    let o = crate::util::run_limited(
        Command::new("unshare")
            .args(["--pid", "--fork", "--mount-proc", "--net", "sh", "-c"])
            .arg(format!("{prelude}\n{script}"))
            .arg(env!("CARGO_BIN_EXE_ipkit"))
            .env("NO_COLOR", "1"),
        b"",
        std::time::Duration::from_secs(60),
    );
    format!("{}{}", stdout(&o), stderr(&o))
}

/// The value of the last `name=value` marker line.
fn marker<'a>(text: &'a str, name: &str) -> &'a str {
    let prefix = format!("{name}=");
    text.lines()
        .rev()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {name}= in:\n{text}"))
}

fn sandbox_ok(test: &str) -> bool {
    crate::lab::can_use_namespaces(test)
}

#[test]
fn kill_by_port_ends_the_listener() {
    if !sandbox_ok("kill_by_port_ends_the_listener") {
        return;
    }
    let text = in_sandbox(
        r#"listen
"$ipkit" kill --port "$port" --yes; echo "kill=$?"
wait "$pid"; echo "child=$?"
echo "listening=$("$ipkit" sockets --json --listen --port "$port" | grep -c '"socket"')"
"$ipkit" kill --port "$port" --yes; echo "again=$?""#,
    );
    let pid = marker(&text, "pid");
    assert_eq!(marker(&text, "kill"), "0", "{text}");
    assert!(text.contains(&format!("will signal {pid} (perl")), "{text}");
    assert!(text.contains("ended after SIGTERM"), "{text}");
    assert_eq!(marker(&text, "child"), "143", "ended by SIGTERM: {text}");
    assert_eq!(marker(&text, "listening"), "0", "the port is free: {text}");
    // Nothing holds it now: exit 1 and a line saying so.
    assert_eq!(marker(&text, "again"), "1", "{text}");
    assert!(text.contains("no socket uses local port"), "{text}");
}

#[test]
fn kill_force_follows_an_ignored_sigterm_with_sigkill() {
    if !sandbox_ok("kill_force_follows_an_ignored_sigterm_with_sigkill") {
        return;
    }
    let text = in_sandbox(
        r#"listen ignore-term
"$ipkit" kill --port "$port" --yes --grace 0.3; echo "soft=$?"
kill -0 "$pid" && echo "alive=yes"
"$ipkit" kill --pid "$pid" --yes --grace 0.3 --force; echo "force=$?"
wait "$pid"; echo "child=$?""#,
    );
    assert_eq!(
        marker(&text, "soft"),
        "1",
        "still running without --force: {text}"
    );
    assert!(text.contains("still running"), "{text}");
    assert_eq!(marker(&text, "alive"), "yes", "SIGTERM was ignored: {text}");
    assert_eq!(marker(&text, "force"), "0", "{text}");
    assert!(text.contains("killed with SIGKILL"), "{text}");
    assert_eq!(marker(&text, "child"), "137", "ended by SIGKILL: {text}");
}

#[test]
fn kill_refuses_init_itself_and_kernel_threads() {
    if !sandbox_ok("kill_refuses_init_itself_and_kernel_threads") {
        return;
    }
    let text = in_sandbox(
        r#"listen
# Without a terminal and without --yes: refuse to guess.
"$ipkit" kill --port "$port" < /dev/null; echo "guess=$?"
kill -0 "$pid" && echo "alive=yes"
# As another user (nobody): root's listener is invisible, and root's process
# may not be signalled; both are said, and nothing is sent.
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$ipkit" "$@"; }
nobody kill --port "$port" --yes; echo "nobody_port=$?"
nobody kill --pid "$pid" --yes; echo "nobody_pid=$?"
kill -0 "$pid" && echo "alive_after_nobody=yes"
# PID 1 of this namespace is the shell running this script.
"$ipkit" kill --pid 1 --yes; echo "init=$?"
# ipkit itself.
sh -c 'exec "$0" kill --pid $$ --yes' "$ipkit"; echo "itself=$?"
kill "$pid""#,
    );
    assert_eq!(marker(&text, "guess"), "2", "{text}");
    assert!(text.contains("--yes"), "{text}");
    assert_eq!(
        marker(&text, "alive"),
        "yes",
        "nothing was signalled: {text}"
    );
    assert_eq!(marker(&text, "nobody_port"), "1", "{text}");
    assert!(text.contains("no process this user may see"), "{text}");
    assert_eq!(marker(&text, "nobody_pid"), "2", "{text}");
    assert!(text.contains("may not signal"), "{text}");
    assert_eq!(marker(&text, "alive_after_nobody"), "yes", "{text}");
    assert_eq!(marker(&text, "init"), "2", "{text}");
    assert!(text.contains("PID 1"), "{text}");
    assert_eq!(marker(&text, "itself"), "2", "{text}");
    assert!(text.contains("ipkit itself"), "{text}");
    // A kernel thread (kthreadd) is only visible from the host's PID
    // namespace; ask as nobody, who could not signal it even if the refusal
    // broke.
    let kthread = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "kthreadd")
        });
    match kthread {
        Some(pid) => {
            let o =
                crate::lab::ipkit_as_nobody(None, &["kill", "--pid", &pid.to_string(), "--yes"]);
            assert_eq!(o.status.code(), Some(2));
            assert!(stderr(&o).contains("kernel thread"), "{}", stderr(&o));
        }
        None => crate::util::report_skip(
            "kill_refuses_init_itself_and_kernel_threads (kernel thread part)",
            "no kernel thread visible in this PID namespace",
        ),
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
    if !sandbox_ok("kill_asks_on_a_terminal") {
        return;
    }
    let text = in_sandbox(
        r#"listen
printf 'n\n' | script -q -e -c "$ipkit kill --port $port" /dev/null; echo "no=$?"
kill -0 "$pid" && echo "alive=yes"
printf 'y\n' | script -q -e -c "$ipkit kill --port $port" /dev/null; echo "yes=$?"
wait "$pid"; echo "child=$?""#,
    );
    assert_eq!(marker(&text, "no"), "3", "declined is its own code: {text}");
    assert!(text.contains("Send SIGTERM to 1 process? [y/N]"), "{text}");
    assert!(text.contains("nothing was signalled"), "{text}");
    assert_eq!(
        marker(&text, "alive"),
        "yes",
        "still running after 'n': {text}"
    );
    assert_eq!(marker(&text, "yes"), "0", "{text}");
    assert!(text.contains("ended after SIGTERM"), "{text}");
    assert_eq!(marker(&text, "child"), "143", "{text}");
}

/// ss's and netstat's most-typed lines work as typed: `-p` shows processes
/// (ss -tlnp, netstat -tulpn), bundled letters, and the same sockets as ss
/// lists for the same question (side by side, in a namespace of our own).
#[test]
fn ss_and_netstat_letters_work_as_typed() {
    if !crate::lab::can_use_namespaces("ss_and_netstat_letters_work_as_typed") {
        return;
    }
    let text = in_sandbox(
        r#"listen
echo "ours=$("$ipkit" sockets -tlnp --json | grep -c '"type":"socket"')"
echo "theirs=$(ss -tlnpH | wc -l)"
"$ipkit" netstat -tulpn > /dev/null; echo "netstat=$?"
"$ipkit" sockets -an > /dev/null; echo "an=$?"
"$ipkit" sockets -tlnp | grep -q "perl" && echo "named=yes"
"$ipkit" sockets --port 1 > /dev/null; echo "none=$?"
"$ipkit" sockets --port 1 --json > /dev/null; echo "none_json=$?"
kill "$pid""#,
    );
    assert_eq!(marker(&text, "ours"), marker(&text, "theirs"), "{text}");
    assert_eq!(marker(&text, "ours"), "1", "{text}");
    assert_eq!(marker(&text, "netstat"), "0", "{text}");
    assert_eq!(marker(&text, "an"), "0", "{text}");
    assert_eq!(marker(&text, "named"), "yes", "{text}");
    assert_eq!(marker(&text, "none"), "1", "no match is 1: {text}");
    assert_eq!(marker(&text, "none_json"), "1", "{text}");
}

/// `ipkit kill PID`, `--name`, and taskkill's spelling (`/F /PID`, `/IM`),
/// inside a sandbox of our own.
#[test]
fn kill_by_bare_pid_name_and_taskkill_spelling() {
    if !crate::lab::can_use_namespaces("kill_by_bare_pid_name_and_taskkill_spelling") {
        return;
    }
    let text = in_sandbox(
        r#"listen
"$ipkit" kill "$pid" --yes --grace 1; echo "bare=$?"
wait "$pid"; echo "bare_child=$?"
listen
"$ipkit" taskkill /F /PID "$pid" --yes --grace 1; echo "taskkill=$?"
wait "$pid"; echo "taskkill_child=$?"
listen
"$ipkit" taskkill /IM perl.exe --yes --grace 1; echo "image=$?"
wait "$pid"; echo "image_child=$?"
"$ipkit" kill --name no-such-process --yes; echo "noname=$?""#,
    );
    for (mark, want) in [
        ("bare", "0"),
        ("bare_child", "143"),
        ("taskkill", "0"),
        ("taskkill_child", "143"),
        ("image", "0"),
        ("image_child", "143"),
        ("noname", "1"),
    ] {
        assert_eq!(marker(&text, mark), want, "{mark}: {text}");
    }
}
