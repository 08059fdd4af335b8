//! The parse path allocates per message, never per header: an event with 200 headers costs
//! as many allocations as one with 10.
#![allow(unsafe_code)] // a counting global allocator; the core itself forbids unsafe code

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::Bytes;
use esl_proto::{server, Auth, Connection, Event, EventFormat, Limits, Output};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        unsafe { System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn counted<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (out, ALLOCATIONS.with(Cell::get) - before)
}

fn event_with(headers: usize) -> Event {
    let mut builder = Event::builder("CHANNEL_CREATE").header("Unique-ID", "u-1");
    for i in 0..headers {
        builder = builder.header(format!("variable_v{i}"), format!("value number {i}: a%b"));
    }
    builder.build()
}

#[test]
fn parsing_a_plain_event_allocates_the_same_for_10_or_200_headers() {
    let mut counts = Vec::new();
    for headers in [10, 200] {
        let body = event_with(headers).encode_body(EventFormat::Plain);
        let (event, allocations) =
            counted(|| Event::parse(EventFormat::Plain, &body, &Limits::default()));
        assert_eq!(event.unwrap().headers().len(), headers + 2);
        counts.push(allocations);
    }
    assert_eq!(counts[0], counts[1], "allocations: {counts:?}");
    assert!(counts[0] <= 2, "{counts:?}");
}

#[test]
fn receiving_an_event_through_the_connection_allocates_per_message_not_per_header() {
    let mut counts = Vec::new();
    for headers in [10, 200] {
        let wire = server::encode_event(&event_with(headers), EventFormat::Plain);
        let mut conn = Connection::inbound(Auth::Manual);
        // Warm the connection's buffers with one event first.
        conn.receive(&wire);
        while let Ok(Some(_)) = conn.poll_output() {}
        let (found, allocations) = counted(|| {
            conn.receive(&wire);
            let mut found = 0;
            while let Ok(Some(output)) = conn.poll_output() {
                if let Output::Event(event) = output {
                    found += event.headers().len();
                }
            }
            found
        });
        assert_eq!(found, headers + 2);
        counts.push(allocations);
    }
    assert_eq!(counts[0], counts[1], "allocations: {counts:?}");
}

#[test]
fn reading_values_that_need_no_decoding_does_not_allocate() {
    let body = Bytes::from_static(b"Event-Name: HEARTBEAT\nUnique-ID: abc\nCore-UUID: def\n\n");
    let event = Event::parse(EventFormat::Plain, &body, &Limits::default()).unwrap();
    // The index is built on the first access (see the test below); reading values after it
    // allocates nothing.
    assert_eq!(event.headers().len(), 3);
    let (total, allocations) = counted(|| {
        event.name();
        event
            .headers()
            .iter()
            .map(|(_, v)| v.decoded().len())
            .sum::<usize>()
    });
    assert_eq!(total, 9 + 3 + 3);
    assert_eq!(allocations, 0);
}

#[test]
fn a_plain_event_is_indexed_once_on_first_access_and_its_name_needs_no_index() {
    let mut counts = Vec::new();
    for headers in [10, 200] {
        let body = event_with(headers).encode_body(EventFormat::Plain);
        let event = Event::parse(EventFormat::Plain, &body, &Limits::default()).unwrap();
        // `Event-Name` is the first line: read without indexing, nothing allocated.
        let (name, allocations) = counted(|| event.name());
        assert_eq!(name.as_str(), "CHANNEL_CREATE");
        assert_eq!(allocations, 0);
        let (found, allocations) = counted(|| {
            let headers = event.headers();
            let found = headers.get("Unique-ID").map_or(0, |u| u.raw().len());
            found
                + headers.len()
                + headers
                    .get_prefixed("variable_", "v1")
                    .map_or(0, |v| v.raw().len())
        });
        assert!(found > 0);
        counts.push(allocations);
    }
    assert_eq!(counts, [1, 1], "one index per event, whatever its size");
}

/// A 72 KB event in 64 KiB reads, as an adapter feeds it.
fn feed_big_event(framer: &mut esl_proto::Framer, wire: &[u8]) -> esl_proto::Frame {
    let mut frame = None;
    for chunk in wire.chunks(64 * 1024) {
        framer.push(chunk);
        if let Some(f) = framer.next_frame().unwrap() {
            frame = Some(f);
        }
    }
    frame.expect("one frame per event")
}

#[test]
fn the_framer_reuses_its_buffers_once_the_frames_cut_from_them_are_gone() {
    let event = event_with(2_000);
    let wire = server::encode_event(&event, EventFormat::Plain);
    assert!(wire.len() > 64 * 1024);
    let mut framer = esl_proto::Framer::new(Limits::default());
    // Consumed at once: one buffer serves every event.
    for _ in 0..3 {
        drop(feed_big_event(&mut framer, &wire));
    }
    let (_, allocations) = counted(|| {
        for _ in 0..10 {
            drop(feed_big_event(&mut framer, &wire));
        }
    });
    assert_eq!(allocations, 0);
    // Consumed one event late: the spare buffers take turns.
    let mut held = feed_big_event(&mut framer, &wire);
    for _ in 0..3 {
        held = feed_big_event(&mut framer, &wire);
    }
    let (_, allocations) = counted(|| {
        for _ in 0..10 {
            let next = feed_big_event(&mut framer, &wire);
            drop(std::mem::replace(&mut held, next));
        }
    });
    assert_eq!(allocations, 0);
    assert_eq!(held.headers.buffer().len() + held.body.len(), wire.len());
}

#[test]
fn a_consumer_an_event_streams_worth_behind_that_catches_up_in_bursts_costs_no_allocation() {
    let event = event_with(2_000);
    let wire = server::encode_event(&event, EventFormat::Plain);
    // What an event stream holds by default before it pushes back: 2 MiB of events.
    let behind = 2 * 1024 * 1024 / wire.len();
    let mut framer = esl_proto::Framer::new(Limits::default());
    let mut held = Vec::with_capacity(behind);
    let mut burst = |framer: &mut esl_proto::Framer| {
        for _ in 0..behind {
            held.push(feed_big_event(framer, &wire));
        }
        held.clear();
    };
    burst(&mut framer);
    let (_, allocations) = counted(|| {
        for _ in 0..5 {
            burst(&mut framer);
        }
    });
    assert_eq!(allocations, 0, "{behind} events held at a time");
}

#[test]
fn an_outbound_sessions_channel_data_is_kept_once() {
    let mut conn = Connection::outbound();
    conn.poll_transmit().expect("connect goes out");
    let channel_data = event_with(200);
    conn.receive(&server::encode_connect_reply(&channel_data, false, false));
    let Ok(Some(Output::Ready(ready))) = conn.poll_output() else {
        panic!("ready");
    };
    let channel = ready.channel.as_ref().expect("channel data");
    assert_eq!(channel.unique_id().as_deref(), Some("u-1"));
    // The reply and the channel data are the same bytes, and share one index: neither a
    // copy nor an index per holder.
    assert_eq!(
        channel.headers().buffer().as_ptr(),
        ready.reply.headers().buffer().as_ptr()
    );
    let (copy, allocations) = counted(|| {
        let copy = channel.clone();
        assert!(copy.headers().get("variable_v199").is_some());
        copy
    });
    assert_eq!(
        allocations, 0,
        "a copy of the channel data shares its bytes and index"
    );
    assert_eq!(
        copy.header("variable_v199").as_deref(),
        Some("value number 199: a%b")
    );
}
