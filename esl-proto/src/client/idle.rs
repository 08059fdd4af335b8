//! When a connection streaming events counts as idle: the buffers sized to the stream are
//! given back once the socket has had nothing to read for [`RELEASE_AFTER`], not at every
//! read that would block. Under a steady stream a read blocks many times a second, between
//! two writes of the switch; giving the buffers back each time made the next reads fault in
//! fresh pages (about one page fault per 72 KB event, and a fresh buffer every few events).

use std::time::{Duration, Instant};

use super::requests::later;

/// How long the socket has nothing to read before the engine gives back the memory it keeps
/// for the next messages.
pub const RELEASE_AFTER: Duration = Duration::from_millis(250);

/// The release schedule: when data last arrived, and when to look again.
#[derive(Debug)]
pub(crate) struct Idle {
    last_receive: Instant,
    /// Set by the first read that blocks after a release; moved on, not reset, by traffic
    /// (so a busy connection's deadline changes at most once per [`RELEASE_AFTER`]).
    release_at: Option<Instant>,
}

impl Idle {
    pub(crate) fn new(now: Instant) -> Idle {
        Idle {
            last_receive: now,
            release_at: None,
        }
    }

    pub(crate) fn received(&mut self, now: Instant) {
        self.last_receive = now;
    }

    pub(crate) fn read_blocked(&mut self, now: Instant) {
        if self.release_at.is_none() {
            self.release_at = Some(later(now, RELEASE_AFTER));
        }
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.release_at
    }

    /// True when the memory is to be given back now: a release is scheduled and nothing has
    /// arrived for [`RELEASE_AFTER`]. Otherwise a scheduled release moves to
    /// [`RELEASE_AFTER`] after the last data.
    pub(crate) fn due(&mut self, now: Instant) -> bool {
        if self.release_at.is_none() {
            return false;
        }
        let quiet_from = later(self.last_receive, RELEASE_AFTER);
        if now >= quiet_from {
            self.release_at = None;
            true
        } else {
            self.release_at = Some(quiet_from);
            false
        }
    }
}
