//! `ipkit serve echo` and `ipkit serve http` over real sockets on 127.0.0.1
//! and ::1. The anchors: `ss` (iproute2) for what is listening, curl and a
//! headless Chromium as real clients, RFC 9110's status codes, ipinfo's
//! JSON shape, and the Common Log Format as Apache documents it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::lab::ensure_installed;
use crate::util::{finish_limited, ipkit, run, signal, stderr, stdout};

/// A server this test started: `ipkit serve … --json --port 0`, its NDJSON
/// stdout read line by line on a thread.
pub struct Server {
    child: Child,
    /// The port every listener shares.
    pub port: u16,
    /// The records so far.
    records: Arc<Mutex<Vec<Value>>>,
    stderr: Option<std::process::ChildStderr>,
}

impl Server {
    /// Start `ipkit ARGS --json` (with `--port 0` unless ARGS name one),
    /// through `prefix` (e.g. `prlimit --nofile=…`), and wait for its
    /// `listening` records.
    pub fn start_with(prefix: &[&str], args: &[&str], listeners: usize) -> Server {
        let bin = env!("CARGO_BIN_EXE_ipkit");
        let mut argv: Vec<&str> = prefix.to_vec();
        argv.push(bin);
        argv.extend_from_slice(args);
        argv.push("--json");
        if !args.contains(&"--port") {
            argv.extend_from_slice(&["--port", "0"]);
        }
        let mut child = Command::new(argv[0])
            .args(&argv[1..])
            .env("NO_COLOR", "1")
            .env_remove("IPKIT_DB")
            .env("XDG_DATA_HOME", "/nonexistent-ipkit-test")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ipkit serve");
        let records = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().expect("stdout");
        let sink = Arc::clone(&records);
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                let v: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not an NDJSON record: {line:?}: {e}"));
                sink.lock().unwrap().push(v);
            }
        });
        let mut server = Server {
            child,
            port: 0,
            records,
            stderr: None,
        };
        server.stderr = server.child.stderr.take();
        let listening = server.wait_for("listening", listeners);
        let ports: Vec<u64> = listening
            .iter()
            .map(|r| {
                let a: SocketAddr = r["data"]["address"].as_str().unwrap().parse().unwrap();
                u64::from(a.port())
            })
            .collect();
        assert!(ports.iter().all(|p| *p == ports[0]), "{listening:?}");
        server.port = u16::try_from(ports[0]).unwrap();
        server
    }

    /// Start `ipkit ARGS --json --port 0` on 0.0.0.0 and ::.
    pub fn start(args: &[&str], listeners: usize) -> Server {
        Server::start_with(&[], args, listeners)
    }

    /// The records of `kind` once there are at least `n` (30 s at most).
    pub fn wait_for(&mut self, kind: &str, n: usize) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let found: Vec<Value> = self
                .records
                .lock()
                .unwrap()
                .iter()
                .filter(|r| r["type"] == kind)
                .cloned()
                .collect();
            if found.len() >= n {
                return found;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = self.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("ipkit serve ended ({status}) before {n} {kind} records: {err}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "fewer than {n} {kind} records after 30 s: {:?}",
                self.records.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// An address on loopback of the family `v6` says.
    pub fn at(&self, v6: bool) -> SocketAddr {
        let ip = if v6 { "::1" } else { "127.0.0.1" };
        SocketAddr::new(ip.parse().unwrap(), self.port)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Send `sig`, wait for the exit (30 s at most); (exit code, records,
    /// stderr).
    pub fn stop(mut self, sig: &str) -> (Option<i32>, Vec<Value>, String) {
        signal(&self.child, sig);
        self.child.stderr = self.stderr.take();
        let o = finish_limited(&mut self.child, b"", Duration::from_secs(30), "ipkit serve");
        // The reader thread has seen EOF once the process is gone.
        std::thread::sleep(Duration::from_millis(50));
        let records = self.records.lock().unwrap().clone();
        (o.status.code(), records, stderr(&o))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn echo_over_tcp(at: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect_timeout(&at, Duration::from_secs(5)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(payload).unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let mut back = Vec::new();
    s.read_to_end(&mut back).unwrap();
    back
}

fn echo_over_udp(at: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let local = if at.is_ipv6() {
        "[::1]:0"
    } else {
        "127.0.0.1:0"
    };
    let s = UdpSocket::bind(local).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.send_to(payload, at).unwrap();
    let mut buf = [0u8; 2048];
    let (n, from) = s.recv_from(&mut buf).expect("an echoed datagram");
    assert_eq!(from, at, "the answer comes from the address asked");
    buf[..n].to_vec()
}

/// The listening sockets `ss` (the anchor) shows on `port`, as
/// "tcp 0.0.0.0:P" lines, sorted.
fn ss_listeners(port: u16) -> Vec<String> {
    let o =
        run(Command::new("ss").args(["-H", "-l", "-n", "-t", "-u", &format!("sport = :{port}")]));
    assert!(o.status.success(), "ss: {}", stderr(&o));
    let mut lines: Vec<String> = stdout(&o)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            format!("{} {}", f[0], f[4])
        })
        .collect();
    lines.sort();
    lines
}

/// The JSON records of `ipkit serve echo` serving one TCP connection and
/// one datagram: the contract test (json_contract.rs) reads them.
pub fn echo_records() -> Vec<Value> {
    let server = Server::start(&["serve", "echo"], 4);
    assert_eq!(echo_over_tcp(server.at(false), b"x"), b"x");
    assert_eq!(echo_over_udp(server.at(true), b"y"), b"y");
    let (_, records, _) = server.stop("INT");
    records
}

/// The JSON records of `ipkit serve http` answering one request and
/// rejecting one (a head over the limit).
pub fn http_records() -> Vec<Value> {
    let (mut server, dir) = http_server("contract", &["--bind", "::1"]);
    let at = server.at(true);
    assert_eq!(get(at, "/8.8.8.8", "User-Agent: curl/8\r\n").0, 200);
    let big = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(9000));
    assert_eq!(exchange(at, big.as_bytes()).0, 431);
    server.wait_for("rejected", 1);
    let (_, records, _) = server.stop("INT");
    let _ = std::fs::remove_dir_all(dir);
    records
}

#[test]
fn echo_serves_tcp_and_udp_on_one_port_for_both_families() {
    let mut server = Server::start(&["serve", "echo"], 4);
    let port = server.port;
    let want: Vec<String> = [
        format!("tcp 0.0.0.0:{port}"),
        format!("tcp [::]:{port}"),
        format!("udp 0.0.0.0:{port}"),
        format!("udp [::]:{port}"),
    ]
    .into_iter()
    .collect();
    let mut sorted = want.clone();
    sorted.sort();
    assert_eq!(ss_listeners(port), sorted, "ss sees a socket per family");
    let o = ipkit(&["sockets", "--port", &port.to_string(), "-n", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ours = stdout(&o)
        .lines()
        .filter(|l| l.contains(&format!("\"pid\":{}", server.pid())))
        .count();
    assert!(ours >= 4, "ipkit sockets shows the four: {}", stdout(&o));

    for v6 in [false, true] {
        let payload = format!("hello over {}", if v6 { "::1" } else { "127.0.0.1" });
        assert_eq!(
            echo_over_tcp(server.at(v6), payload.as_bytes()),
            payload.as_bytes()
        );
        assert_eq!(echo_over_udp(server.at(v6), b"datagram"), b"datagram");
    }
    let closed = server.wait_for("closed", 2);
    assert_eq!(closed[0]["data"]["end"], "eof");
    assert_eq!(closed[0]["data"]["bytes"], "hello over 127.0.0.1".len());
    let peer = closed[1]["data"]["peer"].as_str().unwrap();
    assert!(peer.starts_with("[::1]:"), "{peer}");
    let (code, records, _) = server.stop("INT");
    assert_eq!(code, Some(130), "SIGINT: 130");
    let summary = records
        .iter()
        .find(|r| r["type"] == "summary")
        .expect("a summary");
    assert_eq!(summary["data"]["connections"], 2);
    assert_eq!(summary["data"]["datagrams"], 2);
    assert_eq!(summary["data"]["udp_bytes"], 16);
}

#[test]
fn echo_closes_open_connections_on_sigterm_and_logs_them() {
    let server = Server::start(&["serve", "echo", "--bind", "::1"], 2);
    let mut held = TcpStream::connect(server.at(true)).unwrap();
    held.write_all(b"abc").unwrap();
    let mut buf = [0u8; 3];
    held.read_exact(&mut buf).unwrap();
    let (code, records, _) = server.stop("TERM");
    assert_eq!(code, Some(143), "SIGTERM: 143");
    let closed: Vec<&Value> = records.iter().filter(|r| r["type"] == "closed").collect();
    assert_eq!(closed.len(), 1, "{records:?}");
    assert_eq!(closed[0]["data"]["end"], "shutdown");
    assert_eq!(closed[0]["data"]["bytes"], 3);
}

/// The chapter's practice: find the echo server on port 5150, then end it.
#[test]
fn find_and_kill_the_echo_server_on_5150() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ipkit"))
        .args(["serve", "echo"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    err.read_line(&mut first).unwrap();
    assert!(
        first.contains(":5150"),
        "listening on 5150 (is another server on it?): {first}"
    );
    let o = ipkit(&["sockets", "--port", "5150", "-n"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains(&format!("pid={}", child.id())), "{text}");
    assert!(
        text.contains("0.0.0.0:5150") && text.contains("[::]:5150"),
        "{text}"
    );
    let o = ipkit(&["kill", "--port", "5150", "--yes"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    child.stderr = Some(err.into_inner());
    let o = finish_limited(&mut child, b"", Duration::from_secs(10), "echo server");
    assert_eq!(o.status.code(), Some(143), "ended by SIGTERM");
    assert!(stderr(&o).contains("stopped:"), "{}", stderr(&o));
}

/// One HTTP exchange over a fresh connection: (status, head, body). The
/// request is sent as given; the answer is read to EOF (send
/// `Connection: close`).
fn exchange(at: SocketAddr, request: &[u8]) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect_timeout(&at, Duration::from_secs(5)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    split_answer(&answer)
}

fn split_answer(answer: &[u8]) -> (u16, String, Vec<u8>) {
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(answer)));
    let head = String::from_utf8_lossy(&answer[..end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    (status, head, answer[end + 4..].to_vec())
}

fn get(at: SocketAddr, path: &str, headers: &str) -> (u16, String, Vec<u8>) {
    exchange(
        at,
        format!("GET {path} HTTP/1.1\r\nHost: test\r\n{headers}Connection: close\r\n\r\n")
            .as_bytes(),
    )
}

fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)))
}

/// An ASN table in ip-location-db's CSV layout (`start,end,asn,org`), the
/// rows as the `@ip-location-db/asn` package has them for these blocks.
fn asn_csv(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("asn.csv");
    std::fs::write(
        &path,
        "1.1.1.0,1.1.1.255,13335,\"Cloudflare, Inc.\"\n\
         8.8.8.0,8.8.8.255,15169,Google LLC\n\
         2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC\n",
    )
    .unwrap();
    path
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ipkit-serve-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn http_server(name: &str, extra: &[&str]) -> (Server, std::path::PathBuf) {
    let dir = temp_dir(name);
    let db = asn_csv(&dir);
    let mut args = vec!["serve", "http", "--db", db.to_str().unwrap()];
    args.extend_from_slice(extra);
    let listeners = if extra.contains(&"--bind") { 1 } else { 2 };
    (Server::start(&args, listeners), dir)
}

#[test]
fn http_routes_answer_as_ipinfo_does() {
    let (mut server, dir) = http_server("routes", &[]);
    for v6 in [false, true] {
        let at = server.at(v6);
        let me = at.ip().to_string();
        // GET /: text for curl, JSON when asked, HTML for a browser.
        let (status, head, body) = get(at, "/", "User-Agent: curl/8.5.0\r\nAccept: */*\r\n");
        assert_eq!(status, 200);
        assert!(head.contains("content-type: text/plain"), "{head}");
        assert_eq!(body, format!("{me}\n").as_bytes());
        let (_, _, body) = get(at, "/", "Accept: application/json\r\n");
        assert_eq!(json_of(&body), serde_json::json!({"ip": me, "bogon": true}));
        let (_, head, body) = get(
            at,
            "/",
            "User-Agent: Mozilla/5.0 Chrome/120\r\nAccept: text/html,*/*;q=0.8\r\n",
        );
        assert!(head.contains("content-type: text/html"), "{head}");
        assert!(String::from_utf8_lossy(&body).contains(&format!("<h1 id=\"ip\">{me}</h1>")));
        let (_, _, body) = get(at, "/json", "");
        assert_eq!(json_of(&body)["ip"], me.as_str());
    }
    let at = server.at(false);
    // GET /{ip}, /{ip}/json, /{ip}/{field}: ipinfo's shape and order.
    let (status, head, body) = get(at, "/8.8.8.8", "");
    assert_eq!(status, 200);
    assert!(head.contains("content-type: application/json"), "{head}");
    assert_eq!(
        String::from_utf8_lossy(&body),
        "{\n  \"ip\": \"8.8.8.8\",\n  \"org\": \"AS15169 Google LLC\"\n}\n"
    );
    assert_eq!(get(at, "/8.8.8.8/json", "").2, body);
    assert_eq!(get(at, "/1.1.1.1/org", "").2, b"AS13335 Cloudflare, Inc.\n");
    assert_eq!(
        get(at, "/2001:4860::8888/org", "").2,
        b"AS15169 Google LLC\n"
    );
    assert_eq!(get(at, "/10.1.2.3/bogon", "").2, b"true\n");
    assert_eq!(
        json_of(&get(at, "/192.168.1.1", "").2),
        serde_json::json!({"ip": "192.168.1.1", "bogon": true})
    );
    // ?token= is accepted, ignored, and never logged.
    let (status, _, body) = get(at, "/8.8.8.8/org?token=s3cret", "");
    assert_eq!(
        (status, body.as_slice()),
        (200, &b"AS15169 Google LLC\n"[..])
    );
    assert_eq!(get(at, "/health", "").2, b"ok\n");
    // HEAD: the same head, no body.
    let (status, head, body) = exchange(
        at,
        b"HEAD /8.8.8.8 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200);
    assert!(head.contains("content-length: 53"), "{head}");
    assert!(body.is_empty());
    // Errors: a bad address 400 (ipinfo's body), unknown 404, POST 405.
    let (status, _, body) = get(at, "/8.8.8.999", "");
    assert_eq!(status, 400);
    assert_eq!(json_of(&body)["error"]["title"], "Wrong ip");
    assert_eq!(get(at, "/8.8.8.8/nonsense", "").0, 404);
    assert_eq!(
        get(at, "/8.8.8.8/city", "").0,
        404,
        "no city in an ASN table"
    );
    assert_eq!(get(at, "/a/b/c", "").0, 404);
    let (status, head, _) = exchange(
        at,
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 405);
    assert!(head.contains("allow: GET, HEAD"), "{head}");
    let requests = server.wait_for("request", 20);
    let logged: Vec<String> = requests
        .iter()
        .map(|r| r["data"]["target"].as_str().unwrap().to_string())
        .collect();
    assert!(
        logged.contains(&"/8.8.8.8/org?token=REDACTED".to_string()),
        "{logged:?}"
    );
    assert!(!logged.iter().any(|t| t.contains("s3cret")));
    let (code, _, _) = server.stop("INT");
    assert_eq!(code, Some(130));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn curl_gets_text_and_the_access_log_is_common_log_format() {
    ensure_installed("curl", "curl");
    let dir = temp_dir("clf");
    let log = dir.join("access.log");
    let server = Server::start(
        &[
            "serve",
            "http",
            "--bind",
            "::1",
            "--access-log",
            log.to_str().unwrap(),
        ],
        1,
    );
    let url = format!("http://[::1]:{}/", server.port);
    let o = run(Command::new("curl").args(["-s", "--max-time", "10", &url]));
    assert_eq!(stdout(&o), "::1\n", "curl is answered in text");
    let (_, _, _) = server.stop("TERM");
    let text = std::fs::read_to_string(&log).unwrap();
    // host ident authuser [date] "request line" status bytes
    let line = text.lines().next().expect("a log line");
    let (host, rest) = line.split_once(" - - [").unwrap();
    assert_eq!(host, "::1");
    let (date, rest) = rest.split_once("] ").unwrap();
    assert_eq!(date.len(), "10/Oct/2000:13:55:36 +0000".len(), "{date}");
    assert!(date.ends_with(" +0000"));
    assert_eq!(rest, "\"GET / HTTP/1.1\" 200 4");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_and_oversized_requests_are_refused_with_their_status() {
    let (mut server, dir) = http_server("limits", &[]);
    let at = server.at(true);
    // RFC 9110 15.5.14: 413 when the content is larger than the server takes.
    let (status, head, _) = exchange(
        at,
        b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n",
    );
    assert_eq!(status, 413, "{head}");
    // ... also for a chunked body that only grows past it on the way.
    let mut chunked = b"GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..8 {
        chunked.extend_from_slice(b"1000\r\n");
        chunked.extend_from_slice(&[b'a'; 0x1000]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(exchange(at, &chunked).0, 413);
    // A small body is read and ignored.
    assert_eq!(
        exchange(
            at,
            b"GET /health HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
        )
        .0,
        200
    );
    // RFC 6585 5: 431 for a head larger than the limit (8 KiB).
    let big = format!(
        "GET / HTTP/1.1\r\nHost: t\r\nX-Filler: {}\r\n\r\n",
        "a".repeat(9000)
    );
    assert_eq!(exchange(at, big.as_bytes()).0, 431);
    // A malformed request line: 400.
    assert_eq!(exchange(at, b"GET\x01 / HTTP/1.1\r\n\r\n").0, 400);
    assert_eq!(
        exchange(at, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n").0,
        400
    );
    let rejected = server.wait_for("rejected", 3);
    let statuses: Vec<&Value> = rejected.iter().map(|r| &r["data"]["status"]).collect();
    assert!(statuses.contains(&&Value::from(431)), "{rejected:?}");
    // The server is still there.
    assert_eq!(get(at, "/health", "").0, 200);
    let _ = std::fs::remove_dir_all(dir);
}

/// Whether the server closed `s` within `limit` (EOF or reset on read).
fn closed_within(s: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buf = [0u8; 256];
    while start.elapsed() < limit {
        match s.read(&mut buf) {
            Ok(0) => return Some(start.elapsed()),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return Some(start.elapsed()),
        }
    }
    None
}

#[test]
fn slowloris_and_idle_connections_are_cut_off_at_the_read_timeout() {
    let (mut server, dir) = http_server("slow", &["--read-timeout", "1"]);
    let at = server.at(false);
    // Slowloris: a head that never ends, one byte every 100 ms.
    let mut slow = TcpStream::connect(at).unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ")
        .unwrap();
    let trickle = slow.try_clone().unwrap();
    let feeder = std::thread::spawn(move || {
        let mut t = trickle;
        for _ in 0..50 {
            if t.write_all(b"a").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let cut = closed_within(&mut slow, Duration::from_secs(4)).expect("slowloris cut off");
    assert!(cut < Duration::from_secs(3), "cut after {cut:?}");
    // An idle connection that never sends anything.
    let mut idle = TcpStream::connect(at).unwrap();
    assert!(
        closed_within(&mut idle, Duration::from_secs(4)).is_some(),
        "idle cut off"
    );
    let _ = feeder.join();
    assert!(!server.wait_for("rejected", 1).is_empty());
    // A keep-alive client that is answered and then idles is closed too.
    let mut keep = TcpStream::connect(at).unwrap();
    keep.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    assert!(closed_within(&mut keep, Duration::from_secs(4)).is_some());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn forwarded_for_counts_only_with_trust_proxy() {
    let header = "User-Agent: curl/8\r\nX-Forwarded-For: 203.0.113.50, 8.8.8.8\r\n";
    let (plain, dir) = http_server("xff-off", &[]);
    assert_eq!(get(plain.at(false), "/", header).2, b"127.0.0.1\n");
    drop(plain);
    let (trusting, dir2) = http_server("xff-on", &["--trust-proxy"]);
    assert_eq!(get(trusting.at(false), "/", header).2, b"8.8.8.8\n");
    assert_eq!(
        json_of(&get(trusting.at(true), "/json", header).2)["org"],
        "AS15169 Google LLC"
    );
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(dir2);
}

#[test]
fn past_the_connection_cap_clients_wait_until_a_slot_frees() {
    let (server, dir) = http_server("cap", &["--max-connections", "1", "--bind", "127.0.0.1"]);
    let at = server.at(false);
    let first = TcpStream::connect(at).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let mut second = TcpStream::connect(at).unwrap();
    second
        .write_all(b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    second
        .set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    let mut buf = [0u8; 64];
    assert!(
        second.read(&mut buf).is_err(),
        "no answer while the one slot is taken"
    );
    drop(first);
    second
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut answer = Vec::new();
    second.read_to_end(&mut answer).unwrap();
    assert_eq!(split_answer(&answer).0, 200);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn shutdown_answers_the_request_in_flight() {
    let (mut server, dir) = http_server("graceful", &["--bind", "::1"]);
    let at = server.at(true);
    let idle = TcpStream::connect(at).unwrap();
    let mut busy = TcpStream::connect(at).unwrap();
    // The head and half the body: the request is in flight.
    busy.write_all(b"GET /8.8.8.8/org HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhello")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    signal(&server.child, "TERM");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        TcpStream::connect_timeout(&at, Duration::from_secs(1)).is_err(),
        "the listener is closed once shutdown begins"
    );
    busy.write_all(b"world").unwrap();
    busy.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = Vec::new();
    busy.read_to_end(&mut answer).unwrap();
    let (status, _, body) = split_answer(&answer);
    assert_eq!(
        (status, body.as_slice()),
        (200, &b"AS15169 Google LLC\n"[..])
    );
    let mut idle = idle;
    assert!(
        closed_within(&mut idle, Duration::from_secs(5)).is_some(),
        "idle closed"
    );
    server.child.stderr = server.stderr.take();
    let o = finish_limited(
        &mut server.child,
        b"",
        Duration::from_secs(20),
        "ipkit serve http",
    );
    assert_eq!(o.status.code(), Some(143));
    let summary = server.wait_for("summary", 1);
    assert_eq!(summary[0]["data"]["requests"], 1);
    assert_eq!(summary[0]["data"]["unfinished"], 0);
    let _ = std::fs::remove_dir_all(dir);
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

#[test]
fn five_thousand_idle_connections_in_bounded_memory() {
    const CONNECTIONS: usize = 5_000;
    // This test process holds the client ends: raise its own limit too.
    let me = std::process::id().to_string();
    let o = run(Command::new("prlimit").args(["--pid", &me, "--nofile=20000:20000"]));
    assert!(o.status.success(), "prlimit: {}", stderr(&o));
    let dir = temp_dir("idle");
    let db = asn_csv(&dir);
    let mut server = Server::start_with(
        &["prlimit", "--nofile=20000:20000"],
        &[
            "serve",
            "http",
            "--bind",
            "127.0.0.1",
            "--db",
            db.to_str().unwrap(),
            "--read-timeout",
            "120",
        ],
        1,
    );
    let at = server.at(false);
    let before = rss_kib(server.pid());
    let mut held = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        held.push(TcpStream::connect(at).expect("connect"));
    }
    // Each one is served: one request on the last, and all still open.
    let last = held.last_mut().unwrap();
    last.write_all(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    last.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 512];
    let n = last.read(&mut buf).unwrap();
    assert_eq!(split_answer(&buf[..n]).0, 200);
    server.wait_for("request", 1);
    let after = rss_kib(server.pid());
    let o = run(Command::new("ss").args([
        "-H",
        "-t",
        "-n",
        "state",
        "established",
        &format!("sport = :{}", server.port),
    ]));
    let open = stdout(&o).lines().count();
    assert_eq!(open, CONNECTIONS, "every connection is still open");
    eprintln!("RSS with {CONNECTIONS} idle connections: {after} KiB (before: {before} KiB)");
    assert!(after < 100 * 1024, "RSS {after} KiB");
    let (code, records, _) = server.stop("INT");
    assert_eq!(code, Some(130));
    let summary = records.iter().find(|r| r["type"] == "summary").unwrap();
    assert_eq!(summary["data"]["connections"], CONNECTIONS);
    let _ = std::fs::remove_dir_all(dir);
}

/// Chromium's flags for a sealed, quiet headless run. Past the usual
/// ones, `--host-resolver-rules` answers every name but 127.0.0.1 with
/// "not found" inside Chromium: even with background networking off it
/// still looks up Google's update and account hosts at start, which a
/// sealed run (.ci/sealed) counts as packets leaving the machine.
const CHROMIUM_FLAGS: [&str; 15] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--no-default-browser-check",
    "--no-pings",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
];

/// The browser's view: the page names the address (Chromium's DOM after
/// loading it) and draws it in the page's address colour (pixels of
/// exactly #0050ef in Chromium's screenshot; nothing else on the page has
/// that colour).
#[test]
fn chromium_shows_the_address_page() {
    ensure_installed("chromium", "chromium");
    let dir = temp_dir("chromium");
    let (server, db_dir) = http_server("chromium-db", &["--bind", "127.0.0.1"]);
    let url = format!("http://127.0.0.1:{}/", server.port);
    let chromium = |profile: &str, extra: &[String]| {
        let mut c = Command::new("chromium");
        c.args(CHROMIUM_FLAGS)
            .arg(format!("--user-data-dir={}", dir.join(profile).display()))
            .args(extra)
            .arg(&url)
            .env_remove("DBUS_SESSION_BUS_ADDRESS");
        crate::util::run_limited(&mut c, b"", Duration::from_secs(90))
    };
    let o = chromium("dom", &["--dump-dom".to_string()]);
    assert!(o.status.success(), "chromium --dump-dom: {}", stderr(&o));
    assert!(
        stdout(&o).contains("<h1 id=\"ip\">127.0.0.1</h1>"),
        "the DOM: {}",
        stdout(&o)
    );
    let shot = dir.join("page.png");
    let o = chromium(
        "shot",
        &[
            "--window-size=800,600".to_string(),
            format!("--screenshot={}", shot.display()),
        ],
    );
    assert!(o.status.success(), "chromium --screenshot: {}", stderr(&o));
    let decoder = png::Decoder::new(std::fs::File::open(&shot).expect("a screenshot"));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    let channels = frame.color_type.samples();
    let (mut count, mut top, mut bottom) = (0usize, usize::MAX, 0usize);
    for (i, px) in pixels[..frame.buffer_size()].chunks(channels).enumerate() {
        if px[..3] == [0x00, 0x50, 0xef] {
            count += 1;
            let y = i / frame.width as usize;
            top = top.min(y);
            bottom = bottom.max(y);
        }
    }
    // "127.0.0.1" at 72 px bold covers thousands of pixels near the top.
    assert!(count > 2_000, "{count} pixels of the address colour");
    assert!(
        top < 150 && bottom - top > 30,
        "address drawn at rows {top}..{bottom}"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(db_dir);
}

/// The server answers with the records `ipkit info` prints, from the
/// databases info's tests write (MaxMind City + ASN layouts, ip-location-db
/// city): the values as written there, and byte for byte `ipkit info -n
/// --json`'s document for the same address.
#[test]
fn http_serves_the_records_ipkit_info_prints() {
    let dir = temp_dir("info-dbs");
    let (city, asn) = crate::info::maxmind_dbs(&dir);
    let flat = crate::info::ip_location_db_city(&dir);
    let dbs: Vec<&str> = vec![
        "--db",
        city.to_str().unwrap(),
        "--db",
        asn.to_str().unwrap(),
    ];
    let mut args = vec!["serve", "http", "--bind", "127.0.0.1", "--bind", "::1"];
    args.extend_from_slice(&dbs);
    let server = Server::start(&args, 2);
    let (status, _, body) = get(server.at(true), "/1.2.3.4", "");
    assert_eq!(status, 200);
    assert_eq!(
        String::from_utf8_lossy(&body),
        "{\n  \"ip\": \"1.2.3.4\",\n  \"city\": \"Seoul\",\n  \"region\": \"Seoul\",\n  \"country\": \"KR\",\n  \"loc\": \"37.5665,126.9780\",\n  \"org\": \"AS4766 Korea Telecom\",\n  \"postal\": \"04524\",\n  \"timezone\": \"Asia/Seoul\"\n}\n"
    );
    // 1.2.3.5 after 1.2.3.4: the same record, from the server's cache.
    for address in [
        "1.2.3.4",
        "1.2.3.5",
        "2.16.1.1",
        "2a00:1450::1",
        "7.7.7.7",
        "10.0.0.1",
        "7.7.7.8",
    ] {
        let mut info = vec!["info", "-n", "--json"];
        info.extend_from_slice(&dbs);
        info.push(address);
        // Its zone cache in the test's directory, not the user's.
        let o = crate::info::info_with(&dir, &info, b"");
        assert!(o.status.success(), "{}", stderr(&o));
        let (_, _, served) = get(server.at(false), &format!("/{address}"), "");
        assert_eq!(String::from_utf8_lossy(&served), stdout(&o), "{address}");
    }
    assert_eq!(
        get(server.at(false), "/2.16.1.1/city", "").2,
        "Paris\n".as_bytes()
    );
    assert_eq!(
        get(server.at(false), "/2.16.1.1/region", "").2,
        "Île-de-France\n".as_bytes()
    );
    assert_eq!(
        get(server.at(false), "/2.16.1.1/postal", "").0,
        404,
        "Paris has none"
    );
    drop(server);
    // The ip-location-db layout, through the same routes.
    let server = Server::start(
        &[
            "serve",
            "http",
            "--bind",
            "::1",
            "--db",
            flat.to_str().unwrap(),
        ],
        1,
    );
    let info = vec![
        "info",
        "-n",
        "--json",
        "--db",
        flat.to_str().unwrap(),
        "5.6.7.8",
    ];
    let o = crate::info::info_with(&dir, &info, b"");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&get(server.at(true), "/5.6.7.8/json", "").2),
        stdout(&o)
    );
    let _ = std::fs::remove_dir_all(dir);
}
