//! Where the engine's socket stands, and the one deadline each state has.
//!
//! ```text
//!            Connect            connected          ready
//! (start) -> Opening ---------> Up(handshake) ---> Up ----------+
//!               ^  failed/late       | failed/late    | lost    | close()
//!               |                    v                v         v
//!               +---- Backoff <------+----------------+      Closing -> Finished
//! ```
//!
//! Without a reconnect policy (or before the first handshake succeeded, or outbound), what
//! would go to `Backoff` goes to `Finished` instead.

use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Link {
    /// [`Action::Connect`](super::Action::Connect) given; the socket and the handshake must
    /// be done by `deadline`.
    Opening { attempt: u32, deadline: Instant },
    /// A socket is up; `handshake` is its deadline until the switch accepted us.
    Up {
        handshake: Option<Instant>,
        attempt: u32,
    },
    /// Waiting until `until` before attempt `attempt`.
    Backoff { attempt: u32, until: Instant },
    /// `exit` sent; the goodbye or the end of the socket is due by `deadline`.
    Closing { deadline: Instant },
    /// No socket, and none to come.
    Finished,
}

impl Link {
    /// When this state ends by itself.
    pub(super) fn deadline(&self) -> Option<Instant> {
        match *self {
            Link::Opening { deadline, .. } | Link::Closing { deadline } => Some(deadline),
            Link::Up { handshake, .. } => handshake,
            Link::Backoff { until, .. } => Some(until),
            Link::Finished => None,
        }
    }

    /// The handshake is done: no deadline, and the attempts count from zero again.
    pub(super) fn handshake_done(&mut self) {
        if let Link::Up { handshake, attempt } = self {
            *handshake = None;
            *attempt = 0;
        }
    }
}
