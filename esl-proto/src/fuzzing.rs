//! Fuzz harnesses. `fuzz/` wraps each in a cargo-fuzz target; `cargo test` runs them over the
//! recorded captures and over random input, so they never go stale. Each asserts the
//! invariants that must hold for any input: no panic, memory within the limits, and every
//! request ending exactly once.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::server::CommandReader;
use crate::{Auth, Command, Connection, Event, EventFormat, Framer, Limits, Output, RequestId};

/// Small limits, so that the fuzzer reaches them.
fn fuzz_limits() -> Limits {
    Limits {
        max_header_block: 4096,
        max_headers: 64,
        max_body: 65536,
        max_pending_requests: 16,
        max_pending_jobs: 16,
    }
}

/// Splits `data` at positions derived from its own bytes, so one input explores one split.
fn chunks(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let size = (usize::from(rest[0]) % 97 + 1).min(rest.len());
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        Some(chunk)
    })
}

/// The framer on arbitrary bytes in self-chosen chunks: never panics, never buffers more than
/// one incomplete message plus one chunk.
pub fn framer(data: &[u8]) {
    let limits = fuzz_limits();
    let mut framer = Framer::new(limits);
    for chunk in chunks(data) {
        framer.push(chunk);
        loop {
            match framer.next_frame() {
                Ok(Some(frame)) => {
                    for (name, value) in frame.headers.iter() {
                        let _ = (name.as_str(), value.decoded(), value.as_array());
                    }
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
        assert!(framer.buffered() <= limits.max_buffered() + 97);
    }
}

/// One event body in `format`. Whatever parses must encode, in each format, to bytes that
/// parse back to the same headers and body, when the format can carry them (see
/// [`representable`]).
pub fn event(format: EventFormat, data: &[u8]) {
    let Ok(event) = Event::parse(format, &Bytes::copy_from_slice(data), &fuzz_limits()) else {
        return;
    };
    let _ = (event.name(), event.unique_id(), event.body_text());
    for (name, value) in event.headers().iter() {
        let _ = (name.as_str(), value.decoded());
    }
    let unbounded = Limits {
        max_header_block: usize::MAX / 4,
        max_headers: usize::MAX / 4,
        ..Limits::default()
    };
    for out in [EventFormat::Plain, EventFormat::Json, EventFormat::Xml] {
        if !representable(&event, out) {
            continue;
        }
        let encoded = event.encode_body(out);
        let again = Event::parse(out, &encoded, &unbounded).unwrap_or_else(|error| {
            panic!("{out:?} encoding of {event:?} does not parse back: {error}: {encoded:?}")
        });
        assert_eq!(
            comparable(&again),
            comparable(&event),
            "{out:?} round trip changed the headers: {encoded:?}"
        );
        assert_eq!(
            nonempty_body(&again),
            nonempty_body(&event),
            "{out:?} round trip changed the body: {encoded:?}"
        );
    }
}

/// Whether `format` can carry `event` unchanged. What it cannot, by design and as FreeSWITCH:
/// header names that are not tokens (XML element names, JSON's `_body` key); text that is not
/// UTF-8 in JSON and XML; and, in plain and XML, a value holding `%` and two upper-case hex
/// digits, which the switch's encoder leaves as it is (see `fs_url_encode`).
pub fn representable(event: &Event, format: EventFormat) -> bool {
    let token = |name: &[u8]| {
        name.first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && name
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
    };
    let already_encoded = |value: &[u8]| {
        value.windows(3).any(|w| {
            w[0] == b'%'
                && w[1..]
                    .iter()
                    .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b))
        })
    };
    let headers_fit = event.headers().iter().all(|(name, value)| {
        let value = value.decoded_bytes();
        token(name.as_bytes())
            && !(format == EventFormat::Json && name.as_bytes() == b"_body")
            && match format {
                EventFormat::Json => std::str::from_utf8(&value).is_ok(),
                EventFormat::Xml => std::str::from_utf8(&value).is_ok() && !already_encoded(&value),
                EventFormat::Plain => !already_encoded(&value),
            }
    });
    let body_fits = format == EventFormat::Plain
        || event
            .body()
            .is_none_or(|body| std::str::from_utf8(body).is_ok());
    headers_fit && body_fits
}

/// The headers as (name, decoded value), without `Content-Length` (each encoder writes its
/// own, from the body).
fn comparable(event: &Event) -> Vec<(Vec<u8>, Vec<u8>)> {
    event
        .headers()
        .iter()
        .filter(|(name, _)| !name.eq_ignore_case("Content-Length"))
        .map(|(name, value)| (name.as_bytes().to_vec(), value.decoded_bytes().into_owned()))
        .collect()
}

/// The body, an empty one counted as none (plain writes no `Content-Length` for it).
fn nonempty_body(event: &Event) -> Option<&[u8]> {
    event.body().map(|b| &b[..]).filter(|b| !b.is_empty())
}

/// The server-side command reader and parser.
pub fn command_parser(data: &[u8]) {
    let limits = fuzz_limits();
    let mut reader = CommandReader::new(limits);
    for chunk in chunks(data) {
        reader.push(chunk);
        loop {
            match reader.next_command() {
                Ok(Some(command)) => {
                    let parsed = command.parse();
                    // A parsed command that encodes must parse back to itself.
                    if let Ok(bytes) = parsed.to_bytes() {
                        let mut again = CommandReader::new(Limits::default());
                        again.push(&bytes);
                        let reparsed = match again.next_command() {
                            Ok(Some(reparsed)) => reparsed.parse(),
                            other => panic!("{parsed:?} encoded as {bytes:?} reads as {other:?}"),
                        };
                        assert_eq!(reparsed, parsed, "encoded as {bytes:?}");
                        assert!(
                            matches!(again.next_command(), Ok(None)),
                            "{parsed:?} encoded as more than one command: {bytes:?}"
                        );
                    }
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
        assert!(reader.buffered() <= limits.max_buffered() + 97);
    }
}

/// The client connection fed arbitrary bytes, with commands sent and cancelled along the way
/// (chosen by the input alone, so a saved input always replays the same run), then EOF.
/// Checks that every request id ends exactly once.
pub fn connection(data: &[u8]) {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    let mut conn = match mode % 3 {
        0 => Connection::inbound(Auth::Password("ClueCon".into())),
        1 => Connection::inbound(Auth::Manual),
        _ => Connection::outbound(),
    }
    .with_limits(fuzz_limits());
    // Ordered by id, so the request chosen for cancelling never depends on a hash seed.
    let mut open: BTreeMap<RequestId, bool> = BTreeMap::new();
    let ended = |output: &Output, open: &mut BTreeMap<RequestId, bool>| match output {
        Output::Response { id, .. } | Output::Failed { id, .. } => {
            let was_open = open.insert(*id, false);
            assert_eq!(was_open, Some(true), "{id} ended twice or was never sent");
        }
        _ => {}
    };
    let mut failed = false;
    for (index, chunk) in chunks(data).enumerate() {
        let command = match chunk[0] % 8 {
            0 => Some(Command::api("status")),
            1 => Some(Command::bgapi(format!("status {index}"))),
            2 => Some(Command::bgapi_with_uuid("status", format!("job-{index}"))),
            3 => Some(Command::execute(Some("u-1".into()), "answer", None)),
            4 => Some(Command::event(EventFormat::Plain, ["ALL"])),
            _ => None,
        };
        if let Some(command) = command {
            if let Ok(id) = conn.send(command) {
                open.insert(id, true);
            }
        }
        if chunk[0] % 11 == 0 {
            // The input names which open request to cancel: its next byte, counted over the
            // open requests in the order they were sent.
            let still_open: Vec<RequestId> = open
                .iter()
                .filter(|(_, still_open)| **still_open)
                .map(|(id, _)| *id)
                .collect();
            if !still_open.is_empty() {
                let pick = usize::from(chunk.get(1).copied().unwrap_or(0)) % still_open.len();
                conn.cancel(still_open[pick]);
            }
        }
        conn.receive(chunk);
        loop {
            match conn.poll_output() {
                Ok(Some(output)) => ended(&output, &mut open),
                Ok(None) => break,
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        let _ = conn.poll_transmit();
        assert!(conn.buffered() <= fuzz_limits().max_buffered() + 97);
        if failed {
            break;
        }
    }
    conn.receive_eof();
    while let Ok(Some(output)) = conn.poll_output() {
        ended(&output, &mut open);
    }
    assert!(
        open.values().all(|still_open| !still_open),
        "requests left open after the connection ended: {open:?}"
    );
}

/// The tracker fed events built from `data`: each 4 bytes pick an event name, a channel, and
/// which linking, state and conference headers it carries (arbitrary bytes rarely make a
/// channel event, so the script reaches more of the tracker than raw ESL would). After
/// every event the tables must agree with each other and stay within their bounds.
pub fn tracker(data: &[u8]) {
    use crate::track::{Tracker, TrackerConfig};

    const NAMES: [&str; 12] = [
        "CHANNEL_CREATE",
        "CHANNEL_STATE",
        "CHANNEL_ANSWER",
        "CHANNEL_EXECUTE",
        "CHANNEL_EXECUTE_COMPLETE",
        "CHANNEL_BRIDGE",
        "CHANNEL_UNBRIDGE",
        "CHANNEL_HANGUP",
        "CHANNEL_DESTROY",
        "CALL_UPDATE",
        "CUSTOM",
        "HEARTBEAT",
    ];
    const UUIDS: [&str; 5] = ["u0", "u1", "u2", "u3", "u4"];
    const STATES: [&str; 4] = ["CS_EXECUTE", "CS_HANGUP", "CS_DESTROY", "CS_PARK"];
    const ACTIONS: [&str; 7] = [
        "add-member",
        "del-member",
        "floor-change",
        "start-talking",
        "mute-member",
        "conference-create",
        "conference-destroy",
    ];
    let config = TrackerConfig {
        max_channels: 3,
        max_conferences: 1,
        max_members: 2,
        remembered_removals: usize::from(data.first().copied().unwrap_or(0) % 4),
        ..TrackerConfig::default()
    };
    let mut tracker = Tracker::with_config(config);
    for op in data.chunks(4) {
        let byte = |i: usize| usize::from(op.get(i).copied().unwrap_or(0));
        let name = NAMES[byte(0) % NAMES.len()];
        let uuid = UUIDS[byte(1) % UUIDS.len()];
        let peer = UUIDS[byte(2) % UUIDS.len()];
        let flags = byte(3);
        let mut event = Event::builder(name);
        if name != "HEARTBEAT" {
            event = event.header("Unique-ID", uuid);
        }
        if flags & 1 != 0 {
            event = event.header("Channel-State", STATES[(flags >> 4) % STATES.len()]);
        }
        match flags >> 1 & 3 {
            0 => {
                event = event.header("Other-Leg-Unique-ID", peer).header(
                    "Other-Type",
                    if flags & 8 != 0 {
                        "originator"
                    } else {
                        "originatee"
                    },
                )
            }
            1 => event = event.header("variable_originator", peer),
            2 => {
                event = event
                    .header("variable_other_loopback_leg_uuid", peer)
                    .header(
                        "variable_loopback_leg",
                        if flags & 8 != 0 { "A" } else { "B" },
                    )
            }
            _ => {}
        }
        if name.contains("BRIDGE") {
            event = event
                .header("Bridge-A-Unique-ID", uuid)
                .header("Bridge-B-Unique-ID", peer);
        }
        if name.starts_with("CHANNEL_EXECUTE") {
            event = event.header(
                "Application",
                if flags & 8 != 0 { "park" } else { "bridge" },
            );
        }
        if name == "CUSTOM" {
            event = event
                .header("Event-Subclass", "conference::maintenance")
                .header("Conference-Name", if flags & 8 != 0 { "c1" } else { "c2" })
                .header("Conference-Unique-ID", format!("cu-{}", flags >> 6))
                .header("Action", ACTIONS[byte(2) % ACTIONS.len()])
                .header("Member-ID", (byte(1) % 4).to_string())
                .header("New-ID", if flags & 16 != 0 { "1" } else { "none" })
                .header("Talking", if flags & 32 != 0 { "true" } else { "false" })
                .header("Floor", if flags & 64 != 0 { "true" } else { "false" });
        }
        let _ = tracker.update(&event.build());
        check_tracker(&tracker);
    }
}

/// The tables of a tracker agree with each other and stay within their bounds. Panics when
/// they do not: a panic is how a harness reports a broken invariant to the fuzzer (the
/// tracker itself never panics on any event).
pub fn check_tracker(tracker: &crate::track::Tracker) {
    let config = tracker.config();
    assert!(tracker.channel_count() <= config.max_channels);
    assert!(tracker.conferences().count() <= config.max_conferences);
    let members: usize = tracker.conferences().map(|c| c.members.len()).sum();
    assert!(members <= config.max_members);
    for conference in tracker.conferences() {
        for member in conference.members.values() {
            assert_eq!(member.flags.floor, conference.floor == Some(member.id));
        }
    }
    for channel in tracker.channels() {
        let call = tracker
            .call_of(&channel.uuid)
            .unwrap_or_else(|| panic!("{} has no call", channel.uuid));
        assert_eq!(call.id, channel.call_id());
        assert_eq!(call.legs.iter().filter(|l| **l == channel.uuid).count(), 1);
    }
    let mut legs = 0;
    for call in tracker.calls() {
        assert!(!call.legs.is_empty(), "empty call {}", call.id);
        for leg in &call.legs {
            let channel = tracker
                .channel(leg)
                .unwrap_or_else(|| panic!("call {} names untracked {leg}", call.id));
            assert_eq!(channel.call_id(), call.id);
        }
        legs += call.legs.len();
    }
    assert_eq!(legs, tracker.channel_count());
}

/// A router built from `data` (a pattern, a field value, a guard value, split at the first two
/// NUL bytes) matched against an event: an invalid pattern is an error, never a panic.
pub fn router(data: &[u8]) {
    use crate::route::{Flow, Router};

    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\0');
    let (pattern, value, guard) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let mut router = Router::with_guards([("Call-Direction", guard)]);
    if router.route(pattern, 0u8).is_err() {
        return;
    }
    let event = Event::builder("CHANNEL_PARK")
        .header("Call-Direction", "inbound")
        .header("Caller-Destination-Number", value)
        .build();
    for m in router.matches(&event) {
        let _ = (
            m.matched(),
            m.captures.positional().count(),
            m.captures.name("x"),
        );
    }
    let _ = router.dispatch(&event, |_| Flow::Stop);
}
