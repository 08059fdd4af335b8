//! Tests of command encoding and of the refusal of fields that would inject a line.

// Compiled only under #[cfg(test)] (declared so in command.rs): unwraps here are test asserts.

use super::*;
use crate::CommandError;
use bytes::BytesMut;

fn enc(c: Command) -> String {
    String::from_utf8(c.to_bytes().unwrap().to_vec()).unwrap()
}

#[test]
fn encodes_every_command_exactly() {
    assert_eq!(enc(Command::auth("ClueCon")), "auth ClueCon\n\n");
    assert_eq!(
        enc(Command::userauth("1000@default", "pw")),
        "userauth 1000@default:pw\n\n"
    );
    assert_eq!(enc(Command::api("status")), "api status\n\n");
    assert_eq!(enc(Command::bgapi("status")), "bgapi status\n\n");
    assert_eq!(
        enc(Command::bgapi_with_uuid(
            "status",
            "11111111-2222-3333-4444-555555555555"
        )),
        "bgapi status\nJob-UUID: 11111111-2222-3333-4444-555555555555\n\n"
    );
    assert_eq!(
        enc(Command::event(
            EventFormat::Plain,
            ["CHANNEL_CREATE", "CUSTOM", "conference::maintenance"]
        )),
        "event plain CHANNEL_CREATE CUSTOM conference::maintenance\n\n"
    );
    assert_eq!(
        enc(Command::Event {
            format: None,
            events: vec![]
        }),
        "event\n\n"
    );
    assert_eq!(enc(Command::nixevent(["ALL"])), "nixevent ALL\n\n");
    assert_eq!(enc(Command::nixevent(Vec::<String>::new())), "nixevent\n\n");
    assert_eq!(enc(Command::NoEvents), "noevents\n\n");
    assert_eq!(
        enc(Command::filter("Event-Name", "CHANNEL_CREATE")),
        "filter Event-Name CHANNEL_CREATE\n\n"
    );
    assert_eq!(
        enc(Command::filter_delete("all", None)),
        "filter delete all\n\n"
    );
    assert_eq!(
        enc(Command::filter_delete(
            "Event-Name",
            Some("NOT_THERE".into())
        )),
        "filter delete Event-Name NOT_THERE\n\n"
    );
    assert_eq!(
        enc(Command::MyEvents {
            uuid: None,
            format: None
        }),
        "myevents\n\n"
    );
    assert_eq!(
        enc(Command::MyEvents {
            uuid: Some("u".into()),
            format: Some(EventFormat::Json)
        }),
        "myevents u json\n\n"
    );
    assert_eq!(
        enc(Command::DivertEvents { on: true }),
        "divert_events on\n\n"
    );
    assert_eq!(enc(Command::Linger { seconds: None }), "linger\n\n");
    assert_eq!(enc(Command::Linger { seconds: Some(2) }), "linger 2\n\n");
    assert_eq!(enc(Command::NoLinger), "nolinger\n\n");
    assert_eq!(
        enc(Command::Log {
            level: Some(LogLevel::Debug)
        }),
        "log 7\n\n"
    );
    assert_eq!(enc(Command::Log { level: None }), "log\n\n");
    assert_eq!(enc(Command::NoLog), "nolog\n\n");
    assert_eq!(enc(Command::Connect), "connect\n\n");
    assert_eq!(enc(Command::Resume), "resume\n\n");
    assert_eq!(enc(Command::GetVar { name: "x".into() }), "getvar x\n\n");
    assert_eq!(enc(Command::Exit), "exit\n\n");
    assert_eq!(
        enc(Command::SendEvent(SendEvent {
            name: "CUSTOM".into(),
            headers: vec![("Event-Subclass".into(), "my::event".into())],
            body: Some(Bytes::from_static(b"hi\nthere")),
        })),
        "sendevent CUSTOM\nEvent-Subclass: my::event\nContent-Length: 8\n\nhi\nthere"
    );
}

#[test]
fn sendmsg_matches_inbound_sendmsg_capture() {
    let uuid = Some("0a83ac5e-9592-4e59-84c7-7064de14660d".to_string());
    let arg = "tone_stream://%(200,100,440);loops=3".to_string();
    assert_eq!(
        enc(Command::execute(
            uuid.clone(),
            "playback",
            Some(arg.clone())
        )),
        "sendmsg 0a83ac5e-9592-4e59-84c7-7064de14660d\ncall-command: execute\n\
execute-app-name: playback\nexecute-app-arg: tone_stream://%(200,100,440);loops=3\n\n"
    );
    let mut locked = Execute::new("playback", Some(arg.clone()));
    locked.event_lock = true;
    assert_eq!(
            enc(Command::SendMsg(SendMsg { uuid: uuid.clone(), command: CallCommand::Execute(locked), headers: vec![] })),
            "sendmsg 0a83ac5e-9592-4e59-84c7-7064de14660d\ncall-command: execute\n\
execute-app-name: playback\nexecute-app-arg: tone_stream://%(200,100,440);loops=3\nevent-lock: true\n\n"
        );
    let mut body = Execute::new("playback", Some(arg));
    body.placement = ArgPlacement::Body;
    assert_eq!(
            enc(Command::SendMsg(SendMsg { uuid: uuid.clone(), command: CallCommand::Execute(body), headers: vec![] })),
            "sendmsg 0a83ac5e-9592-4e59-84c7-7064de14660d\ncall-command: execute\n\
execute-app-name: playback\ncontent-type: text/plain\ncontent-length: 36\n\ntone_stream://%(200,100,440);loops=3"
        );
    assert_eq!(
            enc(Command::hangup(uuid, Some("NORMAL_CLEARING".into()))),
            "sendmsg 0a83ac5e-9592-4e59-84c7-7064de14660d\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n"
        );
    assert_eq!(
        enc(Command::execute(None, "answer", None)),
        "sendmsg\ncall-command: execute\nexecute-app-name: answer\n\n"
    );
}

#[test]
fn multi_line_long_or_space_led_arguments_go_in_the_body() {
    for arg in [
        "two\nlines".to_string(),
        " lead".to_string(),
        "x".repeat(Execute::MAX_HEADER_ARG + 1),
    ] {
        let bytes = Command::execute(None, "set", Some(arg.clone()))
            .to_bytes()
            .unwrap();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        assert!(
            text.ends_with(&format!("content-length: {}\n\n{arg}", arg.len())),
            "{text}"
        );
        assert!(!text.contains("execute-app-arg"));
    }
    let mut exec = Execute::new("set", Some("a\nb".into()));
    exec.placement = ArgPlacement::Header;
    let forced = Command::SendMsg(SendMsg {
        uuid: None,
        command: CallCommand::Execute(exec),
        headers: vec![],
    });
    assert_eq!(
        forced.to_bytes(),
        Err(CommandError::LineBreak {
            field: "header value"
        })
    );
}

/// One command per field a caller fills in, each with `bad` in that field.
fn every_field_holding(bad: &str) -> Vec<Command> {
    let mut header_arg = Execute::new("set", Some(bad.into()));
    header_arg.placement = ArgPlacement::Header;
    vec![
        Command::auth(bad),
        Command::userauth(format!("u@{bad}"), "p"),
        Command::userauth("u@d", bad),
        Command::api(bad),
        Command::bgapi(bad),
        Command::bgapi_with_uuid("status", bad),
        Command::event(EventFormat::Plain, [bad]),
        Command::nixevent([bad]),
        Command::filter(bad, "v"),
        Command::filter("h", bad),
        Command::filter_delete(bad, None),
        Command::filter_delete("h", Some(bad.into())),
        Command::MyEvents {
            uuid: Some(bad.into()),
            format: None,
        },
        Command::GetVar { name: bad.into() },
        Command::execute(Some(bad.into()), "answer", None),
        Command::execute(None, bad, None),
        Command::SendMsg(SendMsg {
            uuid: None,
            command: CallCommand::Execute(header_arg),
            headers: vec![],
        }),
        Command::hangup(None, Some(bad.into())),
        Command::SendMsg(SendMsg {
            uuid: None,
            command: CallCommand::NoMedia { uuid: bad.into() },
            headers: vec![],
        }),
        Command::SendMsg(SendMsg {
            uuid: None,
            command: CallCommand::Other { name: bad.into() },
            headers: vec![],
        }),
        Command::SendMsg(SendMsg {
            uuid: None,
            command: CallCommand::Unicast(Unicast {
                local_ip: Some(bad.into()),
                ..Unicast::default()
            }),
            headers: vec![],
        }),
        Command::SendMsg(SendMsg {
            uuid: None,
            command: CallCommand::Hangup { cause: None },
            headers: vec![("x".into(), bad.into())],
        }),
        Command::SendEvent(SendEvent {
            name: bad.into(),
            headers: vec![],
            body: None,
        }),
        Command::SendEvent(SendEvent {
            name: "CUSTOM".into(),
            headers: vec![("a".into(), bad.into())],
            body: None,
        }),
        Command::raw(bad),
        Command::Raw(RawCommand {
            line: "x".into(),
            headers: vec![("a".into(), bad.into())],
            body: None,
        }),
    ]
}

/// `mod_event_socket` ends a line at a CR alone as well as at an LF alone, so each of them
/// (and NUL, which ends a C string) must be refused by itself, not only as CR LF.
#[test]
fn a_lone_cr_a_lone_lf_or_a_nul_is_refused_in_every_field() {
    for separator in ["\r", "\n", "\r\n", "\0"] {
        let bad = format!("x{separator}event plain ALL");
        for command in every_field_holding(&bad) {
            let mut out = BytesMut::from(&b"kept"[..]);
            let result = command.encode(&mut out);
            assert!(
                matches!(result, Err(CommandError::LineBreak { .. })),
                "{command:?} gave {result:?}"
            );
            assert_eq!(&out[..], b"kept", "nothing written for {command:?}");
        }
        // The same field without the separator encodes: the refusal is for the
        // separator alone.
        for command in every_field_holding("x event plain ALL") {
            assert!(command.to_bytes().is_ok(), "{command:?}");
        }
    }
}

#[test]
fn header_names_that_would_reframe_are_refused() {
    for name in ["", "a:b", "content-length", "Content-Length", " x", "a\nb"] {
        let c = Command::SendMsg(SendMsg {
            uuid: None,
            command: CallCommand::Hangup { cause: None },
            headers: vec![(name.into(), "1".into())],
        });
        assert!(
            matches!(c.to_bytes(), Err(CommandError::InvalidHeaderName { .. })),
            "{name:?}"
        );
    }
}

#[test]
fn userauth_needs_user_at_domain() {
    for user in ["1000", "@d", "u@", "u:x@d", ""] {
        assert!(
            matches!(
                Command::userauth(user, "pw").to_bytes(),
                Err(CommandError::Malformed { .. })
            ),
            "{user:?}"
        );
    }
    assert!(Command::userauth("u@d", "p:w@x").to_bytes().is_ok());
}

#[test]
fn passwords_never_print() {
    let debug = format!("{:?}", Command::auth("s3cret"));
    assert_eq!(debug, "Auth { password: Password(<redacted>) }");
    let debug = format!("{:?}", Command::userauth("u@d", "s3cret"));
    assert!(!debug.contains("s3cret"), "{debug}");
    assert!(debug.contains("Password(<redacted>)"), "{debug}");
}

#[test]
fn an_argument_of_exactly_the_header_limit_stays_in_the_header() {
    let longest = "x".repeat(Execute::MAX_HEADER_ARG);
    assert!(!Execute::auto_in_body(&longest));
    assert!(Execute::auto_in_body(&format!("{longest}x")));
    let text = enc(Command::execute(None, "set", Some(longest.clone())));
    assert!(text.ends_with(&format!("execute-app-arg: {longest}\n\n")));
}

#[test]
fn the_keyword_is_the_first_word_the_switch_reads() {
    assert_eq!(Command::api("status").keyword(), "api");
    assert_eq!(
        Command::filter_delete("all", None).keyword(),
        "filter delete"
    );
    assert_eq!(Command::execute(None, "answer", None).keyword(), "sendmsg");
    assert_eq!(Command::raw("fsctl loglevel 7").keyword(), "fsctl");
}

#[test]
fn a_one_letter_command_encodes() {
    assert_eq!(enc(Command::raw("x")), "x\n\n");
}

#[test]
fn log_levels_parse_like_the_switch() {
    assert_eq!(LogLevel::parse("7"), Some(LogLevel::Debug));
    assert_eq!(LogLevel::parse("DEBUG"), Some(LogLevel::Debug));
    assert_eq!(LogLevel::parse("error"), Some(LogLevel::Err));
    assert_eq!(LogLevel::parse("notalevel"), None);
    assert_eq!(LogLevel::parse("8"), None);
}
