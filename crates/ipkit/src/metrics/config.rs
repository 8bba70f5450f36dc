//! The exporter's configuration: a TOML file (`--config`) and the targets of
//! the command line, checked into one [`Config`] before any socket opens.
//!
//! Why TOML and not YAML (blackbox_exporter's format): ipkit already reads
//! TOML elsewhere (the trace scenarios), TOML has one way to write each value
//! (no implicit typing: `no` is not a boolean, `1:30` is not a number), and
//! its parser reports the line of every error, so each bad key is one clear
//! line. The shape follows blackbox_exporter's (named modules, then targets
//! that use them) so its users find their way.
//!
//! Every error is one line naming the key path (`modules.fast.timeout: …`,
//! `targets[2].host: …`); all of them are collected, not just the first.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::rr::RecordType;
use serde::Deserialize;

/// The default port of `ipkit serve metrics` (the next free one after
/// smokeping_prober's 9374 in Prometheus's port allocation page is taken
/// here as 9427).
pub const DEFAULT_PORT: u16 = 9427;

/// The default interval between two probes of one target.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

/// The default probe timeout of every built-in module.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

/// smokeping_prober's default latency buckets: 50 µs doubling 20 times
/// (`prometheus.ExponentialBuckets(0.00005, 2, 20)`), up to 26 s.
pub fn rtt_buckets() -> Vec<f64> {
    (0..20).map(|i| 0.000_05 * f64::from(1u32 << i)).collect()
}

/// Prometheus's default buckets (client_golang `DefBuckets`), for DNS and
/// TCP connect times.
pub fn default_buckets() -> Vec<f64> {
    vec![
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ]
}

/// What a module probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// ICMP echo (ping).
    Icmp,
    /// TCP connect (Happy Eyeballs).
    Tcp,
    /// One DNS question.
    Dns,
    /// A route trace, one round per interval.
    Trace,
}

impl Kind {
    /// The name in the config and in the `kind` label.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Icmp => "icmp",
            Kind::Tcp => "tcp",
            Kind::Dns => "dns",
            Kind::Trace => "trace",
        }
    }

    /// Every kind, in exposition order.
    pub const ALL: [Kind; 4] = [Kind::Icmp, Kind::Tcp, Kind::Dns, Kind::Trace];

    fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which address family an ICMP module resolves names to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FamilyPref {
    /// getaddrinfo's first answer.
    #[default]
    Any,
    /// IPv4 only.
    V4,
    /// IPv6 only.
    V6,
}

/// The settings of one module, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Settings {
    /// ICMP echo.
    Icmp {
        /// Payload bytes after the ICMP header (56, as ping).
        size: usize,
        /// TTL / hop limit; None: the system's.
        ttl: Option<u32>,
        /// The family names resolve to.
        family: FamilyPref,
    },
    /// TCP connect: nothing beyond the timeout.
    Tcp,
    /// DNS.
    Dns {
        /// The record type asked.
        rtype: RecordType,
        /// The server when the target names none.
        server: Option<SocketAddr>,
        /// TCP instead of UDP.
        tcp: bool,
    },
    /// Trace.
    Trace {
        /// How probes travel.
        protocol: crate::trace::Protocol,
        /// The last TTL.
        max_hops: u8,
        /// Label hop RTTs with the responder's address.
        responder_label: bool,
        /// At most this many responder values per target; more are "other".
        max_responders: usize,
    },
}

/// A named module: what to probe and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    /// Its name (`icmp`, `tcp`, `dns`, `trace` for the built-in ones).
    pub name: String,
    /// What it probes.
    pub kind: Kind,
    /// How long one probe may take.
    pub timeout: Duration,
    /// Histogram buckets, seconds, increasing.
    pub buckets: Vec<f64>,
    /// The kind's settings.
    pub settings: Settings,
}

impl Module {
    /// The built-in module of `kind`, named after it.
    pub fn builtin(kind: Kind) -> Module {
        let settings = match kind {
            Kind::Icmp => Settings::Icmp {
                size: 56,
                ttl: None,
                family: FamilyPref::Any,
            },
            Kind::Tcp => Settings::Tcp,
            Kind::Dns => Settings::Dns {
                rtype: RecordType::A,
                server: None,
                tcp: false,
            },
            Kind::Trace => Settings::Trace {
                protocol: crate::trace::Protocol::Udp,
                max_hops: 30,
                responder_label: false,
                max_responders: 8,
            },
        };
        Module {
            name: kind.name().to_string(),
            kind,
            timeout: DEFAULT_TIMEOUT,
            buckets: match kind {
                Kind::Icmp | Kind::Trace => rtt_buckets(),
                Kind::Tcp | Kind::Dns => default_buckets(),
            },
            settings,
        }
    }
}

/// One continuously probed target.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The `target` label (default: the host).
    pub name: String,
    /// What to probe: a host (icmp, trace), HOST:PORT (tcp),
    /// NAME[@SERVER[:PORT]] (dns).
    pub host: String,
    /// The module.
    pub module: Arc<Module>,
    /// Time between two probes.
    pub interval: Duration,
}

impl Target {
    /// The identity that keeps a target's series across reloads: same name,
    /// module and host.
    pub fn key(&self) -> (Kind, String, String, String) {
        (
            self.module.kind,
            self.name.clone(),
            self.module.name.clone(),
            self.host.clone(),
        )
    }
}

/// Targets given on the command line (`--ping HOST` …), smokeping_prober's
/// way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CliTargets {
    /// `--ping HOST`.
    pub ping: Vec<String>,
    /// `--tcp HOST:PORT`.
    pub tcp: Vec<String>,
    /// `--dns NAME@SERVER[:PORT]`.
    pub dns: Vec<String>,
    /// `--trace HOST`.
    pub trace: Vec<String>,
    /// `--interval`, when given.
    pub interval: Option<Duration>,
}

/// The checked configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The default interval.
    pub interval: Duration,
    /// Where to listen (the file's `listen`); empty: the default.
    pub listen: Vec<SocketAddr>,
    /// Every module by name, built-in ones included.
    pub modules: BTreeMap<String, Arc<Module>>,
    /// The continuous targets.
    pub targets: Vec<Target>,
}

/// One thing wrong with a configuration: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The key path (`modules.fast.timeout`), or `line N` for syntax.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every error of a configuration, one line each.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct ConfigErrors(pub Vec<ConfigError>);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    interval: Option<String>,
    listen: Option<Vec<String>>,
    #[serde(default)]
    modules: BTreeMap<String, RawModule>,
    #[serde(default)]
    targets: Vec<RawTarget>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModule {
    kind: String,
    timeout: Option<String>,
    buckets: Option<Vec<f64>>,
    size: Option<i64>,
    ttl: Option<i64>,
    family: Option<String>,
    #[serde(rename = "type")]
    rtype: Option<String>,
    server: Option<String>,
    protocol: Option<String>,
    max_hops: Option<i64>,
    responder_label: Option<bool>,
    max_responders: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    name: Option<String>,
    host: String,
    module: String,
    interval: Option<String>,
}

/// A duration as the config writes it: a number and a unit (`ms`, `s`,
/// `m`, `h`), as Prometheus's (`500ms`, `1s`, `1.5s`, `2m`).
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use ipkit::metrics::config::parse_duration;
/// assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
/// assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
/// assert!(parse_duration("1x").is_err());
/// assert!(parse_duration("0s").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale = match unit {
        "ms" => 0.001,
        "s" | "" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => {
            return Err(format!(
                "\"{text}\" is not a duration (write 500ms, 1s, 2m, 1h)"
            ));
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a duration (write 500ms, 1s, 2m, 1h)"))?;
    Duration::try_from_secs_f64(value * scale)
        .ok()
        .filter(|d| *d >= Duration::from_millis(1) && *d <= Duration::from_secs(86_400))
        .ok_or_else(|| format!("\"{text}\": give 1ms to 24h"))
}

/// A `HOST:PORT` (`[v6]:port` for an IPv6 address) split in two.
pub fn split_host_port(text: &str) -> Option<(String, u16)> {
    let (host, port) = text.rsplit_once(':')?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let port: u16 = port.parse().ok().filter(|p| *p != 0)?;
    if host.is_empty() || host.contains(':') && !text.starts_with('[') {
        return None;
    }
    Some((host.to_string(), port))
}

/// A DNS server: an address with an optional port (53).
pub fn parse_server(text: &str) -> Option<SocketAddr> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, 53));
    }
    if let Ok(sa) = text.parse::<SocketAddr>() {
        return Some(sa);
    }
    let (host, port) = text.rsplit_once(':')?;
    Some(SocketAddr::new(host.parse().ok()?, port.parse().ok()?))
}

/// A DNS target `NAME[@SERVER[:PORT]]`: the name and the server.
pub fn split_dns_target(text: &str) -> Result<(String, Option<SocketAddr>), String> {
    match text.split_once('@') {
        None => Ok((text.to_string(), None)),
        Some((name, server)) => match parse_server(server) {
            Some(s) => Ok((name.to_string(), Some(s))),
            None => Err(format!(
                "\"{server}\" is not a server address (write 127.0.0.1, [::1]:5353)"
            )),
        },
    }
}

/// Check that `host` is a valid target of `module`; the message if not.
pub fn check_target(module: &Module, host: &str) -> Result<(), String> {
    if host.trim().is_empty() {
        return Err("empty".into());
    }
    match &module.settings {
        Settings::Tcp => split_host_port(host).map(|_| ()).ok_or_else(|| {
            format!("\"{host}\" is not HOST:PORT (write example.org:443, [::1]:22)")
        }),
        Settings::Dns { server, .. } => {
            let (name, given) = split_dns_target(host)?;
            crate::dns::request::check_name(&name).map_err(|e| e.to_string())?;
            if given.is_none() && server.is_none() {
                return Err(format!(
                    "\"{host}\" names no server and module {} has none (write NAME@SERVER)",
                    module.name
                ));
            }
            Ok(())
        }
        Settings::Icmp { .. } | Settings::Trace { .. } => Ok(()),
    }
}

fn err(path: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        path: path.into(),
        message: message.into(),
    }
}

impl Config {
    /// The configuration of `toml` (the file's text; `None` without a
    /// file) and the command line's targets. Every error is collected.
    pub fn new(toml: Option<&str>, cli: &CliTargets) -> Result<Config, ConfigErrors> {
        let raw: RawConfig = match toml {
            None => RawConfig::default(),
            Some(text) => toml::from_str(text).map_err(|e| ConfigErrors(vec![syntax(text, &e)]))?,
        };
        let mut errors = Vec::new();
        let interval = match (&cli.interval, &raw.interval) {
            (Some(d), _) => *d,
            (None, Some(t)) => parse_duration(t).unwrap_or_else(|m| {
                errors.push(err("interval", m));
                DEFAULT_INTERVAL
            }),
            (None, None) => DEFAULT_INTERVAL,
        };
        let mut listen = Vec::new();
        for (i, l) in raw.listen.iter().flatten().enumerate() {
            match l.parse::<SocketAddr>() {
                Ok(a) => listen.push(a),
                Err(_) => errors.push(err(
                    format!("listen[{i}]"),
                    format!("\"{l}\" is not ADDR:PORT (write 127.0.0.1:9427, [::]:9427)"),
                )),
            }
        }
        let mut modules: BTreeMap<String, Arc<Module>> = Kind::ALL
            .into_iter()
            .map(|k| (k.name().to_string(), Arc::new(Module::builtin(k))))
            .collect();
        for (name, m) in &raw.modules {
            if let Some(module) = module(name, m, &mut errors) {
                modules.insert(name.clone(), Arc::new(module));
            }
        }
        let mut targets: Vec<Target> = Vec::new();
        let mut add = |path: String,
                       name: Option<&str>,
                       host: &str,
                       module: &Arc<Module>,
                       every: Duration,
                       errors: &mut Vec<ConfigError>| {
            if let Err(m) = check_target(module, host) {
                errors.push(err(format!("{path}.host"), m));
                return;
            }
            let name = name.unwrap_or(host).to_string();
            if let Some(other) = targets
                .iter()
                .position(|t| t.name == name && t.module.kind == module.kind)
            {
                errors.push(err(
                    format!("{path}.name"),
                    format!(
                        "\"{name}\" is already the name of a {} target (target {})",
                        module.kind,
                        other + 1
                    ),
                ));
                return;
            }
            targets.push(Target {
                name,
                host: host.trim().to_string(),
                module: Arc::clone(module),
                interval: every,
            });
        };
        for (i, t) in raw.targets.iter().enumerate() {
            let path = format!("targets[{i}]");
            let Some(module) = modules.get(&t.module) else {
                errors.push(err(
                    format!("{path}.module"),
                    format!(
                        "no module \"{}\" (built-in: icmp, tcp, dns, trace; or one of [modules])",
                        t.module
                    ),
                ));
                continue;
            };
            let every = match &t.interval {
                None => interval,
                Some(text) => match parse_duration(text) {
                    Ok(d) => d,
                    Err(m) => {
                        errors.push(err(format!("{path}.interval"), m));
                        continue;
                    }
                },
            };
            add(path, t.name.as_deref(), &t.host, module, every, &mut errors);
        }
        let builtins = [
            ("--ping", &cli.ping, Kind::Icmp),
            ("--tcp", &cli.tcp, Kind::Tcp),
            ("--dns", &cli.dns, Kind::Dns),
            ("--trace", &cli.trace, Kind::Trace),
        ];
        for (flag, hosts, kind) in builtins {
            let module = Arc::clone(&modules[kind.name()]);
            for host in hosts {
                add(flag.to_string(), None, host, &module, interval, &mut errors);
            }
        }
        if errors.is_empty() {
            Ok(Config {
                interval,
                listen,
                modules,
                targets,
            })
        } else {
            Err(ConfigErrors(errors))
        }
    }
}

/// A TOML syntax or type error as one line: `line N: message`.
fn syntax(text: &str, e: &toml::de::Error) -> ConfigError {
    let line = e
        .span()
        .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    let message = e.message().replace('\n', " ");
    err(
        line.map_or_else(|| "config".to_string(), |l| format!("line {l}")),
        message.trim().to_string(),
    )
}

fn module(name: &str, m: &RawModule, errors: &mut Vec<ConfigError>) -> Option<Module> {
    let path = |key: &str| format!("modules.{name}.{key}");
    let before = errors.len();
    let Some(kind) = Kind::parse(&m.kind) else {
        errors.push(err(
            path("kind"),
            format!("\"{}\" is not icmp, tcp, dns or trace", m.kind),
        ));
        return None;
    };
    let mut module = Module::builtin(kind);
    module.name = name.to_string();
    if let Some(t) = &m.timeout {
        match parse_duration(t) {
            Ok(d) => module.timeout = d,
            Err(e) => errors.push(err(path("timeout"), e)),
        }
    }
    if let Some(b) = &m.buckets {
        if b.is_empty()
            || b.iter().any(|x| !x.is_finite() || *x <= 0.0)
            || b.windows(2).any(|w| w[0] >= w[1])
        {
            errors.push(err(
                path("buckets"),
                "give increasing positive numbers of seconds",
            ));
        } else {
            module.buckets = b.clone();
        }
    }
    let only = |key: &str, set: bool, for_kind: &str, errors: &mut Vec<ConfigError>| {
        if set {
            errors.push(err(path(key), format!("only for kind = \"{for_kind}\"")));
        }
    };
    match &mut module.settings {
        Settings::Icmp { size, ttl, family } => {
            if let Some(s) = m.size {
                match usize::try_from(s) {
                    Ok(s) if (8..=65_507).contains(&s) => *size = s,
                    _ => errors.push(err(path("size"), "give 8 to 65507 bytes")),
                }
            }
            if let Some(t) = m.ttl {
                match u32::try_from(t) {
                    Ok(t) if (1..=255).contains(&t) => *ttl = Some(t),
                    _ => errors.push(err(path("ttl"), "give 1 to 255")),
                }
            }
            match m.family.as_deref() {
                None => {}
                Some("ip4") => *family = FamilyPref::V4,
                Some("ip6") => *family = FamilyPref::V6,
                Some("any") => *family = FamilyPref::Any,
                Some(f) => errors.push(err(
                    path("family"),
                    format!("\"{f}\" is not ip4, ip6 or any"),
                )),
            }
        }
        Settings::Dns { rtype, server, tcp } => {
            if let Some(t) = &m.rtype {
                match t.to_ascii_uppercase().parse::<RecordType>() {
                    Ok(r) => *rtype = r,
                    Err(_) => {
                        errors.push(err(path("type"), format!("\"{t}\" is not a record type")))
                    }
                }
            }
            if let Some(s) = &m.server {
                match parse_server(s) {
                    Some(a) => *server = Some(a),
                    None => errors.push(err(
                        path("server"),
                        format!("\"{s}\" is not a server address (write 127.0.0.1, [::1]:5353)"),
                    )),
                }
            }
            match m.protocol.as_deref() {
                None | Some("udp") => {}
                Some("tcp") => *tcp = true,
                Some(p) => errors.push(err(path("protocol"), format!("\"{p}\" is not udp or tcp"))),
            }
        }
        Settings::Trace {
            protocol,
            max_hops,
            responder_label,
            max_responders,
        } => {
            match m.protocol.as_deref() {
                None | Some("udp") => {}
                Some("icmp") => *protocol = crate::trace::Protocol::Icmp,
                Some("tcp") => *protocol = crate::trace::Protocol::Tcp,
                Some(p) => errors.push(err(
                    path("protocol"),
                    format!("\"{p}\" is not udp, icmp or tcp"),
                )),
            }
            if let Some(h) = m.max_hops {
                match u8::try_from(h) {
                    Ok(h) if h >= 1 => *max_hops = h,
                    _ => errors.push(err(path("max_hops"), "give 1 to 255")),
                }
            }
            if let Some(r) = m.responder_label {
                *responder_label = r;
            }
            if let Some(n) = m.max_responders {
                match usize::try_from(n) {
                    Ok(n) if (1..=1000).contains(&n) => *max_responders = n,
                    _ => errors.push(err(path("max_responders"), "give 1 to 1000")),
                }
            }
        }
        Settings::Tcp => {}
    }
    let is = |k: Kind| kind == k;
    only("size", m.size.is_some() && !is(Kind::Icmp), "icmp", errors);
    only("ttl", m.ttl.is_some() && !is(Kind::Icmp), "icmp", errors);
    only(
        "family",
        m.family.is_some() && !is(Kind::Icmp),
        "icmp",
        errors,
    );
    only("type", m.rtype.is_some() && !is(Kind::Dns), "dns", errors);
    only(
        "server",
        m.server.is_some() && !is(Kind::Dns),
        "dns",
        errors,
    );
    only(
        "protocol",
        m.protocol.is_some() && !is(Kind::Dns) && !is(Kind::Trace),
        "dns or trace",
        errors,
    );
    only(
        "max_hops",
        m.max_hops.is_some() && !is(Kind::Trace),
        "trace",
        errors,
    );
    only(
        "responder_label",
        m.responder_label.is_some() && !is(Kind::Trace),
        "trace",
        errors,
    );
    only(
        "max_responders",
        m.max_responders.is_some() && !is(Kind::Trace),
        "trace",
        errors,
    );
    (errors.len() == before).then_some(module)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_config_is_read_with_its_defaults() {
        let text = r#"
interval = "2s"
listen = ["127.0.0.1:9427"]
[modules.deep]
kind = "trace"
protocol = "icmp"
max_hops = 12
responder_label = true
[modules.resolver]
kind = "dns"
type = "AAAA"
server = "127.0.0.1:5353"
[[targets]]
host = "192.0.2.1"
module = "icmp"
[[targets]]
name = "route"
host = "192.0.2.9"
module = "deep"
interval = "10s"
[[targets]]
host = "example.test"
module = "resolver"
"#;
        let c = Config::new(Some(text), &CliTargets::default()).unwrap();
        assert_eq!(c.interval, Duration::from_secs(2));
        assert_eq!(c.listen, vec!["127.0.0.1:9427".parse().unwrap()]);
        assert_eq!(c.targets.len(), 3);
        assert_eq!(c.targets[0].name, "192.0.2.1");
        assert_eq!(c.targets[0].interval, Duration::from_secs(2));
        assert_eq!(c.targets[1].interval, Duration::from_secs(10));
        assert!(matches!(
            c.targets[1].module.settings,
            Settings::Trace {
                max_hops: 12,
                responder_label: true,
                ..
            }
        ));
        assert_eq!(c.targets[2].module.kind, Kind::Dns);
    }

    #[test]
    fn every_error_is_one_line_with_its_key_path() {
        let text = r#"
interval = "1x"
[modules.a]
kind = "icmp"
timeout = "soon"
buckets = [0.2, 0.1]
max_hops = 3
[modules.b]
kind = "http"
[[targets]]
host = "h"
module = "nope"
[[targets]]
host = "no-port"
module = "tcp"
"#;
        let e = Config::new(Some(text), &CliTargets::default()).unwrap_err();
        let lines: Vec<String> = e.0.iter().map(ToString::to_string).collect();
        for want in [
            "interval: \"1x\"",
            "modules.a.timeout:",
            "modules.a.buckets:",
            "modules.a.max_hops: only for kind = \"trace\"",
            "modules.b.kind:",
            "targets[0].module: no module \"nope\"",
            "targets[1].host:",
        ] {
            assert!(
                lines.iter().any(|l| l.starts_with(want)),
                "{want} in {lines:#?}"
            );
        }
        assert!(lines.iter().all(|l| !l.contains('\n')));
    }

    #[test]
    fn syntax_errors_and_unknown_keys_name_their_line() {
        let e = Config::new(
            Some("interval = \"1s\"\nbogus = 3\n"),
            &CliTargets::default(),
        )
        .unwrap_err();
        assert_eq!(e.0.len(), 1);
        assert!(e.0[0].path == "line 2", "{:?}", e.0);
        assert!(e.0[0].message.contains("bogus"), "{:?}", e.0);
    }

    #[test]
    fn command_line_targets_use_the_built_in_modules_and_names_are_unique_per_kind() {
        let cli = CliTargets {
            ping: vec!["127.0.0.1".into(), "::1".into()],
            tcp: vec!["127.0.0.1:22".into()],
            dns: vec!["example.test@127.0.0.1:5353".into()],
            trace: vec!["127.0.0.1".into()],
            interval: Some(Duration::from_millis(500)),
        };
        let c = Config::new(None, &cli).unwrap();
        assert_eq!(c.targets.len(), 5);
        assert!(
            c.targets
                .iter()
                .all(|t| t.interval == Duration::from_millis(500))
        );
        let dup = CliTargets {
            ping: vec!["127.0.0.1".into(), "127.0.0.1".into()],
            ..CliTargets::default()
        };
        let e = Config::new(None, &dup).unwrap_err();
        assert!(e.0[0].to_string().starts_with("--ping.name:"), "{e}");
        let bad = CliTargets {
            dns: vec!["example.test".into()],
            ..CliTargets::default()
        };
        assert!(Config::new(None, &bad).is_err());
    }

    #[test]
    fn host_port_and_servers() {
        assert_eq!(split_host_port("[::1]:22"), Some(("::1".into(), 22)));
        assert_eq!(
            split_host_port("example.org:443"),
            Some(("example.org".into(), 443))
        );
        assert_eq!(split_host_port("::1:22"), None);
        assert_eq!(split_host_port("h:0"), None);
        assert_eq!(parse_server("::1"), Some("[::1]:53".parse().unwrap()));
        assert_eq!(
            parse_server("127.0.0.1:5353"),
            Some("127.0.0.1:5353".parse().unwrap())
        );
    }
}
