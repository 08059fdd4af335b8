//! Call control over one channel: the session API, the same for a channel seen on an inbound
//! connection (addressed by uuid) and for the call of an outbound socket.
//!
//! What each method sends, what it waits for and what its result means is
//! [`esl_proto::client::ChannelCalls`]'s, and the methods themselves are written once for
//! every adapter (`esl_proto::__channel_api!`).

use std::ops::Deref;
use std::sync::Arc;

use esl_proto::client::ChannelCalls;
use esl_proto::Event;

use crate::handle::Handle;

/// One channel on one switch, and the commands that control it: the session API (answer,
/// hangup with a cause, bridge, park, playback, broadcast, record, variables, respond,
/// transfer), each waiting for the switch to have done it, or in a `_nowait` form that
/// returns once the switch accepted it.
///
/// Commands go to the switch through the connection this channel came from, which is how a
/// [`Service`](crate::Service) sends each command back to the switch that owns the call.
/// Dereferences to that connection's [`Handle`]. Cheap to clone; clones may be used from
/// other threads.
///
/// ```no_run
/// # fn demo(client: esl_blocking::Client) -> esl_blocking::Result<()> {
/// use esl_blocking::Channel;
///
/// let uuid = client.originate("loopback/park", "&park")?;
/// let channel = Channel::new(client.handle().clone(), uuid);
/// channel.answer()?;
/// channel.playback("tone_stream://%(200,0,440)")?;
/// channel.hangup(None)
/// # }
/// ```
///
/// # Waiting
///
/// Every method that sends a command blocks the calling thread until its result, as
/// [`Handle`]'s do (see [waiting](Handle#waiting)): an application waited for
/// ([`answer`](Channel::answer), [`playback`](Channel::playback), [`bridge`](Channel::bridge),
/// ...) for at most [`ClientConfig::execute_timeout`](crate::ClientConfig::execute_timeout)
/// (an hour by default), anything else for at most the request timeout. A wait that times
/// out does not stop the application: a bridge longer than the execute timeout returns
/// [`Error::Timeout`](crate::Error::Timeout) while the call goes on.
#[derive(Clone)]
pub struct Channel {
    handle: Handle,
    calls: ChannelCalls,
    uuid: String,
    data: Arc<Event>,
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
    esl_proto::__channel_api!(() () Handle);
}
