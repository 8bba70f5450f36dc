//! `ipkit resolve`: getaddrinfo + getnameinfo with every knob, in the
//! classic Winsock `resolver` sample's letters and view, plus a compact view
//! and JSON. The calls themselves are `ipkit::resolve`.

use std::fmt::Write as _;
use std::io::Write;

use ipkit::resolve::{
    self, AddrInfo, AiFlags, EaiCode, Family, HErrno, Hints, NiFlags, Protocol, ResolveError,
    SockType,
};

use crate::exit::usage;
use crate::output::{Output, print_json};
use crate::report::resolve::{EntryReport, LegacyReport, QueryReport, ResolveReport};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit resolve -n localhost                  the sample's view
  ipkit resolve -n localhost -s http -f numericserv
  ipkit resolve -n ::1 -a 6 -t stream -p tcp
  ipkit resolve -s 5150 -b                    the bind (AI_PASSIVE) addresses
  ipkit resolve -n localhost --modern         one line per entry
  ipkit resolve -n localhost --ai canonname,addrconfig --json
  ipkit resolve --legacy -n localhost         gethostbyname, inet_addr, inet_ntoa

With socket type 0 (no -t), glibc returns each address once per socket type
(stream, datagram, raw) and may order IPv6 before IPv4; ipkit shows exactly
what the C library returned.

Exit codes: 0 resolved; 1 the name does not exist (EAI_NONAME, EAI_NODATA,
EAI_ADDRFAMILY); 2 bad usage; 3 temporary failure (EAI_AGAIN); 4 any other
resolver failure (EAI_FAIL, EAI_SERVICE, EAI_FAMILY, EAI_SOCKTYPE, ...).";

/// Exit code: the name does not exist.
const EXIT_NO_NAME: u8 = 1;
/// Exit code: temporary failure.
const EXIT_AGAIN: u8 = 3;
/// Exit code: other resolver failure.
const EXIT_FAIL: u8 = 4;

/// Address family, as the sample's `-a`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FamilyArg {
    /// AF_INET.
    #[value(name = "4")]
    V4,
    /// AF_INET6.
    #[value(name = "6")]
    V6,
}

/// Socket type, as the sample's `-t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SockTypeArg {
    /// SOCK_STREAM.
    Stream,
    /// SOCK_DGRAM.
    Dgram,
}

/// Protocol, as the sample's `-p`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProtocolArg {
    /// IPPROTO_TCP.
    Tcp,
    /// IPPROTO_UDP.
    Udp,
}

/// getnameinfo flags, as the sample's `-f`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NiFlagArg {
    /// NI_NOFQDN.
    Nofqdn,
    /// NI_NUMERICHOST.
    Numerichost,
    /// NI_NAMEREQD.
    Namereqd,
    /// NI_NUMERICSERV.
    Numericserv,
    /// NI_DGRAM.
    Dgram,
}

/// getaddrinfo flags for `--ai`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AiFlagArg {
    /// AI_PASSIVE.
    Passive,
    /// AI_CANONNAME.
    Canonname,
    /// AI_NUMERICHOST.
    Numerichost,
    /// AI_NUMERICSERV.
    Numericserv,
    /// AI_ADDRCONFIG.
    Addrconfig,
    /// AI_V4MAPPED.
    V4mapped,
    /// AI_ALL.
    All,
    /// AI_IDN (glibc).
    Idn,
}

/// Arguments of `ipkit resolve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Host name to resolve.
    #[arg(short = 'n', value_name = "NAME")]
    pub name: Option<String>,
    /// Service name or port number to resolve.
    #[arg(short = 's', value_name = "SERVICE")]
    pub service: Option<String>,
    /// Address family: 4 (AF_INET) or 6 (AF_INET6); default AF_UNSPEC.
    #[arg(short = 'a', value_name = "4|6")]
    pub family: Option<FamilyArg>,
    /// Socket type: stream (SOCK_STREAM) or dgram (SOCK_DGRAM); default any.
    #[arg(short = 't', value_name = "TYPE")]
    pub socktype: Option<SockTypeArg>,
    /// Protocol: tcp (IPPROTO_TCP) or udp (IPPROTO_UDP); default any.
    #[arg(short = 'p', value_name = "PROTO")]
    pub protocol: Option<ProtocolArg>,
    /// A getnameinfo flag; repeat for several.
    #[arg(short = 'f', value_name = "FLAG")]
    pub ni_flags: Vec<NiFlagArg>,
    /// Obtain the bind address (AI_PASSIVE).
    #[arg(short = 'b')]
    pub bind: bool,
    /// Call getaddrinfo once with exactly these flags (comma-separated),
    /// instead of the sample's numeric-then-canonname sequence.
    #[arg(long, value_name = "FLAGS", value_delimiter = ',')]
    pub ai: Option<Vec<AiFlagArg>>,
    /// A compact view: one line per entry, with socket type, protocol and canonical name.
    #[arg(long)]
    pub modern: bool,
    /// Use the legacy calls instead: gethostbyname (IPv4 only, with aliases)
    /// and inet_addr / inet_ntoa, and say why getaddrinfo replaced them.
    #[arg(long, requires = "name", conflicts_with_all = ["service", "ai", "modern", "bind"])]
    pub legacy: bool,
}

/// Run `ipkit resolve`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    if args.name.is_none() && args.service.is_none() {
        return Err(usage(
            "give at least a host name (-n NAME) or a service (-s SERVICE)",
        ));
    }
    if args.legacy {
        return run_legacy(args.name.as_deref().unwrap_or_default(), out);
    }
    let ni = ni_flags(&args.ni_flags);
    let base = Hints {
        family: match args.family {
            None => Family::Unspec,
            Some(FamilyArg::V4) => Family::Inet,
            Some(FamilyArg::V6) => Family::Inet6,
        },
        socktype: match args.socktype {
            None => SockType::Any,
            Some(SockTypeArg::Stream) => SockType::Stream,
            Some(SockTypeArg::Dgram) => SockType::Dgram,
        },
        protocol: match args.protocol {
            None => Protocol::Any,
            Some(ProtocolArg::Tcp) => Protocol::Tcp,
            Some(ProtocolArg::Udp) => Protocol::Udp,
        },
        flags: AiFlags::default(),
    };
    let name = args.name.as_deref();
    let service = args.service.as_deref();
    let (attempts, result) = lookup(name, service, base, args.bind, args.ai.as_deref());
    let query = QueryReport {
        name: args.name.clone(),
        service: args.service.clone(),
        family: base.family.name(),
        socktype: base.socktype.name(),
        protocol: base.protocol.name(),
        ni_flags: ni.names(),
        attempts,
    };
    let list = match result {
        Ok(list) => list,
        Err(e) => {
            if !out.json && !args.modern {
                print!("{}", sample_header(&query, ni));
            }
            return Err(e.into());
        }
    };
    let entries: Vec<EntryReport> = list
        .iter()
        .enumerate()
        .map(|(i, ai)| entry(i + 1, ai, ni))
        .collect();
    let report = ResolveReport {
        canonical_name: list.iter().find_map(|a| a.canonname.clone()),
        query,
        entries,
    };
    if out.json {
        print_json(&report)?;
    } else if args.modern {
        std::io::stdout()
            .lock()
            .write_all(modern_view(&report).as_bytes())?;
    } else {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(sample_header(&report.query, ni).as_bytes())?;
        let shown = report.query.name.as_deref().unwrap_or("(null)");
        writeln!(
            stdout,
            "Hostname '{shown}' resolved to {} addresses\n",
            report.entries.len()
        )?;
        for e in &report.entries {
            writeln!(
                stdout,
                "[{}] Numeric address resolved: {}",
                e.index, e.address
            )?;
            match (&e.host, &e.service, &e.error) {
                (Some(h), Some(s), _) => {
                    writeln!(stdout, "[{}] Host:    {h}", e.index)?;
                    writeln!(stdout, "[{}] Service: {s}", e.index)?;
                }
                (_, _, Some(err)) => {
                    stdout.flush()?;
                    eprintln!(
                        "getnameinfo failed: {} ({}) for the address: {}",
                        err.code, err.message, e.address
                    );
                }
                _ => {}
            }
            writeln!(stdout)?;
        }
    }
    Ok(crate::exit::OK)
}

/// `--legacy`: gethostbyname, inet_addr and inet_ntoa, as the chapter shows them.
fn run_legacy(name: &str, out: &Output) -> anyhow::Result<u8> {
    let host = resolve::gethostbyname(name)?;
    let inet_addr = resolve::inet_addr(name);
    let report = LegacyReport {
        name: name.to_string(),
        official_name: host.name.clone(),
        aliases: host.aliases.clone(),
        addresses: host
            .addresses
            .iter()
            .map(|a| resolve::inet_ntoa(*a))
            .collect(),
        inet_addr: inet_addr.map(|v| format!("0x{:08x}", u32::from_be(v))),
        why: resolve::LEGACY_WHY,
    };
    if out.json {
        print_json(&report)?;
        return Ok(crate::exit::OK);
    }
    let mut s = String::new();
    let _ = writeln!(s, "gethostbyname(\"{name}\"):");
    let _ = writeln!(s, "  h_name:      {}", report.official_name);
    let aliases = if report.aliases.is_empty() {
        "(none)".to_string()
    } else {
        report.aliases.join(" ")
    };
    let _ = writeln!(s, "  h_aliases:   {aliases}");
    let _ = writeln!(s, "  h_addrtype:  AF_INET");
    for a in &report.addresses {
        let _ = writeln!(s, "  h_addr_list: {a}   (inet_ntoa)");
    }
    match &report.inet_addr {
        Some(v) => {
            let _ = writeln!(s, "inet_addr(\"{name}\") = {v} (host order)");
        }
        None => {
            let _ = writeln!(
                s,
                "inet_addr(\"{name}\") = INADDR_NONE (not an address, or 255.255.255.255: it cannot tell)"
            );
        }
    }
    let _ = writeln!(s, "\nNote: {}", resolve::LEGACY_WHY);
    std::io::stdout().lock().write_all(s.as_bytes())?;
    Ok(crate::exit::OK)
}

/// The exit code a resolver failure maps to.
pub fn exit_for(e: &ResolveError) -> u8 {
    match e.code() {
        Some(EaiCode::NoName | EaiCode::NoData | EaiCode::AddrFamily) => EXIT_NO_NAME,
        Some(EaiCode::Again) => EXIT_AGAIN,
        Some(_) => EXIT_FAIL,
        None => match e {
            ResolveError::HostEnt {
                code: HErrno::HostNotFound | HErrno::NoData,
                ..
            } => EXIT_NO_NAME,
            ResolveError::HostEnt {
                code: HErrno::TryAgain,
                ..
            } => EXIT_AGAIN,
            ResolveError::HostEnt { .. } => EXIT_FAIL,
            _ => crate::exit::USAGE,
        },
    }
}

/// The sample's sequence: first as a numeric literal (or AI_PASSIVE with
/// -b); only when that says EAI_NONAME, by name with AI_CANONNAME. With
/// `--ai`, one call with exactly those flags. Returns the flags of each
/// attempt made and the final result.
fn lookup(
    name: Option<&str>,
    service: Option<&str>,
    base: Hints,
    bind: bool,
    ai: Option<&[AiFlagArg]>,
) -> (Vec<Vec<&'static str>>, Result<Vec<AddrInfo>, ResolveError>) {
    if let Some(flags) = ai {
        let mut hints = base;
        hints.flags = ai_flags(flags);
        if bind {
            hints.flags.passive = true;
        }
        return (
            vec![hints.flags.names()],
            resolve::getaddrinfo(name, service, &hints),
        );
    }
    let mut first = base;
    if bind {
        first.flags.passive = true;
    } else {
        first.flags.numerichost = true;
    }
    let mut attempts = vec![first.flags.names()];
    match resolve::getaddrinfo(name, service, &first) {
        Err(e) if e.code() == Some(EaiCode::NoName) => {
            let mut second = base;
            second.flags.canonname = true;
            attempts.push(second.flags.names());
            (attempts, resolve::getaddrinfo(name, service, &second))
        }
        other => (attempts, other),
    }
}

fn ni_flags(flags: &[NiFlagArg]) -> NiFlags {
    let mut f = NiFlags::default();
    for flag in flags {
        match flag {
            NiFlagArg::Nofqdn => f.nofqdn = true,
            NiFlagArg::Numerichost => f.numerichost = true,
            NiFlagArg::Namereqd => f.namereqd = true,
            NiFlagArg::Numericserv => f.numericserv = true,
            NiFlagArg::Dgram => f.dgram = true,
        }
    }
    f
}

fn ai_flags(flags: &[AiFlagArg]) -> AiFlags {
    let mut f = AiFlags::default();
    for flag in flags {
        match flag {
            AiFlagArg::Passive => f.passive = true,
            AiFlagArg::Canonname => f.canonname = true,
            AiFlagArg::Numerichost => f.numerichost = true,
            AiFlagArg::Numericserv => f.numericserv = true,
            AiFlagArg::Addrconfig => f.addrconfig = true,
            AiFlagArg::V4mapped => f.v4mapped = true,
            AiFlagArg::All => f.all = true,
            AiFlagArg::Idn => f.idn = true,
        }
    }
    f
}

fn entry(index: usize, ai: &AddrInfo, ni: NiFlags) -> EntryReport {
    let numeric = resolve::getnameinfo(
        &ai.addr,
        NiFlags {
            numerichost: true,
            numericserv: true,
            ..NiFlags::default()
        },
    )
    .map(|(h, _)| h)
    .unwrap_or_else(|_| ai.addr.ip().to_string());
    let (host, service, error) = match resolve::getnameinfo(&ai.addr, ni) {
        Ok((h, s)) => (Some(h), Some(s), None),
        Err(e) => (
            None,
            None,
            Some(crate::report::resolve::ErrorReport::from(&e)),
        ),
    };
    EntryReport {
        index,
        family: ai.family.name(),
        socktype: ai.socktype.name(),
        protocol: ai.protocol.name(),
        address: numeric,
        port: ai.addr.port(),
        scope_id: match ai.addr {
            std::net::SocketAddr::V6(a) => Some(a.scope_id()),
            std::net::SocketAddr::V4(_) => None,
        },
        canonname: ai.canonname.clone(),
        host,
        service,
        error,
    }
}

/// The sample's NOTE and parameter block, line for line.
fn sample_header(q: &QueryReport, ni: NiFlags) -> String {
    let mut s = String::new();
    if !ni.numericserv {
        s.push_str(
            "\nNOTE: Without the NI_NUMERICSERV flag (-f numericserv) getnameinfo will\n      \
             fail if the port information does not resolve to a well known service\n      \
             like ftp (21), etc.\n\n",
        );
    }
    let family = match q.family {
        "AF_UNSPEC" => "NONE (default is AF_UNSPEC)",
        f => f,
    };
    let none_if_zero = |v: &str| {
        if v == "0" {
            "NONE".to_string()
        } else {
            v.to_string()
        }
    };
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Attempting to resolve the host: {}",
        q.name.as_deref().unwrap_or("NULL")
    );
    let _ = writeln!(
        s,
        "Service/port information is   : {}",
        q.service.as_deref().unwrap_or("NULL")
    );
    let _ = writeln!(s, "Requested address family      : {family}");
    let _ = writeln!(
        s,
        "Requested socket type         : {}",
        none_if_zero(&q.socktype)
    );
    let _ = writeln!(
        s,
        "Requested protocol            : {}",
        none_if_zero(&q.protocol)
    );
    let flags: String = ni.names().iter().map(|n| format!("{n} ")).collect();
    let _ = writeln!(s, "Requested flags to getnameinfo: {flags}\n");
    s
}

fn modern_view(r: &ResolveReport) -> String {
    let mut s = String::new();
    if let Some(c) = &r.canonical_name {
        let _ = writeln!(s, "canonical name: {c}");
    }
    for e in &r.entries {
        let names = match (&e.host, &e.service, &e.error) {
            (Some(h), Some(sv), _) => format!("{h} {sv}"),
            (_, _, Some(err)) => format!("({}: {})", err.code, err.message),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "{:<40} {:<11} {:<11} {names}",
            socket_text(e),
            e.socktype,
            e.protocol
        );
    }
    s
}

fn socket_text(e: &EntryReport) -> String {
    if e.family == "AF_INET6" {
        format!("[{}]:{}", e.address, e.port)
    } else {
        format!("{}:{}", e.address, e.port)
    }
}
