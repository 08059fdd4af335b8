//! The typed errors of the core. None of them is ever a panic.

use std::fmt;

/// The byte stream cannot be split into messages any more. Fatal: framing is lost.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// A header block grew past [`Limits::max_header_block`](crate::Limits::max_header_block)
    /// without its terminating blank line.
    #[error("header block exceeds {limit} bytes")]
    HeaderBlockTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// A header block has more lines than [`Limits::max_headers`](crate::Limits::max_headers).
    #[error("more than {limit} headers in one header block")]
    TooManyHeaders {
        /// The limit in force.
        limit: usize,
    },
    /// `Content-Length` announces more than [`Limits::max_body`](crate::Limits::max_body).
    #[error("body of {length} bytes exceeds the limit of {limit}")]
    BodyTooLarge {
        /// The announced length.
        length: u64,
        /// The limit in force.
        limit: usize,
    },
    /// `Content-Length` is not a decimal number.
    #[error("invalid Content-Length {0:?}")]
    InvalidContentLength(String),
}

/// An event body that does not parse in the format its `Content-Type` names. Not fatal: the
/// message was framed by its `Content-Length`, so the stream goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// The header block inside a `text/event-plain` body is malformed or over a limit.
    #[error("plain event: {0}")]
    Plain(#[from] FrameError),
    /// A `text/event-json` body is not a flat JSON object of strings.
    #[error("json event: {0}")]
    Json(String),
    /// A `text/event-xml` body is not FreeSWITCH's `<event><headers>...` document.
    #[error("xml event: {0}")]
    Xml(String),
    /// The message is not an event at all.
    #[error("content type {0:?} is not an event")]
    NotAnEvent(String),
}

/// A command that cannot be put on the wire as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// A field would carry a CR or LF, which would end the line early and let the rest be read
    /// as another header or another command.
    #[error("line break in {field}: refused, it would inject a second line into the command")]
    LineBreak {
        /// Which field held the line break.
        field: &'static str,
    },
    /// A header name is empty or holds a `:`, so the switch would split it elsewhere.
    #[error("invalid header name {name:?}")]
    InvalidHeaderName {
        /// The offending name.
        name: String,
    },
    /// A field does not have the shape the switch parses.
    #[error("{field}: {reason}")]
    Malformed {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A field that the command cannot go without is empty.
    #[error("{field} must not be empty")]
    Empty {
        /// The empty field.
        field: &'static str,
    },
}

/// A route that cannot be registered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RouteError {
    /// The pattern is not a valid regular expression (or compiles too large).
    #[error("invalid route pattern {pattern:?}: {source}")]
    InvalidPattern {
        /// The pattern as given.
        pattern: String,
        /// Why the `regex` crate refused it.
        #[source]
        source: regex::Error,
    },
}

/// Why a connection stopped for good. Sticky: once returned, every later call returns it again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The stream could not be framed.
    #[error("framing: {0}")]
    Frame(#[from] FrameError),
    /// The switch refused the password (`-ERR invalid`).
    #[error("authentication failed: {reply}")]
    AuthenticationFailed {
        /// The switch's `Reply-Text`.
        reply: String,
    },
    /// The switch rejected the connection by its ACL (`text/rude-rejection`).
    #[error("rejected by the switch: {0}")]
    Rejected(String),
    /// The switch sent something the handshake cannot go on from.
    #[error("handshake: {0}")]
    Handshake(String),
    /// A reply of the wrong kind for the request it would answer: `mod_event_socket` answers
    /// every `api` with an `api/response` and every other command with a `command/reply`,
    /// in order, so the replies are out of step with the requests (one went missing).
    /// Pairing any further would hand callers each other's results.
    #[error("replies out of step with requests: {0}")]
    OutOfStep(String),
}

/// A request the connection refuses to send. The connection itself is unaffected unless the
/// variant is [`SendError::Connection`] or [`SendError::Closed`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The command cannot be encoded safely.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// Too many requests are already waiting.
    #[error("{kind} limit of {limit} reached")]
    TooManyPending {
        /// Which queue is full.
        kind: &'static str,
        /// The limit in force.
        limit: usize,
    },
    /// The request's completion event can never arrive on this connection.
    #[error("{0}")]
    Unresolvable(&'static str),
    /// The connection has closed.
    #[error("connection closed")]
    Closed,
    /// The connection failed earlier with this error.
    #[error(transparent)]
    Connection(#[from] Error),
}

/// Why a request ended without its result.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// The caller cancelled it (see [`Connection::cancel`](crate::Connection::cancel)); a late
    /// reply, if one comes, is consumed silently.
    Cancelled,
    /// The connection closed before the result arrived.
    ConnectionClosed(CloseReason),
    /// The connection failed with a fatal error before the result arrived.
    ConnectionFailed(Error),
    /// The channel the `execute` was queued on hung up before the application ran.
    ChannelGone {
        /// The channel's uuid.
        uuid: String,
    },
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Cancelled => f.write_str("request cancelled"),
            RequestError::ConnectionClosed(reason) => {
                write!(f, "connection closed before the reply ({reason})")
            }
            RequestError::ConnectionFailed(e) => write!(f, "connection failed: {e}"),
            RequestError::ChannelGone { uuid } => {
                write!(f, "channel {uuid} hung up before the application completed")
            }
        }
    }
}

impl std::error::Error for RequestError {}

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client sent `exit` and the switch said `+OK bye`.
    Exit,
    /// The switch sent its final `text/disconnect-notice` (auth failure, channel gone after
    /// `myevents`, end of linger) and closed.
    Disconnected,
    /// The peer closed the socket without a notice.
    Eof,
    /// The peer closed the socket in the middle of a message.
    Truncated,
    /// The local side closed (see [`Connection::close`](crate::Connection::close)).
    Local,
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CloseReason::Exit => "exit acknowledged",
            CloseReason::Disconnected => "the switch disconnected",
            CloseReason::Eof => "the peer closed the socket",
            CloseReason::Truncated => "the peer closed the socket mid-message",
            CloseReason::Local => "closed locally",
        })
    }
}
