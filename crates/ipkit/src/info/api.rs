//! `ipkit info --api URL`: ask an ipinfo-compatible HTTP service instead of
//! the local databases, and answer with the same [`IpInfo`].
//!
//! For each address the client sends `GET URL/{ip}` with
//! `Accept: application/json` — what ipinfo.io answers with its JSON (as it
//! does for `/{ip}/json`), and what `ipkit serve http` answers too — plus
//! `Authorization: Bearer TOKEN` when a token is given (ipinfo.io's way;
//! the CLI takes it from `IPINFO_TOKEN`). The body must be JSON in ipinfo's
//! shape whose `ip` is the address asked; fields ipkit does not know (such
//! as ipinfo's `anycast` or `readme`) are ignored. A status other than 200,
//! a body that is not that JSON, or one over [`MAX_BODY`] bytes is one error
//! naming the URL. ureq is the client (see [`super::update`]).

use std::io::Read;
use std::net::IpAddr;
use std::time::Duration;

use super::record::IpInfo;

/// The largest answer accepted (ipinfo's are well under 1 KiB).
pub const MAX_BODY: u64 = 64 * 1024;

/// How long the service may stay silent.
const READ_TIMEOUT: Duration = Duration::from_secs(15);

/// A checked `--api` target and the token to send.
#[derive(Clone, Debug)]
pub struct ApiRequest {
    /// The service's base URL, without a trailing `/`.
    pub base: String,
    /// Sent as `Authorization: Bearer TOKEN` when present.
    pub token: Option<String>,
}

impl ApiRequest {
    /// Check `url` (an `http://` or `https://` URL) and keep `token` when it
    /// is not empty.
    pub fn new(url: &str, token: Option<String>) -> Result<ApiRequest, ApiError> {
        let base = url.trim();
        if !super::update::is_http_url(base) || base.contains(['?', '#']) {
            return Err(ApiError::BadUrl {
                url: base.to_string(),
            });
        }
        Ok(ApiRequest {
            base: base.trim_end_matches('/').to_string(),
            token: token.filter(|t| !t.trim().is_empty()),
        })
    }

    /// The URL asked for `ip`.
    pub fn url(&self, ip: IpAddr) -> String {
        format!("{}/{ip}", self.base)
    }
}

/// Why an API lookup failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// `--api` is not an http(s) URL.
    #[error("--api {url:?} is not an http:// or https:// URL")]
    BadUrl {
        /// What was given.
        url: String,
    },
    /// The request failed: connection refused, TLS, timeout, cut short.
    #[error("asking {url}")]
    Transfer {
        /// The URL asked.
        url: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The service answered with a status other than 200.
    #[error("{url}: the service answered HTTP {status}{}", detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Status {
        /// The URL asked.
        url: String,
        /// The HTTP status.
        status: u16,
        /// ipinfo's `error.title` (or `error`) when the body had one.
        detail: Option<String>,
    },
    /// The body is not ipinfo-shaped JSON.
    #[error("{url}: the answer is not ipinfo JSON: {why}")]
    BadAnswer {
        /// The URL asked.
        url: String,
        /// What was wrong.
        why: String,
    },
    /// The body was larger than [`MAX_BODY`].
    #[error("{url}: the answer is larger than {MAX_BODY} bytes")]
    TooLarge {
        /// The URL asked.
        url: String,
    },
}

/// A client for one service: reuses its connections across lookups.
pub struct ApiClient {
    request: ApiRequest,
    agent: ureq::Agent,
}

impl ApiClient {
    /// A client for `request`.
    pub fn new(request: ApiRequest) -> ApiClient {
        ApiClient {
            request,
            agent: super::update::agent(READ_TIMEOUT),
        }
    }

    /// Ask the service about `ip`.
    pub fn lookup(&self, ip: IpAddr) -> Result<IpInfo, ApiError> {
        let url = self.request.url(ip);
        let mut call = self.agent.get(&url).header("Accept", "application/json");
        if let Some(token) = &self.request.token {
            call = call.header("Authorization", format!("Bearer {token}"));
        }
        let transfer = |source| ApiError::Transfer {
            url: url.clone(),
            source,
        };
        let response = call
            .call()
            .map_err(|e| transfer(super::update::ureq_io(e)))?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        response
            .into_body()
            .into_reader()
            .take(MAX_BODY + 1)
            .read_to_end(&mut body)
            .map_err(transfer)?;
        if body.len() as u64 > MAX_BODY {
            return Err(ApiError::TooLarge { url });
        }
        if status != 200 {
            return Err(ApiError::Status {
                detail: error_detail(&body),
                url,
                status,
            });
        }
        parse_answer(&body, ip).map_err(|why| ApiError::BadAnswer { url, why })
    }
}

/// Parse an answer for `ip`: ipinfo's JSON, whose `ip` must be `ip`.
pub fn parse_answer(body: &[u8], ip: IpAddr) -> Result<IpInfo, String> {
    let info: IpInfo = serde_json::from_slice(body).map_err(|e| {
        // serde_json's words name the line and column; keep them short.
        let mut why = e.to_string();
        why.truncate(200);
        why
    })?;
    if info.ip != ip {
        return Err(format!("it is about {}, not {ip}", info.ip));
    }
    Ok(info)
}

/// ipinfo's error bodies: `{"error": {"title": ..., "message": ...}}` or
/// `{"error": "..."}`; the title (or text), cut to one short line.
fn error_detail(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let error = value.get("error")?;
    let text = error
        .get("title")
        .and_then(|t| t.as_str())
        .or_else(|| error.as_str())?;
    let line: String = text.chars().filter(|c| !c.is_control()).take(120).collect();
    (!line.is_empty()).then_some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_joined() {
        let r = ApiRequest::new("https://ipinfo.io/", Some(String::new())).unwrap();
        assert_eq!(
            r.url("8.8.8.8".parse().unwrap()),
            "https://ipinfo.io/8.8.8.8"
        );
        assert_eq!(r.token, None);
        let r = ApiRequest::new("http://[::1]:8080", Some("t".into())).unwrap();
        assert_eq!(
            r.url("2001:db8::1".parse().unwrap()),
            "http://[::1]:8080/2001:db8::1"
        );
        for bad in ["ipinfo.io", "ftp://x", "http://", "http://x/?token=1"] {
            assert!(ApiRequest::new(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn ipinfo_answer_parses_and_extra_fields_are_ignored() {
        // The shape of ipinfo.io's documented answer for 8.8.8.8
        // (https://ipinfo.io/developers), with its extra `anycast` field.
        let body = br#"{"ip":"8.8.8.8","hostname":"dns.google","city":"Mountain View","region":"California","country":"US","loc":"37.4056,-122.0775","org":"AS15169 Google LLC","postal":"94043","timezone":"America/Los_Angeles","anycast":true}"#;
        let info = parse_answer(body, "8.8.8.8".parse().unwrap()).unwrap();
        assert_eq!(info.org.as_deref(), Some("AS15169 Google LLC"));
        assert_eq!(info.hostname.as_deref(), Some("dns.google"));
        assert!(parse_answer(body, "1.1.1.1".parse().unwrap()).is_err());
        assert!(parse_answer(b"<html>", "8.8.8.8".parse().unwrap()).is_err());
    }

    #[test]
    fn error_bodies_give_their_title() {
        let body = br#"{"status":404,"error":{"title":"Wrong ip","message":"Please provide a valid IP address"}}"#;
        assert_eq!(error_detail(body).as_deref(), Some("Wrong ip"));
        assert_eq!(
            error_detail(br#"{"error":"bad\ntoken"}"#).as_deref(),
            Some("badtoken")
        );
        assert_eq!(error_detail(b"nope"), None);
    }
}
