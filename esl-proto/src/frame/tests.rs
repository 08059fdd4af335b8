//! The framer's tests: splits, limits, and the buffers it keeps.

use super::*;

type Decoded = (Vec<(String, String)>, Vec<u8>);

fn frames(framer: &mut Framer) -> Vec<Decoded> {
    let mut out = Vec::new();
    while let Some(frame) = framer.next_frame().unwrap() {
        let headers = frame
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().into_owned(), v.decoded().into_owned()))
            .collect();
        out.push((headers, frame.body.to_vec()));
    }
    out
}

const TWO: &[u8] = b"Content-Type: command/reply\nReply-Text: +OK bye\n\n\
Content-Type: text/disconnect-notice\nContent-Length: 5\n\nhello";

#[test]
fn release_mid_message_keeps_what_was_read() {
    // Released after every byte: between the lines of a header block, inside a line,
    // and inside a body.
    let mut f = Framer::new(Limits::default());
    let mut got = Vec::new();
    for byte in TWO {
        f.push(std::slice::from_ref(byte));
        f.release();
        got.extend(frames(&mut f));
        f.release();
    }
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0[0], ("Content-Type".into(), "command/reply".into()));
    assert_eq!(got[0].0[1], ("Reply-Text".into(), "+OK bye".into()));
    assert_eq!(got[1].0.len(), 2, "{:?}", got[1].0);
    assert_eq!(got[1].1, b"hello");
}

#[test]
fn several_messages_in_one_read() {
    let mut f = Framer::new(Limits::default());
    f.push(TWO);
    let got = frames(&mut f);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0[1], ("Reply-Text".into(), "+OK bye".into()));
    assert_eq!(got[1].1, b"hello");
    assert_eq!(f.buffered(), 0);
    assert!(!f.is_mid_message());
}

#[test]
fn any_split_gives_the_same_frames() {
    let mut whole = Framer::new(Limits::default());
    whole.push(TWO);
    let expected = frames(&mut whole);
    for split in 0..=TWO.len() {
        let mut f = Framer::new(Limits::default());
        f.push(&TWO[..split]);
        let mut got = frames(&mut f);
        f.push(&TWO[split..]);
        got.extend(frames(&mut f));
        assert_eq!(got, expected, "split at {split}");
    }
    let mut f = Framer::new(Limits::default());
    let mut got = Vec::new();
    for byte in TWO {
        f.push(&[*byte]);
        got.extend(frames(&mut f));
    }
    assert_eq!(got, expected);
}

#[test]
fn crlf_terminator_and_leading_blank_lines_are_accepted() {
    let mut f = Framer::new(Limits::default());
    f.push(b"\n\r\nA: 1\r\nB: 2\n\r\nC: 3\n\n");
    let got = frames(&mut f);
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].0,
        [("A".into(), "1".into()), ("B".into(), "2".into())]
    );
    assert_eq!(got[1].0, [("C".into(), "3".into())]);
}

#[test]
fn body_is_exactly_content_length_and_the_next_message_follows_it() {
    let mut f = Framer::new(Limits::default());
    // A JSON event body has no trailing LF: the next header starts right after `}`.
    f.push(b"Content-Length: 2\nContent-Type: text/event-json\n\n{}Content-Type: x\n\n");
    let got = frames(&mut f);
    assert_eq!(got[0].1, b"{}");
    assert_eq!(got[1].0, [("Content-Type".into(), "x".into())]);
}

#[test]
fn a_body_of_one_byte_is_kept_in_any_split() {
    let wire = b"Content-Length: 1\nContent-Type: api/response\n\nXContent-Length: 2\n\nYZ";
    for split in 0..=wire.len() {
        let mut f = Framer::new(Limits::default());
        f.push(&wire[..split]);
        let mut got = frames(&mut f);
        f.push(&wire[split..]);
        got.extend(frames(&mut f));
        let bodies: Vec<&[u8]> = got.iter().map(|(_, body)| &body[..]).collect();
        assert_eq!(bodies, [&b"X"[..], b"YZ"], "split at {split}");
        assert_eq!(f.buffered(), 0);
    }
}

#[test]
fn only_a_blank_line_ends_a_header_block() {
    // A one-byte line (here without a colon, so no header) or a line led by a CR is not
    // the blank line: the block goes on.
    let mut f = Framer::new(Limits::default());
    f.push(b"A: 1\nx\n\rB: 2\nC: 3\n\n");
    let got = frames(&mut f);
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].0,
        [
            ("A".into(), "1".into()),
            ("\rB".into(), "2".into()),
            ("C".into(), "3".into())
        ]
    );
}

#[test]
fn line_ends_between_messages_are_not_a_partial_message() {
    let mut f = Framer::new(Limits::default());
    f.push(b"\r\n\n");
    assert!(!f.is_mid_message());
    f.push(b"A");
    assert!(f.is_mid_message());
    assert_eq!(f.buffered(), 4);
    let mut f = Framer::new(Limits::default());
    f.push(b"\n\r");
    assert!(!f.is_mid_message());
}

#[test]
fn zero_content_length_has_an_empty_body() {
    let mut f = Framer::new(Limits::default());
    f.push(b"Content-Disposition: linger\nContent-Length: 0\n\nNext: 1\n\n");
    let got = frames(&mut f);
    assert_eq!(got.len(), 2);
    assert!(got[0].1.is_empty());
}

#[test]
fn header_block_limit_holds_from_both_sides() {
    let block = b"A: 12345\n\n"; // 10 bytes with its blank line
    let exact = Limits {
        max_header_block: block.len(),
        ..Limits::default()
    };
    let mut f = Framer::new(exact);
    f.push(block);
    assert_eq!(frames(&mut f).len(), 1);

    let short = Limits {
        max_header_block: block.len() - 1,
        ..Limits::default()
    };
    let mut f = Framer::new(short);
    f.push(block);
    assert_eq!(
        f.next_frame().err(),
        Some(FrameError::HeaderBlockTooLarge {
            limit: block.len() - 1
        })
    );
    // Without a terminator the error comes as soon as the limit is reached, so the
    // buffer never holds more than the limit of an unterminated block.
    let mut f = Framer::new(short);
    for byte in b"A: 123456789012345" {
        f.push(&[*byte]);
        if f.next_frame().is_err() {
            assert!(f.buffered() <= short.max_header_block);
            return;
        }
    }
    panic!("limit not enforced");
}

#[test]
fn header_count_limit_holds_from_both_sides() {
    let limits = Limits {
        max_headers: 2,
        ..Limits::default()
    };
    let mut f = Framer::new(limits);
    f.push(b"A: 1\nB: 2\n\n");
    assert_eq!(frames(&mut f).len(), 1);
    let mut f = Framer::new(limits);
    f.push(b"A: 1\nB: 2\nC: 3\n\n");
    assert_eq!(
        f.next_frame().err(),
        Some(FrameError::TooManyHeaders { limit: 2 })
    );
}

#[test]
fn body_limit_holds_from_both_sides() {
    let limits = Limits {
        max_body: 4,
        ..Limits::default()
    };
    let mut f = Framer::new(limits);
    f.push(b"Content-Length: 4\n\nabcd");
    assert_eq!(frames(&mut f)[0].1, b"abcd");
    let mut f = Framer::new(limits);
    f.push(b"Content-Length: 5\n\nabcde");
    assert!(matches!(
        f.next_frame(),
        Err(FrameError::BodyTooLarge {
            length: 5,
            limit: 4
        })
    ));
}

#[test]
fn command_framing_keeps_the_first_line_whole() {
    let mut f = Framer::for_commands(Limits::default());
    f.push(b"\napi uuid_setvar u foo:bar\n\nsendmsg u\r\ncall-command: execute\ncontent-length: 2\n\nhiexit\n\n");
    let a = f.next_frame().unwrap().unwrap();
    assert_eq!(a.line.unwrap().as_ref(), b"api uuid_setvar u foo:bar");
    assert!(a.headers.is_empty());
    let b = f.next_frame().unwrap().unwrap();
    assert_eq!(b.line.unwrap().as_ref(), b"sendmsg u");
    assert_eq!(b.headers.text("call-command").unwrap(), "execute");
    assert_eq!(b.body.as_ref(), b"hi");
    let c = f.next_frame().unwrap().unwrap();
    assert_eq!(c.line.unwrap().as_ref(), b"exit");
}

#[test]
fn partial_messages_are_reported() {
    let mut f = Framer::new(Limits::default());
    f.push(b"Content-Length: 3\n\nab");
    assert!(f.next_frame().unwrap().is_none());
    assert!(f.is_mid_message());
    f.push(b"c");
    assert!(f.next_frame().unwrap().is_some());
    assert!(!f.is_mid_message());
}

/// Every spare buffer's allocation, in bytes.
fn spare_bytes(framer: &Framer) -> usize {
    framer.spares.iter().map(|(_, size)| size).sum()
}

#[test]
fn a_framer_holds_no_buffer_until_bytes_arrive_and_one_sized_to_them_after() {
    let mut f = Framer::new(Limits::default());
    assert_eq!(f.buffer_bytes(), 0);
    f.push(b"Content-Type: auth/request\n\n");
    assert_eq!(
        f.buffer_bytes(),
        MIN_BUFFER,
        "a small read: the smallest buffer"
    );
    assert!(
        f.spares.is_empty(),
        "no buffer was given up: there was none"
    );
    assert!(!f.holds_stream_buffers());
}

#[test]
fn a_stream_sized_read_gets_a_buffer_for_two_of_them() {
    for read in [STREAM_READ, 20_000, 64 * 1024] {
        let mut f = Framer::new(Limits::default());
        f.push(&vec![b'x'; read]);
        assert_eq!(f.buffer_bytes(), 2 * read, "a read of {read}");
        assert!(f.holds_stream_buffers());
    }
    let mut f = Framer::new(Limits::default());
    f.push(&vec![b'x'; STREAM_READ - 1]);
    assert_eq!(
        f.buffer_bytes(),
        STREAM_READ - 1,
        "below a stream read: what is needed"
    );
    assert!(!f.holds_stream_buffers());
}

#[test]
fn spares_still_pinned_by_frames_are_kept_up_to_their_bound_and_released_when_idle() {
    // 64 KiB reads of 1 KiB messages: 128 KiB buffers, each given up with frames in it.
    let message = {
        let head = b"Content-Type: text/event-plain\nContent-Length: 972\n\n";
        let mut m = head.to_vec();
        m.resize(1024, b'x');
        assert_eq!(m.len() - head.len(), 972);
        m
    };
    let read = message.repeat(64);
    let mut f = Framer::new(Limits::default());
    let mut held = Vec::new();
    for _ in 0..2 * SPARE_BYTES / read.len() {
        f.push(&read);
        while let Some(frame) = f.next_frame().unwrap() {
            held.push(frame);
        }
        assert!(spare_bytes(&f) <= SPARE_BYTES);
    }
    assert_eq!(f.spares.len(), SPARE_BYTES / (2 * read.len()));
    assert_eq!(
        spare_bytes(&f),
        SPARE_BYTES,
        "exactly the bound: none over, none short"
    );
    assert!(f.holds_stream_buffers());
    drop(held);
    f.release();
    assert_eq!(spare_bytes(&f), 0);
    assert_eq!(f.buffer_bytes(), 0, "nothing partial: the buffer goes too");
}

#[test]
fn debug_shows_the_framers_state_not_the_bytes() {
    let mut f = Framer::for_commands(Limits::default());
    f.push(b"auth ClueCon\n");
    let shown = format!("{f:?}");
    assert!(shown.starts_with("Framer {"), "{shown}");
    assert!(shown.contains("buffered: 13"), "{shown}");
    assert!(shown.contains("commands: true"), "{shown}");
    assert!(!shown.contains("ClueCon"), "a partial command (a password) is not shown");
}
