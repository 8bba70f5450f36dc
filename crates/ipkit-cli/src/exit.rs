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
