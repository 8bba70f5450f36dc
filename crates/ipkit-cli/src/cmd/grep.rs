//! `ipkit grep`: addresses in text. (Being written.)

use crate::output::Output;

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:\n  ipkit grep -o access.log";

/// Arguments of `ipkit grep`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `ipkit grep`.
pub fn run(_args: Args, _out: &Output) -> anyhow::Result<u8> {
    Ok(crate::exit::OK)
}
