//! `ipkit kill`: end the processes holding a port (or one process id), as
//! `fuser -k PORT/tcp` or `netstat -a -o | find "5150"` then
//! `taskkill /F /PID` do — showing them first, asking, and refusing PID 1,
//! ipkit itself and kernel threads.

use std::io::Write;

use ipkit::host::kill::{
    KillRequest, KillRequestError, KillTarget, NothingToKill, Selection, select,
};
use ipkit::host::processes::KillOutcome;

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

/// The library's request for these arguments.
fn request(args: &Args) -> anyhow::Result<KillRequest> {
    let target = if let Some(pid) = args.pid.or(args.bare_pid) {
        KillTarget::Pid(pid)
    } else if let Some(name) = &args.name {
        KillTarget::named(name)
    } else if let Some(port) = args.port {
        KillTarget::Port {
            port,
            tcp: args.tcp,
            udp: args.udp,
        }
    } else {
        // clap requires one of them.
        return Err(usage("give --port, --pid or --name"));
    };
    KillRequest::new(target, args.grace, args.force).map_err(|e| match e {
        KillRequestError::Grace => usage("--grace takes 0 to 3600 seconds"),
        other => usage(other.to_string()),
    })
}

/// Why nothing was selected, as a sentence.
fn nothing_text(why: &NothingToKill) -> String {
    match why {
        NothingToKill::NoProcessNamed(name) => {
            format!("no process called '{name}' that this user may see")
        }
        NothingToKill::PortUnused(port) => format!("no socket uses local port {port}"),
        NothingToKill::PortHeldUnseen { port, sockets } => format!(
            "port {port} is in use ({sockets} sockets), but by no process this user may see: run as root"
        ),
        NothingToKill::PortHeldByNone { port, sockets } => format!(
            "port {port} is in use ({sockets} sockets, e.g. TIME_WAIT), but no process holds it"
        ),
    }
}

/// Run `ipkit kill`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    let request = request(&args)?;
    let tables = ipkit::host::system();
    let mut records = match select(tables, tables, &request.target)? {
        Selection::Processes(records) => records,
        Selection::Nothing(why) => {
            eprintln!("ipkit: {}", nothing_text(&why));
            return Ok(crate::exit::NEGATIVE);
        }
    };
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
                r.refused
                    .as_ref()
                    .map_or(String::new(), |why| format!(": {}", why.text()))
            );
        }
    }
    let to_kill = records.iter().filter(|r| r.refused.is_none()).count();
    let question = format!(
        "Send SIGTERM{} to {} process{}?",
        if args.force { " (then SIGKILL)" } else { "" },
        to_kill,
        if to_kill == 1 { "" } else { "es" }
    );
    if to_kill > 0 && !args.yes && !crate::input::confirm(&question)? {
        eprintln!("ipkit: nothing was signalled");
        return Ok(crate::exit::DECLINED);
    }
    let all_ended = ipkit::host::kill::run(tables, &request, &mut records)?;
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
