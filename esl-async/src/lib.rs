//! The async FreeSWITCH Event Socket client and outbound server, written once against
//! futures-io. Pick a runtime crate: `esl-tokio` or `esl-async-std` (smol works through the
//! latter's types); they bind this crate to their sockets, tasks and timers, so every
//! runtime gets the same [`Client`], [`Session`] and behaviour.
//!
//! ```ignore
//! // with esl-tokio:
//! let client = esl_tokio::connect("127.0.0.1:8021", "ClueCon").await?;
//! println!("{}", client.api("status").await?);
//! let uuid = client.originate("loopback/park", "&park").await?;
//! ```
//!
//! # How it works
//!
//! Every decision is made by the sans-IO client engine, [`esl_proto::client::Engine`]:
//! what a reply means, when a request times out, which stream gets an event, when to
//! reconnect, how an outbound session is set up. This crate is the engine plus futures-io:
//! each connection has one driver future (no task per event, no lock held across a round
//! trip) that reads into the engine, writes what it queued, sleeps until its next deadline,
//! opens the sockets it asks for, and wakes the tasks its results are for. Any number of
//! tasks pipeline requests on one connection.
//!
//! - Every request has a timeout ([`ClientConfig`]); a request whose caller gave up is
//!   cancelled in the core, and its late reply is discarded, never given to another.
//! - When the connection dies, every pending request fails at once with
//!   [`Error::ConnectionClosed`]; with a [`Reconnect`] policy the client reconnects with
//!   backoff, replays its subscriptions, filters and log level, and puts a
//!   [`Gap::Reconnected`] marker in its event streams.
//! - Event streams are bounded ([`ClientConfig::event_capacity`]) with a stated
//!   [`Overflow`] policy and a counter of dropped events.
//! - `bgapi` jobs use a client-chosen `Job-UUID`; `execute` uses a client-chosen
//!   `Event-UUID`. Both complete when the switch's event says so; the connection subscribes
//!   to the events it needs if the application did not.
//!
//! # Call control
//!
//! - [`Channel`]: the session API over one channel (answer, hangup with a cause, bridge,
//!   park, playback, broadcast, record start and stop, one or many variables, respond with a
//!   SIP code, transfer, variable lookup), each waiting for the switch to have done it or in
//!   a `_nowait` form. An outbound [`Session`] dereferences to one.
//! - [`App`]: handlers by event name, loaded into a [`Service`] under an id; a call
//!   originated with [`Service::originate`] belongs to that app (the [`APP_VARIABLE`]
//!   channel variable says so), calls nobody claimed go to the default app.
//! - [`Router`]: guards, regex routes with parameters and stop-on-true (the matching is
//!   [`esl_proto::route`]); [`Router::into_app`] makes it an app.
//! - [`Service`]: many switches, each reconnecting on its own, the same apps on all of
//!   them, every command sent back to the switch its event came from.
//!
//! `cargo run -p esl-tokio --example router` runs switchy's router over three simulated
//! switches; `--example proxy` bridges every parked call to its SIP request URI.
//!
//! # What it does not do
//!
//! It has no runtime of its own, and does not retry requests: after a reconnect, a request
//! that failed with [`Error::ConnectionClosed`] may or may not have run on the switch.

#![forbid(unsafe_code)]

mod app;
mod channel;
mod client;
mod driver;
mod events;
mod handle;
mod outbound;
mod router;
mod runtime;
mod service;
mod shared;
#[cfg(feature = "sim")]
mod sim;
mod slot;
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
pub use runtime::{Listener, Runtime};
pub use service::Service;
pub use table::CallTable;
pub use transport::{Duplex, Transport};

#[cfg(feature = "sim")]
pub use esl_sim;

pub use esl_proto;
pub use std::sync::mpsc::RecvTimeoutError;

// What applications need next to `connect`, so that one `use` line serves an example: the
// event and command types, the call tracker, the dialplan tools, conference control and the
// router's route types.
pub use esl_proto::route::{Flow, Route};
pub use esl_proto::track::{self, Change, Tracker};
pub use esl_proto::{conference, dptools, Command, Event, EventFormat, EventName, RouteError};
