//! The addresses to race, in RFC 8305 §4's order.
//!
//! [`resolve`] asks the C library's `getaddrinfo(3)` once with AF_UNSPEC
//! (or the family `-4`/`-6` asked for), through [`crate::resolve`] — so
//! `/etc/hosts`, nsswitch and resolv.conf apply as for any program — and a
//! numeric host is passed with AI_NUMERICHOST, so it never reaches DNS. The
//! C library has already sorted the list by RFC 6724's destination address
//! selection (glibc's `/etc/gai.conf`).
//!
//! [`interleave`] then applies RFC 8305 §4: the client "SHOULD modify the
//! ordered list to interleave address families" — whichever family comes
//! first is followed by an address of the other, and so on, each family
//! keeping its own (RFC 6724) order, with a "First Address Family Count" of
//! 1 (the RFC's default). With both families in a glibc answer IPv6 usually
//! comes first (RFC 6724's default policy table prefers `::/0` over
//! `::ffff:0:0/96`), so the race starts with IPv6. Duplicates (the same
//! address twice, as a hosts file can give) are tried once.
//!
//! What it does not do: the RFC's §3 separate AAAA and A queries with a 50
//! ms Resolution Delay. One getaddrinfo call returns both families at once
//! (it waits for both answers), which is what a program on the C library
//! has; the delay exists for resolvers that can return one family first.

use std::net::{IpAddr, SocketAddr};

use crate::resolve::{AiFlags, EaiCode, Family, Hints, Protocol, ResolveError, SockType};

use super::{ConnectError, FamilyChoice, Transport};

/// RFC 8305 §4's order: the first address as given, then alternating
/// families, each family keeping its own order; duplicates dropped.
///
/// # Examples
/// ```
/// use std::net::SocketAddr;
/// let given: Vec<SocketAddr> = ["[::1]:80", "[::2]:80", "[::3]:80", "127.0.0.1:80", "127.0.0.2:80"]
///     .iter().map(|a| a.parse().unwrap()).collect();
/// let raced: Vec<String> = ipkit::connect::order::interleave(&given)
///     .iter().map(|a| a.to_string()).collect();
/// assert_eq!(raced, ["[::1]:80", "127.0.0.1:80", "[::2]:80", "127.0.0.2:80", "[::3]:80"]);
/// ```
pub fn interleave(addrs: &[SocketAddr]) -> Vec<SocketAddr> {
    let mut unique: Vec<SocketAddr> = Vec::with_capacity(addrs.len());
    for a in addrs {
        if !unique.contains(a) {
            unique.push(*a);
        }
    }
    let Some(first) = unique.first() else {
        return unique;
    };
    let first_is_v6 = first.is_ipv6();
    let (preferred, other): (Vec<SocketAddr>, Vec<SocketAddr>) =
        unique.iter().partition(|a| a.is_ipv6() == first_is_v6);
    let mut out = Vec::with_capacity(unique.len());
    let mut p = preferred.into_iter();
    let mut o = other.into_iter();
    loop {
        match (p.next(), o.next()) {
            (None, None) => break,
            (a, b) => out.extend(a.into_iter().chain(b)),
        }
    }
    out
}

/// The host's addresses for `port` from getaddrinfo, in its order (not yet
/// interleaved). Blocks: call it on a blocking thread.
pub fn resolve(
    host: &str,
    port: &str,
    family: FamilyChoice,
    transport: Transport,
) -> Result<Vec<SocketAddr>, ConnectError> {
    let numeric = host.parse::<IpAddr>().is_ok();
    let hints = Hints {
        family: match family {
            FamilyChoice::Any => Family::Unspec,
            FamilyChoice::V4 => Family::Inet,
            FamilyChoice::V6 => Family::Inet6,
        },
        socktype: match transport {
            Transport::Tcp => SockType::Stream,
            Transport::Udp => SockType::Dgram,
        },
        protocol: match transport {
            Transport::Tcp => Protocol::Tcp,
            Transport::Udp => Protocol::Udp,
        },
        flags: AiFlags {
            numerichost: numeric,
            ..AiFlags::default()
        },
    };
    let entries =
        crate::resolve::getaddrinfo(Some(host), Some(port), &hints).map_err(|e| {
            match e.code() {
                Some(EaiCode::Service) => ConnectError::UnknownService {
                    service: port.to_string(),
                    transport,
                },
                Some(EaiCode::Family | EaiCode::AddrFamily | EaiCode::NoData) if numeric => {
                    ConnectError::WrongFamily {
                        host: host.to_string(),
                        family,
                    }
                }
                _ => ConnectError::Resolve(e),
            }
        })?;
    let addrs: Vec<SocketAddr> = entries.into_iter().map(|e| e.addr).collect();
    if addrs.is_empty() {
        return Err(ConnectError::Resolve(ResolveError::Gai {
            call: "getaddrinfo",
            subject: host.to_string(),
            code: EaiCode::NoData,
            message: "no address in the family asked for".into(),
        }));
    }
    Ok(addrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(a: &[&str]) -> Vec<SocketAddr> {
        a.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn ipv4_first_when_getaddrinfo_put_it_first() {
        assert_eq!(
            interleave(&list(&["10.0.0.1:1", "10.0.0.2:1", "[2001:db8::1]:1"])),
            list(&["10.0.0.1:1", "[2001:db8::1]:1", "10.0.0.2:1"])
        );
    }

    #[test]
    fn one_family_keeps_its_order_and_duplicates_go() {
        assert_eq!(
            interleave(&list(&["[::1]:1", "[::2]:1", "[::1]:1"])),
            list(&["[::1]:1", "[::2]:1"])
        );
        assert!(interleave(&[]).is_empty());
    }

    #[test]
    fn a_numeric_host_needs_no_dns() {
        let got = resolve("::1", "5150", FamilyChoice::Any, Transport::Tcp).unwrap();
        assert_eq!(got, list(&["[::1]:5150"]));
        assert!(matches!(
            resolve("::1", "5150", FamilyChoice::V4, Transport::Tcp),
            Err(ConnectError::WrongFamily { .. })
        ));
    }
}
