//! One ping session: probes to one target on a schedule, replies matched by
//! [`super::track::Tracker`], ICMP errors decoded (by core's
//! [`Message`]) from their quoted datagram and matched to the probe they
//! answer. Async: a session waits for its channel or the next send, at most
//! 50 ms at a time (to notice expiries and the stop flag); it needs a tokio
//! runtime with IO and time enabled. It runs over any
//! [`IcmpProvider`]: [`run`] over the system's, [`run_with`] over another.

use std::net::IpAddr;
use std::ops::ControlFlow;
use std::time::Duration;

use ipkit_core::wire::icmp::QuotedTransport;
use ipkit_core::wire::icmp::{Family, Message, write_echo_request};
use ipkit_core::wire::ipv4::{Ipv4Option, parse_options};
use tokio::time::Instant;

use super::track::{COOKIE_LEN, Tracker, Verdict};
use super::{PingError, ProbeFailure};
use crate::probe::{ChannelConfig, IcmpChannel, IcmpProvider, SendError, System};

/// The shortest interval between probes a user other than root may ask
/// for: iputils' rule (20221126, `ping: cannot flood; minimal interval
/// allowed for user is 2ms`).
pub const MIN_USER_INTERVAL: Duration = Duration::from_millis(2);

/// What to send and how long to wait.
#[derive(Debug, Clone)]
pub struct PingOptions {
    /// Probes to send; None until stopped or the deadline.
    pub count: Option<u64>,
    /// Time between probes.
    pub interval: Duration,
    /// How long to wait for each reply (iputils -W).
    pub timeout: Duration,
    /// Stop after this long whatever happened (iputils -w).
    pub deadline: Option<Duration>,
    /// Payload bytes after the ICMP header (iputils -s, default 56).
    pub size: usize,
    /// TTL / hop limit.
    pub ttl: Option<u32>,
    /// Type of service / traffic class.
    pub tos: Option<u32>,
    /// Forbid fragmentation.
    pub dont_fragment: bool,
    /// Source address.
    pub source: Option<IpAddr>,
    /// Interface to send through.
    pub interface: Option<String>,
    /// IPv4 options for every probe (record route, timestamp, source
    /// route); the session encodes them with `ipkit_core::wire::ipv4::emit_options`.
    pub ip_options: Vec<Ipv4Option>,
}

impl Default for PingOptions {
    fn default() -> Self {
        PingOptions {
            count: None,
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            deadline: None,
            size: 56,
            ttl: None,
            tos: None,
            dont_fragment: false,
            source: None,
            interface: None,
            ip_options: Vec::new(),
        }
    }
}

/// Something that happened during a session.
#[derive(Debug, Clone, PartialEq)]
pub enum PingEvent {
    /// An echo reply (first, duplicate or late).
    Reply {
        /// Who answered.
        from: IpAddr,
        /// Sequence number.
        seq: u16,
        /// ICMP bytes received (header + payload), as ping prints.
        bytes: usize,
        /// TTL or hop limit of the reply.
        ttl: Option<u8>,
        /// Round-trip time.
        rtt: Duration,
        /// A second copy.
        duplicate: bool,
        /// After its timeout.
        late: bool,
        /// The IPv4 options the reply carried (a recorded route, timestamps).
        options: Vec<Ipv4Option>,
    },
    /// An ICMP error for one of our probes, or the local host's refusal
    /// to send it.
    Error {
        /// The router or host that sent it (the target for a local refusal).
        from: IpAddr,
        /// The probe's sequence number.
        seq: u16,
        /// What happened; its `Display` is what ping prints.
        cause: ProbeFailure,
    },
    /// No answer within the timeout.
    Timeout {
        /// Sequence number.
        seq: u16,
    },
}

/// Ping `target` until the count, the deadline, `stop`, or `on_event`
/// answers [`ControlFlow::Break`] (a reader that went away: the caller's
/// first failed write ends the session at once), over the system's ICMP.
///
/// ```no_run
/// # async fn demo() -> Result<(), ipkit::ping::PingError> {
/// use ipkit::ping::session::{run, PingOptions};
/// let o = PingOptions { count: Some(3), ..PingOptions::default() };
/// let tracker = run("127.0.0.1".parse().unwrap(), &o, &ipkit::cancel::Cancel::new(), |e| {
///     println!("{e:?}");
///     std::ops::ControlFlow::Continue(())
/// })
/// .await?;
/// println!("{} of {} answered", tracker.stats.received, tracker.stats.transmitted);
/// # Ok(()) }
/// ```
pub async fn run(
    target: IpAddr,
    o: &PingOptions,
    stop: &crate::cancel::Cancel,
    on_event: impl FnMut(&PingEvent) -> ControlFlow<()>,
) -> Result<Tracker, PingError> {
    run_with(&System, target, o, stop, on_event).await
}

/// [`run`] over the ICMP channels `icmp` opens.
pub async fn run_with<P: IcmpProvider>(
    icmp: &P,
    target: IpAddr,
    o: &PingOptions,
    stop: &crate::cancel::Cancel,
    mut on_event: impl FnMut(&PingEvent) -> ControlFlow<()>,
) -> Result<Tracker, PingError> {
    let family = Family::of(target);
    let config = ChannelConfig {
        source: o.source,
        interface: o.interface.clone(),
        ttl: o.ttl,
        tos: o.tos,
        dont_fragment: o.dont_fragment,
        ip_options: ipkit_core::wire::ipv4::emit_options(&o.ip_options),
        broadcast: matches!(target, IpAddr::V4(a) if a.is_broadcast() || a.octets()[3] == 255),
    };
    let mut chan = icmp.open(family, &config)?;
    let verify = !chan.checksums_verified();
    let cookie = crate::random::u16().to_be_bytes();
    let cookie: [u8; COOKIE_LEN] = [cookie[0], cookie[1], 0x69, 0x70, 0x6b, 0x69, 0x74, 0x21];
    let ident = chan.kernel_ident().unwrap_or_else(crate::random::u16);
    // The payload is exactly `size` bytes, as iputils sends: the cookie
    // first (as much of it as fits), then a counting pattern.
    let mut tracker = Tracker::new(ident, cookie).carrying(o.size);
    let mut buf = vec![0u8; 8 + o.size];
    let payload = &mut buf[8..];
    let fits = o.size.min(COOKIE_LEN);
    payload[..fits].copy_from_slice(&cookie[..fits]);
    for (i, b) in payload.iter_mut().enumerate().skip(COOKIE_LEN) {
        *b = u8::try_from(i & 0xff).unwrap_or(0);
    }
    let start = Instant::now();
    // Receive times come from the kernel (SO_TIMESTAMPNS, the real-time
    // clock) when it gives them: they leave out the time this process took
    // to be scheduled. `start_real` maps them onto `start`.
    let start_real = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut next_send = Duration::ZERO;
    let mut seq: u16 = 0;
    let mut sent = 0u64;
    'session: loop {
        let now = start.elapsed();
        if stop.is_cancelled() || o.deadline.is_some_and(|d| now >= d) {
            break;
        }
        let more = o.count.is_none_or(|c| sent < c);
        if !more && tracker.settled() {
            break;
        }
        if more && now >= next_send {
            seq = seq.wrapping_add(1);
            write_echo_request(family, &mut buf, ident, seq).map_err(|e| PingError::Io {
                op: "building the probe",
                source: std::io::Error::other(e.to_string()),
            })?;
            // Taken before the send: on loopback the reply's kernel
            // timestamp is set before send_to returns.
            let sent_at = start.elapsed();
            match chan.send(&buf, target) {
                Ok(()) => {}
                Err(SendError::Local(e)) => {
                    let event = PingEvent::Error {
                        from: target,
                        seq,
                        cause: ProbeFailure::Local(e),
                    };
                    if on_event(&event).is_break() {
                        break 'session;
                    }
                }
                Err(SendError::Io(source)) => {
                    return Err(PingError::Io {
                        op: "sending",
                        source,
                    });
                }
            }
            tracker.sent(seq, sent_at);
            sent += 1;
            next_send += o.interval;
            continue;
        }
        // Probes sent at least `timeout` ago (none before `timeout` has
        // passed: a probe sent at the very start is not yet due).
        let due = now.checked_sub(o.timeout);
        for s in due.map(|d| tracker.expire(d)).unwrap_or_default() {
            if on_event(&PingEvent::Timeout { seq: s }).is_break() {
                break 'session;
            }
        }
        // Sleep in recv until the next send, or a little (to notice expiries and Ctrl-C).
        let until_send = if more {
            next_send.saturating_sub(now)
        } else {
            Duration::from_millis(50)
        };
        let wait = until_send.min(Duration::from_millis(50));
        chan.wait(wait)
            .await
            .map_err(super::io("waiting for replies"))?;
        while let Some(got) = chan.try_recv().map_err(super::io("receiving"))? {
            let now = start.elapsed();
            let at = got
                .kernel_time
                .and_then(|k| k.checked_sub(start_real))
                .filter(|k| *k <= now)
                .unwrap_or(now);
            let Ok(message) = crate::probe::decode(family, &got.icmp, got.queued, verify) else {
                continue;
            };
            let event = match message {
                Message::EchoReply {
                    ident: i,
                    seq: seq_r,
                    data,
                } => {
                    let (rtt, duplicate, late) = match tracker.reply(i, seq_r, data, at) {
                        Verdict::Reply { rtt } => (rtt, false, false),
                        Verdict::Duplicate { rtt } => (rtt, true, false),
                        Verdict::Late { rtt } => (rtt, false, true),
                        Verdict::Foreign => continue,
                    };
                    PingEvent::Reply {
                        from: got.from,
                        seq: seq_r,
                        bytes: got.icmp.len(),
                        ttl: got.ttl,
                        rtt,
                        duplicate,
                        late,
                        options: parse_options(&got.ip_options),
                    }
                }
                Message::Error { error, probe } if super::reported(&error) => {
                    match probe.transport {
                        QuotedTransport::Echo { ident: i, seq_no }
                            if i == ident && tracker.error(seq_no) =>
                        {
                            PingEvent::Error {
                                from: got.from,
                                seq: seq_no,
                                cause: ProbeFailure::Icmp(error),
                            }
                        }
                        _ => continue,
                    }
                }
                _ => continue,
            };
            if on_event(&event).is_break() {
                break 'session;
            }
        }
    }
    Ok(tracker)
}
