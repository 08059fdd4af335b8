//! The socket's life: a lost connection, a failed attempt, the reconnect schedule, and the
//! end. See [`Link`] for the states.

use super::*;

impl<W: Clone, H: Clone, S: Clone> Engine<W, H, S> {
    /// The socket is gone (or its protocol broke). Reconnects if the policy says so.
    pub(super) fn lost(&mut self, now: Instant, error: Error) {
        self.actions.push_back(Action::Disconnect);
        let reconnecting = matches!(self.role, Role::Inbound)
            && self.config.reconnect.is_some()
            && self.ready_once;
        if !reconnecting {
            tracing::debug!(%error, "connection ended");
            self.finish(now, Err(error));
            return;
        }
        let attempt = match self.link {
            // A reconnect attempt that never got ready counts as failed.
            Link::Up {
                handshake: Some(_),
                attempt,
            } => attempt + 1,
            _ => 0,
        };
        tracing::warn!(%error, "connection lost; reconnecting");
        self.streams.push_gap(Gap::Disconnected);
        // What happens while away is not seen: the table is stale until listed again.
        if let Some(tracking) = self.tracking.as_mut() {
            tracking.stale = true;
        }
        self.renew();
        self.schedule(now, attempt, error);
    }

    /// A connect or handshake attempt failed.
    /// No socket or no handshake within the connect timeout.
    pub(super) fn connect_timeout(&self) -> Error {
        Error::ConnectTimeout {
            addr: self.peer.clone(),
            after: self.config.connect_timeout,
        }
    }

    pub(super) fn attempt_failed(&mut self, now: Instant, attempt: u32, error: Error) {
        if !self.ready_once || self.config.reconnect.is_none() {
            self.finish(now, Err(error));
            return;
        }
        if self.conn.is_closed() || self.conn.error().is_some() {
            self.renew();
        }
        self.schedule(now, attempt + 1, error);
    }

    /// A fresh connection for the next socket, with the subscriptions to replay and request
    /// ids that go on counting.
    pub(super) fn renew(&mut self) {
        // A connection lost while it was still replaying holds only part of the record.
        if self.conn_ready && !self.conn.is_replaying() {
            self.record = self.conn.subscriptions().clone();
        }
        self.conn_ready = false;
        let mut fresh = Connection::inbound(self.config.auth.clone())
            .with_limits(self.config.limits)
            .with_subscriptions(&self.record)
            .with_request_ids_after(&self.conn);
        if self.tracking.is_some() {
            for name in Tracker::EVENTS {
                fresh.keep_subscribed(name);
            }
        }
        let mut old = std::mem::replace(&mut self.conn, fresh);
        // Requests it still held (a failed handshake) end here.
        old.close();
        while let Ok(Some(output)) = old.poll_output() {
            if let Output::Failed { id, error } = output {
                if let Some(entry) = self.requests.remove(id) {
                    let error = self.request_error(error);
                    self.actions
                        .push_back(Action::Done(entry.waiter, Err(error)));
                }
            }
        }
    }

    /// Waits before attempt `attempt`, or gives up.
    pub(super) fn schedule(&mut self, now: Instant, attempt: u32, error: Error) {
        let Some(policy) = self.config.reconnect.clone() else {
            self.finish(now, Err(error));
            return;
        };
        if policy.max_attempts.is_some_and(|max| attempt >= max) {
            tracing::error!(attempts = attempt, "giving up reconnecting");
            self.finish(now, Err(error));
            return;
        }
        let wait = policy.delay_with(attempt, self.rng.unit());
        self.link = Link::Backoff {
            attempt,
            until: later(now, wait),
        };
    }

    /// The end: every open request fails, every stream ends.
    pub(super) fn finish(&mut self, now: Instant, result: Result<(), Error>) {
        if self.is_finished() {
            return;
        }
        self.link = Link::Finished;
        self.conn.close();
        self.pump(now);
        // Handlers often hold a handle of this very connection: dropped here, so that what
        // they hold does not keep the connection alive.
        self.handlers = EventHandlers::new();
        let reason = match &result {
            Ok(()) => Error::ConnectionClosed(CloseReason::Local),
            Err(error) => error.clone(),
        };
        for (_, entry) in self.requests.drain() {
            self.actions
                .push_back(Action::Done(entry.waiter, Err(reason.clone())));
        }
        self.streams.end();
        self.actions.push_back(Action::Finished(result));
    }
}
