//! `ipkit addr`'s analysis: one argument (address, prefix, socket address,
//! or a legacy inet_aton form with `--legacy`) into an [`AddrReport`].
//! Parsing and classification are `ipkit_core`'s; this module adds what
//! needs the host: the zone id's interface and the OS's `AF_*` values.

use std::net::IpAddr;

use ipkit_core::legacy::parse_inet_aton;
use ipkit_core::{IpNet, Ipv4Net, sockaddr};

use crate::report::addr::{AddrReport, SocketReport, common, network_report};

/// An argument `ipkit addr` cannot take, worded for the user (a usage error).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AddrError(String);

/// One argument's report, and what could not be resolved on this host.
#[derive(Debug)]
pub struct Analysis {
    /// The report (the JSON contract).
    pub report: AddrReport,
    /// A zone id naming no interface here (its scope id stays unresolved).
    pub unresolved_zone: Option<String>,
}

/// Parse `--mask` (a dotted mask or `/len`) into a prefix length.
pub fn parse_mask(m: &str) -> Result<u8, AddrError> {
    let text = format!("0.0.0.0/{}", m.trim_start_matches('/'));
    text.parse::<Ipv4Net>()
        .map(|n| n.prefix_len())
        .map_err(|e| AddrError(format!("--mask: {e}")))
}

/// Parse one argument and build its report; the error is a usage error
/// (the argument is not an address this command takes).
pub fn analyse(input: &str, mask: Option<u8>, legacy: bool) -> Result<Analysis, AddrError> {
    let text = input.trim();
    if text.contains('/') {
        let (net, zone) =
            ipkit_core::prefix::parse_zoned(text).map_err(|e| AddrError(about(input, &e)))?;
        if mask.is_some() {
            return Err(AddrError(format!(
                "'{input}' already has a prefix; drop --mask or the /length"
            )));
        }
        let mut r = common(input, net.addr());
        r.network = Some(network_report(net));
        return Ok(fill_socket(r, net.addr(), None, zone));
    }
    match sockaddr::parse(text) {
        Ok(s) => {
            let mut r = common(input, s.ip);
            if let Some(len) = mask {
                let IpAddr::V4(a) = s.ip else {
                    return Err(AddrError(format!(
                        "--mask is for IPv4; write '{input}/LEN' for IPv6"
                    )));
                };
                r.network = Ipv4Net::new(a, len).map(|n| network_report(IpNet::V4(n)));
            }
            Ok(fill_socket(r, s.ip, s.port, s.zone))
        }
        Err(e) => match parse_inet_aton(text) {
            Some(form) if legacy => {
                let mut r = common(input, IpAddr::V4(form.addr));
                if let Some(len) = mask {
                    r.network = Ipv4Net::new(form.addr, len).map(|n| network_report(IpNet::V4(n)));
                }
                r.legacy = Some(form.clone());
                Ok(fill_socket(r, IpAddr::V4(form.addr), None, None))
            }
            Some(form) => Err(AddrError(format!(
                "'{input}' is a legacy inet_aton form meaning {} ({}); refused because parsers disagree on such forms — write {} or pass --legacy",
                form.addr,
                form.reasons.join("; "),
                form.addr
            ))),
            None => Err(AddrError(about(input, &e))),
        },
    }
}

/// An error about `input`, naming it unless the error already does.
fn about(input: &str, e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    if text.contains(&format!("'{}'", input.trim())) {
        text
    } else {
        format!("'{input}': {text}")
    }
}

/// The socket-address view, resolving the zone id on this host.
fn fill_socket(mut r: AddrReport, ip: IpAddr, port: Option<u16>, zone: Option<String>) -> Analysis {
    let iface = zone.as_deref().and_then(crate::iface::resolve_zone);
    let numeric_zone = zone.as_deref().and_then(|z| z.parse::<u32>().ok());
    let unresolved_zone = match (&zone, &iface) {
        (Some(z), None) => Some(z.clone()),
        _ => None,
    };
    let scope_id = iface.as_ref().map(|i| i.index).or(numeric_zone);
    let v6 = ip.is_ipv6();
    let (family, family_value) = if v6 {
        ("AF_INET6", crate::sys::AF_INET6)
    } else {
        ("AF_INET", crate::sys::AF_INET)
    };
    let bytes = sockaddr::sockaddr_bytes(
        family_value,
        ip,
        port.unwrap_or(0),
        0,
        scope_id.unwrap_or(0),
    );
    let text = sockaddr::format(&sockaddr::SockAddrText {
        ip,
        port,
        zone: zone.clone(),
    });
    r.socket = SocketReport {
        family,
        family_value,
        port,
        flowinfo: v6.then_some(0),
        scope_id: if v6 {
            Some(scope_id.unwrap_or(0))
        } else {
            None
        },
        zone,
        zone_interface: iface.map(|i| i.name),
        text,
        bytes: bytes.iter().map(|b| format!("{b:02x}")).collect(),
    };
    Analysis {
        report: r,
        unresolved_zone,
    }
}
