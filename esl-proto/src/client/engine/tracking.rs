//! The live call table: fed every event, rebuilt from `show channels` when events may have
//! been missed (when tracking starts, and after a reconnect).

use super::*;

/// The call table and whether it may be missing something.
#[derive(Debug)]
pub(super) struct Tracking {
    pub(super) tracker: Tracker,
    /// Events may have been missed since the table was last complete.
    pub(super) stale: bool,
    /// The `show channels as json` in flight.
    pub(super) listing: Option<RequestId>,
}

impl<W: Clone, H: Clone, S: Clone> Engine<W, H, S> {
    /// Keeps a live call table from now on: subscribes (for as long as the client lives, on
    /// every connection) to the events [`Tracker::EVENTS`] names, `CHANNEL_DESTROY` included,
    /// and lists the channels already up with `show channels as json`. Events the
    /// application did not subscribe to still do not reach its streams.
    pub fn track(&mut self, now: Instant) {
        let _ = now;
        if self.tracking.is_some() {
            return;
        }
        self.tracking = Some(Tracking {
            tracker: Tracker::new(),
            stale: true,
            listing: None,
        });
        for name in Tracker::EVENTS {
            self.conn.keep_subscribed(name);
        }
        if self.conn.is_ready() {
            self.list_channels();
        }
    }

    /// The live call table, once [`Engine::track`] started it.
    pub fn tracker(&self) -> Option<&Tracker> {
        self.tracking.as_ref().map(|t| &t.tracker)
    }

    /// True while the call table may miss what happened while events were not received (it
    /// is being rebuilt after a reconnect, or could not be).
    pub fn is_table_stale(&self) -> bool {
        self.tracking.as_ref().is_some_and(|t| t.stale)
    }

    pub(super) fn track_event(&mut self, event: &Event) {
        if let Some(tracking) = self.tracking.as_mut() {
            for change in tracking.tracker.update(event) {
                self.streams.push(Incoming::Change(change));
            }
        }
    }

    /// Asks for the channels that are up, to rebuild the call table from.
    pub(super) fn list_channels(&mut self) {
        let sent = self.conn.send(Command::api("show channels as json"));
        if let (Some(tracking), Ok(id)) = (self.tracking.as_mut(), sent) {
            tracking.listing = Some(id);
        }
    }

    pub(super) fn on_listing(&mut self, response: &Response) {
        let Some(tracking) = self.tracking.as_mut() else {
            return;
        };
        tracking.listing = None;
        match tracking.tracker.rebuild(&response.text()) {
            Ok(changes) => {
                tracking.stale = false;
                for change in changes {
                    self.streams.push(Incoming::Change(change));
                }
            }
            Err(error) => {
                tracing::warn!(%error, "the call table cannot be rebuilt; it stays stale");
            }
        }
    }
}
