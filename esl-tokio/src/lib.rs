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

/// tokio, as [`esl_async`] needs it: the runtime to pass where one is asked for
/// ([`esl_async::Client::connect`], [`esl_async::OutboundServer::bind`],
/// [`esl_async::Service::new`]). [`connect`] and [`listen`] pass it for you.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> esl_tokio::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// use esl_tokio::{ClientConfig, Service, Tokio};
///
/// let service = Service::new(Tokio);
/// // `add_switch("fs1", "10.0.0.1:8021", ..)` for a switch on the network; here the
/// // simulated one, in memory (feature `sim`).
/// service.add_sim_switch("fs1", &switch, ClientConfig::password("ClueCon")).await?;
/// assert_eq!(service.switches(), ["fs1"]);
/// service.close().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Tokio;

/// A tokio TCP listener: what [`Tokio`] binds for an [`OutboundServer`]. [`listen`] makes
/// one; the server's [`local_addr`](esl_async::OutboundServer::local_addr) is its address.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> esl_tokio::Result<()> {
/// use esl_tokio::ServerConfig;
///
/// // Port 0 picks a free port: the dialplan then says `socket <addr> async full`.
/// let server = esl_tokio::listen("127.0.0.1:0", ServerConfig::default()).await?;
/// let addr = server.local_addr()?;
/// assert!(addr.ip().is_loopback() && addr.port() != 0);
/// # Ok(())
/// # }
/// ```
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

/// A stream of events on tokio: see [`esl_async::EventStream`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> esl_tokio::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// # let client = esl_tokio::Client::connect_sim(
/// #     esl_tokio::Tokio,
/// #     &switch,
/// #     esl_tokio::ClientConfig::password("ClueCon"),
/// # ).await?;
/// use esl_tokio::{EventFormat, EventStream, Gap, Incoming};
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
/// # Ok(())
/// # }
/// ```
pub type EventStream = esl_async::EventStream<Tokio>;

/// An inbound connection on tokio: see [`esl_async::Client`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> esl_tokio::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// use esl_tokio::{Client, ClientConfig, Tokio};
///
/// // `esl_tokio::connect("127.0.0.1:8021", "ClueCon")` for a switch on the network; here the
/// // simulated one, in memory (feature `sim`).
/// let client = Client::connect_sim(Tokio, &switch, ClientConfig::password("ClueCon")).await?;
/// assert!(client.api("status").await?.contains("is ready"));
/// let uuid = client.originate("loopback/park", "&park").await?;
/// client.api(&format!("uuid_kill {uuid}")).await?;
/// client.close().await?;
/// # Ok(())
/// # }
/// ```
pub type Client = esl_async::Client<Tokio>;

/// The request API of a connection on tokio: see [`esl_async::Handle`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> esl_tokio::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// # let client = esl_tokio::Client::connect_sim(
/// #     esl_tokio::Tokio,
/// #     &switch,
/// #     esl_tokio::ClientConfig::password("ClueCon"),
/// # ).await?;
/// use esl_tokio::Handle;
///
/// /// Takes a client's connection and an outbound session's alike.
/// async fn uptime(handle: &Handle) -> esl_tokio::Result<String> {
///     let status = handle.api("status").await?;
///     Ok(status.lines().next().unwrap_or_default().to_owned())
/// }
///
/// assert!(uptime(client.handle()).await?.starts_with("UP "));
/// # Ok(())
/// # }
/// ```
pub type Handle = esl_async::Handle<Tokio>;

/// A `bgapi` job on tokio: see [`esl_async::Job`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> esl_tokio::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// # let client = esl_tokio::Client::connect_sim(
/// #     esl_tokio::Tokio,
/// #     &switch,
/// #     esl_tokio::ClientConfig::password("ClueCon"),
/// # ).await?;
/// // Returns once the switch accepted the command; it runs in the background.
/// let job = client.bgapi("status").await?;
/// println!("job {}", job.uuid());
/// // Its output, within the job timeout.
/// let output = job.await?;
/// assert!(output.contains("is ready"));
/// # Ok(())
/// # }
/// ```
pub type Job = esl_async::Job<Tokio>;

/// An outbound server on tokio: see [`esl_async::OutboundServer`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> esl_tokio::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// use esl_tokio::{OutboundServer, ServerConfig, Session, Tokio};
///
/// // `esl_tokio::listen("0.0.0.0:8084", ServerConfig::default()).await?` for a switch on the
/// // network; here the simulated one's `socket` application, in memory (feature `sim`).
/// let server = OutboundServer::bind_sim(Tokio, &switch, ServerConfig::default());
/// let stop = server.shutdown_handle();
/// let running = tokio::spawn(server.run(|session: Session| async move {
///     let _ = session.answer().await;
///     let _ = session.hangup(None).await;
/// }));
/// # use esl_sim::{InboundCall, Route};
/// # let call = switch.call(&InboundCall::new("1000", "5000").route(Route::Socket));
/// # while stop.handled_calls() == 0 { tokio::task::yield_now().await; }
/// // No new calls; `run` returns once the calls under way have ended.
/// stop.shutdown();
/// running.await.expect("the server's task")?;
/// # assert!(switch.applications(&call).contains(&("answer".into(), String::new())));
/// # Ok(())
/// # }
/// ```
pub type OutboundServer = esl_async::OutboundServer<Tokio>;

/// One call of an outbound server on tokio: see [`esl_async::Session`]. The handler
/// [`OutboundServer`] runs for each call takes one.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> esl_tokio::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// use esl_tokio::Session;
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
/// #     esl_tokio::OutboundServer::bind_sim(esl_tokio::Tokio, &switch, Default::default());
/// # let stop = server.shutdown_handle();
/// # let running = tokio::spawn(server.run(greet));
/// # use esl_sim::{InboundCall, Route};
/// # let call = switch.call(&InboundCall::new("1000", "5000").route(Route::Socket));
/// # while stop.handled_calls() == 0 { tokio::task::yield_now().await; }
/// # stop.shutdown();
/// # running.await.unwrap()?;
/// # assert!(switch.applications(&call).contains(&("set".into(), "greeted=1000".into())));
/// # Ok(())
/// # }
/// ```
pub type Session = esl_async::Session<Tokio>;

/// A channel and its session API on tokio: see [`esl_async::Channel`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> esl_tokio::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// # let client = esl_tokio::Client::connect_sim(
/// #     esl_tokio::Tokio,
/// #     &switch,
/// #     esl_tokio::ClientConfig::password("ClueCon"),
/// # ).await?;
/// use esl_tokio::Channel;
///
/// let uuid = client.originate("loopback/park", "&park").await?;
/// // A channel whose uuid the application already knows.
/// let channel = Channel::new(client.handle().clone(), uuid);
/// channel.set_variable("tenant", "acme").await?;
/// assert_eq!(channel.get_variable("tenant").await?.as_deref(), Some("acme"));
/// channel.hangup(None).await?;
/// # Ok(())
/// # }
/// ```
pub type Channel = esl_async::Channel<Tokio>;

/// Event handlers loaded into a [`Service`] on tokio: see [`esl_async::App`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> esl_tokio::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// use esl_tokio::{App, ClientConfig, Service, Tokio};
///
/// // Answers every call that parks.
/// let app = App::new().on("CHANNEL_PARK", |call| async move {
///     if let Some(channel) = call.channel() {
///         let _ = channel.answer().await;
///     }
/// });
/// let service = Service::new(Tokio);
/// service.add_sim_switch("pbx", &switch, ClientConfig::password("ClueCon")).await?;
/// service.load_default("answer", app).await?;
/// let call = switch.inbound_call("1000", "5000", &[]); // a call from the network, parked
/// # for _ in 0..5000 {
/// #     if switch.applications(&call).iter().any(|(a, _)| a == "answer") { break; }
/// #     tokio::time::sleep(std::time::Duration::from_millis(1)).await;
/// # }
/// assert!(switch.applications(&call).contains(&("answer".into(), String::new())));
/// # Ok(())
/// # }
/// ```
pub type App = esl_async::App<Tokio>;

/// Guards and regex routes to handlers, on tokio: see [`esl_async::Router`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> esl_tokio::Result<()> {
/// # let switch = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// use esl_tokio::{ClientConfig, Flow, Router, Service, Tokio};
///
/// let mut router = Router::new();
/// let busy = router.handler(|channel, _| async move {
///     channel.respond(486, Some("Busy Here")).await?;
///     Ok(Flow::Stop)
/// });
/// router.route(r"9\d{3}$", busy).expect("a valid pattern");
/// let service = Service::new(Tokio);
/// service.add_sim_switch("pbx", &switch, ClientConfig::password("ClueCon")).await?;
/// service.load_default("router", router.into_app()).await?;
/// let call = switch.inbound_call("5551234", "9001", &[]);
/// # for _ in 0..5000 {
/// #     if switch.applications(&call).iter().any(|(a, _)| a == "respond") { break; }
/// #     tokio::time::sleep(std::time::Duration::from_millis(1)).await;
/// # }
/// assert!(switch.applications(&call).contains(&("respond".into(), "486 Busy Here".into())));
/// # Ok(())
/// # }
/// ```
pub type Router = esl_async::Router<Tokio>;

/// One service over many switches, on tokio: see [`esl_async::Service`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> esl_tokio::Result<()> {
/// # let fs1 = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// # let fs2 = esl_sim::VirtualSwitch::new(esl_sim::Config::default());
/// use esl_tokio::{App, ClientConfig, Service, Tokio};
///
/// let service = Service::new(Tokio);
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
/// # Ok(())
/// # }
/// ```
pub type Service = esl_async::Service<Tokio>;

/// Connects to `addr` and authenticates with `password`, with the default configuration.
/// Cancel-safe, as [`esl_async::Client::connect`].
pub async fn connect(addr: impl Into<Address>, password: &str) -> Result<Client> {
    Client::connect(Tokio, addr, ClientConfig::password(password)).await
}

/// Connects to `addr` with `config`. Cancel-safe, as [`esl_async::Client::connect`].
pub async fn connect_with(addr: impl Into<Address>, config: ClientConfig) -> Result<Client> {
    Client::connect(Tokio, addr, config).await
}

/// Listens for the switch's outbound connections on `addr`. Cancel-safe: dropped before
/// it returns, it leaves no socket behind.
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
