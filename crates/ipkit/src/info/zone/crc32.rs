//! CRC-32 (ISO-HDLC, the one zlib, gzip and PNG use) for the zone cache's
//! checks, written out as slicing-by-8 over tables built at compile time.
//!
//! Why by hand: a single `ipkit info` checks the cache's header and one
//! block, about 30 KB, and is otherwise mostly process start-up. The
//! `crc32fast` crate, through which flate2 computes it, first asks the CPU
//! whether it has carry-less multiplication, and the standard library's
//! feature detection behind that question runs a dozen CPUID
//! instructions, which trap to the hypervisor on a virtual machine
//! (7.4 µs apiece on the machine bench/RESULTS.md names: ~0.1 ms, more
//! than the checks themselves take here). The values are the same
//! function's, so files written before stay valid; the tests compare
//! with flate2's `Crc` and the standard check value.

/// Reflected polynomial of CRC-32/ISO-HDLC.
const POLY: u32 = 0xEDB8_8320;

/// `TABLES[k][b]`: the CRC of byte `b` followed by `k` zero bytes.
static TABLES: [[u32; 256]; 8] = tables();

const fn tables() -> [[u32; 256]; 8] {
    let mut t = [[0u32; 256]; 8];
    let mut b = 0;
    while b < 256 {
        let mut c = b as u32;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 1 == 1 { (c >> 1) ^ POLY } else { c >> 1 };
            bit += 1;
        }
        t[0][b] = c;
        b += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut b = 0;
        while b < 256 {
            let prev = t[k - 1][b];
            t[k][b] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            b += 1;
        }
        k += 1;
    }
    t
}

/// The CRC-32 of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let lo = u32::from_le_bytes([w[0], w[1], w[2], w[3]]) ^ c;
        c = TABLES[7][(lo & 0xff) as usize]
            ^ TABLES[6][((lo >> 8) & 0xff) as usize]
            ^ TABLES[5][((lo >> 16) & 0xff) as usize]
            ^ TABLES[4][(lo >> 24) as usize]
            ^ TABLES[3][usize::from(w[4])]
            ^ TABLES[2][usize::from(w[5])]
            ^ TABLES[1][usize::from(w[6])]
            ^ TABLES[0][usize::from(w[7])];
    }
    for &b in words.remainder() {
        c = (c >> 8) ^ TABLES[0][usize::from(c as u8 ^ b)];
    }
    !c
}

#[cfg(test)]
mod tests {
    use super::crc32;

    fn flate2_crc(bytes: &[u8]) -> u32 {
        let mut c = flate2::Crc::new();
        c.update(bytes);
        c.sum()
    }

    #[test]
    fn the_standard_check_value() {
        // The catalogue's check value for CRC-32/ISO-HDLC over "123456789".
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn agrees_with_flate2_at_every_length_and_alignment() {
        let data: Vec<u8> = (0..5000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for start in 0..9 {
            for len in (0..300).chain([1023, 4096, 4991 - start]) {
                let s = &data[start..start + len];
                assert_eq!(crc32(s), flate2_crc(s), "start {start} len {len}");
            }
        }
    }
}
