//! Many outbound calls held without a thread each: the handler sets the call up, leaves the
//! rest to event handlers and detaches; the handlers run on a worker pool only while an
//! event is handled, and each call holds one socket and no thread.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use esl_blocking::{ClientConfig, ServerConfig};
use esl_sim::{Config, SimSwitch};

const CALLS: usize = 24;
const WORKERS: usize = 2;

fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Threads of this process whose name starts with `prefix`.
fn threads(prefix: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with(prefix))
        .count()
}

#[test]
fn detached_calls_hold_a_socket_each_and_no_thread() {
    let switch = SimSwitch::with_config(Config {
        time_scale: 0.05,
        ..Config::default()
    });
    let server = esl_blocking::listen("127.0.0.1:0", ServerConfig::default())
        .unwrap()
        .workers(WORKERS);
    switch.set_socket_target(server.local_addr().unwrap());
    let shutdown = server.shutdown_handle();
    let set_up = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let (setups, answers) = (set_up.clone(), answered.clone());
    let running = std::thread::spawn(move || {
        server.run(move |session| {
            let call = session.clone();
            let answers = answers.clone();
            session.on("CHANNEL_ANSWER", move |_| {
                answers.fetch_add(1, Ordering::SeqCst);
                // A handler may wait: it holds a worker only while it does.
                call.hangup(None).unwrap();
            });
            // The session lingers (it gets the call's last events) until it says `exit`.
            let call = session.clone();
            session.on("CHANNEL_HANGUP_COMPLETE", move |_| call.close());
            session.execute_nowait("answer", None).unwrap();
            setups.fetch_add(1, Ordering::SeqCst);
            session.detach();
        })
    });
    let client =
        esl_blocking::connect_with(switch.addr().to_string(), ClientConfig::password("ClueCon"))
            .unwrap();
    for _ in 0..CALLS {
        client.originate("loopback/socket", "&park").unwrap();
    }
    wait_until("every call is set up", || {
        set_up.load(Ordering::SeqCst) == CALLS
    });
    assert!(
        threads("esl-handler") <= WORKERS,
        "no thread per call: {}",
        threads("esl-handler")
    );
    assert_eq!(
        threads("esl-reactor"),
        1,
        "the client's; the server's is its caller"
    );
    wait_until("every call is answered and hung up", || {
        answered.load(Ordering::SeqCst) == CALLS
    });
    // The switch closes each socket after the hang-up and its linger: nothing holds them.
    wait_until("every call's connection ends", || {
        shutdown.active_calls() == 0
    });
    assert_eq!(shutdown.handled_calls(), CALLS as u64);
    shutdown.shutdown();
    running.join().unwrap().unwrap();
    client.close().unwrap();
}
