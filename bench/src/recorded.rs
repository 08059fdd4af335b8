//! The recorded event streams: the event messages of a capture, byte for byte as FreeSWITCH
//! sent them (the greeting and the replies left out), and batches of them for large writes.

use bytes::Bytes;
use esl_proto::{ContentType, Framer, Limits, Message};
use esl_tests::fixtures;

/// Which recorded stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `inbound_events_plain`: 51 channel and system events, about 2.2 KB each.
    Plain,
    /// `inbound_events_json`: the same kinds of event in `text/event-json`.
    Json,
    /// `inbound_events_xml`: the same kinds of event in `text/event-xml`.
    Xml,
    /// `inbound_big_event`: `CHANNEL_CREATE` events of about 72 KB (1,000 variables).
    Big,
}

impl Format {
    /// Every format, in the order the tables print them.
    pub const ALL: [Format; 4] = [Format::Plain, Format::Json, Format::Big, Format::Xml];

    /// The capture the events come from.
    pub fn capture(self) -> &'static str {
        match self {
            Format::Plain => "inbound_events_plain",
            Format::Json => "inbound_events_json",
            Format::Xml => "inbound_events_xml",
            Format::Big => "inbound_big_event",
        }
    }

    /// The name used on command lines and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Plain => "plain",
            Format::Json => "json",
            Format::Xml => "xml",
            Format::Big => "big",
        }
    }

    /// Reads [`Format::as_str`] back.
    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

/// The event messages of one capture, and where each starts.
#[derive(Debug, Clone)]
pub struct Recorded {
    bytes: Bytes,
    /// Start of each event in `bytes`, then `bytes.len()`.
    starts: Vec<usize>,
}

impl Recorded {
    /// Loads the events of `format`'s capture. Panics if the capture is missing or holds no
    /// event (a benchmark cannot run without it).
    pub fn load(format: Format) -> Recorded {
        let from = fixtures::load(format.capture()).from_switch();
        let mut framer = Framer::new(Limits::default());
        framer.push(&from);
        let mut bytes = Vec::new();
        let mut starts = Vec::new();
        let mut offset = 0;
        while let Some(frame) = framer.next_frame().expect("the capture frames") {
            let end = from.len() - framer.buffered();
            if matches!(
                Message::from(frame).content_type(),
                ContentType::EventPlain | ContentType::EventJson | ContentType::EventXml
            ) {
                starts.push(bytes.len());
                // Line ends the switch wrote between messages are skipped by every reader.
                let message = &from[offset..end];
                let skip = message
                    .iter()
                    .position(|b| *b != b'\n' && *b != b'\r')
                    .unwrap_or(0);
                bytes.extend_from_slice(&message[skip..]);
            }
            offset = end;
        }
        assert!(!starts.is_empty(), "{} holds no event", format.capture());
        starts.push(bytes.len());
        Recorded {
            bytes: Bytes::from(bytes),
            starts,
        }
    }

    /// How many events.
    pub fn events(&self) -> usize {
        self.starts.len() - 1
    }

    /// Every event, back to back.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The length in bytes of the first `n` events of the stream repeated forever.
    pub fn prefix_len(&self, n: usize) -> usize {
        let whole = n / self.events();
        whole * self.bytes.len() + self.starts[n % self.events()]
    }

    /// The stream repeated to at least `min_len` bytes, ending on an event boundary, and how
    /// many events that is: one write of it hands the socket whole events.
    pub fn batch(&self, min_len: usize) -> (Bytes, usize) {
        let copies = min_len.div_ceil(self.bytes.len()).max(1);
        (
            Bytes::from(self.bytes.repeat(copies)),
            copies * self.events(),
        )
    }
}
