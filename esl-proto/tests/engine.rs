//! The client engine without any I/O: a scripted switch on one side, a fake clock (plain
//! `Instant` arithmetic) on the other.

mod common;

use std::collections::VecDeque;
use std::io;
use std::time::{Duration, Instant};

use esl_proto::client::{
    Action, ClientConfig, Engine, Error, Expect, Gap, Incoming, Overflow, Reconnect, ServerConfig,
    RELEASE_AFTER,
};
use esl_proto::server;
use esl_proto::{CloseReason, Command, Event, EventFormat};

use common::engine::{actions, handshake, sent};

type Caller = &'static str;
type TestEngine = Engine<Caller, Caller, Caller>;

const SEC: Duration = Duration::from_secs(1);

fn config() -> ClientConfig {
    ClientConfig::password("ClueCon")
        .request_timeout(10 * SEC)
        .job_timeout(100 * SEC)
        .execute_timeout(1000 * SEC)
        .connect_timeout(5 * SEC)
        .seed(42)
}

/// The results handed out, as `caller: text` or `caller: error`.
fn done(actions: &[Action<Caller, Caller>]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Done(who, Ok(r)) => Some(format!("{who}: {}", r.text().trim_end())),
            Action::Done(who, Err(e)) => Some(format!("{who}: {e}")),
            _ => None,
        })
        .collect()
}

/// An inbound engine past its handshake, at `now`.
fn ready(config: ClientConfig, now: Instant) -> TestEngine {
    let mut engine = TestEngine::inbound(config, now);
    assert!(matches!(engine.poll_action(), Some(Action::Connect)));
    engine.connected(now);
    handshake(&mut engine, now);
    assert!(matches!(&actions(&mut engine)[..], [Action::Ready(_)]));
    engine
}

#[test]
fn each_kind_of_request_has_the_deadline_its_kind_calls_for() {
    let t0 = Instant::now();
    let mut engine = ready(config(), t0);
    engine
        .send(t0, Command::api("status"), Expect::Api, None, "api")
        .unwrap();
    let job = engine
        .send(t0, Command::bgapi("status"), Expect::Job, None, "job")
        .unwrap();
    let job_uuid = job.uuid.clone().expect("the engine chose a Job-UUID");
    engine
        .send(t0, Command::api("x"), Expect::Any, Some(3 * SEC), "custom")
        .unwrap();
    assert_eq!(engine.poll_timeout(), Some(t0 + 3 * SEC));
    engine.handle_timeout(t0 + 3 * SEC);
    assert_eq!(done(&actions(&mut engine)), ["custom: no reply within 3s"]);
    // The api is answered; the job is accepted: its wait is now the job timeout from then.
    engine.receive(t0 + 4 * SEC, &server::encode_api_response(b"UP"));
    engine.receive(
        t0 + 4 * SEC,
        &server::encode_command_reply("+OK event listener enabled plain"),
    );
    engine.receive(t0 + 4 * SEC, &server::encode_bgapi_reply(&job_uuid));
    // The timed-out request's reply comes late: consumed, given to nobody.
    engine.receive(t0 + 4 * SEC, &server::encode_api_response(b"late"));
    let out = actions(&mut engine);
    assert_eq!(done(&out), ["api: UP"]);
    assert!(out.iter().any(|a| matches!(a, Action::Accepted("job"))));
    assert_eq!(engine.poll_timeout(), Some(t0 + 104 * SEC));
    engine.handle_timeout(t0 + 103 * SEC);
    assert!(done(&actions(&mut engine)).is_empty());
    engine.handle_timeout(t0 + 104 * SEC);
    assert_eq!(done(&actions(&mut engine)), ["job: no reply within 100s"]);
}

#[test]
fn a_job_resolves_by_its_own_job_uuid_out_of_order() {
    let t0 = Instant::now();
    let mut engine = ready(config(), t0);
    let a = engine
        .send(t0, Command::bgapi("status"), Expect::Job, None, "a")
        .unwrap();
    let b = engine
        .send(t0, Command::bgapi("version"), Expect::Job, None, "b")
        .unwrap();
    assert_ne!(a.uuid, b.uuid);
    sent(&mut engine);
    engine.receive(
        t0,
        &server::encode_command_reply("+OK event listener enabled plain"),
    );
    engine.receive(t0, &server::encode_bgapi_reply(a.uuid.as_deref().unwrap()));
    engine.receive(t0, &server::encode_bgapi_reply(b.uuid.as_deref().unwrap()));
    for (uuid, body) in [(&b.uuid, "B"), (&a.uuid, "A")] {
        let event = Event::builder("BACKGROUND_JOB")
            .header("Job-UUID", uuid.as_deref().unwrap())
            .body(body)
            .build();
        engine.receive(t0, &server::encode_event(&event, EventFormat::Plain));
    }
    assert_eq!(done(&actions(&mut engine)), ["b: B", "a: A"]);
}

#[test]
fn replies_become_results_by_what_the_caller_expected() {
    let t0 = Instant::now();
    let mut engine = ready(config(), t0);
    engine
        .send(t0, Command::api("nope"), Expect::Api, None, "api")
        .unwrap();
    engine
        .send(t0, Command::api("nope"), Expect::Any, None, "raw")
        .unwrap();
    engine
        .send(t0, Command::filter("a", "b"), Expect::Reply, None, "filter")
        .unwrap();
    let err = b"-ERR nope Command not found!\n";
    engine.receive(t0, &server::encode_api_response(err));
    engine.receive(t0, &server::encode_api_response(err));
    engine.receive(t0, &server::encode_command_reply("-ERR invalid filter"));
    assert_eq!(
        done(&actions(&mut engine)),
        [
            "api: the switch answered: -ERR nope Command not found!",
            "raw: -ERR nope Command not found!",
            "filter: the switch answered: -ERR invalid filter",
        ]
    );
}

#[test]
fn a_cancelled_request_is_never_told_and_its_reply_goes_to_nobody() {
    let t0 = Instant::now();
    let mut engine = ready(config(), t0);
    let gone = engine
        .send(t0, Command::api("a"), Expect::Api, None, "gone")
        .unwrap();
    engine
        .send(t0, Command::api("b"), Expect::Api, None, "next")
        .unwrap();
    engine.cancel(gone.id);
    engine.receive(t0, &server::encode_api_response(b"for a"));
    engine.receive(t0, &server::encode_api_response(b"for b"));
    assert_eq!(done(&actions(&mut engine)), ["next: for b"]);
}

#[test]
fn events_reach_every_stream_before_the_reply_that_followed_them() {
    let t0 = Instant::now();
    let mut engine = ready(config(), t0);
    let s1 = engine.open_stream("first stream");
    let s2 = engine.open_stream("second stream");
    let handler = engine.on("HEARTBEAT", "beat");
    engine
        .send(t0, Command::api("status"), Expect::Api, None, "api")
        .unwrap();
    let beat = Event::builder("HEARTBEAT").build();
    engine.receive(t0, &server::encode_event(&beat, EventFormat::Plain));
    engine.receive(t0, &server::encode_api_response(b"UP"));
    let out = actions(&mut engine);
    assert!(
        matches!(&out[..], [Action::Event { handlers, .. }, Action::Done("api", Ok(_))] if handlers == &["beat"])
    );
    let mut woken = Vec::new();
    engine.take_woken(&mut woken);
    assert_eq!(woken, ["first stream", "second stream"]);
    for stream in [s1, s2] {
        let mut items = VecDeque::new();
        engine.drain(stream, &mut items, 10);
        assert!(matches!(&items.make_contiguous()[..], [Incoming::Event(e)] if e.is("HEARTBEAT")));
    }
    assert!(engine.off(handler));
    engine.receive(t0, &server::encode_event(&beat, EventFormat::Plain));
    assert!(actions(&mut engine).is_empty());
}

#[test]
fn a_full_stream_applies_its_policy_and_backpressure_stops_the_reading() {
    let t0 = Instant::now();
    for (overflow, kept, lost) in [
        (Overflow::DropNewest, vec!["0", "1", "gap 3"], 3),
        (Overflow::DropOldest, vec!["gap 3", "3", "4"], 3),
        (Overflow::Backpressure, vec!["0", "1", "2", "3", "4"], 0),
    ] {
        let mut engine = ready(config().event_capacity(2).overflow(overflow), t0);
        let stream = engine.open_stream("consumer");
        for n in 0..5 {
            let event = Event::builder("CUSTOM").header("n", n.to_string()).build();
            engine.receive(t0, &server::encode_event(&event, EventFormat::Plain));
        }
        assert_eq!(engine.wants_read(), overflow != Overflow::Backpressure);
        assert_eq!(engine.dropped(stream), lost);
        let mut items = VecDeque::new();
        let drained = engine.drain(stream, &mut items, 100);
        assert_eq!(drained.resume_reading, overflow == Overflow::Backpressure);
        assert!(engine.wants_read());
        let seen: Vec<String> = items
            .iter()
            .map(|i| match i {
                Incoming::Event(e) => e.header("n").unwrap().into_owned(),
                Incoming::Gap(Gap::Lost(n)) => format!("gap {n}"),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(seen, kept, "{overflow:?}");
    }
}

#[test]
fn a_stream_is_full_at_its_bytes_as_well_as_its_items() {
    let t0 = Instant::now();
    let big = |n: usize| {
        Event::builder("CUSTOM")
            .header("n", n.to_string())
            .header("Variable", "x".repeat(10_000))
            .build()
    };
    let mut engine = ready(config().event_bytes(25_000), t0);
    let stream = engine.open_stream("consumer");
    for n in 0..5 {
        engine.receive(t0, &server::encode_event(&big(n), EventFormat::Plain));
    }
    // Below 25,000 bytes a stream takes one more event: the third goes past, the rest are
    // dropped (the default policy drops the newest).
    assert_eq!(engine.dropped(stream), 2);
    let mut items = VecDeque::new();
    engine.drain(stream, &mut items, 100);
    assert_eq!(items.len(), 4, "three events and one gap marker: {items:?}");
    assert!(matches!(items.back(), Some(Incoming::Gap(Gap::Lost(2)))));
    // Drained, it has room again.
    engine.receive(t0, &server::encode_event(&big(5), EventFormat::Plain));
    items.clear();
    engine.drain(stream, &mut items, 100);
    assert!(
        matches!(&items.make_contiguous()[..], [Incoming::Event(e)] if e.header("n").as_deref() == Some("5"))
    );
}

#[test]
fn events_split_across_reads_keep_every_header_when_the_engine_releases_between() {
    let t0 = Instant::now();
    for size in [1, 7] {
        split_reads_with_release(t0, size);
    }
}

fn split_reads_with_release(t0: Instant, size: usize) {
    let mut engine = ready(config(), t0);
    let stream = engine.open_stream("consumer");
    let event = Event::builder("CUSTOM")
        .header("Event-Subclass", "my::event")
        .header("n", "1")
        .header("Variable", "x".repeat(3000))
        .body("the body")
        .build();
    let bytes = server::encode_event(&event, EventFormat::Plain);
    // Every read ends somewhere new, and each time the socket "would block".
    for chunk in bytes.chunks(size) {
        assert!(engine.read_size(65536) > 0);
        engine.receive(t0, chunk);
        engine.release();
    }
    let mut items = VecDeque::new();
    engine.drain(stream, &mut items, 10);
    let Some(Incoming::Event(got)) = items.pop_front() else {
        panic!("reads of {size}: no event: {items:?}");
    };
    assert_eq!(got.subclass().as_deref(), Some("my::event"));
    assert_eq!(got.header("n").as_deref(), Some("1"));
    assert_eq!(got.header("Variable").map(|v| v.len()), Some(3000));
    assert_eq!(got.body().map(|b| &b[..]), Some(&b"the body"[..]));
}

#[test]
fn an_idle_connection_gives_its_buffers_back_and_a_busy_one_keeps_them() {
    let t0 = Instant::now();
    let mut engine = ready(config(), t0);
    let kept = |engine: &TestEngine| engine.buffer_bytes() > 0;
    // Replies only: their small buffer goes back at once.
    assert!(kept(&engine));
    engine.read_blocked(t0);
    assert!(!kept(&engine));
    assert_eq!(engine.poll_timeout(), None);
    // One read of a stream of events, large enough for the engine to keep a buffer sized to
    // such reads.
    let one = server::encode_event(&Event::builder("HEARTBEAT").build(), EventFormat::Plain);
    let heartbeats = one.repeat(48 * 1024 / one.len());
    engine.receive(t0, &heartbeats);
    assert!(kept(&engine), "room left in the receive buffer");
    // A read blocks between two writes of the switch: nothing goes back yet.
    engine.read_blocked(t0);
    assert!(kept(&engine));
    assert_eq!(engine.poll_timeout(), Some(t0 + RELEASE_AFTER));
    let busy = t0 + RELEASE_AFTER / 2;
    engine.receive(busy, &one);
    engine.read_blocked(busy);
    assert_eq!(
        engine.poll_timeout(),
        Some(t0 + RELEASE_AFTER),
        "not moved by every read"
    );
    engine.handle_timeout(t0 + RELEASE_AFTER);
    assert!(kept(&engine), "data arrived since: still busy");
    assert_eq!(engine.poll_timeout(), Some(busy + RELEASE_AFTER));
    engine.handle_timeout(busy + RELEASE_AFTER - Duration::from_millis(1));
    assert!(kept(&engine));
    // Quiet for RELEASE_AFTER: given back, and nothing left to wake up for.
    engine.handle_timeout(busy + RELEASE_AFTER);
    assert!(!kept(&engine));
    assert_eq!(engine.poll_timeout(), None);
    // The next traffic allocates again, and the next quiet spell gives it back again.
    let later = busy + 10 * SEC;
    engine.receive(later, &heartbeats);
    assert!(kept(&engine));
    // Not released while the adapter has not said a read would block (it may have stopped
    // reading for backpressure), whatever the time.
    engine.handle_timeout(later + 10 * SEC);
    assert!(kept(&engine));
    let later = later + 10 * SEC;
    engine.read_blocked(later);
    engine.handle_timeout(later + RELEASE_AFTER);
    assert!(!kept(&engine));
}

fn reconnecting() -> ClientConfig {
    config().reconnect(
        Reconnect::default()
            .initial(SEC)
            .max(30 * SEC)
            .jitter(0.0)
            .max_attempts(Some(3)),
    )
}

#[test]
fn a_lost_connection_fails_its_requests_reconnects_on_schedule_and_replays() {
    let t0 = Instant::now();
    let mut engine = ready(reconnecting(), t0);
    let stream = engine.open_stream("consumer");
    engine
        .send(
            t0,
            Command::event(EventFormat::Plain, ["HEARTBEAT"]),
            Expect::Reply,
            None,
            "sub",
        )
        .unwrap();
    engine.receive(
        t0,
        &server::encode_command_reply("+OK event listener enabled plain"),
    );
    engine
        .send(t0, Command::api("status"), Expect::Api, None, "lost")
        .unwrap();
    sent(&mut engine);
    engine.receive_error(t0, io::Error::from(io::ErrorKind::ConnectionReset));
    let out = actions(&mut engine);
    assert!(
        done(&out)
            .iter()
            .any(|d| d.starts_with("lost: socket error")),
        "{:?}",
        done(&out)
    );
    assert!(out.iter().any(|a| matches!(a, Action::Disconnect)));
    // Made while away: held until the next connection is ready.
    engine
        .send(t0, Command::api("later"), Expect::Api, None, "later")
        .unwrap();
    assert_eq!(engine.poll_timeout(), Some(t0 + SEC));
    engine.handle_timeout(t0 + SEC);
    assert!(matches!(&actions(&mut engine)[..], [Action::Connect]));
    // The first attempt is refused: the next waits twice as long.
    engine.connect_failed(t0 + SEC, io::Error::from(io::ErrorKind::ConnectionRefused));
    assert_eq!(engine.poll_timeout(), Some(t0 + 3 * SEC));
    engine.handle_timeout(t0 + 3 * SEC);
    assert!(matches!(&actions(&mut engine)[..], [Action::Connect]));
    engine.connected(t0 + 3 * SEC);
    assert_eq!(
        handshake(&mut engine, t0 + 3 * SEC),
        [
            Command::event(EventFormat::Plain, ["HEARTBEAT"]),
            Command::api("later")
        ]
    );
    engine.receive(
        t0,
        &server::encode_command_reply("+OK event listener enabled plain"),
    );
    engine.receive(t0, &server::encode_api_response(b"back"));
    assert_eq!(done(&actions(&mut engine)), ["later: back"]);
    assert_eq!(engine.reconnects(), 1);
    let mut items = VecDeque::new();
    engine.drain(stream, &mut items, 10);
    assert!(
        matches!(
            items.make_contiguous(),
            [
                Incoming::Gap(Gap::Disconnected),
                Incoming::Gap(Gap::Reconnected)
            ]
        ),
        "{items:?}"
    );
}

#[test]
fn reconnecting_gives_up_after_its_attempts_and_fails_what_waited() {
    let t0 = Instant::now();
    let mut engine = ready(reconnecting(), t0);
    engine.receive_eof(t0);
    actions(&mut engine);
    engine
        .send(t0, Command::api("held"), Expect::Api, None, "held")
        .unwrap();
    let mut now = t0;
    for _ in 0..3 {
        now = engine.poll_timeout().unwrap();
        engine.handle_timeout(now);
        assert!(matches!(&actions(&mut engine)[..], [Action::Connect]));
        engine.connect_failed(now, io::Error::from(io::ErrorKind::ConnectionRefused));
    }
    let out = actions(&mut engine);
    assert!(matches!(out.last(), Some(Action::Finished(Err(_)))));
    assert_eq!(done(&out).len(), 1);
    assert!(engine.is_finished());
    assert!(matches!(
        engine.send(now, Command::api("x"), Expect::Api, None, "x"),
        Err(Error::Closed)
    ));
}

#[test]
fn a_deliberate_close_never_reconnects_even_when_the_switch_hangs_up_first() {
    let t0 = Instant::now();
    let mut engine = ready(reconnecting(), t0);
    let stream = engine.open_stream("consumer");
    engine.close(t0);
    assert_eq!(sent(&mut engine), [Command::Exit]);
    // The switch closes before its `+OK bye` arrives.
    engine.receive_eof(t0);
    let out = actions(&mut engine);
    assert!(matches!(out.last(), Some(Action::Finished(Ok(())))));
    assert!(!out.iter().any(|a| matches!(a, Action::Connect)));
    assert_eq!(engine.poll_timeout(), None);
    let mut items = VecDeque::new();
    assert!(engine.drain(stream, &mut items, 10).closed);
    assert!(items.is_empty(), "no reconnection marker after a close");
}

#[test]
fn close_waits_for_the_goodbye_at_most_the_request_timeout() {
    let t0 = Instant::now();
    let mut engine = ready(config(), t0);
    engine.close(t0);
    sent(&mut engine);
    engine.handle_timeout(t0 + 9 * SEC);
    assert!(actions(&mut engine).is_empty());
    engine.handle_timeout(t0 + 10 * SEC);
    let out = actions(&mut engine);
    assert!(matches!(
        &out[..],
        [Action::Disconnect, Action::Finished(Ok(()))]
    ));
}

#[test]
fn the_first_connect_fails_for_good_and_a_slow_handshake_times_out() {
    let t0 = Instant::now();
    let mut engine = TestEngine::inbound(reconnecting(), t0).peer("10.0.0.1:8021");
    actions(&mut engine);
    engine.connect_failed(t0, io::Error::from(io::ErrorKind::ConnectionRefused));
    let out = actions(&mut engine);
    let [Action::Finished(Err(error))] = &out[..] else {
        panic!("{out:?}");
    };
    assert!(matches!(error, Error::Connect { addr, source }
        if addr == "10.0.0.1:8021" && source.kind() == io::ErrorKind::ConnectionRefused));
    assert!(error.is_unreachable());
    assert_eq!(
        error.to_string(),
        "cannot connect to 10.0.0.1:8021: connection refused"
    );

    let mut engine = TestEngine::inbound(config(), t0);
    actions(&mut engine);
    engine.connected(t0);
    engine.receive(t0, &server::encode_auth_request());
    engine.handle_timeout(t0 + 5 * SEC);
    let out = actions(&mut engine);
    assert!(matches!(
        out.last(),
        Some(Action::Finished(Err(Error::ConnectTimeout { addr, after })))
            if addr == "the switch" && *after == 5 * SEC
    ));
}

#[test]
fn a_refused_password_ends_the_engine_with_the_switchs_words() {
    let t0 = Instant::now();
    let mut engine = TestEngine::inbound(config(), t0);
    actions(&mut engine);
    engine.connected(t0);
    engine.receive(t0, &server::encode_auth_request());
    engine.receive(t0, &server::encode_command_reply("-ERR invalid"));
    let out = actions(&mut engine);
    assert!(
        matches!(out.last(), Some(Action::Finished(Err(Error::Auth(reply)))) if reply == "-ERR invalid")
    );
}

#[test]
fn an_outbound_session_is_ready_once_its_setup_is_accepted() {
    let t0 = Instant::now();
    let mut engine = TestEngine::outbound(&ServerConfig::default(), t0);
    assert_eq!(sent(&mut engine), [Command::Connect]);
    let channel = Event::builder("CHANNEL_DATA")
        .header("Unique-ID", "call-1")
        .header("Caller-Destination-Number", "1000")
        .build();
    engine.receive(t0, &server::encode_connect_reply(&channel, true, true));
    assert!(
        actions(&mut engine).is_empty(),
        "not before the setup is accepted"
    );
    assert_eq!(
        sent(&mut engine),
        [
            Command::MyEvents {
                uuid: None,
                format: None
            },
            Command::Linger { seconds: None }
        ]
    );
    engine.receive(t0, &server::encode_command_reply("+OK Events Enabled"));
    engine.receive(t0, &server::encode_command_reply("+OK will linger"));
    let out = actions(&mut engine);
    assert!(matches!(&out[..], [Action::Ready(ready)]
        if ready.channel.as_ref().and_then(|c| c.unique_id()).as_deref() == Some("call-1")));
    assert_eq!(engine.session_uuid(), Some("call-1"));
}

#[test]
fn an_outbound_session_whose_setup_is_refused_ends() {
    let t0 = Instant::now();
    let mut engine = TestEngine::outbound(&ServerConfig::default(), t0);
    sent(&mut engine);
    let channel = Event::builder("CHANNEL_DATA")
        .header("Unique-ID", "c")
        .build();
    engine.receive(t0, &server::encode_connect_reply(&channel, true, true));
    engine.receive(t0, &server::encode_command_reply("-ERR no"));
    let out = actions(&mut engine);
    assert!(matches!(
        out.last(),
        Some(Action::Finished(Err(Error::Rejected(_))))
    ));
}

#[test]
fn the_same_seed_chooses_the_same_uuids() {
    let t0 = Instant::now();
    let uuids = |seed| {
        let mut engine = ready(config().seed(seed), t0);
        (0..3)
            .map(|_| {
                engine
                    .send(t0, Command::bgapi("status"), Expect::Job, None, "j")
                    .unwrap()
                    .uuid
                    .unwrap()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(uuids(1), uuids(1));
    assert_ne!(uuids(1), uuids(2));
}

#[test]
fn the_end_of_the_socket_after_exit_is_reported_as_such() {
    let t0 = Instant::now();
    let mut engine = ready(config(), t0);
    engine
        .send(t0, Command::api("x"), Expect::Api, None, "x")
        .unwrap();
    engine.receive_eof(t0);
    let out = actions(&mut engine);
    assert!(
        matches!(
            &out[..],
            [
                Action::Done("x", Err(Error::ConnectionClosed(CloseReason::Eof))),
                Action::Disconnect,
                Action::Finished(Err(_))
            ]
        ),
        "{out:?}"
    );
}

/// A reconnect whose socket opens but whose handshake never completes counts as a failed
/// attempt: the waits keep growing (1 s, 2 s, 4 s), they do not start over.
#[test]
fn a_reconnect_lost_during_its_handshake_counts_as_a_failed_attempt() {
    let t0 = Instant::now();
    let mut engine = ready(reconnecting(), t0);
    engine.receive_eof(t0);
    actions(&mut engine);
    let mut now = t0;
    for wait in [1, 2, 4] {
        assert_eq!(
            engine.poll_timeout(),
            Some(now + wait * SEC),
            "before attempt of {wait} s"
        );
        now += wait * SEC;
        engine.handle_timeout(now);
        assert!(matches!(&actions(&mut engine)[..], [Action::Connect]));
        engine.connected(now);
        engine.receive(now, &server::encode_auth_request());
        sent(&mut engine);
        // The socket closes before `+OK accepted`.
        engine.receive_eof(now);
        actions(&mut engine);
        if wait == 4 {
            break;
        }
    }
}

/// Without a reconnect policy, a lost connection is the end.
#[test]
fn without_a_reconnect_policy_a_lost_connection_ends_the_client() {
    let t0 = Instant::now();
    let mut engine = ready(config(), t0);
    let stream = engine.open_stream("consumer");
    engine.receive_eof(t0);
    let out = actions(&mut engine);
    assert!(
        out.iter().any(|a| matches!(a, Action::Finished(Err(_)))),
        "{out:?}"
    );
    assert!(!out.iter().any(|a| matches!(a, Action::Connect)), "{out:?}");
    assert!(engine.is_finished());
    assert_eq!(engine.poll_timeout(), None);
    // The stream ends; it is not told of a disconnection as if a return would follow.
    let mut items = VecDeque::new();
    assert!(engine.drain(stream, &mut items, usize::MAX).closed);
    assert!(
        !items
            .iter()
            .any(|i| matches!(i, Incoming::Gap(Gap::Disconnected))),
        "{items:?}"
    );
}

/// An outbound session never reconnects (the switch dialled it), whatever its config says.
#[test]
fn an_outbound_session_that_loses_its_socket_ends_even_with_a_reconnect_policy() {
    let t0 = Instant::now();
    let mut server = ServerConfig::default();
    server.session = server.session.reconnect(Reconnect::default());
    let mut engine = TestEngine::outbound(&server, t0);
    sent(&mut engine);
    let channel = Event::builder("CHANNEL_DATA")
        .header("Unique-ID", "call-1")
        .build();
    engine.receive(t0, &server::encode_connect_reply(&channel, true, true));
    engine.receive(t0, &server::encode_command_reply("+OK Events Enabled"));
    engine.receive(t0, &server::encode_command_reply("+OK will linger"));
    actions(&mut engine);
    engine.receive_eof(t0);
    let out = actions(&mut engine);
    assert!(!out.iter().any(|a| matches!(a, Action::Connect)), "{out:?}");
    assert!(engine.is_finished(), "{out:?}");
}
