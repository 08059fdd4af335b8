//! Small blocking primitives: a wake-up signal without lost wake-ups, and the slot a result
//! is handed over in.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

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

/// The first thing a request hears: accepted (a job or execute is under way), or its end.
pub(crate) enum Step<T> {
    Accepted,
    Done(T),
}

struct SlotState<T> {
    accepted: bool,
    result: Option<T>,
}

/// Where one result is handed from the reactor to the thread waiting for it.
pub(crate) struct Slot<T> {
    state: Mutex<SlotState<T>>,
    changed: Condvar,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot {
            state: Mutex::new(SlotState {
                accepted: false,
                result: None,
            }),
            changed: Condvar::new(),
        }
    }
}

impl<T> Slot<T> {
    /// The switch accepted the request; its result comes later.
    pub(crate) fn accept(&self) {
        lock(&self.state).accepted = true;
        self.changed.notify_all();
    }

    /// The result, once: a later one is ignored.
    pub(crate) fn complete(&self, result: T) {
        let mut state = lock(&self.state);
        if state.result.is_none() {
            state.result = Some(result);
        }
        drop(state);
        self.changed.notify_all();
    }

    /// Accepted or done, whichever comes first.
    pub(crate) fn wait_first(&self) -> Step<T> {
        let mut state = lock(&self.state);
        loop {
            // Accepted first, even when the result came in the same breath: the result is
            // then waiting for the next step.
            if std::mem::take(&mut state.accepted) {
                return Step::Accepted;
            }
            if let Some(result) = state.result.take() {
                return Step::Done(result);
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// The result.
    pub(crate) fn wait_done(&self) -> T {
        let mut state = lock(&self.state);
        loop {
            if let Some(result) = state.result.take() {
                return result;
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// The result, left in place for other waiters.
    pub(crate) fn wait_peek(&self) -> T
    where
        T: Clone,
    {
        let mut state = lock(&self.state);
        loop {
            if let Some(result) = &state.result {
                return result.clone();
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}
