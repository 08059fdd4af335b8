//! A connection's life through its public API: manual auth, exit, the ways it closes, what it
//! accepts once closed, and the getters and counters adapters read.

mod common;

use common::*;
use esl_proto::server;
use esl_proto::{
    Auth, CloseReason, Command, Connection, Error, Event, EventError, EventFormat, FrameError,
    Limits, Output, RequestError, Response, SendError,
};

fn closed_reason(outputs: &[Output]) -> Option<CloseReason> {
    match outputs.last() {
        Some(Output::Closed(reason)) => Some(*reason),
        _ => None,
    }
}

#[test]
fn a_manual_auth_makes_the_connection_ready_once() {
    let mut conn = Connection::inbound(Auth::Manual);
    assert!(!conn.is_ready());
    conn.receive(&server::encode_auth_request());
    assert!(matches!(outputs(&mut conn)[..], [Output::AuthRequested]));
    let auth = conn.send(Command::auth("ClueCon")).unwrap();
    conn.receive(&server::encode_command_reply("+OK accepted"));
    let out = outputs(&mut conn);
    assert!(matches!(out[0], Output::Ready(_)), "{out:#?}");
    assert_eq!(result_text(&out, auth), "+OK accepted");
    assert!(conn.is_ready());
    // Once ready, an auth is an ordinary request: it does not make the connection ready again.
    let again = conn.send(Command::auth("ClueCon")).unwrap();
    conn.receive(&server::encode_command_reply("+OK accepted"));
    let out = outputs(&mut conn);
    assert_eq!(ended(&out), [again]);
    assert!(!out.iter().any(|o| matches!(o, Output::Ready(_))));
}

#[test]
fn a_refused_manual_auth_leaves_the_connection_open_but_not_ready() {
    let mut conn = Connection::inbound(Auth::Manual);
    let auth = conn.send(Command::auth("wrong")).unwrap();
    conn.receive(&server::encode_command_reply("-ERR invalid"));
    let out = outputs(&mut conn);
    assert_eq!(result_text(&out, auth), "-ERR invalid");
    assert!(!conn.is_ready());
    assert!(!conn.is_closed());
}

#[test]
fn an_auth_request_once_ready_is_reported_as_unexpected() {
    let mut conn = ready();
    conn.receive(&server::encode_auth_request());
    assert!(matches!(outputs(&mut conn)[..], [Output::Unexpected(_)]));
}

#[test]
fn exit_answered_ok_closes_as_exit() {
    let mut conn = quiet();
    let exit = conn.send(Command::Exit).unwrap();
    conn.receive(&server::encode_command_reply("+OK bye"));
    conn.receive_eof();
    let out = outputs(&mut conn);
    assert_eq!(result_text(&out, exit), "+OK bye");
    assert_eq!(closed_reason(&out), Some(CloseReason::Exit));
    assert!(conn.is_closed());
    assert!(!conn.is_ready());
}

#[test]
fn an_exit_the_switch_refused_closes_as_plain_eof() {
    let mut conn = quiet();
    conn.send(Command::Exit).unwrap();
    conn.receive(&server::encode_command_reply("-ERR not now"));
    conn.receive_eof();
    assert_eq!(closed_reason(&outputs(&mut conn)), Some(CloseReason::Eof));
}

#[test]
fn a_disconnect_notice_closes_as_disconnected_and_a_linger_notice_does_not() {
    let mut conn = quiet();
    conn.receive(&server::encode_linger_notice("u", "loopback/x", 10));
    conn.receive_eof();
    let out = outputs(&mut conn);
    assert!(matches!(out[0], Output::Disconnect(_)));
    assert_eq!(closed_reason(&out), Some(CloseReason::Eof));

    let mut conn = quiet();
    conn.receive(&server::encode_disconnect_notice(
        Some("u"),
        server::GOODBYE,
    ));
    conn.receive_eof();
    assert_eq!(
        closed_reason(&outputs(&mut conn)),
        Some(CloseReason::Disconnected)
    );
}

#[test]
fn after_eof_or_close_nothing_more_is_sent_or_read() {
    // Refused as soon as the peer is known gone, before its outputs are read.
    let mut conn = quiet();
    conn.receive_eof();
    assert_eq!(conn.send(Command::api("late")), Err(SendError::Closed));

    let mut conn = quiet();
    conn.close();
    assert_eq!(conn.send(Command::api("late")), Err(SendError::Closed));
    conn.receive(b"Content-Type: api/response\nContent-Length: 2\n\nhi");
    assert_eq!(conn.buffered(), 0, "a closed connection keeps no input");
    let out = outputs(&mut conn);
    assert_eq!(closed_reason(&out), Some(CloseReason::Local));
    // Closing again ends nothing twice.
    conn.close();
    assert!(outputs(&mut conn).is_empty());
}

#[test]
fn close_after_a_fatal_error_adds_nothing() {
    let mut conn = quiet();
    let id = conn.send(Command::api("a")).unwrap();
    conn.receive(b"Content-Type: api/response\nContent-Length: nope\n\n");
    assert!(matches!(
        conn.poll_output(),
        Ok(Some(Output::Failed { id: i, error: RequestError::ConnectionFailed(_) })) if i == id
    ));
    let error = Error::Frame(FrameError::InvalidContentLength("nope".into()));
    assert_eq!(conn.poll_output().unwrap_err(), error);
    assert_eq!(conn.error(), Some(&error));
    assert!(conn.is_closed());
    conn.close();
    assert_eq!(
        conn.poll_output().unwrap_err(),
        error,
        "no Closed after the error"
    );
}

#[test]
fn buffered_counts_the_bytes_of_the_message_not_yet_complete() {
    let mut conn = quiet();
    let partial = b"Content-Type: api/response\nContent-Length: 5\n\nab";
    conn.receive(partial);
    assert!(outputs(&mut conn).is_empty());
    // The header block is parsed; the body bytes that came wait for the rest.
    assert_eq!(conn.buffered(), 2);
    conn.receive(b"cde");
    outputs(&mut conn);
    assert_eq!(conn.buffered(), 0);
}

#[test]
fn the_limits_given_are_the_limits_in_force() {
    let limits = Limits::default().max_pending_requests(3);
    let conn = Connection::inbound(Auth::Manual).with_limits(limits);
    assert_eq!(*conn.limits(), limits);
}

#[test]
fn request_ids_count_up_from_one_and_print_with_a_hash() {
    let mut conn = Connection::inbound(Auth::Manual);
    let first = conn.send(Command::api("a")).unwrap();
    let second = conn.send(Command::api("b")).unwrap();
    assert_eq!((first.get(), second.get()), (1, 2));
    assert_eq!(second.to_string(), "#2");
}

#[test]
fn pending_completions_counts_jobs_executes_and_adoptions() {
    let mut conn = quiet();
    conn.send(Command::bgapi_with_uuid("status", "j")).unwrap();
    conn.send(execute("chan", "playback", Some("e"))).unwrap();
    conn.send(execute("chan", "park", None)).unwrap();
    conn.send(execute("chan", "sleep", None)).unwrap();
    for _ in 0..4 {
        conn.receive(&server::encode_command_reply("+OK"));
    }
    outputs(&mut conn);
    assert_eq!(conn.pending_requests(), 0);
    assert_eq!(conn.pending_completions(), 4);
}

#[test]
fn the_counters_count_messages_events_and_internal_failures() {
    let mut conn = ready();
    conn.send(Command::bgapi_with_uuid("status", "j")).unwrap();
    // The connection's own subscription for the job fails; the job itself is accepted.
    conn.receive(&server::encode_command_reply("-ERR no permission"));
    conn.receive(&server::encode_bgapi_reply("j"));
    deliver(&mut conn, &job_event("j", "done"));
    deliver(&mut conn, &Event::builder("HEARTBEAT").build());
    outputs(&mut conn);
    let stats = conn.stats();
    // auth/request and its `+OK accepted`, then these four.
    assert_eq!(stats.messages, 6);
    assert_eq!(stats.internal_replies, 1);
    assert_eq!(stats.internal_failures, 1);
    assert_eq!(
        stats.hidden_events, 1,
        "the job's event, asked for internally"
    );
    assert_eq!(stats.events, 1, "the heartbeat");
}

#[test]
fn xml_and_json_events_reach_the_application_parsed() {
    let mut conn = quiet();
    let event = Event::builder("CUSTOM")
        .header("Event-Subclass", "my::thing")
        .header("Value", "a b")
        .build();
    for format in [EventFormat::Xml, EventFormat::Json, EventFormat::Plain] {
        conn.receive(&server::encode_event(&event, format));
        let out = outputs(&mut conn);
        assert!(
            matches!(&out[..], [Output::Event(e)] if e.format() == format
                && e.subclass().unwrap() == "my::thing"
                && e.header("Value").unwrap() == "a b"),
            "{format:?}: {out:#?}"
        );
    }
}

#[test]
fn a_job_result_is_ok_unless_it_reports_an_error() {
    let ok = |body: &str| Response::Job(job_event("j", body)).is_ok();
    assert!(ok("+OK done\n"));
    assert!(ok("UP 0 years\n"));
    assert!(!ok("-ERR no such command\n"));
    assert!(!ok("-USAGE: status\n"));
    assert!(Response::Job(Event::builder("BACKGROUND_JOB").build()).is_ok());
}

#[test]
fn the_debug_view_shows_what_is_open_and_never_the_password() {
    let mut conn = ready();
    conn.send(Command::bgapi_with_uuid("status", "j")).unwrap();
    conn.send(execute("chan", "playback", Some("e"))).unwrap();
    conn.send(execute("chan", "park", None)).unwrap();
    // Its three subscriptions, the bgapi and the two sendmsg are answered; the job, the
    // execute and the adoption remain.
    for _ in 0..6 {
        conn.receive(&server::encode_command_reply("+OK"));
    }
    outputs(&mut conn);
    let debug = format!("{conn:?}");
    assert!(!debug.contains("ClueCon"), "{debug}");
    assert!(debug.contains("Password(<redacted>)"), "{debug}");
    for part in ["pending: 0", "jobs: 1", "executes: 2"] {
        assert!(debug.contains(part), "{part} in {debug}");
    }
}

#[test]
fn the_header_limit_holds_for_each_event_of_one_read_on_its_own() {
    let limits = Limits::default().max_headers(3);
    let mut conn = Connection::inbound(Auth::Manual).with_limits(limits);
    let event = |n: &str| {
        Event::builder("CUSTOM")
            .header("Event-Subclass", "x::y")
            .header("N", n)
            .build()
    };
    // Two events of three headers each (Content-Length is not among an event's own), in one
    // read: they share one index, and each is held to the limit alone.
    let mut wire = server::encode_event(&event("1"), EventFormat::Plain).to_vec();
    wire.extend_from_slice(&server::encode_event(&event("2"), EventFormat::Plain));
    conn.receive(&wire);
    let names: Vec<String> = outputs(&mut conn)
        .iter()
        .map(|o| match o {
            Output::Event(e) => e.header("N").unwrap().into_owned(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(names, ["1", "2"]);
    let over = Event::builder("CUSTOM")
        .header("A", "1")
        .header("B", "2")
        .header("C", "3")
        .build();
    conn.receive(&server::encode_event(&over, EventFormat::Plain));
    assert!(matches!(
        outputs(&mut conn)[..],
        [Output::InvalidEvent {
            error: EventError::Plain(FrameError::TooManyHeaders { limit: 3 }),
            ..
        }]
    ));
}
