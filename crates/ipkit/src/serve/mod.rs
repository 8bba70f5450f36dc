//! `ipkit serve`: version-independent servers. [`listen`] opens one socket
//! per address family the way the chapter does (getaddrinfo with
//! AI_PASSIVE and AF_UNSPEC, IPV6_V6ONLY on the IPv6 socket); [`echo`] is
//! the TCP and UDP echo server of its practice; [`http`] is the
//! ipinfo-style HTTP API over the same [`crate::info`] records as
//! `ipkit info`. The engines never print: they report typed events to a
//! callback and stop when their [`crate::cancel::Cancel`] fires.

pub mod echo;
pub mod http;
pub mod listen;

use std::time::Duration;

use crate::cancel::Cancel;

/// How often the async servers look at their cancellation flag.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// Resolve once `cancel` has fired (polling the flag: the token is a plain
/// atomic so that signal handlers can set it).
pub(crate) async fn cancelled(cancel: &Cancel) {
    while !cancel.is_cancelled() {
        tokio::time::sleep(CANCEL_POLL).await;
    }
}
