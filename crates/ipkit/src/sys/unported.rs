//! The tables and channels ipkit has implemented for Linux only: the host
//! tables (interfaces, routes, neighbours, sockets, processes) and the ICMP
//! channel. Elsewhere (macOS until it is ported, Windows, or any OS with
//! `--cfg ipkit_unsupported`) they compile and answer Unsupported at run
//! time, so every engine and command builds for every target.

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
            crate::sys::name_to_index(name)
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

/// The ICMP channel of an OS without an implementation: opening one
/// answers [`crate::ping::PingError::Unsupported`], so the ping engines
/// compile and say so at run time.
#[derive(Debug)]
pub struct IcmpSocket {
    never: std::convert::Infallible,
}

impl IcmpSocket {
    /// Not available on this OS yet.
    pub fn open(
        _family: ipkit_core::wire::icmp::Family,
        _config: &crate::probe::ChannelConfig,
    ) -> Result<IcmpSocket, crate::ping::PingError> {
        Err(crate::ping::PingError::Unsupported)
    }
}

impl crate::probe::IcmpChannel for IcmpSocket {
    fn kernel_ident(&self) -> Option<u16> {
        match self.never {}
    }
    fn checksums_verified(&self) -> bool {
        match self.never {}
    }
    fn set_ttl(&mut self, _: u32) -> std::io::Result<()> {
        match self.never {}
    }
    fn ttl(&self) -> std::io::Result<u32> {
        match self.never {}
    }
    fn send(&mut self, _: &[u8], _: std::net::IpAddr) -> Result<(), crate::probe::SendError> {
        match self.never {}
    }
    fn send_batch(&mut self, _: &[(std::net::IpAddr, &[u8])]) -> std::io::Result<usize> {
        match self.never {}
    }
    fn try_recv(&mut self) -> std::io::Result<Option<crate::probe::Received>> {
        match self.never {}
    }
    fn try_recv_batch(&mut self, _: &mut crate::probe::RecvBatch) -> std::io::Result<usize> {
        match self.never {}
    }
    fn wait(
        &self,
        _: std::time::Duration,
    ) -> impl std::future::Future<Output = std::io::Result<()>> {
        let never = self.never;
        async move { match never {} }
    }
}

/// The trace channel of an OS without an implementation: opening one
/// answers [`crate::trace::TraceError::Unsupported`], so the tracer
/// compiles and says so at run time.
#[derive(Debug)]
pub struct TraceSocket {
    never: std::convert::Infallible,
}

impl TraceSocket {
    /// Not available on this OS yet.
    pub fn open(
        _config: &crate::trace::channel::ChannelConfig,
    ) -> Result<TraceSocket, crate::trace::TraceError> {
        Err(crate::trace::TraceError::Unsupported)
    }
}

impl crate::trace::channel::TraceChannel for TraceSocket {
    fn unprivileged(&self) -> bool {
        match self.never {}
    }
    fn send(
        &mut self,
        _: &crate::trace::channel::ProbeSpec,
    ) -> Result<(), crate::trace::channel::SendError> {
        match self.never {}
    }
    fn try_recv(&mut self) -> std::io::Result<Option<crate::trace::channel::TraceReply>> {
        match self.never {}
    }
    async fn wait(&self, _: std::time::Duration) -> std::io::Result<()> {
        match self.never {}
    }
}

/// A datagram read from a group socket (`ipkit mcast join`).
#[derive(Debug, Clone, Copy)]
pub struct McastReceived {
    /// Bytes read.
    pub len: usize,
    /// Who sent it.
    pub from: Option<std::net::SocketAddr>,
    /// TTL / hop limit: not read on this OS yet.
    pub ttl: Option<u8>,
    /// The kernel's receive time: not read on this OS yet.
    pub kernel_time: Option<std::time::Duration>,
}

/// Kernel receive times are not read on this OS yet: nothing to ask.
pub fn receive_timestamps(_sock: &socket2::Socket) -> std::io::Result<()> {
    Ok(())
}

/// IPv6 source-specific joins are Linux's so far.
pub fn source_group_membership(
    _sock: &socket2::Socket,
    _group: std::net::IpAddr,
    _source: std::net::IpAddr,
    _ifindex: u32,
    _join: bool,
) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "source-specific IPv6 joins are not available on this operating system yet",
    ))
}

/// The TTL of received datagrams is not read on this OS yet: nothing to ask.
pub fn receive_ttl(_sock: &socket2::Socket, _v6: bool) -> std::io::Result<()> {
    Ok(())
}

/// One datagram with its sender (portable `recvfrom`; no TTL).
pub fn recv_datagram(sock: &socket2::Socket, buf: &mut [u8]) -> std::io::Result<McastReceived> {
    let udp: std::net::UdpSocket = sock.try_clone()?.into();
    let (len, from) = udp.recv_from(buf).map(|(n, f)| (n, Some(f)))?;
    Ok(McastReceived {
        len,
        from,
        ttl: None,
        kernel_time: None,
    })
}

/// Datagrams read in one batch from a group socket: one per read on
/// this OS (no `recvmmsg`).
#[derive(Debug)]
pub struct McastBatch {
    buf: Vec<u8>,
    got: Option<McastReceived>,
}

impl McastBatch {
    /// Room for one datagram of up to `size` bytes (`count` is Linux's).
    pub fn new(_count: usize, size: usize) -> McastBatch {
        McastBatch {
            buf: vec![0; size],
            got: None,
        }
    }

    /// How many datagrams the last read brought (0 or 1).
    pub fn len(&self) -> usize {
        usize::from(self.got.is_some())
    }

    /// Whether the last read brought none.
    pub fn is_empty(&self) -> bool {
        self.got.is_none()
    }

    /// How many datagrams one read can bring: one here.
    pub fn capacity(&self) -> usize {
        1
    }

    /// Datagram `i` of the last read and its first bytes.
    pub fn get(&self, i: usize) -> Option<(McastReceived, &[u8])> {
        let got = self.got.filter(|_| i == 0)?;
        Some((got, &self.buf[..got.len.min(self.buf.len())]))
    }
}

/// Read one datagram into `batch` (this OS has no batch read).
pub fn recv_datagrams(sock: &socket2::Socket, batch: &mut McastBatch) -> std::io::Result<usize> {
    batch.got = None;
    let got = recv_datagram(sock, &mut batch.buf)?;
    batch.got = Some(got);
    Ok(1)
}

/// `SO_RCVBUFFORCE` is Linux's.
pub fn force_receive_buffer(_sock: &socket2::Socket, _bytes: usize) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "SO_RCVBUFFORCE is Linux's",
    ))
}

/// Whether a join or send failed for want of a route to the group.
pub fn is_no_route(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NetworkUnreachable | std::io::ErrorKind::HostUnreachable
    )
}

/// The kernel's multicast membership tables are read on Linux only so far.
pub fn multicast_tables() -> std::io::Result<crate::mcast::groups::Tables> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "the multicast group tables are not available on this operating system yet",
    ))
}
