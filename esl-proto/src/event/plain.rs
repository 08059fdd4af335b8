//! `text/event-plain`: the event is itself a header block.
//!
//! From `switch_event_serialize`: one `Name: value` line per header with the value
//! percent-encoded, then either a blank line, or (when the event has a body)
//! `Content-Length: N`, a blank line and the N body bytes. `inbound_bgapi` shows both forms: a
//! BACKGROUND_JOB with an empty result ends in a blank line and has no inner Content-Length.

use std::borrow::Cow;

use bytes::{BufMut, Bytes, BytesMut};

use super::{Event, EventFormat};
use crate::error::EventError;
use crate::headers::{check_block, index_block, Headers, ValueEncoding};
use crate::Limits;

fn inner_body(body: &Bytes, body_start: usize, content_length: Option<usize>) -> Option<Bytes> {
    content_length.map(|length| {
        let end = body_start.saturating_add(length).min(body.len());
        body.slice(body_start.min(end)..end)
    })
}

/// Events up to this size are checked here and indexed (if ever) on first access; larger
/// ones are indexed here. The check makes four vectorised passes over the block, about one
/// instruction a byte; the indexer makes one, which strides over a long value faster than
/// that: the 72 KB events of `inbound_big_event` (one 70 KB variable) cost 70k instructions
/// to check against 30k to index, and a lookup in an indexed block is a short scan of spans
/// instead of another pass over 72 KB. A channel event (2 to 8 KB of short lines) is the
/// other way round: 3k to check, 12k to index.
const CHECK_AT_MOST: usize = 16 * 1024;

/// The event in `body`. A block of the shape FreeSWITCH writes is only checked against the
/// limits here and indexed on first access (see [`check_block`]); any other, and any long
/// one, is indexed now, every error coming as the indexer reports it.
pub(super) fn parse(body: &Bytes, limits: &Limits) -> Result<Event, EventError> {
    let checked = if body.len() <= CHECK_AT_MOST {
        check_block(body, limits)
    } else {
        None
    };
    if let Some(checked) = checked {
        let inner_body = inner_body(body, checked.block_len as usize, checked.content_length);
        let headers = Headers::lazy(body.clone(), &checked, ValueEncoding::Percent);
        return Ok(Event::from_parts(headers, inner_body, EventFormat::Plain));
    }
    let block = index_block(body, limits)?;
    let inner_body = inner_body(body, block.body_start, block.content_length);
    let headers = Headers::from_parts(body.clone(), block.spans, ValueEncoding::Percent);
    Ok(Event::from_parts(headers, inner_body, EventFormat::Plain))
}

pub(super) fn encode(event: &Event) -> Bytes {
    let mut out = BytesMut::with_capacity(event.headers().buffer().len() * 5 / 4 + 64);
    for (name, value) in event.headers().iter() {
        if name.eq_ignore_case("Content-Length") {
            continue; // written below from the body, as FreeSWITCH does
        }
        out.put_slice(name.as_bytes());
        out.put_slice(b": ");
        out.put_slice(fs_url_encode(&value.decoded_bytes()).as_bytes());
        out.put_u8(b'\n');
    }
    match event.body() {
        Some(body) if !body.is_empty() => {
            out.put_slice(format!("Content-Length: {}\n\n", body.len()).as_bytes());
            out.put_slice(body);
        }
        _ => out.put_u8(b'\n'),
    }
    out.freeze()
}

/// Percent-encodes as `switch_url_encode` does for event headers: CR, LF, space and
/// `"#%&+:;<=>?@[\]^`{|}` plus every byte below 0x20 or above 0x7E become `%XX` (upper-case
/// hex); a `%` already followed by two upper-case hex digits is left alone (FreeSWITCH does not
/// double-encode, so such a value does not survive a round trip: see the fixtures README).
pub(crate) fn fs_url_encode(value: &[u8]) -> Cow<'_, str> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    fn is_upper_hex(b: Option<&u8>) -> bool {
        b.is_some_and(|b| HEX.contains(b))
    }
    let needs = |i: usize, b: u8| -> bool {
        if b == b'%' && is_upper_hex(value.get(i + 1)) && is_upper_hex(value.get(i + 2)) {
            return false;
        }
        !(0x20..=0x7E).contains(&b) || b"\r\n \"#%&+:;<=>?@[\\]^`{|}".contains(&b)
    };
    if !value.iter().enumerate().any(|(i, b)| needs(i, *b)) {
        // Every byte is printable ASCII here, so this never replaces anything.
        return String::from_utf8_lossy(value);
    }
    let mut out = String::with_capacity(value.len() + value.len() / 2);
    for (i, b) in value.iter().enumerate() {
        if needs(i, *b) {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0x0F)] as char);
        } else {
            out.push(*b as char);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_matches_the_wire() {
        // Values as they appear in inbound_events_plain.
        assert_eq!(
            fs_url_encode(b"Mon, 23 Nov 2026 08:10:40 GMT"),
            "Mon,%2023%20Nov%202026%2008%3A10%3A40%20GMT"
        );
        assert_eq!(
            fs_url_encode(b"tone_stream://%(200,100,440);loops=10"),
            "tone_stream%3A//%25(200,100,440)%3Bloops%3D10"
        );
        assert_eq!(fs_url_encode(b"fd00::2"), "fd00%3A%3A2");
        assert_eq!(
            fs_url_encode(b"1.11.2-release+git~2026"),
            "1.11.2-release%2Bgit~2026"
        );
        assert_eq!(
            fs_url_encode(b"already %41 encoded"),
            "already%20%41%20encoded"
        );
        assert_eq!(fs_url_encode("é".as_bytes()), "%C3%A9");
    }

    #[test]
    fn only_a_blank_line_ends_the_header_block_and_it_may_be_crlf() {
        // A one-byte line and a line led by a CR are not the blank line; CR LF is.
        let event = parse(
            &Bytes::from_static(b"Event-Name: X\nx\n\rY: 2\nContent-Length: 2\r\n\r\nhi"),
            &Limits::default(),
        )
        .unwrap();
        let headers: Vec<(String, String)> = event
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().into_owned(), v.decoded().into_owned()))
            .collect();
        assert_eq!(
            headers,
            [
                ("Event-Name".to_owned(), "X".to_owned()),
                ("\rY".to_owned(), "2".to_owned()),
                ("Content-Length".to_owned(), "2".to_owned())
            ]
        );
        assert_eq!(event.body().unwrap().as_ref(), b"hi");
    }

    #[test]
    fn body_with_and_without_inner_content_length() {
        let with = Bytes::from_static(
            b"Event-Name: BACKGROUND_JOB\nJob-UUID: x\nContent-Length: 3\n\n+OK",
        );
        let event = parse(&with, &Limits::default()).unwrap();
        assert_eq!(event.body().unwrap().as_ref(), b"+OK");
        assert_eq!(event.job_uuid().unwrap(), "x");
        assert_eq!(encode(&event), with);

        let without = Bytes::from_static(b"Event-Name: BACKGROUND_JOB\nJob-UUID: y\n\n");
        let event = parse(&without, &Limits::default()).unwrap();
        assert!(event.body().is_none());
        assert_eq!(encode(&event), without);
    }
}
