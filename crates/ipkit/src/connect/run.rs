//! The driver: runs the [`race`](super::race) state machine over real
//! sockets (tokio's `TcpSocket::connect`, or a UDP socket's `connect()`),
//! with the timer, the overall deadline and the cancellation token, and
//! hands back the winning connection with the report.
//!
//! [`race_with`] is generic over a [`Connector`], so the same driver runs
//! over the operating system's sockets ([`SystemConnector`]) and, in
//! `crates/ipkit/tests/happy_eyeballs.rs`, over scripted connections on
//! tokio's paused clock — the timings there are the driver's own. Losing
//! attempts are aborted by dropping their futures, which closes their
//! sockets (a SYN in flight is answered by the kernel's RST).

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use tokio::net::{TcpSocket, TcpStream, UdpSocket};
use tokio::time::Instant;

use super::race::{Action, Event, Outcome, Race};
use super::report::ConnectReport;
use super::{ConnectError, Request, Transport, order};
use crate::cancel::Cancel;

/// How often a wait looks at the cancellation token.
const TICK: Duration = Duration::from_millis(20);

/// Opens one connection attempt.
pub trait Connector {
    /// What a successful attempt gives.
    type Conn;
    /// Connect to `addr`; the future is dropped to abort the attempt.
    fn connect(&self, addr: SocketAddr) -> impl Future<Output = io::Result<Self::Conn>>;
}

/// A connection the operating system made.
#[derive(Debug)]
pub enum Connection {
    /// A TCP stream.
    Tcp(TcpStream),
    /// A connected UDP socket.
    Udp(UdpSocket),
}

impl Connection {
    /// (local, remote) socket addresses.
    pub fn ends(&self) -> io::Result<(SocketAddr, SocketAddr)> {
        match self {
            Connection::Tcp(s) => Ok((s.local_addr()?, s.peer_addr()?)),
            Connection::Udp(s) => Ok((s.local_addr()?, s.peer_addr()?)),
        }
    }
}

/// The operating system's sockets, TCP or UDP.
#[derive(Debug, Clone, Copy)]
pub struct SystemConnector(pub Transport);

impl Connector for SystemConnector {
    type Conn = Connection;

    async fn connect(&self, addr: SocketAddr) -> io::Result<Connection> {
        match self.0 {
            Transport::Tcp => {
                let socket = if addr.is_ipv6() {
                    TcpSocket::new_v6()?
                } else {
                    TcpSocket::new_v4()?
                };
                Ok(Connection::Tcp(socket.connect(addr).await?))
            }
            Transport::Udp => {
                let any: IpAddr = if addr.is_ipv6() {
                    Ipv6Addr::UNSPECIFIED.into()
                } else {
                    Ipv4Addr::UNSPECIFIED.into()
                };
                let socket = UdpSocket::bind((any, 0)).await?;
                socket.connect(addr).await?;
                Ok(Connection::Udp(socket))
            }
        }
    }
}

/// A finished race: the winner's connection (if any), the state machine
/// with every attempt's fate, and how long the race took.
#[derive(Debug)]
pub struct Raced<T> {
    /// The winning connection.
    pub conn: Option<T>,
    /// The race, finished.
    pub race: Race,
    /// From the first attempt's start to the outcome.
    pub elapsed: Duration,
}

/// What woke the driver.
enum Woke<T> {
    Attempt(usize, io::Result<T>),
    Timer,
    Deadline,
    Tick,
}

/// Race `addrs` (already ordered) with this Connection Attempt Delay, for
/// at most `timeout`, stopping when `cancel` is cancelled.
pub async fn race_with<C: Connector>(
    connector: &C,
    addrs: Vec<SocketAddr>,
    delay: Duration,
    timeout: Duration,
    cancel: &Cancel,
) -> Raced<C::Conn> {
    let start = Instant::now();
    let deadline = start + timeout;
    let mut race = Race::new(addrs, delay);
    let mut in_flight: Vec<(usize, Pin<Box<_>>)> = Vec::new();
    let mut timer: Option<Instant> = None;
    let mut winner = None;
    let mut actions = race.handle(Duration::ZERO, Event::Start);
    loop {
        for action in actions.drain(..) {
            match action {
                Action::Start { attempt, addr } => {
                    in_flight.push((attempt, Box::pin(connector.connect(addr))));
                }
                Action::ArmTimer { at } => timer = Some(start + at),
                Action::Abort { attempt } => in_flight.retain(|(n, _)| *n != attempt),
                Action::Finish(outcome) => {
                    let conn = match outcome {
                        Outcome::Connected(_) => winner.take(),
                        _ => None,
                    };
                    return Raced {
                        conn,
                        race,
                        elapsed: start.elapsed(),
                    };
                }
            }
        }
        let mut timer_sleep = timer.map(|t| Box::pin(tokio::time::sleep_until(t)));
        let mut deadline_sleep = Box::pin(tokio::time::sleep_until(deadline));
        let mut tick = Box::pin(tokio::time::sleep(TICK));
        let woke = std::future::poll_fn(|cx| {
            for k in 0..in_flight.len() {
                if let Poll::Ready(res) = in_flight[k].1.as_mut().poll(cx) {
                    let (n, _) = in_flight.swap_remove(k);
                    return Poll::Ready(Woke::Attempt(n, res));
                }
            }
            if timer_sleep
                .as_mut()
                .is_some_and(|t| t.as_mut().poll(cx).is_ready())
            {
                return Poll::Ready(Woke::Timer);
            }
            if deadline_sleep.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Woke::Deadline);
            }
            if tick.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Woke::Tick);
            }
            Poll::Pending
        })
        .await;
        let now = start.elapsed();
        actions = match woke {
            Woke::Attempt(n, Ok(conn)) => {
                winner = Some(conn);
                race.handle(now, Event::Connected(n))
            }
            Woke::Attempt(n, Err(e)) => race.handle(now, Event::Failed(n, reason(&e))),
            Woke::Timer => {
                timer = None;
                race.handle(now, Event::TimerFired)
            }
            Woke::Deadline => race.handle(now, Event::TimedOut),
            Woke::Tick if cancel.is_cancelled() => race.handle(now, Event::Interrupted),
            Woke::Tick => Vec::new(),
        };
    }
}

/// An attempt's failure in the operating system's words, without Rust's
/// " (os error N)" suffix: "Connection refused", as nc prints it.
fn reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// What [`connect`] did: the connection when an attempt won, and the
/// report either way.
#[derive(Debug)]
pub struct Connected {
    /// The winner's connection, or `None` when the race was lost.
    pub connection: Option<Connection>,
    /// Resolve, race and result.
    pub report: ConnectReport,
}

/// Run `request`: resolve (on a blocking thread), order, race over the
/// operating system's sockets. Errors are failures to resolve; a lost race
/// is a report whose outcome is not `connected`.
pub async fn connect(request: &Request, cancel: &Cancel) -> Result<Connected, ConnectError> {
    let began = Instant::now();
    let resolved = resolve(request, cancel).await?;
    let resolve_time = began.elapsed();
    let left = request.timeout.saturating_sub(resolve_time);
    let addrs = order::interleave(&resolved);
    let connector = SystemConnector(request.transport);
    let raced = race_with(&connector, addrs, request.attempt_delay, left, cancel).await;
    let ends = raced.conn.as_ref().and_then(|c| c.ends().ok());
    let report = ConnectReport::of(request, &raced.race, resolve_time, raced.elapsed, ends);
    Ok(Connected {
        connection: raced.conn,
        report,
    })
}

/// getaddrinfo on a blocking thread (inline for a numeric host), within
/// the timeout and the token.
async fn resolve(request: &Request, cancel: &Cancel) -> Result<Vec<SocketAddr>, ConnectError> {
    let (host, port) = (request.host.clone(), request.port.clone());
    let (family, transport) = (request.family, request.transport);
    if host.parse::<IpAddr>().is_ok() {
        // AI_NUMERICHOST: no lookup, nothing that blocks; no thread needed.
        return order::resolve(&host, &port, family, transport);
    }
    let mut job =
        tokio::task::spawn_blocking(move || order::resolve(&host, &port, family, transport));
    let deadline = Instant::now() + request.timeout;
    loop {
        match tokio::time::timeout(TICK, &mut job).await {
            Ok(Ok(result)) => return result,
            Ok(Err(e)) => return Err(ConnectError::ResolverThread(e.to_string())),
            Err(_) if cancel.is_cancelled() => {
                return Err(ConnectError::Interrupted {
                    host: request.host.clone(),
                });
            }
            Err(_) if Instant::now() >= deadline => {
                return Err(ConnectError::ResolveTimedOut {
                    host: request.host.clone(),
                    timeout: request.timeout,
                });
            }
            Err(_) => {}
        }
    }
}
