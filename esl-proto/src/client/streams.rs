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
/// The capacity counts items, not gap markers: a dropped run becomes one
/// [`Gap::Lost`] marker where the items would have been, and reconnection markers are
/// always kept.
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
    capacity: usize,
    overflow: Overflow,
    dropped: u64,
}

impl Backlog {
    /// An empty backlog of at most `capacity` items (at least one).
    pub fn new(capacity: usize, overflow: Overflow) -> Backlog {
        Backlog {
            queue: VecDeque::new(),
            held: 0,
            capacity: capacity.max(1),
            overflow,
            dropped: 0,
        }
    }

    /// Adds an item, applying the policy when full. With [`Overflow::Backpressure`] it is
    /// kept anyway: the adapter stops reading while [`Backlog::is_full`], so at most one
    /// read's worth goes past the capacity.
    pub fn push(&mut self, item: Incoming) {
        if self.held >= self.capacity {
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
                Overflow::DropOldest => {
                    if let Some(at) = self
                        .queue
                        .iter()
                        .position(|i| !matches!(i, Incoming::Gap(_)))
                    {
                        self.queue.remove(at);
                        self.held -= 1;
                        self.dropped += 1;
                        let at = at.min(self.queue.len());
                        match self.queue.get_mut(at.saturating_sub(1)) {
                            Some(Incoming::Gap(Gap::Lost(n))) if at > 0 => *n += 1,
                            _ => self.queue.insert(at, Incoming::Gap(Gap::Lost(1))),
                        }
                    }
                }
                Overflow::Backpressure => {}
            }
        }
        self.held += 1;
        self.queue.push_back(item);
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
        }
        Some(item)
    }

    /// True while at capacity.
    pub fn is_full(&self) -> bool {
        self.held >= self.capacity
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
    overflow: Overflow,
    /// No more items will come (the engine finished).
    ended: bool,
    woken: Vec<StreamId>,
}

impl<S: Clone> Streams<S> {
    pub(crate) fn new(capacity: usize, overflow: Overflow) -> Streams<S> {
        Streams {
            list: Vec::new(),
            next: 0,
            capacity,
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
            backlog: Backlog::new(self.capacity, self.overflow),
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
        let mut items = 0;
        while items < max {
            let Some(item) = stream.backlog.pop() else {
                break;
            };
            out.push_back(item);
            items += 1;
        }
        Drained {
            items,
            closed: ended && stream.backlog.is_empty(),
            resume_reading: held_back && !stream.backlog.holds_back(),
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
