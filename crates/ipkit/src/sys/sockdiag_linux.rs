//! The kernel's socket tables over NETLINK_SOCK_DIAG (what `ss` reads), not
//! by parsing /proc/net/tcp: one dump per family and transport, with the TCP
//! state filter applied in the kernel.
use std::io;
use std::net::SocketAddr;

use netlink_packet_core::Parseable;
use netlink_packet_sock_diag::SockDiagMessage;
use netlink_packet_sock_diag::constants::{AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP};
use netlink_packet_sock_diag::inet::{
    ExtensionFlags, InetRequest, InetResponseHeader, SocketId, StateFlags,
};
use netlink_sys::protocols::NETLINK_SOCK_DIAG;

use super::netlink_linux::{DUMP, transact_raw};
use crate::host::{SocketEntry, Transport};

/// Every socket of `transport` and family (`v6`) whose state bit is in
/// `states` (bit `1 << state`, kernel numbering), passed to `each`.
pub fn dump_inet(
    transport: Transport,
    v6: bool,
    states: u32,
    mut each: impl FnMut(SocketEntry),
) -> io::Result<()> {
    let request = SockDiagMessage::InetRequest(InetRequest {
        family: if v6 { AF_INET6 } else { AF_INET },
        protocol: match transport {
            Transport::Tcp => IPPROTO_TCP,
            Transport::Udp => IPPROTO_UDP,
        },
        extensions: ExtensionFlags::empty(),
        states: StateFlags::from_bits_truncate(states),
        socket_id: if v6 {
            SocketId::new_v6()
        } else {
            SocketId::new_v4()
        },
    });
    transact_raw(NETLINK_SOCK_DIAG, request, DUMP, |_, body| {
        // The fixed inet_diag_msg only: its attributes are not needed.
        let h = InetResponseHeader::parse(body)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        let id = &h.socket_id;
        each(SocketEntry {
            transport,
            local: SocketAddr::new(id.source_address, id.source_port),
            remote: SocketAddr::new(id.destination_address, id.destination_port),
            state: ipkit_core::host::TcpState::from_kernel(h.state)
                .unwrap_or(ipkit_core::host::TcpState::Close),
            recv_queue: h.recv_queue,
            send_queue: h.send_queue,
            uid: h.uid,
            inode: u64::from(h.inode),
            interface: id.interface_id,
            owners: Vec::new(),
        });
        Ok(())
    })
}
