//! Reverse names of a trace's responders, looked up off the probing path:
//! [`Names::ask`] hands an address to a small pool of std threads (at most
//! [`MAX_THREADS`], started as needed) and returns at once; the engine
//! polls [`Names::lookup`] and shows a hop once its names are in, or once
//! [`NAME_WAIT`] has passed since each was asked (a slow resolver then
//! costs a missing name, never a late probe).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a complete hop waits for a name asked for.
pub const NAME_WAIT: Duration = Duration::from_secs(1);

/// The most lookups running at once.
pub const MAX_THREADS: usize = 8;

/// How an address becomes a name (None: it has none).
pub type Lookup = Arc<dyn Fn(IpAddr) -> Option<String> + Send + Sync>;

/// Where a name stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Name {
    /// Not asked for.
    Unknown,
    /// Being looked up.
    Pending,
    /// Looked up: the name, or None.
    Done(Option<String>),
}

type Table = Arc<Mutex<HashMap<IpAddr, Option<Option<String>>>>>;

/// The responders' names: asked in the background, read without waiting.
pub struct Names {
    lookup: Lookup,
    table: Table,
    /// Run lookups in the caller's thread (tests with a scripted lookup).
    inline: bool,
    /// The lookups' queue; dropping it (with `Names`) ends the idle
    /// threads, and one in a slow lookup when it returns.
    work: Option<Sender<IpAddr>>,
    queue: Arc<Mutex<Receiver<IpAddr>>>,
    threads: usize,
    asked: usize,
}

impl std::fmt::Debug for Names {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Names")
            .field("inline", &self.inline)
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

/// The system's reverse lookup (getnameinfo with `NI_NAMEREQD`, as
/// [`crate::resolve::ReverseNames`]).
pub fn system_lookup() -> Lookup {
    Arc::new(|ip| {
        crate::resolve::ReverseNames::default()
            .get(ip)
            .map(|n| n.to_string())
    })
}

impl Names {
    /// Names looked up by `lookup` on background threads.
    pub fn background(lookup: Lookup) -> Names {
        let (tx, rx) = channel();
        Names {
            lookup,
            table: Arc::default(),
            inline: false,
            work: Some(tx),
            queue: Arc::new(Mutex::new(rx)),
            threads: 0,
            asked: 0,
        }
    }

    /// Names looked up by `lookup` at once, in the caller's thread (for a
    /// lookup that cannot block, as a test's table).
    pub fn inline(lookup: Lookup) -> Names {
        Names {
            inline: true,
            ..Names::background(lookup)
        }
    }

    /// Start looking `ip` up, unless it was asked for already.
    pub fn ask(&mut self, ip: IpAddr) {
        let Ok(mut table) = self.table.lock() else {
            return;
        };
        if table.contains_key(&ip) {
            return;
        }
        if self.inline {
            table.insert(ip, Some((self.lookup)(ip)));
            return;
        }
        table.insert(ip, None);
        drop(table);
        self.asked += 1;
        if self.threads < MAX_THREADS.min(self.asked) {
            self.spawn();
        }
        if let Some(work) = &self.work {
            let _ = work.send(ip);
        }
    }

    fn spawn(&mut self) {
        let queue = Arc::clone(&self.queue);
        let table = Arc::clone(&self.table);
        let lookup = Arc::clone(&self.lookup);
        let started = std::thread::Builder::new()
            .name("trace-names".into())
            .spawn(move || {
                loop {
                    let next = queue.lock().ok().and_then(|q| q.recv().ok());
                    let Some(ip) = next else { break };
                    let name = lookup(ip);
                    if let Ok(mut t) = table.lock() {
                        t.insert(ip, Some(name));
                    }
                }
            });
        if started.is_ok() {
            self.threads += 1;
        }
    }

    /// Where `ip`'s name stands, without waiting.
    pub fn lookup(&self, ip: IpAddr) -> Name {
        match self.table.lock().ok().and_then(|t| t.get(&ip).cloned()) {
            None => Name::Unknown,
            Some(None) => Name::Pending,
            Some(Some(n)) => Name::Done(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_lookup() -> Lookup {
        Arc::new(|ip: IpAddr| {
            (ip == IpAddr::from([192, 0, 2, 1])).then(|| "r1.example".to_string())
        })
    }

    #[test]
    fn inline_names_are_in_at_once() {
        let mut n = Names::inline(table_lookup());
        let (a, b) = (IpAddr::from([192, 0, 2, 1]), IpAddr::from([192, 0, 2, 2]));
        assert_eq!(n.lookup(a), Name::Unknown);
        n.ask(a);
        n.ask(b);
        assert_eq!(n.lookup(a), Name::Done(Some("r1.example".into())));
        assert_eq!(n.lookup(b), Name::Done(None));
    }

    #[test]
    fn background_names_arrive() {
        let mut n = Names::background(table_lookup());
        let a = IpAddr::from([192, 0, 2, 1]);
        n.ask(a);
        n.ask(a);
        let mut got = n.lookup(a);
        for _ in 0..500 {
            if got != Name::Pending {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
            got = n.lookup(a);
        }
        assert_eq!(got, Name::Done(Some("r1.example".into())));
        assert_eq!(n.threads, 1);
    }
}
