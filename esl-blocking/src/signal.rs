//! Small blocking primitives: a wake-up signal without lost wake-ups, and the slot a
//! request's result is handed over in.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use esl_proto::Response;

use crate::error::Result;

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

    /// Waits until the generation is past `seen`, or `timeout` passed.
    pub(crate) fn wait_past(&self, seen: u64, timeout: Duration) {
        let deadline = deadline(timeout);
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
pub(crate) enum Step {
    Accepted,
    Done(Result<Response>),
}

#[derive(Default)]
struct SlotState {
    accepted: bool,
    result: Option<Result<Response>>,
}

/// Where one request's result is handed from the reader thread to the thread waiting for it.
#[derive(Default)]
pub(crate) struct Slot {
    state: Mutex<SlotState>,
    changed: Condvar,
}

impl Slot {
    /// The switch accepted the request; its result comes later.
    pub(crate) fn accept(&self) {
        lock(&self.state).accepted = true;
        self.changed.notify_all();
    }

    /// The request ended.
    pub(crate) fn complete(&self, result: Result<Response>) {
        lock(&self.state).result = Some(result);
        self.changed.notify_all();
    }

    /// Accepted or done, whichever comes first; `None` if `deadline` passed first.
    pub(crate) fn wait_first(&self, deadline: Option<Instant>) -> Option<Step> {
        let mut state = lock(&self.state);
        loop {
            if state.accepted {
                return Some(Step::Accepted);
            }
            if let Some(result) = state.result.take() {
                return Some(Step::Done(result));
            }
            let (guard, expired) = wait_until(&self.changed, state, deadline);
            state = guard;
            if expired && !state.accepted && state.result.is_none() {
                return None;
            }
        }
    }

    /// The result; `None` if `deadline` passed first.
    pub(crate) fn wait_last(&self, deadline: Option<Instant>) -> Option<Result<Response>> {
        let mut state = lock(&self.state);
        loop {
            if let Some(result) = state.result.take() {
                return Some(result);
            }
            let (guard, expired) = wait_until(&self.changed, state, deadline);
            state = guard;
            if expired && state.result.is_none() {
                return None;
            }
        }
    }
}
