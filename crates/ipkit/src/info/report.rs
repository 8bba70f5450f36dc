//! The answers for a [`Request`]: each address looked up in the
//! [`Databases`], with its host name (reverse DNS through the shared
//! [`ReverseNames`] cache) unless `-n`, and never for a bogon. The server
//! (`ipkit serve http`) calls [`Databases::lookup`] and [`add_hostname`],
//! so both serialize the same [`IpInfo`].

use serde::Serialize;

use super::data::{DataError, Databases};
use super::record::{Field, IpInfo};
use super::request::Request;
use super::zone::{ZoneFillObserver, ZoneMemo};
use crate::resolve::ReverseNames;

/// The answers of one `ipkit info`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InfoReport {
    /// One answer per address, in the order asked.
    pub answers: Vec<IpInfo>,
    /// No database was open, so only bogons were answered.
    #[serde(skip)]
    pub no_data: bool,
}

impl InfoReport {
    /// Whether some address other than a bogon went unanswered for want
    /// of a database.
    pub fn missing_data(&self) -> bool {
        self.no_data && self.answers.iter().any(|a| !a.is_bogon())
    }
}

/// Set `info.hostname` from reverse DNS, unless it is a bogon.
pub fn add_hostname(info: &mut IpInfo, names: &mut ReverseNames) {
    if !info.is_bogon() {
        info.hostname = names.get(info.ip).map(|n| n.to_string());
    }
}

/// Look up every address of `request`; a record that cannot be decoded
/// (a corrupt database) is an error.
pub fn report(request: &Request, dbs: &Databases) -> Result<InfoReport, DataError> {
    report_observed(request, dbs, Box::new(|_| {}))
}

/// [`report`], telling `observe` when a lookup walks the city databases to
/// fill the zone cache (once per database: seconds, where a lookup
/// otherwise takes about a millisecond), so a program can say so.
pub fn report_observed(
    request: &Request,
    dbs: &Databases,
    observe: ZoneFillObserver,
) -> Result<InfoReport, DataError> {
    let mut names = ReverseNames::default();
    let mut answers = Vec::with_capacity(request.addresses.len());
    // A derived time zone costs the finder's start (milliseconds): not
    // paid when `--field` asks for another field, and for the databases'
    // places paid once, into the zone cache.
    let mut zones = match request.field {
        Some(f) if f != Field::Timezone => ZoneMemo::not_needed(),
        _ => ZoneMemo::filling(observe),
    };
    for &ip in &request.addresses {
        let mut info = dbs.try_lookup_with(ip, &mut zones)?;
        if request.hostnames {
            add_hostname(&mut info, &mut names);
        }
        answers.push(info);
    }
    Ok(InfoReport {
        answers,
        no_data: dbs.is_empty(),
    })
}
