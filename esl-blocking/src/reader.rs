//! The reader thread: one per connection. It owns reading: what the socket brings goes into
//! the protocol core, and each output to whoever waits for it (a request's slot, the
//! handlers, the event streams). It writes only what the core queued on its own (auth,
//! replayed subscriptions, commands held during a handshake), never waiting for the write
//! lock. When the connection is lost it fails every pending request at once and, with a
//! [`Reconnect`] policy, connects again with backoff and replays the subscriptions.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use esl_proto::Connection;

use crate::config::Reconnect;
use crate::error::{Error, Result};
use crate::events::Gap;
use crate::handle::{Shared, Work};
use crate::write::WRITE_SLICE;

/// Bytes per read: one chunk of events handed to the core at a time.
const READ_SIZE: usize = 64 * 1024;

/// How long the reader sleeps at most while an event stream is full (backpressure), before
/// it looks again (it is woken as soon as room is made).
const IDLE_CHECK: Duration = Duration::from_millis(250);

/// How one socket's life ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// The peer closed, the socket failed, or the protocol broke.
    Lost,
    /// The application closed it.
    Closed,
}

/// Opens a TCP connection to `addr` (names are resolved), within `limit`.
pub(crate) fn open(addr: &str, limit: Duration) -> Result<TcpStream> {
    let started = Instant::now();
    let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
    let mut last = io::Error::new(io::ErrorKind::NotFound, format!("{addr}: no address"));
    for candidate in addrs {
        let left = limit.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(Error::ConnectTimeout(limit));
        }
        match TcpStream::connect_timeout(&candidate, left) {
            Ok(stream) => {
                prepare(&stream)?;
                return Ok(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                return Err(Error::ConnectTimeout(limit))
            }
            Err(e) => last = e,
        }
    }
    Err(last.into())
}

/// Socket options every connection uses: no Nagle delay, and a send timeout so no write
/// blocks longer than [`WRITE_SLICE`].
pub(crate) fn prepare(stream: &TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_write_timeout(Some(WRITE_SLICE))
}

/// Starts the reader thread of `shared` on `stream`, in `span`. With `reconnect`, a lost
/// inbound connection is made again.
pub(crate) fn spawn(
    shared: Arc<Shared>,
    stream: TcpStream,
    span: tracing::Span,
    reconnect: Option<Reconnect>,
) -> io::Result<()> {
    shared.attach(Some(&stream));
    let thread = shared.clone();
    let handle = std::thread::Builder::new()
        .name("esl-reader".into())
        .spawn(move || {
            let _entered = span.entered();
            run(thread, stream, reconnect);
        })?;
    shared.set_reader(handle);
    Ok(())
}

/// Ends the connection however the thread ends, a panic included.
struct Finish(Arc<Shared>);

impl Drop for Finish {
    fn drop(&mut self) {
        self.0.finish();
    }
}

fn run(shared: Arc<Shared>, stream: TcpStream, reconnect: Option<Reconnect>) {
    let _finish = Finish(shared.clone());
    let mut buf = vec![0u8; READ_SIZE].into_boxed_slice();
    let mut work = Vec::new();
    let mut stream = stream;
    loop {
        let ended = drive(&shared, &mut stream, &mut buf, &mut work);
        let Some(policy) = reconnect.as_ref().filter(|_| ended == Ended::Lost) else {
            break;
        };
        if shared.is_shutting_down() {
            break;
        }
        match reconnect_with(&shared, policy) {
            Some(next) => stream = next,
            None => break,
        }
    }
    tracing::debug!(peer = %shared.peer, "connection ended");
}

/// Reads until the socket ends.
fn drive(shared: &Shared, stream: &mut TcpStream, buf: &mut [u8], work: &mut Vec<Work>) -> Ended {
    let ended = |shared: &Shared| {
        if shared.is_shutting_down() {
            Ended::Closed
        } else {
            Ended::Lost
        }
    };
    let mut read_timeout = None;
    // Outbound, the core queued `connect` at once.
    shared.reader_flush();
    loop {
        if shared.is_shutting_down() {
            return Ended::Closed;
        }
        hold_off(shared);
        // While bytes wait to be written, retry them, and wake up every slice to do so.
        if shared.is_backlogged() {
            shared.reader_flush();
        }
        let wanted = shared.is_backlogged().then_some(WRITE_SLICE);
        if wanted != read_timeout {
            if let Err(error) = stream.set_read_timeout(wanted) {
                tracing::debug!(%error, "cannot set the read timeout");
            }
            read_timeout = wanted;
        }
        match stream.read(buf) {
            Ok(0) => {
                shared.process(None, work);
                return ended(shared);
            }
            Ok(n) => {
                if let Some(error) = shared.process(Some(&buf[..n]), work) {
                    tracing::warn!(peer = %shared.peer, %error, "protocol error; connection dropped");
                    shared.shutdown_socket();
                    return ended(shared);
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(error) => {
                if !shared.is_shutting_down() {
                    tracing::debug!(peer = %shared.peer, %error, "socket read failed");
                }
                shared.process(None, work);
                return ended(shared);
            }
        }
    }
}

/// With [`Overflow::Backpressure`](crate::Overflow::Backpressure): stops reading while an
/// event stream is full, until its consumer makes room or the connection is shut down.
fn hold_off(shared: &Shared) {
    loop {
        let seen = shared.wake.generation();
        if shared.is_shutting_down() || !shared.backpressure() {
            return;
        }
        // Writes still go out while reading waits.
        if shared.is_backlogged() {
            shared.reader_flush();
        }
        let wait = if shared.is_backlogged() {
            WRITE_SLICE
        } else {
            IDLE_CHECK
        };
        shared.wake.wait_past(seen, wait);
    }
}

/// Waits `delay`, waking early if the connection is shut down. False if it was.
fn pause(shared: &Shared, delay: Duration) -> bool {
    let until = Instant::now() + delay;
    loop {
        let seen = shared.wake.generation();
        if shared.is_shutting_down() {
            return false;
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        shared.wake.wait_past(seen, left);
    }
}

/// Replaces the lost connection with a new one that replays the subscriptions, connecting
/// with backoff. `None` if the policy gave up or the client was closed meanwhile.
fn reconnect_with(shared: &Shared, policy: &Reconnect) -> Option<TcpStream> {
    // Requests made from now on wait in the new connection until it is ready.
    let subscriptions = shared.lock().conn.subscriptions().clone();
    let fresh = Connection::inbound(shared.config.auth.clone())
        .with_limits(shared.config.limits)
        .with_subscriptions(&subscriptions);
    shared.replace_connection(fresh);
    shared.attach(None);
    tracing::warn!(peer = %shared.peer, "connection lost; reconnecting");
    let mut attempt = 0;
    loop {
        if policy.max_attempts.is_some_and(|max| attempt >= max) {
            tracing::error!(peer = %shared.peer, attempts = attempt, "giving up reconnecting");
            return None;
        }
        if !pause(shared, policy.delay(attempt)) {
            return None;
        }
        match open(&shared.peer, shared.config.connect_timeout) {
            Ok(stream) => {
                if shared.is_shutting_down() {
                    return None;
                }
                shared.attach(Some(&stream));
                tracing::info!(peer = %shared.peer, "reconnected");
                shared.mark_gap(Gap::Reconnected);
                return Some(stream);
            }
            Err(error) => tracing::debug!(peer = %shared.peer, %error, "reconnect failed"),
        }
        attempt += 1;
    }
}
