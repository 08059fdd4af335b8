//! The simulated switch against the real one: each capture's client bytes are sent to the
//! simulator at the same points in the conversation (after as many messages as FreeSWITCH had
//! sent by then), and it must answer with the same sequence of content types, reply texts,
//! error outputs and event names. Uuids differ; the recording's are rewritten to the
//! simulator's as each first appears. A mismatch is a bug in the simulator.
//!
//! Every capture is played twice: over TCP on real time (`SimSwitch`), and in memory on
//! virtual time (`VirtualSwitch`), where the whole conversation must also fit in the time
//! the recording took, give or take a second.
//!
//! Order is compared the way it is caused: each channel's events in their order, and every
//! other message (replies, api outputs, events without a channel, notices) in its order. How
//! two channels' events interleave is a race between FreeSWITCH's session threads: the plain
//! and XML recordings of the same call differ in it, so it is not compared.
//!
//! `conference::maintenance` events are compared by their layout too: the names of their
//! headers from `Conference-Name` on, in order (the conference data, a member's data with its
//! channel's, `Action` and what follows it), which `mod_conference` builds in a fixed order.
//!
//! What else is not compared: timestamps and uuids, successful api outputs beyond their kind
//! (`status`, `show modules` differ in substance), and the text of log lines (a run of
//! `log/data` messages counts as one element: FreeSWITCH's debug output is not modelled line
//! by line).

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use esl_proto::{ContentType, Event, EventFormat, Framer, Limits, Message};
use esl_sim::{Config, ConnectionId, SimSwitch, VirtualSwitch};
use esl_tests::fixtures::{self, Capture, Direction};
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
            if event.subclass().as_deref() == Some("conference::maintenance") {
                text.push_str(&conference_layout(&event));
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

/// A `conference::maintenance` event's headers after the common ones, by name, in order
/// (values differ from run to run; the layout does not): the conference data, the member
/// data with its channel data, `Action` and what follows, as `mod_conference` adds them.
fn conference_layout(event: &Event) -> String {
    let names: Vec<String> = event
        .headers()
        .iter()
        .map(|(n, _)| n.as_str().to_string())
        .skip_while(|n| n != "Conference-Name")
        .collect();
    format!(" [{}]", names.join(","))
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
    /// When the recording ended, in seconds since it started.
    duration: f64,
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
    let duration = capture.chunks.last().map_or(0.0, |c| c.t);
    Recorded {
        messages,
        sends,
        duration,
    }
}

/// One connection to the simulator, whichever driver carries it.
enum Wire {
    Tcp(TcpStream),
    Memory(VirtualSwitch, ConnectionId),
    /// An outbound socket not accepted yet.
    Waiting,
}

/// Log lines are not modelled one for one, so the conversation's clock counts the rest.
fn counted(messages: &[Message]) -> usize {
    messages
        .iter()
        .filter(|m| m.content_type() != ContentType::LogData)
        .count()
}

/// Plays the client side of one capture, one step at a time.
struct Player {
    name: String,
    rec: Recorded,
    wire: Wire,
    framer: Framer,
    messages: Vec<Message>,
    closed: bool,
    map: HashMap<String, String>,
    /// How many messages taught the uuid map already.
    learnt: usize,
    next_send: usize,
}

impl Player {
    fn new(capture: &Capture, wire: Wire) -> Player {
        Player {
            name: capture.name.clone(),
            rec: recorded(capture),
            wire,
            framer: Framer::new(Limits::default()),
            messages: Vec::new(),
            closed: false,
            map: HashMap::new(),
            learnt: 0,
            next_send: 0,
        }
    }

    /// Reads what the simulator sent. True if anything came (or the end).
    fn pump(&mut self) -> bool {
        let was_closed = self.closed;
        let mut got = Vec::new();
        match &mut self.wire {
            Wire::Waiting => return false,
            Wire::Tcp(stream) => {
                let mut buf = [0u8; 65536];
                match stream.read(&mut buf) {
                    Ok(0) => self.closed = true,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                    Err(_) => self.closed = true,
                }
            }
            Wire::Memory(switch, conn) => {
                while let Some(bytes) = switch.read(*conn) {
                    got.extend_from_slice(&bytes);
                }
                if switch.is_closed(*conn) {
                    self.closed = true;
                }
            }
        }
        self.framer.push(&got);
        while let Some(frame) = self.framer.next_frame().unwrap() {
            self.messages.push(Message::from(frame));
        }
        !got.is_empty() || self.closed != was_closed
    }

    /// The recorded message the simulator should send next.
    fn expected_next(&self) -> Option<&Message> {
        self.rec
            .messages
            .iter()
            .filter(|m| m.content_type() != ContentType::LogData)
            .nth(counted(&self.messages))
    }

    /// Reads, then sends the next client chunk if the conversation has reached it. True if
    /// anything happened. `heartbeat` fires one when the recording client waited for it.
    fn step(&mut self, heartbeat: &dyn Fn()) -> bool {
        let mut progress = self.pump();
        if self
            .expected_next()
            .is_some_and(|m| describe(m).ends_with(" HEARTBEAT"))
        {
            heartbeat();
        }
        let learnt = self.learnt;
        for (r, l) in self.rec.messages.iter().zip(&self.messages).skip(learnt) {
            learn(&mut self.map, r, l);
            self.learnt += 1;
        }
        let Some((seen, bytes)) = self.rec.sends.get(self.next_send) else {
            return progress;
        };
        if matches!(self.wire, Wire::Waiting) {
            return progress;
        }
        if self.closed || counted(&self.messages) < counted(&self.rec.messages[..*seen]) {
            return progress;
        }
        let bytes = rewrite(bytes, &self.map);
        self.next_send += 1;
        progress = true;
        match &mut self.wire {
            Wire::Tcp(stream) => {
                if stream.write_all(&bytes).is_err() {
                    self.closed = true;
                }
            }
            Wire::Memory(switch, conn) => {
                if switch
                    .write(*conn, &bytes)
                    .map_or(true, |n| n < bytes.len())
                {
                    self.closed = true;
                }
            }
            Wire::Waiting => {}
        }
        progress
    }

    fn done(&self) -> bool {
        self.next_send == self.rec.sends.len()
            && (self.closed || counted(&self.messages) >= counted(&self.rec.messages))
    }

    /// Compares what was received with the recording.
    fn compare(&self) {
        let (expected, got) = (streams(&self.rec.messages), streams(&self.messages));
        if expected == got {
            return;
        }
        let expected = collapse_logs(self.rec.messages.iter().map(describe).collect());
        let got = collapse_logs(self.messages.iter().map(describe).collect());
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
            self.name
        );
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

/// How long a conversation over TCP may take before it is called a hang. Only a broken
/// simulator gets near it: every wait ends on the simulator's bytes or its close.
const HANG: Duration = Duration::from_secs(60);

/// Plays `players` together on real time until each is done, then reads on until the
/// simulator closes each connection: every recording ends with the switch's goodbye and its
/// close, so anything extra the simulator says comes before its end, and is a difference too.
fn play_tcp(switch: &SimSwitch, mut players: Vec<Player>, outbound: Option<&TcpListener>) {
    let deadline = Instant::now() + HANG;
    let heartbeat = || switch.heartbeat();
    while Instant::now() < deadline && !players.iter().all(Player::done) {
        if let (Some(listener), Some(waiting)) = (
            outbound,
            players.iter_mut().find(|p| matches!(p.wire, Wire::Waiting)),
        ) {
            if let Ok((stream, _)) = listener.accept() {
                stream
                    .set_read_timeout(Some(Duration::from_millis(20)))
                    .unwrap();
                waiting.wire = Wire::Tcp(stream);
            }
        }
        for player in &mut players {
            player.step(&heartbeat);
        }
    }
    while Instant::now() < deadline && !players.iter().all(|p| p.closed) {
        for player in &mut players {
            player.pump();
        }
    }
    for player in &players {
        player.compare();
        assert!(
            player.closed,
            "{}: the simulator did not close the connection, as the switch did",
            player.name
        );
    }
}

/// Plays `players` together on virtual time: when no one can move, time moves on by ten
/// milliseconds. The conversation must end within the recording's own time plus a second.
fn play_memory(switch: &VirtualSwitch, mut players: Vec<Player>) {
    let budget = players.iter().map(|p| p.rec.duration).fold(0.0, f64::max);
    let limit = Duration::from_secs_f64(budget + 1.0);
    let heartbeat = || switch.with(|s| s.heartbeat());
    while switch.now() <= limit + Duration::from_secs(5) && !players.iter().all(Player::done) {
        if let Some(accepted) = switch.accept() {
            if let Some(waiting) = players.iter_mut().find(|p| matches!(p.wire, Wire::Waiting)) {
                waiting.wire = Wire::Memory(switch.clone(), accepted.conn);
            }
        }
        let mut progress = false;
        for player in &mut players {
            progress |= player.step(&heartbeat);
        }
        if !progress {
            switch.advance(Duration::from_millis(10));
        }
    }
    let ended = switch.now();
    switch.advance(Duration::from_millis(300));
    for player in &mut players {
        player.pump();
    }
    for player in &players {
        player.compare();
    }
    // A conversation that had to wait out a timeout is one the simulator got wrong.
    assert!(
        ended <= limit,
        "{}: took {ended:?} of virtual time, the recording {budget}s",
        players[0].name
    );
}

fn tcp_config() -> Config {
    Config {
        time_scale: 0.05,
        ..Config::default()
    }
}

fn tcp_wire(switch: &SimSwitch) -> Wire {
    let stream = TcpStream::connect(switch.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    Wire::Tcp(stream)
}

fn inbound_names() -> Vec<String> {
    fixtures::names()
        .into_iter()
        .filter(|n| n.starts_with("inbound_"))
        .collect()
}

const OUTBOUND: [(&str, &str); 2] = [
    ("outbound_socket", "outbound_socket_control"),
    (
        "outbound_socket_linger_timeout",
        "outbound_socket_linger_timeout_control",
    ),
];

#[test]
fn inbound_captures_over_tcp() {
    for name in inbound_names() {
        let switch = SimSwitch::with_config(tcp_config());
        let player = Player::new(&fixtures::load(&name), tcp_wire(&switch));
        play_tcp(&switch, vec![player], None);
    }
}

#[test]
fn inbound_captures_in_memory() {
    for name in inbound_names() {
        let switch = VirtualSwitch::new(Config::default().seed(1));
        let conn = switch.connect();
        let player = Player::new(&fixtures::load(&name), Wire::Memory(switch.clone(), conn));
        play_memory(&switch, vec![player]);
    }
}

#[test]
fn outbound_socket_captures_over_tcp() {
    for (outbound, control) in OUTBOUND {
        let switch = SimSwitch::with_config(tcp_config());
        let server = TcpListener::bind("127.0.0.1:0").unwrap();
        server.set_nonblocking(true).unwrap();
        switch.set_socket_target(server.local_addr().unwrap());
        let players = vec![
            Player::new(&fixtures::load(control), tcp_wire(&switch)),
            Player::new(&fixtures::load(outbound), Wire::Waiting),
        ];
        play_tcp(&switch, players, Some(&server));
    }
}

#[test]
fn outbound_socket_captures_in_memory() {
    for (outbound, control) in OUTBOUND {
        let switch = VirtualSwitch::new(Config::default().seed(2));
        let conn = switch.connect();
        let players = vec![
            Player::new(&fixtures::load(control), Wire::Memory(switch.clone(), conn)),
            Player::new(&fixtures::load(outbound), Wire::Waiting),
        ];
        play_memory(&switch, players);
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
