//! The subscription state follows `mod_event_socket`: what each command leaves, which events
//! then get through, and the commands that rebuild it on a new connection.

use esl_proto::{Command, Event, EventFormat, LogLevel, Subscriptions};

fn state(commands: &[Command]) -> Subscriptions {
    let mut s = Subscriptions::new();
    for c in commands {
        s.apply(c);
    }
    s
}

fn ev(name: &str, extra: &[(&str, &str)]) -> Event {
    let mut b = Event::builder(name);
    for (n, v) in extra {
        b = b.header(*n, *v);
    }
    b.build()
}

#[test]
fn the_state_reads_back_what_was_asked() {
    let s = state(&[
        Command::event(EventFormat::Json, ["channel_create", "CUSTOM", "a::b"]),
        Command::filter("Unique-ID", "-abc"),
        Command::Log {
            level: Some(LogLevel::Info),
        },
        Command::DivertEvents { on: true },
    ]);
    assert_eq!(s.format(), EventFormat::Json);
    assert!(!s.is_all());
    assert_eq!(s.events().collect::<Vec<_>>(), ["CHANNEL_CREATE", "CUSTOM"]);
    assert_eq!(s.subclasses().collect::<Vec<_>>(), ["a::b"]);
    assert_eq!(
        (s.filters()[0].header(), s.filters()[0].value()),
        ("Unique-ID", "-abc")
    );
    assert_eq!(s.log_level(), Some(LogLevel::Info));
    assert_eq!(s.myevents(), None);
    assert!(s.is_enabled() && !s.is_empty());
    let all = state(&[Command::event(EventFormat::Xml, ["ALL"])]);
    assert!(all.is_all());
    assert_eq!(all.events().count(), 0, "ALL is not a name");
    assert!(!Subscriptions::new().is_all());
    assert_eq!(Subscriptions::new().format(), EventFormat::Plain);
}

#[test]
fn filters_are_equal_by_header_and_value() {
    let with = |h: &str, v: &str| state(&[Command::filter(h, v)]);
    assert_eq!(with("A", "1"), with("A", "1"));
    assert_ne!(with("A", "1"), with("A", "2"));
    assert_ne!(with("A", "1"), with("B", "1"));
}

#[test]
fn nixevent_after_all_keeps_every_other_name_and_nixevent_all_clears() {
    let s = state(&[
        Command::event(EventFormat::Plain, ["ALL"]),
        Command::nixevent(["HEARTBEAT"]),
    ]);
    assert!(!s.is_all());
    assert!(s.events().any(|e| e == "CHANNEL_CREATE"));
    assert!(!s.events().any(|e| e == "HEARTBEAT" || e == "ALL"));
    let s = state(&[
        Command::event(
            EventFormat::Plain,
            ["CHANNEL_CREATE", "CUSTOM", "a::b", "c::d"],
        ),
        Command::nixevent(["CUSTOM", "a::b"]),
    ]);
    assert_eq!(s.subclasses().collect::<Vec<_>>(), ["c::d"]);
    assert!(s.events().any(|e| e == "CUSTOM"), "only the subclass goes");
    let s = state(&[
        Command::event(EventFormat::Plain, ["CHANNEL_CREATE"]),
        Command::nixevent(["ALL"]),
    ]);
    assert_eq!(s.events().count(), 0);
    // The switch's events flag stays up, though nothing can arrive.
    assert!(s.is_enabled() && s.is_empty());
    assert!(state(&[Command::nixevent(["HEARTBEAT"])]).is_enabled());
    assert!(!state(&[Command::event(EventFormat::Plain, Vec::<String>::new())]).is_enabled());
}

#[test]
fn noevents_clears_names_and_subclasses_and_the_flag() {
    let s = state(&[
        Command::event(EventFormat::Json, ["ALL", "CUSTOM", "a::b"]),
        Command::NoEvents,
    ]);
    assert!(!s.is_enabled() && !s.is_all() && s.is_empty());
    assert_eq!(s.subclasses().count(), 0);
    assert_eq!(s.events().count(), 0);
    assert_eq!(s.format(), EventFormat::Json, "the format stays");
}

#[test]
fn filter_delete_removes_one_value_one_header_or_all() {
    let start = [
        Command::filter("A", "1"),
        Command::filter("A", "2"),
        Command::filter("B", "1"),
    ];
    let after = |delete: Command| {
        let mut commands = start.to_vec();
        commands.push(delete);
        state(&commands)
            .filters()
            .iter()
            .map(|f| format!("{}={}", f.header(), f.value()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        after(Command::filter_delete("a", Some("2".into()))),
        ["A=1", "B=1"]
    );
    assert_eq!(after(Command::filter_delete("A", None)), ["B=1"]);
    assert_eq!(
        after(Command::filter_delete("ALL", None)),
        Vec::<String>::new()
    );
}

#[test]
fn myevents_is_taken_once_with_its_format() {
    let s = state(&[
        Command::MyEvents {
            uuid: Some("u1".into()),
            format: Some(EventFormat::Json),
        },
        Command::MyEvents {
            uuid: Some("u2".into()),
            format: Some(EventFormat::Xml),
        },
    ]);
    assert_eq!(s.myevents(), Some(Some("u1")));
    assert_eq!(s.format(), EventFormat::Json);
    assert!(s.is_enabled());
    assert!(s.admits(&ev("CHANNEL_ANSWER", &[("Unique-ID", "u1")]), Some("other")));
    assert!(!s.admits(&ev("CHANNEL_ANSWER", &[("Unique-ID", "u2")]), None));
    assert!(!s.admits(&ev("CHANNEL_ANSWER", &[]), None), "no Unique-ID");
    // Replayed as myevents alone: it brings its own names.
    assert_eq!(
        s.replay(),
        [Command::MyEvents {
            uuid: Some("u1".into()),
            format: Some(EventFormat::Json)
        }]
    );
}

#[test]
fn log_without_a_level_is_debug_and_nolog_ends_it() {
    assert_eq!(
        state(&[Command::Log { level: None }]).log_level(),
        Some(LogLevel::Debug)
    );
    assert_eq!(
        state(&[Command::Log { level: None }, Command::NoLog]).log_level(),
        None
    );
}

#[test]
fn a_custom_event_without_subclass_passes_a_custom_subscription() {
    let s = state(&[Command::event(EventFormat::Plain, ["CUSTOM", "a::b"])]);
    assert!(s.admits(&ev("CUSTOM", &[]), None));
    assert!(!s.admits(&ev("HEARTBEAT", &[]), None));
}

#[test]
fn filters_pass_on_any_positive_match_unless_a_negative_one_matches() {
    let all = Command::event(EventFormat::Plain, ["ALL"]);
    let s = state(&[
        all.clone(),
        Command::filter("Event-Name", "+channel_create"),
        Command::filter("Event-Name", "HEARTBEAT"),
        Command::filter("Unique-ID", "- bad"),
        Command::filter("Caller-Destination-Number", "/^2[0-9]+$/"),
    ]);
    // Values compare without case; a later positive filter is not needed once one matched,
    // but a later negative one still stops the event.
    assert!(s.admits(&ev("CHANNEL_CREATE", &[]), None));
    assert!(s.admits(&ev("HEARTBEAT", &[]), None));
    assert!(!s.admits(&ev("CHANNEL_CREATE", &[("Unique-ID", "BAD")]), None));
    assert!(s.admits(&ev("CHANNEL_CREATE", &[("Unique-ID", "good")]), None));
    assert!(s.admits(&ev("DTMF", &[("Caller-Destination-Number", "2001")]), None));
    assert!(!s.admits(&ev("DTMF", &[("Caller-Destination-Number", "3001")]), None));
    assert!(!s.admits(&ev("DTMF", &[]), None), "no filter matched");
    // A regex filter written without its closing slash still is one.
    let open = state(&[all, Command::filter("Unique-ID", "/^ab")]);
    assert!(open.admits(&ev("X", &[("Unique-ID", "abc")]), None));
    assert!(!open.admits(&ev("X", &[("Unique-ID", "cab")]), None));
}

#[test]
fn replay_names_custom_subclasses_after_all_and_skips_an_empty_subscription() {
    let s = state(&[
        Command::event(EventFormat::Json, ["ALL", "CUSTOM", "a::b"]),
        Command::DivertEvents { on: true },
    ]);
    assert_eq!(
        s.replay(),
        [
            Command::event(EventFormat::Json, ["ALL", "CUSTOM", "a::b"]),
            Command::DivertEvents { on: true }
        ]
    );
    assert_eq!(state(&s.replay()), s);
    // ALL without subclasses names no CUSTOM.
    let all = state(&[Command::event(EventFormat::Xml, ["ALL"])]);
    assert_eq!(all.replay(), [Command::event(EventFormat::Xml, ["ALL"])]);
    let emptied = state(&[
        Command::event(EventFormat::Plain, ["CHANNEL_CREATE"]),
        Command::nixevent(["CHANNEL_CREATE"]),
        Command::filter("A", "1"),
    ]);
    assert_eq!(emptied.replay(), [Command::filter("A", "1")]);
    let off = state(&[
        Command::event(EventFormat::Plain, ["ALL"]),
        Command::NoEvents,
    ]);
    assert!(off.replay().is_empty());
}
