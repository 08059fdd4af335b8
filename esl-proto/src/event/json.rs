//! `text/event-json`: one flat object, every value a string (an array for FreeSWITCH array
//! headers), values not percent-encoded, the body under `_body` and its length as an ordinary
//! `Content-Length` key (see `inbound_events_json`).
//!
//! Parsing borrows every string that has no JSON escape straight from the input and copies it
//! once into the event's buffer: no allocation per header.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::{Event, EventFormat};
use crate::error::EventError;
use crate::headers::HeadersBuilder;
use crate::Limits;

pub(super) fn parse(body: &Bytes, limits: &Limits) -> Result<Event, EventError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let event = de::Deserializer::deserialize_map(&mut deserializer, EventVisitor)
        .map_err(|e| EventError::Json(e.to_string()))?;
    deserializer
        .end()
        .map_err(|e| EventError::Json(e.to_string()))?;
    if event.headers().len() > limits.max_headers {
        return Err(EventError::Json(format!(
            "more than {} headers",
            limits.max_headers
        )));
    }
    Ok(event)
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
