//! The event stream: one consumer's view of one of the engine's bounded streams, as a
//! blocking receiver and an [`Iterator`].

use std::collections::VecDeque;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::Duration;

use esl_proto::client::{Incoming, StreamId};
use esl_proto::Event;

use crate::conn::Conn;
use crate::signal::{self, Signal};

/// Items taken from the engine per lock: a consumer that keeps up takes a whole read's worth
/// at once instead of locking the connection once per event.
const BATCH: usize = 256;

/// A stream of what the switch sends that is not a reply: events, log lines, notices, and
/// gap markers ([`Incoming`]). Bounded; see [`Overflow`](crate::Overflow) for what happens
/// when it is full, and [`EventStream::dropped`] for how many events that cost.
///
/// Each [`events`](crate::Handle::events) call makes a new, independent stream; dropping it
/// unsubscribes it. As an [`Iterator`] it blocks for each item and ends when the connection
/// has closed for good and the stream is drained.
pub struct EventStream {
    conn: Arc<Conn>,
    id: StreamId,
    signal: Arc<Signal>,
    local: VecDeque<Incoming>,
    ended: bool,
}

impl EventStream {
    pub(crate) fn open(conn: Arc<Conn>) -> EventStream {
        let signal = Arc::new(Signal::default());
        let id = conn.lock().engine.open_stream(signal.clone());
        EventStream::with(conn, id, signal)
    }

    /// A stream of the call table's changes.
    pub(crate) fn open_changes(conn: Arc<Conn>) -> EventStream {
        let signal = Arc::new(Signal::default());
        let now = conn.now();
        let id = conn.lock().engine.open_change_stream(now, signal.clone());
        // The table's own subscriptions and listing go out now.
        conn.notify();
        EventStream::with(conn, id, signal)
    }

    fn with(conn: Arc<Conn>, id: StreamId, signal: Arc<Signal>) -> EventStream {
        EventStream {
            conn,
            id,
            signal,
            local: VecDeque::new(),
            ended: false,
        }
    }

    /// The next item, blocking; `None` once the connection is closed for good and the
    /// stream drained.
    pub fn recv(&mut self) -> Option<Incoming> {
        self.wait(None).ok()
    }

    /// The next item, blocking at most `timeout`.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Incoming, RecvTimeoutError> {
        self.wait(signal::deadline(timeout))
    }

    /// The next item if one is queued.
    pub fn try_recv(&mut self) -> Option<Incoming> {
        if self.local.is_empty() {
            self.refill();
        }
        self.local.pop_front()
    }

    /// The next [`Incoming::Event`], skipping log lines, notices and gap markers (see
    /// [`EventStream::recv`] to see those, or [`EventStream::dropped`] to count losses).
    pub fn next_event(&mut self) -> Option<Event> {
        loop {
            if let Incoming::Event(event) = self.recv()? {
                return Some(event);
            }
        }
    }

    /// Events dropped so far by the overflow policy.
    pub fn dropped(&self) -> u64 {
        self.conn.lock().engine.dropped(self.id)
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.local.len() + self.conn.lock().engine.queued(self.id)
    }

    /// True if nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn refill(&mut self) {
        let drained = self
            .conn
            .lock()
            .engine
            .drain(self.id, &mut self.local, BATCH);
        if drained.resume_reading {
            self.conn.notify();
        }
        self.ended = drained.closed;
    }

    fn wait(&mut self, deadline: Option<std::time::Instant>) -> Result<Incoming, RecvTimeoutError> {
        loop {
            if let Some(item) = self.local.pop_front() {
                return Ok(item);
            }
            let seen = self.signal.generation();
            self.refill();
            if let Some(item) = self.local.pop_front() {
                return Ok(item);
            }
            if self.ended {
                return Err(RecvTimeoutError::Disconnected);
            }
            if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                return Err(RecvTimeoutError::Timeout);
            }
            self.signal.wait_past(seen, deadline);
        }
    }
}

impl Iterator for EventStream {
    type Item = Incoming;

    fn next(&mut self) -> Option<Incoming> {
        self.recv()
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.conn.lock().engine.close_stream(self.id);
        // A full stream under backpressure held the reading back.
        self.conn.notify();
    }
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("queued", &self.len())
            .field("dropped", &self.dropped())
            .finish()
    }
}
