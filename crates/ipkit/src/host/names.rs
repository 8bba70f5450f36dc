//! Names for what the host tables hold as numbers: ports → service names
//! (`/etc/services`, as netstat and ss show them), addresses → host names
//! (`getnameinfo` with `NI_NAMEREQD`, which may query DNS), user ids → user
//! names (the system's user database, `getpwuid_r(3)` through nix).
//!
//! Reports look names up once, when they are built, so the views that
//! render them do no I/O and the JSON carries the same names the tables
//! show. Each lookup is cached: a table of 100,000 sockets has few distinct
//! ports, addresses and users.

use std::collections::HashMap;
use std::sync::Arc;

use super::processes::ProcessTable;
use super::sockets::Transport;

/// A shared name: the same service, host or user is named by many rows.
pub type Name = Arc<str>;

/// Service names by port and transport, from `/etc/services`, loaded once.
#[derive(Debug, Clone, Default)]
pub struct ServiceNames {
    /// Service names by `port * 2 + udp`; empty when not loaded.
    by_slot: Vec<Option<Name>>,
}

impl ServiceNames {
    /// The system's services database (`/etc/services`); empty when it
    /// cannot be read.
    pub fn load() -> ServiceNames {
        let path = crate::services::SERVICES_FILE.as_ref();
        let entries =
            crate::services::load_services(path).map_or_else(|_| Vec::new(), |db| db.entries);
        ServiceNames::from_services(entries)
    }

    /// From services database entries; the first name of a port wins, as
    /// `getservbyport(3)` answers.
    pub fn from_services(
        entries: impl IntoIterator<Item = ipkit_core::services::Service>,
    ) -> ServiceNames {
        let mut by_slot = vec![None; 1 << 17];
        for s in entries {
            let slot = usize::from(s.port) * 2 + usize::from(s.protocol == "udp");
            by_slot[slot].get_or_insert_with(|| Name::from(s.name));
        }
        ServiceNames { by_slot }
    }

    /// The service on `port` over `transport` (raw sockets have none: their
    /// "port" is an IP protocol number).
    pub fn get(&self, port: u16, transport: Transport) -> Option<&str> {
        if transport == Transport::Raw {
            return None;
        }
        let slot = usize::from(port) * 2 + usize::from(transport == Transport::Udp);
        self.by_slot.get(slot)?.as_deref()
    }
}

pub use crate::resolve::ReverseNames;

/// User names by uid, each looked up once.
pub struct UserNames<'a> {
    table: &'a dyn ProcessTable,
    cache: HashMap<u32, Option<Name>>,
    /// The last answer: most rows of a table share one user.
    last: Option<(u32, Option<Name>)>,
}

impl<'a> UserNames<'a> {
    /// Names from `table`'s user database.
    pub fn new(table: &'a dyn ProcessTable) -> UserNames<'a> {
        UserNames {
            table,
            cache: HashMap::new(),
            last: None,
        }
    }

    /// The name of `uid`, when the user database knows it.
    pub fn get(&mut self, uid: u32) -> Option<Name> {
        if let Some((last, name)) = &self.last
            && *last == uid
        {
            return name.clone();
        }
        let name = self
            .cache
            .entry(uid)
            .or_insert_with(|| self.table.user_name(uid).map(Name::from))
            .clone();
        self.last = Some((uid, name.clone()));
        name
    }

    /// The names looked up so far, by uid.
    pub fn into_known(self) -> HashMap<u32, Option<Name>> {
        self.cache
    }
}

/// The names a report looked up while it was built, shared by its rows
/// (one table per report, not five names per row).
#[derive(Debug, Default)]
pub struct LookedUp {
    /// Services by port (empty when not asked for).
    pub services: ServiceNames,
    /// Host names by address (empty when not asked for).
    pub hosts: ReverseNames,
    /// User names by uid.
    pub users: HashMap<u32, Option<Name>>,
}

impl LookedUp {
    /// The name of `uid`, when it was looked up and known.
    pub fn user(&self, uid: u32) -> Option<&str> {
        self.users.get(&uid)?.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_by_port_and_transport_first_name_wins() {
        let (entries, _) = ipkit_core::services::parse_services(
            "http 80/tcp www\nwww-alt 80/tcp\nsyslog 514/udp\nshell 514/tcp cmd\n",
        );
        let names = ServiceNames::from_services(entries);
        assert_eq!(names.get(80, Transport::Tcp), Some("http"));
        assert_eq!(names.get(80, Transport::Udp), None);
        assert_eq!(names.get(514, Transport::Udp), Some("syslog"));
        assert_eq!(names.get(514, Transport::Tcp), Some("shell"));
        // A raw socket's "port" is an IP protocol: never a service.
        assert_eq!(names.get(80, Transport::Raw), None);
        assert_eq!(ServiceNames::default().get(80, Transport::Tcp), None);
    }
}
