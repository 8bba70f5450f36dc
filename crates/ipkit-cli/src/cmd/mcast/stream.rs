//! The streaming views of `mcast join`/`send` and `bcast listen`/`send`: a
//! line (or NDJSON record) per datagram, flushed as soon as nothing more is
//! queued, then the summary;
//! a closed pipe stops at once, Ctrl-C prints the summary and exits 130.

use std::io::Write;
use std::ops::ControlFlow;

use ipkit::mcast::receive::{Limits, ReceiveEvent, run_with};
use ipkit::mcast::report::JoinedRecord;
use ipkit::mcast::socket::GroupSocket;
use ipkit::mcast::{DatagramRecord, JoinRequest, ReceiveSummary, SendSummary, SentRecord};

use crate::interrupt::Interrupt;
use crate::message::excerpt;
use crate::output::{Output, write_record};

/// Join `r` and print what arrives.
pub fn join(r: &JoinRequest, quiet: bool, out: &Output) -> anyhow::Result<u8> {
    let mut sock = GroupSocket::join(r).map_err(super::refusal)?;
    let limits = Limits {
        count: r.count,
        timeout: r.timeout,
        payloads: !quiet,
    };
    let joined = JoinedRecord {
        receive_buffer: Some(sock.receive_buffer()),
        ..JoinedRecord::of(r)
    };
    receive(&mut sock, &joined, limits, quiet, out)
}

/// Print `joined`, then each datagram `sock` yields, then the summary.
pub fn receive(
    sock: &mut GroupSocket,
    joined: &JoinedRecord,
    limits: Limits,
    quiet: bool,
    out: &Output,
) -> anyhow::Result<u8> {
    let interrupt = Interrupt::install();
    // One big buffer, flushed whenever the socket has nothing more queued:
    // a burst costs a write per batch, a slow stream still shows each
    // datagram at once.
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::with_capacity(256 << 10, stdout.lock());
    if out.json {
        write_record(&mut w, "joined", joined)?;
    } else {
        writeln!(w, "{}", joined_line(joined))?;
    }
    w.flush()?;
    let mut write_err = None;
    let summary = run_with(sock, limits, interrupt.token(), |event| {
        let res = match event {
            _ if quiet => return ControlFlow::Continue(()),
            ReceiveEvent::Datagram(d) if out.json => write_record(&mut w, "datagram", d),
            ReceiveEvent::Datagram(d) => writeln!(w, "{}", datagram_line(d)),
            ReceiveEvent::Drained => w.flush(),
        };
        go_on(res, &mut write_err)
    })
    .map_err(super::refusal)?;
    if let Some(e) = write_err {
        return Err(e.into());
    }
    if out.json {
        write_record(&mut w, "summary", &summary)?;
    } else {
        writeln!(w, "{}", receive_summary_line(&summary))?;
    }
    w.flush()?;
    Ok(interrupt.exit_code().unwrap_or(if summary.received > 0 {
        crate::exit::OK
    } else {
        crate::exit::NEGATIVE
    }))
}

/// Keep going after a line was written; after a failed write (a closed
/// pipe) keep the error and stop the engine at once.
pub fn go_on(res: std::io::Result<()>, err: &mut Option<std::io::Error>) -> ControlFlow<()> {
    match res {
        Ok(()) => ControlFlow::Continue(()),
        Err(e) => {
            *err = Some(e);
            ControlFlow::Break(())
        }
    }
}

/// `joined 239.1.2.3 port 5000 on eth0 (any source)`.
fn joined_line(j: &JoinedRecord) -> String {
    let on = j
        .interface
        .as_deref()
        .map_or(String::new(), |i| format!(" on {i}"));
    match j.mode {
        "broadcast" => format!("listening on UDP port {}{on} for broadcasts", j.port),
        _ if j.sources.is_empty() => {
            format!("joined {} port {}{on} (any source)", j.group, j.port)
        }
        _ => {
            let s: Vec<String> = j.sources.iter().map(ToString::to_string).collect();
            format!(
                "joined {} port {}{on} (sources {})",
                j.group,
                j.port,
                s.join(", ")
            )
        }
    }
}

/// `1.234s from 10.0.0.1:40000 12 bytes ttl 1: hello`.
fn datagram_line(d: &DatagramRecord) -> String {
    let from = d.from.map_or("?".to_string(), |f| f.to_string());
    let ttl = d.ttl.map_or(String::new(), |t| format!(" ttl {t}"));
    let text = d
        .payload
        .as_deref()
        .map_or(String::new(), |p| format!(": {}", excerpt(p)));
    format!(
        "{:.3}s from {from} {} bytes{ttl}{text}",
        d.elapsed_ms / 1000.0,
        d.size
    )
}

/// `5 datagrams (60 bytes) from 2 senders in 1.200s; left the group`.
fn receive_summary_line(s: &ReceiveSummary) -> String {
    let senders = s.senders.len();
    let mut line = format!(
        "{} datagrams ({} bytes) from {senders} sender{} in {:.3}s",
        s.received,
        s.bytes,
        if senders == 1 { "" } else { "s" },
        s.elapsed_ms / 1000.0
    );
    if s.interrupted {
        line.push_str(", interrupted");
    } else if s.timed_out {
        line.push_str(", timed out");
    }
    if s.left {
        line.push_str("; left the group");
    }
    line
}

/// Send as the engine `send` does, printing each datagram and the summary.
pub fn send(r: &ipkit::mcast::SendRequest, out: &Output) -> anyhow::Result<u8> {
    let interrupt = Interrupt::install();
    send_with(out, &interrupt, |cancel, on_sent| {
        ipkit::mcast::send::run(r, cancel, on_sent)
    })
}

/// The shared sending view over `engine`.
pub fn send_with(
    out: &Output,
    interrupt: &Interrupt,
    engine: impl FnOnce(
        &ipkit::cancel::Cancel,
        &mut dyn FnMut(&SentRecord) -> ControlFlow<()>,
    ) -> Result<SendSummary, ipkit::mcast::McastError>,
) -> anyhow::Result<u8> {
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    let mut write_err = None;
    let summary = engine(interrupt.token(), &mut |s: &SentRecord| {
        let res = if out.json {
            write_record(&mut w, "sent", s)
        } else {
            writeln!(w, "sent {} bytes to {} (#{})", s.size, s.to, s.seq)
        }
        .and_then(|()| w.flush());
        go_on(res, &mut write_err)
    })
    .map_err(super::refusal)?;
    if let Some(e) = write_err {
        return Err(e.into());
    }
    if out.json {
        write_record(&mut w, "summary", &summary)?;
    } else {
        writeln!(
            w,
            "{} datagrams ({} bytes) sent to {} with TTL {}{}",
            summary.sent,
            summary.bytes,
            summary.to,
            summary.ttl,
            if summary.interrupted {
                ", interrupted"
            } else {
                ""
            }
        )?;
    }
    w.flush()?;
    Ok(interrupt.exit_code().unwrap_or(crate::exit::OK))
}
