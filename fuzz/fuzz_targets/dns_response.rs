//! The response path of `ipkit dns`: any bytes from the network are decoded
//! and checked against our question without panicking or looping (hostile
//! answers: compression loops, truncation, wrong counts).
#![no_main]
use hickory_proto::op::Message;
use hickory_proto::rr::{DNSClass, Name, RecordType};
use ipkit::dns::{Question, QueryOptions, answers, build_query};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let q = Question { name: Name::from_ascii("fuzz.test.").unwrap(), rtype: RecordType::A, class: DNSClass::IN };
    let query = build_query(0x1234, &q, &QueryOptions::default());
    if let Ok(reply) = Message::from_vec(data) {
        let _ = answers(&query, &reply);
        for r in &reply.answers {
            let _ = r.to_string();
        }
    }
});
