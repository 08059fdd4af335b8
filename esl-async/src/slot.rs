//! Where one result is handed from the driver to the task waiting for it.

use std::sync::Mutex;
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;

/// The first thing a request hears: accepted (a job or execute is under way), or its end.
pub(crate) enum Step<T> {
    Accepted,
    Done(T),
}

struct State<T> {
    accepted: bool,
    result: Option<T>,
}

/// One request's (or one handshake's) result, and the task to wake when it comes.
pub(crate) struct Slot<T> {
    state: Mutex<State<T>>,
    waker: AtomicWaker,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot {
            state: Mutex::new(State {
                accepted: false,
                result: None,
            }),
            waker: AtomicWaker::new(),
        }
    }
}

impl<T> Slot<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The switch accepted the request; its result comes later.
    pub(crate) fn accept(&self) {
        self.lock().accepted = true;
        self.waker.wake();
    }

    /// The result, once: a later one is ignored.
    pub(crate) fn complete(&self, result: T) {
        let mut state = self.lock();
        if state.result.is_none() {
            state.result = Some(result);
        }
        drop(state);
        self.waker.wake();
    }

    /// Accepted or done, whichever comes first.
    pub(crate) fn poll_first(&self, cx: &mut Context<'_>) -> Poll<Step<T>> {
        self.waker.register(cx.waker());
        let mut state = self.lock();
        // Accepted first, even when the result came in the same breath: the result is then
        // waiting for the next step.
        if std::mem::take(&mut state.accepted) {
            return Poll::Ready(Step::Accepted);
        }
        match state.result.take() {
            Some(result) => Poll::Ready(Step::Done(result)),
            None => Poll::Pending,
        }
    }

    /// The result.
    pub(crate) fn poll_done(&self, cx: &mut Context<'_>) -> Poll<T> {
        self.waker.register(cx.waker());
        match self.lock().result.take() {
            Some(result) => Poll::Ready(result),
            None => Poll::Pending,
        }
    }

    /// The result, left in place for other waiters.
    pub(crate) fn poll_peek(&self, cx: &mut Context<'_>) -> Poll<T>
    where
        T: Clone,
    {
        self.waker.register(cx.waker());
        match self.lock().result.clone() {
            Some(result) => Poll::Ready(result),
            None => Poll::Pending,
        }
    }
}
