//! The operating system's trace channel behind [`super::System`]:
//! `crate::sys::TraceSocket` (on Linux raw sockets with CAP_NET_RAW, else
//! unprivileged ICMP, UDP and TCP-connect sockets; elsewhere a stub answering
//! [`TraceError::Unsupported`]).

use super::TraceError;
use super::channel::{ChannelConfig, System, TraceProvider};

impl TraceProvider for System {
    type Channel = crate::sys::TraceSocket;

    fn open(&self, config: &ChannelConfig) -> Result<Self::Channel, TraceError> {
        crate::sys::TraceSocket::open(config)
    }
}
