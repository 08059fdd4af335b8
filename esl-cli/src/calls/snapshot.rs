//! What the switch has up right now, fed to the tracker; and the tracker's tables as JSON.
//!
//! The tracker learns from events alone, so a listing is fed to it as the events that carry
//! the same facts: each `show channels as json` row as a `CHANNEL_DATA` (or, while an
//! application runs, a `CHANNEL_EXECUTE`), a row whose `call_uuid` names another channel as
//! that channel's originatee, and each member of `conference json_list` as an `add-member`.
//! The two halves of a loopback channel share no `call_uuid`; the A half's
//! `other_loopback_leg_uuid` variable (one `uuid_getvar` each) links them.

use esl_tokio::esl_proto::track::Tracker;
use esl_tokio::esl_proto::{Channel, Event, EventBuilder};
use serde::Serialize;
use serde_json::Value;

use crate::conn::Conn;
use crate::failure::{self, Failure};

/// Clears the tracker and loads what the switch lists now.
pub(crate) async fn bootstrap(conn: &Conn, tracker: &mut Tracker) -> Result<(), Failure> {
    let command = "show channels as json";
    let listing = conn
        .client
        .api(command)
        .await
        .map_err(|e| conn.fail(&e, &format!("api {command}")))?;
    let events = channel_events(&listing).map_err(|e| {
        Failure::new(
            failure::REFUSED,
            format!(
                "{} answered `{command}` with what is not a listing: {e}",
                conn.addr
            ),
        )
    })?;
    tracker.clear();
    for event in &events {
        tracker.update(event);
    }
    for event in loopback_links(conn, &events).await {
        tracker.update(&event);
    }
    // Conferences are a module's: a switch without mod_conference (or a simulator that
    // lists only one conference by name) answers -ERR, and there are none to show.
    if let Ok(list) = conn.client.api("conference json_list").await {
        for event in conference_events(&list) {
            tracker.update(&event);
        }
    }
    Ok(())
}

/// The originatee hints that pair the A and B halves of each listed loopback channel.
async fn loopback_links(conn: &Conn, events: &[Event]) -> Vec<Event> {
    let a_legs: Vec<String> = events
        .iter()
        .filter(|e| {
            e.header("Channel-Name")
                .is_some_and(|n| n.starts_with("loopback/") && n.ends_with("-a"))
        })
        .filter_map(|e| e.unique_id().map(|u| u.into_owned()))
        .collect();
    let mut asks = tokio::task::JoinSet::new();
    for a in a_legs {
        let client = conn.client.clone();
        asks.spawn(async move {
            let b = client
                .api(&format!("uuid_getvar {a} other_loopback_leg_uuid"))
                .await;
            (a, b)
        });
    }
    let mut links = Vec::new();
    while let Some(joined) = asks.join_next().await {
        // A channel gone meanwhile answers -ERR: nothing to link.
        let Ok((a, Ok(b))) = joined else { continue };
        let b = b.trim();
        if !b.is_empty() && b != "_undef_" && !b.contains(char::is_whitespace) {
            links.push(
                Event::builder("CHANNEL_DATA")
                    .header("Unique-ID", a)
                    .header("Other-Leg-Unique-ID", b)
                    .header("Other-Type", "originatee")
                    .build(),
            );
        }
    }
    links
}

fn text<'a>(row: &'a Value, key: &str) -> Option<&'a str> {
    row.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The events that describe each channel of a `show channels as json` listing.
pub(crate) fn channel_events(listing: &str) -> Result<Vec<Event>, String> {
    let value: Value = serde_json::from_str(listing.trim()).map_err(|e| e.to_string())?;
    let Some(rows) = value.get("rows").and_then(Value::as_array) else {
        // `{"row_count": 0}`: nothing up.
        return match value.get("row_count") {
            Some(_) => Ok(Vec::new()),
            None => Err("no `rows` and no `row_count`".to_owned()),
        };
    };
    let mut events = Vec::with_capacity(rows.len());
    let mut hints = Vec::new();
    for row in rows {
        let Some(uuid) = text(row, "uuid") else {
            continue;
        };
        let application = text(row, "application");
        let mut b = Event::builder(if application.is_some() {
            "CHANNEL_EXECUTE"
        } else {
            "CHANNEL_DATA"
        })
        .header("Unique-ID", uuid);
        for (column, header) in [
            ("name", "Channel-Name"),
            ("direction", "Call-Direction"),
            ("state", "Channel-State"),
            ("callstate", "Channel-Call-State"),
            ("cid_name", "Caller-Caller-ID-Name"),
            ("cid_num", "Caller-Caller-ID-Number"),
            ("dest", "Caller-Destination-Number"),
            ("application", "Application"),
            ("application_data", "Application-Data"),
        ] {
            if let Some(value) = text(row, column) {
                b = b.header(header, value);
            }
        }
        if let Some(epoch) = text(row, "created_epoch").and_then(|s| s.parse::<u64>().ok()) {
            b = b.header(
                "Caller-Channel-Created-Time",
                (epoch * 1_000_000).to_string(),
            );
        }
        events.push(b.build());
        // Legs of one call share FreeSWITCH's `call_uuid`: the originating leg's uuid.
        if let Some(call) = text(row, "call_uuid").filter(|c| *c != uuid) {
            hints.push(
                Event::builder("CHANNEL_DATA")
                    .header("Unique-ID", uuid)
                    .header("Other-Leg-Unique-ID", call)
                    .header("Other-Type", "originator")
                    .build(),
            );
        }
    }
    // After every channel is known, so that each hint finds its peer.
    events.extend(hints);
    Ok(events)
}

/// The `add-member` events for each member of a `conference json_list` answer (none if it is
/// not one).
pub(crate) fn conference_events(list: &str) -> Vec<Event> {
    let Ok(Value::Array(conferences)) = serde_json::from_str::<Value>(list.trim()) else {
        return Vec::new();
    };
    let mut events = Vec::new();
    for conference in &conferences {
        let Some(name) = text(conference, "conference_name") else {
            continue;
        };
        let base = |action: &str| {
            let mut b = Event::builder("CUSTOM")
                .header("Event-Subclass", "conference::maintenance")
                .header("Action", action)
                .header("Conference-Name", name);
            if let Some(uuid) = text(conference, "conference_uuid") {
                b = b.header("Conference-Unique-ID", uuid);
            }
            b
        };
        events.push(base("conference-create").build());
        let members = conference.get("members").and_then(Value::as_array);
        for member in members.into_iter().flatten() {
            let Some(id) = member.get("id").and_then(Value::as_u64) else {
                continue;
            };
            let mut b = base("add-member").header("Member-ID", id.to_string());
            b = member_headers(b, member);
            events.push(b.build());
            if flag(member, "has_floor") == Some(true) {
                events.push(
                    base("floor-change")
                        .header("Old-ID", "none")
                        .header("New-ID", id.to_string())
                        .build(),
                );
            }
        }
    }
    events
}

fn flag(member: &Value, name: &str) -> Option<bool> {
    member.get("flags")?.get(name)?.as_bool()
}

fn member_headers(mut b: EventBuilder, member: &Value) -> EventBuilder {
    for (key, header) in [
        ("uuid", "Unique-ID"),
        ("caller_id_name", "Caller-Caller-ID-Name"),
        ("caller_id_number", "Caller-Caller-ID-Number"),
        ("type", "Member-Type"),
    ] {
        if let Some(value) = text(member, key) {
            b = b.header(header, value);
        }
    }
    for (key, header) in [
        ("can_speak", "Speak"),
        ("can_hear", "Hear"),
        ("talking", "Talking"),
    ] {
        if let Some(on) = flag(member, key) {
            b = b.header(header, on.to_string());
        }
    }
    b
}

/// The tracker's tables, for `--json`.
#[derive(Serialize, Debug)]
pub(crate) struct View {
    /// Every channel, by uuid.
    pub(crate) channels: Vec<ChannelView>,
    /// Every call: its legs, the A leg first.
    pub(crate) calls: Vec<CallView>,
    /// Every conference and its members.
    pub(crate) conferences: Vec<ConferenceView>,
}

/// One channel.
#[derive(Serialize, Debug)]
pub(crate) struct ChannelView {
    uuid: String,
    call: String,
    name: Option<String>,
    direction: Option<&'static str>,
    state: Option<String>,
    call_state: Option<String>,
    caller_id_name: Option<String>,
    caller_id_number: Option<String>,
    destination: Option<String>,
    application: Option<String>,
    application_data: Option<String>,
    bridged_to: Option<String>,
    /// Microseconds since the epoch, as the switch reports them.
    created_at: Option<u64>,
    answered_at: Option<u64>,
}

/// One call.
#[derive(Serialize, Debug)]
pub(crate) struct CallView {
    id: String,
    legs: Vec<String>,
}

/// One conference.
#[derive(Serialize, Debug)]
pub(crate) struct ConferenceView {
    name: String,
    uuid: Option<String>,
    floor: Option<u32>,
    members: Vec<MemberView>,
}

/// One conference member.
#[derive(Serialize, Debug)]
pub(crate) struct MemberView {
    id: u32,
    uuid: Option<String>,
    caller_id_name: Option<String>,
    caller_id_number: Option<String>,
    muted: bool,
    deaf: bool,
    talking: bool,
}

impl ChannelView {
    fn of(channel: &Channel) -> ChannelView {
        ChannelView {
            uuid: channel.uuid.clone(),
            call: channel.call_id().to_owned(),
            name: channel.name.clone(),
            direction: channel.direction.map(|d| d.as_str()),
            state: channel.state.as_ref().map(|s| s.as_str().to_owned()),
            call_state: channel.call_state.as_ref().map(|s| s.as_str().to_owned()),
            caller_id_name: channel.caller_id_name.clone(),
            caller_id_number: channel.caller_id_number.clone(),
            destination: channel.destination.clone(),
            application: channel.application.clone(),
            application_data: channel.application_data.clone(),
            bridged_to: channel.bridged_to.clone(),
            created_at: channel.created_at,
            answered_at: channel.answered_at,
        }
    }
}

impl View {
    /// The tracker's tables now.
    pub(crate) fn of(tracker: &Tracker) -> View {
        View {
            channels: tracker.channels().map(ChannelView::of).collect(),
            calls: tracker
                .calls()
                .map(|call| CallView {
                    id: call.id.clone(),
                    legs: call.legs.clone(),
                })
                .collect(),
            conferences: tracker
                .conferences()
                .map(|conference| ConferenceView {
                    name: conference.name.clone(),
                    uuid: conference.uuid.clone(),
                    floor: conference.floor,
                    members: conference
                        .members
                        .values()
                        .map(|m| MemberView {
                            id: m.id,
                            uuid: m.uuid.clone(),
                            caller_id_name: m.caller_id_name.clone(),
                            caller_id_number: m.caller_id_number.clone(),
                            muted: m.is_muted(),
                            deaf: m.is_deaf(),
                            talking: m.flags.talking,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTING: &str = r#"{"row_count":3,"rows":[
        {"uuid":"b1","direction":"inbound","created_epoch":"1714564801","name":"sofia/internal/1001",
         "state":"CS_EXCHANGE_MEDIA","cid_name":"","cid_num":"1000","dest":"1001",
         "application":"","application_data":"","callstate":"ACTIVE","call_uuid":"a1"},
        {"uuid":"a1","direction":"inbound","created_epoch":"1714564800","name":"sofia/internal/1000",
         "state":"CS_EXECUTE","cid_name":"Alice","cid_num":"1000","dest":"1001",
         "application":"bridge","application_data":"user/1001","callstate":"ACTIVE","call_uuid":"a1"},
        {"uuid":"p1","direction":"outbound","created_epoch":"1714564802","name":"loopback/park-a",
         "state":"CS_EXECUTE","application":"park","callstate":"ACTIVE"}]}"#;

    #[test]
    fn a_listing_becomes_channels_and_legs_sharing_a_call_uuid_are_one_call() {
        let mut tracker = Tracker::new();
        for event in channel_events(LISTING).unwrap() {
            tracker.update(&event);
        }
        assert_eq!(tracker.channel_count(), 3);
        let a = tracker.channel("a1").unwrap();
        assert_eq!(a.application.as_deref(), Some("bridge"));
        assert_eq!(a.caller_id_name.as_deref(), Some("Alice"));
        assert_eq!(a.created_at, Some(1_714_564_800_000_000));
        assert_eq!(tracker.call_of("b1").unwrap().legs, ["a1", "b1"]);
        assert_eq!(tracker.call_of("p1").unwrap().legs, ["p1"]);
        let view = serde_json::to_value(View::of(&tracker)).unwrap();
        assert_eq!(view["calls"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn an_empty_listing_is_no_channels_and_garbage_is_an_error() {
        assert!(channel_events(r#"{"row_count": 0}"#).unwrap().is_empty());
        assert!(channel_events("-ERR no reply").is_err());
        assert!(channel_events("{}").is_err());
    }

    #[test]
    fn conference_members_come_from_json_list() {
        let list = r#"[{"conference_name":"3000","conference_uuid":"c-1","member_count":2,
            "members":[{"id":1,"uuid":"m1","caller_id_number":"1000","type":"caller",
                        "flags":{"can_hear":true,"can_speak":false,"talking":false,"has_floor":true}},
                       {"id":2,"uuid":"m2","caller_id_number":"1001",
                        "flags":{"can_hear":true,"can_speak":true,"talking":true}}]}]"#;
        let mut tracker = Tracker::new();
        for event in conference_events(list) {
            tracker.update(&event);
        }
        let conference = tracker.conference("3000").unwrap();
        assert_eq!(conference.members.len(), 2);
        assert_eq!(conference.floor, Some(1));
        assert!(conference.member(1).unwrap().is_muted());
        assert!(conference.member(2).unwrap().flags.talking);
        assert!(conference_events("-ERR Conference json_list not found").is_empty());
    }
}
