//! `esl originate`: the uuid, or the cause.

use serde_json::Value;

use crate::support::{esl, stderr, stdout, SimSwitch};

#[test]
fn originate_prints_the_new_channels_uuid_with_its_variables_set() {
    let switch = SimSwitch::start();
    let output = esl(&switch)
        .args(["originate", "--var", "esl_test=a,b", "--var", "x=1"])
        .args(["loopback/9196", "&park"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let uuid = stdout(&output).trim().to_owned();
    assert_eq!(uuid.len(), 36, "{uuid}");
    assert!(switch.channels().contains(&uuid));
    assert_eq!(switch.channel_variable(&uuid, "x").as_deref(), Some("1"));
}

#[test]
fn a_failed_originate_says_the_cause_and_exits_1() {
    let switch = SimSwitch::start();
    let output = esl(&switch)
        .args(["originate", "loopback/nowhere", "&park"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("originate failed: NO_ROUTE_DESTINATION"));

    let json = esl(&switch)
        .args(["originate", "--json", "loopback/nowhere", "&park"])
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(1));
    let value: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["ok"], false);
    assert_eq!(value["cause"], "NO_ROUTE_DESTINATION");
    assert!(switch.channels().is_empty());
}
