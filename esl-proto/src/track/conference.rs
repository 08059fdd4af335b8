//! Conferences and their members, from `CUSTOM conference::maintenance` events.

use std::collections::BTreeMap;

use super::channel::{set, set_text};
use super::Change;
use crate::event::Event;

/// One conference of `mod_conference`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Conference {
    /// `Conference-Name` (`conf217` in `inbound_conference`).
    pub name: String,
    /// `Conference-Unique-ID`: a new one each time a conference of this name is created.
    pub uuid: Option<String>,
    /// `Conference-Domain`.
    pub domain: Option<String>,
    /// `Conference-Profile-Name`.
    pub profile: Option<String>,
    /// The member holding the floor, from the `New-ID` of the last `floor-change`.
    pub floor: Option<u32>,
    /// The members, by `Member-ID`.
    pub members: BTreeMap<u32, Member>,
}

impl Conference {
    pub(crate) fn new(name: &str) -> Conference {
        Conference {
            name: name.to_owned(),
            uuid: None,
            domain: None,
            profile: None,
            floor: None,
            members: BTreeMap::new(),
        }
    }

    /// The member with this `Member-ID`.
    pub fn member(&self, id: u32) -> Option<&Member> {
        self.members.get(&id)
    }

    /// The member whose channel is `uuid`.
    pub fn member_by_uuid(&self, uuid: &str) -> Option<&Member> {
        self.members
            .values()
            .find(|m| m.uuid.as_deref() == Some(uuid))
    }

    /// Records the conference's own headers (they are on every `conference::maintenance`
    /// event); not reported as a change.
    pub(crate) fn apply(&mut self, event: &Event) {
        set_text(&mut self.uuid, event.header("Conference-Unique-ID"));
        set_text(&mut self.domain, event.header("Conference-Domain"));
        set_text(&mut self.profile, event.header("Conference-Profile-Name"));
    }
}

/// A conference member's flags, as `conference_member_add_event_data` reports them on every
/// member event (`inbound_conference` shows `Speak`, `Hear`, `See`, `Talking`, `Floor`, `Hold`,
/// `Video`, `Mute-Detect` and `Member-Ghost` as `true` / `false`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct MemberFlags {
    /// `Speak`: the member may be heard (false once muted).
    pub speak: bool,
    /// `Hear`: the member hears the conference (false once deaf).
    pub hear: bool,
    /// `See`: the member sees the conference's video.
    pub see: bool,
    /// `Talking`: the member is talking now (`start-talking` / `stop-talking`).
    pub talking: bool,
    /// The member holds the audio floor. Kept from `floor-change` events (`New-ID`) rather
    /// than each event's own `Floor` header, so that it always agrees with
    /// [`Conference::floor`].
    pub floor: bool,
    /// `Hold`: the member is on hold.
    pub hold: bool,
    /// `Video`: the member sends video.
    pub video: bool,
    /// `Mute-Detect`: talking while muted is being detected.
    pub mute_detect: bool,
    /// `Member-Ghost`: a ghost member (not counted, not announced).
    pub ghost: bool,
}

/// One member of a conference.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Member {
    /// `Member-ID`, unique within the conference.
    pub id: u32,
    /// `Unique-ID`: the member's channel.
    pub uuid: Option<String>,
    /// `Member-Type` (`member`, `moderator`).
    pub member_type: Option<String>,
    /// `Caller-Caller-ID-Name` of the member's channel.
    pub caller_id_name: Option<String>,
    /// `Caller-Caller-ID-Number` of the member's channel.
    pub caller_id_number: Option<String>,
    /// `Energy-Level`: the threshold above which the member's audio counts as talking.
    pub energy_level: Option<i32>,
    /// The member's flags as last reported (all false until an event reports them).
    pub flags: MemberFlags,
}

impl Member {
    pub(crate) fn new(id: u32) -> Member {
        Member {
            id,
            uuid: None,
            member_type: None,
            caller_id_name: None,
            caller_id_number: None,
            energy_level: None,
            flags: MemberFlags::default(),
        }
    }

    /// True when the member cannot be heard (`Speak: false`).
    pub fn is_muted(&self) -> bool {
        !self.flags.speak
    }

    /// True when the member cannot hear (`Hear: false`).
    pub fn is_deaf(&self) -> bool {
        !self.flags.hear
    }

    /// Applies the member headers of `event`; true if anything changed.
    pub(crate) fn apply(&mut self, event: &Event) -> bool {
        let mut changed = false;
        changed |= set_text(&mut self.uuid, event.header("Unique-ID"));
        changed |= set_text(&mut self.member_type, event.header("Member-Type"));
        changed |= set_text(
            &mut self.caller_id_name,
            event.header("Caller-Caller-ID-Name"),
        );
        changed |= set_text(
            &mut self.caller_id_number,
            event.header("Caller-Caller-ID-Number"),
        );
        if let Some(level) = event
            .header("Energy-Level")
            .and_then(|v| v.trim().parse().ok())
        {
            changed |= set(&mut self.energy_level, level);
        }
        let flags = &mut self.flags;
        for (header, flag) in [
            ("Speak", &mut flags.speak),
            ("Hear", &mut flags.hear),
            ("See", &mut flags.see),
            ("Talking", &mut flags.talking),
            ("Hold", &mut flags.hold),
            ("Video", &mut flags.video),
            ("Mute-Detect", &mut flags.mute_detect),
            ("Member-Ghost", &mut flags.ghost),
        ] {
            if let Some(value) = event.header(header).and_then(|v| parse_bool(&v)) {
                changed |= *flag != value;
                *flag = value;
            }
        }
        changed
    }
}

/// `true` / `false` as `mod_conference` writes them.
fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A `Member-ID`, `Old-ID` or `New-ID` value; `none` and anything unparsable are `None`.
pub(crate) fn member_id(text: &str) -> Option<u32> {
    text.trim().parse().ok()
}

impl super::Tracker {
    pub(super) fn conference_event(&mut self, event: &Event, out: &mut Vec<Change>) {
        let Some(name) = event.header("Conference-Name").map(|n| n.into_owned()) else {
            return;
        };
        let action = event.header("Action").unwrap_or_default();
        if action == "conference-destroy" {
            if let Some(uuid) = event.header("Conference-Unique-ID") {
                self.removed
                    .remember(&uuid, self.config.remembered_removals);
            }
            if let Some(conference) = self.conferences.remove(&name) {
                self.members = self.members.saturating_sub(conference.members.len());
                if let Some(uuid) = &conference.uuid {
                    self.removed.remember(uuid, self.config.remembered_removals);
                }
                out.push(Change::ConferenceDestroyed(Box::new(conference)));
            }
            return;
        }
        let replaced = match (
            self.conferences.get(&name),
            event.header("Conference-Unique-ID"),
        ) {
            (Some(old), Some(uuid)) => old.uuid.as_deref().is_some_and(|old| old != uuid),
            _ => false,
        };
        if replaced {
            // A conference of the same name but a new `Conference-Unique-ID`: the old one's
            // `conference-destroy` was missed.
            if let Some(old) = self.conferences.remove(&name) {
                self.members = self.members.saturating_sub(old.members.len());
                out.push(Change::ConferenceDestroyed(Box::new(old)));
            }
        }
        if !self.conferences.contains_key(&name) {
            if event
                .header("Conference-Unique-ID")
                .is_some_and(|uuid| self.removed.contains(&uuid))
            {
                return;
            }
            if self.conferences.len() >= self.config.max_conferences {
                self.stats.conferences_not_tracked += 1;
                out.push(Change::ConferenceNotTracked(name));
                return;
            }
            self.conferences
                .insert(name.clone(), Conference::new(&name));
            out.push(Change::ConferenceCreated(name.clone()));
        }
        let Some(conference) = self.conferences.get_mut(&name) else {
            return;
        };
        conference.apply(event);
        if action == "floor-change" {
            let to = event.header("New-ID").and_then(|id| member_id(&id));
            move_floor(conference, to, out);
        }
        let Some(id) = event.header("Member-ID").and_then(|id| member_id(&id)) else {
            return;
        };
        if action == "del-member" {
            if let Some(member) = conference.members.remove(&id) {
                self.members = self.members.saturating_sub(1);
                if conference.floor == Some(id) {
                    move_floor(conference, None, out);
                }
                out.push(Change::MemberLeft {
                    conference: name,
                    member,
                });
            }
            return;
        }
        match conference.members.get_mut(&id) {
            Some(member) => {
                if member.apply(event) {
                    out.push(Change::MemberUpdated {
                        conference: name,
                        member: id,
                    });
                }
            }
            None if self.members >= self.config.max_members => {
                self.stats.members_not_tracked += 1;
                out.push(Change::MemberNotTracked {
                    conference: name,
                    member: id,
                });
            }
            None => {
                let mut member = Member::new(id);
                member.apply(event);
                member.flags.floor = conference.floor == Some(id);
                conference.members.insert(id, member);
                self.members += 1;
                out.push(Change::MemberJoined {
                    conference: name,
                    member: id,
                });
            }
        }
    }
}

/// Gives the floor to `to` (or nobody), updating the members' `floor` flags.
fn move_floor(conference: &mut Conference, to: Option<u32>, out: &mut Vec<Change>) {
    let from = conference.floor;
    if from == to {
        return;
    }
    conference.floor = to;
    out.push(Change::FloorChanged {
        conference: conference.name.clone(),
        from,
        to,
    });
    for member in conference.members.values_mut() {
        let holds = to == Some(member.id);
        if member.flags.floor != holds {
            member.flags.floor = holds;
            out.push(Change::MemberUpdated {
                conference: conference.name.clone(),
                member: member.id,
            });
        }
    }
}
