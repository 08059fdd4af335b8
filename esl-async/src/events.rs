//! The event stream: one consumer's view of one of the engine's bounded streams.

use std::pin::Pin;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use esl_proto::client::{Incoming, StreamReader};
use futures_util::future::{self, Either};
use futures_util::task::AtomicWaker;
use futures_util::Stream;

use crate::runtime::Runtime;
use crate::shared::Shared;

/// A stream of what the switch sends that is not a reply: events, log lines, notices, and
/// gap markers ([`Incoming`]). Bounded; see [`Overflow`](crate::Overflow) for what happens
/// when it is full, and [`EventStream::dropped`] for how many events that cost.
///
/// Each [`events`](crate::Handle::events) call makes a new, independent stream. Dropping the
/// stream closes it (the connection's subscriptions stay).
///
/// ```no_run
/// # async fn demo<R: esl_async::Runtime>(client: esl_async::Client<R>) -> esl_async::Result<()> {
/// use esl_async::{EventFormat, Gap, Incoming};
///
/// // Opened before the subscription, so that no event is missed.
/// let mut events = client.events();
/// client.subscribe(EventFormat::Plain, &["CHANNEL_ANSWER", "CHANNEL_HANGUP"]).await?;
/// while let Some(item) = events.recv().await {
///     match item {
///         Incoming::Event(event) => println!("{} {:?}", event.name(), event.unique_id()),
///         Incoming::Gap(Gap::Lost(n)) => eprintln!("{n} events dropped"),
///         _ => {}
///     }
/// }
/// # Ok(())
/// # }
/// ```
///
/// # Waiting
///
/// Every receive method is cancel-safe: an item is only taken from the stream when it is
/// returned, so a [`recv`](EventStream::recv) dropped in a `select!` loses nothing
/// ([`next_event`](EventStream::next_event) discards the log lines, notices and gap markers
/// it passes over, returned or not). [`recv`](EventStream::recv) has no timeout: it waits
/// until an item comes or the stream ends, which is when the connection has closed for good
/// ([`Client::close`](crate::Client::close), the last clone of the client dropped, or the
/// connection lost with no [`Reconnect`](crate::Reconnect) policy); with a policy, the
/// stream lives on through reconnections.
pub struct EventStream<R: Runtime> {
    reader: StreamReader<Shared<R>>,
}

impl<R: Runtime> EventStream<R> {
    pub(crate) fn open(shared: Arc<Shared<R>>) -> EventStream<R> {
        let waker = Arc::new(AtomicWaker::new());
        EventStream {
            reader: StreamReader::open(shared, waker),
        }
    }

    /// A stream of the call table's changes.
    pub(crate) fn open_changes(shared: Arc<Shared<R>>) -> EventStream<R> {
        let waker = Arc::new(AtomicWaker::new());
        EventStream {
            reader: StreamReader::open_changes(shared, waker),
        }
    }

    /// The next item; `None` once the connection is closed for good and the stream drained.
    pub async fn recv(&mut self) -> Option<Incoming> {
        future::poll_fn(|cx| self.poll_item(cx)).await
    }

    /// The next item, waiting at most `timeout` (on the runtime's clock, or the simulated
    /// switch's): [`RecvTimeoutError::Timeout`] when nothing came in time,
    /// [`RecvTimeoutError::Disconnected`] once the stream has ended. The blocking adapter's
    /// `recv_timeout` does the same, but always on the system's clock. Cancel-safe, as every
    /// receive method is.
    ///
    /// ```no_run
    /// # async fn demo(client: esl_async::Client<impl esl_async::Runtime>) {
    /// use std::time::Duration;
    /// use esl_async::{Incoming, RecvTimeoutError};
    ///
    /// let mut events = client.events();
    /// match events.recv_timeout(Duration::from_secs(5)).await {
    ///     Ok(Incoming::Event(event)) => println!("{}", event.name()),
    ///     Ok(_) => {}
    ///     Err(RecvTimeoutError::Timeout) => println!("quiet for 5 s"),
    ///     Err(RecvTimeoutError::Disconnected) => println!("closed for good"),
    /// }
    /// # }
    /// ```
    pub async fn recv_timeout(&mut self, timeout: Duration) -> Result<Incoming, RecvTimeoutError> {
        let shared = self.reader.engine();
        let sleep = shared.medium.sleep(&shared.runtime, timeout);
        let next = future::poll_fn(|cx| self.poll_item(cx));
        match future::select(Box::pin(next), sleep).await {
            Either::Left((Some(item), _)) => Ok(item),
            Either::Left((None, _)) => Err(RecvTimeoutError::Disconnected),
            Either::Right(_) => Err(RecvTimeoutError::Timeout),
        }
    }

    esl_proto::__event_stream_api!((async) (.await));

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Incoming>> {
        if let Some(item) = self.reader.next_taken() {
            return Poll::Ready(Some(item));
        }
        // Registered before looking, so an item that arrives after the look wakes this task.
        self.reader.waker().register(cx.waker());
        match self.reader.try_recv() {
            Some(item) => Poll::Ready(Some(item)),
            None if self.reader.is_ended() => Poll::Ready(None),
            None => Poll::Pending,
        }
    }
}

impl<R: Runtime> Stream for EventStream<R> {
    type Item = Incoming;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Incoming>> {
        self.get_mut().poll_item(cx)
    }
}

impl<R: Runtime> std::fmt::Debug for EventStream<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("queued", &self.len())
            .field("dropped", &self.dropped())
            .finish()
    }
}
