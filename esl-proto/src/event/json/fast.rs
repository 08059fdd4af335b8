//! The shape FreeSWITCH writes `text/event-json` in (`cJSON_PrintUnformatted`: no whitespace,
//! string keys, string or array-of-string values), read by hand: see the parent module.

use bytes::{Bytes, BytesMut};

use crate::headers::Span;

/// [`super::parse_fast`]'s work: the event's buffer and body, its spans pushed onto `spans` (which
/// the caller passes empty; on `None` it may hold anything).
pub(super) fn index_fast(body: &Bytes, spans: &mut Vec<Span>) -> Option<(Bytes, Option<Bytes>)> {
    let input: &[u8] = body;
    // Checking once here lets the string scanner take raw bytes without looking at them:
    // outside strings this shape has only ASCII punctuation, so a valid whole means every
    // string is valid, and a control byte is either whitespace (not this shape) or a raw
    // control character inside a string (an error serde_json reports). Event bodies are
    // nearly always printable ASCII, which one vectorised pass can tell.
    let unusual = input
        .iter()
        .fold(false, |seen, &b| seen | !(0x20..0x80).contains(&b));
    if unusual && (input.iter().any(|&b| b < 0x20) || std::str::from_utf8(input).is_err()) {
        return None;
    }
    // FreeSWITCH headers average over 28 bytes; the cap keeps one long value or body from
    // reserving room for thousands of headers the event keeps.
    spans.reserve((input.len() / 28 + 1).min(256));
    // Most events have no escape and no array: one pass over the quotes reads them.
    if memchr::memchr(b'\\', input).is_none() {
        if let Some(event_body) = index_unescaped(input, spans) {
            return Some((
                body.clone(),
                event_body.map(|(start, end)| body.slice(start..end)),
            ));
        }
        spans.clear();
    }
    let mut scan = Scanner {
        input,
        decoded: Vec::new(),
    };
    let mut event_body = None;
    if input.first() != Some(&b'{') {
        return None;
    }
    let mut pos = 1;
    if input.get(pos) == Some(&b'}') {
        pos += 1;
    } else {
        loop {
            if input.get(pos) != Some(&b'"') {
                return None;
            }
            let (key, next) = scan.string(pos + 1)?;
            if input.get(next) != Some(&b':') {
                return None;
            }
            // The serde path compares the key after unescaping, and takes only a string body.
            let is_body = key.1.checked_sub(key.0) == Some(5) && scan.text(key)? == b"_body";
            let (value, next) = match input.get(next + 1) {
                Some(b'"') => scan.string(next + 2)?,
                Some(b'[') if !is_body => scan.array(next + 2)?,
                _ => return None,
            };
            if is_body {
                event_body = Some(value);
            } else {
                spans.push(span(key, value)?);
            }
            pos = next + 1;
            match input.get(next) {
                Some(b',') => continue,
                Some(b'}') => break,
                _ => return None,
            }
        }
    }
    if pos != input.len() {
        return None;
    }
    // Names, values and the body are read where they lie in the message, as for
    // `text/event-plain`; only when something had to be decoded is there a buffer to build:
    // the input, then the decoded strings.
    let buf = if scan.decoded.is_empty() {
        body.clone()
    } else {
        let mut buf = BytesMut::with_capacity(input.len() + scan.decoded.len());
        buf.extend_from_slice(input);
        buf.extend_from_slice(&scan.decoded);
        buf.freeze()
    };
    let event_body = match event_body {
        Some((start, end)) if start <= end && end <= buf.len() => Some(buf.slice(start..end)),
        Some(_) => return None,
        None => None,
    };
    Some((buf, event_body))
}

/// The span of a header whose name and value are `key` and `value`.
fn span(key: Piece, value: Piece) -> Option<Span> {
    Some(Span {
        name_start: u32::try_from(key.0).ok()?,
        name_end: u32::try_from(key.1).ok()?,
        value_start: u32::try_from(value.0).ok()?,
        value_end: u32::try_from(value.1).ok()?,
    })
}

/// The index of the first quote or backslash in `haystack`: the end of a run of bytes that
/// can be taken as they are. Most strings are a few dozen bytes, so the search is a word at a
/// time before it is memchr's (whose set-up cost most of the decode of an event).
fn find_stop(haystack: &[u8]) -> Option<usize> {
    crate::swar::find2(haystack, b'"', b'\\')
}

/// A decoded string's place in the event's buffer: the input, then [`Scanner::decoded`].
type Piece = (usize, usize);

/// A body [`parse_fast`] has already checked is UTF-8 with no control bytes.
///
/// Each reader takes the position to start at and returns what it read and the position
/// after it, rather than keeping a position in the struct: where one string ends decides where
/// the next search starts, and a position held in memory put a store and a reload on that
/// chain for every string (over a tenth of the json decode benchmark).
struct Scanner<'a> {
    input: &'a [u8],
    /// Strings that had escapes, and arrays, decoded.
    decoded: Vec<u8>,
}

impl Scanner<'_> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.input.get(at).copied()
    }

    /// What `piece` will read in the event's buffer.
    fn text(&self, (start, end): Piece) -> Option<&[u8]> {
        match start.checked_sub(self.input.len()) {
            None => self.input.get(start..end),
            Some(from) => self.decoded.get(from..end.checked_sub(self.input.len())?),
        }
    }

    /// The string whose opening quote is just before `start`: in place in the input when it
    /// has no escape, else decoded onto the end of `decoded`.
    #[inline]
    fn string(&mut self, start: usize) -> Option<(Piece, usize)> {
        let end = start + find_stop(self.input.get(start..)?)?;
        if self.byte(end)? == b'"' {
            return Some(((start, end), end + 1));
        }
        self.escaped_string(start, end)
    }

    /// The rest of [`Scanner::string`] from the first backslash, at `end`. Out of line: it is
    /// rare, and inlined it would crowd the loop every other string goes through.
    #[inline(never)]
    fn escaped_string(&mut self, mut start: usize, mut end: usize) -> Option<(Piece, usize)> {
        let from = self.input.len() + self.decoded.len();
        loop {
            self.decoded.extend_from_slice(self.input.get(start..end)?);
            if self.byte(end)? == b'"' {
                return Some(((from, self.input.len() + self.decoded.len()), end + 1));
            }
            start = self.escape(end + 1)?;
            end = start + find_stop(self.input.get(start..)?)?;
        }
    }

    /// The escape whose letter is at `at`, decoded onto `decoded`; `None` for every escape
    /// serde_json rejects.
    fn escape(&mut self, at: usize) -> Option<usize> {
        let byte = match self.byte(at)? {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let (c, next) = self.unicode(at + 1)?;
                self.decoded
                    .extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                return Some(next);
            }
            _ => return None,
        };
        self.decoded.push(byte);
        Some(at + 1)
    }

    /// The character of the `\uXXXX` escape whose digits start at `at`: a leading surrogate
    /// must be followed by an escaped trailing one, and a lone surrogate is an error, as in
    /// serde_json.
    fn unicode(&self, at: usize) -> Option<(char, usize)> {
        let first = self.hex4(at)?;
        let (code, next) = if (0xD800..=0xDBFF).contains(&first) {
            if self.input.get(at + 4..at + 6)? != b"\\u" {
                return None;
            }
            let second = self.hex4(at + 6)?;
            if !(0xDC00..=0xDFFF).contains(&second) {
                return None;
            }
            let code =
                0x1_0000 + ((u32::from(first) - 0xD800) << 10) + (u32::from(second) - 0xDC00);
            (code, at + 10)
        } else {
            (u32::from(first), at + 4)
        };
        // `None` for a lone trailing surrogate.
        Some((char::from_u32(code)?, next))
    }

    fn hex4(&self, at: usize) -> Option<u16> {
        self.input
            .get(at..at + 4)?
            .iter()
            .try_fold(0u16, |value, &digit| {
                Some((value << 4) | char::from(digit).to_digit(16)? as u16)
            })
    }

    /// The array of strings whose `[` is just before `start`, decoded onto `decoded` in the
    /// form the serde path gives it: `ARRAY::a|:b`.
    fn array(&mut self, start: usize) -> Option<(Piece, usize)> {
        let from = self.input.len() + self.decoded.len();
        self.decoded.extend_from_slice(b"ARRAY::");
        let mut pos = start;
        if self.byte(pos)? != b']' {
            loop {
                if self.byte(pos)? != b'"' {
                    return None;
                }
                let ((item_start, item_end), next) = self.string(pos + 1)?;
                // An item with escapes is already decoded in place at the end.
                if item_start < self.input.len() {
                    self.decoded
                        .extend_from_slice(self.input.get(item_start..item_end)?);
                }
                pos = next;
                match self.byte(pos)? {
                    b']' => break,
                    b',' => self.decoded.extend_from_slice(b"|:"),
                    _ => return None,
                }
                pos += 1;
            }
        }
        Some(((from, self.input.len() + self.decoded.len()), pos + 1))
    }
}

/// [`index_fast`] for an object with no backslash in it whose values are all strings: one
/// pass over its quotes, found a word at a time, each key and value taken where it lies. The
/// event's body as a range of `input`; `None` for any other shape (arrays, `{}`), which the
/// general scanner then reads.
fn index_unescaped(input: &[u8], spans: &mut Vec<Span>) -> Option<Option<(usize, usize)>> {
    // Every offset then fits a span's `u32`, checked here once rather than four times a header.
    if input.first() != Some(&b'{') || u32::try_from(input.len()).is_err() {
        return None;
    }
    let offset = |at: usize| at as u32;
    let mut quotes = Quotes::new(input);
    let mut event_body = None;
    let mut key_open = 1;
    loop {
        // `"key":"value"`, then `,` and the next key's quote, or the closing `}` at the end.
        if quotes.next()? != key_open {
            return None;
        }
        let key_close = quotes.next()?;
        if input.get(key_close + 1) != Some(&b':') || quotes.next()? != key_close + 2 {
            return None;
        }
        let value_close = quotes.next()?;
        let (key, value) = ((key_open + 1, key_close), (key_close + 3, value_close));
        if input[key.0..key.1] == *b"_body" {
            event_body = Some(value);
        } else {
            spans.push(Span {
                name_start: offset(key.0),
                name_end: offset(key.1),
                value_start: offset(value.0),
                value_end: offset(value.1),
            });
        }
        match input.get(value_close + 1) {
            Some(b',') => key_open = value_close + 2,
            Some(b'}') if value_close + 2 == input.len() => return Some(event_body),
            _ => return None,
        }
    }
}

/// Every `"` in a buffer, in order, found eight bytes at a time.
struct Quotes<'a> {
    input: &'a [u8],
    /// Offset of the word `found` came from.
    word: usize,
    /// The high bit of each byte of that word that is a quote not yet returned.
    found: u64,
}

impl<'a> Quotes<'a> {
    fn new(input: &'a [u8]) -> Quotes<'a> {
        Quotes {
            input,
            word: 0,
            found: Quotes::load(input, 0),
        }
    }

    /// The quotes of the word at `at` (bytes past the end count as none).
    #[inline(always)]
    fn load(input: &[u8], at: usize) -> u64 {
        // A whole word is one load; only the last, partial one is copied into zeros.
        let bytes = match input
            .get(at..at + 8)
            .and_then(|word| <[u8; 8]>::try_from(word).ok())
        {
            Some(word) => word,
            None => {
                let mut bytes = [0u8; 8];
                let rest = input.get(at..).unwrap_or_default();
                bytes[..rest.len()].copy_from_slice(rest);
                bytes
            }
        };
        crate::swar::equal(u64::from_le_bytes(bytes), b'"')
    }
}

impl Iterator for Quotes<'_> {
    type Item = usize;

    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        while self.found == 0 {
            self.word += 8;
            if self.word >= self.input.len() {
                return None;
            }
            self.found = Quotes::load(self.input, self.word);
        }
        let at = self.word + (self.found.trailing_zeros() / 8) as usize;
        self.found &= self.found - 1;
        Some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quote_pass_takes_strings_only_and_leaves_the_rest() {
        let mut spans = Vec::new();
        let object = br#"{"Event-Name":"HEARTBEAT","Content-Length":"2","_body":"ok","A":""}"#;
        let body = index_unescaped(object, &mut spans).unwrap().unwrap();
        assert_eq!(&object[body.0..body.1], b"ok");
        assert_eq!(spans.len(), 3);
        for other in [
            &br#"{}"#[..],
            br#"{"a":["b"]}"#,
            br#"{"a":"b",}"#,
            br#"{"a":"b"} "#,
            br#"{"a" :"b"}"#,
            br#"{"a":"b""c":"d"}"#,
            br#"{"a":"b"#,
        ] {
            spans.clear();
            assert_eq!(
                index_unescaped(other, &mut spans),
                None,
                "{}",
                String::from_utf8_lossy(other)
            );
        }
    }
}
