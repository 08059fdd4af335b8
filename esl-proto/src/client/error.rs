//! What can go wrong for a caller.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::{CloseReason, CommandError, RequestError, SendError};

/// An error from a client or session call.
///
/// ```
/// use std::time::Duration;
/// use esl_proto::client::Error;
///
/// let error = Error::Rejected("-ERR no such channel\n".into());
/// assert_eq!(error.to_string(), "the switch answered: -ERR no such channel");
/// assert!(!error.is_connection_lost());
/// assert!(Error::Timeout(Duration::from_secs(1)).to_string().contains("1s"));
/// let refused = Error::Connect {
///     addr: "10.0.0.1:8021".into(),
///     source: std::io::Error::from(std::io::ErrorKind::ConnectionRefused).into(),
/// };
/// assert_eq!(refused.to_string(), "cannot connect to 10.0.0.1:8021: connection refused");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// The socket to the switch could not be opened.
    Connect {
        /// Where the switch was to be.
        addr: String,
        /// Why not.
        source: Arc<std::io::Error>,
    },
    /// Connecting (and authenticating) took longer than the connect timeout.
    ConnectTimeout {
        /// Where the switch was to be.
        addr: String,
        /// The connect timeout.
        after: Duration,
    },
    /// The socket broke.
    Io(Arc<std::io::Error>),
    /// The switch refused the credentials.
    Auth(String),
    /// The switch replied with an error (`-ERR ...`, `-USAGE: ...`).
    Rejected(String),
    /// No reply within the request's timeout. The late reply, if it comes, is discarded.
    Timeout(Duration),
    /// The connection closed before the reply; the request may or may not have run.
    ConnectionClosed(CloseReason),
    /// The connection failed with a protocol error.
    Protocol(crate::Error),
    /// The command cannot be sent (a line break in a field, too many pending requests...).
    Command(SendError),
    /// The channel hung up before the application ran.
    ChannelGone(String),
    /// The client or session was closed by the application.
    Closed,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Connect { addr, source } => write!(f, "cannot connect to {addr}: {source}"),
            Error::ConnectTimeout { addr, after } => {
                write!(f, "cannot connect to {addr}: no answer within {after:?}")
            }
            Error::Io(e) => write!(f, "socket error: {e}"),
            Error::Auth(reply) => write!(f, "authentication failed: {reply}"),
            Error::Rejected(text) => write!(f, "the switch answered: {}", text.trim_end()),
            Error::Timeout(d) => write!(f, "no reply within {d:?}"),
            Error::ConnectionClosed(reason) => {
                write!(f, "connection closed before the reply ({reason})")
            }
            Error::Protocol(e) => write!(f, "protocol error: {e}"),
            Error::Command(e) => write!(f, "cannot send: {e}"),
            Error::ChannelGone(uuid) => write!(f, "channel {uuid} hung up"),
            Error::Closed => f.write_str("closed"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) | Error::Connect { source: e, .. } => Some(e.as_ref()),
            Error::Protocol(e) => Some(e),
            Error::Command(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Io(Arc::new(e))
    }
}

impl From<SendError> for Error {
    fn from(e: SendError) -> Error {
        match e {
            SendError::Closed => Error::Closed,
            SendError::Connection(e) => Error::from(e),
            other => Error::Command(other),
        }
    }
}

impl From<CommandError> for Error {
    fn from(e: CommandError) -> Error {
        Error::Command(SendError::Command(e))
    }
}

impl From<RequestError> for Error {
    fn from(e: RequestError) -> Error {
        match e {
            RequestError::Cancelled => Error::Closed,
            RequestError::ConnectionClosed(reason) => Error::ConnectionClosed(reason),
            RequestError::ConnectionFailed(e) => Error::from(e),
            RequestError::ChannelGone { uuid } => Error::ChannelGone(uuid),
        }
    }
}

impl From<crate::apps::SwitchError> for Error {
    /// A service's refusal: [`Error::Rejected`], with the reason.
    fn from(e: crate::apps::SwitchError) -> Error {
        Error::Rejected(e.to_string())
    }
}

impl From<crate::apps::AppError> for Error {
    /// A service's refusal: [`Error::Rejected`], with the reason.
    fn from(e: crate::apps::AppError) -> Error {
        Error::Rejected(e.to_string())
    }
}

impl From<crate::Error> for Error {
    /// A fatal protocol error; a refused password is [`Error::Auth`].
    fn from(e: crate::Error) -> Error {
        match e {
            crate::Error::AuthenticationFailed { reply } => Error::Auth(reply),
            other => Error::Protocol(other),
        }
    }
}

impl Error {
    /// True for errors after which the same request may succeed on a new connection.
    pub fn is_connection_lost(&self) -> bool {
        matches!(
            self,
            Error::Io(_) | Error::ConnectionClosed(_) | Error::Protocol(_)
        )
    }

    /// True when the switch could not be reached in the first place: the socket did not open
    /// or no handshake came within the connect timeout.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Error::Connect { .. } | Error::ConnectTimeout { .. })
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
