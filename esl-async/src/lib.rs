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
//! Each connection has one driver future (no task per event, no lock held across a round
//! trip): callers queue commands into the sans-IO [`esl_proto::Connection`] under a short
//! lock and wake the driver, which writes them, reads replies and events, and hands each
//! result to the request waiting for it. Replies are paired strictly in order, so any number
//! of tasks can pipeline requests on one connection.
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
//! # What it does not do
//!
//! It has no runtime of its own, and does not retry requests: after a reconnect, a request
//! that failed with [`Error::ConnectionClosed`] may or may not have run on the switch.

#![forbid(unsafe_code)]

mod client;
mod config;
mod driver;
mod error;
mod events;
mod handle;
mod outbound;
mod runtime;

pub use client::Client;
pub use config::{ClientConfig, Overflow, Reconnect, ServerConfig, SessionSetup};
pub use error::{Error, Result};
pub use events::{EventStream, Gap, Incoming};
pub use handle::{Handle, HandlerId, Job};
pub use outbound::{OutboundServer, Session, ShutdownHandle};
pub use runtime::{Listener, Runtime};

pub use esl_proto;
