//! Properties that must hold for any input.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;
use esl_proto::server::{self, CommandReader};
use esl_proto::{
    ArgPlacement, Auth, CallCommand, Command, Connection, Event, EventFormat, Execute, Framer,
    Limits, LogLevel, Output, RequestError, RequestId, Response, SendEvent, SendMsg, Unicast,
};
use proptest::prelude::*;

// ---------- strategies ----------

/// A token with no space or line break (command words, uuids, header names).
fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_][A-Za-z0-9_.@/=-]{0,15}"
}

/// Free text for a header value: anything but CR, LF, NUL; not starting with a space (the
/// switch strips leading spaces from header values).
fn value() -> impl Strategy<Value = String> {
    "[^\r\n\u{0} ][^\r\n\u{0}]{0,30}"
        .prop_map(|s| s.trim_end().to_owned())
        .prop_filter("non-empty", |s| !s.is_empty())
}

/// Free text for a command line argument (spaces allowed inside, none at the ends).
fn line() -> impl Strategy<Value = String> {
    prop::collection::vec(token(), 1..4).prop_map(|w| w.join(" "))
}

fn header_name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_-]{0,15}".prop_filter("reserved", |n| {
        ![
            "content-length",
            "content-type",
            "call-command",
            "execute-app-name",
            "execute-app-arg",
            "loops",
            "event-lock",
            "async",
            "event-uuid",
            "hangup-cause",
            "nomedia-uuid",
            "local-ip",
            "local-port",
            "remote-ip",
            "remote-port",
            "transport",
            "flags",
            "job-uuid",
        ]
        .contains(&n.to_ascii_lowercase().as_str())
    })
}

fn format() -> impl Strategy<Value = EventFormat> {
    prop_oneof![
        Just(EventFormat::Plain),
        Just(EventFormat::Json),
        Just(EventFormat::Xml)
    ]
}

fn execute() -> impl Strategy<Value = Execute> {
    (
        token(),
        prop::option::of(prop_oneof![
            value(),
            "[^\u{0}]{1,40}".prop_map(|s| format!("x{s}"))
        ]),
        prop::option::of(-1i32..10),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(token()),
        any::<bool>(),
    )
        .prop_map(|(app, arg, loops, event_lock, async_, event_uuid, body)| {
            let mut exec = Execute::new(app, arg);
            exec.loops = loops;
            exec.event_lock = event_lock;
            exec.async_ = async_;
            exec.event_uuid = event_uuid;
            // The canonical placement: Auto unless forcing the body changes the bytes.
            if body
                && exec
                    .arg
                    .as_deref()
                    .is_some_and(|a| !Execute::auto_in_body(a))
            {
                exec.placement = ArgPlacement::Body;
            }
            exec
        })
}

fn command() -> impl Strategy<Value = Command> {
    let events = prop::collection::vec("[A-Z_]{1,12}|CUSTOM|[a-z]{1,5}::[a-z]{1,6}", 0..4);
    let extra = || prop::collection::vec((header_name(), value()), 0..3);
    prop_oneof![
        "[^\r\n\u{0}]{1,20}".prop_map(Command::auth),
        ("[a-z0-9]{1,8}", "[a-z0-9.]{1,8}", "[^\r\n\u{0}]{1,10}")
            .prop_map(|(u, d, p)| Command::userauth(format!("{u}@{d}"), p)),
        line().prop_map(Command::api),
        (line(), prop::option::of(token())).prop_map(|(c, j)| Command::Bgapi {
            command: c,
            job_uuid: j
        }),
        (prop::option::of(format()), events.clone())
            .prop_filter("format word", |(_, e)| !e
                .iter()
                .any(|w| EventFormat::parse(w).is_some()))
            .prop_map(|(format, events)| Command::Event { format, events }),
        events.prop_map(|events| Command::NixEvent { events }),
        Just(Command::NoEvents),
        (
            token().prop_filter("keyword", |h| !["delete", "add"]
                .contains(&h.to_ascii_lowercase().as_str())),
            line()
        )
            .prop_map(|(h, v)| Command::filter(h, v)),
        (token(), prop::option::of(line())).prop_map(|(h, v)| Command::filter_delete(h, v)),
        (
            prop::option::of(
                token().prop_filter("format word", |t| EventFormat::parse(t).is_none())
            ),
            prop::option::of(format())
        )
            .prop_map(|(uuid, format)| Command::MyEvents { uuid, format }),
        any::<bool>().prop_map(|on| Command::DivertEvents { on }),
        prop::option::of(0u32..10_000).prop_map(|seconds| Command::Linger { seconds }),
        Just(Command::NoLinger),
        prop::option::of(0u8..8).prop_map(|l| Command::Log {
            level: l.and_then(|l| LogLevel::parse(&l.to_string()))
        }),
        Just(Command::NoLog),
        (prop::option::of(token()), execute(), extra()).prop_map(|(uuid, exec, headers)| {
            Command::SendMsg(SendMsg {
                uuid,
                command: CallCommand::Execute(exec),
                headers,
            })
        }),
        (
            prop::option::of(token()),
            prop::option::of(token()),
            extra()
        )
            .prop_map(|(uuid, cause, headers)| Command::SendMsg(SendMsg {
                uuid,
                command: CallCommand::Hangup { cause },
                headers
            })),
        (prop::option::of(token()), token()).prop_map(|(uuid, other)| Command::SendMsg(SendMsg {
            uuid,
            command: CallCommand::NoMedia { uuid: other },
            headers: vec![],
        })),
        (
            prop::option::of(token()),
            prop::option::of(any::<u16>()),
            prop::option::of(token())
        )
            .prop_map(|(ip, port, t)| {
                let mut unicast = Unicast::default();
                unicast.local_ip = ip;
                unicast.local_port = port;
                unicast.transport = t;
                Command::SendMsg(SendMsg {
                    uuid: None,
                    command: CallCommand::Unicast(unicast),
                    headers: vec![],
                })
            }),
        (
            token(),
            extra(),
            prop::option::of(prop::collection::vec(any::<u8>(), 1..50))
        )
            .prop_map(|(name, headers, body)| Command::SendEvent(SendEvent {
                name,
                headers,
                body: body.map(Bytes::from)
            })),
        Just(Command::Connect),
        Just(Command::Resume),
        token().prop_map(|name| Command::GetVar { name }),
        Just(Command::Exit),
    ]
}

fn event() -> impl Strategy<Value = (Event, bool)> {
    (
        "[A-Z_]{1,20}",
        prop::collection::vec(
            (
                "[A-Za-z_][A-Za-z0-9_-]{0,20}"
                    .prop_filter("reserved", |n| !n.eq_ignore_ascii_case("content-length")),
                // Any text; the switch does not re-encode `%XX` with upper-case hex, so such a
                // value is not expected to survive (see the fixtures README).
                "\\PC{0,30}|[ -~]{0,30}",
            ),
            0..12,
        ),
        prop::option::of("\\PC{1,60}|[\n a-z]{1,60}"),
    )
        .prop_map(|(name, headers, body)| {
            let double_encoded = headers.iter().any(|(_, v)| {
                v.as_bytes().windows(3).any(|w| {
                    w[0] == b'%'
                        && w[1..]
                            .iter()
                            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b))
                })
            });
            let mut builder = Event::builder(name.as_str());
            for (n, v) in headers {
                builder = builder.header(n, v);
            }
            if let Some(body) = body {
                builder = builder.body(body);
            }
            (builder.build(), double_encoded)
        })
}

/// Messages a switch might send, concatenated, built with the server-side encoders.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            value().prop_map(|t| server::encode_command_reply(&t).to_vec()),
            prop::collection::vec(any::<u8>(), 0..200)
                .prop_map(|b| server::encode_api_response(&b).to_vec()),
            (event(), format()).prop_map(|((e, _), f)| server::encode_event(&e, f).to_vec()),
            Just(server::encode_disconnect_notice(Some("u"), server::GOODBYE).to_vec()),
        ],
        1..8,
    )
    .prop_map(|messages| messages.concat())
}

/// A frame as (raw header pairs, body).
type RawFrame = (Vec<(Vec<u8>, Vec<u8>)>, Vec<u8>);

fn frames(framer: &mut Framer) -> Vec<RawFrame> {
    let mut out = Vec::new();
    while let Some(frame) = framer.next_frame().unwrap() {
        let headers = frame
            .headers
            .iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.raw().to_vec()))
            .collect();
        out.push((headers, frame.body.to_vec()));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_split_gives_the_same_frames(bytes in stream(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6)) {
        let mut whole = Framer::new(Limits::default());
        whole.push(&bytes);
        let expected = frames(&mut whole);
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
        points.push(0);
        points.push(bytes.len());
        points.sort();
        let mut framer = Framer::new(Limits::default());
        let mut got = Vec::new();
        for pair in points.windows(2) {
            framer.push(&bytes[pair[0]..pair[1]]);
            got.extend(frames(&mut framer));
        }
        prop_assert_eq!(got, expected);
        prop_assert_eq!(framer.buffered(), 0);
    }

    #[test]
    fn any_split_gives_the_same_connection_outputs(bytes in stream(), cut in any::<prop::sample::Index>()) {
        let run = |parts: &[&[u8]]| {
            let mut conn = Connection::inbound(Auth::Manual);
            let mut out = Vec::new();
            for part in parts {
                conn.receive(part);
                while let Ok(Some(o)) = conn.poll_output() {
                    out.push(format!("{o:?}"));
                }
            }
            out
        };
        let at = cut.index(bytes.len() + 1);
        prop_assert_eq!(run(&[&bytes]), run(&[&bytes[..at], &bytes[at..]]));
    }

    #[test]
    fn commands_encode_then_parse_to_themselves(command in command()) {
        let bytes = command.to_bytes().expect("generated commands are valid");
        let mut reader = CommandReader::new(Limits::default());
        for byte in bytes.iter() {
            reader.push(&[*byte]);
        }
        let parsed = reader.next_command().unwrap().expect("one whole command").parse();
        prop_assert_eq!(parsed, command);
        prop_assert!(reader.next_command().unwrap().is_none());
    }

    #[test]
    fn events_encode_then_parse_to_themselves((event, double_encoded) in event(), format in format()) {
        let wire = server::encode_event(&event, format);
        let mut framer = Framer::new(Limits::default());
        framer.push(&wire);
        let frame = framer.next_frame().unwrap().expect("one message");
        let parsed = Event::parse(format, &frame.body, &Limits::default()).unwrap();
        let strip = |e: &Event| -> Vec<(String, String)> {
            e.headers()
                .iter()
                .filter(|(n, _)| !n.eq_ignore_case("Content-Length"))
                .map(|(n, v)| (n.as_str().into_owned(), v.decoded().into_owned()))
                .collect()
        };
        if !(double_encoded && format != EventFormat::Json) {
            prop_assert_eq!(strip(&parsed), strip(&event));
        }
        prop_assert_eq!(parsed.body(), event.body());
        prop_assert_eq!(parsed.name(), event.name());
    }

    #[test]
    fn arbitrary_bytes_never_panic_nor_exceed_the_limits(data in prop::collection::vec(any::<u8>(), 0..4096)) {
        esl_proto::fuzzing::framer(&data);
        esl_proto::fuzzing::connection(&data);
        esl_proto::fuzzing::command_parser(&data);
        for format in [EventFormat::Plain, EventFormat::Json, EventFormat::Xml] {
            esl_proto::fuzzing::event(format, &data);
        }
    }

    #[test]
    fn header_like_garbage_never_panics(data in "(([A-Za-z-]{0,8}: ?[ -~%]{0,12}|Content-Length: [0-9]{1,3}|\r)?\n){1,30}") {
        esl_proto::fuzzing::framer(data.as_bytes());
        let mut with_mode = vec![0u8];
        with_mode.extend_from_slice(data.as_bytes());
        esl_proto::fuzzing::connection(&with_mode);
        esl_proto::fuzzing::event(EventFormat::Plain, data.as_bytes());
    }
}

// ---------- every result reaches its own request, against a switch that answers correctly ----------

#[derive(Debug, Clone)]
enum Step {
    Api,
    Bgapi,
    Execute,
    Filter,
    NoEvents,
    Cancel(prop::sample::Index),
    /// The switch answers the oldest unanswered command (replies are strictly FIFO).
    Answer,
    /// The switch finishes one of the jobs and executes it owes, any of them: completions
    /// come in any order, and may beat the reply to their command.
    Complete(prop::sample::Index),
    /// The switch sends a completion nobody waits for: a second one for a finished or
    /// cancelled request, or one for a uuid no request chose.
    Stray(prop::sample::Index),
    Eof,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => Just(Step::Api),
        2 => Just(Step::Bgapi),
        2 => Just(Step::Execute),
        1 => Just(Step::Filter),
        1 => Just(Step::NoEvents),
        1 => any::<prop::sample::Index>().prop_map(Step::Cancel),
        4 => Just(Step::Answer),
        3 => any::<prop::sample::Index>().prop_map(Step::Complete),
        1 => any::<prop::sample::Index>().prop_map(Step::Stray),
        1 => Just(Step::Eof),
    ]
}

/// What one request must end with: its kind and the text that names its serial.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expected {
    Api(String),
    Job { uuid: String, body: String },
    Executed { uuid: String, response: String },
    Reply(String),
}

fn expected_for(serial: u32, command: &Command) -> Expected {
    match command {
        Command::Api { .. } => Expected::Api(format!("echo {serial}")),
        Command::Bgapi { .. } => Expected::Job {
            uuid: format!("job-{serial}"),
            body: format!("+OK job {serial} done\n"),
        },
        Command::Filter { .. } => {
            Expected::Reply(format!("+OK filter added. [X-Serial]=[{serial}]"))
        }
        // The switch's reply names nothing: the serials of the requests around it pin it.
        Command::NoEvents => Expected::Reply("+OK no events".into()),
        _ => Expected::Executed {
            uuid: format!("app-{serial}"),
            response: format!("played {serial}"),
        },
    }
}

fn got(response: &Response) -> Expected {
    match response {
        Response::Api(api) => Expected::Api(api.text().into_owned()),
        Response::Job(job) => Expected::Job {
            uuid: job.job_uuid().unwrap_or_default().into_owned(),
            body: job.body_text().unwrap_or_default().into_owned(),
        },
        Response::Executed(e) => Expected::Executed {
            uuid: e.application_uuid().unwrap_or_default().into_owned(),
            response: e.application_response().unwrap_or_default().into_owned(),
        },
        Response::Reply(r) => Expected::Reply(r.text().into_owned()),
        other => panic!("a response of a kind this test does not know: {other:?}"),
    }
}

/// The switch's side: the completion event a command's request ends with, and the reply.
fn completion_of(command: &Command) -> Option<Event> {
    match command {
        Command::Bgapi {
            job_uuid: Some(uuid),
            ..
        } => {
            let serial = uuid.trim_start_matches("job-");
            Some(
                Event::builder("BACKGROUND_JOB")
                    .header("Job-UUID", uuid.as_str())
                    .body(format!("+OK job {serial} done\n"))
                    .build(),
            )
        }
        Command::SendMsg(SendMsg {
            command: CallCommand::Execute(e),
            uuid,
            ..
        }) => {
            let app_uuid = e.event_uuid.clone().unwrap_or_default();
            let serial = app_uuid.trim_start_matches("app-").to_owned();
            Some(
                Event::builder("CHANNEL_EXECUTE_COMPLETE")
                    .header("Unique-ID", uuid.clone().unwrap_or_default())
                    .header("Application", e.app.as_str())
                    .header("Application-UUID", app_uuid)
                    .header("Application-Response", format!("played {serial}"))
                    .build(),
            )
        }
        _ => None,
    }
}

fn reply_to(command: &Command) -> Bytes {
    match command {
        Command::Api { command } => server::encode_api_response(command.as_bytes()),
        Command::Bgapi {
            job_uuid: Some(uuid),
            ..
        } => server::encode_bgapi_reply(uuid),
        Command::Filter { header, value } => {
            server::encode_command_reply(&format!("+OK filter added. [{header}]=[{value}]"))
        }
        Command::NoEvents => server::encode_command_reply("+OK no events"),
        _ => server::encode_command_reply("+OK"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_result_reaches_the_request_that_asked_for_it(steps in prop::collection::vec(step(), 1..80)) {
        let mut conn = Connection::inbound(Auth::Password("p".into()));
        conn.receive(&server::encode_auth_request());
        conn.receive(&server::encode_command_reply("+OK accepted"));
        while let Ok(Some(_)) = conn.poll_output() {}
        // `auth` was answered above.
        let auth = conn.poll_transmit();
        prop_assert_eq!(auth.as_deref(), Some(&b"auth p\n\n"[..]));
        let mut reader = CommandReader::new(Limits::default());
        // Commands the switch has read and not answered, completions it owes, and the
        // completions it already sent (to send again as strays).
        let mut unanswered: Vec<Command> = Vec::new();
        let mut owed: Vec<Event> = Vec::new();
        let mut spent: Vec<Event> = Vec::new();
        let mut expected: HashMap<RequestId, (u32, Expected)> = HashMap::new();
        let mut ids: Vec<RequestId> = Vec::new();
        // Serials whose result the switch has sent: their requests cannot end otherwise.
        let mut delivered: Vec<u32> = Vec::new();
        let mut ended: HashMap<RequestId, Output> = HashMap::new();
        let mut cancelled = Vec::new();
        // The serials of the noevents sent and not yet answered, oldest first.
        let mut noevents: VecDeque<u32> = VecDeque::new();
        let mut serial = 0u32;
        let drain = |conn: &mut Connection, ended: &mut HashMap<RequestId, Output>| {
            while let Ok(Some(o)) = conn.poll_output() {
                if let Output::Response { id, .. } | Output::Failed { id, .. } = &o {
                    assert!(ended.insert(*id, o.clone()).is_none(), "{id} ended twice");
                }
            }
        };
        for step in steps {
            serial += 1;
            let command = match step {
                Step::Api => Some(Command::api(format!("echo {serial}"))),
                Step::Bgapi => Some(Command::bgapi_with_uuid("status", format!("job-{serial}"))),
                Step::Execute => {
                    let mut exec = Execute::new("playback", Some(format!("{serial}.wav")));
                    exec.event_uuid = Some(format!("app-{serial}"));
                    Some(Command::SendMsg(SendMsg {
                        uuid: Some("chan".into()),
                        command: CallCommand::Execute(exec),
                        headers: vec![],
                    }))
                }
                Step::Filter => Some(Command::filter("X-Serial", serial.to_string())),
                Step::NoEvents => Some(Command::NoEvents),
                _ => None,
            };
            if let Some(command) = command {
                if let Ok(id) = conn.send(command.clone()) {
                    ids.push(id);
                    if command == Command::NoEvents {
                        noevents.push_back(serial);
                    }
                    expected.insert(id, (serial, expected_for(serial, &command)));
                }
            }
            // The switch reads what was written; a job or execute it reads is owed at once.
            while let Some(bytes) = conn.poll_transmit() {
                reader.push(&bytes);
            }
            while let Some(c) = reader.next_command().unwrap() {
                let c = c.parse();
                owed.extend(completion_of(&c));
                unanswered.push(c);
            }
            match step {
                Step::Cancel(which) if !ids.is_empty() => {
                    let id = ids[which.index(ids.len())];
                    if conn.cancel(id) {
                        cancelled.push(id);
                    }
                }
                Step::Answer if !unanswered.is_empty() => {
                    let command = unanswered.remove(0);
                    if let Command::Api { command: line } | Command::Filter { value: line, .. } = &command {
                        let serial = line.trim_start_matches("echo ");
                        delivered.extend(serial.parse::<u32>().ok());
                    }
                    if command == Command::NoEvents {
                        // The switch reads the application's noevents in the order sent.
                        delivered.extend(noevents.pop_front());
                    }
                    conn.receive(&reply_to(&command));
                }
                Step::Complete(which) if !owed.is_empty() => {
                    let event = owed.remove(which.index(owed.len()));
                    let name = event.job_uuid().or_else(|| event.application_uuid()).unwrap();
                    delivered.extend(name.rsplit('-').next().and_then(|s| s.parse::<u32>().ok()));
                    conn.receive(&server::encode_event(&event, EventFormat::Plain));
                    spent.push(event);
                }
                Step::Stray(which) => {
                    let stray = if spent.is_empty() || which.index(3) == 0 {
                        completion_of(&Command::bgapi_with_uuid("status", format!("job-stray-{serial}"))).unwrap()
                    } else {
                        spent[which.index(spent.len())].clone()
                    };
                    conn.receive(&server::encode_event(&stray, EventFormat::Plain));
                }
                Step::Eof => {
                    conn.receive_eof();
                    drain(&mut conn, &mut ended);
                    break;
                }
                _ => {}
            }
            drain(&mut conn, &mut ended);
        }
        conn.receive_eof();
        drain(&mut conn, &mut ended);
        for id in &ids {
            let (serial, want) = &expected[id];
            let output = ended.get(id);
            prop_assert!(output.is_some(), "{} never ended", id);
            match output {
                _ if cancelled.contains(id) => prop_assert!(
                    matches!(output, Some(Output::Failed { error: RequestError::Cancelled, .. })),
                    "{:?}", output
                ),
                Some(Output::Response { response, .. }) => {
                    prop_assert!(delivered.contains(serial), "{} ended before its result: {:?}", id, output);
                    prop_assert_eq!(&got(response), want, "{} got another request's result", id);
                }
                _ => {
                    prop_assert!(!delivered.contains(serial), "{}'s result was lost: {:?}", id, output);
                    prop_assert!(
                        matches!(output, Some(Output::Failed { error: RequestError::ConnectionClosed(_), .. })),
                        "{:?}", output
                    );
                }
            }
        }
        prop_assert_eq!(ended.len(), ids.len());
    }
}
