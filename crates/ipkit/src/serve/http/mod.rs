//! `ipkit serve http`: the ipinfo/echoip-style API over the same
//! [`crate::info`] records as `ipkit info`, on hyper 1.x (HTTP/1.1) and
//! tokio. [`routes`] decides every answer without I/O; this module puts it
//! on the listening sockets with the limits a public server needs:
//!
//! - request head size (`max_header_bytes`: hyper answers 431) and body
//!   size (413 from `Content-Length`, or once a chunked body passes it);
//! - a read timeout for each request's head (hyper's header read timer,
//!   which also runs while a keep-alive connection waits for its next
//!   request, so idle connections and slowloris clients are cut off) and
//!   body (408); a write timeout ([`stall`]) when the peer stops reading;
//! - a connection cap: past `max_connections` the server stops accepting,
//!   and new connections wait in the kernel's backlog until one closes;
//! - graceful shutdown: on cancel the listeners close, idle connections
//!   close, in-flight requests are answered (for up to `shutdown_grace`).
//!
//! Hostnames are not looked up: a server that did reverse DNS per request
//! would let any client make it send queries; the `hostname` field is left
//! out, as ipinfo leaves it out where there is none.

pub mod access;
pub mod lookups;
pub mod routes;
pub mod stall;

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Request, Response, StatusCode, Version};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Serialize;
use socket2::Socket;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, watch};

use self::access::AccessEntry;
use self::routes::{Asked, Reply};
use crate::cancel::Cancel;
use crate::info::data::Databases;

/// The server's limits and choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOptions {
    /// Take the caller's address from `X-Forwarded-For` (its last valid
    /// entry: the one the proxy in front of this server appended).
    pub trust_proxy: bool,
    /// Connections served at once.
    pub max_connections: usize,
    /// The largest request head (request line and headers) in bytes.
    pub max_header_bytes: usize,
    /// The largest request body in bytes.
    pub max_body_bytes: usize,
    /// Time allowed to receive a request's head (and its body).
    pub read_timeout: Duration,
    /// Time a response may wait for a peer that does not read.
    pub write_timeout: Duration,
    /// How long shutdown waits for in-flight requests.
    pub shutdown_grace: Duration,
}

impl Default for HttpOptions {
    fn default() -> HttpOptions {
        HttpOptions {
            trust_proxy: false,
            max_connections: 10_000,
            max_header_bytes: 8 * 1024,
            max_body_bytes: 16 * 1024,
            read_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// A limit that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpOptionsError {
    /// A value outside its range.
    #[error("{what} must be {range}, not {value}")]
    OutOfRange {
        /// The option.
        what: &'static str,
        /// The allowed range, in words.
        range: &'static str,
        /// What was given.
        value: String,
    },
}

impl HttpOptions {
    /// Refuse limits the server cannot honour.
    pub fn validate(&self) -> Result<(), HttpOptionsError> {
        let out =
            |what, range, value: String| Err(HttpOptionsError::OutOfRange { what, range, value });
        if self.max_connections == 0 || self.max_connections > Semaphore::MAX_PERMITS {
            return out(
                "--max-connections",
                "at least 1",
                self.max_connections.to_string(),
            );
        }
        if !(256..=1 << 20).contains(&self.max_header_bytes) {
            return out(
                "the header limit",
                "256 bytes to 1 MiB",
                self.max_header_bytes.to_string(),
            );
        }
        for (what, d) in [
            ("--read-timeout", self.read_timeout),
            ("--write-timeout", self.write_timeout),
        ] {
            if d.is_zero() || d > Duration::from_secs(86_400) {
                return out(what, "more than 0 and at most a day", format!("{d:?}"));
            }
        }
        Ok(())
    }
}

/// A connection hyper ended before an answer: the `rejected` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// The TCP peer.
    pub peer: SocketAddr,
    /// The status hyper sent (431 head too large, 400 malformed), if any.
    pub status: Option<u16>,
    /// Why, in words.
    pub reason: String,
}

/// What the server reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum HttpEvent {
    /// A request was answered.
    Request(AccessEntry),
    /// A connection was cut off or refused by the HTTP layer.
    Rejected(Rejected),
}

/// Totals when the server stops: the `summary` record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HttpSummary {
    /// Connections accepted.
    pub connections: u64,
    /// Requests answered.
    pub requests: u64,
    /// Connections cut off by the HTTP layer (see [`Rejected`]).
    pub rejected: u64,
    /// Connections still open when the shutdown grace period ended.
    pub unfinished: u64,
}

/// Where the events go: the binary's log writer.
pub trait HttpLog {
    /// One event.
    fn event(&mut self, event: &HttpEvent);
    /// No event is waiting: a buffered writer flushes here.
    fn flush(&mut self) {}
}

struct Shared {
    lookups: lookups::Lookups,
    options: HttpOptions,
    builder: hyper::server::conn::http1::Builder,
    events: mpsc::UnboundedSender<HttpEvent>,
    slots: Arc<Semaphore>,
    accepted: AtomicU64,
    open: AtomicU64,
}

/// Serve the API on `listeners` (TCP, listening, non-blocking, from
/// [`super::listen::open`]) until `cancel` fires, then shut down
/// gracefully. Needs a tokio runtime with IO and time.
pub async fn run(
    listeners: Vec<Socket>,
    databases: Arc<Databases>,
    options: HttpOptions,
    cancel: &Cancel,
    log: &mut dyn HttpLog,
) -> std::io::Result<HttpSummary> {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.read_timeout)
        .max_header_size(options.max_header_bytes)
        .keep_alive(true);
    let (events, mut received) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        lookups: lookups::Lookups::new(databases),
        slots: Arc::new(Semaphore::new(options.max_connections)),
        options,
        builder,
        events,
        accepted: AtomicU64::new(0),
        open: AtomicU64::new(0),
    });
    // Every connection task holds a clone of `done_tx`: when all are
    // dropped, `done_rx` reports that the last connection has ended.
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    let (stop_tx, stop) = watch::channel(false);
    let mut accepting = tokio::task::JoinSet::new();
    for socket in listeners {
        let listener = TcpListener::from_std(std::net::TcpListener::from(socket))?;
        accepting.spawn(accept_loop(
            listener,
            Arc::clone(&shared),
            done_tx.clone(),
            stop.clone(),
        ));
    }
    let mut summary = HttpSummary::default();
    let mut count = |event: &HttpEvent, log: &mut dyn HttpLog| {
        match event {
            HttpEvent::Request(_) => summary.requests += 1,
            HttpEvent::Rejected(_) => summary.rejected += 1,
        }
        log.event(event);
    };
    loop {
        tokio::select! {
            Some(event) = received.recv() => {
                count(&event, log);
                while let Ok(event) = received.try_recv() {
                    count(&event, log);
                }
                log.flush();
            }
            () = super::cancelled(cancel) => break,
        }
    }
    // Stop accepting, then let hyper close idle connections and finish the
    // requests in flight.
    let _ = stop_tx.send(true);
    while accepting.join_next().await.is_some() {}
    let grace = shared.options.shutdown_grace;
    drop(done_tx);
    let mut finished = std::pin::pin!(tokio::time::timeout(grace, done_rx.recv()));
    loop {
        tokio::select! {
            Some(event) = received.recv() => count(&event, log),
            _ = &mut finished => break,
        }
    }
    while let Ok(event) = received.try_recv() {
        count(&event, log);
    }
    log.flush();
    summary.connections = shared.accepted.load(Ordering::SeqCst);
    summary.unfinished = shared.open.load(Ordering::SeqCst);
    Ok(summary)
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    done: mpsc::Sender<()>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        // A slot first: past the cap, connections wait in the backlog.
        let permit = tokio::select! {
            p = Arc::clone(&shared.slots).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = stop.changed() => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // EMFILE and friends: wait a little rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        shared.accepted.fetch_add(1, Ordering::Relaxed);
        shared.open.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::clone(&shared);
        let stop = stop.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let outcome = serve_connection(stream, peer, &shared, stop).await;
            if let Some(r) = outcome {
                let _ = shared.events.send(HttpEvent::Rejected(r));
            }
            shared.open.fetch_sub(1, Ordering::Relaxed);
            drop(done);
            drop(permit);
        });
    }
}

/// Serve one connection until it ends; the [`Rejected`] event if the HTTP
/// layer cut it off.
async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    shared: &Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> Option<Rejected> {
    let mut stopping = *stop.borrow_and_update();
    // Until the first bytes arrive the connection costs only its socket and
    // this task: hyper's buffers (8 KiB and more) are allocated once there
    // is a request to read, so idle connections stay cheap.
    if !stopping {
        tokio::select! {
            ready = tokio::time::timeout(shared.options.read_timeout, stream.readable()) => match ready {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return None,
                Err(_) => return Some(Rejected {
                    peer,
                    status: None,
                    reason: "read timeout: no request arrived in time".into(),
                }),
            },
            // Shutting down: an idle connection just closes.
            _ = stop.changed() => return None,
        }
    }
    let stall = stall::Stall::default();
    let io = TokioIo::new(stall::Watched::new(stream, stall.clone()));
    let service_shared = Arc::clone(shared);
    let service =
        hyper::service::service_fn(move |req| handle(req, Arc::clone(&service_shared), peer));
    let mut connection = std::pin::pin!(shared.builder.serve_connection(io, service));
    stopping = stopping || *stop.borrow_and_update();
    if stopping {
        connection.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            finished = connection.as_mut() => return finished.err().and_then(|e| rejected(peer, &e)),
            () = stall.exceeded(shared.options.write_timeout) => return Some(Rejected {
                peer,
                status: None,
                reason: "write timeout: the client stopped reading".into(),
            }),
            _ = stop.changed(), if !stopping => {
                // Idle: close now; in flight: answer, then close.
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// The event for a connection hyper ended with an error, if it is one the
/// log should show (a client that simply went away is not).
fn rejected(peer: SocketAddr, e: &hyper::Error) -> Option<Rejected> {
    let (status, reason) = if e.is_parse_too_large() {
        (Some(431), "request head too large".to_string())
    } else if e.is_timeout() {
        (
            None,
            "read timeout: the request head did not arrive in time".to_string(),
        )
    } else if e.is_parse() {
        (Some(400), format!("malformed request: {e}"))
    } else {
        return None;
    };
    Some(Rejected {
        peer,
        status,
        reason,
    })
}

async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    peer: SocketAddr,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let started = Instant::now();
    let time = time::OffsetDateTime::now_utc();
    let (parts, body) = req.into_parts();
    let options = &shared.options;
    let client = caller(&parts.headers, peer, options.trust_proxy);
    let header_text = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let reply = match read_body(body, &parts.headers, options).await {
        Ok(()) => routes::answer(
            &Asked {
                method: parts.method.as_str(),
                path: parts.uri.path(),
                user_agent: header_text(header::USER_AGENT),
                accept: header_text(header::ACCEPT),
            },
            client,
            &shared.lookups,
        ),
        Err(refusal) => refusal,
    };
    let head = parts.method == hyper::Method::HEAD;
    let _ = shared.events.send(HttpEvent::Request(AccessEntry {
        time,
        client,
        peer,
        method: parts.method.to_string(),
        target: access::loggable_target(parts.uri.path(), parts.uri.query()),
        version: if parts.version == Version::HTTP_10 {
            "HTTP/1.0"
        } else {
            "HTTP/1.1"
        },
        status: reply.status,
        bytes: if head { 0 } else { reply.body.len() as u64 },
        user_agent: header_text(header::USER_AGENT).map(str::to_string),
        duration_ms: crate::ping::report::ms(started.elapsed()),
    }));
    Ok(response(reply))
}

fn response(reply: Reply) -> Response<Full<Bytes>> {
    let close = matches!(reply.status, 408 | 413);
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(reply.content_type),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(allow) = reply.allow {
        headers.insert(header::ALLOW, HeaderValue::from_static(allow));
    }
    if close {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Read and drop the body (no route takes one), refusing one too large
/// (413) or too slow (408).
async fn read_body(
    body: Incoming,
    headers: &HeaderMap,
    options: &HttpOptions,
) -> Result<(), Reply> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = || Reply::error(413, "413 content too large");
    if declared.is_some_and(|n| n > options.max_body_bytes as u64) {
        return Err(too_large());
    }
    if hyper::body::Body::is_end_stream(&body) {
        return Ok(());
    }
    let limited = Limited::new(body, options.max_body_bytes);
    match tokio::time::timeout(options.read_timeout, limited.collect()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(_)) => Err(Reply::error(
            400,
            "400 bad request: the body could not be read",
        )),
        Err(_) => Err(Reply::error(
            408,
            "408 request timeout: the body did not arrive in time",
        )),
    }
}

/// The address the answer is for: the peer's, or with `trust_proxy` the
/// last valid address in `X-Forwarded-For` (the one the trusted proxy
/// appended; earlier entries are whatever the client claimed).
pub fn caller(headers: &HeaderMap, peer: SocketAddr, trust_proxy: bool) -> IpAddr {
    let peer_ip = peer.ip().to_canonical();
    if !trust_proxy {
        return peer_ip;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(forwarded_address)
        .next_back()
        .unwrap_or(peer_ip)
}

fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_read_only_when_trusted() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, junk, 198.51.100.4:5000"),
        );
        let peer: SocketAddr = "[::1]:4000".parse().unwrap();
        assert_eq!(
            caller(&headers, peer, false),
            "::1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            caller(&headers, peer, true),
            "198.51.100.4".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            caller(&HeaderMap::new(), peer, true),
            "::1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn default_options_are_valid_and_zero_caps_are_not() {
        assert_eq!(HttpOptions::default().validate(), Ok(()));
        let zero = HttpOptions {
            max_connections: 0,
            ..HttpOptions::default()
        };
        assert!(zero.validate().is_err());
    }
}
