//! Each deadline of the engine ends what it bounds at that instant and not before, whatever
//! other deadline wakes the engine earlier; a close and an abort end it at once when there is
//! nobody to say goodbye to. A fake clock: plain `Instant` arithmetic.

mod common;

use std::io;
use std::time::{Duration, Instant};

use esl_proto::client::{Action, ClientConfig, Engine, Error, Expect, Reconnect};
use esl_proto::server;
use esl_proto::Command;

use common::engine::{actions, sent};

type TestEngine = Engine<&'static str, (), ()>;

const SEC: Duration = Duration::from_secs(1);

/// Connecting may take 5 s; a request waits 2 s, so it wakes the engine first.
fn config() -> ClientConfig {
    ClientConfig::password("ClueCon")
        .request_timeout(2 * SEC)
        .connect_timeout(5 * SEC)
        .seed(9)
}

fn ready(config: ClientConfig, now: Instant) -> TestEngine {
    common::engine::ready(config, now)
}

fn timed_out(actions: &[Action<&'static str, ()>]) -> Vec<&'static str> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Done(who, Err(Error::Timeout(_))) => Some(*who),
            _ => None,
        })
        .collect()
}

#[test]
fn a_socket_that_never_opens_fails_at_the_connect_timeout_and_not_before() {
    let t0 = Instant::now();
    let mut engine = TestEngine::inbound(config(), t0);
    assert!(matches!(&actions(&mut engine)[..], [Action::Connect]));
    engine
        .send(t0, Command::api("status"), Expect::Api, None, "early")
        .unwrap();
    assert_eq!(engine.poll_timeout(), Some(t0 + 2 * SEC));
    engine.handle_timeout(t0 + 2 * SEC);
    assert_eq!(timed_out(&actions(&mut engine)), ["early"]);
    assert!(!engine.is_finished());
    assert_eq!(engine.poll_timeout(), Some(t0 + 5 * SEC));
    engine.handle_timeout(t0 + 5 * SEC);
    let out = actions(&mut engine);
    assert!(
        matches!(&out[..], [Action::Finished(Err(Error::ConnectTimeout { after, .. }))] if *after == 5 * SEC),
        "{out:?}"
    );
}

#[test]
fn a_handshake_has_until_the_connect_timeout() {
    let t0 = Instant::now();
    let mut engine = TestEngine::inbound(config(), t0);
    actions(&mut engine);
    engine.connected(t0 + SEC);
    engine
        .send(t0 + SEC, Command::api("status"), Expect::Api, None, "early")
        .unwrap();
    engine.handle_timeout(t0 + 3 * SEC);
    assert_eq!(timed_out(&actions(&mut engine)), ["early"]);
    assert!(!engine.is_finished(), "the handshake still has time");
    // The socket's deadline is the attempt's: five seconds from the start of connecting.
    engine.handle_timeout(t0 + 5 * SEC);
    let out = actions(&mut engine);
    assert!(
        matches!(
            &out[..],
            [
                Action::Disconnect,
                Action::Finished(Err(Error::ConnectTimeout { .. }))
            ]
        ),
        "{out:?}"
    );
}

#[test]
fn a_reconnect_waits_out_its_backoff_whatever_wakes_the_engine_first() {
    let t0 = Instant::now();
    let policy = Reconnect::default().initial(4 * SEC).jitter(0.0);
    let mut engine = ready(config().reconnect(policy), t0);
    engine.receive_error(t0, io::Error::from(io::ErrorKind::ConnectionReset));
    actions(&mut engine);
    engine
        .send(t0, Command::api("status"), Expect::Api, None, "held")
        .unwrap();
    engine.handle_timeout(t0 + 2 * SEC);
    let out = actions(&mut engine);
    assert_eq!(timed_out(&out), ["held"]);
    assert!(!out.iter().any(|a| matches!(a, Action::Connect)), "{out:?}");
    assert_eq!(engine.poll_timeout(), Some(t0 + 4 * SEC));
    engine.handle_timeout(t0 + 4 * SEC);
    assert!(matches!(&actions(&mut engine)[..], [Action::Connect]));
}

#[test]
fn a_new_timeout_moves_a_requests_deadline_while_it_is_open() {
    let t0 = Instant::now();
    let mut engine = ready(config(), t0);
    let sent_at = engine
        .send(t0, Command::api("status"), Expect::Api, None, "slow")
        .unwrap();
    assert!(engine.set_timeout(sent_at.id, t0 + SEC, 10 * SEC));
    assert_eq!(engine.poll_timeout(), Some(t0 + 11 * SEC));
    engine.handle_timeout(t0 + 10 * SEC);
    assert!(actions(&mut engine).is_empty());
    engine.handle_timeout(t0 + 11 * SEC);
    let out = actions(&mut engine);
    assert!(
        matches!(&out[..], [Action::Done("slow", Err(Error::Timeout(d)))] if *d == 10 * SEC),
        "{out:?}"
    );
    assert!(
        !engine.set_timeout(sent_at.id, t0 + 11 * SEC, SEC),
        "it has ended"
    );
}

#[test]
fn closing_before_the_handshake_ends_at_once_without_a_goodbye() {
    let t0 = Instant::now();
    let mut engine = TestEngine::inbound(config(), t0);
    actions(&mut engine);
    engine.connected(t0);
    engine.receive(t0, &server::encode_auth_request());
    sent(&mut engine);
    engine.close(t0);
    let out = actions(&mut engine);
    assert!(
        matches!(&out[..], [Action::Disconnect, Action::Finished(Ok(()))]),
        "{out:?}"
    );
    assert!(
        sent(&mut engine).is_empty(),
        "no exit to a switch that never let us in"
    );
}

#[test]
fn an_abort_ends_at_once_and_only_once() {
    let t0 = Instant::now();
    let mut engine = ready(config(), t0);
    engine
        .send(t0, Command::api("status"), Expect::Api, None, "pending")
        .unwrap();
    engine.abort(t0);
    let out = actions(&mut engine);
    assert!(
        matches!(
            &out[..],
            [
                Action::Disconnect,
                Action::Done("pending", Err(Error::ConnectionClosed(_))),
                Action::Finished(Ok(()))
            ]
        ),
        "{out:?}"
    );
    assert!(engine.is_finished());
    engine.abort(t0);
    assert!(actions(&mut engine).is_empty());
}

#[test]
fn a_wait_too_long_to_represent_is_a_year() {
    let t0 = Instant::now();
    let mut engine = ready(config(), t0);
    engine
        .send(
            t0,
            Command::api("status"),
            Expect::Api,
            Some(Duration::MAX),
            "forever",
        )
        .unwrap();
    const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);
    assert_eq!(engine.poll_timeout(), Some(t0 + YEAR));
}

#[test]
fn a_close_before_the_switch_answered_ends_every_request_with_it() {
    let t0 = Instant::now();
    let mut engine = TestEngine::inbound(config(), t0);
    actions(&mut engine);
    engine
        .send(t0, Command::api("status"), Expect::Api, None, "early")
        .unwrap();
    engine.close(t0 + SEC);
    let out = actions(&mut engine);
    assert!(
        out.iter()
            .any(|a| matches!(a, Action::Done("early", Err(Error::ConnectionClosed(_))))),
        "{out:?}"
    );
    assert_eq!(engine.pending_requests(), 0);
}
