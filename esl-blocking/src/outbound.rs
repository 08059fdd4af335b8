//! The outbound server: the switch's `socket` application connects to it, one connection per
//! call, and a handler runs with a [`Session`] for that call.
//!
//! One reactor (the thread that calls [`OutboundServer::run`]) owns the listener and every
//! call's socket; the handlers run on a bounded worker pool. Two ways to write a handler:
//!
//! - **A thread per call for its length**: the handler answers, plays, bridges and hangs up,
//!   blocking on each step, and returns when the call is over. Simple, and each call in
//!   progress holds a worker: size [`OutboundServer::workers`] to the calls you expect at
//!   once (default: [`ServerConfig::max_calls`]; idle workers end after 30 s).
//! - **No thread while idle**: the handler sets the call up, registers event handlers with
//!   [`Handle::on`](crate::Handle::on), calls [`Session::detach`] and returns. The call's
//!   connection then stays open until a handler calls [`Session::close`] (on
//!   `CHANNEL_HANGUP_COMPLETE`, say) or the switch closes it, and its handlers run on the
//!   pool only while an event is handled. Thousands of calls then hold a few threads, and
//!   one socket each.

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use esl_proto::client::{CallCounters, Result, ServerConfig, SharedEngine};
use esl_proto::Event;

use crate::channel::Channel;
use crate::conn::Owner;
use crate::handle::Handle;
use crate::pool::Pool;
use crate::reactor::Reactor;
use crate::server::{self, Accepting, Listener, ServerState};
use crate::signal::Signal;
use crate::transport::{Medium, Transport};

/// Listens for the switch's outbound connections.
///
/// ```
/// # #[cfg(feature = "sim")]
/// # fn main() -> esl_blocking::Result<()> {
/// # let switch = esl_blocking::sim::VirtualSwitch::new(Default::default());
/// use esl_blocking::{OutboundServer, ServerConfig};
///
/// // `esl_blocking::listen("0.0.0.0:8084", ServerConfig::default())?` for a switch on the
/// // network; here the simulated one's `socket` application, in memory (feature `sim`).
/// let server = OutboundServer::bind_sim(&switch, ServerConfig::default())?;
/// let stop = server.shutdown_handle();
/// // `run` accepts calls on its thread until it is shut down.
/// let running = std::thread::spawn(move || {
///     server.run(|session| {
///         let _ = session.answer();
///         let _ = session.hangup(None);
///     })
/// });
/// # use esl_blocking::sim::{InboundCall, Route};
/// # let call = switch.call(&InboundCall::new("1000", "5000").route(Route::Socket));
/// # while stop.handled_calls() == 0 { std::thread::sleep(std::time::Duration::from_millis(1)); }
/// // No new calls; `run` returns once the calls under way have ended.
/// stop.shutdown();
/// running.join().expect("the server's thread")?;
/// # assert!(switch.applications(&call).contains(&("answer".into(), String::new())));
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "sim"))]
/// # fn main() {}
/// ```
pub struct OutboundServer {
    reactor: Reactor,
    listener: Listener,
    local: Option<SocketAddr>,
    config: ServerConfig,
    workers: usize,
    state: Arc<ServerState>,
}

impl std::fmt::Debug for OutboundServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboundServer")
            .field("addr", &self.local)
            .field("max_calls", &self.config.max_calls)
            .field("workers", &self.workers)
            .field("active_calls", &self.state.counters.active())
            .finish()
    }
}

/// Stops an [`OutboundServer`] from another thread: no new calls are accepted, and
/// [`OutboundServer::run`] returns once the calls under way have ended. None of its methods
/// blocks.
///
/// ```
/// use esl_blocking::ServerConfig;
///
/// // Port 0 picks a free port: the dialplan then says `socket <addr> async full`.
/// let server = esl_blocking::listen("127.0.0.1:0", ServerConfig::default())?;
/// let stop = server.shutdown_handle();
/// let running = std::thread::spawn(move || server.run(|_session| {}));
/// // From any thread: a signal handler's, an admin endpoint's.
/// println!("{} calls under way, {} handled", stop.active_calls(), stop.handled_calls());
/// stop.shutdown();
/// running.join().expect("the server's thread")?;
/// # Ok::<(), esl_blocking::Error>(())
/// ```
#[derive(Clone)]
pub struct ShutdownHandle {
    state: Arc<ServerState>,
}

esl_proto::__shutdown_handle_api!(debug ShutdownHandle);

impl ShutdownHandle {
    /// Begins the graceful shutdown.
    pub fn shutdown(&self) {
        self.state.counters.stop();
        self.state.waker.wake();
        self.state.calls.notify();
    }

    esl_proto::__shutdown_handle_api!();

    fn counters(&self) -> &CallCounters {
        &self.state.counters
    }
}

impl OutboundServer {
    /// Listens on `addr` (`127.0.0.1:8084`; port 0 picks a free one).
    pub fn bind(addr: &str, config: ServerConfig) -> Result<OutboundServer> {
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let local = std_listener.local_addr()?;
        let mut listener = mio::net::TcpListener::from_std(std_listener);
        let reactor = Reactor::new(Medium::Tcp)?;
        server::listen(&reactor, &mut listener)?;
        Ok(OutboundServer::with(
            reactor,
            Listener::Tcp(listener),
            Some(local),
            config,
        ))
    }

    /// Serves the connections `transport` opens (a simulated switch's `socket`
    /// application, in memory), on the transport's clock; otherwise as
    /// [`OutboundServer::bind`].
    pub fn bind_via(transport: Arc<dyn Transport>, config: ServerConfig) -> Result<OutboundServer> {
        let reactor = Reactor::new(Medium::Memory(transport.clone()))?;
        Ok(OutboundServer::with(
            reactor,
            Listener::Memory(transport),
            None,
            config,
        ))
    }

    fn with(
        reactor: Reactor,
        listener: Listener,
        local: Option<SocketAddr>,
        config: ServerConfig,
    ) -> OutboundServer {
        let state = Arc::new(ServerState {
            counters: CallCounters::default(),
            calls: Signal::default(),
            waker: reactor.waker(),
        });
        OutboundServer {
            reactor,
            listener,
            local,
            workers: config.max_calls,
            config,
            state,
        }
    }

    /// Runs handlers on at most `workers` threads (default: [`ServerConfig::max_calls`]).
    pub fn workers(mut self, workers: usize) -> OutboundServer {
        self.workers = workers.max(1);
        self
    }

    /// The address the switch should connect to (`socket <addr> async full`); an error for
    /// a server over a transport, which has none.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.local
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::AddrNotAvailable).into())
    }

    /// A handle to stop the server gracefully.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            state: self.state.clone(),
        }
    }

    /// Accepts calls on this thread until [`ShutdownHandle::shutdown`], running `handler`
    /// for each on the worker pool once its session is set up (beyond
    /// [`ServerConfig::max_calls`] under way, a call is refused at once); then stops
    /// listening, waits for the calls under way to end, and returns.
    ///
    /// It blocks the calling thread all that time, and only
    /// [`shutdown`](ShutdownHandle::shutdown) (from another thread, or from a handler) ends
    /// it. The wait for the calls under way has no timeout: it lasts until each call's
    /// connection has ended (its handler returned and its session dropped, a detached
    /// session closed, or the switch closed the socket).
    pub fn run<F>(self, handler: F) -> Result<()>
    where
        F: Fn(Session) + Send + Sync + 'static,
    {
        let OutboundServer {
            mut reactor,
            listener,
            config,
            workers,
            state,
            ..
        } = self;
        let pool = Arc::new(Pool::new(workers, 1));
        reactor.accepting = Some(Accepting::new(
            listener,
            config,
            Arc::new(handler),
            pool,
            state.clone(),
        ));
        reactor.run(|reactor| {
            let listening = reactor
                .accepting
                .as_ref()
                .is_some_and(Accepting::is_listening);
            !listening && reactor.len() == 0
        });
        drop(reactor);
        // The handlers of the last calls may still be running on the pool.
        while state.counters.active() > 0 {
            let seen = state.calls.generation();
            state
                .calls
                .wait_past(seen, crate::signal::deadline(Duration::from_secs(1)));
        }
        Ok(())
    }
}

/// One call on an outbound connection: the channel's data, and commands for it. Clones share
/// the connection and may be used from other threads.
///
/// The session API (answer, playback, bridge, variables, ...) is [`Channel`]'s, which
/// `Session` dereferences to (and `Channel` to the connection's [`Handle`], whose
/// [`events`](Handle::events) are the call's events, with the default `myevents`). The
/// connection closes (with `exit`) when the handler has returned and the session and its
/// clones are dropped, unless the session was [detached](Session::detach).
///
/// Its waiting methods block as [`Handle`]'s do (see [waiting](Handle#waiting)); another
/// thread ends their wait with [`Session::close`].
///
/// ```
/// # #[cfg(feature = "sim")]
/// # fn main() -> esl_blocking::Result<()> {
/// # let switch = esl_blocking::sim::VirtualSwitch::new(Default::default());
/// use esl_blocking::Session;
///
/// fn greet(session: Session) {
///     let data = session.connect_data();
///     let caller = data.header("Caller-Caller-ID-Number").unwrap_or_default().into_owned();
///     let steps = || -> esl_blocking::Result<()> {
///         session.answer()?;
///         session.set_variable("greeted", &caller)?;
///         session.hangup(None)
///     };
///     if let Err(error) = steps() {
///         eprintln!("call {}: {error}", session.uuid());
///     }
/// }
/// # let server = esl_blocking::sim::listen(&switch, Default::default())?;
/// # let stop = server.shutdown_handle();
/// # let running = std::thread::spawn(move || server.run(greet));
/// # use esl_blocking::sim::{InboundCall, Route};
/// # let call = switch.call(&InboundCall::new("1000", "5000").route(Route::Socket));
/// # while stop.handled_calls() == 0 { std::thread::sleep(std::time::Duration::from_millis(1)); }
/// # stop.shutdown();
/// # running.join().unwrap()?;
/// # assert!(switch.applications(&call).contains(&("set".into(), "greeted=1000".into())));
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "sim"))]
/// # fn main() {}
/// ```
#[derive(Clone)]
pub struct Session {
    call: Channel,
    owner: Arc<Owner>,
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
    pub(crate) fn new(owner: Arc<Owner>, uuid: String, data: Arc<Event>) -> Session {
        let handle = Handle::new(owner.conn.clone());
        Session {
            call: Channel::socket(handle, uuid, data),
            owner,
        }
    }

    /// The channel's data from the `connect` reply (`Caller-*`, `variable_*`, ...).
    ///
    /// (The [`Channel`] itself is what the session derefs to.)
    pub fn connect_data(&self) -> &Event {
        self.call.data()
    }

    /// Keeps the call's connection open after the handler returns and the session is
    /// dropped, until [`Session::close`] (from one of its handlers, typically on
    /// `CHANNEL_HANGUP_COMPLETE`) or the switch closes it. Its event handlers
    /// ([`Handle::on`]) keep running on the worker pool meanwhile: the way to hold many calls
    /// without a thread each. With the default setup the session lingers (`linger` with no
    /// timeout: the switch keeps the socket after the hang-up, for the call's last events,
    /// until the session says `exit`), so close it when the call is over.
    pub fn detach(self) {
        self.owner.conn.detached.store(true, Ordering::Release);
    }

    /// Ends the call's connection now (with `exit`), even if the session was detached. It
    /// does not block: a request of the session still waiting, on any thread, when the
    /// connection has ended (at most the request timeout later) fails with
    /// [`Error::ConnectionClosed`](crate::Error::ConnectionClosed).
    pub fn close(&self) {
        self.owner.conn.close();
    }
}
