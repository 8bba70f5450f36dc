//! One netlink request/response loop for both families ipkit speaks:
//! NETLINK_ROUTE (links, addresses, routes, neighbours) and
//! NETLINK_SOCK_DIAG (sockets). Messages are built and parsed by the
//! rust-netlink crates (`netlink-packet-route`, `netlink-packet-sock-diag`,
//! one `netlink-packet-core`); this module only sends, reads every part of
//! a multi-part answer, and turns the kernel's error codes into `io::Error`.

use std::io;

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN,
    NetlinkBuffer, NetlinkDeserializable, NetlinkHeader, NetlinkMessage, NetlinkPayload,
    NetlinkSerializable, Parseable,
};
use netlink_sys::{Socket, SocketAddr};

/// Send `payload` as a request with `flags` (NLM_F_REQUEST is added) and
/// call `each` for every message of the answer, until the dump's end or the
/// ACK. A NACK becomes its errno as an `io::Error`.
pub(crate) fn transact<T>(
    protocol: isize,
    payload: T,
    flags: u16,
    mut each: impl FnMut(T),
) -> io::Result<()>
where
    T: NetlinkSerializable + NetlinkDeserializable + std::fmt::Debug,
{
    transact_raw(protocol, payload, flags, |header, body| {
        let m = T::deserialize(header, body)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        each(m);
        Ok(())
    })
}

/// As [`transact`], but hands each answer's header and undecoded payload
/// to `each`, for callers that need only part of a large dump (the socket
/// table reads the fixed header of each of 100,000 entries and skips the
/// attributes).
pub(crate) fn transact_raw<T>(
    protocol: isize,
    payload: T,
    flags: u16,
    mut each: impl FnMut(&NetlinkHeader, &[u8]) -> io::Result<()>,
) -> io::Result<()>
where
    T: NetlinkSerializable + std::fmt::Debug,
{
    let mut socket = Socket::new(protocol)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;
    let _ = socket.set_rx_buf_sz(4usize << 20);
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | flags;
    header.sequence_number = 1;
    let mut request = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(payload));
    request.finalize();
    let mut buf = vec![0u8; request.buffer_len()];
    request.serialize(&mut buf);
    socket.send(&buf, 0)?;
    let dump = flags & NLM_F_DUMP == NLM_F_DUMP;
    let mut receive = vec![0u8; 256 << 10];
    let bad = |e: netlink_packet_core::DecodeError| {
        io::Error::new(io::ErrorKind::InvalidData, e.to_string())
    };
    loop {
        let size = socket.recv(&mut &mut receive[..], 0)?;
        let mut offset = 0;
        while offset < size {
            let nl = NetlinkBuffer::new_checked(&receive[offset..size]).map_err(bad)?;
            let header = NetlinkHeader::parse(&nl).map_err(bad)?;
            let length = nl.length() as usize;
            let body = nl.payload();
            match header.message_type {
                NLMSG_DONE => {
                    // A dump that failed says why in the DONE message.
                    let code = body
                        .get(..4)
                        .map_or(0, |b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
                    return if code < 0 {
                        Err(io::Error::from_raw_os_error(-code))
                    } else {
                        Ok(())
                    };
                }
                NLMSG_ERROR => {
                    // struct nlmsgerr: a negative errno, 0 for an ACK.
                    let code = body
                        .get(..4)
                        .map_or(0, |b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
                    return if code == 0 {
                        Ok(())
                    } else {
                        Err(io::Error::from_raw_os_error(-code))
                    };
                }
                NLMSG_OVERRUN => {
                    return Err(io::Error::other("netlink answer overran its buffer"));
                }
                NLMSG_NOOP => {}
                _ => {
                    each(&header, body)?;
                    if !dump && flags & NLM_F_ACK == 0 {
                        return Ok(());
                    }
                }
            }
            if length == 0 {
                break;
            }
            offset += length.div_ceil(4) * 4;
        }
    }
}

pub(crate) use netlink_packet_core::{NLM_F_CREATE, NLM_F_REPLACE};
pub(crate) const DUMP: u16 = NLM_F_DUMP;
pub(crate) const ACK: u16 = NLM_F_ACK;
