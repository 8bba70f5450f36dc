//! DNS over TLS (RFC 7858: the TCP framing inside TLS, ALPN "dot") and DNS
//! over HTTPS (RFC 8484: POST of the wire message, `application/dns-message`),
//! with rustls on the ring provider.
//!
//! DoH speaks HTTP/1.1 with `Connection: close`, which RFC 8484 allows
//! (HTTP/2 is only RECOMMENDED); a one-shot query gains nothing from
//! HTTP/2's multiplexing and this keeps an HTTP stack out of ipkit.
//! Certificates are checked against the system roots, or a CA file, and the
//! server's IP address unless a name is given.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use hickory_proto::op::Message;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

use crate::dns::{
    Answer, DnsError, QueryOptions, Secure, answers, read_framed, tcp_connect, write_framed,
};

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
    match Message::from_vec(&body) {
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

/// The body of an HTTP/1.1 response, checked to be a 200 with a DNS message;
/// Content-Length and chunked bodies are understood.
fn http_body(response: &[u8]) -> Result<Vec<u8>, String> {
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no HTTP header in the response")?;
    let head = String::from_utf8_lossy(&response[..split]);
    let body = &response[split + 4..];
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or("");
    let code = status.split_whitespace().nth(1).unwrap_or("");
    if code != "200" {
        return Err(format!("HTTP status '{status}'"));
    }
    let mut chunked = false;
    let mut length: Option<usize> = None;
    let mut content_type = String::new();
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            match k.as_str() {
                "content-length" => length = v.parse().ok(),
                "transfer-encoding" => chunked = v.eq_ignore_ascii_case("chunked"),
                "content-type" => content_type = v.to_ascii_lowercase(),
                _ => {}
            }
        }
    }
    if !content_type.starts_with("application/dns-message") {
        return Err(format!(
            "content type '{content_type}', not application/dns-message"
        ));
    }
    if chunked {
        let mut out = Vec::new();
        let mut rest = body;
        loop {
            let eol = rest
                .windows(2)
                .position(|w| w == b"\r\n")
                .ok_or("bad chunked body")?;
            let size_text = String::from_utf8_lossy(&rest[..eol]);
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| "bad chunk size")?;
            rest = &rest[eol + 2..];
            if size == 0 {
                return Ok(out);
            }
            if rest.len() < size + 2 {
                return Err("truncated chunked body".into());
            }
            out.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
    }
    match length {
        Some(n) if body.len() >= n => Ok(body[..n].to_vec()),
        Some(_) => Err("body shorter than Content-Length".into()),
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
}
