//! The outbound server's side of the reactor: accepting the switch's connections, refusing
//! them promptly when the server is full or out of file descriptors, and starting each
//! call's handler once its session is set up.

use std::fs::File;
use std::io;
use std::sync::Arc;

use esl_proto::client::{CallCounters, Engine, ServerConfig};
use esl_proto::{Event, Ready};
use mio::net::TcpListener;

use crate::conn::{Conn, Owner};
use crate::outbound::Session;
use crate::pool::Pool;
use crate::reactor::{Reactor, ReactorWaker, LISTENER};
use crate::signal::Signal;
use crate::strand::Strand;
use crate::transport::{Socket, Transport};

/// What the server's handle and its reactor share.
pub(crate) struct ServerState {
    pub(crate) counters: CallCounters,
    /// Signalled when a call ends.
    pub(crate) calls: Signal,
    pub(crate) waker: ReactorWaker,
}

pub(crate) type CallHandler = Arc<dyn Fn(Session) + Send + Sync>;

/// Starts a call's handler once its session is ready.
pub(crate) struct CallStart {
    handler: CallHandler,
}

impl CallStart {
    pub(crate) fn start(self, conn: Arc<Conn>, ready: Ready) {
        let channel = ready
            .channel
            .unwrap_or_else(|| Event::builder("CHANNEL_DATA").build());
        let uuid = channel.unique_id().unwrap_or_default().into_owned();
        tracing::debug!(channel = %uuid, "call");
        let session = Session::new(
            Arc::new(Owner { conn: conn.clone() }),
            uuid,
            Arc::new(channel),
        );
        let handler = self.handler;
        conn.strand.submit(Box::new(move || handler(session)));
    }
}

/// Where the switch's connections come from.
pub(crate) enum Listener {
    Tcp(TcpListener),
    Memory(Arc<dyn Transport>),
}

/// The listening half of an outbound server's reactor.
pub(crate) struct Accepting {
    listener: Option<Listener>,
    config: ServerConfig,
    handler: CallHandler,
    pool: Arc<Pool>,
    pub(crate) state: Arc<ServerState>,
    /// A descriptor kept in reserve: when `accept` fails for want of descriptors, it is
    /// given up to accept the waiting connection and close it at once, so that the switch's
    /// `socket` application fails now and its dialplan goes on.
    reserve: Option<File>,
    /// `accept` ran out of descriptors.
    starved: bool,
}

impl Accepting {
    pub(crate) fn new(
        listener: Listener,
        config: ServerConfig,
        handler: CallHandler,
        pool: Arc<Pool>,
        state: Arc<ServerState>,
    ) -> Accepting {
        Accepting {
            listener: Some(listener),
            config,
            handler,
            pool,
            state,
            reserve: reserve_file(),
            starved: false,
        }
    }

    /// After each turn: stops listening once a shutdown began.
    pub(crate) fn after_turn(&mut self) {
        if self.state.counters.is_stopping() {
            // Stop listening first, so the switch's next `socket` fails at once.
            self.listener = None;
        }
    }

    pub(crate) fn is_listening(&self) -> bool {
        self.listener.is_some()
    }

    pub(crate) fn call_ended(&mut self) {
        self.state.counters.ended();
        self.state.calls.notify();
    }

    /// Refuses the call waiting in the backlog, if one does, with the reserve descriptor.
    /// True if one was refused (look for another); false if none waits, or no descriptor
    /// could be freed (then accepting resumes when a call ends).
    fn refuse_for_want_of_descriptors(&mut self, error: &io::Error) -> bool {
        self.starved = true;
        let Some(Listener::Tcp(listener)) = self.listener.as_ref() else {
            return false;
        };
        let Some(reserve) = self.reserve.take() else {
            tracing::error!(%error, "out of file descriptors and no reserve: calls wait in the backlog");
            return false;
        };
        drop(reserve);
        let refused = match listener.accept() {
            Ok((stream, peer)) => {
                drop(stream);
                self.state.counters.refused();
                tracing::warn!(%peer, %error, "out of file descriptors; call refused");
                true
            }
            Err(_) => false,
        };
        self.reserve = reserve_file();
        refused
    }

    /// True if `accept` ran out of descriptors since the last look: a call ending frees one,
    /// and the backlog must be looked at again (the listener does not signal it twice).
    pub(crate) fn take_starved(&mut self) -> bool {
        std::mem::take(&mut self.starved)
    }
}

fn reserve_file() -> Option<File> {
    File::open("/dev/null").ok()
}

/// Accepts every connection waiting (the listener is edge-triggered).
pub(crate) fn accept_all(reactor: &mut Reactor) {
    let medium = reactor.medium().clone();
    loop {
        let Some(accepting) = reactor.accepting.as_mut() else {
            return;
        };
        let Some(listener) = accepting.listener.as_ref() else {
            return;
        };
        let (socket, peer) = match listener {
            Listener::Memory(transport) => match transport.accept() {
                Some((duplex, peer)) => (Socket::Memory(duplex), peer),
                None => return,
            },
            Listener::Tcp(listener) => match listener.accept() {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    (Socket::Tcp(stream), peer.to_string())
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // EMFILE (the process) or ENFILE (the system). Linux reports it before
                // looking at the backlog, so it says nothing of whether a call waits.
                Err(e) if matches!(e.raw_os_error(), Some(24) | Some(23)) => {
                    if accepting.refuse_for_want_of_descriptors(&e) {
                        continue;
                    }
                    return;
                }
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    return;
                }
            },
        };
        let state = accepting.state.clone();
        if !state.counters.admit(accepting.config.max_calls) {
            tracing::warn!(%peer, limit = accepting.config.max_calls, "call limit reached; connection refused");
            drop(socket);
            continue;
        }
        let engine = Engine::outbound(&accepting.config, medium.now());
        let strand = Strand::new(
            accepting.pool.clone(),
            accepting.config.session.event_capacity,
        );
        let call = CallStart {
            handler: accepting.handler.clone(),
        };
        let notifier = reactor.reserve();
        let conn = Conn::new(
            peer.clone(),
            medium.clone(),
            engine,
            notifier.clone(),
            strand,
        );
        if let Err(error) = reactor.insert(&notifier, conn, Some(socket), Some(call)) {
            tracing::warn!(%peer, %error, "cannot watch the call's socket; refused");
            state.counters.ended();
            continue;
        }
    }
}

/// Registers the listener with the reactor.
pub(crate) fn listen(reactor: &Reactor, listener: &mut TcpListener) -> io::Result<()> {
    reactor
        .registry()
        .register(listener, LISTENER, mio::Interest::READABLE)
}
