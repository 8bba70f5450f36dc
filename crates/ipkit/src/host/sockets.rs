//! Sockets and the processes that hold them (`netstat -a -o`, `ss -tanp`).
//!
//! The OS lists sockets ([`SocketTable::dump`]) with the cheapest filter
//! it can apply itself (transport, family, TCP states); [`query`] applies the
//! rest (ports, addresses) and only then asks who holds the sockets that
//! remain ([`super::ProcessTable::holders`]), so a narrow question never pays
//! for a full descriptor scan — and a port question stops scanning as soon as
//! every matching socket has an owner. Names (services, hosts, users) are
//! looked up last, for the sockets that remain ([`super::names`]), so the
//! report ([`SocketRecord`], [`SocketSummary`]) is what both the tables and
//! the JSON show.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use ipkit_core::host::TcpState;
use serde::Serialize;

use super::HostError;
use super::inodes::{BuildInodeHasher, InodeSet, PendingInodes};
use super::names::{LookedUp, Name, ReverseNames, ServiceNames, UserNames};
use super::processes::{Owner, ProcessTable};

/// TCP, UDP or raw IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// Raw IP sockets (ping, traceroute, routing daemons); the "port" is the
    /// IP protocol number.
    Raw,
}

impl Transport {
    /// `tcp`, `udp` or `raw`, as ss's Netid column and the JSON spell it.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
            Transport::Raw => "raw",
        }
    }
}

/// A Unix-domain socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnixSocketEntry {
    /// `stream`, `dgram` or `seqpacket`.
    pub kind: &'static str,
    /// The state (LISTEN, ESTABLISHED, or CLOSE when unconnected).
    #[serde(serialize_with = "state_name")]
    pub state: TcpState,
    /// The bound path (`@name` for the abstract namespace), when bound.
    pub path: Option<String>,
    /// The peer's inode, when connected.
    pub peer: Option<u64>,
    /// Bytes (or, for listeners, connections) waiting to be read.
    pub recv_queue: u32,
    /// Bytes waiting to be sent (listeners: the backlog).
    pub send_queue: u32,
    /// The socket's inode.
    pub inode: u64,
    /// The processes holding it.
    pub owners: Vec<Owner>,
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
    /// `states` (bit `1 << kernel number`), in the kernel's order. With
    /// `port`, the OS may leave out sockets without it (the caller filters
    /// again, so an OS that cannot filter need not).
    fn dump(
        &self,
        transport: Transport,
        v6: bool,
        states: u32,
        port: Option<PortFilter>,
        each: &mut dyn FnMut(SocketEntry),
    ) -> Result<(), HostError>;

    /// Every Unix-domain socket.
    fn dump_unix(&self, each: &mut dyn FnMut(UnixSocketEntry)) -> Result<(), HostError>;
}

/// A port a dump may filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortFilter {
    /// The local port.
    Local(u16),
    /// The local or the remote port.
    Either(u16),
}

/// Which sockets to list.
#[derive(Debug, Clone, Default)]
pub struct SocketQuery {
    /// TCP sockets (when neither tcp nor udp is set, both).
    pub tcp: bool,
    /// UDP sockets.
    pub udp: bool,
    /// Raw sockets.
    pub raw: bool,
    /// Unix-domain sockets (listed apart: they have paths, not addresses).
    pub unix: bool,
    /// IPv4 only.
    pub v4_only: bool,
    /// IPv6 only.
    pub v6_only: bool,
    /// Listening sockets only: TCP in LISTEN, UDP and raw unconnected
    /// (overrides `states`).
    pub listening: bool,
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
    /// Name the ports' services (`/etc/services`).
    pub service_names: bool,
    /// Name the addresses' hosts (reverse lookups: may query DNS).
    pub host_names: bool,
}

/// One socket as a report shows it: the table's entry and the names of its
/// numbers, looked up when the report was built (the rows of one report
/// share one table of names, [`LookedUp`]).
#[derive(Debug, Clone)]
pub struct SocketRecord {
    /// The socket.
    pub socket: SocketEntry,
    /// None until named (an empty table per row would cost more than the row).
    names: Option<Arc<LookedUp>>,
}

impl SocketRecord {
    /// A socket without names.
    pub fn unnamed(socket: SocketEntry) -> SocketRecord {
        SocketRecord {
            socket,
            names: None,
        }
    }

    /// The name of `uid`, when the user database knows it.
    pub fn user(&self) -> Option<&str> {
        self.names.as_ref()?.user(self.socket.uid)
    }

    /// The local port's service name (when asked for and known).
    pub fn local_service(&self) -> Option<&str> {
        let s = &self.socket;
        self.names
            .as_ref()?
            .services
            .get(s.local.port(), s.transport)
    }

    /// The remote port's service name (when asked for and known).
    pub fn remote_service(&self) -> Option<&str> {
        let s = &self.socket;
        self.names
            .as_ref()?
            .services
            .get(s.remote.port(), s.transport)
    }

    /// The local address's host name (when asked for and it has one).
    pub fn local_host(&self) -> Option<&str> {
        self.names.as_ref()?.hosts.known(self.socket.local.ip())
    }

    /// The remote address's host name (when asked for and it has one).
    pub fn remote_host(&self) -> Option<&str> {
        self.names.as_ref()?.hosts.known(self.socket.remote.ip())
    }
}

/// The JSON of a [`SocketRecord`]: the entry's fields, then the names.
#[derive(Serialize)]
struct SocketRecordJson<'a> {
    #[serde(flatten)]
    socket: &'a SocketEntry,
    user: Option<&'a str>,
    local_service: Option<&'a str>,
    remote_service: Option<&'a str>,
    local_host: Option<&'a str>,
    remote_host: Option<&'a str>,
}

impl Serialize for SocketRecord {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        SocketRecordJson {
            socket: &self.socket,
            user: self.user(),
            local_service: self.local_service(),
            remote_service: self.remote_service(),
            local_host: self.local_host(),
            remote_host: self.remote_host(),
        }
        .serialize(ser)
    }
}

/// How many sockets a report listed: the last record of the JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SocketSummary {
    /// TCP, UDP and raw sockets listed.
    pub sockets: usize,
    /// Unix-domain sockets listed.
    pub unix: usize,
    /// Processes whose descriptors could not be read.
    pub unreadable_processes: usize,
}

/// What a query found.
#[derive(Debug, Clone, Default)]
pub struct SocketReport {
    /// The sockets, TCP before UDP, IPv4 before IPv6, in kernel order.
    pub sockets: Vec<SocketRecord>,
    /// Unix-domain sockets, when asked for.
    pub unix: Vec<UnixSocketEntry>,
    /// Processes whose descriptors could not be read (no permission): their
    /// sockets show no owner.
    pub unreadable_processes: usize,
}

impl SocketReport {
    /// The counts.
    pub fn summary(&self) -> SocketSummary {
        SocketSummary {
            sockets: self.sockets.len(),
            unix: self.unix.len(),
            unreadable_processes: self.unreadable_processes,
        }
    }

    /// Nothing matched.
    pub fn is_empty(&self) -> bool {
        self.sockets.is_empty() && self.unix.is_empty()
    }
}

impl SocketQuery {
    /// TCP and UDP unless some transport was named.
    fn transports(&self) -> Vec<Transport> {
        if !self.tcp && !self.udp && !self.raw {
            if self.unix {
                return Vec::new();
            }
            return vec![Transport::Tcp, Transport::Udp];
        }
        [
            (self.tcp, Transport::Tcp),
            (self.udp, Transport::Udp),
            (self.raw, Transport::Raw),
        ]
        .into_iter()
        .filter_map(|(on, t)| on.then_some(t))
        .collect()
    }

    /// Unix sockets are asked for by name, and have no ports or families.
    fn wants_unix(&self) -> bool {
        self.unix
            && self.port.is_none()
            && self.local_port.is_none()
            && !self.v4_only
            && !self.v6_only
    }

    fn families(&self) -> Vec<bool> {
        match (self.v4_only, self.v6_only) {
            (true, false) => vec![false],
            (false, true) => vec![true],
            _ => vec![false, true],
        }
    }

    /// The kernel state filter for one transport. Listening means LISTEN
    /// for TCP (and Unix streams) and unconnected (CLOSE) for the others.
    fn state_bits(&self, transport: Option<Transport>) -> u32 {
        if self.listening {
            let state = match transport {
                Some(Transport::Tcp) => TcpState::Listen,
                Some(_) => TcpState::Close,
                None => return (1 << TcpState::Listen.kernel()) | (1 << TcpState::Close.kernel()),
            };
            return 1 << state.kernel();
        }
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
///
/// When owners are wanted, the descriptor scan starts at once on its own
/// threads while the socket dump runs here; it holds at most
/// [`super::inodes::PENDING_WINDOW`] unfiltered descriptors per thread
/// until the dump says which inodes matter, so memory stays bounded by the
/// answer plus that window.
pub fn query(
    sockets: &dyn SocketTable,
    processes: &(dyn ProcessTable + Sync),
    q: &SocketQuery,
) -> Result<SocketReport, HostError> {
    // Records are made as the dump yields, and named in place at the end:
    // one vector of 100,000 entries, not two.
    let dump = || -> Result<(Vec<SocketRecord>, Vec<UnixSocketEntry>), HostError> {
        let mut found = Vec::new();
        for transport in q.transports() {
            for v6 in q.families() {
                let port = match (q.local_port, q.port) {
                    (Some(p), _) => Some(PortFilter::Local(p)),
                    (None, Some(p)) => Some(PortFilter::Either(p)),
                    (None, None) => None,
                };
                sockets.dump(
                    transport,
                    v6,
                    q.state_bits(Some(transport)),
                    port,
                    &mut |s| {
                        if q.keeps(&s) {
                            found.push(SocketRecord::unnamed(s));
                        }
                    },
                )?;
            }
        }
        let mut unix = Vec::new();
        if q.wants_unix() {
            let states = q.state_bits(None);
            sockets.dump_unix(&mut |u| {
                if states & (1 << u.state.kernel()) != 0 {
                    unix.push(u);
                }
            })?;
        }
        Ok((found, unix))
    };
    let mut report = SocketReport::default();
    if !q.owners && !q.by_process() {
        let (mut found, unix) = dump()?;
        name(q, &mut found, UserNames::new(processes));
        report.sockets = found;
        report.unix = unix;
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
    // A port is a narrow question: stop once every socket found has an
    // owner. A full listing must see every holder.
    let narrow = q.port.is_some() || q.local_port.is_some();
    let pending = PendingInodes::default();
    let (found, (holders, unreadable)) = std::thread::scope(|scope| {
        let scan = scope.spawn(|| processes.holders(&pids, &pending, narrow));
        // Should the dump panic, still release the scanners waiting for the
        // set (a later `set` is ignored, so the normal path is unaffected).
        struct Release<'a>(&'a PendingInodes);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.0.set(InodeSet::default());
            }
        }
        let _release = Release(&pending);
        let found = dump();
        let wanted: InodeSet = match &found {
            Ok((list, unix)) => list
                .iter()
                .map(|s| s.socket.inode)
                .chain(unix.iter().map(|u| u.inode))
                .filter(|&i| i != 0)
                .collect(),
            Err(_) => InodeSet::default(),
        };
        pending.set(wanted);
        let scanned = scan.join().unwrap_or_default();
        (found, scanned)
    });
    let (mut found, mut unix) = found?;
    report.unreadable_processes = unreadable;
    // Socket inodes are unique: index the sockets by inode once (Unix
    // sockets after the others).
    let index: HashMap<u64, usize, BuildInodeHasher> = found
        .iter()
        .map(|s| s.socket.inode)
        .chain(unix.iter().map(|u| u.inode))
        .enumerate()
        .filter(|(_, inode)| *inode != 0)
        .map(|(i, inode)| (inode, i))
        .collect();
    let inet_count = found.len();
    let mut infos: HashMap<u32, Option<(Name, u32, Option<Name>)>> = HashMap::new();
    let mut users = UserNames::new(processes);
    for h in holders {
        let Some(&i) = index.get(&h.inode) else {
            continue;
        };
        let entry = infos.entry(h.pid).or_insert_with(|| {
            let info = processes.info(h.pid)?;
            let user = users.get(info.uid);
            Some((Name::from(info.name), info.uid, user))
        });
        let Some((name, uid, user)) = entry else {
            continue;
        };
        let owner = Owner {
            pid: h.pid,
            fd: h.fd,
            name: name.clone(),
            uid: *uid,
            user: user.clone(),
        };
        match found.get_mut(i) {
            Some(s) => s.socket.owners.push(owner),
            None => unix[i - inet_count].owners.push(owner),
        }
    }
    if q.by_process() {
        found.retain(|s| !s.socket.owners.is_empty());
        unix.retain(|u| !u.owners.is_empty());
    }
    name(q, &mut found, users);
    report.sockets = found;
    report.unix = unix;
    Ok(report)
}

/// Give the sockets the names `q` asks for: each looked up once, into one
/// table the records share.
fn name(q: &SocketQuery, found: &mut [SocketRecord], mut users: UserNames<'_>) {
    let services = if q.service_names {
        ServiceNames::load()
    } else {
        ServiceNames::default()
    };
    let mut hosts = ReverseNames::default();
    for r in found.iter() {
        let s = &r.socket;
        users.get(s.uid);
        if q.host_names {
            hosts.get(s.local.ip());
            hosts.get(s.remote.ip());
        }
    }
    let names = Arc::new(LookedUp {
        services,
        hosts,
        users: users.into_known(),
    });
    for r in found {
        r.names = Some(names.clone());
    }
}
