//! The engine as an adapter shares it between its callers and its I/O: what a caller does to
//! it is the same in every adapter, and written here once.

use std::time::{Duration, Instant};

use crate::command::Command;
use crate::connection::RequestId;

use super::{Engine, Expect, Result};

/// An adapter's connection state as its callers use it: the [`Engine`] under a short lock,
/// the connection's clock, and a way to wake whatever does the connection's I/O (a driver
/// task, a reactor thread). The steps a caller takes (start a request, give up on it, close)
/// are provided: an adapter gives the three required methods.
///
/// ```
/// use std::sync::Mutex;
/// use std::time::Instant;
/// use esl_proto::client::{ClientConfig, Engine, Expect, SharedEngine};
/// use esl_proto::Command;
///
/// struct Conn {
///     engine: Mutex<Engine<u32, (), ()>>,
///     wakes: Mutex<u32>,
/// }
///
/// impl SharedEngine for Conn {
///     type Waiter = u32;
///     type Handler = ();
///     type StreamWaker = ();
///     fn with_engine<T>(&self, f: impl FnOnce(&mut Engine<u32, (), ()>) -> T) -> T {
///         f(&mut self.engine.lock().unwrap())
///     }
///     fn now(&self) -> Instant {
///         Instant::now()
///     }
///     fn wake_io(&self) {
///         *self.wakes.lock().unwrap() += 1;
///     }
/// }
///
/// let conn = Conn {
///     engine: Mutex::new(Engine::inbound(ClientConfig::password("ClueCon"), Instant::now())),
///     wakes: Mutex::new(0),
/// };
/// let (id, _, _waiter) = conn.start(Command::api("status"), Expect::Api, None)?;
/// conn.cancel(id);
/// conn.close();
/// assert_eq!(*conn.wakes.lock().unwrap(), 3);
/// # Ok::<(), esl_proto::client::Error>(())
/// ```
pub trait SharedEngine {
    /// What a request's caller waits on; a fresh one per request.
    type Waiter: Clone + Default;
    /// An event handler.
    type Handler: Clone;
    /// What wakes a stream's consumer.
    type StreamWaker: Clone;

    /// Runs `f` on the engine, under the lock.
    fn with_engine<T>(
        &self,
        f: impl FnOnce(&mut Engine<Self::Waiter, Self::Handler, Self::StreamWaker>) -> T,
    ) -> T;

    /// The time now, on the connection's clock (the system's, or a simulated switch's).
    fn now(&self) -> Instant;

    /// Wakes whatever does the connection's I/O: there is something to send, or the engine
    /// changed what it waits for.
    fn wake_io(&self);

    /// Hands `command` to the engine with a fresh waiter, and wakes the I/O side to send it:
    /// the request's id, the `Job-UUID` or `Event-UUID` it goes out with, and the waiter.
    fn start(
        &self,
        command: Command,
        expect: Expect,
        timeout: Option<Duration>,
    ) -> Result<(RequestId, Option<String>, Self::Waiter)> {
        let waiter = Self::Waiter::default();
        let now = self.now();
        let sent =
            self.with_engine(|engine| engine.send(now, command, expect, timeout, waiter.clone()))?;
        self.wake_io();
        Ok((sent.id, sent.uuid, waiter))
    }

    /// The caller gave up on `id` (see [`Engine::cancel`]).
    fn cancel(&self, id: RequestId) {
        self.with_engine(|engine| engine.cancel(id));
        self.wake_io();
    }

    /// Keeps the connection's call table from now on (see [`Engine::track`]): its
    /// subscriptions and its listing go out at once.
    fn track(&self) {
        let now = self.now();
        self.with_engine(|engine| engine.track(now));
        self.wake_io();
    }

    /// Closes on purpose (see [`Engine::close`]).
    fn close(&self) {
        let now = self.now();
        self.with_engine(|engine| engine.close(now));
        self.wake_io();
    }
}
