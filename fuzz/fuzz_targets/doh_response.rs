//! The response path of `ipkit dns --https`: any bytes a DoH server sends
//! are parsed as an HTTP/1.1 response (status, headers, Content-Length or
//! chunked body, bounded to one DNS message), then decoded as a DNS message
//! and checked against our question — without panicking, overflowing or
//! looping.
#![no_main]
use hickory_proto::op::Message;
use hickory_proto::rr::{DNSClass, Name, RecordType};
use ipkit::dns::{Question, QueryOptions, answers, build_query};
use ipkit::dns::tls::{MAX_BODY, http_body};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = http_body(data) else {
        return;
    };
    assert!(body.len() <= MAX_BODY);
    let q = Question { name: Name::from_ascii("fuzz.test.").unwrap(), rtype: RecordType::A, class: DNSClass::IN };
    // RFC 8484 §4.1: DoH queries carry id 0.
    let query = build_query(0, &q, &QueryOptions::default());
    if let Ok(reply) = Message::from_vec(&body) {
        let _ = answers(&query, &reply);
    }
});
