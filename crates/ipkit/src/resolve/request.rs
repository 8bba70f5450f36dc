//! What a user asked of the resolver, and the Winsock resolver sample's way
//! of asking it: a [`Request`] (name, service, hints, getnameinfo flags),
//! run by [`run`] as the sample does — first as a numeric literal (or
//! AI_PASSIVE for a bind address), and only when that says EAI_NONAME,
//! again by name with AI_CANONNAME — then each entry through getnameinfo
//! twice (numeric, and with the flags asked for). [`legacy`] is the old
//! gethostbyname / inet_addr / inet_ntoa path.

use super::report::{EntryReport, ErrorReport, LegacyReport, QueryReport, ResolveReport};
use super::{
    AddrInfo, AiFlags, EaiCode, Hints, LEGACY_WHY, NiFlags, ResolveError, getaddrinfo,
    gethostbyname, getnameinfo, inet_addr, inet_ntoa,
};

/// One resolution, as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The host name (`-n`).
    pub name: Option<String>,
    /// The service name or port (`-s`).
    pub service: Option<String>,
    /// Family, socket type and protocol hints; their flags are ignored.
    pub hints: Hints,
    /// Ask for the bind address (AI_PASSIVE).
    pub bind: bool,
    /// Call getaddrinfo once with exactly these flags, instead of the
    /// sample's sequence.
    pub exact_flags: Option<AiFlags>,
    /// The getnameinfo flags for each entry.
    pub ni_flags: NiFlags,
}

/// What is wrong with a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// Neither a name nor a service.
    #[error("give at least a host name (-n NAME) or a service (-s SERVICE)")]
    Nothing,
}

/// A resolution that failed: what was asked, and the resolver's error.
#[derive(Debug)]
pub struct Failure {
    /// What was asked (with the attempts made).
    pub query: QueryReport,
    /// The resolver's error.
    pub error: ResolveError,
}

impl Request {
    /// Check the request: it must name a host or a service.
    pub fn check(&self) -> Result<(), RequestError> {
        if self.name.is_none() && self.service.is_none() {
            return Err(RequestError::Nothing);
        }
        Ok(())
    }

    /// The getaddrinfo calls, in the sample's order; returns the flags of
    /// each attempt made and the final result.
    fn lookup(&self) -> (Vec<Vec<&'static str>>, Result<Vec<AddrInfo>, ResolveError>) {
        let (name, service) = (self.name.as_deref(), self.service.as_deref());
        let base = Hints {
            flags: AiFlags::default(),
            ..self.hints
        };
        if let Some(flags) = self.exact_flags {
            let mut hints = base;
            hints.flags = flags;
            if self.bind {
                hints.flags.passive = true;
            }
            return (
                vec![hints.flags.names()],
                getaddrinfo(name, service, &hints),
            );
        }
        let mut first = base;
        if self.bind {
            first.flags.passive = true;
        } else {
            first.flags.numerichost = true;
        }
        let mut attempts = vec![first.flags.names()];
        match getaddrinfo(name, service, &first) {
            Err(e) if e.code() == Some(EaiCode::NoName) => {
                let mut second = base;
                second.flags.canonname = true;
                attempts.push(second.flags.names());
                (attempts, getaddrinfo(name, service, &second))
            }
            other => (attempts, other),
        }
    }
}

/// Run `request` the sample's way (see the module doc).
pub fn run(request: &Request) -> Result<ResolveReport, Box<Failure>> {
    let (attempts, result) = request.lookup();
    let query = QueryReport {
        name: request.name.clone(),
        service: request.service.clone(),
        family: request.hints.family.name(),
        socktype: request.hints.socktype.name(),
        protocol: request.hints.protocol.name(),
        ni_flags: request.ni_flags.names(),
        attempts,
    };
    let list = match result {
        Ok(list) => list,
        Err(error) => return Err(Box::new(Failure { query, error })),
    };
    let entries = list
        .iter()
        .enumerate()
        .map(|(i, ai)| entry(i + 1, ai, request.ni_flags))
        .collect();
    Ok(ResolveReport {
        canonical_name: list.iter().find_map(|a| a.canonname.clone()),
        query,
        entries,
    })
}

/// One entry: its numeric address, and getnameinfo's answer with `ni`.
fn entry(index: usize, ai: &AddrInfo, ni: NiFlags) -> EntryReport {
    let numeric = getnameinfo(
        &ai.addr,
        NiFlags {
            numerichost: true,
            numericserv: true,
            ..NiFlags::default()
        },
    )
    .map(|(h, _)| h)
    .unwrap_or_else(|_| ai.addr.ip().to_string());
    let (host, service, error) = match getnameinfo(&ai.addr, ni) {
        Ok((h, s)) => (Some(h), Some(s), None),
        Err(e) => (None, None, Some(ErrorReport::from(&e))),
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

/// The legacy calls for `name`: gethostbyname, inet_addr, inet_ntoa.
pub fn legacy(name: &str) -> Result<LegacyReport, ResolveError> {
    let host = gethostbyname(name)?;
    Ok(LegacyReport {
        name: name.to_string(),
        official_name: host.name.clone(),
        aliases: host.aliases.clone(),
        addresses: host.addresses.iter().map(|a| inet_ntoa(*a)).collect(),
        inet_addr: inet_addr(name).map(|v| format!("0x{:08x}", u32::from_be(v))),
        why: LEGACY_WHY,
    })
}
