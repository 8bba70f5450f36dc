//! The echo server: the chapter's `tcpserver` practice, over TCP and UDP on
//! every listening socket. Each TCP connection echoes what it reads until
//! the peer half-closes, then reports one [`EchoEvent::Closed`]; each UDP
//! datagram is sent back to its sender and reported as
//! [`EchoEvent::Datagram`]. Cancelling stops the listeners, closes the open
//! connections (each still reports), and returns the [`EchoSummary`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use socket2::Socket;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, watch};

use crate::cancel::Cancel;

/// A TCP connection that ended: the `closed` event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectionClosed {
    /// The client.
    pub peer: SocketAddr,
    /// The listening address it reached.
    pub local: SocketAddr,
    /// Bytes echoed back (as many as were read).
    pub bytes: u64,
    /// How long the connection was open, in milliseconds.
    pub duration_ms: f64,
    /// Connections accepted so far (this one included).
    pub connections: u64,
    /// Connections still open after this one.
    pub open: u64,
    /// Why it ended: "eof" (peer half-closed), "shutdown" (server stopping)
    /// or an error's text.
    pub end: String,
}

/// A UDP datagram echoed: the `datagram` event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatagramEchoed {
    /// The sender.
    pub peer: SocketAddr,
    /// The socket it reached.
    pub local: SocketAddr,
    /// Its size.
    pub bytes: u64,
}

/// What the server reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum EchoEvent {
    /// A TCP connection ended.
    Closed(ConnectionClosed),
    /// A UDP datagram was echoed.
    Datagram(DatagramEchoed),
}

/// Totals when the server stops: the `summary` record.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EchoSummary {
    /// TCP connections accepted.
    pub connections: u64,
    /// Bytes echoed over TCP.
    pub tcp_bytes: u64,
    /// UDP datagrams echoed.
    pub datagrams: u64,
    /// Bytes echoed over UDP.
    pub udp_bytes: u64,
}

#[derive(Default)]
struct Counters {
    accepted: AtomicU64,
    open: AtomicU64,
}

/// Echo on the given sockets (from [`super::listen::open`]: TCP listening,
/// UDP bound, non-blocking) until `cancel` fires, calling `on_event` for
/// each connection closed and datagram echoed. Needs a tokio runtime.
pub async fn run(
    tcp: Vec<Socket>,
    udp: Vec<Socket>,
    cancel: &Cancel,
    mut on_event: impl FnMut(&EchoEvent),
) -> std::io::Result<EchoSummary> {
    let (events, mut received) = mpsc::unbounded_channel::<EchoEvent>();
    let (stop_tx, stop) = watch::channel(false);
    let counters = Arc::new(Counters::default());
    let mut tasks = tokio::task::JoinSet::new();
    for socket in tcp {
        let listener = TcpListener::from_std(std::net::TcpListener::from(socket))?;
        tasks.spawn(accept_loop(
            listener,
            events.clone(),
            stop.clone(),
            Arc::clone(&counters),
        ));
    }
    for socket in udp {
        let socket = UdpSocket::from_std(std::net::UdpSocket::from(socket))?;
        tasks.spawn(udp_loop(socket, events.clone(), stop.clone()));
    }
    drop(events);
    let mut summary = EchoSummary::default();
    let mut stopping = false;
    loop {
        tokio::select! {
            event = received.recv() => {
                let Some(event) = event else { break };
                match &event {
                    EchoEvent::Closed(c) => summary.tcp_bytes += c.bytes,
                    EchoEvent::Datagram(d) => {
                        summary.datagrams += 1;
                        summary.udp_bytes += d.bytes;
                    }
                }
                on_event(&event);
            }
            () = super::cancelled(cancel), if !stopping => {
                stopping = true;
                let _ = stop_tx.send(true);
            }
        }
    }
    while tasks.join_next().await.is_some() {}
    summary.connections = counters.accepted.load(Ordering::SeqCst);
    Ok(summary)
}

async fn accept_loop(
    listener: TcpListener,
    events: mpsc::UnboundedSender<EchoEvent>,
    mut stop: watch::Receiver<bool>,
    counters: Arc<Counters>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    counters.accepted.fetch_add(1, Ordering::SeqCst);
                    counters.open.fetch_add(1, Ordering::SeqCst);
                    connections.spawn(echo_connection(
                        stream, peer, events.clone(), stop.clone(), Arc::clone(&counters),
                    ));
                }
                // EMFILE and friends: wait a little rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            _ = stop.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

async fn echo_connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    events: mpsc::UnboundedSender<EchoEvent>,
    mut stop: watch::Receiver<bool>,
    counters: Arc<Counters>,
) {
    let started = Instant::now();
    let local = stream.local_addr().unwrap_or(peer);
    let mut bytes = 0u64;
    let mut buf = vec![0u8; 16 * 1024];
    let end = loop {
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) => {
                    let _ = stream.shutdown().await;
                    break "eof".to_string();
                }
                Ok(n) => {
                    if let Err(e) = stream.write_all(&buf[..n]).await {
                        break e.to_string();
                    }
                    bytes += n as u64;
                }
                Err(e) => break e.to_string(),
            },
            _ = stop.changed() => break "shutdown".to_string(),
        }
    };
    let open = counters.open.fetch_sub(1, Ordering::SeqCst) - 1;
    let _ = events.send(EchoEvent::Closed(ConnectionClosed {
        peer,
        local,
        bytes,
        duration_ms: crate::ping::report::ms(started.elapsed()),
        connections: counters.accepted.load(Ordering::SeqCst),
        open,
        end,
    }));
}

async fn udp_loop(
    socket: UdpSocket,
    events: mpsc::UnboundedSender<EchoEvent>,
    mut stop: watch::Receiver<bool>,
) {
    let local = match socket.local_addr() {
        Ok(a) => a,
        Err(_) => return,
    };
    let mut buf = vec![0u8; 65_536];
    loop {
        tokio::select! {
            got = socket.recv_from(&mut buf) => {
                let Ok((n, peer)) = got else { continue };
                if socket.send_to(&buf[..n], peer).await.is_ok() {
                    let _ = events.send(EchoEvent::Datagram(DatagramEchoed {
                        peer, local, bytes: n as u64,
                    }));
                }
            }
            _ = stop.changed() => break,
        }
    }
}
