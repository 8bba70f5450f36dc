//! Human views of the library's reports for the commands whose rendering is
//! more than a table (dns, resolve). The reports themselves — the JSON
//! contract — live in the library (`ipkit::dns::report`,
//! `ipkit::resolve::report`); these modules only render them.

pub mod dns;
pub mod resolve;
