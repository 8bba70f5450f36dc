//! `ipkit info --update`: download the free DB-IP Lite city and ASN
//! databases from their publisher, check them, and install them atomically
//! in the data directory ([`super::dirs::data_dir`]).
//!
//! DB-IP publishes each month's files as
//! `https://download.db-ip.com/free/dbip-city-lite-YYYY-MM.mmdb.gz` and
//! `.../dbip-asn-lite-YYYY-MM.mmdb.gz` (CC BY 4.0; the attribution
//! [`ATTRIBUTION`] must be shown). Early in a month the new files may not be
//! out yet, so a 404 for the current month falls back to the previous one.
//! MaxMind's GeoLite2 is never downloaded: its terms need an account and a
//! licence key.
//!
//! For each edition the engine streams the gzip body through flate2 into a
//! temporary file *in the target directory* (so the final rename cannot
//! cross a file system), under size caps and read timeouts, then checks it:
//! it must open as a database whose kind matches ([`super::data::verify`]),
//! and answer the known lookup (8.8.8.8, Google Public DNS: a country in the
//! city file, AS15169 in the ASN file). Only when *both* editions have passed
//! are they installed: each temporary file is fsynced, renamed over the old
//! file, and the directory fsynced. A download that fails, is cut short, is
//! corrupt or is cancelled removes its temporary file (tempfile's guard) and
//! leaves the old database untouched; nothing half-written is ever visible
//! under a database's name.
//!
//! The HTTP client is ureq (blocking, on the workspace's rustls with ring and
//! the system's root certificates), the field's lean choice for a few GETs.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::data::{DataError, Databases, Source};
use super::layout::Kind;
use crate::cancel::Cancel;

/// Where DB-IP publishes the free Lite databases.
pub const DEFAULT_SOURCE: &str = "https://download.db-ip.com/free/";

/// The attribution DB-IP's CC BY 4.0 licence requires wherever its data is
/// used.
pub const ATTRIBUTION: &str = "IP Geolocation by DB-IP";

/// The page the attribution links to.
pub const ATTRIBUTION_URL: &str = "https://db-ip.com";

/// The address every DB-IP edition answers, checked after download.
pub const KNOWN_ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8));

/// The autonomous system [`KNOWN_ADDRESS`] belongs to (Google LLC).
pub const KNOWN_ASN: &str = "AS15169";

/// Compressed bytes accepted per file (DB-IP's city file is ~60 MB).
pub const MAX_COMPRESSED: u64 = 512 * 1024 * 1024;

/// Uncompressed bytes accepted per file (the city file is ~130 MB).
pub const MAX_UNCOMPRESSED: u64 = 2 * 1024 * 1024 * 1024;

/// How long a connection may take, and how long the server may stay silent.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The two databases DB-IP Lite offers in the MaxMind format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Edition {
    /// `dbip-city-lite`: country, region, city, location.
    City,
    /// `dbip-asn-lite`: autonomous system number and organisation.
    Asn,
}

impl Edition {
    /// Both, in the order they are fetched.
    pub const ALL: [Edition; 2] = [Edition::City, Edition::Asn];

    /// DB-IP's name for the edition.
    pub fn stem(self) -> &'static str {
        match self {
            Edition::City => "dbip-city-lite",
            Edition::Asn => "dbip-asn-lite",
        }
    }

    /// The publisher's file name for `month`: `dbip-city-lite-2026-12.mmdb.gz`.
    pub fn remote_name(self, month: Month) -> String {
        format!("{}-{month}.mmdb.gz", self.stem())
    }

    /// The installed file's name in the data directory: `dbip-city-lite.mmdb`.
    pub fn local_name(self) -> String {
        format!("{}.mmdb", self.stem())
    }
}

/// A calendar month (UTC), as DB-IP names its releases: `YYYY-MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    /// The year.
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
}

impl Month {
    /// The month `time` falls in, in UTC.
    pub fn of(time: SystemTime) -> Month {
        let secs = match time.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        };
        // Howard Hinnant's civil_from_days, year and month only.
        let z = secs.div_euclid(86_400) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Month {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: u8::try_from(month).unwrap_or(1),
        }
    }

    /// The month before this one.
    pub fn previous(self) -> Month {
        if self.month <= 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// What `ipkit info --update [--from URL]` asked for, checked.
#[derive(Clone, Debug)]
pub struct UpdateRequest {
    /// The directory URL the files are fetched from, ending in `/`.
    pub base: String,
    /// The directory the databases are installed in (created if missing).
    pub dir: PathBuf,
    /// The month to fetch first (the previous one is tried on a 404).
    pub month: Month,
}

impl UpdateRequest {
    /// Check `from` (an `http://` or `https://` URL of the directory holding
    /// the files; [`DEFAULT_SOURCE`] when `None`) and fetch `now`'s month
    /// into `dir`.
    pub fn new(from: Option<&str>, dir: PathBuf, now: SystemTime) -> Result<Self, UpdateError> {
        let base = from.unwrap_or(DEFAULT_SOURCE).trim();
        if !is_http_url(base) {
            return Err(UpdateError::BadSource {
                url: base.to_string(),
            });
        }
        let mut base = base.to_string();
        if !base.ends_with('/') {
            base.push('/');
        }
        Ok(UpdateRequest {
            base,
            dir,
            month: Month::of(now),
        })
    }

    /// The URL of `edition` for `month`.
    pub fn url(&self, edition: Edition, month: Month) -> String {
        format!("{}{}", self.base, edition.remote_name(month))
    }
}

/// What the engine reports while it works (the CLI shows it on stderr).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpdateEvent {
    /// Asking for `url`.
    Fetching {
        /// The edition being fetched.
        edition: Edition,
        /// The file's URL.
        url: String,
    },
    /// `url` answered 404; the previous month is tried next.
    NotPublished {
        /// The edition.
        edition: Edition,
        /// The URL that was not there.
        url: String,
    },
    /// Bytes of the compressed body received so far.
    Progress {
        /// The edition.
        edition: Edition,
        /// Compressed bytes received.
        received: u64,
        /// The body's length when the server said it.
        total: Option<u64>,
    },
    /// The file was downloaded and checked (not installed yet).
    Verified {
        /// The edition.
        edition: Edition,
        /// Uncompressed size in bytes.
        bytes: u64,
    },
}

/// One database installed by an update.
#[derive(Clone, Debug, Serialize)]
pub struct Installed {
    /// Which edition.
    pub edition: Edition,
    /// The release month fetched, `YYYY-MM`.
    pub month: String,
    /// Where it came from.
    pub url: String,
    /// Where it now is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// What the file says of itself (its metadata).
    pub source: Source,
}

/// The result of an update: what was installed, and the attribution the
/// data requires.
#[derive(Clone, Debug, Serialize)]
pub struct UpdateReport {
    /// The installed databases, city first.
    pub installed: Vec<Installed>,
    /// `IP Geolocation by DB-IP`.
    pub attribution: &'static str,
    /// `https://db-ip.com`.
    pub attribution_url: &'static str,
}

/// Why an update failed; the old databases are untouched in every case.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// `--from` is not an http(s) URL of a directory.
    #[error("--from {url:?} is not an http:// or https:// URL")]
    BadSource {
        /// What was given.
        url: String,
    },
    /// No data directory is known (neither XDG_DATA_HOME nor HOME is set).
    #[error("no data directory: set XDG_DATA_HOME or HOME")]
    NoDataDir,
    /// The server answered with a status other than 200.
    #[error("{url}: the server answered HTTP {status}")]
    Status {
        /// The URL asked.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The request or the body failed: connection, TLS, timeout, cut short.
    #[error("downloading {url}")]
    Transfer {
        /// The URL asked.
        url: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A body or its uncompressed content was larger than the cap.
    #[error("{url}: larger than {limit} bytes; refused")]
    TooLarge {
        /// The URL asked.
        url: String,
        /// The cap in bytes.
        limit: u64,
    },
    /// The body is not a valid gzip stream.
    #[error("{url}: not a valid gzip file")]
    Gzip {
        /// The URL asked.
        url: String,
        /// What flate2 said.
        #[source]
        source: io::Error,
    },
    /// The download does not open as a database.
    #[error("{url}: the download is not a usable database")]
    Invalid {
        /// The URL asked.
        url: String,
        /// What opening it said.
        #[source]
        source: DataError,
    },
    /// The download opened but is not the edition asked for, or did not
    /// answer the known lookup.
    #[error("{url}: {what}")]
    WrongContent {
        /// The URL asked.
        url: String,
        /// What was wrong, in words.
        what: String,
    },
    /// Creating, writing, syncing or renaming a file in the data directory.
    #[error("{op} {}", path.display())]
    File {
        /// What was being done.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: io::Error,
    },
    /// Cancelled (Ctrl-C, or the event callback said stop).
    #[error("update cancelled; the old databases are unchanged")]
    Cancelled,
}

/// Whether `url` is `http://` or `https://` followed by a host (no
/// whitespace): what `--from` and `--api` accept.
pub(super) fn is_http_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let scheme_ok = lower.starts_with("http://") || lower.starts_with("https://");
    let host_ok = url.split_once("://").is_some_and(|(_, rest)| {
        !rest.is_empty() && !rest.starts_with('/') && !rest.contains(char::is_whitespace)
    });
    scheme_ok && host_ok
}

/// The blocking HTTP agent `--update` and `--api` share: rustls with ring
/// and the system's roots, connect and read timeouts, no redirects beyond
/// five, HTTP errors returned as responses (so their status can be named).
pub(super) fn agent(read_timeout: Duration) -> ureq::Agent {
    let roots: Vec<ureq::tls::Certificate<'static>> = rustls_native_certs::load_native_certs()
        .certs
        .iter()
        .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
        .collect();
    let tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .root_certs(ureq::tls::RootCerts::new_with_certs(&roots))
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .build();
    ureq::Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .max_redirects(5)
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_per_read(Some(read_timeout))
        .user_agent(concat!("ipkit/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

/// A downloaded and checked file, not yet installed.
struct Staged {
    edition: Edition,
    month: Month,
    url: String,
    file: tempfile::NamedTempFile,
    bytes: u64,
    source: Source,
}

/// Run an update: fetch and check both editions, then install both.
/// `on_event` sees progress; returning `Break` cancels like `cancel`.
pub fn run(
    request: &UpdateRequest,
    cancel: &Cancel,
    mut on_event: impl FnMut(UpdateEvent) -> ControlFlow<()>,
) -> Result<UpdateReport, UpdateError> {
    std::fs::create_dir_all(&request.dir).map_err(|source| UpdateError::File {
        op: "creating",
        path: request.dir.clone(),
        source,
    })?;
    let agent = agent(READ_TIMEOUT);
    let mut staged = Vec::new();
    for edition in Edition::ALL {
        staged.push(stage_on_worker(
            &agent,
            request,
            edition,
            cancel,
            &mut on_event,
        )?);
    }
    if cancel.is_cancelled() {
        return Err(UpdateError::Cancelled);
    }
    let mut installed = Vec::new();
    for s in staged {
        let path = request.dir.join(s.edition.local_name());
        install(s.file, &path)?;
        let mut source = s.source;
        // What was checked under its temporary name is now here.
        source.path = path.clone();
        installed.push(Installed {
            edition: s.edition,
            month: s.month.to_string(),
            url: s.url,
            path,
            bytes: s.bytes,
            source,
        });
    }
    sync_dir(&request.dir)?;
    // Derive the new city file's time zones into the zone cache now, so
    // that no later lookup pays for the walk (best effort: a cache that
    // cannot be written only leaves it to the first lookup).
    let paths: Vec<PathBuf> = installed.iter().map(|i| i.path.clone()).collect();
    if let (Ok(dbs), Some(cache)) = (super::Databases::open(&paths), super::zone::cache_path()) {
        super::zone::fill(&dbs, &cache);
    }
    Ok(UpdateReport {
        installed,
        attribution: ATTRIBUTION,
        attribution_url: ATTRIBUTION_URL,
    })
}

/// What the download thread tells the caller's thread.
enum FromWorker {
    Event(UpdateEvent),
    TempFile(PathBuf),
    Done(Box<Result<Staged, UpdateError>>),
}

/// How often the caller's thread looks at the cancellation token while the
/// download thread works.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// [`stage`] on a thread of its own, so cancellation is prompt even while a
/// read is blocked on a silent server (a blocking read cannot be woken, and
/// waits up to its timeout). On cancel the caller removes the temporary
/// file at once and returns; the abandoned thread stops at its next read.
fn stage_on_worker(
    agent: &ureq::Agent,
    request: &UpdateRequest,
    edition: Edition,
    cancel: &Cancel,
    on_event: &mut impl FnMut(UpdateEvent) -> ControlFlow<()>,
) -> Result<Staged, UpdateError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let stop = Cancel::new();
    let worker = (agent.clone(), request.clone(), stop.clone());
    std::thread::spawn(move || {
        let (agent, request, stop) = worker;
        let events = tx.clone();
        let temps = tx.clone();
        let result = stage(
            &agent,
            &request,
            edition,
            &stop,
            &mut |e| {
                let _ = events.send(FromWorker::Event(e));
                ControlFlow::Continue(())
            },
            &mut |p| {
                let _ = temps.send(FromWorker::TempFile(p.to_path_buf()));
            },
        );
        let _ = tx.send(FromWorker::Done(Box::new(result)));
    });
    let mut temp = None;
    let abandon = |mut temp: Option<PathBuf>| {
        stop.cancel();
        // A path sent just before the stop is still in the channel.
        while let Ok(message) = rx.try_recv() {
            if let FromWorker::TempFile(path) = message {
                temp = Some(path);
            }
        }
        if let Some(path) = temp {
            let _ = std::fs::remove_file(path);
        }
        Err(UpdateError::Cancelled)
    };
    loop {
        if cancel.is_cancelled() {
            return abandon(temp);
        }
        match rx.recv_timeout(CANCEL_POLL) {
            Ok(FromWorker::Event(e)) => {
                if on_event(e).is_break() {
                    return abandon(temp);
                }
            }
            Ok(FromWorker::TempFile(path)) => temp = Some(path),
            Ok(FromWorker::Done(result)) => return *result,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            // The thread ended without a result: it panicked.
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return abandon(temp),
        }
    }
}

/// Download `edition` (this month's, else last month's) into a temporary
/// file in the target directory and check it; `on_temp` learns the
/// temporary file's path as soon as it exists.
fn stage(
    agent: &ureq::Agent,
    request: &UpdateRequest,
    edition: Edition,
    cancel: &Cancel,
    on_event: &mut impl FnMut(UpdateEvent) -> ControlFlow<()>,
    on_temp: &mut impl FnMut(&Path),
) -> Result<Staged, UpdateError> {
    let months = [request.month, request.month.previous()];
    for (i, month) in months.into_iter().enumerate() {
        let url = request.url(edition, month);
        if on_event(UpdateEvent::Fetching {
            edition,
            url: url.clone(),
        })
        .is_break()
        {
            return Err(UpdateError::Cancelled);
        }
        let response = agent.get(&url).call().map_err(|e| UpdateError::Transfer {
            url: url.clone(),
            source: ureq_io(e),
        })?;
        let status = response.status().as_u16();
        if status == 404 && i + 1 < months.len() {
            if on_event(UpdateEvent::NotPublished {
                edition,
                url: url.clone(),
            })
            .is_break()
            {
                return Err(UpdateError::Cancelled);
            }
            continue;
        }
        if status != 200 {
            return Err(UpdateError::Status { url, status });
        }
        let total = response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if total.is_some_and(|t| t > MAX_COMPRESSED) {
            return Err(UpdateError::TooLarge {
                url,
                limit: MAX_COMPRESSED,
            });
        }
        let body = response.into_body().into_reader();
        let file = tempfile::Builder::new()
            .prefix(&format!(".{}.", edition.stem()))
            .suffix(".mmdb")
            .tempfile_in(&request.dir)
            .map_err(|source| UpdateError::File {
                op: "creating a temporary file in",
                path: request.dir.clone(),
                source,
            })?;
        on_temp(file.path());
        let mut counted = Counted {
            inner: body,
            received: 0,
            reported: 0,
            total,
            edition,
            cancel,
            on_event: &mut *on_event,
            stopped: false,
        };
        let bytes = gunzip_into(&mut counted, &file, &url)?;
        if counted.stopped || cancel.is_cancelled() {
            return Err(UpdateError::Cancelled);
        }
        let source = check(file.path(), edition, &url)?;
        if on_event(UpdateEvent::Verified { edition, bytes }).is_break() {
            return Err(UpdateError::Cancelled);
        }
        return Ok(Staged {
            edition,
            month,
            url,
            file,
            bytes,
            source,
        });
    }
    // Not reached: the last month's 404 returns above. Said as an error
    // all the same, never a panic.
    Err(UpdateError::Status {
        url: request.url(edition, request.month.previous()),
        status: 404,
    })
}

/// Decompress `body` into `file`, refusing more than [`MAX_UNCOMPRESSED`]
/// bytes; the file is flushed and fsynced before this returns.
fn gunzip_into(
    body: &mut impl Read,
    file: &tempfile::NamedTempFile,
    url: &str,
) -> Result<u64, UpdateError> {
    let path = file.path().to_path_buf();
    let file_error = |source| UpdateError::File {
        op: "writing",
        path: path.clone(),
        source,
    };
    let mut gz = flate2::read::MultiGzDecoder::new(body).take(MAX_UNCOMPRESSED + 1);
    let mut out = BufWriter::with_capacity(1 << 20, file.as_file());
    let mut buf = vec![0u8; 1 << 16];
    let mut written: u64 = 0;
    loop {
        let n = match gz.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(classify_read_error(e, url)),
        };
        written += n as u64;
        if written > MAX_UNCOMPRESSED {
            return Err(UpdateError::TooLarge {
                url: url.to_string(),
                limit: MAX_UNCOMPRESSED,
            });
        }
        out.write_all(&buf[..n]).map_err(file_error)?;
    }
    out.flush().map_err(file_error)?;
    drop(out);
    file.as_file().sync_all().map_err(file_error)?;
    Ok(written)
}

/// Tell a transfer failure (cut short, timeout, too large, cancelled: the
/// reader's own errors) from a body that is not gzip.
fn classify_read_error(e: io::Error, url: &str) -> UpdateError {
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<Stop>()) {
        return match inner {
            Stop::Cancelled => UpdateError::Cancelled,
            Stop::TooLarge => UpdateError::TooLarge {
                url: url.to_string(),
                limit: MAX_COMPRESSED,
            },
        };
    }
    if let Some(transfer) = e.get_ref().and_then(|i| i.downcast_ref::<Transfer>()) {
        return UpdateError::Transfer {
            url: url.to_string(),
            source: io::Error::new(transfer.0.kind(), transfer.0.to_string()),
        };
    }
    match e.kind() {
        // flate2 says UnexpectedEof for a stream that ends early: the body
        // was cut short (a server that closes without Content-Length).
        io::ErrorKind::UnexpectedEof => UpdateError::Transfer {
            url: url.to_string(),
            source: io::Error::new(io::ErrorKind::UnexpectedEof, "the download ended early"),
        },
        _ => UpdateError::Gzip {
            url: url.to_string(),
            source: e,
        },
    }
}

/// Open the staged file and ask it the known question.
fn check(path: &Path, edition: Edition, url: &str) -> Result<Source, UpdateError> {
    let invalid = |source| UpdateError::Invalid {
        url: url.to_string(),
        source,
    };
    let source = super::data::verify(path).map_err(invalid)?;
    let expected = match edition {
        Edition::City => Kind::City,
        Edition::Asn => Kind::Asn,
    };
    if source.kind != expected {
        return Err(UpdateError::WrongContent {
            url: url.to_string(),
            what: format!(
                "expected a {} database, got {:?} (type {:?})",
                edition.stem(),
                source.kind,
                source.database_type
            ),
        });
    }
    let databases = Databases::open(&[path.to_path_buf()]).map_err(invalid)?;
    let answer = databases.lookup(KNOWN_ADDRESS);
    let wrong = |what: String| UpdateError::WrongContent {
        url: url.to_string(),
        what,
    };
    match edition {
        Edition::City => {
            if answer.country.is_none() {
                return Err(wrong(format!(
                    "not a city database: no country for {KNOWN_ADDRESS}"
                )));
            }
        }
        Edition::Asn => {
            let org = answer.org.unwrap_or_default();
            let asn = org.split_whitespace().next().unwrap_or("");
            if asn != KNOWN_ASN {
                return Err(wrong(format!(
                    "not an ASN database: {KNOWN_ADDRESS} should be in {KNOWN_ASN}"
                )));
            }
        }
    }
    Ok(source)
}

/// Make the staged file the database at `path`: rename over the old one
/// (atomic on POSIX; the file was fsynced already).
fn install(file: tempfile::NamedTempFile, path: &Path) -> Result<(), UpdateError> {
    file.persist(path).map_err(|e| UpdateError::File {
        op: "renaming into place",
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

/// fsync the directory so the renames survive a crash.
fn sync_dir(dir: &Path) -> Result<(), UpdateError> {
    // Opening a directory read-only and syncing it works on Unix; elsewhere
    // the rename is as durable as the system makes it.
    if cfg!(unix) {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|source| UpdateError::File {
                op: "syncing",
                path: dir.to_path_buf(),
                source,
            })?;
    }
    Ok(())
}

/// Why [`Counted`] stopped a read.
#[derive(Debug)]
enum Stop {
    Cancelled,
    TooLarge,
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stop::Cancelled => "cancelled",
            Stop::TooLarge => "too large",
        })
    }
}

impl std::error::Error for Stop {}

/// A failure of the HTTP body itself, kept apart from gzip errors.
#[derive(Debug)]
struct Transfer(io::Error);

impl std::fmt::Display for Transfer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Transfer {}

/// The compressed body, counted: progress events, the compressed cap and
/// cancellation are applied here, between the socket and the decoder.
struct Counted<'a, R, F> {
    inner: R,
    received: u64,
    reported: u64,
    total: Option<u64>,
    edition: Edition,
    cancel: &'a Cancel,
    on_event: &'a mut F,
    stopped: bool,
}

impl<R: Read, F: FnMut(UpdateEvent) -> ControlFlow<()>> Read for Counted<'_, R, F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stopped || self.cancel.is_cancelled() {
            self.stopped = true;
            return Err(io::Error::other(Stop::Cancelled));
        }
        let n = self
            .inner
            .read(buf)
            .map_err(|e| io::Error::new(e.kind(), Transfer(e)))?;
        self.received += n as u64;
        if self.received > MAX_COMPRESSED {
            return Err(io::Error::other(Stop::TooLarge));
        }
        // A progress event per MiB, and one at the end.
        if n == 0 || self.received - self.reported >= 1 << 20 {
            self.reported = self.received;
            let event = UpdateEvent::Progress {
                edition: self.edition,
                received: self.received,
                total: self.total,
            };
            if (self.on_event)(event).is_break() {
                self.stopped = true;
                return Err(io::Error::other(Stop::Cancelled));
            }
        }
        Ok(n)
    }
}

/// ureq's error as an io::Error with its words kept.
pub(super) fn ureq_io(e: ureq::Error) -> io::Error {
    match e {
        ureq::Error::Io(io) => io,
        ureq::Error::Timeout(t) => io::Error::new(io::ErrorKind::TimedOut, t.to_string()),
        other => io::Error::other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn months_in_utc() {
        // date -u -d @0 / @951782400 (2000-02-29) / @1798761599 (2026-12-31 23:59:59)
        assert_eq!(Month::of(at(0)).to_string(), "1970-01");
        assert_eq!(Month::of(at(951_782_400)).to_string(), "2000-02");
        assert_eq!(Month::of(at(1_798_761_599)).to_string(), "2026-12");
        assert_eq!(Month::of(at(1_798_761_600)).to_string(), "2027-01");
    }

    #[test]
    fn previous_month_crosses_the_year() {
        let jan = Month {
            year: 2027,
            month: 1,
        };
        assert_eq!(jan.previous().to_string(), "2026-12");
        assert_eq!(jan.previous().previous().to_string(), "2026-11");
    }

    #[test]
    fn publisher_file_names() {
        let m = Month {
            year: 2026,
            month: 12,
        };
        let r = UpdateRequest::new(None, PathBuf::from("/d"), at(1_798_761_599)).unwrap();
        assert_eq!(
            r.url(Edition::City, m),
            "https://download.db-ip.com/free/dbip-city-lite-2026-12.mmdb.gz"
        );
        assert_eq!(
            r.url(Edition::Asn, m.previous()),
            "https://download.db-ip.com/free/dbip-asn-lite-2026-11.mmdb.gz"
        );
        assert_eq!(Edition::Asn.local_name(), "dbip-asn-lite.mmdb");
    }

    #[test]
    fn source_must_be_an_http_url() {
        let now = at(0);
        let dir = PathBuf::from("/d");
        let ok = UpdateRequest::new(Some("http://127.0.0.1:8000"), dir.clone(), now).unwrap();
        assert_eq!(ok.base, "http://127.0.0.1:8000/");
        for bad in [
            "ftp://x/",
            "127.0.0.1:8000",
            "http://",
            "http:///x",
            "https://a b/",
        ] {
            assert!(
                matches!(
                    UpdateRequest::new(Some(bad), dir.clone(), now),
                    Err(UpdateError::BadSource { .. })
                ),
                "{bad}"
            );
        }
    }
}
