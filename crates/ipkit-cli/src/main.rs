//! The `ipkit` binary: parses arguments with clap, calls the library, renders
//! the results. No network logic lives here; see `ipkit` and `ipkit-core`.

mod cmd;
mod exit;
mod input;
mod interrupt;
mod output;
mod report;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::output::Output;

/// ipkit: every job of the IP layer in one program.
#[derive(Debug, Parser)]
#[command(
    name = "ipkit",
    version,
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
    // iputils' (-i, -s, -t, -w, -n …): it has a parser of its own.
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(parsed) = cmd::ping::windows_command_line(&argv) {
        return match parsed {
            Ok(args) => match cmd::ping::run_windows(args, output::ColorChoice::Auto) {
                Ok(code) => ExitCode::from(code),
                Err(e) if output::is_broken_pipe(&e) => ExitCode::from(exit::OK),
                Err(e) => {
                    let _ = writeln!(std::io::stderr(), "error: {e:#}");
                    ExitCode::from(cmd::exit_code_for(&e))
                }
            },
            Err(e) => {
                let code = if e.use_stderr() {
                    exit::USAGE
                } else {
                    exit::OK
                };
                let _ = e.print();
                ExitCode::from(code)
            }
        };
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let out = Output::new(cli.json, cli.color);
    match cmd::run(cli.command, &out) {
        Ok(code) => ExitCode::from(code),
        Err(e) if output::is_broken_pipe(&e) => ExitCode::from(exit::OK),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::from(cmd::exit_code_for(&e))
        }
    }
}

/// The clap command, for completions and the man page.
pub fn command() -> clap::Command {
    Cli::command()
}
