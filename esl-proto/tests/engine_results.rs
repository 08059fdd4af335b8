//! What a result means to its caller: a reply checked against what the request expected, the
//! errors a caller can get and what they say, and a waiter's news in the order it hears it.

use std::error::Error as _;
use std::io;
use std::time::Duration;

use esl_proto::client::{Error, Expect, Outcome, Step};
use esl_proto::server;
use esl_proto::{
    ApiResponse, CloseReason, CommandError, Event, Framer, Limits, Reply, Response, SendError,
};

fn reply(text: &str) -> Response {
    let mut framer = Framer::new(Limits::default());
    framer.push(&server::encode_command_reply(text));
    Response::Reply(Reply::new(framer.next_frame().unwrap().unwrap().headers))
}

fn api(text: &str) -> Response {
    Response::Api(ApiResponse::new(text.to_owned().into()))
}

fn job(body: &str) -> Response {
    Response::Job(Event::builder("BACKGROUND_JOB").body(body).build())
}

fn executed() -> Response {
    Response::Executed(
        Event::builder("CHANNEL_EXECUTE_COMPLETE")
            .header("Application-Response", "FILE PLAYED")
            .build(),
    )
}

/// `Ok(text)` or `Err(rejected text)`.
fn checked(expect: Expect, response: Response) -> Result<String, String> {
    match expect.check(response) {
        Ok(response) => Ok(response.text()),
        Err(Error::Rejected(text)) => Err(text),
        Err(other) => panic!("neither a result nor a refusal: {other:?}"),
    }
}

#[test]
fn a_result_is_taken_when_it_is_what_the_request_expected() {
    let ok = |s: &str| Ok(s.to_owned());
    let no = |s: &str| Err(s.to_owned());
    let cases = [
        (Expect::Reply, reply("+OK done"), ok("+OK done")),
        (Expect::Reply, reply("-ERR invalid"), no("-ERR invalid")),
        (Expect::Reply, api("+OK\n"), no("+OK\n")),
        (Expect::Api, api("UP\n"), ok("UP\n")),
        (Expect::Api, api("-USAGE: x\n"), no("-USAGE: x\n")),
        (Expect::Api, reply("+OK"), no("+OK")),
        // A job's output is its caller's to read, `-ERR` included.
        (Expect::Job, job("-ERR NO_ANSWER\n"), ok("-ERR NO_ANSWER\n")),
        (Expect::Job, reply("+OK Job-UUID: x"), no("+OK Job-UUID: x")),
        (Expect::Executed, executed(), ok("FILE PLAYED")),
        (Expect::Executed, reply("+OK"), no("+OK")),
        (Expect::Any, api("-ERR nope\n"), ok("-ERR nope\n")),
        (Expect::Any, reply("-ERR nope"), ok("-ERR nope")),
    ];
    for (expect, response, result) in cases {
        assert_eq!(checked(expect, response), result, "{expect:?}");
    }
}

#[test]
fn only_a_lost_connection_says_the_request_may_succeed_on_a_new_one() {
    let lost = [
        Error::from(io::Error::from(io::ErrorKind::ConnectionReset)),
        Error::ConnectionClosed(CloseReason::Eof),
        Error::Protocol(esl_proto::Error::Handshake("x".into())),
    ];
    for error in lost {
        assert!(error.is_connection_lost(), "{error}");
    }
    let not_lost = [
        Error::Rejected("-ERR x".into()),
        Error::Timeout(Duration::from_secs(1)),
        Error::ConnectTimeout {
            addr: "127.0.0.1:8021".into(),
            after: Duration::from_secs(1),
        },
        Error::Auth("-ERR invalid".into()),
        Error::ChannelGone("u1".into()),
        Error::Closed,
        Error::Command(SendError::Closed),
    ];
    for error in not_lost {
        assert!(!error.is_connection_lost(), "{error}");
    }
}

#[test]
fn an_error_names_the_error_it_came_from() {
    let io = Error::from(io::Error::new(
        io::ErrorKind::ConnectionReset,
        "reset by peer",
    ));
    assert_eq!(io.source().unwrap().to_string(), "reset by peer");
    let protocol = Error::Protocol(esl_proto::Error::Handshake("bad".into()));
    assert_eq!(
        protocol.source().unwrap().to_string(),
        esl_proto::Error::Handshake("bad".into()).to_string()
    );
    let command = Error::from(CommandError::Empty { field: "uuid" });
    let cause = SendError::Command(CommandError::Empty { field: "uuid" });
    assert_eq!(command.source().unwrap().to_string(), cause.to_string());
    for own in [Error::Closed, Error::Rejected("-ERR".into())] {
        assert!(own.source().is_none(), "{own}");
    }
}

#[test]
fn a_waiter_hears_accepted_first_then_its_one_result() {
    let mut outcome = Outcome::default();
    assert_eq!(outcome.take_first(), None);
    assert_eq!(outcome.peek(), None);
    outcome.accept();
    assert_eq!(outcome.take_first(), Some(Step::Accepted));
    assert_eq!(outcome.take_first(), None, "accepted is heard once");
    outcome.complete("first");
    outcome.complete("second");
    assert_eq!(outcome.peek(), Some(&"first"));
    assert_eq!(outcome.take_first(), Some(Step::Done("first")));
    assert_eq!(outcome.take_done(), None);

    let mut outcome = Outcome::default();
    outcome.complete(7);
    assert_eq!(outcome.peek(), Some(&7), "peeking leaves it");
    assert_eq!(outcome.take_done(), Some(7));
    assert_eq!(outcome.peek(), None);
}
