//! Event streams as the engine keeps them: what each stream holds, who is woken, the end of a
//! stream, and a consumer that goes away. No I/O; a fake clock.

mod common;

use std::collections::VecDeque;
use std::time::Instant;

use esl_proto::client::{Action, ClientConfig, Engine, Gap, Incoming, Overflow};
use esl_proto::server::{self};
use esl_proto::{Event, EventFormat};

type TestEngine = Engine<&'static str, (), &'static str>;

fn ready(config: ClientConfig, now: Instant) -> TestEngine {
    common::engine::ready(config, now)
}

fn beat(n: usize) -> Vec<u8> {
    let event = Event::builder("HEARTBEAT")
        .header("n", n.to_string())
        .build();
    server::encode_event(&event, EventFormat::Plain).to_vec()
}

fn woken(engine: &mut TestEngine) -> Vec<&'static str> {
    let mut out = Vec::new();
    engine.take_woken(&mut out);
    out
}

#[test]
fn a_stream_counts_what_waits_in_it() {
    let t0 = Instant::now();
    let mut engine = ready(ClientConfig::password("ClueCon"), t0);
    let stream = engine.open_stream("consumer");
    assert_eq!(engine.queued(stream), 0);
    for n in 0..3 {
        engine.receive(t0, &beat(n));
    }
    assert_eq!(engine.queued(stream), 3);
    let mut items = VecDeque::new();
    let drained = engine.drain(stream, &mut items, 2);
    assert_eq!((drained.items, drained.closed), (2, false));
    assert_eq!(engine.queued(stream), 1);
    let numbers: Vec<_> = items
        .iter()
        .map(|item| {
            item.event()
                .and_then(|e| e.header("n"))
                .map(|n| n.into_owned())
        })
        .collect();
    assert_eq!(numbers, [Some("0".to_owned()), Some("1".to_owned())]);
    assert!(Incoming::Gap(Gap::Lost(1)).event().is_none());
}

#[test]
fn a_consumer_that_goes_away_holds_nothing_back_and_is_not_woken() {
    let t0 = Instant::now();
    let config = ClientConfig::password("ClueCon")
        .event_capacity(1)
        .overflow(Overflow::Backpressure);
    let mut engine = ready(config, t0);
    let gone = engine.open_stream("gone");
    let kept = engine.open_stream("kept");
    engine.receive(t0, &beat(0));
    assert!(!engine.wants_read());
    assert_eq!(woken(&mut engine), ["gone", "kept"]);
    let mut items = VecDeque::new();
    engine.drain(kept, &mut items, 10);
    assert!(!engine.wants_read(), "the other stream is still full");
    engine.close_stream(gone);
    assert!(engine.wants_read());
    assert_eq!(engine.queued(gone), 0);
    engine.receive(t0, &beat(1));
    assert_eq!(woken(&mut engine), ["kept"]);
    let drained = engine.drain(gone, &mut items, 10);
    assert_eq!((drained.items, drained.closed), (0, true));
}

#[test]
fn a_consumer_is_woken_once_per_batch_until_it_takes_the_wakeup() {
    let t0 = Instant::now();
    let mut engine = ready(ClientConfig::password("ClueCon"), t0);
    engine.open_stream("consumer");
    engine.receive(t0, &beat(0));
    engine.receive(t0, &beat(1));
    assert_eq!(woken(&mut engine), ["consumer"]);
    assert!(woken(&mut engine).is_empty());
    engine.receive(t0, &beat(2));
    assert_eq!(woken(&mut engine), ["consumer"]);
}

#[test]
fn an_ended_stream_is_closed_once_it_is_empty() {
    let t0 = Instant::now();
    let mut engine = ready(ClientConfig::password("ClueCon"), t0);
    let stream = engine.open_stream("consumer");
    engine.receive(t0, &beat(0));
    woken(&mut engine);
    engine.abort(t0);
    assert!(matches!(
        std::iter::from_fn(|| engine.poll_action()).last(),
        Some(Action::Finished(Ok(())))
    ));
    assert_eq!(woken(&mut engine), ["consumer"], "woken to see the end");
    let mut items = VecDeque::new();
    let first = engine.drain(stream, &mut items, 0);
    assert_eq!(
        (first.items, first.closed),
        (0, false),
        "an item is still there"
    );
    let last = engine.drain(stream, &mut items, 10);
    assert_eq!((last.items, last.closed), (1, true));
    // A stream opened after the end is ended from the start.
    let late = engine.open_stream("late");
    assert!(woken(&mut engine).contains(&"late"));
    assert!(engine.drain(late, &mut items, 10).closed);
}

#[test]
fn a_stream_opened_on_a_live_engine_is_open_and_one_opened_after_the_end_is_ended() {
    let t0 = Instant::now();
    let mut engine = ready(ClientConfig::password("ClueCon"), t0);
    let live = engine.open_stream("live");
    let mut items = VecDeque::new();
    assert!(!engine.drain(live, &mut items, usize::MAX).closed);
    engine.abort(t0);
    while engine.poll_action().is_some() {}
    assert!(engine.drain(live, &mut items, usize::MAX).closed);
    let late = engine.open_stream("late");
    assert!(engine.drain(late, &mut items, usize::MAX).closed);
}

#[test]
fn a_lost_connection_and_its_return_are_marked_in_every_stream() {
    use esl_proto::client::{Gap, Incoming, Reconnect};
    use std::time::Duration;
    let t0 = Instant::now();
    let config = ClientConfig::password("ClueCon").reconnect(
        Reconnect::default()
            .initial(Duration::from_secs(1))
            .jitter(0.0),
    );
    let mut engine = ready(config, t0);
    let streams = [engine.open_stream("a"), engine.open_stream("b")];
    engine.receive_eof(t0);
    engine.handle_timeout(t0 + Duration::from_secs(1));
    while engine.poll_action().is_some() {}
    engine.connected(t0 + Duration::from_secs(1));
    engine.receive(t0, &server::encode_auth_request());
    engine.receive(t0, &server::encode_command_reply("+OK accepted"));
    while engine.poll_action().is_some() {}
    for stream in streams {
        let mut items = VecDeque::new();
        engine.drain(stream, &mut items, usize::MAX);
        let gaps: Vec<_> = items
            .iter()
            .filter_map(|i| match i {
                Incoming::Gap(g) => Some(*g),
                _ => None,
            })
            .collect();
        assert_eq!(gaps, [Gap::Disconnected, Gap::Reconnected]);
    }
}

#[test]
fn a_backlog_says_its_policy() {
    use esl_proto::client::Backlog;
    for policy in [
        Overflow::DropOldest,
        Overflow::DropNewest,
        Overflow::Backpressure,
    ] {
        assert_eq!(Backlog::new(4, policy).overflow(), policy);
    }
}
