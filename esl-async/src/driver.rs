//! The driver: one future per client or session that moves bytes between the socket and the
//! engine, sleeps until the engine's next deadline, opens the sockets the engine asks for,
//! and hands each of the engine's actions to whoever waits for it. It decides nothing.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use esl_proto::client::{Action, Error};
use futures_io::{AsyncRead, AsyncWrite};
use futures_util::future::BoxFuture;

use crate::runtime::Runtime;
use crate::shared::{ClientEngine, HandlerFn, Shared, StreamWaker, Waiter};
use crate::transport::Io;

/// Reads per poll before yielding, so a firehose of events cannot starve other tasks.
const BUDGET: usize = 32;

/// Bytes per read: one chunk of events handed to the engine at a time.
const READ_SIZE: usize = 64 * 1024;

std::thread_local! {
    /// The buffer reads land in, one per thread that runs drivers rather than one per
    /// connection: the engine copies what it keeps, so a buffer is only borrowed for the
    /// length of a read. 10,000 idle sessions then hold no read buffer (a buffer each was
    /// 78% of an idle session's memory).
    static READ_BUF: std::cell::Cell<Option<Box<[u8]>>> = const { std::cell::Cell::new(None) };
}

/// Borrows this thread's read buffer (a fresh one if it is already borrowed).
fn take_read_buf() -> Box<[u8]> {
    READ_BUF
        .take()
        .unwrap_or_else(|| vec![0; READ_SIZE].into_boxed_slice())
}

fn give_back_read_buf(buf: Box<[u8]>) {
    READ_BUF.set(Some(buf));
}

type EngineAction = Action<Waiter, HandlerFn>;

pub(crate) struct Driver<R: Runtime> {
    shared: Arc<Shared<R>>,
    stream: Option<Io<R::Stream>>,
    connecting: Option<BoxFuture<'static, io::Result<Io<R::Stream>>>>,
    sleep: Option<(Instant, BoxFuture<'static, ()>)>,
    writing: Option<(Bytes, usize)>,
    /// New requests were held back for one turn of the executor (see [`Driver::poll`]).
    deferred: bool,
    actions: Vec<EngineAction>,
    wakers: Vec<StreamWaker>,
    done: bool,
}

impl<R: Runtime> Driver<R> {
    /// A driver for `shared`'s engine, on `stream` if the socket is already open (outbound).
    pub(crate) fn new(shared: Arc<Shared<R>>, stream: Option<Io<R::Stream>>) -> Driver<R> {
        Driver {
            shared,
            stream,
            connecting: None,
            sleep: None,
            writing: None,
            deferred: false,
            actions: Vec::new(),
            wakers: Vec::new(),
            done: false,
        }
    }

    /// Runs `f` on the engine under the lock, then takes its actions and the streams to wake;
    /// they are handed out by [`Driver::deliver`] once the lock is released.
    fn engine<T>(&mut self, f: impl FnOnce(&mut ClientEngine, Instant) -> T) -> T {
        let now = self.shared.now();
        let mut engine = self.shared.lock();
        let value = f(&mut engine, now);
        while let Some(action) = engine.poll_action() {
            self.actions.push(action);
        }
        engine.take_woken(&mut self.wakers);
        value
    }

    /// Hands out what the engine decided, in order.
    fn deliver(&mut self) {
        for action in std::mem::take(&mut self.actions) {
            match action {
                Action::Accepted(waiter) => waiter.accept(),
                Action::Done(waiter, result) => waiter.complete(result),
                Action::Event { event, handlers } => {
                    for handler in handlers {
                        // A handler's panic must not take the connection (and every request
                        // waiting on it) down with it.
                        let call = std::panic::AssertUnwindSafe(|| handler(&event));
                        if std::panic::catch_unwind(call).is_err() {
                            tracing::error!(peer = %self.shared.peer, event = %event.name().as_str(), "event handler panicked");
                        }
                    }
                }
                Action::Ready(ready) => self.shared.ready.complete(Ok(ready)),
                Action::Connect => {
                    let shared = &self.shared;
                    self.connecting = Some(shared.medium.connect(&shared.runtime, &shared.peer));
                }
                Action::Disconnect => {
                    self.stream = None;
                    self.writing = None;
                    self.connecting = None;
                }
                Action::Finished(result) => {
                    self.shared
                        .ready
                        .complete(Err(result.err().unwrap_or(Error::Closed)));
                    self.done = true;
                }
                _ => {}
            }
        }
        for waker in self.wakers.drain(..) {
            waker.wake();
        }
    }

    /// Writes what the engine queued until the socket would block.
    fn flush(&mut self, cx: &mut Context<'_>) -> io::Result<bool> {
        let mut progress = false;
        loop {
            let Some(stream) = self.stream.as_mut() else {
                return Ok(progress);
            };
            if self.writing.is_none() {
                self.writing = self.shared.lock().poll_transmit().map(|b| (b, 0));
            }
            let Some((bytes, offset)) = self.writing.as_mut() else {
                return Ok(progress);
            };
            match Pin::new(&mut *stream).poll_write(cx, &bytes[*offset..]) {
                Poll::Ready(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
                Poll::Ready(Ok(n)) => {
                    *offset += n;
                    progress = true;
                    if *offset == bytes.len() {
                        self.writing = None;
                        let _ = Pin::new(stream).poll_flush(cx);
                    }
                }
                Poll::Ready(Err(error)) => return Err(error),
                Poll::Pending => return Ok(progress),
            }
        }
    }

    /// One round: connect, write, read, time. True if anything happened.
    fn round(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        if let Some(connecting) = self.connecting.as_mut() {
            if let Poll::Ready(result) = connecting.as_mut().poll(cx) {
                self.connecting = None;
                progress = true;
                match result {
                    Ok(stream) => {
                        self.stream = Some(stream);
                        self.engine(|e, now| e.connected(now));
                    }
                    Err(error) => self.engine(|e, now| e.connect_failed(now, error)),
                }
                self.deliver();
            }
        }
        match self.flush(cx) {
            Ok(wrote) => progress |= wrote,
            Err(error) => {
                self.stream = None;
                self.engine(|e, now| e.receive_error(now, error));
                self.deliver();
                return true;
            }
        }
        let (wants_read, size) = match self.stream {
            Some(_) => {
                let engine = self.shared.lock();
                (engine.wants_read(), engine.read_size(READ_SIZE))
            }
            None => (false, 0),
        };
        if let (true, Some(stream)) = (wants_read, self.stream.as_mut()) {
            let mut buf = take_read_buf();
            let read = Pin::new(stream).poll_read(cx, &mut buf[..size]);
            if let Poll::Ready(Ok(n)) = read {
                if n > 0 {
                    self.engine(|e, now| e.receive(now, &buf[..n]));
                }
            }
            give_back_read_buf(buf);
            match read {
                Poll::Ready(Ok(0)) => {
                    self.stream = None;
                    self.engine(|e, now| e.receive_eof(now));
                    progress = true;
                }
                Poll::Ready(Ok(_)) => progress = true,
                Poll::Ready(Err(error)) if error.kind() == io::ErrorKind::Interrupted => {
                    progress = true;
                }
                Poll::Ready(Err(error)) => {
                    self.stream = None;
                    self.engine(|e, now| e.receive_error(now, error));
                    progress = true;
                }
                Poll::Pending => {
                    // Nothing more to read for now: if it stays so, what the engine keeps
                    // for the next messages goes back (an idle session keeps only its
                    // channel data).
                    self.engine(|e, now| e.read_blocked(now));
                    if self.actions.is_empty() && self.actions.capacity() > 0 {
                        self.actions = Vec::new();
                    }
                }
            }
            self.deliver();
        }
        progress | self.timer(cx)
    }

    /// Sleeps until the engine's next deadline; when it comes, tells the engine.
    fn timer(&mut self, cx: &mut Context<'_>) -> bool {
        let deadline = self.shared.lock().poll_timeout();
        let Some(deadline) = deadline else {
            self.sleep = None;
            return false;
        };
        let now = self.shared.now();
        let due = now >= deadline || {
            if self.sleep.as_ref().is_none_or(|(at, _)| *at != deadline) {
                let sleep = self
                    .shared
                    .medium
                    .sleep_until(&self.shared.runtime, deadline);
                self.sleep = Some((deadline, sleep));
            }
            let (_, sleep) = self.sleep.as_mut().expect("set above");
            sleep.as_mut().poll(cx).is_ready()
        };
        if !due {
            return false;
        }
        self.sleep = None;
        self.engine(|e, now| e.handle_timeout(now));
        self.deliver();
        true
    }
}

impl<R: Runtime> Future for Driver<R> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        // Registered before looking at any state, so a wake after the look is not lost.
        this.shared.driver.register(cx.waker());
        // What callers asked for since the last turn (a close, a cancel) has actions too.
        let new_requests = this.engine(|e, _| e.wants_write());
        this.deliver();
        // New requests wait for one turn of the executor, so that the other tasks ready to
        // run add theirs and one write carries them all. (tokio runs the task a task wakes
        // before the rest of its queue: 64 callers on one connection each had their request
        // written alone, a system call each.) The driver's own wake puts it at the back of
        // the queue; alone, it is polled again at once.
        if new_requests && this.writing.is_none() && this.stream.is_some() && !this.deferred {
            this.deferred = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        this.deferred = false;
        for _ in 0..BUDGET {
            if this.done {
                this.shared.finished.store(true, Ordering::Release);
                this.shared.ended.complete(());
                return Poll::Ready(());
            }
            if !this.round(cx) {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
