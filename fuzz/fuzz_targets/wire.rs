//! Every packet parser on arbitrary bytes: IPv4 (with options) and IPv6,
//! then ICMPv4/ICMPv6/UDP/TCP on the payload, and the quoted datagram of
//! ICMP errors. Parsing never panics; what parses re-emits to bytes that
//! parse to the same thing.
#![no_main]
use ipkit_core::wire::{icmpv4, icmpv6, ipv4, ipv6, tcp, udp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = ipv4::Packet::new_checked(data) {
        let _ = ipv4::parse_options(p.options());
        if let Ok(r) = ipv4::Repr::parse(&p) {
            let mut out = vec![0u8; r.header_len()];
            if r.emit(&mut out).is_ok() {
                let again = ipv4::Packet::new_checked(&out[..]).expect("emitted header parses");
                assert_eq!(ipv4::Repr::parse(&again).map(|x| (x.src, x.dst, x.ttl)), Ok((r.src, r.dst, r.ttl)));
            }
        }
        let payload = p.payload();
        if let Ok(icmp) = icmpv4::Packet::new_checked(payload) {
            if let Ok(r) = icmpv4::Repr::parse(&icmp) {
                let mut out = vec![0u8; r.buffer_len()];
                let _ = r.emit(&mut out);
                if let icmpv4::Repr::DstUnreachable { quoted, .. } | icmpv4::Repr::TimeExceeded { quoted, .. } = r {
                    let _ = icmpv4::quoted(quoted);
                }
            }
        }
        if let Ok(u) = udp::Packet::new_checked(payload) {
            let _ = u.verify_checksum(p.src().into(), p.dst().into());
        }
        if let Ok(t) = tcp::Packet::new_checked(payload) {
            let _ = tcp::Repr::parse_unchecked(&t);
        }
    }
    if let Ok(p) = ipv6::Packet::new_checked(data) {
        let r = ipv6::Repr::parse(&p);
        if let Ok(icmp) = icmpv6::Packet::new_checked(p.payload()) {
            let _ = icmpv6::Repr::parse(&icmp, r.src, r.dst);
        }
        let m = icmpv6::Repr::parse_unchecked(p.payload());
        if let icmpv6::Repr::DstUnreachable { quoted, .. } | icmpv6::Repr::TimeExceeded { quoted, .. } = m {
            let _ = icmpv6::quoted(quoted);
        }
    }
});
