//! The `conference::maintenance` events: `conference_event_add_data` (the conference's six
//! headers) and `conference_member_add_event_data` (those, `Floor`, the channel's basic data
//! and the member's flags), in the order `inbound_conference` recorded them.

use esl_proto::EventBuilder;

use super::{bool_str, Conference, Member};
use crate::events::Origin;
use crate::switch::Switch;

/// The member an event is about: one still in the conference, or one that is not (yet or
/// any more) in its list, as `add-member` and `del-member` see theirs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Who<'a> {
    Id(u32),
    Gone(&'a Member),
}

/// One header after `Action`, or the member data of `Who` at that place.
#[derive(Debug, Clone)]
pub(crate) enum Extra<'a> {
    Header(&'static str, String),
    Member(Who<'a>),
}

/// The member `who` names.
fn pick<'a>(c: &'a Conference, who: Who<'a>) -> Option<&'a Member> {
    match who {
        Who::Id(id) => c.member(id),
        Who::Gone(m) => Some(m),
    }
}

impl Switch {
    /// `conference_event_add_data`.
    fn conference_data(&self, b: EventBuilder, c: &Conference) -> EventBuilder {
        let domain = self
            .globals
            .get("domain")
            .cloned()
            .unwrap_or_else(|| "127.0.0.1".into());
        b.header("Conference-Name", c.name.as_str())
            .header("Conference-Domain", domain)
            .header("Conference-Size", c.count().to_string())
            .header("Conference-Ghosts", c.ghosts().to_string())
            .header("Conference-Profile-Name", c.profile.as_str())
            .header("Conference-Unique-ID", c.uuid.as_str())
    }

    /// `conference_member_add_event_data`.
    fn member_data(&self, mut b: EventBuilder, c: &Conference, m: &Member) -> EventBuilder {
        b = self
            .conference_data(b, c)
            .header("Floor", bool_str(c.floor == Some(m.id)));
        if let Some(ch) = m.uuid.as_deref().and_then(|u| self.channels.get(u)) {
            // switch_channel_event_set_basic_data: a channel that hangs up carries its
            // cause right after Answer-State.
            let data = Self::channel_data(EventBuilder::new(), ch).build();
            for (name, value) in data.headers().iter() {
                let name = name.as_str().into_owned();
                let is_answer_state = name == "Answer-State";
                b = b.header(name, value.decoded().into_owned());
                if is_answer_state && ch.hung_up {
                    if let Some(cause) = &ch.cause {
                        b = b.header("Hangup-Cause", cause.as_str());
                    }
                }
            }
            b = b.header("Video", "false");
        }
        let f = &m.flags;
        b.header("Hear", bool_str(f.hear))
            .header("See", bool_str(f.be_seen))
            .header("Speak", bool_str(f.speak))
            .header("Talking", bool_str(f.talking))
            .header("Mute-Detect", bool_str(f.mute_detect))
            .header("Hold", bool_str(f.hold))
            .header("Member-ID", m.id.to_string())
            .header(
                "Member-Type",
                if f.moderator { "moderator" } else { "member" },
            )
            .header("Member-Ghost", bool_str(f.ghost))
            .header("Energy-Level", m.energy.to_string())
            .header("Current-Energy", "0")
    }

    /// A `conference::maintenance` event: the data of `who` (or of the conference), the
    /// `before` headers, `Action`, then `after` in order. Nothing fires for a conference
    /// that is gone.
    pub(crate) fn maintenance(
        &mut self,
        conf: &str,
        origin: Origin,
        who: Option<Who<'_>>,
        before: &[Extra<'_>],
        action: &str,
        after: &[Extra<'_>],
    ) {
        if !self.conferences.contains_key(conf) {
            return;
        }
        let b = self.base_custom("conference::maintenance", origin);
        let Some(c) = self.conferences.get(conf) else {
            return;
        };
        let mut b = match who.and_then(|w| pick(c, w)) {
            Some(m) => self.member_data(b, c, m),
            None => self.conference_data(b, c),
        };
        let extras = |mut b: EventBuilder, extras: &[Extra<'_>]| {
            for extra in extras {
                b = match extra {
                    Extra::Header(name, value) => b.header(*name, value.as_str()),
                    Extra::Member(who) => match pick(c, *who) {
                        Some(m) => self.member_data(b, c, m),
                        None => b,
                    },
                };
            }
            b
        };
        b = extras(b, before);
        b = b.header("Action", action);
        b = extras(b, after);
        let event = b.build();
        self.publish(&event);
    }

    /// An event with the conference's data, `Action`, then `extra` headers.
    pub(crate) fn conference_event(
        &mut self,
        conf: &str,
        origin: Origin,
        action: &str,
        extra: &[(&'static str, String)],
    ) {
        let after: Vec<Extra<'_>> = extra
            .iter()
            .map(|(n, v)| Extra::Header(n, v.clone()))
            .collect();
        self.maintenance(conf, origin, None, &[], action, &after);
    }

    /// An event with a member's data, `Action`, then `extra` headers.
    pub(crate) fn member_event(
        &mut self,
        conf: &str,
        who: Who<'_>,
        origin: Origin,
        action: &str,
        extra: &[(&'static str, String)],
    ) {
        let after: Vec<Extra<'_>> = extra
            .iter()
            .map(|(n, v)| Extra::Header(n, v.clone()))
            .collect();
        self.maintenance(conf, origin, Some(who), &[], action, &after);
    }

    /// `conference_member_set_floor_holder`: the floor moves to `to` (or nobody) and
    /// `floor-change` says so: `Old-ID` is the old holder while it is still a member with
    /// a live channel (`none` once it is leaving), then the new holder's data and `New-ID`.
    pub(crate) fn set_floor_holder(&mut self, conf: &str, to: Option<u32>) {
        let Some(c) = self.conferences.get_mut(conf) else {
            return;
        };
        if c.floor.is_some() && c.floor == to {
            return;
        }
        let old = c.floor;
        c.floor = to;
        let old = old.filter(|id| {
            self.conferences
                .get(conf)
                .and_then(|c| c.gettable(*id, |u| self.channel_up(u)))
                .is_some()
        });
        let mut after = vec![Extra::Header(
            "Old-ID",
            old.map_or_else(|| "none".into(), |id| id.to_string()),
        )];
        match to {
            Some(id) => {
                after.push(Extra::Member(Who::Id(id)));
                after.push(Extra::Header("New-ID", id.to_string()));
            }
            None => after.push(Extra::Header("New-ID", "none".into())),
        }
        self.maintenance(
            conf,
            (
                "conference_member.c",
                "conference_member_set_floor_holder",
                1158,
            ),
            None,
            &[],
            "floor-change",
            &after,
        );
    }
}
