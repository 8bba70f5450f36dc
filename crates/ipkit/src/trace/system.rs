//! The operating system's trace channel behind [`super::System`]: a stub
//! answering [`TraceError::Unsupported`] until the platform's sockets land
//! (this file is the platform part's to replace).

use super::TraceError;
use super::channel::{
    ChannelConfig, ProbeSpec, SendError, System, TraceChannel, TraceProvider, TraceReply,
};

/// A channel that never opens: [`System`]'s until the platform lands.
#[derive(Debug)]
pub struct NoChannel;

impl TraceProvider for System {
    type Channel = NoChannel;

    fn open(&self, _config: &ChannelConfig) -> Result<Self::Channel, TraceError> {
        Err(TraceError::Unsupported)
    }
}

impl TraceChannel for NoChannel {
    fn unprivileged(&self) -> bool {
        false
    }
    fn send(&mut self, _probe: &ProbeSpec) -> Result<(), SendError> {
        Err(SendError::Io(std::io::ErrorKind::Unsupported.into()))
    }
    fn try_recv(&mut self) -> std::io::Result<Option<TraceReply>> {
        Ok(None)
    }
    async fn wait(&self, _limit: std::time::Duration) -> std::io::Result<()> {
        Err(std::io::ErrorKind::Unsupported.into())
    }
}
