//! The kernel's socket tables over NETLINK_SOCK_DIAG (what `ss` reads), not
//! by parsing /proc/net/tcp: one dump per family and transport, with the TCP
//! state filter applied in the kernel.
//!
//! Two parts are ipkit's own, and measured (bench/RESULTS.md, the
//! `ipkit sockets` sections): a port question is filtered in the kernel by
//! inet_diag bytecode built here as ss builds it (the owner of one port
//! among 60,000 sockets: 0.016 s for the dump alone), and a full dump
//! decodes only each entry's fixed header (~55 ms for 60,000 sockets).
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

use super::netlink::{DUMP, transact, transact_raw};
use crate::host::sockets::PortFilter;
use crate::host::{SocketEntry, Transport, UnixSocketEntry};

/// Every socket of `transport` and family (`v6`) whose state bit is in
/// `states` (bit `1 << state`, kernel numbering), passed to `each`.
pub fn dump_inet(
    transport: Transport,
    v6: bool,
    states: u32,
    port: Option<PortFilter>,
    mut each: impl FnMut(SocketEntry),
) -> io::Result<()> {
    let result = dump_inet_diag(transport, v6, states, port, &mut each);
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
    port: Option<PortFilter>,
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
    let request = Filtered {
        request,
        bytecode: port.map(port_bytecode).unwrap_or_default(),
    };
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

/// An inet_diag request with an optional INET_DIAG_REQ_BYTECODE filter
/// attached (the crate builds the request; the filter is appended here).
#[derive(Debug)]
struct Filtered {
    request: SockDiagMessage,
    bytecode: Vec<u8>,
}

impl netlink_packet_core::NetlinkSerializable for Filtered {
    fn message_type(&self) -> u16 {
        self.request.message_type()
    }

    fn buffer_len(&self) -> usize {
        let attribute = if self.bytecode.is_empty() {
            0
        } else {
            4 + self.bytecode.len()
        };
        self.request.buffer_len() + attribute
    }

    fn serialize(&self, buffer: &mut [u8]) {
        let n = self.request.buffer_len();
        self.request.serialize(&mut buffer[..n]);
        if self.bytecode.is_empty() {
            return;
        }
        // struct nlattr { u16 len; u16 type = INET_DIAG_REQ_BYTECODE (1) }
        let len = u16::try_from(4 + self.bytecode.len()).unwrap_or(u16::MAX);
        buffer[n..n + 2].copy_from_slice(&len.to_ne_bytes());
        buffer[n + 2..n + 4].copy_from_slice(&1u16.to_ne_bytes());
        buffer[n + 4..n + 4 + self.bytecode.len()].copy_from_slice(&self.bytecode);
    }
}

/// inet_diag bytecode (`struct inet_diag_bc_op { u8 code; u8 yes; u16 no }`)
/// that keeps sockets with the port: the kernel accepts a socket when the
/// program ends exactly at its end, and rejects it when a jump lands 4
/// bytes past. An OR is `a, JMP, b`, as ss builds it, so that every jump
/// target is on the "yes" path the kernel's audit walks.
fn port_bytecode(filter: PortFilter) -> Vec<u8> {
    const JMP: u8 = 1;
    const S_EQ: u8 = 11;
    const D_EQ: u8 = 12;
    let op = |code: u8, yes: u8, no: u16| {
        let mut b = vec![code, yes];
        b.extend_from_slice(&no.to_ne_bytes());
        b
    };
    // A port comparison: the op, then a second op whose `no` is the port.
    let compare = |code: u8, port: u16| [op(code, 8, 12), op(0, 0, port)].concat();
    match filter {
        PortFilter::Local(p) => compare(S_EQ, p),
        PortFilter::Either(p) => [compare(S_EQ, p), op(JMP, 4, 12), compare(D_EQ, p)].concat(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run bytecode the way the kernel's inet_diag_bc_run does, for the two
    /// comparisons used here.
    fn run(bc: &[u8], sport: u16, dport: u16) -> bool {
        let mut len = i32::try_from(bc.len()).unwrap();
        let mut at = 0usize;
        while len > 0 {
            let code = bc[at];
            let (yes, no) = (
                i32::from(bc[at + 1]),
                i32::from(u16::from_ne_bytes([bc[at + 2], bc[at + 3]])),
            );
            let arg = || u16::from_ne_bytes([bc[at + 6], bc[at + 7]]);
            let ok = match code {
                1 => false,
                11 => sport == arg(),
                12 => dport == arg(),
                _ => true,
            };
            let step = if ok { yes } else { no };
            len -= step;
            at += usize::try_from(step).unwrap();
        }
        len == 0
    }

    #[test]
    fn port_programs_accept_exactly_the_port() {
        let local = port_bytecode(PortFilter::Local(5150));
        assert!(run(&local, 5150, 80));
        assert!(!run(&local, 80, 5150));
        let either = port_bytecode(PortFilter::Either(5150));
        assert!(run(&either, 5150, 80));
        assert!(run(&either, 80, 5150));
        assert!(!run(&either, 80, 443));
    }
}
