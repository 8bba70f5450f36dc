//! IPv6 fixed headers (RFC 8200 §3). Extension headers are not walked: the
//! next-header value is reported as it stands.

use std::net::Ipv6Addr;

use super::{IpProtocol, Layer, WireError, be16, need, set_be16};

mod field {
    pub const VER_TC_FLOW: std::ops::Range<usize> = 0..4;
    pub const LENGTH: usize = 4;
    pub const NXT_HDR: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC: std::ops::Range<usize> = 8..24;
    pub const DST: std::ops::Range<usize> = 24..40;
}

/// The fixed header length.
pub const HEADER_LEN: usize = 40;

/// A checked view of an IPv6 header and what follows it.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Check the version and that the fixed header fits (the payload may be
    /// cut short, as in an ICMPv6 error's quote).
    ///
    /// # Examples
    /// ```
    /// use ipkit_core::wire::ipv6::Packet;
    /// assert!(Packet::new_checked(&[0x60u8; 39][..]).is_err());
    /// assert!(Packet::new_checked(&[0x60u8; 40][..]).is_ok());
    /// ```
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let b = buffer.as_ref();
        need(Layer::Ipv6, b, HEADER_LEN)?;
        if b[0] >> 4 != 6 {
            return Err(WireError::BadVersion {
                layer: Layer::Ipv6,
                got: b[0] >> 4,
                want: 6,
            });
        }
        Ok(Packet { buffer })
    }
    /// Traffic class.
    pub fn traffic_class(&self) -> u8 {
        let b = self.buffer.as_ref();
        (b[0] << 4) | (b[1] >> 4)
    }
    /// Flow label (20 bits).
    pub fn flow_label(&self) -> u32 {
        super::be32(&self.buffer.as_ref()[field::VER_TC_FLOW], 0) & 0x000f_ffff
    }
    /// Payload length field.
    pub fn payload_len(&self) -> u16 {
        be16(self.buffer.as_ref(), field::LENGTH)
    }
    /// Next header.
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol::from(self.buffer.as_ref()[field::NXT_HDR])
    }
    /// Hop limit.
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::HOP_LIMIT]
    }
    /// Source.
    pub fn src(&self) -> Ipv6Addr {
        let b: [u8; 16] = self.buffer.as_ref()[field::SRC]
            .try_into()
            .unwrap_or([0; 16]);
        Ipv6Addr::from(b)
    }
    /// Destination.
    pub fn dst(&self) -> Ipv6Addr {
        let b: [u8; 16] = self.buffer.as_ref()[field::DST]
            .try_into()
            .unwrap_or([0; 16]);
        Ipv6Addr::from(b)
    }
    /// The payload, up to the payload length or the buffer's end.
    pub fn payload(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        let end = (HEADER_LEN + usize::from(self.payload_len())).min(b.len());
        &b[HEADER_LEN..end]
    }
}

/// A parsed IPv6 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    /// Source.
    pub src: Ipv6Addr,
    /// Destination.
    pub dst: Ipv6Addr,
    /// Next header.
    pub next_header: IpProtocol,
    /// Hop limit.
    pub hop_limit: u8,
    /// Traffic class.
    pub traffic_class: u8,
    /// Flow label.
    pub flow_label: u32,
    /// Payload length.
    pub payload_len: usize,
}

impl Repr {
    /// Parse (IPv6 has no header checksum).
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Repr {
        Repr {
            src: p.src(),
            dst: p.dst(),
            next_header: p.next_header(),
            hop_limit: p.hop_limit(),
            traffic_class: p.traffic_class(),
            flow_label: p.flow_label(),
            payload_len: usize::from(p.payload_len()),
        }
    }

    /// Write the 40-byte header.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        need(Layer::Ipv6, buf, HEADER_LEN)?;
        let len = u16::try_from(self.payload_len).map_err(|_| WireError::Malformed {
            layer: Layer::Ipv6,
            field: "payload length",
            value: self.payload_len,
        })?;
        let word =
            (6u32 << 28) | (u32::from(self.traffic_class) << 20) | (self.flow_label & 0x000f_ffff);
        buf[field::VER_TC_FLOW].copy_from_slice(&word.to_be_bytes());
        set_be16(buf, field::LENGTH, len);
        buf[field::NXT_HDR] = self.next_header.into();
        buf[field::HOP_LIMIT] = self.hop_limit;
        buf[field::SRC].copy_from_slice(&self.src.octets());
        buf[field::DST].copy_from_slice(&self.dst.octets());
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::wire::ipv4::tests::hex;

    /// An ICMPv6 echo request to ::1, captured on lo (AF_PACKET, Ethernet header removed).
    pub const ECHO6_REQUEST: &str = "600e440600103a40000000000000000000000000000000010000000000000000000000000000000180007d4d4321000769706b69742d7636";
    /// The kernel's ICMPv6 port unreachable for a UDP datagram to [::1]:9.
    pub const PORT_UNREACHABLE6: &str = "600a4cf100403a4000000000000000000000000000000001000000000000000000000000000000010104736b000000006002744a001011400000000000000000000000000000000100000000000000000000000000000001eb0300090010002368656c6c6f2d7636";

    #[test]
    fn captured_header_round_trips() {
        let bytes = hex(ECHO6_REQUEST);
        let p = Packet::new_checked(&bytes[..]).unwrap();
        let r = Repr::parse(&p);
        assert_eq!(
            (r.src, r.dst, r.next_header, r.hop_limit, r.payload_len),
            (
                Ipv6Addr::LOCALHOST,
                Ipv6Addr::LOCALHOST,
                IpProtocol::Icmpv6,
                64,
                16
            )
        );
        assert_eq!(r.flow_label, 0xe4406);
        let mut out = [0u8; 40];
        r.emit(&mut out).unwrap();
        assert_eq!(out[..], bytes[..40]);
        assert!(matches!(
            Packet::new_checked(&[0x40u8; 40][..]),
            Err(WireError::BadVersion { .. })
        ));
    }
}
