//! Socket inodes, the key that joins the socket table to the descriptors
//! processes hold: a cheap hasher for sets of them, and the set a descriptor
//! scan waits for while the socket dump that fills it is still running.
//! Both [`super::sockets`] and [`super::processes`] use these; neither
//! needs the other for them.

use std::collections::HashSet;

/// Socket inodes are small, distinct integers: one multiply spreads them
/// well, at a fraction of SipHash's cost over 100,000 lookups.
#[derive(Debug, Default, Clone, Copy)]
pub struct InodeHasher(u64);

impl std::hash::Hasher for InodeHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ self.0)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
}

/// Builds [`InodeHasher`]s.
pub type BuildInodeHasher = std::hash::BuildHasherDefault<InodeHasher>;

/// A set of socket inodes.
pub type InodeSet = HashSet<u64, BuildInodeHasher>;

/// Descriptors a scan may hold, per thread, before it knows which inodes
/// matter (about 400 KiB).
pub const PENDING_WINDOW: usize = 32 << 10;

/// The set of wanted socket inodes, given once, possibly after a scan has
/// started: scanners take it when it is there and wait for it when their
/// window of unfiltered descriptors is full.
#[derive(Debug, Default)]
pub struct PendingInodes {
    set: std::sync::Mutex<Option<std::sync::Arc<InodeSet>>>,
    ready: std::sync::Condvar,
}

impl PendingInodes {
    /// Already known.
    pub fn known(set: InodeSet) -> PendingInodes {
        let p = PendingInodes::default();
        p.set(set);
        p
    }

    /// Give the set (once; later calls are ignored).
    pub fn set(&self, set: InodeSet) {
        let mut guard = self.set.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            *guard = Some(std::sync::Arc::new(set));
        }
        self.ready.notify_all();
    }

    /// The set, if given yet.
    pub fn get(&self) -> Option<std::sync::Arc<InodeSet>> {
        self.set.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The set, waiting for it.
    pub fn wait(&self) -> std::sync::Arc<InodeSet> {
        let mut guard = self.set.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(s) = guard.as_ref() {
                return s.clone();
            }
            guard = self.ready.wait(guard).unwrap_or_else(|e| e.into_inner());
        }
    }
}
