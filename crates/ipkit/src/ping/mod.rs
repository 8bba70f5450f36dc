//! The ICMP echo engine behind `ipkit ping`.
//!
//! [`track`] decides (pure); the socket side lives in [`crate::sys`].

pub mod track;
