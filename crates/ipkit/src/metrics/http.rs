//! The exporter's HTTP side on hyper (HTTP/1.1), over the listening sockets
//! of [`crate::serve::listen`]: `GET /metrics` (Prometheus text 0.0.4, or
//! OpenMetrics 1.0.0 when `Accept` asks), `GET /probe?target=T&module=M`
//! (blackbox_exporter's multi-target pattern), `POST /-/reload`,
//! `GET /health`. On cancel the listeners close and connections finish
//! their request in flight, as `ipkit serve http` stops.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use socket2::Socket;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::Exporter;
use super::series::Format;

/// How long a client has to send its request head.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serve until `stop` turns true.
pub(super) async fn serve(
    listeners: Vec<Socket>,
    exporter: Arc<Exporter>,
    stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let mut tasks = tokio::task::JoinSet::new();
    for socket in listeners {
        let listener = TcpListener::from_std(std::net::TcpListener::from(socket))?;
        tasks.spawn(accept_loop(listener, Arc::clone(&exporter), stop.clone()));
    }
    while tasks.join_next().await.is_some() {}
    Ok(())
}

async fn accept_loop(
    listener: TcpListener,
    exporter: Arc<Exporter>,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => break,
        };
        let Ok((stream, _peer)) = accepted else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let exporter = Arc::clone(&exporter);
        let mut stop = stop.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let exporter = Arc::clone(&exporter);
                async move { Ok::<_, Infallible>(handle(req, &exporter).await) }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(READ_TIMEOUT)
                .keep_alive(true);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = stop.changed() => conn.as_mut().graceful_shutdown(),
            }
            let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
        });
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
}

fn reply(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

const TEXT: &str = "text/plain; charset=utf-8";

/// The header Prometheus sends with every scrape: its scrape timeout, in
/// seconds.
const SCRAPE_TIMEOUT: &str = "x-prometheus-scrape-timeout-seconds";

/// What a `/probe` leaves of the scrape timeout for its answer to reach
/// Prometheus: blackbox_exporter's default `--timeout-offset`, 0.5 s.
const TIMEOUT_OFFSET: f64 = 0.5;

/// How long a `/probe` may take under Prometheus's scrape timeout
/// (`X-Prometheus-Scrape-Timeout-Seconds`, `header`): the header less
/// 0.5 s, as blackbox_exporter (`prober/handler.go`, `getTimeout`); but
/// never less than half of it, so a scrape timeout under a second still
/// leaves the probe time (blackbox_exporter falls back to the module's
/// timeout, and Prometheus gives up first), and at least 1 ms. None when
/// there is no header or it is 0 (blackbox_exporter: no limit); the
/// module's own timeout applies in any case when it is shorter.
fn scrape_limit(header: Option<&str>) -> Result<Option<Duration>, String> {
    let Some(text) = header else {
        return Ok(None);
    };
    let secs: f64 = text
        .trim()
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite() && *s >= 0.0)
        .ok_or_else(|| {
            format!("X-Prometheus-Scrape-Timeout-Seconds: \"{text}\" is not a number of seconds")
        })?;
    if secs == 0.0 {
        return Ok(None);
    }
    let left = (secs - TIMEOUT_OFFSET.min(secs / 2.0)).clamp(0.001, 86_400.0);
    Ok(Some(Duration::from_secs_f64(left)))
}

/// The query parameter `key` of `query`, percent-decoded.
fn param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 3 <= b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn handle(req: Request<Incoming>, exporter: &Exporter) -> Response<Full<Bytes>> {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let format = Format::negotiate(accept);
    let path = req.uri().path();
    let query = req.uri().query().unwrap_or("");
    match (req.method(), path) {
        (&Method::GET | &Method::HEAD, "/metrics") => {
            reply(StatusCode::OK, format.content_type(), exporter.metrics(format))
        }
        (&Method::GET | &Method::HEAD, "/probe") => {
            let (Some(target), module) = (param(query, "target"), param(query, "module")) else {
                return reply(StatusCode::BAD_REQUEST, TEXT, "target parameter is missing\n".into());
            };
            let module = module.unwrap_or_else(|| "icmp".into());
            let header = req
                .headers()
                .get(SCRAPE_TIMEOUT)
                .map(|v| v.to_str().unwrap_or("?"));
            let limit = match scrape_limit(header) {
                Ok(l) => l,
                Err(why) => return reply(StatusCode::BAD_REQUEST, TEXT, format!("{why}\n")),
            };
            match exporter.probe_once(&target, &module, format, limit).await {
                Ok(text) => reply(StatusCode::OK, format.content_type(), text),
                Err(why) => reply(StatusCode::BAD_REQUEST, TEXT, format!("{why}\n")),
            }
        }
        (&Method::POST | &Method::PUT, "/-/reload") => match exporter.reload("http").await {
            Ok(n) => reply(StatusCode::OK, TEXT, format!("reloaded: {n} targets\n")),
            Err(super::LoadError::Invalid(e)) => reply(
                StatusCode::BAD_REQUEST,
                TEXT,
                e.0.iter().map(|l| format!("{l}\n")).collect(),
            ),
            Err(e) => reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                TEXT,
                format!("{}\n", crate::error_chain(&e)),
            ),
        },
        (_, "/-/reload") => reply(StatusCode::METHOD_NOT_ALLOWED, TEXT, "use POST\n".into()),
        (&Method::GET | &Method::HEAD, "/health" | "/-/healthy") => {
            reply(StatusCode::OK, TEXT, "ok\n".into())
        }
        (&Method::GET | &Method::HEAD, "/") => reply(
            StatusCode::OK,
            "text/html; charset=utf-8",
            "<html><head><title>ipkit serve metrics</title></head><body><h1>ipkit serve metrics</h1>\
             <p><a href=\"/metrics\">Metrics</a></p>\
             <p><a href=\"/probe?target=127.0.0.1&amp;module=icmp\">Probe 127.0.0.1 (icmp)</a></p>\
             </body></html>\n"
                .into(),
        ),
        _ => reply(StatusCode::NOT_FOUND, TEXT, "not found\n".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_percent_decoded() {
        assert_eq!(
            param("target=%5B%3A%3A1%5D%3A80&module=tcp", "target").as_deref(),
            Some("[::1]:80")
        );
        assert_eq!(
            param("target=a&module=tcp", "module").as_deref(),
            Some("tcp")
        );
        assert_eq!(param("target=a", "module"), None);
        assert_eq!(percent_decode("50%"), "50%");
    }

    /// blackbox_exporter's rule (header − 0.5 s), with the floor.
    #[test]
    fn the_scrape_timeout_header_leaves_half_a_second() {
        let ms = |h: &str| scrape_limit(Some(h)).map(|d| d.map(|d| d.as_millis()));
        assert_eq!(ms("10"), Ok(Some(9500)));
        assert_eq!(ms("1.5"), Ok(Some(1000)));
        assert_eq!(ms("0.6"), Ok(Some(300)));
        assert_eq!(ms("0"), Ok(None));
        assert_eq!(scrape_limit(None), Ok(None));
        assert!(ms("soon").is_err());
        assert!(ms("-1").is_err());
        assert!(ms("NaN").is_err());
    }
}
