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
        match cause.downcast_ref::<ipkit::host::HostError>() {
            Some(ipkit::host::HostError::NoPrivilege { needs, .. }) => Some(grant(*needs)),
            _ => None,
        }
    })
}
