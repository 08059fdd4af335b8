//! What one connection's callers and its driver share: the engine under a short lock, and
//! the wakers of the tasks that wait on it.
//!
//! Callers lock the engine only to hand it a request or take stream items; the driver locks
//! it only to feed it bytes and time and take its actions. Nothing holds the lock across a
//! round trip, so any number of tasks pipeline requests on one connection.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use esl_proto::client::{Engine, Result, SharedEngine};
use esl_proto::{Event, Ready, RequestId, Response};
use futures_util::task::AtomicWaker;

use crate::runtime::Runtime;
use crate::slot::Slot;
use crate::transport::Medium;

/// Where a request's result goes.
pub(crate) type Waiter = Arc<Slot<Result<Response>>>;

/// An event handler.
pub(crate) type HandlerFn = Arc<dyn Fn(&Event) + Send + Sync>;

/// What wakes a stream's consumer.
pub(crate) type StreamWaker = Arc<AtomicWaker>;

pub(crate) type ClientEngine = Engine<Waiter, HandlerFn, StreamWaker>;

/// Shared by every clone of a client or session, and by its driver.
pub(crate) struct Shared<R: Runtime> {
    pub(crate) runtime: R,
    /// TCP, or an in-process transport with its own clock.
    pub(crate) medium: Medium,
    pub(crate) peer: String,
    engine: Mutex<ClientEngine>,
    /// Wakes the driver: something to send, room in a stream, a close.
    pub(crate) driver: AtomicWaker,
    /// How the handshake ended.
    pub(crate) ready: Slot<Result<Ready>>,
    /// The engine has finished and the driver stopped.
    pub(crate) finished: AtomicBool,
    /// Wakes whoever waits for the end ([`Shared::finished`]).
    pub(crate) ended: Slot<()>,
}

impl<R: Runtime> Shared<R> {
    pub(crate) fn new(
        runtime: R,
        medium: Medium,
        peer: String,
        engine: ClientEngine,
    ) -> Arc<Shared<R>> {
        Arc::new(Shared {
            runtime,
            medium,
            peer,
            engine: Mutex::new(engine),
            driver: AtomicWaker::new(),
            ready: Slot::default(),
            finished: AtomicBool::new(false),
            ended: Slot::default(),
        })
    }

    /// The time now, on the connection's clock.
    pub(crate) fn now(&self) -> Instant {
        self.medium.now(&self.runtime)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, ClientEngine> {
        self.engine.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<R: Runtime> SharedEngine for Shared<R> {
    type Waiter = Waiter;
    type Handler = HandlerFn;
    type StreamWaker = StreamWaker;

    fn with_engine<T>(&self, f: impl FnOnce(&mut ClientEngine) -> T) -> T {
        f(&mut self.lock())
    }

    fn now(&self) -> Instant {
        Shared::now(self)
    }

    /// Wakes the driver.
    fn wake_io(&self) {
        self.driver.wake();
    }
}

/// Cancels a request if its caller stops waiting before the result (a dropped future).
pub(crate) struct CancelOnDrop<'a, R: Runtime> {
    shared: &'a Shared<R>,
    id: Option<RequestId>,
}

impl<'a, R: Runtime> CancelOnDrop<'a, R> {
    pub(crate) fn new(shared: &'a Shared<R>, id: RequestId) -> Self {
        CancelOnDrop {
            shared,
            id: Some(id),
        }
    }

    /// The result came: nothing to cancel.
    pub(crate) fn disarm(mut self) {
        self.id = None;
    }
}

impl<R: Runtime> Drop for CancelOnDrop<'_, R> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            self.shared.cancel(id);
        }
    }
}
