//! Processes from `/proc`: who holds which socket (the `socket:[INODE]`
//! links under `/proc/PID/fd`), process names and owners, and signals.
//!
//! The fd scan is the cost of every "which process" question (`ss -p`,
//! `netstat -p`, `lsof`, `fuser` all do it), so it is written for speed:
//! `getdents64` on each fd directory and `readlinkat` into a stack buffer,
//! no allocation per descriptor, processes split across the CPUs, and only
//! the inodes asked about are kept, so memory follows the answer rather
//! than the number of processes or descriptors. With `stop_when_found`, the
//! scan ends as soon as every wanted inode has an owner.
//!
//! The scan is hand-written FFI on purpose, and measured: bench/RESULTS.md
//! (the `ipkit sockets` sections, `bash bench/sockets.sh`) has it finding
//! the owners of 60,000 sockets in 0.12–0.24× `ss -tanp`'s time, linear in
//! the socket count, with memory that follows the answer. User names and
//! signals need no such craft: they go through nix (`User::from_uid`,
//! `kill`) in the host tables.
#![allow(unsafe_code)]

use std::collections::HashSet;
use std::ffi::CStr;
use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::host::inodes::{InodeSet, PENDING_WINDOW, PendingInodes};

/// One descriptor that refers to a wanted socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketHolder {
    /// The socket's inode.
    pub inode: u64,
    /// The process.
    pub pid: u32,
    /// The descriptor number in it.
    pub fd: u32,
}

/// Every process id in /proc, ascending.
pub fn pids() -> io::Result<Vec<u32>> {
    let mut out: Vec<u32> = std::fs::read_dir("/proc")?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    out.sort_unstable();
    Ok(out)
}

/// Scan the fd tables of `pids` for links to the sockets `wanted` names.
/// The set may arrive while the scan runs: until then each thread keeps the
/// socket descriptors it sees (at most `PENDING_WINDOW`, then it waits).
/// Processes that vanish or may not be read are skipped (the second value
/// counts those refused for permission, so a caller can say the answer is
/// partial).
pub fn socket_holders(
    pids: &[u32],
    wanted: &PendingInodes,
    stop_when_found: bool,
) -> (Vec<SocketHolder>, usize) {
    let found = Mutex::new(Vec::new());
    let seen = Mutex::new(HashSet::new());
    let distinct = AtomicUsize::new(0);
    let denied = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    // Interleave processes over threads: neighbouring PIDs (a server and
    // its workers) tend to be alike in size.
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (found, seen, distinct, denied, done) = (&found, &seen, &distinct, &denied, &done);
            scope.spawn(move || {
                let mut filter = wanted.get();
                let mut local = Vec::new();
                let mut unfiltered = Vec::new();
                for &pid in pids.iter().skip(t).step_by(threads) {
                    if done.load(Ordering::Relaxed) {
                        break;
                    }
                    if filter.is_none() {
                        filter = wanted.get();
                        if filter.is_none() && unfiltered.len() >= PENDING_WINDOW {
                            filter = Some(wanted.wait());
                        }
                        if let Some(f) = &filter {
                            local.extend(
                                unfiltered
                                    .drain(..)
                                    .filter(|h: &SocketHolder| f.contains(&h.inode)),
                            );
                        }
                    }
                    let before = local.len();
                    let target = if filter.is_some() {
                        &mut local
                    } else {
                        &mut unfiltered
                    };
                    if scan_pid(pid, filter.as_deref(), target) == ScanResult::Denied {
                        denied.fetch_add(1, Ordering::Relaxed);
                    }
                    let Some(f) = &filter else { continue };
                    if stop_when_found && local.len() > before {
                        let mut s = seen.lock().unwrap_or_else(|e| e.into_inner());
                        for h in &local[before..] {
                            if s.insert(h.inode) {
                                distinct.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        if distinct.load(Ordering::Relaxed) >= f.len() {
                            done.store(true, Ordering::Relaxed);
                        }
                    }
                }
                if !unfiltered.is_empty() {
                    let f = wanted.wait();
                    local.extend(unfiltered.into_iter().filter(|h| f.contains(&h.inode)));
                }
                found
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(local);
            });
        }
    });
    let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    found.sort_unstable_by_key(|h| (h.inode, h.pid, h.fd));
    (found, denied.into_inner())
}

#[derive(Debug, PartialEq, Eq)]
enum ScanResult {
    Read,
    Denied,
    Gone,
}

/// The sockets a process holds among `wanted` (all, when None), appended to `out`.
fn scan_pid(pid: u32, wanted: Option<&InodeSet>, out: &mut Vec<SocketHolder>) -> ScanResult {
    let mut path = [0u8; 32];
    let text = format_path(&mut path, pid);
    // SAFETY: `text` is a NUL-terminated path in a live buffer.
    let dir = unsafe {
        libc::open(
            text.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if dir < 0 {
        return match io::Error::last_os_error().raw_os_error() {
            Some(libc::EACCES | libc::EPERM) => ScanResult::Denied,
            _ => ScanResult::Gone,
        };
    }
    let mut entries = [0u8; 32 << 10];
    let mut link = [0u8; 64];
    loop {
        // SAFETY: the buffer is live and its length is passed.
        let n = unsafe {
            libc::syscall(
                libc::SYS_getdents64,
                dir,
                entries.as_mut_ptr(),
                entries.len(),
            )
        };
        if n <= 0 {
            break;
        }
        let n = usize::try_from(n).unwrap_or(0);
        let mut off = 0;
        // struct linux_dirent64 { u64 ino; i64 off; u16 reclen; u8 type; char name[]; }
        while off + 19 < n {
            let reclen = usize::from(u16::from_ne_bytes([entries[off + 16], entries[off + 17]]));
            if reclen == 0 || off + reclen > n {
                break;
            }
            let name = &entries[off + 19..off + reclen];
            off += reclen;
            let Some(end) = name.iter().position(|&b| b == 0) else {
                continue;
            };
            let digits = &name[..end];
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                continue;
            }
            // SAFETY: `name` holds a NUL-terminated entry name; `link` is live.
            let len = unsafe {
                libc::readlinkat(
                    dir,
                    name.as_ptr().cast(),
                    link.as_mut_ptr().cast(),
                    link.len(),
                )
            };
            let Ok(len) = usize::try_from(len) else {
                continue;
            };
            let Some(inode) = ipkit_core::host::socket_inode(&link[..len]) else {
                continue;
            };
            if wanted.is_none_or(|w| w.contains(&inode)) {
                let fd = digits.iter().fold(0u32, |a, &d| {
                    a.wrapping_mul(10).wrapping_add(u32::from(d - b'0'))
                });
                out.push(SocketHolder { inode, pid, fd });
            }
        }
    }
    // SAFETY: `dir` is an open descriptor owned here.
    unsafe { libc::close(dir) };
    ScanResult::Read
}

/// `/proc/PID/fd\0` into `buf`.
fn format_path(buf: &mut [u8; 32], pid: u32) -> &CStr {
    let mut digits = [0u8; 10];
    let mut n = pid;
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + u8::try_from(n % 10).unwrap_or(0);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut len = 0;
    for part in [&b"/proc/"[..], &digits[i..], b"/fd\0"] {
        buf[len..len + part.len()].copy_from_slice(part);
        len += part.len();
    }
    CStr::from_bytes_with_nul(&buf[..len]).unwrap_or_default()
}

/// What /proc says about one process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    /// The short name (`/proc/PID/comm`).
    pub name: String,
    /// The real user id.
    pub uid: u32,
    /// A kernel thread (no user space to signal).
    pub kernel_thread: bool,
}

/// Read a process's name, owner and kind; None when it is gone.
pub fn process_info(pid: u32) -> Option<ProcessInfo> {
    let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())?;
    // Field 9 of /proc/PID/stat holds the flags; PF_KTHREAD is 0x00200000.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    let flags: u64 = after_name.split_whitespace().nth(6)?.parse().ok()?;
    Some(ProcessInfo {
        name: name.trim_end().to_string(),
        uid,
        kernel_thread: flags & 0x0020_0000 != 0,
    })
}

/// Is the process still there (and not a zombie waiting to be reaped)?
pub fn is_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// This process's id.
pub fn own_pid() -> u32 {
    std::process::id()
}
