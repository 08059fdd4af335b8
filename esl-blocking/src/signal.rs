//! Small blocking primitives: a wake-up signal without lost wake-ups, and the slot a result
//! is handed over in.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use esl_proto::client::{Outcome, Step};

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// `now + timeout`, or `None` for a timeout too long to represent (no deadline).
pub(crate) fn deadline(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

/// Waits on `condvar` until `deadline` (for ever without one). Returns the guard and true if
/// the deadline has passed.
pub(crate) fn wait_until<'a, T>(
    condvar: &Condvar,
    guard: MutexGuard<'a, T>,
    deadline: Option<Instant>,
) -> (MutexGuard<'a, T>, bool) {
    match deadline {
        None => (
            condvar.wait(guard).unwrap_or_else(|e| e.into_inner()),
            false,
        ),
        Some(deadline) => {
            let now = Instant::now();
            if now >= deadline {
                return (guard, true);
            }
            let (guard, _) = condvar
                .wait_timeout(guard, deadline - now)
                .unwrap_or_else(|e| e.into_inner());
            (guard, Instant::now() >= deadline)
        }
    }
}

/// A counter that goes up on every notification: a waiter that read generation `n` before
/// looking at some state wakes as soon as anything happened since, so no wake-up is lost
/// between its look and its wait.
#[derive(Default)]
pub(crate) struct Signal {
    generation: Mutex<u64>,
    changed: Condvar,
}

impl Signal {
    pub(crate) fn generation(&self) -> u64 {
        *lock(&self.generation)
    }

    pub(crate) fn notify(&self) {
        *lock(&self.generation) += 1;
        self.changed.notify_all();
    }

    /// Waits until the generation is past `seen`, or `deadline` passed (for ever without
    /// one).
    pub(crate) fn wait_past(&self, seen: u64, deadline: Option<Instant>) {
        let mut generation = lock(&self.generation);
        while *generation == seen {
            let (guard, expired) = wait_until(&self.changed, generation, deadline);
            generation = guard;
            if expired {
                break;
            }
        }
    }
}

/// Where one result is handed from the reactor to the thread waiting for it: the engine's
/// [`Outcome`] rule under a lock, and the condition variable to wait on.
pub(crate) struct Slot<T> {
    outcome: Mutex<Outcome<T>>,
    changed: Condvar,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot {
            outcome: Mutex::new(Outcome::default()),
            changed: Condvar::new(),
        }
    }
}

impl<T> Slot<T> {
    /// The switch accepted the request; its result comes later.
    pub(crate) fn accept(&self) {
        lock(&self.outcome).accept();
        self.changed.notify_all();
    }

    /// The result, once: a later one is ignored.
    pub(crate) fn complete(&self, result: T) {
        lock(&self.outcome).complete(result);
        self.changed.notify_all();
    }

    /// Waits until `take` finds something.
    fn wait_for<U>(&self, mut take: impl FnMut(&mut Outcome<T>) -> Option<U>) -> U {
        let mut outcome = lock(&self.outcome);
        loop {
            if let Some(found) = take(&mut outcome) {
                return found;
            }
            outcome = self
                .changed
                .wait(outcome)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Accepted or done, whichever comes first.
    pub(crate) fn wait_first(&self) -> Step<T> {
        self.wait_for(Outcome::take_first)
    }

    /// The result.
    pub(crate) fn wait_done(&self) -> T {
        self.wait_for(Outcome::take_done)
    }

    /// The result, left in place for other waiters.
    pub(crate) fn wait_peek(&self) -> T
    where
        T: Clone,
    {
        self.wait_for(|outcome| outcome.peek().cloned())
    }
}
