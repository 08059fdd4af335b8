//! Fuzz harnesses. `fuzz/` wraps each in a cargo-fuzz target; `cargo test` runs them over the
//! recorded captures and over random input, so they never go stale. Each asserts the
//! invariants that must hold for any input: no panic, memory within the limits, and every
//! request ending exactly once.

use std::collections::HashMap;

use bytes::Bytes;

use crate::server::CommandReader;
use crate::{Auth, Command, Connection, Event, EventFormat, Framer, Limits, Output, RequestId};

/// Small limits, so that the fuzzer reaches them.
fn fuzz_limits() -> Limits {
    Limits {
        max_header_block: 4096,
        max_headers: 64,
        max_body: 65536,
        max_pending_requests: 16,
        max_pending_jobs: 16,
    }
}

/// Splits `data` at positions derived from its own bytes, so one input explores one split.
fn chunks(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let size = (usize::from(rest[0]) % 97 + 1).min(rest.len());
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        Some(chunk)
    })
}

/// The framer on arbitrary bytes in self-chosen chunks: never panics, never buffers more than
/// one incomplete message plus one chunk.
pub fn framer(data: &[u8]) {
    let limits = fuzz_limits();
    let mut framer = Framer::new(limits);
    for chunk in chunks(data) {
        framer.push(chunk);
        loop {
            match framer.next_frame() {
                Ok(Some(frame)) => {
                    for (name, value) in frame.headers.iter() {
                        let _ = (name.as_str(), value.decoded(), value.as_array());
                    }
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
        assert!(framer.buffered() <= limits.max_buffered() + 97);
    }
}

/// One event body in `format`.
pub fn event(format: EventFormat, data: &[u8]) {
    if let Ok(event) = Event::parse(format, &Bytes::copy_from_slice(data), &fuzz_limits()) {
        let _ = (event.name(), event.unique_id(), event.body_text());
        for (name, value) in event.headers().iter() {
            let _ = (name.as_str(), value.decoded());
        }
        // What the switch would write for this event must parse back to the same headers.
        for out in [EventFormat::Plain, EventFormat::Json, EventFormat::Xml] {
            let encoded = event.encode_body(out);
            let limits = Limits {
                max_header_block: usize::MAX / 4,
                max_headers: usize::MAX / 4,
                ..Limits::default()
            };
            if let Ok(again) = Event::parse(out, &encoded, &limits) {
                let _ = again.name();
            }
        }
    }
}

/// The server-side command reader and parser.
pub fn command_parser(data: &[u8]) {
    let limits = fuzz_limits();
    let mut reader = CommandReader::new(limits);
    for chunk in chunks(data) {
        reader.push(chunk);
        loop {
            match reader.next_command() {
                Ok(Some(command)) => {
                    let parsed = command.parse();
                    // A parsed command that encodes must parse back to itself.
                    if let Ok(bytes) = parsed.to_bytes() {
                        let mut again = CommandReader::new(Limits::default());
                        again.push(&bytes);
                        if let Ok(Some(reparsed)) = again.next_command() {
                            let _ = reparsed.parse();
                        }
                    }
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
        assert!(reader.buffered() <= limits.max_buffered() + 97);
    }
}

/// The client connection fed arbitrary bytes, with commands sent and cancelled along the way
/// (chosen by the input), then EOF. Checks that every request id ends exactly once.
pub fn connection(data: &[u8]) {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    let mut conn = match mode % 3 {
        0 => Connection::inbound(Auth::Password("ClueCon".into())),
        1 => Connection::inbound(Auth::Manual),
        _ => Connection::outbound(),
    }
    .with_limits(fuzz_limits());
    let mut open: HashMap<RequestId, bool> = HashMap::new();
    let ended = |output: &Output, open: &mut HashMap<RequestId, bool>| match output {
        Output::Response { id, .. } | Output::Failed { id, .. } => {
            let was_open = open.insert(*id, false);
            assert_eq!(was_open, Some(true), "{id} ended twice or was never sent");
        }
        _ => {}
    };
    let mut failed = false;
    for (index, chunk) in chunks(data).enumerate() {
        let command = match chunk[0] % 8 {
            0 => Some(Command::api("status")),
            1 => Some(Command::bgapi(format!("status {index}"))),
            2 => Some(Command::bgapi_with_uuid("status", format!("job-{index}"))),
            3 => Some(Command::execute(Some("u-1".into()), "answer", None)),
            4 => Some(Command::event(EventFormat::Plain, ["ALL"])),
            _ => None,
        };
        if let Some(command) = command {
            if let Ok(id) = conn.send(command) {
                open.insert(id, true);
            }
        }
        if chunk[0] % 11 == 0 {
            if let Some(id) = open.iter().find(|(_, o)| **o).map(|(id, _)| *id) {
                conn.cancel(id);
            }
        }
        conn.receive(chunk);
        loop {
            match conn.poll_output() {
                Ok(Some(output)) => ended(&output, &mut open),
                Ok(None) => break,
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        let _ = conn.poll_transmit();
        assert!(conn.buffered() <= fuzz_limits().max_buffered() + 97);
        if failed {
            break;
        }
    }
    conn.receive_eof();
    while let Ok(Some(output)) = conn.poll_output() {
        ended(&output, &mut open);
    }
    assert!(
        open.values().all(|still_open| !still_open),
        "requests left open after the connection ended: {open:?}"
    );
}
