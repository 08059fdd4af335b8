//! Indexing a header block, and checking one against the limits without indexing it.

use std::ops::Range;
use std::sync::{Arc, LazyLock};

use memchr::memmem::Finder;

use super::Span;
use crate::error::FrameError;
use crate::Limits;

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
    fit(&mut spans);
    Ok(IndexedBlock {
        spans,
        body_start: end.body_start,
        content_length: end.content_length,
    })
}

/// [`index_block`] into `spans`, empty.
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
            note_header(buf, span, spans, &mut content_length, limits)?;
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
        note_header(buf, span, spans, &mut content_length, limits)?;
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
        Some(span) => note_header(buf, span, spans, content_length, limits),
        None => Ok(()),
    }
}

/// Records one header and notes `Content-Length`.
#[inline(always)]
fn note_header(
    buf: &[u8],
    span: Span,
    spans: &mut Vec<Span>,
    content_length: &mut Option<usize>,
    limits: &Limits,
) -> Result<(), FrameError> {
    if spans.len() >= limits.max_headers {
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

/// What [`check_block`] learnt of a header block without indexing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Checked {
    /// The block's length with its blank line: where the body starts.
    pub(crate) block_len: u32,
    /// The block's `Content-Length`, if it has one.
    pub(crate) content_length: Option<usize>,
}

/// Checks the complete header block at the start of `buf` against `limits` without indexing
/// it, for blocks of the shape `switch_event_serialize` writes: `Name: value` lines ending in
/// LF only (values are percent-encoded, so no CR), `Event-Name` first, the blank line after
/// the last header, `Content-Length` (if any) a header like any other.
///
/// `Some` means [`index_block`] would accept the block and find this end and this
/// `Content-Length`; `None` means only indexing can tell (another shape, a limit reached, a
/// bad `Content-Length`): the caller then indexes it, and gets exactly its result and error.
///
/// Every pass is a vectorised memchr one: the blank line, a CR anywhere, the line count for a
/// block long enough to hold more headers than the limit (lines are at least as many as
/// headers, so within `max_headers` proves the limit holds), and the lines named
/// `Content-Length` in any case ([`super::search::find_line`]).
pub(crate) fn check_block(buf: &[u8], limits: &Limits) -> Option<Checked> {
    // A block that starts with its blank line ends there; leave that to the indexer.
    if matches!(buf.first(), None | Some(b'\n' | b'\r')) {
        return None;
    }
    // Built once: a searcher costs more to prepare than a block takes to search.
    static BLANK_LINE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\n\n"));
    let last_lf = BLANK_LINE.find(buf)?;
    // The blank line is the LF at `last_lf + 1`; the indexer refuses it at the limit or past.
    if last_lf + 1 >= limits.max_header_block {
        return None;
    }
    let block = &buf[..=last_lf];
    if memchr::memchr(b'\r', block).is_some() {
        return None;
    }
    // A header line holds at least a `:` and its LF, so a block of up to twice the limit in
    // bytes cannot exceed it; only a longer one has its lines counted.
    if block.len() / 2 > limits.max_headers
        && memchr::memchr_iter(b'\n', block).count() > limits.max_headers
    {
        return None;
    }
    // Every `Content-Length` line, in order: the last one counts, as for the indexer, and
    // every one must be valid. The first line, then the vectorised search for the others.
    let mut content_length = None;
    let mut line = 0;
    loop {
        if line > 0 || is_content_length(block) {
            let value_end = line + memchr::memchr(b'\n', &block[line..])?;
            let value = &block[line + 15..value_end];
            content_length = Some(parse_content_length(value, limits).ok()?);
        }
        match super::search::find_line(&block[line..], b"content-length", b"")? {
            Some(next) => line += next,
            None => break,
        }
    }
    Some(Checked {
        block_len: u32::try_from(last_lf + 2).ok()?,
        content_length,
    })
}

/// True if the line at the start of `line` is a `Content-Length` header.
fn is_content_length(line: &[u8]) -> bool {
    line.get(14) == Some(&b':') && line[..14].eq_ignore_ascii_case(b"content-length")
}

/// The index of a block [`check_block`] accepted: no limit is checked again, and the shape
/// it proved (LF line ends, no CR, the blank line at the end) makes one pass over the line
/// ends enough, each line's name found by a short forward search for its `:`.
pub(crate) fn index_checked(block: &[u8]) -> Vec<Span> {
    // The AVX2 searcher, prepared once, saves memchr's per-call dispatch on short lines.
    #[cfg(target_arch = "x86_64")]
    if let Some(searcher) = memchr::arch::x86_64::avx2::memchr::One::new(b'\n') {
        return index_lines(block, searcher.iter(block));
    }
    index_lines(block, memchr::memchr_iter(b'\n', block))
}

/// [`index_checked`] given the offsets of every LF in `block`, in order.
#[inline(always)]
fn index_lines(block: &[u8], ends: impl Iterator<Item = usize>) -> Vec<Span> {
    let mut spans = Vec::with_capacity(block.len() / 28 + 1);
    let mut start = 0;
    for end in ends {
        if end == start {
            break;
        }
        if let Some(span) = split_line(block, start, end) {
            spans.push(span);
        }
        start = end + 1;
    }
    fit(&mut spans);
    spans
}

/// Gives back the room an index was sized with from its block's length when the block had
/// fewer, longer lines: a 72 KB event with one 70 KB variable has about 150 headers, not the
/// 2,600 its length suggests, and its index lives as long as the event (in a queue, 41 KB
/// of nothing each).
fn fit(spans: &mut Vec<Span>) {
    if spans.capacity() > 2 * spans.len() + 16 {
        spans.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_reads_the_freeswitch_shape() {
        let block = b"Event-Name: BACKGROUND_JOB\nJob-UUID: x\nContent-Length: 3\n\n+OK";
        let checked = check_block(block, &Limits::default()).unwrap();
        assert_eq!(checked.block_len as usize, block.len() - 3);
        assert_eq!(checked.content_length, Some(3));
        assert_eq!(index_checked(&block[..checked.block_len as usize]).len(), 3);
        for other in [
            &b"\nA: 1\n\n"[..],
            b"A: 1\r\n\r\n",
            b"A: 1\n",
            b"content-length: 1x\n\n",
        ] {
            assert_eq!(check_block(other, &Limits::default()), None, "{other:?}");
        }
    }

    #[test]
    #[cfg_attr(
        not(recorded_captures),
        ignore = "the captures ship with the workspace, not the package"
    )]
    fn check_takes_every_recorded_plain_event() {
        for capture in ["inbound_events_plain", "inbound_big_event", "inbound_bgapi"] {
            for body in crate::testing::recorded_bodies(capture, "text/event-plain") {
                let checked = check_block(&body, &Limits::default());
                let indexed = index_block(&body, &Limits::default()).unwrap();
                let checked = checked.expect("FreeSWITCH's shape is checked without indexing");
                assert_eq!(checked.block_len as usize, indexed.body_start);
                assert_eq!(checked.content_length, indexed.content_length);
            }
        }
    }

    mod agreement {
        use bytes::Bytes;
        use proptest::prelude::*;

        use super::*;
        use crate::headers::{Headers, ValueEncoding};

        fn line() -> impl Strategy<Value = String> {
            let name = prop::sample::select(vec![
                "Event-Name",
                "Content-Length",
                "content-LENGTH",
                "Content-Lengt",
                "Content-Lengthh",
                "xContent-Length",
                "Ch",
                "h",
                "A",
                "",
                "variable_depth",
            ]);
            let value = prop::sample::select(vec![
                "1",
                "12",
                "0",
                " 7",
                "",
                "x",
                "-1",
                "99999999999999999999",
                "a:b",
                "h:",
                "%3A",
            ]);
            let sep = prop::sample::select(vec![": ", ":", ":  ", " : ", ""]);
            let end = prop::sample::select(vec!["\n", "\n", "\n", "\r\n", "\n\n", "\n\r\n"]);
            (name, sep, value, end).prop_map(|(n, s, v, e)| format!("{n}{s}{v}{e}"))
        }

        fn block() -> impl Strategy<Value = Vec<u8>> {
            let start = prop::sample::select(vec!["", "", "", "\n", "\r\n"]);
            let tail = prop::sample::select(vec!["\n", "", "\nbody", "\r\n"]);
            (start, prop::collection::vec(line(), 0..8), tail)
                .prop_map(|(s, lines, t)| format!("{s}{}{t}", lines.concat()).into_bytes())
        }

        fn limits() -> impl Strategy<Value = Limits> {
            (1usize..8, 1usize..160, 0usize..20).prop_map(|(headers, block, body)| Limits {
                max_headers: headers,
                max_header_block: block,
                max_body: body,
                ..Limits::default()
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

            /// What the check accepts, the indexer accepts, with the same end, the same
            /// `Content-Length` and (indexed later) the same headers.
            #[test]
            fn the_check_agrees_with_the_indexer(block in block(), limits in limits()) {
                if let Some(checked) = check_block(&block, &limits) {
                    let indexed = index_block(&block, &limits);
                    prop_assert!(indexed.is_ok(), "checked, but the indexer says {:?}", indexed.err());
                    let indexed = indexed.unwrap();
                    prop_assert_eq!(checked.block_len as usize, indexed.body_start);
                    prop_assert_eq!(checked.content_length, indexed.content_length);
                    let lazy = index_checked(&block[..checked.block_len as usize]);
                    prop_assert_eq!(lazy, indexed.spans);
                }
            }

            /// A lookup in a block not indexed yet (first line, then the vectorised search)
            /// finds what the same lookup finds in the index.
            #[test]
            fn lookups_without_the_index_agree_with_the_index(
                block in block(),
                name in prop::sample::select(vec![
                    "Event-Name", "EVENT-NAME", "content-length", "Content-Lengt", "h", "H",
                    "A", "a", "Ch", "variable_depth", "VARIABLE_DEPTH", "missing", "",
                    "a:b", "xContent-Length",
                ]),
                split in 0usize..16,
            ) {
                let limits = Limits::default();
                let Some(checked) = check_block(&block, &limits) else {
                    return Ok(());
                };
                let buf = Bytes::from(block.clone());
                let lazy = || Headers::lazy(buf.clone(), &checked, ValueEncoding::Percent);
                let indexed = index_block(&buf, &limits).unwrap();
                let eager = Headers::from_parts(buf.clone(), indexed.spans, ValueEncoding::Percent);
                let raw = |v: Option<crate::HeaderValue<'_>>| v.map(|v| v.raw().to_vec());
                prop_assert_eq!(raw(lazy().get(name)), raw(eager.get(name)));
                let (prefix, rest) = name.split_at(split.min(name.len()));
                prop_assert_eq!(
                    raw(lazy().get_prefixed(prefix, rest)),
                    raw(eager.get_prefixed(prefix, rest))
                );
                // Padded past a vector's width, so the search runs on vectors, not bytes.
                let mut long = block[..checked.block_len as usize - 1].to_vec();
                for i in 0..8 {
                    long.extend_from_slice(format!("Padding-{i}: 0123456789abcdef\n").as_bytes());
                }
                long.push(b'\n');
                if let Some(checked) = check_block(&long, &limits) {
                    let buf = Bytes::from(long);
                    let lazy = Headers::lazy(buf.clone(), &checked, ValueEncoding::Percent);
                    let indexed = index_block(&buf, &limits).unwrap();
                    let eager = Headers::from_parts(buf, indexed.spans, ValueEncoding::Percent);
                    prop_assert_eq!(raw(lazy.get(name)), raw(eager.get(name)));
                    prop_assert_eq!(
                        raw(lazy.get_prefixed(prefix, rest)),
                        raw(eager.get_prefixed(prefix, rest))
                    );
                }
            }
        }
    }

    #[test]
    fn an_index_sized_for_short_lines_gives_back_the_room_long_lines_left() {
        // 100 headers and one 70 KB value: sized from the length, the index would have room
        // for about 2,600 spans.
        let mut block = Vec::new();
        for i in 0..100 {
            block.extend_from_slice(format!("Header-{i}: v\n").as_bytes());
        }
        block.extend_from_slice(b"Long: ");
        block.extend(std::iter::repeat_n(b'x', 70_000));
        block.extend_from_slice(b"\n\n");
        let indexed = index_block(&block, &Limits::default()).unwrap();
        assert_eq!(indexed.spans.len(), 101);
        assert!(
            indexed.spans.capacity() <= 2 * 101 + 16,
            "{}",
            indexed.spans.capacity()
        );
        // Short lines: the room it was sized with is about what it holds, and stays.
        let short: Vec<u8> = (0..100)
            .flat_map(|i| format!("H-{i:03}: {}\n", "v".repeat(20)).into_bytes())
            .chain(*b"\n")
            .collect();
        let indexed = index_block(&short, &Limits::default()).unwrap();
        assert_eq!(indexed.spans.len(), 100);
        assert!(indexed.spans.capacity() >= 100);
    }

    #[test]
    fn a_block_of_exactly_the_header_limit_is_checked_without_indexing() {
        let limits = Limits::default().max_headers(40);
        let block: Vec<u8> = (0..40)
            .flat_map(|i| format!("H{i}:\n").into_bytes())
            .chain(*b"\n")
            .collect();
        assert!(
            block.len() / 2 > 40,
            "long enough for its lines to be counted"
        );
        assert!(check_block(&block, &limits).is_some());
        let over: Vec<u8> = (0..41)
            .flat_map(|i| format!("H{i}:\n").into_bytes())
            .chain(*b"\n")
            .collect();
        assert!(check_block(&over, &limits).is_none(), "the indexer decides");
    }
}
