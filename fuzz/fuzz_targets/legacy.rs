//! The inet_aton interpreter never panics and never claims a plain dotted quad.
#![no_main]
use ipkit_core::legacy::parse_inet_aton;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Some(form) = parse_inet_aton(s) {
            assert!(!form.reasons.is_empty());
            assert!(s.parse::<std::net::Ipv4Addr>().is_err());
        }
    }
});
