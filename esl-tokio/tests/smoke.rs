//! A first end-to-end run of the tokio client against the simulated switch.

use std::time::Duration;

use esl_tests::switch::{Config, SimSwitch};
use esl_tokio::esl_proto::EventFormat;

fn sim() -> SimSwitch {
    SimSwitch::with_config(Config {
        time_scale: 0.05,
        ..Config::default()
    })
}

#[tokio::test]
async fn smoke() {
    let switch = sim();
    let client = esl_tokio::connect(&switch.addr().to_string(), "ClueCon")
        .await
        .unwrap();
    let status = client.api("status").await.unwrap();
    assert!(status.contains("is ready"), "{status}");
    let err = client.api("no_such_command").await.unwrap_err();
    assert!(
        matches!(err, esl_tokio::Error::Rejected(ref t) if t.contains("Command not found")),
        "{err}"
    );
    let job = client.bgapi("status").await.unwrap();
    let out = job.await.unwrap();
    assert!(out.contains("is ready"));
    let mut events = client.events();
    client
        .subscribe(EventFormat::Json, &["CHANNEL_ANSWER"])
        .await
        .unwrap();
    let uuid = client.originate("loopback/park", "&park").await.unwrap();
    let answered = tokio::time::timeout(Duration::from_secs(5), events.next_event())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answered.name().as_str(), "CHANNEL_ANSWER");
    assert_eq!(
        client.api(&format!("uuid_kill {uuid}")).await.unwrap(),
        "+OK\n"
    );
    client.close().await.unwrap();
}
