//! `ipkit ping`: ICMP echo with iputils' letters and view, Windows ping's,
//! and fping-like sweeps. The library does the work: flags become an
//! [`ipkit::ping::request::Request`] (checked there), the engines in
//! `ipkit::ping` run it, and their events become the values of
//! [`ipkit::ping::report`]; this module and its views only render those
//! values and pick the exit code (0 a reply came, 1 none, 2 an error), as
//! iputils and fping do.

mod args;
mod iputils;
mod live;
mod session;
mod sweep;
mod windows;

use std::ops::ControlFlow;
use std::time::Duration;

use ipkit::ping::request::{Request, RequestError};

pub use args::{Args, EXAMPLES, Style, WindowsArgs};

use crate::exit::usage;
use crate::output::Output;

/// Parse `ipkit ping --windows …` when that is what the command line says;
/// None otherwise (the ordinary parser runs).
pub fn windows_command_line(
    argv: &[std::ffi::OsString],
) -> Option<Result<WindowsArgs, clap::Error>> {
    let is_windows =
        argv.get(1).is_some_and(|a| a == "ping") && argv.get(2).is_some_and(|a| a == "--windows");
    is_windows.then(|| <WindowsArgs as clap::Parser>::try_parse_from(argv.iter().skip(1)))
}

/// Run `ipkit ping --windows`.
pub fn run_windows(args: WindowsArgs, color: crate::output::ColorChoice) -> anyhow::Result<u8> {
    let out = Output::new(args.json, color);
    match Request::new(&args.asked()).map_err(request_error)? {
        Request::Session(r) => session::run(&r, Style::Windows, &session::Lines::default(), &out),
        Request::Sweep(_) => Err(usage("Windows ping takes one target")),
    }
}

/// Run `ipkit ping`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    if args.windows {
        return Err(usage(
            "--windows must come right after `ping`: ipkit ping --windows [OPTIONS] TARGET",
        ));
    }
    let asked = args.asked();
    if args.live {
        if out.json {
            return Err(usage("--live is a terminal view; it does not take --json"));
        }
        if let Some(why) = crate::live::needs_terminal("--live") {
            return Err(usage(why));
        }
        return live::run(live::sessions(&asked)?, out.color, f64::from(args.buffer));
    }
    // A sweep listens for Ctrl-C while its names resolve, as it always has.
    let interrupt = asked.is_sweep().then(crate::interrupt::Interrupt::install);
    match Request::new(&asked).map_err(request_error)? {
        Request::Sweep(_) if args.plot.is_some() => Err(usage(
            "--plot draws one target's session; a sweep has no picture",
        )),
        Request::Sweep(r) => {
            let listing = sweep::Listing {
                alive: args.alive,
                unreachable: args.unreachable,
                quiet: args.quiet,
            };
            let interrupt = interrupt.unwrap_or_else(crate::interrupt::Interrupt::install);
            sweep::run(&r, &listing, &interrupt, out)
        }
        Request::Session(r) => {
            let lines = session::Lines {
                quiet: args.quiet,
                timestamps: args.timestamps,
                plot: args.plot,
            };
            session::run(&r, args.style, &lines, out)
        }
    }
}

/// A request's error as the command reports it: a usage error (exit 2, one
/// line) unless the fault is a name that did not resolve.
fn request_error(e: RequestError) -> anyhow::Error {
    if e.is_usage() {
        usage(e.to_string())
    } else {
        e.into()
    }
}

/// Run an engine's future on a current-thread tokio runtime (IO and time).
pub(crate) fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| anyhow::anyhow!("starting the async runtime: {e}"))?;
    Ok(rt.block_on(f))
}

/// The exit code a signal imposes: SIGTERM ends ping as it ends iputils
/// (143, 128 + 15); SIGINT is ping's normal end and imposes none.
fn terminated(interrupt: &crate::interrupt::Interrupt) -> Option<u8> {
    (interrupt.signal() == Some(signal_hook::consts::SIGTERM))
        .then(|| interrupt.exit_code())
        .flatten()
}

/// Stop the engine at the first failed write (a reader that went away),
/// keeping the error for the caller.
fn keep_going(res: std::io::Result<()>, failed: &mut Option<std::io::Error>) -> ControlFlow<()> {
    match res {
        Ok(()) => ControlFlow::Continue(()),
        Err(e) => {
            *failed = Some(e);
            ControlFlow::Break(())
        }
    }
}

/// iputils prints times with 3 significant decimals below 1 ms, fewer above.
fn fmt_ms(d: Duration) -> String {
    let v = crate::output::ms(d);
    if v < 1.0 {
        format!("{v:.3} ms")
    } else if v < 10.0 {
        format!("{v:.2} ms")
    } else if v < 100.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.0} ms")
    }
}

/// A loss percentage as iputils and fping print it: whole when it is,
/// else up to 4 decimals.
fn fmt_loss(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{p:.0}")
    } else {
        format!("{p:.4}").trim_end_matches('0').to_string()
    }
}
