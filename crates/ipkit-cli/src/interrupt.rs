//! Ctrl-C and SIGTERM as a cancellation token.
//!
//! Streaming commands install [`Interrupt`] once; the first SIGINT or SIGTERM
//! cancels the token the engines poll ([`ipkit::cancel::Cancel`]), so the command flushes what it
//! has, prints its summary with what was not done, and exits with
//! [`Interrupt::exit_code`]: 130 after SIGINT, 143 after SIGTERM (128 + the
//! signal number, as shells report a process killed by it). A second signal
//! of either kind ends the process at once with the default action.
//!
//! Built on `signal-hook` (its handlers only store to atomics, which is
//! async-signal-safe); no handler of our own.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ipkit::cancel::Cancel;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::flag;

/// The cancellation token the first SIGINT/SIGTERM sets.
#[derive(Debug, Clone)]
pub struct Interrupt {
    stop: Cancel,
    signal: Arc<AtomicUsize>,
}

impl Interrupt {
    /// Install the handlers for SIGINT and SIGTERM. If they cannot be
    /// installed the token simply never fires (the signals keep their
    /// default action).
    pub fn install() -> Interrupt {
        let it = Interrupt::never();
        for sig in [SIGINT, SIGTERM] {
            // Order matters: the conditional default runs before the flag is
            // set by this same signal, so only a second signal kills.
            let _ = flag::register_conditional_default(sig, it.stop.flag());
            let _ = flag::register_usize(sig, Arc::clone(&it.signal), sig as usize);
            let _ = flag::register(sig, it.stop.flag());
        }
        it
    }

    /// A token no signal sets (for tests and non-streaming paths).
    pub fn never() -> Interrupt {
        Interrupt {
            stop: Cancel::new(),
            signal: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The token engines poll.
    pub fn token(&self) -> &Cancel {
        &self.stop
    }

    /// Whether a signal has arrived.
    pub fn fired(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// The signal that arrived first, if any.
    pub fn signal(&self) -> Option<i32> {
        match self.signal.load(Ordering::SeqCst) {
            0 => self.fired().then_some(SIGINT),
            n => i32::try_from(n).ok(),
        }
    }

    /// 130 after SIGINT, 143 after SIGTERM; None when no signal arrived.
    pub fn exit_code(&self) -> Option<u8> {
        self.signal().and_then(|s| u8::try_from(128 + s).ok())
    }
}
