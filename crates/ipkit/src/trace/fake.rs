//! A scripted path behind the trace seam, for tests: each probe (by TTL,
//! and by how many probes that TTL has had) draws the replies its script
//! lists — time exceeded from a router, the destination's answer, an ICMP
//! error, copies of one, each after its delay — or nothing (a loss). A
//! narrow link answers probes larger than its MTU with "fragmentation
//! needed"; stray replies quote ids no probe had. Time is tokio's, so on a
//! paused clock (`tokio::time::pause`) a trace of seconds runs at once and
//! every round trip is exactly the delay scripted.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ipkit_core::wire::icmp::{Family, IcmpError};
use tokio::time::Instant;

use super::TraceError;
use super::channel::{
    ChannelConfig, MplsLabel, ProbeSpec, ReplyKind, SendError, TraceChannel, TraceProvider,
    TraceReply,
};
use crate::probe::LocalError;

/// One reply to a probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The delay after the probe left.
    pub after: Duration,
    /// Who sends it.
    pub from: IpAddr,
    /// What it says.
    pub kind: ReplyKind,
    /// The TOS byte it quotes.
    pub quoted_tos: Option<u8>,
    /// MPLS labels it carries.
    pub mpls: Vec<MplsLabel>,
    /// Sent this many times (duplicates: 2 or more).
    pub copies: u8,
}

impl Response {
    /// `kind` from `from`, `after` the probe left, once.
    pub fn new(from: IpAddr, kind: ReplyKind, after: Duration) -> Response {
        Response {
            after,
            from,
            kind,
            quoted_tos: None,
            mpls: Vec::new(),
            copies: 1,
        }
    }
}

/// A link that carries at most `mtu` bytes: probes larger, with a TTL of
/// `ttl` or more, get "fragmentation needed" (IPv6: "packet too big") from
/// `from`, the router before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Narrow {
    /// The first TTL past the link.
    pub ttl: u8,
    /// The router that refuses.
    pub from: IpAddr,
    /// The link's MTU.
    pub mtu: u16,
    /// The delay of its error.
    pub after: Duration,
}

/// A reply quoting a probe id, `at` after the channel opened, whatever was
/// sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stray {
    /// When it arrives.
    pub at: Duration,
    /// The id it quotes.
    pub id: u16,
    /// Who sends it.
    pub from: IpAddr,
}

/// The replies for every probe: by TTL for every probe of it, or by (TTL,
/// nth probe of that TTL, from 1) for one; the destination's distance, from
/// which every probe reaches it; a probe not covered is lost.
#[derive(Debug, Clone, Default)]
pub struct Script {
    every: HashMap<u8, Vec<Response>>,
    one: HashMap<(u8, u32), Scripted>,
    destination: Option<(u8, Duration)>,
    narrow: Vec<Narrow>,
    strays: Vec<Stray>,
}

impl Script {
    /// An empty script: every probe is lost.
    pub fn new() -> Script {
        Script::default()
    }

    /// Every probe with this TTL draws `response`.
    pub fn hop(&mut self, ttl: u8, response: Response) -> &mut Script {
        self.every.entry(ttl).or_default().push(response);
        self
    }

    /// The `nth` probe (from 1) with this TTL draws `response` (instead of
    /// the TTL's `hop` responses).
    pub fn probe(&mut self, ttl: u8, nth: u32, response: Response) -> &mut Script {
        match self
            .one
            .entry((ttl, nth))
            .or_insert(Scripted::Replies(Vec::new()))
        {
            Scripted::Replies(list) => list.push(response),
            refused @ Scripted::Refused(_) => *refused = Scripted::Replies(vec![response]),
        }
        self
    }

    /// The local host refuses to send the `nth` probe with this TTL.
    pub fn refuse(&mut self, ttl: u8, nth: u32, error: LocalError) -> &mut Script {
        self.one.insert((ttl, nth), Scripted::Refused(error));
        self
    }

    /// Probes with a TTL of `distance` or more reach the destination, which
    /// answers `after` (unless a `hop` or `probe` response is scripted).
    pub fn destination(&mut self, distance: u8, after: Duration) -> &mut Script {
        self.destination = Some((distance, after));
        self
    }

    /// Add a narrow link.
    pub fn narrow(&mut self, link: Narrow) -> &mut Script {
        self.narrow.push(link);
        self
    }

    /// Add a stray reply.
    pub fn stray(&mut self, stray: Stray) -> &mut Script {
        self.strays.push(stray);
        self
    }
}

/// What one scripted probe draws.
#[derive(Debug, Clone)]
enum Scripted {
    Replies(Vec<Response>),
    Refused(LocalError),
}

/// Opens [`FakeChannel`]s that play a [`Script`], and keeps what they sent.
#[derive(Debug, Clone, Default)]
pub struct FakeTrace {
    script: Script,
    sent: Arc<Mutex<Vec<(Duration, ProbeSpec)>>>,
    /// Open unprivileged channels.
    pub unprivileged: bool,
    /// Refuse to open, as a host without the privilege.
    pub refuse_open: Option<crate::privilege::Needs>,
}

impl FakeTrace {
    /// A path that plays `script`.
    pub fn new(script: Script) -> FakeTrace {
        FakeTrace {
            script,
            ..FakeTrace::default()
        }
    }

    /// Every probe sent so far, with its time since its channel opened.
    pub fn sent(&self) -> Vec<(Duration, ProbeSpec)> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl TraceProvider for FakeTrace {
    type Channel = FakeChannel;

    fn open(&self, config: &ChannelConfig) -> Result<FakeChannel, TraceError> {
        if let Some(needs) = self.refuse_open {
            return Err(TraceError::NoPrivilege { needs });
        }
        let opened = Instant::now();
        let mut chan = FakeChannel {
            script: self.script.clone(),
            config: config.clone(),
            sent: Arc::clone(&self.sent),
            unprivileged: self.unprivileged,
            counts: HashMap::new(),
            pending: BTreeMap::new(),
            order: 0,
            opened,
        };
        for s in self.script.strays.clone() {
            let reply = reply(s.id, &Response::new(s.from, ReplyKind::TimeExceeded, s.at));
            chan.arrive(opened + s.at, reply);
        }
        Ok(chan)
    }
}

/// A channel of a [`FakeTrace`].
#[derive(Debug)]
pub struct FakeChannel {
    script: Script,
    config: ChannelConfig,
    sent: Arc<Mutex<Vec<(Duration, ProbeSpec)>>>,
    unprivileged: bool,
    /// Probes sent per TTL.
    counts: HashMap<u8, u32>,
    /// What will arrive, by (arrival time, order).
    pending: BTreeMap<(Instant, u64), TraceReply>,
    order: u64,
    opened: Instant,
}

impl FakeChannel {
    fn arrive(&mut self, at: Instant, r: TraceReply) {
        self.order += 1;
        self.pending.insert((at, self.order), r);
    }

    fn responses(&self, probe: &ProbeSpec, nth: u32) -> Vec<Response> {
        let size = probe.size.or(self.config.size).unwrap_or(60);
        if let Some(n) = self
            .script
            .narrow
            .iter()
            .find(|n| probe.ttl >= n.ttl && size > usize::from(n.mtu))
        {
            let error = match self.config.family {
                Family::V4 => IcmpError::FragmentationNeeded { mtu: n.mtu },
                Family::V6 => IcmpError::PacketTooBig {
                    mtu: u32::from(n.mtu),
                },
            };
            return vec![Response::new(n.from, ReplyKind::Error(error), n.after)];
        }
        if let Some(Scripted::Replies(r)) = self.script.one.get(&(probe.ttl, nth)) {
            return r.clone();
        }
        if let Some(r) = self.script.every.get(&probe.ttl) {
            return r.clone();
        }
        match self.script.destination {
            Some((d, after)) if probe.ttl >= d => {
                vec![Response::new(self.config.target, ReplyKind::Reached, after)]
            }
            _ => Vec::new(),
        }
    }
}

fn reply(id: u16, r: &Response) -> TraceReply {
    TraceReply {
        id,
        from: r.from,
        kind: r.kind.clone(),
        kernel_time: None,
        quoted_tos: r.quoted_tos,
        mpls: r.mpls.clone(),
    }
}

impl TraceChannel for FakeChannel {
    fn unprivileged(&self) -> bool {
        self.unprivileged
    }

    fn send(&mut self, probe: &ProbeSpec) -> Result<(), SendError> {
        let now = Instant::now();
        if let Ok(mut s) = self.sent.lock() {
            s.push((now - self.opened, *probe));
        }
        let nth = {
            let n = self.counts.entry(probe.ttl).or_default();
            *n += 1;
            *n
        };
        if let Some(Scripted::Refused(e)) = self.script.one.get(&(probe.ttl, nth)) {
            return Err(SendError::Local(e.clone()));
        }
        for r in self.responses(probe, nth) {
            for _ in 0..r.copies.max(1) {
                self.arrive(now + r.after, reply(probe.id, &r));
            }
        }
        Ok(())
    }

    fn try_recv(&mut self) -> io::Result<Option<TraceReply>> {
        let Some(first) = self.pending.keys().next().copied() else {
            return Ok(None);
        };
        Ok((first.0 <= Instant::now())
            .then(|| self.pending.remove(&first))
            .flatten())
    }

    fn wait(&self, limit: Duration) -> impl Future<Output = io::Result<()>> {
        // Wake at the next arrival, or when the limit is up.
        let mut wake = Instant::now() + limit;
        if let Some((first, _)) = self.pending.keys().next() {
            wake = wake.min(*first);
        }
        async move {
            tokio::time::sleep_until(wake).await;
            Ok(())
        }
    }
}
