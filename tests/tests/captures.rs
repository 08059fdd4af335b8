//! Every recorded capture replayed through the client `Connection` in three chunkings (as
//! captured, one byte at a time, all at once) and through the server-side command reader.
//! The outputs must be identical across chunkings, nothing may be left over, the bytes we
//! encode must equal what the recording client sent, and each capture's specific behaviour
//! (reply pairing, jobs, executes, auth failure, disconnect and linger) must be recognised.

use esl_proto::server::CommandReader;
use esl_proto::{
    ArgPlacement, Auth, CallCommand, CloseReason, Command, Connection, Disposition, Error,
    EventFormat, EventName, Execute, Framer, Limits, LogLevel, Output, RequestError, RequestId,
    Response, SendError, SendMsg,
};
use esl_tests::fixtures::{self, Capture, Direction};

const PLAYBACK: &str = "tone_stream://%(200,100,440);loops=3";

/// How a capture's client behaved: how its connection was set up, and what it sent after the
/// handshake (the auth or connect command is the connection's own).
struct Script {
    connection: fn() -> Connection,
    commands: Vec<Command>,
}

fn password() -> Connection {
    Connection::inbound(Auth::Password("ClueCon".into()))
}

fn execute(
    uuid: Option<&str>,
    app: &str,
    arg: Option<&str>,
    tweak: impl FnOnce(&mut Execute),
) -> Command {
    let mut exec = Execute::new(app, arg.map(str::to_owned));
    tweak(&mut exec);
    Command::SendMsg(SendMsg {
        uuid: uuid.map(str::to_owned),
        command: CallCommand::Execute(exec),
        headers: vec![],
    })
}

fn script(name: &str) -> Script {
    use Command as C;
    let api = |s: &str| C::api(s);
    let (connection, commands): (fn() -> Connection, Vec<Command>) = match name {
        "inbound_auth_ok" => (password, vec![api("status"), api("version"), C::Exit]),
        "inbound_auth_fail" => (
            || Connection::inbound(Auth::Password("WrongPassword".into())),
            vec![],
        ),
        "inbound_unauth_command" => (
            || Connection::inbound(Auth::Manual),
            vec![api("status"), C::Exit],
        ),
        "inbound_api_errors" => (
            password,
            vec![
                api("no_such_command"),
                api("global_getvar no_such_var"),
                C::raw("foo bar"),
                api("show channels as json"),
                api("show channels"),
                api("uuid_kill 00000000-0000-0000-0000-000000000000"),
                api("originate"),
                C::raw("api"),
                api("eval multi\\nline"),
                C::Exit,
            ],
        ),
        "inbound_bgapi" => (
            password,
            vec![
                C::event(EventFormat::Plain, ["BACKGROUND_JOB"]),
                C::bgapi("status"),
                C::bgapi("originate loopback/park &park"),
                C::bgapi_with_uuid("status", "11111111-2222-3333-4444-555555555555"),
                C::bgapi("no_such_command arg1"),
                C::bgapi("global_getvar no_such_var"),
                api("hupall"),
                C::Exit,
            ],
        ),
        "inbound_big_event" => (
            password,
            vec![
                api("show modules"),
                api("help"),
                api("show application"),
                api("global_getvar"),
                api(&format!("global_setvar esl_big={}", "y".repeat(100_000))),
                api("global_getvar esl_big"),
                C::event(EventFormat::Plain, ["CHANNEL_CREATE"]),
                api(&format!(
                    "originate {{origination_caller_id_name=Big,big_var={}}}loopback/park &park",
                    "x".repeat(70_000)
                )),
                api("hupall"),
                api("global_setvar esl_big="),
                C::Exit,
            ],
        ),
        "inbound_conference" => (
            password,
            vec![
                C::event(EventFormat::Plain, ["CUSTOM", "conference::maintenance"]),
                api("originate loopback/conf &park"),
                api("originate loopback/conf &park"),
                api("conference conf217 list"),
                api("conference conf217 json_list"),
                api("uuid_kill ed7c010e-a598-4a98-a1b3-c31374ce6b5e"),
                api("uuid_kill d8b97312-832d-4eca-9f1d-0e9a8d3871ed"),
                api("conference conf217 list"),
                C::Exit,
            ],
        ),
        "inbound_events_plain" | "inbound_events_json" | "inbound_events_xml" => {
            let format = match name {
                "inbound_events_plain" => EventFormat::Plain,
                "inbound_events_json" => EventFormat::Json,
                _ => EventFormat::Xml,
            };
            (
                password,
                vec![
                    C::event(format, ["ALL"]),
                    C::bgapi("originate loopback/tone &park"),
                    C::NoEvents,
                    C::Exit,
                ],
            )
        }
        "inbound_filters" => (
            password,
            vec![
                C::event(EventFormat::Plain, ["ALL"]),
                C::filter("Event-Name", "CHANNEL_CREATE"),
                C::filter("Event-Name", "CHANNEL_DESTROY"),
                api("originate loopback/park &park"),
                api("uuid_kill 375cfaf0-80fe-4fa4-8560-fa6d1aa5727b"),
                C::filter_delete("Event-Name", Some("CHANNEL_CREATE".into())),
                C::filter_delete("Event-Name", None),
                C::filter("Unique-ID", "00000000-0000-0000-0000-000000000000"),
                C::filter_delete("all", None),
                C::raw("filter"),
                C::filter_delete("Event-Name", Some("NOT_THERE".into())),
                C::nixevent(["CHANNEL_CREATE"]),
                C::nixevent(["ALL"]),
                C::nixevent(Vec::<String>::new()),
                C::NoEvents,
                C::NoEvents,
                C::event(EventFormat::Plain, ["NO_SUCH_EVENT"]),
                C::Event {
                    format: None,
                    events: vec![],
                },
                C::event(
                    EventFormat::Plain,
                    [
                        "CHANNEL_CREATE",
                        "CUSTOM",
                        "conference::maintenance",
                        "sofia::register",
                    ],
                ),
                C::DivertEvents { on: true },
                C::DivertEvents { on: false },
                C::NoEvents,
                C::Exit,
            ],
        ),
        "inbound_log" => (
            // The recording client never subscribed to BACKGROUND_JOB, so its bgapi cannot
            // complete; replaying its exact bytes means not subscribing on its behalf.
            || password().with_auto_subscribe(false),
            vec![
                C::Log {
                    level: Some(LogLevel::Debug),
                },
                C::bgapi("originate loopback/park &park"),
                api("hupall"),
                C::NoLog,
                C::Log { level: None },
                C::raw("log notalevel"),
                C::NoLog,
                C::Exit,
            ],
        ),
        "inbound_myevents" | "inbound_myevents_linger" => {
            let uuid = if name == "inbound_myevents" {
                "d68e67d8-60ae-488f-aa90-ea2ad948fdc5"
            } else {
                "fb6c8bac-c1d0-4087-8a87-c58c1c6e6ab4"
            };
            let mut commands = vec![
                api("originate loopback/park &park"),
                C::MyEvents {
                    uuid: Some(uuid.into()),
                    format: None,
                },
                // The recording client wrote the format first, which FreeSWITCH's parser does
                // not read as a format (it takes the first word as the uuid); sent as written.
                C::raw(format!("myevents plain {uuid}")),
                C::DivertEvents { on: true },
                api(&format!("uuid_setvar {uuid} foo bar")),
            ];
            if name == "inbound_myevents_linger" {
                commands.push(C::Linger { seconds: Some(2) });
            }
            commands.push(api(&format!("uuid_kill {uuid}")));
            (password, commands)
        }
        "inbound_sendmsg" => {
            let uuid = Some("0a83ac5e-9592-4e59-84c7-7064de14660d");
            (
                password,
                vec![
                    C::event(
                        EventFormat::Plain,
                        [
                            "CHANNEL_EXECUTE",
                            "CHANNEL_EXECUTE_COMPLETE",
                            "CHANNEL_HANGUP",
                            "CHANNEL_HANGUP_COMPLETE",
                        ],
                    ),
                    api("originate loopback/park &park"),
                    execute(uuid, "playback", Some(PLAYBACK), |_| {}),
                    execute(uuid, "playback", Some(PLAYBACK), |e| e.event_lock = true),
                    execute(uuid, "playback", Some(PLAYBACK), |e| {
                        e.placement = ArgPlacement::Body
                    }),
                    execute(
                        Some("00000000-0000-0000-0000-000000000000"),
                        "answer",
                        None,
                        |_| {},
                    ),
                    C::hangup(uuid.map(str::to_owned), Some("NORMAL_CLEARING".into())),
                    C::Exit,
                ],
            )
        }
        "outbound_socket" | "outbound_socket_linger_timeout" => {
            let (linger, uuid) = if name == "outbound_socket" {
                (None, "63661da5-c8ec-4a78-883a-aa157c6745d6")
            } else {
                (Some(2), "a7f6cdae-ae64-478d-be7e-f6c040d04051")
            };
            let mut commands = vec![
                C::MyEvents {
                    uuid: None,
                    format: None,
                },
                C::Linger { seconds: linger },
                C::event(EventFormat::Plain, ["CHANNEL_EXECUTE_COMPLETE"]),
                execute(None, "answer", None, |_| {}),
                execute(None, "playback", Some(PLAYBACK), |_| {}),
                api(&format!("uuid_getvar {uuid} channel_name")),
                C::hangup(None, Some("NORMAL_CLEARING".into())),
            ];
            if linger.is_none() {
                commands.push(C::Exit);
            }
            (Connection::outbound, commands)
        }
        "outbound_socket_control" | "outbound_socket_linger_timeout_control" => (
            password,
            vec![
                C::event(
                    EventFormat::Plain,
                    ["BACKGROUND_JOB", "CHANNEL_HANGUP_COMPLETE"],
                ),
                C::bgapi("originate loopback/socket &park"),
                C::Exit,
            ],
        ),
        other => panic!("no script for capture {other}: add one"),
    };
    Script {
        connection,
        commands,
    }
}

#[derive(Clone, Copy, Debug)]
enum Chunking {
    AsCaptured,
    ByteByByte,
    AllAtOnce,
}

struct Replay {
    outputs: Vec<Output>,
    error: Option<Error>,
    /// The request id of each scripted command, in script order.
    ids: Vec<RequestId>,
    transmitted: Vec<u8>,
    conn: Connection,
}

impl Replay {
    fn drain(&mut self) {
        loop {
            match self.conn.poll_output() {
                Ok(Some(output)) => self.outputs.push(output),
                Ok(None) => return,
                Err(error) => {
                    self.error = Some(error);
                    return;
                }
            }
        }
    }

    fn take_transmit(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(bytes) = self.conn.poll_transmit() {
            out.extend_from_slice(&bytes);
        }
        self.transmitted.extend_from_slice(&out);
        out
    }

    /// The terminal output of the scripted command at `index`.
    fn result(&self, index: usize) -> &Output {
        let id = self.ids[index];
        let mut terminal = self.outputs.iter().filter(|o| {
            matches!(o, Output::Response { id: i, .. } | Output::Failed { id: i, .. } if *i == id)
        });
        let found = terminal
            .next()
            .unwrap_or_else(|| panic!("command {index} ({id}) never ended"));
        assert!(
            terminal.next().is_none(),
            "command {index} ({id}) ended twice"
        );
        found
    }

    fn response(&self, index: usize) -> &Response {
        match self.result(index) {
            Output::Response { response, .. } => response,
            other => panic!("command {index} did not get its result: {other:?}"),
        }
    }

    fn text(&self, index: usize) -> String {
        self.response(index).text()
    }

    fn accepted(&self, index: usize) -> bool {
        let id = self.ids[index];
        self.outputs
            .iter()
            .any(|o| matches!(o, Output::Accepted { id: i, .. } if *i == id))
    }

    fn events(&self) -> Vec<&esl_proto::Event> {
        self.outputs
            .iter()
            .filter_map(|o| match o {
                Output::Event(e) => Some(e),
                _ => None,
            })
            .collect()
    }

    fn disconnects(&self) -> Vec<(Disposition, Option<i64>)> {
        self.outputs
            .iter()
            .filter_map(|o| match o {
                Output::Disconnect(n) => Some((n.disposition(), n.linger_time())),
                _ => None,
            })
            .collect()
    }

    fn closed(&self) -> Option<CloseReason> {
        match self.outputs.last() {
            Some(Output::Closed(reason)) => Some(*reason),
            _ => None,
        }
    }
}

/// A comparable line per output. Requests are named by their place in the script, since ids
/// also count the connection's own commands (which go first or not, depending on chunking).
fn summary(replay: &Replay) -> Vec<String> {
    let name = |id: &RequestId| match replay.ids.iter().position(|i| i == id) {
        Some(index) => format!("command {index}"),
        None => format!("unknown {id}"),
    };
    let mut lines: Vec<String> = replay
        .outputs
        .iter()
        .map(|o| match o {
            Output::Ready(r) => format!(
                "ready {:?} {:?}",
                r.reply.text(),
                r.channel
                    .as_ref()
                    .map(|c| c.unique_id().map(|u| u.into_owned()))
            ),
            Output::AuthRequested => "auth requested".into(),
            Output::Accepted { id, reply } => format!("accepted {} {:?}", name(id), reply.text()),
            Output::Response { id, response } => {
                format!(
                    "response {} {:?} {:?}",
                    name(id),
                    kind(response),
                    response.text()
                )
            }
            Output::Failed { id, error } => format!("failed {} {error}", name(id)),
            Output::LibraryEvent(e) => format!("library event {}", e.name()),
            Output::Event(e) => format!(
                "event {} {:?} {:?} {:?}",
                e.name(),
                e.subclass(),
                e.unique_id(),
                e.body_text()
            ),
            Output::Log(l) => format!("log {:?} {:?}", l.level(), l.text()),
            Output::Disconnect(n) => format!("disconnect {n:?}"),
            Output::InvalidEvent { error, .. } => format!("invalid event {error}"),
            Output::Unexpected(m) => format!("unexpected {:?}", m.content_type()),
            Output::Closed(r) => format!("closed {r:?}"),
            other => format!("other {other:?}"),
        })
        .collect();
    if let Some(e) = &replay.error {
        lines.push(format!("error {e}"));
    }
    lines
}

fn kind(response: &Response) -> &'static str {
    match response {
        Response::Reply(_) => "reply",
        Response::Api(_) => "api",
        Response::Job(_) => "job",
        Response::Executed(_) => "executed",
        _ => "other",
    }
}

fn replay(capture: &Capture, chunking: Chunking) -> Replay {
    let script = script(&capture.name);
    let mut r = Replay {
        outputs: Vec::new(),
        error: None,
        ids: Vec::new(),
        transmitted: Vec::new(),
        conn: (script.connection)(),
    };
    let mut commands = script.commands.into_iter();
    match chunking {
        Chunking::AllAtOnce => {
            // Sending everything up front means a `noevents` goes out while a job is still
            // open, and the connection would rightly re-subscribe BACKGROUND_JOB for it; the
            // recording client waited for its jobs instead, so its bytes are replayed as is.
            r.conn =
                std::mem::replace(&mut r.conn, Connection::outbound()).with_auto_subscribe(false);
            for command in commands.by_ref() {
                r.ids.push(r.conn.send(command).expect("send"));
            }
            r.take_transmit();
            r.conn.receive(&capture.from_switch());
            r.drain();
            r.take_transmit();
        }
        Chunking::AsCaptured | Chunking::ByteByByte => {
            for (index, chunk) in capture.chunks.iter().enumerate() {
                match chunk.dir {
                    Direction::ToSwitch => {
                        let mut out = r.take_transmit();
                        if out.is_empty() {
                            let command = commands.next().unwrap_or_else(|| {
                                panic!("{}: script too short at chunk {index}", capture.name)
                            });
                            r.ids.push(r.conn.send(command).expect("send"));
                            out = r.take_transmit();
                        }
                        assert_eq!(
                            String::from_utf8_lossy(&out),
                            String::from_utf8_lossy(&chunk.bytes),
                            "{}: chunk {index} differs from what the client sent",
                            capture.name
                        );
                    }
                    Direction::FromSwitch => {
                        if let Chunking::ByteByByte = chunking {
                            for byte in chunk.bytes.iter() {
                                r.conn.receive(&[*byte]);
                                r.drain();
                            }
                        } else {
                            r.conn.receive(&chunk.bytes);
                            r.drain();
                        }
                    }
                }
            }
            assert!(
                commands.next().is_none(),
                "{}: script longer than the capture",
                capture.name
            );
        }
    }
    r.conn.receive_eof();
    r.drain();
    assert!(
        r.take_transmit().is_empty(),
        "{}: bytes queued after the end",
        capture.name
    );
    assert_eq!(
        String::from_utf8_lossy(&r.transmitted),
        String::from_utf8_lossy(&capture.to_switch()),
        "{} ({chunking:?}): the client bytes differ",
        capture.name
    );
    // Nothing left over: every byte parsed (unless a fatal error stopped parsing), every
    // request ended.
    if r.error.is_none() {
        assert_eq!(
            r.conn.buffered(),
            0,
            "{}: bytes left unparsed",
            capture.name
        );
    }
    assert_eq!(r.conn.pending_requests(), 0, "{}", capture.name);
    assert_eq!(r.conn.pending_completions(), 0, "{}", capture.name);
    for (index, _) in r.ids.iter().enumerate() {
        r.result(index);
    }
    assert!(
        !r.outputs
            .iter()
            .any(|o| matches!(o, Output::Unexpected(_) | Output::InvalidEvent { .. })),
        "{}: {:#?}",
        capture.name,
        summary(&r)
    );
    r
}

#[test]
fn every_capture_has_a_script_and_replays_identically_in_three_chunkings() {
    let names = fixtures::names();
    assert_eq!(
        names.len(),
        19,
        "the captures in fixtures/freeswitch: {names:?}"
    );
    for capture in fixtures::all() {
        let whole = replay(&capture, Chunking::AsCaptured);
        let bytes = replay(&capture, Chunking::ByteByByte);
        let once = replay(&capture, Chunking::AllAtOnce);
        assert_eq!(
            summary(&whole),
            summary(&bytes),
            "{}: byte by byte",
            capture.name
        );
        assert_eq!(
            summary(&whole),
            summary(&once),
            "{}: all at once",
            capture.name
        );
    }
}

fn run(name: &str) -> Replay {
    replay(&fixtures::load(name), Chunking::AsCaptured)
}

#[test]
fn auth_ok_pairs_replies_and_sees_the_goodbye() {
    let r = run("inbound_auth_ok");
    assert!(matches!(&r.outputs[0], Output::Ready(ready) if ready.reply.text() == "+OK accepted"));
    assert!(r.text(0).starts_with("UP 0 years"));
    assert!(r.text(1).starts_with("FreeSWITCH Version 1.11.2-release"));
    assert_eq!(r.text(2), "+OK bye");
    assert_eq!(r.disconnects(), [(Disposition::Disconnect, None)]);
    assert_eq!(r.closed(), Some(CloseReason::Exit));
}

#[test]
fn auth_failure_is_a_sticky_error() {
    let mut r = run("inbound_auth_fail");
    assert_eq!(
        r.error,
        Some(Error::AuthenticationFailed {
            reply: "-ERR invalid".into()
        })
    );
    assert_eq!(
        r.conn.poll_output().unwrap_err(),
        Error::AuthenticationFailed {
            reply: "-ERR invalid".into()
        }
    );
    assert_eq!(
        r.conn.send(Command::api("status")),
        Err(SendError::Connection(Error::AuthenticationFailed {
            reply: "-ERR invalid".into()
        }))
    );
    // A command held while authenticating fails with the same error.
    let mut conn = Connection::inbound(Auth::Password("WrongPassword".into()));
    let id = conn.send(Command::api("status")).unwrap();
    conn.receive(&fixtures::load("inbound_auth_fail").from_switch());
    let first = conn.poll_output().unwrap().unwrap();
    let failed = Error::AuthenticationFailed {
        reply: "-ERR invalid".into(),
    };
    assert!(
        matches!(&first, Output::Failed { id: i, error: RequestError::ConnectionFailed(e) } if *i == id && *e == failed),
        "{first:?}"
    );
    assert_eq!(conn.poll_output().unwrap_err(), failed);
}

#[test]
fn unauthenticated_commands_are_refused_but_the_socket_stays() {
    let r = run("inbound_unauth_command");
    assert!(matches!(r.outputs[0], Output::AuthRequested));
    assert_eq!(r.text(0), "-ERR command not found");
    assert!(!r.response(0).is_ok());
    assert_eq!(r.text(1), "+OK bye");
    assert_eq!(r.closed(), Some(CloseReason::Exit));
}

#[test]
fn api_errors_come_back_as_results() {
    let r = run("inbound_api_errors");
    let expected: [(&str, &str, bool); 10] = [
        ("api", "-ERR no_such_command Command not found!\n", false),
        ("api", "-ERR no reply\n", false),
        ("reply", "-ERR command not found", false),
        ("api", "{\"row_count\": 0}\n", true),
        ("api", "\n0 total.\n", true),
        ("api", "-ERR No such channel!\n", false),
        ("api", "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n", false),
        ("reply", "-ERR command not found", false),
        ("api", "multi\\nline", true),
        ("reply", "+OK bye", true),
    ];
    for (index, (k, text, ok)) in expected.iter().enumerate() {
        let response = r.response(index);
        assert_eq!(
            (kind(response), response.text().as_str(), response.is_ok()),
            (*k, *text, *ok),
            "command {index}"
        );
    }
}

#[test]
fn bgapi_jobs_resolve_by_job_uuid_including_a_client_chosen_one() {
    let r = run("inbound_bgapi");
    assert_eq!(r.text(0), "+OK event listener enabled plain");
    for index in 1..=5 {
        assert!(r.accepted(index), "bgapi {index} accepted first");
        assert!(
            matches!(r.response(index), Response::Job(_)),
            "bgapi {index}"
        );
    }
    assert!(r.text(1).starts_with("UP 0 years"));
    assert!(r.text(2).starts_with("+OK ") && r.text(2).len() == 41);
    let Response::Job(job) = r.response(3) else {
        unreachable!()
    };
    assert_eq!(
        job.job_uuid().unwrap(),
        "11111111-2222-3333-4444-555555555555"
    );
    assert_eq!(r.text(4), "-ERR no_such_command Command not found!\n");
    assert!(!r.response(4).is_ok());
    let Response::Job(empty) = r.response(5) else {
        unreachable!()
    };
    assert!(empty.body().is_none(), "an empty result has no body");
    assert_eq!(
        r.text(6),
        "+OK hangup all channels with cause MANAGER_REQUEST\n"
    );
    // The application subscribed to BACKGROUND_JOB, so it sees the events too.
    assert_eq!(
        r.events()
            .iter()
            .filter(|e| e.name() == EventName::BackgroundJob)
            .count(),
        5
    );
}

#[test]
fn events_in_three_formats_carry_the_same_lifecycle() {
    let mut lifecycles = Vec::new();
    for (name, format) in [
        ("inbound_events_plain", EventFormat::Plain),
        ("inbound_events_json", EventFormat::Json),
        ("inbound_events_xml", EventFormat::Xml),
    ] {
        let r = run(name);
        assert_eq!(r.text(0), format!("+OK event listener enabled {format}"));
        assert!(r.accepted(1));
        assert!(matches!(r.response(1), Response::Job(_)));
        assert_eq!(r.text(2), "+OK no longer listening for events");
        let events = r.events();
        assert!(events.iter().all(|e| e.format() == format));
        let names: Vec<String> = events.iter().map(|e| e.name().to_string()).collect();
        for expected in [
            "HEARTBEAT",
            "RE_SCHEDULE",
            "CODEC",
            "CHANNEL_OUTGOING",
            "CHANNEL_CREATE",
            "CHANNEL_STATE",
            "CHANNEL_CALLSTATE",
            "CHANNEL_ORIGINATE",
            "CHANNEL_EXECUTE",
            "CHANNEL_ANSWER",
            "CHANNEL_EXECUTE_COMPLETE",
            "CALL_UPDATE",
            "API",
            "BACKGROUND_JOB",
            "PLAYBACK_START",
            "PLAYBACK_STOP",
            "CHANNEL_PARK",
            "CHANNEL_UNPARK",
            "CHANNEL_HANGUP",
            "CHANNEL_HANGUP_COMPLETE",
            "CHANNEL_DESTROY",
        ] {
            assert!(names.iter().any(|n| n == expected), "{name}: no {expected}");
        }
        // Values decode the same whatever the format.
        let heartbeat = events
            .iter()
            .find(|e| e.name() == EventName::Heartbeat)
            .unwrap();
        assert_eq!(heartbeat.header("FreeSWITCH-IPv6").unwrap(), "fd00::2");
        assert_eq!(heartbeat.header("Event-Info").unwrap(), "System Ready");
        let playback = events
            .iter()
            .find(|e| {
                e.name() == EventName::ChannelExecute
                    && e.application().as_deref() == Some("playback")
            })
            .unwrap();
        assert_eq!(
            playback.application_data().unwrap(),
            "tone_stream://%(200,100,440);loops=10"
        );
        let destroyed: Vec<String> = events
            .iter()
            .filter(|e| e.name() == EventName::ChannelDestroy)
            .map(|e| e.variable("loopback_leg").unwrap().into_owned())
            .collect();
        assert_eq!(destroyed.len(), 2);
        lifecycles.push(names.len());
    }
    assert_eq!(
        lifecycles[0], lifecycles[1],
        "plain and json recorded the same number of events"
    );
}

#[test]
fn filter_and_subscription_replies() {
    let r = run("inbound_filters");
    let texts: Vec<String> = (0..r.ids.len()).map(|i| r.text(i)).collect();
    assert_eq!(texts[1], "+OK filter added. [Event-Name]=[CHANNEL_CREATE]");
    assert_eq!(texts[5], "+OK filter deleted. [Event-Name][CHANNEL_CREATE]");
    assert_eq!(texts[6], "+OK filter deleted. [Event-Name][]");
    assert_eq!(texts[8], "+OK filter deleted. [all][]");
    assert_eq!(texts[9], "-ERR command not found");
    assert_eq!(texts[13], "-ERR no keywords supplied");
    assert_eq!(texts[15], "-ERR not listening for events");
    assert_eq!(texts[19], "-ERR not controlling a session.");
    // Only CREATE and DESTROY passed the filters.
    let names: Vec<EventName> = r.events().iter().map(|e| e.name()).collect();
    assert_eq!(
        names,
        [
            EventName::ChannelCreate,
            EventName::ChannelCreate,
            EventName::ChannelDestroy,
            EventName::ChannelDestroy
        ]
    );
    // The state the switch ended with: nothing subscribed, no filter.
    assert!(r.conn.subscriptions().is_empty());
    assert!(r.conn.subscriptions().filters().is_empty());
}

#[test]
fn log_lines_and_a_job_that_cannot_complete() {
    let r = run("inbound_log");
    assert_eq!(r.text(0), "+OK log level 7 [7]");
    let logs: Vec<_> = r
        .outputs
        .iter()
        .filter_map(|o| match o {
            Output::Log(l) => Some(l),
            _ => None,
        })
        .collect();
    assert_eq!(logs.len(), 102);
    assert!(logs.iter().all(|l| matches!(l.level(), Some(5..=7))));
    assert!(logs.iter().any(|l| l.user_data().is_none()));
    assert!(logs
        .iter()
        .all(|l| l.file().is_some() && l.function().is_some() && l.line().is_some()));
    // Without a BACKGROUND_JOB subscription the job's result never comes: it ends when the
    // connection does.
    assert!(r.accepted(1));
    assert!(matches!(
        r.result(1),
        Output::Failed {
            error: RequestError::ConnectionClosed(CloseReason::Exit),
            ..
        }
    ));
    assert_eq!(r.text(4), "+OK log level  [7]");
    assert_eq!(r.text(5), "-ERR invalid log level");
}

#[test]
fn myevents_disconnect_and_linger_notices() {
    let r = run("inbound_myevents");
    assert_eq!(r.text(1), "+OK Events Enabled");
    assert_eq!(r.text(2), "-ERR aready enabled.");
    assert_eq!(r.text(3), "+OK events diverted");
    assert_eq!(r.disconnects(), [(Disposition::Disconnect, None)]);
    assert_eq!(r.closed(), Some(CloseReason::Disconnected));

    let r = run("inbound_myevents_linger");
    assert_eq!(r.text(5), "+OK will linger 2 seconds");
    assert_eq!(
        r.disconnects(),
        [
            (Disposition::Linger, Some(2)),
            (Disposition::Disconnect, None)
        ]
    );
    // Events keep flowing between the linger notice and the final one.
    let linger_at = r
        .outputs
        .iter()
        .position(|o| matches!(o, Output::Disconnect(_)))
        .unwrap();
    assert!(
        r.outputs[linger_at..]
            .iter()
            .filter(|o| matches!(o, Output::Event(_)))
            .count()
            >= 5
    );
    assert_eq!(r.closed(), Some(CloseReason::Disconnected));
}

#[test]
fn executes_resolve_by_their_application_uuid() {
    let r = run("inbound_sendmsg");
    for index in 2..=4 {
        assert!(r.accepted(index));
        let Response::Executed(done) = r.response(index) else {
            panic!("execute {index}")
        };
        assert_eq!(done.application().unwrap(), "playback");
        assert_eq!(
            done.unique_id().unwrap(),
            "0a83ac5e-9592-4e59-84c7-7064de14660d"
        );
    }
    let uuids: std::collections::HashSet<String> = (2..=4)
        .map(|i| match r.response(i) {
            Response::Executed(e) => e.application_uuid().unwrap().into_owned(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(uuids.len(), 3, "each execute got its own completion");
    assert_eq!(
        r.text(5),
        "-ERR invalid session id [00000000-0000-0000-0000-000000000000]"
    );
    assert_eq!(r.text(6), "+OK");
}

#[test]
fn outbound_socket_handshake_executes_linger_and_exit() {
    for (name, linger, closed) in [
        ("outbound_socket", -1, CloseReason::Exit),
        (
            "outbound_socket_linger_timeout",
            2,
            CloseReason::Disconnected,
        ),
    ] {
        let r = run(name);
        let Output::Ready(ready) = &r.outputs[0] else {
            panic!("{name}: not ready first")
        };
        assert_eq!(ready.reply.text(), "+OK\n");
        let channel = ready.channel.as_ref().unwrap();
        assert_eq!(channel.name(), EventName::ChannelData);
        assert_eq!(channel.header("Socket-Mode").unwrap(), "async");
        assert_eq!(channel.header("Control").unwrap(), "full");
        assert_eq!(r.conn.session_uuid(), channel.unique_id().as_deref());
        assert_eq!(r.text(0), "+OK Events Enabled");
        for index in [3, 4] {
            assert!(r.accepted(index));
            assert!(
                matches!(r.response(index), Response::Executed(_)),
                "{name}: execute {index}"
            );
        }
        assert_eq!(r.text(5), "loopback/socket-b");
        assert_eq!(r.text(6), "+OK");
        assert_eq!(
            r.disconnects(),
            [
                (Disposition::Linger, Some(linger)),
                (Disposition::Disconnect, None)
            ]
        );
        assert_eq!(r.closed(), Some(closed));
    }
    for name in [
        "outbound_socket_control",
        "outbound_socket_linger_timeout_control",
    ] {
        let r = run(name);
        assert!(r.text(1).starts_with("+OK "));
        assert!(matches!(r.response(1), Response::Job(_)));
    }
}

#[test]
fn big_events_and_bodies_parse_with_the_default_limits() {
    let r = run("inbound_big_event");
    let lengths: Vec<usize> = (0..4).map(|i| r.text(i).len()).collect();
    assert_eq!(lengths, [26_609, 13_171, 9_515, 3_382]);
    assert_eq!(r.text(4), "+OK");
    assert_eq!(r.text(5), "y".repeat(100_000));
    let creates: Vec<_> = r
        .events()
        .into_iter()
        .filter(|e| e.name() == EventName::ChannelCreate)
        .collect();
    assert_eq!(creates.len(), 2);
    for event in creates {
        assert_eq!(event.variable("big_var").unwrap().len(), 70_000);
        assert!(event.headers().buffer().len() > 70_000);
    }
    assert!(Limits::default().max_header_block > 72 * 1024);
}

#[test]
fn conference_maintenance_events_put_the_subclass_first() {
    let r = run("inbound_conference");
    let events = r.events();
    assert!(!events.is_empty());
    assert!(events
        .iter()
        .all(|e| e.name() == EventName::Custom && e.is("conference::maintenance")));
    assert!(events.iter().all(|e| e
        .headers()
        .iter()
        .next()
        .unwrap()
        .0
        .eq_ignore_case("Event-Subclass")));
    let actions: std::collections::BTreeSet<String> = events
        .iter()
        .filter_map(|e| e.header("Action").map(|a| a.into_owned()))
        .collect();
    for action in [
        "conference-create",
        "add-member",
        "del-member",
        "conference-destroy",
        "floor-change",
        "play-file",
    ] {
        assert!(actions.contains(action), "no {action}");
    }
    assert_eq!(r.text(7), "-ERR Conference conf217 not found\n");
}

/// The client bytes of every capture, read by the server-side codec, give back the commands
/// the script sent (the connection's own auth/connect first).
#[test]
fn the_server_side_codec_reads_what_the_clients_sent() {
    for capture in fixtures::all() {
        let script = script(&capture.name);
        let mut expected: Vec<Command> = Vec::new();
        let first = capture.chunks(Direction::ToSwitch).next().unwrap();
        if first.bytes.starts_with(b"auth ") {
            let password =
                String::from_utf8_lossy(&first.bytes[5..first.bytes.len() - 2]).into_owned();
            expected.push(Command::auth(password));
        } else if first.bytes.as_ref() == b"connect\n\n" {
            expected.push(Command::Connect);
        }
        expected.extend(script.commands);
        let bytes = capture.to_switch();
        for split in [bytes.len(), 1] {
            let mut reader = CommandReader::new(Limits::default());
            let mut parsed = Vec::new();
            for piece in bytes.chunks(split) {
                reader.push(piece);
                while let Some(command) = reader.next_command().unwrap() {
                    parsed.push(command.parse());
                }
            }
            assert_eq!(reader.buffered(), 0);
            assert_eq!(parsed.len(), expected.len(), "{}", capture.name);
            for (got, want) in parsed.iter().zip(&expected) {
                match want {
                    // A raw command is whatever the switch makes of its line; it must at
                    // least encode back to what it parsed from.
                    Command::Raw(_) => {
                        if let Ok(again) = got.to_bytes() {
                            let mut reader = CommandReader::new(Limits::default());
                            reader.push(&again);
                            assert_eq!(&reader.next_command().unwrap().unwrap().parse(), got);
                        }
                    }
                    want => assert_eq!(got, want, "{}", capture.name),
                }
            }
        }
    }
}

/// The fuzz harnesses over the real traffic, so they never go stale.
#[test]
fn fuzz_harnesses_run_on_the_captures() {
    for capture in fixtures::all() {
        let from = capture.from_switch();
        esl_proto::fuzzing::framer(&from);
        esl_proto::fuzzing::command_parser(&capture.to_switch());
        for mode in 0..3u8 {
            let mut input = vec![mode];
            input.extend_from_slice(&from[..from.len().min(20_000)]);
            esl_proto::fuzzing::connection(&input);
        }
        // Every event body, through the round trip of its own and the other formats.
        let mut framer = Framer::new(Limits::default());
        framer.push(&from);
        let mut events = 0;
        while let Some(frame) = framer.next_frame().unwrap() {
            let format = match frame.headers.text("Content-Type").as_deref() {
                Some("text/event-plain") => EventFormat::Plain,
                Some("text/event-json") => EventFormat::Json,
                Some("text/event-xml") => EventFormat::Xml,
                _ => continue,
            };
            esl_proto::fuzzing::event(format, &frame.body);
            // The harness checks the round trip only where a format can carry the event: real
            // traffic always can, so the check is never skipped on it.
            let event = esl_proto::Event::parse(format, &frame.body, &Limits::default()).unwrap();
            for out in [EventFormat::Plain, EventFormat::Json, EventFormat::Xml] {
                assert!(
                    esl_proto::fuzzing::representable(&event, out),
                    "{}: {event:?} in {out:?}",
                    capture.name
                );
            }
            events += 1;
        }
        if capture.name.starts_with("inbound_events_") {
            assert!(events > 0, "{}: no event went through", capture.name);
        }
    }
}
