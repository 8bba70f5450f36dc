//! The legacy IPv4 text forms that `inet_aton(3)` and `inet_addr(3)` accept
//! and `inet_pton(3)` refuses: fewer than four parts (`127.1`), hexadecimal
//! (`0x7f.0.0.1`), octal by a leading zero (`0177.0.0.1`) and a single 32-bit
//! number (`2130706433`).
//!
//! ipkit refuses them by default because the same text means different
//! addresses to different parsers — a classic source of SSRF filter
//! bypasses — and explains what the C library would make of them. This module
//! only interprets; the decision to accept is the caller's.

use std::net::Ipv4Addr;

use serde::Serialize;

/// What a legacy form means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegacyForm {
    /// The address `inet_aton` would produce.
    pub addr: Ipv4Addr,
    /// Why the text is legacy, e.g. `"2 parts (a.b: b fills the low 24 bits)"`.
    pub reasons: Vec<String>,
}

/// Interpret `text` as `inet_aton` does. `None` when inet_aton would refuse
/// it too, or when it is an ordinary dotted quad (no legacy meaning).
///
/// # Examples
/// ```
/// use std::net::Ipv4Addr;
/// use ipkit_core::legacy::parse_inet_aton;
/// assert_eq!(parse_inet_aton("127.1").unwrap().addr, Ipv4Addr::new(127, 0, 0, 1));
/// assert_eq!(parse_inet_aton("0x7f.0.0.1").unwrap().addr, Ipv4Addr::new(127, 0, 0, 1));
/// assert_eq!(parse_inet_aton("0177.0.0.1").unwrap().addr, Ipv4Addr::new(127, 0, 0, 1));
/// assert_eq!(parse_inet_aton("2130706433").unwrap().addr, Ipv4Addr::new(127, 0, 0, 1));
/// assert!(parse_inet_aton("127.0.0.1").is_none());
/// assert!(parse_inet_aton("08.0.0.1").is_none()); // 8 is not an octal digit
/// ```
pub fn parse_inet_aton(text: &str) -> Option<LegacyForm> {
    if text.is_empty() || text.len() > 64 {
        return None;
    }
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let mut reasons = Vec::new();
    let mut values = Vec::with_capacity(4);
    for p in &parts {
        let (digits, radix, name) =
            if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
                (h, 16, "hexadecimal")
            } else if p.len() > 1 && p.starts_with('0') {
                (&p[1..], 8, "octal")
            } else {
                (*p, 10, "")
            };
        // A bare "0x" has no digits: glibc refuses it.
        if digits.is_empty() || !digits.bytes().all(|b| (b as char).is_digit(radix)) {
            return None;
        }
        let v = u64::from_str_radix(digits, radix).ok()?;
        if radix != 10 {
            reasons.push(format!("'{p}' is {name} ({v})"));
        }
        values.push(v);
    }
    // values.len() is 1..=4, checked above.
    let last_bits: u32 = match values.len() {
        1 => 32,
        2 => 24,
        3 => 16,
        _ => 8,
    };
    let (head, last) = values.split_at(values.len() - 1);
    if head.iter().any(|&v| v > 255) || last[0] >= 1u64 << last_bits.min(32) {
        return None;
    }
    let mut addr: u64 = 0;
    for (i, &v) in head.iter().enumerate() {
        addr |= v << (24 - 8 * i);
    }
    addr |= last[0];
    match values.len() {
        1 => reasons.insert(0, "a single number: all 32 bits".into()),
        2 => reasons.insert(0, "2 parts (a.b): the last fills the low 24 bits".into()),
        3 => reasons.insert(0, "3 parts (a.b.c): the last fills the low 16 bits".into()),
        _ => {}
    }
    if reasons.is_empty() {
        return None;
    }
    let addr = u32::try_from(addr).ok()?;
    Some(LegacyForm {
        addr: Ipv4Addr::from(addr),
        reasons,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_table() {
        // Values checked against glibc inet_aton.
        let cases = [
            ("1", "0.0.0.1"),
            ("0", "0.0.0.0"),
            ("4294967295", "255.255.255.255"),
            ("10.1", "10.0.0.1"),
            ("10.65535", "10.0.255.255"),
            ("10.1.1", "10.1.0.1"),
            ("0x0A.0.0.1", "10.0.0.1"),
            ("012.0.0.1", "10.0.0.1"),
            ("0xffffffff", "255.255.255.255"),
            ("192.168.0x1", "192.168.0.1"),
        ];
        for (text, want) in cases {
            assert_eq!(
                parse_inet_aton(text).map(|f| f.addr.to_string()),
                Some(want.to_string()),
                "{text}"
            );
        }
        for bad in [
            "4294967296",
            "256.1.1.1",
            "1.2.3.4.5",
            "1..2",
            "09",
            "0xg",
            "10.16777216",
            "",
            "1.2.3.256",
        ] {
            assert!(parse_inet_aton(bad).is_none(), "{bad}");
        }
    }
}
