//! The vocabulary of the host's tables, decided from bytes alone: link-layer
//! (MAC) addresses in the spellings people type, neighbour states, TCP states
//! with the names `ss`, `netstat` and Windows use, and the `socket:[INODE]`
//! link text of `/proc/PID/fd`.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// A 48-bit link-layer (MAC) address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MacAddr(pub [u8; 6]);

/// Why a MAC address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a MAC address: give six hex pairs, as 00-aa-00-62-c6-09, 00:aa:00:62:c6:09 or 00aa.0062.c609"
)]
pub struct MacError(pub String);

impl FromStr for MacAddr {
    type Err = MacError;

    /// Accepts `00-aa-00-62-c6-09` (Windows), `00:aa:00:62:c6:09` (Unix) and
    /// `00aa.0062.c609` (Cisco); one separator kind throughout.
    ///
    /// ```
    /// use ipkit_core::host::MacAddr;
    /// let m: MacAddr = "00-AA-00-62-C6-09".parse().unwrap();
    /// assert_eq!(m.to_string(), "00:aa:00:62:c6:09");
    /// assert_eq!(m, "00aa.0062.c609".parse().unwrap());
    /// assert!("00:aa-00:62:c6:09".parse::<MacAddr>().is_err());
    /// assert!("00:aa:00:62:c6".parse::<MacAddr>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<MacAddr, MacError> {
        let bad = || MacError(s.to_string());
        let hex = |t: &str| -> Option<Vec<u8>> {
            if t.is_empty()
                || !t.len().is_multiple_of(2)
                || !t.bytes().all(|b| b.is_ascii_hexdigit())
            {
                return None;
            }
            (0..t.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&t[i..i + 2], 16).ok())
                .collect()
        };
        let bytes: Vec<u8> = if s.contains('.') && !s.contains([':', '-']) {
            let parts: Vec<&str> = s.split('.').collect();
            if parts.len() != 3 || parts.iter().any(|p| p.len() != 4) {
                return Err(bad());
            }
            parts
                .iter()
                .map(|p| hex(p))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(bad)?
                .concat()
        } else {
            let sep = match (s.contains(':'), s.contains('-')) {
                (true, false) => ':',
                (false, true) => '-',
                _ => return Err(bad()),
            };
            let parts: Vec<&str> = s.split(sep).collect();
            if parts.len() != 6 || parts.iter().any(|p| p.is_empty() || p.len() > 2) {
                return Err(bad());
            }
            parts
                .iter()
                .map(|p| {
                    u8::from_str_radix(p, 16)
                        .ok()
                        .filter(|_| p.bytes().all(|b| b.is_ascii_hexdigit()))
                })
                .collect::<Option<Vec<_>>>()
                .ok_or_else(bad)?
        };
        let arr: [u8; 6] = bytes.try_into().map_err(|_| bad())?;
        Ok(MacAddr(arr))
    }
}

impl MacAddr {
    /// The Windows spelling, `00-aa-00-62-c6-09`, as `arp -a` and
    /// `ipconfig /all` print it.
    pub fn windows(&self) -> String {
        let b = self.0;
        format!(
            "{:02x}-{:02x}-{:02x}-{:02x}-{:02x}-{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }

    /// From the bytes of a netlink link-layer address, when it is 6 bytes.
    pub fn from_slice(b: &[u8]) -> Option<MacAddr> {
        b.try_into().ok().map(MacAddr)
    }

    /// Broadcast, multicast (group bit) and all-zero addresses cannot be a
    /// neighbour's.
    pub fn is_unicast(&self) -> bool {
        self.0[0] & 1 == 0 && self.0 != [0; 6]
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

impl Serialize for MacAddr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A TCP state as the kernel numbers them (`include/net/tcp_states.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpState {
    /// 1
    Established,
    /// 2
    SynSent,
    /// 3
    SynRecv,
    /// 4
    FinWait1,
    /// 5
    FinWait2,
    /// 6
    TimeWait,
    /// 7 (also an unconnected UDP socket)
    Close,
    /// 8
    CloseWait,
    /// 9
    LastAck,
    /// 10
    Listen,
    /// 11
    Closing,
    /// 12
    NewSynRecv,
}

/// Every state, in kernel order.
pub const TCP_STATES: [TcpState; 12] = [
    TcpState::Established,
    TcpState::SynSent,
    TcpState::SynRecv,
    TcpState::FinWait1,
    TcpState::FinWait2,
    TcpState::TimeWait,
    TcpState::Close,
    TcpState::CloseWait,
    TcpState::LastAck,
    TcpState::Listen,
    TcpState::Closing,
    TcpState::NewSynRecv,
];

impl TcpState {
    /// From the kernel's number.
    ///
    /// ```
    /// use ipkit_core::host::TcpState;
    /// assert_eq!(TcpState::from_kernel(10), Some(TcpState::Listen));
    /// assert_eq!(TcpState::from_kernel(0), None);
    /// ```
    pub fn from_kernel(n: u8) -> Option<TcpState> {
        TCP_STATES.get(usize::from(n).checked_sub(1)?).copied()
    }

    /// The kernel's number.
    pub fn kernel(self) -> u8 {
        // The array holds every state once, in kernel order from 1.
        TCP_STATES
            .iter()
            .position(|s| *s == self)
            .and_then(|i| u8::try_from(i + 1).ok())
            .unwrap_or(0)
    }

    /// The name netstat prints (`ESTABLISHED`, `LISTEN`, `TIME_WAIT` …).
    pub fn netstat_name(self) -> &'static str {
        match self {
            TcpState::Established => "ESTABLISHED",
            TcpState::SynSent => "SYN_SENT",
            TcpState::SynRecv | TcpState::NewSynRecv => "SYN_RECV",
            TcpState::FinWait1 => "FIN_WAIT1",
            TcpState::FinWait2 => "FIN_WAIT2",
            TcpState::TimeWait => "TIME_WAIT",
            TcpState::Close => "CLOSE",
            TcpState::CloseWait => "CLOSE_WAIT",
            TcpState::LastAck => "LAST_ACK",
            TcpState::Listen => "LISTEN",
            TcpState::Closing => "CLOSING",
        }
    }

    /// The name Windows `netstat -a` prints (`LISTENING`, `ESTABLISHED`,
    /// `TIME_WAIT`, `CLOSED` …).
    pub fn windows_name(self) -> &'static str {
        match self {
            TcpState::Listen => "LISTENING",
            TcpState::Close => "CLOSED",
            TcpState::SynRecv | TcpState::NewSynRecv => "SYN_RECEIVED",
            TcpState::FinWait1 => "FIN_WAIT_1",
            TcpState::FinWait2 => "FIN_WAIT_2",
            other => other.netstat_name(),
        }
    }

    /// Parse a state name as `ss`, netstat or Windows spell it, in any case,
    /// with `-` or `_` (`established`, `time-wait`, `LISTENING`, `syn-recv`).
    ///
    /// ```
    /// use ipkit_core::host::TcpState;
    /// assert_eq!(TcpState::from_name("time-wait"), Some(TcpState::TimeWait));
    /// assert_eq!(TcpState::from_name("LISTENING"), Some(TcpState::Listen));
    /// assert_eq!(TcpState::from_name("fin-wait-1"), Some(TcpState::FinWait1));
    /// ```
    pub fn from_name(name: &str) -> Option<TcpState> {
        let n: String = name
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        TCP_STATES.into_iter().find(|s| {
            let plain = |t: &str| t.replace('_', "");
            plain(s.netstat_name()) == n || plain(s.windows_name()) == n
        })
    }
}

impl fmt::Display for TcpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.netstat_name())
    }
}

/// The socket inode in a `/proc/PID/fd/N` link text, `socket:[12345]`.
///
/// ```
/// use ipkit_core::host::socket_inode;
/// assert_eq!(socket_inode(b"socket:[12345]"), Some(12345));
/// assert_eq!(socket_inode(b"pipe:[12345]"), None);
/// assert_eq!(socket_inode(b"socket:[]"), None);
/// ```
pub fn socket_inode(link: &[u8]) -> Option<u64> {
    let digits = link.strip_prefix(b"socket:[")?.strip_suffix(b"]")?;
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &b| {
        b.is_ascii_digit()
            .then(|| acc.checked_mul(10)?.checked_add(u64::from(b - b'0')))?
    })
}

/// One line of `/proc/net/{tcp,udp,raw}{,6}` (the kernel's text tables,
/// read only where sock_diag cannot answer, as for raw sockets on kernels
/// without `raw_diag`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcNetLine {
    /// Local address and port.
    pub local: std::net::SocketAddr,
    /// Remote address and port.
    pub remote: std::net::SocketAddr,
    /// Kernel state number.
    pub state: u8,
    /// Send queue.
    pub tx_queue: u32,
    /// Receive queue.
    pub rx_queue: u32,
    /// Owner uid.
    pub uid: u32,
    /// Socket inode.
    pub inode: u64,
}

fn proc_endpoint(text: &str) -> Option<std::net::SocketAddr> {
    let (addr, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    // Addresses are 32-bit words in host byte order, printed in hex.
    let word = |w: &str| u32::from_str_radix(w, 16).ok().map(u32::swap_bytes);
    let ip = match addr.len() {
        8 => std::net::IpAddr::V4(std::net::Ipv4Addr::from(word(addr)?)),
        32 => {
            let mut bytes = [0u8; 16];
            for (i, chunk) in bytes.chunks_exact_mut(4).enumerate() {
                chunk.copy_from_slice(&word(&addr[i * 8..i * 8 + 8])?.to_be_bytes());
            }
            std::net::IpAddr::V6(std::net::Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(std::net::SocketAddr::new(ip, port))
}

/// Parse one data line of a `/proc/net` socket table; None for the header
/// or anything malformed.
///
/// ```
/// use ipkit_core::host::parse_proc_net_line;
/// let l = parse_proc_net_line("   1: 0100007F:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242 2 0000000000000000 0").unwrap();
/// assert_eq!(l.local.to_string(), "127.0.0.1:1");
/// assert_eq!((l.state, l.inode), (7, 4242));
/// ```
pub fn parse_proc_net_line(line: &str) -> Option<ProcNetLine> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() < 10 || !f[0].ends_with(':') {
        return None;
    }
    let (tx, rx) = f[4].split_once(':')?;
    Some(ProcNetLine {
        local: proc_endpoint(f[1])?,
        remote: proc_endpoint(f[2])?,
        state: u8::from_str_radix(f[3], 16).ok()?,
        tx_queue: u32::from_str_radix(tx, 16).ok()?,
        rx_queue: u32::from_str_radix(rx, 16).ok()?,
        uid: f[7].parse().ok()?,
        inode: f[9].parse().ok()?,
    })
}

/// A neighbour (ARP/NDP) entry state, as the kernel's NUD_* bits name it.
///
/// ```
/// use ipkit_core::host::neighbour_state_names;
/// assert_eq!(neighbour_state_names(0x02), vec!["REACHABLE"]);
/// assert_eq!(neighbour_state_names(0x80), vec!["PERMANENT"]);
/// ```
pub fn neighbour_state_names(bits: u16) -> Vec<&'static str> {
    const NAMES: [(u16, &str); 8] = [
        (0x01, "INCOMPLETE"),
        (0x02, "REACHABLE"),
        (0x04, "STALE"),
        (0x08, "DELAY"),
        (0x10, "PROBE"),
        (0x20, "FAILED"),
        (0x40, "NOARP"),
        (0x80, "PERMANENT"),
    ];
    let names: Vec<&str> = NAMES
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| *n)
        .collect();
    if names.is_empty() {
        vec!["NONE"]
    } else {
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn mac_spellings_round_trip(b in any::<[u8; 6]>()) {
            let m = MacAddr(b);
            prop_assert_eq!(m.to_string().parse::<MacAddr>().unwrap(), m);
            prop_assert_eq!(m.windows().parse::<MacAddr>().unwrap(), m);
            prop_assert_eq!(m.to_string().to_uppercase().parse::<MacAddr>().unwrap(), m);
        }

        #[test]
        fn mac_parse_never_panics(s in "\\PC{0,24}") {
            let _ = s.parse::<MacAddr>();
        }

        #[test]
        fn socket_inode_reads_any_number(n in any::<u64>()) {
            prop_assert_eq!(socket_inode(format!("socket:[{n}]").as_bytes()), Some(n));
        }
    }

    #[test]
    fn bad_macs_are_refused() {
        for bad in [
            "",
            "00:aa:00:62:c6",
            "00:aa:00:62:c6:09:10",
            "00:aa:00:62:c6:0g",
            "00:aa:00:62:c6:+9",
            "00aa.0062.c6",
            "00:aa-00:62:c6:09",
            "000:aa:00:62:c6:09",
        ] {
            assert!(bad.parse::<MacAddr>().is_err(), "{bad}");
        }
        assert_eq!(
            "0:a:0:62:c6:9".parse::<MacAddr>().unwrap().to_string(),
            "00:0a:00:62:c6:09",
            "single digits, as ip and arp accept"
        );
    }

    #[test]
    fn proc_net_lines_in_both_families() {
        let v6 = parse_proc_net_line("  96: 00000000000000000000000001000000:003A 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2497831 2 000000004cb55631 0").unwrap();
        assert_eq!(v6.local.to_string(), "[::1]:58");
        assert_eq!(v6.inode, 2_497_831);
        let v4 = parse_proc_net_line("   0: 0A09000A:1F90 0209000A:C350 01 00000010:00000020 00:00000000 00000000  1000        0 77 1 0 20 4 30 10 -1").unwrap();
        assert_eq!(
            (v4.local.to_string(), v4.remote.to_string()),
            ("10.0.9.10:8080".into(), "10.0.9.2:50000".into())
        );
        assert_eq!(
            (v4.state, v4.tx_queue, v4.rx_queue, v4.uid),
            (1, 16, 32, 1000)
        );
        assert!(parse_proc_net_line("  sl  local_address rem_address   st tx_queue").is_none());
    }

    #[test]
    fn states_round_trip_through_every_spelling() {
        for s in TCP_STATES {
            assert_eq!(TcpState::from_kernel(s.kernel()), Some(s));
            if s != TcpState::NewSynRecv {
                assert_eq!(TcpState::from_name(s.netstat_name()), Some(s));
                assert_eq!(TcpState::from_name(s.windows_name()), Some(s));
            }
        }
    }
}
