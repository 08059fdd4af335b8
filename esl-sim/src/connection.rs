//! One connection's life in the switch: what it has asked for, what waits to be written to
//! it, and how it ends (a goodbye, a linger, or a drop).
//!
//! Like the listener thread in `mod_event_socket.c`, a connection writes a command's reply
//! before the events that the command itself caused: while a command runs (and while an
//! `api` call waits for a far end), what arrives for the connection is held, and it is
//! written after the reply, in order.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use esl_proto::server::{self, CommandReader};
use esl_proto::{Limits, Subscriptions};

use crate::config::Fault;
use crate::ids::ConnectionId;
use crate::switch::{Output, Switch};
use crate::time::{Timer, TimerKey};

/// `MAX_MISSED` in `mod_event_socket.c`: a listener that could not take this many events in
/// a row is killed (`if (++l->lost_events > MAX_MISSED) kill_listener(l, NULL)`).
const MAX_MISSED: u32 = 500;

/// What a connection still has to write: `bytes` at `release` (a delayed reply holds back
/// everything after it).
#[derive(Debug)]
enum Out {
    Bytes {
        release: Duration,
        bytes: Bytes,
        kind: Kind,
    },
    /// `api sim_blast <n>`: the same stream `left` more times, handed out one at a time so
    /// that a long blast costs no memory.
    Blast { stream: Bytes, left: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Event,
    Log,
    Other,
}

/// Unwritten bytes past which a connection is not read: FreeSWITCH's listener thread writes
/// each reply before it reads the next command, so a client that does not read its replies
/// stops being read too.
const MAX_UNWRITTEN: usize = 4 * 1024 * 1024;

/// The bytes waiting to be written to one connection.
#[derive(Debug, Default)]
pub(crate) struct OutQueue {
    items: VecDeque<Out>,
    last_release: Duration,
    events: usize,
    logs: usize,
    bytes: usize,
}

impl OutQueue {
    fn push(&mut self, at: Duration, bytes: Bytes, kind: Kind) {
        let release = at.max(self.last_release);
        self.last_release = release;
        self.bytes += bytes.len();
        match kind {
            Kind::Event => self.events += 1,
            Kind::Log => self.logs += 1,
            Kind::Other => {}
        }
        self.items.push_back(Out::Bytes {
            release,
            bytes,
            kind,
        });
    }

    /// The next bytes due at `now`.
    pub(crate) fn pop(&mut self, now: Duration) -> Option<Bytes> {
        match self.items.front_mut()? {
            Out::Bytes { release, .. } if *release > now => None,
            Out::Bytes { .. } => match self.items.pop_front() {
                Some(Out::Bytes { bytes, kind, .. }) => {
                    self.bytes -= bytes.len();
                    match kind {
                        Kind::Event => self.events -= 1,
                        Kind::Log => self.logs -= 1,
                        Kind::Other => {}
                    }
                    Some(bytes)
                }
                _ => None,
            },
            Out::Blast { stream, left } => {
                let stream = stream.clone();
                *left -= 1;
                if *left == 0 {
                    self.items.pop_front();
                }
                Some(stream)
            }
        }
    }

    /// When the first held-back bytes are due, if they are not yet.
    pub(crate) fn next_release(&self, now: Duration) -> Option<Duration> {
        match self.items.front()? {
            Out::Bytes { release, .. } if *release > now => Some(*release),
            _ => None,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether so much waits that the connection is not read until it drains.
    pub(crate) fn is_backed_up(&self) -> bool {
        self.bytes > MAX_UNWRITTEN
    }

    fn clear(&mut self) {
        self.items.clear();
        self.events = 0;
        self.logs = 0;
        self.bytes = 0;
    }
}

/// What arrives for a connection while it runs a command.
#[derive(Debug)]
pub(crate) enum Pending {
    Event(Bytes),
    Log(Bytes),
    /// The channel this connection controls has hung up.
    ChannelDown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// An outbound socket the driver is still connecting.
    Connecting,
    Open,
    /// Ended; what is queued is still written, then the connection is forgotten.
    Closed,
}

pub(crate) struct Conn {
    /// The channel an outbound socket serves.
    pub(crate) outbound: Option<String>,
    pub(crate) phase: Phase,
    pub(crate) authed: bool,
    /// Outbound: the `connect` command has been answered.
    pub(crate) connected: bool,
    pub(crate) full: bool,
    pub(crate) async_mode: bool,
    /// Outbound: `resume` was asked for, so the call goes on when the socket closes.
    pub(crate) resume: bool,
    pub(crate) subs: Subscriptions,
    /// The channel bound by `myevents <uuid>`, or the outbound socket's own channel.
    pub(crate) session: Option<String>,
    pub(crate) linger: Option<i64>,
    pub(crate) lingering: bool,
    pub(crate) linger_timer: Option<TimerKey>,
    pub(crate) log_level: Option<u8>,
    pub(crate) reader: CommandReader,
    pub(crate) out: OutQueue,
    /// `Some` while a command runs: what arrives meanwhile, written after its reply.
    pub(crate) held: Option<Vec<Pending>>,
    /// An `api` call waits for a far end: commands after it wait too.
    pub(crate) blocked: bool,
    pub(crate) lost_events: u32,
}

/// Commands up to 10 MiB are accepted, as FreeSWITCH reads them.
pub(crate) fn command_limits() -> Limits {
    Limits::default().max_header_block(10 * 1024 * 1024)
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("outbound", &self.outbound)
            .field("phase", &self.phase)
            .field("session", &self.session)
            .field("subs", &self.subs)
            .field("queued", &self.out.items.len())
            .finish_non_exhaustive()
    }
}

impl Conn {
    pub(crate) fn new(outbound: Option<String>) -> Conn {
        Conn {
            phase: if outbound.is_some() {
                Phase::Connecting
            } else {
                Phase::Open
            },
            authed: outbound.is_some(),
            session: outbound.clone(),
            outbound,
            connected: false,
            full: true,
            async_mode: true,
            resume: false,
            subs: Subscriptions::new(),
            linger: None,
            lingering: false,
            linger_timer: None,
            log_level: None,
            reader: CommandReader::new(command_limits()),
            out: OutQueue::default(),
            held: None,
            blocked: false,
            lost_events: 0,
        }
    }

    /// Open: it reads commands and receives events.
    pub(crate) fn is_live(&self) -> bool {
        self.phase == Phase::Open
    }

    fn held(&self) -> usize {
        self.held.as_ref().map_or(0, Vec::len)
    }
}

impl Switch {
    /// Routes something to a connection: held while it runs a command, queued otherwise.
    pub(crate) fn deliver(&mut self, id: ConnectionId, pending: Pending) {
        let limit = self.config.event_queue_len;
        let Some(conn) = self.conns.get_mut(&id).filter(|c| c.is_live()) else {
            return;
        };
        // switch_queue_trypush fails on a full queue: the event is lost and counted; past
        // MAX_MISSED the listener is killed.
        let full = conn.out.events + conn.held() >= limit;
        match pending {
            Pending::Event(_) if full => {
                conn.lost_events += 1;
                if conn.lost_events > MAX_MISSED {
                    self.finish(id, true);
                }
                return;
            }
            Pending::Log(_) if conn.out.logs + conn.held() >= limit => return,
            Pending::Event(_) => conn.lost_events = 0,
            _ => {}
        }
        if let Some(held) = conn.held.as_mut() {
            held.push(pending);
            return;
        }
        let now = self.now;
        match pending {
            Pending::Event(bytes) => conn.out.push(now, bytes, Kind::Event),
            Pending::Log(bytes) => conn.out.push(now, bytes, Kind::Log),
            Pending::ChannelDown => self.channel_down(id),
        }
    }

    /// Queues bytes that are not a reply (the greeting, notices): no reply fault applies.
    pub(crate) fn send(&mut self, id: ConnectionId, bytes: Bytes) {
        let now = self.now;
        if let Some(conn) = self.conns.get_mut(&id).filter(|c| c.is_live()) {
            conn.out.push(now, bytes, Kind::Other);
        }
    }

    /// Queues a reply, with whatever fault is set for replies. False if the connection ended.
    pub(crate) fn reply(&mut self, id: ConnectionId, bytes: Bytes) -> bool {
        if self.fault_is(|f| matches!(f, Fault::WithholdReplies)) {
            return true;
        }
        let bytes = if self.take_fault(|f| matches!(f, Fault::Garbage)) {
            Bytes::from_static(b"Content-Type: api/response\nContent-Length: -7\n\ngarbage")
        } else {
            bytes
        };
        if self.take_fault(|f| matches!(f, Fault::CloseMidReply)) {
            let half = (bytes.len() / 2).max(1).min(bytes.len());
            self.send(id, bytes.slice(..half));
            self.finish(id, false);
            return false;
        }
        let delay = self.faults.iter().find_map(|f| match f {
            Fault::DelayReplies(d) => Some(*d),
            _ => None,
        });
        let now = self.now;
        let Some(conn) = self.conns.get_mut(&id).filter(|c| c.is_live()) else {
            return false;
        };
        let at = match delay {
            Some(d) => now.max(conn.out.last_release) + d,
            None => now,
        };
        conn.out.push(at, bytes, Kind::Other);
        true
    }

    /// Starts holding what arrives for `id` (a command runs).
    pub(crate) fn hold(&mut self, id: ConnectionId) {
        if let Some(conn) = self.conns.get_mut(&id) {
            conn.held.get_or_insert_with(Vec::new);
        }
    }

    /// Writes what was held for `id`, in order, unless it still waits for an `api` result.
    pub(crate) fn release_held(&mut self, id: ConnectionId) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        if conn.blocked {
            return;
        }
        for pending in conn.held.take().unwrap_or_default() {
            self.deliver(id, pending);
        }
    }

    /// `api sim_blast <n>`: the configured stream `n` times.
    pub(crate) fn blast(&mut self, id: ConnectionId, times: usize) {
        let Some(stream) = self.blast_stream.clone() else {
            return;
        };
        if times == 0 || stream.is_empty() {
            return;
        }
        if let Some(conn) = self.conns.get_mut(&id).filter(|c| c.is_live()) {
            conn.out.items.push_back(Out::Blast {
                stream,
                left: times,
            });
        }
    }

    /// The disconnect notice, then the close (`exit`, a failed auth, the channel gone).
    pub(crate) fn goodbye(&mut self, id: ConnectionId) {
        let session = self.conns.get(&id).and_then(|c| c.session.clone());
        self.send(
            id,
            server::encode_disconnect_notice(session.as_deref(), server::GOODBYE),
        );
        self.finish(id, false);
    }

    /// Ends a connection: `abort` drops what it had still to write (a kill, a fault, a
    /// restart); otherwise that is written first. The driver is told to close it, and the
    /// channel it held may now be destroyed.
    pub(crate) fn finish(&mut self, id: ConnectionId, abort: bool) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        if conn.phase == Phase::Closed {
            if abort {
                conn.out.clear();
            }
            return;
        }
        let was = conn.phase;
        conn.phase = Phase::Closed;
        conn.held = None;
        conn.blocked = false;
        if abort {
            conn.out.clear();
        }
        let linger = conn.linger_timer.take();
        let bound = conn.session.clone();
        if let Some(key) = linger {
            self.timers.cancel(key);
        }
        self.outputs.push_back(Output::Close { conn: id });
        if let Some(uuid) = bound {
            if was == Phase::Connecting {
                self.socket_failed(&uuid);
            } else {
                self.release(&uuid, id);
            }
        }
    }

    /// The controlled channel hung up: linger (notice, then wait) or say goodbye.
    pub(crate) fn channel_down(&mut self, id: ConnectionId) {
        let Some(conn) = self.conns.get(&id).filter(|c| c.is_live()) else {
            return;
        };
        if conn.lingering {
            return;
        }
        let Some(linger) = conn.linger else {
            return self.goodbye(id);
        };
        let uuid = conn.session.clone().unwrap_or_default();
        let name = self
            .channels
            .get(&uuid)
            .map(|c| c.name.clone())
            .unwrap_or_default();
        let due = u64::try_from(linger)
            .ok()
            .map(|secs| self.now + self.config.scaled(Duration::from_secs(secs)));
        let key = due.map(|due| self.timers.at(due, Timer::LingerOver { conn: id }));
        if let Some(conn) = self.conns.get_mut(&id) {
            conn.lingering = true;
            conn.linger_timer = key;
        }
        self.send(id, server::encode_linger_notice(&uuid, &name, linger));
    }

    /// Runs the commands `id` has sent, as far as it can: not while it waits for an `api`
    /// result, and not after it ended. Bytes that cannot be framed end the connection.
    pub(crate) fn pump(&mut self, id: ConnectionId) {
        loop {
            let Some(conn) = self.conns.get_mut(&id) else {
                return;
            };
            if !conn.is_live() || conn.blocked {
                return;
            }
            match conn.reader.next_command() {
                Ok(Some(command)) => {
                    self.remember_command(id, &command);
                    self.hold(id);
                    self.command(id, &command);
                    self.release_held(id);
                }
                Ok(None) => return,
                Err(_) => return self.finish(id, true),
            }
        }
    }
}
