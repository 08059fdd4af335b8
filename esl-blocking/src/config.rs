//! How a client or an outbound server behaves: timeouts, the event queue, reconnecting.

use std::time::Duration;

use esl_proto::{Auth, Limits, Password};

/// What the event stream does when the application does not keep up.
///
/// FreeSWITCH itself queues up to 100,000 events per connection and drops the listener once
/// 500 more are lost, so a consumer that falls behind has to be seen, not silently starved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overflow {
    /// Events that do not fit are dropped and counted; a [`Gap`](crate::Incoming::Gap) marker
    /// stands where they would have been. The connection keeps working: replies and jobs are
    /// never held up by a slow event consumer. The default.
    #[default]
    DropNewest,
    /// The oldest queued events make room and are counted; a gap marker takes their place.
    DropOldest,
    /// Stop reading the socket while the queue is full (TCP pushes back to the switch, whose
    /// own queue then fills). Nothing is lost, but replies wait behind unread events, so a
    /// thread that waits for a request while nobody reads the stream would wait for its
    /// timeout.
    Backpressure,
}

/// Reconnecting after the connection is lost, with exponential backoff and jitter.
#[derive(Debug, Clone, PartialEq)]
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
    /// The wait before attempt `attempt` (0-based), jittered.
    pub fn delay(&self, attempt: u32) -> Duration {
        let base = self.initial.as_secs_f64() * self.multiplier.powi(attempt.min(64) as i32);
        let capped = base.min(self.max.as_secs_f64());
        let spread = 1.0 + self.jitter * (fastrand::f64() * 2.0 - 1.0);
        Duration::from_secs_f64((capped * spread).max(0.0))
    }
}

/// A client's configuration. Build one with [`ClientConfig::password`] or
/// [`ClientConfig::user`], then adjust fields.
#[derive(Debug, Clone)]
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
    /// What a full event stream does. Default [`Overflow::DropNewest`].
    pub overflow: Overflow,
    /// Reconnect when the connection is lost (not when it is closed on purpose). Default
    /// off.
    pub reconnect: Option<Reconnect>,
    /// The protocol core's limits.
    pub limits: Limits,
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
            overflow: Overflow::default(),
            reconnect: None,
            limits: Limits::default(),
        }
    }

    /// Turns reconnecting on with `policy`.
    pub fn reconnect(mut self, policy: Reconnect) -> ClientConfig {
        self.reconnect = Some(policy);
        self
    }
}

/// An outbound server's configuration.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Calls handled at once; a connection beyond that is closed at once, and the switch's
    /// `socket` application fails (the dialplan goes on). Default 10,000.
    pub max_calls: usize,
    /// Commands each session sends before the handler runs: by default `myevents` (the
    /// call's events) and `linger` (its last events after hang-up).
    pub setup: SessionSetup,
    /// Timeouts and queue settings for each session (`auth` and `reconnect` are unused).
    pub session: ClientConfig,
}

/// What a session subscribes to before its handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSetup {
    /// Send `myevents`.
    pub myevents: bool,
    /// Send `linger` (until `exit`).
    pub linger: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_calls: 10_000,
            setup: SessionSetup {
                myevents: true,
                linger: true,
            },
            session: ClientConfig {
                event_capacity: 1024,
                ..ClientConfig::password("")
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_jitters_within_bounds() {
        let policy = Reconnect::default();
        for attempt in 0..20 {
            let d = policy.delay(attempt).as_secs_f64();
            let base = (0.1 * 2f64.powi(attempt as i32)).min(30.0);
            assert!(
                d >= base * 0.8 - 1e-9 && d <= base * 1.2 + 1e-9,
                "{attempt}: {d}"
            );
        }
    }
}
