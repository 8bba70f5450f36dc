//! Sockets and the processes that hold them (`netstat -a -o`, `ss -tanp`).
//!
//! The OS lists sockets ([`SocketTable::dump`]) with the cheapest filter
//! it can apply itself (transport, family, TCP states); [`query`] applies the
//! rest (ports, addresses) and only then asks who holds the sockets that
//! remain ([`super::ProcessTable::holders`]), so a narrow question never pays
//! for a full descriptor scan — and a port question stops scanning as soon as
//! every matching socket has an owner.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

use ipkit_core::host::TcpState;
use serde::Serialize;

use super::HostError;
use super::processes::{Owner, ProcessTable};

/// TCP or UDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// One socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SocketEntry {
    /// TCP or UDP.
    pub transport: Transport,
    /// Local address and port.
    pub local: SocketAddr,
    /// Remote address and port (unspecified for listeners).
    pub remote: SocketAddr,
    /// The state (UDP: ESTABLISHED when connected, else CLOSE).
    #[serde(serialize_with = "state_name")]
    pub state: TcpState,
    /// Bytes waiting to be read (listeners: connections waiting for accept).
    pub recv_queue: u32,
    /// Bytes not yet acknowledged (listeners: the backlog).
    pub send_queue: u32,
    /// The user id that created the socket.
    pub uid: u32,
    /// The socket's inode (0 for sockets no process holds, e.g. TIME_WAIT).
    pub inode: u64,
    /// The interface the socket is bound to (0: any).
    pub interface: u32,
    /// The processes holding it (empty unless owners were asked for).
    pub owners: Vec<Owner>,
}

fn state_name<S: serde::Serializer>(s: &TcpState, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.netstat_name())
}

/// Reading the kernel's socket tables.
pub trait SocketTable {
    /// Every socket of `transport`, family (`v6`), and a state among
    /// `states` (bit `1 << kernel number`), in the kernel's order.
    fn dump(
        &self,
        transport: Transport,
        v6: bool,
        states: u32,
        each: &mut dyn FnMut(SocketEntry),
    ) -> Result<(), HostError>;
}

/// Which sockets to list.
#[derive(Debug, Clone, Default)]
pub struct SocketQuery {
    /// TCP sockets (when neither tcp nor udp is set, both).
    pub tcp: bool,
    /// UDP sockets.
    pub udp: bool,
    /// IPv4 only.
    pub v4_only: bool,
    /// IPv6 only.
    pub v6_only: bool,
    /// These TCP states only (None: all). UDP sockets are CLOSE (unconnected)
    /// or ESTABLISHED (connected).
    pub states: Option<Vec<TcpState>>,
    /// Local or remote port.
    pub port: Option<u16>,
    /// Local port only.
    pub local_port: Option<u16>,
    /// Held by this process.
    pub pid: Option<u32>,
    /// Held by a process of this name (`/proc/PID/comm`, exact).
    pub process: Option<String>,
    /// Find the owning processes.
    pub owners: bool,
}

/// What a query found.
#[derive(Debug, Clone, Default)]
pub struct SocketReport {
    /// The sockets, TCP before UDP, IPv4 before IPv6, in kernel order.
    pub sockets: Vec<SocketEntry>,
    /// Processes whose descriptors could not be read (no permission): their
    /// sockets show no owner.
    pub unreadable_processes: usize,
}

impl SocketQuery {
    fn transports(&self) -> Vec<Transport> {
        match (self.tcp, self.udp) {
            (true, false) => vec![Transport::Tcp],
            (false, true) => vec![Transport::Udp],
            _ => vec![Transport::Tcp, Transport::Udp],
        }
    }

    fn families(&self) -> Vec<bool> {
        match (self.v4_only, self.v6_only) {
            (true, false) => vec![false],
            (false, true) => vec![true],
            _ => vec![false, true],
        }
    }

    fn state_bits(&self) -> u32 {
        match &self.states {
            None => u32::MAX,
            Some(list) => list.iter().fold(0, |b, s| b | (1 << s.kernel())),
        }
    }

    fn keeps(&self, s: &SocketEntry) -> bool {
        self.port
            .is_none_or(|p| s.local.port() == p || s.remote.port() == p)
            && self.local_port.is_none_or(|p| s.local.port() == p)
    }

    /// Must the answer be limited to sockets some process holds?
    fn by_process(&self) -> bool {
        self.pid.is_some() || self.process.is_some()
    }
}

/// Run a query against this OS's tables.
pub fn query(
    sockets: &dyn SocketTable,
    processes: &dyn ProcessTable,
    q: &SocketQuery,
) -> Result<SocketReport, HostError> {
    let mut found = Vec::new();
    for transport in q.transports() {
        for v6 in q.families() {
            sockets.dump(transport, v6, q.state_bits(), &mut |s| {
                if q.keeps(&s) {
                    found.push(s);
                }
            })?;
        }
    }
    let mut report = SocketReport::default();
    if !q.owners && !q.by_process() {
        report.sockets = found;
        return Ok(report);
    }
    // Which processes to look into: one, those of one name, or all.
    let pids: Vec<u32> = match (&q.pid, &q.process) {
        (Some(pid), _) => vec![*pid],
        (None, Some(name)) => processes
            .pids()?
            .into_iter()
            .filter(|&p| processes.info(p).is_some_and(|i| &i.name == name))
            .collect(),
        (None, None) => processes.pids()?,
    };
    let wanted: HashSet<u64> = found.iter().map(|s| s.inode).filter(|&i| i != 0).collect();
    // A port (or one process) is a narrow question: stop once every socket
    // found has an owner. A full listing must see every holder.
    let narrow = q.port.is_some() || q.local_port.is_some();
    let (holders, unreadable) = processes.holders(&pids, &wanted, narrow);
    report.unreadable_processes = unreadable;
    let mut by_inode: HashMap<u64, Vec<Owner>> = HashMap::new();
    let mut names: HashMap<u32, Option<super::processes::ProcessInfo>> = HashMap::new();
    let mut users: HashMap<u32, Option<String>> = HashMap::new();
    for h in holders {
        let info = names
            .entry(h.pid)
            .or_insert_with(|| processes.info(h.pid))
            .clone();
        let Some(info) = info else { continue };
        let user = users
            .entry(info.uid)
            .or_insert_with(|| processes.user_name(info.uid))
            .clone();
        by_inode.entry(h.inode).or_default().push(Owner {
            pid: h.pid,
            fd: h.fd,
            name: info.name,
            uid: info.uid,
            user,
        });
    }
    for mut s in found {
        if let Some(owners) = by_inode.remove(&s.inode) {
            s.owners = owners;
        } else if q.by_process() {
            continue;
        }
        report.sockets.push(s);
    }
    Ok(report)
}
