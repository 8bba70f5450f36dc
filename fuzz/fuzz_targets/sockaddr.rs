//! Socket-address parsing never panics; parse → format → parse is stable.
#![no_main]
use ipkit_core::sockaddr;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(a) = sockaddr::parse(s) {
            assert_eq!(sockaddr::parse(&sockaddr::format(&a)).ok(), Some(a));
        }
    }
});
