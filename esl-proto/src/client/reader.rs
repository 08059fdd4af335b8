//! One consumer's end of one of the engine's streams, the same for every adapter: the items
//! taken out under the lock a batch at a time, the reading resumed when a full stream
//! drains, the stream closed when the consumer goes.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use super::{Incoming, SharedEngine, StreamId};

/// Items taken from the engine under one lock, at most: a consumer that keeps up takes a
/// whole read's worth at once instead of locking the connection once per event.
const BATCH: usize = 256;

/// One consumer's end of one of the engine's streams, over an adapter's [`SharedEngine`].
/// The adapter adds the waiting: it gives the stream a waker that the engine wakes when
/// items arrive, and waits on it when [`StreamReader::try_recv`] finds nothing and the
/// stream has not [ended](StreamReader::is_ended). Dropped, it closes the stream.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Instant;
/// use esl_proto::client::{ClientConfig, Engine, Incoming, SharedEngine, StreamReader};
/// use esl_proto::{server, Command, EventFormat};
///
/// # struct Conn(Mutex<Engine<u32, (), ()>>);
/// # impl SharedEngine for Conn {
/// #     type Waiter = u32;
/// #     type Handler = ();
/// #     type StreamWaker = ();
/// #     fn with_engine<T>(&self, f: impl FnOnce(&mut Engine<u32, (), ()>) -> T) -> T {
/// #         f(&mut self.0.lock().unwrap())
/// #     }
/// #     fn now(&self) -> Instant { Instant::now() }
/// #     fn wake_io(&self) {}
/// # }
/// let now = Instant::now();
/// let conn = Arc::new(Conn(Mutex::new(Engine::inbound(ClientConfig::password("ClueCon"), now))));
/// let mut events = StreamReader::open(conn.clone(), ());
/// conn.with_engine(|engine| {
///     engine.poll_action();
///     engine.connected(now);
///     engine.receive(now, &server::encode_auth_request());
///     engine.receive(now, &server::encode_command_reply("+OK accepted"));
///     let event = esl_proto::Event::builder("HEARTBEAT").build();
///     engine.receive(now, &server::encode_event(&event, EventFormat::Plain));
/// });
/// assert_eq!(events.len(), 1);
/// assert!(matches!(events.try_recv(), Some(Incoming::Event(e)) if e.is("HEARTBEAT")));
/// assert!(events.try_recv().is_none() && !events.is_ended());
/// ```
pub struct StreamReader<E: SharedEngine> {
    engine: Arc<E>,
    id: StreamId,
    waker: E::StreamWaker,
    /// Taken from the engine, not yet handed out.
    local: VecDeque<Incoming>,
    ended: bool,
}

impl<E: SharedEngine> StreamReader<E> {
    /// Opens an event stream, `waker` woken when items arrive.
    pub fn open(engine: Arc<E>, waker: E::StreamWaker) -> StreamReader<E> {
        let id = engine.with_engine(|e| e.open_stream(waker.clone()));
        StreamReader::with(engine, id, waker)
    }

    /// Opens a stream of the call table's changes (see [`Engine::open_change_stream`]), and
    /// wakes the I/O side: the table's own subscriptions and listing go out now.
    ///
    /// [`Engine::open_change_stream`]: super::Engine::open_change_stream
    pub fn open_changes(engine: Arc<E>, waker: E::StreamWaker) -> StreamReader<E> {
        let now = engine.now();
        let id = engine.with_engine(|e| e.open_change_stream(now, waker.clone()));
        engine.wake_io();
        StreamReader::with(engine, id, waker)
    }

    fn with(engine: Arc<E>, id: StreamId, waker: E::StreamWaker) -> StreamReader<E> {
        StreamReader {
            engine,
            id,
            waker,
            local: VecDeque::new(),
            ended: false,
        }
    }

    // ---- getters ----

    /// The connection's shared engine.
    pub fn engine(&self) -> &Arc<E> {
        &self.engine
    }

    /// What the engine wakes when items arrive.
    pub fn waker(&self) -> &E::StreamWaker {
        &self.waker
    }

    /// The stream has ended and everything it held was handed out: nothing more will come.
    pub fn is_ended(&self) -> bool {
        self.ended && self.local.is_empty()
    }

    /// Events dropped so far by the overflow policy.
    pub fn dropped(&self) -> u64 {
        self.engine.with_engine(|e| e.dropped(self.id))
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.local.len() + self.engine.with_engine(|e| e.queued(self.id))
    }

    /// True if nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // ---- taking items ----

    /// The next item already taken from the engine, without locking it.
    pub fn next_taken(&mut self) -> Option<Incoming> {
        self.local.pop_front()
    }

    /// The next item, taking a batch from the engine if none is left here; `None` if the
    /// stream holds nothing now (see [`StreamReader::is_ended`]). A stream that held the
    /// reading back (backpressure) and no longer does wakes the I/O side.
    pub fn try_recv(&mut self) -> Option<Incoming> {
        if self.local.is_empty() {
            let drained = self
                .engine
                .with_engine(|e| e.drain(self.id, &mut self.local, BATCH));
            if drained.resume_reading {
                self.engine.wake_io();
            }
            self.ended = drained.closed;
        }
        self.local.pop_front()
    }
}

impl<E: SharedEngine> Drop for StreamReader<E> {
    fn drop(&mut self) {
        self.engine.with_engine(|e| e.close_stream(self.id));
        // A full stream under backpressure held the reading back.
        self.engine.wake_io();
    }
}

impl<E: SharedEngine> fmt::Debug for StreamReader<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamReader")
            .field("queued", &self.len())
            .field("dropped", &self.dropped())
            .finish()
    }
}
