//! What a user asked of `dns`, checked before any socket opens: the
//! [`Request`] (names, types, servers, transport, EDNS wishes) and its
//! [`Plan`] against resolv.conf — the servers to ask with their ports
//! (53, 853 for DoT, 443 for DoH, unless one was written), the search list
//! (cleared for absolute names, reverse lookups and `no_search`), the query
//! options, and which job it is (lookups, a zone transfer, a trace).
//! Everything a user can get wrong is a [`RequestError`] here.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use hickory_proto::rr::{DNSClass, Name, RecordType};
use ipkit_core::resolvconf::ResolvConf;

use super::message::{EdnsRequests, NameError, QueryOptions, Question, Secure, name_from_text};
use super::search::servers;
use super::trace::ROOT_HINTS;

/// How the questions travel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// UDP, retried over TCP when an answer is truncated.
    Udp,
    /// TCP only.
    Tcp,
    /// DNS over TLS (RFC 7858).
    Tls,
    /// DNS over HTTPS (RFC 8484) at this URL path.
    Https {
        /// The path, e.g. `/dns-query`.
        path: String,
    },
}

impl Transport {
    /// The port of a server written without one: 53, 853 (DoT), 443 (DoH).
    pub fn default_port(&self) -> u16 {
        match self {
            Transport::Udp | Transport::Tcp => 53,
            Transport::Tls => 853,
            Transport::Https { .. } => 443,
        }
    }
}

/// A server as written: an address, and the port when one was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerWord {
    /// The address.
    pub ip: IpAddr,
    /// The port, when written (`@ADDRESS:PORT`).
    pub port: Option<u16>,
}

/// Which address family of servers to ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerFamily {
    /// IPv4 servers only (dig -4).
    V4,
    /// IPv6 servers only (dig -6).
    V6,
}

/// One `dns` command's question(s), as the user gave them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The name, as written (None with `reverse`).
    pub name: Option<String>,
    /// Reverse lookup of this address (PTR); a name that parses as an
    /// address does the same.
    pub reverse: Option<IpAddr>,
    /// Record types; empty means A and AAAA.
    pub types: Vec<RecordType>,
    /// The class.
    pub class: DNSClass,
    /// Servers given; empty means resolv.conf's.
    pub servers: Vec<ServerWord>,
    /// The port for every server without its own (resolv.conf's too, as dig -p).
    pub port: Option<u16>,
    /// Only servers of this family.
    pub family: Option<ServerFamily>,
    /// The transport.
    pub transport: Transport,
    /// DoT/DoH: the name to check the certificate against.
    pub tls_name: Option<String>,
    /// DoT/DoH: a PEM file of trusted CAs.
    pub tls_ca: Option<PathBuf>,
    /// RD.
    pub recursion_desired: bool,
    /// The EDNS DO bit.
    pub dnssec_ok: bool,
    /// EDNS UDP payload size; None sends no EDNS.
    pub edns_payload: Option<u16>,
    /// EDNS options to send.
    pub edns_requests: EdnsRequests,
    /// Time to wait for each answer; None: resolv.conf's.
    pub timeout: Option<Duration>,
    /// Rounds over the servers; None: resolv.conf's attempts.
    pub tries: Option<u8>,
    /// Local address to send from.
    pub source: Option<IpAddr>,
    /// Interface to send through.
    pub interface: Option<String>,
    /// Do not apply resolv.conf's search list.
    pub no_search: bool,
    /// Follow delegations (`--trace`) from these servers (port 53 where
    /// none is written), or from the IANA root servers when empty; None: no
    /// trace.
    pub trace_from: Option<Vec<ServerWord>>,
}

/// What a request asks for, once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// Look `name` up, once per type, through the search list.
    Lookup {
        /// The name as written (the search list applies).
        name: String,
        /// The types, in order.
        types: Vec<RecordType>,
        /// The class.
        class: DNSClass,
    },
    /// Transfer `zone` from `server` (AXFR).
    Transfer {
        /// The question as shown.
        question: Question,
        /// The zone.
        zone: Name,
        /// The server.
        server: SocketAddr,
    },
    /// Follow delegations from `roots` down to the answer.
    Trace {
        /// Where to start.
        roots: Vec<SocketAddr>,
        /// The question.
        question: Question,
    },
}

/// A checked request: the job, and everything it needs to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// What to do.
    pub job: Job,
    /// The servers to ask, in order, with their ports.
    pub servers: Vec<SocketAddr>,
    /// resolv.conf, with the search list cleared where it does not apply
    /// and the attempts set.
    pub conf: ResolvConf,
    /// How to ask.
    pub options: QueryOptions,
    /// The transport (names it in the reports).
    pub transport: Transport,
}

/// What is wrong with a request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// No name and no address.
    #[error("give a name to look up (or -x ADDRESS)")]
    NoName,
    /// A name over 253 characters.
    #[error("'{0}' is not a domain name: at most 253 characters")]
    NameTooLong(String),
    /// Two dots in a row.
    #[error("'{0}' has an empty label (two dots in a row)")]
    EmptyLabel(String),
    /// A label over 63 characters.
    #[error("'{name}': the label '{start}…' is over 63 characters")]
    LabelTooLong {
        /// The name.
        name: String,
        /// The label's first 20 characters.
        start: String,
    },
    /// A name that does not read (bad escapes …).
    #[error(transparent)]
    BadName(#[from] NameError),
    /// A zone name that does not read.
    #[error("'{name}': {why}")]
    BadZone {
        /// The name.
        name: String,
        /// Why.
        why: NameError,
    },
    /// `-4`/`-6` left no server.
    #[error("no IPv{0} name server to ask: give one as @SERVER")]
    NoServerOfFamily(u8),
    /// AXFR with no server.
    #[error("AXFR needs a server: give @SERVER")]
    TransferNeedsServer,
    /// A timeout out of range.
    #[error("--timeout {0}: must be more than 0 and at most 300 seconds")]
    Timeout(f64),
    /// A bulk window out of range.
    #[error("--concurrency {0}: must be 1 to 65536")]
    Window(usize),
    /// Bulk with no server.
    #[error("no server: give @SERVER")]
    NoServer,
}

/// A timeout in seconds, checked: more than 0 and at most 300.
///
/// # Examples
/// ```
/// use ipkit::dns::request::timeout_from_secs;
/// assert_eq!(timeout_from_secs(1.5).unwrap().as_millis(), 1500);
/// assert!(timeout_from_secs(0.0).is_err());
/// assert!(timeout_from_secs(301.0).is_err());
/// ```
pub fn timeout_from_secs(secs: f64) -> Result<Duration, RequestError> {
    if secs > 0.0 && secs <= 300.0 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(RequestError::Timeout(secs))
    }
}

/// A name as a user may give it: at most 253 characters (254 with the final
/// dot), no empty label, labels of at most 63 characters, escapes that read
/// (RFC 1035 §5.1). `dns NAME` and `dns --bulk` lines share this rule.
///
/// # Examples
/// ```
/// use ipkit::dns::request::check_name;
/// assert!(check_name("www.example.test").is_ok());
/// assert!(check_name("www..example.test").is_err());
/// assert!(check_name(&"a".repeat(64)).is_err());
/// ```
pub fn check_name(name: &str) -> Result<Name, RequestError> {
    let bare = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.len() > 254 || bare.len() > 253 {
        return Err(RequestError::NameTooLong(name.to_string()));
    }
    for label in bare.split('.') {
        if label.is_empty() && !bare.is_empty() {
            return Err(RequestError::EmptyLabel(name.to_string()));
        }
        if label.len() > 63 {
            return Err(RequestError::LabelTooLong {
                name: name.to_string(),
                start: label.chars().take(20).collect(),
            });
        }
    }
    Ok(name_from_text(name)?)
}

/// `name` with a final dot.
fn fully_qualified(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

impl Request {
    /// Check the request and plan it against `conf` (resolv.conf).
    pub fn plan(&self, mut conf: ResolvConf) -> Result<Plan, RequestError> {
        // A bare address as the name means a reverse lookup, as in nslookup.
        let reverse = self
            .reverse
            .or_else(|| self.name.as_deref().and_then(|n| n.parse::<IpAddr>().ok()));
        let (name, types, absolute) = match reverse {
            Some(ip) => (
                ipkit_core::addr::reverse_name(ip) + ".",
                vec![RecordType::PTR],
                true,
            ),
            None => {
                let name = self.name.clone().ok_or(RequestError::NoName)?;
                check_name(&name)?;
                let types = if self.types.is_empty() {
                    vec![RecordType::A, RecordType::AAAA]
                } else {
                    self.types.clone()
                };
                (name, types, false)
            }
        };
        if self.no_search || absolute {
            conf.search.clear();
            conf.ndots = 0;
        }
        let servers = self.servers(&conf)?;
        let options = QueryOptions {
            recursion_desired: self.recursion_desired,
            dnssec_ok: self.dnssec_ok,
            checking_disabled: false,
            edns_payload: self.edns_payload,
            timeout: self
                .timeout
                .unwrap_or(Duration::from_secs(u64::from(conf.timeout_secs))),
            tcp: self.transport == Transport::Tcp || conf.use_vc,
            source: self.source,
            interface: self.interface.clone(),
            edns_requests: self.edns_requests.clone(),
            secure: match &self.transport {
                Transport::Udp | Transport::Tcp => None,
                Transport::Tls => Some(None),
                Transport::Https { path } => Some(Some(path.clone())),
            }
            .map(|https_path| Secure {
                server_name: self.tls_name.clone(),
                ca_file: self.tls_ca.clone(),
                https_path,
            }),
        };
        conf.attempts = self.tries.unwrap_or(conf.attempts);
        let job = if types.contains(&RecordType::AXFR) {
            let zone =
                name_from_text(&fully_qualified(&name)).map_err(|why| RequestError::BadZone {
                    name: name.clone(),
                    why,
                })?;
            let server = *servers.first().ok_or(RequestError::TransferNeedsServer)?;
            Job::Transfer {
                question: Question {
                    name: zone.clone(),
                    rtype: RecordType::AXFR,
                    class: self.class,
                },
                zone,
                server,
            }
        } else if let Some(from) = &self.trace_from {
            let roots = if from.is_empty() {
                ROOT_HINTS
                    .iter()
                    .map(|ip| SocketAddr::new(IpAddr::V4(*ip), 53))
                    .collect()
            } else {
                from.iter()
                    .map(|s| SocketAddr::new(s.ip, s.port.unwrap_or(53)))
                    .collect()
            };
            Job::Trace {
                roots,
                question: Question {
                    name: name_from_text(&fully_qualified(&name))?,
                    rtype: types[0],
                    class: self.class,
                },
            }
        } else {
            Job::Lookup {
                name,
                types,
                class: self.class,
            }
        };
        Ok(Plan {
            job,
            servers,
            conf,
            options,
            transport: self.transport.clone(),
        })
    }

    /// The servers to ask: those written (their ports, else `port`, else
    /// the transport's), else resolv.conf's (with `port` when given, as dig
    /// -p does); then only those of the family asked for.
    fn servers(&self, conf: &ResolvConf) -> Result<Vec<SocketAddr>, RequestError> {
        let port = self.port.unwrap_or(self.transport.default_port());
        let given: Vec<SocketAddr> = self
            .servers
            .iter()
            .map(|s| SocketAddr::new(s.ip, s.port.unwrap_or(port)))
            .collect();
        let mut servers = servers(&given, conf);
        if let Some(port) = self.port {
            // resolv.conf's servers too; a written :PORT stays.
            let written: Vec<IpAddr> = self
                .servers
                .iter()
                .filter(|s| s.port.is_some())
                .map(|s| s.ip)
                .collect();
            for s in &mut servers {
                if !written.contains(&s.ip()) {
                    s.set_port(port);
                }
            }
        }
        if let Some(family) = self.family {
            let v4 = family == ServerFamily::V4;
            servers.retain(|s| s.is_ipv4() == v4);
            if servers.is_empty() {
                return Err(RequestError::NoServerOfFamily(if v4 { 4 } else { 6 }));
            }
        }
        Ok(servers)
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use hickory_proto::rr::{DNSClass, RecordType};
    use ipkit_core::resolvconf::ResolvConf;

    use super::{Job, Request, RequestError, ServerFamily, ServerWord, Transport};

    fn request(name: &str) -> Request {
        Request {
            name: Some(name.to_string()),
            reverse: None,
            types: Vec::new(),
            class: DNSClass::IN,
            servers: Vec::new(),
            port: None,
            family: None,
            transport: Transport::Udp,
            tls_name: None,
            tls_ca: None,
            recursion_desired: true,
            dnssec_ok: false,
            edns_payload: Some(1232),
            edns_requests: Default::default(),
            timeout: None,
            tries: None,
            source: None,
            interface: None,
            no_search: false,
            trace_from: None,
        }
    }

    fn conf() -> ResolvConf {
        ResolvConf::parse(
            "nameserver 192.0.2.53\nnameserver 2001:db8::53\nsearch lab.test\noptions ndots:2 attempts:3\n",
        )
    }

    fn addrs(v: &[&str]) -> Vec<SocketAddr> {
        v.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn servers_get_the_transports_port_unless_one_is_written() {
        let mut r = request("www");
        r.servers = vec![
            ServerWord {
                ip: "192.0.2.1".parse().unwrap(),
                port: None,
            },
            ServerWord {
                ip: "192.0.2.2".parse().unwrap(),
                port: Some(5353),
            },
        ];
        for (transport, port) in [
            (Transport::Udp, 53),
            (Transport::Tcp, 53),
            (Transport::Tls, 853),
            (
                Transport::Https {
                    path: "/dns-query".into(),
                },
                443,
            ),
        ] {
            r.transport = transport;
            let plan = r.plan(conf()).unwrap();
            assert_eq!(
                plan.servers,
                addrs(&[&format!("192.0.2.1:{port}"), "192.0.2.2:5353"])
            );
        }
        // -p applies to resolv.conf's servers too, as dig -p does.
        let mut r = request("www");
        r.port = Some(5300);
        let plan = r.plan(conf()).unwrap();
        assert_eq!(
            plan.servers,
            addrs(&["192.0.2.53:5300", "[2001:db8::53]:5300"])
        );
        r.family = Some(ServerFamily::V6);
        assert_eq!(
            r.plan(conf()).unwrap().servers,
            addrs(&["[2001:db8::53]:5300"])
        );
        r.servers = vec![ServerWord {
            ip: "192.0.2.1".parse().unwrap(),
            port: None,
        }];
        assert_eq!(
            r.plan(conf()).unwrap_err(),
            RequestError::NoServerOfFamily(6)
        );
    }

    #[test]
    fn the_search_list_applies_to_names_only_as_asked() {
        let plan = request("www").plan(conf()).unwrap();
        assert_eq!(plan.conf.search, ["lab.test"]);
        assert_eq!(plan.conf.attempts, 3);
        assert_eq!(
            plan.job,
            Job::Lookup {
                name: "www".into(),
                types: vec![RecordType::A, RecordType::AAAA],
                class: DNSClass::IN,
            }
        );
        let mut r = request("www");
        r.no_search = true;
        r.tries = Some(1);
        let plan = r.plan(conf()).unwrap();
        assert!(plan.conf.search.is_empty());
        assert_eq!(plan.conf.attempts, 1);
        // A bare address is a reverse lookup: absolute, PTR.
        let plan = request("192.0.2.1").plan(conf()).unwrap();
        assert!(plan.conf.search.is_empty());
        assert_eq!(
            plan.job,
            Job::Lookup {
                name: "1.2.0.192.in-addr.arpa.".into(),
                types: vec![RecordType::PTR],
                class: DNSClass::IN,
            }
        );
    }

    #[test]
    fn transfers_and_traces_are_jobs_of_their_own() {
        let mut r = request("lab.test");
        r.types = vec![RecordType::AXFR];
        let Job::Transfer { zone, server, .. } = r.plan(conf()).unwrap().job else {
            panic!("not a transfer");
        };
        assert_eq!(zone.to_string(), "lab.test.");
        assert_eq!(server, "192.0.2.53:53".parse().unwrap());
        let mut r = request("www.lab.test");
        r.trace_from = Some(Vec::new());
        let Job::Trace { roots, question } = r.plan(conf()).unwrap().job else {
            panic!("not a trace");
        };
        assert_eq!(roots.len(), 13);
        assert_eq!(question.name.to_string(), "www.lab.test.");
        assert_eq!(question.rtype, RecordType::A);
    }

    #[test]
    fn names_are_checked_before_anything_else() {
        assert_eq!(
            request("www..lab").plan(conf()).unwrap_err(),
            RequestError::EmptyLabel("www..lab".into())
        );
        let long = "a".repeat(70);
        assert!(matches!(
            request(&long).plan(conf()).unwrap_err(),
            RequestError::LabelTooLong { .. }
        ));
        let mut r = request("x");
        r.name = None;
        assert_eq!(r.plan(conf()).unwrap_err(), RequestError::NoName);
    }
}
