//! What a connection asked to receive: event subscriptions, filters, `myevents`, log level.
//!
//! The model follows `mod_event_socket`: `event` adds names (`ALL` sets every one, `CUSTOM`
//! switches the rest of the line to subclass names), `nixevent` removes them, `noevents`
//! clears them, `filter` adds a header test that every event must then pass, and `myevents`
//! keeps only one channel's events. [`Subscriptions::admits`] answers, as the switch's
//! `event_handler` would, whether an event gets through; [`Subscriptions::replay`] gives the
//! commands that rebuild the same state on a new connection.

mod names;

use std::collections::BTreeSet;

use names::NameSet;
use regex::Regex;

use crate::command::{Command, LogLevel};
use crate::event::{Event, EventFormat};
use crate::event_name::EventName;

/// The event names `myevents` subscribes to (`mod_event_socket.c`, `myevents` branch).
const MYEVENTS_NAMES: [&str; 23] = [
    "CHANNEL_ANSWER",
    "CHANNEL_APPLICATION",
    "CHANNEL_BRIDGE",
    "CHANNEL_CREATE",
    "CHANNEL_DATA",
    "CHANNEL_DESTROY",
    "CHANNEL_EXECUTE",
    "CHANNEL_EXECUTE_COMPLETE",
    "CHANNEL_HANGUP",
    "CHANNEL_HANGUP_COMPLETE",
    "CHANNEL_ORIGINATE",
    "CHANNEL_UUID",
    "CHANNEL_OUTGOING",
    "CHANNEL_PARK",
    "CHANNEL_PROGRESS",
    "CHANNEL_PROGRESS_MEDIA",
    "CHANNEL_STATE",
    "CHANNEL_UNBRIDGE",
    "CHANNEL_UNPARK",
    "DETECTED_SPEECH",
    "DTMF",
    "NOTALK",
    "TALK",
];

/// One `filter <header> <value>`.
#[derive(Debug, Clone)]
pub struct Filter {
    header: String,
    value: String,
    regex: Option<Regex>,
}

impl Filter {
    fn new(header: String, value: String) -> Filter {
        let comparand = value.trim_start_matches(['+', '-', ' ']);
        let regex = comparand
            .strip_prefix('/')
            .map(|r| r.strip_suffix('/').unwrap_or(r))
            .and_then(|r| Regex::new(r).ok());
        Filter {
            header,
            value,
            regex,
        }
    }

    /// The header tested.
    pub fn header(&self) -> &str {
        &self.header
    }

    /// The value as given (with any `+`/`-` prefix and `/regex/` form).
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl PartialEq for Filter {
    fn eq(&self, other: &Filter) -> bool {
        self.header == other.header && self.value == other.value
    }
}

impl Eq for Filter {}

/// The subscription state of one connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subscriptions {
    enabled: bool,
    format: Option<EventFormat>,
    all: bool,
    events: NameSet,
    custom: BTreeSet<String>,
    filters: Vec<Filter>,
    myevents: Option<Option<String>>,
    log: Option<LogLevel>,
    divert: bool,
}

impl Subscriptions {
    /// No subscriptions.
    pub fn new() -> Subscriptions {
        Subscriptions::default()
    }

    /// The format named last (`plain` when none was).
    pub fn format(&self) -> EventFormat {
        self.format.unwrap_or(EventFormat::Plain)
    }

    /// True after `event ALL` (and no `nixevent` since).
    pub fn is_all(&self) -> bool {
        self.all
    }

    /// The event names subscribed to (upper case), without `ALL`.
    pub fn events(&self) -> impl Iterator<Item = &str> {
        self.events.iter()
    }

    /// The `CUSTOM` subclasses subscribed to.
    pub fn subclasses(&self) -> impl Iterator<Item = &str> {
        self.custom.iter().map(String::as_str)
    }

    /// The filters, in the order they were added.
    pub fn filters(&self) -> &[Filter] {
        &self.filters
    }

    /// The log level asked for, if logging is on.
    pub fn log_level(&self) -> Option<LogLevel> {
        self.log
    }

    /// `Some(uuid)` after `myevents` (`Some(None)`: the outbound socket's own channel).
    pub fn myevents(&self) -> Option<Option<&str>> {
        self.myevents.as_ref().map(Option::as_deref)
    }

    /// The switch's events flag: set by `event`, `nixevent` and `myevents` (even when they
    /// leave nothing subscribed), cleared by `noevents`, which answers by it.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// True if no event can arrive.
    pub fn is_empty(&self) -> bool {
        !self.enabled || (!self.all && self.events.is_empty())
    }

    /// Updates the state with the effect `command` has on the switch.
    pub fn apply(&mut self, command: &Command) {
        match command {
            Command::Event { format, events } => {
                if format.is_some() {
                    self.format = *format;
                }
                let mut custom = false;
                let mut any = false;
                for word in events {
                    if custom {
                        self.custom.insert(word.clone());
                        continue;
                    }
                    let name = EventName::parse(word);
                    any = true;
                    if name == EventName::All {
                        self.all = true;
                    } else {
                        custom |= name == EventName::Custom;
                        self.events.insert(&name);
                    }
                }
                self.enabled |= any;
            }
            Command::NixEvent { events } => {
                let mut custom = false;
                for word in events {
                    if custom {
                        self.custom.remove(word);
                        continue;
                    }
                    self.enabled = true;
                    let name = EventName::parse(word);
                    if name == EventName::Custom {
                        custom = true;
                    } else if name == EventName::All {
                        self.all = false;
                        self.events.clear();
                    } else {
                        if self.all {
                            self.all = false;
                            self.events = NameSet::every_known_name();
                        }
                        self.events.remove(&name);
                    }
                }
            }
            Command::NoEvents => {
                self.enabled = false;
                self.all = false;
                self.events.clear();
                self.custom.clear();
            }
            Command::Filter { header, value } => {
                self.filters
                    .push(Filter::new(header.clone(), value.clone()));
            }
            Command::FilterDelete { header, value } => {
                if header.eq_ignore_ascii_case("all") {
                    self.filters.clear();
                } else {
                    self.filters.retain(|f| {
                        !(f.header.eq_ignore_ascii_case(header)
                            && value.as_ref().is_none_or(|v| *v == f.value))
                    });
                }
            }
            Command::MyEvents { uuid, format } => {
                if self.myevents.is_some() {
                    return; // "-ERR aready enabled."
                }
                self.myevents = Some(uuid.clone());
                if format.is_some() {
                    self.format = *format;
                }
                self.enabled = true;
                for name in MYEVENTS_NAMES {
                    self.events.insert(&EventName::parse(name));
                }
            }
            Command::Log { level } => self.log = Some(level.unwrap_or(LogLevel::Debug)),
            Command::NoLog => self.log = None,
            Command::DivertEvents { on } => self.divert = *on,
            _ => {}
        }
    }

    /// Whether the switch would send `event` to a connection in this state (`event_handler`
    /// in `mod_event_socket.c`). `session` is the outbound socket's channel, for `myevents`.
    pub fn admits(&self, event: &Event, session: Option<&str>) -> bool {
        if !self.enabled {
            return false;
        }
        let name = event.name();
        let mut send = self.all
            || (self.events.contains(&name)
                && (name != EventName::Custom
                    || event
                        .subclass()
                        .is_none_or(|sub| self.custom.contains(sub.as_ref()))));
        if send && !self.filters.is_empty() {
            send = self.filters_pass(event);
        }
        if send {
            if let Some(target) = &self.myevents {
                let wanted = target.as_deref().or(session);
                send = event
                    .unique_id()
                    .is_some_and(|u| Some(u.as_ref()) == wanted);
            }
        }
        send
    }

    /// The filter loop of `event_handler`: a positive match lets the event through, a negative
    /// one (`-value`) stops it, a header the event lacks is skipped.
    fn filters_pass(&self, event: &Event) -> bool {
        let mut send = false;
        for filter in &self.filters {
            let Some(actual) = event.header(&filter.header) else {
                continue;
            };
            let mut positive = true;
            let mut comparand = filter.value.as_str();
            while let Some(c) = comparand.chars().next() {
                match c {
                    '+' => positive = true,
                    '-' => positive = false,
                    ' ' => {}
                    _ => break,
                }
                comparand = &comparand[1..];
            }
            if send && positive {
                continue;
            }
            let matched = match &filter.regex {
                Some(regex) => regex.is_match(&actual),
                None => actual.eq_ignore_ascii_case(comparand),
            };
            if matched {
                if positive {
                    send = true;
                } else {
                    return false;
                }
            }
        }
        send
    }

    /// The commands that rebuild this state on a fresh connection, in order: subscriptions,
    /// filters, `myevents`, log level, event diversion.
    pub fn replay(&self) -> Vec<Command> {
        let mut commands = Vec::new();
        if self.enabled && (self.all || !self.events.is_empty()) {
            let mut words: Vec<String> = if self.all {
                vec!["ALL".into()]
            } else {
                self.events
                    .iter()
                    .filter(|e| *e != "CUSTOM")
                    .map(str::to_owned)
                    .collect()
            };
            if self.events.contains(&EventName::Custom) || (self.all && !self.custom.is_empty()) {
                words.push("CUSTOM".into());
                words.extend(self.custom.iter().cloned());
            }
            if self.myevents.is_none() {
                commands.push(Command::Event {
                    format: Some(self.format()),
                    events: words,
                });
            }
        }
        for filter in &self.filters {
            commands.push(Command::filter(filter.header.clone(), filter.value.clone()));
        }
        if let Some(uuid) = &self.myevents {
            commands.push(Command::MyEvents {
                uuid: uuid.clone(),
                format: self.format,
            });
        }
        if let Some(level) = self.log {
            commands.push(Command::Log { level: Some(level) });
        }
        if self.divert {
            commands.push(Command::DivertEvents { on: true });
        }
        commands
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(name: &str, extra: &[(&str, &str)]) -> Event {
        let mut b = Event::builder(name);
        for (n, v) in extra {
            b = b.header(*n, *v);
        }
        b.build()
    }

    fn state(commands: &[Command]) -> Subscriptions {
        let mut s = Subscriptions::new();
        for c in commands {
            s.apply(c);
        }
        s
    }

    #[test]
    fn event_nixevent_noevents_follow_the_switch() {
        let s = state(&[Command::event(EventFormat::Json, ["ALL"])]);
        assert!(s.admits(&ev("HEARTBEAT", &[]), None));
        let s = state(&[
            Command::event(EventFormat::Plain, ["ALL"]),
            Command::nixevent(["HEARTBEAT"]),
        ]);
        assert!(!s.admits(&ev("HEARTBEAT", &[]), None));
        assert!(s.admits(&ev("CHANNEL_CREATE", &[]), None));
        let s = state(&[
            Command::event(EventFormat::Plain, ["ALL"]),
            Command::NoEvents,
        ]);
        assert!(!s.admits(&ev("CHANNEL_CREATE", &[]), None));
        assert!(s.is_empty());
    }

    #[test]
    fn custom_needs_the_subclass() {
        let s = state(&[Command::event(
            EventFormat::Plain,
            ["CUSTOM", "conference::maintenance"],
        )]);
        assert!(s.admits(
            &ev("CUSTOM", &[("Event-Subclass", "conference::maintenance")]),
            None
        ));
        assert!(!s.admits(
            &ev("CUSTOM", &[("Event-Subclass", "sofia::register")]),
            None
        ));
    }

    #[test]
    fn filters_pass_positive_block_negative_and_skip_missing_headers() {
        let s = state(&[
            Command::event(EventFormat::Plain, ["ALL"]),
            Command::filter("Event-Name", "CHANNEL_CREATE"),
            Command::filter("Unique-ID", "-abc"),
            Command::filter("Caller-Destination-Number", "/^2[0-9]+$/"),
        ]);
        assert!(s.admits(&ev("CHANNEL_CREATE", &[]), None));
        assert!(!s.admits(&ev("CHANNEL_CREATE", &[("Unique-ID", "abc")]), None));
        assert!(!s.admits(&ev("HEARTBEAT", &[]), None));
        assert!(s.admits(
            &ev("CHANNEL_ANSWER", &[("Caller-Destination-Number", "2000")]),
            None
        ));
        let s = state(&[
            Command::event(EventFormat::Plain, ["ALL"]),
            Command::filter("Event-Name", "CHANNEL_CREATE"),
            Command::filter_delete("Event-Name", None),
        ]);
        assert!(s.filters().is_empty());
        assert!(s.admits(&ev("HEARTBEAT", &[]), None));
    }

    #[test]
    fn myevents_keeps_one_channel() {
        let s = state(&[Command::MyEvents {
            uuid: None,
            format: None,
        }]);
        assert!(s.admits(&ev("CHANNEL_ANSWER", &[("Unique-ID", "me")]), Some("me")));
        assert!(!s.admits(&ev("CHANNEL_ANSWER", &[("Unique-ID", "other")]), Some("me")));
        assert!(!s.admits(&ev("BACKGROUND_JOB", &[]), Some("me")));
    }

    #[test]
    fn replay_rebuilds_an_equal_state() {
        let original = state(&[
            Command::event(EventFormat::Json, ["CHANNEL_CREATE", "CUSTOM", "a::b"]),
            Command::event(EventFormat::Json, ["HEARTBEAT"]),
            Command::filter("Event-Name", "CHANNEL_CREATE"),
            Command::Log {
                level: Some(LogLevel::Info),
            },
        ]);
        let rebuilt = state(&original.replay());
        assert_eq!(rebuilt, original);
        let all_but = state(&[
            Command::event(EventFormat::Xml, ["ALL"]),
            Command::nixevent(["HEARTBEAT"]),
        ]);
        assert_eq!(state(&all_but.replay()), all_but);
        assert!(Subscriptions::new().replay().is_empty());
    }
}
