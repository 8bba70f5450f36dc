//! Integration tests: they run the real `ipkit` binary.

mod addr;
mod cidr;
mod cli;
mod connect;
mod dns;
mod grep;
mod ifaces;
mod info;
mod json_contract;
mod lab;
mod neigh;
mod ping;
mod plot;
mod resolve;
mod service;
mod sockets;
mod trace;
mod trace_lab;
mod util;
mod windows_views;
