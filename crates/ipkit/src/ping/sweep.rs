//! Sweeping many hosts (fping's job): one ICMP socket per family for all
//! targets, probes sent in `sendmmsg` batches at a bounded rate, replies
//! read in `recvmmsg` batches. Async on tokio, but with one task and no
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
use std::time::{Duration, Instant};

use ipkit_core::wire::checksum;

use super::PingError;
use super::track::COOKIE_LEN;
use crate::sys::{IcmpKind, IcmpSocket};

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
    /// The last ICMP error a probe to it drew: who sent it, type and code.
    error: Option<(IpAddr, u8, u8)>,
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
    /// as the router or host that sent it and a description.
    pub fn error(&self) -> Option<(IpAddr, &'static str)> {
        let (from, kind, code) = self.error?;
        let text = match (from.is_ipv6(), kind) {
            (false, 3) => ipkit_core::wire::icmpv4::Unreachable::from(code).text(),
            (false, 11) => "Time to live exceeded",
            (true, 1) => ipkit_core::wire::icmpv6::unreachable_text(code),
            (true, 2) => "Packet too big",
            (true, 3) => "Time exceeded: Hop limit",
            _ => "ICMP error",
        };
        Some((from, text))
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
    mut observe: impl FnMut(SweepEvent) -> ControlFlow<()>,
) -> Result<SweepResult, PingError> {
    let (v4, v6): (Vec<usize>, Vec<usize>) =
        (0..targets.len()).partition(|&i| targets[i].is_ipv4());
    if v6.is_empty() || v4.is_empty() {
        return sweep_family(targets, v6.is_empty(), o, stop, observe).await;
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
        let part = sweep_family(&subset, is_v4, o, stop, |e| {
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
async fn sweep_family(
    targets: &[IpAddr],
    is_v4: bool,
    o: &SweepOptions,
    stop: &crate::cancel::Cancel,
    mut observe: impl FnMut(SweepEvent) -> ControlFlow<()>,
) -> Result<SweepResult, PingError> {
    let v6 = !is_v4;
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
    let socket = super::register(IcmpSocket::open(v6)?)?;
    let sock = socket.get_ref();
    let source = o.source.filter(|s| s.is_ipv6() == v6);
    super::configure(sock, source, o.interface.as_deref(), o.ttl, o.tos)?;
    let cookie_seed = crate::random::u16();
    let ident = sock.kernel_ident().unwrap_or(cookie_seed);
    let [c0, c1] = cookie_seed.to_be_bytes();
    let cookie: [u8; COOKIE_LEN] = [0x69, 0x70, 0x6b, 0x73, 0x77, 0x70, c0, c1];
    let start = Instant::now();
    let mut sent = 0u64;
    let mut alive = 0u64;
    let mut answered = 0u64; // (target, round) pairs answered
    let payload = o.size.clamp(PAYLOAD, 65_507);
    let mut packets: Vec<Vec<u8>> = vec![vec![0u8; 8 + payload]; BATCH];
    let (request_type, reply_type) = if v6 { (128, 129) } else { (8, 0) };
    let planned = planned(n, o);
    let micros =
        |at: Instant| u32::try_from(at.duration_since(start).as_micros()).unwrap_or(u32::MAX);
    let mut inbox = Inbox {
        socket: &socket,
        // Room for a reply (with a raw socket's IP header) or an ICMP error
        // quoting the probe's start.
        bufs: vec![vec![0u8; (8 + payload + 60).max(256)]; BATCH],
        froms: vec![None; BATCH],
        lens: vec![0usize; BATCH],
        raw_v4: !v6 && sock.kind == IcmpKind::Raw,
        reply_type,
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
                .drain($wait, &mut stats, &mut alive, &mut answered)
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
                p[0] = request_type;
                p[1] = 0;
                p[2] = 0;
                p[3] = 0;
                p[4..6].copy_from_slice(&ident.to_be_bytes());
                p[6..8].copy_from_slice(&round.to_be_bytes());
                p[8..8 + COOKIE_LEN].copy_from_slice(&cookie);
                p[16..20].copy_from_slice(&idx.to_be_bytes());
                p[20..24].copy_from_slice(&now_us.to_be_bytes());
                if !v6 {
                    let c = checksum::checksum(&p[..]);
                    p[2..4].copy_from_slice(&c.to_be_bytes());
                }
            }
            let went = {
                let batch: Vec<(IpAddr, &[u8])> = pending[next..next + room]
                    .iter()
                    .zip(&packets)
                    .map(|(&i, p)| (targets[i as usize], &p[..]))
                    .collect();
                sock.send_batch(&batch).map_err(|source| PingError::Io {
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

/// The receiving side of a sweep: buffers for one `recvmmsg` batch and what
/// a reply must match.
struct Inbox<'a> {
    socket: &'a tokio::io::unix::AsyncFd<IcmpSocket>,
    bufs: Vec<Vec<u8>>,
    froms: Vec<Option<IpAddr>>,
    lens: Vec<usize>,
    raw_v4: bool,
    reply_type: u8,
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
    /// An ICMP error that quotes one of our probes (with enough of its
    /// payload to carry the target's index, as Linux and most routers
    /// quote): note it against that target.
    fn icmp_error(&self, b: &[u8], from: Option<IpAddr>, stats: &mut [TargetStats]) {
        let v6 = self.reply_type == 129;
        let is_error = if v6 {
            matches!(b[0], 1..=3)
        } else {
            matches!(b[0], 3 | 11)
        };
        let Some(from) = from.filter(|_| is_error) else {
            return;
        };
        let quoted = &b[8..];
        let (echo, dst) = if v6 {
            if quoted.len() < 40 || quoted[6] != 58 {
                return;
            }
            let dst: [u8; 16] = quoted[24..40].try_into().unwrap_or([0; 16]);
            (&quoted[40..], IpAddr::from(dst))
        } else {
            let ihl = usize::from(quoted.first().copied().unwrap_or(0) & 0x0f) * 4;
            if ihl < 20 || quoted.len() < ihl || quoted[9] != 1 {
                return;
            }
            let dst: [u8; 4] = quoted[16..20].try_into().unwrap_or([0; 4]);
            (&quoted[ihl..], IpAddr::from(dst))
        };
        let request_type = if v6 { 128 } else { 8 };
        if echo.len() < 8 + COOKIE_LEN + 4
            || echo[0] != request_type
            || u16::from_be_bytes([echo[4], echo[5]]) != self.ident
            || echo[8..8 + COOKIE_LEN] != self.cookie
        {
            return;
        }
        let idx = u32::from_be_bytes([echo[16], echo[17], echo[18], echo[19]]) as usize;
        // The quoted destination must be the target (a datagram socket's
        // rebuilt quote carries none).
        if self
            .targets
            .get(idx)
            .is_none_or(|t| !dst.is_unspecified() && *t != dst)
        {
            return;
        }
        stats[idx].error = Some((from, b[0], b[1]));
    }

    /// Wait up to `wait` for the socket (not at all when zero), then read
    /// batches until the socket is empty; returns how many packets came.
    async fn drain(
        &mut self,
        wait: Duration,
        stats: &mut [TargetStats],
        alive: &mut u64,
        answered: &mut u64,
    ) -> Result<usize, PingError> {
        if !wait.is_zero() {
            super::wait_readable(self.socket, wait).await?;
        }
        let mut total = 0;
        loop {
            let got = self
                .socket
                .get_ref()
                .try_recv_batch(&mut self.bufs, &mut self.froms, &mut self.lens)
                .map_err(|source| PingError::Io {
                    op: "receiving",
                    source,
                })?;
            self.count(got, stats, alive, answered);
            total += got;
            if got < BATCH {
                return Ok(total);
            }
        }
    }

    /// Match the first `got` packets of the batch to their targets.
    fn count(
        &mut self,
        got: usize,
        stats: &mut [TargetStats],
        alive: &mut u64,
        answered: &mut u64,
    ) {
        let now_us = u32::try_from(self.start.elapsed().as_micros()).unwrap_or(u32::MAX);
        for i in 0..got {
            let mut b = &self.bufs[i][..self.lens[i].min(self.bufs[i].len())];
            if self.raw_v4 {
                let ihl = usize::from(b.first().copied().unwrap_or(0) & 0x0f) * 4;
                b = b.get(ihl..).unwrap_or(&[]);
            }
            if b.len() >= 8 && b[0] != self.reply_type {
                self.icmp_error(b, self.froms[i], stats);
                continue;
            }
            if b.len() < 8 + PAYLOAD
                || b[0] != self.reply_type
                || u16::from_be_bytes([b[4], b[5]]) != self.ident
                || b[8..8 + COOKIE_LEN] != self.cookie
            {
                continue;
            }
            let round = u16::from_be_bytes([b[6], b[7]]);
            let idx = u32::from_be_bytes([b[16], b[17], b[18], b[19]]) as usize;
            let sent_us = u32::from_be_bytes([b[20], b[21], b[22], b[23]]);
            let Some(s) = stats.get_mut(idx) else {
                continue;
            };
            // Only from the target itself, once per round.
            if self.froms[i] != Some(self.targets[idx])
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
}
