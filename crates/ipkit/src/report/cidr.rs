//! The JSON documents of `ipkit cidr` (docs/json.md): the merged set as
//! prefixes or ranges, its size, and the NDJSON records of `cidr --filter`.

use serde::Serialize;

/// `cidr --json`: the set as prefixes.
#[derive(Debug, Serialize)]
pub struct PrefixDoc {
    /// The resulting prefixes, IPv4 first, ascending.
    pub prefixes: Vec<String>,
}

/// `cidr --ranges --json`: the set as ranges.
#[derive(Debug, Serialize)]
pub struct RangeDoc {
    /// The merged ranges, `{"first", "last"}`, IPv4 first.
    pub ranges: Vec<RangeView>,
}

/// One range, both ends included.
#[derive(Debug, Serialize)]
pub struct RangeView {
    /// The first address.
    pub first: String,
    /// The last address.
    pub last: String,
}

/// `cidr --count --json`: how many addresses the set covers.
#[derive(Debug, Serialize)]
pub struct CountDoc {
    /// IPv4 addresses covered.
    pub ipv4: u64,
    /// IPv6 addresses covered (a decimal string; saturates at 2^128-1).
    pub ipv6: String,
}

/// One `cidr --filter --json` match record (`{"type":"match","data":…}`).
#[derive(Debug, Serialize)]
pub struct LineRecord<'a> {
    /// 1-based line number.
    pub line: u64,
    /// The line as read.
    pub text: &'a str,
}
