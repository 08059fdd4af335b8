//! Why a command failed, said once, with the exit code scripts can tell apart.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | done |
//! | 1 | the switch refused: `-ERR` / `-USAGE`, an originate that failed, load calls that failed |
//! | 2 | bad usage (unknown option, malformed `--var`, ...) |
//! | 3 | the switch could not be reached, or stopped answering (timeout, connection lost) |
//! | 4 | the switch refused the credentials |
//! | 130 | stopped by Ctrl-C |

use std::fmt;
use std::time::Duration;

use esl_tokio::Error;

/// A failure: what to tell the user (nothing if it was already printed) and the exit code.
pub(crate) struct Failure {
    message: Option<String>,
    code: u8,
}

/// Exit code: the switch refused.
pub(crate) const REFUSED: u8 = 1;
/// Exit code: bad usage.
pub(crate) const USAGE: u8 = 2;
/// Exit code: unreachable or not answering.
pub(crate) const UNREACHABLE: u8 = 3;
/// Exit code: credentials refused.
pub(crate) const AUTH: u8 = 4;
/// Exit code: interrupted.
pub(crate) const INTERRUPTED: u8 = 130;

impl Failure {
    /// A failure with a message and an exit code.
    pub(crate) fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            message: Some(message.into()),
            code,
        }
    }

    /// A failure whose explanation is already on the screen.
    pub(crate) fn quiet(code: u8) -> Failure {
        Failure {
            message: None,
            code,
        }
    }

    /// Bad usage.
    pub(crate) fn usage(message: impl Into<String>) -> Failure {
        Failure::new(USAGE, message)
    }

    /// A failure of local I/O (writing the output, reading the terminal).
    pub(crate) fn io(what: &str, error: &std::io::Error) -> Failure {
        Failure::new(REFUSED, format!("{what}: {error}"))
    }

    /// Explains a library error met while `doing` something with the switch at `addr`.
    pub(crate) fn esl(error: &Error, addr: &str, doing: &str) -> Failure {
        match error {
            Error::Io(e) | Error::Connect { source: e, .. } => Failure::new(
                UNREACHABLE,
                format!("cannot reach the switch at {addr} ({doing}): {e}"),
            ),
            Error::ConnectTimeout { after, .. } => Failure::new(
                UNREACHABLE,
                format!(
                    "no answer from {addr} within {} (connecting and authenticating)",
                    human(*after)
                ),
            ),
            Error::Auth(reply) => Failure::new(
                AUTH,
                format!(
                    "{addr} refused the credentials ({}); check --password / ESL_PASSWORD \
                     (and --user)",
                    reply.trim()
                ),
            ),
            Error::Rejected(text) => Failure::new(REFUSED, format!("{doing}: {}", text.trim())),
            Error::Timeout(d) => Failure::new(
                UNREACHABLE,
                format!("{addr} did not answer {doing} within {}", human(*d)),
            ),
            Error::ConnectionClosed(reason) => Failure::new(
                UNREACHABLE,
                format!("the connection to {addr} closed during {doing} ({reason})"),
            ),
            Error::Protocol(e) => Failure::new(
                UNREACHABLE,
                format!("{addr} broke the protocol during {doing}: {e}"),
            ),
            Error::Closed => Failure::new(
                UNREACHABLE,
                format!("the connection to {addr} is closed ({doing})"),
            ),
            other => Failure::new(REFUSED, format!("{doing}: {other}")),
        }
    }

    /// The exit code.
    pub(crate) fn code(&self) -> u8 {
        self.code
    }

    /// What to print, if anything.
    pub(crate) fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failure")
            .field("code", &self.code)
            .field("message", &self.message)
            .finish()
    }
}

/// A duration as people write it (`10s`, `1m 30s`, `250ms`).
pub(crate) fn human(d: Duration) -> String {
    // Whole milliseconds: nobody wants to read nanoseconds in an error message.
    humantime::format_duration(Duration::from_millis(d.as_millis() as u64)).to_string()
}

/// The cause in a switch's refusal: `-ERR NO_ROUTE_DESTINATION` → `NO_ROUTE_DESTINATION`.
pub(crate) fn cause_of(text: &str) -> String {
    let text = text.trim();
    let text = text
        .strip_prefix("-ERR")
        .or_else(|| text.strip_prefix("-USAGE:"))
        .unwrap_or(text)
        .trim();
    if text.is_empty() {
        "UNKNOWN".to_owned()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_lose_the_error_prefix() {
        assert_eq!(
            cause_of("-ERR NO_ROUTE_DESTINATION\n"),
            "NO_ROUTE_DESTINATION"
        );
        assert_eq!(cause_of("-ERR"), "UNKNOWN");
        assert_eq!(cause_of("USER_BUSY"), "USER_BUSY");
    }

    #[test]
    fn an_auth_refusal_names_the_address_and_exits_4() {
        let f = Failure::esl(&Error::Auth("-ERR invalid".into()), "10.0.0.1:8021", "x");
        assert_eq!(f.code(), AUTH);
        assert!(f.message().unwrap().contains("10.0.0.1:8021 refused"));
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(human(Duration::from_millis(1500)), "1s 500ms");
    }
}
