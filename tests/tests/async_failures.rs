//! esl-async (on tokio) when things go wrong around it: a stream dropped while full, a handler
//! that panics, a close while reconnecting. Each of these once left requests hanging.
//!
//! Each runs in memory against the simulated switch, on a current-thread tokio runtime whose
//! clock is paused. The client's own timers (request timeouts, reconnect waits) follow the
//! switch's virtual clock, which moves only when a test says so; tokio's clock moves only
//! when every task is idle. So a tokio sleep or timeout here ends exactly when nothing more
//! can happen: "it is held back", "it is stuck" and "it returned at once" are decided by what
//! the client does, never by how long the machine took.

use std::time::Duration;

use esl_async::esl_proto::EventFormat;
use esl_async::{ClientConfig, Gap, Incoming, Overflow, Reconnect};
use esl_sim::{Config, Fault, VirtualSwitch};
use esl_tokio::sim;

fn reconnecting() -> ClientConfig {
    ClientConfig::password("ClueCon")
        .request_timeout(Duration::from_secs(5))
        .reconnect(
            Reconnect::default()
                .initial(Duration::from_millis(20))
                .max(Duration::from_millis(50)),
        )
}

/// Returns once every task has done all it can: tokio's paused clock moves on (and this
/// sleep ends) only when no task is ready to run.
async fn idle() {
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Bounds a wait that must end without any time passing on the switch's clock. On tokio's
/// paused clock the bound is reached only once everything is idle, that is once the wait
/// can no longer end: it fails then, at once, instead of hanging.
async fn without_time<F: std::future::Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(3600), future)
        .await
        .unwrap_or_else(|_| panic!("stuck: {what}"))
}

#[tokio::test(start_paused = true)]
async fn a_full_backpressure_stream_that_is_dropped_holds_nothing_back() {
    let switch = VirtualSwitch::new(Config::default().seed(41));
    let config = ClientConfig::password("ClueCon")
        .event_capacity(2)
        .overflow(Overflow::Backpressure)
        .request_timeout(Duration::from_secs(3));
    let client = sim::connect(&switch, config).await.unwrap();
    let events = client.events();
    client
        .subscribe(EventFormat::Plain, &["ALL"])
        .await
        .unwrap();
    // A call's events fill the stream, and the driver stops reading: a request made now
    // waits behind them.
    let uuid = switch.inbound_call("1000", "2001", &[]);
    idle().await;
    // (What one read brought is handled whole, so the stream may hold more than its
    // capacity; it never reads again while it is full.)
    assert!(events.len() >= 2, "the call's events fill the stream");
    let waiting = {
        let client = client.clone();
        tokio::spawn(async move { client.api("eval after-the-events").await })
    };
    idle().await;
    assert!(!waiting.is_finished(), "backpressure did not hold");
    drop(events);
    // The reader is gone: the connection reads again and the reply comes.
    let reply = without_time(
        "the connection stayed stuck behind a dropped stream",
        waiting,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(reply, "after-the-events");
    client.api(&format!("uuid_kill {uuid}")).await.unwrap();
    client.close().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_handler_that_panics_does_not_take_the_connection_down() {
    let switch = VirtualSwitch::new(Config::default().seed(42));
    let client = sim::connect(&switch, ClientConfig::password("ClueCon"))
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
    let first = without_time("the first event after the panic", events.next_event())
        .await
        .unwrap();
    assert!(first.is("CHANNEL_CREATE"));
    client.api(&format!("uuid_kill {uuid}")).await.unwrap();
    client.close().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn close_while_reconnecting_returns_at_once() {
    let switch = VirtualSwitch::new(Config::default().seed(43));
    // Waiting out its backoff.
    let waiting = sim::connect(&switch, reconnecting()).await.unwrap();
    let mut events = waiting.events();
    switch.with(|s| s.kill_connections());
    loop {
        match events.recv().await {
            Some(Incoming::Gap(Gap::Disconnected)) => break,
            Some(_) => {}
            None => panic!("the stream ended instead of reconnecting"),
        }
    }
    assert!(!waiting.is_connected());
    // Neither clock moves: a close that waited for a timer (the backoff, a request
    // timeout) would never return.
    without_time("close during the backoff", waiting.close())
        .await
        .unwrap();

    // Connected again, but the switch says nothing: the handshake is under way.
    let connecting = sim::connect(&switch, reconnecting()).await.unwrap();
    switch.with(|s| {
        s.set_fault(Fault::Stall);
        s.kill_connections();
    });
    idle().await;
    // Past the longest backoff (50 ms): the client connects again.
    switch.advance(Duration::from_millis(100));
    idle().await;
    assert_eq!(
        switch.with(|s| s.connections()),
        1,
        "a new connection waits for its greeting"
    );
    assert!(!connecting.is_connected());
    without_time("close during the handshake", connecting.close())
        .await
        .unwrap();
}
