//! An outbound server's calls: how many are under way, handled and refused, and whether a
//! shutdown began. Shared between the server's accepting side and its shutdown handles.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// Counts an outbound server's calls, and admits a new one only under the limit.
///
/// ```
/// use esl_proto::client::CallCounters;
///
/// let calls = CallCounters::default();
/// assert!(calls.admit(1));
/// assert!(!calls.admit(1), "one call under way is the limit");
/// calls.ended();
/// assert_eq!((calls.active(), calls.handled(), calls.rejected()), (0, 1, 1));
/// ```
#[derive(Debug, Default)]
pub struct CallCounters {
    active: AtomicUsize,
    handled: AtomicU64,
    rejected: AtomicU64,
    stopping: AtomicBool,
}

impl CallCounters {
    /// A new call: admitted (and counted) if fewer than `max` are under way and no shutdown
    /// began, refused (and counted) otherwise.
    pub fn admit(&self, max: usize) -> bool {
        if self.is_stopping() || self.active.load(Ordering::Acquire) >= max {
            self.refused();
            return false;
        }
        self.active.fetch_add(1, Ordering::AcqRel);
        self.handled.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// A call was refused for another reason (no file descriptor left, ...).
    pub fn refused(&self) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
    }

    /// An admitted call ended.
    pub fn ended(&self) {
        self.active.fetch_sub(1, Ordering::AcqRel);
    }

    /// A graceful shutdown began: no call is admitted any more.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
    }

    /// True once a shutdown began.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Calls under way.
    pub fn active(&self) -> usize {
        self.active.load(Ordering::Acquire)
    }

    /// Calls admitted so far (ended or under way).
    pub fn handled(&self) -> u64 {
        self.handled.load(Ordering::Acquire)
    }

    /// Calls refused so far.
    pub fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Acquire)
    }
}
