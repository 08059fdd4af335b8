//! The engine: one client connection's behaviour over the whole life of the client, across
//! every socket a reconnect opens. See the [module documentation](super) for the loop an
//! adapter runs around it.

mod dispatch;
mod lifecycle;
mod tracking;

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::config::{ClientConfig, ServerConfig, SessionSetup};
use super::error::Error;
use super::idle::Idle;
use super::link::Link;
use super::requests::{later, Expect, Requests};
use super::rng::Rng;
use super::streams::{Carries, Drained, Gap, Incoming, StreamId, Streams};
use crate::apps::{EventHandlers, HandlerId};
use crate::track::Tracker;
use crate::{
    CallCommand, CloseReason, Command, Connection, Event, Output, Ready, RequestError, RequestId,
    Response, Stats, Subscriptions,
};
use tracking::Tracking;

/// What the adapter has to do, in order. See [`Engine::poll_action`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Action<W, H> {
    /// Open a socket to the switch (the first one, or a reconnect), then call
    /// [`Engine::connected`] or [`Engine::connect_failed`].
    Connect,
    /// Close the socket, after writing what [`Engine::poll_transmit`] still holds.
    Disconnect,
    /// The connection is ready: authenticated (inbound), or the outbound session is set up,
    /// with the channel's data. Comes once.
    Ready(Ready),
    /// The switch accepted this request (a `bgapi` or a waiting `execute`); its result comes
    /// later.
    Accepted(W),
    /// This request ended.
    Done(W, Result<Response, Error>),
    /// Call these handlers with this event.
    Event {
        /// The event.
        event: Event,
        /// The handlers registered for it, in the order they were added.
        handlers: Vec<H>,
    },
    /// The engine has stopped for good: closed on purpose (`Ok`), or lost without a reconnect
    /// policy, or given up. Every request has ended and every stream has ended. Last action.
    Finished(Result<(), Error>),
}

/// A request the engine sent: its id, and the uuid the engine chose for it (the `Job-UUID`
/// of a `bgapi`, the `Event-UUID` of an `execute`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sent {
    /// The request.
    pub id: RequestId,
    /// The uuid its completion event will carry.
    pub uuid: Option<String>,
}

#[derive(Debug, Clone, Copy)]
enum Role {
    Inbound,
    Outbound(SessionSetup),
}

/// An outbound session between its `connect` reply and its setup's last `+OK`.
#[derive(Debug)]
struct Setup {
    pending: Vec<RequestId>,
    ready: Ready,
}

/// One client connection's behaviour, without I/O or clock: requests and their deadlines,
/// what replies mean, event streams and handlers, reconnecting, the outbound session's setup.
///
/// `W` is what the adapter wakes a request's caller with, `H` an event handler, `S` what
/// wakes a stream's consumer; the engine keeps them and hands them back in [`Action`]s and
/// [`Engine::take_woken`].
///
/// ```
/// use std::time::Instant;
/// use esl_proto::client::{Action, ClientConfig, Engine, Expect};
/// use esl_proto::Command;
///
/// let now = Instant::now();
/// let mut engine: Engine<&str, ()> = Engine::inbound(ClientConfig::password("ClueCon"), now);
/// assert!(matches!(engine.poll_action(), Some(Action::Connect)));
/// engine.connected(now);
/// engine.send(now, Command::api("status"), Expect::Api, None, "status caller").unwrap();
/// engine.receive(now, b"Content-Type: auth/request\n\n");
/// engine.receive(now, b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n");
/// assert!(matches!(engine.poll_action(), Some(Action::Ready(_))));
/// assert_eq!(&engine.poll_transmit().unwrap()[..], b"auth ClueCon\n\napi status\n\n");
/// engine.receive(now, b"Content-Type: api/response\nContent-Length: 6\n\nUP 0s\n");
/// match engine.poll_action() {
///     Some(Action::Done("status caller", Ok(response))) => assert_eq!(response.text(), "UP 0s\n"),
///     other => panic!("{other:?}"),
/// }
/// ```
pub struct Engine<W, H, S = ()> {
    config: ClientConfig,
    role: Role,
    conn: Connection,
    link: Link,
    requests: Requests<W>,
    streams: Streams<S>,
    handlers: EventHandlers<H>,
    actions: VecDeque<Action<W, H>>,
    rng: Rng,
    /// The application's subscriptions as last confirmed, for the next connection.
    record: Subscriptions,
    ready_once: bool,
    /// The current connection completed its handshake.
    conn_ready: bool,
    setup: Option<Setup>,
    exit: Option<RequestId>,
    /// The socket error that ended the current socket, reported to its requests.
    io_error: Option<Arc<io::Error>>,
    reconnects: u64,
    tracking: Option<Tracking>,
    /// The switch's address, as connect errors name it.
    peer: String,
    idle: Idle,
}

impl<W, H, S> std::fmt::Debug for Engine<W, H, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("role", &self.role)
            .field("link", &self.link)
            .field("connection", &self.conn)
            .field("requests", &self.requests.len())
            .field("reconnects", &self.reconnects)
            .finish()
    }
}

impl<W: Clone, H: Clone, S: Clone> Engine<W, H, S> {
    // ---- construction ----

    /// A client of a switch's event socket. Its first action is [`Action::Connect`].
    pub fn inbound(config: ClientConfig, now: Instant) -> Engine<W, H, S> {
        let conn = Connection::inbound(config.auth.clone()).with_limits(config.limits);
        let link = Link::Opening {
            attempt: 0,
            deadline: later(now, config.connect_timeout),
        };
        let mut engine = Engine::new(config, Role::Inbound, conn, link, now);
        engine.actions.push_back(Action::Connect);
        engine
    }

    /// One call of an outbound server, on a socket the switch already opened: `connect`
    /// goes out at once, then the session's setup.
    pub fn outbound(config: &ServerConfig, now: Instant) -> Engine<W, H, S> {
        let conn = Connection::outbound().with_limits(config.session.limits);
        let link = Link::Up {
            handshake: Some(later(now, config.session.connect_timeout)),
            attempt: 0,
        };
        Engine::new(
            config.session.clone(),
            Role::Outbound(config.setup),
            conn,
            link,
            now,
        )
    }

    /// Names the switch's address in connect errors ([`Error::Connect`],
    /// [`Error::ConnectTimeout`]); without it they say "the switch".
    pub fn peer(mut self, addr: impl Into<String>) -> Engine<W, H, S> {
        self.peer = addr.into();
        self
    }

    fn new(
        config: ClientConfig,
        role: Role,
        conn: Connection,
        link: Link,
        now: Instant,
    ) -> Engine<W, H, S> {
        Engine {
            rng: Rng::new(config.seed),
            streams: Streams::new(config.event_capacity, config.event_bytes, config.overflow),
            config,
            role,
            conn,
            link,
            requests: Requests::default(),
            handlers: EventHandlers::new(),
            actions: VecDeque::new(),
            record: Subscriptions::new(),
            ready_once: false,
            conn_ready: false,
            setup: None,
            exit: None,
            io_error: None,
            reconnects: 0,
            tracking: None,
            peer: String::from("the switch"),
            idle: Idle::new(now),
        }
    }

    // ---- getters ----

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// True while a socket is up and ready for commands.
    pub fn is_ready(&self) -> bool {
        matches!(
            self.link,
            Link::Up {
                handshake: None,
                ..
            }
        ) && self.conn.is_ready()
    }

    /// True once [`Action::Finished`] has been produced.
    pub fn is_finished(&self) -> bool {
        matches!(self.link, Link::Finished)
    }

    /// True from [`Engine::close`] until it is finished.
    pub fn is_closing(&self) -> bool {
        matches!(self.link, Link::Closing { .. })
    }

    /// What the application subscribed to and the switch accepted (replayed after a
    /// reconnect).
    pub fn subscriptions(&self) -> &Subscriptions {
        if self.conn_ready && !self.conn.is_replaying() {
            self.conn.subscriptions()
        } else {
            &self.record
        }
    }

    /// The events the connection subscribed to for itself (see
    /// [`Connection::library_subscriptions`]).
    pub fn library_subscriptions(&self) -> Vec<&'static str> {
        self.conn.library_subscriptions()
    }

    /// The protocol counters of the current socket.
    pub fn stats(&self) -> Stats {
        self.conn.stats()
    }

    /// Reconnections made so far.
    pub fn reconnects(&self) -> u64 {
        self.reconnects
    }

    /// Requests waiting for their result.
    pub fn pending_requests(&self) -> usize {
        self.requests.len()
    }

    /// Outbound: the channel of the call.
    pub fn session_uuid(&self) -> Option<&str> {
        self.conn.session_uuid()
    }

    /// When [`Engine::handle_timeout`] must be called next, if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.requests.next_deadline(),
            self.link.deadline(),
            self.idle.deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Bytes of receive buffer held (see [`Connection::buffer_bytes`]): what an idle
    /// connection gives back.
    ///
    /// ```
    /// use std::time::Instant;
    /// use esl_proto::client::{ClientConfig, Engine};
    ///
    /// let now = Instant::now();
    /// let mut engine: Engine<(), ()> = Engine::inbound(ClientConfig::password("ClueCon"), now);
    /// engine.connected(now);
    /// engine.receive(now, b"Content-Type: auth/request\n\n");
    /// assert!(engine.buffer_bytes() > 0);
    /// engine.release();
    /// assert_eq!(engine.buffer_bytes(), 0);
    /// ```
    pub fn buffer_bytes(&self) -> usize {
        self.conn.buffer_bytes()
    }

    /// False while an event stream is full under
    /// [`Overflow::Backpressure`](super::Overflow::Backpressure): stop reading the socket
    /// until a drain says [`Drained::resume_reading`].
    pub fn wants_read(&self) -> bool {
        !self.streams.holds_back()
    }

    // ---- transport input ----

    /// The socket asked for by [`Action::Connect`] is open.
    pub fn connected(&mut self, now: Instant) {
        let _ = now;
        match self.link {
            Link::Opening { attempt, deadline } => {
                self.io_error = None;
                self.link = Link::Up {
                    handshake: Some(deadline),
                    attempt,
                }
            }
            // Closed meanwhile: nobody wants the socket.
            _ => self.actions.push_back(Action::Disconnect),
        }
    }

    /// The socket asked for by [`Action::Connect`] could not be opened.
    pub fn connect_failed(&mut self, now: Instant, error: io::Error) {
        if let Link::Opening { attempt, .. } = self.link {
            tracing::debug!(%error, attempt, "connect failed");
            let error = Error::Connect {
                addr: self.peer.clone(),
                source: Arc::new(error),
            };
            self.attempt_failed(now, attempt, error);
        }
    }

    /// Bytes read from the socket.
    pub fn receive(&mut self, now: Instant, bytes: &[u8]) {
        if matches!(self.link, Link::Up { .. } | Link::Closing { .. }) {
            self.idle.received(now);
            self.conn.receive(bytes);
            self.pump(now);
        }
    }

    /// The peer closed the socket.
    pub fn receive_eof(&mut self, now: Instant) {
        if matches!(self.link, Link::Up { .. } | Link::Closing { .. }) {
            self.conn.receive_eof();
            self.pump(now);
        }
    }

    /// How many bytes to read next, at most `max` (see [`Connection::read_size`]).
    ///
    /// ```
    /// use std::time::Instant;
    /// use esl_proto::client::{ClientConfig, Engine};
    ///
    /// let now = Instant::now();
    /// let mut engine: Engine<(), ()> = Engine::inbound(ClientConfig::password("ClueCon"), now);
    /// engine.connected(now);
    /// assert_eq!(engine.read_size(65536), 65536, "nothing buffered: a full read");
    /// ```
    pub fn read_size(&self, max: usize) -> usize {
        self.conn.read_size(max)
    }

    /// The socket has nothing more to read for now (a read would block); call it each time.
    /// The engine gives back the memory it keeps for the next messages (see
    /// [`Engine::release`]): at once if it only holds small buffers, which the allocator
    /// hands back as cheaply; and if it holds buffers sized to a stream of events, once
    /// nothing has arrived for [`RELEASE_AFTER`](super::RELEASE_AFTER), when its
    /// [`Engine::poll_timeout`] comes. Under a steady stream a read blocks between two
    /// writes of the switch many times a second; giving those buffers back each time made
    /// the next reads fault in fresh pages. An idle connection ends up holding little more
    /// than what it handed out.
    ///
    /// ```
    /// use std::time::Instant;
    /// use esl_proto::client::{ClientConfig, Engine, RELEASE_AFTER};
    /// use esl_proto::{server, Event, EventFormat};
    ///
    /// let now = Instant::now();
    /// let mut engine: Engine<(), ()> = Engine::inbound(ClientConfig::password("ClueCon"), now);
    /// engine.connected(now);
    /// engine.receive(now, b"Content-Type: auth/request\n\n");
    /// engine.read_blocked(now);
    /// assert_eq!(engine.buffer_bytes(), 0, "a small buffer goes back at once");
    ///
    /// engine.receive(now, b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n");
    /// let event = server::encode_event(&Event::builder("HEARTBEAT").build(), EventFormat::Plain);
    /// engine.receive(now, &event.repeat(500)); // a stream of events
    /// engine.read_blocked(now);
    /// assert_eq!(engine.poll_timeout(), Some(now + RELEASE_AFTER));
    /// assert!(engine.buffer_bytes() > 0, "kept through a short pause");
    /// engine.handle_timeout(now + RELEASE_AFTER);
    /// assert_eq!(engine.buffer_bytes(), 0);
    /// ```
    pub fn read_blocked(&mut self, now: Instant) {
        if self.conn.holds_stream_buffers() {
            self.idle.read_blocked(now);
        } else {
            self.release();
        }
    }

    /// Gives back, now, the memory the engine keeps for the next messages and the queues
    /// that are empty (see [`Connection::release`]). [`Engine::read_blocked`] does this
    /// once a connection stays idle; call this to do it at once.
    ///
    /// ```
    /// use std::time::Instant;
    /// use esl_proto::client::{ClientConfig, Engine};
    ///
    /// let now = Instant::now();
    /// let mut engine: Engine<(), ()> = Engine::inbound(ClientConfig::password("ClueCon"), now);
    /// engine.connected(now);
    /// engine.receive(now, b"Content-Type: auth/request\n\n");
    /// assert!(engine.buffer_bytes() > 0, "a receive buffer, kept for the next messages");
    /// engine.release();
    /// assert_eq!(engine.buffer_bytes(), 0);
    /// ```
    pub fn release(&mut self) {
        self.conn.release();
        if self.actions.is_empty() {
            self.actions = VecDeque::new();
        }
        self.streams.release();
    }

    /// The socket failed (a reset, ...): its requests fail with this error.
    pub fn receive_error(&mut self, now: Instant, error: io::Error) {
        if matches!(self.link, Link::Up { .. } | Link::Closing { .. }) {
            tracing::warn!(%error, "socket error");
            self.io_error = Some(Arc::new(error));
            self.conn.receive_eof();
            self.pump(now);
        }
    }

    /// Time passed: expires requests, the connect and handshake deadlines, and the
    /// reconnect wait.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.idle.due(now) {
            self.release();
        }
        for (id, entry) in self.requests.expire(now) {
            self.conn.cancel(id);
            self.actions.push_back(Action::Done(
                entry.waiter,
                Err(Error::Timeout(entry.timeout)),
            ));
        }
        match self.link {
            Link::Opening { attempt, deadline } if now >= deadline => {
                let error = self.connect_timeout();
                self.attempt_failed(now, attempt, error);
            }
            Link::Up {
                handshake: Some(deadline),
                attempt,
            } if now >= deadline => {
                tracing::warn!("no handshake in time");
                self.actions.push_back(Action::Disconnect);
                let error = self.connect_timeout();
                self.attempt_failed(now, attempt, error);
            }
            Link::Backoff { attempt, until } if now >= until => {
                self.link = Link::Opening {
                    attempt,
                    deadline: later(now, self.config.connect_timeout),
                };
                self.actions.push_back(Action::Connect);
            }
            Link::Closing { deadline } if now >= deadline => {
                self.actions.push_back(Action::Disconnect);
                self.finish(now, Ok(()));
            }
            _ => {}
        }
        self.pump(now);
    }

    // ---- application commands ----

    /// Sends `command`, expecting `expect`, within `timeout` (the one its kind calls for
    /// when `None`). A `bgapi` without a `Job-UUID` and a waiting `execute` without an
    /// `Event-UUID` get one from the engine.
    pub fn send(
        &mut self,
        now: Instant,
        mut command: Command,
        expect: Expect,
        timeout: Option<Duration>,
        waiter: W,
    ) -> Result<Sent, Error> {
        if matches!(self.link, Link::Finished | Link::Closing { .. }) {
            return Err(Error::Closed);
        }
        let uuid = self.choose_uuid(&mut command);
        let (first, after_accept) = match (timeout, expect) {
            (Some(t), _) => (t, t),
            (None, Expect::Job) => (self.config.request_timeout, self.config.job_timeout),
            (None, _) => {
                let t = self.config.timeout_for(&command);
                (t, t)
            }
        };
        let id = self.conn.send(command)?;
        self.requests
            .insert(id, waiter, expect, now, first, after_accept);
        Ok(Sent { id, uuid })
    }

    /// The caller gave up on `id`: nobody is told, and its late reply is consumed.
    pub fn cancel(&mut self, id: RequestId) {
        if self.requests.remove(id).is_some() {
            self.conn.cancel(id);
            // The cancellation's own output reaches nobody; what it withdrew goes out.
            while let Ok(Some(_)) = self.conn.poll_output() {}
        }
    }

    /// Gives `id` a new timeout from `now` (a caller that waits for a job's result with a
    /// timeout of its own). False if `id` has ended.
    pub fn set_timeout(&mut self, id: RequestId, now: Instant, timeout: Duration) -> bool {
        self.requests.set_timeout(id, now, timeout)
    }

    /// Closes on purpose: `exit` goes out (when connected), the switch's goodbye is awaited
    /// for at most the request timeout, and nothing reconnects, whatever the socket does
    /// meanwhile.
    pub fn close(&mut self, now: Instant) {
        match self.link {
            Link::Finished | Link::Closing { .. } => {}
            Link::Up { .. } if self.conn.is_ready() => match self.conn.send(Command::Exit) {
                Ok(id) => {
                    self.exit = Some(id);
                    self.link = Link::Closing {
                        deadline: later(now, self.config.request_timeout),
                    };
                }
                Err(_) => {
                    self.actions.push_back(Action::Disconnect);
                    self.finish(now, Ok(()));
                }
            },
            Link::Up { .. } => {
                self.actions.push_back(Action::Disconnect);
                self.finish(now, Ok(()));
            }
            Link::Opening { .. } | Link::Backoff { .. } => self.finish(now, Ok(())),
        }
    }

    /// Stops at once, without a goodbye (the application dropped the client).
    pub fn abort(&mut self, now: Instant) {
        if !self.is_finished() {
            self.actions.push_back(Action::Disconnect);
            self.finish(now, Ok(()));
        }
    }

    /// A new event stream, from now on; `waker` is handed back by [`Engine::take_woken`]
    /// when it has items.
    pub fn open_stream(&mut self, waker: S) -> StreamId {
        self.open(Carries::Events, waker)
    }

    /// A new stream of the call table's changes ([`Incoming::Change`], and a
    /// [`Gap::Reconnected`] marker before the table is rebuilt after a reconnect). Starts
    /// tracking if it had not started.
    pub fn open_change_stream(&mut self, now: Instant, waker: S) -> StreamId {
        self.track(now);
        self.open(Carries::Changes, waker)
    }

    fn open(&mut self, carries: Carries, waker: S) -> StreamId {
        let id = self.streams.open(carries, waker);
        if self.streams.has_ended() {
            self.streams.end();
        }
        id
    }

    /// The stream's consumer went away.
    pub fn close_stream(&mut self, id: StreamId) {
        self.streams.close(id);
    }

    /// Moves up to `max` queued items of stream `id` into `out`, and no more than
    /// [`DRAIN_BYTES`](super::DRAIN_BYTES) of them beyond the first.
    pub fn drain(&mut self, id: StreamId, out: &mut VecDeque<Incoming>, max: usize) -> Drained {
        self.streams.drain(id, out, max)
    }

    /// Events stream `id` dropped so far by the overflow policy.
    pub fn dropped(&self, id: StreamId) -> u64 {
        self.streams.dropped(id)
    }

    /// Items waiting in stream `id`.
    pub fn queued(&self, id: StreamId) -> usize {
        self.streams.len(id)
    }

    /// Calls `handler` (through [`Action::Event`]) for every event called `name` (an event
    /// name, a `CUSTOM` subclass, or `*`).
    pub fn on(&mut self, name: &str, handler: H) -> HandlerId {
        self.handlers.add(name, handler)
    }

    /// Removes a handler; false if there was none.
    pub fn off(&mut self, id: HandlerId) -> bool {
        self.handlers.remove(id)
    }

    // ---- poll outputs ----

    /// The next thing to do; `None` when there is nothing until more input or time.
    pub fn poll_action(&mut self) -> Option<Action<W, H>> {
        self.actions.pop_front()
    }

    /// True if [`Engine::poll_transmit`] has bytes to hand out (requests sent since the
    /// last write).
    ///
    /// ```
    /// use std::time::Instant;
    /// use esl_proto::client::{ClientConfig, Engine};
    ///
    /// let now = Instant::now();
    /// let mut engine: Engine<(), ()> = Engine::inbound(ClientConfig::password("ClueCon"), now);
    /// engine.connected(now);
    /// engine.receive(now, b"Content-Type: auth/request\n\n");
    /// assert!(engine.wants_write(), "the auth command");
    /// engine.poll_transmit();
    /// assert!(!engine.wants_write());
    /// ```
    pub fn wants_write(&self) -> bool {
        self.conn.has_transmit()
    }

    /// Bytes to write to the socket.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.conn.poll_transmit()
    }

    /// The wakers of the streams that received items (or ended) since they were last
    /// taken: wake their consumers.
    pub fn take_woken(&mut self, out: &mut Vec<S>) {
        self.streams.take_woken(out);
    }
}
