//! `ipkit info`: what is known of an IP address (ipinfo's fields) from local
//! databases, a service (`--api`), or nothing at all (bogons).
//!
//! Stub while branch info-core lands (issue 14 contract): only the parts
//! info-fetch owns are real (`dirs`, `update`, `api`).

pub mod api;
pub mod data;
pub mod dirs;
pub mod record;
pub mod update;
