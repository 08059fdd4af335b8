//! The scenarios every adapter must pass, each written once, over TCP against the
//! simulated switch.

use std::net::TcpListener;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use esl_proto::{EventFormat, EventName};
use esl_sim::{Config, Fault, SimSwitch};

use crate::harness::{Adapter, Client, Item, OverflowKind, Settings, TestError};

/// How long a scenario waits for what must come before it calls it a hang. Only a broken
/// adapter ever waits this long: every wait ends on the thing awaited (an event, a reply, a
/// change the switch reports), never on time passing.
pub(crate) const WAIT: Duration = Duration::from_secs(60);
const TONE: &str = "tone_stream://%(200,100,440);loops=2";

fn switch() -> SimSwitch {
    SimSwitch::with_config(Config::default().time_scale(0.05))
}

fn connect(adapter: &dyn Adapter, switch: &SimSwitch) -> Box<dyn Client> {
    connect_with(adapter, switch, Settings::default())
}

fn connect_with(adapter: &dyn Adapter, switch: &SimSwitch, settings: Settings) -> Box<dyn Client> {
    adapter
        .connect(&switch.addr().to_string(), &settings)
        .expect("connect to the simulated switch")
}

/// Events until `count` of `name` have been seen (or `WAIT` passed).
fn events_named(client: &dyn Client, name: &str, count: usize) -> Vec<esl_proto::Event> {
    let deadline = Instant::now() + WAIT;
    let mut found = Vec::new();
    while found.len() < count && Instant::now() < deadline {
        if let Some(Item::Event(event)) = client.next(deadline - Instant::now()) {
            if event.is(name) {
                found.push(event);
            }
        }
    }
    found
}

/// Waits until `done` holds of the switch, woken by each change the switch makes.
pub(crate) fn switch_until(
    switch: &SimSwitch,
    what: &str,
    done: impl FnMut(&esl_sim::Switch) -> bool,
) {
    assert!(
        switch.wait_until(WAIT, done),
        "timed out waiting until {what}"
    );
}

/// Waits until the switch has nothing scheduled: whatever it will do without a new request
/// it has done, and the events it made are queued to their connections.
pub(crate) fn settled(switch: &SimSwitch) {
    switch_until(switch, "the switch has nothing scheduled", |s| {
        s.poll_timeout().is_none()
    });
}

/// The next message on `rx`, which a handler or script sends when it ran.
pub(crate) fn received<T>(rx: &mpsc::Receiver<T>, what: &str) -> T {
    rx.recv_timeout(WAIT)
        .unwrap_or_else(|e| panic!("{what}: {e:?}"))
}

pub(crate) fn auth_ok(adapter: &dyn Adapter) {
    let switch = switch();
    let client = connect(adapter, &switch);
    assert!(client.api("status").unwrap().contains("is ready"));
    client.close().unwrap();
}

pub(crate) fn auth_failed(adapter: &dyn Adapter) {
    let switch = switch();
    let settings = Settings {
        password: "WrongPassword".into(),
        ..Settings::default()
    };
    match adapter.connect(&switch.addr().to_string(), &settings) {
        Err(TestError::Auth(reply)) => assert_eq!(reply, "-ERR invalid"),
        Err(other) => panic!("expected an auth error, got {other:?}"),
        Ok(_) => panic!("a wrong password was accepted"),
    }
}

pub(crate) fn unreachable_switch(adapter: &dyn Adapter) {
    // A port nobody listens on: bind one, note it, free it.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    match adapter.connect(&addr, &Settings::default()) {
        // The error names the address and the reason.
        Err(TestError::Io(message)) => {
            let prefix = format!("cannot connect to {addr}: ");
            assert!(message.starts_with(&prefix), "{message}");
            assert!(message.to_lowercase().contains("refused"), "{message}");
        }
        Err(other) => panic!("expected a connection error, got {other:?}"),
        Ok(_) => panic!("connected to nothing"),
    }
}

pub(crate) fn api_and_its_errors(adapter: &dyn Adapter) {
    let switch = switch();
    let client = connect(adapter, &switch);
    assert_eq!(client.api("global_setvar conformance=yes").unwrap(), "+OK");
    assert_eq!(client.api("global_getvar conformance").unwrap(), "yes");
    assert_eq!(
        client.api("no_such_command").unwrap_err(),
        TestError::Rejected("-ERR no_such_command Command not found!\n".into())
    );
    assert_eq!(
        client.api("global_getvar nothing_here").unwrap_err(),
        TestError::Rejected("-ERR no reply\n".into())
    );
    assert!(
        matches!(client.api("originate"), Err(TestError::Rejected(t)) if t.starts_with("-USAGE"))
    );
    // A line break would inject a second command: refused before anything is sent.
    assert!(matches!(
        client.api("status\n\nexit"),
        Err(TestError::Other(_))
    ));
    assert!(client.api("status").is_ok(), "the connection is unharmed");
}

pub(crate) fn bgapi_jobs(adapter: &dyn Adapter) {
    let switch = switch();
    let client = connect(adapter, &switch);
    assert!(client.bgapi("status").unwrap().contains("is ready"));
    assert_eq!(
        client.bgapi("no_such_command arg").unwrap_err(),
        TestError::Rejected("-ERR no_such_command Command not found!\n".into())
    );
    let uuid = client.originate("loopback/park", "&park").unwrap();
    assert_eq!(uuid.len(), 36, "{uuid}");
    assert!(switch.channels().contains(&uuid));
    assert!(matches!(
        client.originate("loopback/nowhere", "&park"),
        Err(TestError::Rejected(cause)) if cause.contains("NO_ROUTE_DESTINATION")
    ));
}

pub(crate) fn execute_waits_for_completion(adapter: &dyn Adapter) {
    let switch = switch();
    let client = connect(adapter, &switch);
    let uuid = client.originate("loopback/park", "&park").unwrap();
    assert_eq!(
        client.execute(&uuid, "playback", Some(TONE)).unwrap(),
        "FILE PLAYED"
    );
    client.execute(&uuid, "set", Some("colour=blue")).unwrap();
    assert_eq!(
        switch.channel_variable(&uuid, "colour").as_deref(),
        Some("blue")
    );
    client.api(&format!("uuid_kill {uuid}")).unwrap();
    assert!(matches!(
        client.execute(&uuid, "answer", None),
        Err(TestError::Rejected(t)) if t.starts_with("-ERR invalid session id")
    ));
}

pub(crate) fn events_in_three_formats(adapter: &dyn Adapter) {
    let switch = switch();
    for format in [EventFormat::Plain, EventFormat::Json, EventFormat::Xml] {
        let client = connect(adapter, &switch);
        client
            .subscribe(
                format,
                &[
                    "CHANNEL_CREATE",
                    "CHANNEL_ANSWER",
                    "CHANNEL_HANGUP_COMPLETE",
                ],
            )
            .unwrap();
        let uuid = client.originate("loopback/park", "&park").unwrap();
        let answers = events_named(client.as_ref(), "CHANNEL_ANSWER", 2);
        assert_eq!(answers.len(), 2, "{format}");
        for event in &answers {
            assert_eq!(event.format(), format);
            // Percent-encoded on the plain and XML wire, literal in JSON: decoded the same.
            assert_eq!(event.header("Answer-State").as_deref(), Some("answered"));
            assert!(event.header("Event-Date-GMT").unwrap().contains(" GMT"));
        }
        client.api(&format!("uuid_kill {uuid}")).unwrap();
        let done = events_named(client.as_ref(), "CHANNEL_HANGUP_COMPLETE", 2);
        assert_eq!(done.len(), 2, "{format}");
        assert_eq!(done[0].hangup_cause().as_deref(), Some("NORMAL_CLEARING"));
        client.close().unwrap();
    }
}

pub(crate) fn filters(adapter: &dyn Adapter) {
    let switch = switch();
    let client = connect(adapter, &switch);
    client.subscribe(EventFormat::Plain, &["ALL"]).unwrap();
    client.filter("Event-Name", "CHANNEL_ANSWER").unwrap();
    let uuid = client.originate("loopback/park", "&park").unwrap();
    let answers = events_named(client.as_ref(), "CHANNEL_ANSWER", 2);
    assert_eq!(answers.len(), 2);
    client.api(&format!("uuid_kill {uuid}")).unwrap();
    // Once the hangup's events are out, a reply marks the end of what the switch sent: every
    // event before it is in the stream when it returns.
    settled(&switch);
    assert!(switch.channels().is_empty(), "the call was hung up");
    client.api("status").unwrap();
    // Nothing but answers came through, while ALL was subscribed.
    while let Some(item) = client.try_next() {
        if let Item::Event(event) = item {
            assert_eq!(event.name(), EventName::ChannelAnswer);
        }
    }
}

pub(crate) fn handlers(adapter: &dyn Adapter) {
    let switch = switch();
    let client = connect(adapter, &switch);
    let (answered, answers) = mpsc::channel();
    client.on(
        "CHANNEL_ANSWER",
        Box::new(move |event| {
            let _ = answered.send(event.unique_id().map(|u| u.into_owned()));
        }),
    );
    client
        .subscribe(EventFormat::Plain, &["CHANNEL_ANSWER"])
        .unwrap();
    let uuid = client.originate("loopback/park", "&park").unwrap();
    let mut legs = [
        received(&answers, "the first leg's answer"),
        received(&answers, "the second leg's answer"),
    ];
    legs.sort();
    // One call per leg, and no more.
    assert!(legs.iter().all(Option::is_some), "{legs:?}");
    assert_ne!(legs[0], legs[1]);
    assert!(legs.contains(&Some(uuid)));
    settled(&switch);
    client.api("status").unwrap();
    assert!(answers.try_recv().is_err(), "a third answer");
}

pub(crate) fn outbound_call_end_to_end(adapter: &dyn Adapter) {
    let switch = switch();
    let (sink, reports) = mpsc::channel();
    let server = adapter.serve(
        Arc::new(move |call| {
            call.answer()?;
            let played = call.playback(TONE)?;
            call.set_variable("routed_by", "conformance")?;
            let read_back = call.get_variable("routed_by")?;
            let missing = call.get_variable("never_set")?;
            let _ = sink.send((call.uuid(), call.destination(), played, read_back, missing));
            call.hangup()
        }),
        10,
    );
    switch.set_socket_target(server.addr());
    let client = connect(adapter, &switch);
    client
        .subscribe(EventFormat::Plain, &["CHANNEL_HANGUP_COMPLETE"])
        .unwrap();
    client.originate("loopback/socket", "&park").unwrap();
    let (uuid, destination, played, read_back, missing) =
        received(&reports, "the call was handled");
    assert_eq!(destination, "socket");
    assert_eq!(played, "FILE PLAYED");
    assert_eq!(read_back.as_deref(), Some("conformance"));
    assert_eq!(missing, None);
    let hung_up = events_named(client.as_ref(), "CHANNEL_HANGUP_COMPLETE", 2);
    assert!(hung_up
        .iter()
        .any(|e| e.unique_id().as_deref() == Some(uuid.as_str())));
    switch_until(&switch, "the server let the call go", |s| {
        s.connections() == 1
    });
    assert_eq!(server.calls(), 1);
    server.shutdown();
}

pub(crate) fn close_in_the_middle_of_a_request(adapter: &dyn Adapter) {
    let switch = switch();
    let client = connect(adapter, &switch);
    switch.set_fault(Fault::CloseMidReply);
    // The connection's error, not the (very long) request timeout.
    let result = client.api("status");
    assert!(
        matches!(result, Err(TestError::ConnectionLost(_))),
        "{result:?}"
    );
    // And every later request fails at once, without a reconnect policy.
    assert!(matches!(
        client.api("status"),
        Err(TestError::ConnectionLost(_) | TestError::Other(_))
    ));
}

pub(crate) fn every_pending_request_fails_when_the_connection_dies(adapter: &dyn Adapter) {
    let switch = switch();
    let client = Arc::new(connect(adapter, &switch));
    switch.set_fault(Fault::WithholdReplies);
    let commands: Vec<String> = (0..20).map(|i| format!("eval {i}")).collect();
    let waiting = {
        let client = client.clone();
        std::thread::spawn(move || client.concurrent_api(commands))
    };
    // Every request is out and waiting for the reply the switch withholds.
    switch_until(&switch, "the switch has read all 20 requests", |s| {
        s.commands()
            .iter()
            .filter(|c| c.line().starts_with("api eval "))
            .count()
            == 20
    });
    switch.kill_connections();
    // Each fails with the connection's error, not at its (very long) timeout.
    let results = waiting.join().unwrap();
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(TestError::ConnectionLost(_)))),
        "{results:?}"
    );
}

pub(crate) fn a_timeout_does_not_steal_the_next_reply(adapter: &dyn Adapter) {
    let switch = switch();
    let client = connect(adapter, &switch);
    // The switch writes nothing until the request has timed out: its reply is late whatever
    // the machine's load.
    switch.set_fault(Fault::Stall);
    assert_eq!(
        client.api_within("global_getvar hostname", Duration::from_millis(100)),
        Err(TestError::Timeout)
    );
    switch.clear_faults();
    // The late reply to the first request arrives first, and must be discarded.
    assert_eq!(client.api("eval second").unwrap(), "second");
    assert_eq!(client.api("eval third").unwrap(), "third");
}

pub(crate) fn many_concurrent_callers_get_their_own_replies(adapter: &dyn Adapter) {
    let switch = switch();
    let client = connect(adapter, &switch);
    let commands: Vec<String> = (0..1000).map(|i| format!("eval reply-{i}")).collect();
    let results = client.concurrent_api(commands);
    assert_eq!(results.len(), 1000);
    for (i, result) in results.into_iter().enumerate() {
        assert_eq!(result.unwrap(), format!("reply-{i}"));
    }
}

pub(crate) fn reconnect_replays_subscriptions(adapter: &dyn Adapter) {
    let switch = switch();
    let settings = Settings {
        reconnect: true,
        ..Settings::default()
    };
    let client = connect_with(adapter, &switch, settings);
    client
        .subscribe(EventFormat::Json, &["CHANNEL_CREATE"])
        .unwrap();
    client.filter("Event-Name", "CHANNEL_CREATE").unwrap();
    switch.restart();
    let deadline = Instant::now() + WAIT;
    loop {
        match client.next(deadline.saturating_duration_since(Instant::now())) {
            Some(Item::Reconnected) => break,
            Some(_) => continue,
            None => panic!("no reconnection marker in the event stream"),
        }
    }
    // Requests work again, and the subscription and its filter came back.
    assert_eq!(client.api("eval back").unwrap(), "back");
    let uuid = client.originate("loopback/park", "&park").unwrap();
    let created = events_named(client.as_ref(), "CHANNEL_CREATE", 2);
    assert_eq!(created.len(), 2);
    assert_eq!(created[0].format(), EventFormat::Json);
    assert!(created
        .iter()
        .any(|e| e.unique_id().as_deref() == Some(uuid.as_str())));
}

pub(crate) fn a_consumer_that_stops_reading(adapter: &dyn Adapter) {
    for overflow in [OverflowKind::DropNewest, OverflowKind::DropOldest] {
        let switch = switch();
        let settings = Settings {
            event_capacity: 8,
            overflow,
            ..Settings::default()
        };
        let client = connect_with(adapter, &switch, settings);
        // Channel events only: with ALL, the `status` below would add its own API event.
        let channel_events = [
            "CHANNEL_CREATE",
            "CHANNEL_STATE",
            "CHANNEL_CALLSTATE",
            "CHANNEL_ANSWER",
            "CHANNEL_EXECUTE",
            "CHANNEL_PARK",
        ];
        client
            .subscribe(EventFormat::Plain, &channel_events)
            .unwrap();
        for _ in 0..3 {
            client.originate("loopback/park", "&park").unwrap();
        }
        // Nobody reads the stream, yet requests are not held up behind it: the reply comes
        // (with the stream full, not at the very long request timeout). Once the switch has
        // nothing more to do, the reply comes after every event of the calls, so the stream
        // holds all it will.
        settled(&switch);
        assert!(client.api("status").is_ok());
        assert!(client.dropped() > 0, "{overflow:?}: events were dropped");
        let mut events = 0;
        let mut lost = 0;
        while let Some(item) = client.try_next() {
            match item {
                Item::Event(_) => events += 1,
                Item::Lost(n) => lost += n,
                _ => {}
            }
        }
        assert_eq!(events, 8, "{overflow:?}: the stream held its capacity");
        assert_eq!(
            lost,
            client.dropped(),
            "{overflow:?}: the gap marker counts what was dropped"
        );
        // Once read, the stream takes events again. A call makes more events than fit:
        // the first ones survive dropping the newest, the last ones dropping the oldest.
        client.originate("loopback/park", "&park").unwrap();
        let survivor = match overflow {
            OverflowKind::DropOldest => "CHANNEL_PARK",
            _ => "CHANNEL_CREATE",
        };
        let more = events_named(client.as_ref(), survivor, 1);
        assert!(
            !more.is_empty(),
            "{overflow:?}: no events after the consumer caught up"
        );
    }
}

pub(crate) fn backpressure_loses_nothing(adapter: &dyn Adapter) {
    let switch = switch();
    let settings = Settings {
        event_capacity: 4,
        overflow: OverflowKind::Backpressure,
        ..Settings::default()
    };
    let client: Arc<Box<dyn Client>> = Arc::new(connect_with(adapter, &switch, settings));
    client
        .subscribe(EventFormat::Plain, &["CHANNEL_CREATE", "CHANNEL_ANSWER"])
        .unwrap();
    // Three calls while nobody reads: the stream fills at 4 and reading stops, with the
    // originates' own results held up behind it, so they wait on threads of their own.
    let calls: Vec<_> = (0..3)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || client.originate("loopback/park", "&park"))
        })
        .collect();
    switch_until(&switch, "the three calls are up", |s| {
        let up = s.channels();
        up.len() == 6 && up.iter().all(|u| s.channel(u).is_some_and(|c| c.answered))
    });
    settled(&switch);
    // Only now a reader: everything the switch sent waited for it.
    let mut seen = 0;
    while seen < 12 {
        match client.next(WAIT) {
            Some(Item::Event(_)) => seen += 1,
            Some(_) => {}
            None => break,
        }
    }
    for call in calls {
        call.join().unwrap().unwrap();
    }
    // 3 calls, 2 legs each: 6 creates and 6 answers, none dropped.
    assert_eq!(seen, 12);
    assert_eq!(client.dropped(), 0);
}
