//! One ping session: probes to one target on a schedule, replies matched by
//! [`super::track::Tracker`], ICMP errors decoded from their quoted datagram
//! and matched to the probe they answer. Async: a session waits for its
//! socket or the next send, at most 50 ms at a time (to notice expiries and
//! the stop flag); it needs a tokio runtime with IO and time enabled.

use std::net::IpAddr;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use ipkit_core::wire::icmpv4::{self, QuotedTransport};
use ipkit_core::wire::icmpv6;
use ipkit_core::wire::ipv4::{Ipv4Option, parse_options};

use super::PingError;
use super::track::{COOKIE_LEN, Tracker, Verdict};
use crate::sys::{IcmpKind, IcmpSocket};

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
    /// An ICMP error for one of our probes.
    Error {
        /// The router or host that sent it.
        from: IpAddr,
        /// The probe's sequence number.
        seq: u16,
        /// What happened, as ping prints it.
        text: String,
    },
    /// No answer within the timeout.
    Timeout {
        /// Sequence number.
        seq: u16,
    },
}

/// Ping `target` until the count, the deadline, `stop`, or `on_event`
/// answers [`ControlFlow::Break`] (a reader that went away: the caller's
/// first failed write ends the session at once).
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
    mut on_event: impl FnMut(&PingEvent) -> ControlFlow<()>,
) -> Result<Tracker, PingError> {
    let io = |op| move |source| PingError::Io { op, source };
    let socket = super::register(IcmpSocket::open(target.is_ipv6())?)?;
    let sock = socket.get_ref();
    super::configure(sock, o.source, o.interface.as_deref(), o.ttl, o.tos)?;
    if o.dont_fragment {
        sock.set_dont_fragment()
            .map_err(io("forbidding fragmentation"))?;
    }
    if !o.ip_options.is_empty() {
        sock.set_ip_options(&ipkit_core::wire::ipv4::emit_options(&o.ip_options))
            .map_err(io("setting IP options"))?;
    }
    if matches!(target, IpAddr::V4(a) if a.is_broadcast() || a.octets()[3] == 255) {
        let _ = sock.set_broadcast();
    }
    let cookie = crate::random::u16().to_be_bytes();
    let cookie: [u8; COOKIE_LEN] = [cookie[0], cookie[1], 0x69, 0x70, 0x6b, 0x69, 0x74, 0x21];
    let ident = sock.kernel_ident().unwrap_or_else(crate::random::u16);
    // The payload is exactly `size` bytes, as iputils sends: the cookie
    // first (as much of it as fits), then a counting pattern.
    let mut tracker = Tracker::new(ident, cookie).carrying(o.size);
    let mut payload = vec![0u8; o.size];
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
    let mut buf = vec![0u8; 8 + payload.len()];
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
            let n = if target.is_ipv6() {
                let r = icmpv6::Repr::EchoRequest {
                    ident,
                    seq_no: seq,
                    data: &payload,
                };
                // The kernel fills the ICMPv6 checksum (it knows the source).
                r.emit(
                    &mut buf,
                    std::net::Ipv6Addr::UNSPECIFIED,
                    std::net::Ipv6Addr::UNSPECIFIED,
                )
                .map(|()| r.buffer_len())
            } else {
                let r = icmpv4::Repr::EchoRequest {
                    ident,
                    seq_no: seq,
                    data: &payload,
                };
                r.emit(&mut buf).map(|()| r.buffer_len())
            }
            .map_err(|e| PingError::Io {
                op: "building the probe",
                source: std::io::Error::other(e.to_string()),
            })?;
            // Taken before the send: on loopback the reply's kernel
            // timestamp is set before send_to returns.
            let sent_at = start.elapsed();
            match sock.send_to(&buf[..n], target) {
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.raw_os_error(),
                        Some(libc::ENETUNREACH | libc::EHOSTUNREACH)
                    ) =>
                {
                    if on_event(&PingEvent::Error {
                        from: target,
                        seq,
                        text: e.to_string(),
                    })
                    .is_break()
                    {
                        break 'session;
                    }
                }
                Err(e) if e.raw_os_error() == Some(libc::EMSGSIZE) => {
                    if on_event(&PingEvent::Error {
                        from: target,
                        seq,
                        text: "local error: message too long for the outgoing link (DF set)".into(),
                    })
                    .is_break()
                    {
                        break 'session;
                    }
                }
                Err(e) => {
                    return Err(PingError::Io {
                        op: "sending",
                        source: e,
                    });
                }
            }
            tracker.sent(seq, sent_at);
            sent += 1;
            next_send += o.interval;
            continue;
        }
        for s in tracker.expire(now.saturating_sub(o.timeout)) {
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
        super::wait_readable(&socket, wait).await?;
        while let Some(got) = sock.try_recv().map_err(io("receiving"))? {
            let now = start.elapsed();
            let at = got
                .kernel_time
                .and_then(|k| k.checked_sub(start_real))
                .filter(|k| *k <= now)
                .unwrap_or(now);
            let bytes = got.icmp.len();
            let options = parse_options(&got.ip_options);
            let echo =
                |t: &mut Tracker, ident_r: u16, seq_r: u16, data: &[u8]| -> Option<PingEvent> {
                    let v = t.reply(ident_r, seq_r, data, at);
                    let (rtt, duplicate, late) = match v {
                        Verdict::Reply { rtt } => (rtt, false, false),
                        Verdict::Duplicate { rtt } => (rtt, true, false),
                        Verdict::Late { rtt } => (rtt, false, true),
                        Verdict::Foreign => return None,
                    };
                    Some(PingEvent::Reply {
                        from: got.from,
                        seq: seq_r,
                        bytes,
                        ttl: got.ttl,
                        rtt,
                        duplicate,
                        late,
                        options: options.clone(),
                    })
                };
            let event = if target.is_ipv6() {
                match icmpv6::Repr::parse_unchecked(&got.icmp) {
                    icmpv6::Repr::EchoReply {
                        ident: i,
                        seq_no,
                        data,
                    } => echo(&mut tracker, i, seq_no, data),
                    icmpv6::Repr::DstUnreachable { code, quoted } => err6(
                        &mut tracker,
                        ident,
                        got.from,
                        quoted,
                        icmpv6::unreachable_text(code).into(),
                    ),
                    icmpv6::Repr::TimeExceeded { quoted, .. } => err6(
                        &mut tracker,
                        ident,
                        got.from,
                        quoted,
                        "Time exceeded: Hop limit".into(),
                    ),
                    icmpv6::Repr::PacketTooBig { mtu, quoted } => err6(
                        &mut tracker,
                        ident,
                        got.from,
                        quoted,
                        format!("Packet too big: mtu={mtu}"),
                    ),
                    _ => None,
                }
            } else {
                let Ok(p) = icmpv4::Packet::new_checked(&got.icmp[..]) else {
                    continue;
                };
                let parsed = if sock.kind == IcmpKind::Raw {
                    icmpv4::Repr::parse(&p)
                } else {
                    Ok(unchecked_v4(&got.icmp))
                };
                match parsed {
                    Ok(icmpv4::Repr::EchoReply {
                        ident: i,
                        seq_no,
                        data,
                    }) => echo(&mut tracker, i, seq_no, data),
                    Ok(icmpv4::Repr::DstUnreachable {
                        reason,
                        mtu,
                        quoted,
                    }) => {
                        let text = if reason == icmpv4::Unreachable::FragNeeded {
                            format!("Frag needed and DF set (mtu = {mtu})")
                        } else {
                            reason.text().to_string()
                        };
                        err4(&mut tracker, ident, got.from, quoted, text)
                    }
                    Ok(icmpv4::Repr::TimeExceeded { code, quoted }) => {
                        let text = if code == 0 {
                            "Time to live exceeded"
                        } else {
                            "Frag reassembly time exceeded"
                        };
                        err4(&mut tracker, ident, got.from, quoted, text.into())
                    }
                    _ => None,
                }
            };
            if let Some(e) = event
                && on_event(&e).is_break()
            {
                break 'session;
            }
        }
    }
    Ok(tracker)
}

/// An ICMPv4 message from a datagram socket, whose checksum the kernel checked.
fn unchecked_v4(b: &[u8]) -> icmpv4::Repr<'_> {
    let data = b.get(8..).unwrap_or(&[]);
    let be16 = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
    match (b[0], b[1]) {
        (0, 0) => icmpv4::Repr::EchoReply {
            ident: be16(4),
            seq_no: be16(6),
            data,
        },
        (3, code) => icmpv4::Repr::DstUnreachable {
            reason: code.into(),
            mtu: be16(6),
            quoted: data,
        },
        (11, code) => icmpv4::Repr::TimeExceeded { code, quoted: data },
        (t, code) => icmpv4::Repr::Other {
            msg_type: t,
            code,
            rest: &b[4..],
        },
    }
}

fn err4(
    t: &mut Tracker,
    ident: u16,
    from: IpAddr,
    quoted: &[u8],
    text: String,
) -> Option<PingEvent> {
    match icmpv4::quoted(quoted).ok()?.transport {
        QuotedTransport::Echo { ident: i, seq_no } if i == ident && t.error(seq_no) => {
            Some(PingEvent::Error {
                from,
                seq: seq_no,
                text,
            })
        }
        _ => None,
    }
}

fn err6(
    t: &mut Tracker,
    ident: u16,
    from: IpAddr,
    quoted: &[u8],
    text: String,
) -> Option<PingEvent> {
    match icmpv6::quoted(quoted).ok()?.transport {
        QuotedTransport::Echo { ident: i, seq_no } if i == ident && t.error(seq_no) => {
            Some(PingEvent::Error {
                from,
                seq: seq_no,
                text,
            })
        }
        _ => None,
    }
}
