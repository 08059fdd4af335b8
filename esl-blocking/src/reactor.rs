//! The reactor: one thread that owns every socket of a client, or of an outbound server and
//! all its calls, under mio. It reads into each connection's engine, writes what the engine
//! queued, opens the sockets the engine asks for, sleeps until the nearest deadline, and
//! hands each result to the thread blocked on it. User code never runs here: handlers go to
//! the worker pool (see [`Strand`](crate::strand::Strand)).

use std::collections::BTreeSet;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use esl_proto::client::{Action, Error};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token, Waker};

use crate::transport::{Medium, Socket};

use crate::conn::{Conn, HandlerFn, Waiter};
use crate::server::Accepting;
use crate::signal::{lock, Signal};

const WAKER: Token = Token(0);
pub(crate) const LISTENER: Token = Token(1);
const FIRST_CONN: usize = 2;

/// Bytes per read.
const READ_SIZE: usize = 64 * 1024;
/// Reads per connection per turn, so one busy connection cannot starve the others.
const READ_BUDGET: usize = 16;

/// Wakes the reactor for one connection (or for the reactor itself).
#[derive(Clone)]
pub(crate) struct Notifier {
    shared: Arc<NotifyShared>,
    index: usize,
}

struct NotifyShared {
    waker: Waker,
    pending: Mutex<Vec<usize>>,
    /// The transport's connections may have something (see [`Transport::watch`]).
    ///
    /// [`Transport::watch`]: crate::Transport::watch
    memory: std::sync::atomic::AtomicBool,
}

impl Notifier {
    pub(crate) fn notify(&self) {
        lock(&self.shared.pending).push(self.index);
        if let Err(error) = self.shared.waker.wake() {
            tracing::error!(%error, "cannot wake the reactor");
        }
    }
}

/// Wakes a reactor from another thread to look at its listener (a shutdown).
#[derive(Clone)]
pub(crate) struct ReactorWaker(Arc<NotifyShared>);

impl ReactorWaker {
    pub(crate) fn wake(&self) {
        let _ = self.0.waker.wake();
    }
}

type EngineAction = Action<Waiter, HandlerFn>;

/// One connection's socket and what the reactor knows of it.
struct Entry {
    conn: Arc<Conn>,
    socket: Option<Socket>,
    /// Addresses still to try while connecting.
    connecting: Option<Vec<SocketAddr>>,
    readable: bool,
    writable: bool,
    writing: Option<(Bytes, usize)>,
    timer: Option<Instant>,
    finished: bool,
    /// An outbound call: its handler is started when the session is ready.
    call: Option<crate::server::CallStart>,
}

pub(crate) struct Reactor {
    poll: Poll,
    /// TCP and the system's clock, or a transport and its clock.
    medium: Medium,
    notify: Arc<NotifyShared>,
    entries: Vec<Option<Entry>>,
    free: Vec<usize>,
    timers: BTreeSet<(Instant, usize)>,
    pub(crate) accepting: Option<Accepting>,
    buf: Box<[u8]>,
    actions: Vec<EngineAction>,
    signals: Vec<Arc<Signal>>,
    again: Vec<usize>,
}

impl Reactor {
    pub(crate) fn new(medium: Medium) -> io::Result<Reactor> {
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), WAKER)?;
        let notify = Arc::new(NotifyShared {
            waker,
            pending: Mutex::new(Vec::new()),
            memory: std::sync::atomic::AtomicBool::new(false),
        });
        if let Medium::Memory(transport) = &medium {
            let notify = notify.clone();
            transport.watch(Arc::new(move || {
                notify
                    .memory
                    .store(true, std::sync::atomic::Ordering::Release);
                let _ = notify.waker.wake();
            }));
        }
        Ok(Reactor {
            poll,
            medium,
            notify,
            entries: Vec::new(),
            free: Vec::new(),
            timers: BTreeSet::new(),
            accepting: None,
            buf: vec![0; READ_SIZE].into_boxed_slice(),
            actions: Vec::new(),
            signals: Vec::new(),
            again: Vec::new(),
        })
    }

    pub(crate) fn registry(&self) -> &mio::Registry {
        self.poll.registry()
    }

    /// How this reactor gets connections and time.
    pub(crate) fn medium(&self) -> &Medium {
        &self.medium
    }

    pub(crate) fn waker(&self) -> ReactorWaker {
        ReactorWaker(self.notify.clone())
    }

    /// Connections open.
    pub(crate) fn len(&self) -> usize {
        self.entries.len() - self.free.len()
    }

    /// A slot for a new connection, and the notifier its callers wake the reactor with.
    pub(crate) fn reserve(&mut self) -> Notifier {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.entries.push(None);
                self.entries.len() - 1
            }
        };
        Notifier {
            shared: self.notify.clone(),
            index,
        }
    }

    /// Puts `conn` in the slot `notifier` names, on `socket` if it is already open.
    pub(crate) fn insert(
        &mut self,
        notifier: &Notifier,
        conn: Arc<Conn>,
        socket: Option<Socket>,
        call: Option<crate::server::CallStart>,
    ) -> io::Result<()> {
        let index = notifier.index;
        let mut entry = Entry {
            conn,
            socket: None,
            connecting: None,
            readable: false,
            writable: false,
            writing: None,
            timer: None,
            finished: false,
            call,
        };
        if let Some(mut socket) = socket {
            if let Socket::Tcp(tcp) = &mut socket {
                self.poll.registry().register(
                    tcp,
                    Token(index + FIRST_CONN),
                    Interest::READABLE | Interest::WRITABLE,
                )?;
            }
            entry.socket = Some(socket);
            entry.writable = true;
            entry.readable = true;
        }
        self.entries[index] = Some(entry);
        self.again.push(index);
        Ok(())
    }

    /// Runs until `done` says so, looked at after every turn.
    pub(crate) fn run(&mut self, mut done: impl FnMut(&mut Reactor) -> bool) {
        let mut events = Events::with_capacity(1024);
        let mut work: Vec<usize> = Vec::new();
        loop {
            if done(self) {
                return;
            }
            let now = self.medium.now();
            let timeout = if !self.again.is_empty() {
                Some(Duration::ZERO)
            } else if let Medium::Memory(_) = self.medium {
                // Virtual time moves only when the transport's clock does, and its watcher
                // wakes the reactor then.
                None
            } else {
                self.timers
                    .first()
                    .map(|(at, _)| at.saturating_duration_since(now))
            };
            if let Err(error) = self.poll.poll(&mut events, timeout) {
                if error.kind() != io::ErrorKind::Interrupted {
                    tracing::error!(%error, "the reactor cannot poll; it stops");
                    return;
                }
            }
            let now = self.medium.now();
            work.append(&mut self.again);
            if self
                .notify
                .memory
                .swap(false, std::sync::atomic::Ordering::AcqRel)
            {
                for (index, entry) in self.entries.iter_mut().enumerate() {
                    if let Some(entry) = entry
                        .as_mut()
                        .filter(|e| e.socket.as_ref().is_some_and(Socket::is_memory))
                    {
                        entry.readable = true;
                        entry.writable = true;
                        work.push(index);
                    }
                }
                if self.accepting.is_some() {
                    crate::server::accept_all(self);
                }
            }
            for event in events.iter() {
                match event.token() {
                    WAKER => {}
                    LISTENER => crate::server::accept_all(self),
                    Token(token) => {
                        let index = token - FIRST_CONN;
                        if let Some(Some(entry)) = self.entries.get_mut(index) {
                            if event.is_readable() || event.is_read_closed() || event.is_error() {
                                entry.readable = true;
                            }
                            if event.is_writable() || event.is_error() {
                                entry.writable = true;
                            }
                            work.push(index);
                        }
                    }
                }
            }
            work.append(&mut lock(&self.notify.pending));
            while let Some(&(at, index)) = self.timers.first() {
                if at > now {
                    break;
                }
                self.timers.pop_first();
                if let Some(Some(entry)) = self.entries.get_mut(index) {
                    entry.timer = None;
                    entry.conn.lock().handle_timeout(now);
                    work.push(index);
                }
            }
            work.sort_unstable();
            work.dedup();
            for index in work.drain(..) {
                self.drive(index, now);
            }
            if let Some(accepting) = self.accepting.as_mut() {
                accepting.after_turn();
                if accepting.take_starved() {
                    crate::server::accept_all(self);
                }
            }
        }
    }

    /// Does everything one connection can do now.
    fn drive(&mut self, index: usize, now: Instant) {
        let Some(Some(entry)) = self.entries.get_mut(index) else {
            return;
        };
        entry.conn.unqueue();
        if entry.connecting.is_some() && entry.writable {
            self.finish_connect(index, now);
        }
        for _ in 0..4 {
            let mut progress = self.write(index, now);
            progress |= self.read(index, now);
            progress |= self.act(index, now);
            if !progress {
                break;
            }
        }
        let Some(Some(entry)) = self.entries.get_mut(index) else {
            return;
        };
        if entry.finished {
            self.remove(index);
            return;
        }
        let next = entry.conn.lock().poll_timeout();
        if next != entry.timer {
            if let Some(old) = entry.timer.take() {
                self.timers.remove(&(old, index));
            }
            if let Some(at) = next {
                self.timers.insert((at, index));
            }
            entry.timer = next;
        }
    }

    /// Writes what the engine queued until the socket would block.
    fn write(&mut self, index: usize, now: Instant) -> bool {
        let Some(Some(entry)) = self.entries.get_mut(index) else {
            return false;
        };
        let mut progress = false;
        let failed = loop {
            let Some(socket) = entry.socket.as_mut() else {
                break None;
            };
            if !entry.writable || entry.connecting.is_some() {
                break None;
            }
            if entry.writing.is_none() {
                entry.writing = entry.conn.lock().poll_transmit().map(|b| (b, 0));
            }
            let Some((bytes, offset)) = entry.writing.as_mut() else {
                break None;
            };
            match socket.write(&bytes[*offset..]) {
                Ok(0) => break Some(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(n) => {
                    *offset += n;
                    progress = true;
                    if *offset == bytes.len() {
                        entry.writing = None;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    entry.writable = false;
                    break None;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Some(e),
            }
        };
        if let Some(error) = failed {
            self.drop_socket(index);
            self.with_engine(index, |e| e.receive_error(now, error));
            return true;
        }
        progress
    }

    /// Reads what arrived, while the engine wants it.
    fn read(&mut self, index: usize, now: Instant) -> bool {
        let mut progress = false;
        for _ in 0..READ_BUDGET {
            let Some(Some(entry)) = self.entries.get_mut(index) else {
                return progress;
            };
            if !entry.readable || entry.connecting.is_some() {
                return progress;
            }
            let Some(socket) = entry.socket.as_mut() else {
                return progress;
            };
            let size = {
                let engine = entry.conn.lock();
                if !engine.wants_read() {
                    return progress;
                }
                engine.read_size(READ_SIZE)
            };
            match socket.read(&mut self.buf[..size]) {
                Ok(0) => {
                    self.drop_socket(index);
                    self.with_engine(index, |e| e.receive_eof(now));
                    return true;
                }
                Ok(n) => {
                    let buf = std::mem::take(&mut self.buf);
                    self.with_engine(index, |e| e.receive(now, &buf[..n]));
                    self.buf = buf;
                    progress = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    entry.readable = false;
                    // Nothing more to read for now: if it stays so, what the engine keeps
                    // for the next messages goes back (an idle session keeps only its
                    // channel data).
                    entry.conn.lock().read_blocked(now);
                    return progress;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    self.drop_socket(index);
                    self.with_engine(index, |e| e.receive_error(now, error));
                    return true;
                }
            }
        }
        // Still readable: come back after the other connections had their turn.
        self.again.push(index);
        progress
    }

    /// Runs `f` on the connection's engine under its lock and collects what it decided.
    fn with_engine(&mut self, index: usize, f: impl FnOnce(&mut crate::conn::ClientEngine)) {
        let Some(Some(entry)) = self.entries.get(index) else {
            return;
        };
        let mut engine = entry.conn.lock();
        f(&mut engine);
        while let Some(action) = engine.poll_action() {
            self.actions.push(action);
        }
        engine.take_woken(&mut self.signals);
    }

    /// Takes the engine's actions and carries them out. True if there were any.
    fn act(&mut self, index: usize, now: Instant) -> bool {
        self.with_engine(index, |_| ());
        let progress = !self.actions.is_empty();
        for action in std::mem::take(&mut self.actions) {
            self.carry_out(index, action, now);
        }
        for signal in self.signals.drain(..) {
            signal.notify();
        }
        progress
    }

    fn carry_out(&mut self, index: usize, action: EngineAction, now: Instant) {
        let Some(Some(entry)) = self.entries.get_mut(index) else {
            return;
        };
        match action {
            Action::Accepted(waiter) => waiter.accept(),
            Action::Done(waiter, result) => waiter.complete(result),
            Action::Event { event, handlers } => {
                entry.conn.strand.submit(Box::new(move || {
                    for handler in handlers {
                        let call = std::panic::AssertUnwindSafe(|| handler(&event));
                        if std::panic::catch_unwind(call).is_err() {
                            tracing::error!(event = %event.name().as_str(), "event handler panicked");
                        }
                    }
                }));
            }
            Action::Ready(ready) => {
                entry.conn.ready.complete(Ok(ready.clone()));
                if let Some(call) = entry.call.take() {
                    call.start(entry.conn.clone(), ready);
                }
            }
            Action::Connect => self.start_connect(index, now),
            Action::Disconnect => self.drop_socket(index),
            Action::Finished(result) => {
                entry
                    .conn
                    .ready
                    .complete(Err(result.err().unwrap_or(Error::Closed)));
                entry.finished = true;
            }
            _ => {}
        }
    }

    fn start_connect(&mut self, index: usize, now: Instant) {
        if let Medium::Memory(transport) = &self.medium {
            match transport.connect() {
                Ok(duplex) => {
                    if let Some(Some(entry)) = self.entries.get_mut(index) {
                        entry.socket = Some(Socket::Memory(duplex));
                        entry.readable = true;
                        entry.writable = true;
                    }
                    self.with_engine(index, |e| e.connected(now));
                }
                Err(error) => self.with_engine(index, |e| e.connect_failed(now, error)),
            }
            return;
        }
        let Some(Some(entry)) = self.entries.get_mut(index) else {
            return;
        };
        // Names are resolved here, by the system: outside the engine's connect deadline.
        match entry.conn.peer.to_socket_addrs() {
            Ok(addrs) => {
                let mut addrs: Vec<SocketAddr> = addrs.collect();
                addrs.reverse();
                entry.connecting = Some(addrs);
                self.next_address(index, now, io::ErrorKind::NotFound.into());
            }
            Err(error) => self.with_engine(index, |e| e.connect_failed(now, error)),
        }
    }

    /// Tries the next address, or reports `last` if none is left.
    fn next_address(&mut self, index: usize, now: Instant, mut last: io::Error) {
        loop {
            let Some(Some(entry)) = self.entries.get_mut(index) else {
                return;
            };
            let Some(addr) = entry.connecting.as_mut().and_then(Vec::pop) else {
                entry.connecting = None;
                self.with_engine(index, |e| e.connect_failed(now, last));
                return;
            };
            let opened = TcpStream::connect(addr).and_then(|mut socket| {
                self.poll.registry().register(
                    &mut socket,
                    Token(index + FIRST_CONN),
                    Interest::READABLE | Interest::WRITABLE,
                )?;
                Ok(socket)
            });
            match opened {
                Ok(socket) => {
                    entry.socket = Some(Socket::Tcp(socket));
                    entry.readable = false;
                    entry.writable = false;
                    return;
                }
                Err(error) => last = error,
            }
        }
    }

    /// The socket being connected became writable: connected, or failed.
    fn finish_connect(&mut self, index: usize, now: Instant) {
        let Some(Some(entry)) = self.entries.get_mut(index) else {
            return;
        };
        let Some(Socket::Tcp(socket)) = entry.socket.as_ref() else {
            return;
        };
        let failed = match socket.take_error() {
            Ok(Some(error)) | Err(error) => Some(error),
            Ok(None) => match socket.peer_addr() {
                Ok(_) => None,
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    entry.writable = false;
                    return;
                }
                Err(error) => Some(error),
            },
        };
        match failed {
            Some(error) => {
                self.drop_socket(index);
                self.next_address(index, now, error);
            }
            None => {
                let _ = socket.set_nodelay(true);
                entry.connecting = None;
                entry.readable = true;
                self.with_engine(index, |e| e.connected(now));
            }
        }
    }

    fn drop_socket(&mut self, index: usize) {
        if let Some(Some(entry)) = self.entries.get_mut(index) {
            if let Some(Socket::Tcp(mut socket)) = entry.socket.take() {
                let _ = self.poll.registry().deregister(&mut socket);
            }
            entry.writing = None;
            entry.readable = false;
            entry.writable = false;
        }
    }

    fn remove(&mut self, index: usize) {
        self.drop_socket(index);
        if let Some(entry) = self.entries.get_mut(index).and_then(Option::take) {
            if let Some(at) = entry.timer {
                self.timers.remove(&(at, index));
            }
            entry.conn.ended.complete(());
            if let Some(accepting) = self.accepting.as_mut() {
                accepting.call_ended();
            }
        }
        self.free.push(index);
    }

    /// Ends every connection (the reactor is stopping, or its thread is unwinding): every
    /// waiter hears the end.
    pub(crate) fn abort_all(&mut self) {
        let now = self.medium.now();
        for index in 0..self.entries.len() {
            if self.entries[index].is_some() {
                self.with_engine(index, |e| e.abort(now));
                self.act(index, now);
                self.remove(index);
            }
        }
    }
}

impl Drop for Reactor {
    fn drop(&mut self) {
        self.abort_all();
    }
}
