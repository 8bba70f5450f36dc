//! `ipkit kill`: end the processes holding a port (or one process id), as
//! `fuser -k PORT/tcp` or `netstat -a -o | find "5150"` then
//! `taskkill /F /PID` do — showing them first, asking, and refusing PID 1,
//! ipkit itself and kernel threads.

use std::io::Write;
use std::time::Duration;

use ipkit::host::processes::{KillOutcome, ProcessTable, refusal, terminate};
use ipkit::host::sockets::{SocketQuery, query};
use serde::Serialize;

use crate::exit::usage;
use crate::output::{Output, write_record};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit kill --port 5150                 show who holds port 5150, ask, send SIGTERM
  ipkit kill --port 5150 --udp --yes     no question asked
  ipkit kill --pid 4321 --force          SIGTERM, then SIGKILL after the grace period
  ipkit kill --port 8080 --json --yes    NDJSON: one `process` record each
  ipkit kill 4321                        a bare process id
  ipkit kill --name nginx                every process called nginx
  ipkit taskkill /F /PID 4321            Windows' spelling (also /IM nginx.exe)

Exit codes: 0 every process ended, 1 nothing held the port or had the name
(or a process outlived SIGTERM without --force), 2 an error or a refusal,
3 the question was answered no.";

/// Arguments of `ipkit kill`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The process id to end (the same as --pid).
    #[arg(value_name = "PID", conflicts_with_all = ["port", "pid", "name"])]
    pub bare_pid: Option<u32>,
    /// Kill the processes holding this local port.
    #[arg(
        long,
        value_name = "PORT",
        required_unless_present_any = ["pid", "bare_pid", "name"],
        conflicts_with_all = ["pid", "name"]
    )]
    pub port: Option<u16>,
    /// Kill this process.
    #[arg(long, value_name = "PID", conflicts_with = "name")]
    pub pid: Option<u32>,
    /// Kill every process with this name, as `ps -o comm` shows it (a
    /// Windows image name's `.exe` is dropped: taskkill /IM nginx.exe).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// With --port: TCP only.
    #[arg(long, conflicts_with = "udp")]
    pub tcp: bool,
    /// With --port: UDP only.
    #[arg(long)]
    pub udp: bool,
    /// Send SIGKILL to processes still running after the grace period.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Seconds to wait after SIGTERM.
    #[arg(long, value_name = "SECONDS", default_value_t = 3.0)]
    pub grace: f64,
    /// Do not ask for confirmation.
    #[arg(short = 'y', long)]
    pub yes: bool,
}

#[derive(Serialize)]
struct ProcessRecord {
    pid: u32,
    name: Option<String>,
    user: Option<String>,
    ports: Vec<String>,
    outcome: Option<KillOutcome>,
    refused: Option<&'static str>,
}

/// Run `ipkit kill`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    if !(0.0..=3600.0).contains(&args.grace) {
        return Err(usage("--grace takes 0 to 3600 seconds"));
    }
    let tables = ipkit::host::system();
    // (pid, what it holds)
    let mut targets: Vec<(u32, Vec<String>)> = Vec::new();
    if let Some(pid) = args.pid.or(args.bare_pid) {
        targets.push((pid, Vec::new()));
    } else if let Some(name) = &args.name {
        let wanted = name.strip_suffix(".exe").unwrap_or(name);
        let own = tables.own_pid();
        for pid in tables.pids()? {
            if pid != own && tables.info(pid).is_some_and(|i| i.name == wanted) {
                targets.push((pid, Vec::new()));
            }
        }
        if targets.is_empty() {
            eprintln!("ipkit: no process called '{wanted}' that this user may see");
            return Ok(crate::exit::NEGATIVE);
        }
    } else if let Some(port) = args.port {
        let q = SocketQuery {
            tcp: args.tcp,
            udp: args.udp,
            local_port: Some(port),
            owners: true,
            ..SocketQuery::default()
        };
        let report = query(tables, tables, &q)?;
        let mut held_by_none = 0;
        for s in &report.sockets {
            if s.owners.is_empty() {
                held_by_none += 1;
            }
            for o in &s.owners {
                let what = format!(
                    "{}/{}",
                    s.local,
                    match s.transport {
                        ipkit::host::Transport::Tcp => "tcp",
                        ipkit::host::Transport::Udp => "udp",
                        ipkit::host::Transport::Raw => "raw",
                    }
                );
                match targets.iter_mut().find(|(p, _)| *p == o.pid) {
                    Some((_, list)) => {
                        if !list.contains(&what) {
                            list.push(what);
                        }
                    }
                    None => targets.push((o.pid, vec![what])),
                }
            }
        }
        if targets.is_empty() {
            let why = if report.sockets.is_empty() {
                format!("no socket uses local port {port}")
            } else if report.unreadable_processes > 0 {
                format!(
                    "port {port} is in use ({held_by_none} sockets), but by no process this user may see: run as root"
                )
            } else {
                format!(
                    "port {port} is in use ({held_by_none} sockets, e.g. TIME_WAIT), but no process holds it"
                )
            };
            eprintln!("ipkit: {why}");
            return Ok(crate::exit::NEGATIVE);
        }
    }
    // Refusals are decided before anything is sent.
    let mut records: Vec<ProcessRecord> = targets
        .iter()
        .map(|(pid, ports)| {
            let info = tables.info(*pid);
            ProcessRecord {
                pid: *pid,
                user: info.as_ref().and_then(|i| tables.user_name(i.uid)),
                name: info.map(|i| i.name),
                ports: ports.clone(),
                outcome: None,
                refused: refusal(tables, *pid).map(|r| r.text()),
            }
        })
        .collect();
    if !out.json {
        for r in &records {
            let held = if r.ports.is_empty() {
                String::new()
            } else {
                format!(" holding {}", r.ports.join(", "))
            };
            eprintln!(
                "{} {} ({}, user {}){held}{}",
                if r.refused.is_some() {
                    "refusing"
                } else {
                    "will signal"
                },
                r.pid,
                r.name.as_deref().unwrap_or("?"),
                r.user.as_deref().unwrap_or("?"),
                r.refused.map_or(String::new(), |why| format!(": {why}"))
            );
        }
    }
    let to_kill: Vec<usize> = (0..records.len())
        .filter(|&i| records[i].refused.is_none())
        .collect();
    let question = format!(
        "Send SIGTERM{} to {} process{}?",
        if args.force { " (then SIGKILL)" } else { "" },
        to_kill.len(),
        if to_kill.len() == 1 { "" } else { "es" }
    );
    if !to_kill.is_empty() && !args.yes && !crate::input::confirm(&question)? {
        eprintln!("ipkit: nothing was signalled");
        return Ok(crate::exit::DECLINED);
    }
    let grace = Duration::from_secs_f64(args.grace);
    let mut all_ended = true;
    for &i in &to_kill {
        let outcome = terminate(tables, records[i].pid, grace, args.force)?;
        all_ended &= outcome != KillOutcome::StillRunning;
        records[i].outcome = Some(outcome);
    }
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    for r in &records {
        if out.json {
            write_record(&mut w, "process", r)?;
        } else if let Some(o) = r.outcome {
            let text = match o {
                KillOutcome::Terminated => "ended after SIGTERM".to_string(),
                KillOutcome::Killed => format!(
                    "ignored SIGTERM for {:.1} s; killed with SIGKILL",
                    args.grace
                ),
                KillOutcome::StillRunning => format!(
                    "still running {:.1} s after SIGTERM (add --force for SIGKILL)",
                    args.grace
                ),
            };
            writeln!(
                w,
                "{} ({}): {text}",
                r.pid,
                r.name.as_deref().unwrap_or("?")
            )?;
        }
    }
    w.flush()?;
    Ok(if records.iter().any(|r| r.refused.is_some()) {
        crate::exit::ERROR
    } else if all_ended {
        crate::exit::OK
    } else {
        crate::exit::NEGATIVE
    })
}
