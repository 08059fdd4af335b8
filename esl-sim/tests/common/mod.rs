//! A bare client over the in-memory switch: it writes commands as text and reads the
//! switch's messages, so that tests see exactly what crossed the wire.

#![allow(dead_code, unreachable_pub)]

pub mod room;

use esl_proto::{ContentType, Event, EventFormat, Framer, Limits, Message};
use esl_sim::{ConnectionId, VirtualSwitch};

pub struct Client {
    pub switch: VirtualSwitch,
    pub conn: ConnectionId,
    framer: Framer,
    /// Every message received, in order.
    pub messages: Vec<Message>,
    /// Every byte received, in order.
    pub wire: Vec<u8>,
    seen: usize,
}

impl Client {
    /// A connection, authenticated.
    pub fn connect(switch: &VirtualSwitch) -> Client {
        let conn = switch.connect();
        let mut client = Client::on(switch, conn);
        client.send("auth ClueCon");
        client.read();
        client
    }

    /// A client on an existing connection (an accepted outbound socket).
    pub fn on(switch: &VirtualSwitch, conn: ConnectionId) -> Client {
        Client {
            switch: switch.clone(),
            conn,
            framer: Framer::new(Limits::default()),
            messages: Vec::new(),
            wire: Vec::new(),
            seen: 0,
        }
    }

    /// Sends one command (a line, or a line and header lines).
    pub fn send(&mut self, command: &str) {
        let bytes = format!("{command}\n\n");
        let taken = self.switch.write(self.conn, bytes.as_bytes()).unwrap();
        assert_eq!(taken, bytes.len(), "the switch took the whole command");
    }

    /// Takes what arrived into `messages`.
    fn pull(&mut self) {
        while let Some(bytes) = self.switch.read(self.conn) {
            self.wire.extend_from_slice(&bytes);
            self.framer.push(&bytes);
        }
        while let Some(frame) = self.framer.next_frame().unwrap() {
            self.messages.push(Message::from(frame));
        }
    }

    /// Reads what arrived; returns the messages not returned before.
    pub fn read(&mut self) -> Vec<Message> {
        self.pull();
        let new = self.messages[self.seen..].to_vec();
        self.seen = self.messages.len();
        new
    }

    /// The events among the new messages.
    pub fn events(&mut self) -> Vec<Event> {
        self.read().iter().filter_map(event_of).collect()
    }

    /// Sends `command` and returns the first new message of type `kind`; what came before
    /// it is skipped, what comes after it is left for the next read.
    fn request(&mut self, command: &str, kind: ContentType) -> Message {
        self.read();
        self.send(command);
        self.pull();
        let start = self.seen;
        let at = self.messages[start..]
            .iter()
            .position(|m| m.content_type() == kind)
            .unwrap_or_else(|| panic!("no {kind} for {command}"));
        self.seen = start + at + 1;
        self.messages[start + at].clone()
    }

    /// Sends `api <command>` and returns its output.
    pub fn api(&mut self, command: &str) -> String {
        let reply = self.request(&format!("api {command}"), ContentType::ApiResponse);
        String::from_utf8_lossy(reply.body()).into_owned()
    }

    /// Sends `command` and returns its reply text.
    pub fn reply(&mut self, command: &str) -> String {
        let reply = self.request(command, ContentType::CommandReply);
        reply
            .headers()
            .text("Reply-Text")
            .map(|t| t.into_owned())
            .unwrap_or_default()
    }

    pub fn is_closed(&self) -> bool {
        self.switch.is_closed(self.conn)
    }
}

/// The event a message carries, in whichever format.
pub fn event_of(message: &Message) -> Option<Event> {
    let format = match message.content_type() {
        ContentType::EventPlain => EventFormat::Plain,
        ContentType::EventJson => EventFormat::Json,
        ContentType::EventXml => EventFormat::Xml,
        _ => return None,
    };
    Event::parse(format, message.body(), &Limits::default()).ok()
}

/// The names of `events`, in order.
pub fn names(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| e.name().as_str().to_owned())
        .collect()
}

/// The events about channel `uuid`, in order.
pub fn about<'a>(events: &'a [Event], uuid: &str) -> Vec<&'a Event> {
    events
        .iter()
        .filter(|e| e.unique_id().as_deref() == Some(uuid))
        .collect()
}

/// The header names of an event, in order.
pub fn header_names(event: &Event) -> Vec<String> {
    event
        .headers()
        .iter()
        .map(|(n, _)| n.as_str().into_owned())
        .collect()
}
