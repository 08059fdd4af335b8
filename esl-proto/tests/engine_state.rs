//! What the engine says about itself (ready, closing, its subscriptions, its counters) at each
//! point of its life, on a fake clock (plain `Instant` arithmetic).

mod common;

use std::time::{Duration, Instant};

use esl_proto::client::{ClientConfig, Engine, Expect, Reconnect, ServerConfig};
use esl_proto::server;
use esl_proto::{Command, Event, EventFormat};

use common::engine::{actions, sent};

type TestEngine = Engine<&'static str, (), ()>;

const SEC: Duration = Duration::from_secs(1);

fn config() -> ClientConfig {
    ClientConfig::password("ClueCon")
        .request_timeout(10 * SEC)
        .connect_timeout(5 * SEC)
        .seed(3)
}

fn reconnecting() -> ClientConfig {
    config().reconnect(Reconnect::default().initial(SEC).jitter(0.0))
}

fn authenticate(engine: &mut TestEngine, now: Instant) {
    engine.receive(now, &server::encode_auth_request());
    engine.receive(now, &server::encode_command_reply("+OK accepted"));
}

fn ready(config: ClientConfig, now: Instant) -> TestEngine {
    common::engine::ready(config, now)
}

/// `(ready, closing, finished)`
fn standing(engine: &TestEngine) -> (bool, bool, bool) {
    (engine.is_ready(), engine.is_closing(), engine.is_finished())
}

#[test]
fn an_inbound_engine_is_ready_between_its_handshake_and_its_close() {
    let t0 = Instant::now();
    let mut engine = TestEngine::inbound(config(), t0);
    assert_eq!(standing(&engine), (false, false, false));
    engine.poll_action();
    engine.connected(t0);
    assert_eq!(standing(&engine), (false, false, false), "not before auth");
    authenticate(&mut engine, t0);
    assert_eq!(standing(&engine), (true, false, false));
    engine.close(t0);
    assert_eq!(standing(&engine), (false, true, false));
    engine.receive(t0, &server::encode_command_reply("+OK bye"));
    assert_eq!(standing(&engine), (false, false, true));
}

#[test]
fn an_outbound_session_is_not_ready_before_its_setup_is_accepted() {
    let t0 = Instant::now();
    let mut engine = TestEngine::outbound(&ServerConfig::default(), t0);
    let channel = Event::builder("CHANNEL_DATA")
        .header("Unique-ID", "call-1")
        .build();
    engine.receive(t0, &server::encode_connect_reply(&channel, true, true));
    assert_eq!(engine.session_uuid(), Some("call-1"));
    assert!(
        !engine.is_ready(),
        "connected, but myevents and linger are not accepted yet"
    );
    engine.receive(t0, &server::encode_command_reply("+OK"));
    engine.receive(t0, &server::encode_command_reply("+OK"));
    assert!(engine.is_ready());
}

#[test]
fn the_subscriptions_are_the_accepted_ones_and_survive_a_lost_connection() {
    let t0 = Instant::now();
    let mut engine = ready(reconnecting(), t0);
    let names = |engine: &TestEngine| -> Vec<String> {
        engine.subscriptions().events().map(str::to_owned).collect()
    };
    assert!(names(&engine).is_empty());
    let subscribe = Command::event(EventFormat::Plain, ["HEARTBEAT"]);
    engine
        .send(t0, subscribe.clone(), Expect::Reply, None, "sub")
        .unwrap();
    assert!(
        names(&engine).is_empty(),
        "not before the switch accepted it"
    );
    engine.receive(
        t0,
        &server::encode_command_reply("+OK event listener enabled plain"),
    );
    assert_eq!(names(&engine), ["HEARTBEAT"]);
    // Lost: while away, and while the next connection replays it, it is still there.
    engine.receive_eof(t0);
    actions(&mut engine);
    assert_eq!(names(&engine), ["HEARTBEAT"]);
    engine.handle_timeout(t0 + SEC);
    engine.connected(t0 + SEC);
    authenticate(&mut engine, t0 + SEC);
    assert_eq!(names(&engine), ["HEARTBEAT"]);
    assert_eq!(sent(&mut engine)[1..], [subscribe]);
    engine.receive(
        t0 + SEC,
        &server::encode_command_reply("+OK event listener enabled plain"),
    );
    assert_eq!(names(&engine), ["HEARTBEAT"]);
    // And what is added on the new connection shows at once.
    engine
        .send(
            t0 + SEC,
            Command::event(EventFormat::Plain, ["CUSTOM"]),
            Expect::Reply,
            None,
            "more",
        )
        .unwrap();
    engine.receive(
        t0 + SEC,
        &server::encode_command_reply("+OK event listener enabled plain"),
    );
    assert_eq!(names(&engine), ["CUSTOM", "HEARTBEAT"]);
}

#[test]
fn the_librarys_own_subscriptions_are_listed_while_a_job_needs_them() {
    let t0 = Instant::now();
    let mut engine = ready(config(), t0);
    assert!(engine.library_subscriptions().is_empty());
    let job = engine
        .send(t0, Command::bgapi("status"), Expect::Job, None, "job")
        .unwrap();
    assert_eq!(engine.library_subscriptions(), ["BACKGROUND_JOB"]);
    engine.cancel(job.id);
    assert!(engine.library_subscriptions().is_empty());
}

#[test]
fn the_counters_count_requests_events_and_reconnections() {
    let t0 = Instant::now();
    let mut engine = ready(reconnecting(), t0);
    assert_eq!((engine.pending_requests(), engine.reconnects()), (0, 0));
    engine
        .send(t0, Command::api("a"), Expect::Api, None, "a")
        .unwrap();
    engine
        .send(t0, Command::api("b"), Expect::Api, None, "b")
        .unwrap();
    assert_eq!(engine.pending_requests(), 2);
    engine.receive(t0, &server::encode_api_response(b"A"));
    assert_eq!(engine.pending_requests(), 1);
    let events = engine.stats().events;
    let beat = Event::builder("HEARTBEAT").build();
    engine.receive(t0, &server::encode_event(&beat, EventFormat::Plain));
    assert_eq!(engine.stats().events, events + 1);
    assert_eq!(
        engine.stats().messages,
        4,
        "auth request, auth reply, api reply, event"
    );
}

#[test]
fn the_configuration_and_the_debug_view_say_what_the_engine_is() {
    let t0 = Instant::now();
    let engine = ready(config(), t0);
    assert_eq!(engine.config().request_timeout, 10 * SEC);
    let view = format!("{engine:?}");
    assert!(view.starts_with("Engine"), "{view}");
    assert!(
        view.contains("Inbound") && view.contains("reconnects: 0"),
        "{view}"
    );
}
