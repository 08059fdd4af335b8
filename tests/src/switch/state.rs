//! The switch's state: channels, conferences, global variables, and who listens to what.
//!
//! Every change happens under one lock, so events come out in one deterministic order. The
//! call flows follow the recorded captures event for event: `originate loopback/<ext>` makes
//! an outbound A leg and an inbound B leg whose events interleave as in
//! `inbound_events_plain`; a hang-up runs as in `inbound_sendmsg` and `outbound_socket`.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{mpsc, Arc, Mutex, Weak};
use std::time::Duration;

use bytes::Bytes;
use esl_proto::server::{self, LogRecord};
use esl_proto::{Event, EventBuilder, Subscriptions};

use super::clock::{self, Scheduler};
use super::Config;

/// What a connection's session loop receives, in one queue, in order.
pub(crate) enum Input {
    /// A command the client sent.
    Command(esl_proto::server::ClientCommand),
    /// An encoded event or log line to write.
    Bytes(Bytes),
    /// The channel this connection controls has hung up.
    ChannelDown,
    /// The client closed its side.
    Eof,
    /// Close now, without a goodbye (a fault or a restart).
    Kill,
}

/// What the state needs to know about one connection.
pub(crate) struct ListenerView {
    pub(crate) subs: Subscriptions,
    /// The channel bound by `myevents <uuid>` or the outbound socket's own channel.
    pub(crate) session: Option<String>,
    pub(crate) outbound: bool,
    pub(crate) linger: Option<i64>,
    pub(crate) log_level: Option<u8>,
}

pub(crate) struct Listener {
    pub(crate) id: u64,
    pub(crate) tx: mpsc::Sender<Input>,
    pub(crate) view: Mutex<ListenerView>,
}

impl Listener {
    pub(crate) fn view(&self) -> std::sync::MutexGuard<'_, ListenerView> {
        self.view.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One application running on a channel.
#[derive(Clone)]
pub(crate) struct Running {
    pub(crate) app: String,
    pub(crate) arg: String,
    pub(crate) uuid: String,
}

/// An `execute` waiting for its turn on a channel.
pub(crate) struct Queued {
    pub(crate) app: String,
    pub(crate) arg: String,
    pub(crate) event_uuid: Option<String>,
}

pub(crate) struct Channel {
    pub(crate) uuid: String,
    pub(crate) name: String,
    pub(crate) outbound: bool,
    pub(crate) state: &'static str,
    pub(crate) call_state: &'static str,
    pub(crate) answer_state: &'static str,
    pub(crate) dest: String,
    pub(crate) cid_name: String,
    pub(crate) cid_num: String,
    pub(crate) callee_name: String,
    pub(crate) callee_num: String,
    pub(crate) created: u64,
    pub(crate) answered: u64,
    pub(crate) hangup_time: u64,
    pub(crate) vars: Vec<(String, String)>,
    pub(crate) other: Option<String>,
    pub(crate) bridged: Option<String>,
    /// Applications running, outermost first (`park`, then an `execute` inside it).
    pub(crate) apps: Vec<Running>,
    pub(crate) parked: bool,
    pub(crate) queue: VecDeque<Queued>,
    /// The rest of the extension's applications, run as each one completes.
    pub(crate) dialplan: VecDeque<(String, String)>,
    pub(crate) cause: Option<String>,
    pub(crate) hung_up: bool,
    /// Connections bound to this channel keep it from being destroyed until they close.
    pub(crate) held_by: Vec<u64>,
    pub(crate) destroy_pending: bool,
    pub(crate) conference: Option<String>,
}

impl Channel {
    /// A channel just created, ringing, with nothing run yet; each kind of leg sets the
    /// rest with struct update syntax.
    fn new(uuid: &str, name: String, outbound: bool, dest: String) -> Channel {
        Channel {
            uuid: uuid.to_owned(),
            name,
            outbound,
            state: "CS_NEW",
            call_state: "DOWN",
            answer_state: "ringing",
            dest,
            cid_name: String::new(),
            cid_num: String::new(),
            callee_name: String::new(),
            callee_num: String::new(),
            created: clock::now_micros(),
            answered: 0,
            hangup_time: 0,
            vars: Vec::new(),
            other: None,
            bridged: None,
            apps: Vec::new(),
            parked: false,
            queue: VecDeque::new(),
            dialplan: VecDeque::new(),
            cause: None,
            hung_up: false,
            held_by: Vec::new(),
            destroy_pending: false,
            conference: None,
        }
    }

    fn state_number(&self) -> &'static str {
        match self.state {
            "CS_NEW" => "0",
            "CS_INIT" => "1",
            "CS_ROUTING" => "2",
            "CS_SOFT_EXECUTE" => "3",
            "CS_EXECUTE" => "4",
            "CS_EXCHANGE_MEDIA" => "5",
            "CS_PARK" => "6",
            "CS_CONSUME_MEDIA" => "7",
            "CS_HIBERNATE" => "8",
            "CS_RESET" => "9",
            "CS_HANGUP" => "10",
            "CS_REPORTING" => "11",
            "CS_DESTROY" => "12",
            _ => "0",
        }
    }

    pub(crate) fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn set_var(&mut self, name: &str, value: &str) {
        match self.vars.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => *v = value.to_owned(),
            None => self.vars.push((name.to_owned(), value.to_owned())),
        }
    }

    fn running(&self) -> Option<&Running> {
        self.apps.last()
    }
}

pub(crate) struct Member {
    pub(crate) id: u32,
    pub(crate) uuid: String,
    pub(crate) name: String,
    pub(crate) cid_num: String,
}

pub(crate) struct Conference {
    pub(crate) name: String,
    pub(crate) uuid: String,
    pub(crate) members: Vec<Member>,
    pub(crate) floor: Option<u32>,
    pub(crate) next_member: u32,
}

pub(crate) struct State {
    pub(crate) config: Config,
    pub(crate) core_uuid: String,
    pub(crate) started: u64,
    seq: u64,
    pub(crate) globals: BTreeMap<String, String>,
    pub(crate) channels: BTreeMap<String, Channel>,
    pub(crate) conferences: BTreeMap<String, Conference>,
    pub(crate) listeners: Vec<Arc<Listener>>,
    pub(crate) sessions_since_startup: u64,
    pub(crate) peak: u64,
    pub(crate) next_session: u64,
    pub(crate) next_listener: u64,
    pub(crate) socket_target: Option<SocketAddr>,
    /// Every application each channel ran, in order, kept after the channel is gone.
    pub(crate) history: BTreeMap<String, Vec<(String, String)>>,
    pub(crate) scheduler: Scheduler,
    /// The state itself, for work scheduled for later.
    pub(crate) me: Weak<Mutex<State>>,
    /// The switch around it, for outbound sockets.
    pub(crate) shared: Weak<super::Shared>,
}

/// How a hang-up's events are ordered (FreeSWITCH's threads race; each order is recorded).
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum HangupOrder {
    /// `uuid_kill`, `sendmsg hangup`, `hupall` (`inbound_sendmsg`, `outbound_socket`).
    Killed,
    /// The `hangup` application at the end of the `tone` extension (`inbound_events_plain`).
    Dialplan,
}

impl State {
    pub(crate) fn new(config: Config, scheduler: Scheduler) -> Arc<Mutex<State>> {
        let state = Arc::new(Mutex::new(State {
            core_uuid: clock::uuid(),
            started: clock::now_micros(),
            seq: 0,
            globals: default_globals(&config),
            channels: BTreeMap::new(),
            conferences: BTreeMap::new(),
            listeners: Vec::new(),
            sessions_since_startup: 0,
            peak: 0,
            next_session: 1,
            next_listener: 1,
            socket_target: config.socket_target,
            history: BTreeMap::new(),
            scheduler,
            config,
            me: Weak::new(),
            shared: Weak::new(),
        }));
        let weak = Arc::downgrade(&state);
        state.lock().unwrap_or_else(|e| e.into_inner()).me = weak;
        state
    }

    /// Runs `step` on the state after `delay` (scaled by the configured time scale).
    pub(crate) fn later(&self, delay: Duration, step: impl FnOnce(&mut State) + Send + 'static) {
        let me = self.me.clone();
        let scaled = delay.mul_f64(self.config.time_scale);
        self.scheduler.after(scaled, move || {
            if let Some(state) = me.upgrade() {
                let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
                step(&mut state);
            }
        });
    }

    // ---------- events ----------

    /// The headers every event starts with (`switch_event_prep_for_delivery`).
    pub(crate) fn base(
        &mut self,
        name: &str,
        file: &str,
        function: &str,
        line: u32,
    ) -> EventBuilder {
        self.seq += 1;
        let now = clock::now_micros();
        EventBuilder::new()
            .header("Event-Name", name)
            .header("Core-UUID", self.core_uuid.as_str())
            .header("FreeSWITCH-Hostname", self.config.hostname.as_str())
            .header("FreeSWITCH-Switchname", self.config.hostname.as_str())
            .header("FreeSWITCH-IPv4", "127.0.0.1")
            .header("FreeSWITCH-IPv6", "::1")
            .header("Event-Date-Local", clock::date_local(now))
            .header("Event-Date-GMT", clock::date_gmt(now))
            .header("Event-Date-Timestamp", now.to_string())
            .header("Event-Calling-File", file)
            .header("Event-Calling-Function", function)
            .header("Event-Calling-Line-Number", line.to_string())
            .header("Event-Sequence", self.seq.to_string())
    }

    /// A `CUSTOM` event: `Event-Subclass` comes first, as `inbound_conference` shows.
    fn base_custom(
        &mut self,
        subclass: &str,
        file: &str,
        function: &str,
        line: u32,
    ) -> EventBuilder {
        let base = self.base("CUSTOM", file, function, line).build();
        EventBuilder::new()
            .header("Event-Subclass", subclass)
            .headers_from(base.headers())
    }

    /// `switch_channel_event_set_basic_data` and the caller profile.
    fn channel_data(&self, b: EventBuilder, ch: &Channel) -> EventBuilder {
        let direction = if ch.outbound { "outbound" } else { "inbound" };
        let created = ch.created.to_string();
        let answered = ch.answered.to_string();
        let hangup = ch.hangup_time.to_string();
        b.header("Channel-State", ch.state)
            .header("Channel-Call-State", ch.call_state)
            .header("Channel-State-Number", ch.state_number())
            .header("Channel-Name", ch.name.as_str())
            .header("Unique-ID", ch.uuid.as_str())
            .header("Call-Direction", direction)
            .header("Presence-Call-Direction", direction)
            .header(
                "Channel-HIT-Dialplan",
                if ch.outbound { "false" } else { "true" },
            )
            .header("Channel-Call-UUID", ch.uuid.as_str())
            .header("Answer-State", ch.answer_state)
            .header("Channel-Read-Codec-Name", "L16")
            .header("Channel-Read-Codec-Rate", "8000")
            .header("Channel-Read-Codec-Bit-Rate", "128000")
            .header("Channel-Write-Codec-Name", "L16")
            .header("Channel-Write-Codec-Rate", "8000")
            .header("Channel-Write-Codec-Bit-Rate", "128000")
            .header("Caller-Direction", direction)
            .header("Caller-Logical-Direction", direction)
            .header("Caller-Dialplan", "xml")
            .header("Caller-Caller-ID-Name", ch.cid_name.as_str())
            .header("Caller-Caller-ID-Number", ch.cid_num.as_str())
            .header("Caller-Orig-Caller-ID-Number", ch.cid_num.as_str())
            .header("Caller-Callee-ID-Name", ch.callee_name.as_str())
            .header("Caller-Callee-ID-Number", ch.callee_num.as_str())
            .header("Caller-ANI", ch.cid_num.as_str())
            .header("Caller-Destination-Number", ch.dest.as_str())
            .header("Caller-Unique-ID", ch.uuid.as_str())
            .header("Caller-Source", "mod_loopback")
            .header("Caller-Context", "default")
            .header("Caller-Channel-Name", ch.name.as_str())
            .header("Caller-Profile-Index", "1")
            .header("Caller-Profile-Created-Time", created.as_str())
            .header("Caller-Channel-Created-Time", created)
            .header("Caller-Channel-Answered-Time", answered)
            .header("Caller-Channel-Progress-Time", "0")
            .header("Caller-Channel-Progress-Media-Time", "0")
            .header("Caller-Channel-Hangup-Time", hangup)
            .header("Caller-Channel-Transfer-Time", "0")
            .header("Caller-Channel-Resurrect-Time", "0")
            .header("Caller-Channel-Bridged-Time", "0")
            .header("Caller-Channel-Last-Hold", "0")
            .header("Caller-Channel-Hold-Accum", "0")
            .header("Caller-Screen-Bit", "true")
            .header("Caller-Privacy-Hide-Name", "false")
            .header("Caller-Privacy-Hide-Number", "false")
    }

    fn with_vars(b: EventBuilder, ch: &Channel) -> EventBuilder {
        ch.vars
            .iter()
            .fold(b, |b, (n, v)| b.header(format!("variable_{n}"), v.as_str()))
    }

    /// A channel event: base, channel data, variables (for the events that carry them), and
    /// `extra` headers at the end.
    pub(crate) fn channel_event(
        &mut self,
        uuid: &str,
        name: &str,
        origin: (&str, &str, u32),
        extra: &[(&str, String)],
    ) {
        let base = self.base(name, origin.0, origin.1, origin.2);
        let Some(ch) = self.channels.get(uuid) else {
            return;
        };
        let mut b = self.channel_data(base, ch);
        if !matches!(name, "CHANNEL_STATE" | "CHANNEL_CALLSTATE" | "CODEC") {
            b = Self::with_vars(b, ch);
        }
        for (n, v) in extra {
            b = b.header(*n, v.as_str());
        }
        let event = b.build();
        self.publish(&event);
    }

    /// Hands `event` to every connection whose subscriptions admit it, in its format.
    pub(crate) fn publish(&mut self, event: &Event) {
        let mut encoded: [Option<Bytes>; 3] = [None, None, None];
        self.listeners.retain(|listener| {
            let view = listener.view();
            if !view.subs.admits(event, view.session.as_deref()) {
                return true;
            }
            let format = view.subs.format();
            let slot = &mut encoded[format as usize];
            let bytes = slot
                .get_or_insert_with(|| server::encode_event(event, format))
                .clone();
            listener.tx.send(Input::Bytes(bytes)).is_ok()
        });
    }

    /// A log line to every connection logging at `level` or more.
    pub(crate) fn log(
        &mut self,
        level: u8,
        file: &str,
        function: &str,
        line: u32,
        uuid: &str,
        text: &str,
    ) {
        let now = clock::now_micros();
        let label = [
            "CONSOLE", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG",
        ][usize::from(level.min(7))];
        let body = format!(
            "{}.{:06} 99.00% [{label}] {file}:{line} {text}\n",
            clock::date_local(now),
            now % 1_000_000
        );
        let bytes = server::encode_log(&LogRecord {
            level,
            text_channel: 3,
            file,
            function,
            line,
            user_data: uuid,
            text: &body,
        });
        for listener in &self.listeners {
            if listener.view().log_level.is_some_and(|l| l >= level) {
                let _ = listener.tx.send(Input::Bytes(bytes.clone()));
            }
        }
    }

    fn notify_session(&self, uuid: &str, when: impl Fn(&ListenerView) -> bool) {
        for listener in &self.listeners {
            let view = listener.view();
            if view.session.as_deref() == Some(uuid) && when(&view) {
                let _ = listener.tx.send(Input::ChannelDown);
            }
        }
    }

    // ---------- channel changes, each with its event ----------

    fn set_state(&mut self, uuid: &str, state: &'static str) {
        let Some(ch) = self.channels.get_mut(uuid) else {
            return;
        };
        let (old, name) = (ch.state, ch.name.clone());
        ch.state = state;
        self.log(
            7,
            "switch_core_state_machine.c",
            "switch_core_session_run",
            581,
            uuid,
            &format!("({name}) State Change {old} -> {state}"),
        );
        self.channel_event(
            uuid,
            "CHANNEL_STATE",
            (
                "switch_channel.c",
                "switch_channel_perform_set_running_state",
                2409,
            ),
            &[],
        );
    }

    fn set_callstate(&mut self, uuid: &str, call_state: &'static str) {
        let Some(ch) = self.channels.get_mut(uuid) else {
            return;
        };
        let old = ch.call_state;
        ch.call_state = call_state;
        let number = match call_state {
            "DOWN" => "0",
            "DIALING" => "1",
            "RINGING" => "2",
            "EARLY" => "3",
            "ACTIVE" => "4",
            "HELD" => "5",
            "RING_WAIT" => "6",
            "HANGUP" => "7",
            _ => "8",
        };
        self.channel_event(
            uuid,
            "CHANNEL_CALLSTATE",
            (
                "switch_channel.c",
                "switch_channel_perform_set_callstate",
                370,
            ),
            &[
                ("Original-Channel-Call-State", old.to_owned()),
                ("Channel-Call-State-Number", number.to_owned()),
            ],
        );
    }

    fn mark_answered(&mut self, uuid: &str) {
        let Some(ch) = self.channels.get_mut(uuid) else {
            return;
        };
        if ch.answer_state == "answered" || ch.hung_up {
            return;
        }
        ch.answer_state = "answered";
        ch.answered = clock::now_micros();
        ch.set_var("endpoint_disposition", "ANSWER");
        let name = ch.name.clone();
        self.log(
            5,
            "mod_loopback.c",
            "channel_answer_channel",
            1021,
            uuid,
            &format!("Channel [{name}] has been answered"),
        );
        self.channel_event(
            uuid,
            "CHANNEL_ANSWER",
            (
                "switch_channel.c",
                "switch_channel_perform_mark_answered",
                3923,
            ),
            &[],
        );
    }

    /// Starts an application: `CHANNEL_EXECUTE` with its uuid.
    pub(crate) fn exec_start(
        &mut self,
        uuid: &str,
        app: &str,
        arg: &str,
        app_uuid: Option<String>,
    ) -> String {
        let app_uuid = app_uuid.unwrap_or_else(clock::uuid);
        let Some(ch) = self.channels.get_mut(uuid) else {
            return app_uuid;
        };
        self.history
            .entry(uuid.to_owned())
            .or_default()
            .push((app.to_owned(), arg.to_owned()));
        ch.set_var("current_application", app);
        if !arg.is_empty() {
            ch.set_var("current_application_data", arg);
        }
        ch.apps.push(Running {
            app: app.to_owned(),
            arg: arg.to_owned(),
            uuid: app_uuid.clone(),
        });
        let name = ch.name.clone();
        self.log(
            7,
            "switch_core_session.c",
            "switch_core_session_exec",
            2932,
            uuid,
            &format!("EXECUTE [depth=0] {name} {app}({arg})"),
        );
        let mut extra = vec![("Application", app.to_owned())];
        if !arg.is_empty() {
            extra.push(("Application-Data", arg.to_owned()));
        }
        extra.push(("Application-UUID", app_uuid.clone()));
        self.channel_event(
            uuid,
            "CHANNEL_EXECUTE",
            ("switch_core_session.c", "switch_core_session_exec", 2932),
            &extra,
        );
        app_uuid
    }

    /// Ends the innermost application: `CHANNEL_EXECUTE_COMPLETE`, then the next queued one.
    pub(crate) fn exec_done(&mut self, uuid: &str, app_uuid: &str, response: &str) {
        let Some(ch) = self.channels.get_mut(uuid) else {
            return;
        };
        let Some(at) = ch.apps.iter().rposition(|r| r.uuid == app_uuid) else {
            return;
        };
        let running = ch.apps.remove(at);
        ch.set_var("last_app", &running.app);
        if running.app == "park" {
            ch.parked = false;
        }
        let mut extra = vec![("Application", running.app.clone())];
        if !running.arg.is_empty() {
            extra.push(("Application-Data", running.arg.clone()));
        }
        extra.push(("Application-Response", response.to_owned()));
        extra.push(("Application-UUID", running.uuid.clone()));
        self.channel_event(
            uuid,
            "CHANNEL_EXECUTE_COMPLETE",
            ("switch_core_session.c", "switch_core_session_exec", 2972),
            &extra,
        );
        self.run_queue(uuid);
    }

    /// Runs the next `sendmsg execute` if the channel is free for it (parked, or idle).
    pub(crate) fn run_queue(&mut self, uuid: &str) {
        let Some(ch) = self.channels.get_mut(uuid) else {
            return;
        };
        if ch.hung_up {
            return;
        }
        let free = ch.apps.is_empty()
            || matches!(
                ch.running().map(|r| r.app.as_str()),
                Some("park" | "socket" | "echo")
            );
        if !free {
            return;
        }
        if let Some(next) = ch.queue.pop_front() {
            self.run_app(uuid, &next.app, &next.arg, next.event_uuid);
        } else if ch.apps.is_empty() {
            if let Some((app, arg)) = ch.dialplan.pop_front() {
                if app == "hangup" {
                    // The extension's own `hangup` runs in the order inbound_events_plain shows.
                    self.exec_start(uuid, "hangup", &arg, None);
                    let cause = if arg.is_empty() {
                        "NORMAL_CLEARING".to_owned()
                    } else {
                        arg
                    };
                    self.hangup(uuid, &cause, HangupOrder::Dialplan);
                } else {
                    self.run_app(uuid, &app, &arg, None);
                }
            }
        }
    }

    /// Queues an application from `sendmsg` and runs it when the channel can.
    pub(crate) fn queue_exec(
        &mut self,
        uuid: &str,
        app: &str,
        arg: &str,
        event_uuid: Option<String>,
    ) {
        if let Some(ch) = self.channels.get_mut(uuid) {
            ch.queue.push_back(Queued {
                app: app.to_owned(),
                arg: arg.to_owned(),
                event_uuid,
            });
        }
        self.run_queue(uuid);
    }

    /// Runs one dialplan application on a channel.
    pub(crate) fn run_app(&mut self, uuid: &str, app: &str, arg: &str, event_uuid: Option<String>) {
        let app_uuid = self.exec_start(uuid, app, arg, event_uuid);
        match app {
            "answer" | "pre_answer" => {
                self.answer(uuid);
                self.exec_done(uuid, &app_uuid, "_none_");
            }
            "park" => {
                if let Some(ch) = self.channels.get_mut(uuid) {
                    ch.parked = true;
                }
                self.channel_event(
                    uuid,
                    "CHANNEL_PARK",
                    ("switch_ivr.c", "switch_ivr_park", 1020),
                    &[],
                );
                self.run_queue(uuid);
            }
            "echo" => self.run_queue(uuid),
            "playback" | "endless_playback" | "broadcast" => {
                let duration = playback_duration(arg);
                let file = arg.to_owned();
                self.channel_event(
                    uuid,
                    "PLAYBACK_START",
                    ("switch_ivr_play_say.c", "switch_ivr_play_file", 1557),
                    &[
                        ("Playback-File-Type", "tone_stream".into()),
                        ("Playback-File-Path", file.clone()),
                    ],
                );
                let (uuid, app_uuid) = (uuid.to_owned(), app_uuid.clone());
                self.later(duration, move |state| {
                    if state.channels.get(&uuid).is_some_and(|c| !c.hung_up) {
                        state.channel_event(
                            &uuid,
                            "PLAYBACK_STOP",
                            ("switch_ivr_play_say.c", "switch_ivr_play_file", 2064),
                            &[
                                ("Playback-File-Type", "tone_stream".into()),
                                ("Playback-File-Path", file),
                                ("Playback-Status", "done".into()),
                            ],
                        );
                        state.exec_done(&uuid, &app_uuid, "FILE PLAYED");
                    }
                });
            }
            "sleep" => {
                let ms = arg.trim().parse().unwrap_or(0);
                let (uuid, app_uuid) = (uuid.to_owned(), app_uuid.clone());
                self.later(Duration::from_millis(ms), move |state| {
                    if state.channels.get(&uuid).is_some_and(|c| !c.hung_up) {
                        state.exec_done(&uuid, &app_uuid, "_none_");
                    }
                });
            }
            "set" | "export" => {
                if let Some((name, value)) = arg.split_once('=') {
                    if let Some(ch) = self.channels.get_mut(uuid) {
                        ch.set_var(name, value);
                    }
                }
                self.exec_done(uuid, &app_uuid, "_none_");
            }
            "multiset" => {
                // `^^<d>` names the delimiter (mod_dptools), else items are space-separated.
                let pairs: Vec<&str> = match arg.strip_prefix("^^") {
                    Some(rest) => match rest.chars().next() {
                        Some(d) => rest[d.len_utf8()..].split(d).collect(),
                        None => Vec::new(),
                    },
                    None => arg.split_whitespace().collect(),
                };
                for pair in pairs {
                    if let Some((name, value)) = pair.split_once('=') {
                        if let Some(ch) = self.channels.get_mut(uuid) {
                            ch.set_var(name, value);
                        }
                    }
                }
                self.exec_done(uuid, &app_uuid, "_none_");
            }
            "hangup" => {
                let cause = if arg.is_empty() {
                    "NORMAL_CLEARING"
                } else {
                    arg
                };
                self.hangup(uuid, cause, HangupOrder::Killed);
            }
            "respond" => {
                if let Some(ch) = self.channels.get_mut(uuid) {
                    ch.set_var("sip_response_code", arg.split(' ').next().unwrap_or(arg));
                }
                self.exec_done(uuid, &app_uuid, "_none_");
            }
            "bridge" => self.bridge_to(uuid, arg, &app_uuid),
            "transfer" => {
                let dest = arg.split(' ').next().unwrap_or(arg).to_owned();
                if let Some(ch) = self.channels.get_mut(uuid) {
                    ch.dest = dest.clone();
                }
                self.exec_done(uuid, &app_uuid, "_none_");
                self.run_extension(uuid, &dest);
            }
            "record_session" | "stop_record_session" | "log" | "info" | "ring_ready" => {
                self.exec_done(uuid, &app_uuid, "_none_");
            }
            "conference" => self.conference_join(uuid, arg),
            "socket" => self.socket_app(uuid, arg),
            _ => self.exec_done(uuid, &app_uuid, "_none_"),
        }
    }

    pub(crate) fn answer(&mut self, uuid: &str) {
        let other = self.channels.get(uuid).and_then(|c| c.other.clone());
        let already = self
            .channels
            .get(uuid)
            .is_none_or(|c| c.answer_state == "answered");
        if already {
            return;
        }
        // Answering the loopback B leg answers the A leg first (inbound_events_plain).
        if let Some(a) = other.filter(|o| self.channels.get(o).is_some_and(|c| c.outbound)) {
            self.mark_answered(&a);
            self.set_callstate(&a, "ACTIVE");
        }
        self.mark_answered(uuid);
        self.set_callstate(uuid, "ACTIVE");
    }

    // ---------- originate ----------

    /// `originate [{vars}]loopback/<ext> <&app(arg)|ext>`: the loopback pair, as recorded.
    /// `then` runs at the point where FreeSWITCH's originate returns (the `bgapi` job's
    /// result is fired there).
    pub(crate) fn originate(
        &mut self,
        args: &str,
        then: &mut dyn FnMut(&mut State, Result<String, String>),
    ) {
        let (vars, rest) = parse_originate_vars(args);
        let mut words = rest.split_whitespace();
        let (Some(url), Some(target)) = (words.next(), words.next()) else {
            return then(self, Err(originate_usage()));
        };
        let Some(ext) = url.strip_prefix("loopback/") else {
            return then(self, Err("-ERR CHAN_NOT_IMPLEMENTED\n".into()));
        };
        let ext = ext.split('/').next().unwrap_or(ext).to_owned();
        if !KNOWN_EXTENSIONS.contains(&ext.as_str()) {
            return then(self, Err("-ERR NO_ROUTE_DESTINATION\n".into()));
        }
        let a = vars
            .iter()
            .find(|(k, _)| k == "origination_uuid")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(clock::uuid);
        let b = clock::uuid();
        let cid_name = vars
            .iter()
            .find(|(k, _)| k == "origination_caller_id_name")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let cid_num = vars
            .iter()
            .find(|(k, _)| k == "origination_caller_id_number")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| "0000000000".into());
        let now = clock::now_micros();
        let mut leg = |uuid: &str, outbound: bool, other: &str| {
            let suffix = if outbound { "a" } else { "b" };
            let name = format!("loopback/{ext}-{suffix}");
            self.next_session += 1;
            let mut ch = Channel {
                state: "CS_NONE",
                cid_name: if outbound {
                    String::new()
                } else {
                    cid_name.clone()
                },
                cid_num: cid_num.clone(),
                callee_name: if outbound {
                    String::new()
                } else {
                    "Outbound Call".into()
                },
                callee_num: if outbound { String::new() } else { ext.clone() },
                created: now,
                vars: vec![
                    (
                        "direction".into(),
                        if outbound { "outbound" } else { "inbound" }.into(),
                    ),
                    ("uuid".into(), uuid.to_owned()),
                    ("session_id".into(), self.next_session.to_string()),
                    ("channel_name".into(), name.clone()),
                    ("read_codec".into(), "L16".into()),
                    ("read_rate".into(), "8000".into()),
                    ("write_codec".into(), "L16".into()),
                    ("write_rate".into(), "8000".into()),
                    ("other_loopback_leg_uuid".into(), other.to_owned()),
                    (
                        "loopback_leg".into(),
                        if outbound { "A" } else { "B" }.into(),
                    ),
                ],
                other: Some(other.to_owned()),
                ..Channel::new(uuid, name, outbound, ext.clone())
            };
            if outbound {
                ch.set_var("is_outbound", "true");
                ch.set_var("originate_early_media", "true");
                ch.set_var("originate_endpoint", "loopback");
            }
            for (k, v) in &vars {
                ch.set_var(k, v);
            }
            self.channels.insert(uuid.to_owned(), ch);
        };
        leg(&a, true, &b);
        leg(&b, false, &a);
        self.sessions_since_startup += 2;
        self.peak = self.peak.max(self.channels.len() as u64);
        let codec = |state: &mut State, uuid: &str| {
            for (function, line) in [
                ("switch_core_session_set_read_codec", 1096),
                ("switch_core_session_set_write_codec", 1320),
            ] {
                let extra: Vec<(&str, String)> = vec![
                    ("channel-read-codec-name", "L16".into()),
                    ("channel-read-codec-rate", "8000".into()),
                    ("channel-read-codec-bit-rate", "128000".into()),
                ];
                state.channel_event(
                    uuid,
                    "CODEC",
                    ("switch_core_codec.c", function, line),
                    &extra,
                );
            }
        };
        let name_a = format!("loopback/{ext}-a");
        self.log(
            5,
            "switch_channel.c",
            "switch_channel_set_name",
            1143,
            &a,
            &format!("New Channel {name_a} [{a}]"),
        );
        codec(self, &a);
        self.channel_event(
            &a,
            "CHANNEL_OUTGOING",
            (
                "switch_core_session.c",
                "switch_core_session_outgoing_channel",
                737,
            ),
            &[],
        );
        self.set_state(&a, "CS_INIT");
        let name_b = format!("loopback/{ext}-b");
        self.log(
            5,
            "switch_channel.c",
            "switch_channel_set_name",
            1143,
            &b,
            &format!("New Channel {name_b} [{b}]"),
        );
        codec(self, &b);
        self.channel_event(
            &a,
            "CHANNEL_CREATE",
            (
                "switch_core_state_machine.c",
                "switch_core_session_run",
                620,
            ),
            &[],
        );
        self.channel_event(
            &a,
            "CHANNEL_ORIGINATE",
            (
                "switch_core_state_machine.c",
                "switch_core_session_run",
                620,
            ),
            &[],
        );
        self.set_state(&a, "CS_ROUTING");
        self.set_state(&a, "CS_CONSUME_MEDIA");
        self.set_state(&b, "CS_INIT");
        self.channel_event(
            &b,
            "CHANNEL_CREATE",
            (
                "switch_core_state_machine.c",
                "switch_core_session_run",
                620,
            ),
            &[],
        );
        self.set_callstate(&b, "RINGING");
        self.set_state(&b, "CS_ROUTING");
        self.log(
            6,
            "mod_dialplan_xml.c",
            "dialplan_hunt",
            648,
            &b,
            &format!("Processing  <{cid_num}>->{ext} in context default"),
        );
        self.set_state(&b, "CS_EXECUTE");
        // The B leg's extension, up to where the originate returns.
        match ext.as_str() {
            "socket" => {
                let arg = self
                    .socket_target
                    .map(|t| format!("{t} async full"))
                    .unwrap_or_default();
                self.run_app(&b, "socket", &arg, None);
            }
            _ => {
                self.run_app(&b, "answer", "", None);
                self.run_extension_body(&b, &ext);
            }
        }
        if let Some(ch) = self.channels.get_mut(&a) {
            ch.cid_name = "Outbound Call".into();
            ch.cid_num = ext.clone();
            ch.set_var("pre_transfer_caller_id_number", "0000000000");
            ch.set_var("channel_cid_flipped", "yes");
        }
        self.channel_event(
            &a,
            "CALL_UPDATE",
            ("switch_channel.c", "switch_channel_flip_cid", 3296),
            &[("Direction", "SEND".into())],
        );
        then(self, Ok(a.clone()));
        // The A leg's application, after the originate returned.
        let (app, arg) = parse_app(target);
        if self.channels.contains_key(&a) {
            self.set_state(&a, "CS_EXECUTE");
            self.run_app(&a, &app, &arg, None);
        }
    }

    /// A call arriving from the network (a SIP phone calling `to`), routed by a dialplan
    /// that parks everything, as a "route it in code" setup has: CHANNEL_CREATE, the state
    /// changes, `park`. Returns its uuid.
    pub(crate) fn incoming(&mut self, from: &str, to: &str, vars: &[(String, String)]) -> String {
        let uuid = clock::uuid();
        self.next_session += 1;
        let domain = "sim.invalid";
        let name = format!("sofia/internal/{from}@{domain}");
        let mut ch = Channel {
            cid_name: from.to_owned(),
            cid_num: from.to_owned(),
            vars: vec![
                ("direction".into(), "inbound".into()),
                ("uuid".into(), uuid.clone()),
                ("session_id".into(), self.next_session.to_string()),
                ("channel_name".into(), name.clone()),
                ("sip_from_user".into(), from.to_owned()),
                ("sip_to_user".into(), to.to_owned()),
                ("sip_req_user".into(), to.to_owned()),
                ("sip_req_uri".into(), format!("{to}@{domain}")),
                ("sip_req_host".into(), domain.to_owned()),
            ],
            ..Channel::new(&uuid, name, false, to.to_owned())
        };
        for (k, v) in vars {
            ch.set_var(k, v);
        }
        self.channels.insert(uuid.clone(), ch);
        self.sessions_since_startup += 1;
        self.peak = self.peak.max(self.channels.len() as u64);
        self.set_state(&uuid, "CS_INIT");
        self.channel_event(
            &uuid,
            "CHANNEL_CREATE",
            (
                "switch_core_state_machine.c",
                "switch_core_session_run",
                620,
            ),
            &[],
        );
        self.set_callstate(&uuid, "RINGING");
        self.set_state(&uuid, "CS_ROUTING");
        self.set_state(&uuid, "CS_EXECUTE");
        self.run_app(&uuid, "park", "", None);
        uuid
    }

    /// `uuid_record <uuid> start|stop <path>`: RECORD_START / RECORD_STOP.
    pub(crate) fn record(&mut self, uuid: &str, start: bool, path: &str) {
        let (name, line) = if start {
            ("RECORD_START", 1218)
        } else {
            ("RECORD_STOP", 1120)
        };
        self.channel_event(
            uuid,
            name,
            ("switch_ivr_async.c", "record_callback", line),
            &[("Record-File-Path", path.to_owned())],
        );
    }

    /// The dialplan of the B leg after `answer`.
    fn run_extension_body(&mut self, b: &str, ext: &str) {
        let apps: &[(&str, &str)] = match ext {
            "park" => &[("park", "")],
            "9196" => &[("echo", "")],
            "tone" => &[("playback", TONE), ("hangup", "")],
            "conf" => &[("conference", "conf217@default")],
            _ => &[],
        };
        if let Some(ch) = self.channels.get_mut(b) {
            ch.dialplan = apps
                .iter()
                .map(|(a, g)| ((*a).to_owned(), (*g).to_owned()))
                .collect();
        }
        self.run_queue(b);
    }

    /// `transfer` to an extension of the small dialplan.
    fn run_extension(&mut self, uuid: &str, ext: &str) {
        if KNOWN_EXTENSIONS.contains(&ext) && ext != "socket" {
            self.run_app(uuid, "answer", "", None);
            self.run_extension_body(uuid, ext);
        }
    }

    // ---------- hang-up ----------

    /// Hangs up `uuid` and its loopback partner, events in the recorded order.
    pub(crate) fn hangup(&mut self, x: &str, cause: &str, order: HangupOrder) {
        let Some(ch) = self.channels.get_mut(x) else {
            return;
        };
        if ch.hung_up {
            return;
        }
        ch.hung_up = true;
        ch.answer_state = "hangup";
        ch.cause = Some(cause.to_owned());
        ch.hangup_time = clock::now_micros();
        ch.set_var("hangup_cause", cause);
        ch.queue.clear();
        let name = ch.name.clone();
        let state = ch.state;
        let partner = ch
            .other
            .clone()
            .filter(|p| self.channels.get(p).is_some_and(|c| !c.hung_up));
        self.log(
            5,
            "switch_core_session.c",
            "switch_core_session_perform_hangup",
            407,
            x,
            &format!("Hangup {name} [{state}] [{cause}]"),
        );
        // A lingering myevents socket hears of it before the event (inbound_myevents_linger);
        // one that does not linger after it (inbound_myevents).
        self.notify_session(x, |v| !v.outbound && v.linger.is_some());
        self.channel_event(
            x,
            "CHANNEL_HANGUP",
            ("switch_channel.c", "switch_channel_perform_hangup", 3473),
            &[("Hangup-Cause", cause.to_owned())],
        );
        self.notify_session(x, |v| !v.outbound && v.linger.is_none());
        self.leave_conference(x, cause);
        let bridged = self.channels.get_mut(x).and_then(|c| c.bridged.take());
        if let Some(other) = &bridged {
            self.channel_event(
                x,
                "CHANNEL_UNBRIDGE",
                (
                    "switch_ivr_bridge.c",
                    "switch_ivr_multi_threaded_bridge",
                    1781,
                ),
                &[
                    ("Bridge-A-Unique-ID", x.to_owned()),
                    ("Bridge-B-Unique-ID", other.clone()),
                ],
            );
        }
        if order == HangupOrder::Dialplan {
            self.finish_apps(x, cause);
            self.set_state(x, "CS_HANGUP");
            self.set_callstate(x, "HANGUP");
            if let Some(p) = &partner {
                self.partner_hangup(p, cause);
            }
            self.set_state(x, "CS_REPORTING");
            self.hangup_complete(x, cause);
            if let Some(p) = &partner {
                self.wind_down(p, cause);
            }
        } else {
            self.finish_apps(x, cause);
            if let Some(p) = &partner {
                self.partner_hangup(p, cause);
            }
            self.set_state(x, "CS_HANGUP");
            self.set_callstate(x, "HANGUP");
            self.set_state(x, "CS_REPORTING");
            self.hangup_complete(x, cause);
            if let Some(p) = &partner {
                self.wind_down(p, cause);
            }
        }
        let mut ids: Vec<String> = [Some(x.to_owned()), partner]
            .into_iter()
            .flatten()
            .collect();
        if order == HangupOrder::Dialplan {
            ids.reverse(); // the A leg is destroyed first in inbound_events_plain
        }
        for id in &ids {
            self.destroy_when_free(id);
        }
        if let Some(other) = bridged.filter(|b| !ids.contains(b)) {
            self.hangup(&other, cause, HangupOrder::Killed);
        }
    }

    fn partner_hangup(&mut self, p: &str, cause: &str) {
        if let Some(ch) = self.channels.get_mut(p) {
            ch.hung_up = true;
            ch.answer_state = "hangup";
            ch.cause = Some(cause.to_owned());
            ch.hangup_time = clock::now_micros();
            ch.set_var("hangup_cause", cause);
            ch.queue.clear();
        }
        self.notify_session(p, |v| !v.outbound && v.linger.is_some());
        self.channel_event(
            p,
            "CHANNEL_HANGUP",
            ("switch_channel.c", "switch_channel_perform_hangup", 3473),
            &[("Hangup-Cause", cause.to_owned())],
        );
        self.notify_session(p, |v| !v.outbound && v.linger.is_none());
        self.leave_conference(p, cause);
    }

    fn wind_down(&mut self, p: &str, cause: &str) {
        self.finish_apps(p, cause);
        self.set_state(p, "CS_HANGUP");
        self.set_callstate(p, "HANGUP");
        self.set_state(p, "CS_REPORTING");
        self.hangup_complete(p, cause);
    }

    /// The applications still running end: `CHANNEL_UNPARK` for park, then completion.
    fn finish_apps(&mut self, uuid: &str, cause: &str) {
        while let Some(running) = self.channels.get(uuid).and_then(|c| c.running().cloned()) {
            if running.app == "park"
                || (running.app == "socket" && self.channels.get(uuid).is_some_and(|c| c.parked))
            {
                self.channel_event(
                    uuid,
                    "CHANNEL_UNPARK",
                    ("switch_ivr.c", "switch_ivr_park", 1161),
                    &[("Hangup-Cause", cause.to_owned())],
                );
                if let Some(ch) = self.channels.get_mut(uuid) {
                    ch.parked = false;
                }
            }
            let response = if running.app == "playback" {
                "FILE NOT FOUND"
            } else {
                "_none_"
            };
            let Some(ch) = self.channels.get_mut(uuid) else {
                return;
            };
            ch.apps.pop();
            ch.set_var("last_app", &running.app);
            let mut extra = vec![("Application", running.app.clone())];
            if !running.arg.is_empty() {
                extra.push(("Application-Data", running.arg.clone()));
            }
            extra.push(("Application-Response", response.to_owned()));
            extra.push(("Application-UUID", running.uuid.clone()));
            self.channel_event(
                uuid,
                "CHANNEL_EXECUTE_COMPLETE",
                ("switch_core_session.c", "switch_core_session_exec", 2972),
                &extra,
            );
        }
    }

    fn hangup_complete(&mut self, uuid: &str, cause: &str) {
        if let Some(ch) = self.channels.get_mut(uuid) {
            let (start, end) = (ch.created / 1_000_000, ch.hangup_time / 1_000_000);
            ch.set_var(
                "hangup_cause_q850",
                if cause == "NORMAL_CLEARING" {
                    "16"
                } else {
                    "0"
                },
            );
            ch.set_var("start_epoch", &start.to_string());
            ch.set_var("end_epoch", &end.to_string());
            ch.set_var("duration", &(end.saturating_sub(start)).to_string());
        }
        self.channel_event(
            uuid,
            "CHANNEL_HANGUP_COMPLETE",
            (
                "switch_core_state_machine.c",
                "switch_core_session_reporting_state",
                932,
            ),
            &[("Hangup-Cause", cause.to_owned())],
        );
        // An outbound socket hears of it after the events (outbound_socket).
        self.notify_session(uuid, |v| v.outbound);
    }

    /// `CHANNEL_DESTROY` once no socket holds the channel (`outbound_socket`: FreeSWITCH does
    /// not destroy a session an outbound socket still holds).
    fn destroy_when_free(&mut self, uuid: &str) {
        let Some(ch) = self.channels.get_mut(uuid) else {
            return;
        };
        if !ch.held_by.is_empty() {
            ch.destroy_pending = true;
            return;
        }
        let cause = ch.cause.clone().unwrap_or_default();
        let name = ch.name.clone();
        self.channel_event(
            uuid,
            "CHANNEL_DESTROY",
            (
                "switch_core_session.c",
                "switch_core_session_perform_destroy",
                1766,
            ),
            &[("Hangup-Cause", cause)],
        );
        self.set_state(uuid, "CS_DESTROY");
        self.log(
            5,
            "switch_core_session.c",
            "switch_core_session_perform_destroy",
            1770,
            uuid,
            &format!("Close Channel {name} [CS_DESTROY]"),
        );
        self.channels.remove(uuid);
    }

    /// A socket bound to `uuid` closed.
    pub(crate) fn release(&mut self, uuid: &str, listener: u64) {
        let pending = match self.channels.get_mut(uuid) {
            Some(ch) => {
                ch.held_by.retain(|id| *id != listener);
                ch.held_by.is_empty() && ch.destroy_pending
            }
            None => false,
        };
        if pending {
            self.destroy_when_free(uuid);
        } else if let Some(ch) = self.channels.get(uuid) {
            // An outbound socket going away ends its application; the call goes on only if
            // `resume` was asked for, which the simulator does not model: it hangs up.
            if ch.held_by.is_empty()
                && !ch.hung_up
                && ch.running().is_some_and(|r| r.app == "socket")
            {
                self.hangup(uuid, "NORMAL_CLEARING", HangupOrder::Killed);
            }
        }
    }

    /// `hupall`: every channel, A legs first.
    pub(crate) fn hupall(&mut self, cause: &str) {
        let legs: Vec<String> = self
            .channels
            .values()
            .filter(|c| !c.hung_up)
            .map(|c| c.uuid.clone())
            .collect();
        for uuid in legs {
            self.hangup(&uuid, cause, HangupOrder::Killed);
        }
    }

    // ---------- bridge ----------

    /// `bridge <dialstring>`: a new outbound leg that answers, then the two are bridged until
    /// either hangs up. Every dial string reaches this simulated far end.
    fn bridge_to(&mut self, uuid: &str, dialstring: &str, app_uuid: &str) {
        let far = clock::uuid();
        let dest = dialstring
            .rsplit('/')
            .next()
            .unwrap_or(dialstring)
            .to_owned();
        self.next_session += 1;
        let Some(origin) = self.channels.get(uuid) else {
            return;
        };
        let name = dialstring
            .split('@')
            .next()
            .unwrap_or(dialstring)
            .to_owned();
        let ch = Channel {
            state: "CS_INIT",
            cid_name: origin.cid_name.clone(),
            cid_num: origin.cid_num.clone(),
            vars: vec![
                ("direction".into(), "outbound".into()),
                ("uuid".into(), far.clone()),
                ("dialed_string".into(), dialstring.to_owned()),
            ],
            bridged: Some(uuid.to_owned()),
            ..Channel::new(&far, name, true, dest)
        };
        self.channels.insert(far.clone(), ch);
        self.sessions_since_startup += 1;
        self.channel_event(
            &far,
            "CHANNEL_CREATE",
            (
                "switch_core_state_machine.c",
                "switch_core_session_run",
                620,
            ),
            &[],
        );
        self.channel_event(
            &far,
            "CHANNEL_OUTGOING",
            (
                "switch_core_session.c",
                "switch_core_session_outgoing_channel",
                737,
            ),
            &[],
        );
        self.mark_answered(&far);
        self.set_callstate(&far, "ACTIVE");
        self.answer(uuid);
        if let Some(ch) = self.channels.get_mut(uuid) {
            ch.bridged = Some(far.clone());
            ch.set_var("bridge_uuid", &far);
        }
        let extra = vec![
            ("Bridge-A-Unique-ID", uuid.to_owned()),
            ("Bridge-B-Unique-ID", far.clone()),
            ("Other-Leg-Unique-ID", far.clone()),
        ];
        self.channel_event(
            uuid,
            "CHANNEL_BRIDGE",
            (
                "switch_ivr_bridge.c",
                "switch_ivr_multi_threaded_bridge",
                1702,
            ),
            &extra,
        );
        let _ = app_uuid;
    }

    /// `uuid_bridge a b`: each leg leaves what it runs, then they are bridged.
    pub(crate) fn uuid_bridge(&mut self, a: &str, b: &str) {
        for leg in [a, b] {
            let parked = self
                .channels
                .get(leg)
                .and_then(|c| c.running().cloned())
                .filter(|r| r.app == "park");
            if let Some(park) = parked {
                self.channel_event(
                    leg,
                    "CHANNEL_UNPARK",
                    ("switch_ivr.c", "switch_ivr_park", 1161),
                    &[],
                );
                self.exec_done(leg, &park.uuid, "_none_");
            }
            self.answer(leg);
        }
        if let Some(ch) = self.channels.get_mut(a) {
            ch.bridged = Some(b.to_owned());
            ch.set_var("bridge_uuid", b);
        }
        if let Some(ch) = self.channels.get_mut(b) {
            ch.bridged = Some(a.to_owned());
            ch.set_var("bridge_uuid", a);
        }
        let extra = vec![
            ("Bridge-A-Unique-ID", a.to_owned()),
            ("Bridge-B-Unique-ID", b.to_owned()),
            ("Other-Leg-Unique-ID", b.to_owned()),
        ];
        self.channel_event(
            a,
            "CHANNEL_BRIDGE",
            ("switch_ivr_bridge.c", "switch_ivr_uuid_bridge", 2061),
            &extra,
        );
    }

    /// HEARTBEAT, then the RE_SCHEDULE of its task (inbound_events_plain).
    pub(crate) fn heartbeat(&mut self) {
        let up = (clock::now_micros() - self.started) / 1000;
        let sessions = self.channels.len().to_string();
        let since = self.sessions_since_startup.to_string();
        let event = self
            .base("HEARTBEAT", "switch_core.c", "send_heartbeat", 95)
            .header("Event-Info", "System Ready")
            .header(
                "Up-Time",
                format!("0 years, 0 days, 0 hours, {} minutes, {} seconds, {} milliseconds, 0 microseconds", up / 60_000, up / 1000 % 60, up % 1000),
            )
            .header("FreeSWITCH-Version", "1.11.2-release+sim~esl~64bit")
            .header("Uptime-msec", up.to_string())
            .header("Session-Count", sessions)
            .header("Max-Sessions", "1000")
            .header("Session-Per-Sec", "30")
            .header("Session-Per-Sec-Last", "0")
            .header("Session-Per-Sec-Max", "2")
            .header("Session-Per-Sec-FiveMin", "0")
            .header("Session-Since-Startup", since)
            .header("Session-Peak-Max", self.peak.to_string())
            .header("Session-Peak-FiveMin", self.peak.to_string())
            .header("Idle-CPU", "99.000000")
            .build();
        self.publish(&event);
        let event = self
            .base(
                "RE_SCHEDULE",
                "switch_scheduler.c",
                "switch_scheduler_execute",
                65,
            )
            .header("Task-ID", "1")
            .header("Task-Desc", "heartbeat")
            .header("Task-Group", "core")
            .header(
                "Task-Runtime",
                (clock::now_micros() / 1_000_000 + 20).to_string(),
            )
            .build();
        self.publish(&event);
    }

    // ---------- conference ----------

    fn conference_event(
        &mut self,
        conf: &str,
        action: &str,
        member: Option<(&str, u32)>,
        extra: &[(&str, String)],
    ) {
        let Some(c) = self.conferences.get(conf) else {
            return;
        };
        let (name, cuuid, size) = (c.name.clone(), c.uuid.clone(), c.members.len());
        let floor = c.floor;
        let mut b = self
            .base_custom(
                "conference::maintenance",
                "conference_member.c",
                "conference_member_add",
                962,
            )
            .header("Conference-Name", name.as_str())
            .header("Conference-Domain", "127.0.0.1")
            .header("Conference-Size", size.to_string())
            .header("Conference-Ghosts", "0")
            .header("Conference-Profile-Name", "default")
            .header("Conference-Unique-ID", cuuid.as_str());
        if let Some((uuid, id)) = member {
            b = b.header("Floor", if floor == Some(id) { "true" } else { "false" });
            if let Some(ch) = self.channels.get(uuid) {
                b = self.channel_data(b, ch);
            }
            b = b
                .header("Hear", "true")
                .header("Speak", "true")
                .header("Talking", "false")
                .header("Mute-Detect", "false")
                .header("Member-ID", id.to_string())
                .header("Member-Type", "member");
        }
        for (n, v) in extra {
            b = b.header(*n, v.as_str());
        }
        let event = b.header("Action", action).build();
        self.publish(&event);
    }

    /// `conference <name>@<profile>`: join, with the events `inbound_conference` shows.
    fn conference_join(&mut self, uuid: &str, arg: &str) {
        let conf = arg.split('@').next().unwrap_or(arg).to_owned();
        let first = !self.conferences.contains_key(&conf);
        if first {
            self.conferences.insert(
                conf.clone(),
                Conference {
                    name: conf.clone(),
                    uuid: clock::uuid(),
                    members: Vec::new(),
                    floor: None,
                    next_member: 1,
                },
            );
            self.conference_event(&conf, "conference-create", None, &[]);
            self.conference_event(
                &conf,
                "play-file",
                None,
                &[
                    ("File", "conference/conf-alone.wav".into()),
                    ("Async", "true".into()),
                    ("Error", "File could not be played".into()),
                ],
            );
        }
        let Some(c) = self.conferences.get_mut(&conf) else {
            return;
        };
        let id = c.next_member;
        c.next_member += 1;
        let Some(ch) = self.channels.get(uuid) else {
            return;
        };
        let member = Member {
            id,
            uuid: uuid.to_owned(),
            name: ch.name.clone(),
            cid_num: ch.cid_num.clone(),
        };
        c.members.push(member);
        if let Some(ch) = self.channels.get_mut(uuid) {
            ch.conference = Some(conf.clone());
        }
        self.conference_event(&conf, "add-member", Some((uuid, id)), &[]);
        if first {
            if let Some(c) = self.conferences.get_mut(&conf) {
                c.floor = Some(id);
            }
            self.conference_event(
                &conf,
                "floor-change",
                Some((uuid, id)),
                &[("Old-ID", "none".into()), ("New-ID", id.to_string())],
            );
            self.conference_event(
                &conf,
                "play-file",
                None,
                &[
                    ("File", "conference/conf-alone.wav".into()),
                    ("Async", "true".into()),
                    ("Error", "File could not be played".into()),
                ],
            );
        } else {
            self.conference_event(
                &conf,
                "play-file-done",
                None,
                &[("File", "conference/conf-alone.wav".into())],
            );
        }
    }

    fn leave_conference(&mut self, uuid: &str, cause: &str) {
        let Some(conf) = self
            .channels
            .get_mut(uuid)
            .and_then(|c| c.conference.take())
        else {
            return;
        };
        let Some(c) = self.conferences.get(&conf) else {
            return;
        };
        let Some(member) = c.members.iter().find(|m| m.uuid == uuid) else {
            return;
        };
        let id = member.id;
        let had_floor = c.floor == Some(id);
        let remaining = c.members.len() - 1;
        if had_floor {
            self.conference_event(
                &conf,
                "floor-change",
                None,
                &[("Old-ID", id.to_string()), ("New-ID", "none".into())],
            );
        }
        if remaining > 0 {
            self.conference_event(
                &conf,
                "play-file",
                None,
                &[
                    ("File", "conference/conf-exit.wav".into()),
                    ("Async", "true".into()),
                    ("Error", "File could not be played".into()),
                ],
            );
        }
        self.conference_event(
            &conf,
            "del-member",
            Some((uuid, id)),
            &[("Hangup-Cause", cause.to_owned())],
        );
        let Some(c) = self.conferences.get_mut(&conf) else {
            return;
        };
        c.members.retain(|m| m.uuid != uuid);
        if c.members.is_empty() {
            self.conference_event(&conf, "conference-destroy", None, &[]);
            self.conferences.remove(&conf);
            return;
        }
        if had_floor {
            let next = c.members[0].id;
            let next_uuid = c.members[0].uuid.clone();
            c.floor = Some(next);
            self.conference_event(
                &conf,
                "floor-change",
                Some((&next_uuid, next)),
                &[("Old-ID", "none".into()), ("New-ID", next.to_string())],
            );
            self.conference_event(
                &conf,
                "play-file-done",
                None,
                &[("File", "conference/conf-exit.wav".into())],
            );
            self.conference_event(
                &conf,
                "play-file",
                None,
                &[
                    ("File", "conference/conf-alone.wav".into()),
                    ("Async", "true".into()),
                    ("Error", "File could not be played".into()),
                ],
            );
        }
    }

    // ---------- outbound socket ----------

    /// The `socket` application: connect to the target and speak the outbound protocol there.
    fn socket_app(&mut self, uuid: &str, arg: &str) {
        let target = arg
            .split_whitespace()
            .next()
            .and_then(|a| a.parse::<SocketAddr>().ok());
        let (Some(target), Some(me)) = (target, self.me.upgrade()) else {
            return self.hangup(uuid, "DESTINATION_OUT_OF_ORDER", HangupOrder::Killed);
        };
        let uuid = uuid.to_owned();
        let full = arg.contains("full");
        let async_mode = arg.contains("async");
        std::thread::Builder::new()
            .name("sim-outbound".into())
            .spawn(move || super::listener::connect_outbound(&me, target, &uuid, async_mode, full))
            .expect("spawn an outbound socket thread");
    }

    /// The outbound socket connected and answered `connect`: the socket app parks the channel.
    pub(crate) fn socket_connected(&mut self, uuid: &str) {
        let uuid = uuid.to_owned();
        // FreeSWITCH parks once the listener thread has the connection; the race lets the
        // first commands (`myevents`, `linger`) in first, as in outbound_socket.
        let me = self.me.clone();
        self.scheduler.after(Duration::from_millis(50), move || {
            let Some(state) = me.upgrade() else { return };
            let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(ch) = state.channels.get_mut(&uuid) {
                if ch.hung_up {
                    return;
                }
                ch.parked = true;
            }
            state.channel_event(
                &uuid,
                "CHANNEL_PARK",
                ("switch_ivr.c", "switch_ivr_park", 1020),
                &[],
            );
            state.run_queue(&uuid);
        });
    }

    /// The connect reply's channel data (`CHANNEL_DATA`).
    pub(crate) fn channel_data_event(&mut self, uuid: &str) -> Option<Event> {
        let base = self.base("CHANNEL_DATA", "mod_event_socket.c", "parse_command", 2007);
        let ch = self.channels.get(uuid)?;
        let b = self.channel_data(base, ch);
        Some(Self::with_vars(b, ch).build())
    }
}

const TONE: &str = "tone_stream://%(200,100,440);loops=10";

/// The extensions of the simulated dialplan (the ones the captures were recorded with).
pub(crate) const KNOWN_EXTENSIONS: [&str; 5] = ["park", "9196", "tone", "conf", "socket"];

pub(crate) fn originate_usage() -> String {
    "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n".into()
}

/// `{a=1,b=2}rest` to the variables and the rest.
fn parse_originate_vars(args: &str) -> (Vec<(String, String)>, &str) {
    let args = args.trim();
    let Some(inner) = args.strip_prefix('{') else {
        return (Vec::new(), args);
    };
    let Some(end) = inner.find('}') else {
        return (Vec::new(), args);
    };
    let vars = inner[..end]
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
        .collect();
    (vars, &inner[end + 1..])
}

/// `&app(arg)` or `&app` (or an extension, which parks like the recording's `&park`).
fn parse_app(target: &str) -> (String, String) {
    let spec = target.trim_start_matches('&');
    match spec.split_once('(') {
        Some((app, rest)) => (app.to_owned(), rest.trim_end_matches(')').to_owned()),
        None if target.starts_with('&') => (spec.to_owned(), String::new()),
        None => ("park".to_owned(), String::new()),
    }
}

/// How long `playback` of `file` takes: the tone stream's cadence times its loops, or a short
/// time for a file (the simulator has no sound files; neither had the recording switch).
fn playback_duration(file: &str) -> Duration {
    let Some(spec) = file.strip_prefix("tone_stream://") else {
        return Duration::from_millis(100);
    };
    let cadence: u64 = spec
        .split(['(', ')'])
        .nth(1)
        .map(|inner| {
            inner
                .split(',')
                .take(2)
                .filter_map(|n| n.trim().parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(300);
    let loops: u64 = spec
        .split("loops=")
        .nth(1)
        .and_then(|l| l.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    Duration::from_millis(cadence * loops.max(1))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tone_durations_follow_the_cadence() {
        assert_eq!(playback_duration(TONE), Duration::from_millis(3000));
        assert_eq!(
            playback_duration("tone_stream://%(200,100,440);loops=3"),
            Duration::from_millis(900)
        );
        assert_eq!(
            playback_duration("ivr/welcome.wav"),
            Duration::from_millis(100)
        );
    }

    #[test]
    fn originate_arguments() {
        let (vars, rest) =
            parse_originate_vars("{origination_caller_id_name=Big,x=y z}loopback/park &park");
        assert_eq!(
            vars,
            [
                ("origination_caller_id_name".into(), "Big".into()),
                ("x".into(), "y z".into())
            ]
        );
        assert_eq!(rest, "loopback/park &park");
        assert_eq!(parse_app("&park"), ("park".into(), String::new()));
        assert_eq!(
            parse_app("&playback(a.wav)"),
            ("playback".into(), "a.wav".into())
        );
    }
}
