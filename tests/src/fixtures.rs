//! The recorded captures (`fixtures/freeswitch/*.jsonl`): one JSON object per TCP chunk,
//! `{"dir": "from_switch" | "to_switch", "t": seconds, "b64": bytes}`.

use std::path::PathBuf;

use base64::Engine;
use bytes::Bytes;

/// Which way a chunk went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Sent by FreeSWITCH.
    FromSwitch,
    /// Sent by the client.
    ToSwitch,
}

/// One `recv()` (from the switch) or one `sendall()` (to it).
#[derive(Debug, Clone)]
pub struct Chunk {
    /// Which way.
    pub dir: Direction,
    /// Seconds since the capture started.
    pub t: f64,
    /// The exact bytes.
    pub bytes: Bytes,
}

/// One scenario.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The file name without extension (`inbound_bgapi`).
    pub name: String,
    /// Every chunk in the order seen.
    pub chunks: Vec<Chunk>,
}

impl Capture {
    /// Everything FreeSWITCH sent, concatenated.
    pub fn from_switch(&self) -> Vec<u8> {
        self.joined(Direction::FromSwitch)
    }

    /// Everything the client sent, concatenated.
    pub fn to_switch(&self) -> Vec<u8> {
        self.joined(Direction::ToSwitch)
    }

    /// The chunks going one way.
    pub fn chunks(&self, dir: Direction) -> impl Iterator<Item = &Chunk> {
        self.chunks.iter().filter(move |c| c.dir == dir)
    }

    fn joined(&self, dir: Direction) -> Vec<u8> {
        self.chunks(dir)
            .flat_map(|c| c.bytes.iter().copied())
            .collect()
    }
}

/// The directory holding the captures: `$ESL_FIXTURES`, or `fixtures/freeswitch` at the
/// root of the workspace.
pub fn dir() -> PathBuf {
    match std::env::var_os("ESL_FIXTURES") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/freeswitch"),
    }
}

/// The names of every capture, sorted.
pub fn names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap_or_else(|e| panic!("fixtures at {}: {e}", dir().display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "jsonl").then(|| path.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    names.sort();
    names
}

/// Loads one capture by name. Panics with the reason if it cannot (a test fixture).
pub fn load(name: &str) -> Capture {
    let path = dir().join(format!("{name}.jsonl"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let chunks = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{name}: bad line {line:?}: {e}"));
            let dir = match value["dir"].as_str() {
                Some("from_switch") => Direction::FromSwitch,
                Some("to_switch") => Direction::ToSwitch,
                other => panic!("{name}: bad dir {other:?}"),
            };
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(value["b64"].as_str().unwrap_or_default())
                .unwrap_or_else(|e| panic!("{name}: bad base64: {e}"));
            Chunk {
                dir,
                t: value["t"].as_f64().unwrap_or_default(),
                bytes: Bytes::from(bytes),
            }
        })
        .collect();
    Capture {
        name: name.to_owned(),
        chunks,
    }
}

/// Every capture.
pub fn all() -> Vec<Capture> {
    names().iter().map(|n| load(n)).collect()
}
