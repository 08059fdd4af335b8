//! The client side of one ESL connection, inbound or outbound, without any I/O.
//!
//! See the crate documentation for the driving loop. The methods below are grouped as in
//! quinn-proto: construction, getters, input ([`Connection::receive`],
//! [`Connection::receive_eof`]), application commands ([`Connection::send`],
//! [`Connection::cancel`], [`Connection::close`]) and poll outputs
//! ([`Connection::poll_output`], [`Connection::poll_transmit`]).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::command::{CallCommand, Command, Password};
use crate::error::{CloseReason, Error, EventError, FrameError, RequestError, SendError};
use crate::event::{Event, EventFormat};
use crate::event_name::EventName;
use crate::frame::Framer;
use crate::headers::SpanArena;
use crate::message::{
    ApiResponse, ContentType, DisconnectNotice, Disposition, LogLine, Message, Reply,
};
use crate::subscriptions::Subscriptions;
use crate::Limits;

/// Names one request; every id [`Connection::send`] returns ends in exactly one terminal
/// output: [`Output::Response`] or [`Output::Failed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(u64);

impl RequestId {
    /// The id as a number (unique per connection, increasing).
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// How an inbound connection authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// `auth <password>` as soon as the switch asks.
    Password(Password),
    /// `userauth <user@domain>:<password>` as soon as the switch asks.
    User {
        /// `user@domain`
        user: String,
        /// The user's `esl-password`.
        password: Password,
    },
    /// Nothing automatic: the application sees [`Output::AuthRequested`], sends
    /// [`Command::Auth`] itself, and commands are not held before auth (the switch answers
    /// them `-ERR command not found`).
    Manual,
}

/// The connection is ready for commands.
#[derive(Debug, Clone)]
pub struct Ready {
    /// The reply that made it ready (`+OK accepted`, or the outbound `connect` reply).
    pub reply: Reply,
    /// Outbound only: the channel's data from the `connect` reply (`Unique-ID`,
    /// `Caller-*`, `variable_*`, ...).
    pub channel: Option<Event>,
}

/// The result a request ended with.
#[derive(Debug, Clone)]
pub enum Response {
    /// A `command/reply`.
    Reply(Reply),
    /// An `api/response`.
    Api(ApiResponse),
    /// The `BACKGROUND_JOB` event of a `bgapi`; its body is the command's output.
    Job(Event),
    /// The `CHANNEL_EXECUTE_COMPLETE` of a `sendmsg execute`.
    Executed(Event),
}

impl Response {
    /// The result as text: reply text, api output, job output, or the application's
    /// `Application-Response`.
    pub fn text(&self) -> String {
        match self {
            Response::Reply(r) => r.text().into_owned(),
            Response::Api(a) => a.text().into_owned(),
            Response::Job(e) => e.body_text().unwrap_or_default().into_owned(),
            Response::Executed(e) => e.application_response().unwrap_or_default().into_owned(),
        }
    }

    /// For the output of an `originate` (its job, or `api originate`): the new channel's
    /// uuid, from `+OK <uuid>`.
    pub fn originated_uuid(&self) -> Option<String> {
        let text = self.text();
        let uuid = text.trim().strip_prefix("+OK ")?.trim();
        (!uuid.is_empty()).then(|| uuid.to_owned())
    }

    /// False when the switch reported an error (`-ERR ...`, `-USAGE ...`).
    pub fn is_ok(&self) -> bool {
        match self {
            Response::Reply(r) => r.is_ok(),
            Response::Api(a) => a.is_ok(),
            Response::Job(e) => e
                .body()
                .is_none_or(|b| !(b.starts_with(b"-ERR") || b.starts_with(b"-USAGE"))),
            Response::Executed(_) => true,
        }
    }
}

/// What the connection has for the application. See [`Connection::poll_output`].
#[derive(Debug, Clone)]
pub enum Output {
    /// The handshake is done (inbound: `+OK accepted`; outbound: the `connect` reply).
    Ready(Ready),
    /// [`Auth::Manual`] only: the switch sent `auth/request`.
    AuthRequested,
    /// The switch accepted a `bgapi` or an `execute`; the result follows (not terminal).
    Accepted {
        /// The request.
        id: RequestId,
        /// The `+OK` reply.
        reply: Reply,
    },
    /// A request ended with its result (terminal).
    Response {
        /// The request.
        id: RequestId,
        /// Its result.
        response: Response,
    },
    /// A request ended without its result (terminal).
    Failed {
        /// The request.
        id: RequestId,
        /// Why.
        error: RequestError,
    },
    /// An event the application subscribed to.
    Event(Event),
    /// A `log/data` line.
    Log(LogLine),
    /// A `text/disconnect-notice`: [`Disposition::Linger`] (the socket stays open and
    /// events go on) or [`Disposition::Disconnect`] (the switch closes it now).
    Disconnect(DisconnectNotice),
    /// An event whose body did not parse; the connection goes on.
    InvalidEvent {
        /// The message as framed.
        message: Message,
        /// What was wrong.
        error: EventError,
    },
    /// A message that belongs nowhere: a reply with no request waiting, or a content type
    /// this library does not know.
    Unexpected(Message),
    /// The connection ended; every request still open has already failed. Last output.
    Closed(CloseReason),
}

/// Counters, for metrics and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages framed.
    pub messages: u64,
    /// Events handed to the application.
    pub events: u64,
    /// Events received only because the connection subscribed to them for its own use
    /// (to resolve jobs and executes), not handed to the application.
    pub hidden_events: u64,
    /// Replies to cancelled requests, consumed.
    pub late_replies: u64,
    /// Replies to the connection's own commands (auth, replay, subscriptions it needed).
    pub internal_replies: u64,
    /// Of those, the ones that reported an error.
    pub internal_failures: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Inbound, automatic auth: waiting for `auth/request`.
    AwaitAuthRequest,
    /// Inbound: `auth` sent.
    Authenticating,
    /// Outbound: `connect` sent.
    Connecting,
    /// Inbound with [`Auth::Manual`] before a successful `auth`: commands go straight out.
    Open,
    Ready,
    Closed,
}

#[derive(Debug, Clone)]
enum Kind {
    Reply,
    Exit,
    ManualAuth,
    Job {
        job_uuid: Option<String>,
    },
    Execute {
        channel: Option<String>,
        app: String,
        event_uuid: Option<String>,
        wait: bool,
    },
    InternalAuth,
    InternalConnect,
    InternalSetup,
}

#[derive(Debug)]
struct Pending {
    id: RequestId,
    kind: Kind,
    cancelled: bool,
    /// The completion event came before the reply: the reply is then consumed.
    done: bool,
}

#[derive(Debug)]
struct Held {
    pending: Pending,
    bytes: Bytes,
    command: Command,
}

/// A request whose reply came and whose completion event is awaited.
#[derive(Debug)]
struct Waiting {
    id: RequestId,
    channel: Option<String>,
    /// False while the reply is still due (a client-chosen uuid is registered at send).
    replied: bool,
}

/// An `execute` without `Event-UUID`: it takes the `Application-UUID` of the first
/// `CHANNEL_EXECUTE` of its application on its channel after its `+OK`.
#[derive(Debug)]
struct Adoption {
    id: RequestId,
    channel: Option<String>,
    app: String,
}

const BACKGROUND_JOB: &str = "BACKGROUND_JOB";
const EXECUTE: &str = "CHANNEL_EXECUTE";
const EXECUTE_COMPLETE: &str = "CHANNEL_EXECUTE_COMPLETE";

/// The client side of one ESL connection.
pub struct Connection {
    auth: Option<Auth>,
    phase: Phase,
    limits: Limits,
    auto_subscribe: bool,
    framer: Framer,
    /// Messages parsed ahead of handling (see [`Connection::parse_ahead`]), each with its
    /// event if it is one, and the framing error that ended the batch, if one did.
    parsed: VecDeque<(Message, Option<Result<Event, EventError>>)>,
    frame_error: Option<FrameError>,
    arena: SpanArena,
    transmit: BytesMut,
    outputs: VecDeque<Output>,
    held: VecDeque<Held>,
    pending: VecDeque<Pending>,
    jobs: HashMap<String, Waiting>,
    executes: HashMap<String, Waiting>,
    adoptions: VecDeque<Adoption>,
    /// What the application asked for.
    user_subs: Subscriptions,
    /// What the switch was told, the connection's own additions included.
    wire_subs: Subscriptions,
    /// Event names the connection subscribed to (or let through a filter) for itself.
    internal_names: BTreeSet<&'static str>,
    replay: Vec<Command>,
    session: Option<String>,
    next_id: u64,
    eof: bool,
    exit_acked: bool,
    disconnect_seen: bool,
    error: Option<Error>,
    stats: Stats,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("phase", &self.phase)
            .field("auth", &self.auth)
            .field("pending", &self.pending.len())
            .field("held", &self.held.len())
            .field("jobs", &self.jobs.len())
            .field("executes", &(self.executes.len() + self.adoptions.len()))
            .field("session", &self.session)
            .field("error", &self.error)
            .finish()
    }
}

impl Connection {
    // ---- construction ----

    /// A connection to a switch's event socket (the switch speaks first, `auth/request`).
    pub fn inbound(auth: Auth) -> Connection {
        let phase = match auth {
            Auth::Manual => Phase::Open,
            _ => Phase::AwaitAuthRequest,
        };
        Connection::new(Some(auth), phase)
    }

    /// A connection the switch opened to us for one call (the `socket` application). The
    /// `connect` command is queued at once.
    pub fn outbound() -> Connection {
        let mut conn = Connection::new(None, Phase::Connecting);
        conn.write_internal(Command::Connect, Kind::InternalConnect);
        conn
    }

    fn new(auth: Option<Auth>, phase: Phase) -> Connection {
        let limits = Limits::default();
        Connection {
            auth,
            phase,
            limits,
            auto_subscribe: true,
            framer: Framer::new(limits),
            parsed: VecDeque::new(),
            frame_error: None,
            arena: SpanArena::default(),
            transmit: BytesMut::new(),
            outputs: VecDeque::new(),
            held: VecDeque::new(),
            pending: VecDeque::new(),
            jobs: HashMap::new(),
            executes: HashMap::new(),
            adoptions: VecDeque::new(),
            user_subs: Subscriptions::new(),
            wire_subs: Subscriptions::new(),
            internal_names: BTreeSet::new(),
            replay: Vec::new(),
            session: None,
            next_id: 0,
            eof: false,
            exit_acked: false,
            disconnect_seen: false,
            error: None,
            stats: Stats::default(),
        }
    }

    /// Uses `limits` instead of the defaults. Call before receiving anything.
    pub fn with_limits(mut self, limits: Limits) -> Connection {
        self.limits = limits;
        self.framer = Framer::new(limits);
        self
    }

    /// Re-establishes `subscriptions` as soon as the connection is ready, before any held
    /// command (what a reconnect does with the previous connection's
    /// [`Connection::subscriptions`]).
    pub fn with_subscriptions(mut self, subscriptions: &Subscriptions) -> Connection {
        self.replay = subscriptions.replay();
        self
    }

    /// Numbers this connection's requests after `previous`'s, so a [`RequestId`] names one
    /// request across a reconnect: a caller that gives up on a request of the old connection
    /// and cancels its id cannot cancel a new request that happens to have the same number.
    pub fn with_request_ids_after(mut self, previous: &Connection) -> Connection {
        self.next_id = self.next_id.max(previous.next_id);
        self
    }

    /// Whether the connection may subscribe to `BACKGROUND_JOB` / `CHANNEL_EXECUTE_COMPLETE`
    /// (or add a filter for them) when a `bgapi` or a waiting `execute` needs them. Events it
    /// receives only for that are not handed to the application. Default: true.
    pub fn with_auto_subscribe(mut self, on: bool) -> Connection {
        self.auto_subscribe = on;
        self
    }

    // ---- getters ----

    /// True once the handshake is done and until the connection closes.
    pub fn is_ready(&self) -> bool {
        self.phase == Phase::Ready
    }

    /// True once [`Output::Closed`] has been produced.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// The fatal error, if one happened.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// Outbound: the channel this socket controls (`Unique-ID` of the `connect` reply).
    pub fn session_uuid(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// What the application subscribed to, for [`Connection::with_subscriptions`].
    pub fn subscriptions(&self) -> &Subscriptions {
        &self.user_subs
    }

    /// Requests sent or held, waiting for their reply.
    pub fn pending_requests(&self) -> usize {
        self.pending.len() + self.held.len()
    }

    /// Jobs and executes waiting for their completion event.
    pub fn pending_completions(&self) -> usize {
        self.jobs.len() + self.executes.len() + self.adoptions.len()
    }

    /// Received bytes not yet turned into outputs.
    pub fn buffered(&self) -> usize {
        self.framer.buffered()
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    // ---- input ----

    /// Bytes read from the socket: any split, any size. Never fails; problems surface from
    /// [`Connection::poll_output`]. Drain `poll_output` after each call: the connection then
    /// holds at most one incomplete message (bounded by [`Limits`]).
    pub fn receive(&mut self, bytes: &[u8]) {
        if self.phase != Phase::Closed && self.error.is_none() {
            self.framer.push(bytes);
        }
    }

    /// The peer closed the socket. After the buffered messages, every open request fails
    /// and [`Output::Closed`] comes.
    pub fn receive_eof(&mut self) {
        self.eof = true;
    }

    // ---- application commands ----

    /// Queues `command`; the returned id names its result. Before the handshake completes
    /// the command is held, and released in order once it does.
    pub fn send(&mut self, command: Command) -> Result<RequestId, SendError> {
        if let Some(error) = &self.error {
            return Err(SendError::Connection(error.clone()));
        }
        if self.phase == Phase::Closed || self.eof {
            return Err(SendError::Closed);
        }
        if self.pending_requests() >= self.limits.max_pending_requests {
            return Err(SendError::TooManyPending {
                kind: "pending requests",
                limit: self.limits.max_pending_requests,
            });
        }
        let kind = self.classify(&command);
        let completes_later = matches!(kind, Kind::Job { .. } | Kind::Execute { wait: true, .. });
        if completes_later && self.pending_completions() >= self.limits.max_pending_jobs {
            return Err(SendError::TooManyPending {
                kind: "pending jobs",
                limit: self.limits.max_pending_jobs,
            });
        }
        if matches!(kind, Kind::Job { .. }) && self.wire_subs.myevents().is_some() {
            return Err(SendError::Unresolvable(
                "bgapi cannot complete on a myevents connection: the switch only sends this \
                 channel's events, and BACKGROUND_JOB has none; use api",
            ));
        }
        let bytes = command.to_bytes()?;
        let id = self.next_request_id();
        let pending = Pending {
            id,
            kind,
            cancelled: false,
            done: false,
        };
        match self.phase {
            Phase::Ready | Phase::Open => self.write_request(pending, bytes, &command),
            _ => self.held.push_back(Held {
                pending,
                bytes,
                command,
            }),
        }
        Ok(id)
    }

    /// The caller gave up on `id`: it ends now with [`RequestError::Cancelled`]; its reply,
    /// if it comes, is consumed (never given to another request). A command still held is
    /// never sent. Returns false if `id` is not open.
    pub fn cancel(&mut self, id: RequestId) -> bool {
        if let Some(index) = self.held.iter().position(|h| h.pending.id == id) {
            self.held.remove(index);
        } else if let Some(entry) = self
            .pending
            .iter_mut()
            .find(|p| p.id == id && !p.cancelled && !p.done && is_user(&p.kind))
        {
            entry.cancelled = true;
            self.forget_completion(id);
        } else if !self.forget_completion(id) {
            return false;
        }
        self.outputs.push_back(Output::Failed {
            id,
            error: RequestError::Cancelled,
        });
        true
    }

    /// Ends the connection from this side: every open request fails with
    /// [`CloseReason::Local`], then [`Output::Closed`]. (Send [`Command::Exit`] first for a
    /// polite goodbye.)
    pub fn close(&mut self) {
        if self.phase != Phase::Closed && self.error.is_none() {
            self.finish(CloseReason::Local);
        }
    }

    // ---- poll outputs ----

    /// The next output, `Ok(None)` when more input is needed. A fatal error is returned after
    /// the outputs it caused (every open request failing), and again on every later call.
    pub fn poll_output(&mut self) -> Result<Option<Output>, Error> {
        loop {
            if let Some(output) = self.outputs.pop_front() {
                return Ok(Some(output));
            }
            if let Some(error) = &self.error {
                return Err(error.clone());
            }
            if self.phase == Phase::Closed {
                return Ok(None);
            }
            if let Some((message, event)) = self.parsed.pop_front() {
                self.handle(message, event);
                continue;
            }
            if let Some(error) = self.frame_error.take() {
                self.fail(Error::Frame(error));
                continue;
            }
            match self.framer.next_frame() {
                Ok(Some(frame)) => self.parse_ahead(Message::from(frame)),
                Ok(None) if self.eof => {
                    let reason = if self.framer.is_mid_message() {
                        CloseReason::Truncated
                    } else if self.exit_acked {
                        CloseReason::Exit
                    } else if self.disconnect_seen {
                        CloseReason::Disconnected
                    } else {
                        CloseReason::Eof
                    };
                    self.finish(reason);
                }
                Ok(None) => return Ok(None),
                Err(e) => self.fail(Error::Frame(e)),
            }
        }
    }

    /// Bytes to write to the socket, all that are queued, or `None`.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        (!self.transmit.is_empty()).then(|| self.transmit.split().freeze())
    }

    // ---- internals ----

    fn next_request_id(&mut self) -> RequestId {
        self.next_id += 1;
        RequestId(self.next_id)
    }

    fn classify(&self, command: &Command) -> Kind {
        match command {
            Command::Bgapi { job_uuid, .. } => Kind::Job {
                job_uuid: job_uuid.clone(),
            },
            Command::SendMsg(msg) => match &msg.command {
                CallCommand::Execute(exec) => Kind::Execute {
                    channel: msg.uuid.clone().or_else(|| self.session.clone()),
                    app: exec.app.clone(),
                    event_uuid: exec.event_uuid.clone(),
                    wait: exec.wait,
                },
                _ => Kind::Reply,
            },
            Command::Exit => Kind::Exit,
            Command::Auth { .. } | Command::UserAuth { .. } if self.phase == Phase::Open => {
                Kind::ManualAuth
            }
            _ => Kind::Reply,
        }
    }

    fn write_internal(&mut self, command: Command, kind: Kind) {
        // The connection's own commands are built from checked parts; one that still would
        // not encode is skipped rather than sent half-formed.
        let Ok(bytes) = command.to_bytes() else {
            return;
        };
        let id = self.next_request_id();
        self.transmit.extend_from_slice(&bytes);
        self.pending.push_back(Pending {
            id,
            kind,
            cancelled: false,
            done: false,
        });
        self.wire_subs.apply(&command);
    }

    fn write_request(&mut self, mut pending: Pending, bytes: Bytes, command: &Command) {
        let id = pending.id;
        if let Kind::Execute { channel, .. } = &mut pending.kind {
            // A sendmsg held before the outbound handshake names no channel; the socket's
            // own channel is known now.
            if channel.is_none() {
                channel.clone_from(&self.session);
            }
        }
        match &pending.kind {
            Kind::Job { job_uuid } => {
                self.ensure_coverage(BACKGROUND_JOB, None);
                if let Some(uuid) = job_uuid {
                    self.jobs.insert(
                        uuid.clone(),
                        Waiting {
                            id,
                            channel: None,
                            replied: false,
                        },
                    );
                }
            }
            Kind::Execute {
                channel,
                event_uuid,
                wait: true,
                ..
            } => {
                let channel = channel.clone();
                self.ensure_coverage(EXECUTE_COMPLETE, channel.as_deref());
                match event_uuid {
                    Some(uuid) => {
                        self.executes.insert(
                            uuid.clone(),
                            Waiting {
                                id,
                                channel,
                                replied: false,
                            },
                        );
                    }
                    None => self.ensure_coverage(EXECUTE, channel.as_deref()),
                }
            }
            _ => {}
        }
        self.transmit.extend_from_slice(&bytes);
        self.pending.push_back(pending);
        self.user_subs.apply(command);
        self.wire_subs.apply(command);
        if matches!(
            command,
            Command::Event { .. }
                | Command::NixEvent { .. }
                | Command::NoEvents
                | Command::Filter { .. }
                | Command::FilterDelete { .. }
                | Command::MyEvents { .. }
        ) {
            self.restore_coverage();
        }
    }

    /// Makes sure the switch will send this connection the `need` events of `channel`,
    /// subscribing or adding a filter for it if the application's own state does not.
    fn ensure_coverage(&mut self, need: &'static str, channel: Option<&str>) {
        if !self.auto_subscribe {
            return;
        }
        let mut probe = Event::builder(need);
        if let Some(channel) = channel.or(self.session.as_deref()) {
            probe = probe.header("Unique-ID", channel);
        }
        let probe = probe.build();
        let session = self.session.clone();
        if self.wire_subs.admits(&probe, session.as_deref()) {
            return;
        }
        self.internal_names.insert(need);
        let format = self.wire_subs.format();
        self.write_internal(
            Command::Event {
                format: Some(format),
                events: vec![need.to_owned()],
            },
            Kind::InternalSetup,
        );
        if !self.wire_subs.admits(&probe, session.as_deref())
            && !self.wire_subs.filters().is_empty()
        {
            self.write_internal(Command::filter("Event-Name", need), Kind::InternalSetup);
        }
    }

    /// After the application changed subscriptions, re-covers what open requests still need.
    fn restore_coverage(&mut self) {
        let jobs_open = !self.jobs.is_empty()
            || self
                .pending
                .iter()
                .any(|p| matches!(p.kind, Kind::Job { .. }) && !p.cancelled);
        if jobs_open {
            self.ensure_coverage(BACKGROUND_JOB, None);
        }
        let channel = self
            .executes
            .values()
            .map(|w| w.channel.clone())
            .chain(self.adoptions.iter().map(|a| a.channel.clone()))
            .chain(self.pending.iter().filter_map(|p| match &p.kind {
                Kind::Execute {
                    channel,
                    wait: true,
                    ..
                } if !p.cancelled => Some(channel.clone()),
                _ => None,
            }))
            .next();
        if let Some(channel) = channel {
            self.ensure_coverage(EXECUTE_COMPLETE, channel.as_deref());
            if !self.adoptions.is_empty() {
                self.ensure_coverage(EXECUTE, channel.as_deref());
            }
        }
    }

    /// Removes `id`'s completion registration; true if there was one.
    fn forget_completion(&mut self, id: RequestId) -> bool {
        let before = self.pending_completions();
        self.jobs.retain(|_, w| w.id != id);
        self.executes.retain(|_, w| w.id != id);
        self.adoptions.retain(|a| a.id != id);
        before != self.pending_completions()
    }

    fn release_held(&mut self) {
        for command in std::mem::take(&mut self.replay) {
            self.user_subs.apply(&command);
            self.write_internal(command, Kind::InternalSetup);
        }
        while let Some(held) = self.held.pop_front() {
            self.write_request(held.pending, held.bytes, &held.command);
        }
    }

    /// Parses `first` and every other complete message already received, indexing their
    /// events into one shared arena; [`Connection::poll_output`] then handles them one by one.
    fn parse_ahead(&mut self, first: Message) {
        let mut indexed = Vec::new();
        let mut next = Some(first);
        while let Some(message) = next {
            let format = match message.content_type() {
                ContentType::EventPlain => Some(EventFormat::Plain),
                ContentType::EventJson => Some(EventFormat::Json),
                ContentType::EventXml => Some(EventFormat::Xml),
                _ => None,
            };
            let event = format.map(|format| {
                Event::parse_into(format, message.body(), &self.limits, &mut self.arena)
            });
            indexed.push((message, event));
            next = match self.framer.next_frame() {
                Ok(frame) => frame.map(Message::from),
                Err(error) => {
                    // After the messages before it, as if met one at a time.
                    self.frame_error = Some(error);
                    None
                }
            };
        }
        let shared = if self.arena.is_empty() {
            None
        } else {
            Some(self.arena.share())
        };
        self.parsed
            .extend(indexed.into_iter().map(|(message, event)| {
                let event = event.map(|parsing| {
                    parsing.map(|parsing| match &shared {
                        Some(shared) => parsing.finish(shared),
                        None => parsing.finish(&Arc::new(Vec::new())),
                    })
                });
                (message, event)
            }));
    }

    fn handle(&mut self, message: Message, event: Option<Result<Event, EventError>>) {
        self.stats.messages += 1;
        if let Some(event) = event {
            match event {
                Ok(event) => self.on_event(event),
                Err(error) => self
                    .outputs
                    .push_back(Output::InvalidEvent { message, error }),
            }
            return;
        }
        match message.content_type() {
            ContentType::AuthRequest => self.on_auth_request(message),
            ContentType::CommandReply => {
                let reply = Reply::new(message.headers().clone());
                self.on_reply(Response::Reply(reply), message);
            }
            ContentType::ApiResponse => {
                let api = ApiResponse::new(message.body().clone());
                self.on_reply(Response::Api(api), message);
            }
            // Parsed ahead, above.
            ContentType::EventPlain | ContentType::EventJson | ContentType::EventXml => {}
            ContentType::LogData => {
                let line = LogLine::new(message.headers().clone(), message.body().clone());
                self.outputs.push_back(Output::Log(line));
            }
            ContentType::DisconnectNotice => {
                let notice =
                    DisconnectNotice::new(message.headers().clone(), message.body().clone());
                if notice.disposition() == Disposition::Disconnect {
                    self.disconnect_seen = true;
                }
                self.outputs.push_back(Output::Disconnect(notice));
            }
            ContentType::RudeRejection => {
                let text = String::from_utf8_lossy(message.body())
                    .trim_end()
                    .to_owned();
                self.fail(Error::Rejected(text));
            }
            ContentType::Other(_) | ContentType::Missing => {
                self.outputs.push_back(Output::Unexpected(message));
            }
        }
    }

    fn on_auth_request(&mut self, message: Message) {
        if self.phase == Phase::AwaitAuthRequest {
            let command = match &self.auth {
                Some(Auth::Password(password)) => Command::Auth {
                    password: password.clone(),
                },
                Some(Auth::User { user, password }) => Command::UserAuth {
                    user: user.clone(),
                    password: password.clone(),
                },
                _ => return,
            };
            self.write_internal(command, Kind::InternalAuth);
            self.phase = Phase::Authenticating;
        } else if self.phase == Phase::Open {
            self.outputs.push_back(Output::AuthRequested);
        } else {
            self.outputs.push_back(Output::Unexpected(message));
        }
    }

    fn on_reply(&mut self, response: Response, message: Message) {
        let Some(entry) = self.pending.pop_front() else {
            self.outputs.push_back(Output::Unexpected(message));
            return;
        };
        let ok = response.is_ok();
        let id = entry.id;
        match entry.kind {
            Kind::InternalAuth => {
                let Response::Reply(reply) = response else {
                    return self.fail(Error::Handshake("auth answered by an api/response".into()));
                };
                if !ok {
                    return self.fail(Error::AuthenticationFailed {
                        reply: reply.text().into_owned(),
                    });
                }
                self.become_ready(reply, None);
            }
            Kind::InternalConnect => {
                let Response::Reply(reply) = response else {
                    return self.fail(Error::Handshake(
                        "connect answered by an api/response".into(),
                    ));
                };
                if !ok {
                    return self.fail(Error::Handshake(format!(
                        "connect refused: {}",
                        reply.text()
                    )));
                }
                let channel = Event::from_parts(reply.headers().clone(), None, EventFormat::Plain);
                self.session = channel.unique_id().map(|u| u.into_owned());
                self.become_ready(reply, Some(channel));
            }
            Kind::InternalSetup => {
                self.stats.internal_replies += 1;
                if !ok {
                    self.stats.internal_failures += 1;
                }
            }
            _ if entry.cancelled || entry.done => self.stats.late_replies += 1,
            Kind::Reply => self.respond(id, response),
            Kind::Exit => {
                self.exit_acked |= ok;
                self.respond(id, response);
            }
            Kind::ManualAuth => {
                if let (true, Response::Reply(reply)) = (ok, &response) {
                    self.become_ready(reply.clone(), None);
                }
                self.respond(id, response);
            }
            Kind::Job { job_uuid } => {
                let registered = job_uuid.or_else(|| match &response {
                    Response::Reply(r) => r.job_uuid().map(|u| u.into_owned()).or_else(|| {
                        r.text()
                            .strip_prefix("+OK Job-UUID: ")
                            .map(|u| u.trim().to_owned())
                    }),
                    _ => None,
                });
                match (ok, registered, response) {
                    (true, Some(uuid), Response::Reply(reply)) => {
                        self.jobs
                            .entry(uuid)
                            .and_modify(|w| w.replied = true)
                            .or_insert(Waiting {
                                id,
                                channel: None,
                                replied: true,
                            });
                        self.outputs.push_back(Output::Accepted { id, reply });
                    }
                    (_, _, response) => {
                        self.forget_completion(id);
                        self.respond(id, response);
                    }
                }
            }
            Kind::Execute {
                channel,
                app,
                event_uuid,
                wait,
            } => match response {
                Response::Reply(reply) if ok && wait => {
                    match event_uuid {
                        Some(uuid) => {
                            if let Some(w) = self.executes.get_mut(&uuid) {
                                w.replied = true;
                            }
                        }
                        None => self.adoptions.push_back(Adoption { id, channel, app }),
                    }
                    self.outputs.push_back(Output::Accepted { id, reply });
                }
                response => {
                    self.forget_completion(id);
                    self.respond(id, response);
                }
            },
        }
    }

    fn become_ready(&mut self, reply: Reply, channel: Option<Event>) {
        self.phase = Phase::Ready;
        self.outputs
            .push_back(Output::Ready(Ready { reply, channel }));
        self.release_held();
    }

    fn respond(&mut self, id: RequestId, response: Response) {
        self.outputs.push_back(Output::Response { id, response });
    }

    fn on_event(&mut self, event: Event) {
        let name = event.name();
        match name {
            EventName::BackgroundJob => {
                if let Some(waiting) = event.job_uuid().and_then(|u| self.jobs.remove(u.as_ref())) {
                    self.complete(waiting, Response::Job(event.clone()));
                }
            }
            EventName::ChannelExecute if !self.adoptions.is_empty() => {
                if let Some(app_uuid) = event.application_uuid() {
                    if !self.executes.contains_key(app_uuid.as_ref()) {
                        let channel = event.unique_id();
                        let app = event.application();
                        let found = self.adoptions.iter().position(|a| {
                            a.channel.as_deref() == channel.as_deref()
                                && app
                                    .as_deref()
                                    .is_some_and(|n| n.eq_ignore_ascii_case(&a.app))
                        });
                        if let Some(adoption) = found.and_then(|i| self.adoptions.remove(i)) {
                            self.executes.insert(
                                app_uuid.into_owned(),
                                Waiting {
                                    id: adoption.id,
                                    channel: adoption.channel,
                                    replied: true,
                                },
                            );
                        }
                    }
                }
            }
            EventName::ChannelExecuteComplete => {
                if let Some(waiting) = event
                    .application_uuid()
                    .and_then(|u| self.executes.remove(u.as_ref()))
                {
                    self.complete(waiting, Response::Executed(event.clone()));
                }
            }
            EventName::ChannelHangupComplete | EventName::ChannelDestroy => {
                if let Some(uuid) = event.unique_id() {
                    self.channel_gone(&uuid);
                }
            }
            _ => {}
        }
        let internal = self.internal_names.contains(name.as_str());
        if internal && !self.user_subs.admits(&event, self.session.as_deref()) {
            self.stats.hidden_events += 1;
        } else {
            self.stats.events += 1;
            self.outputs.push_back(Output::Event(event));
        }
    }

    fn complete(&mut self, waiting: Waiting, response: Response) {
        if !waiting.replied {
            if let Some(entry) = self.pending.iter_mut().find(|p| p.id == waiting.id) {
                entry.done = true;
            }
        }
        self.respond(waiting.id, response);
    }

    /// The channel hung up: executes still queued on it will never run.
    fn channel_gone(&mut self, uuid: &str) {
        let mut gone = Vec::new();
        self.executes.retain(|_, w| {
            let keep = w.channel.as_deref() != Some(uuid) || !w.replied;
            if !keep {
                gone.push(w.id);
            }
            keep
        });
        self.adoptions.retain(|a| {
            let keep = a.channel.as_deref() != Some(uuid);
            if !keep {
                gone.push(a.id);
            }
            keep
        });
        gone.sort();
        for id in gone {
            self.outputs.push_back(Output::Failed {
                id,
                error: RequestError::ChannelGone {
                    uuid: uuid.to_owned(),
                },
            });
        }
    }

    /// Every open request fails with `error`, in the order they were made.
    fn fail_all(&mut self, error: RequestError) {
        let mut ids: Vec<RequestId> = self
            .pending
            .drain(..)
            .filter(|p| is_user(&p.kind) && !p.cancelled && !p.done)
            .map(|p| p.id)
            .collect();
        ids.extend(self.held.drain(..).map(|h| h.pending.id));
        ids.extend(self.jobs.drain().map(|(_, w)| w.id));
        ids.extend(self.executes.drain().map(|(_, w)| w.id));
        ids.extend(self.adoptions.drain(..).map(|a| a.id));
        ids.sort();
        ids.dedup();
        for id in ids {
            self.outputs.push_back(Output::Failed {
                id,
                error: error.clone(),
            });
        }
    }

    fn finish(&mut self, reason: CloseReason) {
        self.fail_all(RequestError::ConnectionClosed(reason));
        self.outputs.push_back(Output::Closed(reason));
        self.phase = Phase::Closed;
    }

    fn fail(&mut self, error: Error) {
        self.fail_all(RequestError::ConnectionFailed(error.clone()));
        self.error = Some(error);
        self.phase = Phase::Closed;
    }
}

fn is_user(kind: &Kind) -> bool {
    !matches!(
        kind,
        Kind::InternalAuth | Kind::InternalConnect | Kind::InternalSetup
    )
}
