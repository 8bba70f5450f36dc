//! Broadcast: `ipkit bcast send` and `bcast listen`.
//!
//! The chapter's advice is to send to a subnet's *directed* broadcast (the
//! interface's address with every host bit set, RFC 919/922) rather than
//! the limited broadcast 255.255.255.255: the directed one names the subnet
//! it is for, so it reaches exactly that subnet's hosts whichever interface
//! the route picks, while the limited one goes out of whichever interface
//! the host chooses and means "whoever is on this wire". [`Target`] is
//! computed here from the interface's address and prefix; the limited
//! broadcast only when asked by name. Sending and receiving reuse
//! [`crate::mcast`]'s engines and sockets.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use serde::Serialize;

use crate::mcast::{Interface, McastError};

/// Where a broadcast goes and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// The broadcast address.
    pub broadcast: Ipv4Addr,
    /// The interface it was computed from (or is sent through).
    pub interface: Option<String>,
    /// The interface's address and prefix, `10.0.1.5/24`.
    pub network: Option<String>,
    /// "directed" (from an interface or `--to`) or "limited".
    pub kind: &'static str,
}

/// The subnet-directed broadcast of `addr/prefix_len`: every host bit set.
/// None for a /31 or /32, which have no broadcast address (RFC 3021).
///
/// ```
/// use std::net::Ipv4Addr;
/// let b = ipkit::bcast::directed(Ipv4Addr::new(10, 0, 1, 5), 22);
/// assert_eq!(b, Some(Ipv4Addr::new(10, 0, 3, 255)));
/// assert_eq!(ipkit::bcast::directed(Ipv4Addr::new(10, 0, 1, 5), 31), None);
/// ```
pub fn directed(addr: Ipv4Addr, prefix_len: u8) -> Option<Ipv4Addr> {
    if prefix_len >= 31 {
        return None;
    }
    let host_bits = u32::MAX.checked_shr(u32::from(prefix_len)).unwrap_or(0);
    Some(Ipv4Addr::from(u32::from(addr) | host_bits))
}

/// The directed broadcast of `iface`'s first IPv4 address.
pub fn of_interface(iface: &Interface) -> Result<Target, McastError> {
    let (addr, prefix_len) = iface
        .ipv4
        .ok_or_else(|| McastError::NoIpv4Address(iface.name.clone()))?;
    let broadcast = directed(addr, prefix_len).ok_or_else(|| McastError::NoBroadcast {
        name: iface.name.clone(),
        addr,
        prefix_len,
    })?;
    Ok(Target {
        broadcast,
        interface: Some(iface.name.clone()),
        network: Some(format!("{addr}/{prefix_len}")),
        kind: "directed",
    })
}

/// The interface of the host's default IPv4 route, for `bcast send` with
/// neither `--interface` nor `--to`.
fn default_interface() -> Result<Interface, McastError> {
    use crate::host::InterfaceTable;
    let tables = crate::host::system();
    let index = tables
        .routes()?
        .into_iter()
        .find(|r| r.is_default() && r.gateway.is_none_or(|g| g.is_ipv4()))
        .map(|r| r.ifindex)
        .ok_or_else(|| {
            McastError::BadArgument(
                "no default IPv4 route to pick an interface by: give --interface or --to".into(),
            )
        })?;
    let name = crate::sys::index_to_name(index)
        .ok_or_else(|| McastError::BadArgument(format!("no interface with index {index}")))?;
    crate::mcast::interface(&name)
}

/// How `bcast send` was asked to pick its target.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    /// `--interface`.
    pub interface: Option<&'a str>,
    /// `--to`.
    pub to: Option<Ipv4Addr>,
    /// `--limited`.
    pub limited: bool,
}

/// `ipkit bcast send`'s request: where to, through which interface.
#[derive(Debug, Clone)]
pub struct SendRequest {
    /// The broadcast address and port.
    pub to: SocketAddr,
    /// What the target is and how it was found (shown before sending).
    pub target: Target,
    /// The payload.
    pub payload: Vec<u8>,
    /// How many.
    pub count: u64,
    /// The time between two.
    pub interval: std::time::Duration,
}

impl SendRequest {
    /// Pick the target as asked: `--to` as given, `--limited` for
    /// 255.255.255.255 (through `--interface` when named), else the
    /// directed broadcast of `--interface` or of the default route's.
    pub fn new(
        port: u16,
        asked: Asked<'_>,
        payload: Vec<u8>,
        count: u64,
        interval: std::time::Duration,
    ) -> Result<SendRequest, McastError> {
        if port == 0 {
            return Err(McastError::BadArgument("port 0 cannot be sent to".into()));
        }
        if count == 0 {
            return Err(McastError::BadArgument("--count must be 1 or more".into()));
        }
        let target = match (asked.to, asked.limited) {
            (Some(_), true) => {
                return Err(McastError::BadArgument(
                    "--to and --limited name two different targets: give one".into(),
                ));
            }
            (Some(to), false) if to.is_multicast() || to.is_unspecified() => {
                return Err(McastError::BadArgument(format!(
                    "--to {to} is not a broadcast address"
                )));
            }
            (Some(to), false) => {
                let iface = asked.interface.map(crate::mcast::interface).transpose()?;
                Target {
                    broadcast: to,
                    interface: iface.as_ref().map(|i| i.name.clone()),
                    network: None,
                    kind: if to.is_broadcast() {
                        "limited"
                    } else {
                        "directed"
                    },
                }
            }
            (None, true) => {
                let iface = asked.interface.map(crate::mcast::interface).transpose()?;
                Target {
                    broadcast: Ipv4Addr::BROADCAST,
                    interface: iface.map(|i| i.name),
                    network: None,
                    kind: "limited",
                }
            }
            (None, false) => {
                let iface = match asked.interface {
                    Some(name) => crate::mcast::interface(name)?,
                    None => default_interface()?,
                };
                of_interface(&iface)?
            }
        };
        Ok(SendRequest {
            to: SocketAddr::new(IpAddr::V4(target.broadcast), port),
            target,
            payload,
            count,
            interval,
        })
    }
}

/// Send as `r` asks; each datagram reported as it goes.
pub fn send(
    r: &SendRequest,
    cancel: &crate::cancel::Cancel,
    on_sent: impl FnMut(&crate::mcast::SentRecord) -> std::ops::ControlFlow<()>,
) -> Result<crate::mcast::SendSummary, McastError> {
    let sender = crate::mcast::socket::Sender::broadcast(r.to, r.target.interface.as_deref())?;
    let plan = crate::mcast::send::Plan {
        to: r.to,
        ttl: 1,
        count: r.count,
        interval: r.interval,
        payload: &r.payload,
    };
    crate::mcast::send::run_with(&sender, &plan, cancel, on_sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directed_broadcast_sets_every_host_bit() {
        let a = Ipv4Addr::new(192, 168, 7, 130);
        assert_eq!(directed(a, 24), Some(Ipv4Addr::new(192, 168, 7, 255)));
        assert_eq!(directed(a, 25), Some(Ipv4Addr::new(192, 168, 7, 255)));
        assert_eq!(directed(a, 26), Some(Ipv4Addr::new(192, 168, 7, 191)));
        assert_eq!(directed(a, 30), Some(Ipv4Addr::new(192, 168, 7, 131)));
        assert_eq!(directed(a, 0), Some(Ipv4Addr::BROADCAST));
        assert_eq!(directed(a, 31), None);
        assert_eq!(directed(a, 32), None);
    }

    #[test]
    fn a_point_to_point_interface_has_no_broadcast() {
        let i = Interface {
            name: "p2p".into(),
            index: 9,
            ipv4: Some((Ipv4Addr::new(10, 9, 9, 0), 31)),
        };
        assert!(matches!(
            of_interface(&i),
            Err(McastError::NoBroadcast { .. })
        ));
        let none = Interface { ipv4: None, ..i };
        assert!(matches!(
            of_interface(&none),
            Err(McastError::NoIpv4Address(_))
        ));
    }
}
