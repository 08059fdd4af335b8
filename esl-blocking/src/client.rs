//! The inbound client: connect to a switch's event socket and talk to it.

use std::ops::Deref;
use std::sync::Arc;

use esl_proto::client::{ClientConfig, Engine, Result};

use crate::conn::{Conn, Owner};
use crate::handle::Handle;
use crate::pool::Pool;
use crate::reactor::Reactor;
use crate::strand::Strand;
use crate::transport::{Medium, Transport};

/// Worker threads that run one client's event handlers at most.
const HANDLER_WORKERS: usize = 4;

/// A connection to a switch's event socket (inbound). Clones share the connection and may
/// be used from any number of threads at once; it closes when the last clone is dropped or
/// [`Client::close`] is called.
///
/// One reactor thread owns the socket; callers block on their own result. Everything a
/// connection can do is on [`Handle`], which `Client` dereferences to.
#[derive(Clone)]
pub struct Client {
    handle: Handle,
    _owner: Arc<Owner>,
}

impl Deref for Client {
    type Target = Handle;
    fn deref(&self) -> &Handle {
        &self.handle
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("peer", &self.handle.peer())
            .field("connected", &self.handle.is_connected())
            .finish()
    }
}

impl Client {
    /// Connects to `addr` (`host:port`), authenticates, and returns once the switch accepted
    /// the credentials. Fails with [`Error::Io`](crate::Error::Io) if the switch is
    /// unreachable, [`Error::Auth`](crate::Error::Auth) if it refuses the credentials,
    /// [`Error::ConnectTimeout`](crate::Error::ConnectTimeout) if it takes too long (name
    /// resolution aside: it uses the system resolver, which has its own timeouts).
    pub fn connect(addr: &str, config: ClientConfig) -> Result<Client> {
        Client::start(Medium::Tcp, addr, config)
    }

    /// Connects over `transport` instead of TCP (a simulated switch in memory), and takes
    /// its time from the transport's clock; otherwise as [`Client::connect`].
    pub fn connect_via(transport: Arc<dyn Transport>, config: ClientConfig) -> Result<Client> {
        Client::start(Medium::Memory(transport), "memory", config)
    }

    fn start(medium: Medium, addr: &str, config: ClientConfig) -> Result<Client> {
        let capacity = config.event_capacity;
        let mut reactor = Reactor::new(medium.clone())?;
        let notifier = reactor.reserve();
        let pool = Arc::new(Pool::new(HANDLER_WORKERS, 1));
        let engine = Engine::inbound(config, medium.now());
        let conn = Conn::new(
            addr.to_owned(),
            medium,
            engine,
            notifier.clone(),
            Strand::new(pool, capacity),
        );
        reactor.insert(&notifier, conn.clone(), None, None)?;
        let span = tracing::info_span!("esl.connection", peer = %addr);
        std::thread::Builder::new()
            .name("esl-reactor".into())
            .spawn(move || {
                let _entered = span.entered();
                reactor.run(|reactor| reactor.len() == 0);
            })?;
        let client = Client {
            handle: Handle::new(conn.clone()),
            _owner: Arc::new(Owner { conn: conn.clone() }),
        };
        // On failure the client is dropped here; the reactor ends with the connection.
        conn.ready.wait_done()?;
        tracing::debug!(peer = %addr, "connected");
        Ok(client)
    }

    /// Says `exit`, waits for the switch's goodbye (at most the request timeout) and closes.
    /// Every request still open, from any thread, fails with
    /// [`Error::ConnectionClosed`](crate::Error::ConnectionClosed); every event stream ends;
    /// no reconnect follows, whatever the socket does meanwhile. While the client is
    /// reconnecting there is nobody to say goodbye to: it just stops.
    pub fn close(self) -> Result<()> {
        let conn = self.handle.shared.clone();
        conn.close();
        conn.ended.wait_peek();
        Ok(())
    }

    /// The [`Handle`] of this client.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }
}
