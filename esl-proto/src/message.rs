//! Messages from the switch and typed views of each kind.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;

use crate::frame::Frame;
use crate::headers::Headers;

/// The `Content-Type` of a message. Unknown types are kept, not rejected.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// `auth/request`: the greeting of an inbound connection.
    AuthRequest,
    /// `command/reply`: the reply to every command but `api`, text in `Reply-Text`.
    CommandReply,
    /// `api/response`: the reply to `api`, the output as the body.
    ApiResponse,
    /// `text/event-plain`
    EventPlain,
    /// `text/event-json`
    EventJson,
    /// `text/event-xml`
    EventXml,
    /// `log/data`: one log line after `log <level>`.
    LogData,
    /// `text/disconnect-notice`: linger or disconnect.
    DisconnectNotice,
    /// `text/rude-rejection`: the ACL refused the connection.
    RudeRejection,
    /// Any other type, as sent.
    Other(String),
    /// No `Content-Type` header.
    Missing,
}

impl ContentType {
    const KNOWN: [(&'static str, ContentType); 9] = [
        ("auth/request", ContentType::AuthRequest),
        ("command/reply", ContentType::CommandReply),
        ("api/response", ContentType::ApiResponse),
        ("text/event-plain", ContentType::EventPlain),
        ("text/event-json", ContentType::EventJson),
        ("text/event-xml", ContentType::EventXml),
        ("log/data", ContentType::LogData),
        ("text/disconnect-notice", ContentType::DisconnectNotice),
        ("text/rude-rejection", ContentType::RudeRejection),
    ];

    /// Reads a `Content-Type` value (case-insensitive, surrounding spaces ignored).
    pub fn parse(raw: &[u8]) -> ContentType {
        let raw = raw.trim_ascii();
        ContentType::KNOWN
            .iter()
            .find(|(name, _)| raw.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, ct)| ct.clone())
            .unwrap_or_else(|| ContentType::Other(String::from_utf8_lossy(raw).into_owned()))
    }

    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            ContentType::Other(name) => name,
            ContentType::Missing => "",
            known => ContentType::KNOWN
                .iter()
                .find(|(_, ct)| ct == known)
                .map(|(name, _)| *name)
                .unwrap_or_default(),
        }
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One message as framed: headers and body, nothing interpreted yet.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    headers: Headers,
    body: Bytes,
}

impl Message {
    /// A message from its parts.
    pub fn new(headers: Headers, body: Bytes) -> Message {
        Message { headers, body }
    }

    /// The message's header block.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The body (empty when there is no `Content-Length`).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The `Content-Type`.
    pub fn content_type(&self) -> ContentType {
        match self.headers.get("Content-Type") {
            Some(value) => ContentType::parse(&value.decoded_bytes()),
            None => ContentType::Missing,
        }
    }
}

impl From<Frame> for Message {
    fn from(frame: Frame) -> Message {
        Message::new(frame.headers, frame.body)
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("headers", &self.headers)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

/// Whether a reply text reports success. FreeSWITCH starts successes with `+OK` and failures
/// with `-ERR` (api bodies also with `-USAGE`).
fn is_ok_text(text: &str) -> bool {
    text.starts_with("+OK")
}

/// A `command/reply`.
#[derive(Clone, PartialEq, Eq)]
pub struct Reply {
    headers: Headers,
}

impl Reply {
    /// The reply in a message's headers.
    pub fn new(headers: Headers) -> Reply {
        Reply { headers }
    }

    /// `Reply-Text`, decoded (the outbound `connect` reply percent-encodes it as `%2BOK%0A`).
    pub fn text(&self) -> Cow<'_, str> {
        self.headers.text("Reply-Text").unwrap_or_default()
    }

    /// True if the text starts with `+OK`.
    pub fn is_ok(&self) -> bool {
        is_ok_text(&self.text())
    }

    /// The `Job-UUID` header (a `bgapi` reply).
    pub fn job_uuid(&self) -> Option<Cow<'_, str>> {
        self.headers.text("Job-UUID")
    }

    /// Every header of the reply (the `connect` reply carries the channel's data).
    pub fn headers(&self) -> &Headers {
        &self.headers
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Reply({:?})", self.text())
    }
}

/// An `api/response`: the command's output.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiResponse {
    body: Bytes,
}

impl ApiResponse {
    /// The response with `body`.
    pub fn new(body: Bytes) -> ApiResponse {
        ApiResponse { body }
    }

    /// The output, as sent (not always ending in LF: `global_setvar` answers `+OK`).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The output as text.
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// True unless the output starts with `-ERR` or `-USAGE` (an empty result arrives as
    /// `-ERR no reply`).
    pub fn is_ok(&self) -> bool {
        !(self.body.starts_with(b"-ERR") || self.body.starts_with(b"-USAGE"))
    }
}

impl fmt::Debug for ApiResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiResponse({:?})", self.text())
    }
}

/// A `log/data` message.
#[derive(Clone, PartialEq, Eq)]
pub struct LogLine {
    headers: Headers,
    body: Bytes,
}

impl LogLine {
    /// The log line of a `log/data` message.
    pub fn new(headers: Headers, body: Bytes) -> LogLine {
        LogLine { headers, body }
    }

    /// About how many bytes this line keeps in memory (see [`Event::held_bytes`]).
    ///
    /// ```
    /// use bytes::Bytes;
    /// use esl_proto::{Headers, LogLine};
    ///
    /// let headers = Headers::from_pairs([("Log-Level", "7")]);
    /// let line = LogLine::new(headers, Bytes::from_static(b"a debug line\n"));
    /// assert!(line.held_bytes() >= "a debug line\n".len());
    /// ```
    ///
    /// [`Event::held_bytes`]: crate::Event::held_bytes
    pub fn held_bytes(&self) -> usize {
        self.headers.held_bytes() + self.body.len()
    }

    /// `Log-Level` (0 console ... 7 debug).
    pub fn level(&self) -> Option<u8> {
        self.headers.text("Log-Level")?.trim().parse().ok()
    }

    /// `Log-File`.
    pub fn file(&self) -> Option<Cow<'_, str>> {
        self.headers.text("Log-File")
    }

    /// `Log-Func`.
    pub fn function(&self) -> Option<Cow<'_, str>> {
        self.headers.text("Log-Func")
    }

    /// `Log-Line`.
    pub fn line(&self) -> Option<u32> {
        self.headers.text("Log-Line")?.trim().parse().ok()
    }

    /// `Text-Channel`.
    pub fn text_channel(&self) -> Option<u32> {
        self.headers.text("Text-Channel")?.trim().parse().ok()
    }

    /// `User-Data`: usually the uuid of the channel the line is about (empty when none).
    pub fn user_data(&self) -> Option<Cow<'_, str>> {
        self.headers.text("User-Data").filter(|s| !s.is_empty())
    }

    /// The formatted line.
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// All headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }
}

impl fmt::Debug for LogLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LogLine({:?}, {:?})", self.level(), self.text())
    }
}

/// What a `text/disconnect-notice` announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// `Content-Disposition: linger`: the channel hung up, the socket stays open for the
    /// remaining events (`Linger-Time` seconds, or until `exit` when -1).
    Linger,
    /// `Content-Disposition: disconnect`, or no disposition (the plain notice after `exit` or
    /// a failed auth): the switch closes the socket now.
    Disconnect,
}

/// A `text/disconnect-notice`.
#[derive(Clone, PartialEq, Eq)]
pub struct DisconnectNotice {
    headers: Headers,
    body: Bytes,
}

impl DisconnectNotice {
    /// The notice of a `text/disconnect-notice` message.
    pub fn new(headers: Headers, body: Bytes) -> DisconnectNotice {
        DisconnectNotice { headers, body }
    }

    /// Linger or disconnect.
    pub fn disposition(&self) -> Disposition {
        match self.headers.get("Content-Disposition") {
            Some(value) if value.raw().trim_ascii().eq_ignore_ascii_case(b"linger") => {
                Disposition::Linger
            }
            _ => Disposition::Disconnect,
        }
    }

    /// `Linger-Time` in seconds; -1 means until the client says `exit`.
    pub fn linger_time(&self) -> Option<i64> {
        self.headers.text("Linger-Time")?.trim().parse().ok()
    }

    /// `Controlled-Session-UUID`: the channel this socket controlled.
    pub fn controlled_session_uuid(&self) -> Option<Cow<'_, str>> {
        self.headers.text("Controlled-Session-UUID")
    }

    /// `Channel-Name` (linger notices).
    pub fn channel_name(&self) -> Option<Cow<'_, str>> {
        self.headers.text("Channel-Name")
    }

    /// The notice's text (`Disconnected, goodbye.` ...).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// All headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }
}

impl fmt::Debug for DisconnectNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DisconnectNotice")
            .field("disposition", &self.disposition())
            .field("linger_time", &self.linger_time())
            .field("session", &self.controlled_session_uuid())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_round_trip_and_unknown_are_kept() {
        for (name, ct) in ContentType::KNOWN {
            assert_eq!(ContentType::parse(name.as_bytes()), ct);
            assert_eq!(ct.as_str(), name);
        }
        assert_eq!(
            ContentType::parse(b" Command/Reply "),
            ContentType::CommandReply
        );
        assert_eq!(
            ContentType::parse(b"x/new"),
            ContentType::Other("x/new".into())
        );
    }

    #[test]
    fn replies_decode_their_text() {
        let reply = Reply::new(Headers::from_pairs([("Reply-Text", "+OK accepted")]));
        assert!(reply.is_ok());
        let headers = Headers::from_pairs([("Reply-Text", "%2BOK%0A")]);
        let encoded = Reply::new(headers.with_encoding(crate::headers::ValueEncoding::Percent));
        assert_eq!(encoded.text(), "+OK\n");
        assert!(encoded.is_ok());
        let err = Reply::new(Headers::from_pairs([("Reply-Text", "-ERR invalid")]));
        assert!(!err.is_ok());
    }

    #[test]
    fn api_errors_and_usage_are_not_ok() {
        assert!(ApiResponse::new(Bytes::from_static(b"+OK")).is_ok());
        assert!(ApiResponse::new(Bytes::from_static(b"{\"row_count\": 0}\n")).is_ok());
        assert!(!ApiResponse::new(Bytes::from_static(b"-ERR no reply\n")).is_ok());
        assert!(!ApiResponse::new(Bytes::from_static(b"-USAGE: <x>\n")).is_ok());
    }
}
