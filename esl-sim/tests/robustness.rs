//! Bytes from the network never panic the switch, and nothing a client does makes it hold
//! without bound.

mod common;

use std::time::Duration;

use common::Client;
use esl_sim::{Config, Fault, Output, Switch, VirtualSwitch, WRITE_WINDOW};

#[test]
fn arbitrary_bytes_never_panic_the_switch() {
    let mut rng = fastrand::Rng::with_seed(99);
    let words: [&[u8]; 12] = [
        b"auth ClueCon\n\n",
        b"api originate loopback/tone &park\n\n",
        b"sendmsg\ncall-command: execute\nexecute-app-name: playback\nloops: -1\n\n",
        b"event plain ALL\n\n",
        b"Content-Length: 99999999999999999999\n\n",
        b"content-length: -5\n\n",
        b"myevents ",
        b"linger 99999999999\n\n",
        b"\n\n\n",
        b"\xff\xfe\x00",
        b"bgapi originate {a=b,,=,}error/%%% &\n\n",
        b"api uuid_bridge x y\n\n",
    ];
    let mut switch = Switch::new(Config::default().seed(1));
    for round in 0..300 {
        let conn = switch.open();
        for _ in 0..rng.usize(1..20) {
            let mut bytes = Vec::new();
            if rng.bool() {
                bytes.extend_from_slice(words[rng.usize(..words.len())]);
            } else {
                bytes.extend((0..rng.usize(0..64)).map(|_| rng.u8(..)));
            }
            switch.receive(conn, &bytes);
            while switch.poll_transmit(conn).is_some() {}
        }
        switch.handle_timeout(Duration::from_millis(round * 100));
        while let Some(output) = switch.poll_output() {
            if let Output::Connect { conn, .. } = output {
                switch.connect_failed(conn);
            }
        }
    }
    // And it still serves.
    let conn = switch.open();
    switch.receive(conn, b"auth ClueCon\n\napi eval alive\n\n");
    let mut wire = Vec::new();
    while let Some(bytes) = switch.poll_transmit(conn) {
        wire.extend_from_slice(&bytes);
    }
    assert!(wire.ends_with(b"alive"));
}

#[test]
fn a_command_larger_than_freeswitch_reads_ends_the_connection() {
    let switch = VirtualSwitch::new(Config::default());
    let mut client = Client::connect(&switch);
    let huge = vec![b'x'; 11 * 1024 * 1024];
    let mut sent = 0;
    while sent < huge.len() && !client.is_closed() {
        match switch.write(client.conn, &huge[sent..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => sent += n,
        }
    }
    client.read();
    assert!(client.is_closed(), "a header block past 10 MiB is refused");
}

#[test]
fn a_client_that_never_reads_loses_events_then_its_connection() {
    // mod_event_socket: a full queue loses the event; past 500 lost in a row, the
    // listener is killed.
    let switch = VirtualSwitch::new(Config::default().event_queue_len(10));
    let mut client = Client::connect(&switch);
    client.send("event plain HEARTBEAT");
    client.read();
    for _ in 0..10 + 500 {
        switch.with(|s| s.heartbeat());
    }
    assert!(!client.is_closed(), "500 lost events are tolerated");
    switch.with(|s| s.heartbeat());
    let queued = client.read();
    assert!(queued.len() <= 10, "only the queue's worth was kept");
    assert!(client.is_closed());
}

#[test]
fn a_switch_that_stops_reading_takes_a_window_then_nothing() {
    let switch = VirtualSwitch::new(Config::default());
    let client = Client::connect(&switch);
    switch.with(|s| s.set_fault(Fault::StopReading));
    let command = b"api eval x\n\n".repeat(WRITE_WINDOW);
    let taken = switch.write(client.conn, &command).unwrap();
    assert_eq!(taken, WRITE_WINDOW);
    assert_eq!(switch.write(client.conn, b"more").unwrap(), 0);
    assert!(
        switch.read(client.conn).is_none(),
        "nothing was read, nothing answered"
    );
    switch.with(|s| s.clear_faults());
    let answered = switch.read(client.conn).expect("the held commands run");
    assert!(answered.starts_with(b"Content-Type: api/response"));
}

#[test]
fn the_history_is_bounded() {
    let switch = VirtualSwitch::new(Config::default().history_limit(3));
    let mut client = Client::connect(&switch);
    for n in 0..10 {
        client.api(&format!("eval {n}"));
    }
    let lines: Vec<String> =
        switch.with(|s| s.commands().iter().map(|r| r.line().to_owned()).collect());
    assert_eq!(lines, ["api eval 7", "api eval 8", "api eval 9"]);
}

#[test]
fn a_client_that_does_not_read_its_replies_stops_being_read() {
    // The listener thread writes each reply before it reads the next command, so replies
    // that are not read hold back the commands behind them: the switch holds megabytes,
    // not everything the client cares to send.
    let switch = VirtualSwitch::new(Config::default());
    let client = Client::connect(&switch);
    let command = format!("api eval {}\n\n", "y".repeat(64 * 1024));
    let mut sent = 0;
    while switch.write(client.conn, command.as_bytes()).unwrap() == command.len() {
        sent += 1;
        assert!(sent < 10_000, "the switch never stopped reading");
    }
    assert!(
        sent * command.len() > 4 * 1024 * 1024,
        "it took a few megabytes first"
    );
    let mut answered = 0;
    let mut framer = esl_proto::Framer::new(esl_proto::Limits::default());
    while let Some(bytes) = switch.read(client.conn) {
        framer.push(&bytes);
        while framer.next_frame().unwrap().is_some() {
            answered += 1;
        }
    }
    // Every whole command it took was answered once the client read.
    assert!(answered >= sent, "{answered} replies for {sent} commands");
}
