//! `text/event-xml`: what `switch_event_xmlize` and `switch_xml_toxml` write.
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
//! Header values are still percent-encoded inside the elements (`inbound_events_xml`), and the
//! serialiser indents the closing `</body>`, so the body is the element's text cut to the
//! `Content-Length` that precedes it.
//!
//! The exact shape FreeSWITCH prints is read by hand ([`fast`]), in place; anything else goes
//! to quick-xml, the general reader, and the property tests below hold the two to the same
//! reading.

mod fast;

use bytes::{BufMut, Bytes, BytesMut};
use quick_xml::events::Event as XmlEvent;
use quick_xml::Reader;

use super::{Event, EventFormat, Parsing};
use crate::error::EventError;
use crate::headers::{Headers, HeadersBuilder, SpanArena, ValueEncoding};
use crate::Limits;

#[derive(PartialEq)]
enum Place {
    Outside,
    Event,
    Headers,
    Header,
    Trailer,
}

pub(super) fn parse(body: &Bytes, limits: &Limits) -> Result<Event, EventError> {
    let mut spans = Vec::new();
    match fast::parse(body, limits, &mut spans) {
        Some(event_body) => {
            let headers = Headers::from_parts(body.clone(), spans, ValueEncoding::Percent);
            Ok(Event::from_parts(headers, event_body, EventFormat::Xml))
        }
        None => parse_general(body, limits),
    }
}

/// [`parse`], the spans of the printed shape indexed into `arena` (see [`SpanArena`]).
pub(super) fn parse_into(
    body: &Bytes,
    limits: &Limits,
    arena: &mut SpanArena,
) -> Result<Parsing, EventError> {
    let index = |spans: &mut Vec<_>| Some(Ok((body.clone(), fast::parse(body, limits, spans)?)));
    let (format, encoding) = (EventFormat::Xml, ValueEncoding::Percent);
    Parsing::indexed(arena, format, encoding, index, || {
        parse_general(body, limits)
    })
}

/// Any XML quick-xml reads, and its errors.
fn parse_general(body: &Bytes, limits: &Limits) -> Result<Event, EventError> {
    let text = std::str::from_utf8(body).map_err(|e| EventError::Xml(e.to_string()))?;
    let mut reader = Reader::from_str(text);
    let mut headers = HeadersBuilder::default();
    let mut count = 0usize;
    let mut place = Place::Outside;
    let mut name = String::new();
    let mut value = String::new();
    let mut content_length: Option<usize> = None;
    let mut event_body: Option<String> = None;
    let err = |e: &dyn std::fmt::Display| EventError::Xml(e.to_string());
    loop {
        match reader.read_event().map_err(|e| err(&e))? {
            XmlEvent::Start(start) => {
                let tag = start.name().as_ref().to_owned();
                place = match place {
                    Place::Outside if tag == "event" => Place::Event,
                    Place::Event if tag == "headers" => Place::Headers,
                    Place::Event => {
                        name = tag;
                        value.clear();
                        Place::Trailer
                    }
                    Place::Headers => {
                        name = tag;
                        value.clear();
                        Place::Header
                    }
                    _ => return Err(EventError::Xml(format!("unexpected <{tag}>"))),
                };
            }
            XmlEvent::Empty(start) if place == Place::Headers => {
                count = one_more_header(count, limits)?;
                headers.push(start.name().as_ref().as_bytes(), b"");
            }
            XmlEvent::Text(t) if matches!(place, Place::Header | Place::Trailer) => {
                // FreeSWITCH writes text raw (no XML line-end rules), so none are applied here.
                value.push_str(&t.into_inner());
            }
            XmlEvent::CData(t) if matches!(place, Place::Header | Place::Trailer) => {
                value.push_str(&t.into_inner());
            }
            XmlEvent::GeneralRef(r) if matches!(place, Place::Header | Place::Trailer) => {
                if let Some(c) = r.resolve_char_ref().map_err(|e| err(&e))? {
                    value.push(c);
                } else {
                    let entity = r.xml10_content();
                    let resolved = quick_xml::escape::resolve_xml_entity(&entity)
                        .ok_or_else(|| EventError::Xml(format!("unknown entity &{entity};")))?;
                    value.push_str(resolved);
                }
            }
            XmlEvent::End(_) => {
                place = match place {
                    Place::Header => {
                        count = one_more_header(count, limits)?;
                        headers.push(name.as_bytes(), value.as_bytes());
                        Place::Headers
                    }
                    Place::Headers => Place::Event,
                    Place::Trailer => {
                        if name == "body" {
                            event_body = Some(std::mem::take(&mut value));
                        } else {
                            if name.eq_ignore_ascii_case("Content-Length") {
                                content_length = value.trim().parse().ok();
                            }
                            headers.push(name.as_bytes(), value.as_bytes());
                        }
                        Place::Event
                    }
                    Place::Event | Place::Outside => Place::Outside,
                };
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    if place != Place::Outside {
        return Err(EventError::Xml("document ends inside an element".into()));
    }
    let event_body = event_body.map(|text| {
        let mut bytes = text.into_bytes();
        match content_length {
            Some(length) if length <= bytes.len() => bytes.truncate(length),
            _ => {
                // No length to cut at: drop the closing tag's indentation only.
                while bytes.last() == Some(&b' ') {
                    bytes.pop();
                }
            }
        }
        Bytes::from(bytes)
    });
    let headers = headers.finish().with_encoding(ValueEncoding::Percent);
    Ok(Event::from_parts(headers, event_body, EventFormat::Xml))
}

/// `count` headers and one more, within the limit: empty elements (`<Name/>`) count as well.
fn one_more_header(count: usize, limits: &Limits) -> Result<usize, EventError> {
    let count = count + 1;
    if count > limits.max_headers {
        return Err(EventError::Xml(format!(
            "more than {} headers",
            limits.max_headers
        )));
    }
    Ok(count)
}

pub(super) fn encode(event: &Event) -> Bytes {
    let mut out = BytesMut::with_capacity(event.headers().buffer().len() * 3 / 2 + 128);
    out.put_slice(b"<event>\n  <headers>\n");
    for (name, value) in event.headers().iter() {
        if name.eq_ignore_case("Content-Length") {
            continue;
        }
        let encoded = super::fs_url_encode(&value.decoded_bytes()).into_owned();
        out.put_slice(b"    <");
        out.put_slice(name.as_bytes());
        out.put_u8(b'>');
        out.put_slice(quick_xml::escape::minimal_escape(encoded.as_str()).as_bytes());
        out.put_slice(b"</");
        out.put_slice(name.as_bytes());
        out.put_slice(b">\n");
    }
    out.put_slice(b"  </headers>\n");
    if let Some(body) = event.body() {
        out.put_slice(format!("  <Content-Length>{}</Content-Length>\n", body.len()).as_bytes());
        out.put_slice(b"  <body>");
        let text = String::from_utf8_lossy(body);
        out.put_slice(quick_xml::escape::minimal_escape(text.as_ref()).as_bytes());
        out.put_slice(b"  </body>\n");
    }
    out.put_slice(b"</event>\n");
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOB: &str = "<event>\n  <headers>\n    <Event-Name>BACKGROUND_JOB</Event-Name>\n    \
<Job-Command-Arg>loopback/tone%20%26park</Job-Command-Arg>\n  </headers>\n  \
<Content-Length>41</Content-Length>\n  <body>+OK f0e1075e-a8ac-43db-a189-a9aaf27f1001\n  \
</body>\n</event>\n";

    #[test]
    fn parses_headers_percent_decoded_and_body_cut_to_its_length() {
        let event = parse(&Bytes::from_static(JOB.as_bytes()), &Limits::default()).unwrap();
        assert_eq!(
            event.header("Job-Command-Arg").unwrap(),
            "loopback/tone &park"
        );
        assert_eq!(
            event.body_text().unwrap(),
            "+OK f0e1075e-a8ac-43db-a189-a9aaf27f1001\n"
        );
        assert_eq!(event.header("Content-Length").unwrap(), "41");
        assert_eq!(encode(&event).as_ref(), JOB.as_bytes());
    }

    #[test]
    fn entities_are_resolved() {
        let doc =
            "<event><headers><A>x &amp; &#65;&lt;</A><E/></headers><body>a&gt;b</body></event>";
        let event = parse(&Bytes::from_static(doc.as_bytes()), &Limits::default()).unwrap();
        assert_eq!(event.header("A").unwrap(), "x & A<");
        assert_eq!(event.header("E").unwrap(), "");
        assert_eq!(event.body_text().unwrap(), "a>b");
    }

    /// An empty element is a header with no value inside `<headers>`, and nothing outside.
    #[test]
    fn an_empty_element_outside_the_headers_is_not_a_header() {
        let doc = "<event><headers><A>1</A><E/></headers><X/><body>b</body></event>";
        let event = parse(&Bytes::from_static(doc.as_bytes()), &Limits::default()).unwrap();
        let names: Vec<String> = event
            .headers()
            .iter()
            .map(|(name, _)| String::from_utf8_lossy(name.as_bytes()).into_owned())
            .collect();
        assert_eq!(names, ["A", "E"]);
        assert_eq!(event.body_text().unwrap(), "b");
    }

    /// The general reader, on shapes FreeSWITCH does not print (the fast path leaves them to
    /// it): CDATA is text, an entity between elements is not read, the header limit counts
    /// empty elements too, and a body longer than its `Content-Length` says loses only the
    /// closing tag's indentation.
    #[test]
    fn the_general_reader_reads_what_the_printed_shape_does_not_have() {
        let read = |doc: &str, limits: &Limits| {
            parse_general(&Bytes::copy_from_slice(doc.as_bytes()), limits)
        };
        let limits = Limits::default();
        let event = read(
            "<event><headers>&bogus;<A><![CDATA[<x>]]></A></headers><B>2</B></event>",
            &limits,
        )
        .unwrap();
        assert_eq!(event.header("A").unwrap(), "<x>");
        assert_eq!(event.header("B").unwrap(), "2");
        let event = read(
            "<event><headers></headers><Content-Length>99</Content-Length><body>ab  </body></event>",
            &limits,
        )
        .unwrap();
        assert_eq!(event.body_text().unwrap(), "ab");
        let two = Limits::default().max_headers(2);
        for three in [
            "<event><headers><A>1</A><B>2</B><C>3</C></headers></event>",
            "<event><headers><A/><B/><C/></headers></event>",
        ] {
            assert!(
                matches!(read(three, &two), Err(EventError::Xml(e)) if e.contains("more than 2")),
                "{three}"
            );
        }
        assert_eq!(
            read("<event><headers><A/><B/></headers></event>", &two)
                .unwrap()
                .headers()
                .len(),
            2
        );
    }

    #[test]
    fn malformed_xml_is_a_typed_error() {
        for bad in [
            &b"<event><headers><A>x</headers>"[..],
            b"<event><headers><A>x</A>",
            b"\xff\xfe",
            b"<event><headers><A>&bogus;</A></headers></event>",
            b"<x><y><z><w>",
            b"<other><headers><A>1</A></headers></other>",
        ] {
            assert!(
                matches!(
                    parse(&Bytes::copy_from_slice(bad), &Limits::default()),
                    Err(EventError::Xml(_))
                ),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    mod fast_path {
        use proptest::prelude::*;

        use super::*;
        use crate::testing::{apply, edit, recorded_bodies};

        /// The bytes edits insert: markup, entity and quote characters, line ends, bad UTF-8.
        const XML_BYTES: &[u8] = b"<>/&;! \n\r\t\"'=:-_ab0\x80\xff";

        type Parsed = (Vec<(Vec<u8>, Vec<u8>)>, Option<Vec<u8>>);

        fn parts(event: &Event) -> Parsed {
            let headers = event
                .headers()
                .iter()
                .map(|(n, v)| (n.as_bytes().to_vec(), v.raw().to_vec()))
                .collect();
            (headers, event.body().map(|b| b.to_vec()))
        }

        /// Fails unless what the fast path accepts, the general reader reads the same way.
        /// Returns whether the fast path accepted it.
        fn same_as_general(body: &[u8], limits: &Limits) -> Result<bool, TestCaseError> {
            let body = Bytes::copy_from_slice(body);
            let general = parse_general(&body, limits);
            let mut spans = Vec::new();
            match fast::parse(&body, limits, &mut spans) {
                Some(event_body) => {
                    let headers = Headers::from_parts(body.clone(), spans, ValueEncoding::Percent);
                    let fast = Event::from_parts(headers, event_body, EventFormat::Xml);
                    let general = general.map_err(|e| {
                        TestCaseError::fail(format!(
                            "fast path accepted what the general reader refuses: {e}"
                        ))
                    })?;
                    prop_assert_eq!(parts(&fast), parts(&general));
                    Ok(true)
                }
                None => Ok(false),
            }
        }

        fn name() -> impl Strategy<Value = String> {
            prop_oneof![
                4 => "[A-Za-z][A-Za-z0-9_-]{0,12}",
                1 => prop::sample::select(vec![
                    "Content-Length", "content-length", "body", "Body", "a:b", "a.b", "_x", "x-",
                ])
                .prop_map(str::to_owned),
            ]
        }

        fn text() -> impl Strategy<Value = String> {
            prop_oneof![
                3 => "[ -~]{0,16}",
                1 => any::<String>(),
                1 => prop::sample::select(vec!["41", " 7 ", "", "x\n", "a & b", "<x>", "\r\n"])
                    .prop_map(str::to_owned),
            ]
        }

        /// An event as FreeSWITCH would print it (the encoder writes its shape).
        fn printed() -> impl Strategy<Value = Vec<u8>> {
            (
                prop::collection::vec((name(), text()), 0..8),
                prop::option::of(text()),
            )
                .prop_map(|(headers, body)| {
                    let mut builder = crate::event::EventBuilder::new();
                    for (n, v) in headers {
                        builder = builder.header(n, v);
                    }
                    if let Some(body) = body {
                        builder = builder.body(body);
                    }
                    encode(&builder.build()).to_vec()
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

            #[test]
            fn the_fast_path_reads_the_printed_shape_as_the_general_reader_does(body in printed()) {
                let accepted = same_as_general(&body, &Limits::default())?;
                // Only an entity (an escaped `&`, `<` or `>`) leaves the shape to the general reader.
                if !body.contains(&b'&') {
                    prop_assert!(accepted, "{}", String::from_utf8_lossy(&body));
                }
            }

            #[test]
            fn the_fast_path_agrees_with_the_general_reader_on_edited_events(
                body in printed(),
                edits in prop::collection::vec(edit(XML_BYTES), 1..4),
                max_headers in 1usize..10,
            ) {
                let limits = Limits { max_headers, ..Limits::default() };
                same_as_general(&apply(body, &edits), &limits)?;
            }

            #[test]
            fn the_fast_path_agrees_with_the_general_reader_on_any_bytes(
                body in prop::collection::vec(any::<u8>(), 0..64),
            ) {
                same_as_general(&body, &Limits::default())?;
            }
        }

        #[test]
        fn the_fast_path_takes_both_closings_of_a_body() {
            // `switch_xml_toxml` indents `</body>` only when the text ends in LF.
            for (doc, body) in [
                (&b"<event>\n  <headers>\n    <A>1</A>\n  </headers>\n  <Content-Length>3</Content-Length>\n  <body>+OK</body>\n</event>\n"[..], &b"+OK"[..]),
                (b"<event>\n  <headers>\n    <A>1</A>\n  </headers>\n  <Content-Length>4</Content-Length>\n  <body>+OK\n  </body>\n</event>\n", b"+OK\n"),
            ] {
                assert!(same_as_general(doc, &Limits::default()).unwrap());
                let event = parse(&Bytes::copy_from_slice(doc), &Limits::default()).unwrap();
                assert_eq!(event.body().unwrap().as_ref(), body);
                assert_eq!(event.header("Content-Length").unwrap().len(), 1);
            }
            // An entity is the general reader's.
            let escaped =
                b"<event>\n  <headers>\n  </headers>\n  <body>a &amp; b</body>\n</event>\n";
            assert!(!same_as_general(escaped, &Limits::default()).unwrap());
        }

        /// The fast path's own edges, which the general reader would otherwise hide by reading
        /// the same event when the fast path gives up: an event with as many headers as the
        /// limit allows, and a body shorter than its `Content-Length` says.
        #[test]
        fn the_fast_path_takes_the_limit_exactly_and_a_body_past_its_length() {
            let headers = |n: usize| {
                let lines: String = (0..n).map(|i| format!("    <H{i}>v</H{i}>\n")).collect();
                format!("<event>\n  <headers>\n{lines}  </headers>\n</event>\n")
            };
            let two = Limits::default().max_headers(2);
            assert!(same_as_general(headers(2).as_bytes(), &two).unwrap());
            assert!(!same_as_general(headers(3).as_bytes(), &two).unwrap());

            let long = b"<event>\n  <headers>\n    <A>1</A>\n  </headers>\n  <Content-Length>99</Content-Length>\n  <body>ab\n  </body>\n</event>\n";
            let mut spans = Vec::new();
            let body = fast::parse(&Bytes::from_static(long), &Limits::default(), &mut spans);
            assert_eq!(body, Some(Some(Bytes::from_static(b"ab\n"))));
            assert!(same_as_general(long, &Limits::default()).unwrap());
        }

        #[test]
        #[cfg_attr(
            not(recorded_captures),
            ignore = "the captures ship with the workspace, not the package"
        )]
        fn the_fast_path_takes_every_recorded_event() {
            for body in recorded_bodies("inbound_events_xml", "text/event-xml") {
                let accepted = same_as_general(&body, &Limits::default()).unwrap();
                assert!(accepted, "{}", String::from_utf8_lossy(&body));
            }
        }
    }
}
