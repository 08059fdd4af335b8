//! One request as the application sees it: the command, what it expects, its timeout, and
//! what its result means to the caller. The adapters' request methods are each one
//! [`Call`], run the same way (with or without `.await`), so what a method sends and how its
//! result reads is written here once.

use std::time::Duration;

use super::error::{Error, Result};
use super::requests::Expect;
use crate::{ApiResponse, CallCommand, Command, Event, EventFormat, Execute, LogLevel, Reply};
use crate::{Response, SendMsg};

/// One request: send [`Call::command`] expecting [`Call::expect`] within [`Call::timeout`]
/// (the engine's default for its kind when `None`), then read the result with
/// [`Call::finish`].
///
/// ```
/// use esl_proto::client::{Call, Error, Expect};
/// use esl_proto::{ApiResponse, Response};
///
/// let call = Call::api("global_getvar hostname");
/// assert_eq!(call.expect, Expect::Api);
/// let answer = Response::Api(ApiResponse::new("sw1".into()));
/// assert_eq!(call.finish(Ok(answer)).unwrap(), "sw1");
/// assert!(matches!(call.finish(Err(Error::Closed)), Err(Error::Closed)));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Call<T> {
    /// What to send.
    pub command: Command,
    /// What the result has to be.
    pub expect: Expect,
    /// How long to wait; `None`: what the command's kind calls for.
    pub timeout: Option<Duration>,
    read: fn(Result<Response>) -> Result<T>,
}

impl<T> Call<T> {
    pub(crate) fn new(
        command: Command,
        expect: Expect,
        read: fn(Result<Response>) -> Result<T>,
    ) -> Self {
        Call {
            command,
            expect,
            timeout: None,
            read,
        }
    }

    /// What the request's result means to the caller.
    pub fn finish(&self, result: Result<Response>) -> Result<T> {
        (self.read)(result)
    }

    /// The same call with its own timeout.
    pub fn within(mut self, timeout: Duration) -> Call<T> {
        self.timeout = Some(timeout);
        self
    }
}

impl Call<Response> {
    /// Any command; its result as it came (`-ERR` included: see [`Response::is_ok`]).
    pub fn send(command: Command) -> Call<Response> {
        Call::new(command, Expect::Any, |r| r)
    }
}

impl Call<Reply> {
    /// A command whose reply is `+OK` on success; `-ERR` is [`Error::Rejected`].
    pub fn command(command: Command) -> Call<Reply> {
        Call::new(command, Expect::Reply, |r| match r? {
            Response::Reply(reply) => Ok(reply),
            other => Err(Error::Rejected(other.text())),
        })
    }
}

impl Call<String> {
    /// `api <command>`: its output; `-ERR ...` / `-USAGE ...` is [`Error::Rejected`].
    pub fn api(command: &str) -> Call<String> {
        Call::new(Command::api(command), Expect::Api, |r| r.map(|r| r.text()))
    }
}

impl Call<ApiResponse> {
    /// `api <command>`, its output as it came.
    pub fn api_response(command: &str) -> Call<ApiResponse> {
        Call::new(Command::api(command), Expect::Api, |r| match r? {
            Response::Api(api) => Ok(api),
            other => Err(Error::Rejected(other.text())),
        })
    }
}

impl Call<()> {
    /// A command that changes what the connection receives (`event`, `filter`, `log`, ...);
    /// done at its `+OK`.
    pub fn setting(command: Command) -> Call<()> {
        Call::new(command, Expect::Reply, |r| r.map(drop))
    }

    /// `event <format> <names...>`.
    pub fn subscribe(format: EventFormat, events: &[&str]) -> Call<()> {
        Call::setting(Command::event(format, events.iter().copied()))
    }

    /// `nixevent <names...>`.
    pub fn unsubscribe(events: &[&str]) -> Call<()> {
        Call::setting(Command::nixevent(events.iter().copied()))
    }

    /// `filter <header> <value>`.
    pub fn filter(header: &str, value: &str) -> Call<()> {
        Call::setting(Command::filter(header, value))
    }

    /// `filter delete <header> [<value>]`.
    pub fn filter_delete(header: &str, value: Option<&str>) -> Call<()> {
        Call::setting(Command::filter_delete(header, value.map(str::to_owned)))
    }

    /// `log <level>`.
    pub fn log(level: LogLevel) -> Call<()> {
        Call::setting(Command::Log { level: Some(level) })
    }
}

impl Call<Event> {
    /// `app` with `arg` on channel `uuid`, done at its `CHANNEL_EXECUTE_COMPLETE`.
    pub fn execute(uuid: &str, app: &str, arg: Option<&str>) -> Call<Event> {
        let mut exec = Execute::new(app, arg.map(str::to_owned));
        exec.wait = true;
        let command = Command::SendMsg(SendMsg {
            uuid: Some(uuid.to_owned()),
            command: CallCommand::Execute(exec),
            headers: Vec::new(),
        });
        Call::new(command, Expect::Executed, |r| match r? {
            Response::Executed(event) => Ok(event),
            other => Err(Error::Rejected(other.text())),
        })
    }
}
