//! Datagrams in batches, the platform trait behind `dns --bulk`: one system
//! call per batch where the OS has one (Linux's `sendmmsg`/`recvmmsg`, the
//! measured hot path of bench/dns.sh), one call per datagram elsewhere.
//! Engines see only [`BatchDatagrams`] and [`connect`]; the implementations
//! live in `sys`.

use std::net::UdpSocket;

/// A connected UDP socket that moves datagrams in batches (`sys`'s `BatchSocket`:
/// one system call per batch on Linux, one per datagram elsewhere).
pub trait BatchDatagrams {
    /// Send `datagrams` in order without waiting; returns how many went
    /// (fewer, 0 included, when the send buffer is full). Another error
    /// means none of them went.
    fn send(&mut self, datagrams: &[&[u8]]) -> std::io::Result<usize>;

    /// Receive up to `bufs.len()` datagrams into `bufs`, their lengths into
    /// `lens`. With `wait`, wait up to that long for the first (at least
    /// 1 µs); without, take only what is queued. Returns how many came (0
    /// when none did in time).
    fn recv(
        &mut self,
        bufs: &mut [Vec<u8>],
        lens: &mut [usize],
        wait: Option<std::time::Duration>,
    ) -> std::io::Result<usize>;
}

/// Move `socket` (connected) into this OS's batch implementation.
pub fn connect(socket: UdpSocket) -> std::io::Result<impl BatchDatagrams> {
    crate::sys::BatchSocket::new(socket)
}
