//! resolv.conf's policy, as the glibc stub resolver applies it: which
//! servers to ask and in what order, how many rounds (res_send's loop), and
//! the search list with ndots (res_search).

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{DNSClass, RecordType};
use ipkit_core::resolvconf::ResolvConf;

use super::exchange::exchange;
use super::message::{Answer, DnsError, QueryOptions, Question, name_from_text, random_id};

/// Read `/etc/resolv.conf` (a missing file is an empty configuration, as in
/// glibc, which then asks 127.0.0.1).
pub fn system_config() -> io::Result<ResolvConf> {
    match std::fs::read_to_string("/etc/resolv.conf") {
        Ok(text) => Ok(ResolvConf::parse(&text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(ResolvConf::default()),
        Err(e) => Err(e),
    }
}

/// The servers to ask, in order: those given, else resolv.conf's (else
/// 127.0.0.1 and ::1, as glibc does), rotated when resolv.conf says `rotate`.
pub fn servers(given: &[SocketAddr], conf: &ResolvConf) -> Vec<SocketAddr> {
    if !given.is_empty() {
        return given.to_vec();
    }
    let mut v: Vec<SocketAddr> = conf
        .nameservers
        .iter()
        .map(|ip| SocketAddr::new(*ip, 53))
        .collect();
    if v.is_empty() {
        v = vec![
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 53),
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), 53),
        ];
    }
    if conf.rotate && v.len() > 1 {
        let k = usize::from(random_id()) % v.len();
        v.rotate_left(k);
    }
    v
}

/// Ask `servers` in order, each up to `attempts` rounds (res_send's loop):
/// the first answer wins; an error names the last server tried.
pub fn ask(
    servers: &[SocketAddr],
    q: &Question,
    o: &QueryOptions,
    attempts: u8,
) -> Result<Answer, DnsError> {
    let mut last = DnsError::NoServer;
    for _ in 0..attempts.max(1) {
        for &server in servers {
            match exchange(server, q, o) {
                Ok(a) => return Ok(a),
                Err(e @ DnsError::Encode { .. }) => return Err(e),
                Err(e) => last = e,
            }
        }
    }
    Err(last)
}

/// res_search: try each candidate name from the search list in order; go on
/// past NXDOMAIN (and past NODATA, remembering it, as glibc does); stop at
/// the first answer with records, or at a server failure.
pub fn search(
    servers: &[SocketAddr],
    conf: &ResolvConf,
    name: &str,
    rtype: RecordType,
    class: DNSClass,
    o: &QueryOptions,
) -> Result<(Question, Answer), DnsError> {
    let mut nodata: Option<(Question, Answer)> = None;
    let mut last: Option<(Question, Answer)> = None;
    for candidate in conf.candidates(name) {
        let qname = name_from_text(&candidate).map_err(|e| DnsError::Encode {
            name: candidate.clone(),
            reason: e.to_string(),
        })?;
        let q = Question {
            name: qname,
            rtype,
            class,
        };
        let a = ask(servers, &q, o, conf.attempts)?;
        let code = a.message.metadata.response_code;
        if code == ResponseCode::NoError && !a.message.answers.is_empty() {
            return Ok((q, a));
        }
        if code == ResponseCode::NoError {
            nodata.get_or_insert((q, a));
        } else if code == ResponseCode::NXDomain {
            last = Some((q, a));
        } else {
            return Ok((q, a));
        }
    }
    nodata.or(last).ok_or(DnsError::NoServer)
}
