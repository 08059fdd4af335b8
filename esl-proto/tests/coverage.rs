//! The connection keeps the switch sending the events its open requests end with
//! (`BACKGROUND_JOB`, `CHANNEL_EXECUTE`, `CHANNEL_EXECUTE_COMPLETE`), through the
//! application's own `noevents` and filters, and for no request that already ended.

mod common;

use common::*;
use esl_proto::server;
use esl_proto::{Command, EventFormat, Output};

fn subscribe(name: &str) -> Command {
    Command::event(EventFormat::Plain, [name])
}

/// Answers every command written so far with `+OK` and drops the outputs.
fn accept_all(conn: &mut esl_proto::Connection, count: usize) {
    for _ in 0..count {
        conn.receive(&server::encode_command_reply("+OK"));
    }
    outputs(conn);
}

#[test]
fn a_job_already_accepted_gets_its_subscription_back_after_noevents() {
    let mut conn = ready();
    conn.send(Command::bgapi_with_uuid("status", "j")).unwrap();
    assert_eq!(sent(&mut conn).len(), 2);
    conn.receive(&server::encode_command_reply(
        "+OK event listener enabled plain",
    ));
    conn.receive(&server::encode_bgapi_reply("j"));
    outputs(&mut conn);
    conn.send(Command::NoEvents).unwrap();
    assert_eq!(
        sent(&mut conn),
        [Command::NoEvents, subscribe("BACKGROUND_JOB")]
    );
}

#[test]
fn a_job_the_switch_will_name_keeps_its_subscription_through_noevents() {
    let mut conn = ready();
    conn.send(Command::bgapi("status")).unwrap();
    sent(&mut conn);
    conn.send(Command::NoEvents).unwrap();
    assert_eq!(
        sent(&mut conn),
        [Command::NoEvents, subscribe("BACKGROUND_JOB")]
    );
}

#[test]
fn a_cancelled_request_keeps_no_subscription_alive() {
    let mut conn = ready();
    let job = conn.send(Command::bgapi("status")).unwrap();
    let adopted = conn.send(execute("chan", "park", None)).unwrap();
    let named = conn.send(execute("chan", "playback", Some("e"))).unwrap();
    sent(&mut conn);
    for id in [job, adopted, named] {
        assert!(conn.cancel(id));
    }
    // What the connection subscribed to for them alone, it withdraws...
    let withdrawn = sent(&mut conn);
    for name in [
        "BACKGROUND_JOB",
        "CHANNEL_EXECUTE",
        "CHANNEL_EXECUTE_COMPLETE",
    ] {
        assert!(
            withdrawn.contains(&Command::NixEvent {
                events: vec![name.into()]
            }),
            "{name}: {withdrawn:?}"
        );
    }
    // ...and after `noevents` it asks for none of them again.
    conn.send(Command::NoEvents).unwrap();
    assert_eq!(sent(&mut conn), [Command::NoEvents]);
}

#[test]
fn an_execute_awaiting_its_reply_keeps_its_completion_subscribed_through_noevents() {
    let mut conn = ready();
    conn.send(execute("chan", "park", None)).unwrap();
    sent(&mut conn);
    conn.send(Command::NoEvents).unwrap();
    let commands = sent(&mut conn);
    assert_eq!(commands[0], Command::NoEvents);
    assert!(
        commands.contains(&subscribe("CHANNEL_EXECUTE_COMPLETE")),
        "{commands:?}"
    );
}

/// An `execute` without `Event-UUID` learns its uuid from `CHANNEL_EXECUTE`, so that
/// subscription must survive a `noevents` sent before its reply, too: without it the switch
/// never sends the event the request is adopted by, and it stays open until the channel or
/// the connection ends.
#[test]
fn an_execute_awaiting_its_reply_keeps_channel_execute_subscribed_through_noevents() {
    let mut conn = ready();
    conn.send(execute("chan", "park", None)).unwrap();
    sent(&mut conn);
    conn.send(Command::NoEvents).unwrap();
    let commands = sent(&mut conn);
    assert!(
        commands.contains(&subscribe("CHANNEL_EXECUTE")),
        "{commands:?}"
    );
}

#[test]
fn an_adopting_execute_gets_both_its_subscriptions_back_after_noevents() {
    let mut conn = ready();
    conn.send(execute("chan", "park", None)).unwrap();
    // event CHANNEL_EXECUTE_COMPLETE, event CHANNEL_EXECUTE, the sendmsg.
    assert_eq!(sent(&mut conn).len(), 3);
    accept_all(&mut conn, 3);
    conn.send(Command::NoEvents).unwrap();
    assert_eq!(
        sent(&mut conn),
        [
            Command::NoEvents,
            subscribe("CHANNEL_EXECUTE_COMPLETE"),
            subscribe("CHANNEL_EXECUTE")
        ]
    );
}

#[test]
fn a_filter_that_already_lets_the_job_event_through_gets_no_second_filter() {
    let mut conn = ready();
    conn.send(Command::event(EventFormat::Plain, ["CHANNEL_CREATE"]))
        .unwrap();
    conn.send(Command::filter("Event-Name", "BACKGROUND_JOB"))
        .unwrap();
    sent(&mut conn);
    conn.send(Command::bgapi("status")).unwrap();
    assert_eq!(
        sent(&mut conn),
        [subscribe("BACKGROUND_JOB"), Command::bgapi("status")]
    );
}

#[test]
fn the_job_event_the_application_also_asked_for_reaches_it() {
    let mut conn = ready();
    conn.send(Command::event(EventFormat::Plain, ["BACKGROUND_JOB"]))
        .unwrap();
    let job = conn.send(Command::bgapi_with_uuid("status", "j")).unwrap();
    assert_eq!(sent(&mut conn).len(), 2, "no subscription of its own");
    accept_all(&mut conn, 2);
    deliver(&mut conn, &job_event("j", "done"));
    let out = outputs(&mut conn);
    assert_eq!(result_text(&out, job), "done");
    assert!(out.iter().any(|o| matches!(o, Output::Event(_))));
    assert_eq!(conn.stats().hidden_events, 0);
}

/// What the connection keeps subscribed for as long as it lives (a call table's events) goes
/// out once it is ready, comes back after the application's `noevents`, and outlives every
/// request that needed the same event.
#[test]
fn a_standing_subscription_is_sent_when_ready_restored_and_never_withdrawn() {
    let mut conn = esl_proto::Connection::inbound(esl_proto::Auth::Password("ClueCon".into()));
    conn.keep_subscribed("CHANNEL_CREATE");
    conn.keep_subscribed("BACKGROUND_JOB");
    assert!(sent(&mut conn).is_empty(), "nothing before the handshake");
    conn.receive(AUTH_REQUEST);
    conn.receive(&server::encode_command_reply("+OK accepted"));
    outputs(&mut conn);
    assert_eq!(
        sent(&mut conn),
        [
            Command::auth("ClueCon"),
            subscribe("BACKGROUND_JOB"),
            subscribe("CHANNEL_CREATE")
        ]
    );
    accept_all(&mut conn, 2);
    conn.send(Command::NoEvents).unwrap();
    assert_eq!(
        sent(&mut conn),
        [
            Command::NoEvents,
            subscribe("BACKGROUND_JOB"),
            subscribe("CHANNEL_CREATE")
        ]
    );
    accept_all(&mut conn, 3);
    // A job needs BACKGROUND_JOB too; once it is done, the standing subscription stays.
    let job = conn.send(Command::bgapi_with_uuid("status", "j")).unwrap();
    assert_eq!(sent(&mut conn), [Command::bgapi_with_uuid("status", "j")]);
    conn.receive(&server::encode_bgapi_reply("j"));
    deliver(&mut conn, &job_event("j", "done"));
    assert_eq!(result_text(&outputs(&mut conn), job), "done");
    assert!(sent(&mut conn).is_empty(), "nothing withdrawn");
}

/// The filter the connection adds beside its own subscription (the application has filters
/// that would keep the event out) is deleted with it, unless the application has since
/// asked for the same filter.
#[test]
fn the_filter_added_for_a_job_is_deleted_after_it_unless_the_application_has_it() {
    let mut conn = ready();
    conn.send(Command::event(EventFormat::Plain, ["CHANNEL_CREATE"]))
        .unwrap();
    conn.send(Command::filter("Event-Name", "CHANNEL_CREATE"))
        .unwrap();
    sent(&mut conn);
    accept_all(&mut conn, 2);
    let first = conn.send(Command::bgapi_with_uuid("a", "j1")).unwrap();
    assert_eq!(
        sent(&mut conn),
        [
            subscribe("BACKGROUND_JOB"),
            Command::filter("Event-Name", "BACKGROUND_JOB"),
            Command::bgapi_with_uuid("a", "j1")
        ]
    );
    accept_all(&mut conn, 2);
    conn.receive(&server::encode_bgapi_reply("j1"));
    deliver(&mut conn, &job_event("j1", "done"));
    assert_eq!(result_text(&outputs(&mut conn), first), "done");
    assert_eq!(
        sent(&mut conn),
        [
            Command::nixevent(["BACKGROUND_JOB"]),
            Command::filter_delete("Event-Name", Some("BACKGROUND_JOB".into()))
        ]
    );
    accept_all(&mut conn, 2);

    let second = conn.send(Command::bgapi_with_uuid("b", "j2")).unwrap();
    assert_eq!(sent(&mut conn).len(), 3);
    accept_all(&mut conn, 2);
    conn.send(Command::filter("Event-Name", "BACKGROUND_JOB"))
        .unwrap();
    assert_eq!(sent(&mut conn).len(), 1);
    accept_all(&mut conn, 1);
    conn.receive(&server::encode_bgapi_reply("j2"));
    deliver(&mut conn, &job_event("j2", "done"));
    assert_eq!(result_text(&outputs(&mut conn), second), "done");
    assert_eq!(
        sent(&mut conn),
        [Command::nixevent(["BACKGROUND_JOB"])],
        "the application's own filter stays"
    );
}
