//! Clients in memory on the simulated switch's virtual clock: the same client, over no
//! socket, with its timeouts and reconnect waits following the switch's clock, so a minute
//! of ringing or a thirty-second backoff takes no wall time. (Run with `--nocapture` to see
//! the wall time each took; it is reported, not asserted.)

#![allow(clippy::print_stderr)]

use std::time::{Duration, Instant};

use esl_tokio::sim::{self, Config, Outcome, VirtualSwitch};
use esl_tokio::{ClientConfig, Error, Gap, Incoming, Reconnect};

#[tokio::test]
async fn a_sixty_second_originate_timeout_passes_in_virtual_time() {
    let started = Instant::now();
    let switch = VirtualSwitch::new(Config::default().seed(7));
    switch.with(|s| s.set_default_outcome(Outcome::NoAnswer));
    let client = sim::connect(&switch, ClientConfig::password("ClueCon"))
        .await
        .unwrap();
    let job = client
        .bgapi("originate sofia/gateway/gw/5551234 &park")
        .await
        .unwrap();
    // The far end rings for the originate's 60 seconds, on the switch's clock.
    switch.advance(Duration::from_secs(60));
    match job.channel_uuid().await {
        Err(Error::Rejected(cause)) => assert_eq!(cause, "-ERR NO_ANSWER\n"),
        other => panic!("expected NO_ANSWER, got {other:?}"),
    }
    client.close().await.unwrap();
    eprintln!("60 s of ringing took {:?} of wall time", started.elapsed());
}

#[tokio::test]
async fn a_thirty_second_reconnect_wait_passes_in_virtual_time() {
    let started = Instant::now();
    let switch = VirtualSwitch::new(Config::default().seed(8));
    let config = ClientConfig::password("ClueCon").reconnect(
        Reconnect::default()
            .initial(Duration::from_secs(30))
            .jitter(0.0),
    );
    let client = sim::connect(&switch, config).await.unwrap();
    let mut events = client.events();
    client
        .subscribe(esl_tokio::esl_proto::EventFormat::Plain, &["HEARTBEAT"])
        .await
        .unwrap();
    switch.with(|s| s.kill_connections());
    // The client notices the end, and waits 30 s of the switch's clock before trying again.
    loop {
        match events.recv().await {
            Some(Incoming::Gap(Gap::Disconnected)) => break,
            Some(_) => {}
            None => panic!("the stream ended instead of reconnecting"),
        }
    }
    switch.advance(Duration::from_secs(29));
    assert_eq!(client.reconnects(), 0);
    switch.advance(Duration::from_secs(1));
    loop {
        match events.recv().await {
            Some(Incoming::Gap(Gap::Reconnected)) => break,
            Some(_) => {}
            None => panic!("the stream ended instead of reconnecting"),
        }
    }
    assert_eq!(client.reconnects(), 1);
    // The replayed subscription works: a heartbeat arrives.
    switch.with(|s| s.heartbeat());
    loop {
        if let Some(Incoming::Event(event)) = events.recv().await {
            if event.is("HEARTBEAT") {
                break;
            }
        }
    }
    client.close().await.unwrap();
    eprintln!("a 30 s backoff took {:?} of wall time", started.elapsed());
}

#[test]
fn async_std_and_smol_run_in_memory_too() {
    let switch = VirtualSwitch::new(Config::default().seed(9));
    async_std::task::block_on(async {
        let client = esl_async_std::sim::connect(
            esl_async_std::AsyncStd,
            &switch,
            ClientConfig::password("ClueCon"),
        )
        .await
        .unwrap();
        assert!(client.api("status").await.unwrap().contains("is ready"));
        client.close().await.unwrap();
    });
    smol::block_on(async {
        let client = esl_async_std::sim::connect(
            esl_async_std::Smol,
            &switch,
            ClientConfig::password("ClueCon"),
        )
        .await
        .unwrap();
        let uuid = client.originate("loopback/park", "&park").await.unwrap();
        assert!(switch.channels().contains(&uuid));
        client.close().await.unwrap();
    });
}

#[test]
fn blocking_runs_in_memory_on_virtual_time() {
    use esl_blocking::sim as blocking_sim;

    let switch = VirtualSwitch::new(Config::default().seed(10));
    switch.with(|s| s.set_default_outcome(Outcome::NoAnswer));
    let client = blocking_sim::connect(&switch, ClientConfig::password("ClueCon")).unwrap();
    assert!(client.api("status").unwrap().contains("is ready"));
    let job = client
        .bgapi("originate sofia/gateway/gw/5551234 &park")
        .unwrap();
    switch.advance(Duration::from_secs(60));
    match job.channel_uuid() {
        Err(Error::Rejected(cause)) => assert_eq!(cause, "-ERR NO_ANSWER\n"),
        other => panic!("expected NO_ANSWER, got {other:?}"),
    }
    client.close().unwrap();
}

#[test]
fn a_blocking_outbound_server_serves_the_switchs_sockets_in_memory() {
    use esl_blocking::sim as blocking_sim;
    use esl_tokio::sim::{InboundCall, Route};

    let switch = VirtualSwitch::new(Config::default().seed(11));
    let server = blocking_sim::listen(&switch, esl_blocking::ServerConfig::default()).unwrap();
    let stop = server.shutdown_handle();
    let (done, finished) = std::sync::mpsc::channel();
    let running = std::thread::spawn(move || {
        server.run(move |session| {
            session.answer().unwrap();
            session.set_variable("handled_by", "a test").unwrap();
            done.send(session.uuid().to_owned()).unwrap();
            session.hangup(None).unwrap();
        })
    });
    let uuid = switch.call(&InboundCall::new("1000", "5000").route(Route::Socket));
    assert_eq!(finished.recv().unwrap(), uuid);
    let ran = switch.applications(&uuid);
    assert!(ran.contains(&("answer".into(), String::new())), "{ran:?}");
    assert!(
        ran.contains(&("set".into(), "handled_by=a test".into())),
        "{ran:?}"
    );
    stop.shutdown();
    running.join().unwrap().unwrap();
}

/// One scripted session in memory: every command the switch received and every event the
/// client got, as text.
fn session_transcript(switch_seed: u64, client_seed: u64) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let switch = VirtualSwitch::new(Config::default().seed(switch_seed));
        let config = ClientConfig::password("ClueCon").seed(client_seed);
        let client = sim::connect(&switch, config).await.unwrap();
        let mut events = client.events();
        client
            .subscribe(
                esl_tokio::esl_proto::EventFormat::Json,
                &[
                    "CHANNEL_CREATE",
                    "CHANNEL_ANSWER",
                    "CHANNEL_EXECUTE_COMPLETE",
                ],
            )
            .await
            .unwrap();
        let uuid = client.originate("loopback/park", "&park").await.unwrap();
        let channel = esl_tokio::Channel::new(client.handle().clone(), uuid.clone());
        channel.set_variable("step", "one").await.unwrap();
        let job = client.bgapi("status").await.unwrap();
        job.output().await.unwrap();
        client.api(&format!("uuid_kill {uuid}")).await.unwrap();
        switch.advance(Duration::from_secs(1));
        client.close().await.unwrap();
        let mut transcript = String::new();
        for received in switch.with(|s| s.commands()) {
            transcript.push_str(&format!("{:?} {:?}\n", received.at, received.raw));
        }
        while let Some(item) = events.try_recv() {
            if let Incoming::Event(event) = item {
                let headers: Vec<String> = event
                    .headers()
                    .iter()
                    .map(|(n, v)| format!("{}={}", n.as_str(), v.decoded()))
                    .collect();
                transcript.push_str(&headers.join("|"));
                transcript.push('\n');
            }
        }
        transcript
    })
}

fn digest(text: &str) -> u64 {
    // FNV-1a: enough to tell two transcripts apart.
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[test]
fn the_same_seeds_give_the_same_traffic_byte_for_byte() {
    let first = session_transcript(21, 22);
    let again = session_transcript(21, 22);
    assert!(first.len() > 1000, "a transcript worth comparing");
    assert_eq!(digest(&first), digest(&again));
    assert_eq!(first, again);
    // The client's seed fixes the uuids it chooses (Job-UUID, Event-UUID): another seed,
    // other traffic.
    assert_ne!(digest(&first), digest(&session_transcript(21, 23)));
}

#[tokio::test]
async fn an_async_receive_with_a_timeout_waits_on_the_switchs_clock() {
    use esl_tokio::RecvTimeoutError;
    use futures_util::poll;

    let switch = VirtualSwitch::new(Config::default().seed(9));
    let client = sim::connect(&switch, ClientConfig::password("ClueCon"))
        .await
        .unwrap();
    let mut events = client.events();
    {
        let waiting = events.recv_timeout(Duration::from_secs(10));
        tokio::pin!(waiting);
        assert!(poll!(&mut waiting).is_pending());
        switch.advance(Duration::from_secs(9));
        assert!(poll!(&mut waiting).is_pending());
        switch.advance(Duration::from_secs(1));
        assert!(matches!(waiting.await, Err(RecvTimeoutError::Timeout)));
    }
    client
        .subscribe(esl_tokio::EventFormat::Plain, &["HEARTBEAT"])
        .await
        .unwrap();
    switch.with(|s| s.heartbeat());
    loop {
        match events.recv_timeout(Duration::from_secs(60)).await {
            Ok(Incoming::Event(event)) if event.is("HEARTBEAT") => break,
            Ok(_) => {}
            Err(error) => panic!("{error:?}"),
        }
    }
    client.close().await.unwrap();
    loop {
        match events.recv_timeout(Duration::from_secs(60)).await {
            Err(RecvTimeoutError::Disconnected) => break,
            Ok(_) => {}
            Err(RecvTimeoutError::Timeout) => panic!("a closed stream timed out"),
        }
    }
}

#[tokio::test]
async fn two_switches_added_at_once_under_one_name_leave_one() {
    let switch = VirtualSwitch::new(Config::default().seed(10));
    let service = esl_tokio::Service::new(esl_tokio::Tokio);
    let config = ClientConfig::password("ClueCon");
    let (first, second) = tokio::join!(
        service.add_sim_switch("fs", &switch, config.clone()),
        service.add_sim_switch("fs", &switch, config.clone()),
    );
    let refused = [&first, &second]
        .iter()
        .filter(|r| matches!(r, Err(Error::Rejected(text)) if text.contains("already added")))
        .count();
    assert_eq!(refused, 1, "{first:?} {second:?}");
    assert!(first.is_ok() || second.is_ok());
    assert_eq!(service.switches(), ["fs"]);
    service.close().await;
}
