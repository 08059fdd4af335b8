//! Decoding the recorded event streams, against the ceiling of a bare pass that only finds
//! every line break with memchr.
//!
//! Run: `cargo bench -p esl-proto --bench decode`. For each capture the stream is its event
//! messages exactly as FreeSWITCH sent them (replies and the greeting left out), repeated to
//! about 4 MB so the numbers are not dominated by one cache-sized buffer.

use std::path::PathBuf;

use base64::Engine;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use esl_proto::{Auth, Connection, ContentType, Framer, Limits, Message, Output};

fn capture_events(name: &str) -> (Vec<u8>, usize) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/freeswitch")
        .join(format!("{name}.jsonl"));
    let text = std::fs::read_to_string(&path).expect("fixture");
    let mut from_switch = Vec::new();
    for line in text.lines() {
        let value: serde_json::Value = serde_json::from_str(line).expect("json line");
        if value["dir"] == "from_switch" {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(value["b64"].as_str().expect("b64"))
                .expect("base64");
            from_switch.extend_from_slice(&bytes);
        }
    }
    // Keep the event messages, byte for byte.
    let mut framer = Framer::new(Limits::default());
    framer.push(&from_switch);
    let mut events = Vec::new();
    let mut count = 0;
    let mut offset = 0;
    let total = from_switch.len();
    while let Some(frame) = framer.next_frame().expect("frames") {
        let end = total - framer.buffered();
        let message = Message::from(frame);
        if matches!(
            message.content_type(),
            ContentType::EventPlain | ContentType::EventJson | ContentType::EventXml
        ) {
            events.extend_from_slice(&from_switch[offset..end]);
            count += 1;
        }
        offset = end;
    }
    let copies = (4 << 20) / events.len().max(1) + 1;
    (events.repeat(copies), count * copies)
}

/// The ceiling: find every LF and nothing else. Each position is visited (summed), as a line
/// splitter must; `Iterator::count` would let memchr count without stopping at each one.
fn memchr_lines(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).fold(0usize, |acc, at| acc.wrapping_add(at))
}

/// Frame and parse every event through the client connection, as an adapter does, in 64 KiB
/// reads; touch the name and the channel of each event so the work cannot be skipped.
fn decode(bytes: &[u8]) -> usize {
    let mut conn = Connection::inbound(Auth::Manual);
    let mut seen = 0;
    for chunk in bytes.chunks(64 * 1024) {
        conn.receive(chunk);
        while let Ok(Some(output)) = conn.poll_output() {
            if let Output::Event(event) = output {
                seen += event.name().as_str().len() + event.unique_id().map_or(0, |u| u.len());
            }
        }
    }
    seen
}

/// As `decode`, and read every header value decoded.
fn decode_all_values(bytes: &[u8]) -> usize {
    let mut conn = Connection::inbound(Auth::Manual);
    let mut seen = 0;
    for chunk in bytes.chunks(64 * 1024) {
        conn.receive(chunk);
        while let Ok(Some(output)) = conn.poll_output() {
            if let Output::Event(event) = output {
                for (_, value) in event.headers().iter() {
                    seen += value.decoded().len();
                }
            }
        }
    }
    seen
}

fn bench(c: &mut Criterion) {
    for (label, capture) in [
        ("plain", "inbound_events_plain"),
        ("json", "inbound_events_json"),
        ("xml", "inbound_events_xml"),
        ("big-72KB", "inbound_big_event"),
    ] {
        let (bytes, events) = capture_events(capture);
        let mut group = c.benchmark_group(label);
        group.sample_size(20);
        for (unit, throughput) in [
            ("bytes", Throughput::Bytes(bytes.len() as u64)),
            ("events", Throughput::Elements(events as u64)),
        ] {
            group.throughput(throughput);
            group.bench_with_input(
                BenchmarkId::new("memchr-ceiling", unit),
                &bytes,
                |b, bytes| b.iter(|| memchr_lines(std::hint::black_box(bytes))),
            );
            group.bench_with_input(BenchmarkId::new("decode", unit), &bytes, |b, bytes| {
                b.iter(|| decode(std::hint::black_box(bytes)))
            });
            group.bench_with_input(
                BenchmarkId::new("decode+read-all-values", unit),
                &bytes,
                |b, bytes| b.iter(|| decode_all_values(std::hint::black_box(bytes))),
            );
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
