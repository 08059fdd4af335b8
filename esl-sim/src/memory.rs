//! The switch in memory and on virtual time: no socket, no thread, no clock. A test opens
//! connections, writes the client's bytes, reads the switch's, and moves time on with
//! [`VirtualSwitch::advance`]; everything due by then happens, in order, at once.

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use crate::config::Config;
use crate::ids::ConnectionId;
use crate::network::InboundCall;
use crate::switch::{Output, Switch};

/// How many bytes a connection's client may have written that the switch has not read yet
/// (while it does not read: [`Fault::StopReading`](crate::Fault::StopReading), or an `api`
/// waiting for a far end). Like a socket's buffers: beyond it, writes take nothing.
pub const WRITE_WINDOW: usize = 256 * 1024;

/// Most bytes one [`VirtualSwitch::read`] returns.
const READ_CHUNK: usize = 256 * 1024;

/// An outbound socket the switch opened (the `socket` application), for the transport to
/// hand to an outbound server.
///
/// ```
/// use esl_sim::{Config, InboundCall, Route, VirtualSwitch};
///
/// let switch = VirtualSwitch::new(Config::default());
/// let uuid = switch.call(&InboundCall::new("1000", "5000").route(Route::Socket));
/// let accepted = switch.accept().expect("the socket application connected");
/// assert_eq!(accepted.channel, uuid);
/// switch.write(accepted.conn, b"connect\n\n").unwrap();
/// let reply = switch.read(accepted.conn).unwrap();
/// assert!(String::from_utf8_lossy(&reply).contains("Reply-Text: %2BOK"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Accepted {
    /// The connection: read and write it like any other.
    pub conn: ConnectionId,
    /// The channel it serves.
    pub channel: String,
    /// Where the dialplan asked to connect.
    pub target: String,
}

/// The client's side of one connection.
#[derive(Debug, Default)]
struct Pipe {
    /// Written by the client, not yet read by the switch.
    input: BytesMut,
    closed_by_switch: bool,
    closed_by_client: bool,
    read_waker: Option<Waker>,
    write_waker: Option<Waker>,
}

/// Called when anything a client may wait for happened (see [`VirtualSwitch::watch`]).
pub type Watcher = Arc<dyn Fn() + Send + Sync>;

struct Inner {
    switch: Switch,
    pipes: BTreeMap<ConnectionId, Pipe>,
    accepts: VecDeque<Accepted>,
    accept_waker: Option<Waker>,
    refuse_outbound: bool,
    /// Client timers on this clock, woken when it reaches their time.
    sleepers: Vec<(Duration, Waker)>,
    watchers: Vec<Watcher>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("switch", &self.switch)
            .field("pipes", &self.pipes.len())
            .field("sleepers", &self.sleepers.len())
            .finish()
    }
}

/// A simulated switch in memory, on virtual time. Cheap to clone (clones share the switch)
/// and usable from any thread; it owns no thread and reads no clock.
///
/// ```
/// use std::time::Duration;
/// use esl_sim::{Config, Outcome, VirtualSwitch};
///
/// let switch = VirtualSwitch::new(Config::default().seed(42));
/// switch.with(|s| s.set_default_outcome(Outcome::NoAnswer));
/// let conn = switch.connect();
/// switch.write(conn, b"auth ClueCon\n\napi originate sofia/gateway/gw/5551234 &park\n\n").unwrap();
/// # switch.read(conn);
/// // The far end rings; the originate gives up after its 60 seconds.
/// switch.advance(Duration::from_secs(59));
/// assert!(switch.read(conn).is_none_or(|b| !b.ends_with(b"-ERR NO_ANSWER\n")));
/// switch.advance(Duration::from_secs(1));
/// assert!(switch.read(conn).unwrap().ends_with(b"-ERR NO_ANSWER\n"));
/// ```
#[derive(Debug, Clone)]
pub struct VirtualSwitch {
    inner: Arc<Mutex<Inner>>,
    /// The instant virtual time zero stands for, so that clients that count in `Instant`s
    /// can share the clock.
    epoch: Instant,
}

impl VirtualSwitch {
    /// A switch at virtual time zero.
    pub fn new(config: Config) -> VirtualSwitch {
        VirtualSwitch {
            inner: Arc::new(Mutex::new(Inner {
                switch: Switch::new(config),
                pipes: BTreeMap::new(),
                accepts: VecDeque::new(),
                accept_waker: None,
                refuse_outbound: false,
                sleepers: Vec::new(),
                watchers: Vec::new(),
            })),
            epoch: Instant::now(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the switch (to set it up or to look at it), then lets the switch act on
    /// what changed. `f` must not use this `VirtualSwitch` (its lock is held).
    pub fn with<R>(&self, f: impl FnOnce(&mut Switch) -> R) -> R {
        let mut inner = self.lock();
        let result = f(&mut inner.switch);
        let wake = inner.settle();
        drop(inner);
        wake_all(wake);
        result
    }

    /// A client connects: its connection (the switch greets it with `auth/request`).
    pub fn connect(&self) -> ConnectionId {
        let mut inner = self.lock();
        let conn = inner.switch.open();
        inner.pipes.insert(conn, Pipe::default());
        let wake = inner.settle();
        drop(inner);
        wake_all(wake);
        conn
    }

    /// The client writes `bytes`. Returns how many the switch took: all of them while it
    /// reads, up to [`WRITE_WINDOW`] held back while it does not, 0 when that is full.
    /// Fails with `BrokenPipe` once the connection is closed.
    pub fn write(&self, conn: ConnectionId, bytes: &[u8]) -> io::Result<usize> {
        let mut inner = self.lock();
        let pipe = inner
            .pipes
            .get_mut(&conn)
            .filter(|p| !p.closed_by_switch && !p.closed_by_client)
            .ok_or_else(|| io::Error::from(io::ErrorKind::BrokenPipe))?;
        let room = WRITE_WINDOW.saturating_sub(pipe.input.len());
        let taken = bytes.len().min(room);
        pipe.input.extend_from_slice(&bytes[..taken]);
        let wake = inner.settle();
        drop(inner);
        wake_all(wake);
        Ok(taken)
    }

    /// [`write`](VirtualSwitch::write) for an async transport: `Pending` (and a wake-up
    /// later) while the switch takes nothing.
    pub fn poll_write(
        &self,
        conn: ConnectionId,
        cx: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.write(conn, bytes) {
            Ok(0) if !bytes.is_empty() => {
                let mut inner = self.lock();
                if let Some(pipe) = inner.pipes.get_mut(&conn) {
                    pipe.write_waker = Some(cx.waker().clone());
                }
                // Room may have appeared between the write and now.
                let room = inner
                    .pipes
                    .get(&conn)
                    .is_none_or(|p| p.input.len() < WRITE_WINDOW);
                drop(inner);
                if room {
                    cx.waker().wake_by_ref();
                }
                Poll::Pending
            }
            other => Poll::Ready(other),
        }
    }

    /// What the switch has written to `conn` since the last read; `None` when nothing is
    /// waiting (see [`is_closed`](VirtualSwitch::is_closed) for the end).
    pub fn read(&self, conn: ConnectionId) -> Option<Bytes> {
        let mut inner = self.lock();
        if inner.pipes.get(&conn).is_none_or(|p| p.closed_by_client) {
            return None;
        }
        let mut out = BytesMut::new();
        while out.len() < READ_CHUNK {
            let Some(bytes) = inner.switch.poll_transmit(conn) else {
                break;
            };
            if out.is_empty() && bytes.len() >= READ_CHUNK {
                out = BytesMut::from(&bytes[..]);
                break;
            }
            out.extend_from_slice(&bytes);
        }
        let wake = inner.settle();
        drop(inner);
        wake_all(wake);
        (!out.is_empty()).then(|| out.freeze())
    }

    /// [`read`](VirtualSwitch::read) for an async transport: the bytes, an empty buffer at
    /// the end of the connection, or `Pending` (and a wake-up when bytes arrive).
    pub fn poll_read(&self, conn: ConnectionId, cx: &mut Context<'_>) -> Poll<Bytes> {
        if let Some(bytes) = self.read(conn) {
            return Poll::Ready(bytes);
        }
        let mut inner = self.lock();
        if inner.is_closed(conn) {
            return Poll::Ready(Bytes::new());
        }
        if let Some(pipe) = inner.pipes.get_mut(&conn) {
            pipe.read_waker = Some(cx.waker().clone());
        }
        let ready = inner.switch.has_transmit(conn);
        drop(inner);
        if ready {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }

    /// Whether `conn` has ended: the switch closed it and everything it wrote was read, or
    /// the client closed it.
    pub fn is_closed(&self, conn: ConnectionId) -> bool {
        self.lock().is_closed(conn)
    }

    /// The client closes `conn`.
    pub fn close(&self, conn: ConnectionId) {
        let mut inner = self.lock();
        if let Some(pipe) = inner.pipes.get_mut(&conn) {
            pipe.closed_by_client = true;
            pipe.input.clear();
        }
        inner.switch.close(conn);
        let wake = inner.settle();
        drop(inner);
        wake_all(wake);
    }

    /// The next outbound socket the switch opened, if any.
    pub fn accept(&self) -> Option<Accepted> {
        self.lock().accepts.pop_front()
    }

    /// [`accept`](VirtualSwitch::accept) for an async transport.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<Accepted> {
        let mut inner = self.lock();
        match inner.accepts.pop_front() {
            Some(accepted) => Poll::Ready(accepted),
            None => {
                inner.accept_waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    /// While `refuse` is true, outbound sockets fail to connect, as they do when no
    /// outbound server listens.
    pub fn refuse_outbound(&self, refuse: bool) {
        self.lock().refuse_outbound = refuse;
    }

    /// The virtual time now.
    pub fn now(&self) -> Duration {
        self.lock().switch.now()
    }

    /// When the next timer is due (a playback ending, a far end answering, a heartbeat).
    pub fn next_timer(&self) -> Option<Duration> {
        self.lock().switch.poll_timeout()
    }

    /// Moves virtual time on by `by`, running every timer due on the way, each at its time,
    /// and waking the client timers ([`VirtualSwitch::poll_sleep_until`]) due by then.
    pub fn advance(&self, by: Duration) {
        let mut inner = self.lock();
        let to = inner.switch.now() + by;
        inner.advance_to(to);
        let mut wake = inner.settle();
        let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut inner.sleepers)
            .into_iter()
            .partition(|(at, _)| *at <= to);
        inner.sleepers = waiting;
        wake.extend(due.into_iter().map(|(_, waker)| waker));
        drop(inner);
        wake_all(wake);
    }

    /// The virtual time now as an `Instant`: the instant the switch was made, plus
    /// [`VirtualSwitch::now`]. Clients that count time in `Instant`s share the clock this
    /// way.
    pub fn instant(&self) -> Instant {
        self.epoch + self.now()
    }

    /// Ready once the virtual clock reaches `at` (an [`instant`](VirtualSwitch::instant));
    /// until then, wakes `cx` when [`advance`](VirtualSwitch::advance) passes it. A client's
    /// timer on this clock.
    pub fn poll_sleep_until(&self, at: Instant, cx: &mut Context<'_>) -> Poll<()> {
        let mut inner = self.lock();
        let at = at.saturating_duration_since(self.epoch);
        if inner.switch.now() >= at {
            return Poll::Ready(());
        }
        inner.sleepers.push((at, cx.waker().clone()));
        Poll::Pending
    }

    /// Calls `watcher` (from whichever thread moved the switch, without the switch's lock)
    /// after anything that may concern a client: bytes written to a connection, room made
    /// for its writes, an outbound socket opened, a connection ended, the clock moved. For
    /// transports that poll instead of registering wakers (a blocking reactor).
    pub fn watch(&self, watcher: Watcher) {
        self.lock().watchers.push(watcher);
    }

    /// A call arriving from the network. Returns its uuid.
    pub fn call(&self, call: &InboundCall) -> String {
        self.with(|s| s.inbound_call(call))
    }

    /// A call from `from` to `to` with channel variables `vars`, parked for a client to
    /// route. Returns its uuid.
    pub fn inbound_call(&self, from: &str, to: &str, vars: &[(&str, &str)]) -> String {
        let call = vars
            .iter()
            .fold(InboundCall::new(from, to), |c, (k, v)| c.var(*k, *v));
        self.call(&call)
    }

    /// The uuids of the channels alive.
    pub fn channels(&self) -> Vec<String> {
        self.lock().switch.channels()
    }

    /// Every application the channel ran, with its argument (see
    /// [`Switch::applications`]).
    pub fn applications(&self, uuid: &str) -> Vec<(String, String)> {
        self.lock().switch.applications(uuid)
    }
}

impl Inner {
    fn is_closed(&self, conn: ConnectionId) -> bool {
        match self.pipes.get(&conn) {
            None => true,
            Some(pipe) => {
                pipe.closed_by_client || (pipe.closed_by_switch && self.switch.has_ended(conn))
            }
        }
    }

    /// Runs the timers due by `to`, letting the switch act after each one at its time (an
    /// outbound socket connects, held-back input is read, when it happens).
    fn advance_to(&mut self, to: Duration) {
        loop {
            self.quiesce();
            let now = self.switch.now();
            match self.switch.poll_timeout() {
                Some(next) if next <= to && next > now => self.switch.handle_timeout(next),
                _ => break,
            }
        }
        self.switch.handle_timeout(to);
    }

    /// Lets the switch act on everything that changed, at the time it is now: timers due
    /// now, input it reads again, connections to open or close.
    fn quiesce(&mut self) {
        loop {
            self.switch.handle_timeout(self.switch.now());
            let fed = self.feed();
            let acted = self.settle_outputs();
            if !fed && !acted {
                break;
            }
        }
    }

    /// [`quiesce`](Inner::quiesce), then the wakers to wake (outside the lock) for what is
    /// ready now.
    fn settle(&mut self) -> Wake {
        self.quiesce();
        let mut wake = Vec::new();
        for (conn, pipe) in &mut self.pipes {
            let readable = self.switch.has_transmit(*conn)
                || (pipe.closed_by_switch && self.switch.has_ended(*conn));
            if readable {
                wake.extend(pipe.read_waker.take());
            }
            if pipe.input.len() < WRITE_WINDOW || pipe.closed_by_switch {
                wake.extend(pipe.write_waker.take());
            }
        }
        if !self.accepts.is_empty() {
            wake.extend(self.accept_waker.take());
        }
        // A connection that ended is forgotten (an unknown connection reads as closed).
        let switch = &self.switch;
        self.pipes.retain(|conn, pipe| {
            !(pipe.closed_by_client || (pipe.closed_by_switch && switch.has_ended(*conn)))
        });
        Wake {
            wakers: wake,
            watchers: self.watchers.clone(),
        }
    }

    /// Hands held-back input to the switch where it reads again. True if any was taken.
    fn feed(&mut self) -> bool {
        let mut fed = false;
        let ready: Vec<ConnectionId> = self
            .pipes
            .iter()
            .filter(|(conn, pipe)| !pipe.input.is_empty() && self.switch.is_reading(**conn))
            .map(|(conn, _)| *conn)
            .collect();
        for conn in ready {
            // One command at a time would be FreeSWITCH's pace; the whole buffer is the
            // same bytes, and the switch stops pulling commands itself when it must wait.
            if let Some(pipe) = self.pipes.get_mut(&conn) {
                let input = pipe.input.split().freeze();
                self.switch.receive(conn, &input);
                fed = true;
            }
        }
        fed
    }

    /// Acts on the switch's outputs. True if there were any.
    fn settle_outputs(&mut self) -> bool {
        let mut acted = false;
        while let Some(output) = self.switch.poll_output() {
            acted = true;
            match output {
                Output::Connect {
                    conn,
                    channel,
                    target,
                } => {
                    if self.refuse_outbound {
                        self.switch.connect_failed(conn);
                        continue;
                    }
                    self.pipes.insert(conn, Pipe::default());
                    self.switch.connected(conn);
                    self.accepts.push_back(Accepted {
                        conn,
                        channel,
                        target,
                    });
                }
                Output::Close { conn } => {
                    if let Some(pipe) = self.pipes.get_mut(&conn) {
                        pipe.closed_by_switch = true;
                        pipe.input.clear();
                    }
                }
            }
        }
        acted
    }
}

/// What to wake once the switch's lock is released.
struct Wake {
    wakers: Vec<Waker>,
    watchers: Vec<Watcher>,
}

impl Wake {
    fn extend(&mut self, wakers: impl IntoIterator<Item = Waker>) {
        self.wakers.extend(wakers);
    }
}

fn wake_all(wake: Wake) {
    for waker in wake.wakers {
        waker.wake();
    }
    for watcher in wake.watchers {
        watcher();
    }
}
