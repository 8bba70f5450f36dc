//! How to grant what a refused operation needed. The library's errors say
//! what was missing ([`ipkit::privilege::Needs`]); this module words the fix
//! for the person at this terminal, naming this program's path, so the
//! library never carries the binary's advice.

use ipkit::privilege::{Capability, Needs};

/// The fix for `needs`, as one clause: "run as root, or …".
pub fn grant(needs: Needs) -> String {
    match needs {
        Needs::Capability(c) => format!(
            "run as root, or grant it with `sudo setcap {}+ep $(command -v ipkit)`",
            c.name().to_lowercase()
        ),
        Needs::IcmpSocket => format!(
            "run as root, or `sudo setcap {}+ep $(command -v ipkit)`, or allow this group unprivileged ICMP sockets: `sudo sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"`",
            Capability::NetRaw.name().to_lowercase()
        ),
    }
}

/// The remedy for the first error in `e`'s chain that names what it needed,
/// if any. Each library error with a `needs` gets its arm here.
pub fn for_error(e: &anyhow::Error) -> Option<String> {
    e.chain().find_map(|cause| -> Option<String> {
        // Binding to an interface (dns --interface): the error travels as
        // an io::Error's payload.
        let bind = cause
            .downcast_ref::<ipkit::sockopt::BindInterfaceError>()
            .or_else(|| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .and_then(|io| io.get_ref())
                    .and_then(|inner| inner.downcast_ref())
            });
        if let Some(needs) = bind.and_then(ipkit::sockopt::BindInterfaceError::needs) {
            return Some(grant(needs));
        }
        // Opening an ICMP socket (ping, sweeps).
        if let Some(ipkit::ping::PingError::NoPrivilege { needs, .. }) =
            cause.downcast_ref::<ipkit::ping::PingError>()
        {
            return Some(grant(*needs));
        }
        // Opening the tracer's sockets (trace).
        if let Some(ipkit::trace::TraceError::NoPrivilege { needs }) =
            cause.downcast_ref::<ipkit::trace::TraceError>()
        {
            return Some(grant(*needs));
        }
        // Reading or changing the host's tables (neigh, if, kill, sockets).
        if let Some(ipkit::host::HostError::NoPrivilege { needs, .. }) =
            cause.downcast_ref::<ipkit::host::HostError>()
        {
            return Some(grant(*needs));
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use ipkit::sockopt::BindInterfaceError;

    /// `dns --interface` refused for want of CAP_NET_RAW: the line names
    /// what was missing (the library's words) and how to grant it (ours).
    #[test]
    fn a_refused_interface_bind_names_cap_net_raw_and_the_fix() {
        let refused = BindInterfaceError::not_permitted(
            "eth0",
            std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        );
        let e = anyhow::Error::new(ipkit::dns::DnsError::Io {
            op: "binding a socket for",
            server: "127.0.0.1:53".parse().unwrap(),
            source: refused.into(),
        });
        let line = crate::message::error_line(&e);
        assert!(line.contains("interface eth0"), "{line}");
        assert!(line.contains("needs CAP_NET_RAW"), "{line}");
        assert!(
            line.ends_with("`sudo setcap cap_net_raw+ep $(command -v ipkit)`"),
            "{line}"
        );
    }
}
