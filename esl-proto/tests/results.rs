//! Every result reaches the request that asked for it: replies in FIFO order, jobs by their
//! `Job-UUID`, executes by their `Application-UUID`, and nothing for a request that ended.

mod common;

use common::*;
use esl_proto::server;
use esl_proto::{Command, Event, Output, RequestError, Response};

#[test]
fn each_reply_goes_to_the_oldest_request_still_waiting() {
    let mut conn = quiet();
    let first = conn.send(Command::api("echo first")).unwrap();
    let second = conn.send(Command::api("echo second")).unwrap();
    conn.receive(&server::encode_api_response(b"first"));
    let out = outputs(&mut conn);
    assert_eq!(ended(&out), [first]);
    assert_eq!(result_text(&out, first), "first");
    // A request sent after the first reply still queues behind the second.
    let third = conn.send(Command::filter("Unique-ID", "x")).unwrap();
    conn.receive(&server::encode_api_response(b"second"));
    conn.receive(&server::encode_command_reply("+OK filter added"));
    let out = outputs(&mut conn);
    assert_eq!(ended(&out), [second, third]);
    assert_eq!(result_text(&out, second), "second");
    assert!(
        matches!(terminal(&out, third), Output::Response { response: Response::Reply(r), .. } if r.text() == "+OK filter added")
    );
    assert_eq!(conn.pending_requests(), 0);
}

#[test]
fn a_background_job_resolves_the_request_its_job_uuid_names() {
    let mut conn = quiet();
    let a = conn
        .send(Command::bgapi_with_uuid("status", "job-a"))
        .unwrap();
    let b = conn
        .send(Command::bgapi_with_uuid("status", "job-b"))
        .unwrap();
    let c = conn
        .send(Command::bgapi_with_uuid("status", "job-c"))
        .unwrap();
    for uuid in ["job-a", "job-b", "job-c"] {
        conn.receive(&server::encode_bgapi_reply(uuid));
    }
    let accepted: Vec<_> = outputs(&mut conn)
        .into_iter()
        .filter_map(|o| match o {
            Output::Accepted { id, .. } => Some(id),
            _ => None,
        })
        .collect();
    assert_eq!(accepted, [a, b, c]);
    // The newest job finishes first, then the middle one, then the oldest.
    for (uuid, id) in [("job-c", c), ("job-b", b), ("job-a", a)] {
        deliver(&mut conn, &job_event(uuid, &format!("output of {uuid}")));
        let out = outputs(&mut conn);
        assert_eq!(ended(&out), [id], "{uuid}");
        assert!(
            matches!(terminal(&out, id), Output::Response { response: Response::Job(e), .. }
                if e.body_text().unwrap() == format!("output of {uuid}")),
            "{out:#?}"
        );
    }
    assert_eq!(conn.pending_completions(), 0);
}

#[test]
fn a_job_the_switch_named_resolves_by_the_uuid_of_its_reply() {
    let mut conn = quiet();
    let by_header = conn.send(Command::bgapi("status")).unwrap();
    let by_text = conn.send(Command::bgapi("version")).unwrap();
    // The usual reply carries both the header and the text; an older switch only the text.
    conn.receive(&server::encode_bgapi_reply("srv-1"));
    conn.receive(&server::encode_command_reply("+OK Job-UUID: srv-2 "));
    outputs(&mut conn);
    assert_eq!(conn.pending_completions(), 2);
    deliver(&mut conn, &job_event("srv-2", "version output"));
    deliver(&mut conn, &job_event("srv-1", "status output"));
    let out = outputs(&mut conn);
    assert_eq!(ended(&out), [by_text, by_header]);
    assert_eq!(result_text(&out, by_text), "version output");
    assert_eq!(result_text(&out, by_header), "status output");
}

#[test]
fn a_background_job_nobody_waits_for_ends_nothing() {
    let mut conn = quiet();
    let job = conn
        .send(Command::bgapi_with_uuid("status", "mine"))
        .unwrap();
    conn.receive(&server::encode_bgapi_reply("mine"));
    deliver(&mut conn, &job_event("someone-elses", "x"));
    deliver(
        &mut conn,
        &Event::builder("BACKGROUND_JOB").body("no uuid").build(),
    );
    let out = outputs(&mut conn);
    assert!(ended(&out).is_empty(), "{out:#?}");
    assert_eq!(conn.pending_completions(), 1);
    deliver(&mut conn, &job_event("mine", "done"));
    assert_eq!(result_text(&outputs(&mut conn), job), "done");
}

#[test]
fn a_refused_bgapi_ends_at_its_error_reply_and_its_uuid_names_nothing_after() {
    let mut conn = quiet();
    let refused = conn
        .send(Command::bgapi_with_uuid("nosuchcommand", "j-err"))
        .unwrap();
    conn.receive(&server::encode_command_reply(
        "-ERR nosuchcommand Command not found!",
    ));
    let out = outputs(&mut conn);
    assert!(
        matches!(terminal(&out, refused), Output::Response { response, .. } if !response.is_ok())
    );
    assert_eq!(conn.pending_completions(), 0);
    deliver(&mut conn, &job_event("j-err", "stray"));
    assert!(ended(&outputs(&mut conn)).is_empty());
}

#[test]
fn an_execute_completes_the_request_its_event_uuid_names() {
    let mut conn = quiet();
    let first = conn
        .send(execute("chan", "playback", Some("app-1")))
        .unwrap();
    let second = conn
        .send(execute("chan", "playback", Some("app-2")))
        .unwrap();
    conn.receive(&server::encode_command_reply("+OK"));
    conn.receive(&server::encode_command_reply("+OK"));
    outputs(&mut conn);
    for (uuid, id) in [("app-2", second), ("app-1", first)] {
        deliver(
            &mut conn,
            &execute_event("CHANNEL_EXECUTE_COMPLETE", "chan", "playback", uuid),
        );
        let out = outputs(&mut conn);
        assert_eq!(ended(&out), [id], "{uuid}");
        assert_eq!(result_text(&out, id), format!("done {uuid}"));
    }
}

#[test]
fn an_execute_without_event_uuid_takes_the_first_execute_of_its_app_on_its_channel() {
    let mut conn = quiet();
    let known = conn
        .send(execute("chan-1", "playback", Some("ev-known")))
        .unwrap();
    let play = conn.send(execute("chan-1", "playback", None)).unwrap();
    let sleep = conn.send(execute("chan-1", "sleep", None)).unwrap();
    let other = conn.send(execute("chan-2", "playback", None)).unwrap();
    for _ in 0..4 {
        conn.receive(&server::encode_command_reply("+OK"));
    }
    outputs(&mut conn);
    // Each CHANNEL_EXECUTE goes to the adoption of its own channel and application (named in
    // any case); one that carries a uuid already registered is not adopted.
    for (channel, app, uuid) in [
        ("chan-1", "playback", "ev-known"),
        ("chan-1", "SLEEP", "u-sleep"),
        ("chan-2", "playback", "u-other"),
        ("chan-1", "playback", "u-play"),
    ] {
        deliver(
            &mut conn,
            &execute_event("CHANNEL_EXECUTE", channel, app, uuid),
        );
    }
    assert!(ended(&outputs(&mut conn)).is_empty());
    for (channel, uuid, id) in [
        ("chan-1", "u-play", play),
        ("chan-2", "u-other", other),
        ("chan-1", "ev-known", known),
        ("chan-1", "u-sleep", sleep),
    ] {
        deliver(
            &mut conn,
            &execute_event("CHANNEL_EXECUTE_COMPLETE", channel, "x", uuid),
        );
        let out = outputs(&mut conn);
        assert_eq!(ended(&out), [id], "{uuid}");
        assert_eq!(result_text(&out, id), format!("done {uuid}"));
    }
    assert_eq!(conn.pending_completions(), 0);
}

#[test]
fn an_execute_completion_that_beats_its_reply_ends_it_and_the_reply_is_consumed() {
    let mut conn = quiet();
    let exec = conn.send(execute("chan", "answer", Some("fast"))).unwrap();
    let after = conn.send(Command::api("after")).unwrap();
    deliver(
        &mut conn,
        &execute_event("CHANNEL_EXECUTE_COMPLETE", "chan", "answer", "fast"),
    );
    conn.receive(&server::encode_command_reply("+OK"));
    conn.receive(&server::encode_api_response(b"after"));
    let out = outputs(&mut conn);
    assert_eq!(ended(&out), [exec, after]);
    assert_eq!(result_text(&out, exec), "done fast");
    assert_eq!(result_text(&out, after), "after");
    assert!(!out.iter().any(|o| matches!(o, Output::Accepted { .. })));
}

#[test]
fn a_cancelled_job_ends_once_and_its_late_reply_and_result_reach_nobody() {
    let mut conn = quiet();
    let before = conn
        .send(Command::bgapi_with_uuid("status", "gone-early"))
        .unwrap();
    let after = conn
        .send(Command::bgapi_with_uuid("status", "gone-late"))
        .unwrap();
    let next = conn.send(Command::api("next")).unwrap();
    // One cancelled before its reply, one after.
    assert!(conn.cancel(before));
    conn.receive(&server::encode_bgapi_reply("gone-early"));
    conn.receive(&server::encode_bgapi_reply("gone-late"));
    outputs(&mut conn);
    assert!(conn.cancel(after));
    conn.receive(&server::encode_api_response(b"next"));
    deliver(&mut conn, &job_event("gone-late", "late"));
    deliver(&mut conn, &job_event("gone-early", "late"));
    let out = outputs(&mut conn);
    assert!(matches!(
        terminal(&out, after),
        Output::Failed {
            error: RequestError::Cancelled,
            ..
        }
    ));
    assert_eq!(ended(&out), [after, next]);
    assert_eq!(result_text(&out, next), "next");
    assert_eq!(conn.stats().late_replies, 1);
    assert_eq!(conn.pending_completions(), 0);
    assert_eq!(conn.pending_requests(), 0);
}

#[test]
fn a_cancelled_execute_ignores_its_completion() {
    let mut conn = quiet();
    let adopted = conn.send(execute("chan", "playback", None)).unwrap();
    let named = conn.send(execute("chan", "sleep", Some("named"))).unwrap();
    conn.receive(&server::encode_command_reply("+OK"));
    conn.receive(&server::encode_command_reply("+OK"));
    outputs(&mut conn);
    assert!(conn.cancel(adopted));
    assert!(conn.cancel(named));
    assert!(!conn.cancel(named), "already ended");
    for (app, uuid) in [("playback", "u-1"), ("sleep", "named")] {
        deliver(
            &mut conn,
            &execute_event("CHANNEL_EXECUTE", "chan", app, uuid),
        );
        deliver(
            &mut conn,
            &execute_event("CHANNEL_EXECUTE_COMPLETE", "chan", app, uuid),
        );
    }
    let out = outputs(&mut conn);
    assert_eq!(ended(&out), [adopted, named]);
    assert!(out.iter().all(|o| !matches!(o, Output::Response { .. })));
    assert_eq!(conn.pending_completions(), 0);
}

#[test]
fn cancel_is_refused_for_an_id_that_already_ended() {
    let mut conn = quiet();
    let api = conn.send(Command::api("status")).unwrap();
    let job = conn.send(Command::bgapi_with_uuid("status", "j")).unwrap();
    conn.receive(&server::encode_api_response(b"up"));
    conn.receive(&server::encode_bgapi_reply("j"));
    deliver(&mut conn, &job_event("j", "done"));
    let out = outputs(&mut conn);
    assert_eq!(ended(&out), [api, job]);
    assert!(!conn.cancel(api));
    assert!(!conn.cancel(job));
    assert!(
        outputs(&mut conn).is_empty(),
        "a refused cancel ends nothing"
    );
}

#[test]
fn a_hangup_fails_the_executes_queued_on_that_channel_only() {
    let mut conn = quiet();
    let named = conn
        .send(execute("dying", "playback", Some("d-1")))
        .unwrap();
    let survivor = conn
        .send(execute("living", "playback", Some("l-1")))
        .unwrap();
    let adopted = conn.send(execute("dying", "sleep", None)).unwrap();
    for _ in 0..3 {
        conn.receive(&server::encode_command_reply("+OK"));
    }
    // Its reply is not in yet: the switch will answer it (-ERR), so it does not fail here.
    let unreplied = conn.send(execute("dying", "park", Some("d-2"))).unwrap();
    outputs(&mut conn);
    deliver(
        &mut conn,
        &Event::builder("CHANNEL_HANGUP_COMPLETE")
            .header("Unique-ID", "dying")
            .build(),
    );
    let out = outputs(&mut conn);
    assert_eq!(ended(&out), [named, adopted]);
    for id in [named, adopted] {
        assert!(
            matches!(terminal(&out, id), Output::Failed { error: RequestError::ChannelGone { uuid }, .. } if uuid == "dying")
        );
    }
    conn.receive(&server::encode_command_reply(
        "-ERR invalid session id [dying]",
    ));
    deliver(
        &mut conn,
        &execute_event("CHANNEL_EXECUTE_COMPLETE", "living", "playback", "l-1"),
    );
    let out = outputs(&mut conn);
    assert_eq!(ended(&out), [unreplied, survivor]);
    assert_eq!(result_text(&out, survivor), "done l-1");
    assert_eq!(conn.pending_completions(), 0);
}

#[test]
fn channel_destroy_also_ends_the_executes_of_its_channel() {
    let mut conn = quiet();
    let exec = conn.send(execute("chan", "playback", Some("p"))).unwrap();
    conn.receive(&server::encode_command_reply("+OK"));
    deliver(
        &mut conn,
        &Event::builder("CHANNEL_DESTROY")
            .header("Unique-ID", "chan")
            .build(),
    );
    let out = outputs(&mut conn);
    assert!(matches!(
        terminal(&out, exec),
        Output::Failed {
            error: RequestError::ChannelGone { .. },
            ..
        }
    ));
}

/// Found by the `connection` fuzz target (`tests/fuzz_regressions/connection/`): a second
/// registration under a Job-UUID already waiting is dropped, and its request never ends.
#[test]
fn two_jobs_the_switch_names_alike_each_end_exactly_once() {
    let mut conn = quiet();
    let chosen = conn
        .send(Command::bgapi_with_uuid("status", "same"))
        .unwrap();
    let first = conn.send(Command::bgapi("status")).unwrap();
    let second = conn.send(Command::bgapi("version")).unwrap();
    for _ in 0..3 {
        conn.receive(&server::encode_bgapi_reply("same"));
    }
    deliver(&mut conn, &job_event("same", "one result"));
    conn.receive_eof();
    let out = outputs(&mut conn);
    for id in [chosen, first, second] {
        terminal(&out, id);
    }
}
