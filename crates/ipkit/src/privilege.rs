//! What a job may need beyond an ordinary user's rights, named once so every
//! engine's error says *what* is missing the same way ([`Needs`]); how to
//! grant it (setcap, sudo, a sysctl) is the program's to word — the `ipkit`
//! binary does it in its `remedy` module — since the library does not know
//! the program's path or the user's system.

/// A Linux capability (or its equivalent elsewhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Raw sockets, SO_BINDTODEVICE (`CAP_NET_RAW`).
    NetRaw,
    /// Changing interfaces, routes, neighbours (`CAP_NET_ADMIN`).
    NetAdmin,
    /// Signalling other users' processes (`CAP_KILL`).
    Kill,
    /// Reading other users' process descriptors (`CAP_SYS_PTRACE`).
    SysPtrace,
}

impl Capability {
    /// The capability's name, as `capabilities(7)` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Capability::NetRaw => "CAP_NET_RAW",
            Capability::NetAdmin => "CAP_NET_ADMIN",
            Capability::Kill => "CAP_KILL",
            Capability::SysPtrace => "CAP_SYS_PTRACE",
        }
    }
}

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a refused operation needed: a capability, or (for unprivileged ICMP
/// sockets) membership of the kernel's ping group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Needs {
    /// This capability.
    Capability(Capability),
    /// A raw ICMP socket (`CAP_NET_RAW`), or else a group allowed the
    /// unprivileged ICMP socket (`net.ipv4.ping_group_range`).
    IcmpSocket,
}

impl std::fmt::Display for Needs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Needs::Capability(c) => write!(f, "{c}"),
            Needs::IcmpSocket => f.write_str(
                "CAP_NET_RAW for a raw socket, or a group in net.ipv4.ping_group_range for a datagram one",
            ),
        }
    }
}

/// Whether this process runs as the superuser (real user id 0), which some
/// anchors' rules depend on (iputils lets only root ping faster than every
/// 2 ms).
pub fn is_root() -> bool {
    crate::sys::real_uid() == 0
}
