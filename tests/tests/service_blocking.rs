//! The call-control layer of esl-blocking (threads, no runtime) against three simulated
//! switches: the router of switchy's documentation on every switch, every command going to
//! the switch that owns the call, apps owning the calls they originate, all-or-nothing
//! loading, and one switch going down and coming back without disturbing the others.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use esl_blocking::esl_proto::dptools::DialString;
use esl_blocking::esl_proto::route::Flow;
use esl_blocking::{App, ClientConfig, Reconnect, Router, Service};
use esl_sim::SimSwitch;

fn config() -> ClientConfig {
    ClientConfig {
        reconnect: Some(Reconnect {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(100),
            ..Reconnect::default()
        }),
        ..ClientConfig::password("ClueCon")
    }
}

/// Which handler ran for which call, on which switch.
type Log = Arc<Mutex<Vec<(String, String, String)>>>;

/// switchy-services.rst's router: block international numbers with a 407, long distance
/// through a gateway, 2xxx to sales and 4xxx to support through their proxies.
fn switchy_router(log: &Log) -> Router {
    let mut router = Router::new();
    router.guard("Call-Direction", "inbound");
    let seen = log.clone();
    let reject = router.handler(move |channel, m| {
        seen.lock().unwrap().push((
            channel.peer().to_owned(),
            channel.uuid().to_owned(),
            format!("reject {}", m.param("response").unwrap_or_default()),
        ));
        let code = m.param("response").unwrap_or("407").parse().unwrap_or(407);
        channel.respond(code, None)?;
        channel.hangup(Some("CALL_REJECTED"))?;
        Ok(Flow::Stop)
    });
    let seen = log.clone();
    let bridge = router.handler(move |channel, m| {
        let destination = channel
            .header("Caller-Destination-Number")
            .unwrap_or_default();
        let dial = match (m.param("gateway"), m.param("profile"), m.param("proxy")) {
            (Some(gateway), _, _) => DialString::gateway(gateway, &destination)?,
            (None, Some(profile), Some(proxy)) => {
                DialString::via_proxy(profile, &destination, proxy)?
            }
            _ => DialString::profile("internal", &destination)?,
        };
        seen.lock().unwrap().push((
            channel.peer().to_owned(),
            channel.uuid().to_owned(),
            format!("bridge {}", dial.as_str()),
        ));
        channel.answer()?;
        channel.bridge_nowait(&dial)?;
        Ok(Flow::Stop)
    });
    router
        .route("00(.*)|011(.*)", reject)
        .unwrap()
        .param("response", "407");
    router
        .route("1(.*)", bridge)
        .unwrap()
        .param("gateway", "long_distance_trunk");
    router
        .route(r"2[1-9]{3}$", bridge)
        .unwrap()
        .param("profile", "internal")
        .param("proxy", "salespbx.com");
    router
        .route(r"4[1-9]{3}$", bridge)
        .unwrap()
        .param("profile", "internal")
        .param("proxy", "supportpbx.com");
    router
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The applications a call ran on `switch` (and on no other).
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

fn service_over(switches: &[SimSwitch]) -> Service {
    let service = Service::new();
    for (i, switch) in switches.iter().enumerate() {
        service
            .add_switch(&format!("fs{i}"), &switch.addr().to_string(), config())
            .unwrap();
    }
    service
}

#[test]
fn the_router_handles_calls_on_every_switch_and_survives_one_going_down() {
    let switches: Vec<SimSwitch> = (0..3).map(|_| SimSwitch::start()).collect();
    let service = service_over(&switches);
    let log: Log = Arc::default();
    service
        .load_default("router", switchy_router(&log).into_app())
        .unwrap();
    assert_eq!(service.switches(), ["fs0", "fs1", "fs2"]);
    assert_eq!(service.apps(), ["router"]);

    // (destination, what the router must do) on each switch.
    let cases = [
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
            wait_for(
                &format!("the router to handle {uuid} on switch {owner}"),
                || {
                    let apps = ran(&switches, owner, uuid);
                    apps.len() > expected.len() || expected.is_empty()
                },
            );
            // The call parked first, then got exactly the route's commands.
            let apps = ran(&switches, owner, uuid);
            let after_park: Vec<(&str, &str)> = apps[1..]
                .iter()
                .map(|(a, g)| (a.as_str(), g.as_str()))
                .collect();
            assert_eq!(apps[0].0, "park");
            assert_eq!(&after_park, *expected, "call to switch {owner}");
        }
        calls
    };
    for owner in 0..3 {
        check_switch(owner);
    }
    {
        let log = log.lock().unwrap();
        assert_eq!(log.len(), 3 * 4, "one handler per routed call: {log:?}");
        // Each handler's channel talked to the switch the call was on.
        for (i, switch) in switches.iter().enumerate() {
            let addr = switch.addr().to_string();
            let on_it = log.iter().filter(|(peer, _, _)| *peer == addr).count();
            assert_eq!(on_it, 4, "routed calls on fs{i}: {log:?}");
        }
    }
    // The unrouted 2001 stayed parked: no handler ran for it.
    assert!(log
        .lock()
        .unwrap()
        .iter()
        .all(|(_, _, what)| !what.contains("2001")));

    // fs1 goes down: calls on fs0 and fs2 are still routed.
    switches[1].pause();
    std::thread::sleep(Duration::from_millis(50));
    check_switch(0);
    check_switch(2);
    // fs1 comes back: the service reconnects, replays its subscription, and routes again.
    switches[1].resume();
    wait_for("fs1 to reconnect", || switches[1].connections() == 1);
    // A reply on the new connection comes after the replayed subscription's: from here on,
    // fs1's parked calls reach the service.
    let fs1 = service.switch("fs1").unwrap();
    wait_for("a request to succeed on fs1", || fs1.api("status").is_ok());
    check_switch(1);
    assert_eq!(log.lock().unwrap().len(), 3 * 4 + 3 * 4);
    service.close();
    assert!(service.switches().is_empty());
    wait_for("every connection to close", || {
        switches.iter().all(|s| s.connections() == 0)
    });
}

#[test]
fn a_call_originated_with_an_app_goes_to_that_app_and_no_other() {
    let switches: Vec<SimSwitch> = (0..3).map(|_| SimSwitch::start()).collect();
    let service = service_over(&switches);
    let ivr_answered = Arc::new(Mutex::new(Vec::new()));
    let default_answered = Arc::new(AtomicUsize::new(0));
    let seen = ivr_answered.clone();
    let ivr = App::new().on("CHANNEL_ANSWER", move |call| {
        let channel = call.channel().unwrap();
        channel
            .set_variables([("ivr_step", "greeting"), ("ivr_lang", "en")])
            .unwrap();
        seen.lock()
            .unwrap()
            .push((call.switch.to_string(), channel.uuid().to_owned()));
    });
    service.load("ivr", ivr).unwrap();
    let count = default_answered.clone();
    let fallback = App::new().on("CHANNEL_ANSWER", move |_| {
        count.fetch_add(1, Ordering::Relaxed);
    });
    service.load_default("fallback", fallback).unwrap();
    assert_eq!(service.apps(), ["ivr", "fallback"]);

    let job = service
        .originate("fs2", "ivr", "loopback/park", "&park")
        .unwrap();
    let uuid = job.channel_uuid().unwrap();
    // Both legs of the loopback call carry the app's variable: both answers are the app's,
    // both on fs2.
    wait_for("both legs to be answered", || {
        ivr_answered.lock().unwrap().len() == 2
    });
    let answered = ivr_answered.lock().unwrap().clone();
    assert!(
        answered.iter().all(|(switch, _)| switch == "fs2"),
        "{answered:?}"
    );
    assert!(answered.iter().any(|(_, leg)| *leg == uuid), "{answered:?}");
    let legs: Vec<&String> = answered.iter().map(|(_, leg)| leg).collect();
    assert_ne!(legs[0], legs[1], "one answer per leg");
    // Both legs carry the variable, and the commands went back to fs2, where the call is.
    for leg in &legs {
        assert_eq!(
            switches[2].channel_variable(leg, "esl_app").as_deref(),
            Some("ivr")
        );
        wait_for("the ivr's variables", || {
            switches[2].channel_variable(leg, "ivr_lang").is_some()
        });
        assert_eq!(
            switches[2].channel_variable(leg, "ivr_step").as_deref(),
            Some("greeting")
        );
        assert!(switches[0].applications(leg).is_empty());
        assert!(switches[1].applications(leg).is_empty());
    }
    assert_eq!(default_answered.load(Ordering::Relaxed), 0);

    // A call originated without an app goes to the default app only.
    let plain = service.switch("fs0").unwrap();
    plain.originate("loopback/park", "&park").unwrap();
    wait_for("the default app's answers", || {
        default_answered.load(Ordering::Relaxed) == 2
    });
    assert_eq!(ivr_answered.lock().unwrap().len(), 2);

    // The originate's error comes back as the job's result; an unknown app or switch is
    // refused before anything is sent.
    let failed = service
        .originate("fs1", "ivr", "loopback/nowhere", "&park")
        .unwrap();
    let error = failed.channel_uuid().unwrap_err();
    assert!(
        error.to_string().contains("NO_ROUTE_DESTINATION"),
        "{error}"
    );
    assert!(service
        .originate("fs1", "nobody", "loopback/park", "&park")
        .is_err());
    assert!(service
        .originate("fs9", "ivr", "loopback/park", "&park")
        .is_err());
    service.close();
}

#[test]
fn loading_is_all_or_nothing() {
    let switch = SimSwitch::start();
    let service = Service::new();
    service
        .add_switch("fs0", &switch.addr().to_string(), config())
        .unwrap();
    let ok = App::new().on("CHANNEL_PARK", |_| {});
    service.load("a", ok.clone()).unwrap();
    // The same id twice, an id that cannot travel, an event name that cannot travel.
    assert!(service.load("a", ok.clone()).is_err());
    assert!(service.load("b,c", ok.clone()).is_err());
    assert!(service.load("", ok.clone()).is_err());
    let bad = App::new()
        .on("CHANNEL_ANSWER", |_| {})
        .on("CHANNEL_PARK\n\napi hupall", |_| {});
    assert!(service.load("bad", bad).is_err());
    assert_eq!(service.apps(), ["a"]);
    // Nothing of the refused app reached the switch.
    let subscribed = service.switch("fs0").unwrap().subscriptions();
    let events: Vec<&str> = subscribed.events().collect();
    assert_eq!(events, ["CHANNEL_PARK"]);
    // A duplicate switch name is refused too.
    assert!(service
        .add_switch("fs0", &switch.addr().to_string(), config())
        .is_err());
    assert_eq!(service.switches(), ["fs0"]);
    assert!(service.unload("a"));
    assert!(!service.unload("a"));
    assert!(service.apps().is_empty());
    service.close();
}

#[test]
fn a_switch_added_after_loading_gets_the_apps() {
    let switches: Vec<SimSwitch> = (0..2).map(|_| SimSwitch::start()).collect();
    let service = Service::new();
    service
        .add_switch("fs0", &switches[0].addr().to_string(), config())
        .unwrap();
    let log: Log = Arc::default();
    service
        .load_default("router", switchy_router(&log).into_app())
        .unwrap();
    service
        .add_switch("fs1", &switches[1].addr().to_string(), config())
        .unwrap();
    let uuid = switches[1].inbound_call("1000", "4321", &[]);
    wait_for("the late switch's call to be bridged", || {
        ran(&switches, 1, &uuid).iter().any(|(a, _)| a == "bridge")
    });
    service.close();
}
