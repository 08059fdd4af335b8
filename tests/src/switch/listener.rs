//! One connection: inbound (a client connected to the switch) or outbound (the `socket`
//! application connected out). Replies follow `parse_command` in `mod_event_socket.c` and the
//! texts the captures recorded.
//!
//! A reader thread turns the socket into [`Input::Command`]s; the session loop takes commands,
//! events and notices from one queue in order. Like the switch's own listener thread, it
//! writes a command's reply before the events queued while the command ran.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use esl_proto::server::{self, ClientCommand, CommandReader};
use esl_proto::{CallCommand, Command, EventName, Limits, Subscriptions};

use super::api;
use super::state::{HangupOrder, Input, Listener, ListenerView, State};
use super::{Fault, Shared};

/// What ends a session.
enum End {
    /// Send the disconnect notice, then close (`exit`, failed auth, channel gone).
    Goodbye,
    /// Close without a word (the peer went away, a fault, a restart).
    Drop,
}

struct Session {
    shared: Arc<Shared>,
    state: Arc<Mutex<State>>,
    link: Arc<Listener>,
    writer: TcpStream,
    authed: bool,
    /// Outbound: the channel; the `connect` command has been answered.
    outbound: Option<String>,
    connected: bool,
    full: bool,
    async_mode: bool,
    linger_deadline: Option<Instant>,
    lingering: bool,
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// Serves one inbound connection until it ends.
pub(crate) fn serve_inbound(shared: Arc<Shared>, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let Some((session, rx)) = Session::open(shared, stream, None) else {
        return;
    };
    session.run(rx, Some(server::encode_auth_request()));
}

/// The `socket` application: connect to `target`, then serve the outbound protocol.
pub(crate) fn connect_outbound(
    state: &Arc<Mutex<State>>,
    target: SocketAddr,
    uuid: &str,
    async_mode: bool,
    full: bool,
) {
    let shared = lock(state).shared.upgrade();
    let Some(shared) = shared else { return };
    let Ok(stream) = TcpStream::connect_timeout(&target, Duration::from_secs(2)) else {
        let mut st = lock(state);
        st.hangup(uuid, "DESTINATION_OUT_OF_ORDER", HangupOrder::Killed);
        return;
    };
    let _ = stream.set_nodelay(true);
    let Some((mut session, rx)) = Session::open(shared, stream, Some(uuid.to_owned())) else {
        return;
    };
    session.full = full;
    session.async_mode = async_mode;
    session.authed = true;
    session.run(rx, None);
}

impl Session {
    fn open(
        shared: Arc<Shared>,
        stream: TcpStream,
        outbound: Option<String>,
    ) -> Option<(Session, mpsc::Receiver<Input>)> {
        let reader = stream.try_clone().ok()?;
        let (tx, rx) = mpsc::channel();
        let state = shared.state.clone();
        let link = {
            let mut st = lock(&state);
            let id = st.next_listener;
            st.next_listener += 1;
            let link = Arc::new(Listener {
                id,
                tx: tx.clone(),
                view: Mutex::new(ListenerView {
                    subs: Subscriptions::new(),
                    session: outbound.clone(),
                    outbound: outbound.is_some(),
                    linger: None,
                    log_level: None,
                }),
            });
            st.listeners.push(link.clone());
            if let Some(uuid) = &outbound {
                if let Some(ch) = st.channels.get_mut(uuid) {
                    ch.held_by.push(id);
                }
            }
            link
        };
        shared.register(link.id, &stream);
        let faults = shared.clone();
        std::thread::Builder::new()
            .name("sim-reader".into())
            .spawn(move || read_commands(reader, tx, &faults))
            .ok()?;
        Some((
            Session {
                shared,
                state,
                link,
                writer: stream,
                authed: false,
                outbound,
                connected: false,
                full: true,
                async_mode: true,
                linger_deadline: None,
                lingering: false,
            },
            rx,
        ))
    }

    fn write(&mut self, bytes: &[u8]) -> bool {
        while self.shared.fault_is(|f| matches!(f, Fault::Stall)) {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.writer.write_all(bytes).is_ok()
    }

    /// Writes a reply, with whatever fault is set for replies.
    fn reply(&mut self, bytes: Bytes) -> bool {
        if let Some(delay) = self.shared.fault_map(|f| match f {
            Fault::DelayReplies(d) => Some(*d),
            _ => None,
        }) {
            std::thread::sleep(delay);
        }
        if self
            .shared
            .fault_is(|f| matches!(f, Fault::WithholdReplies))
        {
            return true;
        }
        if self.shared.take_fault(|f| matches!(f, Fault::Garbage)) {
            return self.write(b"Content-Type: api/response\nContent-Length: -7\n\ngarbage");
        }
        if self
            .shared
            .take_fault(|f| matches!(f, Fault::CloseMidReply))
        {
            let half = bytes.len() / 2;
            let _ = self.write(&bytes[..half.max(1)]);
            let _ = self.writer.shutdown(Shutdown::Both);
            return false;
        }
        self.write(&bytes)
    }

    fn run(mut self, rx: mpsc::Receiver<Input>, greeting: Option<Bytes>) {
        let mut end = End::Drop;
        if greeting.is_none_or(|g| self.write(&g)) {
            end = self.serve(&rx);
        }
        if let End::Goodbye = end {
            let session = self.link.view().session.clone();
            let _ = self.write(&server::encode_disconnect_notice(
                session.as_deref(),
                server::GOODBYE,
            ));
        }
        let _ = self.writer.shutdown(Shutdown::Both);
        self.shared.unregister(self.link.id);
        let mut st = lock(&self.state);
        st.listeners.retain(|l| l.id != self.link.id);
        let bound = self.link.view().session.clone();
        if let Some(uuid) = bound {
            st.release(&uuid, self.link.id);
        }
    }

    fn serve(&mut self, rx: &mpsc::Receiver<Input>) -> End {
        loop {
            let input = match self.linger_deadline {
                Some(deadline) => {
                    match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                        Ok(input) => input,
                        // The linger time is up: the switch says goodbye (outbound_socket_linger_timeout).
                        Err(mpsc::RecvTimeoutError::Timeout) => return End::Goodbye,
                        Err(mpsc::RecvTimeoutError::Disconnected) => return End::Drop,
                    }
                }
                None => match rx.recv() {
                    Ok(input) => input,
                    Err(_) => return End::Drop,
                },
            };
            match input {
                Input::Command(command) => {
                    if let Some(end) = self.command(&command) {
                        return end;
                    }
                }
                Input::Bytes(bytes) => {
                    if !self.write(&bytes) {
                        return End::Drop;
                    }
                }
                Input::ChannelDown => {
                    if let Some(end) = self.channel_down() {
                        return end;
                    }
                }
                Input::Eof | Input::Kill => return End::Drop,
            }
        }
    }

    /// The controlled channel hung up: linger (notice, then wait) or say goodbye.
    fn channel_down(&mut self) -> Option<End> {
        if self.lingering {
            return None;
        }
        let (session, linger) = {
            let view = self.link.view();
            (view.session.clone(), view.linger)
        };
        let Some(linger) = linger else {
            return Some(End::Goodbye);
        };
        let uuid = session.unwrap_or_default();
        let name = lock(&self.state)
            .channels
            .get(&uuid)
            .map(|c| c.name.clone())
            .unwrap_or_default();
        self.lingering = true;
        if linger >= 0 {
            self.linger_deadline = Some(
                Instant::now()
                    + Duration::from_secs(linger as u64).mul_f64(self.shared.time_scale()),
            );
        }
        if self.write(&server::encode_linger_notice(&uuid, &name, linger)) {
            None
        } else {
            Some(End::Drop)
        }
    }

    /// Handles one command; `Some` ends the session after its reply.
    fn command(&mut self, raw: &ClientCommand) -> Option<End> {
        let command = raw.parse();
        // Outbound: the first command must be `connect` (read_packet in the outbound branch).
        if let Some(uuid) = self.outbound.clone().filter(|_| !self.connected) {
            if !matches!(command, Command::Connect) {
                return Some(End::Drop);
            }
            self.connected = true;
            let data = lock(&self.state).channel_data_event(&uuid);
            let Some(data) = data else {
                return Some(End::Drop);
            };
            let bytes = server::encode_connect_reply(&data, self.async_mode, self.full);
            if !self.write(&bytes) {
                return Some(End::Drop);
            }
            lock(&self.state).socket_connected(&uuid);
            return None;
        }
        if matches!(command, Command::Exit) {
            return if self.reply(server::encode_command_reply("+OK bye")) {
                Some(End::Goodbye)
            } else {
                Some(End::Drop)
            };
        }
        if !self.authed {
            return self.unauthenticated(&command);
        }
        let text = match &command {
            Command::Api { command: line } => {
                // Lock order is state, then a listener's view (publishing takes them so):
                // never hold the view while the api takes the state.
                let session = self.link.view().session.clone();
                let body = api::run(&self.state, line, session.as_deref());
                if let Some(blast) = api::blast_request(line) {
                    let ok = self.reply(server::encode_api_response(b"+OK\n"));
                    return (!ok || !self.blast(blast)).then_some(End::Drop);
                }
                return (!self.reply(server::encode_api_response(body.as_bytes())))
                    .then_some(End::Drop);
            }
            Command::Bgapi {
                command: line,
                job_uuid,
            } => {
                let job = job_uuid.clone().unwrap_or_else(super::clock::uuid);
                if !self.reply(server::encode_bgapi_reply(&job)) {
                    return Some(End::Drop);
                }
                api::run_background(&self.state, line, &job);
                return None;
            }
            Command::SendMsg(msg) => self.sendmsg(msg),
            Command::SendEvent(event) => {
                let uuid = super::clock::uuid();
                let mut st = lock(&self.state);
                let mut b = st.base(&event.name, "mod_event_socket.c", "parse_command", 2237);
                for (n, v) in &event.headers {
                    b = b.set(n, v.as_str());
                }
                b = b.header("Event-UUID", uuid.as_str());
                if let Some(body) = &event.body {
                    b = b.body(body.to_vec());
                }
                st.publish(&b.build());
                format!("+OK {uuid}")
            }
            Command::Event { format, events } => {
                let mut keys = 0;
                let mut custom = false;
                for word in events {
                    if custom {
                        continue;
                    }
                    let name = EventName::parse(word);
                    if name.is_known() {
                        keys += 1;
                        custom |= name == EventName::Custom;
                    }
                }
                let mut view = self.link.view();
                view.subs.apply(&command);
                let _ = format;
                if keys == 0 {
                    "-ERR no keywords supplied".into()
                } else {
                    format!("+OK event listener enabled {}", view.subs.format())
                }
            }
            Command::NixEvent { events } => {
                let keys = events
                    .iter()
                    .filter(|w| EventName::parse(w).is_known())
                    .count();
                self.link.view().subs.apply(&command);
                if keys == 0 {
                    "-ERR no keywords supplied".into()
                } else {
                    "+OK events nixed".into()
                }
            }
            Command::NoEvents => {
                let mut view = self.link.view();
                let listening = view.subs.is_enabled();
                view.subs.apply(&command);
                if listening {
                    "+OK no longer listening for events".into()
                } else {
                    "-ERR not listening for events".into()
                }
            }
            Command::Filter { header, value } => {
                self.link.view().subs.apply(&command);
                format!("+OK filter added. [{header}]=[{value}]")
            }
            Command::FilterDelete { header, value } => {
                self.link.view().subs.apply(&command);
                format!(
                    "+OK filter deleted. [{header}][{}]",
                    value.as_deref().unwrap_or("")
                )
            }
            Command::MyEvents { uuid, .. } => self.myevents(&command, uuid.clone()),
            Command::DivertEvents { on } => {
                if self.link.view().session.is_none() {
                    "-ERR not controlling a session.".into()
                } else if *on {
                    "+OK events diverted".into()
                } else {
                    "+OK events not diverted".into()
                }
            }
            Command::Linger { seconds } => {
                let mut view = self.link.view();
                if view.session.is_none() {
                    "-ERR not controlling a session".into()
                } else {
                    view.linger = Some(seconds.map_or(-1, i64::from));
                    match seconds {
                        Some(s) => format!("+OK will linger {s} seconds"),
                        None => "+OK will linger".into(),
                    }
                }
            }
            Command::NoLinger => {
                let mut view = self.link.view();
                if view.session.is_none() {
                    "-ERR not controlling a session".into()
                } else {
                    view.linger = None;
                    "+OK will not linger".into()
                }
            }
            Command::Log { level } => {
                let level = level.map_or(7, |l| l.number());
                // `+OK log level <what was typed> [<level>]`: bare `log` leaves two spaces.
                let typed = raw.line.get(4..).unwrap_or_default().to_owned();
                self.link.view().log_level = Some(level);
                format!("+OK log level {typed} [{level}]")
            }
            Command::NoLog => {
                let mut view = self.link.view();
                match view.log_level.take() {
                    Some(_) => "+OK no longer logging".into(),
                    None => "-ERR not loging".into(),
                }
            }
            Command::Resume if self.outbound.is_some() => "+OK".into(),
            Command::GetVar { name } if self.outbound.is_some() => {
                let uuid = self.outbound.clone().unwrap_or_default();
                lock(&self.state)
                    .channels
                    .get(&uuid)
                    .and_then(|c| c.var(name).map(str::to_owned))
                    .unwrap_or_default()
            }
            Command::Raw(raw_command)
                if raw_command.line.len() >= 4
                    && raw_command.line[..4].eq_ignore_ascii_case("log ") =>
            {
                "-ERR invalid log level".into()
            }
            Command::Raw(raw_command)
                if raw_command.line.len() > 7
                    && raw_command.line[..7].eq_ignore_ascii_case("filter ") =>
            {
                "-ERR invalid syntax".into()
            }
            _ => "-ERR command not found".into(),
        };
        if self.reply(server::encode_command_reply(&text)) {
            None
        } else {
            Some(End::Drop)
        }
    }

    fn unauthenticated(&mut self, command: &Command) -> Option<End> {
        let password = self.shared.password();
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
                return (!self.reply(server::encode_command_reply("-ERR command not found")))
                    .then_some(End::Drop);
            }
        };
        if !self.reply(reply) {
            return Some(End::Drop);
        }
        if accepted {
            self.authed = true;
            None
        } else {
            // inbound_auth_fail: `-ERR invalid`, the disconnect notice, and the close.
            Some(End::Goodbye)
        }
    }

    fn myevents(&mut self, command: &Command, uuid: Option<String>) -> String {
        if self.link.view().subs.myevents().is_some() {
            return "-ERR aready enabled.".into();
        }
        // Inbound: bind the named channel, which then is not destroyed until this socket
        // closes (no CHANNEL_DESTROY reached the socket in inbound_myevents_linger).
        if self.link.view().session.is_none() {
            if let Some(uuid) = uuid {
                let bound = match lock(&self.state).channels.get_mut(&uuid) {
                    Some(ch) => {
                        ch.held_by.push(self.link.id);
                        true
                    }
                    None => false,
                };
                if bound {
                    self.link.view().session = Some(uuid);
                }
            }
        }
        self.link.view().subs.apply(command);
        "+OK Events Enabled".into()
    }

    fn sendmsg(&mut self, msg: &esl_proto::SendMsg) -> String {
        let own = self.link.view().session.clone();
        let uuid = msg.uuid.clone().or(own);
        let mut st = lock(&self.state);
        let Some(uuid) = uuid.filter(|u| st.channels.get(u).is_some_and(|c| !c.hung_up)) else {
            return format!(
                "-ERR invalid session id [{}]",
                msg.uuid.as_deref().unwrap_or("")
            );
        };
        match &msg.command {
            CallCommand::Execute(exec) => {
                let arg = exec.arg.clone().unwrap_or_default();
                let times = exec.loops.unwrap_or(1).max(1);
                for _ in 0..times {
                    st.queue_exec(&uuid, &exec.app, &arg, exec.event_uuid.clone());
                }
            }
            CallCommand::Hangup { cause } => {
                let cause = cause.clone().unwrap_or_else(|| "NORMAL_CLEARING".into());
                st.hangup(&uuid, &cause, HangupOrder::Killed);
            }
            CallCommand::NoMedia { .. } | CallCommand::Unicast(_) | CallCommand::Other { .. } => {}
        }
        "+OK".into()
    }

    /// `api sim_blast <n>`: the configured event stream, `n` times, as fast as the socket
    /// takes it (the benchmark's switch).
    fn blast(&mut self, times: usize) -> bool {
        let Some(stream) = self.shared.blast_stream() else {
            return true;
        };
        for _ in 0..times {
            if !self.write(&stream) {
                return false;
            }
        }
        true
    }
}

/// Reads the client's commands into the session's queue.
fn read_commands(mut stream: TcpStream, tx: mpsc::Sender<Input>, shared: &Shared) {
    let mut reader = CommandReader::new(Limits {
        max_header_block: 10 * 1024 * 1024,
        ..Limits::default()
    });
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        while shared.fault_is(|f| matches!(f, Fault::StopReading)) {
            std::thread::sleep(Duration::from_millis(5));
        }
        let n = match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        reader.push(&buf[..n]);
        loop {
            match reader.next_command() {
                Ok(Some(command)) => {
                    if tx.send(Input::Command(command)).is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    let _ = tx.send(Input::Kill);
                    return;
                }
            }
        }
    }
    let _ = tx.send(Input::Eof);
}
