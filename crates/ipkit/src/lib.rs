//! # ipkit
//!
//! The I/O half of ipkit: engines that ask the operating system. Each engine
//! is a module that takes a request type and returns typed results; it never
//! prints. Per-OS code lives in [`sys`] behind small functions so the engines
//! never see `cfg`.

pub mod addr;
pub mod batch;
pub mod bcast;
pub mod cancel;
pub mod connect;
pub mod dns;
pub mod dns_bulk;
pub mod host;
pub mod iface;
pub mod info;
pub mod mcast;
pub mod metrics;
pub mod picture;
pub mod ping;
pub mod privilege;
pub mod probe;
pub mod random;
pub mod report;
pub mod resolve;
pub mod serve;
pub mod services;
pub mod sockopt;
pub mod sys;
pub mod text;
pub mod trace;

/// An error followed by its sources, joined by `": "`, as `anyhow`'s `{:#}`
/// prints a chain: each error's message says what failed, its source why.
///
/// # Examples
/// ```
/// let e = ipkit::dns::DnsError::Io {
///     op: "sending to",
///     server: "127.0.0.1:53".parse().unwrap(),
///     source: std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
/// };
/// assert_eq!(ipkit::error_chain(&e), "sending to 127.0.0.1:53: connection refused");
/// ```
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
