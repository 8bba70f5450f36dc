//! `ipkit sockets` (alias `netstat`): TCP and UDP sockets with the
//! processes that hold them. The engine is `ipkit::host::sockets`: this
//! module turns the arguments into its `SocketQuery` and prints the report
//! (names already looked up) as an ss-like table, Windows' `netstat -a -o`
//! layout, or NDJSON.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};

use ipkit::host::sockets::{SocketQuery, SocketReport, query};
use ipkit::host::{SocketEntry, Transport};
use ipkit_core::host::TcpState;

use crate::exit::usage;
use crate::output::{Output, write_record};

/// Examples shown under `--help`.
pub const EXAMPLES: &str = "Examples:
  ipkit sockets                         every TCP and UDP socket, with its process
  ipkit sockets --listen --tcp          listening TCP sockets
  ipkit sockets -tlnp                   the same, as ss -tlnp (netstat -tulpn works too)
  ipkit sockets --port 5150             who uses port 5150, local or remote
  ipkit sockets --state established -4  established IPv4 TCP connections
  ipkit sockets --pid 1234              the sockets of one process
  ipkit netstat -a -o                   Windows netstat -a -o's columns (Proto, Local, Foreign, State, PID)
  ipkit sockets --json                  NDJSON: one `socket` record each, then a summary

Addresses are numeric and ports show their service names (/etc/services);
-n keeps ports numeric, --resolve also names addresses (getnameinfo: DNS).
Processes come from /proc/PID/fd: without root only your own show.";

/// Arguments of `ipkit sockets`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// TCP sockets only.
    #[arg(short = 't', long)]
    pub tcp: bool,
    /// UDP sockets only.
    #[arg(short = 'u', long)]
    pub udp: bool,
    /// Raw IP sockets (their "port" is the IP protocol: 1 ICMP, 58 ICMPv6).
    #[arg(short = 'w', long)]
    pub raw: bool,
    /// Unix-domain sockets (path, peer), in a table of their own.
    #[arg(short = 'x', long)]
    pub unix: bool,
    /// IPv4 only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// IPv6 only.
    #[arg(short = '6')]
    pub ipv6: bool,
    /// Listening sockets only (TCP LISTEN, unconnected UDP).
    #[arg(short = 'l', long, conflicts_with = "state")]
    pub listen: bool,
    /// TCP states to show, comma-separated (established, syn-sent,
    /// time-wait, listen …; ss, netstat and Windows names all work).
    #[arg(long, value_name = "STATE[,STATE…]")]
    pub state: Option<String>,
    /// Sockets whose local or remote port is PORT.
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    /// Show the processes (ss -p, netstat -p): they are shown anyway; the
    /// letter is accepted so `ss -tlnp` and `netstat -tulpn` work as typed.
    #[arg(short = 'p', long = "processes", conflicts_with = "no_owners")]
    pub processes: bool,
    /// Sockets of this process id.
    #[arg(long, value_name = "PID")]
    pub pid: Option<u32>,
    /// Sockets of processes with this name (as `ps -o comm` shows it).
    #[arg(long, value_name = "NAME")]
    pub process: Option<String>,
    /// Do not look for the owning processes (faster).
    #[arg(long, conflicts_with_all = ["pid", "process"])]
    pub no_owners: bool,
    /// Numeric ports too (no service names).
    #[arg(short = 'n', long, conflicts_with = "resolve")]
    pub numeric: bool,
    /// Resolve addresses to host names (getnameinfo; may query DNS).
    #[arg(short = 'r', long)]
    pub resolve: bool,
    /// More columns: each owner's user, the socket's uid and inode (ss -e).
    #[arg(short = 'e', long)]
    pub extended: bool,
    /// All sockets (the default; accepted for `netstat -a -o`).
    #[arg(short = 'a', long = "all", hide = true)]
    pub all: bool,
    /// The owning process id column, Windows style (same as --view windows).
    #[arg(short = 'o')]
    pub owners_column: bool,
    /// The table's layout: ss (default) or windows (netstat -a -o).
    #[arg(long, value_enum, default_value = "ss")]
    pub view: View,
}

/// Table layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum View {
    /// Netid, State, Recv-Q, Send-Q, Local, Peer, Process.
    Ss,
    /// Proto, Local Address, Foreign Address, State, PID (Windows netstat -a -o).
    Windows,
}

/// Parse `--state`.
fn states(args: &Args) -> anyhow::Result<Option<Vec<TcpState>>> {
    let Some(list) = &args.state else {
        return Ok(None);
    };
    list.split(',')
        .map(|s| {
            TcpState::from_name(s.trim()).ok_or_else(|| {
                usage(format!(
                    "--state {s}: not a TCP state; give established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait, close, close-wait, last-ack, listen or closing"
                ))
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()
        .map(Some)
}

/// Append `host:port` to `out`: the host's name when the report has one,
/// else the address; the port's service when the report has one, else its
/// number (`*` for a listener's or an unspecified one's port 0).
fn endpoint(
    out: &mut String,
    a: &SocketAddr,
    host: Option<&str>,
    service: Option<&str>,
    listener: bool,
) {
    use std::fmt::Write as _;
    let ip = a.ip();
    match host {
        Some(name) => out.push_str(name),
        None => {
            let _ = match ip {
                IpAddr::V4(v4) => write!(out, "{v4}"),
                IpAddr::V6(v6) => write!(out, "[{v6}]"),
            };
        }
    }
    out.push(':');
    let port = a.port();
    if port == 0 && (listener || ip.is_unspecified()) {
        out.push('*');
        return;
    }
    match service {
        Some(name) => out.push_str(name),
        None => {
            let _ = write!(out, "{port}");
        }
    }
}

fn bracket(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    }
}

/// An endpoint as Windows netstat -n prints it: numeric, IPv6 in brackets
/// with the zone of a link-local address (`[fe80::1%9]:1900`), port 0 as 0.
fn windows_endpoint(a: &SocketAddr, interface: u32) -> String {
    match a.ip() {
        IpAddr::V6(v6) if v6.is_unicast_link_local() && interface != 0 => {
            format!("[{v6}%{interface}]:{}", a.port())
        }
        ip => format!("{}:{}", bracket(ip), a.port()),
    }
}

fn state_text(s: &SocketEntry) -> &'static str {
    match (s.transport, s.state) {
        (Transport::Udp | Transport::Raw, TcpState::Close) => "UNCONN",
        (Transport::Udp | Transport::Raw, TcpState::Established) => "ESTAB",
        (_, st) => match st {
            TcpState::Established => "ESTAB",
            TcpState::Listen => "LISTEN",
            other => other.netstat_name(),
        },
    }
}

/// Run `ipkit sockets`.
pub fn run(args: Args, out: &Output) -> anyhow::Result<u8> {
    let view = if args.owners_column {
        View::Windows
    } else {
        args.view
    };
    // Windows' netstat -a -o is numeric: only the other views show names.
    let named = out.json || view == View::Ss;
    let q = SocketQuery {
        tcp: args.tcp,
        udp: args.udp,
        raw: args.raw,
        unix: args.unix,
        v4_only: args.ipv4,
        v6_only: args.ipv6,
        listening: args.listen,
        states: states(&args)?,
        port: args.port,
        local_port: None,
        pid: args.pid,
        process: args.process.clone(),
        owners: !args.no_owners,
        service_names: named && !args.numeric,
        host_names: named && args.resolve,
    };
    let tables = ipkit::host::system();
    let _ = args.all;
    let report = query(tables, tables, &q)?;
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    if out.json {
        for s in &report.sockets {
            write_record(&mut w, "socket", s)?;
        }
        for u in &report.unix {
            write_record(&mut w, "unix", u)?;
        }
        write_record(&mut w, "summary", &report.summary())?;
        w.flush()?;
        return Ok(found(&report));
    }
    match view {
        View::Ss => {
            // Endpoints go into one arena; rows keep their offsets.
            let mut arena = String::with_capacity(report.sockets.len() * 40);
            let mut rows = Vec::with_capacity(report.sockets.len());
            let (mut wl, mut wp) = (20usize, 20usize);
            for r in &report.sockets {
                let s = &r.socket;
                let listener = s.state == TcpState::Listen || s.transport != Transport::Tcp;
                let start = arena.len();
                let (local_host, local_service) = (r.local_host(), r.local_service());
                endpoint(&mut arena, &s.local, local_host, local_service, listener);
                let mid = arena.len();
                let (remote_host, remote_service) = (r.remote_host(), r.remote_service());
                endpoint(&mut arena, &s.remote, remote_host, remote_service, listener);
                wl = wl.max(mid - start);
                wp = wp.max(arena.len() - mid);
                rows.push((start, mid, arena.len()));
            }
            let header = format!(
                "{:<5} {:<10} {:>6} {:>6} {:<wl$} {:<wp$} {}",
                "Netid",
                "State",
                "Recv-Q",
                "Send-Q",
                "Local Address:Port",
                "Peer Address:Port",
                if args.no_owners { "" } else { "Process" }
            );
            if !report.sockets.is_empty() || report.unix.is_empty() {
                writeln!(w, "{}", out.bold(header.trim_end()))?;
            }
            for (r, (start, mid, end)) in report.sockets.iter().zip(rows) {
                let s = &r.socket;
                let (local, peer) = (&arena[start..mid], &arena[mid..end]);
                write!(
                    w,
                    "{:<5} {:<10} {:>6} {:>6} {local:<wl$} ",
                    s.transport.name(),
                    state_text(s),
                    s.recv_queue,
                    s.send_queue,
                )?;
                if s.owners.is_empty() && !args.extended {
                    writeln!(w, "{peer}")?;
                    continue;
                }
                write!(w, "{peer:<wp$} ")?;
                for (k, o) in s.owners.iter().enumerate() {
                    let sep = if k == 0 { "" } else { "," };
                    write!(w, "{sep}{}(pid={},fd={})", o.name, o.pid, o.fd)?;
                    if args.extended {
                        write!(w, "[user={}]", o.user.as_deref().unwrap_or("?"))?;
                    }
                }
                if args.extended {
                    match r.user() {
                        Some(user) => write!(w, " uid={}({user}) ino={}", s.uid, s.inode)?,
                        None => write!(w, " uid={}({}) ino={}", s.uid, s.uid, s.inode)?,
                    }
                    if s.interface != 0 {
                        write!(w, " if={}", s.interface)?;
                    }
                }
                writeln!(w)?;
            }
        }
        View::Windows if report.sockets.is_empty() && !report.unix.is_empty() => {
            return Err(usage(
                "Windows netstat has no Unix-domain sockets: use the default view for --unix",
            ));
        }
        View::Windows => {
            // netstat -ano's layout, checked against a capture in
            // tests/data/windows/netstat-aon.txt: each column is padded and
            // then followed by two blanks, so a wide address keeps two.
            writeln!(w, "\nActive Connections\n")?;
            writeln!(
                w,
                "  {:<5}  {:<21}  {:<21}  {:<14}  PID",
                "Proto", "Local Address", "Foreign Address", "State"
            )?;
            // Windows lists TCP before UDP, IPv4 before IPv6, each by local
            // then foreign endpoint.
            let mut rows: Vec<&SocketEntry> = report.sockets.iter().map(|r| &r.socket).collect();
            rows.sort_by_key(|s| {
                (
                    match s.transport {
                        Transport::Tcp => 0,
                        Transport::Udp => 1,
                        Transport::Raw => 2,
                    },
                    s.local.is_ipv6(),
                    s.local.ip(),
                    s.local.port(),
                    s.remote.ip(),
                    s.remote.port(),
                )
            });
            for s in rows {
                let proto = match s.transport {
                    Transport::Tcp => "TCP",
                    Transport::Udp => "UDP",
                    Transport::Raw => "RAW",
                };
                let state = match s.transport {
                    Transport::Udp | Transport::Raw => "",
                    Transport::Tcp => s.state.windows_name(),
                };
                let pid = s
                    .owners
                    .first()
                    .map_or(String::new(), |o| o.pid.to_string());
                let remote = if s.transport != Transport::Tcp {
                    "*:*".to_string()
                } else {
                    windows_endpoint(&s.remote, 0)
                };
                let line = format!(
                    "  {proto:<5}  {:<21}  {remote:<21}  {state:<14}  {pid}",
                    windows_endpoint(&s.local, s.interface)
                );
                writeln!(w, "{}", line.trim_end())?;
            }
        }
    }
    if !report.unix.is_empty() && view == View::Ss {
        print_unix(&mut w, out, &report.unix, !args.no_owners)?;
    }
    w.flush()?;
    if report.unreadable_processes > 0 && !args.no_owners {
        eprintln!(
            "ipkit: {} processes could not be read; their sockets show no process (run as root, or with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH)",
            report.unreadable_processes
        );
    }
    Ok(found(&report))
}

/// 0 when anything was listed, 1 when the filters matched nothing (as grep
/// answers an empty result).
fn found(report: &SocketReport) -> u8 {
    if report.is_empty() {
        crate::exit::NEGATIVE
    } else {
        crate::exit::OK
    }
}

/// The Unix-domain table, as `ss -x` lays it out.
fn print_unix(
    w: &mut impl Write,
    out: &Output,
    unix: &[ipkit::host::UnixSocketEntry],
    owners: bool,
) -> std::io::Result<()> {
    let wpath = unix
        .iter()
        .map(|u| u.path.as_deref().map_or(1, str::len))
        .max()
        .unwrap_or(1)
        .max(4);
    let header = format!(
        "{:<5} {:<10} {:>6} {:>6} {:<wpath$} {:>10} {:>10} {}",
        "Netid",
        "State",
        "Recv-Q",
        "Send-Q",
        "Path",
        "Inode",
        "Peer",
        if owners { "Process" } else { "" }
    );
    writeln!(w, "{}", out.bold(header.trim_end()))?;
    for u in unix {
        let netid = match u.kind {
            "stream" => "u_str",
            "dgram" => "u_dgr",
            "seqpacket" => "u_seq",
            _ => "u_???",
        };
        let state = match u.state {
            TcpState::Established => "ESTAB",
            TcpState::Listen => "LISTEN",
            TcpState::Close => "UNCONN",
            other => other.netstat_name(),
        };
        let peer = u.peer.map_or("*".to_string(), |p| p.to_string());
        write!(
            w,
            "{netid:<5} {state:<10} {:>6} {:>6} {:<wpath$} {:>10} {peer:>10}",
            u.recv_queue,
            u.send_queue,
            u.path.as_deref().unwrap_or("*"),
            u.inode
        )?;
        for (k, o) in u.owners.iter().enumerate() {
            let sep = if k == 0 { " " } else { "," };
            write!(w, "{sep}{}(pid={},fd={})", o.name, o.pid, o.fd)?;
        }
        writeln!(w)?;
    }
    Ok(())
}
