//! TCP headers (RFC 9293): ports, sequence numbers, flags, window, options
//! as raw bytes, and the checksum over the pseudo-header. Enough for TCP
//! probes (SYN traceroute) and for decoding what an ICMP error quotes.

use std::net::IpAddr;

use super::checksum;
use super::{Layer, WireError, be16, be32, need, set_be16};

/// The minimum header length.
pub const HEADER_LEN: usize = 20;

/// TCP flags.
pub mod flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
}

/// A checked view of a TCP segment.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

fn pseudo(src: IpAddr, dst: IpAddr, len: usize) -> u32 {
    checksum::pseudo(src, dst, 6, len)
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Check the data offset and that the header fits.
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let b = buffer.as_ref();
        need(Layer::Tcp, b, HEADER_LEN)?;
        let off = usize::from(b[12] >> 4) * 4;
        if off < HEADER_LEN {
            return Err(WireError::Malformed {
                layer: Layer::Tcp,
                field: "data offset",
                value: off,
            });
        }
        need(Layer::Tcp, b, off)?;
        Ok(Packet { buffer })
    }
    /// Source port.
    pub fn src_port(&self) -> u16 {
        be16(self.buffer.as_ref(), 0)
    }
    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        be16(self.buffer.as_ref(), 2)
    }
    /// Sequence number.
    pub fn seq(&self) -> u32 {
        be32(self.buffer.as_ref(), 4)
    }
    /// Acknowledgment number.
    pub fn ack(&self) -> u32 {
        be32(self.buffer.as_ref(), 8)
    }
    /// Header length.
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[12] >> 4) * 4
    }
    /// Flags byte (see [`flags`]).
    pub fn flags(&self) -> u8 {
        self.buffer.as_ref()[13]
    }
    /// Window.
    pub fn window(&self) -> u16 {
        be16(self.buffer.as_ref(), 14)
    }
    /// Options bytes.
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..self.header_len()]
    }
    /// Payload.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }
    /// Whether the checksum verifies.
    pub fn verify_checksum(&self, src: IpAddr, dst: IpAddr) -> bool {
        let b = self.buffer.as_ref();
        checksum::verifies(checksum::accumulate(pseudo(src, dst, b.len()), b))
    }
}

/// A parsed TCP segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repr<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// Flags.
    pub flags: u8,
    /// Window.
    pub window: u16,
    /// Options, raw (padded to 4 bytes on emit).
    pub options: &'a [u8],
    /// Payload.
    pub payload: &'a [u8],
}

impl<'a> Repr<'a> {
    /// Parse, verifying the checksum.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        p: &'a Packet<&'a T>,
        src: IpAddr,
        dst: IpAddr,
    ) -> Result<Repr<'a>, WireError> {
        if !p.verify_checksum(src, dst) {
            return Err(WireError::BadChecksum { layer: Layer::Tcp });
        }
        Ok(Repr::parse_unchecked(p))
    }

    /// Parse without checking the checksum (offloaded captures, ICMP quotes).
    pub fn parse_unchecked<T: AsRef<[u8]> + ?Sized>(p: &'a Packet<&'a T>) -> Repr<'a> {
        Repr {
            src_port: p.src_port(),
            dst_port: p.dst_port(),
            seq: p.seq(),
            ack: p.ack(),
            flags: p.flags(),
            window: p.window(),
            options: p.options(),
            payload: p.payload(),
        }
    }

    /// Bytes `emit` writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.options.len().div_ceil(4) * 4 + self.payload.len()
    }

    /// Write the segment, checksum included.
    pub fn emit(&self, buf: &mut [u8], src: IpAddr, dst: IpAddr) -> Result<(), WireError> {
        let len = self.buffer_len();
        need(Layer::Tcp, buf, len)?;
        let hl = len - self.payload.len();
        if hl > 60 {
            return Err(WireError::Malformed {
                layer: Layer::Tcp,
                field: "options length",
                value: self.options.len(),
            });
        }
        let b = &mut buf[..len];
        b[..hl].fill(0);
        set_be16(b, 0, self.src_port);
        set_be16(b, 2, self.dst_port);
        b[4..8].copy_from_slice(&self.seq.to_be_bytes());
        b[8..12].copy_from_slice(&self.ack.to_be_bytes());
        b[12] = u8::try_from(hl / 4).unwrap_or(15) << 4;
        b[13] = self.flags;
        set_be16(b, 14, self.window);
        b[HEADER_LEN..HEADER_LEN + self.options.len()].copy_from_slice(self.options);
        b[hl..].copy_from_slice(self.payload);
        let c = checksum::finish(checksum::accumulate(pseudo(src, dst, len), b));
        set_be16(b, 16, c);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ipv4::tests::hex;

    #[test]
    fn captured_syn_and_syn_ack() {
        let syn = hex(
            "4500003c17a84000400625127f0000017f0000018b9ed891ad07f6cf00000000a002ffd7fe3000000204ffd70402080a70322077000000000103030a",
        );
        let synack = hex(
            "4500003c0000400040063cba7f0000017f000001d8918b9eac786531ad07f6d0a012ffcbfe3000000204ffd70402080acf4a540a703220770103030a",
        );
        let s = Packet::new_checked(&syn[20..]).unwrap();
        let a = Packet::new_checked(&synack[20..]).unwrap();
        assert_eq!(s.flags(), flags::SYN);
        assert_eq!(a.flags(), flags::SYN | flags::ACK);
        assert_eq!(
            a.ack(),
            s.seq().wrapping_add(1),
            "the SYN-ACK acknowledges the SYN"
        );
        assert_eq!((s.src_port(), s.dst_port()), (a.dst_port(), a.src_port()));
        assert_eq!(s.options().len(), 20);
        // Re-emit with a real checksum (lo left a partial one) and verify it.
        let (src, dst): (IpAddr, IpAddr) =
            ("127.0.0.1".parse().unwrap(), "127.0.0.1".parse().unwrap());
        let r = Repr::parse_unchecked(&s);
        let mut out = vec![0u8; r.buffer_len()];
        r.emit(&mut out, src, dst).unwrap();
        assert_eq!(out[..16], syn[20..36]);
        let p = Packet::new_checked(&out[..]).unwrap();
        assert_eq!(Repr::parse(&p, src, dst).unwrap(), r);
        assert!(matches!(
            Packet::new_checked(&[0u8; 20][..]),
            Err(WireError::Malformed { .. })
        ));
    }
}
