//! The client side of one ESL connection, inbound or outbound, without any I/O.
//!
//! See the crate documentation for the driving loop. The methods below are grouped as in
//! quinn-proto: construction, getters, input ([`Connection::receive`],
//! [`Connection::receive_eof`]), application commands ([`Connection::send`],
//! [`Connection::cancel`], [`Connection::close`]) and poll outputs
//! ([`Connection::poll_output`], [`Connection::poll_transmit`]).
//!
//! The concerns live in their own files: the vocabulary ([`output`]), reply pairing
//! (`requests`), completion by event (`completion`), the subscriptions the connection
//! keeps and adds for itself (`coverage`), framing with look-ahead (`lookahead`), and the
//! phases with every change between them (`phase`).

mod completion;
mod coverage;
mod incoming;
mod lookahead;
mod output;
mod phase;
mod requests;

use std::collections::VecDeque;
use std::fmt;

use bytes::{Bytes, BytesMut};

use crate::command::Command;
use crate::error::{CloseReason, Error, RequestError, SendError};
use crate::subscriptions::Subscriptions;
use crate::Limits;

use completion::Completions;
use coverage::{Coverage, Need, BACKGROUND_JOB, EXECUTE, EXECUTE_COMPLETE};
use incoming::log_sent;
use lookahead::Lookahead;
pub use output::{Auth, Output, Ready, RequestId, Response, Stats};
use phase::Phase;
use requests::{is_subscription, Held, Kind, Pending, Requests};

/// The smallest read [`Connection::read_size`] asks for to fill a buffer.
const MIN_READ: usize = 16 * 1024;

/// The client side of one ESL connection.
///
/// ```
/// use esl_proto::{Auth, Command, Connection, Output};
///
/// let mut conn = Connection::inbound(Auth::Password("ClueCon".into()));
/// let id = conn.send(Command::api("status")).unwrap();
/// assert!(conn.poll_transmit().is_none(), "held until the switch accepted the password");
/// conn.receive(b"Content-Type: auth/request\n\n");
/// conn.receive(b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n");
/// while let Some(output) = conn.poll_output().unwrap() {
///     assert!(!matches!(output, Output::Response { .. }));
/// }
/// assert_eq!(&conn.poll_transmit().unwrap()[..], b"auth ClueCon\n\napi status\n\n");
/// assert!(conn.cancel(id));
/// ```
pub struct Connection {
    auth: Option<Auth>,
    phase: Phase,
    limits: Limits,
    auto_subscribe: bool,
    input: Lookahead,
    transmit: BytesMut,
    outputs: VecDeque<Output>,
    requests: Requests,
    completions: Completions,
    coverage: Coverage,
    /// Subscriptions to re-establish once ready (a reconnect's).
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
            .field("pending", &self.requests.len())
            .field("jobs", &self.completions.jobs())
            .field("executes", &self.completions.executes())
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
            input: Lookahead::new(limits),
            transmit: BytesMut::new(),
            outputs: VecDeque::new(),
            requests: Requests::default(),
            completions: Completions::default(),
            coverage: Coverage::default(),
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
        self.input = Lookahead::new(limits);
        self
    }

    /// Re-establishes `subscriptions` as soon as the connection is ready, before any held
    /// command (what a reconnect does with the previous connection's
    /// [`Connection::subscriptions`]). They count as the application's once the switch
    /// accepts them.
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
    /// receives only for that are not handed to the application, and what it added is
    /// withdrawn once no request needs it. Default: true.
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

    /// What the application subscribed to and the switch accepted, for
    /// [`Connection::with_subscriptions`].
    pub fn subscriptions(&self) -> &Subscriptions {
        self.coverage.user()
    }

    /// What the switch has been told, the connection's own subscriptions included, as it
    /// will stand once the switch has read everything sent.
    pub fn wire_subscriptions(&self) -> &Subscriptions {
        self.coverage.wire()
    }

    /// The events the connection subscribed to for itself, because an open `bgapi` or
    /// `execute` needs them and the application's subscriptions do not let them through.
    pub fn library_subscriptions(&self) -> Vec<&'static str> {
        self.coverage.added_names().collect()
    }

    /// True while subscriptions given to [`Connection::with_subscriptions`] are still to be
    /// sent or answered: until then [`Connection::subscriptions`] holds only part of them.
    pub fn is_replaying(&self) -> bool {
        !self.replay.is_empty() || self.requests.has_unanswered_replay()
    }

    /// Requests sent or held, waiting for their reply.
    pub fn pending_requests(&self) -> usize {
        self.requests.len()
    }

    /// Jobs and executes waiting for their completion event.
    pub fn pending_completions(&self) -> usize {
        self.completions.len()
    }

    /// Received bytes not yet turned into outputs.
    pub fn buffered(&self) -> usize {
        self.input.buffered()
    }

    /// Bytes of receive buffer held (see [`Framer::buffer_bytes`](crate::Framer::buffer_bytes)):
    /// what [`Connection::release`] gives back when no partial message is in them.
    ///
    /// ```
    /// use esl_proto::{Auth, Connection};
    ///
    /// let mut conn = Connection::inbound(Auth::Manual);
    /// assert_eq!(conn.buffer_bytes(), 0);
    /// conn.receive(b"Content-Type: auth/request\n\n");
    /// assert!(conn.buffer_bytes() > 0);
    /// while let Ok(Some(_)) = conn.poll_output() {}
    /// conn.release();
    /// assert_eq!(conn.buffer_bytes(), 0);
    /// ```
    pub fn buffer_bytes(&self) -> usize {
        self.input.buffer_bytes()
    }

    /// True while the receive side holds buffers sized to a stream of events, which are
    /// worth keeping through a short pause (see [`Connection::release`]).
    pub(crate) fn holds_stream_buffers(&self) -> bool {
        self.input.holds_stream_buffers()
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
            self.input.push(bytes);
        }
    }

    /// The peer closed the socket. After the buffered messages, every open request fails
    /// and [`Output::Closed`] comes.
    pub fn receive_eof(&mut self) {
        self.eof = true;
    }

    /// How many bytes to read from the socket next, at most `max`: the room left in the
    /// receive buffer when it is large enough to be worth a read, else `max`. A read that
    /// does not fit makes the connection take a new buffer and leave the rest of the old one
    /// unused, yet kept as long as any message in it is: reading what fits fills each
    /// buffer before the next, and the memory events hold is the events' size.
    ///
    /// ```
    /// use esl_proto::{Auth, Connection};
    ///
    /// let mut conn = Connection::inbound(Auth::Manual);
    /// assert_eq!(conn.read_size(65536), 65536, "no buffer yet: a full read");
    /// ```
    pub fn read_size(&self, max: usize) -> usize {
        match self.input.room() {
            room if room >= MIN_READ => room.min(max),
            _ => max,
        }
    }

    /// The socket has nothing more to read for now: gives back the memory kept for the next
    /// messages (the receive buffer when no partial message is in it, the spare buffers, the
    /// index scratch space, and the queues that are empty). Nothing is lost: the next
    /// [`Connection::receive`] allocates what it needs, sized to what arrives. An idle
    /// connection then holds the data it handed out (an outbound session's channel data)
    /// and little else.
    ///
    /// ```
    /// use esl_proto::{Auth, Connection};
    ///
    /// let mut conn = Connection::inbound(Auth::Manual);
    /// conn.receive(b"Content-Type: text/disconnect-notice\n");
    /// conn.release();
    /// assert_eq!(conn.buffered(), 37, "a partial message is kept");
    /// ```
    pub fn release(&mut self) {
        self.input.release();
        if self.outputs.is_empty() {
            self.outputs = VecDeque::new();
        }
        if self.transmit.is_empty() {
            self.transmit = BytesMut::new();
        }
        self.requests.shrink();
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
        let kind = Kind::of(&command, self.session.as_deref(), self.phase == Phase::Open);
        if kind.completes_later() && self.pending_completions() >= self.limits.max_pending_jobs {
            return Err(SendError::TooManyPending {
                kind: "pending jobs",
                limit: self.limits.max_pending_jobs,
            });
        }
        if matches!(kind, Kind::Job { .. }) && self.coverage.wire().myevents().is_some() {
            return Err(SendError::Unresolvable(
                "bgapi cannot complete on a myevents connection: the switch only sends this \
                 channel's events, and BACKGROUND_JOB has none; use api",
            ));
        }
        let bytes = command.to_bytes()?;
        let id = self.next_request_id();
        let pending = Pending::new(id, kind);
        if self.phase.sends_at_once() {
            self.write_request(pending, bytes, &command);
        } else {
            self.requests.hold(Held {
                pending,
                bytes,
                command,
            });
        }
        Ok(id)
    }

    /// The caller gave up on `id`: it ends now with [`RequestError::Cancelled`]; its reply,
    /// if it comes, is consumed (never given to another request). A command still held is
    /// never sent. Returns false if `id` is not open.
    pub fn cancel(&mut self, id: RequestId) -> bool {
        let waiting_reply = self.requests.cancel(id);
        let waiting_event = self.completions.forget(id);
        if !waiting_reply && !waiting_event {
            return false;
        }
        self.outputs.push_back(Output::Failed {
            id,
            error: RequestError::Cancelled,
        });
        self.withdraw_unneeded();
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

    /// Keeps the switch sending `event` (a name, or a `CUSTOM` subclass such as
    /// `conference::maintenance`) for as long as the connection lives, whatever the
    /// application subscribes to: for a call table that must see every channel come and go.
    /// Like the connection's other own subscriptions, it is listed by
    /// [`Connection::library_subscriptions`], and its events reach the application only if
    /// its own subscriptions let them through.
    pub fn keep_subscribed(&mut self, event: &'static str) {
        self.coverage.stand(event);
        if self.phase.sends_at_once() {
            self.ensure_coverage(event, None);
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
            match self.input.next(&self.limits) {
                Ok(Some((message, event))) => self.handle(message, event),
                Ok(None) if self.eof => {
                    let reason = if self.input.is_mid_message() {
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
                Err(error) => self.fail(Error::Frame(error)),
            }
        }
    }

    /// True if [`Connection::poll_transmit`] has bytes to hand out.
    ///
    /// ```
    /// use esl_proto::{Auth, Command, Connection};
    ///
    /// let mut conn = Connection::inbound(Auth::Manual);
    /// assert!(!conn.has_transmit());
    /// conn.send(Command::api("status")).unwrap();
    /// assert!(conn.has_transmit());
    /// conn.poll_transmit();
    /// assert!(!conn.has_transmit());
    /// ```
    pub fn has_transmit(&self) -> bool {
        !self.transmit.is_empty()
    }

    /// Bytes to write to the socket, all that are queued, or `None`.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        (!self.transmit.is_empty()).then(|| self.transmit.split().freeze())
    }

    // ---- writing ----

    fn next_request_id(&mut self) -> RequestId {
        self.next_id += 1;
        RequestId(self.next_id)
    }

    /// Sends one of the connection's own commands. They are built from checked parts; one
    /// that still would not encode is skipped rather than sent half-formed.
    fn write_internal(&mut self, command: Command, kind: Kind) {
        let Ok(bytes) = command.to_bytes() else {
            return;
        };
        let id = self.next_request_id();
        log_sent(id, &command, &bytes);
        self.transmit.extend_from_slice(&bytes);
        if is_subscription(&command) {
            self.coverage.sent(&command);
        }
        self.requests.sent(Pending::new(id, kind));
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
                    self.completions.expect_job(uuid.clone(), id);
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
                    Some(uuid) => self.completions.expect_execute(uuid.clone(), id, channel),
                    None => self.ensure_coverage(EXECUTE, channel.as_deref()),
                }
            }
            _ => {}
        }
        log_sent(id, command, &bytes);
        self.transmit.extend_from_slice(&bytes);
        let subscription = matches!(pending.kind, Kind::Subscription(_));
        self.requests.sent(pending);
        if subscription {
            self.coverage.sent(command);
            self.restore_coverage();
        }
    }

    fn release_held(&mut self) {
        for command in std::mem::take(&mut self.replay) {
            let kind = Kind::Replay(command.clone());
            self.write_internal(command, kind);
        }
        let standing: Vec<&'static str> = self.coverage.standing().collect();
        for name in standing {
            self.ensure_coverage(name, None);
        }
        let held: Vec<Held> = self.requests.release().collect();
        for held in held {
            self.write_request(held.pending, held.bytes, &held.command);
        }
    }

    // ---- the subscriptions the connection needs ----

    /// Makes sure the switch will send this connection the `need` events of `channel`,
    /// subscribing or adding a filter for it if the application's own state does not.
    fn ensure_coverage(&mut self, name: &'static str, channel: Option<&str>) {
        if !self.auto_subscribe {
            return;
        }
        let session = self.session.clone();
        let commands = self
            .coverage
            .cover(Need { name, channel }, session.as_deref());
        for command in commands {
            let kind = Kind::Internal(Some(command.clone()));
            self.write_internal(command, kind);
        }
    }

    /// After the subscriptions changed, re-covers what open requests still need.
    fn restore_coverage(&mut self) {
        let standing: Vec<&'static str> = self.coverage.standing().collect();
        for name in standing {
            self.ensure_coverage(name, None);
        }
        if self.completions.has_jobs() || self.requests.has_open_job() {
            self.ensure_coverage(BACKGROUND_JOB, None);
        }
        let channel = self
            .completions
            .some_execute_channel()
            .or_else(|| self.requests.open_execute_channel());
        if let Some(channel) = channel {
            self.ensure_coverage(EXECUTE_COMPLETE, channel.as_deref());
            if self.needs_adoption() {
                self.ensure_coverage(EXECUTE, channel.as_deref());
            }
        }
    }

    fn needs_adoption(&self) -> bool {
        self.completions.has_adoptions() || self.requests.has_open_adoption()
    }

    /// Withdraws what the connection subscribed to for itself and no open request needs.
    fn withdraw_unneeded(&mut self) {
        if !self.phase.sends_at_once() || self.coverage.added_names().next().is_none() {
            return;
        }
        let mut unneeded = Vec::new();
        for name in self.coverage.added_names() {
            let needed = match name {
                name if self.coverage.is_standing(name) => true,
                BACKGROUND_JOB => self.completions.has_jobs() || self.requests.has_open_job(),
                EXECUTE_COMPLETE => {
                    self.completions.some_execute_channel().is_some()
                        || self.requests.open_execute_channel().is_some()
                }
                EXECUTE => self.needs_adoption(),
                _ => true,
            };
            if !needed {
                unneeded.push(name);
            }
        }
        for name in unneeded {
            for command in self.coverage.withdraw(name) {
                let kind = Kind::Internal(Some(command.clone()));
                self.write_internal(command, kind);
            }
        }
    }

    /// Every open request fails with `error`, in the order they were made.
    fn fail_all(&mut self, error: RequestError) {
        let mut ids = self.requests.drain_open();
        ids.extend(self.completions.drain_ids());
        ids.sort();
        ids.dedup();
        for id in ids {
            self.outputs.push_back(Output::Failed {
                id,
                error: error.clone(),
            });
        }
    }
}
