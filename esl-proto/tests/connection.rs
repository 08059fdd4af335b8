//! The connection's own logic, driven through its public API with a scripted switch.

use esl_proto::server::{self, CommandReader};
use esl_proto::{
    Auth, CloseReason, Command, Connection, Error, Event, EventFormat, FrameError, Limits, Output,
    RequestError, RequestId, Response, SendError,
};

const AUTH_REQUEST: &[u8] = b"Content-Type: auth/request\n\n";

fn outputs(conn: &mut Connection) -> Vec<Output> {
    let mut out = Vec::new();
    while let Some(o) = conn.poll_output().expect("no fatal error") {
        out.push(o);
    }
    out
}

/// What the connection wrote, as parsed commands.
fn sent(conn: &mut Connection) -> Vec<Command> {
    let mut reader = CommandReader::new(Limits::default());
    while let Some(bytes) = conn.poll_transmit() {
        reader.push(&bytes);
    }
    let mut commands = Vec::new();
    while let Some(c) = reader.next_command().unwrap() {
        commands.push(c.parse());
    }
    commands
}

fn ready() -> Connection {
    let mut conn = Connection::inbound(Auth::Password("ClueCon".into()));
    conn.receive(AUTH_REQUEST);
    outputs(&mut conn);
    assert_eq!(sent(&mut conn), [Command::auth("ClueCon")]);
    conn.receive(&server::encode_command_reply("+OK accepted"));
    assert!(matches!(outputs(&mut conn)[..], [Output::Ready(_)]));
    conn
}

fn terminal(outputs: &[Output], id: RequestId) -> &Output {
    let found: Vec<_> = outputs
        .iter()
        .filter(|o| matches!(o, Output::Response { id: i, .. } | Output::Failed { id: i, .. } if *i == id))
        .collect();
    assert_eq!(found.len(), 1, "{id}: {outputs:#?}");
    found[0]
}

fn job_event(uuid: &str, body: &str) -> Event {
    Event::builder("BACKGROUND_JOB")
        .header("Job-UUID", uuid)
        .header("Job-Command", "status")
        .body(body)
        .build()
}

#[test]
fn commands_before_auth_are_held_and_released_in_order() {
    let mut conn = Connection::inbound(Auth::Password("ClueCon".into()));
    let a = conn.send(Command::api("status")).unwrap();
    let b = conn.send(Command::api("version")).unwrap();
    assert!(conn.poll_transmit().is_none(), "nothing before auth");
    assert_eq!(conn.pending_requests(), 2);
    conn.receive(AUTH_REQUEST);
    outputs(&mut conn);
    assert_eq!(sent(&mut conn), [Command::auth("ClueCon")]);
    conn.receive(&server::encode_command_reply("+OK accepted"));
    outputs(&mut conn);
    assert_eq!(
        sent(&mut conn),
        [Command::api("status"), Command::api("version")]
    );
    conn.receive(&server::encode_api_response(b"A"));
    conn.receive(&server::encode_api_response(b"B"));
    let out = outputs(&mut conn);
    assert!(
        matches!(terminal(&out, a), Output::Response { response, .. } if response.text() == "A")
    );
    assert!(
        matches!(terminal(&out, b), Output::Response { response, .. } if response.text() == "B")
    );
}

#[test]
fn userauth_is_sent_when_configured() {
    let mut conn = Connection::inbound(Auth::User {
        user: "1000@default".into(),
        password: "pw".into(),
    });
    conn.receive(AUTH_REQUEST);
    outputs(&mut conn);
    assert_eq!(sent(&mut conn), [Command::userauth("1000@default", "pw")]);
    conn.receive(&server::encode_command_reply_with(
        "+OK accepted",
        &[
            ("Allowed-Events", "all"),
            ("Allowed-API", "all"),
            ("Allowed-LOG", "true"),
        ],
    ));
    assert!(matches!(outputs(&mut conn)[..], [Output::Ready(_)]));
}

#[test]
fn a_cancelled_request_never_steals_the_next_reply() {
    let mut conn = ready();
    let slow = conn.send(Command::api("slow")).unwrap();
    let next = conn.send(Command::api("next")).unwrap();
    assert!(conn.cancel(slow));
    assert!(!conn.cancel(slow), "already ended");
    let out = outputs(&mut conn);
    assert!(matches!(
        terminal(&out, slow),
        Output::Failed {
            error: RequestError::Cancelled,
            ..
        }
    ));
    conn.receive(&server::encode_api_response(b"late reply for slow"));
    conn.receive(&server::encode_api_response(b"reply for next"));
    let out = outputs(&mut conn);
    assert!(
        matches!(terminal(&out, next), Output::Response { response, .. } if response.text() == "reply for next")
    );
    assert_eq!(conn.stats().late_replies, 1);
    assert_eq!(conn.pending_requests(), 0);
}

#[test]
fn cancelling_a_held_command_means_it_is_never_sent() {
    let mut conn = Connection::inbound(Auth::Password("p".into()));
    let dropped = conn.send(Command::api("dropped")).unwrap();
    let kept = conn.send(Command::api("kept")).unwrap();
    assert!(conn.cancel(dropped));
    conn.receive(AUTH_REQUEST);
    conn.receive(&server::encode_command_reply("+OK accepted"));
    outputs(&mut conn);
    assert_eq!(sent(&mut conn), [Command::auth("p"), Command::api("kept")]);
    conn.receive(&server::encode_api_response(b"ok"));
    let out = outputs(&mut conn);
    assert!(matches!(terminal(&out, kept), Output::Response { .. }));
}

#[test]
fn a_reconnection_numbers_its_requests_after_the_old_ones() {
    // A caller still holding an id of the lost connection (a job it never awaited) cancels
    // it when it gives up; that id must name nothing on the new connection.
    let mut old = ready();
    let stale = old.send(Command::api("status")).unwrap();
    old.receive_eof();
    outputs(&mut old);
    let mut fresh =
        Connection::inbound(Auth::Password("ClueCon".into())).with_request_ids_after(&old);
    let new = fresh.send(Command::api("status")).unwrap();
    assert_ne!(new, stale);
    assert!(new > stale);
    assert!(!fresh.cancel(stale), "a stale id cancelled a new request");
    // Without continuing, a new connection numbers from the start again, and the stale id
    // would cancel whichever new request got its number.
    let mut restarted = Connection::inbound(Auth::Password("ClueCon".into()));
    let reused = std::iter::repeat_with(|| restarted.send(Command::api("status")).unwrap())
        .take(4)
        .find(|id| *id == stale);
    assert_eq!(reused, Some(stale));
    assert!(restarted.cancel(stale));
}

#[test]
fn a_client_chosen_job_uuid_resolves_even_if_the_event_beats_the_reply() {
    let mut conn = ready();
    conn.send(Command::event(EventFormat::Plain, ["BACKGROUND_JOB"]))
        .unwrap();
    let job = conn
        .send(Command::bgapi_with_uuid("status", "j-1"))
        .unwrap();
    sent(&mut conn);
    conn.receive(&server::encode_command_reply(
        "+OK event listener enabled plain",
    ));
    // The event first, then the reply: the job is already done when the reply comes.
    conn.receive(&server::encode_event(
        &job_event("j-1", "UP\n"),
        EventFormat::Plain,
    ));
    conn.receive(&server::encode_bgapi_reply("j-1"));
    let after = conn.send(Command::api("after")).unwrap();
    conn.receive(&server::encode_api_response(b"after"));
    let out = outputs(&mut conn);
    assert!(
        matches!(terminal(&out, job), Output::Response { response: Response::Job(e), .. } if e.body_text().unwrap() == "UP\n")
    );
    assert!(
        !out.iter().any(|o| matches!(o, Output::Accepted { .. })),
        "no accept after the result"
    );
    assert!(
        matches!(terminal(&out, after), Output::Response { response, .. } if response.text() == "after")
    );
    assert_eq!(conn.pending_completions(), 0);
}

#[test]
fn a_job_without_subscription_subscribes_and_hides_what_the_application_did_not_ask_for() {
    let mut conn = ready();
    let job = conn
        .send(Command::bgapi_with_uuid("status", "j-2"))
        .unwrap();
    assert_eq!(
        sent(&mut conn),
        [
            Command::event(EventFormat::Plain, ["BACKGROUND_JOB"]),
            Command::bgapi_with_uuid("status", "j-2")
        ]
    );
    conn.receive(&server::encode_command_reply(
        "+OK event listener enabled plain",
    ));
    conn.receive(&server::encode_bgapi_reply("j-2"));
    conn.receive(&server::encode_event(
        &job_event("j-2", "UP\n"),
        EventFormat::Plain,
    ));
    conn.receive(&server::encode_event(
        &job_event("someone-elses", "x"),
        EventFormat::Plain,
    ));
    let out = outputs(&mut conn);
    assert!(matches!(out[0], Output::Accepted { id, .. } if id == job));
    assert!(matches!(
        terminal(&out, job),
        Output::Response {
            response: Response::Job(_),
            ..
        }
    ));
    assert!(
        !out.iter().any(|o| matches!(o, Output::Event(_))),
        "{out:#?}"
    );
    assert_eq!(conn.stats().hidden_events, 2);
    assert_eq!(conn.stats().internal_replies, 1);
    // The application's own state did not change.
    assert!(conn.subscriptions().is_empty());
    // No request needs the subscription any more: it is withdrawn, and events that were on
    // their way meanwhile are still not the application's.
    assert_eq!(sent(&mut conn), [Command::nixevent(["BACKGROUND_JOB"])]);
    assert!(conn.library_subscriptions().is_empty());
    conn.receive(&server::encode_event(
        &job_event("late", "x"),
        EventFormat::Plain,
    ));
    conn.receive(&server::encode_command_reply("+OK events disabled"));
    conn.receive(&server::encode_event(
        &job_event("after", "x"),
        EventFormat::Plain,
    ));
    let out = outputs(&mut conn);
    assert_eq!(conn.stats().hidden_events, 3);
    assert!(
        matches!(&out[..], [Output::LibraryEvent(late), Output::Event(e)]
            if late.job_uuid().as_deref() == Some("late") && e.job_uuid().as_deref() == Some("after")),
        "{out:#?}"
    );
}

/// A `CUSTOM` event is the connection's own by its subclass: the one it keeps subscribed to
/// is hidden, another subclass the application asked for is not.
#[test]
fn a_custom_event_is_the_connections_own_by_its_subclass() {
    let mut conn = ready();
    conn.send(Command::event(
        EventFormat::Plain,
        ["CUSTOM", "sofia::register"],
    ))
    .unwrap();
    conn.keep_subscribed("conference::maintenance");
    let written = sent(&mut conn);
    assert_eq!(
        written.last(),
        Some(&Command::event(
            EventFormat::Plain,
            ["CUSTOM", "conference::maintenance"]
        )),
        "a subclass is subscribed to as CUSTOM and its name"
    );
    for _ in written {
        conn.receive(&server::encode_command_reply("+OK"));
    }
    outputs(&mut conn);
    let custom = |subclass: &str| {
        Event::builder("CUSTOM")
            .header("Event-Subclass", subclass)
            .build()
    };
    for subclass in ["conference::maintenance", "sofia::register"] {
        conn.receive(&server::encode_event(&custom(subclass), EventFormat::Plain));
    }
    let out = outputs(&mut conn);
    assert!(
        matches!(&out[..], [Output::LibraryEvent(own), Output::Event(theirs)]
            if own.subclass().as_deref() == Some("conference::maintenance")
                && theirs.subclass().as_deref() == Some("sofia::register")),
        "{out:#?}"
    );
    assert_eq!(conn.stats().hidden_events, 1);
}

#[test]
fn subscriptions_use_the_current_format_and_filters_are_covered_too() {
    let mut conn = ready();
    conn.send(Command::event(EventFormat::Json, ["CHANNEL_CREATE"]))
        .unwrap();
    conn.send(Command::filter("Unique-ID", "abc")).unwrap();
    sent(&mut conn);
    conn.send(Command::bgapi("status")).unwrap();
    assert_eq!(
        sent(&mut conn),
        [
            Command::event(EventFormat::Json, ["BACKGROUND_JOB"]),
            Command::filter("Event-Name", "BACKGROUND_JOB"),
            Command::bgapi("status"),
        ]
    );
}

#[test]
fn noevents_while_a_job_is_open_restores_its_subscription() {
    let mut conn = ready();
    conn.send(Command::event(EventFormat::Xml, ["ALL"]))
        .unwrap();
    conn.send(Command::bgapi_with_uuid("originate x", "j-3"))
        .unwrap();
    conn.send(Command::NoEvents).unwrap();
    assert_eq!(
        sent(&mut conn),
        [
            Command::event(EventFormat::Xml, ["ALL"]),
            Command::bgapi_with_uuid("originate x", "j-3"),
            Command::NoEvents,
            Command::event(EventFormat::Xml, ["BACKGROUND_JOB"]),
        ]
    );
    // With nothing open, noevents is left alone.
    let mut idle = ready();
    idle.send(Command::NoEvents).unwrap();
    assert_eq!(sent(&mut idle), [Command::NoEvents]);
}

#[test]
fn auto_subscribe_can_be_turned_off() {
    let mut conn = ready().with_auto_subscribe(false);
    conn.send(Command::bgapi("status")).unwrap();
    assert_eq!(sent(&mut conn), [Command::bgapi("status")]);
}

#[test]
fn bgapi_on_a_myevents_connection_is_refused_up_front() {
    let mut conn = ready();
    conn.send(Command::MyEvents {
        uuid: Some("u".into()),
        format: None,
    })
    .unwrap();
    assert!(matches!(
        conn.send(Command::bgapi("status")),
        Err(SendError::Unresolvable(_))
    ));
}

#[test]
fn an_execute_with_event_uuid_resolves_and_one_on_a_dead_channel_fails() {
    let mut conn = ready();
    conn.send(Command::event(
        EventFormat::Plain,
        ["CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP_COMPLETE"],
    ))
    .unwrap();
    let mut exec = esl_proto::Execute::new("playback", Some("x.wav".into()));
    exec.event_uuid = Some("ev-1".into());
    let play = conn
        .send(Command::SendMsg(esl_proto::SendMsg {
            uuid: Some("chan".into()),
            command: esl_proto::CallCommand::Execute(exec),
            headers: vec![],
        }))
        .unwrap();
    let mut exec = esl_proto::Execute::new("sleep", Some("1000".into()));
    exec.event_uuid = Some("ev-2".into());
    let queued = conn
        .send(Command::SendMsg(esl_proto::SendMsg {
            uuid: Some("chan".into()),
            command: esl_proto::CallCommand::Execute(exec),
            headers: vec![],
        }))
        .unwrap();
    sent(&mut conn);
    conn.receive(&server::encode_command_reply(
        "+OK event listener enabled plain",
    ));
    conn.receive(&server::encode_command_reply("+OK"));
    conn.receive(&server::encode_command_reply("+OK"));
    let complete = Event::builder("CHANNEL_EXECUTE_COMPLETE")
        .header("Unique-ID", "chan")
        .header("Application", "playback")
        .header("Application-UUID", "ev-1")
        .header("Application-Response", "FILE PLAYED")
        .build();
    conn.receive(&server::encode_event(&complete, EventFormat::Plain));
    let hangup = Event::builder("CHANNEL_HANGUP_COMPLETE")
        .header("Unique-ID", "chan")
        .build();
    conn.receive(&server::encode_event(&hangup, EventFormat::Plain));
    let out = outputs(&mut conn);
    assert!(
        matches!(terminal(&out, play), Output::Response { response: Response::Executed(e), .. }
        if e.application_response().unwrap() == "FILE PLAYED")
    );
    assert!(
        matches!(terminal(&out, queued), Output::Failed { error: RequestError::ChannelGone { uuid }, .. } if uuid == "chan")
    );
    // The application subscribed to both events, so it sees them.
    assert_eq!(
        out.iter().filter(|o| matches!(o, Output::Event(_))).count(),
        2
    );
}

#[test]
fn an_execute_that_does_not_wait_ends_at_the_switch_ok() {
    let mut conn = ready();
    let mut exec = esl_proto::Execute::new("answer", None);
    exec.wait = false;
    let id = conn
        .send(Command::SendMsg(esl_proto::SendMsg {
            uuid: Some("chan".into()),
            command: esl_proto::CallCommand::Execute(exec),
            headers: vec![],
        }))
        .unwrap();
    // No subscription is needed for it.
    assert_eq!(sent(&mut conn).len(), 1);
    conn.receive(&server::encode_command_reply("+OK"));
    let out = outputs(&mut conn);
    assert!(
        matches!(terminal(&out, id), Output::Response { response: Response::Reply(r), .. } if r.is_ok())
    );
}

#[test]
fn eof_fails_every_open_request_in_order_and_closes() {
    let mut conn = ready();
    let a = conn.send(Command::api("a")).unwrap();
    let b = conn.send(Command::bgapi_with_uuid("b", "j")).unwrap();
    let c = conn.send(Command::api("c")).unwrap();
    // On the wire: api a, the subscription the job needs, bgapi b, api c.
    conn.receive(&server::encode_api_response(b"a"));
    conn.receive(&server::encode_command_reply(
        "+OK event listener enabled plain",
    ));
    conn.receive(&server::encode_bgapi_reply("j"));
    conn.receive_eof();
    let out = outputs(&mut conn);
    let failed: Vec<RequestId> = out
        .iter()
        .filter_map(|o| match o {
            Output::Failed {
                id,
                error: RequestError::ConnectionClosed(CloseReason::Eof),
            } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(failed, [b, c]);
    assert!(matches!(terminal(&out, a), Output::Response { .. }));
    assert!(matches!(out.last(), Some(Output::Closed(CloseReason::Eof))));
    assert!(conn.poll_output().unwrap().is_none());
    assert_eq!(conn.send(Command::api("late")), Err(SendError::Closed));
}

#[test]
fn eof_in_the_middle_of_a_message_is_truncated() {
    let mut conn = ready();
    let id = conn.send(Command::api("a")).unwrap();
    conn.receive(b"Content-Type: api/response\nContent-Length: 10\n\nabc");
    conn.receive_eof();
    let out = outputs(&mut conn);
    assert!(matches!(
        terminal(&out, id),
        Output::Failed {
            error: RequestError::ConnectionClosed(CloseReason::Truncated),
            ..
        }
    ));
    assert!(matches!(
        out.last(),
        Some(Output::Closed(CloseReason::Truncated))
    ));
}

#[test]
fn a_framing_error_is_fatal_and_sticky() {
    let mut conn = ready();
    let id = conn.send(Command::api("a")).unwrap();
    conn.receive(b"Content-Type: api/response\nContent-Length: nope\n\n");
    let first = conn.poll_output().unwrap().unwrap();
    let error = conn.poll_output().unwrap_err();
    assert_eq!(
        error,
        Error::Frame(FrameError::InvalidContentLength("nope".into()))
    );
    assert!(
        matches!(first, Output::Failed { id: i, error: RequestError::ConnectionFailed(e) } if i == id && e == error)
    );
    assert_eq!(conn.poll_output().unwrap_err(), error);
    assert_eq!(
        conn.send(Command::api("b")),
        Err(SendError::Connection(error))
    );
}

#[test]
fn a_rude_rejection_is_fatal() {
    let mut conn = Connection::inbound(Auth::Password("p".into()));
    conn.receive(&server::encode_rude_rejection("Access Denied, go away.\n"));
    assert_eq!(
        conn.poll_output().unwrap_err(),
        Error::Rejected("Access Denied, go away.".into())
    );
}

#[test]
fn a_reply_nobody_asked_for_is_reported_not_paired() {
    let mut conn = ready();
    conn.receive(&server::encode_command_reply("+OK surprise"));
    assert!(matches!(outputs(&mut conn)[..], [Output::Unexpected(_)]));
    conn.receive(b"Content-Type: x/new-thing\n\n");
    assert!(matches!(outputs(&mut conn)[..], [Output::Unexpected(_)]));
}

#[test]
fn a_bad_event_body_is_reported_and_the_stream_goes_on() {
    let mut conn = ready();
    conn.receive(b"Content-Length: 3\nContent-Type: text/event-json\n\n{x}");
    conn.receive(&server::encode_event(
        &Event::builder("HEARTBEAT").build(),
        EventFormat::Json,
    ));
    let out = outputs(&mut conn);
    assert!(matches!(out[0], Output::InvalidEvent { .. }));
    assert!(matches!(&out[1], Output::Event(e) if e.name() == esl_proto::EventName::Heartbeat));
}

#[test]
fn the_pending_request_limit_holds_from_both_sides() {
    let limits = Limits::default()
        .max_pending_requests(2)
        .max_pending_jobs(1);
    let mut conn = Connection::inbound(Auth::Password("p".into())).with_limits(limits);
    conn.send(Command::api("1")).unwrap();
    conn.send(Command::api("2")).unwrap();
    assert_eq!(
        conn.send(Command::api("3")),
        Err(SendError::TooManyPending {
            kind: "pending requests",
            limit: 2
        })
    );
    let mut conn = Connection::inbound(Auth::Manual)
        .with_auto_subscribe(false)
        .with_limits(Limits::default().max_pending_jobs(1));
    conn.send(Command::bgapi_with_uuid("a", "j1")).unwrap();
    assert_eq!(
        conn.send(Command::bgapi_with_uuid("b", "j2")),
        Err(SendError::TooManyPending {
            kind: "pending jobs",
            limit: 1
        })
    );
}

#[test]
fn a_new_connection_replays_the_old_ones_subscriptions_before_held_commands() {
    let mut old = ready();
    old.send(Command::event(
        EventFormat::Json,
        ["CHANNEL_ANSWER", "CUSTOM", "conference::maintenance"],
    ))
    .unwrap();
    old.send(Command::filter("Event-Name", "CHANNEL_ANSWER"))
        .unwrap();
    old.send(Command::Log {
        level: Some(esl_proto::LogLevel::Info),
    })
    .unwrap();
    // What the switch accepted is what a reconnect replays.
    for _ in 0..3 {
        old.receive(&server::encode_command_reply("+OK"));
    }
    outputs(&mut old);
    assert!(!old.subscriptions().is_empty());
    let mut new = Connection::inbound(Auth::Password("ClueCon".into()))
        .with_subscriptions(old.subscriptions());
    new.send(Command::api("status")).unwrap();
    new.receive(AUTH_REQUEST);
    new.receive(&server::encode_command_reply("+OK accepted"));
    outputs(&mut new);
    assert_eq!(
        sent(&mut new),
        [
            Command::auth("ClueCon"),
            Command::event(
                EventFormat::Json,
                ["CHANNEL_ANSWER", "CUSTOM", "conference::maintenance"]
            ),
            Command::filter("Event-Name", "CHANNEL_ANSWER"),
            Command::Log {
                level: Some(esl_proto::LogLevel::Info)
            },
            Command::api("status"),
        ]
    );
    // They are the application's again once the switch accepts them.
    assert!(new.subscriptions().is_empty());
    for _ in 0..3 {
        new.receive(&server::encode_command_reply("+OK"));
    }
    outputs(&mut new);
    assert_eq!(new.subscriptions(), old.subscriptions());
}

#[test]
fn close_fails_open_requests_locally() {
    let mut conn = ready();
    let id = conn.send(Command::api("a")).unwrap();
    conn.close();
    let out = outputs(&mut conn);
    assert!(matches!(
        terminal(&out, id),
        Output::Failed {
            error: RequestError::ConnectionClosed(CloseReason::Local),
            ..
        }
    ));
    assert!(conn.is_closed());
}

#[test]
fn outbound_sends_connect_first_and_holds_commands_until_the_channel_data() {
    let mut conn = Connection::outbound();
    let answer = conn.send(Command::execute(None, "answer", None)).unwrap();
    assert_eq!(sent(&mut conn), [Command::Connect]);
    let channel = Event::builder("CHANNEL_DATA")
        .header("Unique-ID", "sess")
        .header("Channel-Name", "loopback/socket-b")
        .build();
    conn.receive(&server::encode_connect_reply(&channel, true, true));
    let out = outputs(&mut conn);
    assert!(
        matches!(&out[0], Output::Ready(r) if r.channel.as_ref().unwrap().header("Channel-Name").unwrap() == "loopback/socket-b")
    );
    assert_eq!(conn.session_uuid(), Some("sess"));
    // The execute waits for its completion, so the connection subscribes for it, on the
    // session's own channel.
    let commands = sent(&mut conn);
    assert_eq!(
        commands[0],
        Command::event(EventFormat::Plain, ["CHANNEL_EXECUTE_COMPLETE"])
    );
    assert_eq!(
        commands[1],
        Command::event(EventFormat::Plain, ["CHANNEL_EXECUTE"])
    );
    assert_eq!(commands[2], Command::execute(None, "answer", None));
    conn.receive(&server::encode_command_reply(
        "+OK event listener enabled plain",
    ));
    conn.receive(&server::encode_command_reply(
        "+OK event listener enabled plain",
    ));
    conn.receive(&server::encode_command_reply("+OK"));
    for name in ["CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE"] {
        let e = Event::builder(name)
            .header("Unique-ID", "sess")
            .header("Application", "answer")
            .header("Application-UUID", "fs-chosen")
            .build();
        conn.receive(&server::encode_event(&e, EventFormat::Plain));
    }
    let out = outputs(&mut conn);
    assert!(matches!(
        terminal(&out, answer),
        Output::Response {
            response: Response::Executed(_),
            ..
        }
    ));
    assert!(
        !out.iter().any(|o| matches!(o, Output::Event(_))),
        "internal-only events hidden"
    );
}

#[test]
fn an_originate_output_names_the_new_channel_or_nothing() {
    let job = |body: &str| Response::Job(job_event("j", body));
    assert_eq!(
        job("+OK 0a83ac5e-9592-4e59-84c7-7064de14660d\n")
            .originated_uuid()
            .as_deref(),
        Some("0a83ac5e-9592-4e59-84c7-7064de14660d")
    );
    for failed in [
        "-ERR NO_ROUTE_DESTINATION\n",
        "+OK\n",
        "",
        "-USAGE: <call url>\n",
    ] {
        assert_eq!(job(failed).originated_uuid(), None, "{failed:?}");
    }
}
