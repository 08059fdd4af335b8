//! The event stream: a bounded queue per subscriber, with a stated overflow policy.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use esl_proto::{DisconnectNotice, Event, LogLine};
use futures_util::task::AtomicWaker;
use futures_util::Stream;

use crate::backlog::Backlog;
use crate::config::Overflow;

/// One item of an event stream.
#[derive(Debug, Clone)]
pub enum Incoming {
    /// An event.
    Event(Event),
    /// A log line (after `log <level>`).
    Log(LogLine),
    /// A disconnect or linger notice.
    Notice(DisconnectNotice),
    /// Something is missing here: events dropped by the overflow policy, or a reconnection
    /// (events sent while the client was away were never received).
    Gap(Gap),
}

/// What a [`Incoming::Gap`] stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gap {
    /// This many events were dropped because the stream was full.
    Lost(u64),
    /// The connection was lost and made again; subscriptions were replayed.
    Reconnected,
}

/// The queue behind one [`EventStream`].
pub(crate) struct Queue {
    items: Mutex<Backlog>,
    consumer: AtomicWaker,
    /// Wakes the connection's driver when room is made (backpressure).
    driver: Arc<AtomicWaker>,
    /// Items were pushed and the consumer not yet woken for them.
    unwoken: AtomicBool,
    closed: AtomicBool,
    receiver_gone: AtomicBool,
}

impl Queue {
    pub(crate) fn new(capacity: usize, overflow: Overflow, driver: Arc<AtomicWaker>) -> Arc<Queue> {
        Arc::new(Queue {
            items: Mutex::new(Backlog::new(capacity, overflow)),
            consumer: AtomicWaker::new(),
            driver,
            unwoken: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            receiver_gone: AtomicBool::new(false),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Backlog> {
        self.items.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds an item and wakes the consumer. Returns false once nobody reads the queue.
    #[cfg(test)]
    pub(crate) fn push(&self, item: Incoming) -> bool {
        let pushed = self.push_all_quietly([item]);
        self.wake_if_pushed();
        pushed
    }

    /// Adds items in order under one lock, applying the overflow policy to each, without
    /// waking the consumer: the driver wakes consumers once at the end of its turn
    /// ([`Queue::wake_if_pushed`]), not once per read, since each wake-up of a parked
    /// consumer is a system call. Returns false once nobody reads the queue.
    pub(crate) fn push_all_quietly(&self, batch: impl IntoIterator<Item = Incoming>) -> bool {
        if self.receiver_gone.load(Ordering::Acquire) {
            return false;
        }
        let mut items = self.lock();
        for item in batch {
            items.push(item);
        }
        drop(items);
        self.unwoken.store(true, Ordering::Release);
        true
    }

    /// Wakes the consumer if items came since the last wake-up.
    pub(crate) fn wake_if_pushed(&self) {
        if self.unwoken.swap(false, Ordering::AcqRel) {
            self.consumer.wake();
        }
    }

    /// A reconnection marker (not counted against the capacity).
    pub(crate) fn push_gap(&self, gap: Gap) {
        self.lock().push_gap(gap);
        self.consumer.wake();
    }

    /// True while the queue is at capacity (the driver then holds off, with
    /// [`Overflow::Backpressure`]).
    pub(crate) fn is_full(&self) -> bool {
        // A stream nobody reads any more holds nothing back: its items are never taken.
        !self.is_receiver_gone() && self.lock().holds_back()
    }

    /// No more items will come.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.consumer.wake();
    }

    pub(crate) fn is_receiver_gone(&self) -> bool {
        self.receiver_gone.load(Ordering::Acquire)
    }

    fn pop(&self) -> Option<Incoming> {
        let mut items = self.lock();
        let held_back = items.holds_back();
        let item = items.pop()?;
        if held_back && !items.holds_back() {
            drop(items);
            self.driver.wake();
        }
        Some(item)
    }
}

/// A stream of what the switch sends that is not a reply: events, log lines, notices, and
/// gap markers. Bounded; see [`Overflow`] for what happens when it is full.
///
/// Each [`events`](crate::Handle::events) call makes a new, independent stream. Dropping
/// the stream unsubscribes it.
pub struct EventStream {
    queue: Arc<Queue>,
}

impl EventStream {
    pub(crate) fn new(queue: Arc<Queue>) -> EventStream {
        EventStream { queue }
    }

    /// The next item; `None` once the connection is closed for good and the queue drained.
    pub async fn recv(&mut self) -> Option<Incoming> {
        futures_util::StreamExt::next(self).await
    }

    /// The next item if one is queued.
    pub fn try_recv(&mut self) -> Option<Incoming> {
        self.queue.pop()
    }

    /// The next [`Incoming::Event`], skipping log lines, notices and gaps.
    pub async fn next_event(&mut self) -> Option<Event> {
        loop {
            match self.recv().await? {
                Incoming::Event(event) => return Some(event),
                _ => continue,
            }
        }
    }

    /// Events dropped so far by the overflow policy.
    pub fn dropped(&self) -> u64 {
        self.queue.lock().dropped()
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.queue.lock().len()
    }

    /// True if nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Stream for EventStream {
    type Item = Incoming;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Incoming>> {
        if let Some(item) = self.queue.pop() {
            return Poll::Ready(Some(item));
        }
        self.queue.consumer.register(cx.waker());
        // Re-check after registering, so a push in between is not missed.
        if let Some(item) = self.queue.pop() {
            return Poll::Ready(Some(item));
        }
        if self.queue.closed.load(Ordering::Acquire) {
            return Poll::Ready(None);
        }
        Poll::Pending
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.queue.receiver_gone.store(true, Ordering::Release);
        self.queue.driver.wake();
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

    #[test]
    fn drop_newest_keeps_the_first_and_marks_the_gap_where_it_is() {
        let q = Queue::new(2, Overflow::DropNewest, Arc::new(AtomicWaker::new()));
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
        let q = Queue::new(2, Overflow::DropOldest, Arc::new(AtomicWaker::new()));
        let mut s = EventStream::new(q.clone());
        for n in 0..5 {
            q.push(event(n));
        }
        assert_eq!(s.dropped(), 3);
        assert_eq!(drain(&mut s), ["gap3", "3", "4"]);
    }

    #[test]
    fn backpressure_reports_full_and_wakes_the_driver_when_room_is_made() {
        let q = Queue::new(2, Overflow::Backpressure, Arc::new(AtomicWaker::new()));
        let mut s = EventStream::new(q.clone());
        q.push(event(0));
        assert!(!q.is_full());
        q.push(event(1));
        assert!(q.is_full());
        s.try_recv();
        assert!(!q.is_full());
        assert_eq!(s.dropped(), 0);
    }

    #[test]
    fn a_dropped_stream_stops_taking_items() {
        let q = Queue::new(2, Overflow::DropNewest, Arc::new(AtomicWaker::new()));
        drop(EventStream::new(q.clone()));
        assert!(!q.push(event(0)));
    }
}
