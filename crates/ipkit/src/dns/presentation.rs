//! Record data in presentation form, as dig (BIND 9.18) prints it, written
//! from the RDATA's wire bytes so that every type the wire allows is shown:
//! the types whose text hickory renders otherwise than dig (HINFO, SSHFP,
//! TLSA/SMIMEA, DS/CDS, DNSKEY/CDNSKEY, CERT, OPENPGPKEY, LOC, SVCB/HTTPS,
//! NULL) and, for every other type hickory does not know, RFC 3597's
//! `\# LENGTH HEX`. Hex is upper case and long hex or base64 fields are cut
//! into 56-character chunks, dig's default `+split=56`.
//!
//! What this does not do: the multi-line `( … )` form of `dig +multiline`.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use hickory_proto::rr::RecordType;

/// dig's chunk width for hex and base64 fields.
const SPLIT: usize = 56;

/// `text` cut into chunks of [`SPLIT`] characters, joined by spaces.
fn split(text: &str) -> String {
    let bytes = text.as_bytes();
    bytes
        .chunks(SPLIT)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Upper-case hex, split as dig splits it.
pub fn hex(b: &[u8]) -> String {
    split(&data_encoding::HEXUPPER.encode(b))
}

fn base64(b: &[u8]) -> String {
    split(&data_encoding::BASE64.encode(b))
}

/// One character-string (RFC 1035 §5.1): quoted, `"` and `\` escaped,
/// bytes outside printable ASCII as `\DDD` (decimal).
pub fn quoted(s: &[u8]) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for &b in s {
        match b {
            b'"' | b'\\' => {
                q.push('\\');
                q.push(char::from(b));
            }
            0x20..=0x7e => q.push(char::from(b)),
            _ => {
                let _ = write!(q, "\\{b:03}");
            }
        }
    }
    q.push('"');
    q
}

/// IANA's mnemonics for the types hickory-proto has no name for, as dig
/// prints them (RFC 1035, 1183, 1876, 2163, 2230, 2672, 3123, 4701, 5205,
/// 6742, 7043, 7553, 8976 …).
const MORE_TYPES: &[(u16, &str)] = &[
    (3, "MD"),
    (4, "MF"),
    (7, "MB"),
    (8, "MG"),
    (9, "MR"),
    (11, "WKS"),
    (14, "MINFO"),
    (17, "RP"),
    (18, "AFSDB"),
    (19, "X25"),
    (20, "ISDN"),
    (21, "RT"),
    (22, "NSAP"),
    (23, "NSAP-PTR"),
    (24, "SIG"),
    (25, "KEY"),
    (26, "PX"),
    (27, "GPOS"),
    (29, "LOC"),
    (30, "NXT"),
    (31, "EID"),
    (32, "NIMLOC"),
    (34, "ATMA"),
    (36, "KX"),
    (38, "A6"),
    (39, "DNAME"),
    (40, "SINK"),
    (42, "APL"),
    (45, "IPSECKEY"),
    (49, "DHCID"),
    (55, "HIP"),
    (56, "NINFO"),
    (57, "RKEY"),
    (58, "TALINK"),
    (63, "ZONEMD"),
    (99, "SPF"),
    (100, "UINFO"),
    (101, "UID"),
    (102, "GID"),
    (103, "UNSPEC"),
    (104, "NID"),
    (105, "L32"),
    (106, "L64"),
    (107, "LP"),
    (108, "EUI48"),
    (109, "EUI64"),
    (256, "URI"),
    (258, "AVC"),
    (259, "DOA"),
    (260, "AMTRELAY"),
    (261, "RESINFO"),
    (262, "WALLET"),
    (32768, "TA"),
    (32769, "DLV"),
];

/// The mnemonic of type `code` among those hickory does not name.
pub fn extra_type_name(code: u16) -> Option<&'static str> {
    MORE_TYPES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// The code of a mnemonic hickory does not know (`LOC`, `URI` …).
pub fn extra_type_code(name: &str) -> Option<u16> {
    MORE_TYPES
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .map(|(c, _)| *c)
}

/// A name in presentation form, as dig writes it: `.` `\` `"` `(` `)`
/// `;` `@` `$` escaped with a backslash, bytes outside printable ASCII as
/// `\DDD` in decimal (hickory writes octal), a final dot when fully
/// qualified.
pub fn name_text(name: &hickory_proto::rr::Name) -> String {
    if name.is_root() {
        return ".".to_string();
    }
    let mut out = String::new();
    for (i, label) in name.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        escape_label(&mut out, label);
    }
    if name.is_fqdn() {
        out.push('.');
    }
    out
}

fn escape_label(out: &mut String, label: &[u8]) {
    for &b in label {
        match b {
            b'.' | b'\\' | b'"' | b'(' | b')' | b';' | b'@' | b'$' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x21..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\{b:03}");
            }
        }
    }
}

/// RFC 3597's generic form: `\# LENGTH HEX` (`\# 0` when empty).
pub fn generic(b: &[u8]) -> String {
    if b.is_empty() {
        "\\# 0".to_string()
    } else {
        format!("\\# {} {}", b.len(), hex(b))
    }
}

/// A reader over RDATA bytes that gives None past the end.
struct Wire<'a>(&'a [u8]);

impl<'a> Wire<'a> {
    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes([self.u8()?, self.u8()?]))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes([
            self.u8()?,
            self.u8()?,
            self.u8()?,
            self.u8()?,
        ]))
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn string(&mut self) -> Option<&'a [u8]> {
        let n = usize::from(self.u8()?);
        self.take(n)
    }
    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.0)
    }
    /// An uncompressed domain name (SVCB's target), in presentation form.
    fn name(&mut self) -> Option<String> {
        let mut out = String::new();
        loop {
            let len = usize::from(self.u8()?);
            if len == 0 {
                break;
            }
            if len > 63 {
                return None;
            }
            escape_label(&mut out, self.take(len)?);
            out.push('.');
        }
        if out.is_empty() {
            out.push('.');
        }
        Some(out)
    }
    fn done(&self) -> bool {
        self.0.is_empty()
    }
}

/// A record type's name, `TYPEnnn` for types without one.
pub fn type_name(t: RecordType) -> String {
    match t {
        RecordType::Unknown(n) => {
            extra_type_name(n).map_or_else(|| format!("TYPE{n}"), str::to_string)
        }
        t => t.to_string(),
    }
}

/// A record type from its name (`A`, `mx`, `TYPE65`, or one of the names
/// hickory does not know), as dig reads a TYPE word.
///
/// # Examples
/// ```
/// use hickory_proto::rr::RecordType;
/// use ipkit::dns::presentation::parse_type;
/// assert_eq!(parse_type("mx"), Some(RecordType::MX));
/// assert_eq!(parse_type("TYPE65"), Some(RecordType::HTTPS));
/// assert_eq!(parse_type("example"), None);
/// ```
pub fn parse_type(word: &str) -> Option<RecordType> {
    let up = word.to_ascii_uppercase();
    if let Some(n) = up.strip_prefix("TYPE") {
        return n.parse::<u16>().ok().map(RecordType::from);
    }
    up.parse::<RecordType>()
        .ok()
        .or_else(|| extra_type_code(&up).map(RecordType::from))
}

/// Whether [`text`] renders type `code` (so its wire bytes are worth
/// encoding).
pub fn from_wire(code: u16) -> bool {
    matches!(
        code,
        10 | 13 | 29 | 37 | 43 | 44 | 48 | 52 | 53 | 59 | 60 | 61 | 64 | 65 | 32769
    )
}

/// The presentation of `rdata` of type `code`, dig's way; None where
/// another renderer should speak (types not listed here) or the bytes do not
/// fit the type (then the caller falls back to the generic form).
pub fn text(code: u16, rdata: &[u8]) -> Option<String> {
    let mut w = Wire(rdata);
    let s = match code {
        // NULL
        10 => generic(w.rest()),
        // HINFO: CPU and OS, two character-strings.
        13 => {
            let (cpu, os) = (w.string()?, w.string()?);
            format!("{} {}", quoted(cpu), quoted(os))
        }
        // LOC (RFC 1876).
        29 => loc(&mut w)?,
        // CERT (RFC 4398): type mnemonic, key tag, algorithm, base64.
        37 => {
            let (t, tag, alg) = (w.u16()?, w.u16()?, w.u8()?);
            let kind = match t {
                1 => "PKIX".to_string(),
                2 => "SPKI".to_string(),
                3 => "PGP".to_string(),
                4 => "IPKIX".to_string(),
                5 => "ISPKI".to_string(),
                6 => "IPGP".to_string(),
                7 => "ACPKIX".to_string(),
                8 => "IACPKIX".to_string(),
                253 => "URI".to_string(),
                254 => "OID".to_string(),
                n => n.to_string(),
            };
            format!("{kind} {tag} {alg} {}", base64(w.rest()))
        }
        // DS, CDS, DLV: key tag, algorithm, digest type, hex digest.
        43 | 59 | 32769 => {
            let (tag, alg, dt) = (w.u16()?, w.u8()?, w.u8()?);
            format!("{tag} {alg} {dt} {}", hex(w.rest()))
        }
        // SSHFP: algorithm, fingerprint type, hex.
        44 => {
            let (alg, t) = (w.u8()?, w.u8()?);
            format!("{alg} {t} {}", hex(w.rest()))
        }
        // DNSKEY, CDNSKEY: flags, protocol, algorithm, base64 key.
        48 | 60 => {
            let (flags, proto, alg) = (w.u16()?, w.u8()?, w.u8()?);
            format!("{flags} {proto} {alg} {}", base64(w.rest()))
        }
        // TLSA, SMIMEA: usage, selector, matching type, hex.
        52 | 53 => {
            let (u, sel, m) = (w.u8()?, w.u8()?, w.u8()?);
            format!("{u} {sel} {m} {}", hex(w.rest()))
        }
        // OPENPGPKEY: base64.
        61 => base64(w.rest()),
        // SVCB, HTTPS (RFC 9460).
        64 | 65 => svcb(&mut w)?,
        _ => return None,
    };
    w.done().then_some(s)
}

/// LOC: `d m s.sss N d m s.sss E alt size hp vp`, as BIND writes it.
fn loc(w: &mut Wire<'_>) -> Option<String> {
    if w.u8()? != 0 {
        return None; // only version 0 is defined
    }
    let cm = |b: u8| -> Option<u64> {
        let (m, e) = (u64::from(b >> 4), u32::from(b & 0x0f));
        (m <= 9 && e <= 9).then(|| m * 10u64.pow(e))
    };
    let (size, hp, vp) = (cm(w.u8()?)?, cm(w.u8()?)?, cm(w.u8()?)?);
    let (lat, lon, alt) = (w.u32()?, w.u32()?, w.u32()?);
    let angle = |v: u32, pos: char, neg: char| {
        let off = i64::from(v) - (1i64 << 31);
        let hemi = if off < 0 { neg } else { pos };
        let a = off.unsigned_abs();
        format!(
            "{} {} {}.{:03} {hemi}",
            a / 3_600_000,
            a % 3_600_000 / 60_000,
            a % 60_000 / 1000,
            a % 1000
        )
    };
    let alt = i64::from(alt) - 10_000_000;
    let sign = if alt < 0 { "-" } else { "" };
    let alt = alt.unsigned_abs();
    // BIND: whole metres when exact (and not zero), else two decimals.
    let metres = |c: u64| {
        if c > 0 && c.is_multiple_of(100) {
            format!("{}m", c / 100)
        } else {
            format!("{}.{:02}m", c / 100, c % 100)
        }
    };
    Some(format!(
        "{} {} {sign}{}.{:02}m {} {} {}",
        angle(lat, 'N', 'S'),
        angle(lon, 'E', 'W'),
        alt / 100,
        alt % 100,
        metres(size),
        metres(hp),
        metres(vp)
    ))
}

/// An SvcParamKey's name (RFC 9460 §14.3.2), `keyNNNNN` otherwise.
fn svc_key(key: u16) -> String {
    match key {
        0 => "mandatory".to_string(),
        1 => "alpn".to_string(),
        2 => "no-default-alpn".to_string(),
        3 => "port".to_string(),
        4 => "ipv4hint".to_string(),
        5 => "ech".to_string(),
        6 => "ipv6hint".to_string(),
        7 => "dohpath".to_string(),
        n => format!("key{n}"),
    }
}

/// SVCB/HTTPS: priority, target, then each SvcParam as `key=value`.
fn svcb(w: &mut Wire<'_>) -> Option<String> {
    let priority = w.u16()?;
    let target = w.name()?;
    let mut out = format!("{priority} {target}");
    while !w.done() {
        let key = w.u16()?;
        let len = usize::from(w.u16()?);
        let mut v = Wire(w.take(len)?);
        let name = svc_key(key);
        let value = match key {
            0 => {
                let mut keys = Vec::new();
                while !v.done() {
                    keys.push(svc_key(v.u16()?));
                }
                Some(keys.join(","))
            }
            1 => {
                let mut ids = Vec::new();
                while !v.done() {
                    let id = v.string()?;
                    let q = quoted(id);
                    ids.push(q[1..q.len() - 1].replace(',', "\\\\,"));
                }
                Some(format!("\"{}\"", ids.join(",")))
            }
            2 => None,
            3 => Some(v.u16()?.to_string()),
            4 => {
                let mut a = Vec::new();
                while !v.done() {
                    let b = v.take(4)?;
                    a.push(Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string());
                }
                Some(a.join(","))
            }
            6 => {
                let mut a = Vec::new();
                while !v.done() {
                    let b: [u8; 16] = v.take(16)?.try_into().ok()?;
                    a.push(Ipv6Addr::from(b).to_string());
                }
                Some(a.join(","))
            }
            5 => Some(format!("\"{}\"", data_encoding::BASE64.encode(v.rest()))),
            _ => Some(quoted(v.rest())),
        };
        let _ = match value {
            Some(value) => write!(out, " {name}={value}"),
            None => write!(out, " {name}"),
        };
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_wire_lists_every_type_text_renders() {
        for code in 0..=u16::MAX {
            for bytes in [&[][..], &[0u8; 4], &[0u8; 20]] {
                if text(code, bytes).is_some() {
                    assert!(from_wire(code), "type {code}");
                }
            }
        }
    }

    #[test]
    fn generic_and_split() {
        assert_eq!(generic(&[]), "\\# 0");
        assert_eq!(generic(&[0xab, 0xcd, 0xef]), "\\# 3 ABCDEF");
        let long = hex(&[0x01; 32]);
        assert_eq!(long.split(' ').map(str::len).collect::<Vec<_>>(), [56, 8]);
    }

    #[test]
    fn hinfo_and_sshfp_from_their_wire_forms() {
        let mut hinfo = vec![3];
        hinfo.extend_from_slice(b"PC1");
        hinfo.push(9);
        hinfo.extend_from_slice(b"Linux 6.1");
        assert_eq!(text(13, &hinfo).unwrap(), "\"PC1\" \"Linux 6.1\"");
        assert_eq!(text(44, &[1, 1, 0xab]).unwrap(), "1 1 AB");
        // Bytes that do not fit the type: the caller shows them generically.
        assert_eq!(text(44, &[1]), None);
    }

    #[test]
    fn loc_as_rfc_1876_example() {
        // RFC 1876 §3's example: 42 21 54 N 71 06 18 W -24m 30m.
        let lat: u32 = (1u32 << 31) + ((42 * 3600 + 21 * 60 + 54) * 1000);
        let lon: u32 = (1u32 << 31) - ((71 * 3600 + 6 * 60 + 18) * 1000);
        let alt: u32 = 10_000_000 - 2400;
        let mut b = vec![0, 0x33, 0x16, 0x13];
        for v in [lat, lon, alt] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        assert_eq!(
            text(29, &b).unwrap(),
            "42 21 54.000 N 71 6 18.000 W -24.00m 30m 10000m 10m"
        );
    }
}
