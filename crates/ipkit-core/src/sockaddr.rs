//! Socket-address text forms, as `WSAStringToAddress`/`WSAAddressToString`
//! and `inet_pton`/`inet_ntop` with a port write them: `192.0.2.1:80`,
//! `[2001:db8::1]:80`, `[fe80::1%eth0]:80`, and a bare address with an
//! optional zone (`fe80::1%2`). RFC 5952 §6 gives the bracket form.
//!
//! Parsing keeps the zone as text; mapping a zone name to an interface index
//! needs the host and is done by the `ipkit` crate. [`sockaddr_bytes`] lays
//! out `sockaddr_in`/`sockaddr_in6` the way Linux and Windows do (16-bit
//! family first in host order, then port and address in network order);
//! BSD's leading `sin_len` byte is not modelled.

use std::net::IpAddr;

use serde::Serialize;

/// A parsed socket-address text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SockAddrText {
    /// The address.
    pub ip: IpAddr,
    /// The port, when one was written.
    pub port: Option<u16>,
    /// The zone id after `%`, as written (a name or a number).
    pub zone: Option<String>,
}

/// Why a socket-address text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SockAddrError {
    /// The address inside is not IPv4/IPv6.
    #[error("'{text}' is not an IP address")]
    BadAddress {
        /// The address part.
        text: String,
    },
    /// The port is not a number from 0 to 65535.
    #[error("'{text}' is not a port: use a number from 0 to 65535")]
    BadPort {
        /// The port part.
        text: String,
    },
    /// A `[` without a matching `]`, or text after it other than `:port`.
    #[error("'{text}' is not a bracketed address: write [ADDRESS]:PORT")]
    BadBrackets {
        /// The whole text.
        text: String,
    },
    /// A zone id on an IPv4 address, or an empty zone.
    #[error(
        "'{text}': a zone id (%NAME) belongs only on an IPv6 address, and must not be empty or hold a %"
    )]
    BadZone {
        /// The whole text.
        text: String,
    },
}

/// Parse `text` as a socket address or an address with an optional zone.
///
/// # Examples
/// ```
/// use ipkit_core::sockaddr::parse;
/// let s = parse("[fe80::1%eth0]:80").unwrap();
/// assert_eq!((s.port, s.zone.as_deref()), (Some(80), Some("eth0")));
/// let s = parse("192.0.2.1:8080").unwrap();
/// assert_eq!(s.port, Some(8080));
/// let s = parse("2001:db8::1").unwrap();
/// assert_eq!(s.port, None);
/// assert!(parse("[::1]:99999").is_err());
/// ```
pub fn parse(text: &str) -> Result<SockAddrText, SockAddrError> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or_else(|| SockAddrError::BadBrackets { text: text.into() })?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| SockAddrError::BadBrackets { text: text.into() })?,
            ),
        };
        (inside, port)
    } else if text.matches(':').count() == 1 {
        let (h, p) = text.split_once(':').unwrap_or((text, ""));
        (h, Some(p))
    } else {
        (text, None)
    };
    let port = port.map(parse_port).transpose()?;
    let (addr, zone) = match host.split_once('%') {
        Some((a, z)) => (a, Some(z)),
        None => (host, None),
    };
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| SockAddrError::BadAddress { text: addr.into() })?;
    if let Some(z) = zone
        && (z.is_empty() || z.contains('%') || ip.is_ipv4())
    {
        return Err(SockAddrError::BadZone { text: text.into() });
    }
    if ip.is_ipv6() && port.is_some() && !text.starts_with('[') {
        return Err(SockAddrError::BadBrackets { text: text.into() });
    }
    Ok(SockAddrText {
        ip,
        port,
        zone: zone.map(str::to_string),
    })
}

fn parse_port(p: &str) -> Result<u16, SockAddrError> {
    let ok = !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| p.parse().ok())
        .flatten()
        .ok_or_else(|| SockAddrError::BadPort { text: p.into() })
}

/// Format as `WSAAddressToString` does: `a.b.c.d[:port]` or
/// `[v6%zone]:port` (brackets only when there is a port), RFC 5952 text.
///
/// # Examples
/// ```
/// use ipkit_core::sockaddr::{format, SockAddrText};
/// let s = SockAddrText { ip: "fe80::1".parse().unwrap(), port: Some(80), zone: Some("2".into()) };
/// assert_eq!(format(&s), "[fe80::1%2]:80");
/// ```
pub fn format(s: &SockAddrText) -> String {
    let host = match &s.zone {
        Some(z) => format!("{}%{z}", s.ip),
        None => s.ip.to_string(),
    };
    match (s.port, s.ip) {
        (None, _) => host,
        (Some(p), IpAddr::V4(_)) => format!("{host}:{p}"),
        (Some(p), IpAddr::V6(_)) => format!("[{host}]:{p}"),
    }
}

/// The bytes of a `sockaddr_in` (16 bytes) or `sockaddr_in6` (28 bytes) in
/// Linux/Windows layout: `family` (the host's AF_INET/AF_INET6 value) in host
/// byte order, port, flowinfo and address in network order, scope id in host
/// order.
///
/// # Examples
/// ```
/// use ipkit_core::sockaddr::sockaddr_bytes;
/// let b = sockaddr_bytes(2, "192.0.2.1".parse().unwrap(), 80, 0, 0);
/// assert_eq!(&b[2..8], &[0, 80, 192, 0, 2, 1]);
/// assert_eq!(b.len(), 16);
/// ```
pub fn sockaddr_bytes(family: u16, ip: IpAddr, port: u16, flowinfo: u32, scope_id: u32) -> Vec<u8> {
    let mut b = Vec::with_capacity(28);
    b.extend_from_slice(&family.to_ne_bytes());
    b.extend_from_slice(&port.to_be_bytes());
    match ip {
        IpAddr::V4(a) => {
            b.extend_from_slice(&a.octets());
            b.extend_from_slice(&[0; 8]);
        }
        IpAddr::V6(a) => {
            b.extend_from_slice(&flowinfo.to_be_bytes());
            b.extend_from_slice(&a.octets());
            b.extend_from_slice(&scope_id.to_ne_bytes());
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn forms() {
        assert_eq!(parse("[::1]:80").unwrap().port, Some(80));
        assert_eq!(parse("[::1]").unwrap().port, None);
        assert_eq!(parse("fe80::1%2").unwrap().zone.as_deref(), Some("2"));
        assert!(matches!(
            parse("[::1"),
            Err(SockAddrError::BadBrackets { .. })
        ));
        assert!(matches!(
            parse("[::1]80"),
            Err(SockAddrError::BadBrackets { .. })
        ));
        assert!(matches!(
            parse("1.2.3.4:"),
            Err(SockAddrError::BadPort { .. })
        ));
        assert!(matches!(
            parse("1.2.3.4:+1"),
            Err(SockAddrError::BadPort { .. })
        ));
        assert!(matches!(
            parse("1.2.3.4%eth0"),
            Err(SockAddrError::BadZone { .. })
        ));
        assert!(matches!(
            parse("fe80::1%"),
            Err(SockAddrError::BadZone { .. })
        ));
        assert!(matches!(
            parse("300.1.1.1:80"),
            Err(SockAddrError::BadAddress { .. })
        ));
        assert_eq!(
            sockaddr_bytes(10, "::1".parse().unwrap(), 443, 0, 1).len(),
            28
        );
    }

    proptest! {
        #[test]
        fn round_trip(v6 in any::<u128>(), v4 in any::<u32>(), port in proptest::option::of(any::<u16>()), zone in proptest::option::of("[a-z0-9]{1,8}"), six in any::<bool>()) {
            let ip: IpAddr = if six { std::net::Ipv6Addr::from(v6).into() } else { std::net::Ipv4Addr::from(v4).into() };
            let s = SockAddrText { ip, port, zone: if six { zone } else { None } };
            prop_assert_eq!(parse(&format(&s)).unwrap(), s);
        }
    }
}
