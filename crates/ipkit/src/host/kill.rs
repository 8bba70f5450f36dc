//! Ending the processes that hold a port, have a name, or are one process
//! id (`fuser -k PORT/tcp`, `taskkill /F /PID`): the [`KillRequest`], the
//! [`select`]ion of processes with each one's [`Refusal`] decided before
//! anything is sent, and the [`KillRecord`] of what happened to each. Asking
//! the user, and wording the answer, are the program's.

use std::time::Duration;

use serde::Serialize;

use super::HostError;
use super::processes::{KillOutcome, ProcessTable, Refusal, refusal, terminate};
use super::sockets::{SocketQuery, SocketTable, query};

/// Which processes to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KillTarget {
    /// This process.
    Pid(u32),
    /// Every process with this name, as `/proc/PID/comm` holds it.
    Name(String),
    /// The processes holding this local port.
    Port {
        /// The port.
        port: u16,
        /// TCP only.
        tcp: bool,
        /// UDP only.
        udp: bool,
    },
}

impl KillTarget {
    /// Processes called `name`; a Windows image name's `.exe` is dropped
    /// (`taskkill /IM nginx.exe`).
    pub fn named(name: &str) -> KillTarget {
        KillTarget::Name(name.strip_suffix(".exe").unwrap_or(name).to_string())
    }
}

/// What to end and how.
#[derive(Debug, Clone, PartialEq)]
pub struct KillRequest {
    /// The processes.
    pub target: KillTarget,
    /// How long to wait after SIGTERM.
    pub grace: Duration,
    /// Send SIGKILL to processes still running after the grace period.
    pub force: bool,
}

/// A request that cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum KillRequestError {
    /// The grace period is outside 0 to 3600 seconds (or not a number).
    #[error("the grace period takes 0 to 3600 seconds")]
    Grace,
}

impl KillRequest {
    /// Check the grace period (0 to 3600 seconds).
    pub fn new(
        target: KillTarget,
        grace_seconds: f64,
        force: bool,
    ) -> Result<KillRequest, KillRequestError> {
        if !(0.0..=3600.0).contains(&grace_seconds) {
            return Err(KillRequestError::Grace);
        }
        Ok(KillRequest {
            target,
            grace: Duration::from_secs_f64(grace_seconds),
            force,
        })
    }
}

/// One process a request selected, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KillRecord {
    /// Process id.
    pub pid: u32,
    /// Its short name, when it could be read.
    pub name: Option<String>,
    /// Its user's name, when known.
    pub user: Option<String>,
    /// What it holds that matched (`address:port/tcp`).
    pub ports: Vec<String>,
    /// How the kill ended (None: refused, or not sent yet).
    pub outcome: Option<KillOutcome>,
    /// Why it is not signalled.
    #[serde(serialize_with = "refusal_text")]
    pub refused: Option<Refusal>,
}

fn refusal_text<S: serde::Serializer>(r: &Option<Refusal>, ser: S) -> Result<S::Ok, S::Error> {
    match r {
        Some(r) => ser.serialize_str(r.text()),
        None => ser.serialize_none(),
    }
}

/// Why a request selected no process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NothingToKill {
    /// No process this user may see has the name.
    NoProcessNamed(String),
    /// No socket uses the local port.
    PortUnused(u16),
    /// Sockets use the port, but no process this user may read holds them
    /// (some processes could not be read).
    PortHeldUnseen {
        /// The port.
        port: u16,
        /// Sockets on it without an owner.
        sockets: usize,
    },
    /// Sockets use the port, but no process holds them (TIME_WAIT).
    PortHeldByNone {
        /// The port.
        port: u16,
        /// Sockets on it without an owner.
        sockets: usize,
    },
}

/// The processes a request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// These, each with its refusal decided.
    Processes(Vec<KillRecord>),
    /// None, and why.
    Nothing(NothingToKill),
}

/// The processes `target` names, each with what it holds and, when it may
/// not be killed, why — nothing is signalled yet.
pub fn select(
    sockets: &dyn SocketTable,
    processes: &(dyn ProcessTable + Sync),
    target: &KillTarget,
) -> Result<Selection, HostError> {
    // (pid, what it holds)
    let mut targets: Vec<(u32, Vec<String>)> = Vec::new();
    match target {
        KillTarget::Pid(pid) => targets.push((*pid, Vec::new())),
        KillTarget::Name(wanted) => {
            let own = processes.own_pid();
            for pid in processes.pids()? {
                if pid != own && processes.info(pid).is_some_and(|i| &i.name == wanted) {
                    targets.push((pid, Vec::new()));
                }
            }
            if targets.is_empty() {
                return Ok(Selection::Nothing(NothingToKill::NoProcessNamed(
                    wanted.clone(),
                )));
            }
        }
        KillTarget::Port { port, tcp, udp } => {
            let q = SocketQuery {
                tcp: *tcp,
                udp: *udp,
                local_port: Some(*port),
                owners: true,
                ..SocketQuery::default()
            };
            let report = query(sockets, processes, &q)?;
            let mut held_by_none = 0;
            for s in report.sockets.iter().map(|r| &r.socket) {
                if s.owners.is_empty() {
                    held_by_none += 1;
                }
                for o in &s.owners {
                    let what = format!("{}/{}", s.local, s.transport.name());
                    match targets.iter_mut().find(|(p, _)| *p == o.pid) {
                        Some((_, list)) => {
                            if !list.contains(&what) {
                                list.push(what);
                            }
                        }
                        None => targets.push((o.pid, vec![what])),
                    }
                }
            }
            if targets.is_empty() {
                let (port, sockets) = (*port, held_by_none);
                return Ok(Selection::Nothing(if report.sockets.is_empty() {
                    NothingToKill::PortUnused(port)
                } else if report.unreadable_processes > 0 {
                    NothingToKill::PortHeldUnseen { port, sockets }
                } else {
                    NothingToKill::PortHeldByNone { port, sockets }
                }));
            }
        }
    }
    Ok(Selection::Processes(
        targets
            .into_iter()
            .map(|(pid, ports)| {
                let info = processes.info(pid);
                KillRecord {
                    pid,
                    user: info.as_ref().and_then(|i| processes.user_name(i.uid)),
                    name: info.map(|i| i.name),
                    ports,
                    outcome: None,
                    refused: refusal(processes, pid),
                }
            })
            .collect(),
    ))
}

/// End the processes of `records` that were not refused, as `request`
/// says, recording each outcome. Returns whether every one ended.
pub fn run(
    processes: &dyn ProcessTable,
    request: &KillRequest,
    records: &mut [KillRecord],
) -> Result<bool, HostError> {
    let mut all_ended = true;
    for r in records.iter_mut().filter(|r| r.refused.is_none()) {
        let outcome = terminate(processes, r.pid, request.grace, request.force)?;
        all_ended &= outcome != KillOutcome::StillRunning;
        r.outcome = Some(outcome);
    }
    Ok(all_ended)
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use ipkit_core::host::TcpState;

    use super::*;
    use crate::host::inodes::PendingInodes;
    use crate::host::processes::{Holder, ProcessInfo, Signal, SignalError};
    use crate::host::sockets::{PortFilter, SocketEntry, Transport, UnixSocketEntry};

    /// One TIME_WAIT socket on port 5150 (no process holds it), a listener
    /// on 8080 held by pid 40 (`web`), and pid 41 (`web` too).
    struct Fake;

    fn socket(port: u16, state: TcpState, inode: u64) -> SocketEntry {
        SocketEntry {
            transport: Transport::Tcp,
            local: SocketAddr::from(([127, 0, 0, 1], port)),
            remote: SocketAddr::from(([0, 0, 0, 0], 0)),
            state,
            recv_queue: 0,
            send_queue: 0,
            uid: 0,
            inode,
            interface: 0,
            owners: Vec::new(),
        }
    }

    impl SocketTable for Fake {
        fn dump(
            &self,
            transport: Transport,
            v6: bool,
            _: u32,
            _: Option<PortFilter>,
            each: &mut dyn FnMut(SocketEntry),
        ) -> Result<(), HostError> {
            if transport == Transport::Tcp && !v6 {
                each(socket(5150, TcpState::TimeWait, 0));
                each(socket(8080, TcpState::Listen, 77));
            }
            Ok(())
        }
        fn dump_unix(&self, _: &mut dyn FnMut(UnixSocketEntry)) -> Result<(), HostError> {
            Ok(())
        }
    }

    impl ProcessTable for Fake {
        fn pids(&self) -> Result<Vec<u32>, HostError> {
            Ok(vec![1, 40, 41])
        }
        fn holders(&self, _: &[u32], _: &PendingInodes, _: bool) -> (Vec<Holder>, usize) {
            let h = Holder {
                inode: 77,
                pid: 40,
                fd: 3,
            };
            (vec![h], 0)
        }
        fn info(&self, pid: u32) -> Option<ProcessInfo> {
            let name = if pid == 1 { "init" } else { "web" };
            Some(ProcessInfo {
                name: name.into(),
                uid: 0,
                kernel_thread: false,
            })
        }
        fn user_name(&self, _: u32) -> Option<String> {
            Some("root".into())
        }
        fn signal(&self, _: u32, _: Signal) -> Result<(), SignalError> {
            Ok(())
        }
        fn is_running(&self, _: u32) -> bool {
            false
        }
        fn own_pid(&self) -> u32 {
            41
        }
    }

    fn port(port: u16) -> KillTarget {
        KillTarget::Port {
            port,
            tcp: false,
            udp: false,
        }
    }

    #[test]
    fn the_grace_period_is_checked() {
        for ok in [0.0, 3.0, 3600.0] {
            assert!(KillRequest::new(KillTarget::Pid(9), ok, false).is_ok());
        }
        for bad in [-1.0, 3600.5, f64::NAN] {
            let e = KillRequest::new(KillTarget::Pid(9), bad, false);
            assert_eq!(e, Err(KillRequestError::Grace), "{bad}");
        }
    }

    #[test]
    fn a_port_selects_its_holders_and_says_why_when_none() {
        let Selection::Processes(found) = select(&Fake, &Fake, &port(8080)).unwrap() else {
            panic!("pid 40 holds 8080");
        };
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].pid, found[0].name.as_deref()), (40, Some("web")));
        assert_eq!(found[0].ports, ["127.0.0.1:8080/tcp"]);
        assert_eq!(found[0].refused, None);
        assert_eq!(
            select(&Fake, &Fake, &port(5150)).unwrap(),
            Selection::Nothing(NothingToKill::PortHeldByNone {
                port: 5150,
                sockets: 1
            })
        );
        assert_eq!(
            select(&Fake, &Fake, &port(9)).unwrap(),
            Selection::Nothing(NothingToKill::PortUnused(9))
        );
    }

    #[test]
    fn a_name_leaves_out_ipkit_itself_and_pid_1_is_refused() {
        let Selection::Processes(found) =
            select(&Fake, &Fake, &KillTarget::named("web.exe")).unwrap()
        else {
            panic!("pid 40 is called web");
        };
        assert_eq!(found.iter().map(|r| r.pid).collect::<Vec<_>>(), [40]);
        let Selection::Processes(init) = select(&Fake, &Fake, &KillTarget::Pid(1)).unwrap() else {
            panic!("a pid is always selected");
        };
        assert_eq!(init[0].refused, Some(Refusal::Init));
        assert_eq!(
            select(&Fake, &Fake, &KillTarget::named("nginx")).unwrap(),
            Selection::Nothing(NothingToKill::NoProcessNamed("nginx".into()))
        );
    }
}
