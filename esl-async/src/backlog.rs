//! The items of one event stream and its overflow policy, with no locking and no waking.
//!
//! Every adapter's event stream keeps a [`Backlog`] under its own lock and adds its own way
//! of waking the consumer (a waker here, a condition variable in `esl-blocking`), so the
//! policy is written once and the adapters cannot disagree about what a full stream does.

use std::collections::VecDeque;

use crate::config::Overflow;
use crate::events::{Gap, Incoming};

/// A bounded queue of [`Incoming`] items with an [`Overflow`] policy.
///
/// The capacity counts items, not gap markers: a dropped run becomes one
/// [`Gap::Lost`] marker where the items would have been, and reconnection markers are
/// always kept.
///
/// ```
/// use esl_async::{Backlog, Gap, Incoming, Overflow};
/// use esl_async::esl_proto::Event;
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
