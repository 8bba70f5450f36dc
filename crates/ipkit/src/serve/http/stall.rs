//! The write timeout: a socket wrapper that notes when a write has been
//! waiting (the peer stopped reading and the send buffer is full), so the
//! connection's task can cut it off once a response has made no progress
//! for the timeout. hyper has a read timeout for request heads but none
//! for writes; this is that piece, around tokio's `TcpStream`.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// When writes began to wait, in milliseconds since the connection began
/// plus one; 0 while they do not wait.
#[derive(Debug, Clone)]
pub struct Stall {
    began: Instant,
    since: Arc<AtomicU64>,
}

impl Default for Stall {
    /// A clock for one connection, starting now.
    fn default() -> Stall {
        Stall {
            began: Instant::now(),
            since: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl Stall {
    fn now(&self) -> u64 {
        u64::try_from(self.began.elapsed().as_millis()).unwrap_or(u64::MAX - 1) + 1
    }

    fn blocked(&self) {
        if self.since.load(Ordering::Relaxed) == 0 {
            self.since.store(self.now(), Ordering::Relaxed);
        }
    }

    fn moved(&self) {
        self.since.store(0, Ordering::Relaxed);
    }

    /// Resolve once a write has waited `limit` without progress.
    pub async fn exceeded(&self, limit: Duration) {
        let limit_ms = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX / 2);
        loop {
            let since = self.since.load(Ordering::Relaxed);
            let wait = if since == 0 {
                limit_ms
            } else {
                let waited = self.now().saturating_sub(since);
                if waited >= limit_ms {
                    return;
                }
                limit_ms - waited
            };
            tokio::time::sleep(Duration::from_millis(wait.max(1))).await;
        }
    }
}

/// A stream whose pending writes are noted in a [`Stall`].
#[derive(Debug)]
pub struct Watched<S> {
    inner: S,
    stall: Stall,
}

impl<S> Watched<S> {
    /// Wrap `inner`.
    pub fn new(inner: S, stall: Stall) -> Watched<S> {
        Watched { inner, stall }
    }

    fn note<T>(&self, poll: Poll<T>) -> Poll<T> {
        if poll.is_pending() {
            self.stall.blocked();
        } else {
            self.stall.moved();
        }
        poll
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.note(poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.note(poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.note(poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
