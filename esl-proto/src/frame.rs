//! Incremental framing: bytes in any split, complete messages out.
//!
//! A message is a header block of `Name: value` lines closed by an empty line, then exactly
//! `Content-Length` body bytes when that header is present (anywhere in the block: events put
//! it first, `log/data` second, replies have none). Each byte is looked at once: the scan for
//! line ends resumes where the previous call stopped, and each line is indexed as soon as its
//! LF is found, so a message that arrives one byte at a time costs no more than one that
//! arrives whole. Names, values and bodies are [`Bytes`] slices of the receive buffer.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::FrameError;
use crate::headers::{push_line, Headers, Span, ValueEncoding};
use crate::Limits;

/// One framed message: its header block (indexed) and its body (empty when it has none).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Frame {
    /// The first line, for a framer of commands (see [`Framer::for_commands`]).
    pub line: Option<Bytes>,
    /// The header block (without the command line).
    pub headers: Headers,
    /// The `Content-Length` bytes after it.
    pub body: Bytes,
}

/// The first line of `head`, CR dropped, if the framer kept one.
fn command_line(head: &Bytes, line_end: Option<usize>) -> Option<Bytes> {
    line_end.map(|end| {
        let crlf = head[..end].ends_with(b"\r");
        head.slice(..end - usize::from(crlf))
    })
}

enum State {
    /// Looking for the blank line that ends the header block that starts at `buf[0]`.
    Head {
        /// Start of the line being scanned.
        line_start: usize,
        /// Bytes before this offset hold no LF that was not already handled.
        scanned: usize,
        content_length: Option<usize>,
        /// The command line's end, once seen (command framers only).
        line_end: Option<usize>,
    },
    /// The header block is complete; waiting for `length` body bytes at `buf[0]`.
    Body {
        line: Option<Bytes>,
        headers: Headers,
        length: usize,
    },
}

impl State {
    fn head() -> State {
        State::Head {
            line_start: 0,
            scanned: 0,
            content_length: None,
            line_end: None,
        }
    }
}

/// Buffers given up while frames still pointed into them are kept, up to this many bytes of
/// them, to be reused once those frames are gone: a consumer running behind then never makes
/// the framer allocate. (A new buffer is fresh pages to fault in; a freed one the allocator
/// may give back to the system, to be faulted in again.) Twice an event stream's default
/// byte bound (2 MiB), since a consumer may hold that much and catch up in a burst: with
/// only 1 MiB, a 72 KB event stream allocated a fresh buffer every four events. The spares
/// go back when the connection goes idle ([`Framer::release`]).
const SPARE_BYTES: usize = 4 * 1024 * 1024;

/// The smallest buffer the framer allocates.
const MIN_BUFFER: usize = 4 * 1024;

/// A read at least this large is taken for a stream of them (events).
const STREAM_READ: usize = 16 * 1024;

/// True if no frame points into `spare` any more, which then has room for `bytes` (it is
/// emptied and moved back to the start of its allocation).
fn reusable(spare: &mut BytesMut, bytes: usize) -> bool {
    spare.clear();
    spare.try_reclaim(bytes)
}

/// Splits a byte stream into [`Frame`]s.
///
/// Feed bytes with [`Framer::push`], take messages with [`Framer::next_frame`] until it returns
/// `Ok(None)` (need more bytes: not an error). Errors are fatal for the stream.
///
/// Frames point into the framer's buffer rather than being copied out of it, so a buffer lives
/// as long as the last frame cut from it. When the buffer is full the framer reuses it if its
/// frames are all gone, else one of the buffers it gave up earlier whose frames are gone, and
/// only then allocates one, sized to the message being received (a 72 KB event gets one
/// buffer, not a growing series of copies) and to the reads it is fed. A fresh buffer is fresh
/// pages: allocating one per 72 KB event cost about 23 page faults an event.
pub struct Framer {
    buf: BytesMut,
    /// The size of `buf`'s allocation (a handle's capacity only counts what is ahead of it).
    buf_size: usize,
    /// Buffers given up, and the size of each one's allocation.
    spares: Vec<(BytesMut, usize)>,
    /// The spans of the header block being read; its allocation is reused.
    spans: Vec<Span>,
    state: State,
    limits: Limits,
    commands: bool,
}

impl std::fmt::Debug for Framer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Framer")
            .field("buffered", &self.buf.len())
            .field("buffer_size", &self.buf_size)
            .field("spares", &self.spares.len())
            .field("commands", &self.commands)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Framer {
    /// A framer enforcing `limits`.
    pub fn new(limits: Limits) -> Framer {
        Framer {
            buf: BytesMut::new(),
            buf_size: 0,
            spares: Vec::new(),
            spans: Vec::new(),
            state: State::head(),
            limits,
            commands: false,
        }
    }

    /// A framer for the client-to-switch direction: the first line of each block is the
    /// command (`api status`, `sendmsg <uuid>`), kept whole in [`Frame::line`] even when it
    /// holds a `:`; the lines after it are headers, as `mod_event_socket`'s `read_packet`
    /// reads them.
    pub fn for_commands(limits: Limits) -> Framer {
        Framer {
            commands: true,
            ..Framer::new(limits)
        }
    }

    /// Appends received bytes. Never fails; limits are checked by [`Framer::next_frame`].
    pub fn push(&mut self, bytes: &[u8]) {
        if self.buf.capacity() - self.buf.len() < bytes.len() {
            self.make_room(bytes.len());
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Gives the buffer room for `incoming` more bytes: the same buffer if nothing points
    /// into it any more, else a spare whose frames are gone, else a new one.
    fn make_room(&mut self, incoming: usize) {
        let kept = self.buf.len();
        // The rest of a body whose length is known is coming: room for all of it at once.
        let expected = match &self.state {
            State::Body { length, .. } => length.saturating_sub(kept),
            State::Head { .. } => 0,
        };
        let needed = kept + incoming.max(expected);
        if self.buf.try_reclaim(needed - kept) {
            return;
        }
        let spare = self
            .spares
            .iter_mut()
            .position(|(spare, _)| reusable(spare, needed));
        let (mut fresh, size) = match spare {
            Some(at) => self.spares.swap_remove(at),
            None => {
                // Sized to the traffic: twice a large read, so that a stream of reads fills
                // a buffer every other read (a connection that only gets replies keeps a
                // small one, which its last messages pin while it idles); twice what is
                // kept, so that a long message is copied a logarithmic number of times while
                // it arrives.
                let stream = if incoming >= STREAM_READ {
                    2 * incoming
                } else {
                    0
                };
                let size = needed.max(stream).max(2 * kept).max(MIN_BUFFER);
                (BytesMut::with_capacity(size), size)
            }
        };
        fresh.extend_from_slice(&self.buf);
        let mut old = std::mem::replace(&mut self.buf, fresh);
        let old_size = std::mem::replace(&mut self.buf_size, size);
        if old_size > 0 {
            old.clear();
            self.spares.push((old, old_size));
            // The oldest go first: their frames are the likeliest to be gone, but a buffer
            // given up is memory kept, so the total is bounded.
            let mut total: usize = self.spares.iter().map(|(_, size)| size).sum();
            while total > SPARE_BYTES {
                total -= self.spares.remove(0).1;
            }
        }
    }

    /// Gives back the memory the framer holds between messages: the spare buffers, and the
    /// buffer itself and the index scratch space when no partial message is in them (call
    /// when the connection goes idle).
    pub fn release(&mut self) {
        self.spares = Vec::new();
        // Mid-block, the spans hold the lines of the header block read so far.
        if self.spans.is_empty() {
            self.spans = Vec::new();
        }
        if self.buf.is_empty() {
            self.buf = BytesMut::new();
            self.buf_size = 0;
        }
    }

    /// Bytes of buffer the framer holds: the current buffer's allocation and the spares'.
    /// Buffers frames still point into count too (they are freed with their last frame).
    ///
    /// ```
    /// use esl_proto::{Framer, Limits};
    ///
    /// let mut framer = Framer::new(Limits::default());
    /// framer.push(b"Content-Type: auth/request\n\n");
    /// assert!(framer.next_frame().unwrap().is_some());
    /// assert!(framer.buffer_bytes() >= 28);
    /// framer.release();
    /// assert_eq!(framer.buffer_bytes(), 0);
    /// ```
    pub fn buffer_bytes(&self) -> usize {
        self.buf_size + self.spares.iter().map(|(_, size)| size).sum::<usize>()
    }

    /// True while the framer holds buffers sized to a stream of large reads, or spares:
    /// giving those back costs fresh pages to fault in on the next reads, so they are worth
    /// keeping through a short pause. (A framer that only saw small reads holds one small
    /// buffer, which the allocator hands back as cheaply.)
    pub(crate) fn holds_stream_buffers(&self) -> bool {
        self.buf_size >= 2 * STREAM_READ || !self.spares.is_empty()
    }

    /// Bytes [`Framer::push`] takes into the current buffer without giving it up for
    /// another.
    ///
    /// ```
    /// use esl_proto::{Framer, Limits};
    ///
    /// let mut framer = Framer::new(Limits::default());
    /// assert_eq!(framer.room(), 0, "no buffer until something arrives");
    /// framer.push(b"Content-Type: text/disconnect-notice\n");
    /// assert!(framer.room() > 0);
    /// framer.release();
    /// assert!(framer.room() > 0, "a partial message keeps its buffer");
    /// ```
    pub fn room(&self) -> usize {
        self.buf.capacity() - self.buf.len()
    }

    /// Bytes received and not yet returned in a frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// True if part of a message has arrived but not all of it.
    pub fn is_mid_message(&self) -> bool {
        match self.state {
            State::Head { .. } => self.buf.iter().any(|b| *b != b'\n' && *b != b'\r'),
            State::Body { .. } => true,
        }
    }

    /// The next complete message, `Ok(None)` if more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        loop {
            match &mut self.state {
                State::Head {
                    line_start,
                    scanned,
                    content_length,
                    line_end,
                } => {
                    if *scanned == 0 {
                        // `mod_event_socket` skips line ends between messages ("bah" in
                        // read_packet); so does this framer, on both sides of the socket.
                        let skip = self
                            .buf
                            .iter()
                            .position(|b| *b != b'\n' && *b != b'\r')
                            .unwrap_or(self.buf.len());
                        self.buf.advance(skip);
                        if self.buf.is_empty() {
                            return Ok(None);
                        }
                    }
                    let mut end_of_head = None;
                    for offset in memchr::memchr_iter(b'\n', &self.buf[*scanned..]) {
                        let nl = *scanned + offset;
                        let start = *line_start;
                        // `\n\n` ends the block; so does `\n\r\n`, which libesl accepts.
                        if nl == start || (nl == start + 1 && self.buf[start] == b'\r') {
                            end_of_head = Some(nl + 1);
                            break;
                        }
                        if self.commands && line_end.is_none() {
                            *line_end = Some(nl);
                        } else {
                            let spans = &mut self.spans;
                            push_line(&self.buf, start, nl, spans, content_length, &self.limits)?;
                        }
                        *line_start = nl + 1;
                    }
                    let Some(head_len) = end_of_head else {
                        *scanned = self.buf.len();
                        // No terminator yet, so the block will be longer than what is here.
                        if self.buf.len() >= self.limits.max_header_block {
                            return Err(FrameError::HeaderBlockTooLarge {
                                limit: self.limits.max_header_block,
                            });
                        }
                        return Ok(None);
                    };
                    if head_len > self.limits.max_header_block {
                        return Err(FrameError::HeaderBlockTooLarge {
                            limit: self.limits.max_header_block,
                        });
                    }
                    let (line_end, content_length) = (*line_end, *content_length);
                    let head = self.buf.split_to(head_len).freeze();
                    let line = command_line(&head, line_end);
                    let headers =
                        Headers::from_framed(head, &mut self.spans, ValueEncoding::Percent);
                    match content_length {
                        Some(length) if length > 0 => {
                            self.state = State::Body {
                                line,
                                headers,
                                length,
                            };
                        }
                        _ => {
                            self.state = State::head();
                            return Ok(Some(Frame {
                                line,
                                headers,
                                body: Bytes::new(),
                            }));
                        }
                    }
                }
                State::Body { length, .. } => {
                    if self.buf.len() < *length {
                        return Ok(None);
                    }
                    let body = self.buf.split_to(*length).freeze();
                    let State::Body { line, headers, .. } =
                        std::mem::replace(&mut self.state, State::head())
                    else {
                        // The match arm above proved the state is Body.
                        return Ok(None);
                    };
                    return Ok(Some(Frame {
                        line,
                        headers,
                        body,
                    }));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
