//! Where one result is handed from the driver to the task waiting for it: the engine's
//! [`Outcome`] rule under a lock, and the task to wake.

use std::sync::Mutex;
use std::task::{Context, Poll};

use esl_proto::client::{Outcome, Step};
use futures_util::task::AtomicWaker;

/// One request's (or one handshake's) result, and the task to wake when it comes.
pub(crate) struct Slot<T> {
    outcome: Mutex<Outcome<T>>,
    waker: AtomicWaker,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot {
            outcome: Mutex::new(Outcome::default()),
            waker: AtomicWaker::new(),
        }
    }
}

impl<T> Slot<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Outcome<T>> {
        self.outcome.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The switch accepted the request; its result comes later.
    pub(crate) fn accept(&self) {
        self.lock().accept();
        self.waker.wake();
    }

    /// The result, once: a later one is ignored.
    pub(crate) fn complete(&self, result: T) {
        self.lock().complete(result);
        self.waker.wake();
    }

    /// Accepted or done, whichever comes first.
    pub(crate) fn poll_first(&self, cx: &mut Context<'_>) -> Poll<Step<T>> {
        self.waker.register(cx.waker());
        self.lock().take_first().map_or(Poll::Pending, Poll::Ready)
    }

    /// The result.
    pub(crate) fn poll_done(&self, cx: &mut Context<'_>) -> Poll<T> {
        self.waker.register(cx.waker());
        self.lock().take_done().map_or(Poll::Pending, Poll::Ready)
    }

    /// The result, left in place for other waiters.
    pub(crate) fn poll_peek(&self, cx: &mut Context<'_>) -> Poll<T>
    where
        T: Clone,
    {
        self.waker.register(cx.waker());
        self.lock()
            .peek()
            .cloned()
            .map_or(Poll::Pending, Poll::Ready)
    }
}
