//! Typed commands and their exact encoding.
//!
//! A command is a first line, optional `Name: value` header lines, a blank line, and a body
//! when a `content-length` header announces one. `mod_event_socket` splits lines at any CR or
//! LF (`read_packet` / `strip_cr`), so a CR or LF inside a field would end the line there and
//! let the rest be read as another header, or, after a blank line, as another command. Every
//! field is checked before anything is written, and such a field is refused with
//! [`CommandError::LineBreak`](crate::CommandError::LineBreak); text that may hold line breaks (an application argument, an
//! event body) travels as a body instead.

use std::fmt;

use bytes::Bytes;

use crate::event::EventFormat;

/// A password: sent on the wire, never printed by `Debug`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Password {
        Password(password.into())
    }

    /// The password itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Password {
        Password::new(s)
    }
}

impl From<String> for Password {
    fn from(s: String) -> Password {
        Password::new(s)
    }
}

/// FreeSWITCH's log levels (`log <level>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// 0
    Console = 0,
    /// 1
    Alert = 1,
    /// 2
    Crit = 2,
    /// 3
    Err = 3,
    /// 4
    Warning = 4,
    /// 5
    Notice = 5,
    /// 6
    Info = 6,
    /// 7
    Debug = 7,
}

impl LogLevel {
    const ALL: [(LogLevel, &'static str); 8] = [
        (LogLevel::Console, "console"),
        (LogLevel::Alert, "alert"),
        (LogLevel::Crit, "crit"),
        (LogLevel::Err, "err"),
        (LogLevel::Warning, "warning"),
        (LogLevel::Notice, "notice"),
        (LogLevel::Info, "info"),
        (LogLevel::Debug, "debug"),
    ];

    /// Reads a level as `switch_log_str2level` does: a number 0..=7 or a name.
    pub fn parse(text: &str) -> Option<LogLevel> {
        let text = text.trim();
        if let Ok(n) = text.parse::<u8>() {
            return LogLevel::ALL.get(usize::from(n)).map(|(l, _)| *l);
        }
        if text.eq_ignore_ascii_case("error") {
            return Some(LogLevel::Err);
        }
        LogLevel::ALL
            .iter()
            .find(|(_, name)| text.eq_ignore_ascii_case(name))
            .map(|(l, _)| *l)
    }

    /// The level's number.
    pub fn number(self) -> u8 {
        self as u8
    }
}

/// Every command `mod_event_socket` accepts, plus [`Command::Raw`] for anything else.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `auth <password>`
    Auth {
        /// The `event_socket.conf.xml` password.
        password: Password,
    },
    /// `userauth <user>@<domain>:<password>`
    UserAuth {
        /// `user@domain` of a directory user with an `esl-password`.
        user: String,
        /// Its `esl-password`.
        password: Password,
    },
    /// `api <command> [<args>]`: runs an API command; the output is the reply.
    Api {
        /// The command line (`status`, `uuid_kill <uuid>`, ...).
        command: String,
    },
    /// `bgapi <command> [<args>]`: runs it in the background; the output arrives in a
    /// `BACKGROUND_JOB` event carrying `Job-UUID`.
    Bgapi {
        /// The command line.
        command: String,
        /// A `Job-UUID` chosen by the client, so the job can be tracked before the reply.
        job_uuid: Option<String>,
    },
    /// `event [plain|json|xml] <names...>`: adds subscriptions (`CUSTOM` then subclasses).
    Event {
        /// The format for every event of this connection from now on, if given.
        format: Option<EventFormat>,
        /// Event names, `ALL`, or `CUSTOM` followed by subclass names.
        events: Vec<String>,
    },
    /// `nixevent <names...>`: removes subscriptions.
    NixEvent {
        /// Event names (or `CUSTOM` followed by subclasses) to stop receiving.
        events: Vec<String>,
    },
    /// `noevents`: removes every subscription.
    NoEvents,
    /// `filter <header> <value>`: only events matching a filter pass (`-` prefix: reject;
    /// `/regex/`: match by regular expression).
    Filter {
        /// The header to test.
        header: String,
        /// The value (or `/regex/`) it must have.
        value: String,
    },
    /// `filter delete <header> [<value>]`, or `filter delete all`.
    FilterDelete {
        /// The header whose filter goes, or `all`.
        header: String,
        /// One value of it; all of the header's filters when absent.
        value: Option<String>,
    },
    /// `myevents [<uuid>] [<format>]`: only this channel's events (inbound: name the channel;
    /// outbound: the socket's own channel).
    MyEvents {
        /// The channel (inbound sockets only).
        uuid: Option<String>,
        /// The event format (honoured by outbound sockets).
        format: Option<EventFormat>,
    },
    /// `divert_events on|off`: events queued to the session come to the socket.
    DivertEvents {
        /// On or off.
        on: bool,
    },
    /// `linger [<seconds>]`: keep the socket after hangup (forever when no time is given).
    Linger {
        /// How long; `None` lingers until `exit`.
        seconds: Option<u32>,
    },
    /// `nolinger`
    NoLinger,
    /// `log [<level>]`: log lines as `log/data` messages (level 7 when absent).
    Log {
        /// The most verbose level to receive.
        level: Option<LogLevel>,
    },
    /// `nolog`
    NoLog,
    /// `sendmsg [<uuid>]` with a `call-command`.
    SendMsg(SendMsg),
    /// `sendevent <name>` with headers and a body: fires an event in the switch.
    SendEvent(SendEvent),
    /// `connect`: the first command of an outbound socket; the reply carries the channel.
    Connect,
    /// `resume`: the channel goes on in the dialplan when the socket closes.
    Resume,
    /// `getvar <name>`: a channel variable (outbound sockets).
    GetVar {
        /// The variable.
        name: String,
    },
    /// `exit`: the switch replies `+OK bye` and closes.
    Exit,
    /// Any command, written as given (still refused if a field holds a line break).
    Raw(RawCommand),
}

/// A command written as given: first line, headers, optional body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCommand {
    /// The first line.
    pub line: String,
    /// Header lines after it.
    pub headers: Vec<(String, String)>,
    /// A body, announced by a `Content-Length` header the encoder adds.
    pub body: Option<Bytes>,
}

/// `sendmsg`: a command for one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendMsg {
    /// The channel; `None` on an outbound socket means the socket's own channel.
    pub uuid: Option<String>,
    /// What to do.
    pub command: CallCommand,
    /// Further headers, written after the command's own.
    pub headers: Vec<(String, String)>,
}

/// The `call-command` of a `sendmsg`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallCommand {
    /// `call-command: execute`: run a dialplan application.
    Execute(Execute),
    /// `call-command: hangup` with an optional `hangup-cause`.
    Hangup {
        /// `NORMAL_CLEARING`, `USER_BUSY`, ...
        cause: Option<String>,
    },
    /// `call-command: unicast`: stream the channel's media over UDP/TCP.
    Unicast(Unicast),
    /// `call-command: nomedia` with `nomedia-uuid`.
    NoMedia {
        /// The other channel.
        uuid: String,
    },
    /// Another `call-command`, as named.
    Other {
        /// The call-command value.
        name: String,
    },
}

/// Where an `execute` puts its argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgPlacement {
    /// `execute-app-arg` unless the argument has line breaks, leading spaces (the switch
    /// strips them from header values) or more than [`Execute::MAX_HEADER_ARG`] bytes; then
    /// the body.
    Auto,
    /// Always the `execute-app-arg` header (refused if it holds a line break).
    Header,
    /// Always a `text/plain` body, which `switch_ivr_parse_event` reads when
    /// `execute-app-arg` is absent.
    Body,
}

/// `call-command: execute`.
///
/// Made with [`Execute::new`], then its fields set: the switch reads more headers than
/// these (`hold-bleg`, `event-lock-pri`), so a later version may add fields.
///
/// ```
/// use esl_proto::Execute;
///
/// let mut playback = Execute::new("playback", Some("ivr/ivr-welcome.wav".into()));
/// playback.event_lock = true;
/// assert_eq!(playback.app, "playback");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Execute {
    /// `execute-app-name`
    pub app: String,
    /// The argument.
    pub arg: Option<String>,
    /// `loops`: how many times (negative: until hangup).
    pub loops: Option<i32>,
    /// `event-lock: true`: run it before any other queued message.
    pub event_lock: bool,
    /// `async: true`: queue it even on a non-async outbound socket.
    pub async_: bool,
    /// `Event-UUID`: becomes the `Application-UUID` of `CHANNEL_EXECUTE` and
    /// `CHANNEL_EXECUTE_COMPLETE`, which is how completion is matched to the request.
    pub event_uuid: Option<String>,
    /// Where the argument goes.
    pub placement: ArgPlacement,
    /// Not sent: whether a [`Connection`](crate::Connection) keeps the request open until
    /// the application completes (true), or ends it at the switch's `+OK` (false).
    pub wait: bool,
}

impl Execute {
    /// Longest argument [`ArgPlacement::Auto`] keeps in a header. Older switches read a
    /// command's header block into a 2,048-byte buffer; a body has no such bound.
    pub const MAX_HEADER_ARG: usize = 1024;

    /// `execute <app> [<arg>]`, waiting for completion.
    pub fn new(app: impl Into<String>, arg: Option<String>) -> Execute {
        Execute {
            app: app.into(),
            arg,
            loops: None,
            event_lock: false,
            async_: false,
            event_uuid: None,
            placement: ArgPlacement::Auto,
            wait: true,
        }
    }

    fn arg_in_body(&self) -> bool {
        match (&self.arg, self.placement) {
            (None, _) | (Some(_), ArgPlacement::Header) => false,
            (Some(_), ArgPlacement::Body) => true,
            (Some(arg), ArgPlacement::Auto) => Execute::auto_in_body(arg),
        }
    }

    /// Where [`ArgPlacement::Auto`] puts `arg`: in the body if it has line breaks, leading
    /// spaces or more than [`Execute::MAX_HEADER_ARG`] bytes.
    pub fn auto_in_body(arg: &str) -> bool {
        arg.len() > Execute::MAX_HEADER_ARG || arg.starts_with(' ') || arg.contains(['\r', '\n'])
    }
}

/// `call-command: unicast` parameters (each defaulted by the switch when absent).
///
/// ```
/// use esl_proto::Unicast;
///
/// let mut unicast = Unicast::default();
/// unicast.remote_port = Some(9000);
/// assert_eq!(unicast.local_port, None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Unicast {
    /// `local-ip` (default 127.0.0.1)
    pub local_ip: Option<String>,
    /// `local-port` (default 8025)
    pub local_port: Option<u16>,
    /// `remote-ip` (default 127.0.0.1)
    pub remote_ip: Option<String>,
    /// `remote-port` (default 8026)
    pub remote_port: Option<u16>,
    /// `transport`: `udp` (default) or `tcp`
    pub transport: Option<String>,
    /// `flags`: `native` to skip transcoding
    pub flags: Option<String>,
}

/// `sendevent`: an event to fire inside the switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendEvent {
    /// The event name (`CUSTOM` with an `Event-Subclass` header for custom events).
    pub name: String,
    /// Its headers.
    pub headers: Vec<(String, String)>,
    /// Its body.
    pub body: Option<Bytes>,
}

impl Command {
    /// `auth <password>`
    pub fn auth(password: impl Into<Password>) -> Command {
        Command::Auth {
            password: password.into(),
        }
    }

    /// `userauth <user@domain>:<password>`
    pub fn userauth(user: impl Into<String>, password: impl Into<Password>) -> Command {
        Command::UserAuth {
            user: user.into(),
            password: password.into(),
        }
    }

    /// `api <command>` (a whole command line: `"uuid_kill 1234"`).
    pub fn api(command: impl Into<String>) -> Command {
        Command::Api {
            command: command.into(),
        }
    }

    /// `bgapi <command>` without a client-chosen Job-UUID.
    pub fn bgapi(command: impl Into<String>) -> Command {
        Command::Bgapi {
            command: command.into(),
            job_uuid: None,
        }
    }

    /// `bgapi <command>` with `Job-UUID: <job_uuid>`.
    pub fn bgapi_with_uuid(command: impl Into<String>, job_uuid: impl Into<String>) -> Command {
        Command::Bgapi {
            command: command.into(),
            job_uuid: Some(job_uuid.into()),
        }
    }

    /// `event <format> <names...>`
    pub fn event<I, S>(format: EventFormat, events: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Command::Event {
            format: Some(format),
            events: events.into_iter().map(Into::into).collect(),
        }
    }

    /// `nixevent <names...>`
    pub fn nixevent<I, S>(events: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Command::NixEvent {
            events: events.into_iter().map(Into::into).collect(),
        }
    }

    /// `filter <header> <value>`
    pub fn filter(header: impl Into<String>, value: impl Into<String>) -> Command {
        Command::Filter {
            header: header.into(),
            value: value.into(),
        }
    }

    /// `filter delete <header> [<value>]`
    pub fn filter_delete(header: impl Into<String>, value: Option<String>) -> Command {
        Command::FilterDelete {
            header: header.into(),
            value,
        }
    }

    /// `sendmsg [<uuid>]` executing `app` with `arg`, waiting for completion.
    pub fn execute(uuid: Option<String>, app: impl Into<String>, arg: Option<String>) -> Command {
        Command::SendMsg(SendMsg {
            uuid,
            command: CallCommand::Execute(Execute::new(app, arg)),
            headers: Vec::new(),
        })
    }

    /// `sendmsg [<uuid>]` hanging up with `cause`.
    pub fn hangup(uuid: Option<String>, cause: Option<String>) -> Command {
        Command::SendMsg(SendMsg {
            uuid,
            command: CallCommand::Hangup { cause },
            headers: Vec::new(),
        })
    }

    /// A raw command line without headers.
    pub fn raw(line: impl Into<String>) -> Command {
        Command::Raw(RawCommand {
            line: line.into(),
            headers: Vec::new(),
            body: None,
        })
    }

    /// The command's keyword (`api`, `sendmsg`, ...), for logs and metrics.
    pub fn keyword(&self) -> &str {
        match self {
            Command::Auth { .. } => "auth",
            Command::UserAuth { .. } => "userauth",
            Command::Api { .. } => "api",
            Command::Bgapi { .. } => "bgapi",
            Command::Event { .. } => "event",
            Command::NixEvent { .. } => "nixevent",
            Command::NoEvents => "noevents",
            Command::Filter { .. } => "filter",
            Command::FilterDelete { .. } => "filter delete",
            Command::MyEvents { .. } => "myevents",
            Command::DivertEvents { .. } => "divert_events",
            Command::Linger { .. } => "linger",
            Command::NoLinger => "nolinger",
            Command::Log { .. } => "log",
            Command::NoLog => "nolog",
            Command::SendMsg(_) => "sendmsg",
            Command::SendEvent(_) => "sendevent",
            Command::Connect => "connect",
            Command::Resume => "resume",
            Command::GetVar { .. } => "getvar",
            Command::Exit => "exit",
            Command::Raw(raw) => raw.line.split(' ').next().unwrap_or_default(),
        }
    }
}

mod encode;

pub(crate) use encode::{checked, nonempty};

#[cfg(test)]
mod tests;
