//! `ipkit serve metrics`, the Prometheus exporter, run as a real process
//! against real targets: loopback pings, a listener this test opens, an NSD
//! it starts, a silent TEST-NET address and an unresolvable name inside a
//! namespace it creates. The anchors: Prometheus's own parser (`promtool
//! check metrics`, Debian package `prometheus`) for the exposition, the
//! OpenMetrics 1.0.0 specification (`# EOF` ends an exposition; its
//! Content-Type), RFC 9110 status codes, and blackbox_exporter's `/probe`
//! names (`probe_success`, `probe_duration_seconds`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::lab::{Netns, Nsd, can_use_namespaces, ensure_installed};
use crate::util::{run, run_limited, signal, stderr};

/// `curl` `url` (in namespace `ns` if given) with `headers`: (status,
/// content type, body).
fn fetch(ns: Option<&str>, url: &str, method: &str, headers: &[String]) -> (u16, String, String) {
    ensure_installed("curl", "curl");
    let mut c = match ns {
        Some(n) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", n, "curl"]);
            c
        }
        None => Command::new("curl"),
    };
    c.args([
        "-s",
        "-m",
        "10",
        "-X",
        method,
        "-o",
        "-",
        "-w",
        "\n%{http_code} %{content_type}",
    ]);
    for h in headers {
        c.args(["-H", h]);
    }
    c.arg(url);
    let o = run(&mut c);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let (body, tail) = text.rsplit_once('\n').unwrap_or(("", &text));
    let (code, ctype) = tail.split_once(' ').unwrap_or((tail, ""));
    (
        code.parse().unwrap_or(0),
        ctype.to_string(),
        body.to_string(),
    )
}

/// An exporter this test started; killed on drop.
struct Exporter {
    child: Child,
    /// Where it listens (`127.0.0.1:PORT`).
    at: String,
    /// Its stderr lines, as they come.
    lines: mpsc::Receiver<String>,
    ns: Option<String>,
}

impl Exporter {
    /// Start `ipkit serve metrics ARGS --listen 127.0.0.1:0`, in `ns` if
    /// given, and wait for its `listening on` line.
    fn start(ns: Option<&Netns>, args: &[&str]) -> Exporter {
        Exporter::start_with(ns, &[], args)
    }

    /// [`Exporter::start`] through `prefix` (e.g. setpriv's arguments).
    fn start_with(ns: Option<&Netns>, prefix: &[&str], args: &[&str]) -> Exporter {
        let bin = env!("CARGO_BIN_EXE_ipkit");
        let mut argv: Vec<&str> = prefix.to_vec();
        argv.push(bin);
        let mut c = match ns {
            Some(n) => n.command(argv[0]),
            None => Command::new(argv[0]),
        };
        let mut child = c
            .args(&argv[1..])
            .args(["serve", "metrics", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ipkit serve metrics");
        let (tx, lines) = mpsc::channel();
        let err = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut e = Exporter {
            child,
            at: String::new(),
            lines,
            ns: ns.map(|n| n.name.clone()),
        };
        let line = e.wait_line("listening on tcp ");
        e.at = line.trim_start_matches("listening on tcp ").to_string();
        e
    }

    /// The next stderr line starting with `prefix` (within 10 s).
    fn wait_line(&mut self, prefix: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) if l.starts_with(prefix) => return l,
                Ok(_) => {}
                Err(e) => panic!("no stderr line {prefix:?}: {e}"),
            }
        }
    }

    /// `curl` a path: (status, content type, body).
    fn get(&self, path: &str, accept: Option<&str>, method: &str) -> (u16, String, String) {
        let accept = accept.map(|a| format!("Accept: {a}"));
        let url = format!("http://{}{path}", self.at);
        fetch(self.ns.as_deref(), &url, method, accept.as_slice())
    }

    fn metrics(&self) -> String {
        self.get("/metrics", None, "GET").2
    }

    /// Poll `/metrics` until `ready` holds (10 s at most); the last text.
    fn until(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.metrics();
            if ready(&text) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{what} not seen in 10 s:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stop with `sig`; the exit code.
    fn stop(mut self, sig: &str) -> Option<i32> {
        signal(&self.child, sig);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s.code();
            }
            assert!(Instant::now() < deadline, "no exit within 10 s of SIG{sig}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of the sample `series` (name and labels exactly as exposed).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        let rest = l.strip_prefix(series)?.strip_prefix(' ')?;
        rest.split(' ').next()?.parse().ok()
    })
}

fn promtool_check(text: &str) {
    ensure_installed("promtool", "prometheus");
    let o = run_limited(
        Command::new("promtool").args(["check", "metrics"]),
        text.as_bytes(),
        Duration::from_secs(30),
    );
    assert!(o.status.success(), "promtool: {}\n{text}", stderr(&o));
}

/// Loopback pings in both families: the histogram and the counters grow,
/// Prometheus's parser accepts the text format, and an Accept asking for
/// OpenMetrics gets it (its Content-Type, ending with `# EOF`).
#[test]
fn loopback_pings_fill_the_histograms_and_promtool_accepts_the_exposition() {
    let e = Exporter::start(
        None,
        &[
            "--ping",
            "127.0.0.1",
            "--ping",
            "::1",
            "--interval",
            "200ms",
        ],
    );
    let text = e.until("three replies from each", |t| {
        ["127.0.0.1", "::1"].iter().all(|h| {
            value(
                t,
                &format!("ipkit_ping_rtt_seconds_count{{target=\"{h}\"}}"),
            )
            .unwrap_or(0.0)
                >= 3.0
        })
    });
    for h in ["127.0.0.1", "::1"] {
        let sent = value(&text, &format!("ipkit_ping_sent_total{{target=\"{h}\"}}")).unwrap();
        let got = value(
            &text,
            &format!("ipkit_ping_received_total{{target=\"{h}\"}}"),
        )
        .unwrap();
        assert!(
            sent >= got && got >= 3.0,
            "{h}: {sent} sent, {got} received"
        );
        assert_eq!(
            value(&text, &format!("ipkit_ping_loss_ratio{{target=\"{h}\"}}")),
            Some(0.0)
        );
        assert_eq!(
            value(&text, &format!("ipkit_target_up{{target=\"{h}\"}}")),
            Some(1.0)
        );
        // Linux's loopback replies with the default TTL / hop limit, 64.
        assert_eq!(
            value(&text, &format!("ipkit_ping_last_ttl{{target=\"{h}\"}}")),
            Some(64.0)
        );
    }
    assert_eq!(
        value(&text, "ipkit_exporter_targets{kind=\"icmp\"}"),
        Some(2.0)
    );
    promtool_check(&text);
    let (code, ctype, text) = e.get("/metrics", None, "GET");
    assert_eq!(
        (code, ctype.as_str()),
        (200, "text/plain; version=0.0.4; charset=utf-8")
    );
    assert!(!text.contains("# EOF"));
    let accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";
    let (code, ctype, om) = e.get("/metrics", Some(accept), "GET");
    assert_eq!(code, 200);
    assert!(
        ctype.starts_with("application/openmetrics-text; version=1.0.0"),
        "{ctype}"
    );
    assert!(om.ends_with("# EOF\n"), "{om}");
    // OpenMetrics names the counter family without `_total`.
    assert!(om.contains("# TYPE ipkit_ping_sent counter\n"), "{om}");
    let (code, _, body) = e.get("/health", None, "GET");
    assert_eq!((code, body.as_str()), (200, "ok\n"));
    assert_eq!(e.stop("INT"), Some(130));
}

/// Inside a namespace: a TEST-NET-1 address on a host (a second namespace
/// over a veth pair) that ignores echo requests
/// (`net.ipv4.icmp_echo_ignore_all`, so nothing ever answers) has loss 1;
/// a name the namespace's resolver cannot resolve (its resolv.conf points
/// at a loopback port where nothing listens) has `ipkit_target_resolved
/// 0`; the exporter keeps probing the responsive target all the while.
#[test]
fn a_silent_target_has_loss_one_and_an_unresolvable_name_is_not_resolved() {
    if !can_use_namespaces(
        "metrics::a_silent_target_has_loss_one_and_an_unresolvable_name_is_not_resolved",
    ) {
        return;
    }
    let ns = Netns::new(
        "127.0.0.1 localhost\n",
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    );
    let silent = Netns::new("", "");
    ns.veth_to(&silent);
    ns.ip(&["-n", &ns.name, "addr", "add", "192.0.2.254/24", "dev", "va"]);
    ns.ip(&["-n", &ns.name, "link", "set", "va", "up"]);
    silent.ip(&[
        "-n",
        &silent.name,
        "addr",
        "add",
        "192.0.2.1/24",
        "dev",
        "vb",
    ]);
    silent.ip(&["-n", &silent.name, "link", "set", "vb", "up"]);
    let o = run(silent
        .command("sysctl")
        .args(["-qw", "net.ipv4.icmp_echo_ignore_all=1"]));
    assert!(o.status.success(), "sysctl: {}", stderr(&o));
    let e = Exporter::start(
        Some(&ns),
        &[
            "--ping",
            "127.0.0.1",
            "--ping",
            "192.0.2.1",
            "--ping",
            "nowhere.invalid",
            "--interval",
            "200ms",
        ],
    );
    // Each lost probe takes its 1 s timeout: three of them.
    let text = e.until("the silent target's 3 lost probes", |t| {
        value(t, "ipkit_ping_sent_total{target=\"192.0.2.1\"}").unwrap_or(0.0) >= 3.0
    });
    assert_eq!(
        value(&text, "ipkit_ping_loss_ratio{target=\"192.0.2.1\"}"),
        Some(1.0)
    );
    assert_eq!(
        value(&text, "ipkit_ping_received_total{target=\"192.0.2.1\"}"),
        Some(0.0)
    );
    assert_eq!(
        value(&text, "ipkit_target_up{target=\"192.0.2.1\"}"),
        Some(0.0)
    );
    assert_eq!(
        value(&text, "ipkit_target_resolved{target=\"192.0.2.1\"}"),
        Some(1.0)
    );
    assert_eq!(
        value(&text, "ipkit_target_resolved{target=\"nowhere.invalid\"}"),
        Some(0.0)
    );
    assert_eq!(
        value(&text, "ipkit_ping_sent_total{target=\"nowhere.invalid\"}"),
        Some(0.0)
    );
    assert!(
        value(&text, "ipkit_ping_received_total{target=\"127.0.0.1\"}").unwrap() >= 8.0,
        "{text}"
    );
    assert_eq!(
        value(&text, "ipkit_ping_loss_ratio{target=\"127.0.0.1\"}"),
        Some(0.0)
    );
    promtool_check(&text);
    assert_eq!(e.stop("TERM"), Some(143));
}

/// A bad configuration: exit 2 and one line per error naming its key.
#[test]
fn a_bad_config_exits_2_with_one_line_per_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "[modules.slow]\nkind = \"icmp\"\ntimeout = \"forever\"\n[[targets]]\nhost = \"127.0.0.1\"\nmodule = \"nope\"\n",
    )
    .unwrap();
    let o = crate::util::ipkit(&[
        "serve",
        "metrics",
        "--config",
        file.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains("modules.slow.timeout: \"forever\""),
        "{err}"
    );
    assert!(
        lines[1].contains("targets[0].module: no module \"nope\""),
        "{err}"
    );
    let o = crate::util::ipkit(&["serve", "metrics", "--config", "/nonexistent/ipkit.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/nonexistent/ipkit.toml"),
        "{}",
        stderr(&o)
    );
}

/// Reloads: SIGHUP with a good config adds a target and leaves the
/// unchanged one's counters running; POST /-/reload with a bad one is
/// refused (400 with the reason), counted, and the old targets stay.
#[test]
fn reloads_keep_unchanged_counters_and_refuse_a_bad_config() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("metrics.toml");
    let one = "interval = \"200ms\"\n[[targets]]\nhost = \"127.0.0.1\"\nmodule = \"icmp\"\n";
    std::fs::write(&file, one).unwrap();
    let mut e = Exporter::start(None, &["--config", file.to_str().unwrap()]);
    let text = e.until("three pings", |t| {
        value(t, "ipkit_ping_sent_total{target=\"127.0.0.1\"}").unwrap_or(0.0) >= 3.0
    });
    let before = value(&text, "ipkit_ping_sent_total{target=\"127.0.0.1\"}").unwrap();
    let two = format!("{one}[[targets]]\nname = \"v6\"\nhost = \"::1\"\nmodule = \"icmp\"\n");
    std::fs::write(&file, two).unwrap();
    signal(&e.child, "HUP");
    let line = e.wait_line("configuration loaded (signal)");
    assert!(line.ends_with(": 2 targets"), "{line}");
    let text = e.until("the new target's first ping", |t| {
        value(t, "ipkit_ping_sent_total{target=\"v6\"}").unwrap_or(0.0) >= 1.0
    });
    let after = value(&text, "ipkit_ping_sent_total{target=\"127.0.0.1\"}").unwrap();
    assert!(
        after >= before,
        "the unchanged target's counter went from {before} to {after}"
    );
    assert_eq!(
        value(
            &text,
            "ipkit_exporter_config_reloads_total{result=\"success\"}"
        ),
        Some(1.0)
    );
    std::fs::write(&file, "interval = \"soon\"\n").unwrap();
    let (code, _, body) = e.get("/-/reload", None, "POST");
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("interval: \"soon\""), "{body}");
    e.wait_line("reload (http) refused");
    let text = e.metrics();
    assert_eq!(
        value(
            &text,
            "ipkit_exporter_config_reloads_total{result=\"failure\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        value(&text, "ipkit_exporter_config_last_reload_successful"),
        Some(0.0)
    );
    assert_eq!(
        value(&text, "ipkit_exporter_targets{kind=\"icmp\"}"),
        Some(2.0)
    );
    let kept = value(&text, "ipkit_ping_sent_total{target=\"127.0.0.1\"}").unwrap();
    assert!(kept >= after, "{kept} < {after}");
    std::fs::write(&file, one).unwrap();
    let (code, _, body) = e.get("/-/reload", None, "POST");
    assert_eq!((code, body.as_str()), (200, "reloaded: 1 targets\n"));
    let (code, _, _) = e.get("/-/reload", None, "GET");
    assert_eq!(code, 405);
}

/// `/probe` for each built-in module, against servers on loopback this
/// test starts: a TCP listener (and a port where none listens), NSD, the
/// host's own loopback for icmp and trace; an unknown module is a 400.
#[test]
fn probe_runs_each_built_in_module_once() {
    let nsd = Nsd::start(&[(
        "metrics.test",
        "$ORIGIN metrics.test.\n$TTL 300\n@ IN SOA ns admin 1 3600 600 86400 300\n@ IN NS ns\nns IN A 127.0.0.1\nwww IN A 192.0.2.1\nwww IN A 192.0.2.2\n",
    )]);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let open_port = listener.local_addr().unwrap().port();
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = Exporter::start(None, &[]);
    let probe = |target: &str, module: &str| {
        let (code, ctype, body) = e.get(
            &format!("/probe?target={target}&module={module}"),
            None,
            "GET",
        );
        assert_eq!(code, 200, "{module} {target}: {body}");
        assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
        promtool_check(&body);
        body
    };
    let icmp = probe("127.0.0.1", "icmp");
    assert_eq!(value(&icmp, "probe_success"), Some(1.0), "{icmp}");
    assert_eq!(
        value(&icmp, "ipkit_ping_received_total"),
        Some(1.0),
        "{icmp}"
    );
    assert!(value(&icmp, "probe_duration_seconds").is_some());
    let tcp = probe(&format!("127.0.0.1:{open_port}"), "tcp");
    assert_eq!(value(&tcp, "probe_success"), Some(1.0), "{tcp}");
    assert_eq!(
        value(&tcp, "ipkit_tcp_connects_total{result=\"ok\"}"),
        Some(1.0),
        "{tcp}"
    );
    let refused = probe(&format!("127.0.0.1:{closed_port}"), "tcp");
    assert_eq!(value(&refused, "probe_success"), Some(0.0), "{refused}");
    assert_eq!(
        value(&refused, "ipkit_tcp_connects_total{result=\"refused\"}"),
        Some(1.0),
        "{refused}"
    );
    // NSD may take a moment to load its zone.
    let deadline = Instant::now() + Duration::from_secs(10);
    let dns = loop {
        let d = probe(&format!("www.metrics.test@127.0.0.1:{}", nsd.port), "dns");
        if value(&d, "probe_success") == Some(1.0) || Instant::now() > deadline {
            break d;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(value(&dns, "probe_success"), Some(1.0), "{dns}");
    assert_eq!(value(&dns, "ipkit_dns_answers"), Some(2.0), "{dns}");
    assert_eq!(
        value(&dns, "ipkit_dns_responses_total{rcode=\"NOERROR\"}"),
        Some(1.0),
        "{dns}"
    );
    let nx = probe(
        &format!("nothing.metrics.test@127.0.0.1:{}", nsd.port),
        "dns",
    );
    assert_eq!(value(&nx, "probe_success"), Some(0.0), "{nx}");
    assert_eq!(
        value(&nx, "ipkit_dns_responses_total{rcode=\"NXDOMAIN\"}"),
        Some(1.0),
        "{nx}"
    );
    let trace = probe("127.0.0.1", "trace");
    assert_eq!(value(&trace, "probe_success"), Some(1.0), "{trace}");
    assert_eq!(value(&trace, "ipkit_trace_reached"), Some(1.0), "{trace}");
    assert_eq!(value(&trace, "ipkit_trace_hops"), Some(1.0), "{trace}");
    let (code, _, body) = e.get("/probe?target=127.0.0.1&module=http", None, "GET");
    assert_eq!(code, 400);
    assert!(body.contains("unknown module \"http\""), "{body}");
    let (code, _, _) = e.get("/probe?target=no-port&module=tcp", None, "GET");
    assert_eq!(code, 400);
    drop(listener);
}

/// Continuous targets of the other kinds from the command line: a TCP
/// listener this test opens, an NSD it starts, a trace to loopback (one
/// hop, reached, the path never changes).
#[test]
fn continuous_tcp_dns_and_trace_targets_from_the_command_line() {
    let nsd = Nsd::start(&[(
        "metrics.test",
        "$ORIGIN metrics.test.\n$TTL 300\n@ IN SOA ns admin 1 3600 600 86400 300\n@ IN NS ns\nns IN A 127.0.0.1\nwww IN A 192.0.2.1\n",
    )]);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    let dns = format!("www.metrics.test@127.0.0.1:{}", nsd.port);
    let e = Exporter::start(
        None,
        &[
            "--tcp",
            &tcp,
            "--dns",
            &dns,
            "--trace",
            "127.0.0.1",
            "--interval",
            "300ms",
        ],
    );
    let text = e.until("three rounds of each", |t| {
        value(
            t,
            &format!("ipkit_tcp_connects_total{{target=\"{tcp}\",result=\"ok\"}}"),
        )
        .unwrap_or(0.0)
            >= 3.0
            && value(
                t,
                &format!("ipkit_dns_responses_total{{target=\"{dns}\",rcode=\"NOERROR\"}}"),
            )
            .unwrap_or(0.0)
                >= 3.0
            && value(
                t,
                "ipkit_trace_hop_rtt_seconds_count{target=\"127.0.0.1\",hop=\"1\"}",
            )
            .unwrap_or(0.0)
                >= 3.0
    });
    assert_eq!(
        value(&text, &format!("ipkit_dns_answers{{target=\"{dns}\"}}")),
        Some(1.0)
    );
    assert_eq!(
        value(&text, "ipkit_trace_reached{target=\"127.0.0.1\"}"),
        Some(1.0)
    );
    assert_eq!(
        value(&text, "ipkit_trace_hops{target=\"127.0.0.1\"}"),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            "ipkit_trace_path_changes_total{target=\"127.0.0.1\"}"
        ),
        Some(0.0)
    );
    assert_eq!(
        value(
            &text,
            "ipkit_trace_hop_loss_ratio{target=\"127.0.0.1\",hop=\"1\"}"
        ),
        Some(0.0)
    );
    for kind in ["tcp", "dns", "trace"] {
        assert_eq!(
            value(&text, &format!("ipkit_exporter_targets{{kind=\"{kind}\"}}")),
            Some(1.0)
        );
    }
    promtool_check(&text);
    drop(listener);
}

/// The privilege story of `ipkit ping`: as `nobody` with no capabilities
/// and ICMP datagram sockets not allowed (`ping_group_range` "1 0", the
/// kernel's default) the exporter says why IPv4 pings fail and how to
/// grant it, and keeps serving; once the namespace's `ping_group_range`
/// admits every group, the same user pings through the unprivileged
/// datagram socket.
#[test]
fn without_privilege_it_says_so_and_with_ping_group_range_it_pings_unprivileged() {
    if !can_use_namespaces(
        "metrics::without_privilege_it_says_so_and_with_ping_group_range_it_pings_unprivileged",
    ) {
        return;
    }
    let ns = Netns::new("127.0.0.1 localhost\n", "nameserver 127.0.0.1\n");
    let sysctl = |value: &str| {
        let o = run(ns
            .command("sysctl")
            .args(["-qw", &format!("net.ipv4.ping_group_range={value}")]));
        assert!(o.status.success(), "sysctl: {}", stderr(&o));
    };
    let nobody = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
    ];
    sysctl("1 0");
    let mut e = Exporter::start_with(
        Some(&ns),
        &nobody,
        &["--ping", "127.0.0.1", "--interval", "200ms"],
    );
    let line = e.wait_line("IPv4 pings will fail: ");
    assert!(line.contains("cannot open an ICMP socket"), "{line}");
    assert!(line.contains("net.ipv4.ping_group_range"), "{line}");
    let text = e.until("failed probes", |t| {
        value(t, "ipkit_exporter_probes_total{kind=\"icmp\"}").unwrap_or(0.0) >= 2.0
    });
    // Nothing could be sent: nothing counted as sent, the target is down.
    assert_eq!(
        value(&text, "ipkit_ping_sent_total{target=\"127.0.0.1\"}"),
        Some(0.0)
    );
    assert_eq!(
        value(&text, "ipkit_target_up{target=\"127.0.0.1\"}"),
        Some(0.0)
    );
    assert_eq!(e.get("/health", None, "GET").0, 200);
    drop(e);
    sysctl("0 2147483647");
    let e = Exporter::start_with(
        Some(&ns),
        &nobody,
        &["--ping", "127.0.0.1", "--interval", "200ms"],
    );
    let text = e.until("replies over the datagram socket", |t| {
        value(t, "ipkit_ping_received_total{target=\"127.0.0.1\"}").unwrap_or(0.0) >= 2.0
    });
    assert_eq!(
        value(&text, "ipkit_ping_loss_ratio{target=\"127.0.0.1\"}"),
        Some(0.0)
    );
}

/// `/probe` under Prometheus's scrape timeout header
/// (`X-Prometheus-Scrape-Timeout-Seconds`, which Prometheus sends with every
/// scrape): a DNS question to a server that never answers takes the header
/// less 0.5 s, not the module's 5 s — as the anchor, blackbox_exporter,
/// asked the same question of the same silent server beside it; a module
/// timeout shorter than that stands; a header that is no number is a 400.
#[test]
fn probe_honours_the_scrape_timeout_header_as_blackbox_exporter_does() {
    ensure_installed(
        "prometheus-blackbox-exporter",
        "prometheus-blackbox-exporter",
    );
    // The silent DNS server: a UDP socket nobody reads.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp socket");
    let server = silent.local_addr().expect("address");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dns.toml");
    std::fs::write(
        &file,
        "[modules.slow_dns]\nkind = \"dns\"\ntimeout = \"5s\"\n\n[modules.quick_dns]\nkind = \"dns\"\ntimeout = \"300ms\"\n",
    )
    .unwrap();
    let e = Exporter::start(None, &["--config", file.to_str().unwrap()]);
    let bb_config = dir.path().join("blackbox.yml");
    std::fs::write(
        &bb_config,
        "modules:\n  slow_dns:\n    prober: dns\n    timeout: 5s\n    dns:\n      query_name: www.metrics.test\n      query_type: A\n      transport_protocol: udp\n      preferred_ip_protocol: ip4\n      ip_protocol_fallback: false\n",
    )
    .unwrap();
    let bb_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut blackbox = Command::new("prometheus-blackbox-exporter")
        .arg(format!("--config.file={}", bb_config.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{bb_port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start blackbox_exporter");
    struct Kill<'a>(&'a mut Child);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _blackbox = Kill(&mut blackbox);
    let bb_url = format!("http://127.0.0.1:{bb_port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while fetch(None, &format!("{bb_url}/-/healthy"), "GET", &[]).0 != 200 {
        assert!(Instant::now() < deadline, "blackbox_exporter did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let header = |secs: &str| vec![format!("X-Prometheus-Scrape-Timeout-Seconds: {secs}")];
    let ipkit = |module: &str, secs: &str| {
        let url = format!(
            "http://{}/probe?target=www.metrics.test@{server}&module={module}",
            e.at
        );
        let took = Instant::now();
        let (code, _, body) = fetch(None, &url, "GET", &header(secs));
        (code, body, took.elapsed().as_secs_f64())
    };

    let (code, _, bb) = fetch(
        None,
        &format!("{bb_url}/probe?target={server}&module=slow_dns"),
        "GET",
        &header("1.5"),
    );
    assert_eq!(code, 200, "{bb}");
    assert_eq!(value(&bb, "probe_success"), Some(0.0), "{bb}");
    let anchor = value(&bb, "probe_duration_seconds").expect("blackbox's duration");
    assert!(
        (0.9..1.4).contains(&anchor),
        "blackbox_exporter took {anchor} s"
    );

    let (code, body, took) = ipkit("slow_dns", "1.5");
    assert_eq!(code, 200, "{body}");
    assert_eq!(value(&body, "probe_success"), Some(0.0), "{body}");
    let ours = value(&body, "probe_duration_seconds").expect("duration");
    assert!(
        (ours - anchor).abs() < 0.2,
        "ipkit took {ours} s, blackbox_exporter {anchor} s"
    );
    assert!(
        took < 1.5,
        "the answer came after the scrape timeout: {took} s"
    );

    // A module timeout shorter than the header's limit stands.
    let (_, body, _) = ipkit("quick_dns", "10");
    let ours = value(&body, "probe_duration_seconds").expect("duration");
    assert!((0.25..0.9).contains(&ours), "quick_dns took {ours} s");

    let (code, _, body) = fetch(
        None,
        &format!(
            "http://{}/probe?target=www.metrics.test@{server}&module=quick_dns",
            e.at
        ),
        "GET",
        &header("soon"),
    );
    assert_eq!(code, 400, "{body}");
    assert!(
        body.contains("X-Prometheus-Scrape-Timeout-Seconds"),
        "{body}"
    );
    drop(silent);
}
