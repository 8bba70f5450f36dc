//! Fallback for systems without an implementation yet: every lookup answers
//! "not available".

/// Not available on this OS.
pub fn name_to_index(_name: &str) -> Option<u32> {
    None
}

/// Not available on this OS.
pub fn index_to_name(_index: u32) -> Option<String> {
    None
}

/// AF_INET as Windows defines it.
pub const AF_INET: u16 = 2;
/// AF_INET6 as Windows defines it.
pub const AF_INET6: u16 = 23;

/// Not available on this OS yet.
pub fn getaddrinfo(
    _node: Option<&str>,
    _service: Option<&str>,
    _hints: &crate::resolve::Hints,
) -> Result<Vec<crate::resolve::AddrInfo>, crate::resolve::ResolveError> {
    Err(crate::resolve::ResolveError::Unsupported {
        flag: "getaddrinfo",
    })
}

/// Not available on this OS yet.
pub fn getnameinfo(
    _addr: &std::net::SocketAddr,
    _flags: crate::resolve::NiFlags,
) -> Result<(String, String), crate::resolve::ResolveError> {
    Err(crate::resolve::ResolveError::Unsupported {
        flag: "getnameinfo",
    })
}

/// Not available on this OS yet.
pub fn legacy_gethostbyname(
    _name: &str,
) -> Result<crate::resolve::HostEnt, crate::resolve::ResolveError> {
    Err(crate::resolve::ResolveError::Unsupported {
        flag: "gethostbyname",
    })
}

/// Not available on this OS yet.
pub fn legacy_inet_addr(_text: &str) -> Option<u32> {
    None
}

/// Not available on this OS yet.
pub fn legacy_inet_aton(_text: &str) -> Option<std::net::Ipv4Addr> {
    None
}

/// Formats as inet_ntoa does.
pub fn legacy_inet_ntoa(addr: std::net::Ipv4Addr) -> String {
    addr.to_string()
}

/// The host tables of an OS without an implementation: every read and
/// change answers [`crate::host::HostError::Unsupported`], so the commands
/// compile and say so at run time.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostTables;

mod host_tables {
    use std::net::IpAddr;

    use ipkit_core::host::MacAddr;

    use super::HostTables;
    use crate::host::HostError;
    use crate::host::inodes::PendingInodes;
    use crate::host::interfaces::{DhcpLease, DnsConfig, Interface, InterfaceTable, Route};
    use crate::host::neighbours::{Neighbour, NeighbourTable};
    use crate::host::processes::{Holder, ProcessInfo, ProcessTable, Signal, SignalError};
    use crate::host::sockets::{PortFilter, SocketEntry, SocketTable, Transport, UnixSocketEntry};

    impl NeighbourTable for HostTables {
        fn neighbours(&self) -> Result<Vec<Neighbour>, HostError> {
            Err(HostError::Unsupported("the neighbour table"))
        }
        fn add_permanent(&self, _: IpAddr, _: MacAddr, _: u32) -> Result<(), HostError> {
            Err(HostError::Unsupported("changing the neighbour table"))
        }
        fn delete(&self, _: IpAddr, _: u32) -> Result<(), HostError> {
            Err(HostError::Unsupported("changing the neighbour table"))
        }
        fn interface_index(&self, name: &str) -> Option<u32> {
            super::name_to_index(name)
        }
    }

    impl SocketTable for HostTables {
        fn dump(
            &self,
            _: Transport,
            _: bool,
            _: u32,
            _: Option<PortFilter>,
            _: &mut dyn FnMut(SocketEntry),
        ) -> Result<(), HostError> {
            Err(HostError::Unsupported("the socket table"))
        }
        fn dump_unix(&self, _: &mut dyn FnMut(UnixSocketEntry)) -> Result<(), HostError> {
            Err(HostError::Unsupported("the socket table"))
        }
    }

    impl ProcessTable for HostTables {
        fn pids(&self) -> Result<Vec<u32>, HostError> {
            Err(HostError::Unsupported("the process table"))
        }
        fn holders(&self, _: &[u32], _: &PendingInodes, _: bool) -> (Vec<Holder>, usize) {
            (Vec::new(), 0)
        }
        fn info(&self, _: u32) -> Option<ProcessInfo> {
            None
        }
        fn user_name(&self, _: u32) -> Option<String> {
            None
        }
        fn signal(&self, _: u32, _: Signal) -> Result<(), SignalError> {
            Err(SignalError::Failed(std::io::Error::from(
                std::io::ErrorKind::Unsupported,
            )))
        }
        fn is_running(&self, _: u32) -> bool {
            false
        }
        fn own_pid(&self) -> u32 {
            std::process::id()
        }
    }

    impl InterfaceTable for HostTables {
        fn interfaces(&self) -> Result<Vec<Interface>, HostError> {
            Err(HostError::Unsupported("the interface table"))
        }
        fn routes(&self) -> Result<Vec<Route>, HostError> {
            Err(HostError::Unsupported("the routing table"))
        }
        fn dns(&self, _: Option<u32>) -> Option<DnsConfig> {
            None
        }
        fn dhcp_leases(&self, _: &str, _: u32) -> Vec<DhcpLease> {
            Vec::new()
        }
        fn host_name(&self) -> String {
            String::new()
        }
    }
}

/// Not available on this OS yet.
pub fn real_uid() -> u32 {
    u32::MAX
}
