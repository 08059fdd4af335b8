//! Replies pair with requests strictly in order; a reply of the wrong kind means the two
//! are out of step, and the connection stops rather than hand callers each other's results.

mod common;

use common::*;
use esl_proto::server;
use esl_proto::{Command, Error, EventFormat, Output, RequestError};

#[test]
fn an_api_answered_by_a_command_reply_stops_the_connection() {
    let mut conn = ready();
    let api = conn.send(Command::api("status")).unwrap();
    let sub = conn
        .send(Command::event(EventFormat::Plain, ["HEARTBEAT"]))
        .unwrap();
    sent(&mut conn);
    // The api's reply went missing: the subscription's reply comes first.
    conn.receive(&server::encode_command_reply(
        "+OK event listener enabled plain",
    ));
    let mut out = Vec::new();
    let error = loop {
        match conn.poll_output() {
            Ok(Some(o)) => out.push(o),
            Ok(None) => panic!("the mismatch went unnoticed: {out:#?}"),
            Err(e) => break e,
        }
    };
    assert!(matches!(error, Error::OutOfStep(_)), "{error}");
    for id in [api, sub] {
        assert!(matches!(
            terminal(&out, id),
            Output::Failed {
                error: RequestError::ConnectionFailed(Error::OutOfStep(_)),
                ..
            }
        ));
    }
}

#[test]
fn a_command_answered_by_an_api_response_stops_the_connection() {
    let mut conn = ready();
    let sub = conn.send(Command::filter("Unique-ID", "a")).unwrap();
    sent(&mut conn);
    conn.receive(&server::encode_api_response(b"UP 0 years"));
    let error = loop {
        match conn.poll_output() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the mismatch went unnoticed"),
            Err(e) => break e,
        }
    };
    assert!(matches!(error, Error::OutOfStep(_)));
    assert!(conn.is_closed());
    let _ = sub;
}

#[test]
fn before_auth_an_api_is_answered_by_a_command_reply() {
    // inbound_unauth_command: `api status` before auth gets `-ERR command not found` as a
    // command/reply; that is the switch's answer, not a mismatch.
    let mut conn = esl_proto::Connection::inbound(esl_proto::Auth::Manual);
    let api = conn.send(Command::api("status")).unwrap();
    conn.receive(AUTH_REQUEST);
    conn.receive(&server::encode_command_reply("-ERR command not found"));
    let out = outputs(&mut conn);
    assert_eq!(outcome_text(&out, api), Ok("-ERR command not found".into()));
}
