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
    /// Where in the conversation (messages counted) a heartbeat was last asked for.
    heartbeat_asked: Option<usize>,
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
            heartbeat_asked: None,
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

    /// Sends the next client chunk if the conversation has reached it; otherwise asks for a
    /// heartbeat if the recording client waited for one (once for each place in the
    /// conversation: a second would be an extra event), then reads. True if anything
    /// happened. Over TCP the read blocks until the simulator says something, so each reply
    /// is answered as soon as it comes.
    fn step(&mut self, heartbeat: &dyn Fn()) -> bool {
        let learnt = self.learnt;
        for (r, l) in self.rec.messages.iter().zip(&self.messages).skip(learnt) {
            learn(&mut self.map, r, l);
            self.learnt += 1;
        }
        if self.send_next() {
            return true;
        }
        let place = counted(&self.messages);
        if self.heartbeat_asked != Some(place)
            && self
                .expected_next()
                .is_some_and(|m| describe(m).ends_with(" HEARTBEAT"))
        {
            self.heartbeat_asked = Some(place);
            heartbeat();
        }
        self.pump()
    }

    /// Sends the next client chunk if the recording client had seen, when it sent it, as
    /// much as this one has now. True if it did.
    fn send_next(&mut self) -> bool {
        let Some((seen, bytes)) = self.rec.sends.get(self.next_send) else {
            return false;
        };
        if matches!(self.wire, Wire::Waiting)
            || self.closed
            || counted(&self.messages) < counted(&self.rec.messages[..*seen])
        {
            return false;
        }
        let bytes = rewrite(bytes, &self.map);
        self.next_send += 1;
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
        true
    }

    /// Sends, in one write, every chunk the recording client sent before its first event:
    /// an outbound socket's `connect`, `myevents` and `linger`. FreeSWITCH (and the
    /// simulator) parks the channel shortly after `connect`, and only a client whose
    /// `myevents` came first sees the `CHANNEL_PARK`, as the recording did. On real time a
    /// loaded machine can make any client that late; sent together, the simulator reads and
    /// handles them at one instant, so the replay always wins that race as the recording
    /// did. (The in-memory replay plays the race itself, on virtual time.)
    fn send_setup_at_once(&mut self) {
        let Wire::Tcp(stream) = &mut self.wire else {
            return;
        };
        let first_event = self
            .rec
            .messages
            .iter()
            .position(|m| describe(m).starts_with("text/event-"))
            .unwrap_or(self.rec.messages.len());
        let mut setup = Vec::new();
        while let Some((seen, bytes)) = self.rec.sends.get(self.next_send) {
            if *seen > first_event {
                break;
            }
            setup.extend_from_slice(&rewrite(bytes, &self.map));
            self.next_send += 1;
        }
        if stream.write_all(&setup).is_err() {
            self.closed = true;
        }
    }

    /// Plays this side of a conversation over TCP, on a thread of its own: an outbound
    /// socket first waits for the simulator to connect. Then steps until done, and reads on
    /// until the simulator closes the connection, or until `deadline` (a hang).
    fn play_tcp(
        &mut self,
        heartbeat: &dyn Fn(),
        outbound: Option<&TcpListener>,
        deadline: Instant,
    ) {
        if matches!(self.wire, Wire::Waiting) {
            let listener = outbound.expect("an outbound socket's player has a listener");
            // Blocks until the simulator connects; `play_tcp` below wakes it if the
            // conversations that make the simulator connect have ended without it.
            match listener.accept() {
                Ok((stream, _)) => self.wire = Wire::Tcp(tcp_stream(stream)),
                Err(_) => self.closed = true,
            }
            self.send_setup_at_once();
        }
        while Instant::now() < deadline && !self.done() && !self.closed {
            self.step(heartbeat);
        }
        while Instant::now() < deadline && !self.closed {
            self.pump();
        }
    }

    fn done(&self) -> bool {
        self.next_send == self.rec.sends.len()
            && (self.closed || counted(&self.messages) >= counted(&self.rec.messages))
    }

    /// What differs from the recording, as a side-by-side listing; `None` if nothing does.
    fn differences(&self) -> Option<String> {
        let (expected, got) = (streams(&self.rec.messages), streams(&self.messages));
        if expected == got {
            return None;
        }
        let expected = collapse_logs(self.rec.messages.iter().map(describe).collect());
        let got = collapse_logs(self.messages.iter().map(describe).collect());
        let width = expected.len().max(got.len());
        let mut report = format!(
            "{}: the simulator differs from the recording (sent {} of {} client chunks{})\n",
            self.name,
            self.next_send,
            self.rec.sends.len(),
            if self.closed { ", closed" } else { "" },
        );
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
        Some(report)
    }
}

/// Panics with every player's differences at once: when one conversation stalls, the other
/// side of it (the control connection, the outbound socket) says where.
fn compare(players: &[Player]) {
    let reports: Vec<String> = players.iter().filter_map(Player::differences).collect();
    assert!(reports.is_empty(), "{}", reports.join("\n"));
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

/// Plays `players` together on real time, each on a thread of its own, until each is done,
/// then reads on until the simulator closes each connection: every recording ends with the
/// switch's goodbye and its close, so anything extra the simulator says comes before its
/// end, and is a difference too.
///
/// A thread each, blocked on its own socket, answers every message as soon as it comes,
/// instead of waiting its turn behind the other sockets' read timeouts.
fn play_tcp(switch: &SimSwitch, players: Vec<Player>, outbound: Option<&TcpListener>) {
    let deadline = Instant::now() + HANG;
    let heartbeat = || switch.heartbeat();
    let joined = |handle: std::thread::ScopedJoinHandle<'_, Player>| {
        handle
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    };
    let players: Vec<Player> = std::thread::scope(|scope| {
        let spawn = |mut player: Player| {
            let heartbeat = &heartbeat;
            scope.spawn(move || {
                player.play_tcp(heartbeat, outbound, deadline);
                player
            })
        };
        let (connected, waiting): (Vec<_>, Vec<_>) = players
            .into_iter()
            .partition(|p| !matches!(p.wire, Wire::Waiting));
        let waiting: Vec<_> = waiting.into_iter().map(spawn).collect();
        let connected: Vec<_> = connected.into_iter().map(spawn).collect();
        let mut players: Vec<Player> = connected.into_iter().map(joined).collect();
        // The conversations that make the simulator connect have ended: wake an accept
        // still waiting (its player then sees a connection closed at once, a difference).
        if let Some(listener) = outbound {
            drop(TcpStream::connect(listener.local_addr().unwrap()));
        }
        players.extend(waiting.into_iter().map(joined));
        players
    });
    compare(&players);
    for player in &players {
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
    compare(&players);
    // A conversation that had to wait out a timeout is one the simulator got wrong.
    assert!(
        ended <= limit,
        "{}: took {ended:?} of virtual time, the recording {budget}s",
        players[0].name
    );
}

/// Over TCP the simulator's call durations (playback, linger, conference sounds) run at a
/// fifth of the recording's, and the player answers each message as it comes rather than
/// when the recording client did. The rest of a recorded gap is the client's slack on real
/// time: a conference sound that ends and plays again before a late client's next command
/// changes the conversation. A fifth leaves a loaded machine 200 ms of every recorded second
/// (a twentieth, 50 ms, was lost under load); the in-memory replay checks the timing itself.
fn tcp_config() -> Config {
    Config::default().time_scale(0.2)
}

fn tcp_wire(switch: &SimSwitch) -> Wire {
    Wire::Tcp(tcp_stream(TcpStream::connect(switch.addr()).unwrap()))
}

/// How long one read waits for the simulator before the player looks at the hang deadline:
/// never reached while the conversation goes on (each wait ends on the simulator's bytes).
const READ_WAIT: Duration = Duration::from_secs(1);

fn tcp_stream(stream: TcpStream) -> TcpStream {
    stream.set_read_timeout(Some(READ_WAIT)).unwrap();
    stream
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

/// Captures played in memory only. In `inbound_conference` the client's commands race the
/// conference's sounds: a sound that ends before a late client's next command plays again,
/// and FreeSWITCH (and the simulator) say so with one more `play-file`. On real time a loaded
/// machine makes any client that late now and then, however slow the sounds; on virtual time
/// the client is never late, so the in-memory replay checks the conversation exactly.
const RACES_ON_REAL_TIME: [&str; 1] = ["inbound_conference"];

#[test]
fn inbound_captures_over_tcp() {
    // Each capture has a switch of its own: played together, the test takes as long as the
    // longest conversation, not all of them in turn.
    std::thread::scope(|scope| {
        let plays: Vec<_> = inbound_names()
            .into_iter()
            .filter(|name| !RACES_ON_REAL_TIME.contains(&name.as_str()))
            .map(|name| {
                scope.spawn(move || {
                    let switch = SimSwitch::with_config(tcp_config());
                    let player = Player::new(&fixtures::load(&name), tcp_wire(&switch));
                    play_tcp(&switch, vec![player], None);
                })
            })
            .collect();
        for play in plays {
            play.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
    });
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
    // Played together, each pair with a switch and a listener of its own.
    std::thread::scope(|scope| {
        let plays: Vec<_> = OUTBOUND
            .into_iter()
            .map(|(outbound, control)| {
                scope.spawn(move || {
                    let switch = SimSwitch::with_config(tcp_config());
                    let server = TcpListener::bind("127.0.0.1:0").unwrap();
                    switch.set_socket_target(server.local_addr().unwrap());
                    let players = vec![
                        Player::new(&fixtures::load(control), tcp_wire(&switch)),
                        Player::new(&fixtures::load(outbound), Wire::Waiting),
                    ];
                    play_tcp(&switch, players, Some(&server));
                })
            })
            .collect();
        for play in plays {
            play.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
    });
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
