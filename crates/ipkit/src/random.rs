//! Unpredictable numbers for identifiers an off-path sender must not guess
//! (DNS query ids, ICMP echo identifiers and cookies, DNS cookies), from the
//! operating system's generator through `getrandom`.

/// A random 16-bit value.
///
/// ```
/// let ids: std::collections::HashSet<u16> = (0..64).map(|_| ipkit::random::u16()).collect();
/// assert!(ids.len() > 1);
/// ```
pub fn u16() -> u16 {
    let mut b = [0u8; 2];
    fill(&mut b);
    u16::from_ne_bytes(b)
}

/// A random 64-bit value.
pub fn u64() -> u64 {
    let mut b = [0u8; 8];
    fill(&mut b);
    u64::from_ne_bytes(b)
}

/// Fill `buf` from the OS generator. Should the OS refuse (it does not on
/// any supported system once booted), fall back to std's per-process
/// random hasher keys, still not guessable from outside.
fn fill(buf: &mut [u8]) {
    if getrandom::fill(buf).is_err() {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(buf.as_ptr() as usize);
        let v = h.finish().to_ne_bytes();
        for (d, s) in buf.iter_mut().zip(v.iter().cycle()) {
            *d = *s;
        }
    }
}
