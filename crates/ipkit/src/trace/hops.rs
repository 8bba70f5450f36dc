//! The pure half of the tracer: which probe to send next, which probe a
//! reply answers, when a silent probe is given up, which hops are complete
//! and when the trace is over. Events in, decisions out; no sockets, no
//! clocks (times are passed in as time since the start), so every rule is
//! tested without I/O.
//!
//! Probes go in traceroute's order — TTL by TTL, the queries of one TTL
//! together — as many at once as the window allows. A probe is given up by
//! traceroute's `-w MAX,HERE,NEAR` rule ([`WaitRule`]), plus one rule of
//! ipkit's for probes past every hop that answered so far: NEAR times the
//! round trip of the nearest earlier hop that answered, but never under
//! [`BEYOND_FLOOR`] — so a destination that answers nothing costs a quarter
//! of a second, not MAX for every hop (NEAR 0 turns it off with the NEAR
//! rule).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::Duration;

use ipkit_core::wire::icmp::{Family, IcmpError};

use super::channel::{MplsLabel, ProbeSpec, ReplyKind, TraceReply};
use super::request::WaitRule;
use crate::probe::LocalError;

/// The least a probe past every answering hop is waited for.
pub const BEYOND_FLOOR: Duration = Duration::from_millis(250);

/// RFC 1191's MTU plateaus: where `--mtu` steps down to when a router or
/// the local host refuses a size without saying which would do.
const PLATEAUS: [usize; 11] = [
    32_000, 17_914, 8_166, 4_352, 2_002, 1_492, 1_280, 1_006, 508, 296, 68,
];

/// How often one probe is resent at a smaller size before it counts as `!F`.
const MAX_RESENDS: u8 = 12;

/// How a pass is run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PassConfig {
    /// The first TTL.
    pub first: u8,
    /// The last TTL.
    pub last: u8,
    /// Probes per TTL.
    pub queries: u8,
    /// When a probe is given up.
    pub wait: WaitRule,
    /// Probes in flight at once.
    pub window: usize,
    /// Silent hops in a row, past the last that answered, that end it.
    pub silent_limit: u8,
    /// `--mtu`: the first probe size (DF is set); None: no discovery.
    pub mtu_start: Option<usize>,
    /// The family (for the smallest MTU allowed).
    pub family: Family,
    /// The destination.
    pub target: IpAddr,
}

/// What became of one probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Who answered; None: nobody.
    pub from: Option<IpAddr>,
    /// Its round trip.
    pub rtt: Option<Duration>,
    /// What it said; None: nothing, or the local host refused the probe.
    pub kind: Option<ReplyKind>,
    /// Why the local host refused it.
    pub local: Option<LocalError>,
    /// The quoted TOS byte.
    pub quoted_tos: Option<u8>,
    /// MPLS labels.
    pub mpls: Vec<MplsLabel>,
}

impl Outcome {
    fn silent() -> Outcome {
        Outcome {
            from: None,
            rtt: None,
            kind: None,
            local: None,
            quoted_tos: None,
            mpls: Vec::new(),
        }
    }

    /// Whether this probe ends the trace at its hop: the destination
    /// answered, or any error but time exceeded (as traceroute).
    pub fn is_final(&self) -> bool {
        self.local.is_some() || matches!(self.kind, Some(ReplyKind::Reached | ReplyKind::Error(_)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    Waiting {
        resends: u8,
    },
    Sent {
        id: u16,
        at: Duration,
        resends: u8,
        size: Option<usize>,
    },
    Done(Outcome),
}

/// One TTL's probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// The TTL.
    pub ttl: u8,
    slots: Vec<Slot>,
    /// `--mtu`: the size the path narrowed to at this hop.
    pub mtu: Option<u16>,
}

impl Hop {
    /// The outcomes, in query order (complete hops only: others have gaps).
    pub fn outcomes(&self) -> impl Iterator<Item = &Outcome> {
        self.slots.iter().filter_map(|s| match s {
            Slot::Done(o) => Some(o),
            _ => None,
        })
    }

    fn complete(&self) -> bool {
        self.slots.iter().all(|s| matches!(s, Slot::Done(_)))
    }

    fn answered(&self) -> bool {
        self.outcomes().any(|o| o.from.is_some())
    }

    fn first_rtt(&self) -> Option<Duration> {
        self.outcomes().find_map(|o| o.rtt.filter(|r| !r.is_zero()))
    }
}

/// What a received reply was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It answered a probe in flight at this TTL.
    Matched {
        /// The TTL.
        ttl: u8,
    },
    /// A second answer to a probe, or one about a probe given up: ignored.
    Ignored,
    /// About no probe of this trace: counted.
    Foreign,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    InFlight { hop: usize, query: usize },
    Over,
}

/// Probe ids across passes: which are in flight, which are over.
#[derive(Debug, Clone, Default)]
pub struct Ids {
    known: HashMap<u16, Known>,
    next: u16,
    /// Replies about no probe sent.
    pub foreign: u64,
}

impl Ids {
    fn take(&mut self, hop: usize, query: usize) -> u16 {
        while matches!(self.known.get(&self.next), Some(Known::InFlight { .. })) {
            self.next = self.next.wrapping_add(1);
        }
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        self.known.insert(id, Known::InFlight { hop, query });
        id
    }
}

/// One pass over the TTLs (a trace, or one round of `--report`).
#[derive(Debug, Clone)]
pub struct Pass {
    cfg: PassConfig,
    hops: Vec<Hop>,
    /// The next slot never sent, in send order.
    cursor: usize,
    /// Slots to send again (a smaller size), before new ones.
    resend: VecDeque<(usize, usize)>,
    in_flight: usize,
    /// The lowest hop index with a final outcome.
    final_hop: Option<usize>,
    /// Hops handed out by [`Pass::pop_complete`].
    popped: usize,
    /// `--mtu`: the probe size now.
    size: Option<usize>,
    /// `--mtu`: each size the path narrowed to, the hop where, and whether
    /// a router said so (else the local host).
    drops: HashMap<usize, (usize, bool)>,
    /// `--mtu`: the largest probe that is known to have left the host (a
    /// reply came about it): the local link carries at least that much.
    carried: Option<usize>,
}

impl Pass {
    /// A pass of `cfg`.
    pub fn new(cfg: PassConfig) -> Pass {
        let queries = usize::from(cfg.queries.max(1));
        let hops = (cfg.first..=cfg.last)
            .map(|ttl| Hop {
                ttl,
                slots: vec![Slot::Waiting { resends: 0 }; queries],
                mtu: None,
            })
            .collect();
        Pass {
            cfg,
            hops,
            cursor: 0,
            resend: VecDeque::new(),
            in_flight: 0,
            final_hop: None,
            popped: 0,
            size: cfg.mtu_start,
            drops: HashMap::new(),
            carried: None,
        }
    }

    /// `--mtu`: the probe size now.
    pub fn size(&self) -> Option<usize> {
        self.size
    }

    fn queries(&self) -> usize {
        usize::from(self.cfg.queries.max(1))
    }

    /// The hop index past which nothing is sent: the final hop, or the end
    /// of a silent run.
    fn limit(&self) -> usize {
        self.final_hop.unwrap_or(self.hops.len() - 1)
    }

    fn last_answered(&self) -> Option<usize> {
        self.hops.iter().rposition(Hop::answered)
    }

    /// The silent run that ends the trace, when complete: the index of its
    /// last hop.
    fn silent_end(&self) -> Option<usize> {
        if self.final_hop.is_some() {
            return None;
        }
        let start = self.last_answered().map_or(0, |a| a + 1);
        let end = start + usize::from(self.cfg.silent_limit) - 1;
        (end < self.hops.len() && self.hops[start..=end].iter().all(Hop::complete)).then_some(end)
    }

    /// The next probe to send now, if the window has room: its spec, with
    /// the send time recorded as `now`.
    pub fn next_probe(&mut self, ids: &mut Ids, now: Duration) -> Option<ProbeSpec> {
        if self.in_flight >= self.cfg.window || self.silent_end().is_some() {
            return None;
        }
        let (hop, query) = match self.resend.pop_front() {
            Some(at) => at,
            None => {
                let (hop, query) = (self.cursor / self.queries(), self.cursor % self.queries());
                // Nothing past the silent run that would end the trace: a
                // destination that answers nothing costs one wait, not two.
                let run_end = self.last_answered().map_or(0, |a| a + 1)
                    + usize::from(self.cfg.silent_limit)
                    - 1;
                if hop > self.limit() || hop > run_end {
                    return None;
                }
                self.cursor += 1;
                (hop, query)
            }
        };
        let Slot::Waiting { resends } = self.hops[hop].slots[query] else {
            return None;
        };
        let id = ids.take(hop, query);
        self.hops[hop].slots[query] = Slot::Sent {
            id,
            at: now,
            resends,
            size: self.size,
        };
        self.in_flight += 1;
        Some(ProbeSpec {
            ttl: self.hops[hop].ttl,
            id,
            size: self.size,
        })
    }

    /// The local host refused probe `id`.
    pub fn refused(&mut self, ids: &mut Ids, id: u16, error: LocalError) {
        let Some(Known::InFlight { hop, query }) = ids.known.get(&id).copied() else {
            return;
        };
        if let LocalError::MessageTooLong { mtu } = error
            && self.shrink(hop, query, mtu.map(usize::from), false, ids, id)
        {
            return;
        }
        // A datagram socket with IP_RECVERR hands the error of an earlier
        // probe (time exceeded: EHOSTUNREACH) to the next send, and clears
        // it: a "no route" is believed when it comes twice.
        if !matches!(error, LocalError::MessageTooLong { .. })
            && let Slot::Sent { resends: 0, .. } = self.hops[hop].slots[query]
        {
            self.send_again(hop, query, ids, id, 1);
            return;
        }
        let outcome = Outcome {
            local: Some(error),
            ..Outcome::silent()
        };
        self.finish(ids, id, hop, query, outcome);
    }

    /// A reply arrived at `at`.
    pub fn reply(&mut self, ids: &mut Ids, r: &TraceReply, at: Duration) -> Verdict {
        let (hop, query) = match ids.known.get(&r.id) {
            None => {
                ids.foreign += 1;
                return Verdict::Foreign;
            }
            Some(Known::Over) => return Verdict::Ignored,
            Some(Known::InFlight { hop, query }) => (*hop, *query),
        };
        let Some(Slot::Sent {
            at: sent,
            size: sent_size,
            ..
        }) = self.hops.get(hop).map(|h| &h.slots[query])
        else {
            return Verdict::Ignored;
        };
        let rtt = at.saturating_sub(*sent);
        self.carried = self.carried.max(*sent_size);
        if let Some(mtu) = self.too_big(&r.kind)
            && self.shrink(hop, query, Some(mtu), true, ids, r.id)
        {
            return Verdict::Matched {
                ttl: self.hops[hop].ttl,
            };
        }
        let outcome = Outcome {
            from: Some(r.from),
            rtt: Some(rtt),
            kind: Some(r.kind.clone()),
            local: None,
            quoted_tos: r.quoted_tos,
            mpls: r.mpls.clone(),
        };
        self.finish(ids, r.id, hop, query, outcome);
        Verdict::Matched {
            ttl: self.hops[hop].ttl,
        }
    }

    /// `--mtu`: the MTU a frag-needed / packet-too-big error gives (0: none).
    fn too_big(&self, kind: &ReplyKind) -> Option<usize> {
        self.size?;
        match kind {
            ReplyKind::Error(IcmpError::FragmentationNeeded { mtu }) => Some(usize::from(*mtu)),
            ReplyKind::Error(IcmpError::PacketTooBig { mtu }) => Some(*mtu as usize),
            _ => None,
        }
    }

    /// Shrink the probe size (to `mtu`, or the next plateau down) and send
    /// this slot again; false when it cannot (no discovery, no smaller size,
    /// too many tries). `router`: a router said it (the drop is at this
    /// hop), else the local host refused the probe (the local link's).
    fn shrink(
        &mut self,
        hop: usize,
        query: usize,
        mtu: Option<usize>,
        router: bool,
        ids: &mut Ids,
        id: u16,
    ) -> bool {
        let Some(size) = self.size else {
            return false;
        };
        let Slot::Sent {
            resends,
            size: sent,
            ..
        } = self.hops[hop].slots[query]
        else {
            return false;
        };
        if resends >= MAX_RESENDS {
            return false;
        }
        let floor = match self.cfg.family {
            Family::V4 => 68,
            Family::V6 => 1280,
        };
        // A size the router names that is smaller is taken; else the next
        // plateau down — unless the probe left before the last shrink, and
        // is only sent again.
        if let Some(m) = mtu.filter(|m| (floor..size).contains(m)) {
            self.size = Some(m);
        } else if sent.is_none_or(|s| s <= size) {
            match PLATEAUS.iter().copied().find(|p| (floor..size).contains(p)) {
                Some(p) => self.size = Some(p),
                None => return false,
            }
        }
        // The host's guesses above the size now were steps, not drops.
        let now = self.size.unwrap_or(size);
        self.drops.retain(|m, (_, router)| *router || *m <= now);
        // Where the path narrowed: the lowest hop whose probe a router
        // refused at this size; the local link for the host's own refusal
        // (the kernel may know the path's MTU from an earlier trace, or have
        // learnt it while the probe was sent, as tracepath then says `1?`),
        // until a router says more before that hop is shown.
        let said = (if router { hop } else { 0 }, router);
        // The host refusing a size smaller than one that already left it
        // knows a path MTU a router told it (its ICMP may be on its way to
        // us still): the drop is that router's to name, not the local link's.
        let learnt = !router && mtu.is_some() && self.carried.is_some_and(|c| c > now);
        if learnt {
            self.send_again(hop, query, ids, id, resends + 1);
            return true;
        }
        // A hop already shown keeps what it said (one drop, one hop).
        let shown = self.popped;
        let entry = self.drops.entry(now).or_insert(said);
        if entry.0 >= shown && said.1 && (!entry.1 || said.0 < entry.0) {
            *entry = said;
        }
        self.send_again(hop, query, ids, id, resends + 1);
        true
    }

    /// Put a slot back to be sent again, first.
    fn send_again(&mut self, hop: usize, query: usize, ids: &mut Ids, id: u16, resends: u8) {
        ids.known.insert(id, Known::Over);
        self.in_flight -= 1;
        self.hops[hop].slots[query] = Slot::Waiting { resends };
        self.resend.push_back((hop, query));
    }

    fn finish(&mut self, ids: &mut Ids, id: u16, hop: usize, query: usize, outcome: Outcome) {
        ids.known.insert(id, Known::Over);
        self.in_flight -= 1;
        if outcome.is_final() && self.final_hop.is_none_or(|f| hop < f) {
            self.final_hop = Some(hop);
            self.drop_beyond(ids, hop);
        }
        self.hops[hop].slots[query] = Slot::Done(outcome);
    }

    /// Forget the probes past hop `limit`: the trace ends before them.
    fn drop_beyond(&mut self, ids: &mut Ids, limit: usize) {
        for h in &mut self.hops[limit + 1..] {
            for s in &mut h.slots {
                if let Slot::Sent { id, .. } = s {
                    ids.known.insert(*id, Known::Over);
                    self.in_flight -= 1;
                }
                *s = Slot::Done(Outcome::silent());
            }
        }
    }

    /// How long the probe at `hop` (sent at `sent`) is waited for.
    fn timeout(&self, hop: usize) -> Duration {
        let w = self.cfg.wait;
        let max = Duration::from_secs_f64(w.max);
        let scaled = |rtt: Duration, f: f64| rtt.mul_f64(f).min(max);
        if w.here > 0.0
            && let Some(rtt) = self.hops[hop].first_rtt()
        {
            return scaled(rtt, w.here);
        }
        if w.near > 0.0 {
            if let Some(rtt) = self.hops[hop + 1..].iter().find_map(Hop::first_rtt) {
                return scaled(rtt, w.near);
            }
            if let Some(rtt) = self.hops[..hop].iter().rev().find_map(Hop::first_rtt) {
                return scaled(rtt, w.near).max(BEYOND_FLOOR).min(max);
            }
        }
        max
    }

    /// Give up the probes whose wait has passed at `now`.
    pub fn expire(&mut self, ids: &mut Ids, now: Duration) {
        for hop in 0..self.hops.len() {
            let timeout = self.timeout(hop);
            for query in 0..self.hops[hop].slots.len() {
                if let Slot::Sent { id, at, .. } = self.hops[hop].slots[query]
                    && now.saturating_sub(at) >= timeout
                {
                    self.finish(ids, id, hop, query, Outcome::silent());
                }
            }
        }
    }

    /// When the next probe in flight is given up (if nothing answers first).
    pub fn next_deadline(&self) -> Option<Duration> {
        (0..self.hops.len())
            .flat_map(|hop| {
                let timeout = self.timeout(hop);
                self.hops[hop].slots.iter().filter_map(move |s| match s {
                    Slot::Sent { at, .. } => Some(*at + timeout),
                    _ => None,
                })
            })
            .min()
    }

    /// The index of the last hop the report shows, once known.
    fn end(&self) -> Option<usize> {
        if let Some(f) = self.final_hop {
            return Some(f);
        }
        if let Some(e) = self.silent_end()
            && self.in_flight == 0
        {
            return Some(e);
        }
        let last = self.hops.len() - 1;
        self.hops[last].complete().then_some(last)
    }

    /// The next complete hop, in TTL order, once it and all hops before it
    /// are complete; None past the end.
    pub fn pop_complete(&mut self) -> Option<Hop> {
        // Until the end is known, nothing past a complete silent run: the
        // probes beyond it may still answer (and the run then is no end).
        let end = self
            .end()
            .or_else(|| self.silent_end())
            .unwrap_or(self.hops.len() - 1);
        let index = self.popped;
        let hop = self
            .hops
            .get(index)
            .filter(|h| index <= end && h.complete())?;
        let mut hop = hop.clone();
        hop.mtu = self
            .drops
            .iter()
            .filter(|(_, (at, _))| *at == index)
            .map(|(mtu, _)| *mtu)
            .min()
            .and_then(|m| u16::try_from(m).ok());
        self.popped += 1;
        Some(hop)
    }

    /// Whether the pass is over and every hop up to its end was popped.
    pub fn finished(&self) -> bool {
        self.end().is_some_and(|e| self.popped > e)
    }

    /// Whether the destination answered (or sent an error itself).
    pub fn reached(&self) -> bool {
        self.final_hop
            .is_some_and(|f| self.hops[f].outcomes().any(|o| reached(o, self.cfg.target)))
    }

    /// The TTL of the last hop shown, once known.
    pub fn end_ttl(&self) -> Option<u8> {
        self.end().map(|e| self.hops[e].ttl)
    }
}

/// Whether `o` is the destination's answer.
pub fn reached(o: &Outcome, target: IpAddr) -> bool {
    match &o.kind {
        Some(ReplyKind::Reached) => true,
        Some(ReplyKind::Error(_)) => o.from == Some(target),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TARGET: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 9));

    fn pass(queries: u8, window: usize) -> Pass {
        Pass::new(PassConfig {
            first: 1,
            last: 30,
            queries,
            wait: WaitRule::default(),
            window,
            silent_limit: 5,
            mtu_start: None,
            family: Family::V4,
            target: TARGET,
        })
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn answer(id: u16, ttl: u8, kind: ReplyKind) -> TraceReply {
        TraceReply {
            id,
            from: if kind == ReplyKind::Reached {
                TARGET
            } else {
                IpAddr::from([192, 0, 2, ttl])
            },
            kind,
            kernel_time: None,
            quoted_tos: None,
            mpls: Vec::new(),
        }
    }

    fn send_all(p: &mut Pass, ids: &mut Ids, now: Duration) -> Vec<ProbeSpec> {
        std::iter::from_fn(|| p.next_probe(ids, now)).collect()
    }

    #[test]
    fn the_window_bounds_probes_in_flight_and_ids_are_fresh() {
        let (mut p, mut ids) = (pass(3, 4), Ids::default());
        let sent = send_all(&mut p, &mut ids, ms(0));
        let got: Vec<(u8, u16)> = sent.iter().map(|s| (s.ttl, s.id)).collect();
        assert_eq!(got, vec![(1, 0), (1, 1), (1, 2), (2, 3)]);
        assert_eq!(
            p.reply(&mut ids, &answer(0, 1, ReplyKind::TimeExceeded), ms(1)),
            Verdict::Matched { ttl: 1 }
        );
        let next = send_all(&mut p, &mut ids, ms(1));
        assert_eq!(
            next.iter().map(|s| (s.ttl, s.id)).collect::<Vec<_>>(),
            vec![(2, 4)]
        );
    }

    #[test]
    fn duplicates_are_ignored_and_unknown_ids_counted() {
        let (mut p, mut ids) = (pass(1, 16), Ids::default());
        send_all(&mut p, &mut ids, ms(0));
        let r = answer(0, 1, ReplyKind::TimeExceeded);
        assert_eq!(p.reply(&mut ids, &r, ms(1)), Verdict::Matched { ttl: 1 });
        assert_eq!(p.reply(&mut ids, &r, ms(2)), Verdict::Ignored);
        assert_eq!(
            p.reply(&mut ids, &answer(999, 1, ReplyKind::TimeExceeded), ms(2)),
            Verdict::Foreign
        );
        assert_eq!(ids.foreign, 1);
    }

    #[test]
    fn waits_follow_max_here_and_near() {
        let (mut p, mut ids) = (pass(2, 16), Ids::default());
        send_all(&mut p, &mut ids, ms(0));
        // Nothing seen: MAX.
        assert_eq!(p.next_deadline(), Some(ms(5000)));
        // Hop 3 answers in 4 ms: hops 1 and 2 now wait NEAR × 4 ms.
        p.reply(&mut ids, &answer(4, 3, ReplyKind::TimeExceeded), ms(4));
        assert_eq!(p.timeout(0), ms(40));
        // Hop 3's other probe waits HERE × 4 ms.
        assert_eq!(p.timeout(2), ms(12));
        // Past every answer: NEAR × the nearest earlier, at least the floor.
        assert_eq!(p.timeout(3), BEYOND_FLOOR);
        p.expire(&mut ids, ms(40));
        let late = p.reply(&mut ids, &answer(0, 1, ReplyKind::TimeExceeded), ms(41));
        assert_eq!(late, Verdict::Ignored);
        assert_eq!(ids.foreign, 0);
    }

    #[test]
    fn the_destination_ends_the_trace_and_drops_later_probes() {
        let (mut p, mut ids) = (pass(1, 16), Ids::default());
        let sent = send_all(&mut p, &mut ids, ms(0));
        assert_eq!(sent.len(), 5);
        p.reply(&mut ids, &answer(0, 1, ReplyKind::TimeExceeded), ms(1));
        p.reply(&mut ids, &answer(2, 3, ReplyKind::Reached), ms(1));
        p.reply(&mut ids, &answer(3, 4, ReplyKind::Reached), ms(1));
        assert!(send_all(&mut p, &mut ids, ms(1)).is_empty());
        assert_eq!(p.pop_complete().map(|h| h.ttl), Some(1));
        assert_eq!(p.pop_complete(), None, "hop 2 is still out");
        p.reply(&mut ids, &answer(1, 2, ReplyKind::TimeExceeded), ms(2));
        assert_eq!(p.pop_complete().map(|h| h.ttl), Some(2));
        assert_eq!(p.pop_complete().map(|h| h.ttl), Some(3));
        assert_eq!(p.pop_complete(), None);
        assert!(p.finished() && p.reached());
        assert_eq!(p.end_ttl(), Some(3));
    }

    #[test]
    fn a_frag_needed_shrinks_the_probes_and_sends_again() {
        let mut p = Pass::new(PassConfig {
            mtu_start: Some(1500),
            ..pass(1, 16).cfg
        });
        let mut ids = Ids::default();
        let sent = send_all(&mut p, &mut ids, ms(0));
        assert!(sent.iter().all(|s| s.size == Some(1500)));
        let too_big = ReplyKind::Error(IcmpError::FragmentationNeeded { mtu: 1280 });
        p.reply(&mut ids, &answer(sent[2].id, 2, too_big), ms(1));
        let again = send_all(&mut p, &mut ids, ms(1));
        assert_eq!(
            again.iter().map(|s| (s.ttl, s.size)).collect::<Vec<_>>(),
            vec![(3, Some(1280))]
        );
        assert_eq!(p.size(), Some(1280));
        // The host's own refusal without an MTU steps down a plateau.
        p.refused(
            &mut ids,
            again[0].id,
            LocalError::MessageTooLong { mtu: None },
        );
        assert_eq!(p.size(), Some(1006));
    }

    #[test]
    fn a_path_mtu_the_host_learnt_from_a_router_is_that_routers_drop() {
        // Seen over a real 1280 link: a router's "fragmentation needed"
        // reaches the kernel (which learns the path MTU) before ipkit
        // reads it, and the next 1500-byte probe is refused locally with
        // the kernel's 1280. The link carried 1500 already (hop 1
        // answered one), so the drop is the router's, at hop 3, not hop 1.
        let mut p = Pass::new(PassConfig {
            mtu_start: Some(1500),
            ..pass(1, 3).cfg
        });
        let mut ids = Ids::default();
        let sent = send_all(&mut p, &mut ids, ms(0));
        assert_eq!(sent.len(), 3);
        p.reply(
            &mut ids,
            &answer(sent[0].id, 1, ReplyKind::TimeExceeded),
            ms(1),
        );
        p.refused(
            &mut ids,
            sent[1].id,
            LocalError::MessageTooLong { mtu: Some(1280) },
        );
        assert_eq!(p.size(), Some(1280));
        // Hop 1 is shown before the router's ICMP is read: no drop there.
        assert_eq!(p.pop_complete().map(|h| (h.ttl, h.mtu)), Some((1, None)));
        let too_big = ReplyKind::Error(IcmpError::FragmentationNeeded { mtu: 1280 });
        p.reply(&mut ids, &answer(sent[2].id, 2, too_big), ms(1));
        for s in send_all(&mut p, &mut ids, ms(2)) {
            assert_eq!(s.size, Some(1280));
            let kind = if s.ttl == 3 {
                ReplyKind::Reached
            } else {
                ReplyKind::TimeExceeded
            };
            p.reply(&mut ids, &answer(s.id, s.ttl, kind), ms(3));
        }
        assert_eq!(p.pop_complete().map(|h| (h.ttl, h.mtu)), Some((2, None)));
        assert_eq!(
            p.pop_complete().map(|h| (h.ttl, h.mtu)),
            Some((3, Some(1280)))
        );
    }

    #[test]
    fn a_probe_sent_again_is_sent_after_the_destination_answered() {
        // The hang seen over a real 1280 link: hop 2's first probe (1500
        // bytes) is refused by the router after its other probes (1280)
        // reached the destination; it must still go again, not wait forever.
        let mut p = Pass::new(PassConfig {
            mtu_start: Some(1500),
            ..pass(3, 16).cfg
        });
        let mut ids = Ids::default();
        let first = send_all(&mut p, &mut ids, ms(0));
        assert_eq!(first.len(), 15);
        for s in &first[..3] {
            p.reply(&mut ids, &answer(s.id, 1, ReplyKind::TimeExceeded), ms(1));
        }
        // The host refuses the second probe: down to the plateau of 1492,
        // then a router says 1280; hop 2's last two probes leave at 1280.
        p.refused(
            &mut ids,
            first[4].id,
            LocalError::MessageTooLong { mtu: None },
        );
        let too_big = ReplyKind::Error(IcmpError::FragmentationNeeded { mtu: 1280 });
        p.reply(&mut ids, &answer(first[5].id, 2, too_big.clone()), ms(1));
        let again: Vec<ProbeSpec> = send_all(&mut p, &mut ids, ms(1))
            .into_iter()
            .filter(|s| s.ttl == 2)
            .collect();
        assert_eq!(again.len(), 2);
        for s in &again {
            p.reply(&mut ids, &answer(s.id, 2, ReplyKind::Reached), ms(2));
        }
        p.reply(&mut ids, &answer(first[3].id, 2, too_big), ms(2));
        let last = send_all(&mut p, &mut ids, ms(2));
        assert_eq!(
            last.iter().map(|s| (s.ttl, s.size)).collect::<Vec<_>>(),
            vec![(2, Some(1280))]
        );
        p.reply(&mut ids, &answer(last[0].id, 2, ReplyKind::Reached), ms(3));
        for _ in 0..2 {
            assert!(p.pop_complete().is_some());
        }
        assert!(p.finished() && p.reached());
    }

    #[test]
    fn a_local_no_route_is_believed_the_second_time() {
        let (mut p, mut ids) = (pass(1, 16), Ids::default());
        let first = send_all(&mut p, &mut ids, ms(0));
        let no_route = || LocalError::HostUnreachable {
            message: "No route to host".into(),
        };
        p.refused(&mut ids, first[0].id, no_route());
        let again = send_all(&mut p, &mut ids, ms(0));
        assert_eq!(again.iter().map(|s| s.ttl).collect::<Vec<_>>(), vec![1]);
        p.refused(&mut ids, again[0].id, no_route());
        let hop = p.pop_complete().expect("hop 1 is complete");
        assert_eq!(
            hop.outcomes().next().and_then(|o| o.local.clone()),
            Some(no_route())
        );
    }
}
