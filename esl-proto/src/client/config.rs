//! How a client or an outbound server behaves: timeouts, the event queue, reconnecting.

use std::time::Duration;

use crate::{Auth, Command, Limits, Password};

/// What the event stream does when the application does not keep up.
///
/// ```
/// use esl_proto::client::{ClientConfig, Overflow};
///
/// let config = ClientConfig::password("ClueCon").overflow(Overflow::DropOldest);
/// assert_eq!(config.overflow, Overflow::DropOldest);
/// ```
///
/// FreeSWITCH itself queues up to 100,000 events per connection and drops the listener once
/// 500 more are lost, so a consumer that falls behind has to be seen, not silently starved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Overflow {
    /// Events that do not fit are dropped and counted; a [`Gap`](super::Incoming::Gap) marker
    /// stands where they would have been. The connection keeps working: replies and jobs are
    /// never held up by a slow event consumer. The default.
    #[default]
    DropNewest,
    /// The oldest queued events make room and are counted; a gap marker takes their place.
    DropOldest,
    /// Stop reading the socket while the queue is full (TCP pushes back to the switch, whose
    /// own queue then fills). Nothing is lost, but replies wait behind unread events, so a
    /// task that awaits a request while nobody reads the stream would wait for its timeout.
    Backpressure,
}

/// Reconnecting after the connection is lost, with exponential backoff and jitter.
///
/// ```
/// use std::time::Duration;
/// use esl_proto::client::Reconnect;
///
/// let policy = Reconnect::default().initial(Duration::from_millis(50)).max_attempts(Some(5));
/// assert_eq!(policy.delay_with(0, 0.5), Duration::from_millis(50));
/// assert!(policy.delay_with(3, 0.5) > policy.delay_with(2, 0.5));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Reconnect {
    /// The first wait. Default 100 ms.
    pub initial: Duration,
    /// The longest wait. Default 30 s.
    pub max: Duration,
    /// Each failed attempt multiplies the wait by this. Default 2.
    pub multiplier: f64,
    /// Each wait is spread by up to this fraction either way, so clients that lost the same
    /// switch do not all come back at once. Default 0.2.
    pub jitter: f64,
    /// Give up after this many failed attempts in a row (`None`: never).
    pub max_attempts: Option<u32>,
}

impl Default for Reconnect {
    fn default() -> Self {
        Reconnect {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(30),
            multiplier: 2.0,
            jitter: 0.2,
            max_attempts: None,
        }
    }
}

impl Reconnect {
    /// The wait before attempt `attempt` (0-based), jittered by `sample`, a number in
    /// `[0, 1)` (0.5 is no jitter): the engine draws it from its seeded generator, so a
    /// schedule can be replayed.
    pub fn delay_with(&self, attempt: u32, sample: f64) -> Duration {
        let base = self.initial.as_secs_f64() * self.multiplier.powi(attempt.min(64) as i32);
        let capped = base.min(self.max.as_secs_f64());
        let spread = 1.0 + self.jitter * (sample.clamp(0.0, 1.0) * 2.0 - 1.0);
        let secs = (capped * spread).max(0.0);
        Duration::try_from_secs_f64(secs).unwrap_or(self.max)
    }

    /// Sets the first wait.
    pub fn initial(mut self, wait: Duration) -> Reconnect {
        self.initial = wait;
        self
    }

    /// Sets the longest wait.
    pub fn max(mut self, wait: Duration) -> Reconnect {
        self.max = wait;
        self
    }

    /// Sets the factor each failed attempt multiplies the wait by.
    pub fn multiplier(mut self, factor: f64) -> Reconnect {
        self.multiplier = factor;
        self
    }

    /// Sets the spread of each wait, a fraction either way.
    pub fn jitter(mut self, fraction: f64) -> Reconnect {
        self.jitter = fraction;
        self
    }

    /// Gives up after this many failed attempts in a row (`None`: never).
    pub fn max_attempts(mut self, attempts: Option<u32>) -> Reconnect {
        self.max_attempts = attempts;
        self
    }
}

/// A client's configuration. Build one with [`ClientConfig::password`] or
/// [`ClientConfig::user`], then adjust it with the builder methods.
///
/// ```
/// use std::time::Duration;
/// use esl_proto::client::{ClientConfig, Overflow, Reconnect};
///
/// let config = ClientConfig::password("ClueCon")
///     .request_timeout(Duration::from_secs(5))
///     .event_capacity(4096)
///     .event_bytes(1 << 20)
///     .overflow(Overflow::DropNewest)
///     .reconnect(Reconnect::default());
/// assert_eq!(config.request_timeout, Duration::from_secs(5));
/// assert!(!format!("{config:?}").contains("ClueCon"));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// How to authenticate.
    pub auth: Auth,
    /// How long an `api` or any command waits for its reply. Default 30 s.
    pub request_timeout: Duration,
    /// How long a `bgapi` job waits for its result. Default 120 s (an `originate` rings for
    /// up to 60 s by default).
    pub job_timeout: Duration,
    /// How long an `execute` waits for its application to complete. Default 1 hour.
    pub execute_timeout: Duration,
    /// How long connecting and authenticating may take. Default 10 s.
    pub connect_timeout: Duration,
    /// Events (and log lines) each event stream holds before [`ClientConfig::overflow`]
    /// applies. Default 16,384: enough for a burst of a busy switch's channel events.
    pub event_capacity: usize,
    /// Bytes of events each event stream holds before [`ClientConfig::overflow`] applies,
    /// counted as [`Event::held_bytes`](crate::Event::held_bytes) (an event's text and
    /// index); whichever of this and [`ClientConfig::event_capacity`] is reached first. A
    /// stream below it takes one more item, however large. Default 2 MiB: about 900
    /// channel events of 2.2 KB, or 28 of the 72 KB ones (a call with a long variable);
    /// a tenth of a second of a busy switch's events (1,000 calls a second, 20 events a
    /// call), where 16,384 such events would hold 36 MiB to 1.2 GiB. A client receiving a
    /// blast of events then stays under 8 MiB resident.
    pub event_bytes: usize,
    /// What a full event stream does. Default [`Overflow::DropNewest`].
    pub overflow: Overflow,
    /// Reconnect when the connection is lost (not when it is closed on purpose). Default
    /// off.
    pub reconnect: Option<Reconnect>,
    /// The protocol core's limits.
    pub limits: Limits,
    /// Seeds the engine's random choices (`Job-UUID`s, `Event-UUID`s, reconnect jitter), so
    /// that a run can be replayed. `None` (the default): seeded from the process's random
    /// state.
    pub seed: Option<u64>,
}

impl ClientConfig {
    /// `auth <password>`.
    pub fn password(password: impl Into<Password>) -> ClientConfig {
        ClientConfig::with_auth(Auth::Password(password.into()))
    }

    /// `userauth <user@domain>:<password>`.
    pub fn user(user: impl Into<String>, password: impl Into<Password>) -> ClientConfig {
        ClientConfig::with_auth(Auth::User {
            user: user.into(),
            password: password.into(),
        })
    }

    fn with_auth(auth: Auth) -> ClientConfig {
        ClientConfig {
            auth,
            request_timeout: Duration::from_secs(30),
            job_timeout: Duration::from_secs(120),
            execute_timeout: Duration::from_secs(3600),
            connect_timeout: Duration::from_secs(10),
            event_capacity: 16 * 1024,
            event_bytes: 2 * 1024 * 1024,
            overflow: Overflow::default(),
            reconnect: None,
            limits: Limits::default(),
            seed: None,
        }
    }

    /// Reconnecting with the default [`Reconnect`] unless a policy is set: what a service
    /// over many switches uses, since it keeps its switches.
    pub fn reconnecting(mut self) -> ClientConfig {
        self.reconnect.get_or_insert_with(Reconnect::default);
        self
    }

    /// Turns reconnecting on with `policy`.
    pub fn reconnect(mut self, policy: Reconnect) -> ClientConfig {
        self.reconnect = Some(policy);
        self
    }

    /// Sets how long an `api` or any command waits for its reply.
    pub fn request_timeout(mut self, timeout: Duration) -> ClientConfig {
        self.request_timeout = timeout;
        self
    }

    /// Sets how long a `bgapi` job waits for its result.
    pub fn job_timeout(mut self, timeout: Duration) -> ClientConfig {
        self.job_timeout = timeout;
        self
    }

    /// Sets how long an `execute` waits for its application to complete.
    pub fn execute_timeout(mut self, timeout: Duration) -> ClientConfig {
        self.execute_timeout = timeout;
        self
    }

    /// Sets how long connecting and authenticating may take.
    pub fn connect_timeout(mut self, timeout: Duration) -> ClientConfig {
        self.connect_timeout = timeout;
        self
    }

    /// Sets how many items each event stream holds.
    pub fn event_capacity(mut self, capacity: usize) -> ClientConfig {
        self.event_capacity = capacity;
        self
    }

    /// Sets how many bytes of events each event stream holds (see
    /// [`ClientConfig::event_bytes`]).
    pub fn event_bytes(mut self, bytes: usize) -> ClientConfig {
        self.event_bytes = bytes;
        self
    }

    /// Sets what a full event stream does.
    pub fn overflow(mut self, overflow: Overflow) -> ClientConfig {
        self.overflow = overflow;
        self
    }

    /// Sets the protocol core's limits.
    pub fn limits(mut self, limits: Limits) -> ClientConfig {
        self.limits = limits;
        self
    }

    /// Seeds the engine's random choices, to replay a run.
    pub fn seed(mut self, seed: u64) -> ClientConfig {
        self.seed = Some(seed);
        self
    }

    /// The timeout a command's kind calls for: `bgapi` the job timeout, `execute` the
    /// execute timeout, anything else the request timeout.
    pub fn timeout_for(&self, command: &Command) -> Duration {
        match command {
            Command::Bgapi { .. } => self.job_timeout,
            Command::SendMsg(msg) if matches!(msg.command, crate::CallCommand::Execute(_)) => {
                self.execute_timeout
            }
            _ => self.request_timeout,
        }
    }
}

/// An outbound server's configuration.
///
/// ```
/// use esl_proto::client::ServerConfig;
///
/// let config = ServerConfig::default().max_calls(500);
/// assert_eq!(config.max_calls, 500);
/// assert!(config.setup.myevents && config.setup.linger);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Calls handled at once; a connection beyond that is closed at once, and the switch's
    /// `socket` application fails (the dialplan goes on). Default 10,000.
    pub max_calls: usize,
    /// Commands each session sends before the handler runs: by default `myevents` (the
    /// call's events) and `linger` (its last events after hang-up).
    pub setup: SessionSetup,
    /// Timeouts and queue settings for each session (`auth` and `reconnect` are unused).
    /// The defaults of [`ClientConfig`], but event streams of 1,024 events and 1 MiB: a
    /// session's stream has one call's events, and a server holds thousands of sessions.
    pub session: ClientConfig,
}

/// What a session subscribes to before its handler runs.
///
/// ```
/// use esl_proto::client::SessionSetup;
///
/// let setup = SessionSetup::default();
/// assert!(setup.myevents && setup.linger);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionSetup {
    /// Send `myevents`.
    pub myevents: bool,
    /// Send `linger` (until `exit`).
    pub linger: bool,
}

impl SessionSetup {
    /// Whether to send `myevents`.
    pub fn myevents(mut self, on: bool) -> SessionSetup {
        self.myevents = on;
        self
    }

    /// Whether to send `linger`.
    pub fn linger(mut self, on: bool) -> SessionSetup {
        self.linger = on;
        self
    }
}

impl Default for SessionSetup {
    fn default() -> Self {
        SessionSetup {
            myevents: true,
            linger: true,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_calls: 10_000,
            setup: SessionSetup::default(),
            session: ClientConfig::password("")
                .event_capacity(1024)
                .event_bytes(1024 * 1024),
        }
    }
}

impl ServerConfig {
    /// Sets how many calls are handled at once.
    pub fn max_calls(mut self, calls: usize) -> ServerConfig {
        self.max_calls = calls;
        self
    }

    /// Sets what each session subscribes to before its handler runs.
    pub fn setup(mut self, setup: SessionSetup) -> ServerConfig {
        self.setup = setup;
        self
    }

    /// Sets each session's timeouts and queue settings.
    pub fn session(mut self, session: ClientConfig) -> ServerConfig {
        self.session = session;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_jitters_within_bounds() {
        let policy = Reconnect::default();
        for attempt in 0..20 {
            let base = (0.1 * 2f64.powi(attempt as i32)).min(30.0);
            for sample in [0.0, 0.3, 0.999] {
                let d = policy.delay_with(attempt, sample).as_secs_f64();
                assert!(
                    d >= base * 0.8 - 1e-9 && d <= base * 1.2 + 1e-9,
                    "{attempt}: {d}"
                );
            }
            let d = policy.delay_with(attempt, 0.5).as_secs_f64();
            assert!(
                (d - base).abs() < 1e-9,
                "no jitter at the middle: {attempt}: {d}"
            );
        }
        assert_eq!(policy.delay_with(0, 0.0), Duration::from_millis(80));
        assert_eq!(policy.delay_with(100, 0.5), Duration::from_secs(30));
    }
}
