//! One [`Event`] type for the three wire formats.
//!
//! `text/event-plain` and `text/event-xml` carry percent-encoded values, `text/event-json`
//! literal ones; an [`Event`] hides the difference: every accessor returns decoded text, and
//! [`Event::headers`] keeps the raw bytes reachable.

mod json;
mod plain;
mod xml;

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;

use crate::error::EventError;
use crate::event_name::EventName;
use crate::headers::{HeaderValue, Headers, HeadersBuilder, Span, SpanArena, ValueEncoding};
use crate::Limits;

pub(crate) use plain::fs_url_encode;

/// The three formats `mod_event_socket` serialises events in (`event plain|json|xml ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventFormat {
    /// `text/event-plain`: a header block, percent-encoded values.
    Plain,
    /// `text/event-json`: one flat JSON object, literal values, the body in `_body`.
    Json,
    /// `text/event-xml`: `<event><headers>...</headers><body>...</body></event>`.
    Xml,
}

impl EventFormat {
    /// The keyword in `event <format> ...`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventFormat::Plain => "plain",
            EventFormat::Json => "json",
            EventFormat::Xml => "xml",
        }
    }

    /// The `Content-Type` of an event in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            EventFormat::Plain => "text/event-plain",
            EventFormat::Json => "text/event-json",
            EventFormat::Xml => "text/event-xml",
        }
    }

    /// Reads the keyword case-insensitively, as FreeSWITCH does.
    pub fn parse(word: &str) -> Option<EventFormat> {
        [EventFormat::Plain, EventFormat::Json, EventFormat::Xml]
            .into_iter()
            .find(|f| word.eq_ignore_ascii_case(f.as_str()))
    }
}

impl fmt::Display for EventFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A FreeSWITCH event: ordered headers and an optional body.
///
/// Two events are equal when they say the same thing: the same headers (names compared as
/// written, values decoded) in the same order, and the same body, whichever wire format
/// carried each ([`Event::format`] is not compared).
///
/// ```
/// use esl_proto::{Event, EventFormat, Limits};
///
/// let event = Event::builder("CUSTOM")
///     .header("Event-Subclass", "sofia::register")
///     .header("from-user", "1000 & co")
///     .body("hello\n")
///     .build();
/// let json = event.encode_body(EventFormat::Json);
/// let plain = event.encode_body(EventFormat::Plain);
/// let from_json = Event::parse(EventFormat::Json, &json, &Limits::default()).unwrap();
/// let from_plain = Event::parse(EventFormat::Plain, &plain, &Limits::default()).unwrap();
/// let xml = event.encode_body(EventFormat::Xml);
/// let from_xml = Event::parse(EventFormat::Xml, &xml, &Limits::default()).unwrap();
/// assert_eq!(from_json, from_plain);
/// assert_eq!(from_xml, from_plain);
/// assert_ne!(from_json.format(), from_plain.format());
/// ```
#[derive(Clone)]
pub struct Event {
    headers: Headers,
    body: Option<Bytes>,
    format: EventFormat,
}

impl PartialEq for Event {
    fn eq(&self, other: &Event) -> bool {
        self.headers == other.headers && self.body == other.body
    }
}

impl Eq for Event {}

/// An event parsed by [`Event::parse_into`], its index still in the arena.
pub(crate) enum Parsing {
    Done(Event),
    Indexed {
        buf: Bytes,
        range: Range<u32>,
        body: Option<Bytes>,
        encoding: ValueEncoding,
        format: EventFormat,
    },
}

impl Parsing {
    /// Runs `index` over the arena's scratch index: when it reads the body (its buffer and the
    /// event's body), its spans join the read's shared index; when it cannot (`None`),
    /// `general` reads the body instead.
    pub(crate) fn indexed(
        arena: &mut SpanArena,
        format: EventFormat,
        encoding: ValueEncoding,
        index: impl FnOnce(&mut Vec<Span>) -> Option<Result<(Bytes, Option<Bytes>), EventError>>,
        general: impl FnOnce() -> Result<Event, EventError>,
    ) -> Result<Parsing, EventError> {
        let mut spans = arena.take_scratch();
        let parsed = match index(&mut spans) {
            Some(Ok((buf, body))) => Ok(Parsing::Indexed {
                range: arena.extend(&spans),
                buf,
                body,
                encoding,
                format,
            }),
            Some(Err(error)) => Err(error),
            None => general().map(Parsing::Done),
        };
        arena.return_scratch(spans);
        parsed
    }

    /// The event, once its arena is `shared`.
    pub(crate) fn finish(self, shared: &Arc<Vec<Span>>) -> Event {
        match self {
            Parsing::Done(event) => event,
            Parsing::Indexed {
                buf,
                range,
                body,
                encoding,
                format,
            } => Event::from_parts(
                Headers::from_shared(buf, shared.clone(), range, encoding),
                body,
                format,
            ),
        }
    }
}

impl Event {
    /// Parses the body of a `text/event-*` message.
    pub fn parse(format: EventFormat, body: &Bytes, limits: &Limits) -> Result<Event, EventError> {
        match format {
            EventFormat::Plain => plain::parse(body, limits),
            EventFormat::Json => json::parse(body, limits),
            EventFormat::Xml => xml::parse(body, limits),
        }
    }

    /// [`Event::parse`], indexing JSON and XML events into `arena`: the events of one read then
    /// share one index (see [`Parsing::finish`]). Plain events are not indexed on this side.
    pub(crate) fn parse_into(
        format: EventFormat,
        body: &Bytes,
        limits: &Limits,
        arena: &mut SpanArena,
    ) -> Result<Parsing, EventError> {
        match format {
            EventFormat::Plain => plain::parse(body, limits).map(Parsing::Done),
            EventFormat::Json => json::parse_into(body, limits, arena),
            EventFormat::Xml => xml::parse_into(body, limits, arena),
        }
    }

    pub(crate) fn from_parts(headers: Headers, body: Option<Bytes>, format: EventFormat) -> Event {
        Event {
            headers,
            body,
            format,
        }
    }

    /// Starts an event in code (for a simulated switch, tests, or `sendevent`). Headers are
    /// literal; encoders apply each format's escaping.
    pub fn builder(name: impl Into<EventName>) -> EventBuilder {
        let name = name.into();
        EventBuilder::new().header("Event-Name", name.as_str())
    }

    /// The format this event arrived in.
    pub fn format(&self) -> EventFormat {
        self.format
    }

    /// All headers, raw bytes reachable, values decoded on access.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The first header called `name`, decoded.
    pub fn header(&self, name: &str) -> Option<Cow<'_, str>> {
        self.headers.text(name)
    }

    /// The first header called `name`, undecoded.
    pub fn get(&self, name: &str) -> Option<HeaderValue<'_>> {
        self.headers.get(name)
    }

    /// About how many bytes this event keeps in memory: its text (header block and body)
    /// and its header index, once. What a client's event queue counts against its byte
    /// capacity (`ClientConfig::event_bytes`).
    ///
    /// ```
    /// use esl_proto::Event;
    ///
    /// let event = Event::builder("HEARTBEAT").body("up").build();
    /// assert!(event.held_bytes() >= "Event-Name: HEARTBEAT".len() + 2);
    /// ```
    pub fn held_bytes(&self) -> usize {
        let body = match &self.body {
            Some(body) if !self.headers.holds(body) => body.len(),
            _ => 0,
        };
        self.headers.held_bytes() + body
    }

    /// The body (the result of a `BACKGROUND_JOB`, the text of a `MESSAGE`, ...).
    pub fn body(&self) -> Option<&Bytes> {
        self.body.as_ref()
    }

    /// The body as text (lossy for bytes that are not UTF-8).
    pub fn body_text(&self) -> Option<Cow<'_, str>> {
        self.body.as_deref().map(String::from_utf8_lossy)
    }

    /// `Event-Name`. A missing name reads as [`EventName::Other`] with an empty name.
    pub fn name(&self) -> EventName {
        match self.headers.get("Event-Name") {
            Some(v) => EventName::parse(&v.decoded()),
            None => EventName::Other(String::new()),
        }
    }

    /// `Event-Subclass` of a `CUSTOM` event (`conference::maintenance`, ...).
    pub fn subclass(&self) -> Option<Cow<'_, str>> {
        self.header("Event-Subclass")
    }

    /// True if this is the named event (for `CUSTOM`, give the subclass as `name`).
    pub fn is(&self, name: &str) -> bool {
        let event_name = self.name();
        if event_name.as_str().eq_ignore_ascii_case(name) {
            return true;
        }
        event_name == EventName::Custom
            && self
                .subclass()
                .is_some_and(|s| s.eq_ignore_ascii_case(name))
    }

    /// `Unique-ID`: the channel the event is about.
    pub fn unique_id(&self) -> Option<Cow<'_, str>> {
        self.header("Unique-ID")
    }

    /// `Job-UUID` of a `BACKGROUND_JOB`.
    pub fn job_uuid(&self) -> Option<Cow<'_, str>> {
        self.header("Job-UUID")
    }

    /// `Application-UUID` of `CHANNEL_EXECUTE` / `CHANNEL_EXECUTE_COMPLETE`: the `Event-UUID`
    /// the `sendmsg` carried, or one FreeSWITCH chose.
    pub fn application_uuid(&self) -> Option<Cow<'_, str>> {
        self.header("Application-UUID")
    }

    /// `Application` of `CHANNEL_EXECUTE*`.
    pub fn application(&self) -> Option<Cow<'_, str>> {
        self.header("Application")
    }

    /// `Application-Data` of `CHANNEL_EXECUTE*`.
    pub fn application_data(&self) -> Option<Cow<'_, str>> {
        self.header("Application-Data")
    }

    /// `Application-Response` of `CHANNEL_EXECUTE_COMPLETE`.
    pub fn application_response(&self) -> Option<Cow<'_, str>> {
        self.header("Application-Response")
    }

    /// `Channel-State`, typed.
    pub fn channel_state(&self) -> Option<ChannelState> {
        self.header("Channel-State")
            .map(|s| ChannelState::parse(&s))
    }

    /// `Channel-Call-State` (`DOWN`, `RINGING`, `EARLY`, `ACTIVE`, `HANGUP`, ...).
    pub fn call_state(&self) -> Option<Cow<'_, str>> {
        self.header("Channel-Call-State")
    }

    /// `Call-Direction` (`inbound` / `outbound`).
    pub fn call_direction(&self) -> Option<Cow<'_, str>> {
        self.header("Call-Direction")
    }

    /// True for a call that came into the switch. Channel events and the outbound `connect`
    /// reply carry `Call-Direction`; `variable_direction` is there on every channel.
    pub fn is_inbound(&self) -> bool {
        self.direction().as_deref() == Some("inbound")
    }

    /// True for a call the switch placed (see [`Event::is_inbound`]).
    pub fn is_outbound(&self) -> bool {
        self.direction().as_deref() == Some("outbound")
    }

    fn direction(&self) -> Option<Cow<'_, str>> {
        self.call_direction().or_else(|| self.variable("direction"))
    }

    /// `Hangup-Cause`, or `variable_hangup_cause` when only that is present.
    pub fn hangup_cause(&self) -> Option<Cow<'_, str>> {
        self.header("Hangup-Cause")
            .or_else(|| self.variable("hangup_cause"))
    }

    /// A channel variable: the `variable_<name>` header.
    pub fn variable(&self, name: &str) -> Option<Cow<'_, str>> {
        self.headers
            .get_prefixed("variable_", name)
            .map(|v| v.decoded())
    }

    /// `Event-Sequence`, FreeSWITCH's per-process event counter.
    pub fn sequence(&self) -> Option<u64> {
        self.header("Event-Sequence")?.parse().ok()
    }

    /// `Event-Date-Timestamp`, microseconds since the epoch (moves in ~20 ms steps).
    pub fn timestamp_micros(&self) -> Option<u64> {
        self.header("Event-Date-Timestamp")?.parse().ok()
    }

    /// Serialises the event's body for `format`, as `mod_event_socket` writes it.
    pub fn encode_body(&self, format: EventFormat) -> Bytes {
        match format {
            EventFormat::Plain => plain::encode(self),
            EventFormat::Json => json::encode(self),
            EventFormat::Xml => xml::encode(self),
        }
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("name", &self.name())
            .field("format", &self.format)
            .field("headers", &self.headers)
            .field("body", &self.body_text())
            .finish()
    }
}

/// Builds an [`Event`] in code. See [`Event::builder`].
#[derive(Debug, Clone)]
pub struct EventBuilder {
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl Default for EventBuilder {
    fn default() -> Self {
        EventBuilder::new()
    }
}

impl EventBuilder {
    /// A builder with no headers at all (not even `Event-Name`).
    pub fn new() -> EventBuilder {
        EventBuilder {
            headers: Vec::new(),
            body: None,
        }
    }

    /// Appends a header (literal value; duplicates are kept).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Appends every header of `headers`, decoded.
    pub fn headers_from(mut self, headers: &Headers) -> Self {
        for (name, value) in headers.iter() {
            self.headers
                .push((name.as_str().into_owned(), value.decoded().into_owned()));
        }
        self
    }

    /// Sets a header, replacing every existing one of that name (case-insensitively).
    pub fn set(mut self, name: &str, value: impl Into<String>) -> Self {
        let value = value.into();
        match self
            .headers
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(first) => {
                self.headers[first].1 = value;
                let mut index = 0;
                self.headers.retain(|(n, _)| {
                    index += 1;
                    index - 1 == first || !n.eq_ignore_ascii_case(name)
                });
            }
            None => self.headers.push((name.to_owned(), value)),
        }
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// The event.
    pub fn build(self) -> Event {
        let mut builder = HeadersBuilder::default();
        for (name, value) in &self.headers {
            builder.push(name.as_bytes(), value.as_bytes());
        }
        Event::from_parts(
            builder.finish(),
            self.body.map(Bytes::from),
            EventFormat::Plain,
        )
    }
}

/// `Channel-State`: the state machine every channel walks through (`switch_channel_state_t`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum ChannelState {
    /// `CS_NEW`
    New,
    /// `CS_INIT`
    Init,
    /// `CS_ROUTING`
    Routing,
    /// `CS_SOFT_EXECUTE`
    SoftExecute,
    /// `CS_EXECUTE`
    Execute,
    /// `CS_EXCHANGE_MEDIA`
    ExchangeMedia,
    /// `CS_PARK`
    Park,
    /// `CS_CONSUME_MEDIA`
    ConsumeMedia,
    /// `CS_HIBERNATE`
    Hibernate,
    /// `CS_RESET`
    Reset,
    /// `CS_HANGUP`
    Hangup,
    /// `CS_REPORTING`
    Reporting,
    /// `CS_DESTROY`
    Destroy,
    /// `CS_NONE`
    None,
    /// A state this library does not know, as sent.
    Other(String),
}

impl ChannelState {
    const NAMES: [(&'static str, ChannelState); 14] = [
        ("CS_NEW", ChannelState::New),
        ("CS_INIT", ChannelState::Init),
        ("CS_ROUTING", ChannelState::Routing),
        ("CS_SOFT_EXECUTE", ChannelState::SoftExecute),
        ("CS_EXECUTE", ChannelState::Execute),
        ("CS_EXCHANGE_MEDIA", ChannelState::ExchangeMedia),
        ("CS_PARK", ChannelState::Park),
        ("CS_CONSUME_MEDIA", ChannelState::ConsumeMedia),
        ("CS_HIBERNATE", ChannelState::Hibernate),
        ("CS_RESET", ChannelState::Reset),
        ("CS_HANGUP", ChannelState::Hangup),
        ("CS_REPORTING", ChannelState::Reporting),
        ("CS_DESTROY", ChannelState::Destroy),
        ("CS_NONE", ChannelState::None),
    ];

    /// Reads `CS_*`.
    pub fn parse(name: &str) -> ChannelState {
        ChannelState::NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| ChannelState::Other(name.to_owned()))
    }

    /// The `CS_*` name.
    pub fn as_str(&self) -> &str {
        match self {
            ChannelState::Other(name) => name,
            known => ChannelState::NAMES
                .iter()
                .find(|(_, s)| s == known)
                .map(|(n, _)| *n)
                .unwrap_or_default(),
        }
    }
}

impl fmt::Display for ChannelState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Event {
    /// As FreeSWITCH's JSON: one flat object of decoded values, the body under `_body`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        for (name, value) in self.headers.iter() {
            map.serialize_entry(&name.as_str(), &value.decoded())?;
        }
        if let Some(body) = self.body_text() {
            map.serialize_entry("_body", &body)?;
        }
        map.end()
    }
}

impl<'de> serde::Deserialize<'de> for Event {
    /// From FreeSWITCH's JSON shape (what [`Event`]'s `Serialize` writes).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Event, D::Error> {
        deserializer.deserialize_map(json::EventVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_set_replaces_every_duplicate_and_keeps_position() {
        let event = Event::builder("CUSTOM")
            .header("A", "1")
            .header("B", "2")
            .header("a", "3")
            .set("A", "x")
            .build();
        let names: Vec<_> = event
            .headers()
            .iter()
            .map(|(n, v)| format!("{}={}", n.as_str(), v))
            .collect();
        assert_eq!(names, ["Event-Name=CUSTOM", "A=x", "B=2"]);
    }

    #[test]
    fn is_matches_names_and_custom_subclasses() {
        let custom = Event::builder("CUSTOM")
            .header("Event-Subclass", "conference::maintenance")
            .build();
        assert!(custom.is("CUSTOM"));
        assert!(custom.is("conference::maintenance"));
        assert!(!custom.is("sofia::register"));
        assert!(Event::builder("CHANNEL_ANSWER")
            .build()
            .is("channel_answer"));
    }

    #[test]
    fn serde_round_trips_through_freeswitch_json() {
        let event = Event::builder("BACKGROUND_JOB")
            .header("Job-UUID", "j-1")
            .header("Job-Command-Arg", "loopback/park &park")
            .body("+OK abc\n")
            .build();
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(
            json,
            r#"{"Event-Name":"BACKGROUND_JOB","Job-UUID":"j-1","Job-Command-Arg":"loopback/park &park","_body":"+OK abc\n"}"#
        );
        let back: Event = serde_json::from_str(&json).unwrap();
        assert_eq!(back.headers(), event.headers());
        assert_eq!(back.body(), event.body());
        // A percent-encoded plain event serialises decoded.
        let plain = Event::parse(
            EventFormat::Plain,
            &Bytes::from_static(b"Event-Name: HEARTBEAT\nFreeSWITCH-IPv6: fd00%3A%3A2\n\n"),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&plain).unwrap()["FreeSWITCH-IPv6"],
            "fd00::2"
        );
        let error = serde_json::from_str::<Event>("[1]").unwrap_err();
        assert!(error.is_data(), "{error}");
        assert!(
            error
                .to_string()
                .contains("expected a flat object of event headers"),
            "{error}"
        );
    }

    #[test]
    fn channel_states_round_trip() {
        for (name, state) in ChannelState::NAMES {
            assert_eq!(ChannelState::parse(name), state);
            assert_eq!(state.as_str(), name);
        }
        assert_eq!(ChannelState::parse("CS_FUTURE").as_str(), "CS_FUTURE");
    }
}
