//! Finding IP addresses in text with exact boundaries, fast.
//!
//! What counts: a dotted quad of four decimal octets 0–255 without leading
//! zeros, or an IPv6 address as `std` parses it (compressed forms, embedded
//! IPv4, an optional `%zone`), optionally followed by `/prefix` (0–32, 0–128)
//! and, for IPv4, `:port`; IPv6 with a port is written `[addr]:port`.
//!
//! What does not: the address characters (`0-9 a-f A-F . :`) are taken as
//! one token and the whole token must be an address, so `999.1.1.1`,
//! `1.2.3.4.5`, `2024.01.02.3` and MAC addresses yield nothing; the byte
//! before a token must not be a letter, digit, `_`, `.` or `:`, and the byte
//! after must not be a letter, digit or `_` (so `v1.2.3.4`, `a1.2.3.4`,
//! `1.2.3.4x` yield nothing, while `ip=1.2.3.4,` and `(1.2.3.4)` do). A
//! hyphen is a boundary: `1.2.3.4-beta` yields 1.2.3.4.
//!
//! How a log reader reads the edges, rule by rule:
//! - `key:value`: a word and one colon before the address are a key, as in
//!   net-tools' `inet addr:192.168.1.5  Bcast:…  Mask:…`, `src:10.0.0.1`,
//!   `IP:1.2.3.4`, `ip6:2001:db8::1` — the address after the colon is found.
//!   (Two colons, `abc::1`, are IPv6 compression, never a key.)
//! - Punctuation after an address ends it: trailing dots (`from 1.2.3.4.`,
//!   `see 10.0.0.1...`), and one colon after an address or its port, as in
//!   Go's `dial tcp 10.0.0.1:5432: connect: refused`.
//! - A zone (`fe80::1%eth0`) is letters, digits, `_`, `-` and inner dots
//!   (`eth0.100`); a dot that ends it is the sentence's.
//! - A `/prefix` or `:port` is attached only when a boundary follows it:
//!   `1.2.3.4/24x` and `1.2.3.4:80abc` yield the bare address.
//! - `::` alone (Haskell's `foo :: Int`, C++'s `::`) is prose; the
//!   unspecified address is found when written `[::]`, `[::]:port` or `::/0`.
//!
//! Speed: `memchr2` jumps between `.` and `:` bytes; each candidate token is
//! examined once and the scan resumes after it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One address found in text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// Byte offset of the first byte (the `[` of `[v6]:port`).
    pub start: usize,
    /// Byte offset after the last byte (prefix and port included).
    pub end: usize,
    /// The address.
    pub addr: IpAddr,
    /// `/len` when written.
    pub prefix_len: Option<u8>,
    /// `:port` (IPv4) or `]:port` (IPv6) when written.
    pub port: Option<u16>,
}

/// Byte classes, looked up once per byte: bit 0 an address byte
/// (`0-9 a-f A-F . :`), bit 1 a word byte (letter, digit, `_`).
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b: u8 = 0;
    loop {
        let i = b as usize;
        if b.is_ascii_hexdigit() || b == b'.' || b == b':' {
            t[i] |= 1;
        }
        if b.is_ascii_alphanumeric() || b == b'_' {
            t[i] |= 2;
        }
        if b == u8::MAX {
            break;
        }
        b += 1;
    }
    t
};

#[inline]
fn is_addr_byte(b: u8) -> bool {
    CLASS[usize::from(b)] & 1 != 0
}

#[inline]
fn is_word(b: u8) -> bool {
    CLASS[usize::from(b)] & 2 != 0
}

/// Iterator over the addresses in `text`, in order.
///
/// # Examples
/// ```
/// use ipkit_core::scan::find_all;
/// let found: Vec<String> = find_all(b"from 192.0.2.1:443 to [2001:db8::1]:80, not 999.1.1.1 or v1.2.3.4")
///     .map(|m| format!("{} {:?}", m.addr, m.port))
///     .collect();
/// assert_eq!(found, ["192.0.2.1 Some(443)", "2001:db8::1 Some(80)"]);
/// ```
pub fn find_all(text: &[u8]) -> Scanner<'_> {
    Scanner { text, pos: 0 }
}

/// See [`find_all`].
#[derive(Debug, Clone)]
pub struct Scanner<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Iterator for Scanner<'_> {
    type Item = Match;

    fn next(&mut self) -> Option<Match> {
        let t = self.text;
        while self.pos < t.len() {
            let i = self.pos + memchr::memchr2(b'.', b':', &t[self.pos..])?;
            // The token of address bytes around the trigger.
            let mut s = i;
            while s > 0 && is_addr_byte(t[s - 1]) {
                s -= 1;
            }
            let mut e = i + 1;
            while e < t.len() && is_addr_byte(t[e]) {
                e += 1;
            }
            self.pos = e;
            let s = if s > 0 && is_word(t[s - 1]) {
                // `key:value`: the word before the first colon is a key.
                match key_value(&t[s..e]) {
                    Some(skip) => s + skip,
                    None => continue,
                }
            } else {
                s
            };
            if let Some(m) = candidate(t, s, e) {
                self.pos = m.end.max(e);
                return Some(m);
            }
        }
        None
    }
}

impl std::iter::FusedIterator for Scanner<'_> {}

/// In a token that continues a word, where the value of `key:value` starts:
/// after the first colon, when what precedes it holds no dot and one colon
/// alone separates the two.
fn key_value(tok: &[u8]) -> Option<usize> {
    let colon = tok.iter().position(|&b| b == b':')?;
    let value_start = colon + 1;
    let ok = !tok[..colon].contains(&b'.') && value_start < tok.len() && tok[value_start] != b':';
    ok.then_some(value_start)
}

/// Whether the byte at `at` (if any) is a boundary: not a letter, digit or `_`.
fn boundary_at(t: &[u8], at: usize) -> bool {
    !t.get(at).is_some_and(|&b| is_word(b))
}

/// `/len` or `:port` at `at`: its value and the length written (the sign
/// included), when digits follow and a boundary ends them.
fn suffix(t: &[u8], at: usize, sign: u8, digits: usize, max: u32) -> Option<(u32, usize)> {
    if t.get(at) != Some(&sign) {
        return None;
    }
    let (n, len) = number(t, at + 1, digits)?;
    (n <= max && boundary_at(t, at + 1 + len)).then_some((n, 1 + len))
}

/// Validate the token `t[s..e]` and what follows it.
fn candidate(t: &[u8], s: usize, e: usize) -> Option<Match> {
    let tok = &t[s..e];
    if let Some(colon) = tok.iter().position(|&b| b == b':') {
        if let Some(m) = candidate_v6(t, s, e) {
            return Some(m);
        }
        // `a.b.c.d:port`: the colon ends the address; one more colon may
        // end the port (`10.0.0.1:5432: connect: refused`).
        let rest = &tok[colon + 1..];
        let colons = rest.iter().filter(|&&b| b == b':').count();
        if colon == 0 || !(colons == 0 || (colons == 1 && rest.last() == Some(&b':'))) {
            return None;
        }
        return candidate(t, s, s + colon);
    }
    // IPv4: trailing dots are punctuation (`from 1.2.3.4.`, `see 1.2.3.4...`).
    let dots = tok.iter().rev().take_while(|&&b| b == b'.').count();
    let (tok, e) = (&tok[..tok.len() - dots], e - dots);
    let addr = parse_v4(tok)?;
    if !boundary_at(t, e) {
        return None;
    }
    let mut end = e;
    let mut prefix_len = None;
    let mut port = None;
    if let Some((n, len)) = suffix(t, end, b'/', 2, 32) {
        prefix_len = Some(u8::try_from(n).ok()?);
        end += len;
    } else if let Some((n, len)) = suffix(t, end, b':', 5, 65535) {
        port = Some(u16::try_from(n).ok()?);
        end += len;
    }
    Some(Match {
        start: s,
        end,
        addr: IpAddr::V4(addr),
        prefix_len,
        port,
    })
}

/// Whether `tok` can be an IPv6 address at all, in one pass: 2 to 8 colons,
/// groups of at most four hex digits (the last may be a dotted IPv4), at most
/// one `::`, and — without `::` — exactly 7 colons (6 before an embedded
/// IPv4). Rejects times and MACs without parsing.
fn v6_shape(tok: &[u8]) -> bool {
    let (mut colons, mut doubles, mut dots, mut group) = (0u32, 0u32, 0u32, 0u32);
    let mut prev = 0u8;
    for &b in tok {
        match b {
            b':' => {
                colons += 1;
                if prev == b':' {
                    doubles += 1;
                }
                if dots > 0 || colons > 8 {
                    return false;
                }
                group = 0;
            }
            b'.' => dots += 1,
            _ => {
                group += 1;
                if group > 4 && dots == 0 {
                    // Only the dotted tail may be longer; decided at the end.
                    if group > 15 {
                        return false;
                    }
                }
            }
        }
        prev = b;
    }
    if colons < 2 || doubles > 1 || !(dots == 0 || dots == 3) || (dots == 0 && group > 4) {
        return false;
    }
    doubles == 1 || colons == 7 || (colons == 6 && dots == 3)
}

fn candidate_v6(t: &[u8], s: usize, e: usize) -> Option<Match> {
    let mut tok = &t[s..e];
    let trimmed_fits = matches!(tok.last(), Some(b'.' | b':')) && v6_shape(&tok[..tok.len() - 1]);
    if !(v6_shape(tok) || trimmed_fits) {
        return None;
    }
    let mut e = e;
    let mut addr = parse_v6(tok);
    if addr.is_none() && matches!(tok.last(), Some(b'.' | b':')) && !tok.ends_with(b"::") {
        tok = &tok[..tok.len() - 1];
        e -= 1;
        addr = parse_v6(tok);
    }
    let addr = addr?;
    if !boundary_at(t, e) {
        return None;
    }
    let mut end = e;
    // An optional zone: %name (inner dots kept, a final one is punctuation).
    if t.get(end) == Some(&b'%') {
        let z = end + 1;
        let mut ze = z;
        while ze < t.len() && (t[ze].is_ascii_alphanumeric() || matches!(t[ze], b'_' | b'-' | b'.'))
        {
            ze += 1;
        }
        while ze > z && t[ze - 1] == b'.' {
            ze -= 1;
        }
        if ze > z {
            end = ze;
        }
    }
    let mut start = s;
    let mut prefix_len = None;
    let mut port = None;
    if let Some((n, len)) = suffix(t, end, b'/', 3, 128) {
        prefix_len = Some(u8::try_from(n).ok()?);
        end += len;
    } else if s > 0 && t[s - 1] == b'[' && t.get(end) == Some(&b']') {
        start = s - 1;
        end += 1;
        if let Some((n, len)) = suffix(t, end, b':', 5, 65535) {
            port = Some(u16::try_from(n).ok()?);
            end += len;
        }
    }
    // `::` alone is prose unless bracketed or given a prefix.
    if tok == b"::" && start == s && prefix_len.is_none() {
        return None;
    }
    Some(Match {
        start,
        end,
        addr: IpAddr::V6(addr),
        prefix_len,
        port,
    })
}

/// Parse IPv6 text: hex groups with at most one `::`, directly; forms with an
/// embedded IPv4 tail go to std's parser. Same acceptance as std's.
fn parse_v6(tok: &[u8]) -> Option<Ipv6Addr> {
    if tok.contains(&b'.') {
        return std::str::from_utf8(tok).ok()?.parse().ok();
    }
    fn groups(part: &[u8], out: &mut [u16; 8], n: &mut usize) -> Option<()> {
        if part.is_empty() {
            return Some(());
        }
        for g in part.split(|&b| b == b':') {
            if g.is_empty() || g.len() > 4 || *n == 8 {
                return None;
            }
            let mut v = 0u16;
            for &c in g {
                let d = match c {
                    b'0'..=b'9' => c - b'0',
                    b'a'..=b'f' => c - b'a' + 10,
                    b'A'..=b'F' => c - b'A' + 10,
                    _ => return None,
                };
                v = (v << 4) | u16::from(d);
            }
            out[*n] = v;
            *n += 1;
        }
        Some(())
    }
    let mut head = [0u16; 8];
    let mut tail = [0u16; 8];
    let (mut hn, mut tn) = (0, 0);
    match tok.windows(2).position(|w| w == b"::") {
        Some(i) => {
            groups(&tok[..i], &mut head, &mut hn)?;
            groups(&tok[i + 2..], &mut tail, &mut tn)?;
            if hn + tn > 7 {
                return None;
            }
        }
        None => {
            groups(tok, &mut head, &mut hn)?;
            if hn != 8 {
                return None;
            }
        }
    }
    let mut segs = [0u16; 8];
    segs[..hn].copy_from_slice(&head[..hn]);
    segs[8 - tn..].copy_from_slice(&tail[..tn]);
    Some(Ipv6Addr::from(segs))
}

/// Up to `max` decimal digits at `at`: (value, digit count).
fn number(t: &[u8], at: usize, max: usize) -> Option<(u32, usize)> {
    let mut n = 0u32;
    let mut len = 0;
    while len < max && at + len < t.len() && t[at + len].is_ascii_digit() {
        n = n * 10 + u32::from(t[at + len] - b'0');
        len += 1;
    }
    if len == 0 || (at + len < t.len() && t[at + len].is_ascii_digit()) {
        return None;
    }
    Some((n, len))
}

/// A strict dotted quad: four decimal octets, no leading zeros.
#[inline]
fn parse_v4(tok: &[u8]) -> Option<Ipv4Addr> {
    if tok.len() < 7 || tok.len() > 15 {
        return None;
    }
    let mut octets = [0u8; 4];
    let mut parts = tok.split(|&b| b == b'.');
    for o in &mut octets {
        let p = parts.next()?;
        if p.is_empty()
            || p.len() > 3
            || (p.len() > 1 && p[0] == b'0')
            || !p.iter().all(u8::is_ascii_digit)
        {
            return None;
        }
        let v = p.iter().fold(0u32, |a, &d| a * 10 + u32::from(d - b'0'));
        *o = u8::try_from(v).ok()?;
    }
    parts.next().is_none().then(|| Ipv4Addr::from(octets))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn found(text: &str) -> Vec<String> {
        find_all(text.as_bytes())
            .map(|m| {
                let mut s = m.addr.to_string();
                if let Some(p) = m.prefix_len {
                    s += &format!("/{p}");
                }
                if let Some(p) = m.port {
                    s += &format!(" port {p}");
                }
                s
            })
            .collect()
    }

    #[test]
    fn true_addresses() {
        let cases: &[(&str, &[&str])] = &[
            ("1.2.3.4", &["1.2.3.4"]),
            (
                "ip=10.0.0.1, gw=(192.168.1.254)",
                &["10.0.0.1", "192.168.1.254"],
            ),
            (
                "\"8.8.8.8\" 0.0.0.0 255.255.255.255",
                &["8.8.8.8", "0.0.0.0", "255.255.255.255"],
            ),
            ("from 192.0.2.1.", &["192.0.2.1"]),
            (
                "net 10.0.0.0/8 host 10.1.2.3:8080",
                &["10.0.0.0/8", "10.1.2.3 port 8080"],
            ),
            ("1.2.3.4-beta", &["1.2.3.4"]),
            (
                "v6 2001:db8::1 and ::1 and fe80::1%eth0",
                &["2001:db8::1", "::1", "fe80::1"],
            ),
            (
                "[2001:db8::2]:443 2001:db8::/32",
                &["2001:db8::2 port 443", "2001:db8::/32"],
            ),
            ("mapped ::ffff:192.0.2.1 end", &["::ffff:192.0.2.1"]),
            ("at 2001:db8::5: failed", &["2001:db8::5"]),
            ("abc::1 is an address", &["abc::1"]),
            // key:value, net-tools ifconfig and common log styles.
            (
                "inet addr:192.168.1.5  Bcast:192.168.1.255  Mask:255.255.255.0",
                &["192.168.1.5", "192.168.1.255", "255.255.255.0"],
            ),
            ("src:10.0.0.1 IP:1.2.3.4", &["10.0.0.1", "1.2.3.4"]),
            ("x:1.2.3.4 ip6:2001:db8::1", &["1.2.3.4", "2001:db8::1"]),
            // Go's error format; an ellipsis.
            (
                "dial tcp 10.0.0.1:5432: connect: refused",
                &["10.0.0.1 port 5432"],
            ),
            ("see 10.0.0.1...", &["10.0.0.1"]),
            // Suffixes followed by letters are not suffixes.
            ("1.2.3.4/24x 1.2.3.4:80abc", &["1.2.3.4", "1.2.3.4"]),
            ("[2001:db8::1]:80x", &["2001:db8::1"]),
            // The unspecified address, written as one.
            ("listen [::]:80 and ::/0", &[":: port 80", "::/0"]),
        ];
        for (text, want) in cases {
            assert_eq!(found(text), *want, "{text}");
        }
    }

    #[test]
    fn a_zone_keeps_inner_dots_and_leaves_the_sentence_its_own() {
        for (text, want) in [
            ("at fe80::1%eth0. Then", "fe80::1%eth0"),
            ("fe80::1%eth0.100 up", "fe80::1%eth0.100"),
            ("via fe80::1%eth0...", "fe80::1%eth0"),
        ] {
            let m = find_all(text.as_bytes()).next().expect(text);
            assert_eq!(&text[m.start..m.end], want, "{text}");
        }
    }

    #[test]
    fn lookalikes_yield_nothing() {
        for text in [
            "999.1.1.1",
            "1.2.3.4.5",
            "v1.2.3.4",
            "a1.2.3.4",
            "1.2.3.4x",
            "01.2.3.4",
            "1.2.3",
            "version 2024.01.02.3",
            "mac 00:11:22:33:44:55",
            "time 12:34:56",
            "std::vector",
            "1.2.3.256",
            "1.2.3.4_5",
            "1.2.3.4.5.6.7.8",
            "3.14159",
            "foo :: Int",
            "std::cout << x",
            "a :: b",
        ] {
            assert_eq!(found(text), Vec::<String>::new(), "{text}");
        }
    }

    proptest! {
        #[test]
        fn v6_parser_agrees_with_std(text in "[0-9a-fA-F:]{0,41}", v6 in any::<u128>()) {
            prop_assert_eq!(parse_v6(text.as_bytes()), text.parse::<Ipv6Addr>().ok(), "{}", text);
            let shown = Ipv6Addr::from(v6).to_string();
            prop_assert_eq!(parse_v6(shown.as_bytes()), Some(Ipv6Addr::from(v6)));
        }

        #[test]
        fn any_address_is_found_exactly_once(v4 in any::<u32>(), v6 in any::<u128>(), six in any::<bool>(), l in "[ (\"=,;\\[<]", r in "[ )\",;\\]>]") {
            let ip: IpAddr = if six { Ipv6Addr::from(v6).into() } else { Ipv4Addr::from(v4).into() };
            // `::` alone is prose unless bracketed (see the module doc).
            prop_assume!(ip != IpAddr::V6(Ipv6Addr::UNSPECIFIED) || l == "[");
            let text = format!("x{l}{ip}{r}y");
            let got: Vec<IpAddr> = find_all(text.as_bytes()).map(|m| m.addr).collect();
            prop_assert_eq!(got, vec![ip]);
        }
    }
}
