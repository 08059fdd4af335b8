//! The call-control layer against one simulated switch: the session API's extras on a
//! parked call and on an outbound session, and the bound of a service's worker pool as its
//! handlers see it.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::Duration;

use esl_blocking::esl_proto::dptools::{Leg, TransferLeg};
use esl_blocking::esl_proto::EventFormat;
use esl_blocking::{App, Channel, ClientConfig, Error, Incoming, Overflow, Service};
use esl_sim::{Config, SimSwitch};

/// How long a test waits for what must come before it calls it a hang. Every wait ends on
/// the thing awaited, never on time passing.
const WAIT: Duration = Duration::from_secs(60);

fn switch() -> SimSwitch {
    SimSwitch::with_config(Config::default().time_scale(0.05))
}

fn config() -> ClientConfig {
    ClientConfig::password("ClueCon")
        .request_timeout(WAIT)
        .connect_timeout(WAIT)
}

/// Waits until `done` holds of the switch, woken by each change the switch makes.
fn switch_until(switch: &SimSwitch, what: &str, done: impl FnMut(&esl_sim::Switch) -> bool) {
    assert!(
        switch.wait_until(WAIT, done),
        "timed out waiting until {what}"
    );
}

fn ran(switch: &SimSwitch, uuid: &str, app: &str, arg: &str) -> bool {
    ran_on(&switch.with(|s| s.applications(uuid)), app, arg)
}

fn ran_on(applications: &[(String, String)], app: &str, arg: &str) -> bool {
    applications.iter().any(|(a, g)| a == app && g == arg)
}

/// Waits until the channel `uuid` ran `app` with `arg`.
fn until_ran(switch: &SimSwitch, what: &str, uuid: &str, app: &str, arg: &str) {
    switch_until(switch, what, |s| ran_on(&s.applications(uuid), app, arg));
}

#[test]
fn the_session_api_extras_reach_the_switch_as_dptools_commands() {
    let switch = switch();
    let client = esl_blocking::connect_with(switch.addr().to_string(), config()).unwrap();
    let mut events = client.events();
    client
        .subscribe(EventFormat::Plain, &["RECORD_START", "RECORD_STOP"])
        .unwrap();
    let uuid = switch.inbound_call("1000", "5000", &[]);
    until_ran(&switch, "the call parks", &uuid, "park", "");
    let channel = Channel::new(client.handle().clone(), uuid.as_str());
    assert_eq!(channel.uuid(), uuid);
    assert_eq!(channel.header("Unique-ID").as_deref(), Some(uuid.as_str()));

    // Several variables in one multiset, read back one by one.
    channel
        .set_variables([("ivr_step", "greeting"), ("ivr_lang", "en gb")])
        .unwrap();
    assert!(ran(
        &switch,
        &uuid,
        "multiset",
        "^^;ivr_step=greeting;ivr_lang=en gb"
    ));
    assert_eq!(
        channel.get_variable("ivr_step").unwrap().as_deref(),
        Some("greeting")
    );
    assert_eq!(
        channel.get_variable("ivr_lang").unwrap().as_deref(),
        Some("en gb")
    );
    assert_eq!(channel.get_variable("never_set").unwrap(), None);
    // What multiset cannot carry is refused before anything is sent.
    assert!(matches!(
        channel.set_variables([("quote", "it's")]),
        Err(Error::Command(_))
    ));

    // A SIP response before answer.
    channel.respond(486, Some("Busy Here")).unwrap();
    assert!(ran(&switch, &uuid, "respond", "486 Busy Here"));
    assert_eq!(
        switch
            .channel_variable(&uuid, "sip_response_code")
            .as_deref(),
        Some("486")
    );
    assert!(channel.respond(99, None).is_err(), "not a SIP code");

    // Recording through uuid_record: the switch says so in the events.
    let path = "/tmp/esl-blocking-call.wav";
    assert!(channel
        .record_start(path, Some(30))
        .unwrap()
        .starts_with("+OK"));
    assert!(channel.record_stop(path).unwrap().starts_with("+OK"));
    let mut seen = Vec::new();
    while seen.len() < 2 {
        match events.recv_timeout(WAIT).expect("the record events") {
            Incoming::Event(event) if event.unique_id().as_deref() == Some(uuid.as_str()) => {
                assert_eq!(event.header("Record-File-Path").as_deref(), Some(path));
                seen.push(event.name().as_str().to_owned());
            }
            _ => {}
        }
    }
    assert_eq!(seen, ["RECORD_START", "RECORD_STOP"]);

    // uuid_broadcast plays on the channel without waiting.
    let tone = "tone_stream://%(100,0,350)";
    assert!(channel
        .broadcast(tone, Some(Leg::A))
        .unwrap()
        .starts_with("+OK"));
    until_ran(&switch, "the broadcast plays", &uuid, "playback", tone);

    // transfer waits until the switch took the channel to the new extension.
    channel.transfer("9196", None, None).unwrap();
    let apps = switch.applications(&uuid);
    let at = apps
        .iter()
        .position(|(a, g)| a == "transfer" && g == "9196")
        .unwrap_or_else(|| panic!("no transfer in {apps:?}"));
    // The switch ran the new extension (the simulated one answers first).
    assert_eq!(
        apps.get(at + 1),
        Some(&("answer".to_owned(), String::new())),
        "{apps:?}"
    );
    // uuid_transfer goes through the API, on the same connection.
    assert!(channel
        .uuid_transfer(TransferLeg::This, "park", None, None)
        .unwrap()
        .starts_with("+OK"));
    until_ran(
        &switch,
        "the channel parks again",
        &uuid,
        "transfer",
        "park",
    );

    channel.hangup(Some("NORMAL_CLEARING")).unwrap();
    switch_until(&switch, "the channel is gone", |s| {
        !s.channels().contains(&uuid)
    });
    // A gone channel's variables are the switch's error.
    assert!(matches!(
        channel.get_variable("ivr_step"),
        Err(Error::Rejected(_))
    ));
    client.close().unwrap();
}

#[test]
fn no_more_handlers_run_at_once_than_the_pool_has_workers_and_none_is_lost() {
    let switch = switch();
    let service = Service::with_pool(2, 1);
    service
        .add_switch("fs0", switch.addr().to_string(), config())
        .unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    // The first two handlers hold their workers until both run: two at once, for sure.
    let arrived = Arc::new((Mutex::new(0usize), Condvar::new()));
    let (answered_tx, answered) = mpsc::channel();
    let app = {
        let (running, peak, arrived) = (running.clone(), peak.clone(), arrived.clone());
        App::new().on("CHANNEL_PARK", move |call| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            // A handler that takes its time: the others queue, then the dispatch waits.
            let (count, both) = &*arrived;
            let mut count = count.lock().unwrap();
            *count += 1;
            both.notify_all();
            if *count <= 2 {
                let (count, waited) = both.wait_timeout_while(count, WAIT, |c| *c < 2).unwrap();
                drop(count);
                assert!(!waited.timed_out(), "a second handler never ran alongside");
            } else {
                drop(count);
            }
            let channel = call.channel().unwrap();
            channel.answer().unwrap();
            running.fetch_sub(1, Ordering::SeqCst);
            let _ = answered_tx.send(channel.uuid().to_owned());
        })
    };
    service.load_default("slow", app).unwrap();
    let calls: Vec<String> = (0..8)
        .map(|n| switch.inbound_call("1000", &format!("50{n:02}"), &[]))
        .collect();
    let answered: HashSet<String> = (0..calls.len())
        .map(|_| answered.recv_timeout(WAIT).expect("every call is answered"))
        .collect();
    assert_eq!(answered, calls.iter().cloned().collect());
    assert_eq!(peak.load(Ordering::SeqCst), 2, "two workers, both used");
    for uuid in &calls {
        assert!(ran(&switch, uuid, "answer", ""), "{uuid} answered");
    }
    service.close();
    assert!(service.switches().is_empty());
}

#[test]
fn a_service_refuses_backpressure_and_a_second_switch_of_the_same_name() {
    let switch = switch();
    let service = Service::new();
    let config_bp = config().overflow(Overflow::Backpressure);
    assert!(matches!(
        service.add_switch("fs0", switch.addr().to_string(), config_bp),
        Err(Error::Rejected(_))
    ));
    assert!(service.switches().is_empty());
    service
        .add_switch("fs0", switch.addr().to_string(), config())
        .unwrap();
    assert!(service
        .add_switch("fs0", switch.addr().to_string(), config())
        .is_err());
    assert_eq!(service.switches(), ["fs0"]);
    service.close();
    switch_until(&switch, "the connection is gone", |s| s.connections() == 0);
}

#[test]
fn an_outbound_session_is_a_channel_with_the_same_extras() {
    let switch = switch();
    let server =
        esl_blocking::listen("127.0.0.1:0", esl_blocking::ServerConfig::default()).unwrap();
    let stop = server.shutdown_handle();
    switch.set_socket_target(server.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = Mutex::new(tx);
    let running = std::thread::spawn(move || {
        server.run(move |session: esl_blocking::Session| {
            let report = (|| -> esl_blocking::Result<_> {
                // Applications go as a bare sendmsg, API commands name the channel.
                session.set_variables([("team", "sales"), ("tier", "gold")])?;
                let tier = session.get_variable("tier")?;
                let recording = session.record_start("/tmp/esl-blocking-socket.wav", None)?;
                session.record_stop("all")?;
                let from_connect = session.connect_data().unique_id().map(|u| u.into_owned());
                session.hangup(None)?;
                Ok((session.uuid().to_owned(), from_connect, tier, recording))
            })();
            tx.lock().unwrap().send(report).unwrap();
        })
    });
    let client = esl_blocking::connect_with(switch.addr().to_string(), config()).unwrap();
    client.originate("loopback/socket", "&park").unwrap();
    let (uuid, from_connect, tier, recording) = rx.recv_timeout(WAIT).unwrap().unwrap();
    assert_eq!(from_connect.as_deref(), Some(uuid.as_str()));
    assert_eq!(tier.as_deref(), Some("gold"));
    assert!(recording.starts_with("+OK"), "{recording}");
    assert!(ran(&switch, &uuid, "multiset", "^^;team=sales;tier=gold"));
    stop.shutdown();
    running.join().unwrap().unwrap();
    client.close().unwrap();
}
