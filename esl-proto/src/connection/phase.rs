//! The connection's phases, and every change between them, in one place.
//!
//! ```text
//! inbound, automatic auth:  AwaitAuthRequest -> Authenticating -> Ready -> Closed
//! inbound, manual auth:     Open ----------------------------------> Ready -> Closed
//! outbound:                 Connecting --------------------------> Ready -> Closed
//! ```
//!
//! Any phase may go to `Closed`: the peer closed, the application closed, or a fatal error.

use super::output::{Output, Ready};
use super::Connection;
use crate::error::{CloseReason, Error, RequestError};
use crate::event::Event;
use crate::message::Reply;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Inbound, automatic auth: waiting for `auth/request`.
    AwaitAuthRequest,
    /// Inbound: `auth` sent.
    Authenticating,
    /// Outbound: `connect` sent.
    Connecting,
    /// Inbound with [`Auth::Manual`](super::Auth::Manual) before a successful `auth`:
    /// commands go straight out.
    Open,
    Ready,
    Closed,
}

impl Phase {
    /// True while commands go out as they are sent (not held for the handshake).
    pub(super) fn sends_at_once(self) -> bool {
        matches!(self, Phase::Ready | Phase::Open)
    }
}

impl Connection {
    /// `auth/request` came and the credentials went out.
    pub(super) fn begin_auth(&mut self) {
        debug_assert_eq!(self.phase, Phase::AwaitAuthRequest);
        self.phase = Phase::Authenticating;
    }

    /// The handshake is done: the held commands go out, after any replayed subscriptions.
    pub(super) fn become_ready(&mut self, reply: Reply, channel: Option<Event>) {
        self.phase = Phase::Ready;
        self.outputs
            .push_back(Output::Ready(Ready { reply, channel }));
        self.release_held();
    }

    /// The connection ended without an error: every open request fails, then `Closed`.
    pub(super) fn finish(&mut self, reason: CloseReason) {
        self.fail_all(RequestError::ConnectionClosed(reason));
        self.outputs.push_back(Output::Closed(reason));
        self.phase = Phase::Closed;
    }

    /// A fatal error: every open request fails, and the error is sticky.
    pub(super) fn fail(&mut self, error: Error) {
        self.fail_all(RequestError::ConnectionFailed(error.clone()));
        self.error = Some(error);
        self.phase = Phase::Closed;
    }
}
