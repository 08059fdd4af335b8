//! The tracker replayed over real FreeSWITCH traffic, and its rules on built events.
//!
//! The expected tables below were written by reading the captures in
//! `fixtures/freeswitch/` (their `.txt` renderings), not by recording the tracker's output.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use esl_proto::track::{CallState, Direction, TrackerStats};
use esl_proto::{
    Change, ContentType, Event, EventFormat, Framer, Limits, Message, Tracker, TrackerConfig,
};
use proptest::prelude::*;

/// Every event FreeSWITCH sent in a capture, in order.
fn events(name: &str) -> Vec<Event> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/freeswitch")
        .join(format!("{name}.jsonl"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let limits = Limits::default();
    let mut framer = Framer::new(limits);
    let mut events = Vec::new();
    for line in text.lines() {
        let chunk: serde_json::Value = serde_json::from_str(line).unwrap();
        if chunk["dir"] != "from_switch" {
            continue;
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(chunk["b64"].as_str().unwrap())
            .unwrap();
        framer.push(&bytes);
        while let Some(frame) = framer.next_frame().unwrap() {
            let message = Message::from(frame);
            let format = match message.content_type() {
                ContentType::EventPlain => EventFormat::Plain,
                ContentType::EventJson => EventFormat::Json,
                ContentType::EventXml => EventFormat::Xml,
                _ => continue,
            };
            events.push(Event::parse(format, message.body(), &limits).unwrap());
        }
    }
    events
}

/// The short names of uuids: by their first appearance in the capture, or by the last letter
/// of a loopback channel's name (`loopback/tone-a` is `a`).
fn labels(events: &[Event]) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    for event in events {
        let Some(uuid) = event.unique_id() else {
            continue;
        };
        let label = match event.header("Channel-Name").as_deref() {
            Some(name) if name.starts_with("loopback/tone-") => name[name.len() - 1..].to_owned(),
            _ => format!("m{}", labels.len() + 1),
        };
        labels.entry(uuid.into_owned()).or_insert(label);
    }
    labels
}

// ---------------------------------------------------------------------------------------------
// inbound_events_{plain,json,xml}: `bgapi originate loopback/tone &park`. Leg `a`
// (loopback/tone-a, outbound) parks; leg `b` (loopback/tone-b, inbound) runs the `tone`
// extension: answer, 3 s of tone, hangup. Both are destroyed.
// ---------------------------------------------------------------------------------------------

/// One leg's record after an event: state, call state, caller id name and number, answered,
/// hung up, running application (with its data), hangup cause, number of variables.
type Row = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    bool,
    bool,
    Option<&'static str>,
    Option<&'static str>,
    usize,
);

const NUM: &str = "0000000000";
const TONE: &str = "playback tone_stream://%(200,100,440);loops=10";

const OC: Option<&str> = Some("Outbound Call");
const NC: Option<&str> = Some("NORMAL_CLEARING");

/// Leg `a`, each event that changes it and the record after it (`None`: removed).
/// Events that change nothing are left out: CODEC (before the channel is known),
/// CHANNEL_ORIGINATE (same data as CHANNEL_CREATE), CHANNEL_PARK, CHANNEL_UNPARK, and the
/// CHANNEL_STATE `CS_DESTROY` that comes after CHANNEL_DESTROY.
#[rustfmt::skip]
const LEG_A: &[(&str, Option<Row>)] = &[
    // Before CHANNEL_CREATE: no variables yet; the caller id number is 0000000000.
    ("CHANNEL_OUTGOING",         Some(("CS_NONE",          "DOWN",   None, NUM,    false, false, None,         None, 0))),
    ("CHANNEL_STATE",            Some(("CS_INIT",          "DOWN",   None, NUM,    false, false, None,         None, 0))),
    ("CHANNEL_CREATE",           Some(("CS_INIT",          "DOWN",   None, NUM,    false, false, None,         None, 14))),
    ("CHANNEL_STATE",            Some(("CS_ROUTING",       "DOWN",   None, NUM,    false, false, None,         None, 14))),
    ("CHANNEL_STATE",            Some(("CS_CONSUME_MEDIA", "DOWN",   None, NUM,    false, false, None,         None, 14))),
    ("CHANNEL_ANSWER",           Some(("CS_CONSUME_MEDIA", "DOWN",   None, NUM,    true,  false, None,         None, 14))),
    ("CHANNEL_CALLSTATE",        Some(("CS_CONSUME_MEDIA", "ACTIVE", None, NUM,    true,  false, None,         None, 14))),
    // The caller id flips to the callee's (`variable_channel_cid_flipped` appears).
    ("CALL_UPDATE",              Some(("CS_CONSUME_MEDIA", "ACTIVE", OC,   "tone", true,  false, None,         None, 17))),
    ("CHANNEL_STATE",            Some(("CS_EXECUTE",       "ACTIVE", OC,   "tone", true,  false, None,         None, 17))),
    ("CHANNEL_EXECUTE",          Some(("CS_EXECUTE",       "ACTIVE", OC,   "tone", true,  false, Some("park"), None, 18))),
    // Hung up from the other side while `park` still runs.
    ("CHANNEL_HANGUP",           Some(("CS_EXECUTE",       "ACTIVE", OC,   "tone", true,  false, Some("park"), NC,   18))),
    ("CHANNEL_EXECUTE_COMPLETE", Some(("CS_EXECUTE",       "ACTIVE", OC,   "tone", true,  false, None,         NC,   18))),
    ("CHANNEL_STATE",            Some(("CS_HANGUP",        "ACTIVE", OC,   "tone", true,  false, None,         NC,   18))),
    ("CHANNEL_CALLSTATE",        Some(("CS_HANGUP",        "HANGUP", OC,   "tone", true,  true,  None,         NC,   18))),
    ("CHANNEL_STATE",            Some(("CS_REPORTING",     "HANGUP", OC,   "tone", true,  true,  None,         NC,   18))),
    // The CDR variables (hangup_cause, billsec, ...) arrive with HANGUP_COMPLETE.
    ("CHANNEL_HANGUP_COMPLETE",  Some(("CS_REPORTING",     "HANGUP", OC,   "tone", true,  true,  None,         NC,   70))),
    ("CHANNEL_DESTROY",          None),
];

/// Leg `b`. Its CHANNEL_STATE `CS_ROUTING` repeats what its CHANNEL_CALLSTATE already said,
/// and PLAYBACK_START carries the same variables as the CHANNEL_EXECUTE of `playback`.
#[rustfmt::skip]
const LEG_B: &[(&str, Option<Row>)] = &[
    ("CHANNEL_STATE",            Some(("CS_INIT",      "DOWN",    None, NUM, false, false, None,           None, 0))),
    ("CHANNEL_CREATE",           Some(("CS_INIT",      "DOWN",    None, NUM, false, false, None,           None, 11))),
    ("CHANNEL_CALLSTATE",        Some(("CS_ROUTING",   "RINGING", None, NUM, false, false, None,           None, 11))),
    ("CHANNEL_STATE",            Some(("CS_EXECUTE",   "RINGING", None, NUM, false, false, None,           None, 11))),
    ("CHANNEL_EXECUTE",          Some(("CS_EXECUTE",   "RINGING", None, NUM, false, false, Some("answer"), None, 12))),
    ("CHANNEL_ANSWER",           Some(("CS_EXECUTE",   "RINGING", None, NUM, true,  false, Some("answer"), None, 12))),
    ("CHANNEL_CALLSTATE",        Some(("CS_EXECUTE",   "ACTIVE",  None, NUM, true,  false, Some("answer"), None, 12))),
    ("CHANNEL_EXECUTE_COMPLETE", Some(("CS_EXECUTE",   "ACTIVE",  None, NUM, true,  false, None,           None, 13))),
    ("CHANNEL_EXECUTE",          Some(("CS_EXECUTE",   "ACTIVE",  None, NUM, true,  false, Some(TONE),     None, 14))),
    // playback_seconds, playback_ms, ... appear.
    ("PLAYBACK_STOP",            Some(("CS_EXECUTE",   "ACTIVE",  None, NUM, true,  false, Some(TONE),     None, 18))),
    ("CHANNEL_EXECUTE_COMPLETE", Some(("CS_EXECUTE",   "ACTIVE",  None, NUM, true,  false, None,           None, 19))),
    // current_application_data and current_application_response are unset again.
    ("CHANNEL_EXECUTE",          Some(("CS_EXECUTE",   "ACTIVE",  None, NUM, true,  false, Some("hangup"), None, 17))),
    ("CHANNEL_HANGUP",           Some(("CS_EXECUTE",   "ACTIVE",  None, NUM, true,  false, Some("hangup"), NC,   17))),
    ("CHANNEL_EXECUTE_COMPLETE", Some(("CS_EXECUTE",   "ACTIVE",  None, NUM, true,  false, None,           NC,   17))),
    ("CHANNEL_STATE",            Some(("CS_HANGUP",    "ACTIVE",  None, NUM, true,  false, None,           NC,   17))),
    ("CHANNEL_CALLSTATE",        Some(("CS_HANGUP",    "HANGUP",  None, NUM, true,  true,  None,           NC,   17))),
    ("CHANNEL_STATE",            Some(("CS_REPORTING", "HANGUP",  None, NUM, true,  true,  None,           NC,   17))),
    ("CHANNEL_HANGUP_COMPLETE",  Some(("CS_REPORTING", "HANGUP",  None, NUM, true,  true,  None,           NC,   69))),
    ("CHANNEL_DESTROY",          None),
];

/// Which leg each changing event is about, in wire order. The plain and JSON captures
/// interleave the two legs alike; in the XML capture leg `a`'s ROUTING / CONSUME_MEDIA states
/// come after leg `b` is created, and `b` is destroyed before `a`'s HANGUP_COMPLETE.
const ORDER_PLAIN_JSON: &str = "aaaaabbbbbaabbbbaaabbbbbbbabbaaaaaab";
const ORDER_XML: &str = "aaabbbaabbaabbbbaaabbbbbbbabbaaaabaa";

/// The calls after each event that changes them: the event's index in the order above, its
/// name, and `<call>:<legs>` for each call. `b` joins `a`'s call at its CHANNEL_CREATE, which
/// carries `variable_other_loopback_leg_uuid` and `variable_loopback_leg: B`; the call keeps
/// the name of its A leg after that leg is gone.
#[rustfmt::skip]
const CALLS_PLAIN_JSON: &[(usize, &str, &str)] = &[
    (0, "CHANNEL_OUTGOING", "a:a"),
    (5, "CHANNEL_STATE", "a:a b:b"),
    (6, "CHANNEL_CREATE", "a:a,b"),
    (34, "CHANNEL_DESTROY", "a:b"),
    (35, "CHANNEL_DESTROY", ""),
];
#[rustfmt::skip]
const CALLS_XML: &[(usize, &str, &str)] = &[
    (0, "CHANNEL_OUTGOING", "a:a"),
    (3, "CHANNEL_STATE", "a:a b:b"),
    (4, "CHANNEL_CREATE", "a:a,b"),
    (33, "CHANNEL_DESTROY", "a:a"),
    (35, "CHANNEL_DESTROY", ""),
];

/// What the tracker showed after one event that changed something.
#[derive(Debug, Clone, PartialEq)]
struct Snapshot {
    event: String,
    changes: Vec<String>,
    channels: BTreeMap<String, OwnedRow>,
    calls: String,
}

type OwnedRow = (
    String,
    String,
    Option<String>,
    String,
    bool,
    bool,
    Option<String>,
    Option<String>,
    usize,
);

fn owned(row: &Row) -> OwnedRow {
    (
        row.0.into(),
        row.1.into(),
        row.2.map(Into::into),
        row.3.into(),
        row.4,
        row.5,
        row.6.map(Into::into),
        row.7.map(Into::into),
        row.8,
    )
}

fn describe(change: &Change, labels: &BTreeMap<String, String>) -> String {
    let l = |uuid: &str| labels.get(uuid).cloned().unwrap_or_else(|| uuid.to_owned());
    match change {
        Change::ChannelCreated(u) => format!("created {}", l(u)),
        Change::ChannelUpdated(u) => format!("updated {}", l(u)),
        Change::ChannelRemoved(c) => format!("removed {}", l(&c.uuid)),
        Change::ChannelNotTracked(u) => format!("not tracked {}", l(u)),
        Change::LegJoined { call, leg } => format!("{} joined {}", l(leg), l(call)),
        Change::LegLeft { call, leg } => format!("{} left {}", l(leg), l(call)),
        Change::CallBridged { a, b } => format!("bridged {} {}", l(a), l(b)),
        Change::CallUnbridged { a, b } => format!("unbridged {} {}", l(a), l(b)),
        Change::ConferenceCreated(n) => format!("conference {n}"),
        Change::ConferenceDestroyed(c) => format!("conference {} destroyed", c.name),
        Change::ConferenceNotTracked(n) => format!("conference {n} not tracked"),
        Change::MemberJoined { member, .. } => format!("member {member} joined"),
        Change::MemberUpdated { member, .. } => format!("member {member} updated"),
        Change::MemberLeft { member, .. } => format!("member {} left", member.id),
        Change::MemberNotTracked { member, .. } => format!("member {member} not tracked"),
        Change::FloorChanged { from, to, .. } => format!("floor {from:?} -> {to:?}"),
        other => format!("{other:?}"),
    }
}

fn calls_text(tracker: &Tracker, labels: &BTreeMap<String, String>) -> String {
    let l = |uuid: &str| labels.get(uuid).cloned().unwrap_or_else(|| uuid.to_owned());
    let mut calls: Vec<String> = tracker
        .calls()
        .map(|c| {
            let legs: Vec<String> = c.legs.iter().map(|leg| l(leg)).collect();
            format!("{}:{}", l(&c.id), legs.join(","))
        })
        .collect();
    calls.sort();
    calls.join(" ")
}

/// Replays a capture and snapshots the tables after every event that changed them.
fn replay(name: &str, config: TrackerConfig) -> (Vec<Snapshot>, Tracker, BTreeMap<String, String>) {
    let events = events(name);
    let labels = labels(&events);
    let mut tracker = Tracker::with_config(config);
    let mut snapshots = Vec::new();
    for event in &events {
        let changes = tracker.update(event);
        esl_proto::fuzzing::check_tracker(&tracker);
        if changes.is_empty() {
            continue;
        }
        let mut channels = BTreeMap::new();
        for c in tracker.channels() {
            let label = labels[&c.uuid].clone();
            // What never changes over a leg's life.
            let (name, direction) = match label.as_str() {
                "a" => ("loopback/tone-a", Direction::Outbound),
                _ => ("loopback/tone-b", Direction::Inbound),
            };
            assert_eq!(c.name.as_deref(), Some(name));
            assert_eq!(c.direction, Some(direction));
            assert_eq!(c.destination.as_deref(), Some("tone"));
            assert!(c.created_at.is_some());
            assert_eq!(c.bridged_to, None);
            let app = c.application.as_ref().map(|app| match &c.application_data {
                Some(data) => format!("{app} {data}"),
                None => app.clone(),
            });
            let row = (
                c.state
                    .as_ref()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                c.call_state
                    .as_ref()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                c.caller_id_name.clone(),
                c.caller_id_number.clone().unwrap_or_default(),
                c.answered_at.is_some(),
                c.hungup_at.is_some(),
                app,
                c.hangup_cause.clone(),
                c.variables.len(),
            );
            channels.insert(label, row);
        }
        snapshots.push(Snapshot {
            event: event.name().to_string(),
            changes: changes.iter().map(|c| describe(c, &labels)).collect(),
            channels,
            calls: calls_text(&tracker, &labels),
        });
    }
    (snapshots, tracker, labels)
}

/// The snapshots the expected data describes, for one interleaving of the legs.
fn expected(order: &str, calls: &[(usize, &str, &str)]) -> Vec<Snapshot> {
    let mut steps = [LEG_A.iter(), LEG_B.iter()];
    let mut seen = [false, false];
    let mut table: BTreeMap<String, OwnedRow> = BTreeMap::new();
    let mut current_calls = String::new();
    let mut out = Vec::new();
    for (i, leg) in order.chars().enumerate() {
        let index = usize::from(leg == 'b');
        let (event, row) = steps[index]
            .next()
            .expect("order names more steps than the leg has");
        let label = leg.to_string();
        let mut changes = Vec::new();
        match row {
            Some(row) => {
                changes.push(if seen[index] {
                    format!("updated {leg}")
                } else {
                    format!("created {leg}")
                });
                seen[index] = true;
                table.insert(label, owned(row));
            }
            None => {
                changes.push(format!("removed {leg}"));
                table.remove(&label);
            }
        }
        if let Some((_, call_event, text)) = calls.iter().find(|(at, ..)| *at == i) {
            assert_eq!(call_event, event, "call change {i}");
            if text.contains("a,b") && !current_calls.contains("a,b") {
                changes.push("b joined a".into());
            }
            current_calls = text.to_string();
        }
        out.push(Snapshot {
            event: event.to_string(),
            changes,
            channels: table.clone(),
            calls: current_calls.clone(),
        });
    }
    assert!(steps[0].next().is_none() && steps[1].next().is_none());
    out
}

fn assert_sequence(actual: &[Snapshot], expected: &[Snapshot]) {
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert_eq!(a, e, "snapshot {i}");
    }
    assert_eq!(actual.len(), expected.len());
}

#[test]
fn plain_events_give_the_expected_tables_after_every_change() {
    let (snapshots, tracker, _) = replay("inbound_events_plain", TrackerConfig::default());
    assert_sequence(&snapshots, &expected(ORDER_PLAIN_JSON, CALLS_PLAIN_JSON));
    assert_eq!(tracker.channel_count(), 0);
    assert_eq!(tracker.calls().count(), 0);
    assert_eq!(tracker.stats(), TrackerStats::default());
}

#[test]
fn json_events_give_the_expected_tables_after_every_change() {
    let (snapshots, ..) = replay("inbound_events_json", TrackerConfig::default());
    assert_sequence(&snapshots, &expected(ORDER_PLAIN_JSON, CALLS_PLAIN_JSON));
}

#[test]
fn xml_events_give_the_expected_tables_after_every_change() {
    let (snapshots, ..) = replay("inbound_events_xml", TrackerConfig::default());
    assert_sequence(&snapshots, &expected(ORDER_XML, CALLS_XML));
}

#[test]
fn the_three_formats_give_the_same_states() {
    let (plain, ..) = replay("inbound_events_plain", TrackerConfig::default());
    let (json, ..) = replay("inbound_events_json", TrackerConfig::default());
    let (xml, ..) = replay("inbound_events_xml", TrackerConfig::default());
    // Plain and JSON arrived in the same order: the whole sequence is the same, uuids
    // renamed to their legs.
    assert_eq!(plain, json);
    // XML interleaves the legs differently; each leg goes through the same states.
    let per_leg = |snapshots: &[Snapshot], leg: &str| -> Vec<(String, Option<OwnedRow>)> {
        snapshots
            .iter()
            .filter(|s| {
                s.changes.iter().any(|c| {
                    ["created", "updated", "removed"].contains(&c.split(' ').next().unwrap_or(""))
                        && c.ends_with(&format!(" {leg}"))
                })
            })
            .map(|s| (s.event.clone(), s.channels.get(leg).cloned()))
            .collect()
    };
    for leg in ["a", "b"] {
        assert_eq!(per_leg(&plain, leg), per_leg(&xml, leg), "leg {leg}");
    }
    assert_eq!(plain.len(), xml.len());
}

#[test]
fn times_come_from_the_events() {
    let events = events("inbound_events_plain");
    let labels = labels(&events);
    let mut tracker = Tracker::new();
    let mut last = BTreeMap::new();
    for event in &events {
        for change in tracker.update(event) {
            if let Change::ChannelRemoved(channel) = change {
                last.insert(labels[&channel.uuid].clone(), *channel);
            }
        }
    }
    // Read off the CHANNEL_DESTROY events of the capture.
    let a = &last["a"];
    assert_eq!(a.created_at, Some(1_795_421_405_396_962));
    assert_eq!(a.answered_at, Some(1_795_421_405_396_962));
    assert_eq!(a.hungup_at, Some(1_795_421_408_416_946));
    assert_eq!(a.call_state, Some(CallState::Hangup));
    assert_eq!(a.variable("hangup_cause"), Some("NORMAL_CLEARING"));
    assert_eq!(a.variable("loopback_leg"), Some("A"));
    let b = &last["b"];
    assert_eq!(b.hungup_at, Some(1_795_421_408_396_944));
    assert!(b.is_inbound() && b.is_answered());
}

#[test]
fn call_and_other_leg_lookups_mid_call() {
    let events = events("inbound_events_plain");
    let labels = labels(&events);
    let uuid = |label: &str| labels.iter().find(|(_, l)| *l == label).unwrap().0.clone();
    let (a, b) = (uuid("a"), uuid("b"));
    let mut tracker = Tracker::new();
    let mut checked = 0;
    for event in &events {
        tracker.update(event);
        if tracker
            .channel(&a)
            .is_some_and(|c| c.application.as_deref() == Some("park"))
        {
            let call = tracker.call_of(&b).unwrap();
            assert_eq!(call.id, a);
            assert_eq!(call.legs, [a.clone(), b.clone()]);
            assert_eq!(call.a_leg(), Some(a.as_str()));
            assert_eq!(tracker.call_of(&a), Some(call));
            assert_eq!(tracker.other_leg(&a).unwrap().uuid, b);
            assert_eq!(tracker.other_leg(&b).unwrap().uuid, a);
            assert_eq!(tracker.channel(&b).unwrap().call_id(), a);
            checked += 1;
        }
    }
    assert!(checked > 0);
    assert!(tracker.call_of(&a).is_none() && tracker.other_leg(&b).is_none());
}

#[test]
fn only_channel_create_creates_when_adoption_is_off() {
    let config = TrackerConfig::default().adopt(false);
    let (snapshots, ..) = replay("inbound_events_plain", config);
    let created: Vec<(&str, &str)> = snapshots
        .iter()
        .flat_map(|s| {
            s.changes
                .iter()
                .filter(|c| c.starts_with("created"))
                .map(move |c| (s.event.as_str(), c.as_str()))
        })
        .collect();
    assert_eq!(
        created,
        [
            ("CHANNEL_CREATE", "created a"),
            ("CHANNEL_CREATE", "created b")
        ]
    );
    // From there on the tables are the same as with adoption.
    let (adopted, ..) = replay("inbound_events_plain", TrackerConfig::default());
    assert_eq!(snapshots.last(), adopted.last());
}

#[test]
fn a_full_table_refuses_new_channels_and_counts_them() {
    let config = TrackerConfig::default().max_channels(1);
    let (snapshots, tracker, _) = replay("inbound_events_plain", config);
    // Leg `b` is never tracked. Every event of `b` that would have added it counts: its
    // CHANNEL_STATE (CS_INIT, CS_ROUTING, CS_EXECUTE), CHANNEL_CREATE, two CHANNEL_CALLSTATE,
    // CHANNEL_EXECUTE (answer, playback, hangup), CHANNEL_ANSWER and two
    // CHANNEL_EXECUTE_COMPLETE; not those sent once it hangs up (Answer-State: hangup).
    assert_eq!(tracker.stats().channels_not_tracked, 12);
    let refused = snapshots
        .iter()
        .flat_map(|s| &s.changes)
        .filter(|c| *c == "not tracked b")
        .count();
    assert_eq!(refused, 12);
    assert!(snapshots.iter().all(|s| !s.channels.contains_key("b")));
    // Leg `a` is tracked as usual, in a call of its own.
    assert!(snapshots
        .iter()
        .filter(|s| s.channels.contains_key("a"))
        .all(|s| s.calls == "a:a"));
}

// ---------------------------------------------------------------------------------------------
// inbound_conference: two `loopback/conf` calls whose b-legs join conf217, then each a-leg is
// killed. Only `CUSTOM conference::maintenance` was subscribed.
// ---------------------------------------------------------------------------------------------

#[test]
fn conference_members_follow_maintenance_events() {
    let events = events("inbound_conference");
    let labels = labels(&events);
    let mut tracker = Tracker::new();
    // After each event that changes something: (Action, changes, floor, members as
    // (Member-ID, channel, holds the floor)). play-file and play-file-done change nothing.
    type Members = &'static [(u32, &'static str, bool)];
    #[rustfmt::skip]
    let expected: &[(&str, &[&str], Option<u32>, Members)] = &[
        ("conference-create", &["conference conf217"],                        None,    &[]),
        ("add-member",        &["member 1 joined"],                           None,    &[(1, "m1", false)]),
        ("floor-change",      &["floor None -> Some(1)", "member 1 updated"], Some(1), &[(1, "m1", true)]),
        ("add-member",        &["member 2 joined"],                           Some(1), &[(1, "m1", true), (2, "m2", false)]),
        // Old-ID says `none` here although member 1 held the floor.
        ("floor-change",      &["floor Some(1) -> None", "member 1 updated"], None,    &[(1, "m1", false), (2, "m2", false)]),
        ("del-member",        &["member 1 left"],                             None,    &[(2, "m2", false)]),
        ("floor-change",      &["floor None -> Some(2)", "member 2 updated"], Some(2), &[(2, "m2", true)]),
        ("floor-change",      &["floor Some(2) -> None", "member 2 updated"], None,    &[(2, "m2", false)]),
        ("del-member",        &["member 2 left"],                             None,    &[]),
    ];
    let mut steps = expected.iter();
    for event in &events {
        let changes = tracker.update(event);
        let action = event.header("Action").unwrap().into_owned();
        if changes.is_empty() {
            assert!(action.starts_with("play-file"), "{action} changed nothing");
            continue;
        }
        let described: Vec<String> = changes.iter().map(|c| describe(c, &labels)).collect();
        if action == "conference-destroy" {
            assert_eq!(described, ["conference conf217 destroyed"]);
            assert!(tracker.conference("conf217").is_none());
            continue;
        }
        let (want_action, want_changes, floor, members) =
            steps.next().expect("more changes than expected");
        assert_eq!(&action, want_action);
        assert_eq!(described, *want_changes, "{action}");
        let conference = tracker.conference("conf217").unwrap();
        assert_eq!(conference.floor, *floor, "{action}");
        assert_eq!(
            conference.uuid.as_deref(),
            Some("e5c18753-bb96-4a51-ac8f-8303c889f88f")
        );
        assert_eq!(conference.domain.as_deref(), Some("127.0.0.1"));
        assert_eq!(conference.profile.as_deref(), Some("default"));
        let table: Vec<(u32, &str, bool)> = conference
            .members
            .values()
            .map(|m| {
                (
                    m.id,
                    labels[m.uuid.as_deref().unwrap()].as_str(),
                    m.flags.floor,
                )
            })
            .collect();
        assert_eq!(table, *members, "{action}");
        for member in conference.members.values() {
            // As every member event of the capture reports them.
            let f = member.flags;
            assert!(f.speak && f.hear && f.see, "{member:?}");
            assert!(!f.talking && !f.hold && !f.video && !f.mute_detect && !f.ghost);
            assert!(!member.is_muted() && !member.is_deaf());
            assert_eq!(member.member_type.as_deref(), Some("member"));
            assert_eq!(member.energy_level, Some(100));
            assert_eq!(member.caller_id_number.as_deref(), Some("0000000000"));
            assert_eq!(member.caller_id_name, None);
        }
        assert_eq!(tracker.conferences().count(), 1);
    }
    assert!(steps.next().is_none(), "every expected change happened");
    // Conference events name member channels, but never add them: without CHANNEL_DESTROY in
    // the subscription they would stay forever.
    assert_eq!(tracker.channel_count(), 0);
    assert_eq!(tracker.conferences().count(), 0);
}

// ---------------------------------------------------------------------------------------------
// Rules on built events. Header names are those of the captures, or (for bridges, which no
// capture holds) of FreeSWITCH's `switch_ivr_bridge.c` and `switch_channel.c`.
// ---------------------------------------------------------------------------------------------

fn channel_event(name: &str, uuid: &str) -> esl_proto::EventBuilder {
    Event::builder(name)
        .header("Unique-ID", uuid)
        .header("Channel-State", "CS_EXECUTE")
        .header("Answer-State", "answered")
}

#[test]
fn the_channel_bound_holds_and_frees_up() {
    let mut tracker = Tracker::with_config(TrackerConfig::default().max_channels(2));
    assert_eq!(tracker.config().max_channels, 2);
    for uuid in ["x", "y"] {
        assert_eq!(
            tracker.update(&channel_event("CHANNEL_CREATE", uuid).build()),
            [Change::ChannelCreated(uuid.into())]
        );
    }
    let z = channel_event("CHANNEL_CREATE", "z").build();
    assert_eq!(tracker.update(&z), [Change::ChannelNotTracked("z".into())]);
    assert_eq!(
        tracker.update(&channel_event("CHANNEL_ANSWER", "z").build()),
        [Change::ChannelNotTracked("z".into())]
    );
    assert_eq!(tracker.stats().channels_not_tracked, 2);
    assert!(tracker.channel("z").is_none());
    // Tracked channels are still updated while the table is full.
    assert_eq!(
        tracker.update(
            &channel_event("CHANNEL_PARK", "x")
                .header("Caller-Destination-Number", "9")
                .build()
        ),
        [Change::ChannelUpdated("x".into())]
    );
    // A destroy makes room; the next event of `z` adds it.
    assert!(matches!(
        &tracker.update(&Event::builder("CHANNEL_DESTROY").header("Unique-ID", "y").build())[..],
        [Change::ChannelRemoved(c)] if c.uuid == "y"
    ));
    assert_eq!(
        tracker.update(&channel_event("CHANNEL_PARK", "z").build()),
        [Change::ChannelCreated("z".into())]
    );
    assert_eq!(tracker.channel_count(), 2);
    assert_eq!(tracker.stats().channels_not_tracked, 2);
}

#[test]
fn late_events_do_not_bring_a_channel_back() {
    let mut tracker = Tracker::new();
    tracker.update(&channel_event("CHANNEL_CREATE", "x").build());
    tracker.update(
        &Event::builder("CHANNEL_DESTROY")
            .header("Unique-ID", "x")
            .build(),
    );
    // As in every capture: CHANNEL_STATE CS_DESTROY after CHANNEL_DESTROY.
    let late = Event::builder("CHANNEL_STATE")
        .header("Unique-ID", "x")
        .header("Channel-State", "CS_DESTROY")
        .build();
    assert_eq!(tracker.update(&late), []);
    // Nor an event fired before the destroy but delivered after it.
    assert_eq!(
        tracker.update(&channel_event("CHANNEL_EXECUTE", "x").build()),
        []
    );
    assert!(tracker.channel("x").is_none());
    // A channel hanging up is not adopted either.
    let hanging = Event::builder("CHANNEL_EXECUTE_COMPLETE")
        .header("Unique-ID", "y")
        .header("Channel-State", "CS_EXECUTE")
        .header("Answer-State", "hangup")
        .build();
    assert_eq!(tracker.update(&hanging), []);
    // Only CHANNEL_* events adopt.
    assert_eq!(tracker.update(&channel_event("CODEC", "y").build()), []);
    assert_eq!(
        tracker.update(&channel_event("PLAYBACK_START", "y").build()),
        []
    );
    // With no memory of removals, the straggler comes back (documented trade-off).
    let mut forgetful = Tracker::with_config(TrackerConfig::default().remembered_removals(0));
    forgetful.update(&channel_event("CHANNEL_CREATE", "x").build());
    forgetful.update(
        &Event::builder("CHANNEL_DESTROY")
            .header("Unique-ID", "x")
            .build(),
    );
    assert_eq!(
        forgetful.update(&channel_event("CHANNEL_EXECUTE", "x").build()),
        [Change::ChannelCreated("x".into())]
    );
}

#[test]
fn answered_time_falls_back_to_the_event_time() {
    let mut tracker = Tracker::new();
    tracker.update(
        &channel_event("CHANNEL_CREATE", "x")
            .header("Caller-Channel-Answered-Time", "0")
            .build(),
    );
    assert_eq!(tracker.channel("x").unwrap().answered_at, None);
    tracker.update(
        &channel_event("CHANNEL_ANSWER", "x")
            .header("Event-Date-Timestamp", "1795421405396962")
            .build(),
    );
    assert_eq!(
        tracker.channel("x").unwrap().answered_at,
        Some(1_795_421_405_396_962)
    );
}

/// CHANNEL_CREATE of an inbound A leg and of the B leg it originates, with the
/// originator profile FreeSWITCH indexes on the B leg.
fn originated_pair(tracker: &mut Tracker) {
    tracker.update(
        &channel_event("CHANNEL_CREATE", "A")
            .header("Call-Direction", "inbound")
            .build(),
    );
    let changes = tracker.update(
        &channel_event("CHANNEL_CREATE", "B")
            .header("Call-Direction", "outbound")
            .header("Other-Type", "originator")
            .header("Other-Leg-Unique-ID", "A")
            .build(),
    );
    assert_eq!(
        changes,
        [
            Change::ChannelCreated("B".into()),
            Change::LegJoined {
                call: "A".into(),
                leg: "B".into()
            }
        ]
    );
}

fn bridge_event(name: &str, a: &str, b: &str) -> Event {
    channel_event(name, a)
        .header("Bridge-A-Unique-ID", a)
        .header("Bridge-B-Unique-ID", b)
        .build()
}

#[test]
fn bridges_and_unbridges() {
    let mut tracker = Tracker::new();
    originated_pair(&mut tracker);
    assert_eq!(tracker.call_of("B").unwrap().legs, ["A", "B"]);
    assert_eq!(tracker.other_leg("A").unwrap().uuid, "B");
    assert_eq!(tracker.other_leg("B").unwrap().uuid, "A");

    let changes = tracker.update(&bridge_event("CHANNEL_BRIDGE", "A", "B"));
    assert_eq!(
        changes,
        [Change::CallBridged {
            a: "A".into(),
            b: "B".into()
        }]
    );
    assert_eq!(
        tracker.channel("A").unwrap().bridged_to.as_deref(),
        Some("B")
    );
    assert_eq!(
        tracker.channel("B").unwrap().bridged_to.as_deref(),
        Some("A")
    );
    // The same bridge again changes nothing.
    assert_eq!(
        tracker.update(&bridge_event("CHANNEL_BRIDGE", "A", "B")),
        []
    );

    let changes = tracker.update(&bridge_event("CHANNEL_UNBRIDGE", "A", "B"));
    assert_eq!(
        changes,
        [
            Change::CallUnbridged {
                a: "A".into(),
                b: "B".into()
            },
            Change::LegLeft {
                call: "A".into(),
                leg: "B".into()
            }
        ]
    );
    assert_eq!(tracker.call_of("A").unwrap().legs, ["A"]);
    assert_eq!(tracker.call_of("B").unwrap().legs, ["B"]);
    assert_eq!(tracker.call_of("B").unwrap().id, "B");
    assert!(tracker.other_leg("A").is_none());
    assert!(tracker.channel("B").unwrap().bridged_to.is_none());
    // B's later events still carry its originator profile; that does not join it again.
    let later = channel_event("CHANNEL_HANGUP", "B")
        .header("Other-Type", "originator")
        .header("Other-Leg-Unique-ID", "A")
        .header("Hangup-Cause", "NORMAL_CLEARING")
        .build();
    assert_eq!(tracker.update(&later), [Change::ChannelUpdated("B".into())]);
    assert_eq!(tracker.call_of("B").unwrap().legs, ["B"]);
}

#[test]
fn a_destroyed_peer_is_no_longer_bridged_to() {
    let mut tracker = Tracker::new();
    originated_pair(&mut tracker);
    tracker.update(&bridge_event("CHANNEL_BRIDGE", "A", "B"));
    // No CHANNEL_UNBRIDGE seen: B's destroy still ends the bridge on A's side.
    let changes = tracker.update(
        &Event::builder("CHANNEL_DESTROY")
            .header("Unique-ID", "B")
            .build(),
    );
    assert!(matches!(
        &changes[..],
        [Change::ChannelRemoved(b), Change::ChannelUpdated(a)] if b.uuid == "B" && a == "A"
    ));
    assert_eq!(tracker.channel("A").unwrap().bridged_to, None);
    assert_eq!(tracker.call_of("A").unwrap().legs, ["A"]);
}

#[test]
fn a_bridge_joins_independent_calls_and_the_unbridge_parts_them() {
    let mut tracker = Tracker::new();
    for uuid in ["X", "Y"] {
        tracker.update(&channel_event("CHANNEL_CREATE", uuid).build());
    }
    let changes = tracker.update(&bridge_event("CHANNEL_BRIDGE", "X", "Y"));
    assert_eq!(
        changes,
        [
            Change::CallBridged {
                a: "X".into(),
                b: "Y".into()
            },
            Change::LegJoined {
                call: "X".into(),
                leg: "Y".into()
            }
        ]
    );
    assert_eq!(tracker.calls().count(), 1);
    assert_eq!(tracker.call_of("Y").unwrap().legs, ["X", "Y"]);
    tracker.update(&bridge_event("CHANNEL_UNBRIDGE", "X", "Y"));
    assert_eq!(tracker.calls().count(), 2);
    // A bridge event adopts its A leg like any channel event; the B leg, unknown, cannot
    // join its call, and is no one's other leg.
    assert_eq!(
        tracker.update(&bridge_event("CHANNEL_BRIDGE", "P", "Q")),
        [
            Change::ChannelCreated("P".into()),
            Change::CallBridged {
                a: "P".into(),
                b: "Q".into()
            }
        ]
    );
    assert_eq!(
        tracker.channel("P").unwrap().bridged_to.as_deref(),
        Some("Q")
    );
    assert!(tracker.other_leg("P").is_none());
    assert_eq!(tracker.call_of("P").unwrap().legs, ["P"]);
    // One without both legs named is ignored.
    let half = channel_event("CHANNEL_BRIDGE", "X")
        .header("Bridge-A-Unique-ID", "X")
        .build();
    assert_eq!(tracker.update(&half), []);
}

#[test]
fn call_ids_stay_stable_and_unique() {
    let mut tracker = Tracker::new();
    // B's call ("B") takes A in; then A bridges to B with B as the peer, and they part: the
    // call keeps its name "B" with A in it, and B, leaving, becomes "B#2".
    tracker.update(&channel_event("CHANNEL_CREATE", "B").build());
    tracker.update(
        &channel_event("CHANNEL_CREATE", "A")
            .header("variable_originator", "B")
            .build(),
    );
    assert_eq!(tracker.call_of("A").unwrap().legs, ["B", "A"]);
    tracker.update(&bridge_event("CHANNEL_BRIDGE", "A", "B"));
    let changes = tracker.update(&bridge_event("CHANNEL_UNBRIDGE", "A", "B"));
    assert!(changes.contains(&Change::LegLeft {
        call: "B".into(),
        leg: "B".into()
    }));
    assert_eq!(tracker.call_of("A").unwrap().id, "B");
    assert_eq!(tracker.call_of("A").unwrap().legs, ["A"]);
    assert_eq!(tracker.call_of("B").unwrap().id, "B#2");
    esl_proto::fuzzing::check_tracker(&tracker);

    // Found by the property test below: with no memory of removals, a channel can come back
    // while the call named after its first life goes on, and a split must not then reuse the
    // id of the call it leaves.
    let mut tracker = Tracker::with_config(TrackerConfig::default().remembered_removals(0));
    let create = |uuid: &str, originator: Option<&str>| {
        let mut e = channel_event("CHANNEL_CREATE", uuid);
        if let Some(o) = originator {
            e = e.header("variable_originator", o);
        }
        e.build()
    };
    tracker.update(&create("u1", None));
    tracker.update(&create("u2", Some("u1")));
    tracker.update(
        &Event::builder("CHANNEL_DESTROY")
            .header("Unique-ID", "u1")
            .build(),
    );
    tracker.update(&create("u1", None));
    assert_eq!(tracker.call_of("u1").unwrap().id, "u1#2");
    tracker.update(&create("u3", Some("u1")));
    tracker.update(&bridge_event("CHANNEL_BRIDGE", "u3", "u1"));
    tracker.update(&bridge_event("CHANNEL_UNBRIDGE", "u3", "u1"));
    esl_proto::fuzzing::check_tracker(&tracker);
    assert_eq!(tracker.call_of("u3").unwrap().id, "u1#2");
    assert_eq!(tracker.call_of("u1").unwrap().id, "u1#3");
    assert_eq!(tracker.call("u1").unwrap().legs, ["u2"]);
}

#[test]
fn origination_hints_from_either_side() {
    // The A side names its originatee (`Other-Type: originatee`).
    let mut tracker = Tracker::new();
    tracker.update(&channel_event("CHANNEL_CREATE", "A").build());
    tracker.update(&channel_event("CHANNEL_CREATE", "B").build());
    let changes = tracker.update(
        &channel_event("CHANNEL_ANSWER", "A")
            .header("Other-Type", "originatee")
            .header("Other-Leg-Unique-ID", "B")
            .build(),
    );
    assert!(changes.contains(&Change::LegJoined {
        call: "A".into(),
        leg: "B".into()
    }));
    assert_eq!(tracker.call_of("B").unwrap().a_leg(), Some("A"));

    // `variable_originator` on the B leg, which arrives before its originator is known:
    // the link is made by the next event carrying it once both are tracked.
    let mut tracker = Tracker::new();
    let b = || {
        channel_event("CHANNEL_PROGRESS", "B")
            .header("variable_originator", "A")
            .build()
    };
    assert_eq!(tracker.update(&b()), [Change::ChannelCreated("B".into())]);
    tracker.update(&channel_event("CHANNEL_CREATE", "A").build());
    assert_eq!(tracker.calls().count(), 2);
    assert!(tracker.update(&b()).contains(&Change::LegJoined {
        call: "A".into(),
        leg: "B".into()
    }));
    assert_eq!(tracker.call_of("A").unwrap().legs, ["A", "B"]);

    // Several B legs (a forked bridge): the A leg's other leg is the first.
    tracker.update(
        &channel_event("CHANNEL_CREATE", "C")
            .header("variable_originator", "A")
            .build(),
    );
    assert_eq!(tracker.call_of("C").unwrap().legs, ["A", "B", "C"]);
    assert_eq!(tracker.other_leg("A").unwrap().uuid, "B");
    assert_eq!(tracker.other_leg("C").unwrap().uuid, "A");
    // The A leg goes; the call keeps its name and its other legs.
    tracker.update(
        &Event::builder("CHANNEL_DESTROY")
            .header("Unique-ID", "A")
            .build(),
    );
    assert_eq!(tracker.call("A").unwrap().legs, ["B", "C"]);
    assert_eq!(tracker.other_leg("B").unwrap().uuid, "C");
}

#[test]
fn removing_a_channel_by_hand() {
    let mut tracker = Tracker::new();
    originated_pair(&mut tracker);
    let removed = tracker.remove_channel("B").unwrap();
    assert_eq!(removed.uuid, "B");
    assert_eq!(tracker.call_of("A").unwrap().legs, ["A"]);
    assert!(tracker.remove_channel("B").is_none());
    // Removed by hand counts as removed: a straggler does not bring it back.
    assert_eq!(
        tracker.update(&channel_event("CHANNEL_PARK", "B").build()),
        []
    );
    tracker.clear();
    assert_eq!(tracker.channel_count(), 0);
    assert_eq!(tracker.calls().count(), 0);
}

#[test]
fn running_application_and_variables() {
    let mut tracker = Tracker::new();
    tracker.update(
        &channel_event("CHANNEL_CREATE", "x")
            .header("variable_a", "1")
            .build(),
    );
    let execute = |app: &str| {
        channel_event("CHANNEL_EXECUTE", "x")
            .header("Application", app)
            .header("Application-Data", "arg")
            .header("variable_a", "1")
            .header("variable_current_application", app)
            .build()
    };
    tracker.update(&execute("bridge"));
    let x = tracker.channel("x").unwrap();
    assert_eq!(
        (x.application.as_deref(), x.application_data.as_deref()),
        (Some("bridge"), Some("arg"))
    );
    assert_eq!(x.variable("current_application"), Some("bridge"));
    // The completion of another application (a `sendmsg` execute) leaves it running.
    let complete = |app: &str| {
        channel_event("CHANNEL_EXECUTE_COMPLETE", "x")
            .header("Application", app)
            .build()
    };
    assert_eq!(tracker.update(&complete("playback")), []);
    assert_eq!(
        tracker.channel("x").unwrap().application.as_deref(),
        Some("bridge")
    );
    assert_eq!(
        tracker.update(&complete("bridge")),
        [Change::ChannelUpdated("x".into())]
    );
    let x = tracker.channel("x").unwrap();
    assert_eq!(
        (x.application.as_deref(), x.application_data.as_deref()),
        (None, None)
    );
    // An event without variables keeps them; one with variables replaces them all.
    assert_eq!(x.variables.len(), 2);
    tracker.update(
        &channel_event("CHANNEL_HANGUP", "x")
            .header("variable_b", "2")
            .build(),
    );
    let x = tracker.channel("x").unwrap();
    assert_eq!(
        x.variables.iter().collect::<Vec<_>>(),
        [(&"b".to_string(), &"2".to_string())]
    );
}

fn member_event(action: &str, id: &str) -> esl_proto::EventBuilder {
    // The member headers of `add-member` in `inbound_conference`.
    Event::builder("CUSTOM")
        .header("Event-Subclass", "conference::maintenance")
        .header("Conference-Name", "c1")
        .header("Conference-Unique-ID", "cu-1")
        .header("Unique-ID", format!("chan-{id}"))
        .header("Hear", "true")
        .header("See", "true")
        .header("Speak", "true")
        .header("Talking", "false")
        .header("Mute-Detect", "false")
        .header("Hold", "false")
        .header("Floor", "false")
        .header("Video", "false")
        .header("Member-ID", id)
        .header("Member-Type", "member")
        .header("Member-Ghost", "false")
        .header("Energy-Level", "100")
        .header("Action", action)
}

#[test]
fn member_flags_follow_the_headers() {
    let mut tracker = Tracker::new();
    let joined = tracker.update(&member_event("add-member", "7").build());
    // A conference seen first through a member event is adopted.
    assert_eq!(
        joined,
        [
            Change::ConferenceCreated("c1".into()),
            Change::MemberJoined {
                conference: "c1".into(),
                member: 7
            }
        ]
    );
    // `conference_member_add_event_data` reports the flags as they are after the change.
    let updated = |tracker: &mut Tracker, action: &str, header: &str, value: &str| {
        tracker.update(&member_event(action, "7").set(header, value).build())
    };
    let member_updated = [Change::MemberUpdated {
        conference: "c1".into(),
        member: 7,
    }];
    assert_eq!(
        updated(&mut tracker, "start-talking", "Talking", "true"),
        member_updated
    );
    assert!(
        tracker
            .conference("c1")
            .unwrap()
            .member(7)
            .unwrap()
            .flags
            .talking
    );
    assert_eq!(
        updated(&mut tracker, "stop-talking", "Talking", "false"),
        member_updated
    );
    assert_eq!(
        updated(&mut tracker, "mute-member", "Speak", "false"),
        member_updated
    );
    let c = tracker.conference("c1").unwrap();
    assert!(c.member(7).unwrap().is_muted());
    assert_eq!(c.member_by_uuid("chan-7").unwrap().id, 7);
    assert_eq!(
        updated(&mut tracker, "unmute-member", "Speak", "true"),
        member_updated
    );
    assert_eq!(
        updated(&mut tracker, "deaf-member", "Hear", "false"),
        member_updated
    );
    assert!(tracker
        .conference("c1")
        .unwrap()
        .member(7)
        .unwrap()
        .is_deaf());
    assert_eq!(
        updated(&mut tracker, "energy-level", "Energy-Level", "300"),
        member_updated
    );
    assert_eq!(
        tracker
            .conference("c1")
            .unwrap()
            .member(7)
            .unwrap()
            .energy_level,
        Some(300)
    );
    // Nothing new: nothing reported.
    assert_eq!(
        updated(&mut tracker, "energy-level", "Energy-Level", "300"),
        []
    );
    // A member that leaves while holding the floor takes it along.
    let floor = Event::builder("CUSTOM")
        .header("Event-Subclass", "conference::maintenance")
        .header("Conference-Name", "c1")
        .header("Action", "floor-change")
        .header("Old-ID", "none")
        .header("New-ID", "7")
        .build();
    tracker.update(&floor);
    assert!(
        tracker
            .conference("c1")
            .unwrap()
            .member(7)
            .unwrap()
            .flags
            .floor
    );
    let left = tracker.update(&member_event("del-member", "7").build());
    assert!(matches!(
        &left[..],
        [Change::FloorChanged { from: Some(7), to: None, .. }, Change::MemberLeft { member, .. }]
            if member.id == 7
    ));
}

#[test]
fn conference_bounds_and_replacement() {
    let mut tracker =
        Tracker::with_config(TrackerConfig::default().max_conferences(1).max_members(1));
    tracker.update(&member_event("add-member", "1").build());
    assert_eq!(
        tracker.update(&member_event("add-member", "2").build()),
        [Change::MemberNotTracked {
            conference: "c1".into(),
            member: 2
        }]
    );
    let other = member_event("add-member", "1")
        .set("Conference-Name", "c2")
        .set("Conference-Unique-ID", "cu-2");
    assert_eq!(
        tracker.update(&other.build()),
        [Change::ConferenceNotTracked("c2".into())]
    );
    assert_eq!(tracker.stats().members_not_tracked, 1);
    assert_eq!(tracker.stats().conferences_not_tracked, 1);
    // A new Conference-Unique-ID under the same name: the old conference ended unseen.
    let renewed = member_event("add-member", "1").set("Conference-Unique-ID", "cu-3");
    let changes = tracker.update(&renewed.build());
    assert!(matches!(
        &changes[..],
        [Change::ConferenceDestroyed(old), Change::ConferenceCreated(name), Change::MemberJoined { member: 1, .. }]
            if old.uuid.as_deref() == Some("cu-1") && name == "c1"
    ));
    assert_eq!(
        tracker.conference("c1").unwrap().uuid.as_deref(),
        Some("cu-3")
    );
    // conference-destroy frees the member count; a late event of the destroyed conference
    // does not bring it back.
    let destroy = Event::builder("CUSTOM")
        .header("Event-Subclass", "conference::maintenance")
        .header("Conference-Name", "c1")
        .header("Conference-Unique-ID", "cu-3")
        .header("Action", "conference-destroy")
        .build();
    assert_eq!(tracker.update(&destroy).len(), 1);
    let late = member_event("play-file-done", "1").set("Conference-Unique-ID", "cu-3");
    assert_eq!(tracker.update(&late.build()), []);
    assert!(tracker.conference("c1").is_none());
    assert_eq!(
        tracker
            .update(
                &member_event("add-member", "2")
                    .set("Conference-Unique-ID", "cu-4")
                    .build()
            )
            .len(),
        2
    );
}

#[test]
fn events_without_what_the_tracker_reads_change_nothing() {
    let mut tracker = Tracker::new();
    for event in [
        Event::builder("HEARTBEAT").build(),
        Event::builder("BACKGROUND_JOB").body("+OK x\n").build(),
        Event::builder("CHANNEL_CREATE").build(),
        Event::builder("CUSTOM")
            .header("Event-Subclass", "conference::maintenance")
            .build(),
        Event::builder("CUSTOM")
            .header("Event-Subclass", "conference::maintenance")
            .header("Conference-Name", "c")
            .header("Action", "conference-destroy")
            .build(),
        Event::builder("").build(),
    ] {
        assert_eq!(tracker.update(&event), [], "{event:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any sequence of channel, bridge and conference events: no panic, and the channel, call
    /// and member tables stay consistent and within their bounds after every event.
    #[test]
    fn any_event_sequence_keeps_the_tables_consistent(script in proptest::collection::vec(any::<u8>(), 0..400)) {
        esl_proto::fuzzing::tracker(&script);
    }
}

#[test]
fn every_capture_keeps_the_tables_consistent() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/freeswitch");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
            let mut tracker = Tracker::new();
            for event in events(&name) {
                tracker.update(&event);
                esl_proto::fuzzing::check_tracker(&tracker);
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 19);
}
