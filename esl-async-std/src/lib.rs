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

/// async-std, as [`esl_async`] needs it: the runtime to pass where one is asked for
/// ([`esl_async::Client::connect`], [`esl_async::OutboundServer::bind`],
/// [`esl_async::Service::new`]), and the default of this crate's type aliases. [`connect`] and
/// [`listen`] pass it for you.
///
/// ```
/// # fn main() -> esl_async_std::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// # async_std::task::block_on(async {
/// use esl_async_std::{AsyncStd, ClientConfig, Service};
///
/// let service = Service::new(AsyncStd);
/// // `add_switch("fs1", "10.0.0.1:8021", ..)` for a switch on the network; here the
/// // simulated one, in memory (feature `sim`).
/// service.add_sim_switch("fs1", &switch, ClientConfig::password("ClueCon")).await?;
/// assert_eq!(service.switches(), ["fs1"]);
/// service.close().await;
/// # Ok::<(), esl_async_std::Error>(())
/// # })
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncStd;

/// An async-std TCP listener: what [`AsyncStd`] binds for an [`OutboundServer`]. [`listen`]
/// makes one; the server's [`local_addr`](esl_async::OutboundServer::local_addr) is its
/// address.
///
/// ```
/// # fn main() -> esl_async_std::Result<()> {
/// use esl_async_std::ServerConfig;
///
/// async_std::task::block_on(async {
///     // Port 0 picks a free port: the dialplan then says `socket <addr> async full`.
///     let server = esl_async_std::listen("127.0.0.1:0", ServerConfig::default()).await?;
///     assert!(server.local_addr()?.ip().is_loopback());
///     Ok(())
/// })
/// # }
/// ```
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

/// smol, as [`esl_async`] needs it (feature `smol`, on by default): name it in the type
/// aliases (`Client<Smol>`) and pass it where a runtime is asked for. smol's global executor
/// runs the connections, whatever executor polls the application's futures.
///
/// ```
/// # fn main() -> esl_async_std::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// use esl_async_std::{smol, Client, ClientConfig, Smol};
///
/// smol::block_on(async {
///     // `Client::<Smol>::connect(Smol, "127.0.0.1:8021", ..)` for a switch on the network;
///     // here the simulated one, in memory (feature `sim`).
///     let config = ClientConfig::password("ClueCon");
///     let client = Client::<Smol>::connect_sim(Smol, &switch, config).await?;
///     assert!(client.api("status").await?.contains("is ready"));
///     client.close().await
/// })
/// # }
/// ```
#[cfg(feature = "smol")]
#[derive(Debug, Clone, Copy, Default)]
pub struct Smol;

/// A smol TCP listener: what [`Smol`] binds for an `OutboundServer<Smol>`.
///
/// ```
/// # fn main() -> esl_async_std::Result<()> {
/// use esl_async_std::{smol, OutboundServer, ServerConfig, Smol};
///
/// smol::block_on(async {
///     // Port 0 picks a free port: the dialplan then says `socket <addr> async full`.
///     let config = ServerConfig::default();
///     let server = OutboundServer::<Smol>::bind(Smol, "127.0.0.1:0", config).await?;
///     assert!(server.local_addr()?.ip().is_loopback());
///     Ok(())
/// })
/// # }
/// ```
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

/// A stream of events (async-std; `EventStream<Smol>` on smol): see
/// [`esl_async::EventStream`].
///
/// ```
/// # fn main() -> esl_async_std::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// # async_std::task::block_on(async {
/// # let client = esl_async_std::Client::connect_sim(
/// #     esl_async_std::AsyncStd,
/// #     &switch,
/// #     esl_async_std::ClientConfig::password("ClueCon"),
/// # ).await?;
/// use esl_async_std::{EventFormat, EventStream, Gap, Incoming};
///
/// // Opened before the subscription, so that no event is missed.
/// let mut events: EventStream = client.events();
/// client.subscribe(EventFormat::Plain, &["CHANNEL_ANSWER"]).await?;
/// let uuid = client.originate("loopback/park", "&park").await?;
/// while let Some(item) = events.recv().await {
///     match item {
///         Incoming::Event(event) if event.unique_id().as_deref() == Some(&uuid) => break,
///         Incoming::Gap(Gap::Lost(n)) => eprintln!("{n} events dropped"),
///         _ => {}
///     }
/// }
/// # Ok::<(), esl_async_std::Error>(())
/// # })
/// # }
/// ```
pub type EventStream<R = AsyncStd> = esl_async::EventStream<R>;

/// An inbound connection (async-std; `Client<Smol>` on smol): see [`esl_async::Client`].
///
/// ```
/// # fn main() -> esl_async_std::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// # async_std::task::block_on(async {
/// use esl_async_std::{AsyncStd, Client, ClientConfig};
///
/// // `esl_async_std::connect("127.0.0.1:8021", "ClueCon")` for a switch on the network; here
/// // the simulated one, in memory (feature `sim`).
/// let client = Client::connect_sim(AsyncStd, &switch, ClientConfig::password("ClueCon")).await?;
/// assert!(client.api("status").await?.contains("is ready"));
/// let uuid = client.originate("loopback/park", "&park").await?;
/// client.api(&format!("uuid_kill {uuid}")).await?;
/// client.close().await?;
/// # Ok::<(), esl_async_std::Error>(())
/// # })
/// # }
/// ```
pub type Client<R = AsyncStd> = esl_async::Client<R>;

/// The request API of a connection: see [`esl_async::Handle`].
///
/// ```
/// # fn main() -> esl_async_std::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// # async_std::task::block_on(async {
/// # let client = esl_async_std::Client::connect_sim(
/// #     esl_async_std::AsyncStd,
/// #     &switch,
/// #     esl_async_std::ClientConfig::password("ClueCon"),
/// # ).await?;
/// use esl_async_std::Handle;
///
/// /// Takes a client's connection and an outbound session's alike.
/// async fn uptime(handle: &Handle) -> esl_async_std::Result<String> {
///     let status = handle.api("status").await?;
///     Ok(status.lines().next().unwrap_or_default().to_owned())
/// }
///
/// assert!(uptime(client.handle()).await?.starts_with("UP "));
/// # Ok::<(), esl_async_std::Error>(())
/// # })
/// # }
/// ```
pub type Handle<R = AsyncStd> = esl_async::Handle<R>;

/// A `bgapi` job: see [`esl_async::Job`].
///
/// ```
/// # fn main() -> esl_async_std::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// # async_std::task::block_on(async {
/// # let client = esl_async_std::Client::connect_sim(
/// #     esl_async_std::AsyncStd,
/// #     &switch,
/// #     esl_async_std::ClientConfig::password("ClueCon"),
/// # ).await?;
/// // Returns once the switch accepted the command; it runs in the background.
/// let job = client.bgapi("status").await?;
/// println!("job {}", job.uuid());
/// // Its output, within the job timeout.
/// let output = job.await?;
/// assert!(output.contains("is ready"));
/// # Ok::<(), esl_async_std::Error>(())
/// # })
/// # }
/// ```
pub type Job<R = AsyncStd> = esl_async::Job<R>;

/// An outbound server: see [`esl_async::OutboundServer`].
///
/// ```
/// # fn main() -> esl_async_std::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// # async_std::task::block_on(async {
/// use esl_async_std::{AsyncStd, OutboundServer, ServerConfig, Session};
///
/// // `esl_async_std::listen("0.0.0.0:8084", ServerConfig::default()).await?` for a switch on
/// // the network; here the simulated one's `socket` application, in memory (feature `sim`).
/// let server = OutboundServer::bind_sim(AsyncStd, &switch, ServerConfig::default());
/// let stop = server.shutdown_handle();
/// let running = async_std::task::spawn(server.run(|session: Session| async move {
///     let _ = session.answer().await;
///     let _ = session.hangup(None).await;
/// }));
/// # use esl_sim::{InboundCall, Route};
/// # let call = switch.call(&InboundCall::new("1000", "5000").route(Route::Socket));
/// # while stop.handled_calls() == 0 { async_std::task::yield_now().await; }
/// // No new calls; `run` returns once the calls under way have ended.
/// stop.shutdown();
/// running.await?;
/// # assert!(switch.applications(&call).contains(&("answer".into(), String::new())));
/// # Ok::<(), esl_async_std::Error>(())
/// # })
/// # }
/// ```
pub type OutboundServer<R = AsyncStd> = esl_async::OutboundServer<R>;

/// One call of an outbound server: see [`esl_async::Session`]. The handler an
/// [`OutboundServer`] runs for each call takes one.
///
/// ```
/// # fn main() -> esl_async_std::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// # async_std::task::block_on(async {
/// use esl_async_std::Session;
///
/// async fn greet(session: Session) {
///     let caller = session.connect_data().header("Caller-Caller-ID-Number").unwrap_or_default();
///     let steps = async {
///         session.answer().await?;
///         session.set_variable("greeted", &caller).await?;
///         session.hangup(None).await
///     };
///     if let Err(error) = steps.await {
///         eprintln!("call {}: {error}", session.uuid());
///     }
/// }
/// # let server =
/// #     esl_async_std::OutboundServer::bind_sim(esl_async_std::AsyncStd, &switch, Default::default());
/// # let stop = server.shutdown_handle();
/// # let running = async_std::task::spawn(server.run(greet));
/// # use esl_sim::{InboundCall, Route};
/// # let call = switch.call(&InboundCall::new("1000", "5000").route(Route::Socket));
/// # while stop.handled_calls() == 0 { async_std::task::yield_now().await; }
/// # stop.shutdown();
/// # running.await?;
/// # assert!(switch.applications(&call).contains(&("set".into(), "greeted=1000".into())));
/// # Ok::<(), esl_async_std::Error>(())
/// # })
/// # }
/// ```
pub type Session<R = AsyncStd> = esl_async::Session<R>;

/// A channel and its session API: see [`esl_async::Channel`].
///
/// ```
/// # fn main() -> esl_async_std::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// # async_std::task::block_on(async {
/// # let client = esl_async_std::Client::connect_sim(
/// #     esl_async_std::AsyncStd,
/// #     &switch,
/// #     esl_async_std::ClientConfig::password("ClueCon"),
/// # ).await?;
/// use esl_async_std::Channel;
///
/// let uuid = client.originate("loopback/park", "&park").await?;
/// // A channel whose uuid the application already knows.
/// let channel: Channel = Channel::new(client.handle().clone(), uuid);
/// channel.set_variable("tenant", "acme").await?;
/// assert_eq!(channel.get_variable("tenant").await?.as_deref(), Some("acme"));
/// channel.hangup(None).await?;
/// # Ok::<(), esl_async_std::Error>(())
/// # })
/// # }
/// ```
pub type Channel<R = AsyncStd> = esl_async::Channel<R>;

/// Event handlers loaded into a [`Service`]: see [`esl_async::App`].
///
/// ```
/// # fn main() -> esl_async_std::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// # async_std::task::block_on(async {
/// use esl_async_std::{App, AsyncStd, ClientConfig, Service};
///
/// // Answers every call that parks.
/// let app: App = App::new().on("CHANNEL_PARK", |call| async move {
///     if let Some(channel) = call.channel() {
///         let _ = channel.answer().await;
///     }
/// });
/// let service = Service::new(AsyncStd);
/// service.add_sim_switch("pbx", &switch, ClientConfig::password("ClueCon")).await?;
/// service.load_default("answer", app).await?;
/// let call = switch.inbound_call("1000", "5000", &[]); // a call from the network, parked
/// # for _ in 0..5000 {
/// #     if switch.applications(&call).iter().any(|(a, _)| a == "answer") { break; }
/// #     async_std::task::sleep(std::time::Duration::from_millis(1)).await;
/// # }
/// assert!(switch.applications(&call).contains(&("answer".into(), String::new())));
/// # Ok::<(), esl_async_std::Error>(())
/// # })
/// # }
/// ```
pub type App<R = AsyncStd> = esl_async::App<R>;

/// Guards and regex routes to handlers: see [`esl_async::Router`].
///
/// ```
/// # fn main() -> esl_async_std::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// # async_std::task::block_on(async {
/// use esl_async_std::{AsyncStd, ClientConfig, Flow, Router, Service};
///
/// let mut router: Router = Router::new();
/// let busy = router.handler(|channel, _| async move {
///     channel.respond(486, Some("Busy Here")).await?;
///     Ok(Flow::Stop)
/// });
/// router.route(r"9\d{3}$", busy).expect("a valid pattern");
/// let service = Service::new(AsyncStd);
/// service.add_sim_switch("pbx", &switch, ClientConfig::password("ClueCon")).await?;
/// service.load_default("router", router.into_app()).await?;
/// let call = switch.inbound_call("5551234", "9001", &[]);
/// # for _ in 0..5000 {
/// #     if switch.applications(&call).iter().any(|(a, _)| a == "respond") { break; }
/// #     async_std::task::sleep(std::time::Duration::from_millis(1)).await;
/// # }
/// assert!(switch.applications(&call).contains(&("respond".into(), "486 Busy Here".into())));
/// # Ok::<(), esl_async_std::Error>(())
/// # })
/// # }
/// ```
pub type Router<R = AsyncStd> = esl_async::Router<R>;

/// One service over many switches: see [`esl_async::Service`].
///
/// ```
/// # fn main() -> esl_async_std::Result<()> {
/// # let fs1 = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// # let fs2 = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// # async_std::task::block_on(async {
/// use esl_async_std::{App, AsyncStd, ClientConfig, Service};
///
/// let service = Service::new(AsyncStd);
/// service.add_sim_switch("fs1", &fs1, ClientConfig::password("ClueCon")).await?;
/// service.add_sim_switch("fs2", &fs2, ClientConfig::password("ClueCon")).await?;
/// let dialer = App::new().on("CHANNEL_ANSWER", |call| async move {
///     println!("{} answered on {}", call.event.unique_id().unwrap_or_default(), call.switch);
/// });
/// service.load("dialer", dialer).await?;
/// // Placed on fs2; the new call's events go to the app `dialer`.
/// let job = service.originate("fs2", "dialer", "loopback/park", "&park").await?;
/// let uuid = job.channel_uuid().await?;
/// # assert!(fs2.channels().contains(&uuid));
/// service.close().await;
/// # Ok::<(), esl_async_std::Error>(())
/// # })
/// # }
/// ```
pub type Service<R = AsyncStd> = esl_async::Service<R>;

/// Connects to `addr` and authenticates with `password`, on async-std, with the default
/// configuration. Cancel-safe, as [`esl_async::Client::connect`].
pub async fn connect(addr: impl Into<Address>, password: &str) -> Result<Client> {
    Client::connect(AsyncStd, addr, ClientConfig::password(password)).await
}

/// Connects to `addr` with `config`, on async-std. Cancel-safe, as
/// [`esl_async::Client::connect`].
pub async fn connect_with(addr: impl Into<Address>, config: ClientConfig) -> Result<Client> {
    Client::connect(AsyncStd, addr, config).await
}

/// Listens for the switch's outbound connections on `addr`, on async-std. Cancel-safe:
/// dropped before it returns, it leaves no socket behind.
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
