//! The inbound client: connect to a switch's event socket and talk to it.

use std::sync::Arc;

use esl_proto::client::{Address, ClientConfig, Engine, Result, SharedEngine};

use crate::conn::{Conn, Owner};
use crate::handle::{connection_methods, Handle};
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
/// One reactor thread owns the socket; callers block on their own result. Its request
/// methods are those of a [`Handle`] (which a session has too); [`Client::handle`] gives one
/// that does not keep the connection open.
///
/// ```no_run
/// use esl_blocking::{Client, ClientConfig, EventFormat};
///
/// let client = Client::connect("127.0.0.1:8021", ClientConfig::password("ClueCon"))?;
/// println!("{}", client.api("status")?);
/// let mut events = client.events();
/// client.subscribe(EventFormat::Plain, &["CHANNEL_ANSWER"])?;
/// for event in events.by_ref().take(3) {
///     println!("{event:?}");
/// }
/// client.close()?;
/// # Ok::<(), esl_blocking::Error>(())
/// ```
///
/// # Waiting
///
/// The request methods block as [`Handle`]'s do (see [waiting](Handle#waiting)): each for at
/// most its timeout, and [`Client::close`] from another thread ends their wait.
/// [`Client::connect`] blocks for at most the connect timeout (name resolution aside), and
/// [`Client::close`] for at most the request timeout.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Conn>,
    handle: Handle,
    _owner: Arc<Owner>,
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
    /// Connects to `addr` (what `TcpStream::connect` takes: `"host:port"`, a `SocketAddr`,
    /// `(ip, port)`...), authenticates, and returns once the switch accepted the
    /// credentials. Fails with [`Error::Connect`](crate::Error::Connect) naming the address
    /// if the socket does not open, [`Error::Auth`](crate::Error::Auth) if the switch refuses
    /// the credentials, [`Error::ConnectTimeout`](crate::Error::ConnectTimeout) if it takes
    /// too long (name resolution aside: it uses the system resolver, which has its own
    /// timeouts).
    ///
    /// Blocks the calling thread for at most
    /// [`ClientConfig::connect_timeout`](crate::ClientConfig::connect_timeout) (and the name
    /// resolution), and cannot be interrupted.
    pub fn connect(addr: impl Into<Address>, config: ClientConfig) -> Result<Client> {
        Client::start(Medium::Tcp, addr.into().as_str(), config)
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
        let engine = Engine::inbound(config, medium.now()).peer(addr);
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
            shared: conn.clone(),
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
    ///
    /// Blocks the calling thread for at most the request timeout.
    pub fn close(self) -> Result<()> {
        let conn = self.handle.shared.clone();
        conn.close();
        conn.ended.wait_peek();
        Ok(())
    }

    /// The [`Handle`] of this client: the same requests, for code that takes a handle
    /// (a [`Channel`](crate::Channel), an app). A handle does not keep the connection open.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    connection_methods!();
}
