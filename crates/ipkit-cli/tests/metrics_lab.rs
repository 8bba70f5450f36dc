//! `ipkit serve metrics` under a real Prometheus (Debian's `prometheus`,
//! started by the test), in a namespace lab, and at scale.
//!
//! The path lab: client — r1 — r2a — server, with a second middle router r2b
//! beside r2a (r1 — r2b — server) that the test switches r1's route to. The
//! server owns two addresses on its loopback: one answers (the responsive
//! host, and the trace target), the other is dropped by an nft rule in the
//! server's own namespace (the silent host). The exporter and Prometheus run
//! in the client's namespace, on its loopback; the test reads Prometheus's
//! HTTP query API there with curl. The anchors: `traceroute -n` in the same
//! lab for the hop count and the path, Prometheus's own scraper and query
//! engine for what the exporter serves, `promtool check metrics` (the
//! Prometheus project's parser and linter) for the exposition, and
//! blackbox_exporter scraped by the same /probe job beside ipkit.
//!
//! The scale test runs 1,000 ICMP targets on a namespace's loopback, 900 of
//! them dropped by nft, and checks that no probe delays another beyond its
//! interval.
//!
//! Everything lives in namespaces the tests create (benchmarking prefix
//! 198.18.0.0/15 and loopback), every wait has a deadline, and the
//! namespaces, children and temp dirs are removed on drop.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::lab::{Netns, RouterLab, can_use_namespaces, ensure_installed};
use crate::trace_lab::nft;
use crate::util::{run_limited, stderr, stdout};

/// Where the exporter listens, inside the client's namespace.
const EXPORTER: &str = "127.0.0.1:9427";
/// Where Prometheus listens, inside the same namespace.
const PROMETHEUS: &str = "127.0.0.1:9090";
/// The host that answers (and the trace's target).
const RESPONSIVE: &str = "198.18.100.1";
/// The host that is routed but never answers.
const SILENT: &str = "198.18.100.2";
/// How long any one wait may take.
const LIMIT: Duration = Duration::from_secs(30);

/// Prometheus's global settings: scrape and evaluate every second.
const GLOBAL: &str = "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n";

/// The continuous targets' job: scrape the exporter's /metrics.
const METRICS_JOB: &str =
    "  - job_name: ipkit\n    static_configs:\n      - targets: ['127.0.0.1:9427']\n";

/// The /probe job as blackbox_exporter users write it, for the exporter at
/// `exporter`: the listed targets become the `target` parameter and the
/// `instance` label, and the scrape goes to the exporter. Two seconds, so a
/// probe of the silent host (the icmp module's timeout) fits in the scrape.
fn probe_job(job: &str, exporter: &str) -> String {
    format!(
        "  - job_name: {job}\n    metrics_path: /probe\n    params:\n      module: [icmp]\n    scrape_interval: 2s\n    scrape_timeout: 2s\n    static_configs:\n      - targets: ['{RESPONSIVE}', '{SILENT}']\n    relabel_configs:\n      - source_labels: [__address__]\n        target_label: __param_target\n      - source_labels: [__param_target]\n        target_label: instance\n      - target_label: __address__\n        replacement: {exporter}\n"
    )
}

/// Where the anchor, blackbox_exporter, listens beside ipkit.
const BLACKBOX: &str = "127.0.0.1:9115";

/// The path lab's namespaces.
struct PathLab {
    client: Netns,
    r1: Netns,
    // Held for their links and routes; dropped (removed) with the lab.
    _r2a: Netns,
    _r2b: Netns,
    _server: Netns,
}

/// A veth pair between `a` and `b`, an IPv4 address on each end, both up.
fn link(a: (&Netns, &str, &str), b: (&Netns, &str, &str)) {
    a.0.ip(&[
        "link", "add", a.1, "netns", &a.0.name, "type", "veth", "peer", "name", b.1, "netns",
        &b.0.name,
    ]);
    for (ns, dev, addr) in [a, b] {
        ns.ip(&["-n", &ns.name, "addr", "add", addr, "dev", dev]);
        ns.ip(&["-n", &ns.name, "link", "set", dev, "up"]);
    }
}

/// `ip -n NS route ARGS…`.
fn route(ns: &Netns, args: &[&str]) {
    let mut all = vec!["-n", ns.name.as_str(), "route"];
    all.extend_from_slice(args);
    ns.ip(&all);
}

impl PathLab {
    /// Build it. Addressing: client 198.18.0.1 — r1 .0.2 | r1 198.18.1.1 —
    /// r2a .1.2 | r1 198.18.2.1 — r2b .2.2 | r2a 198.18.3.1 — server .3.2 |
    /// r2b 198.18.4.1 — server .4.2; the server's loopback holds
    /// 198.18.100.1 and .2. The server answers over r2a whichever way a
    /// probe came (no reverse-path filter anywhere).
    fn new() -> PathLab {
        ensure_installed("nft", "nftables");
        let resolv = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n";
        let ns = || Netns::new("", resolv);
        let (client, r1, r2a, r2b, server) = (ns(), ns(), ns(), ns(), ns());
        for (i, n) in [&client, &r1, &r2a, &r2b, &server].into_iter().enumerate() {
            let mut keys = vec![
                ("net.ipv4.conf.all.rp_filter", "0"),
                ("net.ipv4.conf.default.rp_filter", "0"),
                ("net.ipv4.icmp_ratemask", "0"),
                ("net.ipv4.icmp_msgs_per_sec", "100000"),
                ("net.ipv4.icmp_msgs_burst", "100000"),
            ];
            if (1..=3).contains(&i) {
                keys.push(("net.ipv4.ip_forward", "1"));
            }
            for (k, v) in keys {
                RouterLab::sysctl(n, k, v);
            }
        }
        link(
            (&client, "c0", "198.18.0.1/24"),
            (&r1, "a0", "198.18.0.2/24"),
        );
        link((&r1, "a1", "198.18.1.1/24"), (&r2a, "b0", "198.18.1.2/24"));
        link((&r1, "a2", "198.18.2.1/24"), (&r2b, "b0", "198.18.2.2/24"));
        link(
            (&r2a, "b1", "198.18.3.1/24"),
            (&server, "s1", "198.18.3.2/24"),
        );
        link(
            (&r2b, "b1", "198.18.4.1/24"),
            (&server, "s2", "198.18.4.2/24"),
        );
        for a in [RESPONSIVE, SILENT] {
            server.ip(&[
                "-n",
                &server.name,
                "addr",
                "add",
                &format!("{a}/32"),
                "dev",
                "lo",
            ]);
        }
        route(&client, &["add", "default", "via", "198.18.0.2"]);
        route(&r1, &["add", "198.18.100.0/24", "via", "198.18.1.2"]);
        route(&r2a, &["add", "default", "via", "198.18.3.2"]);
        route(&r2a, &["add", "198.18.0.0/24", "via", "198.18.1.1"]);
        route(&r2b, &["add", "default", "via", "198.18.4.2"]);
        route(&r2b, &["add", "198.18.0.0/24", "via", "198.18.2.1"]);
        route(&server, &["add", "default", "via", "198.18.3.1"]);
        nft(
            &server,
            &format!(
                "table inet ipkit_lab {{\n  chain deaf {{\n    type filter hook input priority 0;\n    ip daddr {SILENT} drop\n  }}\n}}\n"
            ),
        );
        PathLab {
            client,
            r1,
            _r2a: r2a,
            _r2b: r2b,
            _server: server,
        }
    }

    /// Move r1's route to the server from r2a to r2b.
    fn reroute(&self) {
        route(
            &self.r1,
            &["replace", "198.18.100.0/24", "via", "198.18.2.2"],
        );
    }

    /// The anchor: `traceroute -n` from the client to the responsive host,
    /// one probe per hop; the responders in order.
    fn traceroute(&self) -> Vec<String> {
        ensure_installed("traceroute", "traceroute");
        let o = run_limited(
            self.client
                .command("traceroute")
                .args(["-n", "-q", "1", "-w", "1", "-m", "8", RESPONSIVE]),
            b"",
            LIMIT,
        );
        assert!(o.status.success(), "traceroute: {}", stderr(&o));
        stdout(&o)
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().nth(1).unwrap_or("*").to_string())
            .collect()
    }
}

/// The children a test started (each logging to a file of its own) and
/// their directory; killed and removed on drop. Declared after the lab, so
/// they go first.
struct Daemons {
    dir: PathBuf,
    children: Vec<(String, Child)>,
}

impl Daemons {
    fn new() -> Daemons {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ipkit-metrics-lab-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("lab dir");
        Daemons {
            dir,
            children: Vec::new(),
        }
    }

    /// Start `program ARGS` in `ns`, stdout and stderr into `NAME.log`.
    fn spawn(&mut self, ns: &Netns, name: &str, program: &str, args: &[&str]) {
        let log = File::create(self.dir.join(format!("{name}.log"))).expect("log file");
        let child = ns
            .command(program)
            .args(args)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {program}: {e}"));
        self.children.push((name.to_string(), child));
    }

    /// What `name` has written so far.
    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("{name}.log"))).unwrap_or_default()
    }

    /// Everything every child wrote, for a failure's message (the tail of
    /// each).
    fn logs(&self) -> String {
        self.children
            .iter()
            .map(|(name, _)| {
                let text = self.log(name);
                let tail: Vec<&str> = text.lines().rev().take(15).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                format!("--- {name}:\n{}\n", tail.join("\n"))
            })
            .collect()
    }

    /// Panic (with the logs) if a child has ended.
    fn check_alive(&mut self) {
        let mut ended = None;
        for (name, child) in &mut self.children {
            if let Ok(Some(status)) = child.try_wait() {
                ended = Some(format!("{name} ended: {status}"));
            }
        }
        if let Some(e) = ended {
            panic!("{e}\n{}", self.logs());
        }
    }

    /// Start `ipkit serve metrics ARGS` in `ns` and wait for its
    /// "listening on" line.
    fn start_exporter(&mut self, ns: &Netns, args: &[&str]) {
        let mut all = vec!["serve", "metrics", "--listen", EXPORTER];
        all.extend_from_slice(args);
        self.spawn(ns, "ipkit", env!("CARGO_BIN_EXE_ipkit"), &all);
        self.wait("the exporter's \"listening on\" line", |d| {
            d.log("ipkit").contains("listening on").then_some(())
        });
    }

    /// Start Prometheus in `ns` with `jobs` (scrape_configs entries), its
    /// storage in this test's directory, and wait until it is ready.
    fn start_prometheus(&mut self, ns: &Netns, jobs: &str) {
        ensure_installed("prometheus", "prometheus");
        ensure_installed("curl", "curl");
        let conf = self.dir.join("prometheus.yml");
        std::fs::write(&conf, format!("{GLOBAL}{jobs}")).expect("prometheus.yml");
        let config = format!("--config.file={}", conf.display());
        let tsdb = format!("--storage.tsdb.path={}", self.dir.join("tsdb").display());
        let listen = format!("--web.listen-address={PROMETHEUS}");
        self.spawn(ns, "prometheus", "prometheus", &[&config, &tsdb, &listen]);
        self.wait("Prometheus ready", |_| {
            curl(ns, &[&format!("http://{PROMETHEUS}/-/ready")]).map(|_| ())
        });
    }

    /// Poll `probe` every 200 ms until it answers Some, at most [`LIMIT`];
    /// panic with the children's logs after.
    fn wait<T>(&mut self, what: &str, mut probe: impl FnMut(&Daemons) -> Option<T>) -> T {
        let start = Instant::now();
        loop {
            if let Some(v) = probe(self) {
                return v;
            }
            self.check_alive();
            assert!(
                start.elapsed() < LIMIT,
                "{what}: not within {LIMIT:?}\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Wait until the PromQL `expr` has a value `ok` accepts; that value.
    fn wait_value(&mut self, ns: &Netns, expr: &str, ok: impl Fn(f64) -> bool) -> f64 {
        let start = Instant::now();
        loop {
            let v = query(ns, expr);
            if let Some(v) = v.filter(|v| ok(*v)) {
                return v;
            }
            self.check_alive();
            assert!(
                start.elapsed() < LIMIT,
                "{expr}: last value {v:?}, not the one wanted within {LIMIT:?}\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Daemons {
    fn drop(&mut self) {
        for (_, c) in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `curl -sf ARGS` inside `ns` with a 5 s limit: the body, or None on any
/// failure (not listening yet, an HTTP error).
fn curl(ns: &Netns, args: &[&str]) -> Option<String> {
    let o = run_limited(
        ns.command("curl")
            .args(["-sf", "--max-time", "5"])
            .args(args),
        b"",
        Duration::from_secs(10),
    );
    o.status.success().then(|| stdout(&o))
}

/// Ask Prometheus (in `ns`) for the instant value of `expr`: the first
/// series' value, None if there is none yet.
fn query(ns: &Netns, expr: &str) -> Option<f64> {
    let body = curl(
        ns,
        &[
            &format!("http://{PROMETHEUS}/api/v1/query"),
            "--data-urlencode",
            &format!("query={expr}"),
        ],
    )?;
    let v: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{body}: {e}"));
    assert_eq!(v["status"], "success", "{expr}: {body}");
    let result = v["data"]["result"].as_array()?;
    result
        .first()
        .and_then(|s| s["value"][1].as_str())
        .and_then(|s| s.parse().ok())
}

/// The series selector `NAME{job="ipkit",target="TARGET"}`.
fn of(name: &str, target: &str) -> String {
    format!("{name}{{job=\"ipkit\",target=\"{target}\"}}")
}

/// One sample of a text exposition: name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// Parse the samples of a Prometheus/OpenMetrics text exposition (comments
/// and `# EOF` skipped). Only as much as the checks here need; the real
/// parser is promtool's, which the lab test runs.
fn samples(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, labels, rest) = match line.find('{') {
            Some(open) => {
                let close = line.rfind('}').unwrap_or_else(|| panic!("{line}"));
                (
                    &line[..open],
                    labels(&line[open + 1..close]),
                    &line[close + 1..],
                )
            }
            None => {
                let sp = line.find(' ').unwrap_or_else(|| panic!("{line}"));
                (&line[..sp], BTreeMap::new(), &line[sp..])
            }
        };
        let value = rest
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no value: {line}"));
        out.push((name.to_string(), labels, value));
    }
    out
}

/// `a="x",b="y"` → {a: x, b: y} (values with escapes kept as written).
fn labels(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut rest = text.trim_start_matches(',');
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].trim().to_string();
        let body = &rest[eq + 2..];
        let mut end = 0;
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    end = i;
                    break;
                }
                _ => escaped = false,
            }
        }
        map.insert(name, body[..end].to_string());
        rest = body[end + 1..].trim_start_matches(',');
    }
    map
}

/// The value of `name{target=TARGET}` in `samples`, if it is there.
fn sample_of(samples: &[Sample], name: &str, target: &str) -> Option<f64> {
    samples
        .iter()
        .find(|(n, l, _)| n == name && l.get("target").map(String::as_str) == Some(target))
        .map(|s| s.2)
}

/// The sum of every `name` series.
fn sum_of(samples: &[Sample], name: &str) -> f64 {
    samples.iter().filter(|s| s.0 == name).map(|s| s.2).sum()
}

#[test]
fn prometheus_sees_rtt_loss_hops_and_a_path_change() {
    let test = "metrics_lab::prometheus_sees_rtt_loss_hops_and_a_path_change";
    if !can_use_namespaces(test) {
        return;
    }
    let lab = PathLab::new();
    // The anchor counts the hops first: r1, r2a, the server.
    let before = lab.traceroute();
    assert_eq!(before, ["198.18.0.2", "198.18.1.2", RESPONSIVE]);
    let mut d = Daemons::new();
    d.start_exporter(
        &lab.client,
        &[
            "--ping",
            RESPONSIVE,
            "--ping",
            SILENT,
            "--trace",
            RESPONSIVE,
            "--interval",
            "1s",
        ],
    );
    d.start_prometheus(&lab.client, METRICS_JOB);
    let ns = &lab.client;

    // Round trips are counted: the histogram's count grows between queries.
    let rtt = of("ipkit_ping_rtt_seconds_count", RESPONSIVE);
    let first = d.wait_value(ns, &rtt, |v| v >= 1.0);
    d.wait_value(ns, &rtt, |v| v > first);
    d.wait_value(ns, &of("ipkit_target_up", RESPONSIVE), |v| v == 1.0);

    // The silent host: probes go out, none come back, loss is 1 both by the
    // gauge and by PromQL over the counters.
    d.wait_value(ns, &of("ipkit_ping_sent_total", SILENT), |v| v >= 2.0);
    d.wait_value(ns, &of("ipkit_ping_loss_ratio", SILENT), |v| v == 1.0);
    let sent = of("ipkit_ping_sent_total", SILENT);
    let received = of("ipkit_ping_received_total", SILENT);
    d.wait_value(
        ns,
        &format!("1 - increase({received}[5s]) / increase({sent}[5s])"),
        |v| v == 1.0,
    );
    d.wait_value(ns, &of("ipkit_target_up", SILENT), |v| v == 0.0);

    // The trace: as many hops as traceroute counted, the target reached.
    let hops = u32::try_from(before.len()).expect("small");
    d.wait_value(ns, &of("ipkit_trace_hops", RESPONSIVE), |v| {
        v == f64::from(hops)
    });
    d.wait_value(ns, &of("ipkit_trace_reached", RESPONSIVE), |v| v == 1.0);

    // Prometheus's own parser and linter on a scrape with every family
    // filled in.
    ensure_installed("promtool", "prometheus");
    let scrape = curl(ns, &[&format!("http://{EXPORTER}/metrics")]).expect("a /metrics scrape");
    let o = run_limited(
        std::process::Command::new("promtool").args(["check", "metrics"]),
        scrape.as_bytes(),
        LIMIT,
    );
    assert!(
        o.status.success() && o.stdout.is_empty() && o.stderr.is_empty(),
        "promtool check metrics: {}{}\n{scrape}",
        stdout(&o),
        stderr(&o)
    );

    // The path is steady: two reads two rounds apart agree.
    let hash = of("ipkit_trace_path_hash", RESPONSIVE);
    let changes = format!(
        "sum(ipkit_trace_path_changes_total{{job=\"ipkit\",target=\"{RESPONSIVE}\"}}) or vector(0)"
    );
    let h0 = d.wait_value(ns, &hash, |_| true);
    std::thread::sleep(Duration::from_millis(2500));
    let h1 = d.wait_value(ns, &hash, |_| true);
    assert_eq!(h0, h1, "the path hash changed on a steady path");
    let c0 = d.wait_value(ns, &changes, |_| true);

    // Re-route through r2b: the anchor sees the new middle hop; the
    // exporter counts a change and its hash moves.
    lab.reroute();
    assert_eq!(lab.traceroute(), ["198.18.0.2", "198.18.2.2", RESPONSIVE]);
    d.wait_value(ns, &changes, |v| v > c0);
    d.wait_value(ns, &hash, |v| v != h0);
    d.wait_value(ns, &of("ipkit_trace_hops", RESPONSIVE), |v| {
        v == f64::from(hops)
    });
}

#[test]
fn probe_through_prometheus_relabelling_as_blackbox_users_do() {
    let test = "metrics_lab::probe_through_prometheus_relabelling_as_blackbox_users_do";
    if !can_use_namespaces(test) {
        return;
    }
    let lab = PathLab::new();
    let mut d = Daemons::new();
    // No continuous targets: Prometheus drives every probe. The anchor,
    // blackbox_exporter with its stock icmp module, is scraped the same way
    // beside it and must say the same.
    d.start_exporter(&lab.client, &[]);
    ensure_installed(
        "prometheus-blackbox-exporter",
        "prometheus-blackbox-exporter",
    );
    d.spawn(
        &lab.client,
        "blackbox",
        "prometheus-blackbox-exporter",
        &[
            &format!("--web.listen-address={BLACKBOX}"),
            "--config.file=/etc/prometheus/blackbox.yml",
        ],
    );
    let jobs = probe_job("ipkit_probe", EXPORTER) + &probe_job("blackbox", BLACKBOX);
    d.start_prometheus(&lab.client, &jobs);
    let ns = &lab.client;
    for (instance, success) in [(RESPONSIVE, 1.0), (SILENT, 0.0)] {
        for job in ["blackbox", "ipkit_probe"] {
            let at = |name: &str| format!("{name}{{job=\"{job}\",instance=\"{instance}\"}}");
            d.wait_value(ns, &at("probe_success"), |v| v == success);
            // A failed probe is an answer in time, not a failed scrape.
            d.wait_value(ns, &at("up"), |v| v == 1.0);
            d.wait_value(ns, &at("probe_duration_seconds"), |v| v > 0.0);
        }
    }
}

#[test]
fn thousand_targets_nine_hundred_silent_none_delayed() {
    let test = "metrics_lab::thousand_targets_nine_hundred_silent_none_delayed";
    if !can_use_namespaces(test) {
        return;
    }
    ensure_installed("nft", "nftables");
    ensure_installed("curl", "curl");
    // One namespace, loopback only: 127.0.1.1 … 127.0.1.100 answer,
    // 900 addresses of 127.1.0.0/16 are dropped on input.
    let ns = Netns::new("", "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n");
    nft(
        &ns,
        "table inet ipkit_lab {\n  chain deaf {\n    type filter hook input priority 0;\n    ip daddr 127.1.0.0/16 drop\n  }\n}\n",
    );
    let responsive: Vec<String> = (1..=100).map(|i| format!("127.0.1.{i}")).collect();
    let silent: Vec<String> = (0..900)
        .map(|i| format!("127.1.{}.{}", i / 250, i % 250 + 1))
        .collect();
    let mut config = String::from("interval = \"1s\"\n");
    for host in responsive.iter().chain(&silent) {
        config.push_str(&format!(
            "\n[[targets]]\nhost = \"{host}\"\nmodule = \"icmp\"\n"
        ));
    }
    let mut d = Daemons::new();
    let file = d.dir.join("scale.toml");
    std::fs::write(&file, config).expect("config");
    d.start_exporter(&ns, &["--config", file.to_str().expect("utf-8 path")]);
    let scrape = |d: &mut Daemons| {
        let text = d.wait("a /metrics scrape", |_| {
            curl(&ns, &[&format!("http://{EXPORTER}/metrics")])
        });
        (Instant::now(), samples(&text))
    };
    // Every target probed at least twice (the silent ones' first timeouts
    // counted), then a window of five seconds.
    d.wait("every target sent to twice", |_| {
        let text = curl(&ns, &[&format!("http://{EXPORTER}/metrics")])?;
        let s = samples(&text);
        responsive
            .iter()
            .chain(&silent)
            .all(|t| sample_of(&s, "ipkit_ping_sent_total", t).is_some_and(|v| v >= 2.0))
            .then_some(())
    });
    let (t0, a) = scrape(&mut d);
    std::thread::sleep(Duration::from_secs(5));
    let (t1, b) = scrape(&mut d);
    let elapsed = (t1 - t0).as_secs_f64();

    assert_eq!(sum_of(&b, "ipkit_exporter_targets"), 1000.0);
    let delta = |name: &str, t: &str| {
        let (x, y) = (sample_of(&a, name, t), sample_of(&b, name, t));
        y.unwrap_or_else(|| panic!("{name}{{target={t}}} missing")) - x.unwrap_or(0.0)
    };
    let mut late = Vec::new();
    for t in responsive.iter().chain(&silent) {
        let sent = delta("ipkit_ping_sent_total", t);
        if (sent - elapsed).abs() > 1.0 {
            late.push(format!("{t}: {sent} sent in {elapsed:.2} s"));
        }
    }
    assert!(
        late.is_empty(),
        "{} targets off their interval: {:?}",
        late.len(),
        &late[..late.len().min(10)]
    );
    // No slot missed in the window: each slot's echo request goes out on
    // its deadline even while the previous one still waits out its
    // timeout (timeout == interval here), so a silent target's timeouts
    // delay nothing.
    let dropped = |s: &[Sample]| sum_of(s, "ipkit_exporter_probes_dropped_total");
    let probes = sum_of(&b, "ipkit_ping_sent_total") - sum_of(&a, "ipkit_ping_sent_total");
    let missed = dropped(&b) - dropped(&a);
    assert_eq!(
        missed,
        0.0,
        "{missed} slots missed in the window of {probes} probes ({} before it)",
        dropped(&a)
    );
    for t in &responsive {
        let (sent, got) = (
            delta("ipkit_ping_sent_total", t),
            delta("ipkit_ping_received_total", t),
        );
        assert!(
            (sent - got).abs() <= 1.0,
            "{t}: {sent} sent, {got} received"
        );
        assert_eq!(sample_of(&b, "ipkit_ping_loss_ratio", t), Some(0.0), "{t}");
    }
    for t in &silent {
        assert_eq!(
            sample_of(&b, "ipkit_ping_received_total", t),
            Some(0.0),
            "{t}"
        );
        assert_eq!(sample_of(&b, "ipkit_ping_loss_ratio", t), Some(1.0), "{t}");
    }
}

/// The shared ICMP socket's TTL: a module with `ttl = 3` and one without
/// probing in turn on one socket; the packets' TTL as nftables reads them
/// on output — the one without leaves with the namespace's
/// `net.ipv4.ip_default_ttl` (set to 77 here, so an assumed 64 shows),
/// never with the other module's.
#[test]
fn a_module_without_ttl_keeps_the_system_default_on_the_shared_socket() {
    let test = "metrics_lab::a_module_without_ttl_keeps_the_system_default_on_the_shared_socket";
    if !can_use_namespaces(test) {
        return;
    }
    ensure_installed("nft", "nftables");
    ensure_installed("curl", "curl");
    let ns = Netns::new("", "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n");
    let o = run_limited(
        ns.command("sysctl")
            .args(["-qw", "net.ipv4.ip_default_ttl=77"]),
        b"",
        Duration::from_secs(10),
    );
    assert!(o.status.success(), "sysctl in the namespace: {o:?}");
    nft(
        &ns,
        "table ip ipkit_ttl {\n  chain out {\n    type filter hook output priority 0;\n    ip daddr 127.0.0.2 icmp type echo-request ip ttl 77 counter\n    ip daddr 127.0.0.2 icmp type echo-request ip ttl != 77 counter\n    ip daddr 127.0.0.1 icmp type echo-request ip ttl 3 counter\n  }\n}\n",
    );
    let counters = || -> Vec<u64> {
        let o = run_limited(
            ns.command("nft").args(["list", "table", "ip", "ipkit_ttl"]),
            b"",
            Duration::from_secs(10),
        );
        stdout(&o)
            .split("counter packets ")
            .skip(1)
            .map(|c| {
                c.split_whitespace()
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("nft counter: {c}"))
            })
            .collect()
    };
    let mut d = Daemons::new();
    let file = d.dir.join("ttl.toml");
    std::fs::write(
        &file,
        "interval = \"200ms\"\n[modules.ttl3]\nkind = \"icmp\"\nttl = 3\n\n[[targets]]\nhost = \"127.0.0.1\"\nmodule = \"ttl3\"\n\n[[targets]]\nhost = \"127.0.0.2\"\nmodule = \"icmp\"\n",
    )
    .expect("config");
    d.start_exporter(&ns, &["--config", file.to_str().expect("utf-8 path")]);
    let seen = d.wait("five probes of each module", |_| {
        let c = counters();
        (c.len() == 3 && c[0] + c[1] >= 5 && c[2] >= 5).then_some(c)
    });
    assert_eq!(
        seen[1], 0,
        "probes without ttl left with another TTL than the system's 77 \
         (counts: ttl 77, other, ttl 3 of the other module): {seen:?}"
    );
}
