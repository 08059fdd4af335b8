//! The connection options every subcommand shares, and connecting with them.
//!
//! # The password
//!
//! `--password`, else `ESL_PASSWORD`. With neither, and a terminal on standard input, `esl`
//! asks (an empty answer means FreeSWITCH's stock default). With neither and no terminal (a
//! script, a pipe, CI), it tries FreeSWITCH's stock default and says so on standard error,
//! so a script that forgot its password learns it from the warning rather than from a
//! silent success against a switch left on the default. The password is never printed: not
//! in errors, not in `--help` (the variable's value is hidden), not in debug logs. Prefer
//! `ESL_PASSWORD` to `--password`: the command line is visible to every user in `ps`.

use std::io::IsTerminal;
use std::time::Duration;

use esl_tokio::esl_proto::Password;
use esl_tokio::{Client, ClientConfig, Reconnect};

use crate::failure::Failure;

/// FreeSWITCH's stock `event_socket.conf.xml` password.
const STOCK_PASSWORD: &str = "ClueCon";

/// Connection options (global: they may come before or after the subcommand).
#[derive(clap::Args, Clone)]
pub(crate) struct ConnectArgs {
    /// The switch's event socket.
    #[arg(
        long,
        short = 'a',
        env = "ESL_ADDR",
        default_value = "127.0.0.1:8021",
        global = true,
        value_name = "HOST:PORT"
    )]
    pub(crate) addr: String,

    /// The event socket password [default: asked on a terminal, else FreeSWITCH's stock
    /// one, with a warning]. Prefer ESL_PASSWORD: a command line is visible in `ps`.
    #[arg(
        long,
        short = 'p',
        env = "ESL_PASSWORD",
        hide_env_values = true,
        global = true,
        value_parser = password
    )]
    pub(crate) password: Option<Password>,

    /// Authenticate as this user (`userauth user@domain`) with the user's esl-password.
    #[arg(
        long,
        short = 'u',
        env = "ESL_USER",
        global = true,
        value_name = "USER@DOMAIN"
    )]
    pub(crate) user: Option<String>,

    /// How long to wait for the switch: connecting, each reply, each background job
    /// (`10s`, `500ms`, `2m`; a bare number is seconds) [default: 10s to connect, 30s per
    /// reply, 120s per job].
    #[arg(long, env = "ESL_TIMEOUT", global = true, value_parser = duration, value_name = "DURATION")]
    pub(crate) timeout: Option<Duration>,
}

impl std::fmt::Debug for ConnectArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `Password`'s own Debug redacts it; spelled out here so no later field slips in.
        f.debug_struct("ConnectArgs")
            .field("addr", &self.addr)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("user", &self.user)
            .field("timeout", &self.timeout)
            .finish()
    }
}

fn password(text: &str) -> Result<Password, std::convert::Infallible> {
    Ok(Password::new(text))
}

/// A duration: `10s`, `1m30s`, `250ms`, or a bare number of seconds (`1.5`).
pub(crate) fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).map_err(|e| format!("{text}: {e}"));
    }
    humantime::parse_duration(text).map_err(|e| format!("{text}: {e} (write e.g. 10s, 500ms, 2m)"))
}

/// What a subcommand needs from its connection.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Needs {
    /// Reconnect when the connection is lost (event tail, live calls).
    pub(crate) reconnect: bool,
    /// Events the stream holds before dropping (and marking a gap); `None`: the default.
    pub(crate) event_capacity: Option<usize>,
}

/// A connected client and the address it is connected to, for error messages.
#[derive(Debug, Clone)]
pub(crate) struct Conn {
    /// The client.
    pub(crate) client: esl_tokio::Client,
    /// Where it is connected.
    pub(crate) addr: String,
    /// It reconnects when the connection is lost.
    reconnects: bool,
}

impl Conn {
    /// Explains `error`, met while `doing` something.
    pub(crate) fn fail(&self, error: &esl_tokio::Error, doing: &str) -> Failure {
        Failure::esl(error, &self.addr, doing)
    }

    /// Says goodbye (for every clone: they share the connection); a failure to do so
    /// changes nothing for the user.
    ///
    /// A reconnecting client is not sent `exit`: the switch closes the socket right after
    /// its goodbye, and a client that has not yet marked itself closed takes that for a lost
    /// connection and reconnects. It is dropped instead (the socket closes when the last
    /// clone goes).
    pub(crate) async fn close(&self) {
        if !self.reconnects {
            let _ = self.client.clone().close().await;
        }
    }
}

impl ConnectArgs {
    /// The password to use: given, asked for, or the stock default (with a warning).
    fn resolve_password(&self) -> Result<Password, Failure> {
        if let Some(password) = &self.password {
            return Ok(password.clone());
        }
        if std::io::stdin().is_terminal() {
            let who = match &self.user {
                Some(user) => format!("{user} at {}", self.addr),
                None => self.addr.clone(),
            };
            let answer = rpassword::prompt_password(format!(
                "Password for {who} (empty: FreeSWITCH's default): "
            ))
            .map_err(|e| Failure::io("reading the password from the terminal", &e))?;
            if !answer.is_empty() {
                return Ok(Password::new(answer));
            }
        } else {
            eprintln!(
                "esl: no password given (--password or ESL_PASSWORD); trying FreeSWITCH's default"
            );
        }
        Ok(Password::new(STOCK_PASSWORD))
    }

    /// The client configuration, with the password resolved.
    pub(crate) fn config(&self, needs: Needs) -> Result<ClientConfig, Failure> {
        let password = self.resolve_password()?;
        let mut config = match &self.user {
            Some(user) => ClientConfig::user(user.clone(), password),
            None => ClientConfig::password(password),
        };
        if let Some(timeout) = self.timeout {
            config.connect_timeout = timeout;
            config.request_timeout = timeout;
            config.job_timeout = timeout;
        }
        if let Some(capacity) = needs.event_capacity {
            config.event_capacity = capacity;
        }
        if needs.reconnect {
            config = config.reconnect(Reconnect::default().max(Duration::from_secs(5)));
        }
        Ok(config)
    }

    /// Connects and authenticates.
    pub(crate) async fn connect(&self, needs: Needs) -> Result<Conn, Failure> {
        let config = self.config(needs)?;
        match Client::connect(esl_tokio::Tokio, &self.addr, config).await {
            Ok(client) => Ok(Conn {
                client,
                addr: self.addr.clone(),
                reconnects: needs.reconnect,
            }),
            Err(e) => Err(Failure::esl(&e, &self.addr, "connecting")),
        }
    }

    /// The password for a switch this process runs (`esl sim`): given, else the stock one.
    pub(crate) fn switch_password(&self) -> String {
        self.password
            .as_ref()
            .map_or(STOCK_PASSWORD, |p| p.expose())
            .to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units_or_bare_seconds() {
        assert_eq!(duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(duration("soon").is_err());
        assert!(duration("-1").is_err());
    }

    #[test]
    fn debug_never_shows_the_password() {
        let args = ConnectArgs {
            addr: "h:1".into(),
            password: Some(Password::new("s3cret-pw")),
            user: None,
            timeout: None,
        };
        assert!(!format!("{args:?}").contains("s3cret-pw"));
    }
}
