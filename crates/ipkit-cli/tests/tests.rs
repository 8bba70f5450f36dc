//! Integration tests: they run the real `ipkit` binary.

mod addr;
mod cidr;
mod cli;
mod connect;
mod dns;
mod grep;
mod ifaces;
mod info;
mod info_fetch;
mod json_contract;
mod lab;
mod live;
mod mcast;
mod metrics_lab;
mod neigh;
mod ping;
mod plot;
mod resolve;
mod serve;
mod service;
mod sockets;
mod trace;
mod trace_info;
mod trace_lab;
mod util;
mod windows_views;
