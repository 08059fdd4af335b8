//! Tests of the header index and of value decoding.

// Compiled only under #[cfg(test)] (declared so in headers.rs): unwraps here are test asserts.

use super::block::*;
use super::*;
use crate::{FrameError, Limits};

fn block(text: &str) -> Headers {
    let buf = Bytes::copy_from_slice(text.as_bytes());
    let indexed = index_block(&buf, &Limits::default()).unwrap();
    Headers::from_parts(buf, indexed.spans, ValueEncoding::Percent)
}

#[test]
fn lookup_is_case_insensitive_and_keeps_duplicates_in_order() {
    let h = block("A-B: 1\nx: 2\na-b: 3\n\n");
    assert_eq!(h.len(), 3);
    assert_eq!(h.text("a-b").unwrap(), "1");
    let all: Vec<_> = h.get_all("A-b").map(|v| v.decoded().into_owned()).collect();
    assert_eq!(all, ["1", "3"]);
    assert!(h.get("missing").is_none());
}

#[test]
fn presence_emptiness_and_the_underlying_buffer() {
    let text = "A: 1\nB: 2\n\n";
    let h = block(text);
    assert!(!h.is_empty());
    assert!(h.contains("b"));
    assert!(!h.contains("C"));
    assert_eq!(h.buffer().as_ref(), text.as_bytes());
    assert!(Headers::empty().is_empty());
    assert!(!Headers::empty().contains("A"));
}

#[test]
fn headers_are_equal_when_their_decoded_lines_are() {
    let wire = block("A: x%20y\nB: 2\n\n");
    assert_eq!(wire, Headers::from_pairs([("A", "x y"), ("B", "2")]));
    assert_ne!(wire, Headers::from_pairs([("A", "x y")]), "a header fewer");
    assert_ne!(
        wire,
        Headers::from_pairs([("A", "x y"), ("C", "2")]),
        "a name"
    );
    assert_ne!(
        wire,
        Headers::from_pairs([("A", "x%20y"), ("B", "2")]),
        "a value"
    );
    assert_ne!(
        Headers::from_pairs([("A", "1"), ("B", "2")]),
        Headers::from_pairs([("B", "2"), ("A", "1")]),
        "the order"
    );
}

#[test]
fn debug_shows_decoded_names_and_values() {
    let h = block("A-B: x%20y\n\n");
    assert_eq!(format!("{h:?}"), r#"{"A-B": "x y"}"#);
    let (name, value) = h.iter().next().unwrap();
    assert_eq!(format!("{name:?} {value:?} {value}"), r#""A-B" "x y" x y"#);
}

#[test]
fn values_are_percent_decoded_on_access_but_plus_stays() {
    let h = block("Date: Mon,%2023%20Nov\nPlus: a+b%2Bc\nBad: 100%\nBad2: %zz%4\n\n");
    assert_eq!(h.text("Date").unwrap(), "Mon, 23 Nov");
    assert_eq!(h.get("Date").unwrap().raw(), b"Mon,%2023%20Nov");
    assert_eq!(h.text("Plus").unwrap(), "a+b+c");
    assert_eq!(h.text("Bad").unwrap(), "100%");
    assert_eq!(h.text("Bad2").unwrap(), "%zz%4");
}

#[test]
fn undecodable_utf8_is_replaced_not_panicking_and_raw_stays_reachable() {
    let h = block("V: %FF%FEok\n\n");
    assert_eq!(h.text("V").unwrap(), "\u{FFFD}\u{FFFD}ok");
    assert_eq!(&*h.get("V").unwrap().decoded_bytes(), b"\xFF\xFEok");
}

#[test]
fn empty_values_keep_their_trailing_space_semantics() {
    // `User-Data: ` is sent with a trailing space and means an empty value.
    let h = block("User-Data: \nNext: x\n\n");
    assert_eq!(h.text("User-Data").unwrap(), "");
    assert_eq!(h.text("Next").unwrap(), "x");
}

#[test]
fn arrays_split_into_items() {
    let h = block("variable_a: ARRAY::one|:two%20x|:three\nplain: x\n\n");
    assert_eq!(
        h.get("variable_a").unwrap().as_array().unwrap(),
        ["one", "two x", "three"]
    );
    assert!(h.get("plain").unwrap().as_array().is_none());
}

#[test]
fn crlf_lines_and_lines_without_colon() {
    let h = block("A: 1\r\nnocolon\r\nB:2\r\n\r\n");
    assert_eq!(h.len(), 2);
    assert_eq!(h.text("A").unwrap(), "1");
    assert_eq!(h.text("B").unwrap(), "2");
}

#[test]
fn prefixed_lookup_matches_without_allocating_the_name() {
    let h = block("variable_sip_req_uri: 1000%40x\n\n");
    assert_eq!(
        h.get_prefixed("variable_", "SIP_REQ_URI")
            .unwrap()
            .decoded(),
        "1000@x"
    );
    assert!(h.get_prefixed("variable_", "sip").is_none());
}

#[test]
fn content_length_is_strict_decimal_within_the_limit() {
    let limits = Limits {
        max_body: 10,
        ..Limits::default()
    };
    assert_eq!(parse_content_length(b"10", &limits), Ok(10));
    assert_eq!(parse_content_length(b" 7 ", &limits), Ok(7));
    assert!(matches!(
        parse_content_length(b"11", &limits),
        Err(FrameError::BodyTooLarge { length: 11, .. })
    ));
    // Every 19-digit number fits a u64, so it is a length (too large), not garbage.
    assert!(matches!(
        parse_content_length(b"9999999999999999999", &limits),
        Err(FrameError::BodyTooLarge {
            length: 9_999_999_999_999_999_999,
            ..
        })
    ));
    for bad in [&b""[..], b"-1", b"1x", b"99999999999999999999999"] {
        assert!(matches!(
            parse_content_length(bad, &limits),
            Err(FrameError::InvalidContentLength(_))
        ));
    }
}

#[test]
fn a_block_without_blank_line_runs_to_the_end_and_keeps_its_last_line() {
    let buf = b"A: 1\nB:";
    let indexed = index_block(buf, &Limits::default()).unwrap();
    assert_eq!(indexed.body_start, buf.len());
    let h = Headers::from_parts(
        Bytes::from_static(buf),
        indexed.spans,
        ValueEncoding::Percent,
    );
    assert_eq!(h.text("A").unwrap(), "1");
    assert_eq!(h.text("B").unwrap(), "");
}

#[test]
fn a_block_without_blank_line_is_held_to_the_block_limit_from_both_sides() {
    let buf = b"A: 1\nB: 2";
    let exact = Limits {
        max_header_block: buf.len(),
        ..Limits::default()
    };
    assert_eq!(index_block(buf, &exact).unwrap().spans.len(), 2);
    let short = Limits {
        max_header_block: buf.len() - 1,
        ..Limits::default()
    };
    assert_eq!(
        index_block(buf, &short).err(),
        Some(FrameError::HeaderBlockTooLarge {
            limit: buf.len() - 1
        })
    );
}

#[test]
fn header_count_limit_holds_from_both_sides() {
    let limits = Limits {
        max_headers: 2,
        ..Limits::default()
    };
    assert!(index_block(b"a: 1\nb: 2\n\n", &limits).is_ok());
    assert_eq!(
        index_block(b"a: 1\nb: 2\nc: 3\n\n", &limits).err(),
        Some(FrameError::TooManyHeaders { limit: 2 })
    );
}
