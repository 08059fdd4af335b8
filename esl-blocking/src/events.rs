//! The event stream: a bounded queue per subscriber, with a stated overflow policy.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use esl_proto::Event;

use crate::config::Overflow;
use crate::signal::{self, lock, Signal};

pub use esl_async::{Gap, Incoming};

use esl_async::Backlog;

struct Items {
    /// The items and the overflow policy, shared with the async adapters.
    backlog: Backlog,
    /// No more items will come.
    closed: bool,
    /// The consumer sleeps until woken (a push then wakes it, once).
    sleeping: bool,
}

impl Items {
    /// True if the consumer must be woken; it is then counted as awake.
    fn wake(&mut self) -> bool {
        std::mem::take(&mut self.sleeping)
    }
}

/// The queue behind one [`EventStream`].
pub(crate) struct Queue {
    items: Mutex<Items>,
    /// Wakes the consumer: an item, or the end.
    available: Condvar,
    /// Wakes the connection's reader thread when room is made (backpressure) or the stream
    /// is dropped.
    reader: Arc<Signal>,
    receiver_gone: AtomicBool,
}

impl Queue {
    pub(crate) fn new(capacity: usize, overflow: Overflow, reader: Arc<Signal>) -> Arc<Queue> {
        Arc::new(Queue {
            items: Mutex::new(Items {
                backlog: Backlog::new(capacity, overflow),
                closed: false,
                sleeping: false,
            }),
            available: Condvar::new(),
            reader,
            receiver_gone: AtomicBool::new(false),
        })
    }

    /// Adds an item, applying the overflow policy. Returns false once nobody reads the queue.
    #[cfg(test)]
    pub(crate) fn push(&self, item: Incoming) -> bool {
        self.push_all(std::iter::once(item))
    }

    /// Adds items in order under one lock, applying the overflow policy to each, and wakes
    /// the consumer once. Returns false once nobody reads the queue.
    pub(crate) fn push_all(&self, incoming: impl IntoIterator<Item = Incoming>) -> bool {
        if self.receiver_gone.load(Ordering::Acquire) {
            return false;
        }
        let mut items = lock(&self.items);
        for item in incoming {
            items.backlog.push(item);
        }
        // Only a sleeping consumer costs a wake-up: a busy one finds the items itself.
        let wake = items.wake();
        drop(items);
        if wake {
            self.available.notify_one();
        }
        true
    }

    /// A reconnection marker (not counted against the capacity).
    pub(crate) fn push_gap(&self, gap: Gap) {
        let mut items = lock(&self.items);
        items.backlog.push_gap(gap);
        let wake = items.wake();
        drop(items);
        if wake {
            self.available.notify_one();
        }
    }

    /// True while the queue is at capacity (the reader thread then holds off, with
    /// [`Overflow::Backpressure`]).
    pub(crate) fn is_full(&self) -> bool {
        !self.receiver_gone.load(Ordering::Acquire) && lock(&self.items).backlog.holds_back()
    }

    /// No more items will come.
    pub(crate) fn close(&self) {
        lock(&self.items).closed = true;
        self.available.notify_all();
    }

    pub(crate) fn is_receiver_gone(&self) -> bool {
        self.receiver_gone.load(Ordering::Acquire)
    }

    fn take(&self, items: &mut Items) -> Option<Incoming> {
        let held_back = items.backlog.holds_back();
        let item = items.backlog.pop()?;
        if held_back && !items.backlog.holds_back() {
            self.reader.notify();
        }
        Some(item)
    }

    fn pop(&self) -> Option<Incoming> {
        let mut items = lock(&self.items);
        self.take(&mut items)
    }

    /// The next item, waiting at most `timeout` (for ever with `None`).
    fn pop_wait(&self, timeout: Option<Duration>) -> Result<Incoming, RecvTimeoutError> {
        let deadline = timeout.and_then(signal::deadline);
        let mut items = lock(&self.items);
        loop {
            if let Some(item) = self.take(&mut items) {
                return Ok(item);
            }
            if items.closed {
                return Err(RecvTimeoutError::Disconnected);
            }
            items.sleeping = true;
            let (guard, expired) = signal::wait_until(&self.available, items, deadline);
            items = guard;
            items.sleeping = false;
            if expired && items.backlog.is_empty() && !items.closed {
                return Err(RecvTimeoutError::Timeout);
            }
        }
    }
}

/// A stream of what the switch sends that is not a reply: events, log lines, notices, and
/// gap markers. Bounded; see [`Overflow`] for what happens when it is full.
///
/// Each [`events`](crate::Handle::events) call makes a new, independent stream. Dropping
/// the stream unsubscribes it. It is an [`Iterator`] that blocks for the next item and ends
/// once the connection is closed for good and the queue drained.
pub struct EventStream {
    queue: Arc<Queue>,
}

impl EventStream {
    pub(crate) fn new(queue: Arc<Queue>) -> EventStream {
        EventStream { queue }
    }

    /// The next item, waiting as long as it takes; `None` once the connection is closed for
    /// good and the queue drained.
    pub fn recv(&mut self) -> Option<Incoming> {
        self.queue.pop_wait(None).ok()
    }

    /// The next item, waiting at most `timeout`. [`RecvTimeoutError::Disconnected`] once the
    /// connection is closed for good and the queue drained.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Incoming, RecvTimeoutError> {
        self.queue.pop_wait(Some(timeout))
    }

    /// The next item if one is queued.
    pub fn try_recv(&mut self) -> Option<Incoming> {
        self.queue.pop()
    }

    /// The next [`Incoming::Event`], skipping log lines, notices and gaps.
    pub fn next_event(&mut self) -> Option<Event> {
        loop {
            match self.recv()? {
                Incoming::Event(event) => return Some(event),
                _ => continue,
            }
        }
    }

    /// Events dropped so far by the overflow policy.
    pub fn dropped(&self) -> u64 {
        lock(&self.queue.items).backlog.dropped()
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        lock(&self.queue.items).backlog.len()
    }

    /// True if nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        self.queue.receiver_gone.store(true, Ordering::Release);
        self.queue.reader.notify();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u32) -> Incoming {
        Incoming::Event(Event::builder("CUSTOM").header("n", n.to_string()).build())
    }

    fn drain(stream: &mut EventStream) -> Vec<String> {
        std::iter::from_fn(|| stream.try_recv())
            .map(|i| match i {
                Incoming::Event(e) => e.header("n").unwrap().into_owned(),
                Incoming::Gap(Gap::Lost(n)) => format!("gap{n}"),
                other => format!("{other:?}"),
            })
            .collect()
    }

    fn queue(capacity: usize, overflow: Overflow) -> Arc<Queue> {
        Queue::new(capacity, overflow, Arc::new(Signal::default()))
    }

    #[test]
    fn drop_newest_keeps_the_first_and_marks_the_gap_where_it_is() {
        let q = queue(2, Overflow::DropNewest);
        let mut s = EventStream::new(q.clone());
        for n in 0..5 {
            q.push(event(n));
        }
        assert_eq!(s.dropped(), 3);
        assert_eq!(drain(&mut s), ["0", "1", "gap3"]);
        // A consumer that keeps up sees everything.
        for n in 5..8 {
            q.push(event(n));
            assert_eq!(drain(&mut s), [n.to_string()]);
        }
    }

    #[test]
    fn drop_oldest_keeps_the_latest() {
        let q = queue(2, Overflow::DropOldest);
        let mut s = EventStream::new(q.clone());
        for n in 0..5 {
            q.push(event(n));
        }
        assert_eq!(s.dropped(), 3);
        assert_eq!(drain(&mut s), ["gap3", "3", "4"]);
    }

    #[test]
    fn backpressure_reports_full_and_signals_the_reader_when_room_is_made() {
        let signal = Arc::new(Signal::default());
        let q = Queue::new(2, Overflow::Backpressure, signal.clone());
        let mut s = EventStream::new(q.clone());
        q.push(event(0));
        assert!(!q.is_full());
        q.push(event(1));
        assert!(q.is_full());
        let seen = signal.generation();
        s.try_recv();
        assert!(!q.is_full());
        assert!(signal.generation() > seen);
        assert_eq!(s.dropped(), 0);
    }

    #[test]
    fn a_dropped_stream_stops_taking_items() {
        let q = queue(2, Overflow::DropNewest);
        drop(EventStream::new(q.clone()));
        assert!(!q.push(event(0)));
    }

    #[test]
    fn recv_waits_for_an_item_and_ends_when_closed() {
        let q = queue(4, Overflow::DropNewest);
        let mut s = EventStream::new(q.clone());
        assert_eq!(
            s.recv_timeout(Duration::from_millis(20)).unwrap_err(),
            RecvTimeoutError::Timeout
        );
        let pusher = {
            let q = q.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(30));
                q.push(event(7));
                q.close();
            })
        };
        assert!(matches!(s.recv(), Some(Incoming::Event(_))));
        pusher.join().unwrap();
        assert!(s.recv().is_none());
        assert_eq!(
            s.recv_timeout(Duration::from_secs(1)).unwrap_err(),
            RecvTimeoutError::Disconnected
        );
        assert_eq!(s.count(), 0);
    }
}
