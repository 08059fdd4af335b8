//! What an async runtime provides: sockets, tasks and timers. `esl-tokio` and
//! `esl-async-std` implement it; everything else is written once against it.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};
use futures_util::future::BoxFuture;

/// An async runtime, as the client and the outbound server need it. `esl-tokio` implements
/// it for tokio (`Tokio`), `esl-async-std` for async-std and smol (`AsyncStd`, `Smol`); code
/// written against it runs on any of them.
///
/// ```no_run
/// use esl_async::{Client, ClientConfig, Runtime};
///
/// /// The switch's status, on whichever runtime the caller passes (`esl_tokio::Tokio`, ...).
/// async fn status<R: Runtime>(runtime: R) -> esl_async::Result<String> {
///     let config = ClientConfig::password("ClueCon");
///     let client = Client::connect(runtime, "127.0.0.1:8021", config).await?;
///     let status = client.api("status").await?;
///     client.close().await?;
///     Ok(status)
/// }
/// ```
///
/// The futures it returns may be dropped before they complete: a [`sleep`](Runtime::sleep)
/// that lost a race ([`EventStream::recv_timeout`](crate::EventStream::recv_timeout)'s, say).
pub trait Runtime: Clone + Send + Sync + 'static {
    /// A connected TCP stream.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// A listening TCP socket.
    type Listener: Listener<Stream = Self::Stream>;

    /// Connects to `addr` (`host:port`; names are resolved).
    fn connect(&self, addr: String) -> BoxFuture<'static, io::Result<Self::Stream>>;

    /// Listens on `addr`.
    fn bind(&self, addr: String) -> BoxFuture<'static, io::Result<Self::Listener>>;

    /// Runs `future` in the background.
    fn spawn<F>(&self, future: F)
    where
        F: Future<Output = ()> + Send + 'static;

    /// Completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;

    /// The time now, on the clock [`Runtime::sleep`] follows. The system's monotonic clock
    /// unless the runtime has one of its own (virtual time in tests).
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A listening socket: what a [`Runtime`] binds for an
/// [`OutboundServer`](crate::OutboundServer), which accepts the switch's connections from it.
///
/// ```no_run
/// use esl_async::{Listener, Runtime};
///
/// /// Listens on a free port: the dialplan then says `socket <addr> async full`.
/// async fn free_port<R: Runtime>(runtime: &R) -> std::io::Result<std::net::SocketAddr> {
///     let listener = runtime.bind("127.0.0.1:0".into()).await?;
///     listener.local_addr()
/// }
/// ```
pub trait Listener: Send + Sync + 'static {
    /// The streams it accepts.
    type Stream;

    /// The next connection. Must be cancel-safe: [`OutboundServer::run`] drops the future
    /// when a shutdown comes first, and a connection it had accepted would be lost.
    ///
    /// [`OutboundServer::run`]: crate::OutboundServer::run
    fn accept(&self) -> BoxFuture<'_, io::Result<(Self::Stream, SocketAddr)>>;

    /// The address it listens on.
    fn local_addr(&self) -> io::Result<SocketAddr>;
}
