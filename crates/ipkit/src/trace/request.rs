//! What a user asked `trace` for, checked before any socket opens.
//!
//! [`Asked`] is what was typed, flag by flag, with traceroute's defaults
//! (first hop 1, 30 hops, 3 queries, `-w 5,3,10`, 16 probes in flight, UDP
//! port 33434, TCP port 80, 60-byte packets). [`Request::new`] checks the
//! ranges (one-line errors naming the flag) and resolves the target (a
//! numeric address directly; `-4`/`-6` pick the family), as ping does.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use ipkit_core::wire::icmp::Family;

use super::channel::{ChannelConfig, Protocol};

/// Whose letters the user typed: error messages name the flags that way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// traceroute's (and ipkit's long flags).
    #[default]
    Traceroute,
    /// Windows' `tracert`.
    Windows,
}

impl Dialect {
    fn letters(self, flag: Flag) -> &'static str {
        use Flag::*;
        match (self, flag) {
            (Dialect::Traceroute, FirstHop) => "-f",
            (Dialect::Traceroute, MaxHops) => "-m",
            (Dialect::Traceroute, Queries) => "-q",
            (Dialect::Traceroute, Wait) => "-w",
            (Dialect::Traceroute, LooseRoute) => "-g",
            (Dialect::Windows, LooseRoute) => "-j",
            (Dialect::Windows, FirstHop) => "--first-hop",
            (Dialect::Windows, MaxHops) => "-h",
            (Dialect::Windows, Queries) => "--queries",
            (Dialect::Windows, Wait) => "-w",
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Flag {
    FirstHop,
    MaxHops,
    Queries,
    Wait,
    LooseRoute,
}

/// The most gateways a loose source route holds: the LSRR option's 40
/// bytes (3 of header, 4 an address) with the destination's slot.
pub const MAX_GATEWAYS: usize = 8;

/// traceroute's first UDP destination port (`-p`).
pub const DEFAULT_UDP_PORT: u16 = 33434;
/// The TCP port (`-T`) probed by default.
pub const DEFAULT_TCP_PORT: u16 = 80;
/// traceroute's default packet size (IPv4; 80 for IPv6).
pub const DEFAULT_SIZE: usize = 60;
/// The largest probe packet.
pub const MAX_SIZE: usize = 65_000;
/// The longest a seconds value (`-w`, `-z`, `--interval`) may be.
pub const MAX_SECONDS: f64 = 86_400.0;

/// traceroute's `-w MAX,HERE,NEAR`: a probe is given up MAX seconds after
/// it was sent, or sooner — HERE times the round trip of a reply already
/// seen from the same hop, or NEAR times one seen from a later hop.
/// HERE or NEAR of 0 turns that rule off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaitRule {
    /// The most a probe is waited for, seconds.
    pub max: f64,
    /// Factor on a reply's round trip at the same hop.
    pub here: f64,
    /// Factor on a reply's round trip at a later hop.
    pub near: f64,
}

impl Default for WaitRule {
    fn default() -> Self {
        WaitRule {
            max: 5.0,
            here: 3.0,
            near: 10.0,
        }
    }
}

/// What the user typed, flag by flag; [`Request::new`] checks it. The
/// default is traceroute's.
#[derive(Debug, Clone)]
pub struct Asked {
    /// Whose letters were used.
    pub dialect: Dialect,
    /// The target: an address or a name, as given.
    pub target: String,
    /// How probes travel.
    pub protocol: Protocol,
    /// Paris traceroute: one flow for every probe.
    pub paris: bool,
    /// `-p`: the (first) port; None: 33434 for UDP, 80 for TCP.
    pub port: Option<u16>,
    /// `-f`: the first TTL.
    pub first_hop: u32,
    /// `-m`: the last TTL.
    pub max_hops: u32,
    /// `-q`: probes per hop.
    pub queries: u32,
    /// `-w MAX,HERE,NEAR`.
    pub wait: WaitRule,
    /// `-N`: probes in flight at once.
    pub sim_queries: u32,
    /// `-z`: seconds between probes (0: none).
    pub send_wait: f64,
    /// The packet length (IP header included); None: the protocol's default.
    pub size: Option<usize>,
    /// `-t`: TOS / traffic class.
    pub tos: Option<u32>,
    /// `-s`: source address.
    pub source: Option<IpAddr>,
    /// `-i`: interface.
    pub interface: Option<String>,
    /// `-F`: set DF.
    pub dont_fragment: bool,
    /// `--mtu`: discover the path MTU (tracepath's way; sets DF).
    pub mtu: bool,
    /// `--report -c N`: N rounds, statistics per hop.
    pub rounds: Option<u32>,
    /// Seconds between rounds of `--report`.
    pub interval: f64,
    /// `-n`: no reverse names.
    pub no_resolve: bool,
    /// `-4`.
    pub ipv4: bool,
    /// `-6`.
    pub ipv6: bool,
    /// Silent hops in a row, past the last one that answered, before the
    /// trace gives up (the destination was not reached).
    pub silent_limit: u32,
    /// traceroute's `-g` (each), tracert's `-j host-list`: the gateways of
    /// an IPv4 loose source route, names or addresses, in order.
    pub loose_route: Vec<String>,
    /// tracert's `-R`: trace the round trip (IPv6 type 0 routing header).
    pub round_trip: bool,
}

impl Default for Asked {
    fn default() -> Self {
        Asked {
            dialect: Dialect::Traceroute,
            target: String::new(),
            protocol: Protocol::Udp,
            paris: false,
            port: None,
            first_hop: 1,
            max_hops: 30,
            queries: 3,
            wait: WaitRule::default(),
            sim_queries: 16,
            send_wait: 0.0,
            size: None,
            tos: None,
            source: None,
            interface: None,
            dont_fragment: false,
            mtu: false,
            rounds: None,
            interval: 1.0,
            no_resolve: false,
            ipv4: false,
            ipv6: false,
            silent_limit: 5,
            loose_route: Vec::new(),
            round_trip: false,
        }
    }
}

/// A checked trace: what the engine runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The destination.
    pub target: IpAddr,
    /// The target as the user wrote it (a name, or the address).
    pub shown: String,
    /// The channel's settings.
    pub config: ChannelConfig,
    /// The first TTL (1 to 255).
    pub first_hop: u8,
    /// The last TTL (first_hop to 255).
    pub max_hops: u8,
    /// Probes per hop (per round with `--report`).
    pub queries: u8,
    /// When a probe is given up.
    pub wait: WaitRule,
    /// Probes in flight at once.
    pub window: u16,
    /// Pause between two probes.
    pub send_wait: Duration,
    /// Discover the path MTU.
    pub mtu: bool,
    /// `--report`: rounds; None: one pass.
    pub rounds: Option<u32>,
    /// Pause between rounds.
    pub interval: Duration,
    /// Look up the responders' names.
    pub resolve_names: bool,
    /// Silent hops in a row before giving up.
    pub silent_limit: u8,
    /// Whose letters were used.
    pub dialect: Dialect,
    /// The IP-information data the responders are labelled from (AS,
    /// holder, country); none by default (the caller opens it).
    pub ip_info: super::ip_info::HopData,
}

impl Request {
    /// The probe packet size the channel uses when the request gives none.
    pub fn packet_size(&self) -> usize {
        self.config.size.unwrap_or(match self.config.family {
            Family::V4 => DEFAULT_SIZE,
            Family::V6 => 80,
        })
    }
}

/// What is wrong with what was asked; the text is the one line to show.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The target did not resolve, or is of the wrong family (ping's rules).
    #[error(transparent)]
    Target(crate::ping::RequestError),
    /// No target given.
    #[error("no host to trace")]
    NoTarget,
    /// A TTL out of 1 to 255.
    #[error("{flag} {value}: hops go from 1 to 255")]
    Hops {
        /// The flag, as typed.
        flag: &'static str,
        /// The value.
        value: u32,
    },
    /// The first hop after the last.
    #[error("first hop {first} is beyond the maximum of {max} hops")]
    FirstAfterMax {
        /// The first hop.
        first: u32,
        /// The maximum.
        max: u32,
    },
    /// Queries out of 1 to 10.
    #[error("{flag} {0}: 1 to 10 probes per hop", flag = .1)]
    Queries(u32, &'static str),
    /// A wait that is not seconds.
    #[error("{flag}: wait times are 0 to 86400 seconds, and MAX must be above 0", flag = .0)]
    Wait(&'static str),
    /// `-N` out of 1 to 1024.
    #[error("-N {0}: 1 to 1024 probes in flight")]
    SimQueries(u32),
    /// A size out of range.
    #[error("packet length {0}: give {1} to {MAX_SIZE} bytes")]
    Size(usize, usize),
    /// A TOS out of 0 to 255.
    #[error("-t {0}: a TOS / traffic class is 0 to 255")]
    Tos(u32),
    /// Rounds of 0.
    #[error("-c {0}: at least 1 round")]
    Rounds(u32),
    /// An interval or send wait that is not seconds.
    #[error("{0}: seconds between 0 and 86400")]
    Seconds(&'static str),
    /// A silent limit of 0.
    #[error("the silent-hop limit must be 1 to 255")]
    SilentLimit,
    /// A port of 0.
    #[error("-p 0: give a port from 1 to 65535")]
    Port,
    /// More gateways than a loose source route holds, or none.
    #[error(
        "{flag}: {count} gateways; a loose source route holds 1 to {MAX_GATEWAYS} (40 bytes of IPv4 options, the destination's slot included)"
    )]
    LooseRouteHops {
        /// The flag, as typed.
        flag: &'static str,
        /// How many were given.
        count: usize,
    },
    /// A loose source route to an IPv6 target, or through an IPv6 gateway.
    #[error(
        "{flag} {what}: loose source routes are IPv4 only (IPv6's type 0 routing header was deprecated by RFC 5095)"
    )]
    LooseRouteFamily {
        /// The flag, as typed.
        flag: &'static str,
        /// The target or gateway that is IPv6.
        what: String,
    },
    /// tracert's `-R` to an IPv4 target.
    #[error("tracert -R: round-trip tracing is IPv6 only, and {0} is IPv4")]
    RoundTripFamily(IpAddr),
    /// A source address of the other family.
    #[error("source {source_ip} and target {target} are of different families")]
    SourceFamily {
        /// The source.
        source_ip: IpAddr,
        /// The target.
        target: IpAddr,
    },
}

impl RequestError {
    /// Whether the fault is in how trace was called (a usage error), rather
    /// than in the world (a name that does not resolve).
    pub fn is_usage(&self) -> bool {
        match self {
            RequestError::Target(e) => e.is_usage(),
            _ => true,
        }
    }
}

fn seconds_ok(v: f64) -> bool {
    v.is_finite() && (0.0..=MAX_SECONDS).contains(&v)
}

fn hop(value: u32, flag: &'static str) -> Result<u8, RequestError> {
    match u8::try_from(value) {
        Ok(h) if h >= 1 => Ok(h),
        _ => Err(RequestError::Hops { flag, value }),
    }
}

impl Request {
    /// Check what was asked and resolve the target.
    pub fn new(asked: &Asked) -> Result<Request, RequestError> {
        let d = asked.dialect;
        let first_hop = hop(asked.first_hop, d.letters(Flag::FirstHop))?;
        let max_hops = hop(asked.max_hops, d.letters(Flag::MaxHops))?;
        if first_hop > max_hops {
            return Err(RequestError::FirstAfterMax {
                first: asked.first_hop,
                max: asked.max_hops,
            });
        }
        if !(1..=10).contains(&asked.queries) {
            return Err(RequestError::Queries(
                asked.queries,
                d.letters(Flag::Queries),
            ));
        }
        let w = asked.wait;
        if !(seconds_ok(w.max) && w.max > 0.0 && seconds_ok(w.here) && seconds_ok(w.near)) {
            return Err(RequestError::Wait(d.letters(Flag::Wait)));
        }
        if !(1..=1024).contains(&asked.sim_queries) {
            return Err(RequestError::SimQueries(asked.sim_queries));
        }
        if !seconds_ok(asked.send_wait) {
            return Err(RequestError::Seconds("-z"));
        }
        if !seconds_ok(asked.interval) {
            return Err(RequestError::Seconds("--interval"));
        }
        let tos = match asked.tos {
            None => None,
            Some(t) => Some(u8::try_from(t).map_err(|_| RequestError::Tos(t))?),
        };
        if let Some(0) = asked.rounds {
            return Err(RequestError::Rounds(0));
        }
        let silent_limit = match u8::try_from(asked.silent_limit) {
            Ok(s) if s >= 1 => s,
            _ => return Err(RequestError::SilentLimit),
        };
        if asked.port == Some(0) {
            return Err(RequestError::Port);
        }
        if asked.target.is_empty() {
            return Err(RequestError::NoTarget);
        }
        let target = resolve(&asked.target, asked.ipv4, asked.ipv6)?;
        let family = Family::of(target);
        if let Some(size) = asked.size {
            let min = min_size(family, asked.protocol);
            if !(min..=MAX_SIZE).contains(&size) {
                return Err(RequestError::Size(size, min));
            }
        }
        if let Some(s) = asked.source
            && s.is_ipv4() != target.is_ipv4()
        {
            return Err(RequestError::SourceFamily {
                source_ip: s,
                target,
            });
        }
        let loose_route = loose_route(asked, target)?;
        if asked.round_trip && target.is_ipv4() {
            return Err(RequestError::RoundTripFamily(target));
        }
        let port = asked.port.unwrap_or(match asked.protocol {
            Protocol::Tcp => DEFAULT_TCP_PORT,
            _ => DEFAULT_UDP_PORT,
        });
        let config = ChannelConfig {
            family,
            protocol: asked.protocol,
            target,
            port,
            paris: asked.paris,
            source: asked.source,
            interface: asked.interface.clone(),
            tos,
            size: asked.size,
            dont_fragment: asked.dont_fragment || asked.mtu,
            loose_route,
            round_trip: asked.round_trip,
        };
        Ok(Request {
            target,
            shown: asked.target.clone(),
            config,
            first_hop,
            max_hops,
            queries: asked.queries as u8,
            wait: w,
            window: asked.sim_queries as u16,
            send_wait: Duration::from_secs_f64(asked.send_wait),
            mtu: asked.mtu,
            rounds: asked.rounds,
            interval: Duration::from_secs_f64(asked.interval),
            resolve_names: !asked.no_resolve,
            silent_limit,
            dialect: d,
            ip_info: super::ip_info::HopData::default(),
        })
    }
}

/// The target's address: ping's rules (a numeric address as given, `-4`/
/// `-6` checked, legacy `inet_aton` forms refused), and for a name of both
/// families its first IPv4 address, as traceroute picks (its `DEF_AF`).
fn resolve(target: &str, v4: bool, v6: bool) -> Result<IpAddr, RequestError> {
    let numeric = target.parse::<IpAddr>().is_ok();
    if v4 || v6 || numeric || ipkit_core::legacy::parse_inet_aton(target).is_some() {
        return crate::ping::request::resolve(target, v4, v6).map_err(RequestError::Target);
    }
    let hints = crate::resolve::Hints {
        socktype: crate::resolve::SockType::Dgram,
        ..Default::default()
    };
    let failed = |cause| {
        RequestError::Target(crate::ping::RequestError::Resolve {
            target: target.to_string(),
            cause,
        })
    };
    let found = crate::resolve::getaddrinfo(Some(target), None, &hints).map_err(failed)?;
    let ips: Vec<IpAddr> = found.iter().map(|a| a.addr.ip()).collect();
    ips.iter()
        .find(|ip| ip.is_ipv4())
        .or(ips.first())
        .copied()
        .ok_or_else(|| {
            RequestError::Target(crate::ping::RequestError::NoAddress {
                target: target.to_string(),
            })
        })
}

/// The gateways of the loose source route, resolved as the target is
/// (IPv4 only), at most [`MAX_GATEWAYS`]; an entry may list several,
/// separated by commas or spaces (tracert's host-list).
fn loose_route(asked: &Asked, target: IpAddr) -> Result<Vec<Ipv4Addr>, RequestError> {
    let flag = asked.dialect.letters(Flag::LooseRoute);
    let names: Vec<&str> = asked
        .loose_route
        .iter()
        .flat_map(|entry| entry.split([',', ' ']))
        .filter(|h| !h.is_empty())
        .collect();
    if names.is_empty() && asked.loose_route.is_empty() {
        return Ok(Vec::new());
    }
    if names.is_empty() {
        return Err(RequestError::LooseRouteHops { flag, count: 0 });
    }
    if target.is_ipv6() {
        return Err(RequestError::LooseRouteFamily {
            flag,
            what: target.to_string(),
        });
    }
    if names.len() > MAX_GATEWAYS {
        return Err(RequestError::LooseRouteHops {
            flag,
            count: names.len(),
        });
    }
    names
        .iter()
        .map(|h| {
            if let Ok(IpAddr::V6(_)) = h.parse::<IpAddr>() {
                return Err(RequestError::LooseRouteFamily {
                    flag,
                    what: (*h).to_string(),
                });
            }
            match resolve(h, true, false)? {
                IpAddr::V4(a) => Ok(a),
                IpAddr::V6(_) => Err(RequestError::LooseRouteFamily {
                    flag,
                    what: (*h).to_string(),
                }),
            }
        })
        .collect()
}

/// The smallest probe packet: the IP header, the protocol's header, and
/// nothing more.
fn min_size(family: Family, protocol: Protocol) -> usize {
    let ip = match family {
        Family::V4 => 20,
        Family::V6 => 40,
    };
    ip + match protocol {
        Protocol::Icmp | Protocol::Udp => 8,
        Protocol::Tcp => 20,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(target: &str) -> Asked {
        Asked {
            target: target.into(),
            ..Asked::default()
        }
    }

    #[test]
    fn defaults_are_traceroutes() {
        let r = Request::new(&asked("192.0.2.1")).unwrap();
        assert_eq!(
            (r.first_hop, r.max_hops, r.queries, r.window),
            (1, 30, 3, 16)
        );
        assert_eq!(
            r.wait,
            WaitRule {
                max: 5.0,
                here: 3.0,
                near: 10.0
            }
        );
        assert_eq!(r.config.port, DEFAULT_UDP_PORT);
        assert_eq!(r.packet_size(), 60);
        assert_eq!(r.silent_limit, 5);
        assert!(r.resolve_names);
        let tcp = Request::new(&Asked {
            protocol: Protocol::Tcp,
            ..asked("2001:db8::1")
        })
        .unwrap();
        assert_eq!(
            (tcp.config.port, tcp.config.family),
            (DEFAULT_TCP_PORT, Family::V6)
        );
    }

    #[test]
    fn ranges_are_checked_with_one_line_each() {
        let bad = |a: Asked| Request::new(&a).unwrap_err().to_string();
        assert_eq!(
            bad(Asked {
                max_hops: 256,
                ..asked("192.0.2.1")
            }),
            "-m 256: hops go from 1 to 255"
        );
        assert_eq!(
            bad(Asked {
                first_hop: 9,
                max_hops: 3,
                ..asked("192.0.2.1")
            }),
            "first hop 9 is beyond the maximum of 3 hops"
        );
        assert_eq!(
            bad(Asked {
                queries: 11,
                ..asked("192.0.2.1")
            }),
            "-q 11: 1 to 10 probes per hop"
        );
        assert_eq!(
            bad(Asked {
                size: Some(10),
                ..asked("192.0.2.1")
            }),
            "packet length 10: give 28 to 65000 bytes"
        );
        assert_eq!(
            bad(Asked {
                tos: Some(256),
                ..asked("192.0.2.1")
            }),
            "-t 256: a TOS / traffic class is 0 to 255"
        );
        let e = Request::new(&Asked {
            ipv6: true,
            ..asked("192.0.2.1")
        })
        .unwrap_err();
        assert!(e.is_usage(), "{e}");
        assert!(e.to_string().contains("-6"), "{e}");
    }

    #[test]
    fn loose_routes_are_ipv4_with_at_most_eight_gateways() {
        let r = Request::new(&Asked {
            loose_route: vec!["192.0.2.7".into(), "192.0.2.8,192.0.2.9".into()],
            ..asked("198.51.100.1")
        })
        .unwrap();
        assert_eq!(
            r.config.loose_route,
            [
                Ipv4Addr::new(192, 0, 2, 7),
                Ipv4Addr::new(192, 0, 2, 8),
                Ipv4Addr::new(192, 0, 2, 9)
            ]
        );
        // RFC 791: type 131, length 3 + 4 per address, pointer 4; the
        // target in the last slot, padded with EOL to 4 bytes.
        let options = r.config.ip_options();
        assert_eq!(&options[..3], &[131, 19, 4]);
        assert_eq!(&options[15..19], &[198, 51, 100, 1]);
        assert_eq!(options.len(), 20);
        let bad = |a: Asked| Request::new(&a).unwrap_err().to_string();
        let nine: Vec<String> = (1..=9).map(|i| format!("192.0.2.{i}")).collect();
        assert_eq!(
            bad(Asked {
                loose_route: nine,
                ..asked("198.51.100.1")
            }),
            "-g: 9 gateways; a loose source route holds 1 to 8 (40 bytes of IPv4 options, the destination's slot included)"
        );
        assert_eq!(
            bad(Asked {
                loose_route: vec!["192.0.2.1".into()],
                ..asked("2001:db8::1")
            }),
            "-g 2001:db8::1: loose source routes are IPv4 only (IPv6's type 0 routing header was deprecated by RFC 5095)"
        );
        assert_eq!(
            bad(Asked {
                dialect: Dialect::Windows,
                loose_route: vec!["2001:db8::7".into()],
                ..asked("192.0.2.1")
            }),
            "-j 2001:db8::7: loose source routes are IPv4 only (IPv6's type 0 routing header was deprecated by RFC 5095)"
        );
        assert_eq!(
            bad(Asked {
                round_trip: true,
                ..asked("192.0.2.1")
            }),
            "tracert -R: round-trip tracing is IPv6 only, and 192.0.2.1 is IPv4"
        );
    }

    #[test]
    fn mtu_discovery_sets_dont_fragment() {
        let r = Request::new(&Asked {
            mtu: true,
            ..asked("192.0.2.1")
        })
        .unwrap();
        assert!(r.config.dont_fragment && r.mtu);
    }
}
