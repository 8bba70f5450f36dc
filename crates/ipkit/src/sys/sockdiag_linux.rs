//! The kernel's socket tables over NETLINK_SOCK_DIAG (what `ss` reads), not
//! by parsing /proc/net/tcp: one dump per family and transport, with the TCP
//! state filter applied in the kernel.
use std::io;
use std::net::SocketAddr;

use netlink_packet_core::Parseable;
use netlink_packet_sock_diag::SockDiagMessage;
use netlink_packet_sock_diag::constants::{
    AF_INET, AF_INET6, IPPROTO_RAW, IPPROTO_TCP, IPPROTO_UDP,
};
use netlink_packet_sock_diag::inet::{
    ExtensionFlags, InetRequest, InetResponseHeader, SocketId, StateFlags,
};
use netlink_sys::protocols::NETLINK_SOCK_DIAG;

use super::netlink_linux::{DUMP, transact, transact_raw};
use crate::host::{SocketEntry, Transport, UnixSocketEntry};

/// Every socket of `transport` and family (`v6`) whose state bit is in
/// `states` (bit `1 << state`, kernel numbering), passed to `each`.
pub fn dump_inet(
    transport: Transport,
    v6: bool,
    states: u32,
    mut each: impl FnMut(SocketEntry),
) -> io::Result<()> {
    let result = dump_inet_diag(transport, v6, states, &mut each);
    match result {
        // No raw_diag in this kernel (as ss does, read its text table).
        Err(e) if transport == Transport::Raw && e.raw_os_error() == Some(libc::ENOENT) => {
            proc_net_raw(v6, states, &mut each)
        }
        other => other,
    }
}

/// Raw sockets from /proc/net/raw{,6}, for kernels without raw_diag.
fn proc_net_raw(v6: bool, states: u32, each: &mut dyn FnMut(SocketEntry)) -> io::Result<()> {
    let path = if v6 {
        "/proc/net/raw6"
    } else {
        "/proc/net/raw"
    };
    let text = std::fs::read_to_string(path)?;
    for line in text.lines().skip(1) {
        let Some(l) = ipkit_core::host::parse_proc_net_line(line) else {
            continue;
        };
        if states & (1 << l.state) == 0 {
            continue;
        }
        each(SocketEntry {
            transport: Transport::Raw,
            local: l.local,
            remote: l.remote,
            state: ipkit_core::host::TcpState::from_kernel(l.state)
                .unwrap_or(ipkit_core::host::TcpState::Close),
            recv_queue: l.rx_queue,
            send_queue: l.tx_queue,
            uid: l.uid,
            inode: l.inode,
            interface: 0,
            owners: Vec::new(),
        });
    }
    Ok(())
}

fn dump_inet_diag(
    transport: Transport,
    v6: bool,
    states: u32,
    each: &mut dyn FnMut(SocketEntry),
) -> io::Result<()> {
    let request = SockDiagMessage::InetRequest(InetRequest {
        family: if v6 { AF_INET6 } else { AF_INET },
        protocol: match transport {
            Transport::Tcp => IPPROTO_TCP,
            Transport::Udp => IPPROTO_UDP,
            // raw_diag: every raw socket of the family; the local "port" is
            // the socket's IP protocol.
            Transport::Raw => IPPROTO_RAW,
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

/// Every Unix-domain socket, with its name, peer and queues.
pub fn dump_unix(mut each: impl FnMut(UnixSocketEntry)) -> io::Result<()> {
    use netlink_packet_sock_diag::unix::nlas::{Nla, UnixDiagName};
    use netlink_packet_sock_diag::unix::{ShowFlags, StateFlags as UnixStates, UnixRequest};
    let request = SockDiagMessage::UnixRequest(UnixRequest {
        state_flags: UnixStates::all(),
        inode: 0,
        show_flags: ShowFlags::NAME | ShowFlags::PEER | ShowFlags::RQLEN,
        cookie: [0xff; 8],
    });
    transact(NETLINK_SOCK_DIAG, request, DUMP, |m| {
        let SockDiagMessage::UnixResponse(r) = m else {
            return;
        };
        let mut entry = UnixSocketEntry {
            kind: match r.header.kind {
                1 => "stream",
                2 => "dgram",
                5 => "seqpacket",
                _ => "other",
            },
            state: ipkit_core::host::TcpState::from_kernel(r.header.state)
                .unwrap_or(ipkit_core::host::TcpState::Close),
            path: None,
            peer: None,
            recv_queue: 0,
            send_queue: 0,
            inode: u64::from(r.header.inode),
            owners: Vec::new(),
        };
        for nla in &r.nlas {
            match nla {
                Nla::Name(UnixDiagName::Pathname(p)) => {
                    entry.path = Some(p.to_string_lossy().into_owned());
                }
                Nla::Name(UnixDiagName::Abstract(b)) => {
                    entry.path = Some(format!("@{}", String::from_utf8_lossy(b)));
                }
                Nla::Peer(p) => entry.peer = Some(u64::from(*p)).filter(|p| *p != 0),
                Nla::ReceiveQueueLength(rq, wq) => {
                    entry.recv_queue = *rq;
                    entry.send_queue = *wq;
                }
                _ => {}
            }
        }
        each(entry);
    })
}
