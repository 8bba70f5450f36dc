//! [`BatchSocket`] where the OS has no `sendmmsg`/`recvmmsg` (everything
//! but Linux): the same interface over one `send`/`recv` per datagram, the
//! socket switched between blocking (to wait, with a read timeout) and
//! non-blocking (to drain) only when the mode must change. Also compiled
//! into Linux test builds, so its tests run there.

use std::io;
use std::net::UdpSocket;
use std::time::Duration;

/// A connected UDP socket that sends and receives datagrams in batches,
/// one system call per datagram here.
#[derive(Debug)]
pub struct BatchSocket {
    sock: UdpSocket,
    nonblocking: bool,
    read_timeout: Option<Duration>,
}

impl BatchSocket {
    /// Take over a connected UDP socket.
    pub fn new(sock: UdpSocket) -> io::Result<BatchSocket> {
        sock.set_nonblocking(true)?;
        Ok(BatchSocket {
            sock,
            nonblocking: true,
            read_timeout: None,
        })
    }

    fn set_nonblocking(&mut self, on: bool) -> io::Result<()> {
        if self.nonblocking != on {
            self.sock.set_nonblocking(on)?;
            self.nonblocking = on;
        }
        Ok(())
    }
}

impl crate::batch::BatchDatagrams for BatchSocket {
    fn send(&mut self, datagrams: &[&[u8]]) -> io::Result<usize> {
        self.set_nonblocking(true)?;
        for (went, d) in datagrams.iter().enumerate() {
            match self.sock.send(d) {
                Ok(_) => {}
                Err(e) if went == 0 && !super::is_quiet(&e) => return Err(e),
                Err(_) => return Ok(went),
            }
        }
        Ok(datagrams.len())
    }

    fn recv(
        &mut self,
        bufs: &mut [Vec<u8>],
        lens: &mut [usize],
        wait: Option<Duration>,
    ) -> io::Result<usize> {
        let count = bufs.len().min(lens.len());
        let mut got = 0;
        if let Some(w) = wait.filter(|_| count > 0) {
            let w = Some(w.max(Duration::from_micros(1)));
            self.set_nonblocking(false)?;
            if self.read_timeout != w {
                self.sock.set_read_timeout(w)?;
                self.read_timeout = w;
            }
            match self.sock.recv(&mut bufs[0]) {
                Ok(n) => {
                    lens[0] = n;
                    got = 1;
                }
                Err(e) if super::is_quiet(&e) => return Ok(0),
                Err(e) => return Err(e),
            }
        }
        self.set_nonblocking(true)?;
        while got < count {
            match self.sock.recv(&mut bufs[got]) {
                Ok(n) => {
                    lens[got] = n;
                    got += 1;
                }
                Err(e) if got == 0 && !super::is_quiet(&e) => return Err(e),
                Err(_) => break,
            }
        }
        Ok(got)
    }
}
