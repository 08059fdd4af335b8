//! esl-async (on tokio) when things go wrong around it: a stream dropped while full, a handler
//! that panics, a close while reconnecting. Each of these once left requests hanging.

use std::time::{Duration, Instant};

use esl_async::esl_proto::EventFormat;
use esl_async::{ClientConfig, Overflow, Reconnect};
use esl_sim::SimSwitch;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn reconnecting() -> ClientConfig {
    ClientConfig::password("ClueCon")
        .request_timeout(Duration::from_secs(5))
        .reconnect(
            Reconnect::default()
                .initial(Duration::from_millis(20))
                .max(Duration::from_millis(50)),
        )
}

async fn eventually(mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[test]
fn a_full_backpressure_stream_that_is_dropped_holds_nothing_back() {
    let switch = SimSwitch::start();
    runtime().block_on(async {
        let config = ClientConfig::password("ClueCon")
            .event_capacity(2)
            .overflow(Overflow::Backpressure)
            .request_timeout(Duration::from_secs(3));
        let client = esl_tokio::connect_with(&switch.addr().to_string(), config)
            .await
            .unwrap();
        let events = client.events();
        client
            .subscribe(EventFormat::Plain, &["ALL"])
            .await
            .unwrap();
        // A call's events fill the stream, and the driver stops reading: a request made
        // now waits behind them.
        let uuid = switch.inbound_call("1000", "2001", &[]);
        eventually(|| events.len() >= 2).await;
        let waiting = {
            let client = client.clone();
            tokio::spawn(async move { client.api("eval after-the-events").await })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!waiting.is_finished(), "backpressure did not hold");
        drop(events);
        // The reader is gone: the connection reads again and the reply comes.
        let reply = tokio::time::timeout(Duration::from_secs(2), waiting)
            .await
            .expect("the connection stayed stuck behind a dropped stream")
            .unwrap()
            .unwrap();
        assert_eq!(reply, "after-the-events");
        client.api(&format!("uuid_kill {uuid}")).await.unwrap();
        client.close().await.unwrap();
    });
}

#[test]
fn a_handler_that_panics_does_not_take_the_connection_down() {
    let switch = SimSwitch::start();
    runtime().block_on(async {
        let client = esl_tokio::connect(&switch.addr().to_string(), "ClueCon")
            .await
            .unwrap();
        let mut events = client.events();
        client.on("CHANNEL_CREATE", |_| panic!("a bug in the application"));
        client
            .subscribe(EventFormat::Plain, &["CHANNEL_CREATE", "CHANNEL_ANSWER"])
            .await
            .unwrap();
        let uuid = client.originate("loopback/park", "&park").await.unwrap();
        // The events still come, and requests still get their replies.
        let first = tokio::time::timeout(Duration::from_secs(2), events.next_event())
            .await
            .unwrap()
            .unwrap();
        assert!(first.is("CHANNEL_CREATE"));
        client.api(&format!("uuid_kill {uuid}")).await.unwrap();
        client.close().await.unwrap();
    });
}

#[test]
fn close_while_reconnecting_returns_at_once() {
    let switch = SimSwitch::start();
    runtime().block_on(async {
        let client = esl_tokio::connect_with(&switch.addr().to_string(), reconnecting())
            .await
            .unwrap();
        switch.pause();
        eventually(|| !client.is_connected()).await;
        let started = Instant::now();
        client.close().await.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "close waited {:?}",
            started.elapsed()
        );
    });
}
