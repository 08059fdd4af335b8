//! The shape FreeSWITCH writes `text/event-xml` in, read by hand.
//!
//! `switch_event_xmlize` builds `<event>` with a `<headers>` child holding one child per header
//! (named as the header, its text the value `switch_url_encode`d), then, when the event has a
//! body, `<Content-Length>` and `<body>` children of `<event>`. `switch_xml_toxml` prints it
//! with two spaces of indent per level, one element per line, and a text element on one line:
//!
//! ```text
//! <event>
//!   <headers>
//!     <Event-Name>BACKGROUND_JOB</Event-Name>
//!     <Job-Command-Arg>loopback/tone%20%26park</Job-Command-Arg>
//!   </headers>
//!   <Content-Length>41</Content-Length>
//!   <body>+OK f0e1075e-a8ac-43db-a189-a9aaf27f1001
//!   </body>
//! </event>
//! ```
//!
//! (the closing `</body>` is indented only when the text ends in LF). Text is escaped by
//! `switch_xml_ampencode` (`&amp;` `&lt;` `&gt;`, `&#xD;` for CR), which header values never
//! need (url-encoding has replaced all of those bytes) and bodies rarely do.
//!
//! [`parse`] reads exactly that: no entity, no comment, no CDATA, no attribute, names of
//! letters, digits and `_-.:`, the indentation and line ends as printed. Names, values and
//! the body point into the message's bytes: nothing is copied. Anything else returns `None`
//! and goes to the general reader (quick-xml), which every property test holds this one to.

use bytes::Bytes;

use crate::headers::Span;
use crate::Limits;

/// The event's body as the general reader would give it, its headers' spans (in `body`)
/// pushed onto `spans`; `None` if `body` is not in the printed shape (or holds more than
/// `limits.max_headers` headers: the general reader then reports the error), and `spans`
/// may then hold anything.
pub(super) fn parse(body: &Bytes, limits: &Limits, spans: &mut Vec<Span>) -> Option<Option<Bytes>> {
    let input: &[u8] = body;
    // The general reader refuses a document that is not UTF-8. Event XML is nearly always
    // ASCII, which one vectorisable pass can tell.
    let unusual = input.iter().fold(false, |seen, &b| seen | (b >= 0x80));
    if unusual && std::str::from_utf8(input).is_err() {
        return None;
    }
    // An entity (or anything else `&` starts) is for the general reader: url-encoded header
    // values hold none, so this leaves it only bodies with `&`, `<` or `>` in them.
    if memchr::memchr(b'&', input).is_some() {
        return None;
    }
    let mut pos = expect(input, 0, b"<event>\n  <headers>\n")?;
    // About one header per 48 bytes; capped, as for JSON, so that one large body does not
    // leave the reused scratch index holding room for thousands of headers.
    spans.reserve((input.len() / 48 + 1).min(256));
    loop {
        if let Some(next) = expect(input, pos, b"  </headers>\n") {
            pos = next;
            break;
        }
        let (span, next) = element(input, expect(input, pos, b"    <")?)?;
        spans.push(span);
        pos = next;
    }
    if spans.len() > limits.max_headers {
        return None;
    }
    let mut content_length = None;
    let mut text = None;
    while expect(input, pos, b"</event>").is_none() {
        pos = expect(input, pos, b"  <")?;
        if let Some(start) = expect(input, pos, b"body>") {
            // The body comes last; its text runs to the closing tag.
            let end = start + memchr::memchr(b'<', &input[start..])?;
            pos = expect(input, end, b"</body>\n")?;
            expect(input, pos, b"</event>")?;
            text = Some((start, end));
            break;
        }
        let (span, next) = element(input, pos)?;
        let name = &input[span.name_start as usize..span.name_end as usize];
        if name.eq_ignore_ascii_case(b"Content-Length") {
            let value = &input[span.value_start as usize..span.value_end as usize];
            content_length = std::str::from_utf8(value)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok());
        }
        spans.push(span);
        pos = next;
    }
    let end = expect(input, pos, b"</event>")?;
    if !(end == input.len() || (end + 1 == input.len() && input[end] == b'\n')) {
        return None;
    }
    let event_body = text.map(|(start, end)| {
        let cut = match content_length {
            // The text is cut to the length FreeSWITCH gave (the closing tag's indent follows).
            Some(length) if length <= end - start => start + length,
            _ => {
                let kept = input[start..end].iter().rposition(|b| *b != b' ');
                start + kept.map_or(0, |last| last + 1)
            }
        };
        body.slice(start..cut)
    });
    Some(event_body)
}

/// `input[pos..]` with `expected` removed from its front, as the offset after it.
#[inline]
fn expect(input: &[u8], pos: usize, expected: &[u8]) -> Option<usize> {
    let end = pos.checked_add(expected.len())?;
    (input.get(pos..end)? == expected).then_some(end)
}

/// The element `NAME>text</NAME>\n` at `pos` (its `<` just before): its span and the offset
/// after it.
#[inline(never)]
fn element(input: &[u8], pos: usize) -> Option<(Span, usize)> {
    // A letter or `_`, then letters, digits and `_-.:`, up to the `>`: a name the general
    // reader reads as it is (FreeSWITCH's header names are all of that kind).
    let first = *input.get(pos)?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let rest = input.get(pos + 1..)?;
    let name_end = pos + 1 + rest.iter().position(|b| !NAME_BYTE[usize::from(*b)])?;
    let text_start = expect(input, name_end, b">")?;
    let text_end = text_start + crate::swar::find(&input[text_start..], b'<')?;
    let next = expect(input, text_end, b"</")?;
    let next = expect(input, next, &input[pos..name_end])?;
    let next = expect(input, next, b">\n")?;
    let span = Span {
        name_start: u32::try_from(pos).ok()?,
        name_end: u32::try_from(name_end).ok()?,
        value_start: u32::try_from(text_start).ok()?,
        value_end: u32::try_from(text_end).ok()?,
    };
    Some((span, next))
}

/// The bytes a name goes on with.
static NAME_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = matches!(byte as u8, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'-' | b'.' | b':');
        byte += 1;
    }
    table
};
