//! Call control over one channel: the session API, the same for a channel seen on an inbound
//! connection (addressed by uuid) and for the call of an outbound socket.
//!
//! Each command is built by [`esl_proto::dptools`], so what reaches the wire (and what is
//! refused before it does) is decided in the core. Applications run with `sendmsg execute`
//! and a client-chosen `Event-UUID`; the waiting forms return when the switch's
//! `CHANNEL_EXECUTE_COMPLETE` for that execution arrives, the `_nowait` forms when the switch
//! has accepted the command.

use std::ops::Deref;
use std::sync::Arc;

use esl_proto::dptools::{Dptools, GetVar, Leg, TransferLeg};
use esl_proto::{CallCommand, Command, CommandError, Event, SendMsg};

use crate::error::{Error, Result};
use crate::handle::{interpret, Handle};
use crate::runtime::Runtime;

/// One channel on one switch, and the commands that control it.
///
/// Commands go to the switch through the connection this channel came from, which is how a
/// [`Service`](crate::Service) sends each command back to the switch that owns the call.
/// Dereferences to that connection's [`Handle`].
pub struct Channel<R: Runtime> {
    handle: Handle<R>,
    tools: Dptools,
    uuid: String,
    data: Arc<Event>,
}

impl<R: Runtime> Clone for Channel<R> {
    fn clone(&self) -> Self {
        Channel {
            handle: self.handle.clone(),
            tools: self.tools.clone(),
            uuid: self.uuid.clone(),
            data: self.data.clone(),
        }
    }
}

impl<R: Runtime> Deref for Channel<R> {
    type Target = Handle<R>;
    fn deref(&self) -> &Handle<R> {
        &self.handle
    }
}

impl<R: Runtime> std::fmt::Debug for Channel<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("uuid", &self.uuid)
            .field("peer", &self.handle.peer())
            .finish()
    }
}

impl<R: Runtime> Channel<R> {
    /// The channel an event is about (its `Unique-ID`), controlled through `handle`; `None`
    /// for an event that names no channel.
    pub fn from_event(handle: Handle<R>, event: Event) -> Option<Channel<R>> {
        let uuid = event.unique_id()?.into_owned();
        Some(Channel {
            handle,
            tools: Dptools::new(uuid.as_str()),
            uuid,
            data: Arc::new(event),
        })
    }

    /// The channel `uuid`, controlled through `handle`, with no data yet.
    pub fn new(handle: Handle<R>, uuid: impl Into<String>) -> Channel<R> {
        let uuid = uuid.into();
        Channel {
            handle,
            tools: Dptools::new(uuid.as_str()),
            data: Arc::new(
                Event::builder("CHANNEL_DATA")
                    .header("Unique-ID", uuid.as_str())
                    .build(),
            ),
            uuid,
        }
    }

    /// The call of an outbound socket: applications go as a bare `sendmsg`.
    pub(crate) fn socket(handle: Handle<R>, uuid: String, data: Arc<Event>) -> Channel<R> {
        Channel {
            handle,
            tools: Dptools::socket_channel(),
            uuid,
            data,
        }
    }

    // ---- getters ----

    /// The channel's uuid.
    pub fn uuid(&self) -> &str {
        &self.uuid
    }

    /// The connection commands go through.
    pub fn handle(&self) -> &Handle<R> {
        &self.handle
    }

    /// The event this channel was made from (the `connect` reply's channel data for an
    /// outbound call): `Caller-*`, `variable_*`, ...
    pub fn data(&self) -> &Event {
        &self.data
    }

    /// A channel variable as the data has it (see [`Channel::get_variable`] for its value
    /// now).
    pub fn variable(&self, name: &str) -> Option<String> {
        self.data.variable(name).map(|v| v.into_owned())
    }

    /// A header of the data (`Caller-Destination-Number`, ...).
    pub fn header(&self, name: &str) -> Option<String> {
        self.data.header(name).map(|v| v.into_owned())
    }

    /// True for a call that came into the switch (`Call-Direction: inbound`).
    pub fn is_inbound(&self) -> bool {
        self.direction().as_deref() == Some("inbound")
    }

    /// True for a call the switch placed (`Call-Direction: outbound`).
    pub fn is_outbound(&self) -> bool {
        self.direction().as_deref() == Some("outbound")
    }

    fn direction(&self) -> Option<String> {
        // Channel events and the connect reply carry `Call-Direction`; the variable is there
        // on every channel.
        self.data
            .call_direction()
            .or_else(|| self.data.variable("direction"))
            .map(|d| d.into_owned())
    }

    // ---- applications, waiting for completion ----

    /// Runs `app` and waits for its `CHANNEL_EXECUTE_COMPLETE`, which is returned.
    pub async fn execute(&self, app: &str, arg: Option<&str>) -> Result<Event> {
        self.wait(Ok(Command::execute(
            self.tools.uuid().map(str::to_owned),
            app,
            arg.map(str::to_owned),
        )))
        .await
    }

    /// `answer`, once answered.
    pub async fn answer(&self) -> Result<()> {
        self.wait(self.tools.answer()).await.map(drop)
    }

    /// `hangup <cause>` (`NORMAL_CLEARING` when `None`), once the channel is down.
    pub async fn hangup(&self, cause: Option<&str>) -> Result<()> {
        let hangup = self.execute("hangup", Some(cause.unwrap_or("NORMAL_CLEARING")));
        match hangup.await {
            Ok(_) | Err(Error::ChannelGone(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `bridge <dial string>` until the bridge ends (build the dial string for a profile, a
    /// gateway or a proxy with [`DialString`](esl_proto::dptools::DialString)).
    pub async fn bridge(&self, dial: impl AsRef<str>) -> Result<Event> {
        self.wait(self.tools.bridge(dial)).await
    }

    /// `playback <path>`, once played.
    pub async fn playback(&self, path: &str) -> Result<Event> {
        self.wait(self.tools.playback(path)).await
    }

    /// `set <name>=<value>`, once set.
    pub async fn set_variable(&self, name: &str, value: &str) -> Result<()> {
        self.wait(self.tools.set(name, value)).await.map(drop)
    }

    /// Sets several variables with one `multiset`, once set. Values `multiset` cannot carry
    /// (quotes, backslashes, edge spaces) are refused: set those one by one.
    pub async fn set_variables<I, K, V>(&self, vars: I) -> Result<()>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.wait(self.tools.multiset(vars)).await.map(drop)
    }

    /// `respond <code> [<reason>]`: a SIP response before answer (`407`, `486 Busy Here`).
    pub async fn respond(&self, code: u16, reason: Option<&str>) -> Result<()> {
        self.wait(self.tools.respond(code, reason)).await.map(drop)
    }

    /// `transfer <extension> [<dialplan> [<context>]]`, once the channel left what it was
    /// doing for the new extension.
    pub async fn transfer(
        &self,
        extension: &str,
        dialplan: Option<&str>,
        context: Option<&str>,
    ) -> Result<()> {
        self.wait(self.tools.transfer(extension, dialplan, context))
            .await
            .map(drop)
    }

    // ---- applications, not waiting ----

    /// Queues `app` and returns once the switch accepted it.
    pub async fn execute_nowait(&self, app: &str, arg: Option<&str>) -> Result<()> {
        self.queue(Ok(Command::execute(
            self.tools.uuid().map(str::to_owned),
            app,
            arg.map(str::to_owned),
        )))
        .await
    }

    /// `park`: returns once the switch accepted it (park lasts until the call moves or ends).
    pub async fn park(&self) -> Result<()> {
        self.queue(self.tools.park()).await
    }

    /// `bridge` without waiting for the bridge to end.
    pub async fn bridge_nowait(&self, dial: impl AsRef<str>) -> Result<()> {
        self.queue(self.tools.bridge(dial)).await
    }

    /// `playback` without waiting for it to finish.
    pub async fn playback_nowait(&self, path: &str) -> Result<()> {
        self.queue(self.tools.playback(path)).await
    }

    // ---- API commands (need a uuid; they work on any connection) ----

    /// `uuid_broadcast`: plays `path` (or runs `app::args`) on the channel, to `leg`.
    pub async fn broadcast(&self, path: &str, leg: Option<Leg>) -> Result<String> {
        self.api_command(self.on_uuid().broadcast(path, leg)).await
    }

    /// `uuid_record <uuid> start <path> [<limit>]`.
    pub async fn record_start(&self, path: &str, limit_secs: Option<u32>) -> Result<String> {
        self.api_command(self.on_uuid().record_start(path, limit_secs))
            .await
    }

    /// `uuid_record <uuid> stop <path>` (`all` for every recording of the channel).
    pub async fn record_stop(&self, path: &str) -> Result<String> {
        self.api_command(self.on_uuid().record_stop(path)).await
    }

    /// `uuid_transfer`: moves this leg, its bridged leg, or both, to `extension`.
    pub async fn uuid_transfer(
        &self,
        leg: TransferLeg,
        extension: &str,
        dialplan: Option<&str>,
        context: Option<&str>,
    ) -> Result<String> {
        self.api_command(
            self.on_uuid()
                .uuid_transfer(leg, extension, dialplan, context),
        )
        .await
    }

    /// The variable's value now (`uuid_getvar`); `None` when unset.
    pub async fn get_variable(&self, name: &str) -> Result<Option<String>> {
        let command = self.on_uuid().getvar(name)?;
        let response = self.handle.send(command).await?;
        match GetVar::parse(&response.text()) {
            GetVar::Value(value) => Ok(Some(value)),
            GetVar::Unset => Ok(None),
            GetVar::Failed(text) => Err(Error::Rejected(text)),
        }
    }

    // ---- internals ----

    /// API commands name the channel even on an outbound socket.
    fn on_uuid(&self) -> Dptools {
        Dptools::new(self.uuid.as_str())
    }

    async fn wait(&self, command: std::result::Result<Command, CommandError>) -> Result<Event> {
        match command? {
            Command::SendMsg(SendMsg {
                uuid,
                command: CallCommand::Execute(mut exec),
                ..
            }) => {
                exec.wait = true;
                exec.event_uuid = Some(uuid::Uuid::new_v4().to_string());
                self.handle.execute_with(uuid, exec).await
            }
            other => Err(Error::Rejected(format!(
                "not an application: {}",
                String::from_utf8_lossy(&other.to_bytes()?).trim_end()
            ))),
        }
    }

    async fn queue(&self, command: std::result::Result<Command, CommandError>) -> Result<()> {
        let mut command = command?;
        if let Command::SendMsg(SendMsg {
            command: CallCommand::Execute(exec),
            ..
        }) = &mut command
        {
            exec.wait = false;
        }
        self.handle.command(command).await.map(drop)
    }

    async fn api_command(
        &self,
        command: std::result::Result<Command, CommandError>,
    ) -> Result<String> {
        interpret(self.handle.send(command?).await?).map(|r| r.text())
    }
}
