//! An ordered multimap of headers over the bytes they arrived in.
//!
//! Indexing a header block stores four offsets per line and copies nothing: names and values
//! stay in the shared [`Bytes`] of the message. Values are percent-decoded only when read, and
//! only if they hold a `%`, so a value that needs no decoding is never copied.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::error::FrameError;
use crate::Limits;

/// Where one header line's name and value lie in the header buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) name_start: u32,
    pub(crate) name_end: u32,
    pub(crate) value_start: u32,
    pub(crate) value_end: u32,
}

/// How the values of a header map are encoded on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueEncoding {
    /// Percent-encoded (the outer headers of every message, `text/event-plain`,
    /// `text/event-xml`): read values are percent-decoded.
    Percent,
    /// Literal (`text/event-json` and headers built in code): read as they are.
    Literal,
}

/// Where a header map keeps its index.
#[derive(Clone)]
enum Index {
    Own(Vec<Span>),
    /// A range of an index shared by every event parsed from one read, the way their bytes
    /// share one buffer: the events a connection hands to another thread then cost that
    /// thread no `free` each (a free per event, against the allocator of the thread that
    /// parsed it, was the largest cost of a client's event stream).
    Shared(Arc<Vec<Span>>, Range<u32>),
}

/// An ordered multimap of headers: case-insensitive lookup, duplicates kept in order.
///
/// Cheap to clone when it came from a connection: the bytes and the index are shared.
#[derive(Clone)]
pub struct Headers {
    buf: Bytes,
    index: Index,
    encoding: ValueEncoding,
}

impl Headers {
    pub(crate) fn from_parts(buf: Bytes, spans: Vec<Span>, encoding: ValueEncoding) -> Headers {
        Headers {
            buf,
            index: Index::Own(spans),
            encoding,
        }
    }

    /// Headers whose index is `range` of `shared` (see [`SpanArena`]).
    pub(crate) fn from_shared(
        buf: Bytes,
        shared: Arc<Vec<Span>>,
        range: Range<u32>,
        encoding: ValueEncoding,
    ) -> Headers {
        Headers {
            buf,
            index: Index::Shared(shared, range),
            encoding,
        }
    }

    #[inline]
    fn spans(&self) -> &[Span] {
        match &self.index {
            Index::Own(spans) => spans,
            Index::Shared(shared, range) => shared
                .get(range.start as usize..range.end as usize)
                .unwrap_or_default(),
        }
    }

    pub(crate) fn with_encoding(mut self, encoding: ValueEncoding) -> Headers {
        self.encoding = encoding;
        self
    }

    /// An empty header map.
    pub fn empty() -> Headers {
        Headers::from_parts(Bytes::new(), Vec::new(), ValueEncoding::Literal)
    }

    /// Builds a header map from literal (not encoded) names and values.
    pub fn from_pairs<I, N, V>(pairs: I) -> Headers
    where
        I: IntoIterator<Item = (N, V)>,
        N: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        let mut builder = HeadersBuilder::default();
        for (name, value) in pairs {
            builder.push(name.as_ref(), value.as_ref());
        }
        builder.finish()
    }

    /// How values are encoded; [`HeaderValue::decoded`] undoes it.
    pub fn encoding(&self) -> ValueEncoding {
        self.encoding
    }

    /// Number of header lines, duplicates included.
    pub fn len(&self) -> usize {
        self.spans().len()
    }

    /// True if there are no headers.
    pub fn is_empty(&self) -> bool {
        self.spans().is_empty()
    }

    /// The first header called `name` (ASCII case-insensitive).
    pub fn get(&self, name: &str) -> Option<HeaderValue<'_>> {
        let wanted = name.as_bytes();
        self.spans()
            .iter()
            .find(|span| {
                self.slice(span.name_start, span.name_end)
                    .eq_ignore_ascii_case(wanted)
            })
            .map(|span| self.value_of(span))
    }

    /// The first header called `name`, decoded to text (see [`HeaderValue::decoded`]).
    pub fn text(&self, name: &str) -> Option<Cow<'_, str>> {
        self.get(name).map(|v| v.decoded())
    }

    /// The first header whose name is `prefix` followed by `rest`, without building the name.
    /// `get_prefixed("variable_", "sip_req_uri")` reads `variable_sip_req_uri`.
    pub fn get_prefixed(&self, prefix: &str, rest: &str) -> Option<HeaderValue<'_>> {
        let (prefix, rest) = (prefix.as_bytes(), rest.as_bytes());
        self.spans()
            .iter()
            .find(|span| {
                let name = self.slice(span.name_start, span.name_end);
                name.len() == prefix.len() + rest.len()
                    && name[..prefix.len()].eq_ignore_ascii_case(prefix)
                    && name[prefix.len()..].eq_ignore_ascii_case(rest)
            })
            .map(|span| self.value_of(span))
    }

    /// Every header called `name`, in wire order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = HeaderValue<'a>> + 'a {
        let wanted = name.as_bytes();
        self.spans()
            .iter()
            .filter(move |span| {
                self.slice(span.name_start, span.name_end)
                    .eq_ignore_ascii_case(wanted)
            })
            .map(move |span| self.value_of(span))
    }

    /// True if a header called `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every header as (name, value), in wire order.
    pub fn iter(&self) -> impl Iterator<Item = (HeaderName<'_>, HeaderValue<'_>)> + '_ {
        self.spans().iter().map(move |span| {
            (
                HeaderName(self.slice(span.name_start, span.name_end)),
                self.value_of(span),
            )
        })
    }

    /// The bytes the names and values point into.
    pub fn buffer(&self) -> &Bytes {
        &self.buf
    }

    fn slice(&self, start: u32, end: u32) -> &[u8] {
        // Spans are only ever built by this module from offsets inside `buf`.
        self.buf
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }

    fn value_of(&self, span: &Span) -> HeaderValue<'_> {
        HeaderValue {
            raw: self.slice(span.value_start, span.value_end),
            encoding: self.encoding,
        }
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(n, v)| (n.as_str(), v.decoded())))
            .finish()
    }
}

impl PartialEq for Headers {
    /// Equal when the decoded (name, value) sequences are equal, whatever the encoding.
    fn eq(&self, other: &Headers) -> bool {
        self.len() == other.len()
            && self.iter().zip(other.iter()).all(|((n1, v1), (n2, v2))| {
                n1.0 == n2.0 && v1.decoded_bytes() == v2.decoded_bytes()
            })
    }
}

impl Eq for Headers {}

/// Collects literal names and values into one buffer.
#[derive(Default)]
pub(crate) struct HeadersBuilder {
    buf: BytesMut,
    spans: Vec<Span>,
}

impl HeadersBuilder {
    pub(crate) fn push(&mut self, name: &[u8], value: &[u8]) {
        let name_start = self.buf.len() as u32;
        self.buf.extend_from_slice(name);
        let name_end = self.buf.len() as u32;
        self.buf.extend_from_slice(value);
        self.spans.push(Span {
            name_start,
            name_end,
            value_start: name_end,
            value_end: self.buf.len() as u32,
        });
    }

    pub(crate) fn finish(self) -> Headers {
        Headers::from_parts(self.buf.freeze(), self.spans, ValueEncoding::Literal)
    }
}

/// A header name, as it arrived.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HeaderName<'a>(&'a [u8]);

impl<'a> HeaderName<'a> {
    /// The name's bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The name as text (header names are ASCII; anything else is replaced).
    pub fn as_str(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.0)
    }

    /// ASCII case-insensitive comparison.
    pub fn eq_ignore_case(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other.as_bytes())
    }
}

impl fmt::Debug for HeaderName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.as_str(), f)
    }
}

/// A header value as it arrived, decoded on demand.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HeaderValue<'a> {
    raw: &'a [u8],
    encoding: ValueEncoding,
}

impl<'a> HeaderValue<'a> {
    /// The bytes exactly as they were on the wire.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The value with percent-encoding undone (plain `%XX` only: `+` stays `+`; a `%` not
    /// followed by two hex digits stays as it is). Borrowed when nothing needed decoding.
    pub fn decoded_bytes(&self) -> Cow<'a, [u8]> {
        match self.encoding {
            ValueEncoding::Percent if memchr::memchr(b'%', self.raw).is_some() => {
                Cow::from(percent_encoding::percent_decode(self.raw))
            }
            _ => Cow::Borrowed(self.raw),
        }
    }

    /// The decoded value as text; bytes that are not UTF-8 become U+FFFD.
    pub fn decoded(&self) -> Cow<'a, str> {
        match self.decoded_bytes() {
            Cow::Borrowed(bytes) => String::from_utf8_lossy(bytes),
            Cow::Owned(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Cow::Owned(text),
                Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
            },
        }
    }

    /// If the decoded value is a FreeSWITCH array (`ARRAY::a|:b|:c`), its items.
    pub fn as_array(&self) -> Option<Vec<String>> {
        let text = self.decoded();
        let items = text.strip_prefix("ARRAY::")?;
        Some(items.split("|:").map(str::to_owned).collect())
    }
}

impl fmt::Debug for HeaderValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.decoded(), f)
    }
}

impl fmt::Display for HeaderValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.decoded())
    }
}

/// Splits one header line `[start, end)` (line end already excluded) into name and value.
///
/// As libesl and `mod_event_socket` do: the name is everything before the first `:`, the value
/// everything after it with leading spaces removed; a trailing CR is dropped. A line with no
/// `:` carries no header (both peers ignore it), so it yields `None`.
#[inline]
pub(crate) fn split_line(buf: &[u8], start: usize, end: usize) -> Option<Span> {
    let colon = start + memchr::memchr(b':', &buf[start..end])?;
    Some(span_at(buf, start, colon, end))
}

/// One index for the header blocks of many events: each block's spans are appended, and
/// [`SpanArena::share`] freezes them into one allocation the events point into.
#[derive(Default)]
pub(crate) struct SpanArena {
    spans: Vec<Span>,
    /// A buffer for parsers that cannot index in place (JSON fills it, then copies it in
    /// when the event is good), kept so it is allocated once.
    scratch: Vec<Span>,
}

impl SpanArena {
    pub(crate) fn take_scratch(&mut self) -> Vec<Span> {
        std::mem::take(&mut self.scratch)
    }

    pub(crate) fn return_scratch(&mut self, mut scratch: Vec<Span>) {
        scratch.clear();
        self.scratch = scratch;
    }

    /// Indexes a block as [`index_block`] does, appending its spans; the returned range says
    /// where they are.
    pub(crate) fn index(
        &mut self,
        buf: &[u8],
        limits: &Limits,
    ) -> Result<(Range<u32>, BlockEnd), FrameError> {
        let start = self.spans.len();
        match index_block_into(buf, limits, &mut self.spans) {
            Ok(end) => Ok((range(start, self.spans.len()), end)),
            Err(e) => {
                self.spans.truncate(start);
                Err(e)
            }
        }
    }

    /// Appends spans built elsewhere; the returned range says where they are.
    pub(crate) fn extend(&mut self, spans: &[Span]) -> Range<u32> {
        let start = self.spans.len();
        self.spans.extend_from_slice(spans);
        range(start, self.spans.len())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Everything indexed so far, in one shared allocation; the arena starts again empty.
    pub(crate) fn share(&mut self) -> Arc<Vec<Span>> {
        // The index moves into the Arc as it is (no copy); the next read's starts at the
        // size this one needed, so it rarely grows.
        let next = Vec::with_capacity(self.spans.len());
        Arc::new(std::mem::replace(&mut self.spans, next))
    }
}

fn range(start: usize, end: usize) -> Range<u32> {
    // An arena never outgrows u32: it holds at most one read's blocks, each bounded by the
    // header-block limit.
    u32::try_from(start).unwrap_or(u32::MAX)..u32::try_from(end).unwrap_or(u32::MAX)
}

/// Where an indexed block ended.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockEnd {
    /// Offset just past the blank line (or the end of the input if there was none).
    pub(crate) body_start: usize,
    /// The block's `Content-Length`, if it had one.
    pub(crate) content_length: Option<usize>,
}

/// The result of indexing a complete header block held in memory.
pub(crate) struct IndexedBlock {
    pub(crate) spans: Vec<Span>,
    /// Offset just past the blank line (or the end of the input if there was none).
    pub(crate) body_start: usize,
    /// The block's `Content-Length`, if it had one.
    pub(crate) content_length: Option<usize>,
}

/// Indexes the header block at the start of `buf` (used for the block inside a plain event's
/// body, which is complete in memory). A block that runs to the end of `buf` without a blank
/// line is accepted: FreeSWITCH ends such bodies with one, but a missing one loses nothing.
///
/// One prepared `memchr2` pass finds every `:` and LF. Plain event values are
/// percent-encoded (`:` is `%3A`), so each line costs two hits: its name's end and its end.
pub(crate) fn index_block(buf: &[u8], limits: &Limits) -> Result<IndexedBlock, FrameError> {
    let mut spans = Vec::new();
    let end = index_block_into(buf, limits, &mut spans)?;
    Ok(IndexedBlock {
        spans,
        body_start: end.body_start,
        content_length: end.content_length,
    })
}

/// [`index_block`], appending to `spans` (the header-count limit applies to what this block
/// adds).
fn index_block_into(
    buf: &[u8],
    limits: &Limits,
    spans: &mut Vec<Span>,
) -> Result<BlockEnd, FrameError> {
    // Channel events carry 100-200 headers of ~35 bytes: sizing the index from the block
    // avoids growing it (and copying it) several times per event.
    spans.reserve((buf.len() / 28).max(8).min(limits.max_headers));
    // The AVX2 searcher, prepared once, saves memchr's per-call dispatch on short lines.
    #[cfg(target_arch = "x86_64")]
    if let Some(searcher) = memchr::arch::x86_64::avx2::memchr::Two::new(b':', b'\n') {
        return index_hits(buf, limits, searcher.iter(buf), spans);
    }
    index_hits(buf, limits, memchr::memchr2_iter(b':', b'\n', buf), spans)
}

/// [`index_block_into`] given the offsets of every `:` and LF in `buf`, in order.
#[inline(always)]
fn index_hits(
    buf: &[u8],
    limits: &Limits,
    hits: impl Iterator<Item = usize>,
    spans: &mut Vec<Span>,
) -> Result<BlockEnd, FrameError> {
    let first = spans.len();
    let mut content_length = None;
    let mut line_start = 0;
    let mut colon = None;
    for at in hits {
        if buf[at] == b':' {
            colon = colon.or(Some(at));
            continue;
        }
        if at == line_start || (at == line_start + 1 && buf[line_start] == b'\r') {
            if at >= limits.max_header_block {
                return Err(FrameError::HeaderBlockTooLarge {
                    limit: limits.max_header_block,
                });
            }
            return Ok(BlockEnd {
                body_start: at + 1,
                content_length,
            });
        }
        if let Some(colon) = colon.take() {
            let span = span_at(buf, line_start, colon, at);
            note_header(buf, span, spans, first, &mut content_length, limits)?;
        }
        line_start = at + 1;
    }
    if buf.len() > limits.max_header_block {
        return Err(FrameError::HeaderBlockTooLarge {
            limit: limits.max_header_block,
        });
    }
    if let Some(colon) = colon {
        let span = span_at(buf, line_start, colon, buf.len());
        note_header(buf, span, spans, first, &mut content_length, limits)?;
    }
    Ok(BlockEnd {
        body_start: buf.len(),
        content_length,
    })
}

/// The span of the line `[start, end)` whose first `:` is at `colon`.
#[inline]
fn span_at(buf: &[u8], start: usize, colon: usize, mut end: usize) -> Span {
    if end > colon + 1 && buf[end - 1] == b'\r' {
        end -= 1;
    }
    let mut value_start = colon + 1;
    while value_start < end && buf[value_start] == b' ' {
        value_start += 1;
    }
    Span {
        name_start: start as u32,
        name_end: colon as u32,
        value_start: value_start as u32,
        value_end: end as u32,
    }
}

/// Indexes one line and notes `Content-Length`.
#[inline]
pub(crate) fn push_line(
    buf: &[u8],
    start: usize,
    end: usize,
    spans: &mut Vec<Span>,
    content_length: &mut Option<usize>,
    limits: &Limits,
) -> Result<(), FrameError> {
    match split_line(buf, start, end) {
        Some(span) => note_header(buf, span, spans, 0, content_length, limits),
        None => Ok(()),
    }
}

/// Records one header and notes `Content-Length`.
#[inline(always)]
fn note_header(
    buf: &[u8],
    span: Span,
    spans: &mut Vec<Span>,
    block_start: usize,
    content_length: &mut Option<usize>,
    limits: &Limits,
) -> Result<(), FrameError> {
    if spans.len() - block_start >= limits.max_headers {
        return Err(FrameError::TooManyHeaders {
            limit: limits.max_headers,
        });
    }
    let name = &buf[span.name_start as usize..span.name_end as usize];
    if name.len() == 14 && name.eq_ignore_ascii_case(b"content-length") {
        let value = &buf[span.value_start as usize..span.value_end as usize];
        *content_length = Some(parse_content_length(value, limits)?);
    }
    spans.push(span);
    Ok(())
}

/// Parses a `Content-Length` value and checks it against the body limit.
pub(crate) fn parse_content_length(value: &[u8], limits: &Limits) -> Result<usize, FrameError> {
    let digits = value.trim_ascii();
    let invalid = || FrameError::InvalidContentLength(String::from_utf8_lossy(value).into_owned());
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let length = digits
        .iter()
        .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
    if length > limits.max_body as u64 {
        return Err(FrameError::BodyTooLarge {
            length,
            limit: limits.max_body,
        });
    }
    Ok(length as usize)
}

#[cfg(test)]
mod tests;
