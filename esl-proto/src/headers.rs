//! An ordered multimap of headers over the bytes they arrived in.
//!
//! Indexing a header block stores four offsets per line and copies nothing: names and values
//! stay in the shared [`Bytes`] of the message. Values are percent-decoded only when read, and
//! only if they hold a `%`, so a value that needs no decoding is never copied.
//!
//! A `text/event-plain` event is not even indexed when it is parsed: its block is checked
//! against the limits with a few vectorised passes ([`block::check_block`]) and indexed on
//! the first lookup, on the thread that reads it. The first line is read without the index,
//! since `Event-Name` is the first header of every event FreeSWITCH writes.

mod block;
mod search;

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use bytes::{Bytes, BytesMut};

pub(crate) use block::{check_block, index_block, push_line, Checked, SpanArena};

/// Where one header line's name and value lie in the header buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) name_start: u32,
    pub(crate) name_end: u32,
    pub(crate) value_start: u32,
    pub(crate) value_end: u32,
}

impl Span {
    #[inline]
    fn name_len(&self) -> usize {
        self.name_end.wrapping_sub(self.name_start) as usize
    }
}

const EMPTY_SPAN: Span = Span {
    name_start: 0,
    name_end: 0,
    value_start: 0,
    value_end: 0,
};

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
    /// Up to two spans in place: the outer header block of every event, `api/response` and
    /// plain `command/reply` (`Content-Length` or `Reply-Text`, and `Content-Type`), indexed
    /// without an allocation.
    Inline(u8, [Span; 2]),
    Own(Vec<Span>),
    /// A range of an index shared by every event parsed from one read, the way their bytes
    /// share one buffer: the events a connection hands to another thread then cost that
    /// thread no `free` each (a free per event, against the allocator of the thread that
    /// parsed it, was the largest cost of a client's event stream).
    Shared(Arc<Vec<Span>>, Range<u32>),
    /// The header block `buf[..len]`, already checked against the limits, indexed on first
    /// access. Indexing was a third of a client connection's reading thread while the thread
    /// that consumes the events idled; this way the consumer indexes what it reads, into an
    /// index it also frees, and an event nobody looks into is never indexed.
    Lazy(u32, OnceLock<Vec<Span>>),
}

/// An ordered multimap of headers: case-insensitive lookup, duplicates kept in order.
///
/// Cheap to clone when it came from a connection: the bytes are shared.
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

    /// The headers of a framed message, their spans taken from `spans` (which is left empty,
    /// its allocation kept for the next message when the spans fit in place). Larger blocks
    /// (an outbound `connect` reply's channel data) get a shared index, so that the copies
    /// the connection keeps of them share one.
    pub(crate) fn from_framed(
        buf: Bytes,
        spans: &mut Vec<Span>,
        encoding: ValueEncoding,
    ) -> Headers {
        let index = match spans.as_slice() {
            [] => Index::Inline(0, [EMPTY_SPAN; 2]),
            [one] => Index::Inline(1, [*one, EMPTY_SPAN]),
            [one, two] => Index::Inline(2, [*one, *two]),
            _ => {
                let shared = Arc::new(std::mem::take(spans));
                let range = 0..u32::try_from(shared.len()).unwrap_or(u32::MAX);
                Index::Shared(shared, range)
            }
        };
        spans.clear();
        Headers {
            buf,
            index,
            encoding,
        }
    }

    /// The header block `buf[..checked.block_len]`, indexed on first access. `checked` must
    /// come from [`check_block`] on the same bytes: the limits are not checked again.
    pub(crate) fn lazy(buf: Bytes, checked: &Checked, encoding: ValueEncoding) -> Headers {
        Headers {
            index: Index::Lazy(checked.block_len, OnceLock::new()),
            buf,
            encoding,
        }
    }

    #[inline]
    fn spans(&self) -> &[Span] {
        match &self.index {
            Index::Inline(len, spans) => spans.get(..usize::from(*len)).unwrap_or_default(),
            Index::Own(spans) => spans,
            Index::Shared(shared, range) => shared
                .get(range.start as usize..range.end as usize)
                .unwrap_or_default(),
            Index::Lazy(len, spans) => spans.get_or_init(|| {
                block::index_checked(self.buf.get(..*len as usize).unwrap_or_default())
            }),
        }
    }

    /// Looks `prefix` + `rest` up in a block not indexed yet, without indexing it: the first
    /// line is read on its own (`Event-Name` is the first line of every event FreeSWITCH
    /// writes, and the connection reads every event's name as it arrives), the others found
    /// by a vectorised search ([`search::find_line`]). `None` if the block is indexed, or
    /// the search cannot answer here: then look in the index.
    fn search(&self, prefix: &[u8], rest: &[u8]) -> Option<Option<HeaderValue<'_>>> {
        let Index::Lazy(len, spans) = &self.index else {
            return None;
        };
        if spans.get().is_some() {
            return None;
        }
        let block = self.buf.get(..*len as usize)?;
        let is_wanted = |name: &[u8]| {
            name.len() == prefix.len() + rest.len()
                && name[..prefix.len()].eq_ignore_ascii_case(prefix)
                && name[prefix.len()..].eq_ignore_ascii_case(rest)
        };
        let first_end = memchr::memchr(b'\n', block)?;
        if let Some(first) = block::split_line(block, 0, first_end) {
            if is_wanted(self.name_of(&first)) {
                return Some(Some(self.value_of(&first)));
            }
        }
        let found = search::find_line(block, prefix, rest)?;
        Some(found.and_then(|name_start| {
            let colon = name_start + prefix.len() + rest.len();
            let end = colon + memchr::memchr(b'\n', &block[colon..])?;
            block::split_line(block, name_start, end).map(|span| self.value_of(&span))
        }))
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
        if let Some(found) = self.search(wanted, b"") {
            return found;
        }
        self.spans()
            .iter()
            .find(|span| span.name_len() == wanted.len() && self.is_named(span, wanted))
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
        if let Some(found) = self.search(prefix, rest) {
            return found;
        }
        let len = prefix.len() + rest.len();
        self.spans()
            .iter()
            .find(|span| {
                span.name_len() == len && {
                    let name = self.name_of(span);
                    name[..prefix.len()].eq_ignore_ascii_case(prefix)
                        && name[prefix.len()..].eq_ignore_ascii_case(rest)
                }
            })
            .map(|span| self.value_of(span))
    }

    /// Every header called `name`, in wire order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = HeaderValue<'a>> + 'a {
        let wanted = name.as_bytes();
        self.spans()
            .iter()
            .filter(move |span| span.name_len() == wanted.len() && self.is_named(span, wanted))
            .map(move |span| self.value_of(span))
    }

    /// True if a header called `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every header as (name, value), in wire order.
    pub fn iter(&self) -> impl Iterator<Item = (HeaderName<'_>, HeaderValue<'_>)> + '_ {
        self.spans()
            .iter()
            .map(move |span| (HeaderName(self.name_of(span)), self.value_of(span)))
    }

    /// The bytes the names and values point into.
    pub fn buffer(&self) -> &Bytes {
        &self.buf
    }

    /// The bytes this map keeps: its buffer and its index (not the rest of the allocation
    /// the buffer is a slice of). Lazily indexed blocks count no index until indexed.
    pub(crate) fn held_bytes(&self) -> usize {
        let spans = match &self.index {
            Index::Inline(..) => 0,
            Index::Own(spans) => spans.capacity(),
            Index::Shared(_, range) => range.len(),
            Index::Lazy(_, spans) => spans.get().map_or(0, Vec::capacity),
        };
        self.buf.len() + spans * std::mem::size_of::<Span>()
    }

    /// True if `bytes` lie inside this map's buffer (an event's body usually does).
    pub(crate) fn holds(&self, bytes: &[u8]) -> bool {
        let start = self.buf.as_ptr() as usize;
        let at = bytes.as_ptr() as usize;
        at >= start && at + bytes.len() <= start + self.buf.len()
    }

    fn slice(&self, start: u32, end: u32) -> &[u8] {
        // Spans are only ever built by this module from offsets inside `buf`.
        self.buf
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }

    #[inline]
    fn name_of(&self, span: &Span) -> &[u8] {
        self.slice(span.name_start, span.name_end)
    }

    #[inline]
    fn is_named(&self, span: &Span, wanted: &[u8]) -> bool {
        self.name_of(span).eq_ignore_ascii_case(wanted)
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
            // `from_utf8` checks ASCII a word at a time; the lossy reader goes byte by byte
            // (and was most of what reading an event's name cost).
            Cow::Borrowed(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => Cow::Borrowed(text),
                Err(_) => String::from_utf8_lossy(bytes),
            },
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

#[cfg(test)]
mod tests;
