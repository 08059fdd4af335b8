//! `esl load`: every call completed with latency percentiles; failures by cause; Ctrl-C
//! hangs up what was placed.

use serde_json::Value;

use crate::support::{esl, stderr, stdout, switch_until, Running, SimSwitch};

#[test]
fn two_hundred_calls_at_100_per_second_all_complete_with_percentiles() {
    let switch = SimSwitch::start();
    let output = esl(&switch)
        .args([
            "load", "--total", "200", "--rate", "100", "--hold", "50ms", "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    for key in ["placed", "answered", "completed"] {
        assert_eq!(report[key], 200, "{key}: {report}");
    }
    assert_eq!(report["failed"], 0);
    assert_eq!(report["interrupted"], false);
    assert_eq!(report["hangup_causes"]["NORMAL_CLEARING"], 200, "{report}");
    let latency = &report["setup_latency_ms"];
    assert_eq!(latency["count"], 200);
    let p = |k: &str| latency[k].as_f64().unwrap();
    assert!(p("p50") > 0.0 && p("p50") <= p("p90") && p("p90") <= p("p99") && p("p99") <= p("max"));
    assert!(report["achieved_rate"].as_f64().unwrap() > 0.0);
    assert!(switch.channels().is_empty(), "calls left up");
}

#[test]
fn the_text_report_has_the_percentiles() {
    let switch = SimSwitch::start();
    let output = esl(&switch)
        .args(["load", "-n", "20", "-r", "50", "--hold", "10ms", "-q"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("completed        20"), "{text}");
    assert!(
        text.contains("setup latency  p50 ") && text.contains(" p99 ") && text.contains(" max ")
    );
    assert!(text.contains("NORMAL_CLEARING 20"));
}

#[test]
fn failed_calls_are_counted_by_cause_and_exit_1() {
    let switch = SimSwitch::start();
    let output = esl(&switch)
        .args([
            "load",
            "loopback/nowhere",
            "&park",
            "--total",
            "5",
            "--rate",
            "50",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["failed"], 5);
    assert_eq!(report["failures"]["NO_ROUTE_DESTINATION"], 5, "{report}");
}

#[test]
fn ctrl_c_hangs_up_every_call_it_placed() {
    let switch = SimSwitch::start();
    // Calls held for an hour: only the interruption ends them.
    let mut load = Running::start(
        Some(&switch),
        &["load", "--rate", "50", "--hold", "1h", "--json"],
    );
    load.stderr_line("announcing the run", |l| {
        l.contains("calls/s to loopback/9196")
    });
    switch_until(&switch, "twenty calls up", |s| s.channels().len() >= 40);
    load.interrupt();
    let (status, out, err) = load.finish();
    assert_eq!(status.code(), Some(130), "{err}");
    // Every call it placed was confirmed hung up before it exited.
    assert!(
        switch.channels().is_empty(),
        "left up: {:?}",
        switch.channels()
    );
    let report: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["interrupted"], true);
    assert_eq!(report["placed"], report["completed"], "{report}");
    assert!(report["completed"].as_u64().unwrap() >= 20);
    let shown = esl(&switch)
        .args(["api", "show", "channels"])
        .output()
        .unwrap();
    assert!(stdout(&shown).contains("0 total."), "{}", stdout(&shown));
}
