//! The call-control layer on tokio against three simulated switches: the router of
//! switchy's documentation on every switch, apps owning the calls they originate, all-or-
//! nothing loading, and one switch going down and coming back without disturbing the others.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use esl_async::esl_proto::dptools::DialString;
use esl_async::esl_proto::route::Flow;
use esl_async::{App, ClientConfig, Reconnect, Router, Service};
use esl_sim::SimSwitch;
use esl_tokio::Tokio;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

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
fn switchy_router(log: &Log) -> Router<Tokio> {
    let mut router = Router::new();
    router.guard("Call-Direction", "inbound");
    let seen = log.clone();
    let reject = router.handler(move |channel, m| {
        let seen = seen.clone();
        async move {
            seen.lock().unwrap().push((
                channel.peer().to_owned(),
                channel.uuid().to_owned(),
                format!("reject {}", m.param("response").unwrap_or_default()),
            ));
            let code = m.param("response").unwrap_or("407").parse().unwrap_or(407);
            channel.respond(code, None).await?;
            channel.hangup(Some("CALL_REJECTED")).await?;
            Ok(Flow::Stop)
        }
    });
    let seen = log.clone();
    let bridge = router.handler(move |channel, m| {
        let seen = seen.clone();
        async move {
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
            channel.answer().await?;
            channel.bridge_nowait(&dial).await?;
            Ok(Flow::Stop)
        }
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

#[test]
fn the_router_handles_calls_on_every_switch_and_survives_one_going_down() {
    let rt = runtime();
    let switches: Vec<SimSwitch> = (0..3).map(|_| SimSwitch::start()).collect();
    let service = Service::new(Tokio);
    let log: Log = Arc::default();
    rt.block_on(async {
        for (i, switch) in switches.iter().enumerate() {
            service
                .add_switch(&format!("fs{i}"), &switch.addr().to_string(), config())
                .await
                .unwrap();
        }
        service
            .load_default("router", switchy_router(&log).into_app())
            .await
            .unwrap();
    });
    assert_eq!(service.switches(), ["fs0", "fs1", "fs2"]);

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
    let logged = log.lock().unwrap().len();
    assert_eq!(
        logged,
        3 * 4,
        "one handler per routed call: {:?}",
        log.lock().unwrap()
    );

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
    rt.block_on(async {
        while fs1.api("status").await.is_err() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    check_switch(1);
    rt.block_on(service.close());
}

#[test]
fn a_call_originated_with_an_app_goes_to_that_app_and_no_other() {
    let rt = runtime();
    let switches: Vec<SimSwitch> = (0..3).map(|_| SimSwitch::start()).collect();
    let service = Service::new(Tokio);
    let ivr_answered = Arc::new(Mutex::new(Vec::new()));
    let default_answered = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        for (i, switch) in switches.iter().enumerate() {
            service
                .add_switch(&format!("fs{i}"), &switch.addr().to_string(), config())
                .await
                .unwrap();
        }
        let seen = ivr_answered.clone();
        let ivr = App::new().on("CHANNEL_ANSWER", move |call| {
            let seen = seen.clone();
            async move {
                let channel = call.channel().unwrap();
                channel
                    .set_variables([("ivr_step", "greeting"), ("ivr_lang", "en")])
                    .await
                    .unwrap();
                seen.lock()
                    .unwrap()
                    .push((call.switch.to_string(), channel.uuid().to_owned()));
            }
        });
        service.load("ivr", ivr).await.unwrap();
        let count = default_answered.clone();
        let fallback = App::new().on("CHANNEL_ANSWER", move |_| {
            count.fetch_add(1, Ordering::Relaxed);
            async {}
        });
        service.load_default("fallback", fallback).await.unwrap();

        let job = service
            .originate("fs2", "ivr", "loopback/park", "&park")
            .await
            .unwrap();
        let uuid = job.channel_uuid().await.unwrap();
        // Both legs of the loopback call carry the app's variable: both answers are the
        // app's, both on fs2.
        wait_for_async(|| ivr_answered.lock().unwrap().len() == 2).await;
        let answered = ivr_answered.lock().unwrap().clone();
        assert!(
            answered.iter().all(|(switch, _)| switch == "fs2"),
            "{answered:?}"
        );
        assert!(answered.iter().any(|(_, leg)| *leg == uuid), "{answered:?}");
        // Commands went back to fs2, where the call is.
        wait_for_async(|| switches[2].channel_variable(&uuid, "ivr_lang").is_some()).await;
        assert_eq!(
            switches[2].channel_variable(&uuid, "ivr_step").as_deref(),
            Some("greeting")
        );
        assert_eq!(default_answered.load(Ordering::Relaxed), 0);
        // A call originated without an app goes to the default app only.
        let plain = service.switch("fs0").unwrap();
        plain.originate("loopback/park", "&park").await.unwrap();
        wait_for_async(|| default_answered.load(Ordering::Relaxed) == 2).await;
        assert_eq!(ivr_answered.lock().unwrap().len(), 2);

        // The originate's error comes back as the job's result.
        let failed = service
            .originate("fs1", "ivr", "loopback/nowhere", "&park")
            .await
            .unwrap();
        let error = failed.channel_uuid().await.unwrap_err();
        assert!(
            error.to_string().contains("NO_ROUTE_DESTINATION"),
            "{error}"
        );
        service.close().await;
    });
}

async fn wait_for_async(mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[test]
fn loading_is_all_or_nothing() {
    let rt = runtime();
    let switch = SimSwitch::start();
    let service = Service::new(Tokio);
    rt.block_on(async {
        service
            .add_switch("fs0", &switch.addr().to_string(), config())
            .await
            .unwrap();
        let ok = App::new().on("CHANNEL_PARK", |_| async {});
        service.load("a", ok.clone()).await.unwrap();
        // The same id twice, an id that cannot travel, an event name that cannot travel.
        assert!(service.load("a", ok.clone()).await.is_err());
        assert!(service.load("b,c", ok.clone()).await.is_err());
        let bad = App::new()
            .on("CHANNEL_ANSWER", |_| async {})
            .on("CHANNEL_PARK\n\napi hupall", |_| async {});
        assert!(service.load("bad", bad).await.is_err());
        assert_eq!(service.apps(), ["a"]);
        // A duplicate switch name is refused too.
        assert!(service
            .add_switch("fs0", &switch.addr().to_string(), config())
            .await
            .is_err());
        assert!(service.unload("a"));
        assert!(service.apps().is_empty());
        service.close().await;
    });
}
