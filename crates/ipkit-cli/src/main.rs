//! The `ipkit` binary: parses arguments with clap, calls the library, renders
//! the results. No network logic lives here; see `ipkit` and `ipkit-core`.

mod cmd;
mod exit;
mod input;
mod interrupt;
mod live;
mod man;
mod message;
mod output;
mod plot;
mod progress;
mod remedy;
mod view;
mod windows;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::output::Output;

/// ipkit: every job of the IP layer in one program.
#[derive(Debug, Parser)]
#[command(
    name = "ipkit",
    version,
    long_version = concat!(
        env!("CARGO_PKG_VERSION"),
        "\nipkit info's data, when it is DB-IP Lite: IP Geolocation by DB-IP (https://db-ip.com), CC BY 4.0"
    ),
    about = "Every job of the IP layer in one program: addresses, prefixes, sets, and more.",
    after_help = "Examples:\n  ipkit addr 172.31.28.120/16\n  ipkit cidr merge --file prefixes.txt\n  ipkit grep -o access.log\n  ipkit completions bash > /etc/bash_completion.d/ipkit",
    propagate_version = true
)]
pub struct Cli {
    /// Print JSON instead of the human view (NDJSON for streaming commands).
    #[arg(long, global = true)]
    json: bool,
    /// When to colour the human view: auto (a terminal and no NO_COLOR), always, never.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    color: output::ColorChoice,
    #[command(subcommand)]
    command: cmd::Command,
}

fn main() -> ExitCode {
    // `ipkit ping --windows` takes Windows ping's letters, which collide with
    // iputils' (-i, -s, -t, -w, -n …): it has a parser of its own; so has
    // `ipkit trace --windows` (what `ipkit tracert` becomes) for tracert's.
    let argv = windows::rewrite(std::env::args_os().collect());
    if let Some(line) = coming(&argv) {
        let _ = writeln!(std::io::stderr(), "error: {line}");
        return ExitCode::from(exit::USAGE);
    }
    if let Some(parsed) = cmd::ping::windows_command_line(&argv) {
        return windows_dialect(parsed, |args| {
            cmd::ping::run_windows(args, output::ColorChoice::Auto)
        });
    }
    if let Some(parsed) = cmd::trace::windows_command_line(&argv) {
        return windows_dialect(parsed, |args| {
            cmd::trace::run_windows(args, output::ColorChoice::Auto)
        });
    }
    // Each subcommand's arguments are built only when it runs ([`cmd::Lazy`]).
    let mut command = command();
    let parsed = command
        .try_get_matches_from_mut(&argv)
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    // Not dropped: freeing the command tree's thousands of allocations was
    // an eighth of a single `ipkit info` lookup's instructions (callgrind),
    // and the process ends soon; the OS takes the memory back.
    std::mem::forget(command);
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e),
    };
    // --color is accepted only where it changes something.
    if cli.color == output::ColorChoice::Always && !cmd::uses_colour(&cli.command) {
        let _ = writeln!(
            std::io::stderr(),
            "error: this command prints no colour; --color applies to addr, grep, dns, ping, sockets, if and neigh"
        );
        return ExitCode::from(exit::USAGE);
    }
    let out = Output::new(cli.json, cli.color);
    finish(cmd::run(cli.command, &out))
}

/// A command's exit code; an error's line on stderr first (a closed pipe
/// is no error: 0, silently).
fn finish(result: anyhow::Result<u8>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if output::is_broken_pipe(&e) => ExitCode::from(exit::OK),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {}", message::error_line(&e));
            ExitCode::from(cmd::exit_code_for(&e))
        }
    }
}

/// Run a command parsed by a Windows dialect's own parser (`ping
/// --windows`, `trace --windows`): its exit code, or clap's message.
fn windows_dialect<A>(
    parsed: Result<A, clap::Error>,
    run: impl FnOnce(A) -> anyhow::Result<u8>,
) -> ExitCode {
    match parsed {
        Ok(args) => finish(run(args)),
        Err(e) => clap_exit(&e),
    }
}

/// clap's message printed, and its exit code: 0 for help and version, 2
/// for a usage error.
fn clap_exit(e: &clap::Error) -> ExitCode {
    print_clap_error(e);
    ExitCode::from(if e.use_stderr() {
        exit::USAGE
    } else {
        exit::OK
    })
}

/// The commands that are planned but not built yet, and what they will do:
/// a user who types one hears that, not only "unrecognized subcommand".
const COMING: &[(&[&str], &str)] = &[
    (
        &["tracepath", "mtr"],
        "a live view of route tracing (today: `ipkit trace --report`, `ipkit trace --mtu`)",
    ),
    (
        &["whois"],
        "whois (registry) lookups (`ipkit info` answers location and AS offline)",
    ),
];

fn coming(argv: &[std::ffi::OsString]) -> Option<String> {
    let sub = argv[windows::subcommand_at(argv)?].to_string_lossy();
    let (_, what) = COMING
        .iter()
        .find(|(names, _)| names.contains(&sub.as_ref()))?;
    Some(format!(
        "'{sub}' is not in this version of ipkit yet: {what} is coming; `ipkit --help` lists what is here"
    ))
}

/// Print clap's message: help and version as they are (stdout); usage errors
/// with control characters escaped and quoted values shortened, line by line.
fn print_clap_error(e: &clap::Error) {
    if !e.use_stderr() {
        let _ = e.print();
        return;
    }
    if let Some(line) = negative_value_error(e) {
        let _ = writeln!(std::io::stderr(), "error: {}", message::safe_line(&line));
        return;
    }
    let text = e.render().to_string();
    let mut err = std::io::stderr().lock();
    for line in text.lines() {
        let _ = writeln!(err, "{}", message::safe_line(line));
    }
}

/// For a negative number given to an option that takes none (`-c -1`, read
/// into an unsigned type or refused by a range), one line that says so.
fn negative_value_error(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::ValueValidation {
        return None;
    }
    let Some(ContextValue::String(value)) = e.get(ContextKind::InvalidValue) else {
        return None;
    };
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let number = value.strip_prefix('-')?;
    if number.is_empty() || number.parse::<f64>().is_err() {
        return None;
    }
    let flag = arg.split_whitespace().next().unwrap_or(arg);
    // clap's ranged parsers say "-1 is not in 1..=255"; others only know it
    // is not a whole number, and every such option takes one ≥ 0.
    let why = std::error::Error::source(e).map(ToString::to_string);
    let lower = why
        .as_deref()
        .and_then(|w| w.split(" is not in ").nth(1))
        .and_then(|range| range.split("..").next())
        .and_then(|lo| lo.parse::<i64>().ok())
        .unwrap_or(0);
    Some(format!("{flag} {value}: must be ≥ {lower}"))
}

/// The clap command, for parsing, completions and the man page. Every option
/// that takes a value takes a negative number as its value (`-c -1`), so the
/// user hears what range the option takes rather than clap's tip to write
/// `-- -1`.
pub fn command() -> clap::Command {
    allow_negative_values(Cli::command())
}

/// Every option of `cmd` (and of the subcommands built so far) that takes
/// a value takes a negative number too.
pub(crate) fn allow_negative_values(cmd: clap::Command) -> clap::Command {
    cmd.mut_args(|a| {
        if !a.is_positional() && a.get_action().takes_values() {
            a.allow_negative_numbers(true)
        } else {
            a
        }
    })
    .mut_subcommands(allow_negative_values)
}

#[cfg(test)]
mod tests {
    /// build.rs may link GCC's unwinder in statically: unwinding and
    /// backtraces must work exactly as with `libgcc_s.so.1`.
    #[test]
    fn the_linked_unwinder_unwinds_and_walks_backtraces() {
        #[inline(never)]
        fn capture_here() -> String {
            std::backtrace::Backtrace::force_capture().to_string()
        }
        let trace = capture_here();
        assert!(trace.contains("capture_here"), "{trace}");
        let caught = std::panic::catch_unwind(|| panic!("unwound on purpose"));
        assert!(caught.is_err());
    }
}
