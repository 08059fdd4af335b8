//! The dptools commands' wire form and their replies.

// Compiled only under #[cfg(test)] (declared so in dptools.rs): unwraps here are test asserts.

use super::*;

const UUID: &str = "0a83ac5e-9592-4e59-84c7-7064de14660d";

fn wire(command: Result<Command, CommandError>) -> String {
    let bytes = command.and_then(|c| c.to_bytes()).unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn exec(app: &str, arg: Option<&str>) -> String {
    let mut s = format!("sendmsg {UUID}\ncall-command: execute\nexecute-app-name: {app}\n");
    if let Some(arg) = arg {
        s.push_str(&format!("execute-app-arg: {arg}\n"));
    }
    s.push('\n');
    s
}

#[test]
fn applications_encode_as_sendmsg_execute() {
    let dp = Dptools::new(UUID);
    assert_eq!(wire(dp.answer()), exec("answer", None));
    assert_eq!(wire(dp.park()), exec("park", None));
    // The capture `inbound_sendmsg` shows this exact execute of a tone stream.
    assert_eq!(
        wire(dp.playback("tone_stream://%(200,100,440);loops=3")),
        exec("playback", Some("tone_stream://%(200,100,440);loops=3"))
    );
    assert_eq!(
        wire(dp.record_session("/tmp/rec.wav")),
        exec("record_session", Some("/tmp/rec.wav"))
    );
    assert_eq!(
        wire(dp.stop_record_session("all")),
        exec("stop_record_session", Some("all"))
    );
    assert_eq!(
        wire(dp.set("privacy", "yes")),
        exec("set", Some("privacy=yes"))
    );
    assert_eq!(wire(dp.set("privacy", "")), exec("set", Some("privacy=")));
    assert_eq!(wire(dp.respond(407, None)), exec("respond", Some("407")));
    assert_eq!(
        wire(dp.respond(486, Some("Busy Here"))),
        exec("respond", Some("486 Busy Here"))
    );
    assert_eq!(
        wire(dp.transfer("9196", None, None)),
        exec("transfer", Some("9196"))
    );
    assert_eq!(
        wire(dp.transfer("9196", None, Some("default"))),
        exec("transfer", Some("9196 XML default"))
    );
    assert_eq!(
        wire(dp.transfer("9196", Some("XML"), None)),
        exec("transfer", Some("9196 XML"))
    );
}

#[test]
fn hangup_is_the_hangup_call_command() {
    let dp = Dptools::new(UUID);
    // As `inbound_sendmsg` sends it.
    assert_eq!(
        wire(dp.hangup(Some("NORMAL_CLEARING"))),
        format!("sendmsg {UUID}\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n")
    );
    assert_eq!(
        wire(dp.hangup(None)),
        format!("sendmsg {UUID}\ncall-command: hangup\n\n")
    );
    assert!(matches!(
        dp.hangup(Some("USER BUSY")),
        Err(CommandError::Malformed { .. })
    ));
}

#[test]
fn dial_strings() {
    let dp = Dptools::new(UUID);
    assert_eq!(
        DialString::profile("internal", "1000@example.com")
            .unwrap()
            .as_str(),
        "sofia/internal/1000@example.com"
    );
    assert_eq!(
        DialString::gateway("trunk", "18005550100")
            .unwrap()
            .as_str(),
        "sofia/gateway/trunk/18005550100"
    );
    let proxied =
        DialString::via_proxy("internal", "2001@salespbx.com", "salespbx.com:5060").unwrap();
    assert_eq!(
        proxied.as_str(),
        "sofia/internal/2001@salespbx.com;fs_path=sip:salespbx.com:5060"
    );
    assert_eq!(
        wire(dp.bridge(&proxied)),
        exec(
            "bridge",
            Some("sofia/internal/2001@salespbx.com;fs_path=sip:salespbx.com:5060")
        )
    );
    // Any dial string passes through, variables and all.
    assert_eq!(
        wire(dp.bridge("{ignore_early_media=true}sofia/internal/a,sofia/internal/b")),
        exec(
            "bridge",
            Some("{ignore_early_media=true}sofia/internal/a,sofia/internal/b")
        )
    );
    // Each is malformed, and names the field at fault.
    let field = |result: Result<DialString, CommandError>| match result {
        Err(CommandError::Malformed { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    for (profile, dest, at_fault) in [
        ("in/ternal", "1000", "profile"),
        ("internal", "1000,sofia/x/y", "destination"),
        ("internal", "1000|sofia/x/y", "destination"),
        ("internal", "10 00", "destination"),
    ] {
        assert!(
            matches!(
                DialString::profile(profile, dest),
                Err(CommandError::Malformed { field, .. }) if field == at_fault
            ),
            "{profile} {dest}"
        );
    }
    assert!(matches!(
        DialString::profile("", "1000"),
        Err(CommandError::Empty { field: "profile" })
    ));
    assert_eq!(field(DialString::gateway("gw/x", "1")), "gateway");
    assert_eq!(
        field(DialString::via_proxy("internal", "1", "p/x")),
        "proxy"
    );
}

#[test]
fn api_commands() {
    let dp = Dptools::new(UUID);
    assert_eq!(
        wire(dp.broadcast("playback::/tmp/a.wav", None)),
        format!("api uuid_broadcast {UUID} playback::/tmp/a.wav\n\n")
    );
    assert_eq!(
        wire(dp.broadcast("privacy::full", Some(Leg::Both))),
        format!("api uuid_broadcast {UUID} privacy::full both\n\n")
    );
    assert_eq!(
        wire(dp.broadcast("/tmp/a.wav", Some(Leg::A))),
        format!("api uuid_broadcast {UUID} /tmp/a.wav aleg\n\n")
    );
    assert_eq!(
        wire(dp.broadcast("/tmp/a.wav", Some(Leg::B))),
        format!("api uuid_broadcast {UUID} /tmp/a.wav bleg\n\n")
    );
    assert_eq!(
        wire(dp.record_start("/tmp/agents/x.wav", None)),
        format!("api uuid_record {UUID} start /tmp/agents/x.wav\n\n")
    );
    assert_eq!(
        wire(dp.record_start("/tmp/x.wav", Some(60))),
        format!("api uuid_record {UUID} start /tmp/x.wav 60\n\n")
    );
    assert_eq!(
        wire(dp.record_stop("all")),
        format!("api uuid_record {UUID} stop all\n\n")
    );
    // As `outbound_socket` sends it.
    assert_eq!(
        wire(dp.getvar("channel_name")),
        format!("api uuid_getvar {UUID} channel_name\n\n")
    );
    assert_eq!(
        wire(dp.uuid_transfer(TransferLeg::This, "9196", None, None)),
        format!("api uuid_transfer {UUID} 9196\n\n")
    );
    assert_eq!(
        wire(dp.uuid_transfer(TransferLeg::Bleg, "9196", Some("XML"), Some("default"))),
        format!("api uuid_transfer {UUID} -bleg 9196 XML default\n\n")
    );
    assert_eq!(
        wire(dp.uuid_transfer(TransferLeg::Both, "park", None, Some("switchy"))),
        format!("api uuid_transfer {UUID} -both park XML switchy\n\n")
    );
    // Spaces would shift the switch's arguments.
    let one_word = |field| CommandError::Malformed {
        field,
        reason: "must be one word: no spaces, quotes or backslashes",
    };
    assert_eq!(dp.broadcast("/tmp/a b.wav", None), Err(one_word("path")));
    assert_eq!(dp.getvar("a b"), Err(one_word("variable name")));
    assert_eq!(dp.record_start("'/tmp/x.wav'", None), Err(one_word("path")));
}

#[test]
fn setting_many_variables() {
    let dp = Dptools::new(UUID);
    assert_eq!(
        wire(dp.multiset([("privacy", "yes"), ("sip_h_Privacy", "id")])),
        exec("multiset", Some("^^;privacy=yes;sip_h_Privacy=id"))
    );
    // A value with `;` moves the delimiter to the next free one.
    assert_eq!(
        wire(dp.multiset([("a", "x;y"), ("b", "1")])),
        exec("multiset", Some("^^|a=x;y|b=1"))
    );
    let each = dp.set_each([("a", "1"), ("b", "it's")]).unwrap();
    let each: Vec<String> = each
        .into_iter()
        .map(|c| String::from_utf8(c.to_bytes().unwrap().to_vec()).unwrap())
        .collect();
    assert_eq!(
        each,
        [exec("set", Some("a=1")), exec("set", Some("b=it's"))]
    );
    assert!(matches!(
        dp.multiset([("b", "it's")]),
        Err(CommandError::Malformed { .. })
    ));
    assert!(matches!(
        dp.multiset([("b", " padded")]),
        Err(CommandError::Malformed { .. })
    ));
    assert!(matches!(
        dp.multiset(Vec::<(String, String)>::new()),
        Err(CommandError::Empty { .. })
    ));
    let all = MULTISET_DELIMITERS.iter().collect::<String>();
    assert_eq!(
        dp.multiset([("a", all.as_str())]),
        Err(CommandError::Malformed {
            field: "multiset variables",
            reason: "every delimiter occurs in a name or value",
        })
    );
    let many: Vec<(String, String)> = (0..=MULTISET_MAX)
        .map(|i| (format!("v{i}"), "1".to_string()))
        .collect();
    assert_eq!(
        dp.multiset(many),
        Err(CommandError::Malformed {
            field: "multiset variables",
            reason: "more than 256 variables",
        })
    );
    assert!(matches!(
        dp.set("a=b", "c"),
        Err(CommandError::Malformed { .. })
    ));
}

#[test]
fn line_breaks_never_reach_the_wire() {
    let bad = "x\r\napi hupall";
    let dp = Dptools::new(UUID);
    let results = [
        Dptools::new(bad).answer(),
        Dptools::new(bad).getvar("x"),
        dp.hangup(Some(bad)),
        dp.bridge(bad),
        dp.playback(bad),
        dp.broadcast(bad, None),
        dp.record_start(bad, None),
        dp.record_stop(bad),
        dp.record_session(bad),
        dp.stop_record_session(bad),
        dp.set(bad, "v"),
        dp.set("n", bad),
        dp.multiset([("n", bad)]),
        dp.multiset([(bad, "v")]),
        dp.respond(486, Some(bad)),
        dp.transfer(bad, None, None),
        dp.transfer("1", Some(bad), None),
        dp.transfer("1", None, Some(bad)),
        dp.uuid_transfer(TransferLeg::This, bad, None, None),
        dp.getvar(bad),
    ];
    for result in results {
        assert!(
            matches!(result, Err(CommandError::LineBreak { .. })),
            "{result:?}"
        );
    }
    for (a, b) in [("p\n", "d"), ("p", "d\r"), ("p", "d\0")] {
        assert!(matches!(
            DialString::profile(a, b),
            Err(CommandError::LineBreak { .. })
        ));
    }
}

#[test]
fn other_refusals() {
    let dp = Dptools::new(UUID);
    assert!(matches!(
        dp.respond(99, None),
        Err(CommandError::Malformed { .. })
    ));
    assert!(matches!(
        dp.respond(700, None),
        Err(CommandError::Malformed { .. })
    ));
    assert!(matches!(dp.playback(""), Err(CommandError::Empty { .. })));
    assert!(matches!(
        Dptools::new("").answer(),
        Err(CommandError::Empty { .. })
    ));
    assert!(matches!(
        Dptools::new("a b").answer(),
        Err(CommandError::Malformed { .. })
    ));
}

#[test]
fn the_socket_channel_is_not_named() {
    let own = Dptools::socket_channel();
    assert_eq!(
        wire(own.answer()),
        "sendmsg\ncall-command: execute\nexecute-app-name: answer\n\n"
    );
    assert_eq!(own.getvar("x"), Err(CommandError::Empty { field: "uuid" }));
    assert_eq!(
        own.broadcast("x", None),
        Err(CommandError::Empty { field: "uuid" })
    );
}

#[test]
fn getvar_replies() {
    assert_eq!(
        GetVar::parse("loopback/socket-b"),
        GetVar::Value("loopback/socket-b".into())
    );
    assert_eq!(GetVar::parse("_undef_"), GetVar::Unset);
    assert_eq!(
        GetVar::parse("-ERR No Such Channel!\n"),
        GetVar::Failed("-ERR No Such Channel!".into())
    );
    assert_eq!(
        GetVar::parse("-ERR no reply\n"),
        GetVar::Failed("-ERR no reply".into())
    );
}
