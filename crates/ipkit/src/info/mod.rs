//! IP information behind `ipkit info` and `ipkit serve http`: what the
//! data says of an address, in ipinfo.io's shape.
//!
//! The spine: [`record::IpInfo`] is the answer (the JSON contract, ipinfo's
//! field names and order); [`data::Databases`] opens the databases (any
//! MaxMind-format file, read memory-mapped with the `maxminddb` crate, and
//! ip-location-db's ASN CSV) and looks an address up; [`bogon`] answers
//! special-purpose addresses without data; [`request::Request`] is what a
//! user asked, checked; [`report`] adds host names; [`bulk`] streams many
//! addresses to NDJSON fast; [`summary`] counts them as ipinfo's
//! `summarize` does. [`dirs`] says where the data lives; [`update`] downloads DB-IP Lite into
//! it (`--update`); [`api`] asks an ipinfo-compatible service instead (`--api`).

pub mod api;
pub(crate) mod asn_cache;
pub mod asn_csv;
pub mod bogon;
pub mod bulk;
pub mod data;
pub mod dirs;
pub mod layout;
pub mod record;
pub mod report;
pub mod request;
pub mod summary;
pub mod update;
pub mod zone;

pub use data::{DataError, Databases, Source, verify};
pub use layout::{Kind, Layout};
pub use record::{Field, IpInfo, UnknownField};

/// The attribution the DB-IP Lite data's licence (CC BY 4.0) requires.
pub const DBIP_ATTRIBUTION: &str = "IP Geolocation by DB-IP (https://db-ip.com), CC BY 4.0";
