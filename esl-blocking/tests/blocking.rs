//! What the conformance suite does not cover: many threads pipelining, jobs waited on with a
//! timeout, dropping without closing, sessions' variables, the call limit, a switch that
//! stops reading, giving up reconnecting.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use esl_blocking::esl_proto::server::{self, CommandReader};
use esl_blocking::esl_proto::{Command, Event, EventFormat, Limits};
use esl_blocking::{ClientConfig, Error, Gap, Incoming, Reconnect, ServerConfig, Session};
use esl_sim::{Config, SimSwitch};

const WAIT: Duration = Duration::from_secs(5);

fn switch() -> SimSwitch {
    SimSwitch::with_config(Config {
        time_scale: 0.05,
        ..Config::default()
    })
}

fn config() -> ClientConfig {
    ClientConfig::password("ClueCon")
        .request_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(5))
}

fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A switch of our own, for what the simulated one cannot be made to do: it authenticates
/// the client, then `serve` reads commands and writes whatever it likes.
struct Mock {
    addr: SocketAddr,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct MockConn {
    stream: TcpStream,
    reader: CommandReader,
}

impl MockConn {
    fn next_command(&mut self) -> Option<Command> {
        let mut buf = [0u8; 4096];
        loop {
            if let Ok(Some(command)) = self.reader.next_command() {
                return Some(command.parse());
            }
            match self.stream.read(&mut buf) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.reader.push(&buf[..n]),
            }
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes);
    }
}

impl Mock {
    fn start(serve: impl FnOnce(MockConn) + Send + 'static) -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let thread = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut conn = MockConn {
                stream,
                reader: CommandReader::new(Limits::default()),
            };
            conn.send(&server::encode_auth_request());
            match conn.next_command() {
                Some(Command::Auth { .. }) => {
                    conn.send(&server::encode_command_reply("+OK accepted"))
                }
                other => panic!("expected auth, got {other:?}"),
            }
            serve(conn);
        });
        Mock {
            addr,
            thread: Some(thread),
        }
    }

    fn addr(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            if !std::thread::panicking() {
                thread.join().expect("the mock switch");
            }
        }
    }
}

fn background_job(uuid: &str, output: &str) -> Vec<u8> {
    let event = Event::builder("BACKGROUND_JOB")
        .header("Job-UUID", uuid)
        .body(output)
        .build();
    server::encode_event(&event, EventFormat::Plain).to_vec()
}

#[test]
fn many_threads_pipeline_on_one_connection() {
    let switch = switch();
    let client = esl_blocking::connect_with(&switch.addr().to_string(), config()).unwrap();
    std::thread::scope(|scope| {
        for t in 0..16 {
            let client = client.clone();
            scope.spawn(move || {
                for i in 0..200 {
                    let expected = format!("t{t}-{i}");
                    assert_eq!(client.api(&format!("eval {expected}")).unwrap(), expected);
                }
            });
        }
    });
    assert!(client.stats().messages >= 16 * 200);
    client.close().unwrap();
}

#[test]
fn a_job_waited_on_with_a_timeout_is_cancelled_and_its_late_result_discarded() {
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let mock = Mock::start(move |mut conn| {
        let mut jobs = Vec::new();
        // As the switch: BACKGROUND_JOB goes only to a connection subscribed to it.
        let mut subscribed = false;
        while let Some(command) = conn.next_command() {
            match command {
                Command::Bgapi { job_uuid, .. } => {
                    let uuid = job_uuid.expect("a client-chosen Job-UUID");
                    conn.send(&server::encode_bgapi_reply(&uuid));
                    jobs.push(uuid);
                }
                Command::Event { .. } => {
                    subscribed = true;
                    conn.send(&server::encode_command_reply(
                        "+OK event listener enabled plain",
                    ))
                }
                Command::NixEvent { .. } => {
                    subscribed = false;
                    conn.send(&server::encode_command_reply("+OK events disabled"))
                }
                Command::Api { command } => {
                    if command == "eval release" {
                        // The first job's result, long after its caller gave up.
                        release_rx.recv().unwrap();
                        assert!(subscribed, "the second job subscribed again");
                        conn.send(&background_job(&jobs[0], "+OK late\n"));
                    }
                    if command == "eval finish" && subscribed {
                        conn.send(&background_job(&jobs[1], "+OK on time\n"));
                    }
                    let text = command.trim_start_matches("eval ").to_owned();
                    conn.send(&server::encode_api_response(text.as_bytes()));
                }
                Command::Exit => {
                    conn.send(&server::encode_command_reply("+OK bye"));
                    return;
                }
                _ => conn.send(&server::encode_command_reply("+OK")),
            }
        }
    });
    let client = esl_blocking::connect_with(&mock.addr(), config()).unwrap();
    let mut events = client.events();

    let job = client.bgapi("status").unwrap();
    assert_eq!(job.uuid().len(), 36);
    let started = Instant::now();
    assert!(matches!(
        job.wait_timeout(Duration::from_millis(100)),
        Err(Error::Timeout(_))
    ));
    assert!(started.elapsed() < Duration::from_secs(2));

    // A second job still completes, with its own result, even when the first one's late
    // result arrives while it waits.
    let second = client.bgapi("status").unwrap();
    release_tx.send(()).unwrap();
    assert_eq!(client.api("eval release").unwrap(), "release");
    assert_eq!(client.api("eval finish").unwrap(), "finish");
    assert_eq!(second.wait().unwrap(), "+OK on time\n");
    // The connection subscribed to BACKGROUND_JOB for itself: the application sees none.
    assert!(events.try_recv().is_none());
    client.close().unwrap();
}

#[test]
fn a_dropped_job_is_cancelled_and_the_connection_goes_on() {
    let switch = switch();
    let client = esl_blocking::connect_with(&switch.addr().to_string(), config()).unwrap();
    drop(client.bgapi("status").unwrap());
    let job = client.originate_job("loopback/park", "&park").unwrap();
    let uuid = job.channel_uuid().unwrap();
    assert!(switch.channels().contains(&uuid));
    assert_eq!(client.api("eval still-fine").unwrap(), "still-fine");
}

#[test]
fn dropping_the_last_clone_closes_the_connection_and_ends_the_streams() {
    let switch = switch();
    let client = esl_blocking::connect_with(&switch.addr().to_string(), config()).unwrap();
    let other = client.clone();
    let mut events = client.events();
    wait_until("the switch sees the client", || switch.connections() == 1);
    drop(client);
    assert!(other.is_connected(), "a clone keeps it open");
    assert_eq!(other.api("eval alive").unwrap(), "alive");
    drop(other);
    assert_eq!(
        events.recv_timeout(WAIT).unwrap_err(),
        RecvTimeoutError::Disconnected
    );
    wait_until("the switch lets the client go", || {
        switch.connections() == 0
    });
}

#[test]
fn requests_after_close_fail_and_events_iterate_until_the_end() {
    let switch = switch();
    let client = esl_blocking::connect_with(&switch.addr().to_string(), config()).unwrap();
    let handle = client.handle().clone();
    let events = client.events();
    client
        .subscribe(EventFormat::Plain, &["CHANNEL_CREATE"])
        .unwrap();
    let uuid = client.originate("loopback/park", "&park").unwrap();
    let collector = std::thread::spawn(move || {
        events
            .filter_map(|item| match item {
                Incoming::Event(event) => event.unique_id().map(|u| u.into_owned()),
                _ => None,
            })
            .collect::<Vec<_>>()
    });
    wait_until("both legs were created", || switch.channels().len() == 2);
    std::thread::sleep(Duration::from_millis(100));
    client.close().unwrap();
    let created = collector.join().unwrap();
    assert!(created.contains(&uuid), "{created:?}");
    assert!(matches!(handle.api("status"), Err(Error::Closed)));
    assert!(!handle.is_connected());
}

#[test]
fn handlers_can_be_removed_and_a_panicking_one_harms_nothing() {
    let switch = switch();
    let client = esl_blocking::connect_with(&switch.addr().to_string(), config()).unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    let id = client.on("CHANNEL_CREATE", move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    client.on("CHANNEL_CREATE", |_| panic!("a handler that panics"));
    client
        .subscribe(EventFormat::Plain, &["CHANNEL_CREATE"])
        .unwrap();
    client.originate("loopback/park", "&park").unwrap();
    wait_until("both creates were handled", || {
        count.load(Ordering::SeqCst) == 2
    });
    client.off(id);
    client.originate("loopback/park", "&park").unwrap();
    assert_eq!(client.api("eval after").unwrap(), "after");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[test]
fn a_session_sets_and_reads_variables_and_knows_its_call() {
    let switch = switch();
    let server = esl_blocking::listen("127.0.0.1:0", ServerConfig::default()).unwrap();
    let stop = server.shutdown_handle();
    switch.set_socket_target(server.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let running = std::thread::spawn(move || {
        server.run(move |session: Session| {
            let report = (|| -> esl_blocking::Result<_> {
                session.answer()?;
                session.set_variable("colour", "blue")?;
                let colour = session.get_variable("colour")?;
                let unset = session.get_variable("never_set")?;
                // From another thread, on the same connection.
                let from_thread = {
                    let session = session.clone();
                    std::thread::spawn(move || session.get_variable("colour"))
                        .join()
                        .unwrap()?
                };
                session.execute_nowait("set", Some("shape=round"))?;
                session.hangup(Some("NORMAL_CLEARING"))?;
                Ok((
                    session.uuid().to_owned(),
                    session.header("Caller-Destination-Number"),
                    session.variable("direction"),
                    session.is_inbound() || session.is_outbound(),
                    colour,
                    unset,
                    from_thread,
                ))
            })();
            tx.lock().unwrap().send(report).unwrap();
        })
    });
    let client = esl_blocking::connect_with(&switch.addr().to_string(), config()).unwrap();
    client.originate("loopback/socket", "&park").unwrap();
    let (uuid, destination, direction, has_direction, colour, unset, from_thread) =
        rx.recv_timeout(WAIT).unwrap().unwrap();
    assert_eq!(uuid.len(), 36);
    assert_eq!(destination.as_deref(), Some("socket"));
    assert!(direction.is_some());
    assert!(has_direction);
    assert_eq!(colour.as_deref(), Some("blue"));
    assert_eq!(unset, None);
    assert_eq!(from_thread.as_deref(), Some("blue"));
    stop.shutdown();
    running.join().unwrap().unwrap();
    assert_eq!(stop.active_calls(), 0);
    assert_eq!(stop.handled_calls(), 1);
}

#[test]
fn calls_beyond_the_limit_are_refused_and_shutdown_waits_for_the_rest() {
    let switch = switch();
    let server = esl_blocking::listen("127.0.0.1:0", ServerConfig::default().max_calls(1)).unwrap();
    let stop = server.shutdown_handle();
    switch.set_socket_target(server.local_addr().unwrap());
    let (hold_tx, hold_rx) = mpsc::channel::<()>();
    let hold = Mutex::new(hold_rx);
    let running = std::thread::spawn(move || {
        server.run(move |session: Session| {
            session.answer().unwrap();
            let _ = hold.lock().unwrap().recv();
        })
    });
    let client = esl_blocking::connect_with(&switch.addr().to_string(), config()).unwrap();
    client.originate("loopback/socket", "&park").unwrap();
    wait_until("the first call is under way", || stop.active_calls() == 1);
    // The second: the server closes it at once, and the switch's socket app fails.
    let _ = client.originate("loopback/socket", "&park");
    wait_until("the second call was refused", || stop.rejected_calls() == 1);
    stop.shutdown();
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        !running.is_finished(),
        "shutdown waits for the call under way"
    );
    hold_tx.send(()).unwrap();
    running.join().unwrap().unwrap();
    assert_eq!(stop.handled_calls(), 1);
    assert_eq!(stop.active_calls(), 0);
}

#[test]
fn a_switch_that_stops_reading_cannot_hold_a_request_past_its_timeout() {
    // After auth the switch never reads again, but keeps sending events.
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let mock = Mock::start(move |mut conn| {
        let mut n = 0;
        while stop_rx.try_recv().is_err() {
            n += 1;
            let event = Event::builder("HEARTBEAT")
                .header("n", n.to_string())
                .build();
            conn.send(&server::encode_event(&event, EventFormat::Plain));
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let mut config = config();
    config.request_timeout = Duration::from_millis(300);
    let client = esl_blocking::connect_with(&mock.addr(), config).unwrap();
    let mut events = client.events();
    let huge = "x".repeat(24 * 1024 * 1024);
    let writer = {
        let client = client.clone();
        std::thread::spawn(move || client.api(&format!("eval {huge}")))
    };
    std::thread::sleep(Duration::from_millis(50));
    // Another caller, behind the stuck writer, gives up in time as well.
    let other = client.api("status");
    assert!(matches!(other, Err(Error::Timeout(_))), "{other:?}");
    assert!(matches!(writer.join().unwrap(), Err(Error::Timeout(_))));
    // The reader kept reading all along: events still arrive.
    let mut heartbeats = 0;
    while heartbeats < 10 {
        match events.recv_timeout(WAIT) {
            Ok(Incoming::Event(_)) => heartbeats += 1,
            Ok(_) => {}
            Err(e) => panic!("no events while the switch stopped reading: {e:?}"),
        }
    }
    stop_tx.send(()).unwrap();
    // Dropping the client ends the connection even with bytes still unwritten.
    drop(client);
    loop {
        match events.recv_timeout(WAIT) {
            Ok(_) => continue,
            Err(e) => {
                assert_eq!(e, RecvTimeoutError::Disconnected);
                break;
            }
        }
    }
}

#[test]
fn reconnecting_gives_up_after_the_last_attempt() {
    let switch = switch();
    let mut config = config();
    config.reconnect = Some(
        Reconnect::default()
            .initial(Duration::from_millis(10))
            .max(Duration::from_millis(20))
            .max_attempts(Some(3)),
    );
    let client = esl_blocking::connect_with(&switch.addr().to_string(), config).unwrap();
    let mut events = client.events();
    drop(switch);
    // No gap marker: it never came back. The stream just ends.
    loop {
        match events.recv_timeout(WAIT) {
            Ok(Incoming::Gap(Gap::Reconnected)) => panic!("reconnected to nothing"),
            Ok(_) => continue,
            Err(e) => {
                assert_eq!(e, RecvTimeoutError::Disconnected);
                break;
            }
        }
    }
    assert!(matches!(client.api("status"), Err(Error::Closed)));
}

#[test]
fn closing_while_reconnecting_stops_at_once() {
    let switch = switch();
    let mut config = config();
    config.request_timeout = Duration::from_secs(30);
    config.reconnect = Some(
        Reconnect::default()
            .initial(Duration::from_millis(10))
            .max(Duration::from_millis(50)),
    );
    let client = esl_blocking::connect_with(&switch.addr().to_string(), config).unwrap();
    let mut events = client.events();
    // Before the request: a reply that came first would leave nothing in flight.
    switch.set_fault(esl_sim::Fault::WithholdReplies);
    let waiting = {
        let client = client.clone();
        std::thread::spawn(move || client.api("status"))
    };
    // In flight once the switch has it (a request still held when the switch goes would
    // wait for the connection to come back instead).
    wait_until("the switch has the request", || {
        switch.with(|s| {
            s.commands()
                .iter()
                .any(|c| c.line().starts_with("api status"))
        })
    });
    drop(switch);
    // The request in flight fails at once; the client keeps trying to come back.
    let result = waiting.join().unwrap();
    assert!(
        matches!(result, Err(Error::ConnectionClosed(_))),
        "{result:?}"
    );
    wait_until("the client noticed", || !client.is_connected());
    let started = Instant::now();
    client.close().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    loop {
        match events.recv_timeout(WAIT) {
            Ok(Incoming::Gap(Gap::Reconnected)) => panic!("reconnected to nothing"),
            Ok(_) => continue,
            Err(e) => {
                assert_eq!(e, RecvTimeoutError::Disconnected);
                break;
            }
        }
    }
}

#[test]
fn dropping_a_full_backpressure_stream_lets_reading_go_on() {
    let switch = switch();
    let mut config = config();
    config.event_capacity = 2;
    config.overflow = esl_blocking::Overflow::Backpressure;
    config.request_timeout = Duration::from_secs(1);
    let client = esl_blocking::connect_with(&switch.addr().to_string(), config).unwrap();
    let events = client.events();
    client.subscribe(EventFormat::Plain, &["ALL"]).unwrap();
    // Each api adds an API event: the stream fills, and reading stops behind it.
    // (A reply read together with an earlier event still gets through, so try a few.)
    let mut timed_out = false;
    for i in 0..10 {
        if matches!(client.api(&format!("eval fill{i}")), Err(Error::Timeout(_))) {
            timed_out = true;
            break;
        }
    }
    assert!(timed_out, "the full stream held the replies back");
    drop(events);
    assert_eq!(client.api("eval after-drop").unwrap(), "after-drop");
}

/// Request ids start again on a new connection: giving up on a request of the old one must
/// not touch the request that has its id on the new one.
#[test]
fn a_job_of_the_lost_connection_dropped_after_reconnecting_harms_no_new_request() {
    fn serve(stream: TcpStream, first: bool) {
        let mut conn = MockConn {
            stream,
            reader: CommandReader::new(Limits::default()),
        };
        conn.send(&server::encode_auth_request());
        while let Some(command) = conn.next_command() {
            match command {
                Command::Auth { .. } => conn.send(&server::encode_command_reply("+OK accepted")),
                Command::Bgapi { job_uuid, .. } => {
                    conn.send(&server::encode_bgapi_reply(&job_uuid.unwrap()));
                    if first {
                        // The connection dies with the job under way.
                        std::thread::sleep(Duration::from_millis(100));
                        return;
                    }
                }
                Command::Api { command } => {
                    if command == "eval slow" {
                        std::thread::sleep(Duration::from_millis(300));
                    }
                    conn.send(&server::encode_api_response(command.as_bytes()));
                }
                Command::Exit => return conn.send(&server::encode_command_reply("+OK bye")),
                _ => conn.send(&server::encode_command_reply("+OK")),
            }
        }
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let switch = std::thread::spawn(move || {
        serve(listener.accept().unwrap().0, true);
        serve(listener.accept().unwrap().0, false);
    });
    let mut config = config();
    config.reconnect = Some(Reconnect::default().initial(Duration::from_millis(10)));
    let client = esl_blocking::connect_with(&addr, config).unwrap();
    let mut events = client.events();
    // bgapi takes ids 2 and 3 (its own, then the BACKGROUND_JOB subscription).
    let job = client.bgapi("status").unwrap();
    loop {
        match events.recv_timeout(WAIT) {
            Ok(Incoming::Gap(Gap::Reconnected)) => break,
            Ok(_) => continue,
            Err(e) => panic!("no reconnection: {e:?}"),
        }
    }
    wait_until("the new connection is up", || client.is_connected());
    // The first request on the new connection has id 2, the job's id on the old one.
    let slow = {
        let client = client.clone();
        std::thread::spawn(move || client.api("eval slow"))
    };
    std::thread::sleep(Duration::from_millis(100));
    drop(job);
    assert_eq!(slow.join().unwrap().unwrap(), "eval slow");
    client.close().unwrap();
    switch.join().unwrap();
}
