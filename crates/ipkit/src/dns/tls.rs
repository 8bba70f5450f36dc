//! DNS over TLS (RFC 7858: the TCP framing inside TLS, ALPN "dot") and DNS
//! over HTTPS (RFC 8484: POST of the wire message, `application/dns-message`),
//! with rustls on the ring provider.
//!
//! DoH speaks HTTP/1.1 with `Connection: close`, which RFC 8484 allows
//! (HTTP/2 is only RECOMMENDED); a one-shot query gains nothing from
//! HTTP/2's multiplexing. The response is parsed by httparse (header and
//! chunk sizes), the body bounded to one DNS message ([`http_body`]).
//! Certificates are checked against the system roots, or a CA file, and the
//! server's IP address unless a name is given.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use hickory_proto::op::Message;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

use super::message::{Answer, DnsError, QueryOptions, Secure, answers, decode};
use super::stream::{read_framed, tcp_connect, write_framed};

fn tls_error(server: SocketAddr) -> impl Fn(String) -> DnsError {
    move |reason| DnsError::Tls { server, reason }
}

fn client_config(
    secure: &Secure,
    alpn: &[u8],
    server: SocketAddr,
) -> Result<Arc<rustls::ClientConfig>, DnsError> {
    let err = tls_error(server);
    let mut roots = rustls::RootCertStore::empty();
    match &secure.ca_file {
        Some(path) => {
            for cert in CertificateDer::pem_file_iter(path)
                .map_err(|e| err(format!("reading {}: {e}", path.display())))?
            {
                let cert = cert.map_err(|e| err(format!("reading {}: {e}", path.display())))?;
                roots
                    .add(cert)
                    .map_err(|e| err(format!("{}: {e}", path.display())))?;
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
    }
    if roots.is_empty() {
        return Err(err(
            "no trusted CA certificates (install ca-certificates, or give --tls-ca FILE)".into(),
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| err(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    Ok(Arc::new(config))
}

fn server_name(secure: &Secure, server: SocketAddr) -> Result<ServerName<'static>, DnsError> {
    match &secure.server_name {
        Some(n) => {
            ServerName::try_from(n.clone()).map_err(|e| tls_error(server)(format!("'{n}': {e}")))
        }
        None => Ok(ServerName::IpAddress(server.ip().into())),
    }
}

/// Send `wire` (the encoded `query`) over DoT or DoH and return the answer.
pub(crate) fn exchange_secure(
    server: SocketAddr,
    query: &Message,
    wire: &[u8],
    o: &QueryOptions,
    secure: &Secure,
    start: Instant,
) -> Result<Answer, DnsError> {
    let https = secure.https_path.as_deref();
    let config = client_config(
        secure,
        if https.is_some() { b"http/1.1" } else { b"dot" },
        server,
    )?;
    let conn = rustls::ClientConnection::new(config, server_name(secure, server)?)
        .map_err(|e| tls_error(server)(e.to_string()))?;
    let io_err = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => DnsError::Timeout {
            server,
            timeout: o.timeout,
            rejected: 0,
        },
        std::io::ErrorKind::InvalidData => DnsError::Tls {
            server,
            reason: e.to_string(),
        },
        _ => DnsError::Io {
            op: "talking TLS to",
            server,
            source: e,
        },
    };
    let tcp = tcp_connect(server, o).map_err(io_err)?;
    tcp.set_read_timeout(Some(o.timeout)).map_err(io_err)?;
    tcp.set_write_timeout(Some(o.timeout)).map_err(io_err)?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let body = match https {
        None => {
            write_framed(&mut tls, wire).map_err(io_err)?;
            read_framed(&mut tls).map_err(io_err)?
        }
        Some(path) => {
            let host = secure.server_name.clone().unwrap_or_else(|| match server {
                SocketAddr::V4(a) => a.ip().to_string(),
                SocketAddr::V6(a) => format!("[{}]", a.ip()),
            });
            let head = format!(
                "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/dns-message\r\nAccept: application/dns-message\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: ipkit\r\n\r\n",
                wire.len()
            );
            let mut request = head.into_bytes();
            request.extend_from_slice(wire);
            tls.write_all(&request).map_err(io_err)?;
            let mut response = Vec::new();
            // Read to the end (Connection: close), at most 128 KiB. A peer
            // that closes without close_notify is tolerated once we have data.
            let mut chunk = [0u8; 16 * 1024];
            loop {
                match tls.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => {
                        response.extend_from_slice(&chunk[..n]);
                        if response.len() > 128 * 1024 {
                            return Err(DnsError::Http {
                                server,
                                reason: "response over 128 KiB".into(),
                            });
                        }
                    }
                    Err(e)
                        if e.kind() == std::io::ErrorKind::UnexpectedEof
                            && !response.is_empty() =>
                    {
                        break;
                    }
                    Err(e) => return Err(io_err(e)),
                }
            }
            http_body(&response).map_err(|reason| DnsError::Http { server, reason })?
        }
    };
    let size = body.len();
    match decode(&body) {
        Ok(reply) if answers(query, &reply) => Ok(Answer {
            server,
            message: reply,
            size,
            elapsed: start.elapsed(),
            tcp: true,
            retried_over_tcp: false,
            rejected: 0,
        }),
        Ok(_) => Err(DnsError::Http {
            server,
            reason: "the answer does not match the question".into(),
        }),
        Err(e) => Err(DnsError::Http {
            server,
            reason: format!("not a DNS message: {e}"),
        }),
    }
}

/// The most body a DoH answer may have: a DNS message is at most 65,535 bytes.
pub const MAX_BODY: usize = 65_535;

/// The body of a DoH server's HTTP/1.1 response (header parsing is
/// httparse's): it must be a 200 with `Content-Type: application/dns-message`;
/// Content-Length and chunked bodies are understood, bodies over
/// [`MAX_BODY`] refused. Pure, total on any input (a fuzz target calls it).
///
/// # Examples
/// ```
/// use ipkit::dns::tls::http_body;
/// let r = b"HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n";
/// assert_eq!(http_body(r).unwrap(), b"ab");
/// assert!(http_body(b"HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n").is_err());
/// ```
pub fn http_body(response: &[u8]) -> Result<Vec<u8>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut head = httparse::Response::new(&mut headers);
    let head_len = match head.parse(response) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            return Err("the HTTP response ends inside its header".into());
        }
        Err(e) => return Err(format!("not an HTTP response: {e}")),
    };
    let code = head.code.unwrap_or(0);
    if code != 200 {
        return Err(format!(
            "HTTP status {code} {}",
            head.reason
                .unwrap_or("")
                .chars()
                .take(80)
                .collect::<String>()
        ));
    }
    let header = |name: &str| {
        head.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
    };
    let content_type = header("content-type").unwrap_or_default();
    if !content_type.starts_with("application/dns-message") {
        return Err(format!(
            "content type '{}', not application/dns-message",
            content_type.chars().take(80).collect::<String>()
        ));
    }
    let too_big = || format!("HTTP body over {MAX_BODY} bytes");
    let body = &response[head_len..];
    if header("transfer-encoding").is_some_and(|t| t.ends_with("chunked")) {
        let mut out = Vec::new();
        let mut rest = body;
        loop {
            let (used, size) = match httparse::parse_chunk_size(rest) {
                Ok(httparse::Status::Complete(c)) => c,
                Ok(httparse::Status::Partial) => return Err("truncated chunked body".into()),
                Err(_) => return Err("bad chunk size in the HTTP body".into()),
            };
            rest = &rest[used..];
            if size == 0 {
                return Ok(out);
            }
            let size = usize::try_from(size)
                .ok()
                .filter(|n| out.len().saturating_add(*n) <= MAX_BODY)
                .ok_or_else(too_big)?;
            let (chunk, after) = rest
                .split_at_checked(size)
                .ok_or("truncated chunked body")?;
            out.extend_from_slice(chunk);
            rest = after
                .strip_prefix(b"\r\n")
                .ok_or("a chunk of the HTTP body does not end in CRLF")?;
        }
    }
    match header("content-length") {
        Some(v) => {
            let n: usize = v.parse().map_err(|_| "bad Content-Length".to_string())?;
            if n > MAX_BODY {
                return Err(too_big());
            }
            body.get(..n)
                .map(<[u8]>::to_vec)
                .ok_or_else(|| "body shorter than Content-Length".into())
        }
        None if body.len() > MAX_BODY => Err(too_big()),
        None => Ok(body.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::http_body;

    #[test]
    fn http_bodies() {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\nContent-Length: 3\r\n\r\nabcdef";
        assert_eq!(http_body(ok).unwrap(), b"abc");
        let chunked = b"HTTP/1.1 200 OK\r\ncontent-type: application/dns-message\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n";
        assert_eq!(http_body(chunked).unwrap(), b"abc");
        assert!(
            http_body(b"HTTP/1.1 404 Not Found\r\n\r\n")
                .unwrap_err()
                .contains("404")
        );
        assert!(
            http_body(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\nx")
                .unwrap_err()
                .contains("text/html")
        );
        assert!(http_body(b"garbage").is_err());
    }

    #[test]
    fn hostile_chunk_sizes_and_lengths_are_refused() {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\n";
        let chunked = |body: &str| format!("{head}Transfer-Encoding: chunked\r\n\r\n{body}");
        for body in [
            // usize::MAX - 1: adding the CRLF once overflowed.
            "fffffffffffffffe\r\nab\r\n0\r\n\r\n",
            "ffffffffffffffff\r\n",
            "10000\r\nab",
            "2\r\nabXX0\r\n\r\n",
            "2\r\na",
            "zz\r\n",
            "",
        ] {
            assert!(http_body(chunked(body).as_bytes()).is_err(), "{body:?}");
        }
        let long = format!("{head}Content-Length: 99999999999999999999999\r\n\r\nab");
        assert!(http_body(long.as_bytes()).is_err());
        let big = format!("{head}Content-Length: 70000\r\n\r\n");
        assert!(
            http_body(big.as_bytes())
                .unwrap_err()
                .contains("over 65535")
        );
        // A multibyte character where a quote is cut is no panic either.
        let ct = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {}\r\n\r\n",
            "é".repeat(100)
        );
        assert!(http_body(ct.as_bytes()).is_err());
    }
}
