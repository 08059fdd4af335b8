//! `esl events`: JSON lines, the readable view, filters, and surviving a reconnect.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{esl, originate, stderr, stdout, switch_until, Running, SimSwitch};

const SUBSCRIBED: [&str; 3] = [
    "CHANNEL_CREATE",
    "CHANNEL_ANSWER",
    "CHANNEL_HANGUP_COMPLETE",
];

#[test]
fn json_lines_parse_and_carry_the_subscribed_events() {
    let switch = SimSwitch::start();
    let output = esl(&switch)
        .args(["events"])
        .args(SUBSCRIBED)
        .args(["--count", "4", "--exec", "originate loopback/9196 &park"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    let events: Vec<Value> = out
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert_eq!(events.len(), 4, "{out}");
    let names: BTreeSet<&str> = events
        .iter()
        .map(|e| e["Event-Name"].as_str().unwrap())
        .collect();
    assert!(names.iter().all(|n| SUBSCRIBED.contains(n)), "{names:?}");
    assert!(names.contains("CHANNEL_CREATE") && names.contains("CHANNEL_ANSWER"));
    // Every header, decoded: the channel variables are there, percent-escapes undone.
    let create = events
        .iter()
        .find(|e| e["Event-Name"] == "CHANNEL_CREATE")
        .unwrap();
    assert_eq!(create["Channel-Name"], "loopback/9196-a");
    assert!(create["variable_uuid"].is_string());
    assert!(!create["Event-Date-Local"].as_str().unwrap().contains('%'));
}

#[test]
fn the_text_view_is_one_readable_line_per_event() {
    let switch = SimSwitch::start();
    let output = esl(&switch)
        .args(["events", "CHANNEL_CREATE", "-o", "text", "-n", "2"])
        .args(["--exec", "originate loopback/9196 &park"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].contains(" CHANNEL_CREATE ") && lines[0].contains("loopback/9196-a"));
    assert!(lines[1].contains("loopback/9196-b"));
}

#[test]
fn a_filter_keeps_only_matching_events() {
    let switch = SimSwitch::start();
    let output = esl(&switch)
        .args([
            "events",
            "ALL",
            "--filter",
            "Channel-Name=loopback/9196-b",
            "-n",
            "5",
        ])
        .args([
            "--format",
            "json",
            "--exec",
            "originate loopback/9196 &park",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert_eq!(out.lines().count(), 5);
    for line in out.lines() {
        let event: Value = serde_json::from_str(line).unwrap();
        assert_eq!(event["Channel-Name"], "loopback/9196-b", "{line}");
    }
}

#[test]
fn xml_events_print_as_the_same_json() {
    let switch = SimSwitch::start();
    let output = esl(&switch)
        .args(["events", "CHANNEL_CREATE", "--format", "xml", "-n", "1"])
        .args(["--exec", "originate loopback/9196 &park"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let event: Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    assert_eq!(event["Event-Name"], "CHANNEL_CREATE");
    assert_eq!(event["Channel-Name"], "loopback/9196-a");
}

#[test]
fn the_tail_survives_a_reconnect_and_marks_the_gap() {
    let switch = SimSwitch::start();
    let mut tail = Running::start(
        Some(&switch),
        &["events", "CHANNEL_CREATE", "--exec", "echo subscribed"],
    );
    tail.stderr_line("once subscribed", |l| l.contains("subscribed"));
    let before = originate(&switch);
    tail.stdout_line("for the first call", |l| l.contains(&before));

    switch.restart();
    let gap = tail.stdout_line("marking the loss", |l| l.contains("\"gap\""));
    let gap: Value = serde_json::from_str(&gap).unwrap();
    assert_eq!(gap["gap"], "disconnected");
    let gap = tail.stdout_line("marking the return", |l| l.contains("\"gap\""));
    let gap: Value = serde_json::from_str(&gap).unwrap();
    assert_eq!(gap["gap"], "reconnected");

    // The subscription is replayed on the new connection: a call placed once the switch has
    // it shows. (Calls placed before may be missed: that is what the gap says.)
    switch_until(&switch, "the subscription is replayed", |s| {
        let subscribed: BTreeSet<_> = s
            .commands()
            .iter()
            .filter(|c| c.line().starts_with("event ") && c.line().contains("CHANNEL_CREATE"))
            .map(|c| c.conn)
            .collect();
        subscribed.len() == 2
    });
    let after = originate(&switch);
    tail.stdout_line("for the call after the reconnect", |l| l.contains(&after));
    tail.interrupt();
    let (status, _, _) = tail.finish();
    assert_eq!(status.code(), Some(0));
}
