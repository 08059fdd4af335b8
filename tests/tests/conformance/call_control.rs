//! Call-control scenarios every adapter must pass: a service over three simulated switches
//! with switchy's router, apps owning the calls they originate, all-or-nothing loading, and
//! one switch going down and coming back; plus the session and close rules found on a live
//! switch.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{mpsc, Arc, Mutex};

use esl_proto::dptools::DialString;
use esl_sim::SimSwitch;

use crate::harness::{
    Adapter, AppSpec, EventScript, Item, RouteScript, RouteSpec, RouterSpec, Settings, TestError,
    TestService,
};
use crate::scenarios::{received, settled, switch_until, WAIT};

/// Which handler ran for which call: (switch, uuid, what).
type Log = Arc<Mutex<Vec<(String, String, String)>>>;

/// switchy-services.rst's router: block international numbers with a 407, long distance
/// through a gateway, 2xxx to sales and 4xxx to support through their proxies.
fn switchy_router(log: &Log) -> AppSpec {
    let seen = log.clone();
    let reject: RouteScript = Arc::new(move |call, m| {
        let code = m.param("response").unwrap_or("407");
        seen.lock()
            .unwrap()
            .push((call.switch(), call.uuid(), format!("reject {code}")));
        call.respond(code.parse().unwrap_or(407))?;
        call.hangup("CALL_REJECTED")?;
        Ok(true)
    });
    let seen = log.clone();
    let bridge: RouteScript = Arc::new(move |call, m| {
        let destination = call.header("Caller-Destination-Number").unwrap_or_default();
        let dial = match (m.param("gateway"), m.param("profile"), m.param("proxy")) {
            (Some(gateway), _, _) => DialString::gateway(gateway, &destination),
            (None, Some(profile), Some(proxy)) => {
                DialString::via_proxy(profile, &destination, proxy)
            }
            _ => DialString::profile("internal", &destination),
        }
        .map_err(|e| TestError::Other(e.to_string()))?;
        seen.lock().unwrap().push((
            call.switch(),
            call.uuid(),
            format!("bridge {}", dial.as_str()),
        ));
        call.answer()?;
        call.bridge_nowait(dial.as_str())?;
        Ok(true)
    });
    AppSpec::Router(RouterSpec {
        guards: vec![("Call-Direction", "inbound")],
        handlers: vec![reject, bridge],
        routes: vec![
            RouteSpec {
                pattern: "00(.*)|011(.*)",
                params: vec![("response", "407")],
                handler: 0,
            },
            RouteSpec {
                pattern: "1(.*)",
                params: vec![("gateway", "long_distance_trunk")],
                handler: 1,
            },
            RouteSpec {
                pattern: r"2[1-9]{3}$",
                params: vec![("profile", "internal"), ("proxy", "salespbx.com")],
                handler: 1,
            },
            RouteSpec {
                pattern: r"4[1-9]{3}$",
                params: vec![("profile", "internal"), ("proxy", "supportpbx.com")],
                handler: 1,
            },
        ],
    })
}

/// Three switches, each added to `service` as `fs0`..`fs2`.
fn three_switches(service: &dyn TestService) -> Vec<SimSwitch> {
    let switches: Vec<SimSwitch> = (0..3).map(|_| SimSwitch::start()).collect();
    for (i, switch) in switches.iter().enumerate() {
        service
            .add_switch(&format!("fs{i}"), &switch.addr().to_string())
            .unwrap();
    }
    switches
}

/// The applications a call ran on switch `owner`, checking that none ran on another.
fn ran(switches: &[SimSwitch], owner: usize, uuid: &str) -> Vec<(String, String)> {
    for (i, switch) in switches.iter().enumerate() {
        if i != owner {
            assert!(
                switch.applications(uuid).is_empty(),
                "a command for {uuid} reached switch {i}"
            );
        }
    }
    switches[owner].applications(uuid)
}

pub(crate) fn a_router_routes_calls_on_every_switch_and_survives_one_going_down(
    adapter: &dyn Adapter,
) {
    let service = adapter.service();
    let switches = three_switches(service.as_ref());
    let log: Log = Arc::default();
    service.load("router", switchy_router(&log), true).unwrap();
    assert_eq!(service.switches(), ["fs0", "fs1", "fs2"]);

    // (destination, what the router must make the call run) on each switch.
    let cases: [(&str, Vec<(&str, &str)>); 5] = [
        (
            "011441234567",
            vec![("respond", "407"), ("hangup", "CALL_REJECTED")],
        ),
        (
            "18005550100",
            vec![
                ("answer", ""),
                ("bridge", "sofia/gateway/long_distance_trunk/18005550100"),
            ],
        ),
        (
            "2345",
            vec![
                ("answer", ""),
                ("bridge", "sofia/internal/2345;fs_path=sip:salespbx.com"),
            ],
        ),
        (
            "4321",
            vec![
                ("answer", ""),
                ("bridge", "sofia/internal/4321;fs_path=sip:supportpbx.com"),
            ],
        ),
        // 2xxx means 2 and three of 1-9: 2001 matches no route and stays parked.
        ("2001", vec![]),
    ];
    let check_switch = |owner: usize| {
        let calls: Vec<(String, &Vec<(&str, &str)>)> = cases
            .iter()
            .map(|(to, expected)| (switches[owner].inbound_call("1000", to, &[]), expected))
            .collect();
        for (uuid, expected) in &calls {
            if expected.is_empty() {
                continue;
            }
            switch_until(
                &switches[owner],
                &format!("the router to handle {uuid}"),
                |s| s.applications(uuid).len() > expected.len(),
            );
            let apps = ran(&switches, owner, uuid);
            assert_eq!(apps[0].0, "park", "the call parked first");
            let after_park: Vec<(&str, &str)> = apps[1..]
                .iter()
                .map(|(a, g)| (a.as_str(), g.as_str()))
                .collect();
            assert_eq!(&after_park, *expected, "call to switch {owner}");
        }
        // The unrouted call: every routed call of the same switch came after it was parked,
        // so had it been routed, its commands would be there too.
        let (unrouted, _) = &calls[4];
        assert_eq!(ran(&switches, owner, unrouted).len(), 1, "2001 only parked");
    };
    for owner in 0..3 {
        check_switch(owner);
    }
    assert_eq!(
        log.lock().unwrap().len(),
        3 * 4,
        "one handler per routed call"
    );

    // fs1 goes down: calls on fs0 and fs2 are still routed.
    switches[1].pause();
    check_switch(0);
    check_switch(2);
    // fs1 comes back: the service reconnects, replays its subscription, and routes again.
    switches[1].resume();
    switch_until(&switches[1], "fs1 to reconnect", |s| s.connections() == 1);
    // A request made while the connection comes up waits for it; its reply comes after the
    // replayed subscription's.
    assert!(service.api("fs1", "status").unwrap().contains("is ready"));
    check_switch(1);
    service.close();
}

pub(crate) fn an_app_owns_the_calls_it_originates(adapter: &dyn Adapter) {
    let service = adapter.service();
    let switches = three_switches(service.as_ref());
    let (seen, ivr_answered) = mpsc::channel();
    let (count, default_answered) = mpsc::channel();
    let ivr: EventScript = Arc::new(move |call| {
        call.set_variables(&[("ivr_step", "greeting"), ("ivr_lang", "en")])
            .unwrap();
        let _ = seen.send((call.switch(), call.uuid()));
    });
    service
        .load("ivr", AppSpec::Events(vec![("CHANNEL_ANSWER", ivr)]), false)
        .unwrap();
    let fallback: EventScript = Arc::new(move |call| {
        let _ = count.send(call.uuid());
    });
    service
        .load(
            "fallback",
            AppSpec::Events(vec![("CHANNEL_ANSWER", fallback)]),
            true,
        )
        .unwrap();

    let uuid = service
        .originate("fs2", "ivr", "loopback/park", "&park")
        .unwrap();
    // Both legs of the loopback call carry the app's variable: both answers are the app's,
    // both on fs2.
    let answered = [
        received(&ivr_answered, "the first leg reaches the app"),
        received(&ivr_answered, "the second leg reaches the app"),
    ];
    assert!(
        answered.iter().all(|(switch, _)| switch == "fs2"),
        "{answered:?}"
    );
    assert!(answered.iter().any(|(_, leg)| *leg == uuid), "{answered:?}");
    // Commands went back to fs2, where the call is.
    switch_until(&switches[2], "the variables are set on fs2", |s| {
        s.channel_variable(&uuid, "ivr_lang").is_some()
    });
    assert_eq!(
        switches[2].channel_variable(&uuid, "ivr_step").as_deref(),
        Some("greeting")
    );
    assert!(
        default_answered.try_recv().is_err(),
        "the default app got none"
    );
    // A call originated without an app goes to the default app only.
    let plain = service
        .originate_plain("fs0", "loopback/park", "&park")
        .unwrap();
    let legs = [
        received(&default_answered, "the default app gets the first leg"),
        received(&default_answered, "the default app gets the second leg"),
    ];
    assert!(legs.contains(&plain), "{legs:?}");
    assert!(ivr_answered.try_recv().is_err(), "the app got no more");
    // The originate's error comes back as its result.
    match service.originate("fs1", "ivr", "loopback/nowhere", "&park") {
        Err(TestError::Rejected(cause)) => assert!(cause.contains("NO_ROUTE_DESTINATION")),
        other => panic!("expected the switch's cause, got {other:?}"),
    }
    service.close();
}

pub(crate) fn loading_an_app_is_all_or_nothing(adapter: &dyn Adapter) {
    let service = adapter.service();
    let switch = SimSwitch::start();
    service
        .add_switch("fs0", &switch.addr().to_string())
        .unwrap();
    let nothing: EventScript = Arc::new(|_| {});
    let app = || AppSpec::Events(vec![("CHANNEL_PARK", nothing.clone())]);
    service.load("a", app(), false).unwrap();
    // The same id twice, an id that cannot travel, an event name that cannot travel.
    assert!(
        matches!(service.load("a", app(), false), Err(TestError::Rejected(t)) if t.contains("already loaded"))
    );
    assert!(
        matches!(service.load("b,c", app(), false), Err(TestError::Rejected(t)) if t.contains("app id"))
    );
    let bad = AppSpec::Events(vec![
        ("CHANNEL_ANSWER", nothing.clone()),
        ("CHANNEL_PARK\n\napi hupall", nothing.clone()),
    ]);
    assert!(matches!(
        service.load("bad", bad, false),
        Err(TestError::Other(t)) if t.contains("line break")
    ));
    assert_eq!(service.apps(), ["a"]);
    // A duplicate switch name is refused too, and a call on a switch or for an app the
    // service does not have.
    assert!(matches!(
        service.add_switch("fs0", &switch.addr().to_string()),
        Err(TestError::Rejected(t)) if t.contains("already added")
    ));
    assert!(matches!(
        service.originate("fs9", "a", "loopback/park", "&park"),
        Err(TestError::Rejected(t)) if t.contains("no switch called fs9")
    ));
    assert!(matches!(
        service.originate("fs0", "z", "loopback/park", "&park"),
        Err(TestError::Rejected(t)) if t.contains("no app called z")
    ));
    assert!(service.unload("a"));
    assert!(service.apps().is_empty());
    service.close();
}

pub(crate) fn hanging_up_a_channel_already_gone_is_done(adapter: &dyn Adapter) {
    let switch = SimSwitch::start();
    let (sink, outcomes) = mpsc::channel();
    let sink = Mutex::new(sink);
    let server = adapter.serve(
        Arc::new(move |call| {
            call.answer()?;
            let first = call.hangup();
            let again = call.hangup();
            let _ = sink.lock().unwrap().send([first, again]);
            Ok(())
        }),
        10,
    );
    switch.set_socket_target(server.addr());
    let client = adapter
        .connect(&switch.addr().to_string(), &Settings::default())
        .unwrap();
    client.originate("loopback/socket", "&park").unwrap();
    assert_eq!(
        received(&outcomes, "the call was hung up twice"),
        [Ok(()), Ok(())]
    );
    server.shutdown();
    client.close().unwrap();
}

pub(crate) fn close_never_reconnects(adapter: &dyn Adapter) {
    let switch = SimSwitch::start();
    let settings = Settings {
        reconnect: true,
        ..Settings::default()
    };
    let client = adapter
        .connect(&switch.addr().to_string(), &settings)
        .unwrap();
    client.close().unwrap();
    // The stream ends, with no reconnection marker before its end: the switch's end of the
    // socket after `exit` is not a lost connection.
    loop {
        match client.next(WAIT) {
            Some(Item::Reconnected) => panic!("reconnected after close"),
            Some(_) => continue,
            None => break,
        }
    }
    assert_eq!(client.reconnects(), 0);
    switch_until(&switch, "the switch saw the client go", |s| {
        s.connections() == 0
    });
}

pub(crate) fn a_reset_connection_reports_the_socket_error(adapter: &dyn Adapter) {
    // A switch that authenticates, takes one byte of the next command and drops the socket
    // with the rest unread: the kernel answers with a reset, not a clean close.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let switch = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        socket.write_all(b"Content-Type: auth/request\n\n").unwrap();
        let mut auth = [0u8; b"auth ClueCon\n\n".len()];
        socket.read_exact(&mut auth).unwrap();
        socket
            .write_all(b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
            .unwrap();
        let mut one = [0u8; 1];
        socket.read_exact(&mut one).unwrap();
        drop(socket);
    });
    let client = adapter
        .connect(&addr.to_string(), &Settings::default())
        .unwrap();
    let error = client.api("status").unwrap_err();
    switch.join().unwrap();
    match error {
        TestError::ConnectionLost(text) => assert!(
            text.to_lowercase().contains("reset"),
            "the socket's error is kept: {text}"
        ),
        other => panic!("expected the socket error, got {other:?}"),
    }
}

pub(crate) fn the_call_table_follows_calls_and_is_rebuilt_after_a_reconnect(adapter: &dyn Adapter) {
    let switch = SimSwitch::start();
    let settings = Settings {
        reconnect: true,
        ..Settings::default()
    };
    let client = adapter
        .connect(&switch.addr().to_string(), &settings)
        .unwrap();
    // A call up before the table exists: found by listing the channels.
    let before = client.originate("loopback/park", "&park").unwrap();
    let table = client.track();
    // The listing went out when tracking started: a reply to a later request comes after it.
    client.api("status").unwrap();
    assert!(!table.is_stale(), "the channels already up are listed");
    assert!(table.channels().contains(&before), "{:?}", table.channels());

    // A new call: both legs appear, grouped in one call, and leave when it ends.
    // Once the switch has nothing more to do, a reply comes after every event it sent.
    let call = client.originate("loopback/park", "&park").unwrap();
    settled(&switch);
    client.api("status").unwrap();
    let legs = table.legs_of(&call);
    assert_eq!(legs.len(), 2, "both legs are in one call: {legs:?}");
    assert!(legs.iter().all(|leg| table.channels().contains(leg)));
    client.api(&format!("uuid_kill {call}")).unwrap();
    settled(&switch);
    client.api("status").unwrap();
    let up = table.channels();
    assert!(
        legs.iter().all(|leg| !up.contains(leg)),
        "both legs leave: {up:?}"
    );
    let mut created = false;
    let mut removed = Vec::new();
    while removed.len() < 2 {
        match table.next_change(WAIT) {
            Some(Item::Change(esl_proto::Change::ChannelCreated(uuid))) if uuid == call => {
                created = true
            }
            Some(Item::Change(esl_proto::Change::ChannelRemoved(channel))) => {
                if legs.contains(&channel.uuid) {
                    removed.push(channel.uuid);
                }
            }
            Some(_) => {}
            None => panic!("the change stream ended or went quiet"),
        }
    }
    assert!(created, "the new call's creation was a change");

    // The switch's event socket goes away; a call comes in meanwhile. Its events are never
    // received: the table is rebuilt from the listing once the client is back.
    switch.pause();
    let missed = switch.inbound_call("1000", "2000", &[]);
    switch.resume();
    let mut marked = false;
    loop {
        match table.next_change(WAIT) {
            Some(Item::Reconnected) => marked = true,
            Some(Item::Change(esl_proto::Change::ChannelCreated(uuid))) if uuid == missed => break,
            Some(_) => {}
            None => panic!("no change for the call made while away"),
        }
    }
    assert!(
        marked,
        "a reconnection marker comes before the rebuilt table"
    );
    // The change came from the rebuilt table, which is whole again.
    assert!(!table.is_stale());
    assert!(table.channels().contains(&missed));
    client.close().unwrap();
}
