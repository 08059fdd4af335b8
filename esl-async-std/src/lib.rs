//! FreeSWITCH's Event Socket for async-std and smol: an inbound [`Client`] and an
//! [`OutboundServer`] for the switch's `socket` application.
//!
//! ```no_run
//! # async fn demo() -> esl_async_std::Result<()> {
//! let client = esl_async_std::connect("127.0.0.1:8021", "ClueCon").await?;
//! println!("{}", client.api("status").await?);
//! let uuid = client.originate("loopback/park", "&park").await?;
//! client.api(&format!("uuid_kill {uuid}")).await?;
//! client.close().await
//! # }
//! ```
//!
//! This crate only supplies sockets, tasks and timers; the client, sessions, jobs, event
//! streams and their semantics live in [`esl_async`], the same code `esl-tokio` binds, so the
//! two runtimes cannot disagree.
//!
//! # async-std and smol
//!
//! async-std is discontinued upstream; [smol](https://docs.rs/smol) is its successor, and
//! the two share their reactor (`async-io`). The [`AsyncStd`] runtime uses async-std's
//! sockets, `task::spawn` and timers; the [`Smol`] runtime (feature `smol`, on by default)
//! uses smol's sockets, its global executor and `smol::Timer`. Both drive the same
//! [`esl_async`] driver, and neither needs the other's executor running:
//!
//! ```no_run
//! # fn demo() -> esl_async_std::Result<()> {
//! use esl_async_std::{smol, ClientConfig, Smol};
//! smol::block_on(async {
//!     let client = esl_async_std::Client::<Smol>::connect(
//!         Smol,
//!         "127.0.0.1:8021",
//!         ClientConfig::password("ClueCon"),
//!     )
//!     .await?;
//!     println!("{}", client.api("status").await?);
//!     client.close().await
//! })
//! # }
//! ```
//!
//! `cargo run -p esl-async-std --example smol_quickstart` runs a short tour on smol against
//! a simulated switch.
//!
//! # What it does not do
//!
//! It starts no runtime of its own: with [`AsyncStd`], async-std's global executor runs the
//! connection; with [`Smol`], smol's global executor (`SMOL_THREADS` threads, one by
//! default) does, whatever executor the application polls its own futures on.

#![forbid(unsafe_code)]

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::future::BoxFuture;

pub use esl_async::{
    conference, dptools, esl_proto, track, Address, CallEvent, Change, ClientConfig, Command,
    Error, Event, EventFormat, EventName, Flow, Gap, HandlerId, HandlerKey, Incoming, Overflow,
    Reconnect, RecvTimeoutError, Result, Route, RouteError, RouteMatch, ServerConfig, SessionSetup,
    ShutdownHandle, Tracker, APP_VARIABLE,
};
#[cfg(feature = "smol")]
pub use smol;

/// async-std, as [`esl_async`] needs it.
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncStd;

/// An async-std TCP listener.
#[derive(Debug)]
pub struct AsyncStdListener(async_std::net::TcpListener);

impl esl_async::Runtime for AsyncStd {
    type Stream = async_std::net::TcpStream;
    type Listener = AsyncStdListener;

    fn connect(&self, addr: String) -> BoxFuture<'static, io::Result<Self::Stream>> {
        Box::pin(async move {
            let stream = async_std::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            Ok(stream)
        })
    }

    fn bind(&self, addr: String) -> BoxFuture<'static, io::Result<AsyncStdListener>> {
        Box::pin(async move {
            Ok(AsyncStdListener(
                async_std::net::TcpListener::bind(addr).await?,
            ))
        })
    }

    fn spawn<F>(&self, future: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        async_std::task::spawn(future);
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async_std::task::sleep(duration))
    }
}

impl esl_async::Listener for AsyncStdListener {
    type Stream = async_std::net::TcpStream;

    fn accept(&self) -> BoxFuture<'_, io::Result<(Self::Stream, SocketAddr)>> {
        Box::pin(async move {
            let (stream, peer) = self.0.accept().await?;
            stream.set_nodelay(true)?;
            Ok((stream, peer))
        })
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// smol, as [`esl_async`] needs it.
#[cfg(feature = "smol")]
#[derive(Debug, Clone, Copy, Default)]
pub struct Smol;

/// A smol TCP listener.
#[cfg(feature = "smol")]
#[derive(Debug)]
pub struct SmolListener(smol::net::TcpListener);

#[cfg(feature = "smol")]
impl esl_async::Runtime for Smol {
    type Stream = smol::net::TcpStream;
    type Listener = SmolListener;

    fn connect(&self, addr: String) -> BoxFuture<'static, io::Result<Self::Stream>> {
        Box::pin(async move {
            let stream = smol::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            Ok(stream)
        })
    }

    fn bind(&self, addr: String) -> BoxFuture<'static, io::Result<SmolListener>> {
        Box::pin(async move { Ok(SmolListener(smol::net::TcpListener::bind(addr).await?)) })
    }

    fn spawn<F>(&self, future: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        smol::spawn(future).detach();
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            smol::Timer::after(duration).await;
        })
    }
}

#[cfg(feature = "smol")]
impl esl_async::Listener for SmolListener {
    type Stream = smol::net::TcpStream;

    fn accept(&self) -> BoxFuture<'_, io::Result<(Self::Stream, SocketAddr)>> {
        Box::pin(async move {
            let (stream, peer) = self.0.accept().await?;
            stream.set_nodelay(true)?;
            Ok((stream, peer))
        })
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// A stream of events (async-std; `EventStream<Smol>` on smol).
pub type EventStream<R = AsyncStd> = esl_async::EventStream<R>;
/// An inbound connection (async-std; `Client<Smol>` on smol).
pub type Client<R = AsyncStd> = esl_async::Client<R>;
/// The request API of a connection.
pub type Handle<R = AsyncStd> = esl_async::Handle<R>;
/// A `bgapi` job.
pub type Job<R = AsyncStd> = esl_async::Job<R>;
/// An outbound server.
pub type OutboundServer<R = AsyncStd> = esl_async::OutboundServer<R>;
/// One call of an outbound server.
pub type Session<R = AsyncStd> = esl_async::Session<R>;
/// A channel and its session API.
pub type Channel<R = AsyncStd> = esl_async::Channel<R>;
/// Event handlers loaded into a [`Service`].
pub type App<R = AsyncStd> = esl_async::App<R>;
/// Guards and regex routes to handlers.
pub type Router<R = AsyncStd> = esl_async::Router<R>;
/// One service over many switches.
pub type Service<R = AsyncStd> = esl_async::Service<R>;

/// Connects to `addr` and authenticates with `password`, on async-std, with the default
/// configuration.
pub async fn connect(addr: impl Into<Address>, password: &str) -> Result<Client> {
    Client::connect(AsyncStd, addr, ClientConfig::password(password)).await
}

/// Connects to `addr` with `config`, on async-std.
pub async fn connect_with(addr: impl Into<Address>, config: ClientConfig) -> Result<Client> {
    Client::connect(AsyncStd, addr, config).await
}

/// Listens for the switch's outbound connections on `addr`, on async-std.
pub async fn listen(addr: &str, config: ServerConfig) -> Result<OutboundServer> {
    OutboundServer::bind(AsyncStd, addr, config).await
}

/// Testing against the simulated switch in memory, on its virtual clock (feature `sim`),
/// on async-std or smol: the same client, sessions and handlers as in production, no socket.
///
/// ```
/// use esl_async_std::sim::{self, Config, VirtualSwitch};
/// use esl_async_std::{AsyncStd, ClientConfig};
///
/// async_std::task::block_on(async {
///     let switch = VirtualSwitch::new(Config::default());
///     let client = sim::connect(AsyncStd, &switch, ClientConfig::password("ClueCon")).await?;
///     assert!(client.api("status").await?.contains("is ready"));
///     client.close().await
/// })?;
/// # Ok::<(), esl_async_std::Error>(())
/// ```
#[cfg(feature = "sim")]
pub mod sim {
    pub use esl_async::esl_sim::*;

    use crate::{ClientConfig, Result, ServerConfig};

    /// Connects to `switch` in memory, on `runtime` ([`AsyncStd`](crate::AsyncStd) or
    /// `Smol`).
    pub async fn connect<R: esl_async::Runtime>(
        runtime: R,
        switch: &VirtualSwitch,
        config: ClientConfig,
    ) -> Result<crate::Client<R>> {
        crate::Client::connect_sim(runtime, switch, config).await
    }

    /// Serves the outbound sockets `switch` opens, in memory, on `runtime`.
    pub fn listen<R: esl_async::Runtime>(
        runtime: R,
        switch: &VirtualSwitch,
        config: ServerConfig,
    ) -> crate::OutboundServer<R> {
        crate::OutboundServer::bind_sim(runtime, switch, config)
    }
}
