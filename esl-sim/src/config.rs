//! How a simulated switch is set up, and the misbehaviour it can be asked for.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

/// How the simulated switch is set up.
///
/// Build it with the methods; the fields are public to read, and the struct is
/// `#[non_exhaustive]` so that a later version can add a setting without breaking anyone.
///
/// ```
/// use std::time::Duration;
/// use esl_sim::Config;
///
/// let config = Config::default().seed(7).heartbeat(Duration::from_secs(20));
/// assert_eq!(config.seed, Some(7));
/// assert_eq!(config.heartbeat, Some(Duration::from_secs(20)));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The `event_socket.conf.xml` password. Default `ClueCon`.
    pub password: String,
    /// `FreeSWITCH-Hostname` in events. Default `sim`.
    pub hostname: String,
    /// Multiplies every simulated call duration (playback, sleep, linger, ringing, originate
    /// timeouts). Default 1.0; tests on real time use less to run fast. Injected faults and
    /// heartbeats are not scaled.
    pub time_scale: f64,
    /// HEARTBEAT interval; `None` (the default) sends one only when asked
    /// ([`Switch::heartbeat`](crate::Switch::heartbeat)).
    pub heartbeat: Option<Duration>,
    /// Where the `socket` extension connects. `None` (the default): `127.0.0.1:8084`, as in
    /// the dialplan the captures were recorded with.
    pub socket_target: Option<SocketAddr>,
    /// Port the TCP driver listens on; 0 (the default) picks a free one.
    pub port: u16,
    /// Seeds every uuid the switch makes (channels, jobs, the core). The same seed and the
    /// same inputs give byte-identical output. `None` (the default): the TCP driver draws a
    /// fresh seed, as two real switches never share uuids; the sans-IO [`Switch`] and the
    /// in-memory driver use 0. Give each of several in-memory switches its own seed.
    ///
    /// [`Switch`]: crate::Switch
    pub seed: Option<u64>,
    /// The wall-clock date of time zero, for event dates. `None`: now for the TCP driver,
    /// 2026-11-23 08:10:05 UTC (the captures' date) for the sans-IO switch and virtual time.
    pub epoch: Option<SystemTime>,
    /// Events one connection may have waiting to be written before the switch drops new
    /// ones. Default 100,000 (`MAX_QUEUE_LEN` in `mod_event_socket.c`); a connection that
    /// loses more than 500 events in a row is closed, as FreeSWITCH closes it.
    pub event_queue_len: usize,
    /// How much the inspection API remembers: commands received, channels whose applications
    /// are kept after they are gone, and applications per channel. Default 100,000 each; the
    /// oldest are forgotten first.
    pub history_limit: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            password: "ClueCon".into(),
            hostname: "sim".into(),
            time_scale: 1.0,
            heartbeat: None,
            socket_target: None,
            port: 0,
            seed: None,
            epoch: None,
            event_queue_len: 100_000,
            history_limit: 100_000,
        }
    }
}

impl Config {
    /// The default configuration.
    pub fn new() -> Config {
        Config::default()
    }

    /// Sets [`Config::password`].
    pub fn password(mut self, password: impl Into<String>) -> Config {
        self.password = password.into();
        self
    }

    /// Sets [`Config::hostname`].
    pub fn hostname(mut self, hostname: impl Into<String>) -> Config {
        self.hostname = hostname.into();
        self
    }

    /// Sets [`Config::time_scale`].
    pub fn time_scale(mut self, scale: f64) -> Config {
        self.time_scale = scale;
        self
    }

    /// Sets [`Config::heartbeat`].
    pub fn heartbeat(mut self, interval: Duration) -> Config {
        self.heartbeat = Some(interval);
        self
    }

    /// Sets [`Config::socket_target`].
    pub fn socket_target(mut self, target: SocketAddr) -> Config {
        self.socket_target = Some(target);
        self
    }

    /// Sets [`Config::port`].
    pub fn port(mut self, port: u16) -> Config {
        self.port = port;
        self
    }

    /// Sets [`Config::seed`].
    pub fn seed(mut self, seed: u64) -> Config {
        self.seed = Some(seed);
        self
    }

    /// Sets [`Config::epoch`].
    pub fn epoch(mut self, epoch: SystemTime) -> Config {
        self.epoch = Some(epoch);
        self
    }

    /// Sets [`Config::event_queue_len`].
    pub fn event_queue_len(mut self, len: usize) -> Config {
        self.event_queue_len = len;
        self
    }

    /// Sets [`Config::history_limit`].
    pub fn history_limit(mut self, limit: usize) -> Config {
        self.history_limit = limit;
        self
    }

    /// `d` scaled by [`Config::time_scale`] (a scale that is not a finite positive number
    /// counts as 1).
    pub(crate) fn scaled(&self, d: Duration) -> Duration {
        if self.time_scale.is_finite() && self.time_scale > 0.0 {
            d.mul_f64(self.time_scale)
        } else {
            d
        }
    }

    /// The nominal length of a `scaled` duration `d` (what FreeSWITCH would report).
    pub(crate) fn unscaled(&self, d: Duration) -> Duration {
        if self.time_scale.is_finite() && self.time_scale > 0.0 {
            d.div_f64(self.time_scale)
        } else {
            d
        }
    }
}

/// Misbehaviour on demand. Several can be set at once;
/// [`Switch::clear_faults`](crate::Switch::clear_faults) ends them.
///
/// ```
/// use esl_sim::{Config, Fault, Switch};
///
/// let mut switch = Switch::new(Config::default());
/// switch.set_fault(Fault::WithholdReplies);
/// assert_eq!(switch.faults(), [Fault::WithholdReplies]);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Fault {
    /// The next reply is cut in half and the connection closed.
    CloseMidReply,
    /// Every reply waits this long first (and what follows it on the connection waits
    /// behind it).
    DelayReplies(Duration),
    /// Replies are not sent at all (the requests stay open).
    WithholdReplies,
    /// Nothing at all is written (replies, events) until cleared.
    Stall,
    /// The next reply is replaced by bytes that cannot be framed.
    Garbage,
    /// The switch stops reading what clients send, so their writes back up.
    StopReading,
}
