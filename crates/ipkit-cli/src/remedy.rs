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
        // Arms are added as engines report `Needs` (ping, host tables).
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
        None
    })
}
