//! Linux: ICMP sockets, netlink (interfaces, routes, neighbours, sock_diag),
//! /proc (socket owners), batched datagrams (sendmmsg/recvmmsg) and the
//! host's resolver files.

mod ancillary;
mod host;
mod host_files;
pub(crate) mod icmp;
mod mcast;
pub(crate) mod mmsg;
mod netlink;
mod procfs;
mod sockdiag;
mod trace;

pub use host::HostTables;
pub use icmp::{IcmpKind, IcmpSocket};
pub use mcast::{
    McastBatch, McastReceived, force_receive_buffer, is_no_route, multicast_tables,
    receive_timestamps, receive_ttl, recv_datagram, recv_datagrams, source_group_membership,
};
pub use mmsg::BatchSocket;
pub use trace::TraceSocket;
