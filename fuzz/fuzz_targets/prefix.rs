//! Prefix parsing never panics, and what parses formats back to itself.
#![no_main]
use ipkit_core::IpNet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(p) = s.parse::<IpNet>() {
            assert_eq!(p.to_string().parse::<IpNet>().ok(), Some(p));
            let _ = (p.network(), p.last(), p.trunc());
        }
    }
});
