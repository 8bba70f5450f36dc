//! The host-table parsers on arbitrary text: MAC addresses (a parsed MAC
//! prints back to itself), `/proc` socket links and lines, TCP state names,
//! and the DHCP lease and systemd-resolved files. None may panic.
#![no_main]
use ipkit_core::host::{MacAddr, TcpState, parse_proc_net_line, socket_inode};
use ipkit_core::leases::{parse_dhclient, parse_networkd, parse_resolved_link};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = socket_inode(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(mac) = text.parse::<MacAddr>() {
        assert_eq!(mac.to_string().parse::<MacAddr>().ok(), Some(mac));
        assert_eq!(mac.windows().parse::<MacAddr>().ok(), Some(mac));
    }
    if let Some(state) = TcpState::from_name(text) {
        assert_eq!(TcpState::from_kernel(state.kernel()), Some(state));
    }
    for line in text.lines() {
        let _ = parse_proc_net_line(line);
    }
    let _ = parse_dhclient(text);
    let _ = parse_networkd(text, Some(1));
    let _ = parse_resolved_link(text);
});
