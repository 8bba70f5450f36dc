//! # ipkit-core
//!
//! The pure half of ipkit: everything about IP addresses that can be decided
//! from the bytes alone. Nothing here opens a socket, reads a file or asks the
//! operating system anything, so every function is deterministic and easy to
//! test and fuzz. The `ipkit` crate adds the I/O; the `ipkit` binary renders.
//!
//! - [`prefix`]: IPv4/IPv6 prefixes (`Ipv4Net`, `Ipv6Net`, `IpNet`) in slash
//!   and dotted-mask notation.
//! - [`addr`]: what an address *is*: classful view, IANA special-purpose
//!   blocks, IPv6 scopes, embedded IPv4, EUI-64, reverse-DNS names.
//! - [`legacy`]: the ambiguous `inet_aton` forms (`127.1`, `0x7f.1`, …).
//! - [`sockaddr`]: socket-address text forms (`[fe80::1%eth0]:80`) and the
//!   `sockaddr_in`/`sockaddr_in6` fields they stand for.
//! - [`resolvconf`]: resolv.conf as glibc reads it, and the search-list order.
//! - [`set`]: address sets: merge, exclude, split, ranges.
//! - [`services`]: the services and protocols databases (and a built-in copy).
//! - [`wire`]: IPv4/IPv6/ICMP/UDP/TCP packet views, smoltcp style.
//! - [`scan`]: finding addresses in text with exact boundaries.
//! - [`host`]: the host tables' vocabulary: MAC addresses, TCP and neighbour
//!   states, `/proc` socket links.
//! - [`leases`]: DHCP lease files (dhclient, systemd-networkd) and
//!   systemd-resolved's per-link state, parsed from text.

#![deny(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

pub mod addr;
pub mod host;
pub mod leases;
pub mod legacy;
pub mod prefix;
pub mod resolvconf;
pub mod scan;
pub mod services;
pub mod set;
pub mod sockaddr;
pub mod text;
pub mod wire;

pub use prefix::{IpNet, Ipv4Net, Ipv6Net, PrefixError};
