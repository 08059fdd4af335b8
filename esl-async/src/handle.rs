//! The state one connection's callers and driver share, and the request API on top of it.
//!
//! Callers lock the state only to queue a command and register for its result; the driver
//! locks it only to feed received bytes in and take outputs out. Nothing holds the lock
//! across a round trip, so any number of tasks pipeline requests on one connection.

use std::collections::HashMap;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use esl_proto::apps::EventHandlers;
use esl_proto::{
    ApiResponse, CallCommand, CloseReason, Command, Connection, Event, EventFormat, Execute,
    Output, Ready, Reply, RequestId, Response, SendMsg, Stats, Subscriptions,
};
use futures_channel::oneshot;
use futures_util::future::{self, Either};
use futures_util::task::AtomicWaker;

use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::events::{EventStream, Gap, Incoming, Queue};
use crate::runtime::Runtime;

/// The first thing a request hears: accepted (a job or execute is under way), or its end.
pub(crate) enum Step {
    Accepted,
    Done(Result<Response>),
}

/// Where a request's result goes.
struct Waiter {
    first: Option<oneshot::Sender<Step>>,
    last: Option<oneshot::Sender<Result<Response>>>,
}

type HandlerFn = dyn Fn(&Event) + Send + Sync;

/// Names a handler registered with [`Handle::on`], to remove it.
pub use esl_proto::apps::HandlerId;

pub(crate) struct Locked {
    pub(crate) conn: Connection,
    waiters: HashMap<RequestId, Waiter>,
    ready: Vec<oneshot::Sender<Result<Ready>>>,
    pub(crate) last_ready: Option<Ready>,
    pub(crate) closed: Option<CloseReason>,
}

/// Shared by every clone of a client or session, and by its driver.
pub(crate) struct Inner<R: Runtime> {
    pub(crate) runtime: R,
    pub(crate) config: ClientConfig,
    state: Mutex<Locked>,
    /// Wakes the driver: bytes to send, room in a queue, or a close.
    pub(crate) wake: Arc<AtomicWaker>,
    queues: Mutex<Vec<Arc<Queue>>>,
    handlers: RwLock<EventHandlers<Arc<HandlerFn>>>,
    /// The application closed it (no reconnect, no more requests).
    pub(crate) shutting_down: AtomicBool,
    /// The driver has stopped for good.
    pub(crate) finished: AtomicBool,
    pub(crate) peer: String,
}

fn lock(state: &Mutex<Locked>) -> std::sync::MutexGuard<'_, Locked> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

impl<R: Runtime> Inner<R> {
    pub(crate) fn new(
        runtime: R,
        config: ClientConfig,
        conn: Connection,
        peer: String,
    ) -> Arc<Inner<R>> {
        Arc::new(Inner {
            runtime,
            config,
            state: Mutex::new(Locked {
                conn,
                waiters: HashMap::new(),
                ready: Vec::new(),
                last_ready: None,
                closed: None,
            }),
            wake: Arc::new(AtomicWaker::new()),
            queues: Mutex::new(Vec::new()),
            handlers: RwLock::new(EventHandlers::new()),
            shutting_down: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            peer,
        })
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Locked> {
        lock(&self.state)
    }

    /// Puts a fresh connection in place of a dead one (reconnecting); requests made from now
    /// on are held by it until it is ready.
    pub(crate) fn replace_connection(&self, conn: Connection) {
        let mut st = self.lock();
        st.conn = conn;
        st.closed = None;
    }

    /// Waits for the handshake of the current connection.
    pub(crate) fn ready(&self) -> oneshot::Receiver<Result<Ready>> {
        let (tx, rx) = oneshot::channel();
        let mut st = self.lock();
        match (&st.last_ready, st.closed) {
            (Some(ready), _) => {
                let _ = tx.send(Ok(ready.clone()));
            }
            (None, Some(reason)) => {
                let _ = tx.send(Err(Error::ConnectionClosed(reason)));
            }
            (None, None) => st.ready.push(tx),
        }
        rx
    }

    /// Feeds received bytes (or the end of the stream) to the connection and hands every
    /// output to whoever waits for it. Returns the fatal error, if one happened.
    pub(crate) fn process(&self, data: Option<&[u8]>) -> Option<esl_proto::Error> {
        let mut work = Vec::new();
        let mut fatal = None;
        {
            let mut st = self.lock();
            match data {
                Some(bytes) => st.conn.receive(bytes),
                None => st.conn.receive_eof(),
            }
            loop {
                match st.conn.poll_output() {
                    Ok(Some(output)) => work.push(self.route(&mut st, output)),
                    Ok(None) => break,
                    Err(e) => {
                        fatal = Some(e);
                        break;
                    }
                }
            }
            if let Some(e) = &fatal {
                let error = Error::from(e.clone());
                for tx in st.ready.drain(..) {
                    let _ = tx.send(Err(error.clone()));
                }
            }
        }
        self.deliver_all(work);
        fatal
    }

    /// Delivers in order, handing each run of events to the streams in one batch: one lock
    /// and one wake-up per stream per read, not per event (a wake per event made the
    /// consumer's thread park and unpark for every event).
    fn deliver_all(&self, work: Vec<Work>) {
        let mut batch = Vec::new();
        for item in work {
            match item {
                Work::Event(event) => {
                    self.call_handlers(&event);
                    batch.push(Incoming::Event(event));
                }
                Work::Incoming(item) => batch.push(item),
                Work::Nothing => {}
                Work::Accept(tx) => {
                    // A reply must not overtake the events that came before it.
                    self.fan_out(std::mem::take(&mut batch));
                    let _ = tx.send(Step::Accepted);
                }
                Work::Complete(waiter, result) => {
                    self.fan_out(std::mem::take(&mut batch));
                    complete(waiter, result);
                }
            }
        }
        self.fan_out(batch);
    }

    /// Ends the current connection from this side (the socket is gone or being dropped).
    pub(crate) fn close_connection(&self) {
        let mut work = Vec::new();
        {
            let mut st = self.lock();
            st.conn.close();
            while let Ok(Some(output)) = st.conn.poll_output() {
                work.push(self.route(&mut st, output));
            }
        }
        self.deliver_all(work);
        self.wake_streams();
    }

    fn route(&self, st: &mut Locked, output: Output) -> Work {
        match output {
            Output::Ready(ready) => {
                st.last_ready = Some(ready.clone());
                for tx in st.ready.drain(..) {
                    let _ = tx.send(Ok(ready.clone()));
                }
                Work::Nothing
            }
            Output::Accepted { id, reply } => {
                match st.waiters.get_mut(&id).and_then(|w| w.first.take()) {
                    Some(tx) => {
                        tracing::trace!(peer = %self.peer, request = id.get(), reply = %reply.text(), "accepted");
                        Work::Accept(tx)
                    }
                    None => Work::Nothing,
                }
            }
            Output::Response { id, response } => match st.waiters.remove(&id) {
                Some(waiter) => Work::Complete(waiter, Ok(response)),
                None => Work::Nothing,
            },
            Output::Failed { id, error } => match st.waiters.remove(&id) {
                Some(waiter) => Work::Complete(waiter, Err(error.into())),
                None => Work::Nothing,
            },
            Output::Event(event) => Work::Event(event),
            Output::Log(line) => Work::Incoming(Incoming::Log(line)),
            Output::Disconnect(notice) => Work::Incoming(Incoming::Notice(notice)),
            Output::Closed(reason) => {
                st.closed = Some(reason);
                st.last_ready = None;
                for tx in st.ready.drain(..) {
                    let _ = tx.send(Err(Error::ConnectionClosed(reason)));
                }
                Work::Nothing
            }
            Output::InvalidEvent { error, .. } => {
                tracing::warn!(peer = %self.peer, %error, "event that does not parse, skipped");
                Work::Nothing
            }
            Output::Unexpected(message) => {
                tracing::warn!(peer = %self.peer, content_type = %message.content_type(), "unexpected message, skipped");
                Work::Nothing
            }
            Output::AuthRequested => Work::Nothing,
        }
    }

    fn call_handlers(&self, event: &Event) {
        let matching: Vec<Arc<HandlerFn>> = self
            .handlers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .matching(event)
            .cloned()
            .collect();
        // Called without the lock, so a handler may add or remove handlers.
        for handler in matching {
            // A handler's panic must not take the connection (and every request waiting on
            // it) down with it.
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(event))).is_err() {
                tracing::error!(peer = %self.peer, event = %event.name().as_str(), "event handler panicked");
            }
        }
    }

    fn fan_out(&self, items: Vec<Incoming>) {
        if items.is_empty() {
            return;
        }
        let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        queues.retain(|q| !q.is_receiver_gone());
        if let Some((last, rest)) = queues.split_last() {
            for q in rest {
                q.push_all_quietly(items.iter().cloned());
            }
            last.push_all_quietly(items);
        }
    }

    /// Wakes every stream that received items since it was last woken. The driver calls it
    /// at the end of each turn; anything else that delivers calls it right away.
    pub(crate) fn wake_streams(&self) {
        for q in self.queues.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            q.wake_if_pushed();
        }
    }

    /// A gap marker in every stream (after a reconnect).
    pub(crate) fn mark_gap(&self, gap: Gap) {
        for q in self.queues.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            q.push_gap(gap);
        }
    }

    /// True if some stream is full and wants the driver to stop reading.
    pub(crate) fn backpressure(&self) -> bool {
        self.queues
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|q| q.is_full())
    }

    /// No more events will come.
    pub(crate) fn close_streams(&self) {
        for q in self.queues.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            q.close();
        }
    }

    fn start(&self, command: Command, with_last: bool) -> Result<Pending> {
        let keyword = command.keyword().to_owned();
        let mut st = self.lock();
        if self.shutting_down.load(Ordering::Acquire) || self.finished.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        let id = st.conn.send(command)?;
        let (first_tx, first) = oneshot::channel();
        let (last_tx, last) = if with_last {
            let (tx, rx) = oneshot::channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        st.waiters.insert(
            id,
            Waiter {
                first: Some(first_tx),
                last: last_tx,
            },
        );
        drop(st);
        tracing::trace!(peer = %self.peer, request = id.get(), command = %keyword, "sent");
        self.wake.wake();
        Ok(Pending { id, first, last })
    }

    fn cancel(&self, id: RequestId) {
        let mut st = self.lock();
        st.waiters.remove(&id);
        st.conn.cancel(id);
        // The cancellation's own output is not wanted by anyone.
        drop(st);
        self.wake.wake();
    }
}

enum Work {
    Nothing,
    Accept(oneshot::Sender<Step>),
    Complete(Waiter, Result<Response>),
    Event(Event),
    Incoming(Incoming),
}

/// Hands a finished request its result: to whichever receiver is still waiting.
fn complete(mut waiter: Waiter, result: Result<Response>) {
    match waiter.first.take() {
        Some(first) => {
            let _ = first.send(Step::Done(result));
        }
        None => {
            if let Some(last) = waiter.last.take() {
                let _ = last.send(result);
            }
        }
    }
}

/// A request just queued. Nothing awaits between queuing it and handing its receivers to
/// [`within`], which cancels the request if its caller stops waiting.
struct Pending {
    id: RequestId,
    first: oneshot::Receiver<Step>,
    last: Option<oneshot::Receiver<Result<Response>>>,
}

/// Awaits `rx` for at most `timeout`. On expiry, or if the caller drops this future, the
/// request is cancelled: its late reply is consumed and its registrations freed.
async fn within<R: Runtime, T>(
    inner: &Arc<Inner<R>>,
    id: RequestId,
    rx: oneshot::Receiver<T>,
    timeout: Duration,
) -> Result<T> {
    struct CancelOnDrop<'a, R: Runtime> {
        inner: &'a Arc<Inner<R>>,
        id: Option<RequestId>,
    }
    impl<R: Runtime> Drop for CancelOnDrop<'_, R> {
        fn drop(&mut self) {
            if let Some(id) = self.id.take() {
                self.inner.cancel(id);
            }
        }
    }
    let mut guard = CancelOnDrop {
        inner,
        id: Some(id),
    };
    let sleep = inner.runtime.sleep(timeout);
    match future::select(rx, sleep).await {
        Either::Left((Ok(value), _)) => {
            guard.id = None;
            Ok(value)
        }
        // The sender went away: the connection state was dropped with the request in it.
        Either::Left((Err(_), _)) => {
            guard.id = None;
            Err(Error::Closed)
        }
        Either::Right(_) => Err(Error::Timeout(timeout)),
    }
}

pub(crate) fn interpret(response: Response) -> Result<Response> {
    if response.is_ok() {
        Ok(response)
    } else {
        Err(Error::Rejected(response.text()))
    }
}

/// The request API of one connection: what [`Client`](crate::Client) and
/// [`Session`](crate::Session) share. Cheap to clone; clones share the connection.
pub struct Handle<R: Runtime> {
    pub(crate) inner: Arc<Inner<R>>,
}

impl<R: Runtime> Clone for Handle<R> {
    fn clone(&self) -> Self {
        Handle {
            inner: self.inner.clone(),
        }
    }
}

impl<R: Runtime> std::fmt::Debug for Handle<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("peer", &self.inner.peer)
            .finish()
    }
}

impl<R: Runtime> Handle<R> {
    pub(crate) fn new(inner: Arc<Inner<R>>) -> Handle<R> {
        Handle { inner }
    }

    /// Sends `command` and waits for its result for at most `timeout`: the reply, the api
    /// output, a job's `BACKGROUND_JOB` or an execute's `CHANNEL_EXECUTE_COMPLETE`. The
    /// switch's `-ERR` comes back as `Ok` here; see [`Response::is_ok`].
    pub async fn send_timeout(&self, command: Command, timeout: Duration) -> Result<Response> {
        let pending = self.inner.start(command, true)?;
        let id = pending.id;
        match within(&self.inner, id, pending.first, timeout).await? {
            Step::Done(result) => result,
            Step::Accepted => {
                let last = pending.last.ok_or(Error::Closed)?;
                within(&self.inner, id, last, timeout).await?
            }
        }
    }

    /// [`Handle::send_timeout`] with the timeout the command's kind calls for.
    pub async fn send(&self, command: Command) -> Result<Response> {
        let timeout = match &command {
            Command::Bgapi { .. } => self.inner.config.job_timeout,
            Command::SendMsg(SendMsg {
                command: CallCommand::Execute(_),
                ..
            }) => self.inner.config.execute_timeout,
            _ => self.inner.config.request_timeout,
        };
        self.send_timeout(command, timeout).await
    }

    /// Sends a command whose reply is `+OK` on success; an `-ERR` is an error.
    pub async fn command(&self, command: Command) -> Result<Reply> {
        match interpret(self.send(command).await?)? {
            Response::Reply(reply) => Ok(reply),
            other => Err(Error::Rejected(other.text())),
        }
    }

    /// `api <command>`: its output. An output starting `-ERR` or `-USAGE` is
    /// [`Error::Rejected`].
    pub async fn api(&self, command: &str) -> Result<String> {
        Ok(self.api_response(command).await?.text().into_owned())
    }

    /// `api <command>`, its output as it came.
    pub async fn api_response(&self, command: &str) -> Result<ApiResponse> {
        match interpret(self.send(Command::api(command)).await?)? {
            Response::Api(api) => Ok(api),
            other => Err(Error::Rejected(other.text())),
        }
    }

    /// `bgapi <command>` with a fresh `Job-UUID`: the switch accepts it at once, and the
    /// returned [`Job`] resolves to the command's output.
    pub async fn bgapi(&self, command: &str) -> Result<Job<R>> {
        let uuid = uuid::Uuid::new_v4().to_string();
        let pending = self
            .inner
            .start(Command::bgapi_with_uuid(command, uuid.clone()), true)?;
        let id = pending.id;
        match within(
            &self.inner,
            id,
            pending.first,
            self.inner.config.request_timeout,
        )
        .await?
        {
            Step::Accepted => Ok(Job {
                inner: self.inner.clone(),
                uuid,
                id,
                last: pending.last,
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
    pub async fn originate(&self, url: &str, target: &str) -> Result<String> {
        self.originate_job(url, target).await?.channel_uuid().await
    }

    /// `originate` as a [`Job`]; see [`Job::channel_uuid`].
    pub async fn originate_job(&self, url: &str, target: &str) -> Result<Job<R>> {
        self.bgapi(&format!("originate {url} {target}")).await
    }

    /// `event <format> <names...>`.
    pub async fn subscribe(&self, format: EventFormat, events: &[&str]) -> Result<()> {
        self.command(Command::event(format, events.iter().copied()))
            .await?;
        Ok(())
    }

    /// `nixevent <names...>`.
    pub async fn unsubscribe(&self, events: &[&str]) -> Result<()> {
        self.command(Command::nixevent(events.iter().copied()))
            .await?;
        Ok(())
    }

    /// `noevents`.
    pub async fn unsubscribe_all(&self) -> Result<()> {
        self.command(Command::NoEvents).await?;
        Ok(())
    }

    /// `filter <header> <value>`.
    pub async fn filter(&self, header: &str, value: &str) -> Result<()> {
        self.command(Command::filter(header, value)).await?;
        Ok(())
    }

    /// `filter delete <header> [<value>]`.
    pub async fn filter_delete(&self, header: &str, value: Option<&str>) -> Result<()> {
        self.command(Command::filter_delete(header, value.map(str::to_owned)))
            .await?;
        Ok(())
    }

    /// `log <level>`: log lines then arrive in the event streams.
    pub async fn log(&self, level: esl_proto::LogLevel) -> Result<()> {
        self.command(Command::Log { level: Some(level) }).await?;
        Ok(())
    }

    /// Runs `app` on channel `uuid` and waits until it completes (its
    /// `CHANNEL_EXECUTE_COMPLETE`, which is returned).
    pub async fn execute(&self, uuid: &str, app: &str, arg: Option<&str>) -> Result<Event> {
        let mut exec = Execute::new(app, arg.map(str::to_owned));
        exec.event_uuid = Some(uuid::Uuid::new_v4().to_string());
        self.execute_with(Some(uuid.to_owned()), exec).await
    }

    pub(crate) async fn execute_with(&self, uuid: Option<String>, exec: Execute) -> Result<Event> {
        let wait = exec.wait;
        let command = Command::SendMsg(SendMsg {
            uuid,
            command: CallCommand::Execute(exec),
            headers: Vec::new(),
        });
        match interpret(self.send(command).await?)? {
            Response::Executed(event) => Ok(event),
            Response::Reply(_) if !wait => Ok(Event::builder("CHANNEL_EXECUTE").build()),
            other => Err(Error::Rejected(other.text())),
        }
    }

    /// A new stream of events, log lines and notices from now on. Each call makes an
    /// independent stream; see [`Overflow`](crate::Overflow).
    pub fn events(&self) -> EventStream {
        let queue = Queue::new(
            self.inner.config.event_capacity,
            self.inner.config.overflow,
            self.inner.wake.clone(),
        );
        if self.inner.finished.load(Ordering::Acquire) {
            queue.close();
        }
        self.inner
            .queues
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(queue.clone());
        EventStream::new(queue)
    }

    /// Calls `handler` for every event named `name` (an event name such as
    /// `CHANNEL_ANSWER`, a `CUSTOM` subclass such as `conference::maintenance`, or `*`).
    /// Handlers run on the connection's driver, before the event reaches the streams: keep
    /// them short, and spawn anything that waits.
    pub fn on(&self, name: &str, handler: impl Fn(&Event) + Send + Sync + 'static) -> HandlerId {
        self.inner
            .handlers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .add(name, Arc::new(handler))
    }

    /// Removes a handler.
    pub fn off(&self, id: HandlerId) {
        self.inner
            .handlers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    /// What the application subscribed to (replayed after a reconnect).
    pub fn subscriptions(&self) -> Subscriptions {
        self.inner.lock().conn.subscriptions().clone()
    }

    /// The protocol core's counters for the current connection.
    pub fn stats(&self) -> Stats {
        self.inner.lock().conn.stats()
    }

    /// True while the connection is up and authenticated.
    pub fn is_connected(&self) -> bool {
        self.inner.lock().conn.is_ready()
    }

    /// The address of the peer.
    pub fn peer(&self) -> &str {
        &self.inner.peer
    }
}

/// A `bgapi` job under way: await it (it is [`IntoFuture`]) for the command's output.
///
/// Dropping an unfinished job cancels it: the connection stops waiting for its result.
pub struct Job<R: Runtime> {
    inner: Arc<Inner<R>>,
    uuid: String,
    id: RequestId,
    last: Option<oneshot::Receiver<Result<Response>>>,
    armed: bool,
}

impl<R: Runtime> std::fmt::Debug for Job<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("uuid", &self.uuid).finish()
    }
}

impl<R: Runtime> Job<R> {
    /// The job's `Job-UUID`.
    pub fn uuid(&self) -> &str {
        &self.uuid
    }

    /// The `BACKGROUND_JOB` event, within the configured job timeout.
    pub async fn event(self) -> Result<Event> {
        let timeout = self.inner.config.job_timeout;
        self.event_within(timeout).await
    }

    /// The `BACKGROUND_JOB` event, within `timeout`.
    pub async fn event_within(mut self, timeout: Duration) -> Result<Event> {
        self.armed = false;
        let last = self.last.take().ok_or(Error::Closed)?;
        match within(&self.inner, self.id, last, timeout).await?? {
            Response::Job(event) => Ok(event),
            other => Err(Error::Rejected(other.text())),
        }
    }

    /// The command's output; `-ERR ...` / `-USAGE ...` outputs are [`Error::Rejected`].
    pub async fn output(self) -> Result<String> {
        interpret(Response::Job(self.event().await?)).map(|r| r.text())
    }

    /// For an `originate` job: the new channel's uuid (`+OK <uuid>`), or the switch's cause.
    pub async fn channel_uuid(self) -> Result<String> {
        let response = interpret(Response::Job(self.event().await?))?;
        response
            .originated_uuid()
            .ok_or_else(|| Error::Rejected(response.text()))
    }
}

impl<R: Runtime> IntoFuture for Job<R> {
    type Output = Result<String>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<String>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.output())
    }
}

impl<R: Runtime> Drop for Job<R> {
    fn drop(&mut self) {
        if self.armed {
            self.inner.cancel(self.id);
        }
    }
}
