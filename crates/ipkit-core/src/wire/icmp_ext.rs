//! ICMP extensions (RFC 4884) and the MPLS label stack object (RFC 4950):
//! what a router appends to a time-exceeded or unreachable message after
//! the datagram it quotes. RFC 4884's "length" field (ICMPv4 byte 5, in
//! 32-bit words; ICMPv6 byte 4, in 64-bit words) says where the quoted
//! datagram ends; routers that predate it put the structure after the
//! first 128 bytes of the quote with the length 0, which is accepted when
//! the structure's version and checksum say it is one (as traceroute does).

use super::icmp::Family;
use super::{be16, checksum};

/// Bytes of quoted datagram a pre-RFC 4884 router puts before the
/// extension structure, and the least a compliant one pads the quote to.
pub const LEGACY_QUOTE_LEN: usize = 128;

/// The extension structure's version (RFC 4884 §7).
const VERSION: u8 = 2;

/// The MPLS label stack object's class (RFC 4950 §7).
pub const CLASS_MPLS: u8 = 1;

/// One MPLS label stack entry (RFC 4950 / RFC 3032).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MplsEntry {
    /// The 20-bit label.
    pub label: u32,
    /// Traffic class (3 bits).
    pub tc: u8,
    /// Bottom of stack.
    pub bottom: bool,
    /// TTL.
    pub ttl: u8,
}

impl MplsEntry {
    /// Decode a 4-byte entry.
    pub fn from_bytes(b: [u8; 4]) -> MplsEntry {
        let word = u32::from_be_bytes(b);
        MplsEntry {
            label: word >> 12,
            tc: u8::try_from((word >> 9) & 0x7).unwrap_or(0),
            bottom: word & 0x100 != 0,
            ttl: b[3],
        }
    }

    /// Encode as 4 bytes.
    pub fn to_bytes(self) -> [u8; 4] {
        let word = (self.label & 0xf_ffff) << 12
            | u32::from(self.tc & 0x7) << 9
            | u32::from(self.bottom) << 8
            | u32::from(self.ttl);
        word.to_be_bytes()
    }
}

/// One extension object: class, sub-type and its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Object<'a> {
    /// Class-Num.
    pub class: u8,
    /// C-Type.
    pub c_type: u8,
    /// The object's payload (after its 4-byte header).
    pub payload: &'a [u8],
}

/// The extension structure of one ICMP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extensions<'a> {
    /// The objects, header removed.
    objects: &'a [u8],
}

/// Whether a message of this family and type may carry extensions.
fn may_extend(family: Family, msg_type: u8) -> bool {
    match family {
        Family::V4 => matches!(msg_type, 3 | 11 | 12),
        Family::V6 => matches!(msg_type, 1 | 3),
    }
}

impl<'a> Extensions<'a> {
    /// Find the extension structure in `icmp` (an ICMP message of `family`
    /// from its type byte on). None when the message has none, or what
    /// stands there is not one.
    ///
    /// # Examples
    /// ```
    /// use ipkit_core::wire::icmp::Family;
    /// use ipkit_core::wire::icmp_ext::{Extensions, MplsEntry};
    /// // Time exceeded, length 32 words (128 bytes of quote), then a
    /// // structure with one MPLS entry: label 16, TC 0, bottom, TTL 1.
    /// let mut m = vec![11, 0, 0, 0, 0, 32, 0, 0];
    /// m.resize(8 + 128, 0);
    /// m.extend([0x20, 0, 0, 0, 0, 8, 1, 1, 0, 1, 0x01, 1]);
    /// let sum = ipkit_core::wire::checksum::checksum(&m[136..]);
    /// m[138..140].copy_from_slice(&sum.to_be_bytes());
    /// let e = Extensions::parse(Family::V4, &m).unwrap();
    /// assert_eq!(e.mpls(), [MplsEntry { label: 16, tc: 0, bottom: true, ttl: 1 }]);
    /// ```
    pub fn parse(family: Family, icmp: &'a [u8]) -> Option<Extensions<'a>> {
        if icmp.len() < 8 || !may_extend(family, icmp[0]) {
            return None;
        }
        let length = match family {
            Family::V4 => usize::from(icmp[5]) * 4,
            Family::V6 => usize::from(icmp[4]) * 8,
        };
        if length != 0 {
            let at = 8 + length.max(LEGACY_QUOTE_LEN);
            return Extensions::at(icmp.get(at..)?, false);
        }
        Extensions::at(icmp.get(8 + LEGACY_QUOTE_LEN..)?, true)
    }

    /// The structure at the start of `b`; `strict`: its checksum must be
    /// present and verify (the length-0 guess), else a zero checksum is
    /// accepted as "not computed".
    fn at(b: &'a [u8], strict: bool) -> Option<Extensions<'a>> {
        if b.len() < 4 || b[0] >> 4 != VERSION {
            return None;
        }
        let sum = be16(b, 2);
        if (strict || sum != 0) && !checksum::verifies(checksum::accumulate(0, b)) {
            return None;
        }
        Some(Extensions { objects: &b[4..] })
    }

    /// The objects, in order; a malformed object ends the list.
    pub fn objects(&self) -> impl Iterator<Item = Object<'a>> + 'a {
        let mut rest = self.objects;
        std::iter::from_fn(move || {
            if rest.len() < 4 {
                return None;
            }
            let len = usize::from(be16(rest, 0));
            if len < 4 || len > rest.len() {
                return None;
            }
            let object = Object {
                class: rest[2],
                c_type: rest[3],
                payload: &rest[4..len],
            };
            rest = &rest[len..];
            Some(object)
        })
    }

    /// The MPLS label stack entries of the incoming label stack objects
    /// (class 1, C-Type 1), top of stack first.
    pub fn mpls(&self) -> Vec<MplsEntry> {
        self.objects()
            .filter(|o| o.class == CLASS_MPLS && o.c_type == 1)
            .flat_map(|o| o.payload.chunks_exact(4))
            .map(|c| MplsEntry::from_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }
}

/// The MPLS entries `icmp` carries (empty when none): [`Extensions::parse`]
/// then [`Extensions::mpls`].
pub fn mpls_labels(family: Family, icmp: &[u8]) -> Vec<MplsEntry> {
    Extensions::parse(family, icmp).map_or_else(Vec::new, |e| e.mpls())
}

/// An extension structure holding one MPLS label stack object, checksummed,
/// for tests and simulated routers.
pub fn emit_mpls(entries: &[MplsEntry]) -> Vec<u8> {
    let object_len = 4 + 4 * entries.len();
    let mut b = vec![VERSION << 4, 0, 0, 0];
    b.extend(u16::try_from(object_len).unwrap_or(u16::MAX).to_be_bytes());
    b.extend([CLASS_MPLS, 1]);
    for e in entries {
        b.extend(e.to_bytes());
    }
    let sum = checksum::checksum(&b);
    b[2..4].copy_from_slice(&sum.to_be_bytes());
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOP: MplsEntry = MplsEntry {
        label: 0x12345,
        tc: 5,
        bottom: false,
        ttl: 254,
    };
    const BOTTOM: MplsEntry = MplsEntry {
        label: 16,
        tc: 0,
        bottom: true,
        ttl: 1,
    };

    /// A time exceeded of `family` quoting `quote` bytes, with the length
    /// field set to `length_field` and `ext` appended.
    fn message(family: Family, quote: usize, length_field: u8, ext: &[u8]) -> Vec<u8> {
        let mut m = match family {
            Family::V4 => vec![11, 0, 0, 0, 0, length_field, 0, 0],
            Family::V6 => vec![3, 0, 0, 0, length_field, 0, 0, 0],
        };
        m.resize(8 + quote, 0x45);
        m.extend_from_slice(ext);
        m
    }

    #[test]
    fn entries_round_trip_through_their_bytes() {
        assert_eq!(TOP.to_bytes(), [0x12, 0x34, 0x5a, 254]);
        assert_eq!(MplsEntry::from_bytes(TOP.to_bytes()), TOP);
        assert_eq!(MplsEntry::from_bytes([0, 1, 1, 1]), BOTTOM);
    }

    #[test]
    fn rfc4884_length_finds_the_structure_v4_and_v6() {
        let ext = emit_mpls(&[TOP, BOTTOM]);
        let v4 = message(Family::V4, 128, 32, &ext);
        assert_eq!(mpls_labels(Family::V4, &v4), [TOP, BOTTOM]);
        let v6 = message(Family::V6, 136, 17, &ext);
        assert_eq!(mpls_labels(Family::V6, &v6), [TOP, BOTTOM]);
        // The length is in 64-bit words for ICMPv6: 16 words is 128 bytes,
        // which would land inside the quote here.
        let wrong = message(Family::V6, 136, 16, &ext);
        assert!(mpls_labels(Family::V6, &wrong).is_empty());
    }

    #[test]
    fn legacy_routers_put_it_after_128_bytes_with_length_zero() {
        let ext = emit_mpls(&[BOTTOM]);
        let m = message(Family::V4, 128, 0, &ext);
        assert_eq!(mpls_labels(Family::V4, &m), [BOTTOM]);
        // Length 0 with a bad checksum: quote bytes, not a structure.
        let mut bad = m.clone();
        bad[8 + 128 + 2] ^= 0xff;
        assert!(Extensions::parse(Family::V4, &bad).is_none());
        // A short quote with length 0 has no extensions.
        let short = message(Family::V4, 28, 0, &[]);
        assert!(Extensions::parse(Family::V4, &short).is_none());
    }

    #[test]
    fn a_zero_checksum_is_accepted_when_the_length_says_so() {
        let mut ext = emit_mpls(&[BOTTOM]);
        ext[2..4].fill(0);
        let m = message(Family::V4, 128, 32, &ext);
        assert_eq!(mpls_labels(Family::V4, &m), [BOTTOM]);
        assert!(Extensions::parse(Family::V4, &message(Family::V4, 128, 0, &ext)).is_none());
    }

    #[test]
    fn other_objects_and_messages_are_skipped() {
        // An interface information object (class 2), then MPLS.
        let mut ext = vec![0x20, 0, 0, 0, 0, 8, 2, 0x0c, 0, 0, 0, 7];
        ext.extend_from_slice(&emit_mpls(&[BOTTOM])[4..]);
        let sum = checksum::checksum(&ext);
        ext[2..4].copy_from_slice(&sum.to_be_bytes());
        let m = message(Family::V4, 128, 32, &ext);
        let e = Extensions::parse(Family::V4, &m).unwrap();
        assert_eq!(e.objects().count(), 2);
        assert_eq!(e.mpls(), [BOTTOM]);
        // An echo reply carries none, whatever follows.
        let mut echo = m.clone();
        echo[0] = 0;
        assert!(Extensions::parse(Family::V4, &echo).is_none());
        // A truncated object ends the list.
        let cut = &m[..m.len() - 2];
        assert_eq!(Extensions::parse(Family::V4, cut).map(|e| e.mpls()), None);
    }

    #[test]
    fn garbage_never_panics() {
        for len in 0..300u32 {
            let b: Vec<u8> = (0..len)
                .map(|i: u32| (i.wrapping_mul(37) + 11).to_le_bytes()[0])
                .collect();
            for family in [Family::V4, Family::V6] {
                let _ = mpls_labels(family, &b);
            }
        }
    }
}
