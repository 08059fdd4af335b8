//! The wire form of a command: every field checked before anything is written.

use bytes::{BufMut, Bytes, BytesMut};

use super::{CallCommand, Command, SendMsg};
use crate::error::CommandError;

impl Command {
    /// The command's bytes, or why it cannot be sent.
    pub fn to_bytes(&self) -> Result<Bytes, CommandError> {
        let mut out = BytesMut::new();
        self.encode(&mut out)?;
        Ok(out.freeze())
    }

    /// Appends the command's bytes to `out`. On error nothing is appended.
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), CommandError> {
        let mut w = Writer::default();
        match self {
            Command::Auth { password } => {
                w.line(&["auth ", checked("password", password.expose())?]);
            }
            Command::UserAuth { user, password } => {
                // `parse_command` takes the domain after the first `@` and the password after
                // the first `:` that follows it.
                match user.split_once('@') {
                    Some((name, domain))
                        if !name.is_empty() && !domain.is_empty() && !user.contains(':') => {}
                    _ => {
                        return Err(CommandError::Malformed {
                            field: "userauth user",
                            reason: "must be user@domain, without ':'",
                        })
                    }
                }
                w.line(&[
                    "userauth ",
                    nonempty("user", checked("user", user)?)?,
                    ":",
                    checked("password", password.expose())?,
                ]);
            }
            Command::Api { command } => w.line(&["api ", checked("api command", command)?]),
            Command::Bgapi { command, job_uuid } => {
                w.line(&["bgapi ", checked("bgapi command", command)?]);
                if let Some(uuid) = job_uuid {
                    w.header("Job-UUID", nonempty("Job-UUID", uuid)?)?;
                }
            }
            Command::Event { format, events } => {
                w.start("event");
                if let Some(format) = format {
                    w.word(format.as_str());
                }
                for event in events {
                    w.word(checked("event name", event)?);
                }
            }
            Command::NixEvent { events } => {
                w.start("nixevent");
                for event in events {
                    w.word(checked("event name", event)?);
                }
            }
            Command::NoEvents => w.start("noevents"),
            Command::Filter { header, value } => {
                w.line(&[
                    "filter ",
                    nonempty("filter header", checked("filter header", header)?)?,
                    " ",
                    checked("filter value", value)?,
                ]);
            }
            Command::FilterDelete { header, value } => {
                w.line(&[
                    "filter delete ",
                    nonempty("filter header", checked("filter header", header)?)?,
                ]);
                if let Some(value) = value {
                    w.word(checked("filter value", value)?);
                }
            }
            Command::MyEvents { uuid, format } => {
                w.start("myevents");
                if let Some(uuid) = uuid {
                    w.word(nonempty("uuid", checked("uuid", uuid)?)?);
                }
                if let Some(format) = format {
                    w.word(format.as_str());
                }
            }
            Command::DivertEvents { on } => {
                w.line(&["divert_events ", if *on { "on" } else { "off" }]);
            }
            Command::Linger { seconds } => {
                w.start("linger");
                if let Some(seconds) = seconds {
                    w.word(&seconds.to_string());
                }
            }
            Command::NoLinger => w.start("nolinger"),
            Command::Log { level } => {
                w.start("log");
                if let Some(level) = level {
                    w.word(&level.number().to_string());
                }
            }
            Command::NoLog => w.start("nolog"),
            Command::SendMsg(msg) => msg.write(&mut w)?,
            Command::SendEvent(event) => {
                w.line(&[
                    "sendevent ",
                    nonempty("event name", checked("event name", &event.name)?)?,
                ]);
                for (name, value) in &event.headers {
                    w.header(name, value)?;
                }
                if let Some(body) = &event.body {
                    w.body("Content-Length", body.clone());
                }
            }
            Command::Connect => w.start("connect"),
            Command::Resume => w.start("resume"),
            Command::GetVar { name } => {
                w.line(&["getvar ", nonempty("variable", checked("variable", name)?)?]);
            }
            Command::Exit => w.start("exit"),
            Command::Raw(raw) => {
                w.start(nonempty(
                    "command line",
                    checked("command line", &raw.line)?,
                )?);
                for (name, value) in &raw.headers {
                    w.header(name, value)?;
                }
                if let Some(body) = &raw.body {
                    w.body("Content-Length", body.clone());
                }
            }
        }
        w.finish(out);
        Ok(())
    }
}

impl SendMsg {
    fn write(&self, w: &mut Writer) -> Result<(), CommandError> {
        w.start("sendmsg");
        if let Some(uuid) = &self.uuid {
            w.word(nonempty("uuid", checked("uuid", uuid)?)?);
        }
        match &self.command {
            CallCommand::Execute(exec) => {
                w.header("call-command", "execute")?;
                w.header("execute-app-name", nonempty("execute-app-name", &exec.app)?)?;
                let in_body = exec.arg_in_body();
                if let (Some(arg), false) = (&exec.arg, in_body) {
                    w.header("execute-app-arg", arg)?;
                }
                if let Some(loops) = exec.loops {
                    w.header("loops", &loops.to_string())?;
                }
                if exec.event_lock {
                    w.header("event-lock", "true")?;
                }
                if exec.async_ {
                    w.header("async", "true")?;
                }
                if let Some(uuid) = &exec.event_uuid {
                    w.header("Event-UUID", nonempty("Event-UUID", uuid)?)?;
                }
                self.write_extra(w)?;
                if let (Some(arg), true) = (&exec.arg, in_body) {
                    w.header("content-type", "text/plain")?;
                    w.body("content-length", Bytes::copy_from_slice(arg.as_bytes()));
                }
                return Ok(());
            }
            CallCommand::Hangup { cause } => {
                w.header("call-command", "hangup")?;
                if let Some(cause) = cause {
                    w.header("hangup-cause", cause)?;
                }
            }
            CallCommand::Unicast(u) => {
                w.header("call-command", "unicast")?;
                let ports = (
                    u.local_port.map(|p| p.to_string()),
                    u.remote_port.map(|p| p.to_string()),
                );
                for (name, value) in [
                    ("local-ip", u.local_ip.as_deref()),
                    ("local-port", ports.0.as_deref()),
                    ("remote-ip", u.remote_ip.as_deref()),
                    ("remote-port", ports.1.as_deref()),
                    ("transport", u.transport.as_deref()),
                    ("flags", u.flags.as_deref()),
                ] {
                    if let Some(value) = value {
                        w.header(name, value)?;
                    }
                }
            }
            CallCommand::NoMedia { uuid } => {
                w.header("call-command", "nomedia")?;
                w.header("nomedia-uuid", uuid)?;
            }
            CallCommand::Other { name } => {
                w.header("call-command", nonempty("call-command", name)?)?;
            }
        }
        self.write_extra(w)
    }

    fn write_extra(&self, w: &mut Writer) -> Result<(), CommandError> {
        for (name, value) in &self.headers {
            w.header(name, value)?;
        }
        Ok(())
    }
}

/// Refuses a field that holds CR, LF or NUL.
pub(crate) fn checked<'a>(field: &'static str, value: &'a str) -> Result<&'a str, CommandError> {
    if value.contains(['\r', '\n', '\0']) {
        return Err(CommandError::LineBreak { field });
    }
    Ok(value)
}

pub(crate) fn nonempty<'a>(field: &'static str, value: &'a str) -> Result<&'a str, CommandError> {
    if value.is_empty() {
        return Err(CommandError::Empty { field });
    }
    Ok(value)
}

/// Collects a command's parts, checked, before anything reaches the output buffer.
#[derive(Default)]
struct Writer {
    buf: BytesMut,
    body: Option<Bytes>,
}

impl Writer {
    fn start(&mut self, keyword: &str) {
        self.buf.put_slice(keyword.as_bytes());
    }

    fn line(&mut self, parts: &[&str]) {
        for part in parts {
            self.buf.put_slice(part.as_bytes());
        }
    }

    fn word(&mut self, word: &str) {
        self.buf.put_u8(b' ');
        self.buf.put_slice(word.as_bytes());
    }

    fn header(&mut self, name: &str, value: &str) -> Result<(), CommandError> {
        if name.is_empty() || name.contains([':', '\r', '\n', '\0']) || name.starts_with(' ') {
            return Err(CommandError::InvalidHeaderName { name: name.into() });
        }
        if name.eq_ignore_ascii_case("content-length") {
            // The body's length is written by the encoder; a caller's own would desynchronise
            // the switch's reader.
            return Err(CommandError::InvalidHeaderName { name: name.into() });
        }
        checked("header value", value)?;
        self.buf.put_u8(b'\n');
        self.buf.put_slice(name.as_bytes());
        self.buf.put_slice(b": ");
        self.buf.put_slice(value.as_bytes());
        Ok(())
    }

    fn body(&mut self, length_header: &str, body: Bytes) {
        self.buf.put_u8(b'\n');
        self.buf.put_slice(length_header.as_bytes());
        self.buf.put_slice(b": ");
        self.buf.put_slice(body.len().to_string().as_bytes());
        self.body = Some(body);
    }

    fn finish(self, out: &mut BytesMut) {
        out.reserve(self.buf.len() + 2 + self.body.as_ref().map_or(0, Bytes::len));
        out.put_slice(&self.buf);
        out.put_slice(b"\n\n");
        if let Some(body) = self.body {
            out.put_slice(&body);
        }
    }
}
