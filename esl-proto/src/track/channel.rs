//! One channel as its events describe it.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use crate::event::{ChannelState, Event};
use crate::event_name::EventName;

/// `Call-Direction`, from the switch's point of view: `inbound` channels called in,
/// `outbound` channels were originated by the switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// `inbound`
    Inbound,
    /// `outbound`
    Outbound,
}

impl Direction {
    /// Reads `inbound` / `outbound` (case-insensitively); anything else is `None`.
    pub fn parse(text: &str) -> Option<Direction> {
        if text.eq_ignore_ascii_case("inbound") {
            Some(Direction::Inbound)
        } else if text.eq_ignore_ascii_case("outbound") {
            Some(Direction::Outbound)
        } else {
            None
        }
    }

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `Channel-Call-State`: the call's progress as the switch sees it (`switch_channel_callstate_t`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum CallState {
    /// `DOWN`
    Down,
    /// `DIALING`
    Dialing,
    /// `RINGING`
    Ringing,
    /// `EARLY`
    Early,
    /// `ACTIVE`
    Active,
    /// `HELD`
    Held,
    /// `RING_WAIT`
    RingWait,
    /// `HANGUP`
    Hangup,
    /// `UNHELD`
    Unheld,
    /// A state this library does not know, as sent.
    Other(String),
}

impl CallState {
    const NAMES: [(&'static str, CallState); 9] = [
        ("DOWN", CallState::Down),
        ("DIALING", CallState::Dialing),
        ("RINGING", CallState::Ringing),
        ("EARLY", CallState::Early),
        ("ACTIVE", CallState::Active),
        ("HELD", CallState::Held),
        ("RING_WAIT", CallState::RingWait),
        ("HANGUP", CallState::Hangup),
        ("UNHELD", CallState::Unheld),
    ];

    /// Reads a `Channel-Call-State` value (case-insensitively).
    pub fn parse(name: &str) -> CallState {
        CallState::NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| CallState::Other(name.to_owned()))
    }

    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            CallState::Other(name) => name,
            known => CallState::NAMES
                .iter()
                .find(|(_, s)| s == known)
                .map(|(n, _)| *n)
                .unwrap_or_default(),
        }
    }
}

impl fmt::Display for CallState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A channel as the events seen so far describe it.
///
/// Every field holds the last value an event carried; a header an event lacks leaves its
/// field as it was (a `CHANNEL_STATE` event has no caller profile and no variables, a
/// `CODEC` event no destination: see `inbound_events_plain`). Times are microseconds since
/// the epoch, read from the event, never from a clock.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Channel {
    /// `Unique-ID`.
    pub uuid: String,
    /// `Channel-Name` (`sofia/internal/1000@example.com`, `loopback/tone-a`, ...).
    pub name: Option<String>,
    /// `Call-Direction`.
    pub direction: Option<Direction>,
    /// `Channel-State`.
    pub state: Option<ChannelState>,
    /// `Channel-Call-State`.
    pub call_state: Option<CallState>,
    /// `Caller-Caller-ID-Name`. FreeSWITCH leaves the header out while the name is unset (the
    /// loopback b-leg of `inbound_events_plain` never has one).
    pub caller_id_name: Option<String>,
    /// `Caller-Caller-ID-Number`.
    pub caller_id_number: Option<String>,
    /// `Caller-Destination-Number`.
    pub destination: Option<String>,
    /// `Caller-Channel-Created-Time`.
    pub created_at: Option<u64>,
    /// `Caller-Channel-Answered-Time`, or the `Event-Date-Timestamp` of a `CHANNEL_ANSWER`
    /// that lacks it. `None` until answered (the switch sends `0` meanwhile).
    pub answered_at: Option<u64>,
    /// `Caller-Channel-Hangup-Time`.
    pub hungup_at: Option<u64>,
    /// The application running now: `Application` of the last `CHANNEL_EXECUTE`, until the
    /// `CHANNEL_EXECUTE_COMPLETE` of the same application.
    pub application: Option<String>,
    /// `Application-Data` of that `CHANNEL_EXECUTE`.
    pub application_data: Option<String>,
    /// `Hangup-Cause`, once the channel hangs up.
    pub hangup_cause: Option<String>,
    /// The channel this one is bridged to, from `CHANNEL_BRIDGE` until `CHANNEL_UNBRIDGE`.
    pub bridged_to: Option<String>,
    /// Channel variables (`variable_<name>` headers, keyed by `<name>`), as of the last event
    /// that carried any.
    pub variables: BTreeMap<String, String>,
    /// The id of the call this channel belongs to.
    pub(crate) call: String,
    /// Set once the channel was grouped with another leg; origination hints are read only
    /// until then (see [`Tracker`](crate::Tracker)).
    pub(crate) linked: bool,
}

impl Channel {
    pub(crate) fn new(uuid: &str, call: String) -> Channel {
        Channel {
            uuid: uuid.to_owned(),
            name: None,
            direction: None,
            state: None,
            call_state: None,
            caller_id_name: None,
            caller_id_number: None,
            destination: None,
            created_at: None,
            answered_at: None,
            hungup_at: None,
            application: None,
            application_data: None,
            hangup_cause: None,
            bridged_to: None,
            variables: BTreeMap::new(),
            call,
            linked: false,
        }
    }

    /// True for `Call-Direction: inbound`.
    pub fn is_inbound(&self) -> bool {
        self.direction == Some(Direction::Inbound)
    }

    /// True for `Call-Direction: outbound`.
    pub fn is_outbound(&self) -> bool {
        self.direction == Some(Direction::Outbound)
    }

    /// True once the channel was answered (it stays true after hangup).
    pub fn is_answered(&self) -> bool {
        self.answered_at.is_some()
    }

    /// A channel variable, by name without the `variable_` prefix.
    pub fn variable(&self, name: &str) -> Option<&str> {
        self.variables.get(name).map(String::as_str)
    }

    /// The id of the call this channel belongs to (see [`Tracker::call_of`](crate::Tracker::call_of)).
    pub fn call_id(&self) -> &str {
        &self.call
    }

    /// Applies what `event` says about this channel; true if anything changed.
    pub(crate) fn apply(&mut self, name: &EventName, event: &Event) -> bool {
        let mut changed = false;
        changed |= set_text(&mut self.name, event.header("Channel-Name"));
        if let Some(direction) = event.call_direction().and_then(|d| Direction::parse(&d)) {
            changed |= set(&mut self.direction, direction);
        }
        if let Some(state) = event.channel_state() {
            changed |= set(&mut self.state, state);
        }
        if let Some(state) = event.call_state() {
            changed |= set(&mut self.call_state, CallState::parse(&state));
        }
        changed |= set_text(
            &mut self.caller_id_name,
            event.header("Caller-Caller-ID-Name"),
        );
        changed |= set_text(
            &mut self.caller_id_number,
            event.header("Caller-Caller-ID-Number"),
        );
        changed |= set_text(
            &mut self.destination,
            event.header("Caller-Destination-Number"),
        );
        if let Some(t) = time(event, "Caller-Channel-Created-Time") {
            changed |= set(&mut self.created_at, t);
        }
        match time(event, "Caller-Channel-Answered-Time") {
            Some(t) => changed |= set(&mut self.answered_at, t),
            None if *name == EventName::ChannelAnswer && self.answered_at.is_none() => {
                if let Some(t) = event.timestamp_micros() {
                    changed |= set(&mut self.answered_at, t);
                }
            }
            None => {}
        }
        if let Some(t) = time(event, "Caller-Channel-Hangup-Time") {
            changed |= set(&mut self.hungup_at, t);
        }
        changed |= set_text(&mut self.hangup_cause, event.header("Hangup-Cause"));
        match name {
            EventName::ChannelExecute => {
                if let Some(app) = event.application() {
                    changed |= set(&mut self.application, app.into_owned());
                    let data = event.application_data().map(Cow::into_owned);
                    if self.application_data != data {
                        self.application_data = data;
                        changed = true;
                    }
                }
            }
            // Only the completion of the running application ends it: an `execute` queued
            // by `sendmsg` completes between the dialplan's own applications.
            EventName::ChannelExecuteComplete
                if self.application.is_some()
                    && event.application().as_deref() == self.application.as_deref() =>
            {
                self.application = None;
                self.application_data = None;
                changed = true;
            }
            _ => {}
        }
        changed |= self.apply_variables(event);
        changed
    }

    /// Replaces the variables when `event` carries any.
    ///
    /// `switch_channel_event_set_extended_data` writes either every variable of the channel or
    /// none, so an event that has some has them all, and a variable it lacks was unset: in
    /// `inbound_events_plain` the `CHANNEL_EXECUTE` of `hangup` no longer has
    /// `variable_current_application_data`, which the `playback` before it had.
    fn apply_variables(&mut self, event: &Event) -> bool {
        let mut count = 0;
        let mut same = true;
        for (name, value) in event.headers().iter() {
            let Some(var) = variable_name(name.as_bytes()) else {
                continue;
            };
            count += 1;
            if same {
                let var = String::from_utf8_lossy(var);
                same = self.variables.get(var.as_ref()).map(String::as_str)
                    == Some(value.decoded().as_ref());
            }
        }
        if count == 0 || (same && count == self.variables.len()) {
            return false;
        }
        let mut variables = BTreeMap::new();
        for (name, value) in event.headers().iter() {
            if let Some(var) = variable_name(name.as_bytes()) {
                variables.insert(
                    String::from_utf8_lossy(var).into_owned(),
                    value.decoded().into_owned(),
                );
            }
        }
        if variables == self.variables {
            return false;
        }
        self.variables = variables;
        true
    }
}

/// `variable_<name>` → `<name>`.
fn variable_name(header: &[u8]) -> Option<&[u8]> {
    const PREFIX: &[u8] = b"variable_";
    match header.get(..PREFIX.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(PREFIX) && header.len() > PREFIX.len() => {
            header.get(PREFIX.len()..)
        }
        _ => None,
    }
}

/// A `Caller-Channel-*-Time` header; the switch writes `0` for "not yet".
fn time(event: &Event, header: &str) -> Option<u64> {
    event
        .header(header)?
        .trim()
        .parse()
        .ok()
        .filter(|t| *t != 0)
}

pub(crate) fn set<T: PartialEq>(field: &mut Option<T>, value: T) -> bool {
    if field.as_ref() == Some(&value) {
        return false;
    }
    *field = Some(value);
    true
}

pub(crate) fn set_text(field: &mut Option<String>, value: Option<Cow<'_, str>>) -> bool {
    match value {
        Some(value) if field.as_deref() != Some(value.as_ref()) => {
            *field = Some(value.into_owned());
            true
        }
        _ => false,
    }
}
