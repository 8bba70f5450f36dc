//! Where `ipkit info` finds its databases when no `--db` is given.
//!
//! 1. `IPKIT_DB`: a colon-separated list of files (empty entries ignored).
//! 2. Else every `*.mmdb` and `*.csv` file in the per-user data directory,
//!    sorted by name: `$XDG_DATA_HOME/ipkit` when `XDG_DATA_HOME` is set to an
//!    absolute path (the XDG Base Directory specification says a relative
//!    one is invalid and must be ignored), else `~/.local/share/ipkit`. This
//!    is where `ipkit info --update` installs the DB-IP Lite files. Hidden
//!    files (a name starting with `.`, such as a download in progress) are
//!    never picked up.
//!
//! A parsed ASN CSV is cached beside the CSV or in [`cache_dir`]
//! (`$XDG_CACHE_HOME/ipkit`, `~/.cache/ipkit`; see `super::asn_cache`).
//!
//! The lookups are split into pure functions over the values read
//! (`data_dir_from`, `paths_from`) so the rules are tested without touching
//! the process environment.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The environment variable holding a colon-separated list of databases.
pub const DB_ENV: &str = "IPKIT_DB";

/// The per-user data directory: `$XDG_DATA_HOME/ipkit` or
/// `~/.local/share/ipkit`; `None` when neither `XDG_DATA_HOME` (absolute)
/// nor `HOME` is set.
pub fn data_dir() -> Option<PathBuf> {
    data_dir_from(
        std::env::var_os("XDG_DATA_HOME").as_deref(),
        std::env::var_os("HOME").as_deref(),
    )
}

/// [`data_dir`] from the values of `XDG_DATA_HOME` and `HOME`.
pub fn data_dir_from(xdg_data_home: Option<&OsStr>, home: Option<&OsStr>) -> Option<PathBuf> {
    let absolute = |v: &OsStr| !v.is_empty() && Path::new(v).is_absolute();
    match (xdg_data_home, home) {
        (Some(xdg), _) if absolute(xdg) => Some(Path::new(xdg).join("ipkit")),
        (_, Some(home)) if absolute(home) => Some(Path::new(home).join(".local/share/ipkit")),
        _ => None,
    }
}

/// The per-user cache directory (where a parsed ASN CSV is kept when its
/// own directory is not writable): `$XDG_CACHE_HOME/ipkit` when that is
/// absolute, else `~/.cache/ipkit`; `None` when neither is set.
pub fn cache_dir() -> Option<PathBuf> {
    cache_dir_from(
        std::env::var_os("XDG_CACHE_HOME").as_deref(),
        std::env::var_os("HOME").as_deref(),
    )
}

/// [`cache_dir`] from the values of `XDG_CACHE_HOME` and `HOME`.
pub fn cache_dir_from(xdg_cache_home: Option<&OsStr>, home: Option<&OsStr>) -> Option<PathBuf> {
    let absolute = |v: &OsStr| !v.is_empty() && Path::new(v).is_absolute();
    match (xdg_cache_home, home) {
        (Some(xdg), _) if absolute(xdg) => Some(Path::new(xdg).join("ipkit")),
        (_, Some(home)) if absolute(home) => Some(Path::new(home).join(".cache/ipkit")),
        _ => None,
    }
}

/// The databases to open when the user named none: the files in `IPKIT_DB`,
/// else the databases in [`data_dir`]. Empty when there are none (then only
/// bogon answers are possible, and `ipkit info` says how to get data).
pub fn default_paths() -> Vec<PathBuf> {
    let listed = std::env::var_os(DB_ENV);
    let dir = data_dir();
    let entries = match (&listed, &dir) {
        (None, Some(dir)) => std::fs::read_dir(dir)
            .map(|it| {
                it.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_file())
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    paths_from(listed.as_deref(), &entries)
}

/// [`default_paths`] from the value of `IPKIT_DB` and the paths found in the
/// data directory.
pub fn paths_from(ipkit_db: Option<&OsStr>, dir_entries: &[PathBuf]) -> Vec<PathBuf> {
    if let Some(list) = ipkit_db {
        return std::env::split_paths(list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
    }
    let mut found: Vec<PathBuf> = dir_entries
        .iter()
        .filter(|p| is_database_name(p))
        .cloned()
        .collect();
    found.sort();
    found
}

/// Whether `path` names a database `ipkit info` reads from the data
/// directory: `*.mmdb` or `*.csv`, not hidden.
fn is_database_name(path: &Path) -> bool {
    let visible = path
        .file_name()
        .and_then(OsStr::to_str)
        .is_some_and(|n| !n.starts_with('.'));
    let known = path
        .extension()
        .and_then(OsStr::to_str)
        .is_some_and(|e| e.eq_ignore_ascii_case("mmdb") || e.eq_ignore_ascii_case("csv"));
    visible && known
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> &OsStr {
        OsStr::new(s)
    }

    #[test]
    fn xdg_data_home_wins_when_absolute() {
        assert_eq!(
            data_dir_from(Some(os("/x/data")), Some(os("/home/u"))),
            Some(PathBuf::from("/x/data/ipkit"))
        );
    }

    #[test]
    fn relative_or_empty_xdg_is_ignored_as_the_spec_says() {
        for xdg in ["", "rel/data"] {
            assert_eq!(
                data_dir_from(Some(os(xdg)), Some(os("/home/u"))),
                Some(PathBuf::from("/home/u/.local/share/ipkit"))
            );
        }
        assert_eq!(data_dir_from(None, None), None);
        assert_eq!(data_dir_from(Some(os("x")), Some(os("y"))), None);
    }

    #[test]
    fn the_cache_directory_follows_xdg_cache_home() {
        assert_eq!(
            cache_dir_from(Some(os("/x/cache")), Some(os("/home/u"))),
            Some(PathBuf::from("/x/cache/ipkit"))
        );
        assert_eq!(
            cache_dir_from(Some(os("rel")), Some(os("/home/u"))),
            Some(PathBuf::from("/home/u/.cache/ipkit"))
        );
        assert_eq!(cache_dir_from(None, None), None);
    }

    #[test]
    fn ipkit_db_is_colon_separated_and_beats_the_directory() {
        let dir = [PathBuf::from("/d/a.mmdb")];
        assert_eq!(
            paths_from(Some(os("/a/city.mmdb::/b/asn.csv")), &dir),
            [PathBuf::from("/a/city.mmdb"), PathBuf::from("/b/asn.csv")]
        );
    }

    #[test]
    fn directory_gives_visible_databases_sorted() {
        let entries: Vec<PathBuf> = [
            "/d/dbip-city-lite.mmdb",
            "/d/.dbip-asn-lite.x1y2.mmdb",
            "/d/README.txt",
            "/d/asn.CSV",
            "/d/dbip-asn-lite.mmdb",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(
            paths_from(None, &entries),
            [
                "/d/asn.CSV",
                "/d/dbip-asn-lite.mmdb",
                "/d/dbip-city-lite.mmdb"
            ]
            .map(PathBuf::from)
        );
    }
}
