//! The moderator's `conference` commands on files and recordings: `play` (to everyone,
//! `async`, to one member), `stop`, `recording start|stop` and the older `record` /
//! `norecord`, with their replies, the events they fire and when (files end after their
//! virtual length, stops and recordings at the thread's next frame).

mod common;

use std::time::Duration;

use common::room::*;
use esl_proto::conference::{parse_list_all, ConferenceCommands, Stop};
use esl_proto::Command;

#[test]
fn play_to_everyone_and_play_file_done_when_it_ends() {
    let mut room = Room::new(2);
    assert_eq!(
        room.run(room.conf.play("/tmp/welcome.wav")),
        "+OK (play) Playing file /tmp/welcome.wav\n"
    );
    let events = room.events();
    assert_eq!(actions(&events), ["play-file"]);
    assert_eq!(
        layout(&events[0]),
        [&CONFERENCE_DATA[..], &["Action", "File", "Async"]].concat()
    );
    assert_eq!(header(&events[0], "File"), "/tmp/welcome.wav");
    assert_eq!(header(&events[0], "Async"), "false");
    // A file plays for a tenth of a second.
    let events = room.after(Duration::from_millis(100));
    assert_eq!(actions(&events), ["play-file-done"]);
    assert_eq!(
        layout(&events[0]),
        [
            &CONFERENCE_DATA[..],
            &["seconds", "milliseconds", "samples", "Action", "File"]
        ]
        .concat()
    );
    assert_eq!(
        (
            header(&events[0], "seconds"),
            header(&events[0], "milliseconds"),
            header(&events[0], "samples")
        ),
        ("0".into(), "100".into(), "800".into())
    );

    assert_eq!(
        room.run(room.conf.play_async("/tmp/music.wav")),
        "+OK (play) Playing file /tmp/music.wav\n"
    );
    let events = room.events();
    assert_eq!(header(&events[0], "Async"), "true");
    let events = room.after(Duration::from_millis(100));
    assert_eq!(actions(&events), ["play-file-done"]);
    assert_eq!(header(&events[0], "Async"), "true");

    // A sound under the sound prefix: the recording switch had none installed.
    assert_eq!(
        room.run(room.conf.play("conference/welcome.wav")),
        "-ERR (play) File: conference/welcome.wav not found.\n"
    );
    let events = room.events();
    assert_eq!(actions(&events), ["play-file"]);
    assert_eq!(
        header(&events[0], "File"),
        "/usr/freeswitch/sounds/en/us/callie/conference/welcome.wav"
    );
    assert_eq!(header(&events[0], "Error"), "File could not be played");
}

#[test]
fn play_to_one_member() {
    let mut room = Room::new(2);
    assert_eq!(
        room.run(room.conf.play_to("/tmp/private.wav", 2)),
        "+OK (play) Playing file /tmp/private.wav to member 2\n"
    );
    let events = room.events();
    assert_eq!(actions(&events), ["play-file-member"]);
    assert_member_event(&events[0], "play-file-member", &["File"]);
    assert_eq!(header(&events[0], "Member-ID"), "2");
    let events = room.after(Duration::from_millis(100));
    assert_eq!(actions(&events), ["play-file-member-done"]);
    let names = layout(&events[0]);
    let action_at = names.iter().position(|n| n == "Action").unwrap();
    assert_eq!(&names[6..action_at], ["seconds", "milliseconds", "samples"]);
    assert_eq!(
        names[action_at + 1],
        "Conference-Name",
        "then the member's data"
    );
    assert_eq!(names.last().unwrap(), "File");
    assert_eq!(header(&events[0], "Member-ID"), "2");

    assert_eq!(
        room.run(room.conf.play_to_unmixed("/tmp/private.wav", 1)),
        "+OK (play) Playing file /tmp/private.wav to member 1\n"
    );
    assert_eq!(actions(&room.events()), ["play-file-member"]);
    assert_eq!(
        room.run(room.conf.play_to("/tmp/private.wav", 9)),
        "-ERR Member: 9 not found.\nplay <file_path> [async|<member_id> [nomux]]"
    );
    assert_eq!(
        room.run(room.conf.play_to("conference/missing.wav", 1)),
        "-ERR (play) File: conference/missing.wav not found.\n"
    );
}

#[test]
fn stop_ends_files_at_the_next_frame() {
    let mut room = Room::new(2);
    room.run(room.conf.play("silence_stream://5000"));
    room.run(room.conf.play("silence_stream://5000"));
    room.run(room.conf.play_async("silence_stream://5000"));
    assert_eq!(
        actions(&room.events()),
        ["play-file", "play-file", "play-file"]
    );
    room.switch.advance(Duration::from_secs(1));

    assert_eq!(
        room.run(room.conf.stop(Stop::Current)),
        "+OK Stopped 1 files.\n"
    );
    assert!(room.events().is_empty(), "files close at the next frame");
    let events = room.after(FRAME);
    assert_eq!(actions(&events), ["play-file-done"]);
    assert_eq!(
        header(&events[0], "milliseconds"),
        "1000",
        "what was played"
    );
    assert!(events[0].header("Async").is_none());

    assert_eq!(
        room.run(room.conf.stop(Stop::Async)),
        "+OK Stopped 1 files.\n"
    );
    let events = room.after(FRAME);
    assert_eq!(actions(&events), ["play-file-done"]);
    assert_eq!(header(&events[0], "Async"), "true");

    // The second queued file started when the first closed.
    assert_eq!(
        room.run(room.conf.stop(Stop::All)),
        "+OK Stopped 1 files.\n"
    );
    let events = room.after(FRAME);
    assert_eq!(actions(&events), ["play-file-done"]);
    assert_eq!(
        room.run(room.conf.stop(Stop::All)),
        "+OK Stopped 0 files.\n"
    );

    // A member's files.
    room.run(room.conf.play_to("silence_stream://5000", 2));
    room.run(room.conf.play_to("silence_stream://5000", 2));
    room.events();
    assert_eq!(
        room.run(room.conf.stop_member(Stop::All, 2)),
        "+OK Stopped 2 files.\n"
    );
    let events = room.after(FRAME * 2);
    assert_eq!(
        actions(&events),
        ["play-file-member-done", "play-file-member-done"]
    );
    assert_eq!(
        room.run(room.conf.stop_member(Stop::Current, 9)),
        "-ERR Member: 9 not found.\n"
    );
}

#[test]
fn recording_start_and_stop() {
    let mut room = Room::new(2);
    assert_eq!(
        room.run(room.conf.record_start("/tmp/conf217.wav")),
        "+OK Record file /tmp/conf217.wav\n"
    );
    let events = room.events();
    assert_eq!(actions(&events), ["start-recording"]);
    assert_eq!(
        layout(&events[0]),
        [&CONFERENCE_DATA[..], &["Action", "Path"]].concat()
    );
    assert_eq!(header(&events[0], "Path"), "/tmp/conf217.wav");
    // The recording is a member without a channel: not listed, but counted in flags and
    // json_list, and it took member id 3.
    assert_eq!(room.list().len(), 2);
    let all = parse_list_all(&room.run(Ok(ConferenceCommands::list_all()))).unwrap();
    assert!(all[0].flags.contains(&"recording".to_owned()));
    let json: serde_json::Value = serde_json::from_str(&room.run(room.conf.json_list())).unwrap();
    assert_eq!(json[0]["recording"], true);
    assert_eq!(json[0]["members"][0]["type"], "recording_node");
    assert_eq!(json[0]["members"][0]["record_path"], "/tmp/conf217.wav");
    assert_eq!(
        room.run(room.conf.record_start("/tmp/conf217.wav")),
        "-ERR file [/tmp/conf217.wav] is already being used for recording.\n"
    );
    let uuid = room.join("originate loopback/conf &park");
    assert_eq!(room.list()[0].id, 4);
    assert_eq!(room.list()[0].uuid, uuid);
    room.switch.advance(Duration::from_secs(1));

    // The count in the reply is of recordings already gone: the thread has not noticed yet.
    assert_eq!(
        room.run(room.conf.record_stop("/tmp/conf217.wav")),
        "Stopped recording file /tmp/conf217.wav\n+OK Stopped recording 0 files\n"
    );
    assert!(room.events().is_empty());
    let events = room.after(FRAME);
    assert_eq!(actions(&events), ["stop-recording"]);
    assert_eq!(
        layout(&events[0]),
        [
            &CONFERENCE_DATA[..],
            &[
                "Action",
                "Path",
                "Other-Recordings",
                "Samples-Out",
                "Samplerate",
                "Milliseconds-Elapsed"
            ]
        ]
        .concat()
    );
    assert_eq!(header(&events[0], "Other-Recordings"), "false");
    assert_eq!(header(&events[0], "Samplerate"), "8000");
    assert_eq!(header(&events[0], "Milliseconds-Elapsed"), "2020");
    assert_eq!(header(&events[0], "Samples-Out"), "16160");

    assert_eq!(
        room.run(room.conf.record_stop("/tmp/other.wav")),
        "-ERR non-existant recording '/tmp/other.wav'\n+OK Stopped recording 0 files\n"
    );
    room.run(room.conf.record_start("/tmp/a.wav"));
    room.run(room.conf.record_start("/tmp/b.wav"));
    assert_eq!(
        room.run(room.conf.record_stop_all()),
        "Stopped recording file /tmp/b.wav\nStopped recording file /tmp/a.wav\n\
         +OK Stopped recording 0 files\n"
    );
    let events = room.after(FRAME);
    assert_eq!(
        actions(&events),
        [
            "start-recording",
            "start-recording",
            "stop-recording",
            "stop-recording"
        ]
    );
    assert_eq!(header(&events[2], "Other-Recordings"), "true");
    assert_eq!(header(&events[3], "Other-Recordings"), "false");

    // The older names for the same calls.
    let line = |l: &str| Ok(Command::api(l));
    assert_eq!(
        room.run(line("conference conf217 record /tmp/old.wav")),
        "+OK Record file /tmp/old.wav\n"
    );
    assert_eq!(
        room.run(line("conference conf217 norecord /tmp/old.wav")),
        "Stopped recording file /tmp/old.wav\n+OK Stopped recording 0 files\n"
    );
    assert_eq!(
        room.run(line("conference conf217 norecord")),
        "norecord <[filename|all]>"
    );
    assert_eq!(
        actions(&room.after(FRAME)),
        ["start-recording", "stop-recording"]
    );
}
