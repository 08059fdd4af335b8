//! The inbound client: connect to a switch's event socket and talk to it.

use std::sync::Arc;

use esl_proto::client::{Address, ClientConfig, Engine, Result, SharedEngine};
use futures_util::future;
use tracing::Instrument;

use crate::driver::Driver;
use crate::handle::{connection_methods, Handle};
use crate::runtime::Runtime;
use crate::shared::Shared;
use crate::transport::{Medium, Transport};

/// Closes the connection (politely: `exit` first) when the last clone of what owns it is
/// dropped.
pub(crate) struct Owner<R: Runtime> {
    pub(crate) shared: Arc<Shared<R>>,
}

impl<R: Runtime> Drop for Owner<R> {
    fn drop(&mut self) {
        self.shared.close();
    }
}

/// A connection to a switch's event socket (inbound). Clones share the connection; it
/// closes when the last clone is dropped or [`Client::close`] is called.
///
/// Its request methods are those of a [`Handle`] (which a session has too);
/// [`Client::handle`] gives one that does not keep the connection open.
///
/// ```no_run
/// # async fn demo(runtime: impl esl_async::Runtime) -> esl_async::Result<()> {
/// use esl_async::{Client, ClientConfig, EventFormat};
///
/// let client = Client::connect(runtime, "127.0.0.1:8021", ClientConfig::password("ClueCon")).await?;
/// println!("{}", client.api("status").await?);
/// let mut events = client.events();
/// client.subscribe(EventFormat::Plain, &["CHANNEL_ANSWER"]).await?;
/// while let Some(event) = events.next_event().await {
///     println!("{} answered", event.unique_id().unwrap_or_default());
/// }
/// client.close().await
/// # }
/// ```
///
/// # Waiting
///
/// The request methods are cancel-safe as [`Handle`]'s are (see [waiting](Handle#waiting)):
/// dropping a future cancels its request, whose late reply is then discarded, though the
/// command may still have run on the switch. [`Client::connect`] and [`Client::close`] say
/// what dropping theirs does.
pub struct Client<R: Runtime> {
    shared: Arc<Shared<R>>,
    handle: Handle<R>,
    _owner: Arc<Owner<R>>,
}

impl<R: Runtime> Clone for Client<R> {
    fn clone(&self) -> Self {
        Client {
            shared: self.shared.clone(),
            handle: self.handle.clone(),
            _owner: self._owner.clone(),
        }
    }
}

impl<R: Runtime> std::fmt::Debug for Client<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("peer", &self.handle.peer())
            .field("connected", &self.handle.is_connected())
            .finish()
    }
}

impl<R: Runtime> Client<R> {
    /// Connects to `addr` (what `TcpStream::connect` takes: `"host:port"`, a `SocketAddr`,
    /// `(ip, port)`...), authenticates, and returns once the switch accepted the
    /// credentials. Fails with [`Error::Connect`](crate::Error::Connect) naming the address
    /// if the socket does not open, [`Error::Auth`](crate::Error::Auth) if the switch refuses
    /// the credentials, [`Error::ConnectTimeout`](crate::Error::ConnectTimeout) if it takes
    /// too long.
    ///
    /// Cancel-safe: dropped before it returns, it leaves nothing behind (the half-open
    /// connection closes).
    pub async fn connect(
        runtime: R,
        addr: impl Into<Address>,
        config: ClientConfig,
    ) -> Result<Client<R>> {
        Client::start(runtime, Medium::Tcp, addr.into().as_str(), config).await
    }

    /// Connects over `transport` instead of TCP (a simulated switch in memory), and takes
    /// its time from the transport's clock; otherwise as [`Client::connect`], cancel-safe
    /// too.
    pub async fn connect_via(
        runtime: R,
        transport: Arc<dyn Transport>,
        config: ClientConfig,
    ) -> Result<Client<R>> {
        Client::start(runtime, Medium::Memory(transport), "memory", config).await
    }

    async fn start(
        runtime: R,
        medium: Medium,
        addr: &str,
        config: ClientConfig,
    ) -> Result<Client<R>> {
        let engine = Engine::inbound(config, medium.now(&runtime)).peer(addr);
        let shared = Shared::new(runtime.clone(), medium, addr.to_owned(), engine);
        let span = tracing::info_span!("esl.connection", peer = %addr);
        runtime.spawn(Driver::new(shared.clone(), None).instrument(span));
        let client = Client {
            shared: shared.clone(),
            handle: Handle::new(shared.clone()),
            _owner: Arc::new(Owner {
                shared: shared.clone(),
            }),
        };
        // On failure the client is dropped here, which stops the driver.
        future::poll_fn(|cx| shared.ready.poll_done(cx)).await?;
        tracing::debug!(peer = %addr, "connected");
        Ok(client)
    }

    /// Says `exit`, waits for the switch's goodbye (at most the request timeout), and closes.
    /// Every request still open fails with
    /// [`Error::ConnectionClosed`](crate::Error::ConnectionClosed), and no reconnect follows,
    /// whatever the socket does meanwhile. While reconnecting there is nobody to say goodbye
    /// to: it just stops.
    ///
    /// Cancel-safe: once polled, the close is under way, and dropping the future gives up
    /// only the wait for the goodbye.
    pub async fn close(self) -> Result<()> {
        let shared = self.handle.shared.clone();
        shared.close();
        future::poll_fn(|cx| shared.ended.poll_peek(cx)).await;
        Ok(())
    }

    /// The [`Handle`] of this client: the same requests, for code that takes a handle
    /// (a [`Channel`](crate::Channel), an app). A handle does not keep the connection open.
    pub fn handle(&self) -> &Handle<R> {
        &self.handle
    }

    connection_methods!();
}
