//! The text scanner on arbitrary bytes: never panics, matches are in order,
//! inside the text, and each one's text parses back to its address.
#![no_main]
use ipkit_core::scan::find_all;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut last_end = 0;
    for m in find_all(data) {
        assert!(m.start >= last_end && m.start < m.end && m.end <= data.len());
        last_end = m.end;
        let text = std::str::from_utf8(&data[m.start..m.end]).expect("matches are ASCII");
        let bare = text.trim_start_matches('[').split(['/', ']', '%']).next().unwrap_or("");
        let bare = if m.addr.is_ipv4() { bare.split(':').next().unwrap_or("") } else { bare };
        assert_eq!(bare.parse::<std::net::IpAddr>().ok(), Some(m.addr), "{text}");
    }
});
