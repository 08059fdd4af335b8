//! The FreeSWITCH Event Socket protocol, without I/O.
//!
//! `esl-proto` turns bytes from a switch into messages, events and request results, and turns
//! commands into bytes, keeping the protocol's state in between: the auth or `connect`
//! handshake, the strict order in which replies answer commands, `bgapi` jobs, `execute`
//! completion, subscriptions and filters, disconnect and linger notices. It owns no socket,
//! thread, timer or clock, so the same code runs under tokio, async-std, smol, plain threads,
//! a fuzzer, or a test that replays recorded traffic.
//!
//! ```
//! use esl_proto::{Auth, Command, Connection, Output, Response};
//!
//! let mut conn = Connection::inbound(Auth::Password("ClueCon".into()));
//! let status = conn.send(Command::api("status")).unwrap(); // held until auth succeeds
//!
//! conn.receive(b"Content-Type: auth/request\n\n");
//! while let Some(_) = conn.poll_output().unwrap() {}
//! assert_eq!(&conn.poll_transmit().unwrap()[..], b"auth ClueCon\n\n");
//!
//! conn.receive(b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n");
//! conn.receive(b"Content-Type: api/response\nContent-Length: 6\n\nUP 0s\n");
//! let mut outputs = Vec::new();
//! while let Some(output) = conn.poll_output().unwrap() {
//!     outputs.push(output);
//! }
//! assert!(matches!(outputs[0], Output::Ready(_)));
//! assert!(matches!(&outputs[1], Output::Response { id, response: Response::Api(r) }
//!     if *id == status && r.text() == "UP 0s\n"));
//! assert_eq!(&conn.poll_transmit().unwrap()[..], b"api status\n\n");
//! ```
//!
//! # The driving loop
//!
//! An adapter owns a socket and a [`Connection`], and repeats:
//!
//! 1. **Input.** Pass whatever the socket read to [`Connection::receive`] (any split, any
//!    size; it never fails), or call [`Connection::receive_eof`] when the peer closed.
//! 2. **Commands.** Queue commands with [`Connection::send`]; keep the returned
//!    [`RequestId`] to match the result. [`Connection::cancel`] gives up on one (its late
//!    reply is consumed, never handed to the next request).
//! 3. **Outputs.** Call [`Connection::poll_output`] until it returns `Ok(None)`: the
//!    handshake ([`Output::Ready`]), each request's end ([`Output::Response`] or
//!    [`Output::Failed`], exactly one per id; [`Output::Accepted`] first for `bgapi` and
//!    waiting `execute`s), events, log lines, disconnect notices, and finally
//!    [`Output::Closed`]. Outputs are produced as messages are parsed, so an event is
//!    available as soon as its last byte arrived, whatever follows. An `Err` is fatal and
//!    sticky: it comes after every open request has failed, and again on every later call.
//! 4. **Transmit.** Write what [`Connection::poll_transmit`] returns to the socket (step 2
//!    and step 3 both queue bytes: commands, `auth`, re-subscriptions).
//!
//! Draining step 3 after each step 1 keeps memory bounded: only one incomplete message is
//! ever held, and [`Limits`] bounds it.
//!
//! # What it does not do
//!
//! - No I/O and no clock: a [`Connection`] has no notion of time, and the
//!   [`client::Engine`] above it is given the time (`handle_timeout(now)`) and says when it
//!   next needs it (`poll_timeout()`); adapters sleep.
//! - A [`Connection`] does not reconnect: it is one socket's life. The [`client::Engine`]
//!   reconnects by building a new one [`with_subscriptions`](Connection::with_subscriptions)
//!   of the old one.
//! - A [`Connection`] chooses no uuids: a client-chosen `Job-UUID` or `Event-UUID` is given
//!   in the command (the engine chooses them from its seeded generator); without one, jobs
//!   are matched by the uuid the switch returns and executes by their first
//!   `CHANNEL_EXECUTE`.
//! - It does not check a command against what the switch accepts beyond safety: an unknown
//!   `api` command is sent and its `-ERR` comes back as the result.
//!
//! # Other parts
//!
//! - [`client`]: the client engine over a [`Connection`], with every decision an adapter
//!   would otherwise make itself: request deadlines, what each reply means, event streams
//!   with their overflow policy, handlers, reconnecting, the outbound session's setup, the
//!   session API's commands. `esl-async` and `esl-blocking` are this engine plus I/O.
//! - [`Framer`], [`Headers`], [`Message`], [`Event`]: framing and parsing, usable alone.
//! - [`Command`]: every command the switch accepts, encoded exactly, line breaks refused.
//! - [`server`]: the switch's side, to build a simulated switch or a proxy.
//! - [`Subscriptions`]: the subscription model, with the switch's admission rules.
//!
//! # Call control
//!
//! The pure half of call control, so that it is tested on recorded events without a socket:
//!
//! - [`track`]: a [`Tracker`] fed every event keeps the channels, the calls (legs grouped)
//!   and the conferences with their members, and says what each event changed.
//! - [`route`]: a [`Router`] matches a parked call against guards and regex routes, in
//!   order, with per-route parameters and stop-on-true.
//! - [`dptools`]: typed commands for one channel (answer, bridge, playback, record, set,
//!   transfer, ...), every field checked like any other [`Command`].
//! - [`conference`]: a moderator's `conference` commands (list, mute, deaf, kick, lock, play,
//!   record, floor, volume, ...), checked the same way, and readers for the `list` replies.

#![forbid(unsafe_code)]

pub mod apps;
pub mod client;
mod command;
pub mod conference;
mod connection;
pub mod dptools;
mod error;
mod event;
mod event_name;
mod frame;
mod headers;
mod limits;
mod message;
pub mod route;
pub mod server;
mod subscriptions;
mod swar;
#[cfg(test)]
mod testing;
pub mod track;

#[doc(hidden)]
pub mod fuzzing;

#[doc(hidden)]
pub use tracing as __tracing;

pub use command::{
    ArgPlacement, CallCommand, Command, Execute, LogLevel, Password, RawCommand, SendEvent,
    SendMsg, Unicast,
};
pub use connection::{Auth, Connection, Output, Ready, RequestId, Response, Stats};
pub use error::{
    CloseReason, CommandError, Error, EventError, FrameError, RequestError, RouteError, SendError,
};
pub use event::{ChannelState, Event, EventBuilder, EventFormat};
pub use event_name::EventName;
pub use frame::{Frame, Framer};
pub use headers::{HeaderName, HeaderValue, Headers, ValueEncoding};
pub use limits::Limits;
pub use message::{
    ApiResponse, ContentType, DisconnectNotice, Disposition, LogLine, Message, Reply,
};
pub use route::{Dispatch, Flow, Router};
pub use subscriptions::{Filter, Subscriptions};
pub use track::{Call, Change, Channel, Conference, Member, Tracker, TrackerConfig};
