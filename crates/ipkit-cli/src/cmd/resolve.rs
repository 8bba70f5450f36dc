//! `ipkit resolve`: getaddrinfo + getnameinfo with every knob, in the
//! classic Winsock `resolver` sample's letters and view, plus a compact view
//! and JSON. The calls, the sample's sequence and the report are
//! `ipkit::resolve`; this module turns the letters into a request and
//! prints the views.

use std::io::Write;

use ipkit::resolve::request::{self, Request};
use ipkit::resolve::{AiFlags, Family, Hints, NiFlags, Protocol, SockType};

use crate::output::{Output, print_json};
use crate::view::resolve::{legacy_view, modern_view, sample_header};

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
    let ni = ni_flags(&args.ni_flags);
    let request = Request {
        name: args.name.clone(),
        service: args.service.clone(),
        hints: Hints {
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
        },
        bind: args.bind,
        exact_flags: args.ai.as_deref().map(ai_flags),
        ni_flags: ni,
    };
    request.check()?;
    if args.legacy {
        return run_legacy(args.name.as_deref().unwrap_or_default(), out);
    }
    let report = match request::run(&request) {
        Ok(report) => report,
        Err(failure) => {
            if !out.json && !args.modern {
                print!("{}", sample_header(&failure.query, ni));
            }
            return Err(failure.error.into());
        }
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
    let report = request::legacy(name)?;
    if out.json {
        print_json(&report)?;
    } else {
        std::io::stdout()
            .lock()
            .write_all(legacy_view(&report).as_bytes())?;
    }
    Ok(crate::exit::OK)
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
