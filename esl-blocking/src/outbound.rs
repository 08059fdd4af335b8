//! The outbound server: the switch's `socket` application connects to it, one connection per
//! call, and a handler runs with a [`Session`] for that call, on a thread of its own.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use esl_proto::{Command, Connection, Event};

use crate::channel::Channel;
use crate::client::Owner;
use crate::config::ServerConfig;
use crate::error::Result;
use crate::handle::{Handle, Shared};
use crate::reader;
use crate::signal::{self, Signal};

/// How long the accept loop waits after a failed accept (out of file descriptors, ...).
const ACCEPT_RETRY: Duration = Duration::from_millis(50);

struct ServerState {
    active: AtomicUsize,
    handled: AtomicU64,
    rejected: AtomicU64,
    stopping: AtomicBool,
    /// Signalled when a call ends.
    calls: Signal,
    /// Where to connect to wake the accept loop.
    wake_addr: SocketAddr,
}

/// Listens for the switch's outbound connections.
pub struct OutboundServer {
    listener: TcpListener,
    config: ServerConfig,
    state: Arc<ServerState>,
}

impl std::fmt::Debug for OutboundServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboundServer")
            .field("addr", &self.listener.local_addr().ok())
            .field("max_calls", &self.config.max_calls)
            .field("active_calls", &self.state.active.load(Ordering::Acquire))
            .finish()
    }
}

/// Stops an [`OutboundServer`] from another thread: no new calls are accepted, and
/// [`OutboundServer::run`] returns once the calls under way have ended.
#[derive(Clone)]
pub struct ShutdownHandle {
    state: Arc<ServerState>,
}

impl std::fmt::Debug for ShutdownHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShutdownHandle")
            .field("stopping", &self.state.stopping.load(Ordering::Acquire))
            .field("active_calls", &self.active_calls())
            .finish()
    }
}

impl ShutdownHandle {
    /// Begins the graceful shutdown.
    pub fn shutdown(&self) {
        if self.state.stopping.swap(true, Ordering::AcqRel) {
            return;
        }
        // The accept loop blocks in `accept`: a connection of our own wakes it.
        if let Err(error) =
            TcpStream::connect_timeout(&self.state.wake_addr, Duration::from_secs(1))
        {
            tracing::warn!(%error, addr = %self.state.wake_addr, "could not wake the accept loop; it stops at the next connection");
        }
        self.state.calls.notify();
    }

    /// Calls under way.
    pub fn active_calls(&self) -> usize {
        self.state.active.load(Ordering::Acquire)
    }

    /// Calls handled so far (completed or under way).
    pub fn handled_calls(&self) -> u64 {
        self.state.handled.load(Ordering::Acquire)
    }

    /// Connections closed at once because [`ServerConfig::max_calls`] were under way.
    pub fn rejected_calls(&self) -> u64 {
        self.state.rejected.load(Ordering::Acquire)
    }
}

impl OutboundServer {
    /// Listens on `addr` (`127.0.0.1:8084`; port 0 picks a free one).
    pub fn bind(addr: &str, config: ServerConfig) -> Result<OutboundServer> {
        let listener = TcpListener::bind(addr)?;
        let local = listener.local_addr()?;
        let wake_ip = match local.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        Ok(OutboundServer {
            listener,
            config,
            state: Arc::new(ServerState {
                active: AtomicUsize::new(0),
                handled: AtomicU64::new(0),
                rejected: AtomicU64::new(0),
                stopping: AtomicBool::new(false),
                calls: Signal::default(),
                wake_addr: SocketAddr::new(wake_ip, local.port()),
            }),
        })
    }

    /// The address the switch should connect to (`socket <addr> async full`).
    pub fn local_addr(&self) -> Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// A handle to stop the server gracefully.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            state: self.state.clone(),
        }
    }

    /// Accepts calls until [`ShutdownHandle::shutdown`], running `handler` for each on its
    /// own thread (beyond [`ServerConfig::max_calls`] under way, a call is refused); then
    /// stops listening, waits for the calls under way to end, and returns.
    pub fn run<F>(self, handler: F) -> Result<()>
    where
        F: Fn(Session) + Send + Sync + 'static,
    {
        let handler = Arc::new(handler);
        let state = self.state.clone();
        while !state.stopping.load(Ordering::Acquire) {
            let (stream, peer) = match self.listener.accept() {
                Ok(pair) => pair,
                Err(error) => {
                    if !state.stopping.load(Ordering::Acquire) {
                        tracing::warn!(%error, "accept failed");
                        std::thread::sleep(ACCEPT_RETRY);
                    }
                    continue;
                }
            };
            if state.stopping.load(Ordering::Acquire) {
                break;
            }
            if state.active.load(Ordering::Acquire) >= self.config.max_calls {
                state.rejected.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%peer, limit = self.config.max_calls, "call limit reached; connection closed");
                drop(stream);
                continue;
            }
            state.active.fetch_add(1, Ordering::AcqRel);
            state.handled.fetch_add(1, Ordering::Relaxed);
            let done = CallDone(state.clone());
            let config = self.config.clone();
            let handler = handler.clone();
            let spawned = std::thread::Builder::new()
                .name("esl-call".into())
                .spawn(move || {
                    let _done = done;
                    let span = tracing::info_span!("esl.call", %peer);
                    let _entered = span.clone().entered();
                    serve_call(stream, peer, config, span, &*handler);
                });
            if let Err(error) = spawned {
                // The closure (and its `CallDone`) was dropped: the count is already right.
                state.rejected.fetch_add(1, Ordering::Relaxed);
                tracing::error!(%peer, %error, "cannot start a thread for the call; connection closed");
            }
        }
        // Stop listening first, so the switch's next `socket` fails at once.
        drop(self.listener);
        loop {
            let seen = state.calls.generation();
            if state.active.load(Ordering::Acquire) == 0 {
                break;
            }
            state.calls.wait_past(seen, Duration::from_secs(1));
        }
        Ok(())
    }
}

struct CallDone(Arc<ServerState>);

impl Drop for CallDone {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::AcqRel);
        self.0.calls.notify();
    }
}

fn serve_call<F>(
    stream: TcpStream,
    peer: SocketAddr,
    config: ServerConfig,
    span: tracing::Span,
    handler: &F,
) where
    F: Fn(Session) + Send + Sync + 'static,
{
    if let Err(error) = reader::prepare(&stream) {
        tracing::warn!(%error, "cannot set up the socket");
        return;
    }
    let limit = config.session.connect_timeout;
    let deadline = signal::deadline(limit);
    // The `connect` command is queued at once; the reader thread writes it.
    let conn = Connection::outbound().with_limits(config.session.limits);
    let shared = Shared::new(config.session.clone(), conn, peer.to_string());
    if let Err(error) = reader::spawn(shared.clone(), stream, span, None) {
        tracing::warn!(%error, "cannot start the reader thread");
        return;
    }
    let owner = Arc::new(Owner {
        shared: shared.clone(),
    });
    let channel = match shared.wait_ready(deadline, limit) {
        Ok(ready) => ready
            .channel
            .unwrap_or_else(|| Event::builder("CHANNEL_DATA").build()),
        Err(error) => {
            tracing::warn!(%error, "outbound handshake failed");
            return;
        }
    };
    let handle = Handle::new(shared);
    let setup = || -> Result<()> {
        if config.setup.myevents {
            handle.command(Command::MyEvents {
                uuid: None,
                format: None,
            })?;
        }
        if config.setup.linger {
            handle.command(Command::Linger { seconds: None })?;
        }
        Ok(())
    };
    if let Err(error) = setup() {
        tracing::warn!(%error, "session setup failed");
        return;
    }
    let uuid = channel.unique_id().unwrap_or_default().into_owned();
    tracing::debug!(channel = %uuid, "call");
    handler(Session {
        call: Channel::socket(handle, uuid, Arc::new(channel)),
        _owner: owner,
    });
}

/// One call on an outbound connection: the channel's data, and commands for it. Clones share
/// the connection and may be used from other threads.
///
/// The session API (answer, playback, bridge, variables, ...) is [`Channel`]'s, which
/// `Session` dereferences to (and `Channel` to the connection's [`Handle`], whose
/// [`events`](Handle::events) are the call's events, with the default `myevents`). The
/// connection closes when the handler has returned and the session and its clones are
/// dropped.
#[derive(Clone)]
pub struct Session {
    call: Channel,
    _owner: Arc<Owner>,
}

impl Deref for Session {
    type Target = Channel;
    fn deref(&self) -> &Channel {
        &self.call
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("uuid", &self.call.uuid())
            .finish()
    }
}

impl Session {
    /// The channel's data from the `connect` reply (`Caller-*`, `variable_*`, ...).
    pub fn channel(&self) -> &Event {
        self.call.data()
    }
}
