//! The ICMP extension parser (RFC 4884 structure, RFC 4950 MPLS objects)
//! on arbitrary ICMP messages of both families: it never panics, every
//! object it yields lies within the message, and a structure emitted from
//! the MPLS entries it found parses back to the same entries.
#![no_main]
use ipkit_core::wire::icmp::Family;
use ipkit_core::wire::icmp_ext::{Extensions, emit_mpls};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for family in [Family::V4, Family::V6] {
        let Some(e) = Extensions::parse(family, data) else {
            continue;
        };
        for o in e.objects() {
            assert!(o.payload.len() < data.len(), "an object lies within the message");
        }
        let entries = e.mpls();
        let mut again = match family {
            Family::V4 => vec![11, 0, 0, 0, 0, 32, 0, 0],
            Family::V6 => vec![3, 0, 0, 0, 16, 0, 0, 0],
        };
        again.resize(8 + 128, 0);
        again.extend(emit_mpls(&entries));
        if entries.len() < 16_000 {
            assert_eq!(Extensions::parse(family, &again).map(|x| x.mpls()), Some(entries));
        }
    }
});
