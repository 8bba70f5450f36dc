//! The `dns` engine: runs a checked [`Plan`] — lookups through the search
//! list, a zone transfer, or a delegation trace — and returns its reports
//! ([`Outcome`]). It never prints; the views render the reports.

use super::axfr::axfr;
use super::message::{Answer, DnsError};
use super::report::{DnsReport, TraceReport, build, build_via};
use super::request::{Job, Plan, Transport};
use super::search::search;
use super::trace::{TraceError, trace};

/// The most records a zone transfer accepts.
pub const TRANSFER_MAX_RECORDS: usize = 10_000_000;

/// What a plan produced.
#[derive(Debug)]
pub enum Outcome {
    /// One report per type asked.
    Lookups(Vec<DnsReport>),
    /// The transfer: every record in the answer section.
    Transfer(DnsReport),
    /// The trace's steps, and the error that stopped it short, if any.
    Trace(TraceReport, Option<TraceError>),
}

/// How `a` travelled over `transport`: "udp", "tcp", "tls" or "https".
pub fn transport_name(transport: &Transport, a: &Answer) -> &'static str {
    match transport {
        Transport::Https { .. } => "https",
        Transport::Tls => "tls",
        Transport::Udp | Transport::Tcp if a.tcp => "tcp",
        Transport::Udp | Transport::Tcp => "udp",
    }
}

/// Run `plan`. A server that never answers is [`DnsError::Timeout`].
pub fn run(plan: &Plan) -> Result<Outcome, DnsError> {
    match &plan.job {
        Job::Lookup { name, types, class } => {
            let mut reports = Vec::with_capacity(types.len());
            for &rtype in types {
                let (q, a) = search(
                    &plan.servers,
                    &plan.conf,
                    name,
                    rtype,
                    *class,
                    &plan.options,
                )?;
                reports.push(build_via(&q, &a, transport_name(&plan.transport, &a)));
            }
            Ok(Outcome::Lookups(reports))
        }
        Job::Transfer {
            question,
            zone,
            server,
        } => {
            let a = axfr(*server, zone, &plan.options, TRANSFER_MAX_RECORDS)?;
            Ok(Outcome::Transfer(build(question, &a)))
        }
        Job::Trace { roots, question } => {
            let mut report = TraceReport {
                trace: Vec::new(),
                zones: Vec::new(),
                error: None,
            };
            let result = trace(roots, question, &plan.options, |step| {
                report.trace.push(build(question, &step.answer));
                report.zones.push(step.zone.to_string());
            });
            let error = result.err();
            report.error = error.as_ref().map(|e| crate::error_chain(e));
            Ok(Outcome::Trace(report, error))
        }
    }
}
