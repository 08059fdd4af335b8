//! The framer's tests: splits, limits, and the buffers it keeps.

// Compiled only under #[cfg(test)] (declared so in frame.rs): unwraps here are test asserts.

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

/// `count` messages of 1 KiB each.
fn message_stream(count: usize) -> Vec<u8> {
    let head = b"Content-Type: text/event-plain\nContent-Length: 972\n\n";
    let mut message = head.to_vec();
    message.resize(1024, b'x');
    assert_eq!(message.len() - head.len(), 972);
    message.repeat(count)
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
    let read = message_stream(64);
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
    assert!(
        !shown.contains("ClueCon"),
        "a partial command (a password) is not shown"
    );
}

#[test]
fn room_is_what_the_buffer_takes_before_it_is_given_up() {
    let mut f = Framer::new(Limits::default());
    assert_eq!(f.room(), 0);
    f.push(&[b'x'; 100]);
    assert_eq!(f.room(), MIN_BUFFER - 100);
    f.push(&vec![b'x'; MIN_BUFFER - 100]);
    assert_eq!(f.room(), 0);
}

/// Feeds `count` messages of `len` bytes in reads of `read` bytes, each frame dropped at
/// once; from read `settle` on, the buffers held must not change: the framer takes turns
/// with the ones it has instead of adding any. The bytes held at the end.
fn settles(len: usize, count: usize, read: usize, settle: usize) -> usize {
    let stream = message_of(len).repeat(count);
    let mut f = Framer::new(Limits::default());
    let mut got = 0;
    let mut settled = None;
    for (i, bytes) in stream.chunks(read).enumerate() {
        f.push(bytes);
        while let Some(frame) = f.next_frame().unwrap() {
            assert_eq!(frame.body.len(), len - 54);
            got += 1;
        }
        let held = (f.buffer_bytes(), f.spares.len());
        match i.cmp(&settle) {
            std::cmp::Ordering::Equal => settled = Some(held),
            std::cmp::Ordering::Greater => assert_eq!(Some(held), settled, "read {i}"),
            std::cmp::Ordering::Less => {}
        }
    }
    assert_eq!(got, count);
    f.buffer_bytes()
}

#[test]
fn messages_straddling_small_reads_reuse_the_buffers_once_consumed() {
    // Five buffers after about 30 reads, taking turns.
    settles(2_954, 100, 2_000, 50);
}

#[test]
fn the_buffers_serve_a_stream_of_large_reads_consumed_at_once() {
    // 40 KB events in 64 KiB reads: each read leaves part of an event kept, which the buffer
    // takes with the next read, in place when it can.
    let held = settles(39_954, 200, 64 * 1024, 20);
    assert!(held <= 512 * 1024, "{held}");
}

#[test]
fn a_long_message_arriving_in_small_reads_is_copied_a_logarithmic_number_of_times() {
    let mut f = Framer::new(Limits::default());
    let mut replaced = 0;
    let mut size = 0;
    for _ in 0..200 {
        f.push(&[b'x'; 1000]);
        if f.buf_size != size {
            replaced += 1;
            size = f.buf_size;
        }
    }
    // 200 KB from a 4 KiB start, doubling: 4, 8, ..., 256 KiB.
    assert!(replaced <= 7, "{replaced} buffers");
    assert!(f.buf_size >= 200_000);
}

#[test]
fn a_large_buffer_given_up_pushes_out_as_many_older_spares_as_it_takes() {
    let read = message_stream(64);
    let mut f = Framer::new(Limits::default());
    let mut held = Vec::new();
    let mut keep = |f: &mut Framer, bytes: &[u8]| {
        f.push(bytes);
        while let Some(frame) = f.next_frame().unwrap() {
            held.push(frame);
        }
    };
    for _ in 0..2 * SPARE_BYTES / read.len() {
        keep(&mut f, &read);
    }
    assert_eq!(spare_bytes(&f), SPARE_BYTES);
    assert_eq!(f.buffer_bytes(), f.buf_size + SPARE_BYTES);
    // A 1 MiB event gets a buffer of its own, given up (pinned) by the next read.
    let big = {
        let head = b"Content-Type: text/event-plain\nContent-Length: 1048576\n\n";
        let mut m = head.to_vec();
        m.resize(head.len() + 1024 * 1024, b'x');
        m
    };
    for chunk in big.chunks(64 * 1024) {
        keep(&mut f, chunk);
    }
    keep(&mut f, &read);
    assert!(f.spares.iter().any(|(_, size)| *size >= 1024 * 1024));
    assert!(
        spare_bytes(&f) <= SPARE_BYTES,
        "{} spare bytes",
        spare_bytes(&f)
    );
    assert!(spare_bytes(&f) > SPARE_BYTES - 2 * read.len());
}

#[test]
fn a_partial_message_in_a_reply_sized_buffer_is_not_a_stream_buffer() {
    let mut f = Framer::new(Limits::default());
    f.push(&[b'x'; 10_000]);
    f.push(&[b'x'; 10_000]);
    f.release();
    assert_eq!(f.buffered(), 20_000, "the partial message stays");
    assert!(f.buffer_bytes() < 2 * STREAM_READ);
    assert!(!f.holds_stream_buffers());
}

/// A message of `len` bytes: a body of `x`s after a two-line header block.
fn message_of(len: usize) -> Vec<u8> {
    let body = len - 54;
    let mut m =
        format!("Content-Type: text/event-plain\nContent-Length: {body:05}\n\n").into_bytes();
    assert_eq!(m.len(), 54);
    m.resize(len, b'x');
    m
}

#[test]
fn a_partial_header_block_is_moved_to_the_front_of_its_buffer_when_the_rest_fits() {
    // A long header block (a reply with many headers) starts late in a buffer whose
    // messages are gone: the framer moves it to the front and reads on, in the same buffer.
    let mut long_head = Vec::new();
    for i in 0..2_000 {
        long_head.extend_from_slice(format!("X-Header-{i:05}: value\n").as_bytes());
    }
    long_head.push(b'\n');
    let mut stream = message_of(40_000);
    stream.extend(message_of(50_000));
    stream.extend(&long_head);
    stream.extend(message_of(60_000));
    let mut f = Framer::new(Limits::default());
    let mut frames = 0;
    let mut feed = |f: &mut Framer, bytes: &[u8]| {
        f.push(bytes);
        while f.next_frame().unwrap().is_some() {
            frames += 1;
        }
    };
    feed(&mut f, &stream[..64 * 1024]);
    assert_eq!(f.buffer_bytes(), 128 * 1024);
    // The second message ends, 30 KB of the long header block are kept, near the end.
    let kept_from = 90_000;
    feed(&mut f, &stream[64 * 1024..kept_from + 30_000]);
    assert_eq!(f.buffered(), 30_000);
    feed(
        &mut f,
        &stream[kept_from + 30_000..kept_from + 30_000 + 64 * 1024],
    );
    assert_eq!(f.buffer_bytes(), 128 * 1024, "the same buffer");
    assert!(f.spares.is_empty(), "none given up");
    feed(&mut f, &stream[kept_from + 30_000 + 64 * 1024..]);
    assert_eq!(frames, 4);
}
