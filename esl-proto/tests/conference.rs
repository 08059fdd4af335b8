//! The moderator's `conference` commands: the exact bytes, every refusal, and the `list`
//! readers on what FreeSWITCH 1.11.2 printed in `inbound_conference`.

use std::path::Path;

use base64::Engine;
use esl_proto::conference::{
    parse_list, parse_list_all, parse_list_with, ConferenceCommands, Level, ListError,
    ListedMember, Stop, Target,
};
use esl_proto::{Command, CommandError, ContentType, Framer, Limits, Message};

fn wire(command: Result<Command, CommandError>) -> String {
    let bytes = command.and_then(|c| c.to_bytes()).unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn api(line: &str) -> String {
    format!("api {line}\n\n")
}

#[test]
fn every_command_encodes_exactly() {
    let c = ConferenceCommands::new("conf217");
    let cases: Vec<(Result<Command, CommandError>, &str)> = vec![
        (c.list(), "conference conf217 list"),
        (c.list_delim(","), "conference conf217 list delim ,"),
        (c.list_count(), "conference conf217 list count"),
        (c.json_list(), "conference conf217 json_list"),
        (c.mute(Target::Member(2)), "conference conf217 mute 2"),
        (c.mute(Target::All), "conference conf217 mute all"),
        (
            c.mute_quiet(Target::Last),
            "conference conf217 mute last quiet",
        ),
        (
            c.unmute(Target::NonModerator),
            "conference conf217 unmute non_moderator",
        ),
        (
            c.unmute_quiet(Target::Member(1)),
            "conference conf217 unmute 1 quiet",
        ),
        (c.deaf(Target::Member(2)), "conference conf217 deaf 2"),
        (c.undeaf(Target::All), "conference conf217 undeaf all"),
        (c.kick(Target::Member(2), None), "conference conf217 kick 2"),
        (
            c.kick(Target::Last, Some("/tmp/bye.wav")),
            "conference conf217 kick last /tmp/bye.wav",
        ),
        (c.hup(Target::Member(2)), "conference conf217 hup 2"),
        (c.lock(), "conference conf217 lock"),
        (c.unlock(), "conference conf217 unlock"),
        (c.play("/tmp/a.wav"), "conference conf217 play /tmp/a.wav"),
        (
            c.play("{vol=-3}/tmp/a.wav"),
            "conference conf217 play {vol=-3}/tmp/a.wav",
        ),
        (
            c.play_async("local_stream://moh"),
            "conference conf217 play local_stream://moh async",
        ),
        (
            c.play_to("/tmp/a.wav", 2),
            "conference conf217 play /tmp/a.wav 2",
        ),
        (
            c.play_to_unmixed("/tmp/a.wav", 2),
            "conference conf217 play /tmp/a.wav 2 nomux",
        ),
        (c.stop(Stop::Current), "conference conf217 stop current"),
        (c.stop(Stop::All), "conference conf217 stop all"),
        (c.stop(Stop::Async), "conference conf217 stop async"),
        (c.stop_member(Stop::All, 2), "conference conf217 stop all 2"),
        (
            c.record_start("/tmp/c.wav"),
            "conference conf217 recording start /tmp/c.wav",
        ),
        (
            c.record_stop("/tmp/c.wav"),
            "conference conf217 recording stop /tmp/c.wav",
        ),
        (c.record_stop_all(), "conference conf217 recording stop all"),
        (c.floor(Target::Member(2)), "conference conf217 floor 2"),
        (c.floor(Target::Last), "conference conf217 floor last"),
        (
            c.volume_in(Target::Member(2), Level::Set(-4)),
            "conference conf217 volume_in 2 -4",
        ),
        (
            c.volume_in(Target::Member(2), Level::Set(4)),
            "conference conf217 volume_in 2 4",
        ),
        (
            c.volume_in(Target::All, Level::Up),
            "conference conf217 volume_in all up",
        ),
        (
            c.volume_out(Target::Member(2), Level::Down),
            "conference conf217 volume_out 2 down",
        ),
        (
            c.volume_out(Target::Member(2), Level::Current),
            "conference conf217 volume_out 2",
        ),
        (
            c.energy(Target::Member(2), Level::Set(0)),
            "conference conf217 energy 2 0",
        ),
        (
            c.energy(Target::Member(2), Level::Set(1800)),
            "conference conf217 energy 2 1800",
        ),
        (
            c.energy(Target::Last, Level::Up),
            "conference conf217 energy last up",
        ),
        (
            c.mute(Target::Member(2_147_483_647)),
            "conference conf217 mute 2147483647",
        ),
    ];
    for (command, line) in cases {
        assert_eq!(wire(command), api(line));
    }
    assert_eq!(
        wire(Ok(ConferenceCommands::list_all())),
        api("conference list")
    );
}

#[test]
fn line_breaks_in_any_field_are_refused_and_named() {
    for bad in ["x\ny", "x\r\ny", "x\ry", "x\0y", "\n", "x\n\napi hupall"] {
        let named = ConferenceCommands::new(bad);
        let c = ConferenceCommands::new("conf217");
        let cases: Vec<(Result<Command, CommandError>, &str)> = vec![
            (named.list(), "conference name"),
            (named.lock(), "conference name"),
            (named.mute(Target::All), "conference name"),
            (named.play("/tmp/a.wav"), "conference name"),
            (c.list_delim(bad), "list delimiter"),
            (c.kick(Target::All, Some(bad)), "kick sound"),
            (c.play(bad), "file path"),
            (c.play_async(bad), "file path"),
            (c.play_to(bad, 1), "file path"),
            (c.play_to_unmixed(bad, 1), "file path"),
            (c.record_start(bad), "recording path"),
            (c.record_stop(bad), "recording path"),
        ];
        for (result, field) in cases {
            assert_eq!(result, Err(CommandError::LineBreak { field }), "{bad:?}");
        }
    }
}

#[test]
fn a_field_that_is_not_one_word_is_refused() {
    let c = ConferenceCommands::new("conf217");
    for bad in ["a b", "a\tb", " a", "a ", "'a'", "\"a", "a\\b"] {
        let not_one_word = |field| CommandError::Malformed {
            field,
            reason: "must be one word: no spaces, quotes or backslashes",
        };
        assert_eq!(
            ConferenceCommands::new(bad).lock(),
            Err(not_one_word("conference name"))
        );
        assert_eq!(c.list_delim(bad), Err(not_one_word("list delimiter")));
        assert_eq!(
            c.kick(Target::Last, Some(bad)),
            Err(not_one_word("kick sound"))
        );
        assert_eq!(c.play(bad), Err(not_one_word("file path")));
        assert_eq!(c.play_to(bad, 3), Err(not_one_word("file path")));
        assert_eq!(c.record_start(bad), Err(not_one_word("recording path")));
        assert_eq!(c.record_stop(bad), Err(not_one_word("recording path")));
    }
    let empty = |field| Err(CommandError::Empty { field });
    assert_eq!(ConferenceCommands::new("").list(), empty("conference name"));
    assert_eq!(c.play(""), empty("file path"));
    assert_eq!(c.record_start(""), empty("recording path"));
    assert_eq!(c.kick(Target::All, Some("")), empty("kick sound"));
    assert_eq!(c.list_delim(""), empty("list delimiter"));
}

#[test]
fn numbers_the_switch_would_misread_are_refused() {
    let c = ConferenceCommands::new("conf217");
    let id = Err(CommandError::Malformed {
        field: "member id",
        reason: "must be 1 to 2147483647",
    });
    for bad in [0, 2_147_483_648, u32::MAX] {
        assert_eq!(c.mute(Target::Member(bad)), id);
        assert_eq!(c.kick(Target::Member(bad), None), id);
        assert_eq!(c.play_to("/tmp/a.wav", bad), id);
        assert_eq!(c.stop_member(Stop::All, bad), id);
        assert_eq!(c.floor(Target::Member(bad)), id);
    }
    for bad in [-5, 5, i32::MIN, i32::MAX] {
        let volume = |field| {
            Err(CommandError::Malformed {
                field,
                reason: "must be -4 to 4",
            })
        };
        assert_eq!(
            c.volume_in(Target::All, Level::Set(bad)),
            volume("volume_in level")
        );
        assert_eq!(
            c.volume_out(Target::All, Level::Set(bad)),
            volume("volume_out level")
        );
    }
    assert_eq!(
        c.energy(Target::All, Level::Set(-1)),
        Err(CommandError::Malformed {
            field: "energy level",
            reason: "must be 0 or more"
        })
    );
}

#[test]
fn words_the_switch_reads_as_keywords_are_refused_where_they_would_mislead() {
    let c = ConferenceCommands::new("conf217");
    for target in [Target::All, Target::NonModerator] {
        assert!(matches!(
            c.floor(target),
            Err(CommandError::Malformed {
                field: "floor target",
                ..
            })
        ));
    }
    for all in ["all", "ALL", "All"] {
        assert!(matches!(
            c.record_stop(all),
            Err(CommandError::Malformed {
                field: "recording path",
                ..
            })
        ));
    }
    for flag in ["async", "ASYNC"] {
        assert!(matches!(
            c.play(flag),
            Err(CommandError::Malformed {
                field: "file path",
                ..
            })
        ));
    }
    // Starting a recording to a file named `all` misleads nothing.
    assert_eq!(
        wire(c.record_start("all")),
        api("conference conf217 recording start all")
    );
}

/// Every chunk of `inbound_conference`, decoded, by direction.
fn capture(direction: &str) -> Vec<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/freeswitch/inbound_conference.jsonl");
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|chunk| chunk["dir"] == direction)
        .map(|chunk| {
            base64::engine::general_purpose::STANDARD
                .decode(chunk["b64"].as_str().unwrap())
                .unwrap()
        })
        .collect()
}

/// The bodies of the switch's `api/response`s, in order.
fn api_responses() -> Vec<String> {
    let mut framer = Framer::new(Limits::default());
    let mut bodies = Vec::new();
    for chunk in capture("from_switch") {
        framer.push(&chunk);
        while let Some(frame) = framer.next_frame().unwrap() {
            let message = Message::from(frame);
            if message.content_type() == ContentType::ApiResponse {
                bodies.push(String::from_utf8(message.body().to_vec()).unwrap());
            }
        }
    }
    bodies
}

#[test]
fn the_captured_commands_are_what_the_builders_send() {
    let sent = capture("to_switch");
    let c = ConferenceCommands::new("conf217");
    for built in [c.list().unwrap(), c.json_list().unwrap()] {
        let bytes = built.to_bytes().unwrap();
        assert!(sent.iter().any(|chunk| chunk[..] == bytes[..]), "{built:?}");
    }
}

#[test]
fn the_captured_list_reply_reads() {
    let bodies = api_responses();
    // originate, originate, list, json_list, uuid_kill, uuid_kill, list (after the end).
    assert_eq!(bodies.len(), 7);
    let members = parse_list(&bodies[2]).unwrap();
    assert_eq!(members.len(), 2);
    let (newest, first) = (&members[0], &members[1]);
    assert_eq!(newest.id, 2);
    assert_eq!(newest.channel_name, "loopback/conf-b");
    assert_eq!(newest.uuid, "0451b837-24a6-4b4b-9ddf-8fe421955430");
    assert_eq!(newest.caller_id_name, "");
    assert_eq!(newest.caller_id_number, "0000000000");
    assert!(newest.flags.hear && newest.flags.speak && !newest.flags.floor);
    assert_eq!(
        (newest.volume_in, newest.volume_out, newest.energy_level),
        (0, 0, 100)
    );
    assert_eq!(first.id, 1);
    assert_eq!(first.uuid, "11b9dc55-b269-4ff8-81ec-5d199ab2b58a");
    assert!(first.flags.hear && first.flags.speak && first.flags.floor);
    assert!(!first.flags.talking && !first.flags.moderator && !first.flags.ghost);

    assert_eq!(bodies[6], "-ERR Conference conf217 not found\n");
    assert_eq!(
        parse_list(&bodies[6]),
        Err(ListError::Refused(
            "-ERR Conference conf217 not found".into()
        ))
    );
}

#[test]
fn every_flag_conference_list_prints_reads() {
    // conference_list's order: hear, speak, talking, hold, video, floor, vid-floor,
    // moderator, ghost, res-id:, role-id:; then `%s%d%s%d%s%d\n`.
    let line = "7;sofia/internal/1000@example.com;8d1e2f38-5ae1-4c4b-a2a8-3a6f0e0b2c11;Ann;1000;\
                hear|speak|talking|video|floor|vid-floor|moderator|ghost|res-id:left|role-id:host;\
                -4;4;1800";
    let m = ListedMember::parse_line(line, ";").unwrap();
    let f = &m.flags;
    assert!(f.hear && f.speak && f.talking && !f.hold && f.video && f.floor && f.vid_floor);
    assert!(f.moderator && f.ghost);
    assert_eq!(
        (f.reservation_id.as_deref(), f.role_id.as_deref()),
        (Some("left"), Some("host"))
    );
    assert_eq!((m.volume_in, m.volume_out, m.energy_level), (-4, 4, 1800));

    let held = ListedMember::parse_line("3;a;b;;9;hold;0;0;100", ";").unwrap();
    assert!(held.flags.hold && !held.flags.hear && !held.flags.speak);
    let none = ListedMember::parse_line("3;a;b;;9;;0;0;100", ";").unwrap();
    assert_eq!(none.flags, Default::default());
}

#[test]
fn a_delimiter_inside_a_field_is_placed_by_the_uuid() {
    let line = "5;sofia/internal/sip:1000@example.com;transport=tcp;\
                8d1e2f38-5ae1-4c4b-a2a8-3a6f0e0b2c11;Ann;Bob;1000;hear;0;0;100";
    let m = ListedMember::parse_line(line, ";").unwrap();
    assert_eq!(
        m.channel_name,
        "sofia/internal/sip:1000@example.com;transport=tcp"
    );
    assert_eq!(m.caller_id_name, "Ann;Bob");
    assert_eq!(m.caller_id_number, "1000");
    // Ambiguous without a uuid-shaped field.
    assert!(matches!(
        ListedMember::parse_line("5;a;b;c;d;e;f;hear;0;0;100", ";"),
        Err(ListError::Malformed(_))
    ));
}

#[test]
fn a_chosen_delimiter_reads() {
    let body = "2::loopback/conf-b::0451b837-24a6-4b4b-9ddf-8fe421955430::::0000000000::hear|speak::0::0::100\n";
    assert!(
        parse_list_with(body, "::").is_err(),
        "`:` is inside res-id:"
    );
    let body = "2,,loopback/conf-b,,0451b837-24a6-4b4b-9ddf-8fe421955430,,,,0000000000,,hear|speak,,-1,,0,,100\n";
    let m = parse_list_with(body, ",,").unwrap();
    assert_eq!(
        (m[0].id, m[0].caller_id_number.as_str(), m[0].volume_in),
        (2, "0000000000", -1)
    );
    assert!(m[0].flags.hear && m[0].flags.speak);
}

#[test]
fn a_delimiter_found_inside_the_fields_is_refused_both_ways() {
    // `2|loopback/conf-b|<uuid>||0000000000|hear|speak|0|0|100` would read `hear` as the
    // caller id number: the flags are joined by `|` too.
    let c = ConferenceCommands::new("conf217");
    for bad in ["|", ":", "-", "0", "9", "a", "F", "x|y"] {
        assert!(
            matches!(
                c.list_delim(bad),
                Err(CommandError::Malformed {
                    field: "list delimiter",
                    ..
                })
            ),
            "{bad:?}"
        );
        assert_eq!(
            parse_list_with("2;a;b;;9;hear;0;0;100", bad),
            Err(ListError::Delimiter(bad.into()))
        );
    }
    assert_eq!(
        wire(c.list_delim(",")),
        api("conference conf217 list delim ,")
    );
    assert_eq!(
        wire(c.list_delim("#")),
        api("conference conf217 list delim #")
    );
}

#[test]
fn malformed_list_lines_are_errors_never_panics() {
    for bad in [
        "x;a;b;;9;hear;0;0;100",
        "1;a;b;;9;hear;0;0",
        "1;a;b;;9;hear;0;0;loud",
        "1;a;b;;9;hear;0;0;100;extra;fields",
        ";;;;;;;;",
        "\u{fffd};;;;;;;;",
        "Conference command, not specified.",
    ] {
        assert!(
            matches!(parse_list(bad), Err(ListError::Malformed(_))),
            "{bad:?}"
        );
    }
    assert_eq!(
        ListedMember::parse_line("1;a;b;;9;hear;0;0;100", ""),
        Err(ListError::Delimiter(String::new()))
    );
    assert_eq!(parse_list("-ERR no reply\n"), Ok(Vec::new()));
    assert_eq!(parse_list(""), Ok(Vec::new()));
}

#[test]
fn the_all_conferences_list_reads() {
    // Built from conference_api_sub_list's format, `"+OK Conference %s (%u member%s rate:
    // %u%s flags: "`, with the flags the capture's json_list shows set for conf217, then
    // the capture's own member lines.
    let members = &api_responses()[2];
    let body = format!(
        "+OK Conference conf217 (2 members rate: 8000 flags: \
         running|answered|enforce_min|dynamic|exit_sound|enter_sound)\n{members}\
         +OK Conference board room (1 member rate: 16000 locked flags: locked|running)\n\
         9;sofia/internal/1001@example.com;8d1e2f38-5ae1-4c4b-a2a8-3a6f0e0b2c11;;1001;hear;0;0;300\n\
         +OK Conference quiet (0 members rate: 8000 flags: none)\n"
    );
    let all = parse_list_all(&body).unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(
        (all[0].name.as_str(), all[0].member_count, all[0].rate),
        ("conf217", 2, 8000)
    );
    assert!(!all[0].locked);
    assert_eq!(
        all[0].flags,
        [
            "running",
            "answered",
            "enforce_min",
            "dynamic",
            "exit_sound",
            "enter_sound"
        ]
    );
    assert_eq!(all[0].members, parse_list(members).unwrap());
    assert_eq!(
        (all[1].name.as_str(), all[1].member_count, all[1].locked),
        ("board room", 1, true)
    );
    assert_eq!(all[1].members[0].id, 9);
    assert!(all[2].flags.is_empty() && all[2].members.is_empty());

    assert_eq!(
        parse_list_all("+OK No active conferences.\n"),
        Ok(Vec::new())
    );
    for bad in [
        "1;a;b;;9;hear;0;0;100\n",
        "+OK Conference x (two members rate: 8000 flags: none)\n",
        "+OK Conference x (2 members rate: 8000 flags: none\n",
        "+OK Conference x 2 members rate: 8000 flags: none)\n",
    ] {
        assert!(
            matches!(parse_list_all(bad), Err(ListError::Malformed(_))),
            "{bad:?}"
        );
    }
}

proptest::proptest! {
    /// Whatever the caller passes, a built command is one `api` line, and the readers
    /// answer every body with a value.
    #[test]
    fn any_input_builds_one_line_or_an_error(
        name in "\\PC{0,12}|[ -~\r\n\t\0]{0,12}",
        field in "\\PC{0,12}|[ -~\r\n\t\0]{0,12}",
        id in proptest::prelude::any::<u32>(),
        level in proptest::prelude::any::<i32>(),
    ) {
        let c = ConferenceCommands::new(name);
        let built = [
            c.list(), c.list_delim(&field), c.kick(Target::Member(id), Some(&field)),
            c.play(&field), c.play_to(&field, id), c.record_start(&field),
            c.record_stop(&field), c.volume_in(Target::Last, Level::Set(level)),
            c.energy(Target::Member(id), Level::Set(level)), c.floor(Target::Member(id)),
        ];
        for command in built.into_iter().flatten() {
            let bytes = command.to_bytes().unwrap();
            proptest::prop_assert!(bytes.starts_with(b"api conference "));
            proptest::prop_assert!(bytes.ends_with(b"\n\n"));
            let line = &bytes[..bytes.len() - 2];
            proptest::prop_assert!(!line.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)));
        }
    }

    #[test]
    fn the_readers_never_panic(body in "[ -~\n;|]{0,200}|\\PC{0,80}", delim in "\\PC{0,3}") {
        let _ = parse_list(&body);
        let _ = parse_list_with(&body, &delim);
        let _ = parse_list_all(&body);
        let _ = parse_list_all(&format!("+OK Conference {body}"));
    }
}
