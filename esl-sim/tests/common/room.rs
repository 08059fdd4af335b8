//! The conference room the conference tests share: a simulated switch on virtual time, a
//! client subscribed to `conference::maintenance`, an `esl_proto::Tracker` fed every event,
//! and the checks on an event's header layout.
//!
//! The room: `api originate loopback/conf &park`, as `inbound_conference` recorded it; each
//! B leg runs the `conf` extension and joins `conf217` (member 1, then member 2). Member 1
//! holds the floor. Other members join with `&conference(conf217+flags{...})`.

use std::time::Duration;

use esl_proto::conference::{parse_list, ConferenceCommands, ListedMember};
use esl_proto::{Command, CommandError, ContentType, Event, Tracker};
use esl_sim::{Config, VirtualSwitch};

use super::{event_of, Client};

/// One frame of the conference's thread: what it notices, it notices then.
pub const FRAME: Duration = Duration::from_millis(20);

pub struct Room {
    pub switch: VirtualSwitch,
    pub client: Client,
    pub tracker: Tracker,
    pub conf: ConferenceCommands,
    /// Member channels by member id (index 0 is member 1).
    pub members: Vec<String>,
    /// Events received and not yet taken.
    pub pending: Vec<Event>,
}

impl Room {
    /// `n` members in `conf217`, a second apart, then a second more: the floor is member
    /// 1's, the enter tones have played. The events so far are in the tracker, not pending.
    pub fn new(n: usize) -> Room {
        let switch = VirtualSwitch::new(Config::default().seed(217));
        let mut client = Client::connect(&switch);
        client.send("event plain CUSTOM conference::maintenance");
        client.read();
        let mut room = Room {
            switch,
            client,
            tracker: Tracker::new(),
            conf: ConferenceCommands::new("conf217"),
            members: Vec::new(),
            pending: Vec::new(),
        };
        for _ in 0..n {
            room.join("originate loopback/conf &park");
        }
        room.events();
        room
    }

    /// Originates a call that joins, and returns its member's channel.
    pub fn join(&mut self, originate: &str) -> String {
        let reply = self.client.api(originate);
        assert!(reply.starts_with("+OK "), "{reply}");
        self.switch.advance(Duration::from_secs(1));
        let add = self
            .events()
            .into_iter()
            .rfind(|e| action(e) == "add-member")
            .expect("the call joined");
        let uuid = add.unique_id().unwrap().into_owned();
        self.members.push(uuid.clone());
        uuid
    }

    pub fn member(&self, id: usize) -> &str {
        &self.members[id - 1]
    }

    pub fn take(&mut self) {
        for message in self.client.read() {
            if let Some(event) = event_of(&message) {
                self.pending.push(event);
            }
        }
    }

    /// Sends `command`; returns the api reply. Events before and after it stay pending.
    pub fn run(&mut self, command: Result<Command, CommandError>) -> String {
        let bytes = command.unwrap().to_bytes().unwrap();
        self.take();
        let taken = self.switch.write(self.client.conn, &bytes).unwrap();
        assert_eq!(taken, bytes.len());
        let mut reply = None;
        for message in self.client.read() {
            match event_of(&message) {
                Some(event) => self.pending.push(event),
                None if message.content_type() == ContentType::ApiResponse => {
                    reply = Some(String::from_utf8_lossy(message.body()).into_owned());
                }
                None => {}
            }
        }
        reply.expect("an api/response")
    }

    /// The events so far, each fed to the tracker.
    pub fn events(&mut self) -> Vec<Event> {
        self.take();
        let events = std::mem::take(&mut self.pending);
        for event in &events {
            self.tracker.update(event);
        }
        events
    }

    /// Moves time on, then the events.
    pub fn after(&mut self, d: Duration) -> Vec<Event> {
        self.switch.advance(d);
        self.events()
    }

    pub fn tracked(&self, id: u32) -> Option<&esl_proto::track::Member> {
        self.tracker
            .conference("conf217")
            .and_then(|c| c.member(id))
    }

    pub fn list(&mut self) -> Vec<ListedMember> {
        let body = self.run(self.conf.list());
        parse_list(&body).unwrap()
    }
}

pub fn action(event: &Event) -> String {
    event.header("Action").unwrap_or_default().into_owned()
}

pub fn actions(events: &[Event]) -> Vec<String> {
    events.iter().map(action).collect()
}

pub fn header(event: &Event, name: &str) -> String {
    event
        .header(name)
        .unwrap_or_else(|| panic!("no {name} in {}", action(event)))
        .into_owned()
}

/// Every value of `name`, in order (some headers come twice).
pub fn all(event: &Event, name: &str) -> Vec<String> {
    event
        .headers()
        .iter()
        .filter(|(n, _)| n.as_str() == name)
        .map(|(_, v)| v.decoded().into_owned())
        .collect()
}

/// The header names from the conference data on, in order.
pub fn layout(event: &Event) -> Vec<String> {
    event
        .headers()
        .iter()
        .map(|(n, _)| n.as_str().to_string())
        .skip_while(|n| n != "Conference-Name")
        .collect()
}

pub const CONFERENCE_DATA: [&str; 6] = [
    "Conference-Name",
    "Conference-Domain",
    "Conference-Size",
    "Conference-Ghosts",
    "Conference-Profile-Name",
    "Conference-Unique-ID",
];

/// The member data's own headers after the channel's, in `conference_member_add_event_data`
/// order.
pub const MEMBER_TAIL: [&str; 12] = [
    "Video",
    "Hear",
    "See",
    "Speak",
    "Talking",
    "Mute-Detect",
    "Hold",
    "Member-ID",
    "Member-Type",
    "Member-Ghost",
    "Energy-Level",
    "Current-Energy",
];

/// Asserts a member event's layout: conference data, `Floor`, the channel's data, the
/// member's flags, `Action`, then `after`.
#[track_caller]
pub fn assert_member_event(event: &Event, action_name: &str, after: &[&str]) {
    let names = layout(event);
    assert_eq!(&names[..6], CONFERENCE_DATA, "{names:?}");
    assert_eq!(names[6], "Floor");
    assert_eq!(
        names[7], "Channel-State",
        "the channel's basic data follows"
    );
    let at = names.iter().position(|n| n == "Video").unwrap();
    assert_eq!(&names[at..at + 12], MEMBER_TAIL);
    assert_eq!(names[at + 12], "Action");
    assert_eq!(&names[at + 13..], after);
    assert_eq!(action(event), action_name);
}
