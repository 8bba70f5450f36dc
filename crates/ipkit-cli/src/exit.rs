//! Exit codes, named once. They follow the anchors: 0 success, 1 a negative
//! result (no match, no reply), 2 an error (bad usage, bad input lines, I/O).

/// Success.
pub const OK: u8 = 0;
/// A negative result: nothing matched, no reply.
pub const NEGATIVE: u8 = 1;
/// An error: bad input (including skipped bad lines in a stream) or I/O.
pub const ERROR: u8 = 2;
/// The user was asked to confirm a change and answered no (`ipkit kill`,
/// `ipkit neigh -d '*'`): nothing was done, which is neither a negative
/// result (nothing to do) nor an error.
pub const DECLINED: u8 = 3;
/// A usage error: arguments that do not make sense. Same number as ERROR, as
/// grep and ping use it.
pub const USAGE: u8 = 2;

/// An error in how the command was called, as opposed to a failure while
/// running. Rendered as one line, exit code [`USAGE`].
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Build a usage error as an `anyhow::Error`.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

/// `dns`: the server never answered in time (the error names it).
pub const NO_REPLY: u8 = 3;
/// `dns`: the server failed (SERVFAIL, REFUSED …), a transfer failed, or a
/// trace stopped short; `resolve`: a resolver failure other than "no such
/// name" or "try again".
pub const SERVER_FAILED: u8 = 4;
/// `resolve`: a temporary failure (EAI_AGAIN, TRY_AGAIN).
pub const TRY_AGAIN: u8 = 3;

/// The exit code for an error that ended a command: a DNS server that never
/// answered [`NO_REPLY`], a trace stopped short [`SERVER_FAILED`], resolver
/// failures by their EAI code (see `ipkit resolve --help`), anything else
/// (usage included) [`ERROR`].
pub fn for_error(e: &anyhow::Error) -> u8 {
    if let Some(r) = e.downcast_ref::<ipkit::resolve::ResolveError>() {
        for_resolve(r)
    } else if let Some(ipkit::dns::DnsError::Timeout { .. }) = e.downcast_ref() {
        NO_REPLY
    } else if e.downcast_ref::<ipkit::dns::TraceError>().is_some() {
        SERVER_FAILED
    } else {
        ERROR
    }
}

/// The exit code of `dns` answers: [`OK`] when any has records; else
/// [`SERVER_FAILED`] when a server failed; else [`NEGATIVE`] (NXDOMAIN,
/// NODATA).
pub fn for_dns(reports: &[ipkit::dns::report::DnsReport]) -> u8 {
    if reports.iter().any(|r| !r.answer.is_empty()) {
        return OK;
    }
    match reports
        .iter()
        .map(|r| r.status.as_str())
        .find(|s| *s != "NOERROR" && *s != "NXDOMAIN")
    {
        Some(_) => SERVER_FAILED,
        None => NEGATIVE,
    }
}

/// The exit code of a zone transfer: [`OK`] when records came, else
/// [`SERVER_FAILED`].
pub fn for_transfer(report: &ipkit::dns::report::DnsReport) -> u8 {
    if report.status == "NOERROR" && !report.answer.is_empty() {
        OK
    } else {
        SERVER_FAILED
    }
}

/// The exit code a resolver failure maps to: the name does not exist
/// [`NEGATIVE`], try again [`TRY_AGAIN`], another failure
/// [`SERVER_FAILED`], a refused request [`USAGE`].
pub fn for_resolve(e: &ipkit::resolve::ResolveError) -> u8 {
    use ipkit::resolve::{EaiCode, HErrno, ResolveError};
    match e.code() {
        Some(EaiCode::NoName | EaiCode::NoData | EaiCode::AddrFamily) => NEGATIVE,
        Some(EaiCode::Again) => TRY_AGAIN,
        Some(_) => SERVER_FAILED,
        None => match e {
            ResolveError::HostEnt {
                code: HErrno::HostNotFound | HErrno::NoData,
                ..
            } => NEGATIVE,
            ResolveError::HostEnt {
                code: HErrno::TryAgain,
                ..
            } => TRY_AGAIN,
            ResolveError::HostEnt { .. } => SERVER_FAILED,
            _ => USAGE,
        },
    }
}
