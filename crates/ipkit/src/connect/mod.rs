//! The version-independent client behind `ipkit connect HOST PORT`: resolve
//! with getaddrinfo (AF_UNSPEC), order the answers as RFC 6724 and RFC 8305
//! §4 say ([`order`]), race them with Happy Eyeballs v2 (RFC 8305 §5: a
//! sans-IO state machine, [`race`], driven over real sockets by [`run`]),
//! report which attempt won, after how long, and why each other failed or
//! was abandoned ([`report`]); then relay stdin → socket → stdout as a
//! minimal netcat ([`relay`]), TCP or connected UDP.
//!
//! The spine, as every engine's: [`Request`] holds what the user asked for,
//! checked when it is built (port, delay, timeout); [`run::connect`] runs it
//! and returns the connection with a [`report::ConnectReport`], the JSON
//! contract the views render from. Cancellation is a [`crate::cancel::Cancel`]
//! passed in.
//!
//! What it does not do: TLS, proxies, listening (`ipkit serve`), or RFC
//! 8305's separate AAAA/A queries (see [`order`]).

pub mod order;
pub mod race;
pub mod relay;
pub mod report;
pub mod run;

use std::fmt;
use std::time::Duration;

pub use report::ConnectReport;
pub use run::{Connected, Connection, Connector, SystemConnector, connect, race_with};

/// RFC 8305 §5: "One recommended value for a default delay is 250
/// milliseconds."
pub const ATTEMPT_DELAY: Duration = Duration::from_millis(250);
/// RFC 8305 §5: "The recommended minimum value is 100 milliseconds, which
/// is referred to as the 'Minimum Connection Attempt Delay'." A smaller
/// `--attempt-delay` is raised to it.
pub const MIN_ATTEMPT_DELAY: Duration = Duration::from_millis(100);
/// RFC 8305 §5: "The Connection Attempt Delay SHOULD have an upper bound,
/// referred to as the 'Maximum Connection Attempt Delay'. The current
/// recommended value is 2 seconds." A larger `--attempt-delay` is lowered
/// to it.
pub const MAX_ATTEMPT_DELAY: Duration = Duration::from_secs(2);
/// The overall deadline when none is given: resolving plus the whole race.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// TCP or UDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    /// A TCP connection (the race is over the three-way handshakes).
    #[default]
    Tcp,
    /// A connected UDP socket (connect() sends nothing: the first address
    /// that can be routed to wins).
    Udp,
}

impl Transport {
    /// `tcp` or `udp`.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which address families to use (`-4`, `-6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FamilyChoice {
    /// Both (AF_UNSPEC).
    #[default]
    Any,
    /// IPv4 only (AF_INET).
    V4,
    /// IPv6 only (AF_INET6).
    V6,
}

impl fmt::Display for FamilyChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FamilyChoice::Any => "any family",
            FamilyChoice::V4 => "IPv4 (-4)",
            FamilyChoice::V6 => "IPv6 (-6)",
        })
    }
}

/// What the user typed, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct Asked {
    /// The host: a name or a numeric address (brackets allowed around IPv6).
    pub host: String,
    /// The port: a number 1–65535 or a service name.
    pub port: String,
    /// TCP or UDP.
    pub transport: Transport,
    /// `-4` / `-6`.
    pub family: FamilyChoice,
    /// `--attempt-delay` in milliseconds, if given.
    pub attempt_delay_ms: Option<u64>,
    /// `--timeout` in seconds, if given.
    pub timeout_s: Option<f64>,
}

/// A checked request.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The host, brackets removed.
    pub host: String,
    /// The port as given (a number or a service name).
    pub port: String,
    /// TCP or UDP.
    pub transport: Transport,
    /// `-4` / `-6`.
    pub family: FamilyChoice,
    /// The Connection Attempt Delay, within RFC 8305's bounds.
    pub attempt_delay: Duration,
    /// The delay asked for when it was outside the bounds and was moved in.
    pub attempt_delay_asked: Option<Duration>,
    /// The overall deadline (resolving and the race).
    pub timeout: Duration,
}

/// A request that cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The host is empty.
    #[error("no host given")]
    NoHost,
    /// A port number outside 1–65535, or a port that is neither a number
    /// nor a service name.
    #[error("port '{port}': must be a number from 1 to 65535 or a service name")]
    BadPort {
        /// What was given.
        port: String,
    },
    /// A timeout that is not a positive number of seconds.
    #[error("--timeout {given}: must be a positive number of seconds")]
    BadTimeout {
        /// What was given.
        given: String,
    },
}

impl Request {
    /// Check what was asked: a port in 1–65535 (or a service name of
    /// letters, digits and `-`), a positive timeout, an attempt delay moved
    /// into RFC 8305's bounds ([`MIN_ATTEMPT_DELAY`]–[`MAX_ATTEMPT_DELAY`]).
    ///
    /// # Examples
    /// ```
    /// use ipkit::connect::{Asked, Request};
    /// let r = Request::new(&Asked { host: "[::1]".into(), port: "5150".into(),
    ///     attempt_delay_ms: Some(20), ..Asked::default() }).unwrap();
    /// assert_eq!(r.host, "::1");
    /// assert_eq!(r.attempt_delay.as_millis(), 100);
    /// assert!(Request::new(&Asked { host: "h".into(), port: "0".into(), ..Asked::default() }).is_err());
    /// ```
    pub fn new(asked: &Asked) -> Result<Request, RequestError> {
        let host = asked.host.trim();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if host.is_empty() {
            return Err(RequestError::NoHost);
        }
        let port = asked.port.trim();
        let bad_port = || RequestError::BadPort {
            port: asked.port.clone(),
        };
        if port.bytes().all(|b| b.is_ascii_digit()) {
            match port.parse::<u32>() {
                Ok(1..=65535) => {}
                _ => return Err(bad_port()),
            }
        } else if !port
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(bad_port());
        }
        let asked_delay = asked.attempt_delay_ms.map(Duration::from_millis);
        let attempt_delay = asked_delay
            .unwrap_or(ATTEMPT_DELAY)
            .clamp(MIN_ATTEMPT_DELAY, MAX_ATTEMPT_DELAY);
        let timeout = match asked.timeout_s {
            None => DEFAULT_TIMEOUT,
            Some(s) if s.is_finite() && s > 0.0 && s < 1e9 => Duration::from_secs_f64(s),
            Some(s) => {
                return Err(RequestError::BadTimeout {
                    given: s.to_string(),
                });
            }
        };
        Ok(Request {
            host: host.to_string(),
            port: port.to_string(),
            transport: asked.transport,
            family: asked.family,
            attempt_delay,
            attempt_delay_asked: asked_delay.filter(|d| *d != attempt_delay),
            timeout,
        })
    }
}

/// Why a connection could not be made at all (a lost race is not an
/// error: it is a [`report::ConnectReport`] with outcome `failed`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// getaddrinfo failed.
    #[error(transparent)]
    Resolve(#[from] crate::resolve::ResolveError),
    /// The port is a name the services database does not have for this
    /// transport.
    #[error("port '{service}': no such {transport} service")]
    UnknownService {
        /// The name given.
        service: String,
        /// TCP or UDP.
        transport: Transport,
    },
    /// A numeric address of the other family than `-4`/`-6` asked for.
    #[error("{host} is not an address of {family}")]
    WrongFamily {
        /// The address given.
        host: String,
        /// What was asked for.
        family: FamilyChoice,
    },
    /// The blocking resolver thread could not run or finish.
    #[error("the resolver thread failed: {0}")]
    ResolverThread(String),
    /// The user interrupted while the name was being resolved.
    #[error("interrupted while resolving {host}")]
    Interrupted {
        /// The host.
        host: String,
    },
    /// Resolving took longer than the whole timeout.
    #[error("resolving {host} took longer than the timeout ({} s)", timeout.as_secs_f64())]
    ResolveTimedOut {
        /// The host.
        host: String,
        /// The timeout.
        timeout: Duration,
    },
}

impl ConnectError {
    /// Whether the fault is in what the user typed (exit 2, as a usage
    /// error) rather than in the network.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            ConnectError::UnknownService { .. } | ConnectError::WrongFamily { .. }
        )
    }
}
