//! The request surface written once for every adapter: what each [`Call`] and each
//! [`ChannelCalls`] method sends, what it expects, and what its result means to the caller.

mod common;

use std::time::Duration;

use esl_proto::client::{job_output, originated, Call, ChannelCalls, Error, Expect};
use esl_proto::dptools::{Leg, TransferLeg};
use esl_proto::server;
use esl_proto::{
    ApiResponse, CallCommand, Command, Event, EventFormat, Framer, Limits, LogLevel, Reply,
    Response,
};

fn reply(text: &str) -> Reply {
    let mut framer = Framer::new(Limits::default());
    framer.push(&server::encode_command_reply(text));
    Reply::new(framer.next_frame().unwrap().unwrap().headers)
}

fn api(text: &str) -> Response {
    Response::Api(ApiResponse::new(text.to_owned().into()))
}

fn job(body: &str) -> Response {
    Response::Job(Event::builder("BACKGROUND_JOB").body(body).build())
}

fn completed(response: &str) -> Event {
    Event::builder("CHANNEL_EXECUTE_COMPLETE")
        .header("Application-Response", response)
        .build()
}

/// `(channel, application, argument, waits for completion)` of a `sendmsg execute`.
fn execute_of(command: &Command) -> (Option<String>, String, Option<String>, bool) {
    match command {
        Command::SendMsg(msg) => match &msg.command {
            CallCommand::Execute(exec) => (
                msg.uuid.clone(),
                exec.app.clone(),
                exec.arg.clone(),
                exec.wait,
            ),
            other => panic!("not an execute: {other:?}"),
        },
        other => panic!("not a sendmsg: {other:?}"),
    }
}

fn rejected_text<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::Rejected(text)) => text,
        other => panic!("not rejected: {other:?}"),
    }
}

#[test]
fn a_jobs_output_is_its_body_and_an_err_body_is_rejected() {
    assert_eq!(job_output(job("+OK done\n")).unwrap(), "+OK done\n");
    assert_eq!(
        job_output(job("-ERR NO_ANSWER\n")).unwrap_err().to_string(),
        "the switch answered: -ERR NO_ANSWER"
    );
    assert_eq!(rejected_text(job_output(job("-USAGE: x\n"))), "-USAGE: x\n");
}

#[test]
fn an_originate_gives_the_new_channels_uuid_or_why_there_is_none() {
    assert_eq!(originated(job("+OK 1b2c-3d\n")).unwrap(), "1b2c-3d");
    assert_eq!(
        rejected_text(originated(job("-ERR USER_BUSY\n"))),
        "-ERR USER_BUSY\n"
    );
    // `+OK` without a uuid names no channel.
    assert_eq!(rejected_text(originated(job("+OK \n"))), "+OK \n");
    assert_eq!(rejected_text(originated(job("done\n"))), "done\n");
}

#[test]
fn a_raw_send_hands_back_whatever_came() {
    let call = Call::send(Command::api("nope"));
    assert_eq!(call.expect, Expect::Any);
    assert_eq!(call.timeout, None);
    let answer = call.finish(Ok(api("-ERR nope\n"))).unwrap();
    assert_eq!(answer.text(), "-ERR nope\n");
    assert!(matches!(
        call.finish(Err(Error::Closed)),
        Err(Error::Closed)
    ));
    let timed = Call::send(Command::api("x")).within(Duration::from_secs(3));
    assert_eq!(timed.timeout, Some(Duration::from_secs(3)));
}

#[test]
fn a_command_reads_its_reply_and_anything_else_is_rejected() {
    let call = Call::command(Command::NoEvents);
    assert_eq!(
        (call.command.clone(), call.expect),
        (Command::NoEvents, Expect::Reply)
    );
    assert_eq!(
        call.finish(Ok(Response::Reply(reply("+OK no events"))))
            .unwrap()
            .text(),
        "+OK no events"
    );
    assert_eq!(rejected_text(call.finish(Ok(api("UP\n")))), "UP\n");
}

#[test]
fn api_calls_read_the_output_as_text_or_as_it_came() {
    let text = Call::api("status");
    assert_eq!(
        (text.command.clone(), text.expect),
        (Command::api("status"), Expect::Api)
    );
    assert_eq!(text.finish(Ok(api("UP 0s\n"))).unwrap(), "UP 0s\n");

    let raw = Call::api_response("status");
    assert_eq!(
        (raw.command.clone(), raw.expect),
        (Command::api("status"), Expect::Api)
    );
    assert_eq!(
        &raw.finish(Ok(api("UP 0s\n"))).unwrap().body()[..],
        b"UP 0s\n"
    );
    assert_eq!(
        rejected_text(raw.finish(Ok(Response::Reply(reply("+OK"))))),
        "+OK"
    );
}

#[test]
fn settings_are_done_at_their_ok() {
    let calls = [
        (
            Call::subscribe(EventFormat::Json, &["HEARTBEAT", "CUSTOM"]),
            Command::event(EventFormat::Json, ["HEARTBEAT", "CUSTOM"]),
        ),
        (
            Call::unsubscribe(&["HEARTBEAT"]),
            Command::nixevent(["HEARTBEAT"]),
        ),
        (
            Call::filter("Unique-ID", "u1"),
            Command::filter("Unique-ID", "u1"),
        ),
        (
            Call::filter_delete("Unique-ID", Some("u1")),
            Command::filter_delete("Unique-ID", Some("u1".into())),
        ),
        (
            Call::filter_delete("Unique-ID", None),
            Command::filter_delete("Unique-ID", None),
        ),
        (
            Call::log(LogLevel::Debug),
            Command::Log {
                level: Some(LogLevel::Debug),
            },
        ),
        (Call::setting(Command::NoLog), Command::NoLog),
    ];
    for (call, command) in calls {
        assert_eq!(call.command, command);
        assert_eq!(call.expect, Expect::Reply);
        assert!(call.finish(Ok(Response::Reply(reply("+OK")))).is_ok());
        assert!(matches!(
            call.finish(Err(Error::Closed)),
            Err(Error::Closed)
        ));
    }
}

#[test]
fn an_execute_by_uuid_waits_for_its_completion_event() {
    let call = Call::execute("u1", "playback", Some("a.wav"));
    assert_eq!(call.expect, Expect::Executed);
    assert_eq!(
        execute_of(&call.command),
        (
            Some("u1".into()),
            "playback".into(),
            Some("a.wav".into()),
            true
        )
    );
    let done = call
        .finish(Ok(Response::Executed(completed("FILE PLAYED"))))
        .unwrap();
    assert_eq!(done.application_response().as_deref(), Some("FILE PLAYED"));
    assert_eq!(
        rejected_text(call.finish(Ok(Response::Reply(reply("+OK"))))),
        "+OK"
    );
}

/// What a call sends and expects.
fn parts<T>(call: Call<T>) -> (Command, Expect) {
    (call.command, call.expect)
}

#[test]
fn channel_applications_wait_for_their_completion() {
    let calls = ChannelCalls::new("u1");
    let cases = [
        (parts(calls.answer().unwrap()), "answer", None),
        (
            parts(calls.hangup(None).unwrap()),
            "hangup",
            Some("NORMAL_CLEARING"),
        ),
        (
            parts(calls.hangup(Some("USER_BUSY")).unwrap()),
            "hangup",
            Some("USER_BUSY"),
        ),
        (
            parts(calls.bridge("user/1000").unwrap()),
            "bridge",
            Some("user/1000"),
        ),
        (
            parts(calls.playback("a.wav").unwrap()),
            "playback",
            Some("a.wav"),
        ),
        (
            parts(calls.set_variable("a", "1").unwrap()),
            "set",
            Some("a=1"),
        ),
        (
            parts(calls.set_variables([("a", "1"), ("b", "2")]).unwrap()),
            "multiset",
            Some("^^;a=1;b=2"),
        ),
        (
            parts(calls.respond(486, Some("Busy Here")).unwrap()),
            "respond",
            Some("486 Busy Here"),
        ),
        (
            parts(
                calls
                    .transfer("1000", Some("XML"), Some("default"))
                    .unwrap(),
            ),
            "transfer",
            Some("1000 XML default"),
        ),
        (parts(calls.execute("echo", None).unwrap()), "echo", None),
    ];
    for ((command, expect), app, arg) in cases {
        assert_eq!(expect, Expect::Executed, "{app}");
        assert_eq!(
            execute_of(&command),
            (Some("u1".into()), app.into(), arg.map(str::to_owned), true)
        );
    }
}

#[test]
fn channel_applications_read_their_completion_event() {
    let calls = ChannelCalls::new("u1");
    let event = || Ok(Response::Executed(completed("+OK")));
    let not_an_event = || Ok(Response::Reply(reply("+OK queued")));
    assert!(calls.answer().unwrap().finish(event()).is_ok());
    assert_eq!(
        rejected_text(calls.answer().unwrap().finish(not_an_event())),
        "+OK queued"
    );
    for call in [
        calls.execute("echo", None).unwrap(),
        calls.bridge("user/1").unwrap(),
        calls.playback("a.wav").unwrap(),
    ] {
        let done = call.finish(event()).unwrap();
        assert_eq!(done.application_response().as_deref(), Some("+OK"));
        assert_eq!(rejected_text(call.finish(not_an_event())), "+OK queued");
    }
    for call in [
        calls.set_variable("a", "1").unwrap(),
        calls.set_variables([("a", "1")]).unwrap(),
        calls.respond(180, None).unwrap(),
        calls.transfer("1000", None, None).unwrap(),
    ] {
        assert!(call.finish(event()).is_ok());
        assert_eq!(rejected_text(call.finish(not_an_event())), "+OK queued");
        assert!(matches!(
            call.finish(Err(Error::Closed)),
            Err(Error::Closed)
        ));
    }
}

#[test]
fn hanging_up_a_channel_already_gone_is_done() {
    let hangup = ChannelCalls::new("u1").hangup(None).unwrap();
    assert!(hangup
        .finish(Ok(Response::Executed(completed("+OK"))))
        .is_ok());
    assert!(hangup.finish(Err(Error::ChannelGone("u1".into()))).is_ok());
    let no_session = Error::Rejected("-ERR invalid session id [u1]\n".into());
    assert!(hangup.finish(Err(no_session)).is_ok());
    // Any other refusal, or no answer, is still an error.
    let other = Error::Rejected("-ERR no permission\n".into());
    assert_eq!(
        rejected_text(hangup.finish(Err(other))),
        "-ERR no permission\n"
    );
    let timeout = hangup.finish(Err(Error::Timeout(Duration::from_secs(1))));
    assert!(matches!(timeout, Err(Error::Timeout(_))));
    assert_eq!(
        rejected_text(hangup.finish(Ok(Response::Reply(reply("+OK"))))),
        "+OK"
    );
}

#[test]
fn queued_applications_are_done_at_the_switchs_ok() {
    let calls = ChannelCalls::new("u1");
    let cases = [
        (
            calls.execute_nowait("echo", Some("x")).unwrap(),
            "echo",
            Some("x"),
        ),
        (calls.park().unwrap(), "park", None),
        (
            calls.bridge_nowait("user/1000").unwrap(),
            "bridge",
            Some("user/1000"),
        ),
        (
            calls.playback_nowait("a.wav").unwrap(),
            "playback",
            Some("a.wav"),
        ),
    ];
    for (call, app, arg) in cases {
        assert_eq!(call.expect, Expect::Reply, "{app}");
        assert_eq!(
            execute_of(&call.command),
            (Some("u1".into()), app.into(), arg.map(str::to_owned), false)
        );
        assert!(call.finish(Ok(Response::Reply(reply("+OK")))).is_ok());
        assert!(matches!(
            call.finish(Err(Error::Closed)),
            Err(Error::Closed)
        ));
    }
}

#[test]
fn uuid_api_commands_name_the_channel_and_read_their_output() {
    let calls = ChannelCalls::new("u1");
    let cases = [
        (
            calls.broadcast("a.wav", Some(Leg::B)).unwrap(),
            "uuid_broadcast u1 a.wav bleg",
        ),
        (
            calls.record_start("/tmp/r.wav", Some(30)).unwrap(),
            "uuid_record u1 start /tmp/r.wav 30",
        ),
        (calls.record_stop("all").unwrap(), "uuid_record u1 stop all"),
        (
            calls
                .uuid_transfer(TransferLeg::Both, "1000", None, None)
                .unwrap(),
            "uuid_transfer u1 -both 1000",
        ),
    ];
    for (call, line) in cases {
        assert_eq!(call.command, Command::api(line));
        assert_eq!(call.expect, Expect::Api);
        assert_eq!(call.finish(Ok(api("+OK\n"))).unwrap(), "+OK\n");
        assert!(matches!(
            call.finish(Err(Error::Closed)),
            Err(Error::Closed)
        ));
    }
}

#[test]
fn get_variable_reads_a_value_an_unset_variable_and_a_failure() {
    let call = ChannelCalls::new("u1").get_variable("sip_user").unwrap();
    assert_eq!(call.command, Command::api("uuid_getvar u1 sip_user"));
    assert_eq!(call.expect, Expect::Any);
    assert_eq!(
        call.finish(Ok(api("1000"))).unwrap().as_deref(),
        Some("1000")
    );
    assert_eq!(call.finish(Ok(api("_undef_"))).unwrap(), None);
    assert_eq!(
        rejected_text(call.finish(Ok(api("-ERR No such channel!\n")))),
        "-ERR No such channel!"
    );
    assert!(matches!(
        call.finish(Err(Error::Closed)),
        Err(Error::Closed)
    ));
}

#[test]
fn an_outbound_sockets_applications_name_no_channel_but_its_api_commands_do() {
    let calls = ChannelCalls::socket("u9");
    let (channel, app, _, wait) = execute_of(&calls.answer().unwrap().command);
    assert_eq!((channel, app.as_str(), wait), (None, "answer", true));
    let (channel, _, _, wait) = execute_of(&calls.park().unwrap().command);
    assert_eq!((channel, wait), (None, false));
    assert_eq!(
        calls.broadcast("a.wav", None).unwrap().command,
        Command::api("uuid_broadcast u9 a.wav")
    );
    assert_ne!(calls, ChannelCalls::new("u9"));
}

#[test]
fn a_field_that_would_inject_a_command_is_refused() {
    let calls = ChannelCalls::new("u1");
    assert!(matches!(
        calls.playback("a.wav\n\nexit"),
        Err(Error::Command(_))
    ));
    assert!(matches!(
        calls.broadcast("a.wav\nexit", None),
        Err(Error::Command(_))
    ));
    assert!(matches!(calls.get_variable("a\nb"), Err(Error::Command(_))));
    assert!(matches!(
        calls.execute_nowait("a\nb", None),
        Err(Error::Command(_))
    ));
}

/// A `bgapi` and a waiting `execute` sent without a uuid of their own get one from the engine,
/// on the wire and in what `send` returns: it is how their completion is found.
#[test]
fn the_engine_names_the_jobs_and_executes_that_come_without_a_uuid() {
    use esl_proto::client::{ClientConfig, Engine};
    use esl_proto::{CallCommand, Execute, SendMsg};
    let t0 = std::time::Instant::now();
    let mut engine: Engine<&'static str, (), ()> =
        common::engine::ready(ClientConfig::password("ClueCon").seed(3), t0);
    let on_u1 = |execute| {
        Command::SendMsg(SendMsg {
            uuid: Some("u1".into()),
            command: CallCommand::Execute(execute),
            headers: vec![],
        })
    };

    let job = engine
        .send(t0, Command::bgapi("status"), Expect::Job, None, "job")
        .unwrap();
    let mut exec = Execute::new("playback", Some("a.wav".into()));
    exec.wait = true;
    let run = engine
        .send(t0, on_u1(exec), Expect::Executed, None, "exec")
        .unwrap();
    let (job_uuid, exec_uuid) = (job.uuid.unwrap(), run.uuid.unwrap());
    assert_eq!(job_uuid.len(), 36);
    assert_ne!(job_uuid, exec_uuid);
    let wire: Vec<String> = common::engine::sent(&mut engine)
        .iter()
        .map(|c| String::from_utf8(c.to_bytes().unwrap().to_vec()).unwrap())
        .collect();
    assert!(
        wire.iter()
            .any(|w| w.contains(&format!("Job-UUID: {job_uuid}"))),
        "{wire:?}"
    );
    assert!(
        wire.iter()
            .any(|w| w.contains(&format!("Event-UUID: {exec_uuid}"))),
        "{wire:?}"
    );
    // An execute nobody waits for goes out as given: nothing to match its completion to.
    let mut park = Execute::new("park", None);
    park.wait = false;
    let nowait = engine
        .send(t0, on_u1(park), Expect::Reply, None, "nowait")
        .unwrap();
    assert_eq!(nowait.uuid, None);
    let wire = common::engine::sent(&mut engine);
    let text = String::from_utf8(wire[0].to_bytes().unwrap().to_vec()).unwrap();
    assert!(!text.contains("Event-UUID"), "{text}");
    // A uuid of the caller's own is kept.
    let own = engine
        .send(
            t0,
            Command::bgapi_with_uuid("status", "mine"),
            Expect::Job,
            None,
            "own",
        )
        .unwrap();
    assert_eq!(own.uuid.as_deref(), Some("mine"));
}
