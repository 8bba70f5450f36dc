//! Zone transfers (AXFR, RFC 5936) over TCP: the loop that gathers every
//! message the server sends until the closing SOA, within a record cap.

use std::net::SocketAddr;
use std::time::Instant;

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, Record, RecordType};

use super::message::{
    Answer, DnsError, EdnsRequests, QueryOptions, Question, build_query, decode, random_id,
};
use super::stream::{read_framed, stream_error, tcp_connect, write_framed};

/// A zone transfer (AXFR, RFC 5936) over TCP: every record, the SOA first and
/// last, gathered from as many messages as the server sends. Each message
/// must arrive within the timeout; at most `max_records` are accepted.
pub fn axfr(
    server: SocketAddr,
    zone: &Name,
    o: &QueryOptions,
    max_records: usize,
) -> Result<Answer, DnsError> {
    let q = Question {
        name: zone.clone(),
        rtype: RecordType::AXFR,
        class: DNSClass::IN,
    };
    let mut plain = o.clone();
    plain.edns_payload = None;
    plain.edns_requests = EdnsRequests::default();
    let query = build_query(random_id(), &q, &plain);
    let wire = query.to_vec().map_err(|e| DnsError::Encode {
        name: zone.to_ascii(),
        reason: e.to_string(),
    })?;
    let start = Instant::now();
    let err = stream_error(server, o.timeout, 0, "transferring from");
    let mut s = tcp_connect(server, o).map_err(err)?;
    s.set_read_timeout(Some(o.timeout)).map_err(err)?;
    write_framed(&mut s, &wire).map_err(err)?;
    let mut first: Option<Message> = None;
    let mut records: Vec<Record> = Vec::new();
    let mut size = 0;
    let mut rejected = 0;
    let mut soas = 0;
    while soas < 2 && records.len() < max_records {
        let buf = read_framed(&mut s).map_err(err)?;
        size += buf.len();
        let Ok(msg) = decode(&buf) else {
            rejected += 1;
            continue;
        };
        if msg.metadata.id != query.metadata.id
            || msg.metadata.message_type != MessageType::Response
        {
            rejected += 1;
            continue;
        }
        let failed = msg.metadata.response_code != ResponseCode::NoError || msg.answers.is_empty();
        for r in &msg.answers {
            if r.record_type() == RecordType::SOA {
                soas += 1;
            }
        }
        records.extend(msg.answers.iter().cloned());
        if first.is_none() {
            first = Some(msg);
        }
        if failed {
            break;
        }
    }
    let mut message = first.ok_or(DnsError::Timeout {
        server,
        timeout: o.timeout,
        rejected,
    })?;
    message.answers = records;
    Ok(Answer {
        server,
        message,
        size,
        elapsed: start.elapsed(),
        tcp: true,
        retried_over_tcp: false,
        rejected,
    })
}
