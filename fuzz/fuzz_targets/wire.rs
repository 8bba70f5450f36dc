//! Every packet parser on arbitrary bytes: IPv4 (with options) and IPv6,
//! then ICMP (both families, as a Repr and as what an engine makes of it,
//! from a socket's bytes or a kernel's queued error), UDP and TCP on the
//! payload, and the quoted datagram of ICMP errors. Parsing never panics;
//! what parses re-emits to bytes that parse to the same thing.
#![no_main]
use ipkit_core::wire::icmp::{Checksum, Family, Message, QuotedProbe, Repr};
use ipkit_core::wire::{ipv4, ipv6, tcp, udp};
use libfuzzer_sys::fuzz_target;

fn icmp(family: Family, bytes: &[u8], checksum: Checksum) {
    if let Ok(r) = Repr::parse(family, bytes, checksum) {
        let mut out = vec![0u8; r.buffer_len()];
        if r.emit(family, &mut out, checksum).is_ok() {
            assert_eq!(Repr::parse(family, &out, checksum), Ok(r), "emitted message parses back");
        }
        if let Repr::Error { error, quoted } = r {
            let _ = error.to_string();
            let _ = QuotedProbe::parse(family, quoted);
        }
    }
    for verify in [false, true] {
        let _ = Message::parse(family, bytes, verify);
    }
    if let [t, c, a, b, cc, d, rest @ ..] = bytes {
        let _ = Message::queued(family, *t, *c, u32::from_be_bytes([*a, *b, *cc, *d]), rest);
    }
}

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
        icmp(Family::V4, payload, Checksum::Ipv4);
        if let Ok(u) = udp::Packet::new_checked(payload) {
            let _ = u.verify_checksum(p.src().into(), p.dst().into());
        }
        if let Ok(t) = tcp::Packet::new_checked(payload) {
            let _ = tcp::Repr::parse_unchecked(&t);
        }
    }
    if let Ok(p) = ipv6::Packet::new_checked(data) {
        let r = ipv6::Repr::parse(&p);
        icmp(Family::V6, p.payload(), Checksum::Ipv6 { src: r.src, dst: r.dst });
        icmp(Family::V6, p.payload(), Checksum::Unchecked);
    }
});
