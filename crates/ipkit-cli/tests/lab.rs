//! A small network lab for tests: network namespaces with unique names, their
//! own `/etc/netns/NAME/{hosts,resolv.conf}`, and real servers started inside
//! them. Everything is removed when the guard drops, even when a test fails.
//! Nothing here touches the host's own interfaces, routes or resolver.

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Whether namespace tests can run. Not root: print why and skip — unless CI
/// is set, where skipping is a failure.
pub fn can_use_namespaces(test: &str) -> bool {
    // SAFETY-free: geteuid via /proc/self/status to avoid unsafe in tests.
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = status
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
    if root {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: needs root for network namespaces, and CI is set"
    );
    crate::util::report_skip(
        test,
        "needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) for network namespaces",
    );
    false
}

/// Run ipkit as `nobody` with no capabilities (setpriv), inside `ns` or,
/// with None, on the host.
pub fn ipkit_as_nobody(ns: Option<&Netns>, args: &[&str]) -> Output {
    let mut c = match ns {
        Some(n) => n.command("setpriv"),
        None => Command::new("setpriv"),
    };
    c.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
        env!("CARGO_BIN_EXE_ipkit"),
    ])
    .args(args)
    .env("NO_COLOR", "1");
    crate::util::run(&mut c)
}

/// Make sure `binary` is on PATH, installing Debian package `package` if
/// not: `apt-get update` once per test process, then `apt-get install`, both
/// waiting for the dpkg lock rather than failing on it. (CI installs every
/// package first, from `.ci/packages`, and runs the tests with no network.)
pub fn ensure_installed(binary: &str, package: &str) {
    let found = || {
        crate::util::run(Command::new("sh").args(["-c", &format!("command -v {binary}")]))
            .status
            .success()
    };
    ensure(&found, binary, package);
}

/// Make sure the file `path` exists (a font, a data file), installing
/// Debian package `package` if not, as [`ensure_installed`] does.
pub fn ensure_file_installed(path: &str, package: &str) {
    ensure(&|| std::path::Path::new(path).exists(), path, package);
}

/// Install `package` unless `found()`, then insist on `found()` (`what`
/// names it in the failure).
fn ensure(found: &dyn Fn() -> bool, what: &str, package: &str) {
    static LOCK: Mutex<bool> = Mutex::new(false);
    let mut updated = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if found() {
        return;
    }
    let apt = |args: &str| {
        crate::util::run_limited(
            Command::new("sh")
                .args([
                    "-c",
                    &format!("apt-get -q -y -o DPkg::Lock::Timeout=120 {args}"),
                ])
                .env("DEBIAN_FRONTEND", "noninteractive"),
            b"",
            Duration::from_secs(900),
        )
    };
    if !*updated {
        let o = apt("update");
        assert!(
            o.status.success(),
            "apt-get update failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        *updated = true;
    }
    let o = apt(&format!("install {package}"));
    assert!(
        o.status.success(),
        "installing {package} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(found(), "{what} still missing after installing {package}");
}

/// A network namespace, removed on drop with everything started in it.
pub struct Netns {
    /// The namespace's name (unique per process and call).
    pub name: String,
    etc: PathBuf,
    children: Vec<Child>,
}

impl Netns {
    /// Create `ipkit-PID-N` with loopback up and the given hosts and
    /// resolv.conf files (bind-mounted by `ip netns exec`).
    pub fn new(hosts: &str, resolv_conf: &str) -> Netns {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "ipkit-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let etc = PathBuf::from("/etc/netns").join(&name);
        std::fs::create_dir_all(&etc).expect("create /etc/netns/NAME");
        std::fs::write(etc.join("hosts"), hosts).expect("write hosts");
        std::fs::write(etc.join("resolv.conf"), resolv_conf).expect("write resolv.conf");
        let ns = Netns {
            name,
            etc,
            children: Vec::new(),
        };
        ns.ip(&["netns", "add", &ns.name]);
        ns.ip(&["-n", &ns.name, "link", "set", "lo", "up"]);
        ns
    }

    /// Run `ip ARGS` and insist it succeeds.
    pub fn ip(&self, args: &[&str]) {
        let o = crate::util::run(Command::new("ip").args(args));
        assert!(
            o.status.success(),
            "ip {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }

    /// Join this namespace (device `va`, MAC 02:00:00:00:00:01) and `peer`
    /// (device `vb`, MAC 02:00:00:00:00:02) with a veth pair.
    pub fn veth_to(&self, peer: &Netns) {
        self.ip(&[
            "link",
            "add",
            "va",
            "netns",
            &self.name,
            "address",
            "02:00:00:00:00:01",
            "type",
            "veth",
            "peer",
            "name",
            "vb",
            "netns",
            &peer.name,
            "address",
            "02:00:00:00:00:02",
        ]);
    }

    /// A command that runs inside the namespace.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }

    /// Run ipkit inside the namespace and wait for it.
    pub fn ipkit(&self, args: &[&str]) -> Output {
        crate::util::run(
            self.command(env!("CARGO_BIN_EXE_ipkit"))
                .args(args)
                .env("NO_COLOR", "1"),
        )
    }

    /// Start a long-running process inside the namespace; killed on drop.
    pub fn spawn(&mut self, program: &str, args: &[&str]) -> &mut Child {
        let child = self
            .command(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {program}: {e}"));
        self.children.push(child);
        self.children.last_mut().expect("just pushed")
    }

    /// Poll `ready` until it answers true, at most `limit`; panic after.
    pub fn wait_until(&self, what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
        let start = Instant::now();
        while !ready() {
            assert!(start.elapsed() < limit, "{what} not ready within {limit:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = crate::util::run(Command::new("ip").args(["netns", "del", &self.name]));
        let _ = std::fs::remove_dir_all(&self.etc);
    }
}

/// Serialise the namespace tests that install packages or are heavy.
pub fn lab_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: OnceLock<Mutex<()>> = OnceLock::new();
    LOCK.get_or_init(|| Mutex::new(()))
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// An NSD authoritative server on 127.0.0.1 (host loopback, or a
/// namespace's own loopback), serving the zones given; stopped on drop.
pub struct Nsd {
    /// The UDP/TCP port it listens on.
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl Nsd {
    /// Write the config and zones into a fresh directory.
    fn prepare(zones: &[(&str, &str)], addr: &str, port: u16) -> PathBuf {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ipkit-nsd-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("nsd dir");
        let mut conf = format!(
            "server:\n  ip-address: {addr}@{port}\n{v6}  username: \"\"\n  zonesdir: \"{d}\"\n  pidfile: \"\"\n  xfrdfile: \"{d}/xfrd.state\"\n  zonelistfile: \"{d}/zone.list\"\n  database: \"\"\n  server-count: 1\n  verbosity: 1\n  rrl-ratelimit: 0\n  nsid: \"ascii_ipkit-lab\"\nremote-control:\n  control-enable: no\n",
            d = dir.display(),
            v6 = if addr == "127.0.0.1" && port != 53 {
                format!("  ip-address: ::1@{port}\n")
            } else {
                String::new()
            },
        );
        for (name, text) in zones {
            std::fs::write(dir.join(format!("{name}.zone")), text).expect("zone file");
            conf.push_str(&format!(
                "zone:\n  name: {name}\n  zonefile: {name}.zone\n  provide-xfr: 127.0.0.1 NOKEY\n"
            ));
        }
        std::fs::write(dir.join("nsd.conf"), conf).expect("nsd.conf");
        dir
    }

    /// Start NSD on host loopback at a free port.
    pub fn start(zones: &[(&str, &str)]) -> Nsd {
        ensure_installed("nsd", "nsd");
        let port = free_udp_port();
        let dir = Nsd::prepare(zones, "127.0.0.1", port);
        let child = Command::new("nsd")
            .args(["-d", "-c"])
            .arg(dir.join("nsd.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nsd");
        Nsd {
            port,
            dir,
            child: Some(child),
        }
    }

    /// Start NSD inside `ns` on port 53 of its loopback.
    pub fn start_in(ns: &mut Netns, zones: &[(&str, &str)]) -> Nsd {
        Nsd::start_in_at(ns, "127.0.0.1", zones)
    }

    /// Start NSD inside `ns` on `addr` (a 127.0.0.0/8 address) port 53.
    pub fn start_in_at(ns: &mut Netns, addr: &str, zones: &[(&str, &str)]) -> Nsd {
        ensure_installed("nsd", "nsd");
        let dir = Nsd::prepare(zones, addr, 53);
        let conf = dir.join("nsd.conf");
        ns.spawn("nsd", &["-d", "-c", conf.to_str().expect("utf-8 path")]);
        Nsd {
            port: 53,
            dir,
            child: None,
        }
    }
}

impl Drop for Nsd {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A UDP port that was free a moment ago on 127.0.0.1 (TCP checked too).
pub fn free_udp_port() -> u16 {
    loop {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        let port = udp.local_addr().expect("addr").port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// dnsdist in front of a DNS server on loopback, offering DNS over TLS and
/// over HTTPS with a certificate signed by a throwaway CA. Its security
/// status poll is switched off, so it sends nothing off this machine.
pub struct Dnsdist {
    /// The DoT port.
    pub tls_port: u16,
    /// The DoH port (path /dns-query).
    pub https_port: u16,
    /// The CA certificate to trust.
    pub ca: PathBuf,
    dir: PathBuf,
    child: Child,
}

impl Dnsdist {
    /// Start it, forwarding to 127.0.0.1:`backend_port`.
    pub fn start(backend_port: u16) -> Dnsdist {
        ensure_installed("dnsdist", "dnsdist");
        ensure_installed("openssl", "openssl");
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ipkit-dnsdist-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("dnsdist dir");
        let sh = |script: &str| {
            let o = crate::util::run(Command::new("sh").arg("-c").arg(script).current_dir(&dir));
            assert!(
                o.status.success(),
                "{script}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        };
        sh(
            "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=ipkit-test-ca",
        );
        sh(
            "openssl req -newkey rsa:2048 -nodes -keyout key.pem -out leaf.csr -subj /CN=dns.lab.test",
        );
        sh(
            "printf 'subjectAltName=IP:127.0.0.1,DNS:dns.lab.test\\nbasicConstraints=CA:FALSE\\n' > ext.cnf && openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cert.pem -days 1 -extfile ext.cnf",
        );
        let (plain, tls_port, https_port) = (free_udp_port(), free_udp_port(), free_udp_port());
        let d = dir.display();
        let conf = format!(
            "setSecurityPollSuffix(\"\")\nsetLocal(\"127.0.0.1:{plain}\")\nnewServer({{address=\"127.0.0.1:{backend_port}\", healthCheckMode=\"up\"}})\n\
             addTLSLocal(\"127.0.0.1:{tls_port}\", \"{d}/cert.pem\", \"{d}/key.pem\")\n\
             addDOHLocal(\"127.0.0.1:{https_port}\", \"{d}/cert.pem\", \"{d}/key.pem\", \"/dns-query\")\n"
        );
        std::fs::write(dir.join("dnsdist.conf"), conf).expect("dnsdist.conf");
        let child = Command::new("dnsdist")
            .args(["--supervised", "--disable-syslog", "-C"])
            .arg(dir.join("dnsdist.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dnsdist");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", https_port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "dnsdist did not come up"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Dnsdist {
            tls_port,
            https_port,
            ca: dir.join("ca.pem"),
            dir,
            child,
        }
    }
}

impl Drop for Dnsdist {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Three namespaces in a line — client, router, server — joined by veth
/// pairs, with IPv4 and IPv6 addresses and routes, forwarding on in the
/// router. Documentation prefixes only, and all of it inside the namespaces.
///
/// client 192.0.2.2/24, 2001:db8:1::2/64 — router .1 / ::1 | router
/// 198.51.100.1/24, 2001:db8:2::1/64 — server .2 / ::2. The router–server
/// link has MTU 1280.
pub struct RouterLab {
    /// The client namespace.
    pub client: Netns,
    /// The router namespace.
    pub router: Netns,
    /// The server namespace.
    pub server: Netns,
}

impl RouterLab {
    /// Build it.
    pub fn new() -> RouterLab {
        let resolv = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n";
        let (client, router, server) = (
            Netns::new("", resolv),
            Netns::new("", resolv),
            Netns::new("", resolv),
        );
        let (c, r, s) = (
            client.name.clone(),
            router.name.clone(),
            server.name.clone(),
        );
        let ip = |args: &[&str]| client.ip(args);
        ip(&[
            "link", "add", "c0", "netns", &c, "type", "veth", "peer", "name", "r0", "netns", &r,
        ]);
        ip(&[
            "link", "add", "r1", "netns", &r, "type", "veth", "peer", "name", "s0", "netns", &s,
        ]);
        for (ns, dev, addrs) in [
            (&c, "c0", ["192.0.2.2/24", "2001:db8:1::2/64"]),
            (&r, "r0", ["192.0.2.1/24", "2001:db8:1::1/64"]),
            (&r, "r1", ["198.51.100.1/24", "2001:db8:2::1/64"]),
            (&s, "s0", ["198.51.100.2/24", "2001:db8:2::2/64"]),
        ] {
            for a in addrs {
                ip(&["-n", ns, "addr", "add", a, "dev", dev, "nodad"]);
            }
            ip(&["-n", ns, "link", "set", dev, "up"]);
        }
        ip(&["-n", &r, "link", "set", "r1", "mtu", "1280"]);
        ip(&["-n", &s, "link", "set", "s0", "mtu", "1280"]);
        ip(&["-n", &c, "route", "add", "default", "via", "192.0.2.1"]);
        ip(&[
            "-n",
            &c,
            "-6",
            "route",
            "add",
            "default",
            "via",
            "2001:db8:1::1",
        ]);
        ip(&["-n", &s, "route", "add", "default", "via", "198.51.100.1"]);
        ip(&[
            "-n",
            &s,
            "-6",
            "route",
            "add",
            "default",
            "via",
            "2001:db8:2::1",
        ]);
        // The router forwards, and answers every IPv4 probe with its ICMP
        // error: no type is rate-limited (tests send several in a row and
        // count them; a small icmp_ratelimit instead suppresses errors here).
        for (key, value) in [
            ("net.ipv4.ip_forward", "1"),
            ("net.ipv6.conf.all.forwarding", "1"),
            ("net.ipv4.icmp_ratemask", "0"),
        ] {
            let o = crate::util::run(Command::new("ip").args([
                "netns",
                "exec",
                &r,
                "sysctl",
                "-qw",
                &format!("{key}={value}"),
            ]));
            assert!(
                o.status.success(),
                "{key}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        RouterLab {
            client,
            router,
            server,
        }
    }

    /// Run `sysctl -w KEY=VALUE` inside a namespace.
    pub fn sysctl(ns: &Netns, key: &str, value: &str) {
        let o = crate::util::run(Command::new("ip").args([
            "netns",
            "exec",
            &ns.name,
            "sysctl",
            "-qw",
            &format!("{key}={value}"),
        ]));
        assert!(
            o.status.success(),
            "{key}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
