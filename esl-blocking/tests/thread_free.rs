//! Many outbound calls held without a thread each: the handler sets the call up, leaves the
//! rest to event handlers and detaches; the handlers run on a worker pool only while an
//! event is handled, and each call holds one socket and no thread.

use std::sync::mpsc;
use std::time::Duration;

use esl_blocking::{ClientConfig, ServerConfig};
use esl_sim::{Config, SimSwitch};

const CALLS: usize = 24;
const WORKERS: usize = 2;

/// How long the test waits for what must come before it calls it a hang. Every wait ends on
/// the thing awaited, never on time passing.
const WAIT: Duration = Duration::from_secs(60);

/// `n` messages from handlers.
fn received<T>(rx: &mpsc::Receiver<T>, n: usize, what: &str) -> Vec<T> {
    (0..n)
        .map(|_| {
            rx.recv_timeout(WAIT)
                .unwrap_or_else(|e| panic!("{what}: {e:?}"))
        })
        .collect()
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
    let switch = SimSwitch::with_config(Config::default().time_scale(0.05));
    let server = esl_blocking::listen("127.0.0.1:0", ServerConfig::default())
        .unwrap()
        .workers(WORKERS);
    switch.set_socket_target(server.local_addr().unwrap());
    let shutdown = server.shutdown_handle();
    let (setups, set_up) = mpsc::channel();
    let (answers, answered) = mpsc::channel();
    let (ended, run_ended) = mpsc::channel();
    let running = std::thread::spawn(move || {
        let result = server.run(move |session| {
            let call = session.clone();
            let answers = answers.clone();
            session.on("CHANNEL_ANSWER", move |_| {
                // A handler may wait: it holds a worker only while it does.
                call.hangup(None).unwrap();
                let _ = answers.send(());
            });
            // The session lingers (it gets the call's last events) until it says `exit`.
            let call = session.clone();
            session.on("CHANNEL_HANGUP_COMPLETE", move |_| call.close());
            session.execute_nowait("answer", None).unwrap();
            let _ = setups.send(());
            session.detach();
        });
        let _ = ended.send(());
        result
    });
    let client =
        esl_blocking::connect_with(switch.addr().to_string(), ClientConfig::password("ClueCon"))
            .unwrap();
    for _ in 0..CALLS {
        client.originate("loopback/socket", "&park").unwrap();
    }
    received(&set_up, CALLS, "every call is set up");
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
    received(&answered, CALLS, "every call is answered and hung up");
    // The switch closes each socket after the hang-up and its linger: nothing holds them. A
    // shutdown stops listening and returns once every call's connection has ended.
    shutdown.shutdown();
    received(&run_ended, 1, "every call's connection ends");
    assert_eq!(shutdown.active_calls(), 0);
    assert_eq!(shutdown.handled_calls(), CALLS as u64);
    running.join().unwrap().unwrap();
    client.close().unwrap();
}
