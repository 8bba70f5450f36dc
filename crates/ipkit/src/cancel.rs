//! Cancellation, passed in: every engine that runs for a while takes a
//! [`Cancel`] and stops at its next step once it is cancelled, returning what
//! it has so far. The engines never install signal handlers themselves; a
//! program maps Ctrl-C (or a closed connection, or a deadline of its own) to
//! [`Cancel::cancel`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A cancellation token: cheap to clone, every clone sees the same state.
///
/// ```
/// let token = ipkit::cancel::Cancel::new();
/// let seen_by_engine = token.clone();
/// assert!(!seen_by_engine.is_cancelled());
/// token.cancel();
/// assert!(seen_by_engine.is_cancelled());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A token not yet cancelled.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Cancel: every engine holding a clone stops at its next step.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`Cancel::cancel`] was called (or the flag was set).
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// The flag itself, for code that sets it from a signal handler (such
    /// as `signal_hook::flag::register`, whose handler only stores to it).
    pub fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.0)
    }
}
