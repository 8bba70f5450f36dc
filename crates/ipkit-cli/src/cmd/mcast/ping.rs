//! `ipkit mcast ping` / `mcast pingd`: RFC 6450's multicast ping in
//! ssmping's layout (a line per answer, `unicast`/`multicast`, `dist=`
//! hops, `time=`), then per kind the loss and round trips; or NDJSON
//! (`reply`… `summary`; pingd: `answered`…).

use std::io::Write;
use std::net::IpAddr;
use std::time::Duration;

use ipkit::mcast::ping::{KindStats, PingReply, PingRequest, PingSummary};

use super::{refusal, seconds};
use crate::interrupt::Interrupt;
use crate::output::{Output, write_record};

/// `ipkit mcast ping`.
#[derive(Debug, clap::Args)]
pub struct PingArgs {
    /// The responder (ssmpingd, or `ipkit mcast pingd`).
    server: IpAddr,
    /// The group answers come on (default RFC 6450's: 232.43.211.234,
    /// ff3e::4321:1234).
    #[arg(short = 'g', long, value_name = "GROUP")]
    group: Option<IpAddr>,
    /// Join any-source (asmping), for an any-source group.
    #[arg(long)]
    asm: bool,
    /// How many requests (default 5; with --live, until q).
    #[arg(short = 'c', long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    count: Option<u64>,
    /// Seconds between two requests.
    #[arg(long, value_name = "SECONDS", default_value = "1", value_parser = seconds)]
    interval: Duration,
    /// The interface to join on.
    #[arg(short = 'i', long, value_name = "IF")]
    interface: Option<String>,
    /// Full-screen chart of the unicast and the multicast round trips
    /// (ping --live's), losses marked; q quits.
    #[arg(long)]
    live: bool,
}

/// Run `ipkit mcast ping`.
pub fn ping(a: PingArgs, out: &Output) -> anyhow::Result<u8> {
    if a.live {
        if out.json {
            return Err(crate::exit::usage(
                "--live is a terminal view; it does not take --json",
            ));
        }
        if let Some(why) = crate::live::needs_terminal("--live") {
            return Err(crate::exit::usage(why));
        }
    }
    let count = a.count.unwrap_or(if a.live { u64::MAX } else { 5 });
    let r = PingRequest::new(
        a.server,
        a.group,
        a.asm,
        count,
        a.interval,
        a.interface.as_deref(),
    )
    .map_err(refusal)?;
    if a.live {
        return super::live::run(&r, out.color);
    }
    let interrupt = Interrupt::install();
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    if !out.json {
        writeln!(
            w,
            "joined ({},{}), pinging {} on port 4321",
            if r.asm {
                "*".to_string()
            } else {
                r.server.to_string()
            },
            r.group,
            r.server
        )?;
        w.flush()?;
    }
    let mut write_err = None;
    let summary = ipkit::mcast::ping::run(&r, interrupt.token(), |reply| {
        let res = if out.json {
            write_record(&mut w, "reply", reply)
        } else {
            writeln!(w, "{}", reply_line(reply))
        }
        .and_then(|()| w.flush());
        super::stream::go_on(res, &mut write_err)
    })
    .map_err(refusal)?;
    if let Some(e) = write_err {
        return Err(e.into());
    }
    if out.json {
        write_record(&mut w, "summary", &summary)?;
    } else {
        write!(w, "{}", summary_text(&summary))?;
    }
    w.flush()?;
    Ok(interrupt.exit_code().unwrap_or(
        if summary.unicast.received > 0 && summary.multicast.received > 0 {
            crate::exit::OK
        } else {
            crate::exit::NEGATIVE
        },
    ))
}

/// `10.0.0.1 multicast from 10.0.0.1, seq=1 dist=0 time=0.321 ms` (ssmping's).
fn reply_line(r: &PingReply) -> String {
    let dist = r.hops.map_or("?".to_string(), |h| h.to_string());
    format!(
        "{:>9} from {}, seq={} dist={dist} time={:.3} ms",
        r.kind, r.from, r.seq, r.rtt_ms
    )
}

fn kind_text(name: &str, k: &KindStats) -> String {
    let mut s = format!(
        "{name}:\n   {} packets received, {}% packet loss\n",
        k.received, k.loss_percent
    );
    if let (Some(min), Some(avg), Some(max)) = (k.min_ms, k.avg_ms, k.max_ms) {
        s.push_str(&format!(
            "   rtt min/avg/max = {min:.3}/{avg:.3}/{max:.3} ms\n"
        ));
    }
    s
}

/// ssmping's closing block.
fn summary_text(s: &PingSummary) -> String {
    format!(
        "\n--- {} statistics ---\n{} packets transmitted{}\n{}{}",
        s.server,
        s.sent,
        if s.interrupted { ", interrupted" } else { "" },
        kind_text("unicast", &s.unicast),
        kind_text("multicast", &s.multicast)
    )
}

/// Run `ipkit mcast pingd`: answer until Ctrl-C.
pub fn pingd(out: &Output) -> anyhow::Result<u8> {
    let responder = ipkit::mcast::ping::bind().map_err(refusal)?;
    let interrupt = Interrupt::install();
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    if out.json {
        let port = ipkit::mcast::ssmping::PORT;
        write_record(&mut w, "listening", &ipkit::mcast::ping::Listening { port })?;
    } else {
        writeln!(w, "answering RFC 6450 multicast pings on UDP port 4321")?;
    }
    w.flush()?;
    let mut write_err = None;
    let answered = responder
        .serve(interrupt.token(), |a| {
            let res = if out.json {
                write_record(&mut w, "answered", a)
            } else {
                let note = a
                    .multicast_error
                    .as_deref()
                    .map_or(String::new(), |e| format!(" (no multicast answer: {e})"));
                writeln!(w, "answered {} seq={} on {}{note}", a.from, a.seq, a.group)
            }
            .and_then(|()| w.flush());
            super::stream::go_on(res, &mut write_err)
        })
        .map_err(refusal)?;
    if let Some(e) = write_err {
        return Err(e.into());
    }
    if !out.json {
        writeln!(w, "{answered} requests answered")?;
    }
    Ok(interrupt.exit_code().unwrap_or(crate::exit::OK))
}
