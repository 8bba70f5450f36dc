//! Processes: who holds a socket, what they are called, and ending them
//! (`taskkill /F /PID`, `fuser -k`), with the refusals a careful tool needs —
//! never PID 1, never itself, never a kernel thread.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::HostError;
use super::inodes::PendingInodes;
use crate::privilege::{Capability, Needs};

/// A process holding a socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Owner {
    /// Process id.
    pub pid: u32,
    /// The descriptor number.
    pub fd: u32,
    /// Its short name (shared by all of the process's sockets).
    pub name: std::sync::Arc<str>,
    /// Its real user id.
    pub uid: u32,
    /// That user's name, when the user database knows it.
    pub user: Option<std::sync::Arc<str>>,
}

/// What the OS says about a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    /// Short name.
    pub name: String,
    /// Real user id.
    pub uid: u32,
    /// A kernel thread.
    pub kernel_thread: bool,
}

/// One descriptor referring to a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder {
    /// Socket inode.
    pub inode: u64,
    /// Process id.
    pub pid: u32,
    /// Descriptor.
    pub fd: u32,
}

/// The process table.
pub trait ProcessTable {
    /// Every process id.
    fn pids(&self) -> Result<Vec<u32>, HostError>;
    /// Descriptors among `pids` that refer to the sockets `wanted` will
    /// name (it may be set while the scan runs); with `stop_when_found`, the
    /// scan may end once each has one holder. Also returns how many
    /// processes could not be read.
    fn holders(
        &self,
        pids: &[u32],
        wanted: &PendingInodes,
        stop_when_found: bool,
    ) -> (Vec<Holder>, usize);
    /// Name, owner and kind of a process; None when it is gone.
    fn info(&self, pid: u32) -> Option<ProcessInfo>;
    /// The name of a user id.
    fn user_name(&self, uid: u32) -> Option<String>;
    /// Send a signal ([`Signal::Check`]: only check permission).
    fn signal(&self, pid: u32, signal: Signal) -> Result<(), SignalError>;
    /// Is the process still running?
    fn is_running(&self, pid: u32) -> bool;
    /// This process's id.
    fn own_pid(&self) -> u32;
}

/// The signals `ipkit kill` sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Only check that the process may be signalled.
    Check,
    /// SIGTERM: ask it to end.
    Terminate,
    /// SIGKILL: end it.
    Kill,
}

/// Why a signal was not sent, as the OS classified its error.
#[derive(Debug)]
pub enum SignalError {
    /// No such process (it has exited).
    Gone(std::io::Error),
    /// This process may not signal it.
    NotPermitted(std::io::Error),
    /// Anything else.
    Failed(std::io::Error),
}

impl SignalError {
    /// The OS's error.
    pub fn into_io(self) -> std::io::Error {
        match self {
            SignalError::Gone(e) | SignalError::NotPermitted(e) | SignalError::Failed(e) => e,
        }
    }
}

/// Why a process may not be killed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// PID 1, the init of its namespace: killing it ends the system or container.
    Init,
    /// ipkit itself.
    Itself,
    /// A kernel thread.
    KernelThread,
    /// The process is gone.
    Gone,
    /// No permission to signal it.
    NotPermitted,
}

impl Refusal {
    /// A sentence for the user.
    pub fn text(&self) -> &'static str {
        match self {
            Refusal::Init => {
                "it is PID 1 (init): killing it would take down the system or container"
            }
            Refusal::Itself => "it is ipkit itself",
            Refusal::KernelThread => "it is a kernel thread",
            Refusal::Gone => "it has already exited",
            Refusal::NotPermitted => {
                "this user may not signal it (run as its owner or root; CAP_KILL)"
            }
        }
    }
}

/// May `pid` be killed by this process? None when it may.
pub fn refusal(table: &dyn ProcessTable, pid: u32) -> Option<Refusal> {
    if pid == 1 {
        return Some(Refusal::Init);
    }
    if pid == table.own_pid() {
        return Some(Refusal::Itself);
    }
    let Some(info) = table.info(pid) else {
        return Some(Refusal::Gone);
    };
    if info.kernel_thread {
        return Some(Refusal::KernelThread);
    }
    match table.signal(pid, Signal::Check) {
        Ok(()) => None,
        Err(SignalError::Gone(_)) => Some(Refusal::Gone),
        Err(_) => Some(Refusal::NotPermitted),
    }
}

/// How a kill ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KillOutcome {
    /// It exited after SIGTERM.
    Terminated,
    /// It ignored SIGTERM for the grace period and was sent SIGKILL.
    Killed,
    /// It was still running when the grace period ended (no --force).
    StillRunning,
}

/// Send SIGTERM, wait up to `grace` for the process to exit (checking every
/// 10 ms), then SIGKILL when `force`.
pub fn terminate(
    table: &dyn ProcessTable,
    pid: u32,
    grace: Duration,
    force: bool,
) -> Result<KillOutcome, HostError> {
    let io = |e: SignalError| {
        let op = format!("signalling process {pid}");
        match e {
            SignalError::NotPermitted(_) => HostError::NoPrivilege {
                what: op,
                needs: Needs::Capability(Capability::Kill),
            },
            other => HostError::Io {
                op,
                source: other.into_io(),
            },
        }
    };
    table.signal(pid, Signal::Terminate).map_err(io)?;
    let until = Instant::now() + grace;
    while Instant::now() < until {
        if !table.is_running(pid) {
            return Ok(KillOutcome::Terminated);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    if !table.is_running(pid) {
        return Ok(KillOutcome::Terminated);
    }
    if !force {
        return Ok(KillOutcome::StillRunning);
    }
    table.signal(pid, Signal::Kill).map_err(io)?;
    // SIGKILL cannot be caught; give the kernel a moment to reap it.
    let until = Instant::now() + Duration::from_secs(2);
    while table.is_running(pid) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(KillOutcome::Killed)
}
