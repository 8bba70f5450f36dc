//! The server's lookups: [`Databases::lookup`] behind a bounded cache keyed
//! by the database records an address falls in ([`Databases::keyed`]), so
//! that decoding a record and deriving its time zone happen once per
//! record rather than once per request. Addresses in one network share a
//! record, so a busy server mostly finds its answer here. Bogons are not
//! cached (they are answered without data, and key like an address no
//! database has).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::info::bogon::is_bogon;
use crate::info::data::{Databases, RecordKey};
use crate::info::record::IpInfo;

/// How many records the cache keeps before it starts over.
pub const CACHED_RECORDS: usize = 65_536;

/// Lookups with a record cache; shared by every connection.
#[derive(Debug)]
pub struct Lookups {
    databases: Arc<Databases>,
    cache: Mutex<HashMap<RecordKey, IpInfo>>,
}

impl Lookups {
    /// Look up in `databases`.
    pub fn new(databases: Arc<Databases>) -> Lookups {
        Lookups {
            databases,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// What the data says of `ip`: the same record as
    /// [`Databases::lookup`].
    pub fn lookup(&self, ip: IpAddr) -> IpInfo {
        if is_bogon(ip) {
            return self.databases.lookup(ip);
        }
        let Some(key) = self.databases.keyed(ip) else {
            return self.databases.lookup(ip);
        };
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        if let Some(mut info) = cached {
            info.ip = ip;
            return info;
        }
        let info = self.databases.lookup(ip);
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHED_RECORDS {
            cache.clear();
        }
        cache.insert(key, info.clone());
        info
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bogons_and_empty_data_answer_as_the_databases_do() {
        let lookups = Lookups::new(Arc::new(Databases::empty()));
        for ip in ["10.0.0.1", "8.8.8.8", "10.0.0.2", "8.8.4.4", "::1"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(lookups.lookup(ip), Databases::empty().lookup(ip), "{ip}");
        }
    }
}
