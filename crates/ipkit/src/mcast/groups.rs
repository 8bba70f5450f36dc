//! `ipkit mcast groups`: the groups each interface has joined, with the
//! IGMP / MLD version in use and the source filters, read from the kernel's
//! four tables (`/proc/net/igmp`, `igmp6`, `mcfilter`, `mcfilter6`; the
//! same ones `ip maddr` and `netstat -g` read). The text is parsed here,
//! by hand because nothing in the field parses these files; `sys` only
//! reads them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

use super::McastError;

/// The four tables as read.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    /// `/proc/net/igmp`.
    pub igmp: String,
    /// `/proc/net/igmp6`.
    pub igmp6: String,
    /// `/proc/net/mcfilter`.
    pub mcfilter: String,
    /// `/proc/net/mcfilter6`.
    pub mcfilter6: String,
    /// Per interface name, `net.ipv6.conf.IF.force_mld_version` (0: auto).
    pub force_mld: Vec<(String, u8)>,
}

/// `mcast groups --json`: the one document.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GroupsReport {
    /// Per interface with any group, in index order.
    pub interfaces: Vec<InterfaceGroups>,
}

/// One interface's memberships.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InterfaceGroups {
    /// Interface index.
    pub index: u32,
    /// Interface name.
    pub name: String,
    /// The IGMP version the interface speaks (`IGMPv3`…), as the kernel
    /// says (a querier heard or `force_igmp_version`); None without IPv4
    /// groups.
    pub igmp: Option<String>,
    /// The MLD version (`MLDv2`, or `MLDv1` when forced); None without
    /// IPv6 groups.
    pub mld: Option<String>,
    /// The groups, IPv4 first, in the kernel's order.
    pub groups: Vec<Membership>,
}

/// One group joined on an interface.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Membership {
    /// The group.
    pub group: IpAddr,
    /// How many sockets (or the kernel itself) hold it.
    pub users: u32,
    /// `exclude` (any source but those listed: with none, any source) or
    /// `include` (only those listed).
    pub filter: &'static str,
    /// The source filter.
    pub sources: Vec<SourceFilter>,
}

/// One source of a group's filter.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SourceFilter {
    /// The source.
    pub source: IpAddr,
    /// Sockets that include it.
    pub include: u32,
    /// Sockets that exclude it.
    pub exclude: u32,
}

/// Read this host's tables and put them together.
pub fn groups() -> Result<Vec<InterfaceGroups>, McastError> {
    let tables =
        crate::sys::multicast_tables().map_err(|e| McastError::io("reading /proc/net/igmp", e))?;
    Ok(from_tables(&tables))
}

/// Put the tables together, per interface in index order.
pub fn from_tables(t: &Tables) -> Vec<InterfaceGroups> {
    let mut out: Vec<InterfaceGroups> = Vec::new();
    // igmp: an interface line "IDX\tNAME : COUNT VERSION", then its groups
    // "\t\t\t\tHEX USERS TIMER\t\tREPORTER" (HEX: the address's bytes as
    // one native-endian word).
    let mut current = None;
    for line in t.igmp.lines().skip(1) {
        if !line.starts_with('\t') {
            let (head, tail) = line.split_once(':').unwrap_or((line, ""));
            let mut h = head.split_whitespace();
            let (Some(Ok(index)), Some(name)) = (h.next().map(str::parse), h.next()) else {
                current = None;
                continue;
            };
            let i = at(&mut out, index, name);
            if let Some(v) = tail.split_whitespace().nth(1) {
                out[i].igmp = Some(format!("IGMP{}", v.to_ascii_lowercase()));
            }
            current = Some(i);
            continue;
        }
        let (Some(i), mut f) = (current, line.split_whitespace()) else {
            continue;
        };
        let word = f.next().and_then(|h| u32::from_str_radix(h, 16).ok());
        let users = f.next().and_then(|u| u.parse().ok()).unwrap_or(0);
        if let Some(word) = word {
            out[i].groups.push(member(
                IpAddr::V4(Ipv4Addr::from(word.to_ne_bytes())),
                users,
            ));
        }
    }
    // igmp6: "IDX NAME HEX32 USERS FLAGS TIMER".
    for line in t.igmp6.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(Ok(index)), Some(name), Some(Some(group))) = (
            f.first().map(|s| s.parse::<u32>()),
            f.get(1),
            f.get(2).map(|h| v6_hex(h)),
        ) else {
            continue;
        };
        let users = f.get(3).and_then(|u| u.parse().ok()).unwrap_or(0);
        let i = at(&mut out, index, name);
        let forced = t.force_mld.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
        out[i].mld = Some(if forced == Some(1) { "MLDv1" } else { "MLDv2" }.to_string());
        out[i].groups.push(member(IpAddr::V6(group), users));
    }
    // mcfilter: "IDX NAME 0xGROUP 0xSOURCE INC EXC" (host order words);
    // mcfilter6: "IDX NAME HEX32 HEX32 INC EXC".
    let filters = t.mcfilter.lines().skip(1).filter_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let word = |s: &str| u32::from_str_radix(s.trim_start_matches("0x"), 16).ok();
        Some((
            f.first()?.parse::<u32>().ok()?,
            IpAddr::V4(Ipv4Addr::from(word(f.get(2)?)?)),
            IpAddr::V4(Ipv4Addr::from(word(f.get(3)?)?)),
            f.get(4)?.parse().ok()?,
            f.get(5)?.parse().ok()?,
        ))
    });
    let filters6 = t.mcfilter6.lines().skip(1).filter_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        Some((
            f.first()?.parse::<u32>().ok()?,
            IpAddr::V6(v6_hex(f.get(2)?)?),
            IpAddr::V6(v6_hex(f.get(3)?)?),
            f.get(4)?.parse().ok()?,
            f.get(5)?.parse().ok()?,
        ))
    });
    for (index, group, source, include, exclude) in filters.chain(filters6) {
        let Some(m) = out
            .iter_mut()
            .find(|g| g.index == index)
            .and_then(|g| g.groups.iter_mut().find(|m| m.group == group))
        else {
            continue;
        };
        if include > 0 {
            m.filter = "include";
        }
        m.sources.push(SourceFilter {
            source,
            include,
            exclude,
        });
    }
    out.sort_by_key(|g| g.index);
    out
}

/// The position of interface `index` in `out`, added when new.
fn at(out: &mut Vec<InterfaceGroups>, index: u32, name: &str) -> usize {
    if let Some(i) = out.iter().position(|g| g.index == index) {
        return i;
    }
    out.push(InterfaceGroups {
        index,
        name: name.to_string(),
        igmp: None,
        mld: None,
        groups: Vec::new(),
    });
    out.len() - 1
}

fn member(group: IpAddr, users: u32) -> Membership {
    Membership {
        group,
        users,
        filter: "exclude",
        sources: Vec::new(),
    }
}

/// 32 hex digits, the address's bytes in order.
fn v6_hex(h: &str) -> Option<Ipv6Addr> {
    if h.len() != 32 {
        return None;
    }
    let n = u128::from_str_radix(h, 16).ok()?;
    Some(Ipv6Addr::from(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured in a namespace joined to 239.1.2.3, (10.9.0.1, 232.1.1.1)
    /// and (fd09::1, ff3e::8000:1) on eth0 by `ipkit mcast join`; `ip
    /// maddr` listed the same groups.
    fn captured() -> Tables {
        Tables {
            igmp: "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n\
                   1\tlo        :     1      V3\n\
                   \t\t\t\t010000E0     1 0:00000000\t\t0\n\
                   2\teth0      :     3      V3\n\
                   \t\t\t\t030201EF     1 0:00000000\t\t0\n\
                   \t\t\t\t010101E8     1 0:00000000\t\t0\n\
                   \t\t\t\t010000E0     1 0:00000000\t\t0\n"
                .into(),
            igmp6: "1    lo              ff020000000000000000000000000001     1 0000000C 0\n\
                    2    eth0            ff3e0000000000000000000080000001     1 00000004 0\n\
                    2    eth0            ff020000000000000000000000000001     1 0000000C 0\n"
                .into(),
            mcfilter: "Idx Device        MCA        SRC    INC    EXC\n\
                       \x20 2   eth0 0xe8010101 0x0a090001      1      0\n"
                .into(),
            mcfilter6: "Idx Device                Multicast Address                   Source Address    INC    EXC\n\
                        \x20 2   eth0 ff3e0000000000000000000080000001 fd090000000000000000000000000001      1      0\n"
                .into(),
            force_mld: vec![("lo".into(), 0), ("eth0".into(), 1)],
        }
    }

    #[test]
    fn the_four_tables_make_one_view() {
        if cfg!(target_endian = "big") {
            return; // the capture's igmp words are little-endian
        }
        let g = from_tables(&captured());
        assert_eq!(g.len(), 2);
        assert_eq!(
            (g[0].name.as_str(), g[0].igmp.as_deref()),
            ("lo", Some("IGMPv3"))
        );
        assert_eq!(g[0].mld.as_deref(), Some("MLDv2"));
        let eth0 = &g[1];
        assert_eq!(eth0.mld.as_deref(), Some("MLDv1"));
        let groups: Vec<String> = eth0.groups.iter().map(|m| m.group.to_string()).collect();
        assert_eq!(
            groups,
            [
                "239.1.2.3",
                "232.1.1.1",
                "224.0.0.1",
                "ff3e::8000:1",
                "ff02::1"
            ]
        );
        let ssm = &eth0.groups[1];
        assert_eq!(ssm.filter, "include");
        assert_eq!(ssm.sources[0].source.to_string(), "10.9.0.1");
        let ssm6 = &eth0.groups[3];
        assert_eq!(ssm6.sources[0].source.to_string(), "fd09::1");
        assert_eq!(eth0.groups[0].filter, "exclude");
    }

    #[test]
    fn junk_is_skipped_not_a_panic() {
        let t = Tables {
            igmp: "x\n\t\tzz\n3\n\t\t\t\tGG 1\n".into(),
            igmp6: "a b c\n1 lo ff02\n".into(),
            mcfilter: "h\n1 2 3\n".into(),
            mcfilter6: "h\n  9 x 0 0 1 1\n".into(),
            force_mld: Vec::new(),
        };
        assert!(from_tables(&t).is_empty());
    }
}
