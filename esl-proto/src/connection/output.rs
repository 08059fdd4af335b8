//! The connection's vocabulary: what an adapter gets back from it.

use std::fmt;

use crate::command::Password;
use crate::error::RequestError;
use crate::event::Event;
use crate::message::{ApiResponse, DisconnectNotice, LogLine, Message, Reply};
use crate::{CloseReason, EventError};

/// Names one request; every id [`Connection::send`](crate::Connection::send) returns ends in
/// exactly one terminal output: [`Output::Response`] or [`Output::Failed`].
///
/// ```
/// use esl_proto::{Auth, Command, Connection};
///
/// let mut conn = Connection::inbound(Auth::Password("ClueCon".into()));
/// let first = conn.send(Command::api("status")).unwrap();
/// let second = conn.send(Command::api("version")).unwrap();
/// assert!(second > first);
/// assert_eq!(first.to_string(), format!("#{}", first.get()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub(crate) u64);

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
///
/// ```
/// use esl_proto::Auth;
///
/// let auth = Auth::User { user: "1000@default".into(), password: "secret".into() };
/// assert!(!format!("{auth:?}").contains("secret"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    /// [`Command::Auth`](crate::Command::Auth) itself, and commands are not held before auth
    /// (the switch answers them `-ERR command not found`).
    Manual,
}

/// The connection is ready for commands.
///
/// ```
/// use esl_proto::{Auth, Connection, Output};
///
/// let mut conn = Connection::inbound(Auth::Password("ClueCon".into()));
/// conn.receive(b"Content-Type: auth/request\n\n");
/// conn.receive(b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n");
/// let ready = std::iter::from_fn(|| conn.poll_output().unwrap())
///     .find_map(|o| match o { Output::Ready(r) => Some(r), _ => None })
///     .unwrap();
/// assert_eq!(ready.reply.text(), "+OK accepted");
/// assert!(ready.channel.is_none());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Ready {
    /// The reply that made it ready (`+OK accepted`, or the outbound `connect` reply).
    pub reply: Reply,
    /// Outbound only: the channel's data from the `connect` reply (`Unique-ID`,
    /// `Caller-*`, `variable_*`, ...).
    pub channel: Option<Event>,
}

/// The result a request ended with.
///
/// ```
/// use esl_proto::{ApiResponse, Response};
///
/// let ok = Response::Api(ApiResponse::new("+OK 0e5f0f7c\n".into()));
/// assert!(ok.is_ok());
/// assert_eq!(ok.originated_uuid().as_deref(), Some("0e5f0f7c"));
/// assert!(!Response::Api(ApiResponse::new("-ERR NO_ANSWER\n".into())).is_ok());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
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

/// What the connection has for the application. See
/// [`Connection::poll_output`](crate::Connection::poll_output).
///
/// ```
/// use esl_proto::{Auth, Connection, Output};
///
/// let mut conn = Connection::inbound(Auth::Manual);
/// conn.receive(b"Content-Type: auth/request\n\n");
/// assert!(matches!(conn.poll_output(), Ok(Some(Output::AuthRequested))));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
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
    /// An event that arrived only because the connection subscribed to it for itself (see
    /// [`Connection::library_subscriptions`](crate::Connection::library_subscriptions)):
    /// not the application's, but there for a layer above that asked for it (a call table).
    LibraryEvent(Event),
    /// A `log/data` line.
    Log(LogLine),
    /// A `text/disconnect-notice`: [`Disposition::Linger`](crate::Disposition::Linger) (the
    /// socket stays open and events go on) or
    /// [`Disposition::Disconnect`](crate::Disposition::Disconnect) (the switch closes it now).
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
///
/// ```
/// use esl_proto::{Auth, Connection};
///
/// let conn = Connection::inbound(Auth::Password("ClueCon".into()));
/// assert_eq!(conn.stats().messages, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
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
