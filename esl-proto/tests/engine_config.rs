//! What each setting of a client or an outbound server changes, seen through the engine (a
//! fake clock: plain `Instant` arithmetic) or through what the setting is read by.

mod common;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use esl_proto::client::{
    Action, CallCounters, ClientConfig, Engine, Expect, Incoming, Reconnect, ServerConfig,
    SessionSetup,
};
use esl_proto::server;
use esl_proto::{Command, Event, EventFormat};

use common::engine::{actions, sent};

type TestEngine = Engine<&'static str, (), ()>;

const SEC: Duration = Duration::from_secs(1);

fn ready(config: ClientConfig, now: Instant) -> TestEngine {
    common::engine::ready(config, now)
}

#[test]
fn a_request_sent_as_it_comes_waits_what_its_command_calls_for() {
    let config = ClientConfig::password("ClueCon")
        .request_timeout(10 * SEC)
        .job_timeout(100 * SEC)
        .execute_timeout(1000 * SEC);
    let t0 = Instant::now();
    let hangup = Command::hangup(Some("u1".into()), None);
    let cases = [
        (Command::bgapi("status"), 100 * SEC),
        (
            Command::execute(Some("u1".into()), "answer", None),
            1000 * SEC,
        ),
        (hangup, 10 * SEC),
        (Command::api("status"), 10 * SEC),
    ];
    for (command, wait) in cases {
        assert_eq!(config.timeout_for(&command), wait, "{command:?}");
        let mut engine = ready(config.clone(), t0);
        engine
            .send(t0, command, Expect::Any, None, "caller")
            .unwrap();
        assert_eq!(engine.poll_timeout(), Some(t0 + wait));
    }
}

#[test]
fn the_reconnect_policy_builders_shape_the_schedule() {
    let policy = Reconnect::default()
        .initial(2 * SEC)
        .multiplier(3.0)
        .max(20 * SEC)
        .jitter(0.5)
        .max_attempts(Some(4));
    assert_eq!(policy.max_attempts, Some(4));
    // 2 s, then three times longer each attempt, capped at 20 s.
    assert_eq!(policy.delay_with(0, 0.5), 2 * SEC);
    assert_eq!(policy.delay_with(1, 0.5), 6 * SEC);
    assert_eq!(policy.delay_with(2, 0.5), 18 * SEC);
    assert_eq!(policy.delay_with(3, 0.5), 20 * SEC);
    // Spread by half either way.
    assert_eq!(policy.delay_with(0, 0.0), SEC);
    assert_eq!(policy.delay_with(1, 1.0), 9 * SEC);
}

#[test]
fn a_reconnecting_config_keeps_its_policy_or_takes_the_default() {
    let own = Reconnect::default().initial(7 * SEC);
    let config = ClientConfig::password("x")
        .reconnect(own.clone())
        .reconnecting();
    assert_eq!(config.reconnect, Some(own));
    let config = ClientConfig::password("x").reconnecting();
    assert_eq!(config.reconnect, Some(Reconnect::default()));
}

#[test]
fn by_default_an_event_stream_holds_sixteen_thousand_events_when_bytes_allow() {
    let t0 = Instant::now();
    // The count bound alone: small events reach the default byte bound (2 MiB) first.
    let mut engine = ready(
        ClientConfig::password("ClueCon").event_bytes(usize::MAX),
        t0,
    );
    let stream = engine.open_stream(());
    let event = server::encode_event(&Event::builder("HEARTBEAT").build(), EventFormat::Plain);
    let burst: Vec<u8> = event
        .iter()
        .copied()
        .cycle()
        .take(event.len() * 16 * 1024)
        .collect();
    engine.receive(t0, &burst);
    assert_eq!(engine.dropped(stream), 0);
    engine.receive(t0, &event);
    assert_eq!(engine.dropped(stream), 1);
    // One drain moves at most DRAIN_BYTES: drain until nothing is left.
    let mut items = VecDeque::new();
    let mut events = 0;
    loop {
        engine.drain(stream, &mut items, usize::MAX);
        if items.is_empty() {
            break;
        }
        events += items
            .drain(..)
            .filter(|i| matches!(i, Incoming::Event(_)))
            .count();
    }
    assert_eq!(events, 16 * 1024);
}

#[test]
fn the_session_setup_sends_only_what_it_is_told_to() {
    let t0 = Instant::now();
    let channel = Event::builder("CHANNEL_DATA")
        .header("Unique-ID", "call-1")
        .build();
    let cases = [
        (
            SessionSetup::default().myevents(false),
            vec![Command::Linger { seconds: None }],
        ),
        (
            SessionSetup::default().linger(false),
            vec![Command::MyEvents {
                uuid: None,
                format: None,
            }],
        ),
        (
            SessionSetup::default().myevents(false).linger(false),
            vec![],
        ),
    ];
    for (setup, expected) in cases {
        let config = ServerConfig::default().setup(setup);
        assert_eq!(config.setup, setup);
        let mut engine = TestEngine::outbound(&config, t0);
        assert_eq!(sent(&mut engine), [Command::Connect]);
        engine.receive(t0, &server::encode_connect_reply(&channel, true, true));
        assert_eq!(sent(&mut engine), expected, "{setup:?}");
        for _ in &expected {
            engine.receive(t0, &server::encode_command_reply("+OK"));
        }
        assert!(matches!(&actions(&mut engine)[..], [Action::Ready(_)]));
    }
}

#[test]
fn a_server_admits_calls_up_to_its_limit() {
    let config = ServerConfig::default().max_calls(2);
    let counters = CallCounters::default();
    assert!(counters.admit(config.max_calls));
    assert!(counters.admit(config.max_calls));
    assert!(!counters.admit(config.max_calls));
    counters.ended();
    assert!(counters.admit(config.max_calls));
    assert_eq!(
        (counters.active(), counters.handled(), counters.rejected()),
        (2, 3, 1)
    );
    counters.refused();
    assert_eq!(counters.rejected(), 2);
    counters.stop();
    assert!(counters.is_stopping());
    counters.ended();
    assert!(!counters.admit(config.max_calls), "no call once stopping");
    assert_eq!((counters.active(), counters.rejected()), (1, 3));
}

#[test]
fn a_session_takes_its_timeouts_from_the_servers_session_config() {
    let t0 = Instant::now();
    let session = ClientConfig::password("").connect_timeout(3 * SEC);
    let config = ServerConfig::default().session(session);
    let mut engine = TestEngine::outbound(&config, t0);
    assert_eq!(
        engine.poll_timeout(),
        Some(t0 + 3 * SEC),
        "connect answered in time"
    );
    engine.handle_timeout(t0 + 3 * SEC);
    assert!(matches!(
        actions(&mut engine).last(),
        Some(Action::Finished(Err(_)))
    ));
}

/// The defaults the documentation states.
#[test]
fn the_documented_defaults() {
    let client = ClientConfig::password("x");
    assert_eq!(client.event_capacity, 16 * 1024);
    assert_eq!(client.event_bytes, 2 * 1024 * 1024);
    let server = ServerConfig::default();
    assert_eq!(server.max_calls, 10_000);
    assert_eq!(server.session.event_capacity, 1024);
    assert_eq!(server.session.event_bytes, 1024 * 1024);
}
