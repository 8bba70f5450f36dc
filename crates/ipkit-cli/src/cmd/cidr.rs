//! `ipkit cidr`: sets of prefixes. (Being written.)

use crate::output::Output;

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:\n  ipkit cidr merge 10.0.0.0/24 10.0.1.0/24";

/// Arguments of `ipkit cidr`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `ipkit cidr`.
pub fn run(_args: Args, _out: &Output) -> anyhow::Result<u8> {
    Ok(crate::exit::OK)
}
