//! Sweeping many hosts (fping's job): one ICMP channel per family for all
//! targets ([`crate::probe`]; on Linux a socket whose batches are
//! `sendmmsg`/`recvmmsg`), probes sent in batches at a bounded rate,
//! replies read in batches. Async on tokio, but with one task and no
//! per-probe future or timer: the work is two system calls per 64 packets,
//! and anything per probe would cost more than the probe itself.
//!
//! Each probe carries, after the run's cookie, the target's index and its
//! send time; the sequence number is the round. A reply counts when its
//! identifier, cookie, index and source address all match, once per round.
//! Without a count, rounds resend only to targets still silent (`retries`);
//! with one, every target gets `count` probes `period` apart and keeps its
//! own statistics. Memory is a few dozen bytes per target, nothing per probe.

use std::net::IpAddr;
use std::ops::ControlFlow;
use std::time::Duration;

use ipkit_core::wire::icmp::QuotedTransport;
use ipkit_core::wire::icmp::{Family, IcmpError, Message, write_echo_request};
use tokio::time::Instant;

use super::PingError;
use super::track::COOKIE_LEN;
use crate::probe::{ChannelConfig, IcmpChannel, IcmpProvider, RecvBatch, System};

/// Sweep settings.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// Probes per second at most; 0 for no limit.
    pub rate: u32,
    /// Extra rounds for targets that stayed silent (when `count` is None).
    pub retries: u8,
    /// How long to wait for replies after the last round's last probe.
    pub timeout: Duration,
    /// Probes per target, every target (fping -c); None: until one answers.
    pub count: Option<u16>,
    /// Time between rounds when `count` is set (fping -p).
    pub period: Duration,
    /// TTL / hop limit of the probes.
    pub ttl: Option<u32>,
    /// Type of service / traffic class.
    pub tos: Option<u32>,
    /// Source address (used for targets of its family).
    pub source: Option<IpAddr>,
    /// Send through this interface only.
    pub interface: Option<String>,
    /// Payload bytes after the ICMP header (fping -b, iputils -s): 56 by
    /// default as both; at least the 16 the sweep's own fields take.
    pub size: usize,
}

impl Default for SweepOptions {
    /// 1,000 probes/s, 1 retry, 1 s wait: a /24 in well under 2 s, and gentle
    /// enough for real networks (fping's default spacing is 10 ms per target).
    fn default() -> Self {
        SweepOptions {
            rate: 1000,
            retries: 1,
            timeout: Duration::from_secs(1),
            count: None,
            period: Duration::from_secs(1),
            ttl: None,
            tos: None,
            source: None,
            interface: None,
            size: 56,
        }
    }
}

/// One target's tally.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TargetStats {
    /// Probes sent.
    pub sent: u16,
    /// Rounds answered.
    pub received: u16,
    /// Highest round answered, plus one (0: none yet).
    next_round: u16,
    /// Rounds answered, bit `round % 64` (cleared when a round is sent).
    answered: u64,
    /// Round-trip times in microseconds.
    min_us: u32,
    max_us: u32,
    sum_us: u64,
    /// The last ICMP error a probe to it drew, and who sent it.
    error: Option<(IpAddr, IcmpError)>,
}

impl TargetStats {
    /// Was any probe sent to it? False only for a sweep stopped before
    /// its turn.
    pub fn probed(&self) -> bool {
        self.sent > 0
    }

    /// Did any probe get an answer?
    pub fn alive(&self) -> bool {
        self.received > 0
    }

    /// Minimum, average and maximum round-trip time, when any reply came.
    pub fn rtt(&self) -> Option<(Duration, Duration, Duration)> {
        (self.received > 0).then(|| {
            (
                Duration::from_micros(u64::from(self.min_us)),
                Duration::from_micros(self.sum_us / u64::from(self.received)),
                Duration::from_micros(u64::from(self.max_us)),
            )
        })
    }

    /// The last ICMP error about this target (time exceeded, unreachable),
    /// and the router or host that sent it. A sweep's summary prints it
    /// with `{:#}` (without the MTU).
    pub fn error(&self) -> Option<(IpAddr, IcmpError)> {
        self.error
    }

    /// Lost probes as a percentage of those sent.
    pub fn loss_percent(&self) -> f64 {
        if self.sent == 0 {
            return 0.0;
        }
        100.0 * f64::from(self.sent.saturating_sub(self.received)) / f64::from(self.sent)
    }
}

/// What a sweep found, by target index.
#[derive(Debug, Clone)]
pub struct SweepResult {
    /// Per-target statistics, in the targets' order.
    pub targets: Vec<TargetStats>,
    /// Probes sent.
    pub sent: u64,
    /// Targets that answered at least once.
    pub alive: u64,
}

/// Progress of a sweep, as reported after each batch.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Probes sent so far.
    pub sent: u64,
    /// Probes the sweep will send at least.
    pub planned: u64,
    /// Targets that have answered.
    pub alive: u64,
    /// Targets in all.
    pub targets: u64,
}

/// What a sweep reports while it runs.
#[derive(Debug, Clone, Copy)]
pub enum SweepEvent {
    /// After each batch.
    Progress(Progress),
    /// With a count: a target's probe of this round got no answer within
    /// the timeout (fping -c's `timed out`); a later answer is not counted.
    Timeout {
        /// Index into the targets.
        target: usize,
        /// The round (0-based).
        round: u16,
    },
    /// A target answered a round (the first answer to each round only).
    Reply {
        /// Index into the targets.
        target: usize,
        /// The round (0-based; fping's `[n]`).
        round: u16,
        /// Round-trip time.
        rtt: Duration,
    },
}

/// Payload: cookie, target index (u32), send time in µs since start (u32).
const PAYLOAD: usize = COOKIE_LEN + 4 + 4;
/// Probes per `sendmmsg`, and packets per `recvmmsg`.
const BATCH: usize = 64;

/// Probe every target; `observe` hears each reply and, after each batch,
/// the progress. IPv4 and IPv6 targets may be mixed: each family is swept
/// on its own socket, IPv4 first, and the results come back in the
/// targets' order.
///
/// The sweep ends early when `stop` is set or `observe` answers
/// [`ControlFlow::Break`]; targets never probed then keep `sent == 0`
/// ([`TargetStats::probed`] is false).
pub async fn sweep(
    targets: &[IpAddr],
    o: &SweepOptions,
    stop: &crate::cancel::Cancel,
    observe: impl FnMut(SweepEvent) -> ControlFlow<()>,
) -> Result<SweepResult, PingError> {
    sweep_with(&System, targets, o, stop, observe).await
}

/// [`sweep`] over the ICMP channels `icmp` opens.
pub async fn sweep_with<P: IcmpProvider>(
    icmp: &P,
    targets: &[IpAddr],
    o: &SweepOptions,
    stop: &crate::cancel::Cancel,
    mut observe: impl FnMut(SweepEvent) -> ControlFlow<()>,
) -> Result<SweepResult, PingError> {
    let (v4, v6): (Vec<usize>, Vec<usize>) =
        (0..targets.len()).partition(|&i| targets[i].is_ipv4());
    if v6.is_empty() || v4.is_empty() {
        return sweep_family(icmp, targets, v6.is_empty(), o, stop, observe).await;
    }
    let mut result = SweepResult {
        targets: vec![TargetStats::default(); targets.len()],
        sent: 0,
        alive: 0,
    };
    let planned_all = planned(targets.len(), o);
    let mut halted = false;
    for (family, is_v4) in [(v4, true), (v6, false)] {
        if halted {
            break;
        }
        let subset: Vec<IpAddr> = family.iter().map(|&i| targets[i]).collect();
        let (sent, alive) = (result.sent, result.alive);
        let part = sweep_family(icmp, &subset, is_v4, o, stop, |e| {
            let flow = match e {
                SweepEvent::Progress(p) => observe(SweepEvent::Progress(Progress {
                    sent: sent + p.sent,
                    planned: planned_all,
                    alive: alive + p.alive,
                    targets: targets.len() as u64,
                })),
                SweepEvent::Reply { target, round, rtt } => observe(SweepEvent::Reply {
                    target: family[target],
                    round,
                    rtt,
                }),
                SweepEvent::Timeout { target, round } => observe(SweepEvent::Timeout {
                    target: family[target],
                    round,
                }),
            };
            halted |= flow.is_break();
            flow
        })
        .await?;
        for (k, stats) in family.iter().zip(part.targets) {
            result.targets[*k] = stats;
        }
        result.sent += part.sent;
        result.alive += part.alive;
    }
    Ok(result)
}

fn planned(n: usize, o: &SweepOptions) -> u64 {
    n as u64 * u64::from(o.count.unwrap_or(1))
}

/// Sweep targets of one family.
async fn sweep_family<P: IcmpProvider>(
    icmp: &P,
    targets: &[IpAddr],
    is_v4: bool,
    o: &SweepOptions,
    stop: &crate::cancel::Cancel,
    mut observe: impl FnMut(SweepEvent) -> ControlFlow<()>,
) -> Result<SweepResult, PingError> {
    let family = if is_v4 { Family::V4 } else { Family::V6 };
    let n = targets.len();
    let index_limit = u32::try_from(n).map_err(|_| PingError::Io {
        op: "sweeping",
        source: std::io::Error::other("more than 2^32 targets"),
    })?;
    let mut stats = vec![TargetStats::default(); n];
    if n == 0 {
        return Ok(SweepResult {
            targets: stats,
            sent: 0,
            alive: 0,
        });
    }
    let config = ChannelConfig {
        source: o.source.filter(|s| s.is_ipv4() == is_v4),
        interface: o.interface.clone(),
        ttl: o.ttl,
        tos: o.tos,
        ..ChannelConfig::default()
    };
    let mut chan = icmp.open(family, &config)?;
    let cookie_seed = crate::random::u16();
    let ident = chan.kernel_ident().unwrap_or(cookie_seed);
    let [c0, c1] = cookie_seed.to_be_bytes();
    let cookie: [u8; COOKIE_LEN] = [0x69, 0x70, 0x6b, 0x73, 0x77, 0x70, c0, c1];
    let start = Instant::now();
    let mut sent = 0u64;
    let mut alive = 0u64;
    let mut answered = 0u64; // (target, round) pairs answered
    let payload = o.size.clamp(PAYLOAD, 65_507);
    let mut packets: Vec<Vec<u8>> = vec![vec![0u8; 8 + payload]; BATCH];
    let planned = planned(n, o);
    let micros =
        |at: Instant| u32::try_from(at.duration_since(start).as_micros()).unwrap_or(u32::MAX);
    let mut inbox = Inbox {
        // Room for a reply (with a raw socket's IP header) or an ICMP error
        // quoting the probe's start.
        batch: RecvBatch::new(BATCH, (8 + payload + 60).max(256)),
        family,
        verify: !chan.checksums_verified(),
        ident,
        cookie,
        targets,
        start,
        replies: Vec::with_capacity(BATCH),
        expired_below: 0,
    };
    // With a count: each round sent, and when its probes time out.
    let mut expiring: std::collections::VecDeque<(u16, Instant)> =
        std::collections::VecDeque::new();
    // Set when the observer asks to stop (its reader went away).
    let mut halted = false;
    // With a count: report the probes of every round whose timeout has
    // passed (all rounds left when `$all`) that got no answer.
    macro_rules! expire {
        ($all:expr) => {
            while let Some(&(r, due)) = expiring.front() {
                if halted || (!$all && Instant::now() < due) {
                    break;
                }
                expiring.pop_front();
                inbox.expired_below = r + 1;
                let bit = 1u64 << (r % 64);
                for (idx, s) in stats.iter().enumerate() {
                    if halted {
                        break;
                    }
                    if s.sent > r && s.answered & bit == 0 {
                        halted |= observe(SweepEvent::Timeout {
                            target: idx,
                            round: r,
                        })
                        .is_break();
                    }
                }
            }
        };
    }
    // Shorthand: wait at most `wait`, read everything queued, report replies.
    macro_rules! drain {
        ($wait:expr) => {{
            let n = inbox
                .drain(&mut chan, $wait, &mut stats, &mut alive, &mut answered)
                .await?;
            for (target, round, us) in inbox.replies.drain(..) {
                if halted {
                    break;
                }
                halted |= observe(SweepEvent::Reply {
                    target: target as usize,
                    round,
                    rtt: Duration::from_micros(u64::from(us)),
                })
                .is_break();
            }
            expire!(false);
            n
        }};
    }
    macro_rules! stopped {
        () => {
            halted || stop.is_cancelled()
        };
    }
    macro_rules! progress {
        () => {
            halted |= observe(SweepEvent::Progress(Progress {
                sent,
                planned,
                alive,
                targets: n as u64,
            }))
            .is_break();
        };
    }

    let rounds = o.count.unwrap_or(u16::from(o.retries) + 1);
    let mut pending: Vec<u32> = Vec::with_capacity(n);
    for round in 0..rounds {
        if stopped!() {
            break;
        }
        let round_start = start + o.period * u32::from(round);
        if o.count.is_some() {
            // Rounds to the same target are `period` apart.
            while Instant::now() < round_start && !stopped!() {
                let left = round_start.saturating_duration_since(Instant::now());
                drain!(left.min(Duration::from_millis(20)));
            }
        }
        pending.clear();
        pending
            .extend((0..index_limit).filter(|&i| o.count.is_some() || !stats[i as usize].alive()));
        if pending.is_empty() {
            break;
        }
        let mut next = 0;
        while next < pending.len() && !stopped!() {
            // Rate limit: no more than rate × elapsed probes so far.
            let mut room = BATCH.min(pending.len() - next);
            if o.rate > 0 {
                let allowed = (start.elapsed().as_secs_f64() * f64::from(o.rate)) as u64 + 1;
                room = room.min(usize::try_from(allowed.saturating_sub(sent)).unwrap_or(0));
                if room == 0 {
                    drain!(Duration::from_micros(500));
                    continue;
                }
            }
            let now_us = micros(Instant::now());
            for (p, &idx) in packets.iter_mut().zip(&pending[next..next + room]) {
                p[8..8 + COOKIE_LEN].copy_from_slice(&cookie);
                p[16..20].copy_from_slice(&idx.to_be_bytes());
                p[20..24].copy_from_slice(&now_us.to_be_bytes());
                write_echo_request(family, p, ident, round).map_err(|e| PingError::Io {
                    op: "building the probe",
                    source: std::io::Error::other(e.to_string()),
                })?;
            }
            let went = {
                let batch: Vec<(IpAddr, &[u8])> = pending[next..next + room]
                    .iter()
                    .zip(&packets)
                    .map(|(&i, p)| (targets[i as usize], &p[..]))
                    .collect();
                chan.send_batch(&batch).map_err(|source| PingError::Io {
                    op: "sending",
                    source,
                })?
            };
            for &idx in &pending[next..next + went] {
                let s = &mut stats[idx as usize];
                s.sent = round + 1;
                s.answered &= !(1u64 << (round % 64));
            }
            sent += went as u64;
            next += went;
            // Read what has arrived, without waiting, so buffers never fill.
            drain!(Duration::ZERO);
            if went == 0 {
                drain!(Duration::from_micros(200));
            }
            progress!();
        }
        if o.count.is_some() {
            expiring.push_back((round, Instant::now() + o.timeout));
        }
        if o.count.is_some() && round + 1 < rounds {
            continue;
        }
        // Wait for the stragglers, until all answered or the timeout.
        let deadline = Instant::now() + o.timeout;
        let expected = if o.count.is_some() { sent } else { n as u64 };
        let done = |alive: u64, answered: u64| {
            if o.count.is_some() {
                answered >= expected
            } else {
                alive >= expected
            }
        };
        while !done(alive, answered) && !stopped!() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            drain!(left.min(Duration::from_millis(20)));
        }
        if !stopped!() {
            expire!(true);
        }
        progress!();
    }
    Ok(SweepResult {
        targets: stats,
        sent,
        alive,
    })
}

/// The receiving side of a sweep: buffers for one batch and what a reply
/// must match.
struct Inbox<'a> {
    batch: RecvBatch,
    family: Family,
    /// Whether ICMPv4 checksums are still to be checked.
    verify: bool,
    ident: u16,
    cookie: [u8; COOKIE_LEN],
    targets: &'a [IpAddr],
    start: Instant,
    /// Replies counted since the last report: (target, round, µs).
    replies: Vec<(u32, u16, u32)>,
    /// Rounds below this have timed out: a late answer to one is not counted.
    expired_below: u16,
}

impl Inbox<'_> {
    /// Wait up to `wait` for the channel (not at all when zero), then read
    /// batches until it is empty; returns how many packets came.
    async fn drain(
        &mut self,
        chan: &mut impl IcmpChannel,
        wait: Duration,
        stats: &mut [TargetStats],
        alive: &mut u64,
        answered: &mut u64,
    ) -> Result<usize, PingError> {
        if !wait.is_zero() {
            chan.wait(wait)
                .await
                .map_err(super::io("waiting for replies"))?;
        }
        let mut total = 0;
        loop {
            let got = chan
                .try_recv_batch(&mut self.batch)
                .map_err(super::io("receiving"))?;
            self.count(stats, alive, answered);
            total += got;
            if got < self.batch.capacity() {
                return Ok(total);
            }
        }
    }

    /// Match the packets of the last batch to their targets: replies, and
    /// ICMP errors that quote one of our probes (with enough of its payload
    /// to carry the target's index, as Linux and most routers quote).
    fn count(&mut self, stats: &mut [TargetStats], alive: &mut u64, answered: &mut u64) {
        let now_us = u32::try_from(self.start.elapsed().as_micros()).unwrap_or(u32::MAX);
        for i in 0..self.batch.len() {
            let (from, b, queued) = self.batch.get(i);
            let Some(from) = from else {
                continue;
            };
            let (ident, round, data) =
                match crate::probe::decode(self.family, b, queued, self.verify) {
                    Ok(Message::EchoReply { ident, seq, data }) => (ident, seq, data),
                    Ok(Message::Error { error, probe }) if super::reported(&error) => {
                        let QuotedTransport::Echo { ident, .. } = probe.transport else {
                            continue;
                        };
                        let Some(idx) = self.ours(ident, probe.payload) else {
                            continue;
                        };
                        // The quoted destination must be the target (a
                        // kernel's queued error quotes none).
                        if probe.dst.is_some_and(|d| d != self.targets[idx]) {
                            continue;
                        }
                        stats[idx].error = Some((from, error));
                        continue;
                    }
                    _ => continue,
                };
            let Some(idx) = self.ours(ident, data) else {
                continue;
            };
            if data.len() < PAYLOAD {
                continue;
            }
            let sent_us = u32::from_be_bytes([data[12], data[13], data[14], data[15]]);
            let s = &mut stats[idx];
            // Only from the target itself, once per round.
            if from != self.targets[idx]
                || round < s.next_round
                || round >= s.sent
                || round < self.expired_below
            {
                continue;
            }
            let rtt = now_us.saturating_sub(sent_us);
            if s.received == 0 {
                *alive += 1;
                s.min_us = rtt;
            }
            s.received += 1;
            s.next_round = round + 1;
            s.answered |= 1u64 << (round % 64);
            s.min_us = s.min_us.min(rtt);
            s.max_us = s.max_us.max(rtt);
            s.sum_us += u64::from(rtt);
            *answered += 1;
            // idx < targets.len(), which fits in u32 (checked at the start).
            self.replies.push((idx as u32, round, rtt));
        }
    }

    /// The target a probe's payload names, when the identifier and the
    /// run's cookie are ours.
    fn ours(&self, ident: u16, payload: &[u8]) -> Option<usize> {
        if ident != self.ident || payload.get(..COOKIE_LEN) != Some(&self.cookie[..]) {
            return None;
        }
        let i = payload.get(COOKIE_LEN..COOKIE_LEN + 4)?;
        let idx = u32::from_be_bytes([i[0], i[1], i[2], i[3]]) as usize;
        (idx < self.targets.len()).then_some(idx)
    }
}
