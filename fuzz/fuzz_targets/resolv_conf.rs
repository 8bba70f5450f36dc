//! resolv.conf parsing and the search-list order never panic.
#![no_main]
use ipkit_core::resolvconf::ResolvConf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let c = ResolvConf::parse(&String::from_utf8_lossy(data));
    assert!(c.nameservers.len() <= 3);
    let _ = c.candidates("host");
});
