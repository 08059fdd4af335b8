//! FreeSWITCH's Event Socket over plain `std::net` and threads, with no async runtime: an
//! inbound [`Client`] and an [`OutboundServer`] for the switch's `socket` application.
//!
//! ```no_run
//! # fn demo() -> esl_blocking::Result<()> {
//! let client = esl_blocking::connect("127.0.0.1:8021", "ClueCon")?;
//! println!("{}", client.api("status")?);
//! let uuid = client.originate("loopback/park", "&park")?;
//! client.api(&format!("uuid_kill {uuid}"))?;
//! client.close()
//! # }
//! ```
//!
//! Every call blocks the calling thread until its result or its timeout. A [`Client`] is
//! `Clone + Send + Sync`: any number of threads may send requests on one connection at once,
//! and each gets its own reply. Run `cargo run -p esl-blocking --example blocking_quickstart`
//! for a tour against a simulated switch.
//!
//! The surface and the semantics are those of the async adapters (`esl-tokio`,
//! `esl-async-std`), with blocking methods: the same [`ClientConfig`], [`Error`],
//! [`Incoming`] items and overflow policies, because the protocol decisions are all made by
//! the same core, [`esl_proto::Connection`].
//!
//! # How it works
//!
//! Every decision is made by the sans-IO client engine, [`esl_proto::client::Engine`],
//! the same one the async adapters run: what a reply means, when a request times out, which
//! stream gets an event, when to reconnect, how an outbound session is set up. This crate
//! is the engine plus `std` sockets under [`mio`]:
//!
//! - One **reactor thread** owns every socket of a client (or, for an
//!   [`OutboundServer`], the listener and every call's socket, on the thread that calls
//!   [`OutboundServer::run`]): it reads into the engine, writes what the engine queued,
//!   sleeps until the engine's next deadline, and opens the sockets it asks for.
//! - **Callers block on their own result**, never on the socket: a request is handed to the
//!   engine under a short lock and its result is handed back by the reactor.
//! - **User code runs on a bounded worker pool**, never on the reactor: event handlers
//!   ([`Handle::on`]) run one at a time per connection, in order; outbound handlers run
//!   there too.
//!
//! - Every request has a timeout ([`ClientConfig`]); a request whose caller gave up is
//!   cancelled in the engine, and its late reply is discarded, never given to another.
//! - When the connection dies, every pending request fails at once with
//!   [`Error::ConnectionClosed`] (or [`Error::Io`] with the socket's error); with a
//!   [`Reconnect`] policy the engine reconnects with backoff, replays the subscriptions,
//!   filters and log level, and puts a [`Gap::Reconnected`] marker in the event streams.
//! - Event streams are bounded ([`ClientConfig::event_capacity`]) with a stated
//!   [`Overflow`] policy and a counter of dropped events; an [`EventStream`] is a blocking
//!   receiver and an [`Iterator`].
//! - `bgapi` jobs use a `Job-UUID` and `execute` an `Event-UUID` the engine chooses; both
//!   complete when the switch's event says so, and the connection subscribes to the events
//!   it needs if the application did not, for as long as it needs them.

//! # Call control
//!
//! The call-control layer of the async adapters, with the same names and semantics; every
//! call blocks, and handlers run on threads instead of tasks.
//!
//! - [`Channel`]: the session API over one channel (answer, hangup with a cause, bridge,
//!   park, playback, broadcast, record start and stop, one or many variables, respond with a
//!   SIP code, transfer, variable lookup), each waiting for the switch to have done it or in
//!   a `_nowait` form that returns once the switch accepted it. An outbound [`Session`]
//!   dereferences to one.
//! - [`App`]: handlers by event name, loaded into a [`Service`] under an id; a call
//!   originated with [`Service::originate`] belongs to that app (the [`APP_VARIABLE`]
//!   channel variable says so), calls nobody claimed go to the default app.
//! - [`Router`]: guards, regex routes with parameters and stop-on-true (the matching is
//!   [`esl_proto::route`]); [`Router::into_app`] makes it an app.
//! - [`Service`]: many switches, each reconnecting on its own, the same apps on all of
//!   them, every command sent back to the switch its event came from. Each switch has a
//!   dispatch thread; handlers run on a bounded worker pool
//!   ([`Service::DEFAULT_WORKERS`] threads and a queue of [`Service::DEFAULT_QUEUE`] by
//!   default, [`Service::with_pool`] to choose). When the pool is saturated the dispatch
//!   threads wait, and events wait in the switches' event streams; see
//!   [the worker pool](Service#the-worker-pool).
//!
//! `cargo run -p esl-blocking --example blocking_router` runs switchy's router over three
//! simulated switches.
//!
//! # What it does not do
//!
//! - It does not retry requests: after a reconnect, a request that failed with
//!   [`Error::ConnectionClosed`] may or may not have run on the switch.
//! - Name resolution is the system's, on the reactor thread, outside the connect timeout.
//! - No TLS (mod_event_socket has none either).

#![forbid(unsafe_code)]

mod app;
mod channel;
mod client;
mod conn;
mod events;
mod handle;
mod outbound;
mod pool;
mod reactor;
mod router;
mod server;
mod service;
mod signal;
#[cfg(feature = "sim")]
mod sim_transport;
mod strand;
mod table;
mod transport;

pub use app::{App, CallEvent, APP_VARIABLE};
pub use channel::Channel;
pub use client::Client;
pub use esl_proto::client::{
    Address, ClientConfig, Error, Expect, Gap, Incoming, Overflow, Reconnect, Result, ServerConfig,
    SessionSetup,
};
pub use events::EventStream;
pub use handle::{Handle, HandlerId, Job};
pub use outbound::{OutboundServer, Session, ShutdownHandle};
pub use router::{HandlerKey, RouteMatch, Router};
pub use service::Service;
pub use table::CallTable;
pub use transport::{Duplex, Transport, Watcher};

pub use esl_proto;

// What applications need next to `connect`, so that one `use` line serves an example: the
// event and command types, the call tracker, the dialplan tools, conference control and the
// router's route types.
pub use esl_proto::route::{Flow, Route};
pub use esl_proto::track::{self, Change, Tracker};
pub use esl_proto::{conference, dptools, Command, Event, EventFormat, EventName, RouteError};
pub use std::sync::mpsc::RecvTimeoutError;

/// Connects to `addr` and authenticates with `password`, with the default configuration.
pub fn connect(addr: impl Into<Address>, password: &str) -> Result<Client> {
    Client::connect(addr, ClientConfig::password(password))
}

/// Connects to `addr` with `config`.
pub fn connect_with(addr: impl Into<Address>, config: ClientConfig) -> Result<Client> {
    Client::connect(addr, config)
}

/// Listens for the switch's outbound connections on `addr`.
pub fn listen(addr: &str, config: ServerConfig) -> Result<OutboundServer> {
    OutboundServer::bind(addr, config)
}

/// Testing against the simulated switch in memory, on its virtual clock (feature `sim`):
/// the same [`Client`], [`Session`] and handlers as in production, no socket.
///
/// ```
/// use esl_blocking::sim::{self, Config, VirtualSwitch};
/// use esl_blocking::ClientConfig;
///
/// let switch = VirtualSwitch::new(Config::default());
/// let client = sim::connect(&switch, ClientConfig::password("ClueCon"))?;
/// assert!(client.api("status")?.contains("is ready"));
/// client.close()?;
/// # Ok::<(), esl_blocking::Error>(())
/// ```
#[cfg(feature = "sim")]
pub mod sim {
    pub use esl_sim::*;

    use crate::{Client, ClientConfig, OutboundServer, Result, ServerConfig};

    /// Connects to `switch` in memory.
    pub fn connect(switch: &VirtualSwitch, config: ClientConfig) -> Result<Client> {
        Client::connect_sim(switch, config)
    }

    /// Serves the outbound sockets `switch` opens, in memory.
    pub fn listen(switch: &VirtualSwitch, config: ServerConfig) -> Result<OutboundServer> {
        OutboundServer::bind_sim(switch, config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Client>();
        check::<Handle>();
        check::<Session>();
        check::<Channel>();
        check::<Service>();
        check::<App>();
        check::<Router>();
        check::<Job>();
        check::<OutboundServer>();
        check::<ShutdownHandle>();
        fn send<T: Send>() {}
        send::<EventStream>();
        send::<CallEvent>();
    }
}
