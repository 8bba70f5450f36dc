//! The NDJSON records of `ipkit grep` (docs/json.md, checked by
//! tests/json_contract.rs).

use std::net::IpAddr;

use serde::Serialize;

/// One NDJSON match record (`{"type":"match","data":…}`).
#[derive(Serialize)]
pub struct MatchRecord<'a> {
    /// The file (`-` for stdin).
    pub file: &'a str,
    /// 1-based line number.
    pub line: u64,
    /// The address.
    pub addr: IpAddr,
    /// Prefix length, when written.
    pub prefix_len: Option<u8>,
    /// Port, when written.
    pub port: Option<u16>,
    /// The text as written.
    pub text: &'a str,
}

/// The closing NDJSON record (`{"type":"summary","data":…}`).
#[derive(Serialize)]
pub struct Summary {
    /// Addresses that passed the filters.
    pub matches: u64,
    /// Lines holding at least one.
    pub lines: u64,
    /// Distinct addresses (with -u).
    pub unique: Option<usize>,
    /// Files that could not be read.
    pub errors: u64,
    /// Ctrl-C or SIGTERM stopped the search before the input ended.
    pub interrupted: bool,
}
