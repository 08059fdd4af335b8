//! The application's call logic against the simulated switch, in memory: no FreeSWITCH, no
//! socket (the last test checks that under `strace`), virtual time.

use esl_testing_example::{handle_outbound, router};
use esl_tokio::esl_proto::EventFormat;
use esl_tokio::sim::{Config, InboundCall, Route, VirtualSwitch};
use esl_tokio::{ClientConfig, EventStream, Incoming, Service, Tokio};

/// The switch, a service running the application's router on it, and a client watching
/// what the calls run.
async fn pbx() -> (VirtualSwitch, Service, EventStream) {
    let switch = VirtualSwitch::new(Config::default().seed(1));
    let service = Service::new(Tokio);
    service
        .add_sim_switch("pbx", &switch, ClientConfig::password("ClueCon"))
        .await
        .unwrap();
    service
        .load_default("router", router().into_app())
        .await
        .unwrap();
    let watcher = esl_tokio::sim::connect(&switch, ClientConfig::password("ClueCon"))
        .await
        .unwrap();
    let events = watcher.events();
    watcher
        .subscribe(EventFormat::Plain, &["CHANNEL_EXECUTE"])
        .await
        .unwrap();
    // The watcher's connection stays open as long as the stream is read.
    std::mem::forget(watcher);
    (switch, service, events)
}

/// Waits until the call `uuid` starts `app`; its argument.
async fn ran(events: &mut EventStream, uuid: &str, app: &str) -> String {
    while let Some(item) = events.recv().await {
        if let Incoming::Event(event) = item {
            if event.unique_id().as_deref() == Some(uuid)
                && event.application().as_deref() == Some(app)
            {
                return event.application_data().unwrap_or_default().into_owned();
            }
        }
    }
    panic!("the switch went away before {uuid} ran {app}");
}

#[tokio::test]
async fn an_extension_rings_on_the_internal_profile() {
    let (switch, _service, mut events) = pbx().await;
    let call = switch.inbound_call("5551234", "1001", &[]);
    assert_eq!(
        ran(&mut events, &call, "bridge").await,
        "sofia/internal/1001"
    );
    assert!(switch
        .applications(&call)
        .contains(&("answer".into(), String::new())));
}

#[tokio::test]
async fn a_9xxx_number_is_busy() {
    let (switch, _service, mut events) = pbx().await;
    let call = switch.inbound_call("5551234", "9001", &[]);
    assert_eq!(ran(&mut events, &call, "respond").await, "486 Busy Here");
    assert_eq!(ran(&mut events, &call, "hangup").await, "USER_BUSY");
}

#[tokio::test]
async fn the_outbound_handler_greets_and_hangs_up() {
    let switch = VirtualSwitch::new(Config::default().seed(2));
    let server = esl_tokio::sim::listen(&switch, esl_tokio::ServerConfig::default());
    let stop = server.shutdown_handle();
    let running = tokio::spawn(server.run(handle_outbound));
    let call = switch.call(&InboundCall::new("5551234", "8000").route(Route::Socket));
    // The greeting plays for its (virtual) length: move the clock until the call is done.
    // (No wall time passes; a handler that never hangs up fails at a virtual minute.)
    while !switch
        .applications(&call)
        .iter()
        .any(|(app, _)| app == "hangup")
    {
        assert!(
            switch.now() < std::time::Duration::from_secs(60),
            "the call was never hung up: {:?}",
            switch.applications(&call)
        );
        switch.advance(std::time::Duration::from_millis(100));
        tokio::task::yield_now().await;
    }
    assert_eq!(
        switch.applications(&call)[1..],
        [
            ("answer".to_owned(), String::new()),
            ("playback".to_owned(), "ivr/ivr-welcome.wav".to_owned()),
            ("set".to_owned(), "handled_by=testing-example".to_owned()),
            ("hangup".to_owned(), "NORMAL_CLEARING".to_owned()),
        ]
    );
    stop.shutdown();
    running.await.unwrap().unwrap();
}

#[test]
fn the_blocking_logic_runs_on_threads_the_same_way() {
    use esl_blocking::sim as blocking_sim;
    use esl_testing_example::blocking;

    let switch = VirtualSwitch::new(Config::default().seed(3));
    let service = esl_blocking::Service::new();
    service
        .add_sim_switch("pbx", &switch, ClientConfig::password("ClueCon"))
        .unwrap();
    service
        .load_default("router", blocking::router().into_app())
        .unwrap();
    let server = blocking_sim::listen(&switch, esl_blocking::ServerConfig::default()).unwrap();
    let stop = server.shutdown_handle();
    let (done, finished) = std::sync::mpsc::channel();
    let running = std::thread::spawn(move || {
        server.run(move |session| {
            let uuid = session.uuid().to_owned();
            blocking::handle_outbound(session);
            done.send(uuid).unwrap();
        })
    });
    let outbound = switch.call(&InboundCall::new("5551234", "8000").route(Route::Socket));
    assert_eq!(finished.recv().unwrap(), outbound);
    assert!(switch
        .applications(&outbound)
        .contains(&("set".into(), "handled_by=testing-example".into())));
    stop.shutdown();
    running.join().unwrap().unwrap();

    let busy = switch.inbound_call("5551234", "9002", &[]);
    let watcher = blocking_sim::connect(&switch, ClientConfig::password("ClueCon")).unwrap();
    let mut events = watcher.events();
    watcher
        .subscribe(EventFormat::Plain, &["CHANNEL_HANGUP_COMPLETE"])
        .unwrap();
    // The router may have hung the call up before the watcher subscribed.
    if switch.channels().contains(&busy) {
        for item in events.by_ref() {
            if item
                .event()
                .is_some_and(|e| e.unique_id().as_deref() == Some(busy.as_str()))
            {
                break;
            }
        }
    }
    assert!(switch
        .applications(&busy)
        .contains(&("respond".into(), "486 Busy Here".into())));
    service.close();
}

/// Runs this test binary's other tests under `strace`, and finds no TCP or UDP socket.
///
/// Where strace is not installed the check cannot be made: it says so and passes, unless
/// `ESL_REQUIRE_STRACE` is set (CI sets it, having installed strace).
#[test]
fn no_test_opens_a_network_socket() {
    if std::env::var_os("ESL_UNDER_STRACE").is_some() {
        return;
    }
    let installed = std::process::Command::new("strace")
        .arg("-V")
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed && std::env::var_os("ESL_REQUIRE_STRACE").is_none() {
        eprintln!(
            "strace is not installed: the no-socket check is skipped (apt-get install strace)"
        );
        return;
    }
    let log = std::env::temp_dir().join(format!("esl-strace-{}.log", std::process::id()));
    let status = std::process::Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=socket", "-o"])
        .arg(&log)
        .arg(std::env::current_exe().unwrap())
        .args([
            "--skip",
            "no_test_opens_a_network_socket",
            "--test-threads",
            "1",
        ])
        .env("ESL_UNDER_STRACE", "1")
        .stdout(std::process::Stdio::null())
        .status()
        .expect("strace runs (install it: apt-get install strace)");
    assert!(status.success(), "the tests pass under strace");
    let calls = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    let network: Vec<&str> = calls
        .lines()
        .filter(|l| l.contains("AF_INET") || l.contains("AF_INET6"))
        .collect();
    assert!(network.is_empty(), "network sockets opened: {network:#?}");
}
