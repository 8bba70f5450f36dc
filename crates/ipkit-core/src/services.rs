//! The services and protocols databases in their `/etc/services` and
//! `/etc/protocols` text forms (services(5), protocols(5)), and a built-in
//! copy of the IANA well-known entries so lookups still answer on a system
//! without those files.
//!
//! Only parsing and lookup live here; reading the files is the `ipkit`
//! crate's job. Lookups follow `getservbyname(3)`/`getservbyport(3)`: a name
//! matches the official name or an alias, case-sensitively; the protocol
//! narrows when given.

use serde::Serialize;

/// One line of a services file: `name port/proto [aliases...]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Service {
    /// The official name.
    pub name: String,
    /// The port.
    pub port: u16,
    /// The protocol (`tcp`, `udp`, `sctp`, `ddp` …).
    pub protocol: String,
    /// Other names.
    pub aliases: Vec<String>,
}

/// One line of a protocols file: `name number [aliases...]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProtocolEntry {
    /// The official name.
    pub name: String,
    /// The protocol number: the IP header's 0–255, and beyond it the
    /// numbers Linux gives protocols that ride on others (mptcp 262).
    pub number: u16,
    /// Other names.
    pub aliases: Vec<String>,
}

/// Parse a services file. Lines that do not fit are skipped and their
/// 1-based numbers returned, so a caller can say which.
///
/// # Examples
/// ```
/// use ipkit_core::services::parse_services;
/// let (db, bad) = parse_services("ftp 21/tcp\nhttp 80/tcp www # web\nbroken\n");
/// assert_eq!(db[1].aliases, vec!["www"]);
/// assert_eq!(bad, vec![3]);
/// ```
pub fn parse_services(text: &str) -> (Vec<Service>, Vec<usize>) {
    parse_db(text, |name, port_proto, aliases| {
        let (port, proto) = port_proto.split_once('/')?;
        (!proto.is_empty()).then_some(())?;
        Some(Service {
            name,
            port: port.parse().ok()?,
            protocol: proto.to_string(),
            aliases,
        })
    })
}

/// The shared line format of both files: `name value [aliases...] [# comment]`.
/// `make` builds an entry from the name, the value and the aliases, or says
/// the line is bad by returning None.
fn parse_db<T>(
    text: &str,
    make: impl Fn(String, &str, Vec<String>) -> Option<T>,
) -> (Vec<T>, Vec<usize>) {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = crate::text::content(line);
        let mut words = line.split_whitespace();
        let Some(name) = words.next() else { continue };
        let value = words.next().unwrap_or("");
        match make(name.to_string(), value, words.map(str::to_string).collect()) {
            Some(entry) => out.push(entry),
            None => bad.push(i + 1),
        }
    }
    (out, bad)
}

/// Parse a protocols file; bad lines' numbers are returned.
///
/// # Examples
/// ```
/// use ipkit_core::services::parse_protocols;
/// let (db, _) = parse_protocols("icmp 1 ICMP\nipv6-icmp 58 IPv6-ICMP\n");
/// assert_eq!((db[0].number, db[1].name.as_str()), (1, "ipv6-icmp"));
/// ```
pub fn parse_protocols(text: &str) -> (Vec<ProtocolEntry>, Vec<usize>) {
    parse_db(text, |name, number, aliases| {
        Some(ProtocolEntry {
            name,
            number: number.parse().ok()?,
            aliases,
        })
    })
}

/// A services query: `ftp`, `21`, `21/tcp`, `http/udp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceQuery {
    /// By name or alias (getservbyname).
    Name(String, Option<String>),
    /// By port (getservbyport).
    Port(u16, Option<String>),
}

impl ServiceQuery {
    /// Parse `NAME`, `PORT`, `NAME/PROTO` or `PORT/PROTO`. A number that is
    /// not a port (over 65535) is an error.
    ///
    /// # Examples
    /// ```
    /// use ipkit_core::services::ServiceQuery;
    /// assert_eq!(ServiceQuery::parse("21/tcp"), Ok(ServiceQuery::Port(21, Some("tcp".into()))));
    /// assert_eq!(ServiceQuery::parse("ftp"), Ok(ServiceQuery::Name("ftp".into(), None)));
    /// assert!(ServiceQuery::parse("70000").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, ServiceQueryError> {
        let (what, proto) = match text.split_once('/') {
            Some((w, p)) if !p.is_empty() && !w.is_empty() => (w, Some(p.to_string())),
            Some(_) => return Err(ServiceQueryError::Malformed { text: text.into() }),
            None => (text, None),
        };
        if what.is_empty() || what.chars().any(char::is_whitespace) {
            return Err(ServiceQueryError::Malformed { text: text.into() });
        }
        if what.bytes().all(|b| b.is_ascii_digit()) {
            let port = what
                .parse()
                .map_err(|_| ServiceQueryError::BadPort { text: what.into() })?;
            Ok(ServiceQuery::Port(port, proto))
        } else {
            Ok(ServiceQuery::Name(what.to_string(), proto))
        }
    }

    /// Every entry of `db` that answers the query, in file order.
    pub fn lookup<'a>(&self, db: &'a [Service]) -> Vec<&'a Service> {
        let proto_ok =
            |p: &Option<String>, s: &Service| p.as_deref().is_none_or(|p| p == s.protocol);
        db.iter()
            .filter(|s| match self {
                ServiceQuery::Name(n, p) => {
                    (s.name == *n || s.aliases.iter().any(|a| a == n)) && proto_ok(p, s)
                }
                ServiceQuery::Port(port, p) => s.port == *port && proto_ok(p, s),
            })
            .collect()
    }
}

/// Why a services query is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceQueryError {
    /// Not NAME, PORT, NAME/PROTO or PORT/PROTO.
    #[error(
        "'{text}' is not a service: write NAME, PORT, NAME/PROTO or PORT/PROTO (e.g. ftp, 21/tcp)"
    )]
    Malformed {
        /// The text.
        text: String,
    },
    /// A number over 65535.
    #[error("'{text}' is not a port: use 0 to 65535")]
    BadPort {
        /// The number.
        text: String,
    },
}

/// Find a protocol by name, alias or number, as glibc's getprotobyname and
/// getprotobynumber do: names and aliases compared case-sensitively (`ICMP`
/// finds icmp through its alias, `Icmp` finds nothing), the first entry in
/// file order.
///
/// # Examples
/// ```
/// use ipkit_core::services::{builtin_protocols, find_protocol};
/// let db = builtin_protocols();
/// assert_eq!(find_protocol(&db, "icmp").map(|p| p.number), Some(1));
/// assert_eq!(find_protocol(&db, "17").map(|p| p.name.as_str()), Some("udp"));
/// ```
pub fn find_protocol<'a>(db: &'a [ProtocolEntry], query: &str) -> Option<&'a ProtocolEntry> {
    let number = query.parse::<u16>().ok();
    db.iter().find(|p| {
        Some(p.number) == number || p.name == query || p.aliases.iter().any(|a| a == query)
    })
}

/// The built-in services: IANA's well-known ports that systems commonly
/// list, in `/etc/services` form.
pub const BUILTIN_SERVICES: &str = "\
tcpmux 1/tcp
echo 7/tcp
echo 7/udp
discard 9/tcp sink null
discard 9/udp sink null
systat 11/tcp users
daytime 13/tcp
daytime 13/udp
qotd 17/tcp quote
chargen 19/tcp ttytst source
chargen 19/udp ttytst source
ftp-data 20/tcp
ftp 21/tcp
ssh 22/tcp
telnet 23/tcp
smtp 25/tcp mail
time 37/tcp timserver
time 37/udp timserver
whois 43/tcp nicname
tacacs 49/tcp
tacacs 49/udp
domain 53/tcp
domain 53/udp
bootps 67/udp
bootpc 68/udp
tftp 69/udp
gopher 70/tcp
finger 79/tcp
http 80/tcp www
kerberos 88/tcp kerberos5 krb5 kerberos-sec
kerberos 88/udp kerberos5 krb5 kerberos-sec
pop3 110/tcp pop-3
sunrpc 111/tcp portmapper
sunrpc 111/udp portmapper
auth 113/tcp authentication tap ident
nntp 119/tcp readnews untp
ntp 123/udp
epmap 135/tcp loc-srv
epmap 135/udp loc-srv
netbios-ns 137/udp
netbios-dgm 138/udp
netbios-ssn 139/tcp
imap2 143/tcp imap
snmp 161/tcp
snmp 161/udp
snmp-trap 162/tcp snmptrap
snmp-trap 162/udp snmptrap
bgp 179/tcp
irc 194/tcp
ldap 389/tcp
ldap 389/udp
https 443/tcp
https 443/udp
microsoft-ds 445/tcp
kpasswd 464/tcp
kpasswd 464/udp
submissions 465/tcp ssmtp smtps urd
isakmp 500/udp
exec 512/tcp
biff 512/udp comsat
login 513/tcp
who 513/udp whod
shell 514/tcp cmd
syslog 514/udp
printer 515/tcp spooler
talk 517/udp
ntalk 518/udp
route 520/udp router routed
ripng 521/udp
uucp 540/tcp uucpd
submission 587/tcp
ldaps 636/tcp
ldaps 636/udp
rsync 873/tcp
ftps-data 989/tcp
ftps 990/tcp
telnets 992/tcp
imaps 993/tcp
pop3s 995/tcp
socks 1080/tcp
ms-sql-s 1433/tcp
openvpn 1194/tcp
openvpn 1194/udp
l2f 1701/udp l2tp
radius 1812/tcp
radius 1812/udp
radius-acct 1813/tcp radacct
radius-acct 1813/udp radacct
nfs 2049/tcp
nfs 2049/udp
mysql 3306/tcp
ms-wbt-server 3389/tcp
sip 5060/tcp
sip 5060/udp
postgresql 5432/tcp postgres
x11 6000/tcp x11-0
http-alt 8080/tcp webcache
";

/// The built-in protocols: IANA's assigned numbers that systems commonly
/// list, in `/etc/protocols` form.
pub const BUILTIN_PROTOCOLS: &str = "\
ip 0 IP
hopopt 0 HOPOPT
icmp 1 ICMP
igmp 2 IGMP
ggp 3 GGP
ipencap 4 IP-ENCAP
st 5 ST
tcp 6 TCP
egp 8 EGP
igp 9 IGP
pup 12 PUP
udp 17 UDP
hmp 20 HMP
xns-idp 22 XNS-IDP
rdp 27 RDP
iso-tp4 29 ISO-TP4
dccp 33 DCCP
xtp 36 XTP
ddp 37 DDP
idpr-cmtp 38 IDPR-CMTP
ipv6 41 IPv6
ipv6-route 43 IPv6-Route
ipv6-frag 44 IPv6-Frag
idrp 45 IDRP
rsvp 46 RSVP
gre 47 GRE
esp 50 IPSEC-ESP
ah 51 IPSEC-AH
skip 57 SKIP
ipv6-icmp 58 IPv6-ICMP
ipv6-nonxt 59 IPv6-NoNxt
ipv6-opts 60 IPv6-Opts
rspf 73 RSPF CPHB
vmtp 81 VMTP
eigrp 88 EIGRP
ospf 89 OSPFIGP
ax.25 93 AX.25
ipip 94 IPIP
etherip 97 ETHERIP
encap 98 ENCAP
pim 103 PIM
ipcomp 108 IPCOMP
vrrp 112 VRRP
l2tp 115 L2TP
isis 124 ISIS
sctp 132 SCTP
fc 133 FC
mobility-header 135 Mobility-Header
udplite 136 UDPLite
mpls-in-ip 137 MPLS-in-IP
manet 138
hip 139 HIP
shim6 140 Shim6
wesp 141 WESP
rohc 142 ROHC
ethernet 143 Ethernet
";

/// The built-in services, parsed.
pub fn builtin_services() -> Vec<Service> {
    parse_services(BUILTIN_SERVICES).0
}

/// The built-in protocols, parsed.
pub fn builtin_protocols() -> Vec<ProtocolEntry> {
    parse_protocols(BUILTIN_PROTOCOLS).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_tables_parse_completely() {
        assert_eq!(parse_services(BUILTIN_SERVICES).1, Vec::<usize>::new());
        assert_eq!(parse_protocols(BUILTIN_PROTOCOLS).1, Vec::<usize>::new());
    }

    #[test]
    fn lookups_like_getservbyname_and_getservbyport() {
        let db = builtin_services();
        let q = |s: &str| {
            ServiceQuery::parse(s)
                .unwrap()
                .lookup(&db)
                .iter()
                .map(|s| format!("{}/{}", s.port, s.protocol))
                .collect::<Vec<_>>()
        };
        assert_eq!(q("ftp"), ["21/tcp"]);
        assert_eq!(q("domain"), ["53/tcp", "53/udp"]);
        assert_eq!(q("www"), ["80/tcp"], "aliases match");
        assert_eq!(q("http/udp"), Vec::<String>::new());
        assert_eq!(q("53/udp"), ["53/udp"]);
        assert_eq!(q("21"), ["21/tcp"]);
        assert!(
            q("FTP").is_empty(),
            "names are case-sensitive, as getservbyname's"
        );
        for bad in ["", "/tcp", "ftp/", "a b", "99999/tcp"] {
            assert!(ServiceQuery::parse(bad).is_err(), "{bad}");
        }
    }
}
