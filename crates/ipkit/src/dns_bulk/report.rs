//! The report of a bulk run: one [`ResultRecord`] per name and the closing
//! [`Summary`] — the NDJSON records of `ipkit dns --bulk --json`
//! (docs/json.md), which the human lines render from too.

use serde::Serialize;

use super::{BulkOutcome, BulkResult};
use crate::dns::presentation::type_name;
use crate::dns::report::{millis, rcode_name};

/// One result record.
#[derive(Serialize)]
pub struct ResultRecord<'a> {
    /// Input line number.
    pub line: u64,
    /// The name, fully qualified.
    pub name: String,
    /// The record type.
    #[serde(rename = "type")]
    pub rtype: String,
    /// NOERROR, NXDOMAIN, SERVFAIL … or TIMEOUT / FAILED / INTERRUPTED / NOT_SENT.
    pub status: String,
    /// Answer records (type and data), answer section order.
    pub answers: Vec<AnswerRecord>,
    /// Queries sent for this name.
    pub tries: u8,
    /// Round-trip time of the accepted answer, ms.
    pub rtt_ms: f64,
    /// Answered over TCP after truncation.
    pub tcp: bool,
    /// Why it failed, for FAILED.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
}

/// One answer record in a result.
#[derive(Serialize)]
pub struct AnswerRecord {
    /// The record type.
    #[serde(rename = "type")]
    pub rtype: String,
    /// The data in presentation form.
    pub data: String,
}

/// The closing summary. `names` = `answered` + `nodata` + `nxdomain` +
/// `servfail` + `other_rcode` + `timeout` + `failed` + `interrupted` +
/// `not_sent`, always, and equals `results`.
#[derive(Serialize, Default)]
pub struct Summary {
    /// Names handed to the engine (bad lines excluded).
    pub names: u64,
    /// Results written; always equals `names`.
    pub results: u64,
    /// NOERROR with at least one answer record.
    pub answered: u64,
    /// NOERROR without records.
    pub nodata: u64,
    /// NXDOMAIN.
    pub nxdomain: u64,
    /// SERVFAIL.
    pub servfail: u64,
    /// Other RCODEs (REFUSED …).
    pub other_rcode: u64,
    /// No answer after every try.
    pub timeout: u64,
    /// Could not be sent.
    pub failed: u64,
    /// Sent, but unanswered when a signal stopped the run.
    pub interrupted: u64,
    /// Never sent: a signal stopped the run first.
    pub not_sent: u64,
    /// The signal that stopped the run (SIGINT, SIGTERM), or null.
    pub signal: Option<&'static str>,
    /// Input lines skipped as malformed.
    pub bad_lines: u64,
    /// Queries sent, retries included.
    pub queries_sent: u64,
    /// Bogus answers rejected.
    pub rejected: u64,
    /// Names finished over TCP.
    pub tcp_fallbacks: u64,
    /// The largest the in-flight window grew.
    pub window_peak: u64,
    /// The in-flight window at the end.
    pub window_end: u64,
    /// Wall time, ms.
    pub elapsed_ms: f64,
    /// Names per second.
    pub names_per_s: f64,
}

impl<'a> ResultRecord<'a> {
    /// The record of `r`, counted into `s`.
    pub fn of(r: &'a BulkResult, s: &mut Summary) -> ResultRecord<'a> {
        let (status, answers, tcp, error) = match &r.outcome {
            BulkOutcome::Answered {
                rcode,
                answers,
                tcp,
            } => {
                let status = rcode_name(*rcode);
                match status.as_str() {
                    "NOERROR" if answers.is_empty() => s.nodata += 1,
                    "NOERROR" => s.answered += 1,
                    "NXDOMAIN" => s.nxdomain += 1,
                    "SERVFAIL" => s.servfail += 1,
                    _ => s.other_rcode += 1,
                }
                let answers = answers
                    .iter()
                    .map(|(t, d)| AnswerRecord {
                        rtype: type_name(*t),
                        data: d.clone(),
                    })
                    .collect();
                (status, answers, *tcp, None)
            }
            BulkOutcome::TimedOut => {
                s.timeout += 1;
                ("TIMEOUT".to_string(), Vec::new(), false, None)
            }
            BulkOutcome::Failed(e) => {
                s.failed += 1;
                ("FAILED".to_string(), Vec::new(), false, Some(e.as_str()))
            }
            BulkOutcome::Interrupted => {
                s.interrupted += 1;
                ("INTERRUPTED".to_string(), Vec::new(), false, None)
            }
            BulkOutcome::NotSent => {
                s.not_sent += 1;
                ("NOT_SENT".to_string(), Vec::new(), false, None)
            }
        };
        ResultRecord {
            line: r.tag >> 16,
            name: r.name.to_ascii(),
            rtype: type_name(r.rtype),
            status,
            answers,
            tries: r.tries,
            rtt_ms: millis(r.rtt),
            tcp,
            error,
        }
    }
}
