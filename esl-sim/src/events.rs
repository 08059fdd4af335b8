//! Events and log lines: the headers every event starts with, a channel's data, and handing
//! each event to the connections whose subscriptions admit it, in their format.

use bytes::Bytes;
use esl_proto::server::{self, LogRecord};
use esl_proto::{Event, EventBuilder};

use crate::channel::{Channel, Profile};
use crate::connection::Pending;
use crate::switch::Switch;
use crate::time;

/// Where an event or log line was raised in FreeSWITCH's source: file, function, line.
pub(crate) type Origin = (&'static str, &'static str, u32);

/// `switch_channel_event_set_extended_data` adds the channel variables to these events only
/// (unless verbose events are on, which the recorded switch did not have).
const WITH_VARIABLES: [&str; 27] = [
    "CHANNEL_CREATE",
    "CHANNEL_ORIGINATE",
    "CHANNEL_UUID",
    "CHANNEL_ANSWER",
    "CHANNEL_PARK",
    "CHANNEL_UNPARK",
    "CHANNEL_BRIDGE",
    "CHANNEL_UNBRIDGE",
    "CHANNEL_PROGRESS",
    "CHANNEL_PROGRESS_MEDIA",
    "CHANNEL_HANGUP",
    "CHANNEL_HANGUP_COMPLETE",
    "REQUEST_PARAMS",
    "CHANNEL_DATA",
    "CHANNEL_EXECUTE",
    "CHANNEL_EXECUTE_COMPLETE",
    "CHANNEL_DESTROY",
    "SESSION_HEARTBEAT",
    "API",
    "RECORD_START",
    "RECORD_STOP",
    "PLAYBACK_START",
    "PLAYBACK_STOP",
    "CALL_UPDATE",
    "MEDIA_BUG_START",
    "MEDIA_BUG_STOP",
    "CUSTOM",
];

/// `switch_caller_profile_event_set_data`: one profile under `prefix` (`Caller`,
/// `Other-Leg`). Names, numbers and the like are left out when empty (`if (!zstr(...))`);
/// the times and the three flags are always there.
fn profile_headers(mut b: EventBuilder, prefix: &str, p: &Profile) -> EventBuilder {
    let h = |name: &str| format!("{prefix}-{name}");
    let direction = p.direction();
    b = b
        .header(h("Direction"), direction)
        .header(h("Logical-Direction"), direction)
        .header(h("Dialplan"), "xml");
    let optional = [
        ("Caller-ID-Name", &p.cid_name),
        ("Caller-ID-Number", &p.cid_num),
        ("Orig-Caller-ID-Name", &p.cid_name),
        ("Orig-Caller-ID-Number", &p.cid_num),
        ("Callee-ID-Name", &p.callee_name),
        ("Callee-ID-Number", &p.callee_num),
        ("ANI", &p.cid_num),
        ("Destination-Number", &p.dest),
        ("Unique-ID", &p.uuid),
    ];
    for (name, value) in optional {
        if !value.is_empty() {
            b = b.header(h(name), value.as_str());
        }
    }
    b = b
        .header(h("Source"), p.source)
        .header(h("Context"), "default")
        .header(h("Channel-Name"), p.chan_name.as_str())
        .header(h("Profile-Index"), "1");
    let times = [
        ("Profile-Created-Time", p.created),
        ("Channel-Created-Time", p.created),
        ("Channel-Answered-Time", p.answered),
        ("Channel-Progress-Time", p.progress),
        ("Channel-Progress-Media-Time", p.progress_media),
        ("Channel-Hangup-Time", p.hungup),
        ("Channel-Transfer-Time", 0),
        ("Channel-Resurrect-Time", 0),
        ("Channel-Bridged-Time", p.bridged),
        ("Channel-Last-Hold", 0),
        ("Channel-Hold-Accum", 0),
    ];
    for (name, value) in times {
        b = b.header(h(name), value.to_string());
    }
    b.header(h("Screen-Bit"), "true")
        .header(h("Privacy-Hide-Name"), "false")
        .header(h("Privacy-Hide-Number"), "false")
}

impl Switch {
    /// The time now, as event dates count it: microseconds since the epoch.
    pub(crate) fn now_micros(&self) -> u64 {
        self.epoch_micros
            .saturating_add(u64::try_from(self.now.as_micros()).unwrap_or(u64::MAX))
    }

    /// The headers every event starts with (`switch_event_prep_for_delivery`).
    pub(crate) fn base(&mut self, name: &str, origin: Origin) -> EventBuilder {
        self.seq += 1;
        let now = self.now_micros();
        EventBuilder::new()
            .header("Event-Name", name)
            .header("Core-UUID", self.core_uuid.as_str())
            .header("FreeSWITCH-Hostname", self.config.hostname.as_str())
            .header("FreeSWITCH-Switchname", self.config.hostname.as_str())
            .header("FreeSWITCH-IPv4", "127.0.0.1")
            .header("FreeSWITCH-IPv6", "::1")
            .header("Event-Date-Local", time::date_local(now))
            .header("Event-Date-GMT", time::date_gmt(now))
            .header("Event-Date-Timestamp", now.to_string())
            .header("Event-Calling-File", origin.0)
            .header("Event-Calling-Function", origin.1)
            .header("Event-Calling-Line-Number", origin.2.to_string())
            .header("Event-Sequence", self.seq.to_string())
    }

    /// A `CUSTOM` event: `Event-Subclass` comes first, as `inbound_conference` shows.
    pub(crate) fn base_custom(&mut self, subclass: &str, origin: Origin) -> EventBuilder {
        let base = self.base("CUSTOM", origin).build();
        EventBuilder::new()
            .header("Event-Subclass", subclass)
            .headers_from(base.headers())
    }

    /// `switch_channel_event_set_basic_data`: the channel's state, the caller profile, and
    /// the peer's profile once it is bridged (`Other-Type` then `Other-Leg-*`).
    pub(crate) fn channel_data(b: EventBuilder, ch: &Channel) -> EventBuilder {
        let direction = ch.profile.direction();
        let b = b
            .header("Channel-State", ch.state)
            .header("Channel-Call-State", ch.call_state)
            .header("Channel-State-Number", ch.state_number_reported())
            .header("Channel-Name", ch.name.as_str())
            .header("Unique-ID", ch.uuid.as_str())
            .header("Call-Direction", direction)
            .header("Presence-Call-Direction", direction)
            .header(
                "Channel-HIT-Dialplan",
                if ch.outbound() { "false" } else { "true" },
            )
            .header(
                "Channel-Call-UUID",
                ch.var("call_uuid").unwrap_or(ch.uuid.as_str()),
            )
            .header("Answer-State", ch.answer_state)
            .header("Channel-Read-Codec-Name", "L16")
            .header("Channel-Read-Codec-Rate", "8000")
            .header("Channel-Read-Codec-Bit-Rate", "128000")
            .header("Channel-Write-Codec-Name", "L16")
            .header("Channel-Write-Codec-Rate", "8000")
            .header("Channel-Write-Codec-Bit-Rate", "128000");
        let mut b = profile_headers(b, "Caller", &ch.profile);
        if let Some((kind, other)) = &ch.other_leg {
            b = profile_headers(b.header("Other-Type", *kind), "Other-Leg", other);
        }
        b
    }

    /// `switch_channel_event_set_extended_data`: `variable_*` for the events that carry them.
    pub(crate) fn with_vars(name: &str, b: EventBuilder, ch: &Channel) -> EventBuilder {
        if !WITH_VARIABLES.contains(&name) {
            return b;
        }
        ch.vars
            .iter()
            .fold(b, |b, (n, v)| b.header(format!("variable_{n}"), v.as_str()))
    }

    /// A channel event: base, `before` headers (added before the channel data, as
    /// `Bridge-A-Unique-ID` is), channel data, variables, and `after` headers at the end.
    pub(crate) fn channel_event_with(
        &mut self,
        uuid: &str,
        name: &str,
        origin: Origin,
        before: &[(&str, String)],
        after: &[(&str, String)],
    ) {
        if !self.channels.contains_key(uuid) {
            return;
        }
        let mut b = self.base(name, origin);
        for (n, v) in before {
            b = b.header(*n, v.as_str());
        }
        let Some(ch) = self.channels.get(uuid) else {
            return;
        };
        let mut b = Self::with_vars(name, Self::channel_data(b, ch), ch);
        for (n, v) in after {
            b = b.header(*n, v.as_str());
        }
        let event = b.build();
        self.publish(&event);
    }

    /// A channel event with `extra` headers at the end.
    pub(crate) fn channel_event(
        &mut self,
        uuid: &str,
        name: &str,
        origin: Origin,
        extra: &[(&str, String)],
    ) {
        self.channel_event_with(uuid, name, origin, &[], extra);
    }

    /// Hands `event` to every connection whose subscriptions admit it, in its format
    /// (`event_handler` in `mod_event_socket.c`).
    pub(crate) fn publish(&mut self, event: &Event) {
        self.core_db_event(event);
        let mut encoded: [Option<Bytes>; 3] = [None, None, None];
        let ids: Vec<_> = self
            .conns
            .iter()
            .filter(|(_, c)| c.is_live() && c.subs.admits(event, c.session.as_deref()))
            .map(|(id, c)| (*id, c.subs.format()))
            .collect();
        for (id, format) in ids {
            let bytes = encoded[format as usize]
                .get_or_insert_with(|| server::encode_event(event, format))
                .clone();
            self.deliver(id, Pending::Event(bytes));
        }
    }

    /// A log line to every connection logging at `level` or more (`socket_logger`).
    pub(crate) fn log(&mut self, level: u8, origin: Origin, uuid: &str, text: &str) {
        let listening = self
            .conns
            .values()
            .any(|c| c.is_live() && c.log_level.is_some_and(|l| l >= level));
        if !listening {
            return;
        }
        let now = self.now_micros();
        let label = [
            "CONSOLE", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG",
        ][usize::from(level.min(7))];
        let (file, function, line) = origin;
        let body = format!(
            "{}.{:06} 99.00% [{label}] {file}:{line} {text}\n",
            time::date_local(now),
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
        let ids: Vec<_> = self
            .conns
            .iter()
            .filter(|(_, c)| c.is_live() && c.log_level.is_some_and(|l| l >= level))
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.deliver(id, Pending::Log(bytes.clone()));
        }
    }

    /// HEARTBEAT, then the RE_SCHEDULE of its task (`inbound_events_plain`).
    pub(crate) fn fire_heartbeat(&mut self) {
        let up = u64::try_from(self.now.as_millis()).unwrap_or(u64::MAX);
        let sessions = self.channels.len().to_string();
        let since = self.sessions_since_startup.to_string();
        let uptime = format!(
            "0 years, 0 days, {} hours, {} minutes, {} seconds, {} milliseconds, 0 microseconds",
            up / 3_600_000,
            up / 60_000 % 60,
            up / 1000 % 60,
            up % 1000
        );
        let event = self
            .base("HEARTBEAT", ("switch_core.c", "send_heartbeat", 95))
            .header("Event-Info", "System Ready")
            .header("Up-Time", uptime)
            .header("FreeSWITCH-Version", VERSION)
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
        let runtime = (self.now_micros() / 1_000_000 + 20).to_string();
        let event = self
            .base(
                "RE_SCHEDULE",
                ("switch_scheduler.c", "switch_scheduler_execute", 65),
            )
            .header("Task-ID", "1")
            .header("Task-Desc", "heartbeat")
            .header("Task-Group", "core")
            .header("Task-Runtime", runtime)
            .build();
        self.publish(&event);
    }
}

/// What `FreeSWITCH-Version` and `version` say.
pub(crate) const VERSION: &str = "1.11.2-release+sim~esl~64bit";
