//! What the unit tests of several modules share: the recorded captures, and random edits of a
//! valid input (for holding a fast path to its general reader on almost-valid input).

// Compiled only under #[cfg(test)] (declared so in lib.rs): unwraps here are test asserts.

use base64::Engine;
use bytes::Bytes;
use proptest::prelude::*;

use crate::{Framer, Limits};

/// The bodies of the messages of `content_type` in a capture, as FreeSWITCH sent them.
pub(crate) fn recorded_bodies(capture: &str, content_type: &str) -> Vec<Bytes> {
    let path = format!(
        "{}/../fixtures/freeswitch/{capture}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut stream = Vec::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let chunk: serde_json::Value = serde_json::from_str(line).unwrap();
        if chunk["dir"] == "from_switch" {
            let b64 = chunk["b64"].as_str().unwrap();
            let engine = base64::engine::general_purpose::STANDARD;
            stream.extend(engine.decode(b64).unwrap());
        }
    }
    let mut framer = Framer::new(Limits::default());
    framer.push(&stream);
    let mut bodies = Vec::new();
    while let Some(frame) = framer.next_frame().unwrap() {
        if frame.headers.text("Content-Type").as_deref() == Some(content_type) {
            bodies.push(frame.body);
        }
    }
    assert!(!bodies.is_empty(), "{capture} has no {content_type}");
    bodies
}

/// One edit of a byte string.
#[derive(Debug, Clone)]
pub(crate) enum Edit {
    Insert(prop::sample::Index, u8),
    Replace(prop::sample::Index, u8),
    Remove(prop::sample::Index),
    Truncate(prop::sample::Index),
}

/// Edits that insert or write bytes from `interesting` (three times in four) or any byte.
pub(crate) fn edit(interesting: &'static [u8]) -> impl Strategy<Value = Edit> {
    let byte = prop_oneof![
        3 => prop::sample::select(interesting.to_vec()),
        1 => any::<u8>(),
    ];
    prop_oneof![
        (any::<prop::sample::Index>(), byte.clone()).prop_map(|(at, b)| Edit::Insert(at, b)),
        (any::<prop::sample::Index>(), byte).prop_map(|(at, b)| Edit::Replace(at, b)),
        any::<prop::sample::Index>().prop_map(Edit::Remove),
        any::<prop::sample::Index>().prop_map(Edit::Truncate),
    ]
}

/// `body` with `edits` applied in order.
pub(crate) fn apply(mut body: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for edit in edits {
        match edit {
            Edit::Insert(at, b) => body.insert(at.index(body.len() + 1), *b),
            Edit::Replace(at, b) if !body.is_empty() => {
                let at = at.index(body.len());
                body[at] = *b;
            }
            Edit::Remove(at) if !body.is_empty() => {
                body.remove(at.index(body.len()));
            }
            Edit::Truncate(at) => body.truncate(at.index(body.len() + 1)),
            _ => {}
        }
    }
    body
}
