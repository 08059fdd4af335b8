//! The outbound server: the switch's `socket` application connects to it, one connection per
//! call, and a handler runs with a [`Session`] for that call.

use std::future::Future;
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use esl_proto::client::{CallCounters, Engine, Result, ServerConfig};
use esl_proto::Event;
use futures_util::future::{self, Either};
use futures_util::task::AtomicWaker;
use tracing::Instrument;

use crate::channel::Channel;
use crate::client::Owner;
use crate::driver::Driver;
use crate::handle::Handle;
use crate::runtime::{Listener, Runtime};
use crate::shared::Shared;
use crate::transport::{Io, Medium, Transport};

#[derive(Default)]
struct ServerState {
    calls: CallCounters,
    /// Wakes the accept loop (to stop) and the shutdown waiter (a call ended).
    wake: AtomicWaker,
}

/// Listens for the switch's outbound connections.
///
/// ```no_run
/// # async fn demo<R: esl_async::Runtime>(runtime: R) -> esl_async::Result<()> {
/// use esl_async::{OutboundServer, ServerConfig, Session};
///
/// // The dialplan says `<action application="socket" data="<this host>:8084 async full"/>`.
/// let server = OutboundServer::bind(runtime, "0.0.0.0:8084", ServerConfig::default()).await?;
/// // Each call's handler is a task of its own; `run` returns after a shutdown.
/// server
///     .run(|session: Session<R>| async move {
///         let _ = session.answer().await;
///         let _ = session.playback("ivr/ivr-welcome.wav").await;
///         let _ = session.hangup(None).await;
///     })
///     .await
/// # }
/// ```
pub struct OutboundServer<R: Runtime> {
    runtime: R,
    listener: Listening<R>,
    config: ServerConfig,
    state: Arc<ServerState>,
}

impl<R: Runtime> std::fmt::Debug for OutboundServer<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboundServer")
            .field("addr", &self.local_addr().ok())
            .field("max_calls", &self.config.max_calls)
            .field("active_calls", &self.state.calls.active())
            .finish_non_exhaustive()
    }
}

/// Where the switch's connections come from.
enum Listening<R: Runtime> {
    Tcp(Arc<R::Listener>),
    Memory(Arc<dyn Transport>),
}

impl<R: Runtime> Listening<R> {
    async fn accept(&self) -> std::io::Result<(Io<R::Stream>, String)> {
        match self {
            Listening::Tcp(listener) => {
                let (stream, peer) = listener.accept().await?;
                Ok((Io::Tcp(stream), peer.to_string()))
            }
            Listening::Memory(transport) => {
                let (stream, peer) = future::poll_fn(|cx| transport.poll_accept(cx)).await?;
                Ok((Io::Memory(stream), peer))
            }
        }
    }

    fn medium(&self) -> Medium {
        match self {
            Listening::Tcp(_) => Medium::Tcp,
            Listening::Memory(transport) => Medium::Memory(transport.clone()),
        }
    }
}

/// Stops an [`OutboundServer`] from another task: no new calls are accepted, and
/// [`OutboundServer::run`] returns once the calls under way have ended. None of its methods
/// waits.
///
/// ```no_run
/// # async fn demo<R: esl_async::Runtime>(runtime: R) -> esl_async::Result<()> {
/// use esl_async::{OutboundServer, ServerConfig, Session};
///
/// let server = OutboundServer::bind(runtime, "0.0.0.0:8084", ServerConfig::default()).await?;
/// let stop = server.shutdown_handle();
/// let counts = stop.clone();
/// // Serves one call, then stops: any task may call `shutdown`.
/// server
///     .run(move |session: Session<R>| {
///         let stop = stop.clone();
///         async move {
///             let _ = session.hangup(None).await;
///             stop.shutdown();
///         }
///     })
///     .await?;
/// println!("{} calls handled", counts.handled_calls());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ShutdownHandle {
    state: Arc<ServerState>,
}

esl_proto::__shutdown_handle_api!(debug ShutdownHandle);

impl ShutdownHandle {
    /// Begins the graceful shutdown.
    pub fn shutdown(&self) {
        self.state.calls.stop();
        self.state.wake.wake();
    }

    esl_proto::__shutdown_handle_api!();

    fn counters(&self) -> &CallCounters {
        &self.state.calls
    }
}

impl<R: Runtime> OutboundServer<R> {
    /// Listens on `addr` (`127.0.0.1:8084`; port 0 picks a free one).
    ///
    /// Cancel-safe: dropped before it returns, it leaves no socket behind.
    pub async fn bind(runtime: R, addr: &str, config: ServerConfig) -> Result<OutboundServer<R>> {
        let listener = runtime.bind(addr.to_owned()).await?;
        Ok(OutboundServer::with(
            runtime,
            Listening::Tcp(Arc::new(listener)),
            config,
        ))
    }

    /// Serves the connections `transport` opens (a simulated switch's `socket`
    /// application, in memory), on the transport's clock; otherwise as
    /// [`OutboundServer::bind`].
    pub fn bind_via(
        runtime: R,
        transport: Arc<dyn Transport>,
        config: ServerConfig,
    ) -> OutboundServer<R> {
        OutboundServer::with(runtime, Listening::Memory(transport), config)
    }

    fn with(runtime: R, listener: Listening<R>, config: ServerConfig) -> OutboundServer<R> {
        OutboundServer {
            runtime,
            listener,
            config,
            state: Arc::new(ServerState::default()),
        }
    }

    /// The address the switch should connect to (`socket <addr> async full`); an error for
    /// a server over a transport, which has none.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        match &self.listener {
            Listening::Tcp(listener) => Ok(listener.local_addr()?),
            Listening::Memory(_) => {
                Err(std::io::Error::from(std::io::ErrorKind::AddrNotAvailable).into())
            }
        }
    }

    /// A handle to stop the server gracefully.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            state: self.state.clone(),
        }
    }

    /// Accepts calls until [`ShutdownHandle::shutdown`], running `handler` for each in its own
    /// task; then waits for the calls under way to end and returns.
    ///
    /// The wait for the calls under way has no timeout: it lasts until every handler has
    /// returned. Dropping the future stops the server at once, without waiting: the listener
    /// closes (over TCP, the switch's next `socket` then fails), no connection it had accepted
    /// is lost, and the calls under way go on in their tasks. The server is gone with the
    /// future.
    pub async fn run<F, Fut>(self, handler: F) -> Result<()>
    where
        F: Fn(Session<R>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handler = Arc::new(handler);
        loop {
            let stop = future::poll_fn(|cx| {
                self.state.wake.register(cx.waker());
                if self.state.calls.is_stopping() {
                    std::task::Poll::Ready(())
                } else {
                    std::task::Poll::Pending
                }
            });
            let accepted =
                match future::select(Box::pin(self.listener.accept()), Box::pin(stop)).await {
                    Either::Left((accepted, _)) => accepted,
                    Either::Right(_) => break,
                };
            let (stream, peer) = match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    let medium = self.listener.medium();
                    medium.sleep(&self.runtime, Duration::from_millis(50)).await;
                    continue;
                }
            };
            if !self.state.calls.admit(self.config.max_calls) {
                tracing::warn!(%peer, limit = self.config.max_calls, "call limit reached; connection closed");
                drop(stream);
                continue;
            }
            let span = tracing::info_span!("esl.call", %peer);
            let call = serve_call(
                self.runtime.clone(),
                self.listener.medium(),
                stream,
                peer,
                self.config.clone(),
                handler.clone(),
                self.state.clone(),
            );
            self.runtime.spawn(call.instrument(span));
        }
        // Graceful: wait for the calls under way.
        future::poll_fn(|cx| {
            self.state.wake.register(cx.waker());
            if self.state.calls.active() == 0 {
                std::task::Poll::Ready(())
            } else {
                std::task::Poll::Pending
            }
        })
        .await;
        Ok(())
    }
}

struct CallDone(Arc<ServerState>);

impl Drop for CallDone {
    fn drop(&mut self) {
        self.0.calls.ended();
        self.0.wake.wake();
    }
}

#[allow(clippy::too_many_arguments)]
async fn serve_call<R, F, Fut>(
    runtime: R,
    medium: Medium,
    stream: Io<R::Stream>,
    peer: String,
    config: ServerConfig,
    handler: Arc<F>,
    state: Arc<ServerState>,
) where
    R: Runtime,
    F: Fn(Session<R>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let _done = CallDone(state);
    // The engine sends `connect`, then the session's setup; it is ready once both are
    // accepted, or ends (and the socket closes) if either fails or takes too long.
    let engine = Engine::outbound(&config, medium.now(&runtime));
    let shared = Shared::new(runtime.clone(), medium, peer, engine);
    runtime.spawn(Driver::new(shared.clone(), Some(stream)).in_current_span());
    let owner = Arc::new(Owner {
        shared: shared.clone(),
    });
    let ready = match future::poll_fn(|cx| shared.ready.poll_done(cx)).await {
        Ok(ready) => ready,
        Err(error) => {
            tracing::warn!(%error, "outbound session not set up");
            return;
        }
    };
    let channel = ready
        .channel
        .unwrap_or_else(|| Event::builder("CHANNEL_DATA").build());
    let uuid = channel.unique_id().unwrap_or_default().into_owned();
    tracing::debug!(channel = %uuid, "call");
    let session = Session {
        call: Channel::socket(Handle::new(shared), uuid, Arc::new(channel)),
        _owner: owner,
    };
    handler(session).await;
}

/// One call on an outbound connection: the channel's data, and commands for it.
///
/// The session API (answer, playback, bridge, variables, ...) is [`Channel`]'s, which
/// `Session` dereferences to (and `Channel` to the connection's [`Handle`]). The connection
/// closes when the handler returns and the session (and its clones) is dropped: a lingering
/// socket then says `exit`.
///
/// Its waiting methods, [`Channel`]'s and [`Handle`]'s, are cancel-safe in [`Handle`]'s
/// sense (see [waiting](Handle#waiting)).
///
/// ```no_run
/// use esl_async::{Runtime, Session};
///
/// /// A handler for [`OutboundServer::run`](esl_async::OutboundServer::run).
/// async fn greet<R: Runtime>(session: Session<R>) {
///     let data = session.connect_data();
///     let caller = data.header("Caller-Caller-ID-Number").unwrap_or_default().into_owned();
///     let steps = async {
///         session.answer().await?;
///         session.set_variable("greeted", &caller).await?;
///         session.playback("ivr/ivr-welcome.wav").await?;
///         session.hangup(None).await
///     };
///     if let Err(error) = steps.await {
///         eprintln!("call {}: {error}", session.uuid());
///     }
/// }
/// ```
pub struct Session<R: Runtime> {
    call: Channel<R>,
    _owner: Arc<Owner<R>>,
}

impl<R: Runtime> Clone for Session<R> {
    fn clone(&self) -> Self {
        Session {
            call: self.call.clone(),
            _owner: self._owner.clone(),
        }
    }
}

impl<R: Runtime> Deref for Session<R> {
    type Target = Channel<R>;
    fn deref(&self) -> &Channel<R> {
        &self.call
    }
}

impl<R: Runtime> std::fmt::Debug for Session<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("uuid", &self.call.uuid())
            .finish()
    }
}

impl<R: Runtime> Session<R> {
    /// The channel's data from the `connect` reply (`Caller-*`, `variable_*`, ...).
    ///
    /// (The [`Channel`] itself is what the session derefs to.)
    pub fn connect_data(&self) -> &Event {
        self.call.data()
    }
}
