//! The session API of one channel, without I/O: for each method, the command it sends, what
//! it expects, and what its result means to the caller. Every adapter's `Channel` runs these
//! (a line each, with or without `.await`), so the rules live here once: which applications
//! wait for their `CHANNEL_EXECUTE_COMPLETE`, that a hang-up of a channel already gone is
//! done, how a `uuid_getvar` reply reads.

use super::call::Call;
use super::error::{Error, Result};
use super::requests::Expect;
use crate::dptools::{Dptools, GetVar, Leg, TransferLeg};
use crate::{CallCommand, Command, Event, Response};

/// Builds the [`Call`]s of one channel's session API: for each method, the command, what it
/// expects, and what its result means.
///
/// ```
/// use esl_proto::client::{ChannelCalls, Error, Expect};
/// use esl_proto::Command;
///
/// let calls = ChannelCalls::new("0a83ac5e");
/// let answer = calls.answer().unwrap();
/// assert_eq!(answer.expect, Expect::Executed);
/// assert_eq!(
///     &answer.command.to_bytes().unwrap()[..],
///     b"sendmsg 0a83ac5e\ncall-command: execute\nexecute-app-name: answer\n\n"
/// );
/// // Hanging up a channel that is already gone is done, not an error.
/// let hangup = calls.hangup(None).unwrap();
/// assert!(hangup.finish(Err(Error::ChannelGone("0a83ac5e".into()))).is_ok());
/// assert!(calls.playback("a.wav\nexit").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelCalls {
    /// How applications address the channel (by uuid, or the outbound socket's own).
    tools: Dptools,
    /// How `uuid_*` API commands address it: always by uuid.
    by_uuid: Dptools,
}

impl ChannelCalls {
    /// The calls of channel `uuid`, on any connection.
    pub fn new(uuid: &str) -> ChannelCalls {
        ChannelCalls {
            tools: Dptools::new(uuid),
            by_uuid: Dptools::new(uuid),
        }
    }

    /// The calls of an outbound socket's own channel: applications go as a bare `sendmsg`.
    pub fn socket(uuid: &str) -> ChannelCalls {
        ChannelCalls {
            tools: Dptools::socket_channel(),
            by_uuid: Dptools::new(uuid),
        }
    }

    // ---- applications, waiting for their completion ----

    /// `app` with `arg`, done when its `CHANNEL_EXECUTE_COMPLETE` comes (returned).
    pub fn execute(&self, app: &str, arg: Option<&str>) -> Result<Call<Event>> {
        let command = Command::execute(
            self.tools.uuid().map(str::to_owned),
            app,
            arg.map(str::to_owned),
        );
        waiting(Ok(command), executed)
    }

    /// `answer`, done once answered.
    pub fn answer(&self) -> Result<Call<()>> {
        waiting(self.tools.answer(), |r| executed(r).map(drop))
    }

    /// `hangup <cause>` (`NORMAL_CLEARING` when `None`), done once the channel is down. A
    /// channel that is already gone (it hung up before the application ran, or the switch
    /// answers `-ERR invalid session id`) is done too.
    pub fn hangup(&self, cause: Option<&str>) -> Result<Call<()>> {
        let cause = cause.unwrap_or("NORMAL_CLEARING");
        waiting(self.tools.execute_app("hangup", Some(cause)), |result| {
            match executed(result) {
                Ok(_) | Err(Error::ChannelGone(_)) => Ok(()),
                // `mod_event_socket`, `sendmsg` to a uuid no session has:
                // "-ERR invalid session id [%s]".
                Err(Error::Rejected(text)) if text.starts_with("-ERR invalid session id") => Ok(()),
                Err(error) => Err(error),
            }
        })
    }

    /// `bridge <dial string>`, done when the bridge ends.
    pub fn bridge(&self, dial: &str) -> Result<Call<Event>> {
        waiting(self.tools.bridge(dial), executed)
    }

    /// `playback <path>`, done once played.
    pub fn playback(&self, path: &str) -> Result<Call<Event>> {
        waiting(self.tools.playback(path), executed)
    }

    /// `set <name>=<value>`, done once set.
    pub fn set_variable(&self, name: &str, value: &str) -> Result<Call<()>> {
        waiting(self.tools.set(name, value), |r| executed(r).map(drop))
    }

    /// Several variables with one `multiset`, done once set.
    pub fn set_variables<I, K, V>(&self, vars: I) -> Result<Call<()>>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        waiting(self.tools.multiset(vars), |r| executed(r).map(drop))
    }

    /// `respond <code> [<reason>]`, done once sent.
    pub fn respond(&self, code: u16, reason: Option<&str>) -> Result<Call<()>> {
        waiting(self.tools.respond(code, reason), |r| executed(r).map(drop))
    }

    /// `transfer <extension> [<dialplan> [<context>]]`, done once the channel left what it
    /// was doing.
    pub fn transfer(
        &self,
        extension: &str,
        dialplan: Option<&str>,
        context: Option<&str>,
    ) -> Result<Call<()>> {
        waiting(self.tools.transfer(extension, dialplan, context), |r| {
            executed(r).map(drop)
        })
    }

    // ---- applications, done once the switch accepted them ----

    /// `app` with `arg`, done once queued on the channel.
    pub fn execute_nowait(&self, app: &str, arg: Option<&str>) -> Result<Call<()>> {
        queued(self.tools.execute_app(app, arg))
    }

    /// `park` (it lasts until the call moves or ends), done once queued.
    pub fn park(&self) -> Result<Call<()>> {
        queued(self.tools.park())
    }

    /// `bridge`, done once queued.
    pub fn bridge_nowait(&self, dial: &str) -> Result<Call<()>> {
        queued(self.tools.bridge(dial))
    }

    /// `playback`, done once queued.
    pub fn playback_nowait(&self, path: &str) -> Result<Call<()>> {
        queued(self.tools.playback(path))
    }

    // ---- API commands (by uuid, on any connection) ----

    /// `uuid_broadcast`: its reply text.
    pub fn broadcast(&self, path: &str, leg: Option<Leg>) -> Result<Call<String>> {
        api(self.by_uuid.broadcast(path, leg))
    }

    /// `uuid_record <uuid> start <path> [<limit>]`.
    pub fn record_start(&self, path: &str, limit_secs: Option<u32>) -> Result<Call<String>> {
        api(self.by_uuid.record_start(path, limit_secs))
    }

    /// `uuid_record <uuid> stop <path>` (`all` for every recording of the channel).
    pub fn record_stop(&self, path: &str) -> Result<Call<String>> {
        api(self.by_uuid.record_stop(path))
    }

    /// `uuid_transfer`: this leg, its bridged leg or both, to `extension`.
    pub fn uuid_transfer(
        &self,
        leg: TransferLeg,
        extension: &str,
        dialplan: Option<&str>,
        context: Option<&str>,
    ) -> Result<Call<String>> {
        api(self
            .by_uuid
            .uuid_transfer(leg, extension, dialplan, context))
    }

    /// `uuid_getvar`: the value, `None` when unset.
    pub fn get_variable(&self, name: &str) -> Result<Call<Option<String>>> {
        let command = self.by_uuid.getvar(name)?;
        Ok(Call::new(
            command,
            Expect::Any,
            |result| match GetVar::parse(&result?.text()) {
                GetVar::Value(value) => Ok(Some(value)),
                GetVar::Unset => Ok(None),
                GetVar::Failed(text) => Err(Error::Rejected(text)),
            },
        ))
    }
}

/// An application that waits for its completion event.
fn waiting<T>(
    command: std::result::Result<Command, crate::CommandError>,
    read: fn(Result<Response>) -> Result<T>,
) -> Result<Call<T>> {
    let mut command = command?;
    match &mut command {
        Command::SendMsg(msg) => match &mut msg.command {
            CallCommand::Execute(exec) => exec.wait = true,
            _ => return Err(not_an_application(&command)),
        },
        _ => return Err(not_an_application(&command)),
    }
    Ok(Call::new(command, Expect::Executed, read))
}

/// An application done once the switch queued it.
fn queued(command: std::result::Result<Command, crate::CommandError>) -> Result<Call<()>> {
    let mut command = command?;
    if let Command::SendMsg(msg) = &mut command {
        if let CallCommand::Execute(exec) = &mut msg.command {
            exec.wait = false;
        }
    }
    Ok(Call::new(command, Expect::Reply, |r| r.map(drop)))
}

/// An `api uuid_*` command: its text, `-ERR` being an error.
fn api(command: std::result::Result<Command, crate::CommandError>) -> Result<Call<String>> {
    Ok(Call::new(command?, Expect::Api, |r| {
        r.map(|response| response.text())
    }))
}

fn executed(result: Result<Response>) -> Result<Event> {
    match result? {
        Response::Executed(event) => Ok(event),
        other => Err(Error::Rejected(other.text())),
    }
}

fn not_an_application(command: &Command) -> Error {
    Error::Rejected(format!("not an application: {}", command.keyword()))
}
