//! Event streams: each a bounded queue of what the switch sends that is not a reply, with a
//! stated overflow policy, fed in order by the engine.
//!
//! The engine keeps every stream's queue, so the overflow policy, the dropped counter, the
//! gap markers and the rule that stops reading under backpressure are written once; an
//! adapter only wakes the consumers the engine names and hands them what they drain.

use std::collections::VecDeque;

use super::config::Overflow;
use crate::track::Change;
use crate::{DisconnectNotice, Event, LogLine};

/// One item of an event stream (or of a call table's change stream).
///
/// ```
/// use esl_proto::client::{Gap, Incoming};
/// use esl_proto::Event;
///
/// let item = Incoming::Event(Event::builder("HEARTBEAT").build());
/// assert!(item.event().is_some());
/// assert!(Incoming::Gap(Gap::Lost(3)).event().is_none());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Incoming {
    /// An event.
    Event(Event),
    /// What an event changed in the call table (only in a call table's change stream).
    Change(Change),
    /// A log line (after `log <level>`).
    Log(LogLine),
    /// A disconnect or linger notice.
    Notice(DisconnectNotice),
    /// Something is missing here: events dropped by the overflow policy, or a reconnection
    /// (events sent while the client was away were never received).
    Gap(Gap),
}

impl Incoming {
    /// About how many bytes this item keeps in memory: its place in a queue, and an event's
    /// or log line's text and index ([`Event::held_bytes`]). A gap marker holds nothing.
    ///
    /// ```
    /// use esl_proto::client::{Gap, Incoming};
    /// use esl_proto::Event;
    ///
    /// let event = Incoming::Event(Event::builder("CUSTOM").body("x".repeat(1000)).build());
    /// assert!(event.held_bytes() > 1000);
    /// assert_eq!(Incoming::Gap(Gap::Lost(3)).held_bytes(), 0);
    /// ```
    pub fn held_bytes(&self) -> usize {
        let own = match self {
            Incoming::Event(event) => event.held_bytes(),
            Incoming::Log(line) => line.held_bytes(),
            Incoming::Gap(_) => return 0,
            Incoming::Change(_) | Incoming::Notice(_) => 0,
        };
        std::mem::size_of::<Incoming>() + own
    }

    /// The event, if this item is one.
    pub fn event(&self) -> Option<&Event> {
        match self {
            Incoming::Event(event) => Some(event),
            _ => None,
        }
    }
}

/// What an [`Incoming::Gap`] stands for.
///
/// ```
/// use esl_proto::client::Gap;
///
/// assert_ne!(Gap::Lost(1), Gap::Reconnected);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Gap {
    /// This many events were dropped because the stream was full.
    Lost(u64),
    /// The connection was lost; the client is reconnecting. Events sent meanwhile are never
    /// received; [`Gap::Reconnected`] follows when it is back.
    Disconnected,
    /// The connection was lost and made again; subscriptions were replayed.
    Reconnected,
}

/// A bounded queue of [`Incoming`] items with an [`Overflow`] policy.
///
/// It is full at its capacity in items, or at its capacity in bytes
/// ([`Backlog::max_bytes`], each item counted by [`Incoming::held_bytes`]), whichever comes
/// first; a queue below both takes one more item, however large. Gap markers count against
/// neither: a dropped run becomes one [`Gap::Lost`] marker where the items would have been,
/// and reconnection markers are always kept.
///
/// ```
/// use esl_proto::client::{Backlog, Gap, Incoming, Overflow};
/// use esl_proto::Event;
///
/// let mut backlog = Backlog::new(1, Overflow::DropNewest);
/// backlog.push(Incoming::Event(Event::builder("HEARTBEAT").build()));
/// backlog.push(Incoming::Event(Event::builder("HEARTBEAT").build()));
/// assert_eq!(backlog.dropped(), 1);
/// assert!(matches!(backlog.pop(), Some(Incoming::Event(_))));
/// assert!(matches!(backlog.pop(), Some(Incoming::Gap(Gap::Lost(1)))));
/// ```
#[derive(Debug)]
pub struct Backlog {
    queue: VecDeque<Incoming>,
    /// Items in `queue` that are not gap markers (what the capacity counts).
    held: usize,
    /// Their [`Incoming::held_bytes`].
    bytes: usize,
    capacity: usize,
    max_bytes: usize,
    overflow: Overflow,
    dropped: u64,
}

impl Backlog {
    /// An empty backlog of at most `capacity` items (at least one), of any size.
    pub fn new(capacity: usize, overflow: Overflow) -> Backlog {
        Backlog {
            queue: VecDeque::new(),
            held: 0,
            bytes: 0,
            capacity: capacity.max(1),
            max_bytes: usize::MAX,
            overflow,
            dropped: 0,
        }
    }

    /// Full also once the items hold `bytes` (see [`Incoming::held_bytes`]).
    ///
    /// ```
    /// use esl_proto::client::{Backlog, Gap, Incoming, Overflow};
    /// use esl_proto::Event;
    ///
    /// let event = || Incoming::Event(Event::builder("HEARTBEAT").body("x".repeat(600)).build());
    /// let mut backlog = Backlog::new(100, Overflow::DropOldest).max_bytes(1000);
    /// for _ in 0..3 {
    ///     backlog.push(event());
    /// }
    /// assert_eq!(backlog.dropped(), 1, "the second went past 1000 bytes: the third made room");
    /// assert!(matches!(backlog.pop(), Some(Incoming::Gap(Gap::Lost(1)))));
    /// ```
    pub fn max_bytes(mut self, bytes: usize) -> Backlog {
        self.max_bytes = bytes;
        self
    }

    /// Adds an item, applying the policy when full. With [`Overflow::Backpressure`] it is
    /// kept anyway: the adapter stops reading while [`Backlog::is_full`], so at most one
    /// read's worth goes past the capacity.
    pub fn push(&mut self, item: Incoming) {
        if self.is_full() {
            match self.overflow {
                Overflow::DropNewest => {
                    self.dropped += 1;
                    if let Some(Incoming::Gap(Gap::Lost(n))) = self.queue.back_mut() {
                        *n += 1;
                    } else {
                        self.queue.push_back(Incoming::Gap(Gap::Lost(1)));
                    }
                    return;
                }
                // As many of the oldest as it takes to be below both capacities.
                Overflow::DropOldest => while self.is_full() && self.drop_oldest() {},
                Overflow::Backpressure => {}
            }
        }
        self.held += 1;
        self.bytes += item.held_bytes();
        self.queue.push_back(item);
    }

    /// Drops the oldest item, a gap marker taking its place (or counting it, if one is
    /// there already). False if there was none.
    fn drop_oldest(&mut self) -> bool {
        let Some(at) = self
            .queue
            .iter()
            .position(|i| !matches!(i, Incoming::Gap(_)))
        else {
            return false;
        };
        self.held -= 1;
        if let Some(item) = self.queue.remove(at) {
            self.forget(&item);
        }
        self.dropped += 1;
        let at = at.min(self.queue.len());
        let before = at.checked_sub(1).and_then(|i| self.queue.get_mut(i));
        match before {
            Some(Incoming::Gap(Gap::Lost(n))) => *n += 1,
            _ => self.queue.insert(at, Incoming::Gap(Gap::Lost(1))),
        }
        true
    }

    /// Takes `item`, leaving the queue, off the byte count. An event indexed while queued
    /// counts more leaving than it did arriving: the count never goes below zero, and an
    /// empty queue counts zero.
    fn forget(&mut self, item: &Incoming) {
        self.bytes = match self.held {
            0 => 0,
            _ => self.bytes.saturating_sub(item.held_bytes()),
        };
    }

    /// Adds a marker (a reconnection), not counted against the capacity.
    pub fn push_gap(&mut self, gap: Gap) {
        self.queue.push_back(Incoming::Gap(gap));
    }

    /// The oldest item.
    pub fn pop(&mut self) -> Option<Incoming> {
        let item = self.queue.pop_front()?;
        if !matches!(item, Incoming::Gap(_)) {
            self.held -= 1;
            self.forget(&item);
        }
        Some(item)
    }

    /// Gives back the queue's memory if it is empty (a burst can leave room for thousands
    /// of items allocated).
    ///
    /// ```
    /// use esl_proto::client::{Backlog, Incoming, Overflow};
    /// use esl_proto::Event;
    ///
    /// let mut backlog = Backlog::new(100, Overflow::DropNewest);
    /// backlog.push(Incoming::Event(Event::builder("HEARTBEAT").build()));
    /// backlog.release();
    /// assert_eq!(backlog.len(), 1, "a queue with items keeps them");
    /// backlog.pop();
    /// backlog.release();
    /// assert!(backlog.is_empty());
    /// ```
    pub fn release(&mut self) {
        if self.queue.is_empty() {
            self.queue = VecDeque::new();
        }
    }

    /// True while at capacity, in items or in bytes.
    pub fn is_full(&self) -> bool {
        self.held >= self.capacity || self.bytes >= self.max_bytes
    }

    /// True if the adapter should stop reading: at capacity under
    /// [`Overflow::Backpressure`].
    pub fn holds_back(&self) -> bool {
        self.overflow == Overflow::Backpressure && self.is_full()
    }

    /// Items and markers waiting.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// The [`Incoming::held_bytes`] of the items waiting.
    ///
    /// ```
    /// use esl_proto::client::{Backlog, Incoming, Overflow};
    /// use esl_proto::Event;
    ///
    /// let mut backlog = Backlog::new(100, Overflow::DropNewest);
    /// let event = Incoming::Event(Event::builder("HEARTBEAT").build());
    /// let size = event.held_bytes();
    /// backlog.push(event);
    /// assert_eq!(backlog.bytes(), size);
    /// backlog.pop();
    /// assert_eq!(backlog.bytes(), 0);
    /// ```
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// True if nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Items dropped so far by the policy.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The policy.
    pub fn overflow(&self) -> Overflow {
        self.overflow
    }
}

/// Most bytes ([`Incoming::held_bytes`]) one [`Engine::drain`](super::Engine::drain) moves
/// out beyond its first item: what a consumer holds outside the stream's byte capacity stays
/// small (256 of the 72 KB events taken at once were 18 MiB).
pub const DRAIN_BYTES: usize = 128 * 1024;

/// Names one event stream of an [`Engine`](super::Engine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId(u64);

/// What [`Engine::drain`](super::Engine::drain) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Drained {
    /// Items moved out.
    pub items: usize,
    /// The stream has ended: nothing more will come once it is empty.
    pub closed: bool,
    /// The stream was holding the reading back ([`Overflow::Backpressure`]) and no longer
    /// is: wake the driver so that it reads again.
    pub resume_reading: bool,
}

/// What a stream carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Carries {
    /// Events, log lines and notices.
    Events,
    /// The call table's changes.
    Changes,
}

#[derive(Debug)]
struct Stream<S> {
    id: StreamId,
    carries: Carries,
    backlog: Backlog,
    /// Wakes the consumer.
    waker: S,
    /// Items came since the consumer was last woken.
    unwoken: bool,
}

/// Every open stream of one engine.
#[derive(Debug)]
pub(crate) struct Streams<S> {
    list: Vec<Stream<S>>,
    next: u64,
    capacity: usize,
    max_bytes: usize,
    overflow: Overflow,
    /// No more items will come (the engine finished).
    ended: bool,
    woken: Vec<StreamId>,
}

impl<S: Clone> Streams<S> {
    pub(crate) fn new(capacity: usize, max_bytes: usize, overflow: Overflow) -> Streams<S> {
        Streams {
            list: Vec::new(),
            next: 0,
            capacity,
            max_bytes,
            overflow,
            ended: false,
            woken: Vec::new(),
        }
    }

    pub(crate) fn open(&mut self, carries: Carries, waker: S) -> StreamId {
        self.next += 1;
        let id = StreamId(self.next);
        self.list.push(Stream {
            id,
            carries,
            backlog: Backlog::new(self.capacity, self.overflow).max_bytes(self.max_bytes),
            waker,
            unwoken: false,
        });
        id
    }

    /// The consumer went away: its items are dropped and it holds nothing back.
    pub(crate) fn close(&mut self, id: StreamId) {
        self.list.retain(|s| s.id != id);
    }

    /// Hands `item` to every stream that carries its kind, in order.
    pub(crate) fn push(&mut self, item: Incoming) {
        let carries = match item {
            Incoming::Change(_) => Carries::Changes,
            _ => Carries::Events,
        };
        let mut takers = self.list.iter_mut().filter(|s| s.carries == carries);
        let Some(mut current) = takers.next() else {
            return;
        };
        for next in takers {
            current.backlog.push(item.clone());
            mark(current, &mut self.woken);
            current = next;
        }
        current.backlog.push(item);
        mark(current, &mut self.woken);
    }

    /// A marker (a reconnection) in every stream, not counted against the capacity.
    pub(crate) fn push_gap(&mut self, gap: Gap) {
        for stream in &mut self.list {
            stream.backlog.push_gap(gap);
            mark(stream, &mut self.woken);
        }
    }

    /// No more items will come: every consumer is woken to see the end.
    pub(crate) fn end(&mut self) {
        self.ended = true;
        for stream in &mut self.list {
            mark(stream, &mut self.woken);
        }
    }

    pub(crate) fn has_ended(&self) -> bool {
        self.ended
    }

    /// Moves up to `max` items of stream `id` into `out`.
    pub(crate) fn drain(
        &mut self,
        id: StreamId,
        out: &mut VecDeque<Incoming>,
        max: usize,
    ) -> Drained {
        let ended = self.ended;
        let Some(stream) = self.list.iter_mut().find(|s| s.id == id) else {
            return Drained {
                closed: true,
                ..Drained::default()
            };
        };
        let held_back = stream.backlog.holds_back();
        let (mut items, mut bytes) = (0, 0);
        while items < max && (items == 0 || bytes < DRAIN_BYTES) {
            let Some(item) = stream.backlog.pop() else {
                break;
            };
            bytes += item.held_bytes();
            out.push_back(item);
            items += 1;
        }
        Drained {
            items,
            closed: ended && stream.backlog.is_empty(),
            resume_reading: held_back && !stream.backlog.holds_back(),
        }
    }

    /// Gives back the memory of the queues that are empty.
    pub(crate) fn release(&mut self) {
        for stream in &mut self.list {
            stream.backlog.release();
        }
        if self.woken.is_empty() {
            self.woken = Vec::new();
        }
    }

    /// True while some stream is full under [`Overflow::Backpressure`].
    pub(crate) fn holds_back(&self) -> bool {
        self.list.iter().any(|s| s.backlog.holds_back())
    }

    /// The wakers of the streams that received items (or ended) since they were last woken.
    pub(crate) fn take_woken(&mut self, out: &mut Vec<S>) {
        for id in self.woken.drain(..) {
            if let Some(stream) = self.list.iter_mut().find(|s| s.id == id) {
                stream.unwoken = false;
                out.push(stream.waker.clone());
            }
        }
    }

    /// Events stream `id` dropped so far by the overflow policy.
    pub(crate) fn dropped(&self, id: StreamId) -> u64 {
        self.get(id).map_or(0, Backlog::dropped)
    }

    /// Items and markers waiting in stream `id`.
    pub(crate) fn len(&self, id: StreamId) -> usize {
        self.get(id).map_or(0, Backlog::len)
    }

    fn get(&self, id: StreamId) -> Option<&Backlog> {
        self.list.iter().find(|s| s.id == id).map(|s| &s.backlog)
    }
}

fn mark<S>(stream: &mut Stream<S>, woken: &mut Vec<StreamId>) {
    if !stream.unwoken {
        stream.unwoken = true;
        woken.push(stream.id);
    }
}
