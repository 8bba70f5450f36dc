//! Where `ipkit info` looks for its databases when no `--db` is given.
//!
//! A first version by info-core (the `info-fetch` branch owns this module
//! and replaces it): `IPKIT_DB` (paths separated by `:`), else the `*.mmdb`
//! and `*.csv` files in the per-user data directory,
//! `$XDG_DATA_HOME/ipkit` or `~/.local/share/ipkit`.

use std::path::PathBuf;

/// The per-user data directory: `$XDG_DATA_HOME/ipkit`, else
/// `~/.local/share/ipkit`; None when neither variable is set.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        let x = PathBuf::from(x);
        if x.is_absolute() {
            return Some(x.join("ipkit"));
        }
    }
    let home = std::env::var_os("HOME").filter(|v| !v.is_empty())?;
    Some(PathBuf::from(home).join(".local/share/ipkit"))
}

/// The databases to open: `IPKIT_DB` (colon-separated) when set, else the
/// `*.mmdb` and `*.csv` files in [`data_dir`], sorted by name.
pub fn default_paths() -> Vec<PathBuf> {
    if let Some(v) = std::env::var_os("IPKIT_DB").filter(|v| !v.is_empty()) {
        return std::env::split_paths(&v)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
    }
    let Some(dir) = data_dir() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension().is_some_and(|x| {
                    x.eq_ignore_ascii_case("mmdb") || x.eq_ignore_ascii_case("csv")
                })
        })
        .collect();
    found.sort();
    found
}
