//! The event stream: one consumer's view of one of the engine's bounded streams, as a
//! blocking receiver and an [`Iterator`].

use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::Duration;

use esl_proto::client::{Incoming, StreamReader};

use crate::conn::Conn;
use crate::signal::{self, Signal};

/// A stream of what the switch sends that is not a reply: events, log lines, notices, and
/// gap markers ([`Incoming`]). Bounded; see [`Overflow`](crate::Overflow) for what happens
/// when it is full, and [`EventStream::dropped`] for how many events that cost.
///
/// Each [`events`](crate::Handle::events) call makes a new, independent stream; dropping it
/// closes it (the connection's subscriptions stay). As an [`Iterator`] it blocks for each
/// item and ends when the connection has closed for good and the stream is drained.
///
/// ```
/// # #[cfg(feature = "sim")]
/// # fn main() -> esl_blocking::Result<()> {
/// # let switch = esl_blocking::sim::VirtualSwitch::new(Default::default());
/// # let client =
/// #     esl_blocking::sim::connect(&switch, esl_blocking::ClientConfig::password("ClueCon"))?;
/// use esl_blocking::{EventFormat, Gap, Incoming};
///
/// // Opened before the subscription, so that no event is missed.
/// let mut events = client.events();
/// client.subscribe(EventFormat::Plain, &["CHANNEL_ANSWER"])?;
/// let uuid = client.originate("loopback/park", "&park")?;
/// for item in events.by_ref() {
///     match item {
///         Incoming::Event(event) if event.unique_id().as_deref() == Some(&uuid) => break,
///         Incoming::Gap(Gap::Lost(n)) => eprintln!("{n} events dropped"),
///         _ => {}
///     }
/// }
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "sim"))]
/// # fn main() {}
/// ```
///
/// # Waiting
///
/// [`recv`](EventStream::recv), [`next_event`](EventStream::next_event) and the
/// [`Iterator`] block with no timeout: until an item comes, or until the stream ends, which
/// is when the connection has closed for good ([`Client::close`](crate::Client::close) from
/// another thread, the last clone of the client dropped, or the connection lost with no
/// [`Reconnect`](crate::Reconnect) policy); with a policy, the stream lives on through
/// reconnections. [`recv_timeout`](EventStream::recv_timeout) waits at most its timeout,
/// and [`try_recv`](EventStream::try_recv) not at all. An item is only taken from the stream
/// when it is returned.
pub struct EventStream {
    reader: StreamReader<Conn>,
}

impl EventStream {
    pub(crate) fn open(conn: Arc<Conn>) -> EventStream {
        EventStream {
            reader: StreamReader::open(conn, Arc::new(Signal::default())),
        }
    }

    /// A stream of the call table's changes.
    pub(crate) fn open_changes(conn: Arc<Conn>) -> EventStream {
        EventStream {
            reader: StreamReader::open_changes(conn, Arc::new(Signal::default())),
        }
    }

    /// The next item, blocking; `None` once the connection is closed for good and the
    /// stream drained.
    pub fn recv(&mut self) -> Option<Incoming> {
        self.wait(None).ok()
    }

    /// The next item, blocking at most `timeout`: [`RecvTimeoutError::Timeout`] when nothing
    /// came in time, [`RecvTimeoutError::Disconnected`] once the stream has ended. The timeout
    /// runs on the system's clock, over a transport too: a simulated switch's virtual time
    /// does not move it.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Incoming, RecvTimeoutError> {
        self.wait(signal::deadline(timeout))
    }

    esl_proto::__event_stream_api!(()());

    fn wait(&mut self, deadline: Option<std::time::Instant>) -> Result<Incoming, RecvTimeoutError> {
        loop {
            if let Some(item) = self.reader.next_taken() {
                return Ok(item);
            }
            // Read before looking, so an item that arrives after the look ends the wait.
            let seen = self.reader.waker().generation();
            if let Some(item) = self.reader.try_recv() {
                return Ok(item);
            }
            if self.reader.is_ended() {
                return Err(RecvTimeoutError::Disconnected);
            }
            if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                return Err(RecvTimeoutError::Timeout);
            }
            self.reader.waker().wait_past(seen, deadline);
        }
    }
}

impl Iterator for EventStream {
    type Item = Incoming;

    fn next(&mut self) -> Option<Incoming> {
        self.recv()
    }
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("queued", &self.len())
            .field("dropped", &self.dropped())
            .finish()
    }
}
