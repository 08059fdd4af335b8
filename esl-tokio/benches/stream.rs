//! Events through the public event stream, and api round trips, over loopback TCP against the
//! simulated switch replaying recorded events as fast as the socket takes them.
//!
//! `cargo bench -p esl-tokio --bench stream`, then `python3 esl-proto/benches/summary.py`.
//!
//! Each group has a ceiling measured in the same run: a bare `std::net` reader that only
//! splits the byte stream into messages with memchr (no header parsing, no events), and a
//! bare request/reply loop for api calls.
//!
//! # What limits the event stream
//!
//! Profiled with `perf`, the connection's driver is the busy side (about three quarters of
//! the samples): a third of its time is indexing header blocks, the rest is socket reads,
//! the copy into the framer, buffer page faults and header lookups; the consumer is mostly
//! idle. Indexing on the consumer's side, on first access (with the core checking limits by a
//! vectorised line count and reading `Event-Name` from the first line), would balance the two
//! and is the next step towards 800k plain events/s. The 64-caller api figure is bounded by
//! the simulated switch, which answers one command at a time per connection: see its
//! pipelined ceiling.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use esl_sim::SimSwitch;
use esl_tests::fixtures;
use esl_tokio::esl_proto::{ContentType, Framer, Limits, Message};
use esl_tokio::{ClientConfig, Incoming};

/// The event messages of a capture, byte for byte, and how many there are.
fn recorded_events(capture: &str) -> (Bytes, usize) {
    let from = fixtures::load(capture).from_switch();
    let mut framer = Framer::new(Limits::default());
    framer.push(&from);
    let mut out = Vec::new();
    let mut count = 0;
    let mut offset = 0;
    while let Some(frame) = framer.next_frame().unwrap() {
        let end = from.len() - framer.buffered();
        if matches!(
            Message::from(frame).content_type(),
            ContentType::EventPlain | ContentType::EventJson | ContentType::EventXml
        ) {
            out.extend_from_slice(&from[offset..end]);
            count += 1;
        }
        offset = end;
    }
    (Bytes::from(out), count)
}

/// A bare reader: authenticate, ask for `rounds` blasts, split messages with memchr only.
fn ceiling(switch: &SimSwitch, rounds: usize, expect: usize) -> Duration {
    let mut socket = TcpStream::connect(switch.addr()).unwrap();
    socket.set_nodelay(true).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    let mut messages = 0usize;
    // Greeting, auth reply, api reply, then the events.
    let target = expect + 3;
    socket.write_all(b"auth ClueCon\n\n").unwrap();
    socket
        .write_all(format!("api sim_blast {rounds}\n\n").as_bytes())
        .unwrap();
    let start = Instant::now();
    while messages < target {
        let n = socket.read(&mut buf).unwrap();
        assert!(n > 0, "switch closed");
        pending.extend_from_slice(&buf[..n]);
        let mut at = 0;
        while let Some(end) = memchr::memmem::find(&pending[at..], b"\n\n") {
            let head = &pending[at..at + end];
            let length = memchr::memmem::find(head, b"Content-Length: ")
                .map(|i| {
                    let digits = &head[i + 16..];
                    let stop = memchr::memchr(b'\n', digits).unwrap_or(digits.len());
                    std::str::from_utf8(&digits[..stop])
                        .unwrap()
                        .parse::<usize>()
                        .unwrap()
                })
                .unwrap_or(0);
            let total = end + 2 + length;
            if at + total > pending.len() {
                break;
            }
            at += total;
            messages += 1;
        }
        pending.drain(..at);
    }
    start.elapsed()
}

fn through_client(
    runtime: &tokio::runtime::Runtime,
    switch: &SimSwitch,
    rounds: usize,
    expect: usize,
) -> Duration {
    runtime.block_on(async {
        let client = esl_tokio::connect_with(
            &switch.addr().to_string(),
            ClientConfig::password("ClueCon"),
        )
        .await
        .unwrap();
        let mut events = client.events();
        let start = Instant::now();
        client.api(&format!("sim_blast {rounds}")).await.unwrap();
        let mut seen = 0;
        while seen < expect {
            match events.recv().await.unwrap() {
                Incoming::Event(event) => {
                    std::hint::black_box(event.name());
                    seen += 1;
                }
                Incoming::Gap(gap) => panic!("events lost: {gap:?}"),
                _ => {}
            }
        }
        let elapsed = start.elapsed();
        assert_eq!(events.dropped(), 0);
        drop(client);
        elapsed
    })
}

fn events(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    for (label, capture, rounds) in [
        ("stream-plain", "inbound_events_plain", 40),
        ("stream-json", "inbound_events_json", 40),
        ("stream-big-72KB", "inbound_big_event", 40),
    ] {
        let switch = SimSwitch::start();
        let (stream, count) = recorded_events(capture);
        switch.set_blast(stream.clone());
        let expect = count * rounds;
        let mut group = c.benchmark_group(label);
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(8));
        for (unit, throughput) in [
            ("events", Throughput::Elements(expect as u64)),
            ("bytes", Throughput::Bytes((stream.len() * rounds) as u64)),
        ] {
            group.throughput(throughput);
            group.bench_function(BenchmarkId::new("memchr-ceiling", unit), |b| {
                b.iter_custom(|iters| (0..iters).map(|_| ceiling(&switch, rounds, expect)).sum())
            });
            group.bench_function(BenchmarkId::new("client-event-stream", unit), |b| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| through_client(&runtime, &switch, rounds, expect))
                        .sum()
                })
            });
        }
        group.finish();
    }
}

/// A bare request/reply loop: the ceiling for one caller.
fn bare_api(switch: &SimSwitch, calls: usize) -> Duration {
    let mut socket = TcpStream::connect(switch.addr()).unwrap();
    socket.set_nodelay(true).unwrap();
    let mut buf = vec![0u8; 4096];
    let mut read_until = |socket: &mut TcpStream, need: usize| {
        let mut seen = 0;
        let mut tail: Vec<u8> = Vec::new();
        while seen < need {
            let n = socket.read(&mut buf).unwrap();
            tail.extend_from_slice(&buf[..n]);
            seen += memchr::memmem::find_iter(&tail, b"\n\n").count();
            let keep = tail.len().saturating_sub(1);
            tail.drain(..keep);
        }
    };
    socket.write_all(b"auth ClueCon\n\n").unwrap();
    read_until(&mut socket, 2);
    let start = Instant::now();
    for _ in 0..calls {
        socket.write_all(b"api eval x\n\n").unwrap();
        // api/response header block; its one-byte body follows in the same read.
        read_until(&mut socket, 1);
    }
    start.elapsed()
}

/// A bare pipelined loop: `depth` commands written at once, then their replies read; the
/// ceiling for many callers (what the simulated switch can answer on one connection).
fn bare_pipelined(switch: &SimSwitch, calls: usize, depth: usize) -> Duration {
    let mut socket = TcpStream::connect(switch.addr()).unwrap();
    socket.set_nodelay(true).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut read_replies = |socket: &mut TcpStream, need: usize| {
        // Each api/response is a header block and a body without a blank line.
        let mut seen = 0;
        let mut tail: Vec<u8> = Vec::new();
        while seen < need {
            let n = socket.read(&mut buf).unwrap();
            tail.extend_from_slice(&buf[..n]);
            seen += memchr::memmem::find_iter(&tail, b"\n\n").count();
            let keep = tail.len().saturating_sub(1);
            tail.drain(..keep);
        }
    };
    socket.write_all(b"auth ClueCon\n\n").unwrap();
    read_replies(&mut socket, 2);
    let batch = b"api eval x\n\n".repeat(depth);
    let start = Instant::now();
    for _ in 0..calls / depth {
        socket.write_all(&batch).unwrap();
        read_replies(&mut socket, depth);
    }
    start.elapsed()
}

fn api(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let switch = SimSwitch::start();
    let client = runtime
        .block_on(esl_tokio::connect_with(
            &switch.addr().to_string(),
            ClientConfig::password("ClueCon"),
        ))
        .unwrap();
    let mut group = c.benchmark_group("api");
    group.sample_size(10);
    let calls = 2048;
    group.throughput(Throughput::Elements(calls as u64));
    group.bench_function("1-caller/bare-loop-ceiling", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| bare_api(&switch, calls)).sum())
    });
    group.bench_function("1-caller/client", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters * calls as u64 {
                    std::hint::black_box(client.api("eval x").await.unwrap());
                }
                start.elapsed()
            })
        })
    });
    // The caller as a task on the runtime, as most applications run it: no thread hand-off
    // between the caller and the connection's driver.
    group.bench_function("1-caller/client-task", |b| {
        b.iter_custom(|iters| {
            let client = client.clone();
            runtime.block_on(async move {
                tokio::spawn(async move {
                    let start = Instant::now();
                    for _ in 0..iters * calls as u64 {
                        std::hint::black_box(client.api("eval x").await.unwrap());
                    }
                    start.elapsed()
                })
                .await
                .unwrap()
            })
        })
    });
    group.bench_function("64-callers/bare-pipelined-ceiling", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| bare_pipelined(&switch, calls, 64)).sum())
    });
    group.bench_function("64-callers/client", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let tasks: Vec<_> = (0..64)
                        .map(|caller| {
                            let client = client.clone();
                            tokio::spawn(async move {
                                // Each caller's replies are its own: zero handed to another.
                                for call in 0..calls / 64 {
                                    let text = format!("{caller}-{call}");
                                    assert_eq!(
                                        client.api(&format!("eval {text}")).await.unwrap(),
                                        text
                                    );
                                }
                            })
                        })
                        .collect();
                    for task in tasks {
                        task.await.unwrap();
                    }
                }
                start.elapsed()
            })
        })
    });
    group.finish();
}

criterion_group!(benches, events, api);
criterion_main!(benches);
