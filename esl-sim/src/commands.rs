//! What the switch answers to each command a client sends: `parse_command` in
//! `mod_event_socket.c`, with the reply texts the captures recorded.

use esl_proto::server::{self, ClientCommand};
use esl_proto::{CallCommand, Command, EventName, SendMsg};

use crate::channel::MAX_QUEUED;
use crate::hangup::HangupOrder;
use crate::ids::ConnectionId;
use crate::switch::Switch;

impl Switch {
    /// Handles one command on `id`, queuing its reply.
    pub(crate) fn command(&mut self, id: ConnectionId, raw: &ClientCommand) {
        let command = raw.parse();
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        // Outbound: the first command must be `connect` (read_packet in the outbound branch).
        if let Some(uuid) = conn.outbound.clone().filter(|_| !conn.connected) {
            if !matches!(command, Command::Connect) {
                return self.finish(id, true);
            }
            return self.socket_connect(id, &uuid);
        }
        if matches!(command, Command::Exit) {
            if self.reply(id, server::encode_command_reply("+OK bye")) {
                self.goodbye(id);
            }
            return;
        }
        if !conn.authed {
            return self.unauthenticated(id, &command);
        }
        let text = match &command {
            Command::Api { command: line } => return self.api_command(id, line),
            Command::Bgapi {
                command: line,
                job_uuid,
            } => {
                let job = job_uuid.clone().unwrap_or_else(|| self.uuids.next());
                if self.reply(id, server::encode_bgapi_reply(&job)) {
                    // The job runs after the reply, like bgapi's own thread.
                    self.release_held(id);
                    self.bgapi_command(line, &job);
                }
                return;
            }
            Command::SendMsg(msg) => self.sendmsg(id, msg),
            Command::SendEvent(event) => {
                let uuid = self.uuids.next();
                let mut b = self.base(&event.name, ("mod_event_socket.c", "parse_command", 2237));
                for (n, v) in &event.headers {
                    b = b.set(n, v.as_str());
                }
                b = b.header("Event-UUID", uuid.as_str());
                if let Some(body) = &event.body {
                    b = b.body(body.to_vec());
                }
                self.publish(&b.build());
                format!("+OK {uuid}")
            }
            Command::Event { events, .. } => {
                // Keywords are read up to CUSTOM; after it every word is a subclass.
                let mut keys = 0;
                for word in events {
                    let name = EventName::parse(word);
                    if name.is_known() {
                        keys += 1;
                    }
                    if name == EventName::Custom {
                        break;
                    }
                }
                let Some(conn) = self.conns.get_mut(&id) else {
                    return;
                };
                conn.subs.apply(&command);
                if keys == 0 {
                    "-ERR no keywords supplied".into()
                } else {
                    format!("+OK event listener enabled {}", conn.subs.format())
                }
            }
            Command::NixEvent { events } => {
                let keys = events
                    .iter()
                    .filter(|w| EventName::parse(w).is_known())
                    .count();
                self.apply_subscription(id, &command);
                if keys == 0 {
                    "-ERR no keywords supplied".into()
                } else {
                    "+OK events nixed".into()
                }
            }
            Command::NoEvents => {
                let listening = self.conns.get(&id).is_some_and(|c| c.subs.is_enabled());
                self.apply_subscription(id, &command);
                if listening {
                    "+OK no longer listening for events".into()
                } else {
                    "-ERR not listening for events".into()
                }
            }
            Command::Filter { header, value } => {
                self.apply_subscription(id, &command);
                format!("+OK filter added. [{header}]=[{value}]")
            }
            Command::FilterDelete { header, value } => {
                self.apply_subscription(id, &command);
                format!(
                    "+OK filter deleted. [{header}][{}]",
                    value.as_deref().unwrap_or("")
                )
            }
            Command::MyEvents { uuid, .. } => self.myevents(id, &command, uuid.clone()),
            Command::DivertEvents { on } => match (self.session_of(id), on) {
                (None, _) => "-ERR not controlling a session.".into(),
                (Some(_), true) => "+OK events diverted".into(),
                (Some(_), false) => "+OK events not diverted".into(),
            },
            Command::Linger { seconds } => match self.conns.get_mut(&id) {
                Some(conn) if conn.session.is_some() => {
                    conn.linger = Some(seconds.map_or(-1, i64::from));
                    match seconds {
                        Some(s) => format!("+OK will linger {s} seconds"),
                        None => "+OK will linger".into(),
                    }
                }
                _ => "-ERR not controlling a session".into(),
            },
            Command::NoLinger => match self.conns.get_mut(&id) {
                Some(conn) if conn.session.is_some() => {
                    conn.linger = None;
                    "+OK will not linger".into()
                }
                _ => "-ERR not controlling a session".into(),
            },
            Command::Log { level } => {
                let level = level.map_or(7, |l| l.number());
                // `+OK log level <what was typed> [<level>]`: bare `log` leaves two spaces.
                let typed = raw.line.get(4..).unwrap_or_default().to_owned();
                if let Some(conn) = self.conns.get_mut(&id) {
                    conn.log_level = Some(level);
                }
                format!("+OK log level {typed} [{level}]")
            }
            Command::NoLog => match self.conns.get_mut(&id).and_then(|c| c.log_level.take()) {
                Some(_) => "+OK no longer logging".into(),
                None => "-ERR not loging".into(),
            },
            Command::Resume if conn.outbound.is_some() => {
                if let Some(conn) = self.conns.get_mut(&id) {
                    conn.resume = true;
                }
                "+OK".into()
            }
            Command::GetVar { name } if conn.outbound.is_some() => conn
                .outbound
                .as_ref()
                .and_then(|u| self.channels.get(u))
                .and_then(|c| c.var(name).map(str::to_owned))
                .unwrap_or_default(),
            Command::Raw(raw) if starts_with_ci(&raw.line, "log ") => {
                "-ERR invalid log level".into()
            }
            Command::Raw(raw) if raw.line.len() > 7 && starts_with_ci(&raw.line, "filter ") => {
                "-ERR invalid syntax".into()
            }
            _ => "-ERR command not found".into(),
        };
        self.reply(id, server::encode_command_reply(&text));
    }

    fn apply_subscription(&mut self, id: ConnectionId, command: &Command) {
        if let Some(conn) = self.conns.get_mut(&id) {
            conn.subs.apply(command);
        }
    }

    fn session_of(&self, id: ConnectionId) -> Option<String> {
        self.conns.get(&id).and_then(|c| c.session.clone())
    }

    fn unauthenticated(&mut self, id: ConnectionId, command: &Command) {
        let password = self.config.password.as_str();
        let (accepted, reply) = match command {
            Command::Auth { password: given } => {
                let ok = given.expose() == password;
                (
                    ok,
                    server::encode_command_reply(if ok { "+OK accepted" } else { "-ERR invalid" }),
                )
            }
            Command::UserAuth {
                password: given, ..
            } if given.expose() == password => (
                true,
                server::encode_command_reply_with(
                    "+OK accepted",
                    &[
                        ("Allowed-Events", "all"),
                        ("Allowed-API", "all"),
                        ("Allowed-LOG", "true"),
                    ],
                ),
            ),
            Command::UserAuth { .. } => (false, server::encode_command_reply("-ERR invalid")),
            _ => {
                // inbound_unauth_command: refused, and the socket stays open.
                self.reply(id, server::encode_command_reply("-ERR command not found"));
                return;
            }
        };
        if !self.reply(id, reply) {
            return;
        }
        if accepted {
            if let Some(conn) = self.conns.get_mut(&id) {
                conn.authed = true;
            }
        } else {
            // inbound_auth_fail: `-ERR invalid`, the disconnect notice, and the close.
            self.goodbye(id);
        }
    }

    fn myevents(&mut self, id: ConnectionId, command: &Command, uuid: Option<String>) -> String {
        let Some(conn) = self.conns.get(&id) else {
            return String::new();
        };
        if conn.subs.myevents().is_some() {
            return "-ERR aready enabled.".into();
        }
        // Inbound: bind the named channel, which then is not destroyed until this socket
        // closes (no CHANNEL_DESTROY reached the socket in inbound_myevents_linger).
        if conn.session.is_none() {
            if let Some(ch) = uuid.as_ref().and_then(|u| self.channels.get_mut(u)) {
                ch.held_by.push(id);
                if let Some(conn) = self.conns.get_mut(&id) {
                    conn.session = uuid;
                }
            }
        }
        self.apply_subscription(id, command);
        "+OK Events Enabled".into()
    }

    fn sendmsg(&mut self, id: ConnectionId, msg: &SendMsg) -> String {
        let own = self.session_of(id);
        let uuid = msg.uuid.clone().or(own);
        let Some(uuid) = uuid.filter(|u| self.channels.get(u).is_some_and(|c| !c.hung_up)) else {
            return format!(
                "-ERR invalid session id [{}]",
                msg.uuid.as_deref().unwrap_or("")
            );
        };
        match &msg.command {
            CallCommand::Execute(exec) => {
                let arg = exec.arg.clone().unwrap_or_default();
                // `loops`: a negative count repeats until hangup.
                // The count is capped so that an instant application cannot spin forever.
                let again = match exec.loops {
                    Some(n) if n < 0 => MAX_QUEUED as u32,
                    Some(n) => u32::try_from(n).unwrap_or(1).clamp(1, MAX_QUEUED as u32) - 1,
                    None => 0,
                };
                self.queue_exec(&uuid, &exec.app, &arg, exec.event_uuid.clone(), again);
            }
            CallCommand::Hangup { cause } => {
                let cause = cause.clone().unwrap_or_else(|| "NORMAL_CLEARING".into());
                self.hangup(&uuid, &cause, HangupOrder::Killed);
            }
            CallCommand::NoMedia { .. } | CallCommand::Unicast(_) | CallCommand::Other { .. } => {}
        }
        "+OK".into()
    }
}

fn starts_with_ci(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}
