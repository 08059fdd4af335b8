//! The TCP driver: the same switch behind a socket on 127.0.0.1, on real time.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use esl_proto::{ContentType, Framer, Limits, Message};
use esl_sim::{Config, Fault, Outcome, SimSwitch};

/// A blocking client that reads whole messages.
struct Wire {
    stream: TcpStream,
    framer: Framer,
    messages: std::collections::VecDeque<Message>,
}

impl Wire {
    fn new(stream: TcpStream) -> Wire {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Wire {
            stream,
            framer: Framer::new(Limits::default()),
            messages: Default::default(),
        }
    }

    fn connect(switch: &SimSwitch) -> Wire {
        let mut wire = Wire::new(TcpStream::connect(switch.addr()).unwrap());
        assert_eq!(wire.next().content_type(), ContentType::AuthRequest);
        wire
    }

    fn send(&mut self, command: &str) {
        self.stream
            .write_all(format!("{command}\n\n").as_bytes())
            .unwrap();
    }

    /// The next message (blocks until it arrives; the read timeout fails the test).
    fn next(&mut self) -> Message {
        loop {
            if let Some(message) = self.messages.pop_front() {
                return message;
            }
            let mut buf = [0u8; 65536];
            let n = self.stream.read(&mut buf).expect("a message in time");
            assert!(n > 0, "the switch closed the connection");
            self.framer.push(&buf[..n]);
            while let Some(frame) = self.framer.next_frame().unwrap() {
                self.messages.push_back(Message::from(frame));
            }
        }
    }

    fn next_of(&mut self, kind: ContentType) -> Message {
        loop {
            let message = self.next();
            if message.content_type() == kind {
                return message;
            }
        }
    }

    /// True once the switch closed the connection.
    fn closed(&mut self) -> bool {
        let mut buf = [0u8; 1024];
        matches!(self.stream.read(&mut buf), Ok(0) | Err(_))
    }
}

#[test]
fn a_client_over_tcp_gets_the_same_switch() {
    let switch = SimSwitch::with_config(Config::default().time_scale(0.01));
    switch.with(|s| s.set_outcome("200", Outcome::busy()));
    let mut wire = Wire::connect(&switch);
    wire.send("auth ClueCon");
    assert_eq!(
        wire.next().headers().text("Reply-Text").as_deref(),
        Some("+OK accepted")
    );
    wire.send("api originate sofia/gateway/gw/200 &park");
    let reply = wire.next_of(ContentType::ApiResponse);
    assert_eq!(&reply.body()[..], b"-ERR USER_BUSY\n");
    let uuid = switch.inbound_call("1000", "5000", &[("tenant", "acme")]);
    assert_eq!(
        switch.channel_variable(&uuid, "tenant").as_deref(),
        Some("acme")
    );
    assert_eq!(
        switch.applications(&uuid),
        [("park".to_owned(), String::new())]
    );
    assert_eq!(switch.connections(), 1);
    wire.send("exit");
    assert_eq!(
        wire.next().headers().text("Reply-Text").as_deref(),
        Some("+OK bye")
    );
    assert_eq!(wire.next().content_type(), ContentType::DisconnectNotice);
    assert!(wire.closed());
}

#[test]
fn an_outbound_socket_connects_to_its_target_and_a_refused_one_clears_the_call() {
    let switch = SimSwitch::with_config(Config::default().time_scale(0.01));
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    switch.set_socket_target(server.local_addr().unwrap());
    let uuid =
        switch.call(&esl_sim::InboundCall::new("1000", "5000").route(esl_sim::Route::Socket));
    let (stream, _) = server.accept().unwrap();
    let mut socket = Wire::new(stream);
    socket.send("connect");
    let data = socket.next();
    assert_eq!(
        data.headers().text("Unique-ID").as_deref(),
        Some(uuid.as_str())
    );
    socket.send("myevents");
    socket.next_of(ContentType::CommandReply);
    socket.send("sendmsg\ncall-command: hangup\nhangup-cause: USER_BUSY");
    socket.next_of(ContentType::CommandReply);
    // The call ends; the switch says goodbye to the socket and closes it.
    assert_eq!(
        socket
            .next_of(ContentType::DisconnectNotice)
            .headers()
            .text("Controlled-Session-UUID")
            .as_deref(),
        Some(uuid.as_str())
    );
    assert!(socket.closed());

    // Nothing listens any more: "Socket Error!", and the call is cleared.
    drop(server);
    let mut control = Wire::connect(&switch);
    control.send("auth ClueCon");
    control.next();
    control.send("event plain CHANNEL_HANGUP_COMPLETE");
    control.next();
    let refused =
        switch.call(&esl_sim::InboundCall::new("1000", "5001").route(esl_sim::Route::Socket));
    let event = control.next_of(ContentType::EventPlain);
    assert!(String::from_utf8_lossy(event.body()).contains(&refused));
}

#[test]
fn faults_and_restart_reach_the_socket() {
    let switch = SimSwitch::start();
    let mut wire = Wire::connect(&switch);
    wire.send("auth ClueCon");
    wire.next();
    switch.set_fault(Fault::CloseMidReply);
    wire.send("api status");
    // Half a reply, then the close.
    let mut rest = Vec::new();
    let _ = wire.stream.read_to_end(&mut rest);
    wire.framer.push(&rest);
    assert!(wire.framer.next_frame().ok().flatten().is_none());
    assert_eq!(switch.connections(), 0);

    let mut again = Wire::connect(&switch);
    switch.restart();
    assert!(again.closed(), "a restart drops every connection");
    let mut after = Wire::connect(&switch);
    after.send("auth ClueCon");
    assert_eq!(
        after.next().headers().text("Reply-Text").as_deref(),
        Some("+OK accepted")
    );
}

#[test]
fn wait_until_looks_again_after_each_change_and_gives_up_at_its_timeout() {
    let switch = SimSwitch::with_config(Config::default().time_scale(0.01));
    // Already so: true at once, whatever the timeout.
    assert!(switch.wait_until(Duration::ZERO, |s| s.connections() == 0));
    // Never so: false once the timeout passed.
    assert!(!switch.wait_until(Duration::from_millis(1), |s| s.connections() == 2));

    // A change made by the switch's reader thread: a command read from a client.
    let mut wire = Wire::connect(&switch);
    wire.send("auth ClueCon");
    wire.send("api originate sofia/gateway/gw/5551234 &park");
    assert!(switch.wait_until(Duration::from_secs(60), |s| {
        s.commands()
            .iter()
            .any(|c| c.line().starts_with("api originate"))
    }));
    // A change made by the switch's timer thread: the far end answers after its (scaled)
    // ring, and the originate's channel is up.
    switch.with(|s| s.set_default_outcome(Outcome::answer_after(Duration::from_secs(3))));
    wire.send("api originate sofia/gateway/gw/5550000 &park");
    assert!(switch.wait_until(Duration::from_secs(60), |s| {
        s.channels().into_iter().any(|u| {
            s.channel(&u)
                .is_some_and(|c| c.answered && c.destination == "5550000")
        })
    }));
    // A change made by another thread through `with`.
    let uuid = std::thread::scope(|scope| {
        let caller = scope.spawn(|| switch.inbound_call("1000", "5000", &[]));
        assert!(switch.wait_until(Duration::from_secs(60), |s| {
            s.channels()
                .into_iter()
                .any(|u| s.channel(&u).is_some_and(|c| c.destination == "5000"))
        }));
        caller.join().unwrap()
    });
    assert!(switch.channels().contains(&uuid));
}
