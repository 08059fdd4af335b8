//! The switch's side of the socket: commands in, replies and events out.
//!
//! [`CommandReader`] frames what a client sends and [`ClientCommand::parse`] reads it the way
//! `mod_event_socket`'s `parse_command` does (case-insensitive keyword prefixes, in the same
//! order). The `encode_*` functions write every message the switch sends, byte for byte as in
//! the recorded captures. A simulated switch or an ESL proxy is built from these two halves.

use bytes::{BufMut, Bytes, BytesMut};

use crate::command::{
    ArgPlacement, CallCommand, Command, Execute, LogLevel, Password, RawCommand, SendEvent,
    SendMsg, Unicast,
};
use crate::error::FrameError;
use crate::event::{Event, EventBuilder, EventFormat};
use crate::frame::Framer;
use crate::headers::{Headers, ValueEncoding};
use crate::Limits;

/// One command as a client sent it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientCommand {
    /// The first line (`api status`).
    pub line: String,
    /// The header lines after it.
    pub headers: Headers,
    /// The body (`content-length` bytes).
    pub body: Bytes,
}

/// Frames the client-to-switch byte stream into [`ClientCommand`]s.
#[derive(Debug)]
pub struct CommandReader {
    framer: Framer,
}

impl CommandReader {
    /// A reader enforcing `limits` (FreeSWITCH itself stops reading a command's header block
    /// at 10 MiB).
    pub fn new(limits: Limits) -> CommandReader {
        CommandReader {
            framer: Framer::for_commands(limits),
        }
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.framer.push(bytes);
    }

    /// The next complete command, `Ok(None)` when more bytes are needed.
    pub fn next_command(&mut self) -> Result<Option<ClientCommand>, FrameError> {
        let Some(frame) = self.framer.next_frame()? else {
            return Ok(None);
        };
        Ok(Some(ClientCommand {
            line: String::from_utf8_lossy(frame.line.as_deref().unwrap_or_default()).into_owned(),
            // `read_packet` adds command headers as they are: no percent-decoding.
            headers: frame.headers.with_encoding(ValueEncoding::Literal),
            body: frame.body,
        }))
    }

    /// Bytes held that do not yet form a command.
    pub fn buffered(&self) -> usize {
        self.framer.buffered()
    }
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn words(text: &str) -> Vec<String> {
    text.split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `switch_true`: what FreeSWITCH reads as yes.
fn switch_true(value: Option<std::borrow::Cow<'_, str>>) -> bool {
    value.is_some_and(|v| {
        ["yes", "on", "true", "t", "enabled", "active", "allow"]
            .iter()
            .any(|t| v.eq_ignore_ascii_case(t))
            || v.parse::<i64>().is_ok_and(|n| n != 0)
    })
}

impl ClientCommand {
    /// Reads the command as `parse_command` would. Keywords match by case-insensitive prefix in
    /// FreeSWITCH's order (so `exitnow` is `exit`, as there). What cannot be typed, such as a
    /// bare `filter`, is [`Command::Raw`]; the switch answers those with an error.
    pub fn parse(&self) -> Command {
        let line = self.line.as_str();
        if strip_prefix_ci(line, "exit").is_some() || line.starts_with("...") {
            return Command::Exit;
        }
        if let Some(password) = strip_prefix_ci(line, "auth ") {
            return Command::Auth {
                password: Password::new(password),
            };
        }
        if let Some(rest) = strip_prefix_ci(line, "userauth ") {
            // `user@domain:pass`: the password starts at the first `:` after the `@`.
            let split_from = rest.find('@').unwrap_or(0);
            if let Some(colon) = rest[split_from..].find(':') {
                let at = split_from + colon;
                return Command::UserAuth {
                    user: rest[..at].to_owned(),
                    password: Password::new(&rest[at + 1..]),
                };
            }
            return self.raw();
        }
        if let Some(rest) = strip_prefix_ci(line, "filter ") {
            return self.parse_filter(rest.trim_start_matches(' '));
        }
        if strip_prefix_ci(line, "resume").is_some() {
            return Command::Resume;
        }
        if strip_prefix_ci(line, "connect").is_some() {
            return Command::Connect;
        }
        if let Some(rest) = strip_prefix_ci(line, "getvar") {
            return match rest.strip_prefix(' ') {
                Some(name) if !name.is_empty() => Command::GetVar {
                    name: name.to_owned(),
                },
                _ => self.raw(),
            };
        }
        if let Some(rest) = strip_prefix_ci(line, "myevents") {
            let (mut uuid, mut format) = (None, None);
            for word in words(rest) {
                match EventFormat::parse(&word) {
                    Some(f) => format = Some(f),
                    None => uuid = Some(word),
                }
            }
            return Command::MyEvents { uuid, format };
        }
        if let Some(rest) = strip_prefix_ci(line, "divert_events") {
            return match rest.trim() {
                "" => self.raw(),
                value => Command::DivertEvents {
                    on: value.eq_ignore_ascii_case("on"),
                },
            };
        }
        if let Some(rest) = strip_prefix_ci(line, "sendmsg") {
            return self.parse_sendmsg(rest.trim());
        }
        if let Some(rest) = strip_prefix_ci(line, "sendevent") {
            let name = rest.trim_start_matches([' ', '\t']);
            if name.is_empty() {
                return self.raw();
            }
            return Command::SendEvent(SendEvent {
                name: name.to_owned(),
                headers: self.header_pairs(|_| true),
                body: (!self.body.is_empty()).then(|| self.body.clone()),
            });
        }
        if let Some(command) = strip_prefix_ci(line, "api ") {
            return Command::Api {
                command: command.to_owned(),
            };
        }
        if let Some(command) = strip_prefix_ci(line, "bgapi ") {
            return Command::Bgapi {
                command: command.to_owned(),
                job_uuid: self.headers.text("Job-UUID").map(|s| s.into_owned()),
            };
        }
        if let Some(rest) = strip_prefix_ci(line, "log") {
            let level = rest.get(1..).unwrap_or_default();
            if level.is_empty() {
                return Command::Log { level: None };
            }
            return match LogLevel::parse(level) {
                Some(level) => Command::Log { level: Some(level) },
                None => self.raw(),
            };
        }
        if let Some(rest) = strip_prefix_ci(line, "linger") {
            return match rest.strip_prefix(' ').map(str::trim) {
                Some(secs) if !secs.is_empty() => match secs.parse() {
                    Ok(seconds) => Command::Linger {
                        seconds: Some(seconds),
                    },
                    Err(_) => self.raw(),
                },
                _ => Command::Linger { seconds: None },
            };
        }
        if strip_prefix_ci(line, "nolinger").is_some() {
            return Command::NoLinger;
        }
        if strip_prefix_ci(line, "nolog").is_some() {
            return Command::NoLog;
        }
        if let Some(rest) = strip_prefix_ci(line, "event") {
            let mut events = words(rest);
            let format = events.first().and_then(|w| EventFormat::parse(w));
            if format.is_some() {
                events.remove(0);
            }
            return Command::Event { format, events };
        }
        if let Some(rest) = strip_prefix_ci(line, "nixevent") {
            return Command::NixEvent {
                events: words(rest),
            };
        }
        if strip_prefix_ci(line, "noevents").is_some() {
            return Command::NoEvents;
        }
        self.raw()
    }

    fn raw(&self) -> Command {
        Command::Raw(RawCommand {
            line: self.line.clone(),
            headers: self.header_pairs(|_| true),
            body: (!self.body.is_empty()).then(|| self.body.clone()),
        })
    }

    fn header_pairs(&self, keep: impl Fn(&str) -> bool) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_str().into_owned(), v.decoded().into_owned()))
            .filter(|(n, _)| !n.eq_ignore_ascii_case("content-length") && keep(n))
            .collect()
    }

    fn parse_filter(&self, rest: &str) -> Command {
        let (first, value) = match rest.split_once(' ') {
            Some((first, value)) => (first, Some(value)),
            None => (rest, None),
        };
        match value {
            Some(value) if first.eq_ignore_ascii_case("delete") => {
                let (header, value) = match value.split_once(' ') {
                    Some((h, v)) => (h, Some(v.to_owned())),
                    None => (value, None),
                };
                Command::FilterDelete {
                    header: header.to_owned(),
                    value,
                }
            }
            Some(value) if first.eq_ignore_ascii_case("add") => match value.split_once(' ') {
                Some((header, value)) => Command::Filter {
                    header: header.to_owned(),
                    value: value.to_owned(),
                },
                None => self.raw(),
            },
            Some(value) => Command::Filter {
                header: first.to_owned(),
                value: value.to_owned(),
            },
            None => self.raw(),
        }
    }

    fn parse_sendmsg(&self, uuid: &str) -> Command {
        let uuid = (!uuid.is_empty()).then(|| uuid.to_owned());
        let text = |name: &str| self.headers.text(name).map(|v| v.into_owned());
        let Some(call_command) = text("call-command") else {
            return self.raw();
        };
        let mut known: &[&str] = &["call-command"];
        let command = if call_command.eq_ignore_ascii_case("execute") {
            known = &[
                "call-command",
                "execute-app-name",
                "execute-app-arg",
                "loops",
                "event-lock",
                "async",
                "Event-UUID",
                "content-type",
            ];
            let header_arg = text("execute-app-arg");
            let body_arg = self
                .headers
                .text("content-type")
                .filter(|ct| ct.eq_ignore_ascii_case("text/plain"))
                .map(|_| String::from_utf8_lossy(&self.body).into_owned());
            let in_body = header_arg.is_none() && body_arg.is_some();
            let arg = header_arg.or(body_arg);
            let Some(app) = text("execute-app-name") else {
                return self.raw();
            };
            // `Auto` whenever it would put the argument where it was found, so that a
            // parsed command encodes back to the same bytes.
            let auto_in_body = arg.as_deref().is_some_and(Execute::auto_in_body);
            let placement = match (in_body, auto_in_body) {
                (true, true) | (false, false) => ArgPlacement::Auto,
                (true, false) => ArgPlacement::Body,
                (false, true) => ArgPlacement::Header,
            };
            CallCommand::Execute(Execute {
                app,
                arg,
                loops: text("loops").and_then(|l| l.trim().parse().ok()),
                event_lock: switch_true(self.headers.text("event-lock")),
                async_: switch_true(self.headers.text("async")),
                event_uuid: text("Event-UUID"),
                placement,
                wait: true,
            })
        } else if call_command.eq_ignore_ascii_case("hangup") {
            known = &["call-command", "hangup-cause"];
            CallCommand::Hangup {
                cause: text("hangup-cause"),
            }
        } else if call_command.eq_ignore_ascii_case("unicast") {
            known = &[
                "call-command",
                "local-ip",
                "local-port",
                "remote-ip",
                "remote-port",
                "transport",
                "flags",
            ];
            CallCommand::Unicast(Unicast {
                local_ip: text("local-ip"),
                local_port: text("local-port").and_then(|p| p.trim().parse().ok()),
                remote_ip: text("remote-ip"),
                remote_port: text("remote-port").and_then(|p| p.trim().parse().ok()),
                transport: text("transport"),
                flags: text("flags"),
            })
        } else if call_command.eq_ignore_ascii_case("nomedia") {
            known = &["call-command", "nomedia-uuid"];
            CallCommand::NoMedia {
                uuid: text("nomedia-uuid").unwrap_or_default(),
            }
        } else {
            CallCommand::Other { name: call_command }
        };
        Command::SendMsg(SendMsg {
            uuid,
            command,
            headers: self.header_pairs(|n| !known.iter().any(|k| k.eq_ignore_ascii_case(n))),
        })
    }
}

fn message(out: &mut BytesMut, headers: &[(&str, &str)], body: Option<&[u8]>) {
    for (name, value) in headers {
        out.put_slice(name.as_bytes());
        out.put_slice(b": ");
        out.put_slice(value.as_bytes());
        out.put_u8(b'\n');
    }
    out.put_u8(b'\n');
    if let Some(body) = body {
        out.put_slice(body);
    }
}

/// `Content-Type: auth/request`, the inbound greeting.
pub fn encode_auth_request() -> Bytes {
    Bytes::from_static(b"Content-Type: auth/request\n\n")
}

/// A `command/reply` with `Reply-Text: <text>`.
pub fn encode_command_reply(text: &str) -> Bytes {
    encode_command_reply_with(text, &[])
}

/// A `command/reply` with `Reply-Text` and further headers (the `bgapi` reply adds `Job-UUID`,
/// `userauth` adds `Allowed-Events`, `Allowed-API`, `Allowed-LOG`).
pub fn encode_command_reply_with(text: &str, extra: &[(&str, &str)]) -> Bytes {
    let mut out = BytesMut::new();
    let mut headers = vec![("Content-Type", "command/reply"), ("Reply-Text", text)];
    headers.extend_from_slice(extra);
    message(&mut out, &headers, None);
    out.freeze()
}

/// The reply to `bgapi`: `+OK Job-UUID: <uuid>` and a `Job-UUID` header.
pub fn encode_bgapi_reply(job_uuid: &str) -> Bytes {
    encode_command_reply_with(
        &format!("+OK Job-UUID: {job_uuid}"),
        &[("Job-UUID", job_uuid)],
    )
}

/// An `api/response` carrying `body`. FreeSWITCH replaces an empty output with
/// `-ERR no reply\n`; so does this.
pub fn encode_api_response(body: &[u8]) -> Bytes {
    let body: &[u8] = if body.is_empty() {
        b"-ERR no reply\n"
    } else {
        body
    };
    let mut out = BytesMut::with_capacity(body.len() + 64);
    let length = body.len().to_string();
    message(
        &mut out,
        &[
            ("Content-Type", "api/response"),
            ("Content-Length", &length),
        ],
        Some(body),
    );
    out.freeze()
}

/// An event in `format`: `Content-Length`, then `Content-Type: text/event-<format>`.
pub fn encode_event(event: &Event, format: EventFormat) -> Bytes {
    let body = event.encode_body(format);
    let mut out = BytesMut::with_capacity(body.len() + 64);
    let length = body.len().to_string();
    message(
        &mut out,
        &[
            ("Content-Length", &length),
            ("Content-Type", format.content_type()),
        ],
        Some(&body),
    );
    out.freeze()
}

/// One `log/data` message, headers in the order `mod_event_socket` writes them.
#[derive(Debug, Clone, Default)]
pub struct LogRecord<'a> {
    /// `Log-Level`
    pub level: u8,
    /// `Text-Channel`
    pub text_channel: u32,
    /// `Log-File`
    pub file: &'a str,
    /// `Log-Func`
    pub function: &'a str,
    /// `Log-Line`
    pub line: u32,
    /// `User-Data` (empty when the line has no session)
    pub user_data: &'a str,
    /// The formatted line.
    pub text: &'a str,
}

/// A `log/data` message.
pub fn encode_log(record: &LogRecord<'_>) -> Bytes {
    let mut out = BytesMut::new();
    let (length, level, channel, line) = (
        record.text.len().to_string(),
        record.level.to_string(),
        record.text_channel.to_string(),
        record.line.to_string(),
    );
    message(
        &mut out,
        &[
            ("Content-Type", "log/data"),
            ("Content-Length", &length),
            ("Log-Level", &level),
            ("Text-Channel", &channel),
            ("Log-File", record.file),
            ("Log-Func", record.function),
            ("Log-Line", &line),
            ("User-Data", record.user_data),
        ],
        Some(record.text.as_bytes()),
    );
    out.freeze()
}

/// The text FreeSWITCH sends when it closes a socket.
pub const GOODBYE: &str = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n";

/// The final `text/disconnect-notice`; with `session`, the session-bound form
/// (`Controlled-Session-UUID`, `Content-Disposition: disconnect`).
pub fn encode_disconnect_notice(session: Option<&str>, text: &str) -> Bytes {
    let mut out = BytesMut::new();
    let length = text.len().to_string();
    let mut headers = vec![("Content-Type", "text/disconnect-notice")];
    if let Some(uuid) = session {
        headers.push(("Controlled-Session-UUID", uuid));
        headers.push(("Content-Disposition", "disconnect"));
    }
    headers.push(("Content-Length", &length));
    message(&mut out, &headers, Some(text.as_bytes()));
    out.freeze()
}

/// The linger notice: the channel hung up, the socket stays for `linger_time` seconds (-1:
/// until `exit`). Zero-length body.
pub fn encode_linger_notice(session: &str, channel_name: &str, linger_time: i64) -> Bytes {
    let mut out = BytesMut::new();
    let time = linger_time.to_string();
    message(
        &mut out,
        &[
            ("Content-Type", "text/disconnect-notice"),
            ("Controlled-Session-UUID", session),
            ("Content-Disposition", "linger"),
            ("Channel-Name", channel_name),
            ("Linger-Time", &time),
            ("Content-Length", "0"),
        ],
        None,
    );
    out.freeze()
}

/// `text/rude-rejection`: the ACL refused the peer.
pub fn encode_rude_rejection(text: &str) -> Bytes {
    let mut out = BytesMut::new();
    let length = text.len().to_string();
    message(
        &mut out,
        &[
            ("Content-Type", "text/rude-rejection"),
            ("Content-Length", &length),
        ],
        Some(text.as_bytes()),
    );
    out.freeze()
}

/// The reply to an outbound socket's `connect`: the channel's data serialised as a plain
/// event, then `Content-Type: command/reply`, `Reply-Text: +OK\n` (percent-encoded like every
/// value), `Socket-Mode` and `Control`, as `outbound_socket` shows.
pub fn encode_connect_reply(channel_data: &Event, async_mode: bool, full: bool) -> Bytes {
    EventBuilder::new()
        .headers_from(channel_data.headers())
        .header("Content-Type", "command/reply")
        .header("Reply-Text", "+OK\n")
        .header("Socket-Mode", if async_mode { "async" } else { "static" })
        .header("Control", if full { "full" } else { "single-channel" })
        .build()
        .encode_body(EventFormat::Plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Command {
        let mut reader = CommandReader::new(Limits::default());
        reader.push(bytes);
        reader.next_command().unwrap().unwrap().parse()
    }

    #[test]
    fn parses_like_parse_command() {
        assert_eq!(parse(b"exit\n\n"), Command::Exit);
        assert_eq!(parse(b"EXITnow\n\n"), Command::Exit);
        assert_eq!(parse(b"auth ClueCon\n\n"), Command::auth("ClueCon"));
        assert_eq!(
            parse(b"userauth 1000@default:pw:x\n\n"),
            Command::userauth("1000@default", "pw:x")
        );
        assert_eq!(parse(b"api status\n\n"), Command::api("status"));
        assert_eq!(parse(b"API eval a: b\n\n"), Command::api("eval a: b"));
        assert!(matches!(parse(b"api\n\n"), Command::Raw(_)));
        assert_eq!(
            parse(b"event plain CHANNEL_CREATE CUSTOM a::b\n\n"),
            Command::event(EventFormat::Plain, ["CHANNEL_CREATE", "CUSTOM", "a::b"])
        );
        assert_eq!(
            parse(b"event\n\n"),
            Command::Event {
                format: None,
                events: vec![]
            }
        );
        assert_eq!(
            parse(b"filter Event-Name X\n\n"),
            Command::filter("Event-Name", "X")
        );
        assert_eq!(
            parse(b"filter add Event-Name X\n\n"),
            Command::filter("Event-Name", "X")
        );
        assert_eq!(
            parse(b"filter delete all\n\n"),
            Command::filter_delete("all", None)
        );
        assert!(matches!(parse(b"filter\n\n"), Command::Raw(_)));
        assert!(matches!(parse(b"filter x\n\n"), Command::Raw(_)));
        assert_eq!(
            parse(b"log 7\n\n"),
            Command::Log {
                level: Some(LogLevel::Debug)
            }
        );
        assert_eq!(parse(b"log\n\n"), Command::Log { level: None });
        assert!(matches!(parse(b"log notalevel\n\n"), Command::Raw(_)));
        assert_eq!(parse(b"nolog\n\n"), Command::NoLog);
        assert_eq!(parse(b"linger\n\n"), Command::Linger { seconds: None });
        assert_eq!(parse(b"linger 2\n\n"), Command::Linger { seconds: Some(2) });
        assert_eq!(
            parse(b"myevents plain u-1\n\n"),
            Command::MyEvents {
                uuid: Some("u-1".into()),
                format: Some(EventFormat::Plain)
            }
        );
        assert!(matches!(parse(b"foo bar\n\n"), Command::Raw(_)));
        assert_eq!(
            parse(b"bgapi status\nJob-UUID: j\n\n"),
            Command::bgapi_with_uuid("status", "j")
        );
    }

    #[test]
    fn parses_sendmsg_with_the_argument_in_the_body() {
        let command = parse(
            b"sendmsg u\ncall-command: execute\nexecute-app-name: playback\n\
content-type: text/plain\ncontent-length: 5\n\na\nb c",
        );
        let Command::SendMsg(msg) = command else {
            panic!()
        };
        let CallCommand::Execute(exec) = msg.command else {
            panic!()
        };
        assert_eq!(exec.arg.as_deref(), Some("a\nb c"));
        assert_eq!(exec.placement, ArgPlacement::Auto);
        assert!(msg.headers.is_empty());
    }

    #[test]
    fn encodes_replies_as_captured() {
        assert_eq!(
            encode_command_reply("+OK accepted").as_ref(),
            b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n"
        );
        assert_eq!(
            encode_api_response(b"").as_ref(),
            b"Content-Type: api/response\nContent-Length: 14\n\n-ERR no reply\n"
        );
        assert_eq!(
            encode_disconnect_notice(None, GOODBYE).as_ref(),
            &b"Content-Type: text/disconnect-notice\nContent-Length: 67\n\n"[..]
                .iter()
                .chain(GOODBYE.as_bytes())
                .copied()
                .collect::<Vec<u8>>()[..]
        );
        assert_eq!(
            encode_linger_notice("u", "loopback/x", -1).as_ref(),
            b"Content-Type: text/disconnect-notice\nControlled-Session-UUID: u\n\
Content-Disposition: linger\nChannel-Name: loopback/x\nLinger-Time: -1\nContent-Length: 0\n\n"
        );
    }
}
