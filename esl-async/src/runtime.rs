//! What an async runtime provides: sockets, tasks and timers. `esl-tokio` and
//! `esl-async-std` implement it; everything else is written once against it.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};
use futures_util::future::BoxFuture;

/// An async runtime, as the client and the outbound server need it.
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

/// A listening socket.
pub trait Listener: Send + Sync + 'static {
    /// The streams it accepts.
    type Stream;

    /// The next connection.
    fn accept(&self) -> BoxFuture<'_, io::Result<(Self::Stream, SocketAddr)>>;

    /// The address it listens on.
    fn local_addr(&self) -> io::Result<SocketAddr>;
}
