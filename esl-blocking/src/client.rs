//! The inbound client: connect to a switch's event socket and talk to it.

use std::ops::Deref;
use std::sync::Arc;

use esl_proto::{Command, Connection};

use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::handle::{Handle, Shared};
use crate::reader;
use crate::signal;

/// Closes the connection when the last clone of what owns it is dropped.
pub(crate) struct Owner {
    pub(crate) shared: Arc<Shared>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        // The reader thread is not joined here: the last handle may be dropped by a handler,
        // on that very thread. It ends on its own as soon as it sees the socket shut.
        self.shared.begin_shutdown();
    }
}

/// A connection to a switch's event socket (inbound). Clones share the connection and may
/// be used from any number of threads at once; it closes when the last clone is dropped or
/// [`Client::close`] is called.
///
/// Everything a connection can do is on [`Handle`], which `Client` dereferences to.
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
    /// the credentials. Fails with [`Error::Io`] if the switch is unreachable,
    /// [`Error::Auth`] if it refuses the credentials, [`Error::ConnectTimeout`] if it takes
    /// too long (name resolution aside: it uses the system resolver, which has its own
    /// timeouts).
    pub fn connect(addr: &str, config: ClientConfig) -> Result<Client> {
        let limit = config.connect_timeout;
        let deadline = signal::deadline(limit);
        let stream = reader::open(addr, limit)?;
        let conn = Connection::inbound(config.auth.clone()).with_limits(config.limits);
        let reconnect = config.reconnect.clone();
        let shared = Shared::new(config, conn, addr.to_owned());
        let span = tracing::info_span!("esl.connection", peer = %addr);
        reader::spawn(shared.clone(), stream, span, reconnect)?;
        let client = Client {
            handle: Handle::new(shared.clone()),
            _owner: Arc::new(Owner { shared }),
        };
        // On failure the client is dropped here, which stops the reader thread.
        client.handle.shared.wait_ready(deadline, limit)?;
        tracing::debug!(peer = %addr, "connected");
        Ok(client)
    }

    /// Says `exit`, waits for the switch's goodbye (at most the request timeout), closes the
    /// socket and waits for the reader thread to end. Every request still open, from any
    /// thread, fails with [`Error::ConnectionClosed`]; every event stream ends. While the
    /// client is reconnecting there is nobody to say goodbye to: it just stops.
    pub fn close(self) -> Result<()> {
        let result = if self.handle.is_connected() {
            match self.handle.send(Command::Exit) {
                Ok(_) | Err(Error::ConnectionClosed(_)) | Err(Error::Closed) => Ok(()),
                Err(e) => Err(e),
            }
        } else {
            Ok(())
        };
        let shared = &self.handle.shared;
        shared.begin_shutdown();
        shared.join_reader(shared.config.request_timeout);
        result
    }

    /// The [`Handle`] of this client.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }
}
