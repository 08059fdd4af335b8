//! `inbound_conference` replayed on the simulator's virtual time, at the recorded instants,
//! compared closer than the fidelity test does: the `list` and `json_list` bodies byte for
//! byte (uuids masked), and what the conference events say (`Action`, sizes, the floor's
//! `Old-ID` / `New-ID`, member ids, files and their lengths), not only their names.

use std::time::Duration;

use esl_proto::{ContentType, Event, EventFormat, Framer, Limits, Message};
use esl_sim::{Config, ConnectionId, VirtualSwitch};
use esl_tests::fixtures::{self, Direction};
use regex::Regex;

fn mask(text: &str) -> String {
    Regex::new("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        .unwrap()
        .replace_all(text, "<uuid>")
        .into_owned()
}

fn frames(bytes: &[u8]) -> Vec<Message> {
    let mut framer = Framer::new(Limits::default());
    framer.push(bytes);
    let mut out = Vec::new();
    while let Some(frame) = framer.next_frame().unwrap() {
        out.push(Message::from(frame));
    }
    out
}

/// What is compared of a conference event.
fn said(message: &Message) -> Option<String> {
    if message.content_type() != ContentType::EventPlain {
        return None;
    }
    let event = Event::parse(EventFormat::Plain, message.body(), &Limits::default()).ok()?;
    let mut text = String::new();
    for name in [
        "Action",
        "Conference-Size",
        "Floor",
        "Member-ID",
        "Old-ID",
        "New-ID",
        "File",
        "Async",
        "Error",
        "seconds",
        "milliseconds",
        "samples",
        "Answer-State",
        "Hangup-Cause",
        "Channel-State-Number",
    ] {
        let values: Vec<String> = event
            .headers()
            .iter()
            .filter(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v.decoded().into_owned())
            .collect();
        if !values.is_empty() {
            text.push_str(&format!("{name}={} ", values.join("/")));
        }
    }
    Some(text)
}

struct Sim {
    switch: VirtualSwitch,
    conn: ConnectionId,
    wire: Vec<u8>,
}

impl Sim {
    fn at(&mut self, seconds: f64) {
        let now = self.switch.now();
        let then = Duration::from_secs_f64(seconds);
        if then > now {
            self.switch.advance(then - now);
        }
        self.read();
    }

    fn send(&mut self, line: &str) {
        self.switch
            .write(self.conn, format!("{line}\n\n").as_bytes())
            .unwrap();
        self.read();
    }

    fn read(&mut self) {
        while let Some(bytes) = self.switch.read(self.conn) {
            self.wire.extend_from_slice(&bytes);
        }
    }
}

#[test]
fn the_recorded_conference_told_as_recorded() {
    let capture = fixtures::load("inbound_conference");
    let recorded = frames(&capture.from_switch());
    // The client's commands at their recorded times.
    let sends: Vec<(f64, String)> = capture
        .chunks(Direction::ToSwitch)
        .map(|c| {
            let line = String::from_utf8_lossy(&c.bytes);
            (c.t, line.trim_end().to_owned())
        })
        .collect();
    let switch = VirtualSwitch::new(Config::default().seed(5));
    let conn = switch.connect();
    let mut sim = Sim {
        switch,
        conn,
        wire: Vec::new(),
    };
    let mut uuids: Vec<String> = Vec::new();
    for (t, line) in &sends {
        sim.at(*t);
        // The a-legs the recording killed are the ones the simulator made, in order.
        let line = match line.strip_prefix("api uuid_kill ") {
            Some(_) => format!("api uuid_kill {}", uuids.remove(0)),
            None => line.clone(),
        };
        sim.send(&line);
        if line.starts_with("api originate") {
            let replies: Vec<String> = frames(&sim.wire)
                .iter()
                .filter(|m| m.content_type() == ContentType::ApiResponse)
                .map(|m| String::from_utf8_lossy(m.body()).into_owned())
                .collect();
            let last = replies.last().unwrap();
            uuids.push(last.trim().strip_prefix("+OK ").unwrap().to_owned());
        }
    }
    sim.at(capture.chunks.last().unwrap().t + 1.0);
    let live = frames(&sim.wire);

    let bodies = |messages: &[Message]| -> Vec<String> {
        messages
            .iter()
            .filter(|m| m.content_type() == ContentType::ApiResponse)
            .map(|m| mask(&String::from_utf8_lossy(m.body())))
            .collect()
    };
    let (expected, got) = (bodies(&recorded), bodies(&live));
    assert_eq!(expected.len(), got.len());
    // conference conf217 list, then json_list.
    assert_eq!(got[2], expected[2]);
    assert_eq!(got[3], expected[3]);
    assert_eq!(got[6], expected[6], "-ERR Conference conf217 not found");

    let told = |messages: &[Message]| -> Vec<String> { messages.iter().filter_map(said).collect() };
    assert_eq!(told(&live), told(&recorded));
}
