//! Call control over one channel: the session API, the same for a channel seen on an inbound
//! connection (addressed by uuid) and for the call of an outbound socket.
//!
//! What each method sends, what it waits for and what its result means is
//! [`esl_proto::client::ChannelCalls`]'s; a method here runs one of its calls.

use std::ops::Deref;
use std::sync::Arc;

use esl_proto::client::{ChannelCall, ChannelCalls, Result};
use esl_proto::dptools::{Leg, TransferLeg};
use esl_proto::Event;

use crate::handle::Handle;

/// One channel on one switch, and the commands that control it.
///
/// Commands go to the switch through the connection this channel came from, which is how a
/// [`Service`](crate::Service) sends each command back to the switch that owns the call.
/// Dereferences to that connection's [`Handle`]. Cheap to clone; clones may be used from
/// other threads. Every method blocks the calling thread until its result.
pub struct Channel {
    handle: Handle,
    calls: ChannelCalls,
    uuid: String,
    data: Arc<Event>,
}

impl Clone for Channel {
    fn clone(&self) -> Self {
        Channel {
            handle: self.handle.clone(),
            calls: self.calls.clone(),
            uuid: self.uuid.clone(),
            data: self.data.clone(),
        }
    }
}

impl Deref for Channel {
    type Target = Handle;
    fn deref(&self) -> &Handle {
        &self.handle
    }
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("uuid", &self.uuid)
            .field("peer", &self.handle.peer())
            .finish()
    }
}

impl Channel {
    /// The channel an event is about (its `Unique-ID`), controlled through `handle`; `None`
    /// for an event that names no channel.
    pub fn from_event(handle: Handle, event: Event) -> Option<Channel> {
        let uuid = event.unique_id()?.into_owned();
        Some(Channel {
            handle,
            calls: ChannelCalls::new(&uuid),
            uuid,
            data: Arc::new(event),
        })
    }

    /// The channel `uuid` (one the application already knows), controlled through `handle`,
    /// with no data yet.
    pub fn new(handle: Handle, uuid: impl Into<String>) -> Channel {
        let uuid = uuid.into();
        let data = Event::builder("CHANNEL_DATA")
            .header("Unique-ID", uuid.as_str())
            .build();
        Channel {
            handle,
            calls: ChannelCalls::new(&uuid),
            uuid,
            data: Arc::new(data),
        }
    }

    /// The call of an outbound socket: applications go as a bare `sendmsg`.
    pub(crate) fn socket(handle: Handle, uuid: String, data: Arc<Event>) -> Channel {
        Channel {
            handle,
            calls: ChannelCalls::socket(&uuid),
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
    pub fn handle(&self) -> &Handle {
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
        self.data.is_inbound()
    }

    /// True for a call the switch placed (`Call-Direction: outbound`).
    pub fn is_outbound(&self) -> bool {
        self.data.is_outbound()
    }

    // ---- applications, waiting for completion ----

    /// Runs `app` and waits for its `CHANNEL_EXECUTE_COMPLETE`, which is returned.
    pub fn execute(&self, app: &str, arg: Option<&str>) -> Result<Event> {
        self.run(self.calls.execute(app, arg))
    }

    /// `answer`, once answered.
    pub fn answer(&self) -> Result<()> {
        self.run(self.calls.answer())
    }

    /// `hangup <cause>` (`NORMAL_CLEARING` when `None`), once the channel is down; `Ok` for
    /// a channel already gone.
    pub fn hangup(&self, cause: Option<&str>) -> Result<()> {
        self.run(self.calls.hangup(cause))
    }

    /// `bridge <dial string>` until the bridge ends (build the dial string for a profile, a
    /// gateway or a proxy with [`DialString`](esl_proto::dptools::DialString)).
    pub fn bridge(&self, dial: impl AsRef<str>) -> Result<Event> {
        self.run(self.calls.bridge(dial.as_ref()))
    }

    /// `playback <path>`, once played.
    pub fn playback(&self, path: &str) -> Result<Event> {
        self.run(self.calls.playback(path))
    }

    /// `set <name>=<value>`, once set.
    pub fn set_variable(&self, name: &str, value: &str) -> Result<()> {
        self.run(self.calls.set_variable(name, value))
    }

    /// Sets several variables with one `multiset`, once set. Values `multiset` cannot carry
    /// (quotes, backslashes, edge spaces) are refused: set those one by one.
    pub fn set_variables<I, K, V>(&self, vars: I) -> Result<()>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.run(self.calls.set_variables(vars))
    }

    /// `respond <code> [<reason>]`: a SIP response before answer (`407`, `486 Busy Here`).
    pub fn respond(&self, code: u16, reason: Option<&str>) -> Result<()> {
        self.run(self.calls.respond(code, reason))
    }

    /// `transfer <extension> [<dialplan> [<context>]]`, once the channel left what it was
    /// doing for the new extension.
    pub fn transfer(
        &self,
        extension: &str,
        dialplan: Option<&str>,
        context: Option<&str>,
    ) -> Result<()> {
        self.run(self.calls.transfer(extension, dialplan, context))
    }

    // ---- applications, not waiting ----

    /// Queues `app` and returns once the switch accepted it.
    pub fn execute_nowait(&self, app: &str, arg: Option<&str>) -> Result<()> {
        self.run(self.calls.execute_nowait(app, arg))
    }

    /// `park`: returns once the switch accepted it (park lasts until the call moves or ends).
    pub fn park(&self) -> Result<()> {
        self.run(self.calls.park())
    }

    /// `bridge` without waiting for the bridge to end.
    pub fn bridge_nowait(&self, dial: impl AsRef<str>) -> Result<()> {
        self.run(self.calls.bridge_nowait(dial.as_ref()))
    }

    /// `playback` without waiting for it to finish.
    pub fn playback_nowait(&self, path: &str) -> Result<()> {
        self.run(self.calls.playback_nowait(path))
    }

    // ---- API commands (by uuid; they work on any connection) ----

    /// `uuid_broadcast`: plays `path` (or runs `app::args`) on the channel, to `leg`.
    pub fn broadcast(&self, path: &str, leg: Option<Leg>) -> Result<String> {
        self.run(self.calls.broadcast(path, leg))
    }

    /// `uuid_record <uuid> start <path> [<limit>]`.
    pub fn record_start(&self, path: &str, limit_secs: Option<u32>) -> Result<String> {
        self.run(self.calls.record_start(path, limit_secs))
    }

    /// `uuid_record <uuid> stop <path>` (`all` for every recording of the channel).
    pub fn record_stop(&self, path: &str) -> Result<String> {
        self.run(self.calls.record_stop(path))
    }

    /// `uuid_transfer`: moves this leg, its bridged leg, or both, to `extension`.
    pub fn uuid_transfer(
        &self,
        leg: TransferLeg,
        extension: &str,
        dialplan: Option<&str>,
        context: Option<&str>,
    ) -> Result<String> {
        self.run(self.calls.uuid_transfer(leg, extension, dialplan, context))
    }

    /// The variable's value now (`uuid_getvar`); `None` when unset.
    pub fn get_variable(&self, name: &str) -> Result<Option<String>> {
        self.run(self.calls.get_variable(name))
    }

    fn run<T>(&self, call: Result<ChannelCall<T>>) -> Result<T> {
        let call = call?;
        let result = self.handle.request(call.command.clone(), call.expect, None);
        call.finish(result)
    }
}
