//! Framing with look-ahead: every complete message already received is framed and its event
//! indexed in one pass, into one shared header arena, before the connection handles the
//! first of them. Events parsed from one read then share one index allocation, freed once,
//! instead of one per event (freeing them one by one on the consumer's thread fought the
//! parser's thread for the allocator).

use std::collections::VecDeque;
use std::sync::Arc;

use crate::error::{EventError, FrameError};
use crate::event::{Event, EventFormat};
use crate::frame::Framer;
use crate::headers::SpanArena;
use crate::message::{ContentType, Message};
use crate::Limits;

/// A framed message, with its event parsed if it is one.
pub(super) type Parsed = (Message, Option<Result<Event, EventError>>);

pub(super) struct Lookahead {
    framer: Framer,
    parsed: VecDeque<Parsed>,
    /// The framing error that ended the last batch, returned after the messages before it.
    frame_error: Option<FrameError>,
    arena: SpanArena,
}

impl std::fmt::Debug for Lookahead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lookahead")
            .field("buffered", &self.framer.buffered())
            .field("parsed", &self.parsed.len())
            .finish()
    }
}

impl Lookahead {
    pub(super) fn new(limits: Limits) -> Lookahead {
        Lookahead {
            framer: Framer::new(limits),
            parsed: VecDeque::new(),
            frame_error: None,
            arena: SpanArena::default(),
        }
    }

    pub(super) fn push(&mut self, bytes: &[u8]) {
        self.framer.push(bytes);
    }

    /// Gives back the memory kept for the next messages (the framer's spare buffers, the
    /// queue of parsed messages and the index arena) once everything received was handled:
    /// for a connection going idle. Nothing is lost; the next read allocates again.
    pub(super) fn release(&mut self) {
        self.framer.release();
        if self.parsed.is_empty() {
            self.parsed = VecDeque::new();
        }
        if self.arena.is_empty() {
            self.arena = SpanArena::default();
        }
    }

    pub(super) fn buffer_bytes(&self) -> usize {
        self.framer.buffer_bytes()
    }

    pub(super) fn holds_stream_buffers(&self) -> bool {
        self.framer.holds_stream_buffers()
    }

    pub(super) fn room(&self) -> usize {
        self.framer.room()
    }

    /// Received bytes not yet framed.
    pub(super) fn buffered(&self) -> usize {
        self.framer.buffered()
    }

    /// True if the bytes received end inside a message.
    pub(super) fn is_mid_message(&self) -> bool {
        self.framer.is_mid_message()
    }

    /// The next message in order, `Ok(None)` when more bytes are needed, or the framing error
    /// met after the messages before it.
    pub(super) fn next(&mut self, limits: &Limits) -> Result<Option<Parsed>, FrameError> {
        if let Some(parsed) = self.parsed.pop_front() {
            return Ok(Some(parsed));
        }
        if let Some(error) = self.frame_error.take() {
            return Err(error);
        }
        match self.framer.next_frame()? {
            Some(frame) => {
                self.parse_batch(Message::from(frame), limits);
                Ok(self.parsed.pop_front())
            }
            None => Ok(None),
        }
    }

    /// Parses `first` and every other complete message already received.
    fn parse_batch(&mut self, first: Message, limits: &Limits) {
        let mut indexed = Vec::new();
        let mut next = Some(first);
        while let Some(message) = next {
            let format = match message.content_type() {
                ContentType::EventPlain => Some(EventFormat::Plain),
                ContentType::EventJson => Some(EventFormat::Json),
                ContentType::EventXml => Some(EventFormat::Xml),
                _ => None,
            };
            let event = format
                .map(|format| Event::parse_into(format, message.body(), limits, &mut self.arena));
            indexed.push((message, event));
            next = match self.framer.next_frame() {
                Ok(frame) => frame.map(Message::from),
                Err(error) => {
                    // After the messages before it, as if met one at a time.
                    self.frame_error = Some(error);
                    None
                }
            };
        }
        let shared = if self.arena.is_empty() {
            Arc::new(Vec::new())
        } else {
            self.arena.share()
        };
        self.parsed
            .extend(indexed.into_iter().map(|(message, event)| {
                let event = event.map(|parsing| parsing.map(|parsing| parsing.finish(&shared)));
                (message, event)
            }));
    }
}
