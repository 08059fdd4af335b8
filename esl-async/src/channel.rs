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
use crate::runtime::Runtime;

/// One channel on one switch, and the commands that control it: the session API (answer,
/// hangup with a cause, bridge, park, playback, broadcast, record, variables, respond,
/// transfer), each waiting for the switch to have done it, or in a `_nowait` form that
/// returns once the switch accepted it.
///
/// Commands go to the switch through the connection this channel came from, which is how a
/// [`Service`](crate::Service) sends each command back to the switch that owns the call.
/// Dereferences to that connection's [`Handle`].
///
/// ```no_run
/// # async fn demo(client: esl_async::Client<impl esl_async::Runtime>) -> esl_async::Result<()> {
/// use esl_async::Channel;
///
/// let uuid = client.originate("loopback/park", "&park").await?;
/// let channel = Channel::new(client.handle().clone(), uuid);
/// channel.answer().await?;
/// channel.playback("tone_stream://%(200,0,440)").await?;
/// channel.hangup(None).await
/// # }
/// ```
///
/// # Waiting
///
/// Every waiting method is cancel-safe in [`Handle`]'s sense (see
/// [waiting](Handle#waiting)): dropping its future cancels the request, not what it asked
/// for. A dropped [`playback`](Channel::playback) or [`bridge`](Channel::bridge) goes on on
/// the channel; so does one whose wait timed out
/// ([`ClientConfig::execute_timeout`](crate::ClientConfig::execute_timeout), an hour by
/// default, for an application waited for; the request timeout for anything else).
pub struct Channel<R: Runtime> {
    handle: Handle<R>,
    calls: ChannelCalls,
    uuid: String,
    data: Arc<Event>,
}

impl<R: Runtime> Clone for Channel<R> {
    fn clone(&self) -> Self {
        Channel {
            handle: self.handle.clone(),
            calls: self.calls.clone(),
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
    esl_proto::__channel_api!((async) (.await) Handle<R>);
}
