//! Delegation traces, as `dig +trace` follows them: from the root servers
//! (or given ones) down referral by referral, recursion off, glue only.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, Record, RecordType};

use super::message::{Answer, DnsError, QueryOptions, Question};
use super::search::ask;

/// One step of a delegation trace: who was asked and what they said.
#[derive(Debug, Clone)]
pub struct TraceStep {
    /// The zone whose servers were asked ("." first).
    pub zone: Name,
    /// The answer (a referral, or the final answer).
    pub answer: Answer,
}

/// The IANA root servers' IPv4 addresses (root hints), the default start of
/// a trace.
pub const ROOT_HINTS: [Ipv4Addr; 13] = [
    Ipv4Addr::new(198, 41, 0, 4),
    Ipv4Addr::new(170, 247, 170, 2),
    Ipv4Addr::new(192, 33, 4, 12),
    Ipv4Addr::new(199, 7, 91, 13),
    Ipv4Addr::new(192, 203, 230, 10),
    Ipv4Addr::new(192, 5, 5, 241),
    Ipv4Addr::new(192, 112, 36, 4),
    Ipv4Addr::new(198, 97, 190, 53),
    Ipv4Addr::new(192, 36, 148, 17),
    Ipv4Addr::new(192, 58, 128, 30),
    Ipv4Addr::new(193, 0, 14, 129),
    Ipv4Addr::new(199, 7, 83, 42),
    Ipv4Addr::new(202, 12, 27, 33),
];

/// Why a trace stopped without an answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// No server of a zone answered.
    #[error("no server for zone {zone} answered")]
    NoAnswer {
        /// The zone.
        zone: String,
        /// The last error.
        #[source]
        source: DnsError,
    },
    /// A referral that does not lead closer to the name (lame or looping).
    #[error(
        "{server} referred {name} to {zone}, which is not closer than {from}: lame or looping delegation"
    )]
    NotCloser {
        /// The server.
        server: SocketAddr,
        /// The name traced.
        name: String,
        /// The zone referred to.
        zone: String,
        /// The zone we were at.
        from: String,
    },
    /// A referral without addresses for its servers.
    #[error(
        "{zone}'s servers ({servers}) have no glue addresses and resolving them is not done by --trace"
    )]
    NoGlue {
        /// The zone.
        zone: String,
        /// Its name servers.
        servers: String,
    },
    /// More steps than allowed.
    #[error("more than {0} delegations: giving up")]
    TooDeep(usize),
}

/// Follow delegations from `roots` down to the answer, without recursion
/// (RD clear), as `dig +trace` does. Each step is reported through `on_step`
/// as it completes. Glue must come with referrals; at most 32 steps.
pub fn trace(
    roots: &[SocketAddr],
    q: &Question,
    o: &QueryOptions,
    mut on_step: impl FnMut(&TraceStep),
) -> Result<Answer, TraceError> {
    let mut o = o.clone();
    o.recursion_desired = false;
    let mut servers = roots.to_vec();
    let mut zone = Name::root();
    let port = roots.first().map_or(53, SocketAddr::port);
    for _ in 0..32 {
        let answer = ask(&servers, q, &o, 1).map_err(|e| TraceError::NoAnswer {
            zone: zone.to_ascii(),
            source: e,
        })?;
        let step = TraceStep {
            zone: zone.clone(),
            answer,
        };
        on_step(&step);
        let m = &step.answer.message;
        let ns: Vec<&Record> = m
            .authorities
            .iter()
            .filter(|r| r.record_type() == RecordType::NS)
            .collect();
        let is_referral = m.answers.is_empty()
            && m.metadata.response_code == ResponseCode::NoError
            && !ns.is_empty()
            && !m.metadata.authoritative;
        if !is_referral {
            return Ok(step.answer);
        }
        let next = ns[0].name.clone();
        if !(zone.zone_of(&next) && next.num_labels() > zone.num_labels() && next.zone_of(&q.name))
        {
            return Err(TraceError::NotCloser {
                server: step.answer.server,
                name: q.name.to_ascii(),
                zone: next.to_ascii(),
                from: zone.to_ascii(),
            });
        }
        let ns_names: Vec<Name> = ns
            .iter()
            .filter_map(|r| match &r.data {
                hickory_proto::rr::RData::NS(n) => Some(n.0.clone()),
                _ => None,
            })
            .collect();
        let glue: Vec<SocketAddr> = m
            .additionals
            .iter()
            .filter(|r| ns_names.iter().any(|n| n.eq_case(&r.name) || n == &r.name))
            .filter_map(|r| match &r.data {
                hickory_proto::rr::RData::A(a) => Some(SocketAddr::new(IpAddr::V4(a.0), port)),
                hickory_proto::rr::RData::AAAA(a) => Some(SocketAddr::new(IpAddr::V6(a.0), port)),
                _ => None,
            })
            .collect();
        if glue.is_empty() {
            return Err(TraceError::NoGlue {
                zone: next.to_ascii(),
                servers: ns_names
                    .iter()
                    .map(Name::to_ascii)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        servers = glue;
        zone = next;
    }
    Err(TraceError::TooDeep(32))
}
