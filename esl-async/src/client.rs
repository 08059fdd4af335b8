//! The inbound client: connect to a switch's event socket and talk to it.

use std::ops::Deref;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use esl_proto::{Command, Connection};
use futures_util::future::{self, Either};
use tracing::Instrument;

use crate::config::ClientConfig;
use crate::driver::{Driver, Ended};
use crate::error::{Error, Result};
use crate::events::Gap;
use crate::handle::{Handle, Inner};
use crate::runtime::Runtime;

/// Closes the connection when the last clone of what owns it is dropped.
pub(crate) struct Owner<R: Runtime> {
    pub(crate) inner: Arc<Inner<R>>,
}

impl<R: Runtime> Drop for Owner<R> {
    fn drop(&mut self) {
        self.inner.shutting_down.store(true, Ordering::Release);
        self.inner.wake.wake();
    }
}

/// A connection to a switch's event socket (inbound). Clones share the connection; it
/// closes when the last clone is dropped or [`Client::close`] is called.
///
/// Everything a connection can do is on [`Handle`], which `Client` dereferences to.
pub struct Client<R: Runtime> {
    handle: Handle<R>,
    _owner: Arc<Owner<R>>,
}

impl<R: Runtime> Clone for Client<R> {
    fn clone(&self) -> Self {
        Client {
            handle: self.handle.clone(),
            _owner: self._owner.clone(),
        }
    }
}

impl<R: Runtime> Deref for Client<R> {
    type Target = Handle<R>;
    fn deref(&self) -> &Handle<R> {
        &self.handle
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

async fn within<R: Runtime, T>(
    runtime: &R,
    limit: Duration,
    fut: impl std::future::Future<Output = T> + Unpin,
) -> Option<T> {
    match future::select(fut, runtime.sleep(limit)).await {
        Either::Left((value, _)) => Some(value),
        Either::Right(_) => None,
    }
}

impl<R: Runtime> Client<R> {
    /// Connects to `addr` (`host:port`), authenticates, and returns once the switch accepted
    /// the credentials. Fails with [`Error::Io`] if the switch is unreachable,
    /// [`Error::Auth`] if it refuses the credentials, [`Error::ConnectTimeout`] if it takes
    /// too long.
    pub async fn connect(runtime: R, addr: &str, config: ClientConfig) -> Result<Client<R>> {
        let limit = config.connect_timeout;
        let stream = within(&runtime, limit, runtime.connect(addr.to_owned()))
            .await
            .ok_or(Error::ConnectTimeout(limit))??;
        let conn = Connection::inbound(config.auth.clone()).with_limits(config.limits);
        let inner = Inner::new(runtime.clone(), config, conn, addr.to_owned());
        let ready = inner.ready();
        let span = tracing::info_span!("esl.connection", peer = %addr);
        runtime.spawn(supervise(inner.clone(), stream).instrument(span));
        let client = Client {
            handle: Handle::new(inner.clone()),
            _owner: Arc::new(Owner { inner }),
        };
        match within(&runtime, limit, ready).await {
            Some(Ok(Ok(_))) => {
                tracing::debug!(peer = %addr, "connected");
                Ok(client)
            }
            Some(Ok(Err(e))) => Err(e),
            Some(Err(_)) => Err(Error::Closed),
            None => Err(Error::ConnectTimeout(limit)),
        }
    }

    /// Says `exit`, waits for the switch's goodbye (at most the request timeout), and closes.
    /// Every request still open fails with [`Error::ConnectionClosed`].
    pub async fn close(self) -> Result<()> {
        // While reconnecting there is nobody to say goodbye to: an `exit` would wait in the
        // next connection until the request timeout.
        let result = if !self.handle.is_connected() {
            Ok(())
        } else {
            match self.handle.send(Command::Exit).await {
                Ok(_) | Err(Error::ConnectionClosed(_)) | Err(Error::Closed) => Ok(()),
                Err(e) => Err(e),
            }
        };
        self.handle
            .inner
            .shutting_down
            .store(true, Ordering::Release);
        self.handle.inner.wake.wake();
        result
    }

    /// The [`Handle`] of this client.
    pub fn handle(&self) -> &Handle<R> {
        &self.handle
    }
}

/// Runs the connection, and reconnects it per the policy when it is lost.
async fn supervise<R: Runtime>(inner: Arc<Inner<R>>, stream: R::Stream) {
    let mut stream = stream;
    loop {
        let ended = Driver::new(inner.clone(), stream).await;
        let policy = inner.config.reconnect.clone();
        let Some(policy) = policy.filter(|_| ended == Ended::Lost) else {
            break;
        };
        if inner.shutting_down.load(Ordering::Acquire) {
            break;
        }
        // Requests made from now on wait in the new connection until it is ready.
        let fresh = {
            let old = &inner.lock().conn;
            Connection::inbound(inner.config.auth.clone())
                .with_limits(inner.config.limits)
                .with_subscriptions(old.subscriptions())
                .with_request_ids_after(old)
        };
        inner.replace_connection(fresh);
        tracing::warn!(peer = %inner.peer, "connection lost; reconnecting");
        let mut attempt = 0;
        let next = loop {
            if inner.shutting_down.load(Ordering::Acquire) {
                break None;
            }
            if policy.max_attempts.is_some_and(|max| attempt >= max) {
                tracing::error!(peer = %inner.peer, attempts = attempt, "giving up reconnecting");
                break None;
            }
            inner.runtime.sleep(policy.delay(attempt)).await;
            let connect = inner.runtime.connect(inner.peer.clone());
            match within(&inner.runtime, inner.config.connect_timeout, connect).await {
                Some(Ok(stream)) => break Some(stream),
                Some(Err(error)) => tracing::debug!(peer = %inner.peer, %error, "reconnect failed"),
                None => tracing::debug!(peer = %inner.peer, "reconnect timed out"),
            }
            attempt += 1;
        };
        let Some(next) = next else { break };
        tracing::info!(peer = %inner.peer, "reconnected");
        inner.mark_gap(Gap::Reconnected);
        stream = next;
    }
    inner.finished.store(true, Ordering::Release);
    inner.close_connection();
    inner.close_streams();
}
