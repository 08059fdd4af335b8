//! What one connection's callers and the reactor share: the engine under a short lock, the
//! way to get the reactor's attention, and the slots callers block on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use esl_proto::client::{Engine, Result, SharedEngine};
use esl_proto::{Event, Ready, Response};

use crate::reactor::Notifier;
use crate::signal::{Signal, Slot};
use crate::strand::Strand;
use crate::transport::Medium;

/// Where a request's result goes.
pub(crate) type Waiter = Arc<Slot<Result<Response>>>;

/// An event handler.
pub(crate) type HandlerFn = Arc<dyn Fn(&Event) + Send + Sync>;

/// What wakes a stream's consumer.
pub(crate) type StreamSignal = Arc<Signal>;

pub(crate) type ClientEngine = Engine<Waiter, HandlerFn, StreamSignal>;

/// Shared by every clone of a client or session, and by the reactor.
pub(crate) struct Conn {
    pub(crate) peer: String,
    /// Where time comes from: the system's clock, or a transport's.
    medium: Medium,
    engine: Mutex<ClientEngine>,
    notifier: Notifier,
    /// Already in the reactor's queue of connections to look at.
    queued: AtomicBool,
    /// How the handshake ended.
    pub(crate) ready: Slot<Result<Ready>>,
    /// Set once the engine has finished.
    pub(crate) ended: Slot<()>,
    /// Where this connection's handlers run, one at a time, in order.
    pub(crate) strand: Arc<Strand>,
    /// The application keeps an outbound call past its handler (see
    /// [`Session::detach`](crate::Session::detach)).
    pub(crate) detached: AtomicBool,
}

impl Conn {
    pub(crate) fn new(
        peer: String,
        medium: Medium,
        engine: ClientEngine,
        notifier: Notifier,
        strand: Arc<Strand>,
    ) -> Arc<Conn> {
        Arc::new(Conn {
            peer,
            medium,
            engine: Mutex::new(engine),
            notifier,
            queued: AtomicBool::new(false),
            ready: Slot::default(),
            ended: Slot::default(),
            strand,
            detached: AtomicBool::new(false),
        })
    }

    /// The time now, on the connection's clock.
    pub(crate) fn now(&self) -> Instant {
        self.medium.now()
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, ClientEngine> {
        self.engine.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Asks the reactor to look at this connection (bytes to write, an action to take).
    pub(crate) fn notify(&self) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            self.notifier.notify();
        }
    }

    /// The reactor took the notification.
    pub(crate) fn unqueue(&self) {
        self.queued.store(false, Ordering::Release);
    }
}

impl SharedEngine for Conn {
    type Waiter = Waiter;
    type Handler = HandlerFn;
    type StreamWaker = StreamSignal;

    fn with_engine<T>(&self, f: impl FnOnce(&mut ClientEngine) -> T) -> T {
        f(&mut self.lock())
    }

    fn now(&self) -> Instant {
        Conn::now(self)
    }

    /// Has the reactor look at this connection.
    fn wake_io(&self) {
        self.notify();
    }
}

/// Stops the connection when the last clone of what owns it is dropped.
pub(crate) struct Owner {
    pub(crate) conn: Arc<Conn>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        if !self.conn.detached.load(Ordering::Acquire) {
            self.conn.close();
        }
    }
}
