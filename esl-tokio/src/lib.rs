//! FreeSWITCH's Event Socket for tokio: an inbound [`Client`] and an [`OutboundServer`]
//! for the switch's `socket` application.
//!
//! ```no_run
//! # async fn demo() -> esl_tokio::Result<()> {
//! let client = esl_tokio::connect("127.0.0.1:8021", "ClueCon").await?;
//! println!("{}", client.api("status").await?);
//! let uuid = client.originate("loopback/park", "&park").await?;
//! client.api(&format!("uuid_kill {uuid}")).await?;
//! client.close().await
//! # }
//! ```
//!
//! This crate only supplies tokio's sockets, tasks and timers; the client, sessions, jobs,
//! event streams and their semantics live in [`esl_async`] and are the same for every
//! runtime. Run `cargo run -p esl-tokio --example quickstart` for a tour against a simulated
//! switch.

#![forbid(unsafe_code)]

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

pub use esl_async::{
    conference, dptools, esl_proto, track, Address, CallEvent, Change, ClientConfig, Command,
    Error, Event, EventFormat, EventName, Flow, Gap, HandlerId, HandlerKey, Incoming, Overflow,
    Reconnect, RecvTimeoutError, Result, Route, RouteError, RouteMatch, ServerConfig, SessionSetup,
    ShutdownHandle, Tracker, APP_VARIABLE,
};

/// tokio, as [`esl_async`] needs it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tokio;

/// A tokio TCP listener.
#[derive(Debug)]
pub struct TokioListener(tokio::net::TcpListener);

impl esl_async::Runtime for Tokio {
    type Stream = Compat<tokio::net::TcpStream>;
    type Listener = TokioListener;

    fn connect(&self, addr: String) -> BoxFuture<'static, io::Result<Self::Stream>> {
        Box::pin(async move {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            Ok(stream.compat())
        })
    }

    fn bind(&self, addr: String) -> BoxFuture<'static, io::Result<TokioListener>> {
        Box::pin(async move { Ok(TokioListener(tokio::net::TcpListener::bind(addr).await?)) })
    }

    fn spawn<F>(&self, future: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        tokio::spawn(future);
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        // Made when first polled, inside the runtime, whichever thread built the future.
        Box::pin(async move { tokio::time::sleep(duration).await })
    }
}

impl esl_async::Listener for TokioListener {
    type Stream = Compat<tokio::net::TcpStream>;

    fn accept(&self) -> BoxFuture<'_, io::Result<(Self::Stream, SocketAddr)>> {
        Box::pin(async move {
            let (stream, peer) = self.0.accept().await?;
            stream.set_nodelay(true)?;
            Ok((stream.compat(), peer))
        })
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// A stream of events on tokio.
pub type EventStream = esl_async::EventStream<Tokio>;
/// An inbound connection on tokio.
pub type Client = esl_async::Client<Tokio>;
/// The request API of a connection on tokio.
pub type Handle = esl_async::Handle<Tokio>;
/// A `bgapi` job on tokio.
pub type Job = esl_async::Job<Tokio>;
/// An outbound server on tokio.
pub type OutboundServer = esl_async::OutboundServer<Tokio>;
/// One call of an outbound server on tokio.
pub type Session = esl_async::Session<Tokio>;
/// A channel and its session API on tokio.
pub type Channel = esl_async::Channel<Tokio>;
/// Event handlers loaded into a [`Service`] on tokio.
pub type App = esl_async::App<Tokio>;
/// Guards and regex routes to handlers, on tokio.
pub type Router = esl_async::Router<Tokio>;
/// One service over many switches, on tokio.
pub type Service = esl_async::Service<Tokio>;

/// Connects to `addr` and authenticates with `password`, with the default configuration.
pub async fn connect(addr: impl Into<Address>, password: &str) -> Result<Client> {
    Client::connect(Tokio, addr, ClientConfig::password(password)).await
}

/// Connects to `addr` with `config`.
pub async fn connect_with(addr: impl Into<Address>, config: ClientConfig) -> Result<Client> {
    Client::connect(Tokio, addr, config).await
}

/// Listens for the switch's outbound connections on `addr`.
pub async fn listen(addr: &str, config: ServerConfig) -> Result<OutboundServer> {
    OutboundServer::bind(Tokio, addr, config).await
}

/// Testing against the simulated switch in memory, on its virtual clock (feature `sim`):
/// the same [`Client`], [`Session`] and handlers as in production, no socket.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> esl_tokio::Result<()> {
/// use esl_tokio::sim::{self, Config, VirtualSwitch};
/// use esl_tokio::ClientConfig;
///
/// let switch = VirtualSwitch::new(Config::default());
/// let client = sim::connect(&switch, ClientConfig::password("ClueCon")).await?;
/// assert!(client.api("status").await?.contains("is ready"));
/// client.close().await
/// # }
/// ```
#[cfg(feature = "sim")]
pub mod sim {
    pub use esl_async::esl_sim::*;

    use crate::{Client, ClientConfig, OutboundServer, Result, ServerConfig, Tokio};

    /// Connects to `switch` in memory.
    pub async fn connect(switch: &VirtualSwitch, config: ClientConfig) -> Result<Client> {
        Client::connect_sim(Tokio, switch, config).await
    }

    /// Serves the outbound sockets `switch` opens, in memory.
    pub fn listen(switch: &VirtualSwitch, config: ServerConfig) -> OutboundServer {
        OutboundServer::bind_sim(Tokio, switch, config)
    }
}
