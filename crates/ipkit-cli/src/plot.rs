//! `--plot FILE.svg|png`: the flag's value (a path whose extension picks
//! the format, checked while the arguments parse, so a wrong one is a
//! usage error before anything is sent) and writing the picture the
//! library drew ([`ipkit::picture`]) to it.

use std::path::PathBuf;

use ipkit::picture::Format;

/// Where a picture goes and in which format.
#[derive(Debug, Clone)]
pub struct Target {
    /// The file.
    pub path: PathBuf,
    /// Its format, from its extension.
    pub format: Format,
}

/// clap's parser for `--plot`/`--map` values.
pub fn parse(s: &str) -> Result<Target, String> {
    let path = PathBuf::from(s);
    match Format::of_path(&path) {
        Some(format) => Ok(Target { path, format }),
        None => Err("the picture's file must end in .svg or .png".to_string()),
    }
}

/// Write `svg` to `target` in its format (rendered, for `.png`).
pub fn write(target: &Target, svg: &str) -> anyhow::Result<()> {
    let bytes = target.format.encode(svg)?;
    std::fs::write(&target.path, bytes)
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", target.path.display()))
}
