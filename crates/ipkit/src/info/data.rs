//! Stub of info-core's databases (issue 14 contract), replaced on merge.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::record::IpInfo;

/// The opened databases.
pub struct Databases;

/// What was opened.
#[derive(Clone, Debug, Serialize)]
pub struct Source {
    /// The file.
    pub path: PathBuf,
}

/// Why a database could not be used.
#[derive(Debug, thiserror::Error)]
#[error("stub")]
pub struct DataError;

impl Databases {
    /// Open.
    pub fn open(_paths: &[PathBuf]) -> Result<Databases, DataError> {
        Err(DataError)
    }
    /// Look up.
    pub fn lookup(&self, ip: IpAddr) -> IpInfo {
        IpInfo {
            ip,
            hostname: None,
            bogon: None,
            city: None,
            region: None,
            country: None,
            loc: None,
            org: None,
            postal: None,
            timezone: None,
        }
    }
}

/// Open and check.
pub fn verify(_path: &Path) -> Result<Source, DataError> {
    Err(DataError)
}
