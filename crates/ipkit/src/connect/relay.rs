//! A minimal netcat over the connection [`super::run::connect`] made:
//! input → socket → output, the two directions at once (so a peer that
//! echoes a large input never deadlocks against us).
//!
//! TCP: at the end of the input the socket's sending half is shut down
//! (`shutdown(SHUT_WR)`, a FIN: the peer sees end of file and may still
//! answer), and the relay ends when the peer closes its half — OpenBSD nc's
//! `-N` behaviour, which is what "half-close" means for a client. UDP: each
//! line of input (up to and including its newline; a longer run without one
//! is cut at [`MAX_DATAGRAM`]) is one datagram on the connected socket;
//! every datagram received is written out as it came; after the input ends
//! the relay waits until no datagram has come for the quiet time, then
//! ends (nc's `-q`). An ICMP port unreachable answer shows as "connection
//! refused" on the next receive, as the kernel reports it for a connected
//! UDP socket.
//!
//! Output is flushed after every write, so a reader sees each answer at
//! once; a closed output (EPIPE) ends the relay at once with that error.
//! The cancellation token is looked at every few milliseconds.

use std::cell::Cell;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::Instant;

use super::run::Connection;
use crate::cancel::Cancel;

/// The largest UDP payload over IPv4 (65,535 − 20 − 8 bytes).
pub const MAX_DATAGRAM: usize = 65_507;

/// The size of a read, each way. Standard input is read on tokio's blocking
/// thread, one hand-over per read: large reads keep those few (a pipe gives
/// up to 64 KiB at a time).
const READ_SIZE: usize = 256 * 1024;

/// How often the relay looks at the cancellation token.
const TICK: Duration = Duration::from_millis(20);

/// How the relay ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayEnd {
    /// TCP: the peer closed its half.
    PeerClosed,
    /// UDP: the input ended and nothing came for the quiet time.
    Quiet,
    /// The user interrupted.
    Interrupted,
}

/// What the relay moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relayed {
    /// Bytes sent to the peer.
    pub sent: u64,
    /// Bytes received from the peer.
    pub received: u64,
    /// How it ended.
    pub end: RelayEnd,
}

/// A relay that stopped on an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RelayError {
    /// Reading the input failed.
    #[error("reading standard input")]
    Input(#[source] io::Error),
    /// Writing the output failed (a closed pipe among others).
    #[error("writing standard output")]
    Output(#[source] io::Error),
    /// The connection has no peer address (it was never connected).
    #[error("the socket is not connected")]
    NoPeer(#[source] io::Error),
    /// The socket failed.
    #[error("{op} {peer}")]
    Socket {
        /// What was being done: `sending to`, `receiving from` …
        op: &'static str,
        /// The peer.
        peer: SocketAddr,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
}

/// Relay between `input`/`output` and the connection until the peer closes
/// (TCP), the input ends and the peer goes quiet for `quiet` (UDP), or
/// `cancel` is cancelled.
pub async fn relay<R, W>(
    conn: Connection,
    input: R,
    output: W,
    quiet: Duration,
    cancel: &Cancel,
) -> Result<Relayed, RelayError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (_, peer) = conn.ends().map_err(RelayError::NoPeer)?;
    let counts = Counts::default();
    let end = match conn {
        Connection::Tcp(s) => relay_tcp(s, peer, input, output, &counts, cancel).await?,
        Connection::Udp(s) => relay_udp(s, peer, input, output, quiet, &counts, cancel).await?,
    };
    Ok(Relayed {
        sent: counts.sent.get(),
        received: counts.received.get(),
        end,
    })
}

/// Bytes moved each way so far (shared by the two directions' futures).
#[derive(Default)]
struct Counts {
    sent: Cell<u64>,
    received: Cell<u64>,
}

impl Counts {
    fn add_sent(&self, n: usize) {
        self.sent.set(self.sent.get() + n as u64);
    }

    fn add_received(&self, n: usize) {
        self.received.set(self.received.get() + n as u64);
    }
}

fn socket_error(op: &'static str, peer: SocketAddr) -> impl Fn(io::Error) -> RelayError {
    move |source| RelayError::Socket { op, peer, source }
}

async fn relay_tcp<R, W>(
    stream: TcpStream,
    peer: SocketAddr,
    mut input: R,
    mut output: W,
    counts: &Counts,
    cancel: &Cancel,
) -> Result<RelayEnd, RelayError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (mut from_peer, mut to_peer) = stream.into_split();
    let upstream = async {
        let mut buf = vec![0u8; READ_SIZE];
        loop {
            let n = input.read(&mut buf).await.map_err(RelayError::Input)?;
            if n == 0 {
                return to_peer
                    .shutdown()
                    .await
                    .map_err(socket_error("half-closing the connection to", peer));
            }
            to_peer
                .write_all(&buf[..n])
                .await
                .map_err(socket_error("sending to", peer))?;
            counts.add_sent(n);
        }
    };
    let downstream = async {
        let mut buf = vec![0u8; READ_SIZE];
        loop {
            let n = from_peer
                .read(&mut buf)
                .await
                .map_err(socket_error("receiving from", peer))?;
            if n == 0 {
                return Ok::<(), RelayError>(());
            }
            write_out(&mut output, &buf[..n]).await?;
            counts.add_received(n);
        }
    };
    drive(upstream, downstream, cancel, |_| false).await
}

async fn relay_udp<R, W>(
    socket: UdpSocket,
    peer: SocketAddr,
    mut input: R,
    mut output: W,
    quiet: Duration,
    counts: &Counts,
    cancel: &Cancel,
) -> Result<RelayEnd, RelayError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let last_heard = Cell::new(Instant::now());
    let socket = &socket;
    let upstream = async {
        let mut buf = vec![0u8; READ_SIZE];
        let mut pending: Vec<u8> = Vec::new();
        loop {
            let n = input.read(&mut buf).await.map_err(RelayError::Input)?;
            pending.extend_from_slice(&buf[..n]);
            let mut from = 0;
            while let Some(at) = memchr::memchr(b'\n', &pending[from..]) {
                let end = from + at + 1;
                for chunk in pending[from..end].chunks(MAX_DATAGRAM) {
                    send(socket, chunk, peer).await?;
                    counts.add_sent(chunk.len());
                }
                from = end;
            }
            pending.drain(..from);
            while pending.len() >= MAX_DATAGRAM || (n == 0 && !pending.is_empty()) {
                let take = pending.len().min(MAX_DATAGRAM);
                send(socket, &pending[..take], peer).await?;
                counts.add_sent(take);
                pending.drain(..take);
            }
            if n == 0 {
                last_heard.set(Instant::now());
                return Ok(());
            }
        }
    };
    let downstream = async {
        let mut buf = vec![0u8; MAX_DATAGRAM + 1];
        loop {
            let n = socket
                .recv(&mut buf)
                .await
                .map_err(socket_error("receiving from", peer))?;
            last_heard.set(Instant::now());
            write_out(&mut output, &buf[..n]).await?;
            counts.add_received(n);
        }
    };
    drive(upstream, downstream, cancel, |input_done| {
        input_done && last_heard.get().elapsed() >= quiet
    })
    .await
}

async fn send(socket: &UdpSocket, datagram: &[u8], peer: SocketAddr) -> Result<(), RelayError> {
    socket
        .send(datagram)
        .await
        .map(|_| ())
        .map_err(socket_error("sending to", peer))
}

async fn write_out<W: AsyncWrite + Unpin>(output: &mut W, data: &[u8]) -> Result<(), RelayError> {
    output.write_all(data).await.map_err(RelayError::Output)?;
    output.flush().await.map_err(RelayError::Output)
}

/// Run both directions: the relay ends when `downstream` ends (the peer
/// closed), when `quiet_enough(input_done)` says so, or on cancellation;
/// `upstream` ending is only the end of the input.
async fn drive(
    upstream: impl std::future::Future<Output = Result<(), RelayError>>,
    downstream: impl std::future::Future<Output = Result<(), RelayError>>,
    cancel: &Cancel,
    quiet_enough: impl Fn(bool) -> bool,
) -> Result<RelayEnd, RelayError> {
    tokio::pin!(upstream);
    tokio::pin!(downstream);
    let mut input_done = false;
    loop {
        tokio::select! {
            r = &mut upstream, if !input_done => {
                r?;
                input_done = true;
            }
            r = &mut downstream => {
                r?;
                return Ok(RelayEnd::PeerClosed);
            }
            () = tokio::time::sleep(TICK) => {
                if cancel.is_cancelled() {
                    return Ok(RelayEnd::Interrupted);
                }
                if quiet_enough(input_done) {
                    return Ok(RelayEnd::Quiet);
                }
            }
        }
    }
}
