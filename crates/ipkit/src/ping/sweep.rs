//! Sweeping many hosts (fping's job): one ICMP socket per family for all
//! targets, probes sent in `sendmmsg` batches at a bounded rate, replies
//! read in `recvmmsg` batches, each matched by identifier, run cookie, the
//! target's index carried in the payload, and the replying address. Rounds
//! resend only to targets still silent (`retries`). Memory is a few bytes
//! per target; nothing is allocated per probe.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// Extra rounds for targets that stayed silent.
    pub retries: u8,
    /// How long to wait for replies after a round's last probe.
    pub timeout: Duration,
}

impl Default for SweepOptions {
    /// 1,000 probes/s, 1 retry, 1 s wait: a /24 in well under 2 s, and gentle
    /// enough for real networks (fping's default spacing is 10 ms per target).
    fn default() -> Self {
        SweepOptions {
            rate: 1000,
            retries: 1,
            timeout: Duration::from_secs(1),
        }
    }
}

/// What a sweep found, by target index.
#[derive(Debug, Clone)]
pub struct SweepResult {
    /// Round-trip time of the first reply, per target; None if silent.
    pub rtt: Vec<Option<Duration>>,
    /// Probes sent.
    pub sent: u64,
    /// Replies matched (first per target).
    pub alive: u64,
}

const PAYLOAD: usize = COOKIE_LEN + 4 + 4;
/// Probes per `sendmmsg`, and packets per `recvmmsg`.
const BATCH: usize = 64;

/// Probe every target; `progress(alive, total)` is called after each batch.
/// IPv4 and IPv6 targets may be mixed: each family is swept on its own
/// socket, IPv4 first, and the results come back in the targets' order.
pub fn sweep(
    targets: &[IpAddr],
    o: &SweepOptions,
    stop: &AtomicBool,
    mut progress: impl FnMut(u64, u64),
) -> Result<SweepResult, PingError> {
    let total = targets.len() as u64;
    let (v4, v6): (Vec<usize>, Vec<usize>) =
        (0..targets.len()).partition(|&i| targets[i].is_ipv4());
    if v6.is_empty() || v4.is_empty() {
        return sweep_family(
            targets,
            !v4.is_empty() || targets.is_empty(),
            o,
            stop,
            progress,
        );
    }
    let mut result = SweepResult {
        rtt: vec![None; targets.len()],
        sent: 0,
        alive: 0,
    };
    for (family, is_v4) in [(v4, true), (v6, false)] {
        let subset: Vec<IpAddr> = family.iter().map(|&i| targets[i]).collect();
        let base = result.alive;
        let part = sweep_family(&subset, is_v4, o, stop, |alive, _| {
            progress(base + alive, total);
        })?;
        for (k, rtt) in family.iter().zip(part.rtt) {
            result.rtt[*k] = rtt;
        }
        result.sent += part.sent;
        result.alive += part.alive;
    }
    Ok(result)
}

/// Sweep targets of one family.
fn sweep_family(
    targets: &[IpAddr],
    is_v4: bool,
    o: &SweepOptions,
    stop: &AtomicBool,
    mut progress: impl FnMut(u64, u64),
) -> Result<SweepResult, PingError> {
    let v6 = !is_v4;
    let n = targets.len();
    let index_limit = u32::try_from(n).map_err(|_| PingError::Io {
        op: "sweeping",
        source: std::io::Error::other("more than 2^32 targets"),
    })?;
    let sock = IcmpSocket::open(v6)?;
    sock.bind(None).map_err(|source| PingError::Io {
        op: "binding",
        source,
    })?;
    let cookie_seed = crate::dns::random_id();
    let ident = sock.kernel_ident().unwrap_or(cookie_seed);
    let cookie: [u8; COOKIE_LEN] = [
        0x69,
        0x70,
        0x6b,
        0x73,
        0x77,
        0x70,
        (cookie_seed >> 8) as u8,
        cookie_seed as u8,
    ];
    let mut rtt: Vec<Option<Duration>> = vec![None; n];
    let mut sent_at: Vec<u32> = vec![0; n]; // microseconds since start
    let start = Instant::now();
    let mut sent = 0u64;
    let mut alive = 0u64;
    let mut packets: Vec<[u8; 8 + PAYLOAD]> = vec![[0u8; 8 + PAYLOAD]; BATCH];
    let mut bufs = vec![[0u8; 256]; BATCH];
    let mut froms = vec![None; BATCH];
    let mut lens = vec![0usize; BATCH];
    let raw_v4 = !v6 && sock.kind == IcmpKind::Raw;

    let mut drain = |wait: Duration,
                     rtt: &mut Vec<Option<Duration>>,
                     alive: &mut u64,
                     sent_at: &[u32]|
     -> Result<usize, PingError> {
        let got = sock
            .recv_batch(&mut bufs, &mut froms, &mut lens, wait)
            .map_err(|source| PingError::Io {
                op: "receiving",
                source,
            })?;
        let now_us = start.elapsed().as_micros();
        for i in 0..got {
            let mut b = &bufs[i][..lens[i].min(256)];
            if raw_v4 {
                let ihl = usize::from(b.first().copied().unwrap_or(0) & 0x0f) * 4;
                b = b.get(ihl..).unwrap_or(&[]);
            }
            let reply_type = if v6 { 129 } else { 0 };
            if b.len() < 8 + PAYLOAD
                || b[0] != reply_type
                || u16::from_be_bytes([b[4], b[5]]) != ident
                || b[8..8 + COOKIE_LEN] != cookie
            {
                continue;
            }
            let idx = u32::from_be_bytes([b[16], b[17], b[18], b[19]]);
            if idx >= index_limit {
                continue;
            }
            let idx = idx as usize;
            if froms[i] != Some(targets[idx]) || rtt[idx].is_some() {
                continue;
            }
            let us = (now_us as u64).saturating_sub(u64::from(sent_at[idx]));
            rtt[idx] = Some(Duration::from_micros(us));
            *alive += 1;
        }
        Ok(got)
    };

    for round in 0..=o.retries {
        let pending: Vec<usize> = (0..n).filter(|&i| rtt[i].is_none()).collect();
        if pending.is_empty() || stop.load(Ordering::Relaxed) {
            break;
        }
        let mut next = 0;
        while next < pending.len() && !stop.load(Ordering::Relaxed) {
            // Rate limit: no more than rate × elapsed probes so far.
            let mut room = BATCH.min(pending.len() - next);
            if o.rate > 0 {
                let allowed = (start.elapsed().as_secs_f64() * f64::from(o.rate)) as u64 + 1;
                room = room.min(usize::try_from(allowed.saturating_sub(sent)).unwrap_or(0));
                if room == 0 {
                    drain(Duration::from_micros(500), &mut rtt, &mut alive, &sent_at)?;
                    continue;
                }
            }
            let now_us = u32::try_from(start.elapsed().as_micros()).unwrap_or(u32::MAX);
            for (k, &idx) in pending[next..next + room].iter().enumerate() {
                let p = &mut packets[k];
                p[0] = if v6 { 128 } else { 8 };
                p[1] = 0;
                p[2] = 0;
                p[3] = 0;
                p[4..6].copy_from_slice(&ident.to_be_bytes());
                p[6..8].copy_from_slice(&((idx & 0xffff) as u16).to_be_bytes());
                p[8..8 + COOKIE_LEN].copy_from_slice(&cookie);
                p[16..20].copy_from_slice(&(idx as u32).to_be_bytes());
                p[20..24].copy_from_slice(&[round, 0, 0, 0]);
                if !v6 {
                    let c = checksum::checksum(&p[..]);
                    p[2..4].copy_from_slice(&c.to_be_bytes());
                }
                sent_at[idx] = now_us;
            }
            let batch: Vec<(IpAddr, &[u8])> = pending[next..next + room]
                .iter()
                .zip(&packets)
                .map(|(&i, p)| (targets[i], &p[..]))
                .collect();
            let went = sock.send_batch(&batch).map_err(|source| PingError::Io {
                op: "sending",
                source,
            })?;
            sent += went as u64;
            next += went;
            // Read what has arrived, without waiting, so buffers never fill.
            while drain(Duration::ZERO, &mut rtt, &mut alive, &sent_at)? == BATCH {}
            if went == 0 {
                drain(Duration::from_micros(200), &mut rtt, &mut alive, &sent_at)?;
            }
            progress(alive, n as u64);
        }
        // Wait for the round's stragglers, until all answered or the timeout.
        let deadline = Instant::now() + o.timeout;
        while alive < n as u64 && !stop.load(Ordering::Relaxed) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            drain(
                left.min(Duration::from_millis(20)),
                &mut rtt,
                &mut alive,
                &sent_at,
            )?;
        }
        progress(alive, n as u64);
    }
    Ok(SweepResult { rtt, sent, alive })
}
