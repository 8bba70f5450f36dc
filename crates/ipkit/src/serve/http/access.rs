//! The access log: one [`AccessEntry`] per answered request, rendered in
//! the Common Log Format (`host ident authuser [date] "request" status
//! bytes`, as Apache's and nginx's `common`) or serialized as the JSON
//! `request` record. A `token` in the query is never logged: its value is
//! written `REDACTED`, since ipinfo tokens are secrets.

use std::net::{IpAddr, SocketAddr};

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// One answered request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessEntry {
    /// When the request arrived (RFC 3339, UTC).
    #[serde(serialize_with = "rfc3339")]
    pub time: OffsetDateTime,
    /// The address the answer was for (X-Forwarded-For's with
    /// `--trust-proxy`, else the peer's).
    pub client: IpAddr,
    /// The TCP peer.
    pub peer: SocketAddr,
    /// The method.
    pub method: String,
    /// The request target, path and query (a token redacted).
    pub target: String,
    /// "HTTP/1.0" or "HTTP/1.1".
    pub version: &'static str,
    /// The status sent.
    pub status: u16,
    /// The body's size (0 for HEAD).
    pub bytes: u64,
    /// `User-Agent`, if sent.
    pub user_agent: Option<String>,
    /// How long the answer took, in milliseconds.
    pub duration_ms: f64,
}

fn rfc3339<S: serde::Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.format(&Rfc3339).unwrap_or_default())
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl AccessEntry {
    /// The Common Log Format line (no newline), e.g.
    /// `127.0.0.1 - - [02/Dec/2026:03:04:05 +0000] "GET /8.8.8.8 HTTP/1.1" 200 312`.
    pub fn common_log_line(&self) -> String {
        let t = self.time;
        let bytes = if self.bytes == 0 {
            "-".to_string()
        } else {
            self.bytes.to_string()
        };
        format!(
            "{} - - [{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000] \"{} {} {}\" {} {}",
            self.client,
            t.day(),
            MONTHS[usize::from(u8::from(t.month())) - 1],
            t.year(),
            t.hour(),
            t.minute(),
            t.second(),
            self.method,
            self.target,
            self.version,
            self.status,
            bytes
        )
    }
}

/// A request target fit for a log: a `token=` value replaced by
/// `REDACTED`, and anything but printable ASCII percent-encoded (hyper
/// accepts only visible ASCII in a target, so this is a second fence).
pub fn loggable_target(path: &str, query: Option<&str>) -> String {
    let mut out = clean(path);
    if let Some(q) = query {
        out.push('?');
        let parts: Vec<String> = q
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("token") => format!("{k}=REDACTED"),
                _ => clean(pair),
            })
            .collect();
        out.push_str(&parts.join("&"));
    }
    out
}

fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_graphic() && b != b'"' && b != b'\\' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_log_format_as_apache_documents_it() {
        // httpd.apache.org/docs/current/logs.html, "Common Log Format":
        // 127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326
        let entry = AccessEntry {
            time: OffsetDateTime::from_unix_timestamp(971_211_336).unwrap(),
            client: "127.0.0.1".parse().unwrap(),
            peer: "127.0.0.1:5000".parse().unwrap(),
            method: "GET".into(),
            target: "/apache_pb.gif".into(),
            version: "HTTP/1.0",
            status: 200,
            bytes: 2326,
            user_agent: None,
            duration_ms: 0.1,
        };
        assert_eq!(
            entry.common_log_line(),
            "127.0.0.1 - - [10/Oct/2000:20:55:36 +0000] \"GET /apache_pb.gif HTTP/1.0\" 200 2326"
        );
    }

    #[test]
    fn tokens_are_redacted() {
        assert_eq!(
            loggable_target("/8.8.8.8", Some("token=abc123&x=1")),
            "/8.8.8.8?token=REDACTED&x=1"
        );
        assert_eq!(loggable_target("/a\"b", None), "/a%22b");
    }
}
