//! `esl calls`: the snapshot and the live view, from the tracker.

use serde_json::Value;

use crate::support::{esl, originate, stderr, switch_until, Running, SimSwitch};

fn snapshot(switch: &SimSwitch) -> Value {
    let output = esl(switch)
        .args(["calls", "--once", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn uuids(view: &Value) -> Vec<String> {
    view["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["uuid"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn once_lists_the_channels_of_originated_calls_then_none_after_hangup() {
    let switch = SimSwitch::start();
    assert!(uuids(&snapshot(&switch)).is_empty());
    let first = originate(&switch);
    let second = originate(&switch);
    let view = snapshot(&switch);
    let listed = uuids(&view);
    // Each loopback call has two legs; every live channel is listed, the A legs included.
    assert_eq!(listed.len(), 4, "{view}");
    let mut live = switch.channels();
    live.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(sorted, live);
    assert!(listed.contains(&first) && listed.contains(&second));
    let a = view["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["uuid"] == first.as_str())
        .unwrap();
    assert_eq!(a["name"], "loopback/9196-a");
    assert_eq!(a["application"], "park");
    assert_eq!(a["call_state"], "ACTIVE");
    // The two halves of each loopback call are one call.
    let calls = view["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2, "{view}");
    for call in calls {
        let legs = call["legs"].as_array().unwrap();
        assert_eq!(legs.len(), 2, "{call}");
        assert!(
            legs[0] == first.as_str() || legs[0] == second.as_str(),
            "A leg first: {call}"
        );
    }

    let hupall = esl(&switch).args(["api", "hupall"]).output().unwrap();
    assert_eq!(hupall.status.code(), Some(0));
    switch_until(&switch, "the channels are hung up", |s| {
        s.channels().is_empty()
    });
    let view = snapshot(&switch);
    assert!(
        uuids(&view).is_empty(),
        "the hung-up channels leave the snapshot: {view}"
    );
    assert!(view["calls"].as_array().unwrap().is_empty());
}

#[test]
fn the_table_shows_each_channel() {
    let switch = SimSwitch::start();
    let uuid = originate(&switch);
    let output = esl(&switch).args(["calls", "--once"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("2 channels"), "{text}");
    assert!(text.contains(&uuid) && text.contains("loopback/9196-a") && text.contains("park"));
}

#[test]
fn live_json_follows_calls_as_they_come_and_go_with_legs_grouped() {
    let switch = SimSwitch::start();
    let before = originate(&switch);
    let mut live = Running::start(Some(&switch), &["calls", "--json", "--interval", "10ms"]);
    // The first snapshot comes from the listing: the call that was already up.
    let first: Value =
        serde_json::from_str(&live.stdout_line("with the first snapshot", |l| l.starts_with('{')))
            .unwrap();
    assert!(uuids(&first).contains(&before), "{first}");

    // A new call appears from its events, its two loopback legs as one call.
    let uuid = originate(&switch);
    let line = live.stdout_line("with the new call's legs together", |l| {
        let view: Value = serde_json::from_str(l).unwrap();
        view["calls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == uuid.as_str() && c["legs"].as_array().unwrap().len() == 2)
    });
    let view: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(uuids(&view).len(), 4, "{view}");

    // Hung up: gone on their CHANNEL_DESTROY.
    let kill = esl(&switch).args(["api", "hupall"]).output().unwrap();
    assert_eq!(kill.status.code(), Some(0));
    live.stdout_line("with no channel left", |l| {
        let view: Value = serde_json::from_str(l).unwrap();
        uuids(&view).is_empty() && view["calls"].as_array().unwrap().is_empty()
    });
    live.interrupt();
    let (status, _, _) = live.finish();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn after_a_reconnect_the_live_view_reloads_and_keeps_following() {
    let switch = SimSwitch::start();
    let uuid = originate(&switch);
    let mut live = Running::start(Some(&switch), &["calls", "--json", "--interval", "10ms"]);
    live.stdout_line("with the call", |l| l.contains(&uuid));
    // Channels outlive the event socket: the listing after the reconnect still has them.
    switch.restart();
    live.stdout_line("reloaded after the reconnect", |l| l.contains(&uuid));
    let kill = esl(&switch).args(["api", "hupall"]).output().unwrap();
    assert_eq!(kill.status.code(), Some(0));
    live.stdout_line("with no channel left", |l| {
        let view: Value = serde_json::from_str(l).unwrap();
        uuids(&view).is_empty()
    });
}
