//! Loading the services and protocols databases: the system files when they
//! exist (`/etc/services`, `/etc/protocols` on Unix), the built-in IANA copy
//! in `ipkit_core::services` when they do not. Parsing is in the core.

use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use ipkit_core::services::{
    ProtocolEntry, Service, builtin_protocols, builtin_services, parse_protocols, parse_services,
};

/// Where a database came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbSource {
    /// A file on this system.
    File(PathBuf),
    /// The built-in copy, because the file was missing.
    Builtin {
        /// The file that was looked for.
        missing: PathBuf,
    },
}

/// A loaded database.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    /// The entries, in file order.
    pub entries: Vec<T>,
    /// Where they came from.
    pub source: DbSource,
    /// Line numbers of the file that could not be parsed.
    pub bad_lines: Vec<usize>,
}

/// The system's services file.
pub const SERVICES_FILE: &str = "/etc/services";
/// The system's protocols file.
pub const PROTOCOLS_FILE: &str = "/etc/protocols";

fn load<T>(
    path: &Path,
    parse: fn(&str) -> (Vec<T>, Vec<usize>),
    builtin: fn() -> Vec<T>,
) -> io::Result<Loaded<T>> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let (entries, bad_lines) = parse(&String::from_utf8_lossy(&bytes));
            Ok(Loaded {
                entries,
                source: DbSource::File(path.to_path_buf()),
                bad_lines,
            })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Loaded {
            entries: builtin(),
            source: DbSource::Builtin {
                missing: path.to_path_buf(),
            },
            bad_lines: vec![],
        }),
        Err(e) => Err(io::Error::new(
            e.kind(),
            format!("reading {}: {e}", path.display()),
        )),
    }
}

/// Load the services database from `path` (or the built-in copy when the
/// file does not exist).
///
/// # Examples
/// ```
/// let db = ipkit::services::load_services("/nonexistent/services".as_ref()).unwrap();
/// assert!(matches!(db.source, ipkit::services::DbSource::Builtin { .. }));
/// assert!(db.entries.iter().any(|s| s.name == "ftp" && s.port == 21));
/// ```
pub fn load_services(path: &Path) -> io::Result<Loaded<Service>> {
    load(path, parse_services, builtin_services)
}

/// Load the protocols database from `path` (or the built-in copy).
pub fn load_protocols(path: &Path) -> io::Result<Loaded<ProtocolEntry>> {
    load(path, parse_protocols, builtin_protocols)
}

/// The report of a services or protocols lookup (`ipkit service --json`):
/// the matches and where they came from.
#[derive(Debug, Serialize)]
pub struct ServiceDocument<T: Serialize> {
    /// The file read, or "builtin".
    pub source: String,
    /// One result per query (or one with every entry for --all).
    pub results: Vec<QueryResult<T>>,
}

/// One query's answer.
#[derive(Debug, Serialize)]
pub struct QueryResult<T: Serialize> {
    /// The query as given ("*" for --all).
    pub query: String,
    /// Matching entries, in database order.
    pub matches: Vec<T>,
}
