//! Platform calls, one module per OS, re-exported under the same names so the
//! engines never see `cfg`. An OS without an implementation gets functions
//! that answer "not available" rather than panicking.

#[cfg(all(unix, not(ipkit_unsupported)))]
mod unix;
#[cfg(all(unix, not(ipkit_unsupported)))]
pub use unix::*;

#[cfg(all(target_os = "linux", not(ipkit_unsupported)))]
mod linux;
#[cfg(all(target_os = "linux", not(ipkit_unsupported)))]
pub use linux::*;

#[cfg(any(not(target_os = "linux"), ipkit_unsupported, test))]
mod batch_portable;
#[cfg(any(not(target_os = "linux"), ipkit_unsupported))]
pub use batch_portable::BatchSocket;

#[cfg(any(not(unix), ipkit_unsupported))]
mod unsupported;
#[cfg(any(not(unix), ipkit_unsupported))]
pub use unsupported::*;
#[cfg(any(not(target_os = "linux"), ipkit_unsupported))]
mod unported;
#[cfg(any(not(target_os = "linux"), ipkit_unsupported))]
pub use unported::*;

/// Bind `sock` to the interface `ifname` (SO_BINDTODEVICE on Linux), the
/// error saying which interface and, for EPERM/ENODEV, what was wrong
/// ([`crate::sockopt::bind_to_interface`] is the engines' name for it).
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(ipkit_unsupported)
))]
pub fn bind_device(
    sock: &socket2::Socket,
    ifname: &str,
) -> Result<(), crate::sockopt::BindInterfaceError> {
    use crate::sockopt::BindInterfaceError;
    sock.bind_device(Some(ifname.as_bytes())).map_err(|os| {
        let ifname = ifname.to_string();
        match os.raw_os_error() {
            Some(libc::EPERM) => BindInterfaceError::not_permitted(&ifname, os),
            Some(libc::ENODEV) => BindInterfaceError::NoSuchInterface { ifname, os },
            _ => BindInterfaceError::Os { ifname, os },
        }
    })
}

/// Binding to an interface is Linux's; elsewhere say so (use a source address).
#[cfg(any(
    not(any(target_os = "linux", target_os = "android")),
    ipkit_unsupported
))]
pub fn bind_device(
    _sock: &socket2::Socket,
    ifname: &str,
) -> Result<(), crate::sockopt::BindInterfaceError> {
    Err(crate::sockopt::BindInterfaceError::Unsupported {
        ifname: ifname.to_string(),
    })
}

/// Timeouts and interruptions: nothing arrived (or could go) yet.
pub(crate) fn is_quiet(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock
            | std::io::ErrorKind::TimedOut
            | std::io::ErrorKind::Interrupted
    )
}

#[cfg(test)]
mod tests {
    use std::net::UdpSocket;
    use std::time::{Duration, Instant};

    use crate::batch::BatchDatagrams;

    /// Both batch sockets against a real echo peer on loopback: every
    /// datagram goes, comes back whole and in order, waits end in time.
    macro_rules! batch_socket_echoes {
        ($test:ident, $socket:path) => {
            #[test]
            fn $test() {
                let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
                peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let local = UdpSocket::bind("127.0.0.1:0").unwrap();
                local.connect(peer.local_addr().unwrap()).unwrap();
                let mut sock = <$socket>::new(local).unwrap();
                let mut bufs = vec![vec![0u8; 2048]; 64];
                let mut lens = vec![0usize; 64];
                // Nothing queued: no wait returns at once, a wait ends in time.
                assert_eq!(sock.recv(&mut bufs, &mut lens, None).unwrap(), 0);
                let t = Instant::now();
                let got = sock.recv(&mut bufs, &mut lens, Some(Duration::from_millis(20)));
                assert_eq!(got.unwrap(), 0);
                assert!(t.elapsed() < Duration::from_secs(2));

                let out: Vec<Vec<u8>> = (0..100u8).map(|i| vec![i; 1 + usize::from(i)]).collect();
                let datagrams: Vec<&[u8]> = out.iter().map(|d| &d[..]).collect();
                let mut went = 0;
                while went < datagrams.len() {
                    let end = (went + 64).min(datagrams.len());
                    went += sock.send(&datagrams[went..end]).unwrap();
                }
                let mut buf = [0u8; 2048];
                for _ in 0..100 {
                    let (n, from) = peer.recv_from(&mut buf).unwrap();
                    peer.send_to(&buf[..n], from).unwrap();
                }
                let mut back = Vec::new();
                while back.len() < 100 {
                    let n = sock
                        .recv(&mut bufs, &mut lens, Some(Duration::from_secs(5)))
                        .unwrap();
                    assert!(n > 0, "an echo was lost");
                    back.extend((0..n).map(|i| bufs[i][..lens[i]].to_vec()));
                }
                assert_eq!(back, out);
            }
        };
    }

    #[cfg(all(target_os = "linux", not(ipkit_unsupported)))]
    batch_socket_echoes!(mmsg_batch_socket_echoes, super::linux::BatchSocket);
    batch_socket_echoes!(
        portable_batch_socket_echoes,
        super::batch_portable::BatchSocket
    );
}
