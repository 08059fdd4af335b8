//! The engine's live call table without I/O: what `track` sends, how the listing rebuilds the
//! table, events keeping it current, and a reconnect making it stale until listed again.

mod common;

use std::collections::VecDeque;
use std::io;
use std::time::{Duration, Instant};

use esl_proto::client::{Action, ClientConfig, Engine, Incoming, Reconnect};
use esl_proto::server;
use esl_proto::track::Change;
use esl_proto::{Command, Event, EventFormat};

use common::engine::{actions, handshake, ready, sent};

type TestEngine = Engine<&'static str, &'static str, &'static str>;

const SEC: Duration = Duration::from_secs(1);

fn config() -> ClientConfig {
    ClientConfig::password("ClueCon")
        .seed(5)
        .reconnect(Reconnect::default().initial(SEC).jitter(0.0))
}

const LISTING: &str = r#"{"row_count":1,"rows":[{"uuid":"u1","direction":"inbound","created_epoch":"1700000000","name":"sofia/internal/1000@pbx","state":"CS_EXECUTE","cid_num":"1000","dest":"9196","callstate":"ACTIVE"}]}"#;

/// Answers each command as the switch would: `show channels` with `listing`, the rest `+OK`.
fn answer(engine: &mut TestEngine, now: Instant, commands: &[Command], listing: &str) {
    for command in commands {
        let bytes = match command {
            Command::Api { .. } => server::encode_api_response(listing.as_bytes()),
            _ => server::encode_command_reply("+OK"),
        };
        engine.receive(now, &bytes);
    }
}

fn is_listing(command: &Command) -> bool {
    matches!(command, Command::Api { .. })
        && String::from_utf8_lossy(&command.to_bytes().unwrap()).contains("show channels as json")
}

fn changes(engine: &mut TestEngine, stream: esl_proto::client::StreamId) -> Vec<Change> {
    let mut items = VecDeque::new();
    engine.drain(stream, &mut items, usize::MAX);
    items
        .into_iter()
        .filter_map(|i| match i {
            Incoming::Change(c) => Some(c),
            _ => None,
        })
        .collect()
}

fn destroy(uuid: &str) -> Event {
    Event::builder("CHANNEL_DESTROY")
        .header("Unique-ID", uuid)
        .header("Channel-State", "CS_DESTROY")
        .build()
}

#[test]
fn tracking_lists_the_channels_then_follows_events_and_a_reconnect_makes_it_stale() {
    let t0 = Instant::now();
    let mut engine = TestEngine::inbound(config(), t0);
    actions(&mut engine);
    engine.connected(t0);
    handshake(&mut engine, t0);
    actions(&mut engine);
    assert!(engine.tracker().is_none() && !engine.is_table_stale());

    engine.track(t0);
    let changes_stream = engine.open_change_stream(t0, "changes");
    assert!(engine.is_table_stale(), "not listed yet");
    assert!(engine.tracker().is_some_and(|t| t.channel_count() == 0));
    let written = sent(&mut engine);
    // It subscribes to what the table needs, CHANNEL_DESTROY included, and lists.
    let text: Vec<String> = written
        .iter()
        .map(|c| String::from_utf8_lossy(&c.to_bytes().unwrap()).into_owned())
        .collect();
    assert!(
        text.iter().any(|t| t.contains("CHANNEL_DESTROY")),
        "{text:?}"
    );
    assert!(written.iter().any(is_listing), "{text:?}");
    answer(&mut engine, t0, &written, LISTING);
    actions(&mut engine);
    assert!(!engine.is_table_stale(), "listed");
    let tracker = engine.tracker().unwrap();
    assert_eq!(tracker.channel_count(), 1);
    assert!(tracker.channel("u1").is_some());
    assert!(changes(&mut engine, changes_stream)
        .iter()
        .any(|c| matches!(c, Change::ChannelCreated(u) if u == "u1")));

    // Events keep it current.
    engine.receive(
        t0,
        &server::encode_event(&destroy("u1"), EventFormat::Plain),
    );
    actions(&mut engine);
    assert_eq!(engine.tracker().unwrap().channel_count(), 0);
    assert!(changes(&mut engine, changes_stream)
        .iter()
        .any(|c| matches!(c, Change::ChannelRemoved(ch) if ch.uuid == "u1")));

    // Lost: events may be missed until the next connection lists the channels again.
    engine.receive_error(t0, io::Error::from(io::ErrorKind::ConnectionReset));
    actions(&mut engine);
    assert!(engine.is_table_stale());
    engine.handle_timeout(t0 + SEC);
    assert!(matches!(&actions(&mut engine)[..], [Action::Connect]));
    engine.connected(t0 + SEC);
    let written = handshake(&mut engine, t0 + SEC);
    assert!(written.iter().any(is_listing), "listed again: {written:?}");
    assert!(engine.is_table_stale(), "until the listing arrives");
    answer(&mut engine, t0 + SEC, &written, LISTING);
    actions(&mut engine);
    assert!(!engine.is_table_stale());
    assert!(engine.tracker().unwrap().channel("u1").is_some());
}

#[test]
fn a_listing_the_table_cannot_read_leaves_it_stale() {
    let t0 = Instant::now();
    let mut engine: TestEngine = ready(config(), t0);
    engine.track(t0);
    let written = sent(&mut engine);
    answer(&mut engine, t0, &written, "-ERR no such command");
    actions(&mut engine);
    assert!(engine.is_table_stale());
    assert_eq!(engine.tracker().unwrap().channel_count(), 0);
}

#[test]
fn tracking_twice_changes_nothing() {
    let t0 = Instant::now();
    let mut engine: TestEngine = ready(config(), t0);
    engine.track(t0);
    let first = sent(&mut engine);
    engine.track(t0);
    assert!(sent(&mut engine).is_empty(), "after {first:?}");
}
