//! The subscriptions the connection keeps: what the switch accepted counts, what it refused
//! does not, and what the connection adds for its own jobs and executes is withdrawn once no
//! request needs it. Also: every request ends once, whatever uuids the peer reuses.

mod common;

use common::*;
use esl_proto::server;
use esl_proto::{CloseReason, Command, EventFormat, Execute, Output, RequestError, SendMsg};

#[test]
fn a_refused_subscription_changes_neither_the_record_nor_what_a_reconnect_replays() {
    let mut conn = ready();
    conn.send(Command::event(EventFormat::Plain, ["CHANNEL_ANSWER"]))
        .unwrap();
    conn.send(Command::event(EventFormat::Plain, ["NOT_AN_EVENT"]))
        .unwrap();
    conn.send(Command::filter("Unique-ID", "abc")).unwrap();
    sent(&mut conn);
    conn.receive(&server::encode_command_reply(
        "+OK event listener enabled plain",
    ));
    conn.receive(&server::encode_command_reply("-ERR no keywords supplied"));
    conn.receive(&server::encode_command_reply(
        "+OK filter added. [Unique-ID]=[abc]",
    ));
    outputs(&mut conn);
    let record = conn.subscriptions();
    assert_eq!(record.events().collect::<Vec<_>>(), ["CHANNEL_ANSWER"]);
    assert_eq!(record.filters().len(), 1);
    let replay = record.replay();
    assert_eq!(
        replay,
        [
            Command::event(EventFormat::Plain, ["CHANNEL_ANSWER"]),
            Command::filter("Unique-ID", "abc"),
        ]
    );
    assert!(!conn
        .wire_subscriptions()
        .events()
        .any(|e| e == "NOT_AN_EVENT"));
}

#[test]
fn a_refused_subscription_a_job_relied_on_is_covered_again() {
    let mut conn = ready();
    conn.send(Command::event(EventFormat::Plain, ["BACKGROUND_JOB"]))
        .unwrap();
    // The job relies on the subscription just sent: nothing of its own is added.
    let job = conn
        .send(Command::bgapi_with_uuid("status", "j-1"))
        .unwrap();
    assert_eq!(sent(&mut conn).len(), 2);
    conn.receive(&server::encode_command_reply("-ERR refused"));
    outputs(&mut conn);
    assert_eq!(
        sent(&mut conn),
        [Command::event(EventFormat::Plain, ["BACKGROUND_JOB"])],
        "the connection subscribes for the job itself"
    );
    assert_eq!(conn.library_subscriptions(), ["BACKGROUND_JOB"]);
    conn.receive(&server::encode_bgapi_reply("j-1"));
    conn.receive(&server::encode_command_reply(
        "+OK event listener enabled plain",
    ));
    conn.receive(&server::encode_event(
        &job_event("j-1", "UP\n"),
        EventFormat::Plain,
    ));
    let out = outputs(&mut conn);
    assert_eq!(outcome_text(&out, job), Ok("UP\n".into()));
    assert!(!out.iter().any(|o| matches!(o, Output::Event(_))));
}

fn execute(uuid: &str, app: &str, event_uuid: &str) -> Command {
    let mut exec = Execute::new(app, None);
    exec.event_uuid = Some(event_uuid.into());
    Command::SendMsg(SendMsg {
        uuid: Some(uuid.into()),
        command: esl_proto::CallCommand::Execute(exec),
        headers: Vec::new(),
    })
}

fn complete(channel: &str, app_uuid: &str) -> bytes::Bytes {
    server::encode_event(
        &esl_proto::Event::builder("CHANNEL_EXECUTE_COMPLETE")
            .header("Unique-ID", channel)
            .header("Application", "answer")
            .header("Application-UUID", app_uuid)
            .header("Application-Response", "_none_")
            .build(),
        EventFormat::Plain,
    )
}

#[test]
fn the_execute_subscription_lasts_as_long_as_an_execute_waits() {
    let mut conn = ready();
    let first = conn.send(execute("chan-a", "answer", "e-1")).unwrap();
    let second = conn.send(execute("chan-b", "answer", "e-2")).unwrap();
    assert_eq!(
        sent(&mut conn),
        [
            Command::event(EventFormat::Plain, ["CHANNEL_EXECUTE_COMPLETE"]),
            execute("chan-a", "answer", "e-1"),
            execute("chan-b", "answer", "e-2"),
        ]
    );
    assert_eq!(conn.library_subscriptions(), ["CHANNEL_EXECUTE_COMPLETE"]);
    conn.receive(&server::encode_command_reply(
        "+OK event listener enabled plain",
    ));
    conn.receive(&server::encode_command_reply("+OK"));
    conn.receive(&server::encode_command_reply("+OK"));
    conn.receive(&complete("chan-a", "e-1"));
    let out = outputs(&mut conn);
    assert!(outcome_text(&out, first).is_ok());
    assert!(
        sent(&mut conn).is_empty(),
        "the second execute still needs it"
    );
    conn.receive(&complete("chan-b", "e-2"));
    let out = outputs(&mut conn);
    assert!(outcome_text(&out, second).is_ok());
    assert_eq!(
        sent(&mut conn),
        [Command::nixevent(["CHANNEL_EXECUTE_COMPLETE"])]
    );
    assert!(conn.library_subscriptions().is_empty());
    assert_eq!(conn.stats().hidden_events, 2);
}

#[test]
fn what_the_application_subscribed_to_itself_is_never_withdrawn() {
    let mut conn = ready();
    let job = conn
        .send(Command::bgapi_with_uuid("status", "j-1"))
        .unwrap();
    conn.send(Command::event(EventFormat::Plain, ["BACKGROUND_JOB"]))
        .unwrap();
    sent(&mut conn);
    conn.receive(&server::encode_command_reply(
        "+OK event listener enabled plain",
    ));
    conn.receive(&server::encode_bgapi_reply("j-1"));
    conn.receive(&server::encode_command_reply(
        "+OK event listener enabled plain",
    ));
    conn.receive(&server::encode_event(
        &job_event("j-1", "UP\n"),
        EventFormat::Plain,
    ));
    let out = outputs(&mut conn);
    assert_eq!(outcome_text(&out, job), Ok("UP\n".into()));
    assert!(
        sent(&mut conn).is_empty(),
        "no nixevent for the application's own event"
    );
    assert!(conn.library_subscriptions().is_empty());
}

#[test]
fn two_jobs_the_switch_gives_the_same_job_uuid_each_end_once() {
    let mut conn = ready();
    let first = conn.send(Command::bgapi("status")).unwrap();
    let second = conn.send(Command::bgapi("version")).unwrap();
    let third = conn.send(Command::bgapi("uptime")).unwrap();
    sent(&mut conn);
    conn.receive(&server::encode_command_reply(
        "+OK event listener enabled plain",
    ));
    for _ in 0..3 {
        conn.receive(&server::encode_bgapi_reply("same"));
    }
    conn.receive(&server::encode_event(
        &job_event("same", "one"),
        EventFormat::Plain,
    ));
    let out = outputs(&mut conn);
    assert_eq!(outcome_text(&out, first), Ok("one".into()));
    assert_eq!(conn.pending_completions(), 2);
    conn.receive_eof();
    let out = outputs(&mut conn);
    for id in [second, third] {
        assert!(matches!(
            terminal(&out, id),
            Output::Failed {
                error: RequestError::ConnectionClosed(CloseReason::Eof),
                ..
            }
        ));
    }
}

#[test]
fn two_executes_with_the_same_event_uuid_each_end_once() {
    let mut conn = ready();
    let first = conn.send(execute("chan-a", "answer", "dup")).unwrap();
    let second = conn.send(execute("chan-a", "answer", "dup")).unwrap();
    sent(&mut conn);
    conn.receive(&server::encode_command_reply(
        "+OK event listener enabled plain",
    ));
    conn.receive(&server::encode_command_reply("+OK"));
    conn.receive(&server::encode_command_reply("+OK"));
    conn.receive(&complete("chan-a", "dup"));
    conn.receive(&complete("chan-a", "dup"));
    let out = outputs(&mut conn);
    assert!(outcome_text(&out, first).is_ok());
    assert!(outcome_text(&out, second).is_ok());
    assert_eq!(conn.pending_completions(), 0);
}
