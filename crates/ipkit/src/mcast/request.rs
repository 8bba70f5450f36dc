//! What `mcast join` and `mcast send` were asked, checked before a socket
//! opens: the group is multicast, sources are given only for a
//! source-specific group and are of its family, the interface exists (and,
//! for IPv4, has an address to send from and name the join by).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::{Interface, McastError, interface, is_source_specific};

/// `GROUP`, `GROUP:PORT`, `[V6GROUP]:PORT` or a bare IPv6 group, as a socket
/// address (`default_port` when none is written; None: a port is needed).
pub fn parse_group(text: &str, default_port: Option<u16>) -> Result<SocketAddr, McastError> {
    let bad = || {
        McastError::BadArgument(format!(
            "'{text}' is not GROUP[:PORT] (e.g. 239.1.2.3:5000, [ff3e::8000:1]:5000)"
        ))
    };
    let addr = if let Ok(sa) = text.parse::<SocketAddr>() {
        sa
    } else if let Ok(ip) = text.parse::<IpAddr>() {
        let port = default_port.ok_or_else(|| {
            McastError::BadArgument(format!("'{text}': give the port as GROUP:PORT"))
        })?;
        SocketAddr::new(ip, port)
    } else {
        return Err(bad());
    };
    if !addr.ip().is_multicast() {
        return Err(McastError::NotMulticast(addr.ip()));
    }
    if addr.port() == 0 {
        return Err(McastError::BadArgument(format!(
            "'{text}': port 0 cannot be sent to"
        )));
    }
    Ok(addr)
}

/// Check `--source` addresses against the group.
fn check_sources(group: IpAddr, sources: &[IpAddr]) -> Result<(), McastError> {
    for &source in sources {
        if source.is_ipv4() != group.is_ipv4() {
            return Err(McastError::SourceFamily {
                group,
                source_addr: source,
            });
        }
        if source.is_multicast() || source.is_unspecified() {
            return Err(McastError::BadArgument(format!(
                "--source {source}: a source is the unicast address of a sender"
            )));
        }
    }
    if !sources.is_empty() && !is_source_specific(group) {
        return Err(McastError::SourceForAnySource { group });
    }
    Ok(())
}

/// The interface named by `--interface`, looked up; for an IPv4 group it
/// must have an IPv4 address.
fn check_interface(name: Option<&str>, v4: bool) -> Result<Option<Interface>, McastError> {
    let Some(name) = name else { return Ok(None) };
    let found = interface(name)?;
    if v4 && found.ipv4.is_none() {
        return Err(McastError::NoIpv4Address(found.name));
    }
    Ok(Some(found))
}

/// `ipkit mcast join`: the group to join and how long to listen.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    /// The group and the UDP port datagrams are received on.
    pub group: SocketAddr,
    /// The interface to join on (None: the kernel picks by route).
    pub interface: Option<Interface>,
    /// Sources for a source-specific join; empty: any source.
    pub sources: Vec<IpAddr>,
    /// Stop after this many datagrams.
    pub count: Option<u64>,
    /// Stop after this long.
    pub timeout: Option<Duration>,
}

impl JoinRequest {
    /// Check what was asked.
    pub fn new(
        group: &str,
        interface: Option<&str>,
        sources: &[IpAddr],
        count: Option<u64>,
        timeout: Option<Duration>,
    ) -> Result<JoinRequest, McastError> {
        let group = parse_group(group, Some(super::DEFAULT_PORT))?;
        check_sources(group.ip(), sources)?;
        let interface = check_interface(interface, group.is_ipv4())?;
        Ok(JoinRequest {
            group,
            interface,
            sources: sources.to_vec(),
            count,
            timeout,
        })
    }
}

/// `ipkit mcast send`: where, how far and what.
#[derive(Debug, Clone)]
pub struct SendRequest {
    /// The group and port.
    pub group: SocketAddr,
    /// The TTL / hop limit (1: this link only).
    pub ttl: u8,
    /// The interface to send through (None: by route).
    pub interface: Option<Interface>,
    /// Whether this host's own members receive it too.
    pub loopback: bool,
    /// How many datagrams.
    pub count: u64,
    /// The time between them.
    pub interval: Duration,
    /// The payload.
    pub payload: Vec<u8>,
}

impl SendRequest {
    /// Check what was asked.
    pub fn new(
        group: &str,
        ttl: u8,
        interface: Option<&str>,
        loopback: bool,
        count: u64,
        interval: Duration,
        payload: Vec<u8>,
    ) -> Result<SendRequest, McastError> {
        let group = parse_group(group, None)?;
        if ttl == 0 {
            return Err(McastError::BadArgument(
                "--ttl 0 would never leave this host; give 1 or more".into(),
            ));
        }
        if count == 0 {
            return Err(McastError::BadArgument("--count must be 1 or more".into()));
        }
        if payload.len() > 65_507 {
            return Err(McastError::BadArgument(format!(
                "the message is {} bytes; a UDP datagram holds at most 65507",
                payload.len()
            )));
        }
        let interface = check_interface(interface, group.is_ipv4())?;
        Ok(SendRequest {
            group,
            ttl,
            interface,
            loopback,
            count,
            interval,
            payload,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_parse_in_every_spelling() {
        let g = parse_group("239.1.2.3:5000", None).unwrap();
        assert_eq!(g, "239.1.2.3:5000".parse().unwrap());
        assert_eq!(parse_group("239.1.2.3", Some(7)).unwrap().port(), 7);
        assert_eq!(parse_group("ff3e::8000:1", Some(7)).unwrap().port(), 7);
        assert_eq!(parse_group("[ff0e::1]:9", None).unwrap().port(), 9);
        assert!(matches!(
            parse_group("10.0.0.1:5000", None),
            Err(McastError::NotMulticast(_))
        ));
        assert!(matches!(
            parse_group("239.1.2.3", None),
            Err(McastError::BadArgument(_))
        ));
        assert!(matches!(
            parse_group("nonsense", None),
            Err(McastError::BadArgument(_))
        ));
    }

    #[test]
    fn sources_only_for_source_specific_groups_of_their_family() {
        let s4: IpAddr = "10.0.0.1".parse().unwrap();
        let s6: IpAddr = "fd00::1".parse().unwrap();
        assert!(check_sources("232.1.1.1".parse().unwrap(), &[s4]).is_ok());
        assert!(check_sources("ff3e::8000:1".parse().unwrap(), &[s6]).is_ok());
        assert!(matches!(
            check_sources("239.1.1.1".parse().unwrap(), &[s4]),
            Err(McastError::SourceForAnySource { .. })
        ));
        assert!(matches!(
            check_sources("ff0e::1".parse().unwrap(), &[s6]),
            Err(McastError::SourceForAnySource { .. })
        ));
        assert!(matches!(
            check_sources("232.1.1.1".parse().unwrap(), &[s6]),
            Err(McastError::SourceFamily { .. })
        ));
        assert!(check_sources("239.1.1.1".parse().unwrap(), &[]).is_ok());
    }
}
