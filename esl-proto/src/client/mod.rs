//! The client engine: everything a client decides, without I/O, threads or clocks.
//!
//! [`Connection`](crate::Connection) is one socket's protocol. The [`Engine`] is the client
//! above it, over every socket of the client's life: which caller a result goes to and what
//! it means (`-ERR` is an error for `api`, a job's result is its `BACKGROUND_JOB`), when each
//! request times out, the event streams with their overflow policy and the handlers, the
//! reconnect schedule with the replay of subscriptions, a deliberate close that never
//! reconnects, and an outbound session's setup. Time is passed in, quinn-proto style
//! ([`Engine::poll_timeout`], [`Engine::handle_timeout`]), so every decision is tested
//! without a socket and runs the same under tokio, async-std, smol, threads or virtual time.
//!
//! # The driving loop
//!
//! An adapter owns the socket, a timer and an `Engine<W, H>`, where `W` is what wakes a
//! request's caller and `H` an event handler, and repeats:
//!
//! 1. **Transport.** On [`Action::Connect`], open a socket to the switch and call
//!    [`Engine::connected`] or [`Engine::connect_failed`]; on [`Action::Disconnect`],
//!    write what is queued and close the socket.
//! 2. **Input.** Pass what the socket read to [`Engine::receive`], its end to
//!    [`Engine::receive_eof`] or [`Engine::receive_error`], and say when a read would block
//!    ([`Engine::read_blocked`]: an idle connection gives its buffers back). While
//!    [`Engine::wants_read`] is false (a stream is full under backpressure), do not read.
//! 3. **Time.** Sleep until [`Engine::poll_timeout`] at most, then call
//!    [`Engine::handle_timeout`].
//! 4. **Application.** [`Engine::send`] a command with the waiter of its caller and what it
//!    [`Expect`]s; [`Engine::cancel`] when the caller gives up; [`Engine::close`]. Streams:
//!    [`Engine::open_stream`], [`Engine::drain`], [`Engine::close_stream`]. Handlers:
//!    [`Engine::on`], [`Engine::off`]. An adapter whose callers share the engine under a
//!    lock gets the request steps from [`SharedEngine`].
//! 5. **Outputs.** Take [`Engine::poll_action`] until `None` and do each, in order: wake a
//!    waiter with its result, call handlers, act on the transport. Then wake the consumers
//!    of the streams [`Engine::take_woken`] names.
//! 6. **Transmit.** Write what [`Engine::poll_transmit`] returns.
//!
//! Events reach the streams as they are parsed, before the actions of the same input are
//! taken, so a caller woken with its reply finds in the streams every event that came
//! before the reply.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use esl_proto::client::{Action, ClientConfig, Engine, Error, Expect};
//! use esl_proto::Command;
//!
//! let start = Instant::now();
//! let config = ClientConfig::password("ClueCon").request_timeout(Duration::from_secs(5));
//! let mut engine: Engine<u32, ()> = Engine::inbound(config, start);
//! assert!(matches!(engine.poll_action(), Some(Action::Connect)));
//! engine.connected(start);
//! engine.receive(start, b"Content-Type: auth/request\n\n");
//! engine.receive(start, b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n");
//! assert!(matches!(engine.poll_action(), Some(Action::Ready(_))));
//!
//! // A request the switch never answers times out at its deadline, and only then.
//! engine.send(start, Command::api("status"), Expect::Api, None, 7).unwrap();
//! assert_eq!(engine.poll_timeout(), Some(start + Duration::from_secs(5)));
//! engine.handle_timeout(start + Duration::from_secs(4));
//! assert!(engine.poll_action().is_none());
//! engine.handle_timeout(start + Duration::from_secs(5));
//! assert!(matches!(engine.poll_action(), Some(Action::Done(7, Err(Error::Timeout(_))))));
//! ```
//!
//! # What it does not do
//!
//! - No I/O, no threads, no clock: the adapter opens sockets, sleeps and wakes.
//! - It does not retry requests: a request that failed because the connection was lost
//!   may or may not have run on the switch.
//! - It does not resolve names or choose addresses; [`Action::Connect`] means "the same
//!   switch again".

mod address;
mod call;
mod calls;
mod config;
mod counters;
mod engine;
mod error;
mod idle;
mod link;
mod outcome;
mod reader;
mod requests;
mod rng;
mod shared;
mod streams;
mod surface;

pub use address::Address;
pub use call::Call;
pub use calls::ChannelCalls;
pub use config::{ClientConfig, Overflow, Reconnect, ServerConfig, SessionSetup};
pub use counters::CallCounters;
pub use engine::{Action, Engine, Sent};
pub use error::{Error, Result};
pub use idle::RELEASE_AFTER;
pub use outcome::{Outcome, Step};
pub use reader::StreamReader;
pub use requests::Expect;
pub use rng::uuid_v4;
pub use shared::SharedEngine;
pub use streams::{Backlog, Drained, Gap, Incoming, StreamId, DRAIN_BYTES};

use crate::Response;

/// A job's output as its caller wants it: the text, or the switch's `-ERR ...` /
/// `-USAGE ...` as [`Error::Rejected`].
///
/// ```
/// use esl_proto::client::{job_output, Error};
/// use esl_proto::{Event, Response};
///
/// let done = Response::Job(Event::builder("BACKGROUND_JOB").body("+OK 1234\n").build());
/// assert_eq!(job_output(done).unwrap(), "+OK 1234\n");
/// let failed = Response::Job(Event::builder("BACKGROUND_JOB").body("-ERR NO_ANSWER\n").build());
/// assert!(matches!(job_output(failed), Err(Error::Rejected(t)) if t == "-ERR NO_ANSWER\n"));
/// ```
pub fn job_output(response: Response) -> Result<String> {
    if response.is_ok() {
        Ok(response.text())
    } else {
        Err(Error::Rejected(response.text()))
    }
}

/// The uuid of the channel an `originate` made (`+OK <uuid>`), or why it made none.
///
/// ```
/// use esl_proto::client::{originated, Error};
/// use esl_proto::{Event, Response};
///
/// let done = Response::Job(Event::builder("BACKGROUND_JOB").body("+OK 1b2c\n").build());
/// assert_eq!(originated(done).unwrap(), "1b2c");
/// let busy = Response::Job(Event::builder("BACKGROUND_JOB").body("-ERR USER_BUSY\n").build());
/// assert!(matches!(originated(busy), Err(Error::Rejected(t)) if t == "-ERR USER_BUSY\n"));
/// ```
pub fn originated(response: Response) -> Result<String> {
    let text = job_output(response)?;
    // Trimmed first, the text ends in a character that is not a space, so whatever follows
    // `+OK ` is never empty.
    match text.trim().strip_prefix("+OK ") {
        Some(uuid) => Ok(uuid.trim_start().to_owned()),
        None => Err(Error::Rejected(text)),
    }
}
