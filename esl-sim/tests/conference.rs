//! The moderator's `conference` commands on members and the conference, each built with
//! `esl_proto::conference`, sent to the simulated switch on virtual time: the exact reply,
//! the `conference::maintenance` events it fires (their `Action` and the headers that
//! matter, in FreeSWITCH's order), and what an `esl_proto::Tracker` fed those events then
//! says of the members. The room is `common::room`. Files and recordings are in
//! `conference_media.rs`.

mod common;

use std::time::Duration;

use common::room::*;
use esl_proto::conference::{
    parse_list, parse_list_all, parse_list_with, ConferenceCommands, Level, ListError, Target,
};
use esl_proto::Command;

#[test]
fn list_reads_back_field_by_field() {
    let mut room = Room::new(2);
    let (m1, m2) = (room.member(1).to_owned(), room.member(2).to_owned());
    let body = room.run(room.conf.list());
    assert_eq!(
        body,
        format!(
            "2;loopback/conf-b;{m2};;0000000000;hear|speak;0;0;100\n\
             1;loopback/conf-b;{m1};;0000000000;hear|speak|floor;0;0;100\n"
        )
    );
    let listed = parse_list(&body).unwrap();
    assert_eq!(listed.len(), 2);
    let (second, first) = (&listed[0], &listed[1]);
    assert_eq!((second.id, first.id), (2, 1));
    assert_eq!(first.channel_name, "loopback/conf-b");
    assert_eq!(
        (first.uuid.as_str(), second.uuid.as_str()),
        (m1.as_str(), m2.as_str())
    );
    assert_eq!(first.caller_id_name, "");
    assert_eq!(first.caller_id_number, "0000000000");
    assert!(first.flags.hear && first.flags.speak && first.flags.floor);
    assert!(!first.flags.talking && !first.flags.moderator && !first.flags.hold);
    assert!(second.flags.hear && second.flags.speak && !second.flags.floor);
    assert_eq!(
        (first.volume_in, first.volume_out, first.energy_level),
        (0, 0, 100)
    );

    let body = room.run(room.conf.list_delim(","));
    assert_eq!(parse_list_with(&body, ",").unwrap(), listed);
    assert!(body.starts_with(&format!(
        "2,loopback/conf-b,{m2},,0000000000,hear|speak,0,0,100\n"
    )));
    assert_eq!(
        room.run(room.conf.list_count()),
        "2",
        "a bare number, no line end"
    );

    let all = room.run(Ok(ConferenceCommands::list_all()));
    assert_eq!(
        all,
        format!(
            "+OK Conference conf217 (2 members rate: 8000 flags: \
             running|answered|enforce_min|dynamic|exit_sound|enter_sound)\n{body_semicolons}",
            body_semicolons = room.run(room.conf.list())
        )
    );
    let conferences = parse_list_all(&all).unwrap();
    assert_eq!(conferences.len(), 1);
    let c = &conferences[0];
    assert_eq!(
        (c.name.as_str(), c.member_count, c.rate, c.locked),
        ("conf217", 2, 8000, false)
    );
    assert_eq!(
        c.flags,
        [
            "running",
            "answered",
            "enforce_min",
            "dynamic",
            "exit_sound",
            "enter_sound"
        ]
    );
    assert_eq!(c.members, listed);
    assert!(room.events().is_empty(), "listing fires nothing");

    let other = ConferenceCommands::new("nosuch");
    let refused = room.run(other.list());
    assert_eq!(refused, "-ERR Conference nosuch not found\n");
    assert_eq!(
        parse_list(&refused),
        Err(ListError::Refused(
            "-ERR Conference nosuch not found".into()
        ))
    );
    let empty = Room::new(0).run(Ok(ConferenceCommands::list_all()));
    assert_eq!(empty, "+OK No active conferences.\n");
    assert!(parse_list_all(&empty).unwrap().is_empty());
}

#[test]
fn json_list_is_printed_as_cjson_prints_it() {
    let mut room = Room::new(2);
    room.switch.advance(Duration::from_secs(1));
    let body = room.run(room.conf.json_list());
    assert!(
        body.starts_with("[{\n\t\t\"conference_name\":\t\"conf217\",\n\t\t\"member_count\":\t2,\n"),
        "{body}"
    );
    assert!(
        body.ends_with("\t\t\t}]\n\t}]"),
        "no line end, as inbound_conference shows"
    );
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let c = &json[0];
    assert_eq!(c["conference_name"], "conf217");
    assert_eq!(c["member_count"], 2);
    assert_eq!(c["rate"], 8000);
    assert_eq!(c["run_time"], 3, "seconds since it was made");
    assert_eq!(c["locked"], false);
    assert_eq!(c["recording"], false);
    let members = c["members"].as_array().unwrap();
    assert_eq!(members[0]["id"], 2, "newest first");
    assert_eq!(members[0]["join_time"], 2);
    assert_eq!(members[1]["uuid"], room.member(1));
    assert_eq!(members[1]["flags"]["has_floor"], true);
    assert_eq!(members[1]["flags"]["can_speak"], true);
    assert_eq!(members[1]["energy"], 100);
    let keys: Vec<&String> = members[1].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 13);
    // The whole conference list, compact.
    let all = room.run(Ok(Command::api("conference json_list compact")));
    assert!(all.starts_with("[{\"conference_name\":\"conf217\",\"member_count\":2,"));
    assert!(room.events().is_empty());
}

#[test]
fn mute_and_unmute_fire_their_events_every_time() {
    let mut room = Room::new(2);
    assert_eq!(room.run(room.conf.mute(Target::Member(2))), "+OK mute 2\n");
    let events = room.events();
    assert_eq!(actions(&events), ["mute-member"]);
    assert_member_event(&events[0], "mute-member", &[]);
    assert_eq!(header(&events[0], "Member-ID"), "2");
    assert_eq!(header(&events[0], "Speak"), "false");
    assert_eq!(header(&events[0], "Talking"), "false");
    assert_eq!(header(&events[0], "Hear"), "true");
    assert_eq!(header(&events[0], "Unique-ID"), room.member(2));
    assert!(room.tracked(2).unwrap().is_muted());
    assert!(!room.tracked(1).unwrap().is_muted());
    let listed = room.list();
    assert!(!listed[0].flags.speak && listed[0].flags.hear);
    // Muting a muted member (quietly) fires again: `quiet` only spares the sound.
    assert_eq!(
        room.run(room.conf.mute_quiet(Target::Member(2))),
        "+OK mute 2\n"
    );
    assert_eq!(actions(&room.events()), ["mute-member"]);

    assert_eq!(
        room.run(room.conf.unmute(Target::Member(2))),
        "+OK unmute 2\n"
    );
    let events = room.events();
    assert_eq!(actions(&events), ["unmute-member"]);
    assert_member_event(&events[0], "unmute-member", &[]);
    assert_eq!(header(&events[0], "Speak"), "true");
    assert!(!room.tracked(2).unwrap().is_muted());
    assert_eq!(
        room.run(room.conf.unmute_quiet(Target::Member(2))),
        "+OK unmute 2\n"
    );
    assert_eq!(actions(&room.events()), ["unmute-member"]);

    // Every member, newest first; then the last one to join.
    assert_eq!(
        room.run(room.conf.mute(Target::All)),
        "+OK mute 2\n+OK mute 1\n"
    );
    let events = room.events();
    assert_eq!(actions(&events), ["mute-member", "mute-member"]);
    assert_eq!(all(&events[0], "Member-ID"), ["2"]);
    assert_eq!(all(&events[1], "Member-ID"), ["1"]);
    assert!(room.tracked(1).unwrap().is_muted() && room.tracked(2).unwrap().is_muted());
    assert_eq!(room.run(room.conf.unmute(Target::Last)), "+OK unmute 2\n");
    room.events();
    assert!(!room.tracked(2).unwrap().is_muted() && room.tracked(1).unwrap().is_muted());

    assert_eq!(
        room.run(room.conf.mute(Target::Member(9))),
        "-ERR Non-Existant ID 9\n"
    );
    assert!(room.events().is_empty());
}

#[test]
fn non_moderator_skips_moderators_with_a_line_each() {
    let mut room = Room::new(2);
    room.join("originate loopback/park &conference(conf217+flags{moderator})");
    let listed = room.list();
    assert_eq!(listed[0].id, 3);
    assert!(listed[0].flags.moderator);
    assert_eq!(
        room.tracked(3).unwrap().member_type.as_deref(),
        Some("moderator")
    );
    assert_eq!(
        room.run(room.conf.mute(Target::NonModerator)),
        "Skipping moderator (member id 3).\n+OK mute 2\n+OK mute 1\n"
    );
    let events = room.events();
    assert_eq!(actions(&events), ["mute-member", "mute-member"]);
    assert!(!room.tracked(3).unwrap().is_muted());
    assert!(room.tracked(2).unwrap().is_muted() && room.tracked(1).unwrap().is_muted());
}

#[test]
fn deaf_and_undeaf() {
    let mut room = Room::new(2);
    assert_eq!(room.run(room.conf.deaf(Target::Member(1))), "+OK deaf 1\n");
    let events = room.events();
    assert_eq!(actions(&events), ["deaf-member"]);
    assert_member_event(&events[0], "deaf-member", &[]);
    assert_eq!(header(&events[0], "Hear"), "false");
    assert_eq!(header(&events[0], "Speak"), "true");
    assert_eq!(
        header(&events[0], "Floor"),
        "true",
        "member 1 holds the floor"
    );
    assert!(room.tracked(1).unwrap().is_deaf());
    let listed = room.list();
    assert!(!listed[1].flags.hear && listed[1].flags.speak && listed[1].flags.floor);

    assert_eq!(
        room.run(room.conf.undeaf(Target::Member(1))),
        "+OK undeaf 1\n"
    );
    let events = room.events();
    assert_eq!(actions(&events), ["undeaf-member"]);
    assert_eq!(header(&events[0], "Hear"), "true");
    assert!(!room.tracked(1).unwrap().is_deaf());
}

#[test]
fn kick_fires_kick_member_then_the_member_leaves_at_the_next_frame() {
    let mut room = Room::new(2);
    let m2 = room.member(2).to_owned();
    assert_eq!(
        room.run(room.conf.kick(Target::Member(2), None)),
        "+OK kicked 2\n"
    );
    let events = room.events();
    assert_eq!(actions(&events), ["kick-member"]);
    assert_member_event(&events[0], "kick-member", &[]);
    assert_eq!(header(&events[0], "Answer-State"), "answered");
    // Kicked: no longer found, even before it has left.
    assert_eq!(
        room.run(room.conf.kick(Target::Member(2), None)),
        "-ERR Non-Existant ID 2\n"
    );
    let events = room.after(FRAME);
    // It leaves: one member is left alone, so the alone sound (not installed) is tried.
    assert_eq!(actions(&events), ["play-file", "del-member"]);
    assert!(header(&events[0], "File").ends_with("/conference/conf-alone.wav"));
    assert_eq!(header(&events[0], "Error"), "File could not be played");
    assert_member_event(&events[1], "del-member", &[]);
    assert_eq!(header(&events[1], "Conference-Size"), "1");
    assert_eq!(header(&events[1], "Unique-ID"), m2);
    assert!(room.tracked(2).is_none());
    // The conference application returned and the `conf` extension had nothing more:
    // the call hangs up.
    assert!(!room.switch.with(|s| s.channels()).contains(&m2));
    // The exit tone ends after its 500 ms, then music on hold (not installed) is tried.
    let events = room.after(Duration::from_secs(1));
    assert_eq!(actions(&events), ["play-file-done", "play-file"]);
    assert_eq!(
        header(&events[0], "File"),
        "tone_stream://%(500,0,300,200,100,50,25)"
    );
    assert_eq!(header(&events[0], "milliseconds"), "1000");
    assert_eq!(header(&events[1], "File"), "local_stream://moh");
    assert_eq!(header(&events[1], "Async"), "true");
    assert_eq!(room.list().len(), 1);
}

#[test]
fn kicking_the_floor_holder_moves_the_floor() {
    let mut room = Room::new(2);
    assert_eq!(
        room.run(room.conf.kick(Target::Member(1), None)),
        "+OK kicked 1\n"
    );
    assert_eq!(actions(&room.events()), ["kick-member"]);
    let events = room.after(FRAME);
    assert_eq!(
        actions(&events),
        ["floor-change", "play-file", "del-member"]
    );
    // The leaving member is no longer found: Old-ID none, as in inbound_conference.
    assert_eq!(header(&events[0], "Old-ID"), "none");
    assert_eq!(header(&events[0], "New-ID"), "none");
    assert_eq!(header(&events[2], "Floor"), "false");
    let events = room.after(FRAME);
    assert_eq!(actions(&events), ["floor-change"]);
    assert_eq!(header(&events[0], "New-ID"), "2");
    assert_eq!(room.tracker.conference("conf217").unwrap().floor, Some(2));
    assert!(room.tracked(2).unwrap().flags.floor);
}

#[test]
fn hup_leaves_without_a_kick() {
    let mut room = Room::new(2);
    assert_eq!(room.run(room.conf.hup(Target::Member(2))), "+OK hup 2\n");
    let events = room.events();
    assert_eq!(actions(&events), ["hup-member"]);
    assert_member_event(&events[0], "hup-member", &[]);
    assert_eq!(actions(&room.after(FRAME)), ["play-file", "del-member"]);
    assert!(room.tracked(2).is_none());
    // The last one out ends the conference at the next frame; the exit tone still
    // playing for member 2 is closed first.
    assert_eq!(room.run(room.conf.hup(Target::Last)), "+OK hup 1\n");
    assert_eq!(
        actions(&room.after(FRAME)),
        ["hup-member", "floor-change", "del-member"]
    );
    let events = room.after(FRAME);
    assert_eq!(actions(&events), ["play-file-done", "conference-destroy"]);
    assert_eq!(header(&events[1], "Conference-Size"), "0");
    assert!(room.tracker.conference("conf217").is_none());
    assert_eq!(
        room.run(room.conf.list()),
        "-ERR Conference conf217 not found\n"
    );
}

#[test]
fn lock_keeps_new_callers_out() {
    let mut room = Room::new(2);
    assert_eq!(room.run(room.conf.lock()), "+OK conf217 locked\n");
    let events = room.events();
    // The is-locked sound is tried (and not installed), then `lock`, conference data only.
    assert_eq!(actions(&events), ["play-file", "lock"]);
    assert!(header(&events[0], "File").ends_with("/conference/conf-is-locked.wav"));
    assert_eq!(
        layout(&events[1]),
        [&CONFERENCE_DATA[..], &["Action"]].concat()
    );
    let all = room.run(Ok(ConferenceCommands::list_all()));
    assert!(all
        .starts_with("+OK Conference conf217 (2 members rate: 8000 locked flags: locked|running|"));
    assert!(parse_list_all(&all).unwrap()[0].locked);
    // A caller that arrives now is turned away without an event.
    assert!(room
        .client
        .api("originate loopback/conf &park")
        .starts_with("+OK "));
    assert!(room.after(Duration::from_secs(1)).is_empty());
    assert_eq!(room.list().len(), 2);

    assert_eq!(room.run(room.conf.unlock()), "+OK conf217 unlocked\n");
    let events = room.events();
    assert_eq!(actions(&events), ["play-file", "unlock"]);
    assert!(header(&events[0], "File").ends_with("/conference/conf-is-unlocked.wav"));
    assert!(!parse_list_all(&room.run(Ok(ConferenceCommands::list_all()))).unwrap()[0].locked);
    room.join("originate loopback/conf &park");
    assert_eq!(room.list().len(), 3);
}

#[test]
fn floor_toggles() {
    let mut room = Room::new(2);
    // The holder gives it up; the mixer hands it to the newest member at the next frame.
    assert_eq!(
        room.run(room.conf.floor(Target::Member(1))),
        "+OK floor none\n"
    );
    let events = room.events();
    assert_eq!(actions(&events), ["floor-change"]);
    assert_eq!(
        layout(&events[0]),
        [&CONFERENCE_DATA[..], &["Action", "Old-ID", "New-ID"]].concat()
    );
    assert_eq!(header(&events[0], "Old-ID"), "1");
    assert_eq!(header(&events[0], "New-ID"), "none");
    assert_eq!(room.tracker.conference("conf217").unwrap().floor, None);
    // Nobody holds it for this instant: member 1 takes it back.
    assert_eq!(
        room.run(room.conf.floor(Target::Member(1))),
        "+OK floor 1\n"
    );
    let events = room.events();
    assert_eq!(actions(&events), ["floor-change"]);
    let names = layout(&events[0]);
    assert_eq!(&names[6..8], ["Action", "Old-ID"]);
    assert_eq!(&names[8..14], CONFERENCE_DATA, "then the new holder's data");
    assert_eq!(names.last().unwrap(), "New-ID");
    assert_eq!(header(&events[0], "Old-ID"), "none");
    assert_eq!(header(&events[0], "New-ID"), "1");
    assert_eq!(all(&events[0], "Floor"), ["true"]);
    assert!(room.tracked(1).unwrap().flags.floor);
    assert!(
        room.after(FRAME).is_empty(),
        "someone holds it: the mixer leaves it"
    );
    // Another member cannot take it while it is held.
    assert_eq!(
        room.run(room.conf.floor(Target::Last)),
        "-ERR floor is held by 1\n"
    );
    assert!(room.events().is_empty());
    // Given up, it goes to the newest member.
    room.run(room.conf.floor(Target::Member(1)));
    let events = room.after(FRAME);
    assert_eq!(actions(&events), ["floor-change", "floor-change"]);
    assert_eq!(header(&events[1], "New-ID"), "2");
    assert_eq!(room.tracker.conference("conf217").unwrap().floor, Some(2));
    assert!(room.list()[0].flags.floor);
}

#[test]
fn volume_in_and_out() {
    let mut room = Room::new(2);
    assert_eq!(
        room.run(room.conf.volume_in(Target::Member(2), Level::Set(-2))),
        "+OK Volume IN 2 = -2\n"
    );
    let events = room.events();
    assert_eq!(actions(&events), ["volume-in-member"]);
    assert_member_event(&events[0], "volume-in-member", &["Volume-Level"]);
    assert_eq!(header(&events[0], "Volume-Level"), "-2");
    assert_eq!(
        room.run(room.conf.volume_in(Target::Member(2), Level::Down)),
        "+OK Volume IN 2 = -3\n"
    );
    room.events();
    assert_eq!(
        room.run(room.conf.volume_out(Target::Member(2), Level::Up)),
        "+OK Volume OUT 2 = 1\n"
    );
    let events = room.events();
    assert_eq!(actions(&events), ["volume-out-member"]);
    assert_eq!(header(&events[0], "Volume-Level"), "1");
    // No level: the current one, and no event.
    assert_eq!(
        room.run(room.conf.volume_out(Target::Member(2), Level::Current)),
        "+OK Volume OUT 2 = 1\n"
    );
    assert!(room.events().is_empty());
    // Up stops at 4.
    room.run(room.conf.volume_out(Target::Member(2), Level::Set(4)));
    assert_eq!(
        room.run(room.conf.volume_out(Target::Member(2), Level::Up)),
        "+OK Volume OUT 2 = 4\n"
    );
    let listed = room.list();
    assert_eq!((listed[0].volume_in, listed[0].volume_out), (-3, 4));
}

#[test]
fn energy() {
    let mut room = Room::new(2);
    assert_eq!(
        room.run(room.conf.energy(Target::Member(2), Level::Set(300))),
        "Energy 2 = 300\n"
    );
    let events = room.events();
    assert_eq!(actions(&events), ["energy-level-member"]);
    assert_member_event(&events[0], "energy-level-member", &["Energy-Level"]);
    assert_eq!(all(&events[0], "Energy-Level"), ["300", "300"]);
    assert_eq!(room.tracked(2).unwrap().energy_level, Some(300));
    assert_eq!(
        room.run(room.conf.energy(Target::Member(2), Level::Up)),
        "Energy 2 = 500\n"
    );
    room.events();
    assert_eq!(
        room.run(room.conf.energy(Target::Member(2), Level::Current)),
        "Energy 2 = 500\n"
    );
    assert!(room.events().is_empty());
    assert_eq!(room.list()[0].energy_level, 500);
    assert_eq!(
        room.run(room.conf.energy(Target::All, Level::Down)),
        "Energy 2 = 300\nEnergy 1 = 0\n"
    );
    assert_eq!(
        actions(&room.events()),
        ["energy-level-member", "energy-level-member"]
    );
}

#[test]
fn what_the_dispatcher_refuses() {
    let mut room = Room::new(1);
    let run = |room: &mut Room, line: &str| room.run(Ok(Command::api(line)));
    assert_eq!(
        run(&mut room, "conference conf217"),
        "Conference command, not specified.\nTry 'help'\n"
    );
    assert_eq!(
        run(&mut room, "conference conf217 bogus"),
        "-ERR Conference command 'bogus' not found.\n"
    );
    assert_eq!(
        run(&mut room, "conference conf217 mute somebody"),
        "mute <[member_id|all]|last|non_moderator> [<quiet>]",
        "the usage, without a line end"
    );
    assert_eq!(
        run(&mut room, "conference conf217 mute uuid=nobody"),
        "-ERR Non-Existant member\n"
    );
    let uuid = room.member(1).to_owned();
    assert_eq!(
        run(&mut room, &format!("conference conf217 mute uuid={uuid}")),
        "+OK mute 1\n"
    );
    assert_eq!(
        run(&mut room, "conference conf217 stop bogus"),
        "stop <[current|all|async|last]> [<member_id>]"
    );
    assert_eq!(
        run(&mut room, "conference conf217 play"),
        "play <file_path> [async|<member_id> [nomux]]"
    );
    assert_eq!(run(&mut room, "conference count"), "1");
}
