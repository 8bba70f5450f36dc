//! # ipkit
//!
//! The I/O half of ipkit: engines that ask the operating system. Each engine
//! is a module that takes a request type and returns typed results; it never
//! prints. Per-OS code lives in [`sys`] behind small functions so the engines
//! never see `cfg`.

pub mod dns;
pub mod dns_bulk;
mod dns_tls;
pub mod host;
pub mod iface;
pub mod ping;
pub mod resolve;
pub mod services;
pub mod sys;
