//! The simulated switch against the real one: each capture's client bytes are sent to the
//! simulator at the same points in the conversation (after as many messages as FreeSWITCH had
//! sent by then), and it must answer with the same sequence of content types, reply texts,
//! error outputs and event names. Uuids differ; the recording's are rewritten to the
//! simulator's as each first appears. A mismatch is a bug in the simulator.
//!
//! Order is compared the way it is caused: each channel's events in their order, and every
//! other message (replies, api outputs, events without a channel, notices) in its order. How
//! two channels' events interleave is a race between FreeSWITCH's session threads: the plain
//! and XML recordings of the same call differ in it, so it is not compared.
//!
//! What else is not compared: timestamps and uuids, successful api outputs beyond their kind
//! (`status`, `show modules` differ in substance), and the text of log lines (a run of
//! `log/data` messages counts as one element: FreeSWITCH's debug output is not modelled line
//! by line).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use esl_proto::{ContentType, Event, EventFormat, Framer, Limits, Message};
use esl_tests::fixtures::{self, Capture, Direction};
use esl_tests::switch::{Config, SimSwitch};
use regex::Regex;

fn uuid_re() -> Regex {
    Regex::new("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap()
}

/// The channel a message is about, if it is a channel's event.
fn channel_of(message: &Message) -> Option<String> {
    let format = match message.content_type() {
        ContentType::EventPlain => EventFormat::Plain,
        ContentType::EventJson => EventFormat::Json,
        ContentType::EventXml => EventFormat::Xml,
        _ => return None,
    };
    let event = Event::parse(format, message.body(), &Limits::default()).ok()?;
    event.unique_id().map(|u| u.into_owned())
}

/// Splits a conversation into its causal streams: one per channel (by order of first
/// appearance) and one for everything else.
fn streams(messages: &[Message]) -> Vec<Vec<String>> {
    let mut order: Vec<String> = Vec::new();
    let mut by_key: HashMap<String, Vec<String>> = HashMap::new();
    for message in messages {
        let key = channel_of(message).unwrap_or_default();
        if !by_key.contains_key(&key) {
            order.push(key.clone());
        }
        by_key.entry(key).or_default().push(describe(message));
    }
    let mut out: Vec<Vec<String>> = Vec::new();
    let others = by_key.remove("").unwrap_or_default();
    out.push(collapse_logs(others));
    for key in order.into_iter().filter(|k| !k.is_empty()) {
        out.push(by_key.remove(&key).unwrap_or_default());
    }
    out
}

/// What is compared of one message.
fn describe(message: &Message) -> String {
    let mask = |s: &str| uuid_re().replace_all(s, "<uuid>").into_owned();
    let ct = message.content_type();
    match &ct {
        ContentType::CommandReply => {
            format!(
                "reply {}",
                mask(&message.headers().text("Reply-Text").unwrap_or_default())
            )
        }
        ContentType::ApiResponse => {
            let body = String::from_utf8_lossy(message.body());
            if body.starts_with("-ERR") || body.starts_with("-USAGE") {
                format!("api {}", mask(body.lines().next().unwrap_or_default()))
            } else if body.starts_with("+OK") {
                "api +OK".into()
            } else {
                "api <output>".into()
            }
        }
        ContentType::EventPlain | ContentType::EventJson | ContentType::EventXml => {
            let format = match ct {
                ContentType::EventJson => EventFormat::Json,
                ContentType::EventXml => EventFormat::Xml,
                _ => EventFormat::Plain,
            };
            let event =
                Event::parse(format, message.body(), &Limits::default()).expect("event parses");
            let mut text = format!("{} {}", ct, event.name());
            if let Some(sub) = event.subclass() {
                text.push_str(&format!(
                    " {sub} {}",
                    event.header("Action").unwrap_or_default()
                ));
            }
            text
        }
        ContentType::DisconnectNotice => format!(
            "disconnect {:?} {:?}",
            message.headers().text("Content-Disposition"),
            message.headers().text("Linger-Time")
        ),
        other => other.to_string(),
    }
}

fn collapse_logs(lines: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in lines {
        if line == "log/data" && out.last().is_some_and(|l| l == "log/data") {
            continue;
        }
        out.push(line);
    }
    out
}

/// The recorded side: messages in order, and how many had arrived before each client chunk.
struct Recorded {
    messages: Vec<Message>,
    /// For each client chunk: (messages seen before it, its bytes).
    sends: Vec<(usize, Vec<u8>)>,
}

fn recorded(capture: &Capture) -> Recorded {
    let mut framer = Framer::new(Limits::default());
    let mut messages = Vec::new();
    let mut sends = Vec::new();
    for chunk in &capture.chunks {
        match chunk.dir {
            Direction::FromSwitch => {
                framer.push(&chunk.bytes);
                while let Some(frame) = framer.next_frame().unwrap() {
                    messages.push(Message::from(frame));
                }
            }
            Direction::ToSwitch => sends.push((messages.len(), chunk.bytes.to_vec())),
        }
    }
    Recorded { messages, sends }
}

/// One live connection to the simulator, read into messages.
struct Live {
    stream: TcpStream,
    framer: Framer,
    messages: Vec<Message>,
    closed: bool,
}

impl Live {
    fn new(stream: TcpStream) -> Live {
        stream
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        Live {
            stream,
            framer: Framer::new(Limits::default()),
            messages: Vec::new(),
            closed: false,
        }
    }

    fn pump(&mut self) {
        let mut buf = [0u8; 65536];
        match self.stream.read(&mut buf) {
            Ok(0) => self.closed = true,
            Ok(n) => {
                self.framer.push(&buf[..n]);
                while let Some(frame) = self.framer.next_frame().unwrap() {
                    self.messages.push(Message::from(frame));
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => self.closed = true,
        }
    }
}

/// Learns recorded-uuid -> simulator-uuid from messages at the same positions.
fn learn(map: &mut HashMap<String, String>, recorded: &Message, live: &Message) {
    let re = uuid_re();
    let text = |m: &Message| {
        let mut s = String::new();
        for (n, v) in m.headers().iter() {
            s.push_str(&format!("{}: {}\n", n.as_str(), v.decoded()));
        }
        s.push_str(&String::from_utf8_lossy(m.body()));
        s
    };
    // Only messages that are the same kind at the same place can teach a mapping.
    if describe(recorded) != describe(live) {
        return;
    }
    let (r, l) = (text(recorded), text(live));
    for (a, b) in re.find_iter(&r).zip(re.find_iter(&l)) {
        map.entry(a.as_str().to_owned())
            .or_insert_with(|| b.as_str().to_owned());
    }
}

fn rewrite(bytes: &[u8], map: &HashMap<String, String>) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    uuid_re()
        .replace_all(&text, |c: &regex::Captures<'_>| {
            map.get(&c[0]).cloned().unwrap_or_else(|| c[0].to_owned())
        })
        .into_owned()
        .into_bytes()
}

/// Plays the client side of `capture` against `live`, and compares.
fn play(capture: &Capture, mut live: Live, switch: &SimSwitch) {
    let rec = recorded(capture);
    let mut map = HashMap::new();
    // Log lines are not modelled one for one, so the conversation's clock counts the rest.
    let counted = |messages: &[Message]| {
        messages
            .iter()
            .filter(|m| m.content_type() != ContentType::LogData)
            .count()
    };
    let wait = |live: &mut Live, seen: usize, rec: &Recorded, map: &mut HashMap<String, String>| {
        let count = counted(&rec.messages[..seen]);
        let deadline = Instant::now() + Duration::from_secs(10);
        while counted(&live.messages) < count && !live.closed && Instant::now() < deadline {
            // The recording client waited for a heartbeat; here it is fired on demand.
            let next = rec
                .messages
                .iter()
                .filter(|m| m.content_type() != ContentType::LogData)
                .nth(counted(&live.messages));
            if next.is_some_and(|m| describe(m).ends_with(" HEARTBEAT")) {
                switch.heartbeat();
            }
            live.pump();
        }
        for (r, l) in rec.messages.iter().zip(&live.messages) {
            learn(map, r, l);
        }
    };
    for (seen, bytes) in &rec.sends {
        wait(&mut live, *seen, &rec, &mut map);
        let bytes = rewrite(bytes, &map);
        if live.stream.write_all(&bytes).is_err() {
            break;
        }
    }
    wait(&mut live, rec.messages.len(), &rec, &mut map);
    // Anything more the simulator says before it closes, or shortly after the last message.
    let settle = Instant::now() + Duration::from_millis(300);
    while !live.closed && Instant::now() < settle {
        live.pump();
    }
    let (expected, got) = (streams(&rec.messages), streams(&live.messages));
    if expected != got {
        let expected = collapse_logs(rec.messages.iter().map(describe).collect::<Vec<_>>());
        let got = collapse_logs(live.messages.iter().map(describe).collect::<Vec<_>>());
        let width = expected.len().max(got.len());
        let mut report = String::new();
        for i in 0..width {
            let (e, g) = (
                expected.get(i).map_or("-", String::as_str),
                got.get(i).map_or("-", String::as_str),
            );
            report.push_str(&format!(
                "{} {i:3} {e:60} | {g}\n",
                if e == g { " " } else { "!" }
            ));
        }
        panic!(
            "{}: the simulator differs from the recording\n{report}",
            capture.name
        );
    }
}

fn config() -> Config {
    Config {
        time_scale: 0.05,
        ..Config::default()
    }
}

fn inbound(name: &str) {
    let switch = SimSwitch::with_config(config());
    let capture = fixtures::load(name);
    let live = Live::new(TcpStream::connect(switch.addr()).unwrap());
    play(&capture, live, &switch);
}

#[test]
fn inbound_captures() {
    for name in fixtures::names() {
        if !name.starts_with("inbound_") {
            continue;
        }
        let started = Instant::now();
        inbound(&name);
        // A conversation that had to wait out a timeout is one the simulator got wrong.
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{name} took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn outbound_socket_captures() {
    for (outbound, control) in [
        ("outbound_socket", "outbound_socket_control"),
        (
            "outbound_socket_linger_timeout",
            "outbound_socket_linger_timeout_control",
        ),
    ] {
        let switch = SimSwitch::with_config(config());
        let server = TcpListener::bind("127.0.0.1:0").unwrap();
        switch.set_socket_target(server.local_addr().unwrap());
        let outbound_capture = fixtures::load(outbound);
        let socket_side = std::thread::scope(|scope| {
            let handle = scope.spawn(|| {
                let (stream, _) = server.accept().unwrap();
                play(&outbound_capture, Live::new(stream), &switch);
            });
            let control_capture = fixtures::load(control);
            play(
                &control_capture,
                Live::new(TcpStream::connect(switch.addr()).unwrap()),
                &switch,
            );
            handle.join()
        });
        if let Err(panic) = socket_side {
            std::panic::resume_unwind(panic);
        }
    }
}

#[test]
fn every_capture_is_covered() {
    let covered = fixtures::names()
        .iter()
        .filter(|n| n.starts_with("inbound_") || n.starts_with("outbound_socket"))
        .count();
    assert_eq!(covered, fixtures::names().len());
}
