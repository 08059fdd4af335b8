//! What the tracker reports as changed, what it refuses to create, and the small accessors
//! applications read (found untested by cargo-mutants; see `README.md`).

use esl_proto::track::{CallState, Direction};
use esl_proto::{Change, Event, Tracker, TrackerConfig};

fn event(name: &str, uuid: &str, extra: &[(&str, &str)]) -> Event {
    let mut b = Event::builder(name).header("Unique-ID", uuid);
    for (n, v) in extra {
        b = b.header(*n, *v);
    }
    b.build()
}

fn updated(changes: &[Change], uuid: &str) -> bool {
    changes
        .iter()
        .any(|c| matches!(c, Change::ChannelUpdated(u) if u == uuid))
}

#[test]
fn each_field_a_channel_learns_is_reported_once_as_an_update() {
    let mut tracker = Tracker::new();
    tracker.update(&event("CHANNEL_CREATE", "u", &[]));
    for (name, extra) in [
        (
            "CHANNEL_STATE",
            vec![("Channel-Name", "sofia/internal/1000")],
        ),
        ("CHANNEL_STATE", vec![("Call-Direction", "outbound")]),
        ("CHANNEL_STATE", vec![("Channel-State", "CS_ROUTING")]),
        (
            "CHANNEL_ANSWER",
            vec![("Caller-Channel-Answered-Time", "1000")],
        ),
        (
            "CHANNEL_HANGUP",
            vec![("Caller-Channel-Hangup-Time", "2000")],
        ),
        ("CHANNEL_EXECUTE", vec![("Application", "answer")]),
        (
            "CHANNEL_EXECUTE",
            vec![("Application", "playback"), ("Application-Data", "a.wav")],
        ),
        (
            "CHANNEL_EXECUTE",
            vec![("Application", "playback"), ("Application-Data", "b.wav")],
        ),
    ] {
        let e = event(name, "u", &extra);
        assert!(updated(&tracker.update(&e), "u"), "{extra:?}");
        assert!(!updated(&tracker.update(&e), "u"), "again: {extra:?}");
    }
    let channel = tracker.channel("u").unwrap();
    assert!(channel.is_outbound() && !channel.is_inbound());
    assert!(channel.is_answered());
    // Answered without the caller profile's time: the event's own timestamp stands in.
    tracker.update(&event("CHANNEL_CREATE", "v", &[]));
    let answer = event("CHANNEL_ANSWER", "v", &[("Event-Date-Timestamp", "1500")]);
    assert!(updated(&tracker.update(&answer), "v"));
    assert!(tracker.channel("v").unwrap().is_answered());
}

#[test]
fn direction_and_answer_read_from_the_events() {
    let mut tracker = Tracker::new();
    tracker.update(&event(
        "CHANNEL_CREATE",
        "in",
        &[("Call-Direction", "inbound")],
    ));
    tracker.update(&event("CHANNEL_CREATE", "none", &[]));
    let inbound = tracker.channel("in").unwrap();
    assert!(inbound.is_inbound() && !inbound.is_outbound() && !inbound.is_answered());
    let none = tracker.channel("none").unwrap();
    assert!(!none.is_inbound() && !none.is_outbound());
    assert_eq!(Direction::Outbound.as_str(), "outbound");
    assert_eq!(Direction::Inbound.to_string(), "inbound");
    assert_eq!(CallState::parse("RINGING").to_string(), "RINGING");
}

#[test]
fn variables_are_replaced_by_each_event_that_carries_a_different_set() {
    let mut tracker = Tracker::new();
    let vars = |pairs: &[(&str, &str)]| event("CHANNEL_STATE", "u", pairs);
    tracker.update(&event("CHANNEL_CREATE", "u", &[]));
    let both = vars(&[("variable_a", "1"), ("variable_b", "2")]);
    assert!(updated(&tracker.update(&both), "u"));
    assert!(!updated(&tracker.update(&both), "u"), "the same set");
    let changed = vars(&[("variable_a", "1"), ("variable_b", "3")]);
    assert!(updated(&tracker.update(&changed), "u"));
    assert_eq!(tracker.channel("u").unwrap().variable("b"), Some("3"));
    let all_new = vars(&[("variable_a", "8"), ("variable_b", "9")]);
    assert!(updated(&tracker.update(&all_new), "u"));
    assert_eq!(tracker.channel("u").unwrap().variable("a"), Some("8"));
    let fewer = vars(&[("variable_a", "8")]);
    assert!(updated(&tracker.update(&fewer), "u"));
    assert_eq!(tracker.channel("u").unwrap().variable("b"), None);
    // A bare `variable_` names no variable.
    tracker.update(&vars(&[("variable_", "x"), ("variable_a", "1")]));
    assert_eq!(tracker.channel("u").unwrap().variable(""), None);
}

#[test]
fn a_channel_already_hanging_up_is_not_adopted() {
    for (name, extra) in [
        ("CHANNEL_HANGUP", vec![]),
        ("CHANNEL_STATE", vec![("Channel-State", "CS_HANGUP")]),
        ("CHANNEL_STATE", vec![("Answer-State", "hangup")]),
    ] {
        let mut tracker = Tracker::new();
        tracker.update(&event(name, "late", &extra));
        assert!(tracker.channel("late").is_none(), "{name} {extra:?}");
    }
    let mut tracker = Tracker::new();
    tracker.update(&event(
        "CHANNEL_STATE",
        "alive",
        &[("Channel-State", "CS_EXECUTE")],
    ));
    assert!(tracker.channel("alive").is_some());
}

#[test]
fn an_origination_hint_naming_no_tracked_leg_links_nothing() {
    let mut tracker = Tracker::new();
    for peer in ["ghost", "a"] {
        tracker.update(&event(
            "CHANNEL_CREATE",
            "a",
            &[("Other-Leg-Unique-ID", peer), ("Other-Type", "originatee")],
        ));
    }
    let call = tracker.call_of("a").unwrap();
    assert_eq!(call.legs, ["a"]);
    assert!(call.contains("a"));
    assert!(!call.contains("ghost"));
    // Nor did those hints use up the link: a real one still joins the legs.
    tracker.update(&event("CHANNEL_CREATE", "b", &[]));
    tracker.update(&event(
        "CHANNEL_STATE",
        "a",
        &[("Other-Leg-Unique-ID", "b"), ("Other-Type", "originatee")],
    ));
    assert_eq!(tracker.call_of("b").unwrap().legs, ["a", "b"]);
}

#[test]
fn only_the_most_recent_removals_are_remembered() {
    let mut tracker = Tracker::with_config(TrackerConfig::default().remembered_removals(1));
    for uuid in ["first", "second"] {
        tracker.update(&event("CHANNEL_CREATE", uuid, &[]));
        tracker.update(&event("CHANNEL_DESTROY", uuid, &[]));
    }
    let late = |uuid| event("CHANNEL_STATE", uuid, &[("Channel-State", "CS_EXECUTE")]);
    tracker.update(&late("second"));
    assert!(tracker.channel("second").is_none(), "remembered");
    tracker.update(&late("first"));
    assert!(tracker.channel("first").is_some(), "forgotten");
}

#[test]
fn each_member_field_is_reported_as_a_member_update() {
    let mut tracker = Tracker::new();
    let member = |extra: &[(&str, &str)]| {
        let mut b = Event::builder("CUSTOM")
            .header("Event-Subclass", "conference::maintenance")
            .header("Conference-Name", "c")
            .header("Member-ID", "1");
        for (n, v) in extra {
            b = b.header(*n, *v);
        }
        b.build()
    };
    tracker.update(&member(&[("Action", "add-member")]));
    for extra in [
        ("Unique-ID", "u1"),
        ("Member-Type", "moderator"),
        ("Caller-Caller-ID-Name", "Ann"),
        ("Caller-Caller-ID-Number", "1000"),
        ("Energy-Level", "300"),
        ("Hold", "true"),
    ] {
        let e = member(&[("Action", "energy-level"), extra]);
        let changes = tracker.update(&e);
        assert!(
            changes
                .iter()
                .any(|c| matches!(c, Change::MemberUpdated { member: 1, .. })),
            "{extra:?}: {changes:?}"
        );
        assert!(tracker.update(&e).is_empty(), "again: {extra:?}");
    }
}
