//! The sans-IO switch: every piece of simulated state, driven by bytes and time passed in.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use esl_proto::server;

use crate::channel::Channel;
use crate::conference::Conference;
use crate::config::{Config, Fault};
use crate::connection::{command_limits, Conn, Phase};
use crate::hangup::HangupOrder;
use crate::ids::{ConnectionId, Uuids};
use crate::inspect::History;
use crate::network::{InboundCall, Outcome};
use crate::originate::Dialing;
use crate::time::{Timer, TimerKey, Timers};

/// The captures' date, 2026-11-23 08:10:05 UTC: time zero on virtual time.
const VIRTUAL_EPOCH_MICROS: u64 = 1_795_421_405_000_000;

/// What the driver of a [`Switch`] must act on.
///
/// ```
/// use esl_sim::{Config, Output, Switch};
///
/// let mut switch = Switch::new(Config::default());
/// let conn = switch.open();
/// switch.receive(conn, b"exit\n\n");
/// assert_eq!(switch.poll_output(), Some(Output::Close { conn }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output {
    /// The `socket` application wants a connection to `target` (`host:port` as the dialplan
    /// wrote it) for `channel`. Connect, then call [`Switch::connected`] (the outbound
    /// socket then speaks through `conn` like any other connection) or
    /// [`Switch::connect_failed`].
    Connect {
        /// The connection, once connected.
        conn: ConnectionId,
        /// The channel it serves.
        channel: String,
        /// Where to connect.
        target: String,
    },
    /// Close `conn` once the bytes [`Switch::poll_transmit`] still hands out for it are
    /// written (for a drop, there are none left).
    Close {
        /// The connection.
        conn: ConnectionId,
    },
}

/// A simulated FreeSWITCH with no I/O of its own: the driver opens and closes connections,
/// passes each connection's bytes in, writes out what [`poll_transmit`](Switch::poll_transmit)
/// returns, acts on [`poll_output`](Switch::poll_output), and passes time in with
/// [`handle_timeout`](Switch::handle_timeout) when [`poll_timeout`](Switch::poll_timeout)
/// says. Every other input happens at the last time handed in.
///
/// ```
/// use std::time::Duration;
/// use esl_sim::{Config, Switch};
///
/// let mut switch = Switch::new(Config::default().seed(1));
/// let conn = switch.open();
/// assert_eq!(&switch.poll_transmit(conn).unwrap()[..], b"Content-Type: auth/request\n\n");
/// switch.receive(conn, b"auth ClueCon\n\nbgapi originate loopback/tone &park\n\n");
/// let mut wire = Vec::new();
/// while let Some(bytes) = switch.poll_transmit(conn) {
///     wire.extend_from_slice(&bytes);
/// }
/// assert!(String::from_utf8_lossy(&wire).contains("+OK Job-UUID"));
/// // The tone plays for three seconds, then the extension hangs up.
/// assert_eq!(switch.channels().len(), 2);
/// switch.handle_timeout(Duration::from_secs(4));
/// assert!(switch.channels().is_empty());
/// ```
pub struct Switch {
    pub(crate) config: Config,
    pub(crate) now: Duration,
    pub(crate) epoch_micros: u64,
    pub(crate) uuids: Uuids,
    pub(crate) core_uuid: String,
    pub(crate) seq: u64,
    pub(crate) globals: BTreeMap<String, String>,
    pub(crate) channels: BTreeMap<String, Channel>,
    pub(crate) conferences: BTreeMap<String, Conference>,
    pub(crate) conns: BTreeMap<ConnectionId, Conn>,
    pub(crate) next_conn: u64,
    pub(crate) timers: Timers,
    heartbeat_timer: Option<TimerKey>,
    pub(crate) outputs: VecDeque<Output>,
    pub(crate) faults: Vec<Fault>,
    pub(crate) history: History,
    pub(crate) dialing: BTreeMap<String, Dialing>,
    pub(crate) outcomes: BTreeMap<String, Outcome>,
    pub(crate) default_outcome: Outcome,
    pub(crate) socket_target: Option<SocketAddr>,
    pub(crate) blast_stream: Option<Bytes>,
    pub(crate) sessions_since_startup: u64,
    pub(crate) peak: u64,
    pub(crate) next_session: u64,
    /// Channels with applications to run next (see `run_queue`).
    pub(crate) queue_work: VecDeque<String>,
    pub(crate) draining_queues: bool,
    /// `conference_globals.id_pool`: member ids are switch-wide, recordings take one too.
    pub(crate) member_ids: u32,
    /// Names the files conferences play.
    pub(crate) file_ids: u64,
    /// The core database's `channels` table, as `show channels` lists it.
    pub(crate) channels_table: crate::core_db::ChannelsTable,
}

impl fmt::Debug for Switch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Switch")
            .field("now", &self.now)
            .field("core_uuid", &self.core_uuid)
            .field("channels", &self.channels.keys().collect::<Vec<_>>())
            .field("connections", &self.conns.keys().collect::<Vec<_>>())
            .field("timers", &self.timers.len())
            .field("faults", &self.faults)
            .finish_non_exhaustive()
    }
}

fn default_globals(config: &Config) -> BTreeMap<String, String> {
    [
        ("hostname", config.hostname.as_str()),
        ("local_ip_v4", "127.0.0.1"),
        ("domain", "127.0.0.1"),
        ("switch_serial", "esl-sim"),
        ("sound_prefix", "/usr/freeswitch/sounds/en/us/callie"),
        ("default_password", "1234"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

impl Switch {
    /// A switch at time zero, with nothing connected.
    pub fn new(config: Config) -> Switch {
        let mut uuids = Uuids::new(config.seed.unwrap_or(0));
        let core_uuid = uuids.next();
        let epoch_micros = config
            .epoch
            .map(|e| {
                e.duration_since(UNIX_EPOCH)
                    .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
                    .unwrap_or_default()
            })
            .unwrap_or(VIRTUAL_EPOCH_MICROS);
        let mut switch = Switch {
            globals: default_globals(&config),
            history: History::new(config.history_limit),
            socket_target: config.socket_target,
            now: Duration::ZERO,
            epoch_micros,
            uuids,
            core_uuid,
            seq: 0,
            channels: BTreeMap::new(),
            conferences: BTreeMap::new(),
            conns: BTreeMap::new(),
            next_conn: 1,
            timers: Timers::default(),
            heartbeat_timer: None,
            outputs: VecDeque::new(),
            faults: Vec::new(),
            dialing: BTreeMap::new(),
            outcomes: BTreeMap::new(),
            default_outcome: Outcome::answer(),
            blast_stream: None,
            sessions_since_startup: 0,
            peak: 0,
            next_session: 1,
            queue_work: VecDeque::new(),
            draining_queues: false,
            member_ids: 0,
            file_ids: 0,
            channels_table: crate::core_db::ChannelsTable::default(),
            config,
        };
        switch.schedule_heartbeat();
        switch
    }

    /// How it was set up.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// `Core-UUID`: this switch's own uuid.
    pub fn core_uuid(&self) -> &str {
        &self.core_uuid
    }

    // ---------- time ----------

    /// The switch's time: how long since it started, as far as the driver has said.
    pub fn now(&self) -> Duration {
        self.now
    }

    /// Moves the clock to `now` (never back) and runs everything due by then, in due order,
    /// each at its own time.
    pub fn handle_timeout(&mut self, now: Duration) {
        while let Some(due) = self.timers.next_due().filter(|due| *due <= now) {
            self.now = self.now.max(due);
            if let Some(timer) = self.timers.pop_due(self.now) {
                self.fire(timer);
            }
        }
        self.now = self.now.max(now);
    }

    /// When [`handle_timeout`](Switch::handle_timeout) should next be called: the next timer,
    /// or the next delayed reply. `None`: nothing is scheduled.
    pub fn poll_timeout(&self) -> Option<Duration> {
        let stalled = self.fault_is(|f| matches!(f, Fault::Stall));
        let release = self
            .conns
            .values()
            .filter(|_| !stalled)
            .filter_map(|c| c.out.next_release(self.now))
            .min();
        match (self.timers.next_due(), release) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn fire(&mut self, timer: Timer) {
        match timer {
            Timer::Heartbeat => {
                self.heartbeat_timer = None;
                self.fire_heartbeat();
                self.schedule_heartbeat();
            }
            Timer::PlaybackDone {
                uuid,
                app_uuid,
                file,
            } => self.playback_done(&uuid, &app_uuid, file),
            Timer::SleepDone { uuid, app_uuid } => self.sleep_done(&uuid, &app_uuid),
            Timer::LingerOver { conn } => {
                // The linger time is up: the switch says goodbye
                // (outbound_socket_linger_timeout).
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.linger_timer = None;
                }
                self.goodbye(conn);
            }
            Timer::ParkAfterConnect { uuid } => self.park_after_connect(&uuid),
            Timer::FarEnd { uuid } => self.far_end(&uuid),
            Timer::OriginateTimeout { uuid } => self.originate_timeout(&uuid),
            Timer::ConferenceFrame { conference } => self.conference_frame(&conference),
            Timer::ConferenceFile { conference, file } => self.file_ended(&conference, file),
            Timer::MemberLeaves { conference, member } => self.member_leaves(&conference, member),
            Timer::RecordingEnds { conference, member } => {
                self.recording_timer(&conference, member)
            }
        }
    }

    fn schedule_heartbeat(&mut self) {
        if let Some(interval) = self.config.heartbeat {
            // At least a millisecond apart, so that a zero interval cannot spin.
            let due = self.now + interval.max(Duration::from_millis(1));
            self.heartbeat_timer = Some(self.timers.at(due, Timer::Heartbeat));
        }
    }

    // ---------- connections ----------

    /// A client connected: its connection, greeted with `auth/request`.
    pub fn open(&mut self) -> ConnectionId {
        let id = ConnectionId(self.next_conn);
        self.next_conn += 1;
        self.conns.insert(id, Conn::new(None));
        self.send(id, server::encode_auth_request());
        id
    }

    /// Bytes the client sent on `conn`, in any split. Bytes that cannot be framed, or more
    /// buffered than a command may hold, end the connection.
    pub fn receive(&mut self, conn: ConnectionId, bytes: &[u8]) {
        let Some(c) = self.conns.get_mut(&conn).filter(|c| c.is_live()) else {
            return;
        };
        c.reader.push(bytes);
        if c.reader.buffered() > command_limits().max_buffered() {
            return self.finish(conn, true);
        }
        self.pump(conn);
    }

    /// The peer closed `conn`, or its socket failed: it is gone, and what it held is
    /// released (no [`Output::Close`] follows: it is already closed).
    pub fn close(&mut self, conn: ConnectionId) {
        match self.conns.get(&conn).map(|c| c.phase) {
            Some(Phase::Connecting) => return self.connect_failed(conn),
            Some(Phase::Open) => {
                self.finish(conn, true);
                self.outputs
                    .retain(|o| !matches!(o, Output::Close { conn: c } if *c == conn));
            }
            _ => {}
        }
        self.conns.remove(&conn);
    }

    /// The outbound socket asked for with [`Output::Connect`] is connected: the switch
    /// waits for its `connect` command.
    pub fn connected(&mut self, conn: ConnectionId) {
        self.socket_connected(conn);
    }

    /// The outbound socket could not be connected ("Socket Error!"): the `socket`
    /// application returns and the call's extension goes on.
    pub fn connect_failed(&mut self, conn: ConnectionId) {
        self.socket_connect_failed(conn);
    }

    /// The next bytes to write to `conn`, `None` when there is nothing (for now: delayed
    /// replies come due with time, and a [`Fault::Stall`] holds everything).
    pub fn poll_transmit(&mut self, conn: ConnectionId) -> Option<Bytes> {
        if self.fault_is(|f| matches!(f, Fault::Stall)) {
            return None;
        }
        let now = self.now;
        let c = self.conns.get_mut(&conn)?;
        let bytes = c.out.pop(now);
        if bytes.is_none() && c.phase == Phase::Closed && c.out.is_empty() {
            self.conns.remove(&conn);
        }
        bytes
    }

    /// What the driver must do next, oldest first.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// Whether [`poll_transmit`](Switch::poll_transmit) has bytes for `conn` now.
    pub fn has_transmit(&self, conn: ConnectionId) -> bool {
        !self.fault_is(|f| matches!(f, Fault::Stall))
            && self
                .conns
                .get(&conn)
                .is_some_and(|c| !c.out.is_empty() && c.out.next_release(self.now).is_none())
    }

    /// Whether `conn` has ended: closed (or unknown) with nothing left to write. The driver
    /// closes its socket then.
    pub fn has_ended(&self, conn: ConnectionId) -> bool {
        self.conns
            .get(&conn)
            .is_none_or(|c| c.phase == Phase::Closed && c.out.is_empty())
    }

    /// Whether `conn` is open (connecting or closed are not).
    pub fn is_open(&self, conn: ConnectionId) -> bool {
        self.conns.get(&conn).is_some_and(Conn::is_live)
    }

    /// Whether the switch reads what `conn` sends now. It does not while
    /// [`Fault::StopReading`] is set, while the connection waits for an `api` result
    /// (commands after it wait their turn), or while megabytes wait to be written to it (a
    /// client that does not read its replies). A driver stops reading the socket then, so
    /// that the client's writes back up as they would against FreeSWITCH.
    pub fn is_reading(&self, conn: ConnectionId) -> bool {
        !self.fault_is(|f| matches!(f, Fault::StopReading))
            && self
                .conns
                .get(&conn)
                .is_some_and(|c| c.is_live() && !c.blocked && !c.out.is_backed_up())
    }

    // ---------- control ----------

    /// Sets a fault. See [`Fault`].
    pub fn set_fault(&mut self, fault: Fault) {
        self.faults.push(fault);
    }

    /// Ends every fault.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// The faults set.
    pub fn faults(&self) -> &[Fault] {
        &self.faults
    }

    pub(crate) fn fault_is(&self, test: impl Fn(&Fault) -> bool) -> bool {
        self.faults.iter().any(test)
    }

    /// Removes a one-shot fault; true if it was set.
    pub(crate) fn take_fault(&mut self, test: impl Fn(&Fault) -> bool) -> bool {
        match self.faults.iter().position(test) {
            Some(at) => {
                self.faults.remove(at);
                true
            }
            None => false,
        }
    }

    /// Closes every connection at once, without a goodbye; each gets an [`Output::Close`].
    /// Channels live on, as they would in a switch whose event socket module was reloaded.
    pub fn kill_connections(&mut self) {
        let ids: Vec<ConnectionId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.phase != Phase::Closed)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.finish(id, true);
        }
    }

    /// Fires a HEARTBEAT (and its RE_SCHEDULE) now.
    pub fn heartbeat(&mut self) {
        self.fire_heartbeat();
    }

    /// Where the `socket` extension connects (an outbound server's address).
    pub fn set_socket_target(&mut self, target: SocketAddr) {
        self.socket_target = Some(target);
    }

    /// What the far end at `destination` does when dialled: `destination` is a whole dial
    /// string (`sofia/gateway/gw/5551234`) or the number it reaches (`5551234`).
    pub fn set_outcome(&mut self, destination: impl Into<String>, outcome: Outcome) {
        self.outcomes.insert(destination.into(), outcome);
    }

    /// What every other far end does (default: answer at once).
    pub fn set_default_outcome(&mut self, outcome: Outcome) {
        self.default_outcome = outcome;
    }

    /// A call arriving from the network. Returns its uuid.
    pub fn inbound_call(&mut self, call: &InboundCall) -> String {
        self.incoming(call)
    }

    /// The other end of `uuid` hangs up with `cause` (a caller giving up, a far end putting
    /// the phone down). False if there is no such live channel.
    pub fn hang_up(&mut self, uuid: &str, cause: &str) -> bool {
        if self.channels.get(uuid).is_none_or(|c| c.hung_up) {
            return false;
        }
        self.hangup(uuid, cause, HangupOrder::Killed);
        true
    }

    /// The far end being dialled on `uuid` answers now, whatever its [`Outcome`] said.
    /// False if `uuid` is not ringing.
    pub fn answer_far_end(&mut self, uuid: &str) -> bool {
        if !self.set_dialing_outcome(uuid, Outcome::answer()) {
            return false;
        }
        self.far_end(uuid);
        true
    }

    /// The stream `api sim_blast <n>` writes, `n` times: pre-encoded event messages, for
    /// benchmarks.
    pub fn set_blast(&mut self, stream: Bytes) {
        self.blast_stream = Some(stream);
    }
}
