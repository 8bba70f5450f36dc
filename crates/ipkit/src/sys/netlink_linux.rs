//! One netlink request/response loop for both families ipkit speaks:
//! NETLINK_ROUTE (links, addresses, routes, neighbours) and
//! NETLINK_SOCK_DIAG (sockets). Messages are built and parsed by the
//! rust-netlink crates (`netlink-packet-route`, `netlink-packet-sock-diag`,
//! one `netlink-packet-core`); this module only sends, reads every part of
//! a multi-part answer, and turns the kernel's error codes into `io::Error`.

use std::io;

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NetlinkDeserializable, NetlinkHeader, NetlinkMessage,
    NetlinkPayload, NetlinkSerializable,
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
    loop {
        let size = socket.recv(&mut &mut receive[..], 0)?;
        let mut offset = 0;
        while offset < size {
            let message = NetlinkMessage::<T>::deserialize(&receive[offset..size])
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            let length = message.header.length as usize;
            match message.payload {
                NetlinkPayload::Done(_) => return Ok(()),
                NetlinkPayload::Error(e) => {
                    return match e.code {
                        None => Ok(()),
                        Some(_) => Err(io::Error::from_raw_os_error(-e.raw_code())),
                    };
                }
                NetlinkPayload::InnerMessage(m) => {
                    each(m);
                    if !dump && flags & NLM_F_ACK == 0 {
                        return Ok(());
                    }
                }
                NetlinkPayload::Overrun(_) => {
                    return Err(io::Error::other("netlink answer overran its buffer"));
                }
                _ => {}
            }
            if length == 0 {
                break;
            }
            offset += length;
        }
    }
}

pub(crate) use netlink_packet_core::{NLM_F_CREATE, NLM_F_REPLACE};
pub(crate) const DUMP: u16 = NLM_F_DUMP;
pub(crate) const ACK: u16 = NLM_F_ACK;
