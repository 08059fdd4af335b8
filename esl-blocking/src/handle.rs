//! The state one connection's callers and its reader thread share, and the request API on
//! top of it.
//!
//! Two locks, always taken in this order when both are held: the write lock (one writer on
//! the socket at a time) and the state lock (the protocol core and the waiting requests).
//! A caller takes the write lock, queues its command in the core under the state lock,
//! releases the state lock, and writes. The state lock is never held across a socket read or
//! write, so the reader thread can always feed what arrives into the core, and every reply
//! reaches its caller while another thread is still writing. The reader thread never waits
//! for the write lock: it only tries it (even under the state lock, which cannot deadlock),
//! and leaves what the core queued on its own to the thread that holds it.

use std::collections::HashMap;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use esl_proto::apps::EventHandlers;
use esl_proto::{
    ApiResponse, CallCommand, CloseReason, Command, Connection, Event, EventFormat, Execute,
    Output, Ready, Reply, RequestId, Response, SendMsg, Stats, Subscriptions,
};

use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::events::{EventStream, Gap, Incoming, Queue};
use crate::signal::{self, lock, Signal, Slot, Step};
use crate::write::{Flushed, WriteGuard, WriteLock};

type HandlerFn = dyn Fn(&Event) + Send + Sync;

/// Names a handler registered with [`Handle::on`], to remove it.
pub use esl_proto::apps::HandlerId;

pub(crate) struct Locked {
    pub(crate) conn: Connection,
    waiters: HashMap<RequestId, Arc<Slot>>,
    /// How the first handshake ended: what `connect` (or an outbound call) waits for.
    outcome: Option<Result<Ready>>,
}

/// Shared by every clone of a client or session, and by its reader thread.
pub(crate) struct Shared {
    pub(crate) config: ClientConfig,
    pub(crate) peer: String,
    state: Mutex<Locked>,
    /// Signalled (with the state lock) when the handshake ends.
    handshake: Condvar,
    writes: WriteLock,
    /// A handle on the current socket, to shut it down from any thread.
    socket: Mutex<Option<TcpStream>>,
    /// Wakes the reader thread: room in a queue, a stream dropped, shutting down.
    pub(crate) wake: Arc<Signal>,
    queues: Mutex<Vec<Arc<Queue>>>,
    handlers: RwLock<EventHandlers<Arc<HandlerFn>>>,
    /// The application closed it (no reconnect, no more requests).
    shutting_down: AtomicBool,
    /// The reader thread has stopped for good.
    finished: AtomicBool,
    /// Signalled when `finished` is set.
    done: Signal,
    reader: Mutex<Option<JoinHandle<()>>>,
    reader_id: Mutex<Option<ThreadId>>,
}

/// What the reader thread hands out once the state lock is released.
pub(crate) enum Work {
    Accept(Arc<Slot>),
    Complete(Arc<Slot>, Result<Response>),
    Event(Event),
    Incoming(Incoming),
}

impl Shared {
    pub(crate) fn new(config: ClientConfig, conn: Connection, peer: String) -> Arc<Shared> {
        Arc::new(Shared {
            config,
            peer,
            state: Mutex::new(Locked {
                conn,
                waiters: HashMap::new(),
                outcome: None,
            }),
            handshake: Condvar::new(),
            writes: WriteLock::new(),
            socket: Mutex::new(None),
            wake: Arc::new(Signal::default()),
            queues: Mutex::new(Vec::new()),
            handlers: RwLock::new(EventHandlers::new()),
            shutting_down: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            done: Signal::default(),
            reader: Mutex::new(None),
            reader_id: Mutex::new(None),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Locked> {
        lock(&self.state)
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }

    pub(crate) fn is_backlogged(&self) -> bool {
        self.writes.is_backlogged()
    }

    // ---- the socket ----

    /// Puts `stream` (or no socket, while reconnecting) under the connection: writes go to
    /// it, and shutting down closes it.
    pub(crate) fn attach(&self, stream: Option<&TcpStream>) {
        let writer = stream.and_then(|s| s.try_clone().ok());
        let control = stream.and_then(|s| s.try_clone().ok());
        let mut guard = self
            .writes
            .lock_until(None)
            .expect("no deadline, so the lock is always taken");
        guard.attach(writer);
        *lock(&self.socket) = control;
        drop(guard);
        if self.is_shutting_down() {
            self.shutdown_socket();
        }
    }

    /// Closes the socket both ways: the reader thread sees the end at once.
    pub(crate) fn shutdown_socket(&self) {
        if let Some(socket) = lock(&self.socket).as_ref() {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }

    /// The application is done with the connection: no reconnect, the socket closes, and the
    /// reader thread ends.
    pub(crate) fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::Release);
        self.shutdown_socket();
        self.wake.notify();
    }

    pub(crate) fn set_reader(&self, handle: JoinHandle<()>) {
        *lock(&self.reader_id) = Some(handle.thread().id());
        *lock(&self.reader) = Some(handle);
    }

    /// Waits (at most `timeout`) for the reader thread to end, and joins it if it did. Does
    /// not wait when called from the reader thread itself (a handler).
    pub(crate) fn join_reader(&self, timeout: Duration) {
        if *lock(&self.reader_id) == Some(std::thread::current().id()) {
            return;
        }
        let deadline = signal::deadline(timeout);
        loop {
            let seen = self.done.generation();
            if self.is_finished() {
                break;
            }
            let left = deadline.map_or(Duration::from_secs(1), |d| {
                d.saturating_duration_since(Instant::now())
            });
            if left.is_zero() {
                tracing::warn!(peer = %self.peer, "the reader thread did not end in time; detached");
                return;
            }
            self.done.wait_past(seen, left);
        }
        if let Some(handle) = lock(&self.reader).take() {
            let _ = handle.join();
        }
    }

    /// Writes what the connection queued, then whatever other threads queued meanwhile
    /// (see [`WriteLock`]), and gives the lock back.
    fn write_queued<'a>(
        &'a self,
        mut guard: WriteGuard<'a>,
        deadline: Option<Instant>,
        patient: bool,
    ) {
        loop {
            self.writes.take_dirty();
            if let Some(bytes) = self.lock().conn.poll_transmit() {
                guard.writer().push(bytes);
            }
            let flushed = guard.writer().flush(deadline, patient);
            drop(guard);
            if flushed != Flushed::Done || !self.writes.is_dirty() {
                return;
            }
            match self.writes.try_lock() {
                Some(next) => guard = next,
                // Its holder writes what is queued before it leaves.
                None => return,
            }
        }
    }

    /// The reader thread's write: what the core queued on its own and any backlog, never
    /// blocking more than one slice, never waiting for the lock.
    pub(crate) fn reader_flush(&self) {
        self.writes.mark_dirty();
        if let Some(guard) = self.writes.try_lock() {
            self.write_queued(guard, None, false);
        }
    }

    /// Under the state lock, after input: takes what the core queued on its own (auth,
    /// replayed subscriptions, held commands released by the handshake) if the write lock is
    /// free, or leaves it to the writer that holds the lock. `try_lock` never waits, so
    /// taking it under the state lock cannot deadlock.
    fn take_transmit(&self, st: &mut Locked) -> Option<WriteGuard<'_>> {
        let Some(mut guard) = self.writes.try_lock() else {
            self.writes.mark_dirty();
            return None;
        };
        if let Some(bytes) = st.conn.poll_transmit() {
            guard.writer().push(bytes);
        }
        guard.has_backlog().then_some(guard)
    }

    // ---- input ----

    /// Feeds received bytes (or the end of the stream) to the connection and hands every
    /// output to whoever waits for it. Returns the fatal error, if one happened.
    pub(crate) fn process(
        &self,
        data: Option<&[u8]>,
        work: &mut Vec<Work>,
    ) -> Option<esl_proto::Error> {
        let mut fatal = None;
        let writing;
        {
            let mut st = self.lock();
            match data {
                Some(bytes) => st.conn.receive(bytes),
                None => st.conn.receive_eof(),
            }
            loop {
                match st.conn.poll_output() {
                    Ok(Some(output)) => {
                        if let Some(item) = self.route(&mut st, output) {
                            work.push(item);
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        fatal = Some(e);
                        break;
                    }
                }
            }
            if let Some(e) = &fatal {
                self.settle(&mut st, Err(Error::from(e.clone())));
            }
            writing = self.take_transmit(&mut st);
        }
        if let Some(guard) = writing {
            self.write_queued(guard, None, false);
        }
        self.deliver_all(work);
        fatal
    }

    /// Ends the current connection from this side; every request still open fails.
    pub(crate) fn close_connection(&self) {
        let mut work = Vec::new();
        {
            let mut st = self.lock();
            st.conn.close();
            while let Ok(Some(output)) = st.conn.poll_output() {
                if let Some(item) = self.route(&mut st, output) {
                    work.push(item);
                }
            }
            // Every request has ended by now; this only guards against waiting for ever.
            for (_, slot) in st.waiters.drain() {
                work.push(Work::Complete(slot, Err(Error::Closed)));
            }
            self.settle(&mut st, Err(Error::Closed));
        }
        self.deliver_all(&mut work);
    }

    /// Puts a fresh connection in place of a dead one (reconnecting); requests made from now
    /// on are held by it until it is ready.
    pub(crate) fn replace_connection(&self, conn: Connection) {
        let mut st = self.lock();
        st.conn = conn;
        // Request ids start again with the new connection: nothing of the old one may stay.
        let stale: Vec<_> = st.waiters.drain().map(|(_, slot)| slot).collect();
        drop(st);
        for slot in stale {
            slot.complete(Err(Error::ConnectionClosed(CloseReason::Eof)));
        }
    }

    /// Records how the first handshake ended, once.
    fn settle(&self, st: &mut Locked, outcome: Result<Ready>) {
        if st.outcome.is_none() {
            st.outcome = Some(outcome);
            self.handshake.notify_all();
        }
    }

    /// Waits until the first handshake ends, at most until `deadline`.
    pub(crate) fn wait_ready(&self, deadline: Option<Instant>, limit: Duration) -> Result<Ready> {
        let mut st = self.lock();
        loop {
            if let Some(outcome) = &st.outcome {
                return outcome.clone();
            }
            let (guard, expired) = signal::wait_until(&self.handshake, st, deadline);
            st = guard;
            if expired && st.outcome.is_none() {
                return Err(Error::ConnectTimeout(limit));
            }
        }
    }

    fn route(&self, st: &mut Locked, output: Output) -> Option<Work> {
        match output {
            Output::Ready(ready) => {
                self.settle(st, Ok(ready));
                None
            }
            Output::Accepted { id, reply } => {
                let slot = st.waiters.get(&id)?;
                tracing::trace!(peer = %self.peer, request = id.get(), reply = %reply.text(), "accepted");
                Some(Work::Accept(slot.clone()))
            }
            Output::Response { id, response } => st
                .waiters
                .remove(&id)
                .map(|slot| Work::Complete(slot, Ok(response))),
            Output::Failed { id, error } => st
                .waiters
                .remove(&id)
                .map(|slot| Work::Complete(slot, Err(error.into()))),
            Output::Event(event) => Some(Work::Event(event)),
            Output::Log(line) => Some(Work::Incoming(Incoming::Log(line))),
            Output::Disconnect(notice) => Some(Work::Incoming(Incoming::Notice(notice))),
            Output::Closed(reason) => {
                self.settle(st, Err(Error::ConnectionClosed(reason)));
                None
            }
            Output::InvalidEvent { error, .. } => {
                tracing::warn!(peer = %self.peer, %error, "event that does not parse, skipped");
                None
            }
            Output::Unexpected(message) => {
                tracing::warn!(peer = %self.peer, content_type = %message.content_type(), "unexpected message, skipped");
                None
            }
            Output::AuthRequested => None,
        }
    }

    /// Hands out what one input produced, in order. Consecutive stream items go to the
    /// streams together (one lock and at most one wake-up per stream), but always before a
    /// later request completes, so a caller that got its reply finds the events that came
    /// before it.
    fn deliver_all(&self, work: &mut Vec<Work>) {
        let mut batch = Vec::new();
        for item in work.drain(..) {
            match item {
                Work::Accept(slot) => {
                    self.fan_out(&mut batch);
                    slot.accept();
                }
                Work::Complete(slot, result) => {
                    self.fan_out(&mut batch);
                    slot.complete(result);
                }
                Work::Event(event) => {
                    self.run_handlers(&event);
                    batch.push(Incoming::Event(event));
                }
                Work::Incoming(item) => batch.push(item),
            }
        }
        self.fan_out(&mut batch);
    }

    fn run_handlers(&self, event: &Event) {
        let matching: Vec<Arc<HandlerFn>> = self
            .handlers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .matching(event)
            .cloned()
            .collect();
        // Called without the lock held, so a handler may add or remove handlers.
        for handler in matching {
            let call = std::panic::AssertUnwindSafe(|| handler(event));
            if std::panic::catch_unwind(call).is_err() {
                tracing::error!(peer = %self.peer, event = %event.name().as_str(), "an event handler panicked");
            }
        }
    }

    fn fan_out(&self, batch: &mut Vec<Incoming>) {
        if batch.is_empty() {
            return;
        }
        let mut queues = lock(&self.queues);
        queues.retain(|q| !q.is_receiver_gone());
        match queues.split_last() {
            Some((last, rest)) => {
                for q in rest {
                    q.push_all(batch.iter().cloned());
                }
                last.push_all(batch.drain(..));
            }
            None => batch.clear(),
        }
    }

    /// A gap marker in every stream (after a reconnect).
    pub(crate) fn mark_gap(&self, gap: Gap) {
        for q in lock(&self.queues).iter() {
            q.push_gap(gap);
        }
    }

    /// True if some stream is full and wants the reader thread to stop reading.
    pub(crate) fn backpressure(&self) -> bool {
        lock(&self.queues).iter().any(|q| q.is_full())
    }

    /// The reader thread has stopped for good: every request fails, every stream ends.
    pub(crate) fn finish(&self) {
        self.finished.store(true, Ordering::Release);
        self.close_connection();
        for q in lock(&self.queues).iter() {
            q.close();
        }
        self.done.notify();
    }

    // ---- requests ----

    fn start(
        &self,
        command: Command,
        deadline: Option<Instant>,
        timeout: Duration,
    ) -> Result<Pending> {
        if self.is_shutting_down() || self.is_finished() {
            return Err(Error::Closed);
        }
        // Taken before the command is queued: a caller that cannot write in time has sent
        // nothing, and the bytes go out in the order the core queued them.
        let guard = self
            .writes
            .lock_until(deadline)
            .ok_or(Error::Timeout(timeout))?;
        let slot = Arc::new(Slot::default());
        let keyword =
            tracing::enabled!(tracing::Level::TRACE).then(|| command.keyword().to_owned());
        let queued = if deadline.is_some_and(|d| Instant::now() >= d) {
            Err(Error::Timeout(timeout))
        } else {
            let mut st = self.lock();
            if self.is_shutting_down() || self.is_finished() {
                Err(Error::Closed)
            } else {
                st.conn.send(command).map_err(Error::from).inspect(|id| {
                    st.waiters.insert(*id, slot.clone());
                })
            }
        };
        // Whatever happened, the lock is given back through a write: bytes the reader thread
        // queued while this thread held it go out now. Writing waits at most the request
        // timeout (an `execute` may wait an hour for its result, not for the socket); what
        // is left then stays in the backlog, in order, for the next writer or the reader.
        let write_until = deadline
            .into_iter()
            .chain(signal::deadline(self.config.request_timeout))
            .min();
        self.write_queued(guard, write_until, queued.is_ok());
        let id = queued?;
        if let Some(keyword) = keyword {
            tracing::trace!(peer = %self.peer, request = id.get(), command = %keyword, "sent");
        }
        Ok(Pending { id, slot })
    }

    /// The caller gave up on `id`: its late reply is consumed by the core, never handed to
    /// another request. Does nothing if the request already ended (its id may then name a
    /// request of a newer connection).
    fn cancel(&self, id: RequestId, slot: &Arc<Slot>) {
        let mut st = self.lock();
        if st.waiters.get(&id).is_some_and(|s| Arc::ptr_eq(s, slot)) {
            st.waiters.remove(&id);
            st.conn.cancel(id);
        }
    }

    /// Waits for the first step of a request; on timeout the request is cancelled.
    fn first(
        &self,
        pending: &Pending,
        deadline: Option<Instant>,
        timeout: Duration,
    ) -> Result<Step> {
        pending.slot.wait_first(deadline).ok_or_else(|| {
            self.cancel(pending.id, &pending.slot);
            Error::Timeout(timeout)
        })
    }

    /// Waits for the result of a request; on timeout the request is cancelled.
    fn last(
        &self,
        id: RequestId,
        slot: &Arc<Slot>,
        deadline: Option<Instant>,
        timeout: Duration,
    ) -> Result<Response> {
        slot.wait_last(deadline).unwrap_or_else(|| {
            self.cancel(id, slot);
            Err(Error::Timeout(timeout))
        })
    }
}

/// A request just queued.
struct Pending {
    id: RequestId,
    slot: Arc<Slot>,
}

pub(crate) fn interpret(response: Response) -> Result<Response> {
    if response.is_ok() {
        Ok(response)
    } else {
        Err(Error::Rejected(response.text()))
    }
}

/// The request API of one connection: what [`Client`](crate::Client) and
/// [`Session`](crate::Session) share. Cheap to clone; clones share the connection, and
/// every method may be called from any number of threads at once.
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("peer", &self.shared.peer)
            .finish()
    }
}

impl Handle {
    pub(crate) fn new(shared: Arc<Shared>) -> Handle {
        Handle { shared }
    }

    /// Sends `command` and waits for its result for at most `timeout`: the reply, the api
    /// output, a job's `BACKGROUND_JOB` or an execute's `CHANNEL_EXECUTE_COMPLETE`. The
    /// switch's `-ERR` comes back as `Ok` here; see [`Response::is_ok`].
    pub fn send_timeout(&self, command: Command, timeout: Duration) -> Result<Response> {
        let deadline = signal::deadline(timeout);
        let pending = self.shared.start(command, deadline, timeout)?;
        match self.shared.first(&pending, deadline, timeout)? {
            Step::Done(result) => result,
            Step::Accepted => self.shared.last(
                pending.id,
                &pending.slot,
                signal::deadline(timeout),
                timeout,
            ),
        }
    }

    /// [`Handle::send_timeout`] with the timeout the command's kind calls for.
    pub fn send(&self, command: Command) -> Result<Response> {
        let timeout = match &command {
            Command::Bgapi { .. } => self.shared.config.job_timeout,
            Command::SendMsg(SendMsg {
                command: CallCommand::Execute(_),
                ..
            }) => self.shared.config.execute_timeout,
            _ => self.shared.config.request_timeout,
        };
        self.send_timeout(command, timeout)
    }

    /// Sends a command whose reply is `+OK` on success; an `-ERR` is an error.
    pub fn command(&self, command: Command) -> Result<Reply> {
        match interpret(self.send(command)?)? {
            Response::Reply(reply) => Ok(reply),
            other => Err(Error::Rejected(other.text())),
        }
    }

    /// `api <command>`: its output. An output starting `-ERR` or `-USAGE` is
    /// [`Error::Rejected`].
    pub fn api(&self, command: &str) -> Result<String> {
        Ok(self.api_response(command)?.text().into_owned())
    }

    /// `api <command>`, its output as it came.
    pub fn api_response(&self, command: &str) -> Result<ApiResponse> {
        match interpret(self.send(Command::api(command))?)? {
            Response::Api(api) => Ok(api),
            other => Err(Error::Rejected(other.text())),
        }
    }

    /// `bgapi <command>` with a fresh `Job-UUID`: the switch accepts it at once, and the
    /// returned [`Job`] waits for the command's output.
    pub fn bgapi(&self, command: &str) -> Result<Job> {
        let uuid = uuid::Uuid::new_v4().to_string();
        let timeout = self.shared.config.request_timeout;
        let deadline = signal::deadline(timeout);
        let command = Command::bgapi_with_uuid(command, uuid.clone());
        let pending = self.shared.start(command, deadline, timeout)?;
        match self.shared.first(&pending, deadline, timeout)? {
            Step::Accepted => Ok(Job {
                shared: self.shared.clone(),
                uuid,
                id: pending.id,
                slot: pending.slot,
                armed: true,
            }),
            Step::Done(result) => Err(match result {
                Ok(response) => Error::Rejected(response.text()),
                Err(e) => e,
            }),
        }
    }

    /// `originate <url> <target>` in the background; the new channel's uuid.
    /// `target` is an extension or `&app(args)`.
    pub fn originate(&self, url: &str, target: &str) -> Result<String> {
        self.originate_job(url, target)?.channel_uuid()
    }

    /// `originate` as a [`Job`]; see [`Job::channel_uuid`].
    pub fn originate_job(&self, url: &str, target: &str) -> Result<Job> {
        self.bgapi(&format!("originate {url} {target}"))
    }

    /// `event <format> <names...>`.
    pub fn subscribe(&self, format: EventFormat, events: &[&str]) -> Result<()> {
        self.command(Command::event(format, events.iter().copied()))?;
        Ok(())
    }

    /// `nixevent <names...>`.
    pub fn unsubscribe(&self, events: &[&str]) -> Result<()> {
        self.command(Command::nixevent(events.iter().copied()))?;
        Ok(())
    }

    /// `noevents`.
    pub fn unsubscribe_all(&self) -> Result<()> {
        self.command(Command::NoEvents)?;
        Ok(())
    }

    /// `filter <header> <value>`.
    pub fn filter(&self, header: &str, value: &str) -> Result<()> {
        self.command(Command::filter(header, value))?;
        Ok(())
    }

    /// `filter delete <header> [<value>]`.
    pub fn filter_delete(&self, header: &str, value: Option<&str>) -> Result<()> {
        self.command(Command::filter_delete(header, value.map(str::to_owned)))?;
        Ok(())
    }

    /// `log <level>`: log lines then arrive in the event streams.
    pub fn log(&self, level: esl_proto::LogLevel) -> Result<()> {
        self.command(Command::Log { level: Some(level) })?;
        Ok(())
    }

    /// Runs `app` on channel `uuid` and waits until it completes (its
    /// `CHANNEL_EXECUTE_COMPLETE`, which is returned).
    pub fn execute(&self, uuid: &str, app: &str, arg: Option<&str>) -> Result<Event> {
        let mut exec = Execute::new(app, arg.map(str::to_owned));
        exec.event_uuid = Some(uuid::Uuid::new_v4().to_string());
        self.execute_with(Some(uuid.to_owned()), exec)
    }

    pub(crate) fn execute_with(&self, uuid: Option<String>, exec: Execute) -> Result<Event> {
        let wait = exec.wait;
        let command = Command::SendMsg(SendMsg {
            uuid,
            command: CallCommand::Execute(exec),
            headers: Vec::new(),
        });
        match interpret(self.send(command)?)? {
            Response::Executed(event) => Ok(event),
            Response::Reply(_) if !wait => Ok(Event::builder("CHANNEL_EXECUTE").build()),
            other => Err(Error::Rejected(other.text())),
        }
    }

    /// A new stream of events, log lines and notices from now on. Each call makes an
    /// independent stream; see [`Overflow`](crate::Overflow).
    pub fn events(&self) -> EventStream {
        let queue = Queue::new(
            self.shared.config.event_capacity,
            self.shared.config.overflow,
            self.shared.wake.clone(),
        );
        {
            let mut queues = lock(&self.shared.queues);
            // Checked under the queues' lock, which `finish` takes to close them all.
            if self.shared.is_finished() {
                queue.close();
            }
            queues.push(queue.clone());
        }
        EventStream::new(queue)
    }

    /// Calls `handler` for every event named `name` (an event name such as
    /// `CHANNEL_ANSWER`, a `CUSTOM` subclass such as `conference::maintenance`, or `*`).
    /// Handlers run on the connection's reader thread, before the event reaches the streams:
    /// keep them short, and hand anything that waits (a request on this connection, above
    /// all) to another thread. A handler that panics is logged and skipped.
    pub fn on(&self, name: &str, handler: impl Fn(&Event) + Send + Sync + 'static) -> HandlerId {
        self.shared
            .handlers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .add(name, Arc::new(handler))
    }

    /// Removes a handler.
    pub fn off(&self, id: HandlerId) {
        self.shared
            .handlers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    /// What the application subscribed to (replayed after a reconnect).
    pub fn subscriptions(&self) -> Subscriptions {
        self.shared.lock().conn.subscriptions().clone()
    }

    /// The protocol core's counters for the current connection.
    pub fn stats(&self) -> Stats {
        self.shared.lock().conn.stats()
    }

    /// True while the connection is up and authenticated.
    pub fn is_connected(&self) -> bool {
        self.shared.lock().conn.is_ready()
    }

    /// The address of the peer.
    pub fn peer(&self) -> &str {
        &self.shared.peer
    }
}

/// A `bgapi` job under way: [`Job::wait`] for the command's output.
///
/// Dropping an unfinished job cancels it: the connection stops waiting for its result.
pub struct Job {
    shared: Arc<Shared>,
    uuid: String,
    id: RequestId,
    slot: Arc<Slot>,
    armed: bool,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("uuid", &self.uuid).finish()
    }
}

impl Job {
    /// The job's `Job-UUID`.
    pub fn uuid(&self) -> &str {
        &self.uuid
    }

    /// The `BACKGROUND_JOB` event, within the configured job timeout.
    pub fn event(self) -> Result<Event> {
        let timeout = self.shared.config.job_timeout;
        self.event_within(timeout)
    }

    /// The `BACKGROUND_JOB` event, within `timeout`. On [`Error::Timeout`] the job is
    /// cancelled: its result, if it comes later, is discarded.
    pub fn event_within(mut self, timeout: Duration) -> Result<Event> {
        self.armed = false;
        let response = self
            .shared
            .last(self.id, &self.slot, signal::deadline(timeout), timeout)?;
        match response {
            Response::Job(event) => Ok(event),
            other => Err(Error::Rejected(other.text())),
        }
    }

    /// The command's output, within the configured job timeout; `-ERR ...` / `-USAGE ...`
    /// outputs are [`Error::Rejected`].
    pub fn wait(self) -> Result<String> {
        let timeout = self.shared.config.job_timeout;
        self.wait_timeout(timeout)
    }

    /// [`Job::wait`] within `timeout`. On [`Error::Timeout`] the job is cancelled: its
    /// result, if it comes later, is discarded.
    pub fn wait_timeout(self, timeout: Duration) -> Result<String> {
        interpret(Response::Job(self.event_within(timeout)?)).map(|r| r.text())
    }

    /// The command's output: the same as [`Job::wait`].
    pub fn output(self) -> Result<String> {
        self.wait()
    }

    /// For an `originate` job: the new channel's uuid (`+OK <uuid>`), or the switch's cause.
    pub fn channel_uuid(self) -> Result<String> {
        let timeout = self.shared.config.job_timeout;
        let response = interpret(Response::Job(self.event_within(timeout)?))?;
        response
            .originated_uuid()
            .ok_or_else(|| Error::Rejected(response.text()))
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        if self.armed {
            self.shared.cancel(self.id, &self.slot);
        }
    }
}
