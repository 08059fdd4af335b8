//! `text/event-json`: one flat object, every value a string (an array for FreeSWITCH array
//! headers), values not percent-encoded, the body under `_body` and its length as an ordinary
//! `Content-Length` key (see `inbound_events_json`).
//!
//! FreeSWITCH writes these with `cJSON_PrintUnformatted`: no whitespace, string keys, string or
//! array-of-string values. [`parse_fast`] reads exactly that shape by hand: one pass checks the
//! body is UTF-8 without control bytes, then `memchr2` finds where each string ends. A string
//! without escapes is not copied: as for `text/event-plain`, the headers and the body point into
//! the message's own bytes. When some strings have escapes (or are arrays), they are decoded
//! into a scratch buffer and the event gets one copy of the input with that buffer appended.
//! Anything else (whitespace, numbers, `null`, nested values, malformed input) goes to
//! [`parse_serde`], the general serde_json reader, so odd-but-valid input and every error come
//! out as serde_json gives them.

mod fast;

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::{Event, EventFormat, Parsing};
use crate::error::EventError;
use crate::headers::{Headers, HeadersBuilder, SpanArena, ValueEncoding};
use crate::Limits;
use fast::index_fast;

pub(super) fn parse(body: &Bytes, limits: &Limits) -> Result<Event, EventError> {
    let event = match parse_fast(body) {
        Some(event) => event,
        None => parse_serde(body)?,
    };
    if event.headers().len() > limits.max_headers {
        return Err(EventError::Json(format!(
            "more than {} headers",
            limits.max_headers
        )));
    }
    Ok(event)
}

/// The general path: any JSON serde_json accepts, and its errors.
fn parse_serde(body: &[u8]) -> Result<Event, EventError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let event = de::Deserializer::deserialize_map(&mut deserializer, EventVisitor)
        .map_err(|e| EventError::Json(e.to_string()))?;
    deserializer
        .end()
        .map_err(|e| EventError::Json(e.to_string()))?;
    Ok(event)
}

/// Parses into `arena` when [`index_fast`] can, else as [`parse`] does.
pub(super) fn parse_into(
    body: &Bytes,
    limits: &Limits,
    arena: &mut SpanArena,
) -> Result<Parsing, EventError> {
    let index = |spans: &mut Vec<_>| {
        let found = index_fast(body, spans)?;
        Some(if spans.len() > limits.max_headers {
            Err(EventError::Json(format!(
                "more than {} headers",
                limits.max_headers
            )))
        } else {
            Ok(found)
        })
    };
    let (format, encoding) = (EventFormat::Json, ValueEncoding::Literal);
    Parsing::indexed(arena, format, encoding, index, || parse(body, limits))
}

/// The event exactly as [`parse_serde`] would read it, if `body` has the shape FreeSWITCH
/// writes; `None` (never a partial event) for anything else, valid JSON or not.
fn parse_fast(body: &Bytes) -> Option<Event> {
    let mut spans = Vec::new();
    let (buf, event_body) = index_fast(body, &mut spans)?;
    let headers = Headers::from_parts(buf, spans, ValueEncoding::Literal);
    Some(Event::from_parts(headers, event_body, EventFormat::Json))
}

pub(super) fn encode(event: &Event) -> Bytes {
    use serde::ser::{SerializeMap, Serializer};
    let mut out = Vec::with_capacity(event.headers().buffer().len() * 5 / 4 + 64);
    let mut ser = serde_json::Serializer::new(&mut out);
    // Writing into a Vec cannot fail and every key is a string.
    let result = (|| {
        let mut map = ser.serialize_map(None)?;
        for (name, value) in event.headers().iter() {
            if name.eq_ignore_case("Content-Length") {
                continue;
            }
            let value = value.decoded();
            match value.strip_prefix("ARRAY::") {
                Some(items) => {
                    let items: Vec<&str> = items.split("|:").collect();
                    map.serialize_entry(&name.as_str(), &items)?
                }
                None => map.serialize_entry(&name.as_str(), &value)?,
            }
        }
        if let Some(body) = event.body() {
            map.serialize_entry("Content-Length", &body.len().to_string())?;
            map.serialize_entry("_body", &String::from_utf8_lossy(body))?;
        }
        map.end()
    })();
    debug_assert!(result.is_ok());
    Bytes::from(out)
}

/// Reads the FreeSWITCH JSON object into an [`Event`]; also `Event`'s serde `Deserialize`.
pub(super) struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = Event;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a flat object of event headers")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
        let mut headers = HeadersBuilder::default();
        let mut body = None;
        while let Some(key) = map.next_key::<Text<'de>>()? {
            if key.0 == "_body" {
                let value: Text<'de> = map.next_value()?;
                body = Some(Bytes::copy_from_slice(value.0.as_bytes()));
                continue;
            }
            map.next_value_seed(ValueInto {
                name: &key.0,
                headers: &mut headers,
            })?;
        }
        Ok(Event::from_parts(headers.finish(), body, EventFormat::Json))
    }
}

/// A string borrowed from the input when it has no escapes.
struct Text<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Text<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Appends one value (string, array of strings, or a scalar written as text) as a header.
struct ValueInto<'a> {
    name: &'a str,
    headers: &'a mut HeadersBuilder,
}

impl<'de> DeserializeSeed<'de> for ValueInto<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueInto<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a header value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.headers.push(self.name.as_bytes(), v.as_bytes());
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.visit_str(if v { "true" } else { "false" })
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.visit_str(&v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.visit_str(&v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.visit_str(&v.to_string())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.visit_str("")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // FreeSWITCH writes array headers as JSON arrays; keep them in the plain form.
        let mut joined = String::from("ARRAY::");
        let mut first = true;
        while let Some(item) = seq.next_element::<Text<'de>>()? {
            if !first {
                joined.push_str("|:");
            }
            first = false;
            joined.push_str(&item.0);
        }
        self.visit_str(&joined)
    }

    fn visit_map<A: MapAccess<'de>>(self, _map: A) -> Result<(), A::Error> {
        Err(de::Error::invalid_type(de::Unexpected::Map, &self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{apply, edit, recorded_bodies};
    use proptest::prelude::*;

    /// The bytes edits insert: JSON's punctuation, controls, UTF-8 lead and bad bytes, escape
    /// letters.
    const JSON_BYTES: &[u8] = b"\"\\{}[],: \n\t\r\x00\x1f\x7f\x80\xbf\xc3\xed\xf0\xffu0dDn/1-etrfa";

    type Parsed = (Vec<(Vec<u8>, Vec<u8>)>, Option<Bytes>);

    fn parts(event: &Event) -> Parsed {
        let headers = event
            .headers()
            .iter()
            .map(|(name, value)| (name.as_bytes().to_vec(), value.raw().to_vec()))
            .collect();
        (headers, event.body().cloned())
    }

    fn fast(body: &[u8]) -> Option<Event> {
        parse_fast(&Bytes::copy_from_slice(body))
    }

    /// Fails unless an accepted input reads the same on both paths and the fast path accepts
    /// only what serde_json accepts. Returns whether the fast path accepted it.
    fn same_as_serde(body: &[u8]) -> Result<bool, TestCaseError> {
        let serde = parse_serde(body);
        match fast(body) {
            Some(fast) => {
                let serde = serde.map_err(|e| {
                    TestCaseError::fail(format!("fast path accepted what serde rejects: {e}"))
                })?;
                prop_assert_eq!(parts(&fast), parts(&serde));
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The inside of a JSON string literal: serde_json's own escaping of arbitrary text,
    /// and the escapes it never writes (`\/`, `\u` in either case, surrogate pairs, lone
    /// surrogates, bad escapes).
    fn string_piece() -> impl Strategy<Value = String> {
        let serialized = any::<String>().prop_map(|text| {
            let quoted = serde_json::to_string(&text).unwrap();
            quoted[1..quoted.len() - 1].to_owned()
        });
        prop_oneof![
            4 => serialized,
            2 => "[a-zA-Z0-9 :/&+.@-]{0,12}",
            1 => prop::sample::select(vec![
                r"\/", r"\u00e9", r"\u00E9", r"\u0000", r"\u001f", r"\u005c", r"\u0022",
                r"\ud83d\ude00", r"\uD83D\uDE00", r"\b", r"\f", r"\r", r"\n", r"\t",
                r"\\", r#"\""#, r"\ud83d", r"\ude00", r"\ud83d\u0041", r"\ud83dx", r"\x",
                r"\u12", r"\uzzzz", r"é", "日本", "😀",
            ])
            .prop_map(str::to_owned),
            1 => any::<u16>().prop_map(|unit| format!("\\u{unit:04x}")),
            1 => any::<u16>().prop_map(|unit| format!("\\u{unit:04X}")),
            1 => (0x1_0000u32..=0x10_FFFF).prop_map(|code| {
                let c = char::from_u32(code).unwrap();
                let mut units = [0; 2];
                c.encode_utf16(&mut units);
                format!("\\u{:04x}\\u{:04X}", units[0], units[1])
            }),
        ]
    }

    fn json_string() -> impl Strategy<Value = String> {
        prop::collection::vec(string_piece(), 0..4)
            .prop_map(|pieces| format!("\"{}\"", pieces.concat()))
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => json_string(),
            1 => prop::sample::select(vec![
                r#""_body""#, r#""\u005fbody""#, r#""Event-Name""#, r#""Content-Length""#, r#""""#,
            ])
            .prop_map(str::to_owned),
        ]
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => json_string(),
            1 => prop::collection::vec(json_string(), 0..4)
                .prop_map(|items| format!("[{}]", items.join(","))),
        ]
    }

    /// An object in the shape FreeSWITCH writes, escapes and all (some of them invalid).
    fn object() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec((key(), value()), 0..8).prop_map(|pairs| {
            let pairs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            format!("{{{}}}", pairs.join(",")).into_bytes()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        #[test]
        fn fast_path_reads_the_freeswitch_shape_as_serde_does(body in object()) {
            let accepted = same_as_serde(&body)?;
            // In this shape the fast path must not leave anything serde reads to the fallback.
            prop_assert_eq!(accepted, parse_serde(&body).is_ok());
        }

        #[test]
        fn fast_path_agrees_with_serde_on_mutated_objects(
            body in object(),
            edits in prop::collection::vec(edit(JSON_BYTES), 1..4),
        ) {
            same_as_serde(&apply(body, &edits))?;
        }

        #[test]
        fn fast_path_agrees_with_serde_on_any_bytes(body in prop::collection::vec(any::<u8>(), 0..64)) {
            same_as_serde(&body)?;
        }
    }

    #[test]
    #[cfg_attr(
        not(recorded_captures),
        ignore = "the captures ship with the workspace, not the package"
    )]
    fn fast_path_takes_every_recorded_event_and_reads_it_as_serde_does() {
        for body in recorded_bodies("inbound_events_json", "text/event-json") {
            let fast = parse_fast(&body).expect("the fast path reads FreeSWITCH output");
            assert_eq!(parts(&fast), parts(&parse_serde(&body).unwrap()));
        }
    }

    #[test]
    fn the_header_limit_holds_on_both_paths() {
        let limits = Limits {
            max_headers: 1,
            ..Limits::default()
        };
        let fast_shape: &[u8] = br#"{"a":"1","b":"2"}"#;
        let serde_only: &[u8] = br#"{ "a":"1","b":"2"}"#;
        assert!(fast(fast_shape).is_some() && fast(serde_only).is_none());
        for wire in [fast_shape, serde_only] {
            assert!(matches!(
                parse(&Bytes::copy_from_slice(wire), &limits),
                Err(EventError::Json(_))
            ));
        }
        assert!(parse(&Bytes::from_static(br#"{"a":"1","_body":"x"}"#), &limits).is_ok());
    }

    #[test]
    fn fast_path_edge_cases() {
        let cases: [(&[u8], bool); 16] = [
            (br#"{}"#, true),
            (br#"{"a":[]}"#, true),
            (br#"{"a":"b","a":"c"}"#, true),
            (br#"{"_body":"x","_body":"y"}"#, true),
            (br#"{"\u005fbody":"x"}"#, true),
            (br#"{"a":"\ud83d\ude00\/"}"#, true),
            (br#"{"_body":["x"]}"#, false),
            (br#"{"a":"\ud83d"}"#, false),
            (br#"{"a":"\udc00"}"#, false),
            (br#"{"a":"b",}"#, false),
            (br#"{"a":"b"} "#, false),
            (b"{\"a\":\"\x01\"}", false),
            (b"{\"a\":\"\xff\"}", false),
            (br#"{"a":"b"#, false),
            // Not an object: the quote pass must not take what follows its first byte.
            (br#"x"a":"b"}"#, false),
            (br#"["a":"b"}"#, false),
        ];
        for (body, accepted) in cases {
            assert_eq!(
                fast(body).is_some(),
                accepted,
                "{}",
                String::from_utf8_lossy(body)
            );
            same_as_serde(body).unwrap();
        }
        let event = fast(br#"{"_body":"x","a":["p\"q","r"],"_body":"y"}"#).unwrap();
        assert_eq!(event.body().unwrap().as_ref(), b"y");
        assert_eq!(event.header("a").unwrap(), "ARRAY::p\"q|:r");
    }

    #[test]
    fn parses_the_wire_shape_and_writes_it_back() {
        let wire = br#"{"Event-Name":"BACKGROUND_JOB","FreeSWITCH-IPv6":"fd00::2","Job-Command-Arg":"loopback/tone &park","Content-Length":"41","_body":"+OK e5820346-f414-4b72-9136-a0a2cb9ba4f6\n"}"#;
        let event = parse(&Bytes::from_static(wire), &Limits::default()).unwrap();
        assert_eq!(event.header("FreeSWITCH-IPv6").unwrap(), "fd00::2");
        assert_eq!(event.header("Content-Length").unwrap(), "41");
        assert_eq!(event.body_text().unwrap().len(), 41);
        assert_eq!(encode(&event).as_ref(), wire);
    }

    #[test]
    fn escapes_arrays_and_scalars() {
        let wire = br#"{"A":"x\"y\u00e9","B":["one","two"],"N":5,"T":true,"Z":null}"#;
        let event = parse(&Bytes::from_static(wire), &Limits::default()).unwrap();
        assert_eq!(event.header("A").unwrap(), "x\"y\u{e9}");
        assert_eq!(event.get("B").unwrap().as_array().unwrap(), ["one", "two"]);
        assert_eq!(event.header("N").unwrap(), "5");
        assert_eq!(event.header("T").unwrap(), "true");
        assert_eq!(event.header("Z").unwrap(), "");
    }

    #[test]
    fn malformed_json_is_a_typed_error() {
        for bad in [
            &b"["[..],
            b"{\"a\":{}}",
            b"{\"a\":\"b\"} trailing",
            b"",
            b"{\"a\"",
        ] {
            assert!(matches!(
                parse(&Bytes::copy_from_slice(bad), &Limits::default()),
                Err(EventError::Json(_))
            ));
        }
    }
}
