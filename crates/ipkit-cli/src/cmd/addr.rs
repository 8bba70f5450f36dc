//! `ipkit addr`: everything about an address. (Being written.)

use crate::output::Output;

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:\n  ipkit addr 172.31.28.120/16";

/// Arguments of `ipkit addr`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Addresses, prefixes or socket addresses.
    #[arg(required = true)]
    pub address: Vec<String>,
}

/// Run `ipkit addr`.
pub fn run(_args: Args, _out: &Output) -> anyhow::Result<u8> {
    Ok(crate::exit::OK)
}
