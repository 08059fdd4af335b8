//! Connections that are not TCP sockets: a transport in the same process (a simulated
//! switch in memory), with the clock that goes with it (virtual time).
//!
//! A client or outbound server made over a [`Transport`] behaves as over TCP (the same
//! engine, the same driver) but opens no socket, and takes its time from the transport: a
//! test moves the simulated switch's clock on, and the client's timeouts and reconnect
//! waits follow it. With the `sim` feature, `esl_sim::VirtualSwitch` is such a transport.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};
use futures_util::future::BoxFuture;

use crate::runtime::Runtime;

/// A connection over a [`Transport`].
///
/// ```
/// use futures_util::io::Cursor;
/// use esl_async::Duplex;
///
/// // Anything that reads and writes asynchronously is one. Here, bytes in memory: a switch that
/// // greets, then ends the connection.
/// let greeting = b"Content-Type: auth/request\n\n".to_vec();
/// let conn: Box<dyn Duplex> = Box::new(Cursor::new(greeting));
/// # drop(conn);
/// ```
pub trait Duplex: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Duplex for T {}

/// Where connections come from when they do not come from TCP, and the clock that goes with
/// them.
///
/// ```
/// # use std::{io, time::Instant, task::{Context, Poll}};
/// use esl_async::{Duplex, Transport};
///
/// /// A transport that has nothing to connect to, on the system's clock.
/// struct Nowhere;
///
/// impl Transport for Nowhere {
///     fn connect(&self) -> io::Result<Box<dyn Duplex>> {
///         Err(io::ErrorKind::ConnectionRefused.into())
///     }
///     fn poll_accept(&self, _: &mut Context<'_>) -> Poll<io::Result<(Box<dyn Duplex>, String)>> {
///         Poll::Pending
///     }
///     fn now(&self) -> Instant {
///         Instant::now()
///     }
///     fn poll_sleep_until(&self, at: Instant, cx: &mut Context<'_>) -> Poll<()> {
///         if Instant::now() >= at { Poll::Ready(()) } else { cx.waker().wake_by_ref(); Poll::Pending }
///     }
/// }
/// ```
pub trait Transport: Send + Sync + 'static {
    /// A connection to the switch.
    fn connect(&self) -> io::Result<Box<dyn Duplex>>;

    /// The next connection the switch opens to an outbound server (its `socket`
    /// application), with a name for its peer.
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(Box<dyn Duplex>, String)>>;

    /// The time now, on the transport's clock.
    fn now(&self) -> Instant;

    /// Ready once the transport's clock reaches `at`; until then, wakes `cx` when it does.
    fn poll_sleep_until(&self, at: Instant, cx: &mut Context<'_>) -> Poll<()>;
}

/// How a connection gets its bytes and its time.
#[derive(Clone)]
pub(crate) enum Medium {
    /// TCP, and the runtime's clock.
    Tcp,
    /// A transport, and its clock.
    Memory(Arc<dyn Transport>),
}

impl Medium {
    pub(crate) fn now<R: Runtime>(&self, runtime: &R) -> Instant {
        match self {
            Medium::Tcp => runtime.now(),
            Medium::Memory(transport) => transport.now(),
        }
    }

    /// Completes once the clock reaches `at`.
    pub(crate) fn sleep_until<R: Runtime>(
        &self,
        runtime: &R,
        at: Instant,
    ) -> BoxFuture<'static, ()> {
        match self {
            Medium::Tcp => runtime.sleep(at.saturating_duration_since(runtime.now())),
            Medium::Memory(transport) => {
                let transport = transport.clone();
                Box::pin(futures_util::future::poll_fn(move |cx| {
                    transport.poll_sleep_until(at, cx)
                }))
            }
        }
    }

    /// Completes after `wait` on the clock.
    pub(crate) fn sleep<R: Runtime>(&self, runtime: &R, wait: Duration) -> BoxFuture<'static, ()> {
        match self {
            Medium::Tcp => runtime.sleep(wait),
            Medium::Memory(_) => self.sleep_until(runtime, self.now(runtime) + wait),
        }
    }

    /// Opens a connection to `addr`.
    pub(crate) fn connect<R: Runtime>(
        &self,
        runtime: &R,
        addr: &str,
    ) -> BoxFuture<'static, io::Result<Io<R::Stream>>> {
        match self {
            Medium::Tcp => {
                let connect = runtime.connect(addr.to_owned());
                Box::pin(async move { connect.await.map(Io::Tcp) })
            }
            Medium::Memory(transport) => {
                let connected = transport.connect().map(Io::Memory);
                Box::pin(async move { connected })
            }
        }
    }
}

/// A connection: a runtime's TCP stream or a transport's.
pub(crate) enum Io<S> {
    Tcp(S),
    Memory(Box<dyn Duplex>),
}

impl<S: AsyncRead + Unpin> AsyncRead for Io<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Io::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Io::Memory(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Io<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Io::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Io::Memory(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Tcp(s) => Pin::new(s).poll_flush(cx),
            Io::Memory(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Tcp(s) => Pin::new(s).poll_close(cx),
            Io::Memory(s) => Pin::new(s).poll_close(cx),
        }
    }
}
