//! What a user asked `ping` for, checked before any socket opens.
//!
//! [`Asked`] is the low-level form: what was typed, flag by flag (as
//! ripgrep's low-level args). [`Request::new`] validates it and decides
//! which engine runs: one target becomes a [`SessionRequest`] (iputils'
//! rules: `-M`, the 2 ms interval floor for users other than root, IPv4
//! options that fit the header), several targets or a CIDR range a
//! [`SweepRequest`] (fping's rules: 1 to 65535 probes a target, 16 payload
//! bytes at least, the `--limit` on ranges; what only one target can do is
//! refused, not ignored). Target names are resolved here (getaddrinfo);
//! legacy `inet_aton` forms (`2`, `127.1`) are refused.
//!
//! It does not parse command lines or print: the binary maps its flags
//! into [`Asked`], and [`RequestError`]'s text is the message to show.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use ipkit_core::wire::ipv4::{Ipv4Option, OPTIONS_ROOM};

use super::session::{MIN_USER_INTERVAL, PingOptions};
use super::sweep::SweepOptions;

/// Whose letters the user typed: error messages name the flags that way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// iputils' `ping` (and ipkit's long flags).
    #[default]
    Iputils,
    /// Windows' `ping`.
    Windows,
}

impl Dialect {
    /// The flags that ask for IPv4 options, as the user knows them.
    fn option_letters(self) -> &'static str {
        match self {
            Dialect::Iputils => "--record-route/--timestamp/--loose-route/--strict-route",
            Dialect::Windows => "-r/-s/-j/-k",
        }
    }
}

/// The largest payload an ICMP echo carries over IPv4 (65535 − 20 − 8).
pub const MAX_PAYLOAD: usize = 65_507;

/// Payload bytes a sweep's probe needs: its cookie, the target's index and
/// the send time.
pub const SWEEP_MIN_PAYLOAD: usize = 16;

/// The longest a seconds flag (`-i`, `-W`, `-w`) may be: a day.
pub const MAX_SECONDS: f64 = 86_400.0;

/// Internet timestamps asked for (`-T`, `--timestamp`, Windows `-s`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimestampAsked {
    /// Address and timestamp from this many hops (1 to 4).
    Hops(u8),
    /// iputils' `-T KIND`: `tsonly` or `tsandaddr`.
    Kind(String),
}

/// What the user typed, flag by flag; [`Request::new`] checks it. The
/// default is `ping`'s: 1 s apart, 56 payload bytes, and for sweeps 1,000
/// probes/s, 1 retry, at most 2^20 targets.
#[derive(Debug, Clone)]
pub struct Asked {
    /// Whose letters were used.
    pub dialect: Dialect,
    /// Addresses, names or CIDR ranges, as given.
    pub targets: Vec<String>,
    /// A sweep's listing was asked for (`--alive`, `--unreachable`): sweep
    /// even one target.
    pub sweep_listing: bool,
    /// Sweep: probes per second at most (0: no limit).
    pub rate: u32,
    /// Sweep: extra rounds for the silent.
    pub retries: u8,
    /// Sweep: the most targets a range may expand to.
    pub limit: usize,
    /// Probes to send (a sweep: to every target); None until stopped.
    pub count: Option<u64>,
    /// Ping until stopped (`--forever`, Windows `-t`): no count.
    pub forever: bool,
    /// Seconds between probes.
    pub interval: f64,
    /// How long to wait for each reply; None: 10 s, 1 s in a sweep.
    pub timeout: Option<Duration>,
    /// Stop after this long (`-w`).
    pub deadline: Option<Duration>,
    /// Payload bytes.
    pub size: usize,
    /// TTL / hop limit.
    pub ttl: Option<u32>,
    /// Type of service / traffic class.
    pub tos: Option<u32>,
    /// `-M`: `do`, `want` or `dont`.
    pub pmtu: Option<String>,
    /// Forbid fragmentation.
    pub dont_fragment: bool,
    /// `-I`: an interface name or a source address.
    pub interface: Option<String>,
    /// `--source`.
    pub source: Option<IpAddr>,
    /// Record route with this many slots (1 to 9).
    pub record_route: Option<u8>,
    /// Internet timestamps.
    pub timestamp: Option<TimestampAsked>,
    /// Loose source route: routers, by commas or spaces.
    pub loose_route: Option<String>,
    /// Strict source route.
    pub strict_route: Option<String>,
    /// IPv4 only (`-4`).
    pub ipv4: bool,
    /// IPv6 only (`-6`).
    pub ipv6: bool,
    /// Names of the hosts that answer were asked for (`--resolve`, Windows `-a`).
    pub names: bool,
    /// A Unix timestamp before each line (`-D`).
    pub line_timestamps: bool,
    /// The Windows view was asked for.
    pub windows_view: bool,
}

impl Default for Asked {
    fn default() -> Self {
        Asked {
            dialect: Dialect::Iputils,
            targets: Vec::new(),
            sweep_listing: false,
            rate: 1000,
            retries: 1,
            limit: 1 << 20,
            count: None,
            forever: false,
            interval: 1.0,
            timeout: None,
            deadline: None,
            size: 56,
            ttl: None,
            tos: None,
            pmtu: None,
            dont_fragment: false,
            interface: None,
            source: None,
            record_route: None,
            timestamp: None,
            loose_route: None,
            strict_route: None,
            ipv4: false,
            ipv6: false,
            names: false,
            line_timestamps: false,
            windows_view: false,
        }
    }
}

impl Asked {
    /// Whether this asks for a sweep: several targets, a range, or a
    /// sweep's listing, in iputils' letters (Windows ping takes one host).
    pub fn is_sweep(&self) -> bool {
        self.dialect == Dialect::Iputils
            && (self.targets.len() > 1
                || self.targets.iter().any(|t| t.contains('/'))
                || self.sweep_listing)
    }
}

/// Which IPv4 options the probes ask for, so a view can say when a reply
/// came back without one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OptionsAsked {
    /// Record route.
    pub record_route: bool,
    /// Internet timestamps.
    pub timestamps: bool,
    /// A loose or strict source route.
    pub source_route: bool,
}

/// A checked request for one target (a session).
#[derive(Debug, Clone)]
pub struct SessionRequest {
    /// The target as the user wrote it.
    pub shown: String,
    /// Its address.
    pub target: IpAddr,
    /// What the session sends and how long it waits.
    pub options: PingOptions,
    /// The IPv4 options asked for.
    pub asked: OptionsAsked,
    /// Names were asked for.
    pub names: bool,
}

/// A checked request for many targets (a sweep).
#[derive(Debug, Clone)]
pub struct SweepRequest {
    /// Every target, ranges expanded, in the order given.
    pub targets: Vec<IpAddr>,
    /// What the sweep sends and how long it waits.
    pub options: SweepOptions,
}

/// A checked ping request.
#[derive(Debug, Clone)]
pub enum Request {
    /// One target.
    Session(SessionRequest),
    /// Several targets or a range.
    Sweep(SweepRequest),
}

/// What is wrong with a request. The text is the message for the user.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// An address of the other family than `-4`/`-6` asked for.
    #[error("{target} is an IPv{is} address, but -{given} was given")]
    WrongFamily {
        /// The target.
        target: String,
        /// Its family (4 or 6).
        is: u8,
        /// The flag given (4 or 6).
        given: u8,
    },
    /// A legacy `inet_aton` form (`2`, `127.1`) the C library would accept.
    #[error(
        "'{target}' is not a host: the C library would read it as {legacy} (a legacy inet_aton form); \
         write the address in full{}",
        if target.bytes().all(|b| b.is_ascii_digit()) {
            " (a count is -c COUNT here; Windows letters need `ipkit ping --windows`)"
        } else {
            ""
        }
    )]
    LegacyForm {
        /// The target.
        target: String,
        /// What the C library would make of it.
        legacy: Ipv4Addr,
    },
    /// The name did not resolve.
    #[error("{target}: {cause}")]
    Resolve {
        /// The name.
        target: String,
        /// getaddrinfo's answer.
        cause: crate::resolve::ResolveError,
    },
    /// The name resolved to nothing.
    #[error("{target}: no address")]
    NoAddress {
        /// The name.
        target: String,
    },
    /// `-M` with another word.
    #[error("-M takes do, want or dont")]
    PmtuMode,
    /// Faster than iputils lets a user other than root send.
    #[error(
        "-i {interval}: below {min} s ({ms} ms) only root may go, as in iputils; give -i {min} or more, or run as root",
        min = MIN_USER_INTERVAL.as_secs_f64(),
        ms = MIN_USER_INTERVAL.as_millis()
    )]
    IntervalTooShort {
        /// The interval asked for, seconds.
        interval: f64,
    },
    /// `-T` with another word.
    #[error("-T {0}: give tsonly or tsandaddr (prespecified addresses are not supported)")]
    TimestampKind(String),
    /// A loose and a strict route together.
    #[error("{0} exclude each other: give one route")]
    RouteConflict(&'static str),
    /// IPv4 options for an IPv6 target.
    #[error("{letters}: IP options exist in IPv4 only; {target} is IPv6")]
    OptionsNeedIpv4 {
        /// The flags, as typed.
        letters: &'static str,
        /// The target.
        target: IpAddr,
    },
    /// A source-route hop that is IPv6.
    #[error("{0}: source routes take IPv4 hops")]
    RouteHopNotIpv4(String),
    /// No hops, or more than 8.
    #[error("a source route takes 1 to 8 hops (the target fills the 9th slot); got {0}")]
    RouteHops(usize),
    /// The options do not fit the header.
    #[error(
        "{letters}: these options take {size} bytes, and an IPv4 header holds {OPTIONS_ROOM}; ask for fewer slots"
    )]
    OptionsTooLarge {
        /// The flags, as typed.
        letters: &'static str,
        /// Their bytes, before padding.
        size: usize,
    },
    /// A target with a `/` that is not a CIDR range.
    #[error("'{target}': {cause}")]
    BadRange {
        /// The target.
        target: String,
        /// Why.
        cause: ipkit_core::PrefixError,
    },
    /// A range larger than `--limit`.
    #[error("'{target}' holds {count} addresses, more than --limit {limit}")]
    RangeTooLarge {
        /// The range.
        target: String,
        /// Its addresses.
        count: u128,
        /// The limit.
        limit: usize,
    },
    /// More targets than `--limit`.
    #[error("more than --limit {0} targets")]
    TooManyTargets(usize),
    /// A sweep's count out of 1 to 65535.
    #[error("-c {0}: a sweep sends 1 to 65535 probes per target")]
    SweepCount(u64),
    /// A flag only one target can take, in a sweep.
    #[error("{0} is for one target; with several targets or a range, drop it")]
    OneTargetOnly(&'static str),
    /// A sweep's payload out of its range.
    #[error(
        "-s {0}: a sweep's probes carry {SWEEP_MIN_PAYLOAD} to {MAX_PAYLOAD} payload bytes (16 hold its cookie, the target's index and the send time)"
    )]
    SweepSize(usize),
}

impl RequestError {
    /// Whether the fault is in how ping was called (a usage error), rather
    /// than in the world (a name that does not resolve).
    pub fn is_usage(&self) -> bool {
        !matches!(
            self,
            RequestError::Resolve { .. } | RequestError::NoAddress { .. }
        )
    }
}

/// Read seconds as ping's `-i`, `-W` and `-w` take them: a number from 0 to
/// a day, fractions allowed. The error is the one line to show.
///
/// # Examples
/// ```
/// assert_eq!(ipkit::ping::request::parse_seconds("0.2"), Ok(0.2));
/// assert!(ipkit::ping::request::parse_seconds("-1").is_err());
/// ```
pub fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if (0.0..=MAX_SECONDS).contains(&v) => Ok(v),
        _ => Err("must be seconds between 0 and 86400 (fractions allowed: 0.2)".into()),
    }
}

impl Request {
    /// Check what was asked and resolve the targets: the engine to run and
    /// its options, or what is wrong.
    pub fn new(asked: &Asked) -> Result<Request, RequestError> {
        if asked.is_sweep() {
            sweep_request(asked).map(Request::Sweep)
        } else {
            session_request(asked).map(Request::Session)
        }
    }
}

/// `-I`: an address is the source, anything else an interface name.
fn source_and_interface(asked: &Asked) -> (Option<IpAddr>, Option<String>) {
    match asked.interface.as_deref().map(|i| (i, i.parse::<IpAddr>())) {
        Some((_, Ok(ip))) => (Some(ip), None),
        Some((name, Err(_))) => (None, Some(name.to_string())),
        None => (asked.source, None),
    }
}

fn session_request(asked: &Asked) -> Result<SessionRequest, RequestError> {
    let shown = asked.targets.first().cloned().unwrap_or_default();
    let target = resolve(&shown, asked.ipv4, asked.ipv6)?;
    if asked
        .pmtu
        .as_deref()
        .is_some_and(|m| m != "do" && m != "dont" && m != "want")
    {
        return Err(RequestError::PmtuMode);
    }
    check_interval(asked.interval, crate::privilege::is_root)?;
    let timestamp = match &asked.timestamp {
        None => None,
        Some(TimestampAsked::Hops(n)) => Some((1, *n)),
        Some(TimestampAsked::Kind(k)) if k == "tsonly" => Some((0, 9)),
        Some(TimestampAsked::Kind(k)) if k == "tsandaddr" => Some((1, 4)),
        Some(TimestampAsked::Kind(k)) => return Err(RequestError::TimestampKind(k.clone())),
    };
    let route = match (&asked.loose_route, &asked.strict_route) {
        (Some(_), Some(_)) if asked.dialect == Dialect::Windows => {
            return Err(RequestError::RouteConflict("-j and -k"));
        }
        (Some(_), Some(_)) => {
            return Err(RequestError::RouteConflict(
                "--loose-route and --strict-route",
            ));
        }
        (Some(h), None) => Some((SourceRoute::Loose, h.as_str())),
        (None, Some(h)) => Some((SourceRoute::Strict, h.as_str())),
        (None, None) => None,
    };
    let wanted = IpOptionsWanted {
        record_route: asked.record_route,
        timestamp,
        route,
    };
    let ip_options = wanted.build(target, asked.dialect.option_letters())?;
    let (source, interface) = source_and_interface(asked);
    let options = PingOptions {
        count: if asked.forever { None } else { asked.count },
        interval: Duration::from_secs_f64(asked.interval),
        timeout: asked.timeout.unwrap_or(Duration::from_secs(10)),
        deadline: asked.deadline,
        size: asked.size,
        ttl: asked.ttl,
        tos: asked.tos,
        dont_fragment: asked.dont_fragment || asked.pmtu.as_deref() == Some("do"),
        source,
        interface,
        ip_options,
    };
    Ok(SessionRequest {
        shown,
        target,
        options,
        asked: OptionsAsked {
            record_route: wanted.record_route.is_some(),
            timestamps: wanted.timestamp.is_some(),
            source_route: wanted.route.is_some(),
        },
        names: asked.names,
    })
}

fn sweep_request(asked: &Asked) -> Result<SweepRequest, RequestError> {
    let targets = expand(asked)?;
    let count = asked
        .count
        .map(|c| {
            u16::try_from(c)
                .ok()
                .filter(|c| *c > 0)
                .ok_or(RequestError::SweepCount(c))
        })
        .transpose()?;
    // What a sweep cannot do is refused, not ignored.
    for (given, what) in [
        (asked.record_route.is_some(), "record route"),
        (asked.timestamp.is_some(), "IP timestamps"),
        (
            asked.loose_route.is_some() || asked.strict_route.is_some(),
            "source routes",
        ),
        (asked.names, "--resolve"),
        (asked.line_timestamps, "-D"),
        (asked.deadline.is_some(), "-w (use --retries and -W)"),
        (asked.windows_view, "the Windows view"),
        (
            asked.dont_fragment || asked.pmtu.is_some(),
            "-M / --dont-fragment",
        ),
        (asked.forever, "--forever"),
    ] {
        if given {
            return Err(RequestError::OneTargetOnly(what));
        }
    }
    if !(SWEEP_MIN_PAYLOAD..=MAX_PAYLOAD).contains(&asked.size) {
        return Err(RequestError::SweepSize(asked.size));
    }
    let (source, interface) = source_and_interface(asked);
    let options = SweepOptions {
        rate: asked.rate,
        retries: asked.retries,
        timeout: asked.timeout.unwrap_or(Duration::from_secs(1)),
        count,
        period: Duration::from_secs_f64(asked.interval),
        ttl: asked.ttl,
        tos: asked.tos,
        source,
        interface,
        size: asked.size,
    };
    Ok(SweepRequest { targets, options })
}

/// iputils' rule (20221126): only root may send faster than one probe
/// every 2 ms. `is_root` asks the OS, only when it matters.
fn check_interval(interval: f64, is_root: impl FnOnce() -> bool) -> Result<(), RequestError> {
    if interval >= MIN_USER_INTERVAL.as_secs_f64() || is_root() {
        return Ok(());
    }
    Err(RequestError::IntervalTooShort { interval })
}

/// A target's address: parsed, or looked up (getaddrinfo, raw sockets'
/// hints), in the family `-4`/`-6` ask for.
pub fn resolve(target: &str, v4: bool, v6: bool) -> Result<IpAddr, RequestError> {
    if let Ok(ip) = target.parse::<IpAddr>() {
        if (v4 && ip.is_ipv6()) || (v6 && ip.is_ipv4()) {
            return Err(RequestError::WrongFamily {
                target: target.to_string(),
                is: if ip.is_ipv4() { 4 } else { 6 },
                given: if v4 { 4 } else { 6 },
            });
        }
        return Ok(ip);
    }
    // The C library would read `2` as 0.0.0.2 and `127.1` as 127.0.0.1:
    // refuse those legacy forms rather than ping an address nobody wrote.
    if let Some(legacy) = ipkit_core::legacy::parse_inet_aton(target) {
        return Err(RequestError::LegacyForm {
            target: target.to_string(),
            legacy: legacy.addr,
        });
    }
    let hints = crate::resolve::Hints {
        family: if v4 {
            crate::resolve::Family::Inet
        } else if v6 {
            crate::resolve::Family::Inet6
        } else {
            crate::resolve::Family::Unspec
        },
        socktype: crate::resolve::SockType::Raw,
        ..Default::default()
    };
    let list = crate::resolve::getaddrinfo(Some(target), None, &hints).map_err(|cause| {
        RequestError::Resolve {
            target: target.to_string(),
            cause,
        }
    })?;
    list.first()
        .map(|a| a.addr.ip())
        .ok_or_else(|| RequestError::NoAddress {
            target: target.to_string(),
        })
}

/// Expand targets (addresses, names, CIDR ranges without their network and
/// broadcast addresses for IPv4 prefixes shorter than /31, as fping -g).
fn expand(asked: &Asked) -> Result<Vec<IpAddr>, RequestError> {
    let mut out = Vec::new();
    for t in &asked.targets {
        if t.contains('/') {
            let net: ipkit_core::IpNet = t.parse().map_err(|cause| RequestError::BadRange {
                target: t.clone(),
                cause,
            })?;
            let mut set = ipkit_core::set::IpSet::new();
            set.add_net(net);
            let total = set.count();
            let count = u128::from(total.0) + total.1;
            if count > asked.limit as u128 {
                return Err(RequestError::RangeTooLarge {
                    target: t.clone(),
                    count,
                    limit: asked.limit,
                });
            }
            match net.trunc() {
                ipkit_core::IpNet::V4(n) => {
                    let (first, last, _) = n.hosts();
                    out.extend((u32::from(first)..=u32::from(last)).map(|a| IpAddr::V4(a.into())));
                }
                ipkit_core::IpNet::V6(n) => {
                    let (first, last) = (u128::from(n.network()), u128::from(n.last()));
                    let mut a = first;
                    loop {
                        out.push(IpAddr::V6(a.into()));
                        if a == last {
                            break;
                        }
                        a += 1;
                    }
                }
            }
        } else {
            out.push(resolve(t, asked.ipv4, asked.ipv6)?);
        }
        if out.len() > asked.limit {
            return Err(RequestError::TooManyTargets(asked.limit));
        }
    }
    Ok(out)
}

/// Which way a source route binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SourceRoute {
    Loose,
    Strict,
}

/// The IPv4 options asked for, before they are checked.
#[derive(Debug, Clone, Copy)]
struct IpOptionsWanted<'a> {
    record_route: Option<u8>,
    /// (flag: 0 timestamps only, 1 with addresses; slots)
    timestamp: Option<(u8, u8)>,
    route: Option<(SourceRoute, &'a str)>,
}

impl IpOptionsWanted<'_> {
    /// The options for every probe; refuses IPv6 targets, unknown hops and
    /// options that do not fit the header's 40 bytes.
    fn build(
        &self,
        target: IpAddr,
        letters: &'static str,
    ) -> Result<Vec<Ipv4Option>, RequestError> {
        if self.record_route.is_none() && self.timestamp.is_none() && self.route.is_none() {
            return Ok(Vec::new());
        }
        let IpAddr::V4(dst) = target else {
            return Err(RequestError::OptionsNeedIpv4 { letters, target });
        };
        let mut list = Vec::new();
        if let Some((kind, hosts)) = self.route {
            let mut route = Vec::new();
            for h in hosts.split([',', ' ']).filter(|h| !h.is_empty()) {
                match resolve(h, true, false)? {
                    IpAddr::V4(a) => route.push(a),
                    IpAddr::V6(_) => return Err(RequestError::RouteHopNotIpv4(h.to_string())),
                }
            }
            if route.is_empty() || route.len() > 8 {
                return Err(RequestError::RouteHops(route.len()));
            }
            // The last slot is the destination's: the kernel sends to the
            // first hop and writes the destination there.
            route.push(dst);
            list.push(match kind {
                SourceRoute::Loose => Ipv4Option::LooseSourceRoute { route, pointer: 4 },
                SourceRoute::Strict => Ipv4Option::StrictSourceRoute { route, pointer: 4 },
            });
        }
        if let Some(n) = self.record_route {
            list.push(Ipv4Option::RecordRoute {
                route: Vec::new(),
                slots: n,
            });
        }
        if let Some((flag, n)) = self.timestamp {
            list.push(Ipv4Option::Timestamp {
                flag,
                overflow: 0,
                entries: Vec::new(),
                slots: n,
            });
        }
        let size: usize = list.iter().map(Ipv4Option::emitted_len).sum();
        if size.div_ceil(4) * 4 > OPTIONS_ROOM {
            return Err(RequestError::OptionsTooLarge { letters, size });
        }
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(target: &str) -> Asked {
        Asked {
            targets: vec![target.to_string()],
            ..Asked::default()
        }
    }

    #[test]
    fn the_interval_floor_asks_the_os_only_below_it() {
        assert!(check_interval(0.002, || panic!("not asked")).is_ok());
        assert!(check_interval(0.001, || true).is_ok());
        let e = check_interval(0.001, || false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "-i 0.001: below 0.002 s (2 ms) only root may go, as in iputils; give -i 0.002 or more, or run as root"
        );
    }

    #[test]
    fn options_that_overflow_the_header_are_refused_with_their_size() {
        let mut a = one("127.0.0.1");
        a.record_route = Some(9);
        a.timestamp = Some(TimestampAsked::Kind("tsonly".into()));
        let e = Request::new(&a).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--record-route/--timestamp/--loose-route/--strict-route: these options take 79 bytes, and an IPv4 header holds 40; ask for fewer slots"
        );
        assert!(e.is_usage());
    }

    #[test]
    fn interface_or_address() {
        let mut a = one("127.0.0.1");
        a.interface = Some("lo".into());
        assert_eq!(source_and_interface(&a), (None, Some("lo".into())));
        a.interface = Some("127.0.0.2".into());
        assert_eq!(
            source_and_interface(&a),
            (Some("127.0.0.2".parse().unwrap()), None)
        );
    }

    #[test]
    fn a_sweep_refuses_what_only_one_target_can_do() {
        let mut a = one("127.0.0.0/30");
        a.deadline = Some(Duration::from_secs(1));
        assert_eq!(
            Request::new(&a).unwrap_err().to_string(),
            "-w (use --retries and -W) is for one target; with several targets or a range, drop it"
        );
        let mut a = one("127.0.0.0/30");
        a.count = Some(70_000);
        assert_eq!(
            Request::new(&a).unwrap_err().to_string(),
            "-c 70000: a sweep sends 1 to 65535 probes per target"
        );
    }

    #[test]
    fn ranges_expand_without_network_and_broadcast() {
        let Request::Sweep(s) = Request::new(&one("192.0.2.0/30")).unwrap() else {
            panic!("a range is a sweep");
        };
        assert_eq!(
            s.targets,
            ["192.0.2.1", "192.0.2.2"].map(|a| a.parse::<IpAddr>().unwrap())
        );
        let mut a = one("10.0.0.0/8");
        a.limit = 1000;
        assert_eq!(
            Request::new(&a).unwrap_err().to_string(),
            "'10.0.0.0/8' holds 16777216 addresses, more than --limit 1000"
        );
    }

    #[test]
    fn legacy_forms_are_refused() {
        let e = resolve("2", false, false).unwrap_err();
        assert!(e.to_string().contains("a count is -c COUNT here"), "{e}");
        let e = resolve("127.1", false, false).unwrap_err();
        assert!(e.to_string().ends_with("write the address in full"), "{e}");
    }
}
