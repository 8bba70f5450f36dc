//! The API's routes as a pure function: a request's method, path, query
//! and the two headers that choose a representation, plus the caller's
//! address, give a [`Reply`] (status, content type, body). No I/O here, so
//! every route is tested without a socket; [`super`] puts it on hyper.
//!
//! | route | answer |
//! |---|---|
//! | `GET /` | the caller's address: text for curl/wget/httpie/xh/fetch, JSON for `Accept: application/json`, HTML for browsers (`Accept: text/html`), text otherwise |
//! | `GET /json` | the caller's record, JSON |
//! | `GET /{ip}`, `GET /{ip}/json` | that address's record, JSON (400 for a bad address) |
//! | `GET /{ip}/{field}` | one field as text and a newline (404 when unknown or absent) |
//! | `GET /health` | `ok` |
//!
//! `HEAD` answers as `GET` (hyper sends no body); other methods get 405.
//! The query (ipinfo's `?token=`) is accepted and ignored.

use std::net::IpAddr;

use super::lookups::Lookups;
use crate::info::record::{Field, IpInfo};

/// The parts of a request the routes read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Asked<'a> {
    /// The method, as sent.
    pub method: &'a str,
    /// The path, without the query.
    pub path: &'a str,
    /// `User-Agent`, if any.
    pub user_agent: Option<&'a str>,
    /// `Accept`, if any.
    pub accept: Option<&'a str>,
}

/// What the server sends back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
    /// Set on 405: the `Allow` header.
    pub allow: Option<&'static str>,
}

/// `text/plain; charset=utf-8`.
pub const TEXT: &str = "text/plain; charset=utf-8";
/// `application/json; charset=utf-8`.
pub const JSON: &str = "application/json; charset=utf-8";
/// `text/html; charset=utf-8`.
pub const HTML: &str = "text/html; charset=utf-8";

/// The colour the HTML page draws the address in (the Chromium test looks
/// for its pixels in a screenshot): `#0050ef`.
pub const ADDRESS_RGB: [u8; 3] = [0x00, 0x50, 0xef];

impl Reply {
    fn text(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            content_type: TEXT,
            body: body.into().into_bytes(),
            allow: None,
        }
    }

    fn json(status: u16, value: &impl serde::Serialize) -> Reply {
        let mut body = serde_json::to_vec_pretty(value).unwrap_or_default();
        body.push(b'\n');
        Reply {
            status,
            content_type: JSON,
            body,
            allow: None,
        }
    }

    /// A plain-text error with this status.
    pub fn error(status: u16, message: &str) -> Reply {
        Reply::text(status, format!("{message}\n"))
    }
}

/// ipinfo's answer to a malformed address: `{"status": 400, "error": {...}}`.
#[derive(serde::Serialize)]
struct WrongIp {
    status: u16,
    error: WrongIpError,
}

#[derive(serde::Serialize)]
struct WrongIpError {
    title: &'static str,
    message: &'static str,
}

/// Answer one request from `caller` (the peer, or X-Forwarded-For's when
/// the proxy is trusted) from `databases`.
pub fn answer(asked: &Asked<'_>, caller: IpAddr, databases: &Lookups) -> Reply {
    if asked.method != "GET" && asked.method != "HEAD" {
        return Reply {
            allow: Some("GET, HEAD"),
            ..Reply::error(405, "405 method not allowed: this API answers GET and HEAD")
        };
    }
    let segments: Vec<&str> = asked.path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        [""] => caller_reply(asked, caller, databases),
        ["json"] => Reply::json(200, &databases.lookup(caller)),
        ["health"] => Reply::text(200, "ok\n"),
        [name] if !looks_like_an_address(name) => not_found(),
        [ip] | [ip, "json"] => match parse_ip(ip) {
            Some(ip) => Reply::json(200, &databases.lookup(ip)),
            None => wrong_ip(),
        },
        [ip, field] => match (parse_ip(ip), field.parse::<Field>()) {
            (None, _) => wrong_ip(),
            (Some(_), Err(e)) => Reply::error(404, &format!("404 not found: {e}")),
            (Some(ip), Ok(field)) => match databases.lookup(ip).field(field) {
                Some(value) => Reply::text(200, format!("{value}\n")),
                None => Reply::error(404, &format!("404 not found: no {field} for {ip}")),
            },
        },
        _ => not_found(),
    }
}

fn not_found() -> Reply {
    Reply::error(
        404,
        "404 not found: try /, /json, /IP, /IP/FIELD or /health",
    )
}

/// Whether a path segment is an attempt at an address (hex digits, dots,
/// colons, brackets, `%3A`): those that fail to parse get ipinfo's 400;
/// other names (`/favicon.ico`, `/robots.txt`) are simply not here (404).
fn looks_like_an_address(segment: &str) -> bool {
    segment
        .chars()
        .all(|c| c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '[' | ']' | '%'))
}

/// An address in a path: `1.2.3.4`, `2001:db8::1` or `[2001:db8::1]`,
/// percent-decoded where a client escaped the colons.
fn parse_ip(segment: &str) -> Option<IpAddr> {
    let decoded = segment.replace("%3A", ":").replace("%3a", ":");
    let bare = decoded
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(&decoded);
    bare.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

fn wrong_ip() -> Reply {
    Reply::json(
        400,
        &WrongIp {
            status: 400,
            error: WrongIpError {
                title: "Wrong ip",
                message: "Please provide a valid IP address",
            },
        },
    )
}

/// The representation `GET /` takes for this client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    /// The address and a newline.
    Text,
    /// The caller's record.
    Json,
    /// A small page.
    Html,
}

/// The user agents that get plain text (as echoip and ifconfig.co do).
const COMMAND_LINE_AGENTS: [&str; 5] = ["curl/", "wget/", "httpie/", "xh/", "fetch "];

/// Choose `GET /`'s representation: JSON when asked for, text for command
/// line clients, HTML when a browser accepts it, text otherwise.
pub fn representation(user_agent: Option<&str>, accept: Option<&str>) -> Representation {
    let accept = accept.unwrap_or("").to_ascii_lowercase();
    if accept.contains("application/json") {
        return Representation::Json;
    }
    let agent = user_agent.unwrap_or("").to_ascii_lowercase();
    if COMMAND_LINE_AGENTS.iter().any(|a| agent.starts_with(a)) {
        return Representation::Text;
    }
    if accept.contains("text/html") {
        Representation::Html
    } else {
        Representation::Text
    }
}

fn caller_reply(asked: &Asked<'_>, caller: IpAddr, databases: &Lookups) -> Reply {
    match representation(asked.user_agent, asked.accept) {
        Representation::Text => Reply::text(200, format!("{caller}\n")),
        Representation::Json => Reply::json(200, &databases.lookup(caller)),
        Representation::Html => Reply {
            status: 200,
            content_type: HTML,
            body: page(&databases.lookup(caller)).into_bytes(),
            allow: None,
        },
    }
}

/// The HTML page: the address large in [`ADDRESS_RGB`], the other fields
/// in a table below it.
pub fn page(info: &IpInfo) -> String {
    let [r, g, b] = ADDRESS_RGB;
    let mut rows = String::new();
    for field in Field::ALL.into_iter().skip(1) {
        if let Some(value) = info.field(field) {
            rows.push_str(&format!(
                "<tr><th>{field}</th><td>{}</td></tr>\n",
                escape_html(&value)
            ));
        }
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Your address: {ip}</title>\
<style>body{{background:#fff;color:#222;font-family:sans-serif;margin:2em}}\
#ip{{color:#{r:02x}{g:02x}{b:02x};font-size:72px;font-weight:bold;margin:0 0 .5em}}\
th{{text-align:left;padding-right:1em}}</style></head>\n\
<body><h1 id=\"ip\">{ip}</h1>\n<table>\n{rows}</table>\n\
<p>Also: <code>curl HOST</code>, <code>/json</code>, <code>/IP</code>, <code>/IP/FIELD</code>.</p>\
</body></html>\n",
        ip = info.ip
    )
}

/// Escape text for HTML element content and attributes. Five characters,
/// so written here rather than taken from a crate.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::info::data::Databases;

    fn empty() -> Lookups {
        Lookups::new(std::sync::Arc::new(Databases::empty()))
    }

    fn get(path: &str) -> Reply {
        let asked = Asked {
            method: "GET",
            path,
            ..Asked::default()
        };
        answer(&asked, "192.0.2.7".parse().unwrap(), &empty())
    }

    #[test]
    fn representation_follows_accept_then_agent() {
        use Representation::*;
        assert_eq!(representation(Some("curl/8.5.0"), Some("*/*")), Text);
        assert_eq!(representation(Some("Wget/1.21"), None), Text);
        assert_eq!(representation(Some("HTTPie/3.2"), Some("*/*")), Text);
        assert_eq!(
            representation(Some("curl/8"), Some("application/json")),
            Json
        );
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0";
        let html = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert_eq!(representation(Some(chrome), Some(html)), Html);
        assert_eq!(representation(None, None), Text);
    }

    #[test]
    fn routes_and_statuses() {
        assert_eq!(get("/").body, b"192.0.2.7\n");
        assert_eq!(get("/health").body, b"ok\n");
        assert_eq!(get("/10.1.2.3/bogon").body, b"true\n");
        assert_eq!(get("/[::1]/ip").body, b"::1\n");
        assert_eq!(get("/::ffff:10.0.0.1/ip").body, b"10.0.0.1\n");
        assert_eq!(get("/1.2.3.4/nonsense").status, 404);
        assert_eq!(get("/1.2.3.4/city").status, 404);
        assert_eq!(get("/1.2.3.4/a/b").status, 404);
        assert_eq!(get("/favicon.ico").status, 404);
        assert_eq!(get("/::1::2").status, 400);
        let bad = get("/1.2.3.999");
        assert_eq!(bad.status, 400);
        let v: serde_json::Value = serde_json::from_slice(&bad.body).unwrap();
        assert_eq!(v["error"]["title"], "Wrong ip");
        let post = answer(
            &Asked {
                method: "POST",
                path: "/",
                ..Asked::default()
            },
            "192.0.2.7".parse().unwrap(),
            &empty(),
        );
        assert_eq!((post.status, post.allow), (405, Some("GET, HEAD")));
    }

    #[test]
    fn page_escapes_what_the_data_says() {
        let mut info = IpInfo::new("192.0.2.1".parse().unwrap());
        info.org = Some("AS1 <b>&\"Evil\"".into());
        let html = page(&info);
        assert!(
            html.contains("AS1 &lt;b&gt;&amp;&quot;Evil&quot;"),
            "{html}"
        );
        assert!(html.contains("#0050ef"));
    }
}
