//! Call-control state: channels, calls and conferences, updated from events alone.
//!
//! A [`Tracker`] is fed every [`Event`] a connection receives and keeps three tables: the
//! channels (one [`Channel`] per `Unique-ID`), the calls (legs grouped, see [`Call`]) and the
//! conferences with their members. Each update returns what changed, so an application can
//! react without diffing. It reads no clock: every time it records comes from the event.
//!
//! ```
//! use esl_proto::{Change, Event, Tracker};
//!
//! let mut tracker = Tracker::new();
//! let create = Event::builder("CHANNEL_CREATE")
//!     .header("Unique-ID", "a1")
//!     .header("Call-Direction", "inbound")
//!     .header("Channel-State", "CS_INIT")
//!     .header("Caller-Destination-Number", "1000")
//!     .build();
//! assert_eq!(tracker.update(&create), [Change::ChannelCreated("a1".into())]);
//! let channel = tracker.channel("a1").unwrap();
//! assert!(channel.is_inbound());
//! assert_eq!(channel.destination.as_deref(), Some("1000"));
//!
//! let destroy = Event::builder("CHANNEL_DESTROY").header("Unique-ID", "a1").build();
//! assert!(matches!(&tracker.update(&destroy)[..], [Change::ChannelRemoved(c)] if c.uuid == "a1"));
//! assert!(tracker.channel("a1").is_none());
//! ```
//!
//! # What the tracker needs to see
//!
//! Subscribe to the `CHANNEL_*` events (or `ALL`) for channels and calls, and to
//! `CUSTOM conference::maintenance` for conferences. A channel leaves the table only on its
//! `CHANNEL_DESTROY`: a subscription without it leaves channels behind until the bound
//! ([`TrackerConfig::max_channels`]) stops new ones; [`Tracker::remove_channel`] prunes by hand.

mod call;
mod channel;
mod conference;
mod rebuild;

use std::collections::{BTreeMap, HashSet, VecDeque};

pub use call::Call;
pub use channel::{CallState, Channel, Direction};
pub use conference::{Conference, Member, MemberFlags};
pub use rebuild::RebuildError;

use crate::event::{ChannelState, Event};
use crate::event_name::EventName;

/// What one event changed. [`Tracker::update`] returns them in the order they happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// A channel entered the table (its own one-leg call with it).
    ChannelCreated(String),
    /// A tracked channel's record changed.
    ChannelUpdated(String),
    /// A channel left the table on its `CHANNEL_DESTROY`: its last record, leaving its call.
    ChannelRemoved(Box<Channel>),
    /// An event would have added this channel, but the table is full
    /// ([`TrackerConfig::max_channels`]); it is not tracked.
    ChannelNotTracked(String),
    /// A leg joined a call (its own call, named after it, is gone).
    LegJoined {
        /// The call it joined.
        call: String,
        /// The leg.
        leg: String,
    },
    /// A leg left a call on `CHANNEL_UNBRIDGE` and is now a call of its own, named after it
    /// (`<uuid>#2`, ... while a call of that name still exists: the call it left keeps its
    /// id even when that was the leaving leg's uuid).
    LegLeft {
        /// The call it left.
        call: String,
        /// The leg.
        leg: String,
    },
    /// `CHANNEL_BRIDGE`: `a` (`Bridge-A-Unique-ID`) was bridged to `b`.
    CallBridged {
        /// The A leg.
        a: String,
        /// The B leg.
        b: String,
    },
    /// `CHANNEL_UNBRIDGE`: `a` and `b` are no longer bridged.
    CallUnbridged {
        /// The A leg.
        a: String,
        /// The B leg.
        b: String,
    },
    /// A conference entered the table.
    ConferenceCreated(String),
    /// A conference ended (`conference-destroy`): its last record.
    ConferenceDestroyed(Box<Conference>),
    /// An event would have added this conference, but the table is full
    /// ([`TrackerConfig::max_conferences`]).
    ConferenceNotTracked(String),
    /// A member joined a conference.
    MemberJoined {
        /// The conference's name.
        conference: String,
        /// The `Member-ID`.
        member: u32,
    },
    /// A member's record (flags, energy level, ...) changed.
    MemberUpdated {
        /// The conference's name.
        conference: String,
        /// The `Member-ID`.
        member: u32,
    },
    /// A member left (`del-member`): its last record.
    MemberLeft {
        /// The conference's name.
        conference: String,
        /// The member as it was.
        member: Member,
    },
    /// An event would have added this member, but the member bound is reached
    /// ([`TrackerConfig::max_members`]).
    MemberNotTracked {
        /// The conference's name.
        conference: String,
        /// The `Member-ID`.
        member: u32,
    },
    /// The floor moved (`floor-change`, or its holder left).
    FloorChanged {
        /// The conference's name.
        conference: String,
        /// Who held it, as tracked (the event's own `Old-ID` is not trusted: in
        /// `inbound_conference` it reads `none` while member 1 held the floor).
        from: Option<u32>,
        /// Who holds it now (`New-ID`).
        to: Option<u32>,
    },
}

/// The bounds of a [`Tracker`] and what it does with channels it has not seen created.
///
/// ```
/// use esl_proto::{Tracker, TrackerConfig};
///
/// let tracker = Tracker::with_config(TrackerConfig::default().max_channels(50_000).adopt(false));
/// assert_eq!(tracker.config().max_channels, 50_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrackerConfig {
    /// Most channels tracked at once. Default 10,000: ten times the `max-sessions` of a
    /// vanilla `switch.conf.xml` (1,000) and the concurrency the workspace aims at. A channel
    /// holds its variables (about 70 on a loopback channel, a few KB), so the table stays
    /// within tens of MB. When full, an event that would add a channel adds nothing,
    /// returns [`Change::ChannelNotTracked`] and counts in
    /// [`TrackerStats::channels_not_tracked`]; tracked channels go on being updated.
    pub max_channels: usize,
    /// Most conferences tracked at once. Default 1,000.
    pub max_conferences: usize,
    /// Most conference members tracked at once, over all conferences. Default 10,000 (each
    /// member is a channel).
    pub max_members: usize,
    /// Whether a `CHANNEL_*` event about an unknown, live channel adds it (true, the
    /// default), or only its `CHANNEL_CREATE` does. Adopting keeps the table right when the
    /// tracker starts (or reconnects) while calls are up, and catches the events FreeSWITCH
    /// sends before `CHANNEL_CREATE` (`CHANNEL_OUTGOING` and `CHANNEL_STATE CS_INIT` in
    /// `inbound_events_plain`). A channel that is already hanging up is never adopted.
    pub adopt: bool,
    /// How many removed channel and conference uuids are remembered, so that a straggling
    /// event cannot bring them back. FreeSWITCH sends a `CHANNEL_STATE` with `CS_DESTROY`
    /// *after* `CHANNEL_DESTROY` (every capture shows it), and events of two channels
    /// interleave differently from run to run. Default 1,024.
    pub remembered_removals: usize,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            max_channels: 10_000,
            max_conferences: 1_000,
            max_members: 10_000,
            adopt: true,
            remembered_removals: 1_024,
        }
    }
}

impl TrackerConfig {
    /// Sets [`TrackerConfig::max_channels`].
    pub fn max_channels(mut self, channels: usize) -> TrackerConfig {
        self.max_channels = channels;
        self
    }

    /// Sets [`TrackerConfig::max_conferences`].
    pub fn max_conferences(mut self, conferences: usize) -> TrackerConfig {
        self.max_conferences = conferences;
        self
    }

    /// Sets [`TrackerConfig::max_members`].
    pub fn max_members(mut self, members: usize) -> TrackerConfig {
        self.max_members = members;
        self
    }

    /// Sets [`TrackerConfig::adopt`].
    pub fn adopt(mut self, adopt: bool) -> TrackerConfig {
        self.adopt = adopt;
        self
    }

    /// Sets [`TrackerConfig::remembered_removals`].
    pub fn remembered_removals(mut self, removals: usize) -> TrackerConfig {
        self.remembered_removals = removals;
        self
    }
}

/// Counters of what a [`Tracker`] could not hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrackerStats {
    /// Events that would have added a channel while the table was full (one channel refused
    /// by several events counts once per event).
    pub channels_not_tracked: u64,
    /// Events that would have added a conference while the table was full.
    pub conferences_not_tracked: u64,
    /// Events that would have added a member while the member bound was reached.
    pub members_not_tracked: u64,
}

/// Channels, calls and conferences, kept from events. See the [module docs](self).
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    config: TrackerConfig,
    channels: BTreeMap<String, Channel>,
    calls: BTreeMap<String, Call>,
    conferences: BTreeMap<String, Conference>,
    members: usize,
    removed: Removed,
    stats: TrackerStats,
}

impl Tracker {
    /// A tracker with the default [`TrackerConfig`].
    pub fn new() -> Tracker {
        Tracker::with_config(TrackerConfig::default())
    }

    /// A tracker with `config`.
    pub fn with_config(config: TrackerConfig) -> Tracker {
        Tracker {
            config,
            channels: BTreeMap::new(),
            calls: BTreeMap::new(),
            conferences: BTreeMap::new(),
            members: 0,
            removed: Removed::default(),
            stats: TrackerStats::default(),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    /// What could not be tracked so far.
    pub fn stats(&self) -> TrackerStats {
        self.stats
    }

    /// Applies one event; returns what changed, in order (empty if nothing did).
    pub fn update(&mut self, event: &Event) -> Vec<Change> {
        let mut changes = Vec::new();
        let name = event.name();
        if event.is("conference::maintenance") {
            self.conference_event(event, &mut changes);
        }
        if let Some(uuid) = event.unique_id() {
            self.channel_event(&name, &uuid, event, &mut changes);
        }
        match name {
            EventName::ChannelBridge => self.bridge(event, &mut changes),
            EventName::ChannelUnbridge => self.unbridge(event, &mut changes),
            _ => {}
        }
        changes
    }

    /// The channel `uuid`.
    pub fn channel(&self, uuid: &str) -> Option<&Channel> {
        self.channels.get(uuid)
    }

    /// Every tracked channel, by uuid.
    pub fn channels(&self) -> impl Iterator<Item = &Channel> + '_ {
        self.channels.values()
    }

    /// How many channels are tracked.
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// The call the channel `uuid` belongs to.
    pub fn call_of(&self, uuid: &str) -> Option<&Call> {
        self.calls.get(&self.channels.get(uuid)?.call)
    }

    /// The call with this id.
    pub fn call(&self, id: &str) -> Option<&Call> {
        self.calls.get(id)
    }

    /// Every call, by id.
    pub fn calls(&self) -> impl Iterator<Item = &Call> + '_ {
        self.calls.values()
    }

    /// The other leg of the channel `uuid`: the channel it is bridged to if that one is
    /// tracked, else the first other leg of its call (for a B leg, the A leg; for the A leg,
    /// the first leg it originated).
    pub fn other_leg(&self, uuid: &str) -> Option<&Channel> {
        let channel = self.channels.get(uuid)?;
        if let Some(peer) = channel
            .bridged_to
            .as_deref()
            .and_then(|b| self.channels.get(b))
        {
            return Some(peer);
        }
        self.calls
            .get(&channel.call)?
            .legs
            .iter()
            .find(|leg| *leg != uuid)
            .and_then(|leg| self.channels.get(leg))
    }

    /// The conference called `name`.
    pub fn conference(&self, name: &str) -> Option<&Conference> {
        self.conferences.get(name)
    }

    /// Every tracked conference, by name.
    pub fn conferences(&self) -> impl Iterator<Item = &Conference> + '_ {
        self.conferences.values()
    }

    /// Forgets the channel `uuid` as if its `CHANNEL_DESTROY` had arrived (for a channel whose
    /// destroy event was missed, e.g. found gone by `show channels`).
    pub fn remove_channel(&mut self, uuid: &str) -> Option<Channel> {
        self.remove(uuid).map(|(channel, _)| channel)
    }

    /// Removes a channel from the tables; also returns the channel that was bridged to it,
    /// which is no longer.
    fn remove(&mut self, uuid: &str) -> Option<(Channel, Option<String>)> {
        let channel = self.channels.remove(uuid)?;
        self.removed.remember(uuid, self.config.remembered_removals);
        if let Some(call) = self.calls.get_mut(&channel.call) {
            call.legs.retain(|leg| leg != uuid);
            if call.legs.is_empty() {
                self.calls.remove(&channel.call);
            }
        }
        // FreeSWITCH sends CHANNEL_UNBRIDGE before either leg is destroyed; should it be
        // missed, the peer must not stay bridged to a channel that is gone.
        let peer = channel.bridged_to.as_deref().and_then(|peer| {
            let other = self.channels.get_mut(peer)?;
            (other.bridged_to.as_deref() == Some(uuid)).then(|| {
                other.bridged_to = None;
                peer.to_owned()
            })
        });
        Some((channel, peer))
    }

    /// Forgets everything (the counters stay).
    pub fn clear(&mut self) {
        self.channels.clear();
        self.calls.clear();
        self.conferences.clear();
        self.members = 0;
        self.removed = Removed::default();
    }

    fn channel_event(
        &mut self,
        name: &EventName,
        uuid: &str,
        event: &Event,
        out: &mut Vec<Change>,
    ) {
        if *name == EventName::ChannelDestroy {
            if let Some((channel, peer)) = self.remove(uuid) {
                out.push(Change::ChannelRemoved(Box::new(channel)));
                if let Some(peer) = peer {
                    out.push(Change::ChannelUpdated(peer));
                }
            } else {
                self.removed.remember(uuid, self.config.remembered_removals);
            }
            return;
        }
        if let Some(channel) = self.channels.get_mut(uuid) {
            if channel.apply(name, event) {
                out.push(Change::ChannelUpdated(uuid.to_owned()));
            }
        } else if self.may_create(name, uuid, event) {
            if self.channels.len() >= self.config.max_channels {
                self.stats.channels_not_tracked += 1;
                out.push(Change::ChannelNotTracked(uuid.to_owned()));
                return;
            }
            let call = self.fresh_call_id(uuid);
            let mut channel = Channel::new(uuid, call.clone());
            channel.apply(name, event);
            self.channels.insert(uuid.to_owned(), channel);
            self.calls.insert(call.clone(), Call::new(call, uuid));
            out.push(Change::ChannelCreated(uuid.to_owned()));
        } else {
            return;
        }
        self.follow_origination(uuid, event, out);
    }

    /// Whether an event about an untracked channel adds it.
    fn may_create(&self, name: &EventName, uuid: &str, event: &Event) -> bool {
        if self.removed.contains(uuid) {
            return false;
        }
        if *name == EventName::ChannelCreate {
            return true;
        }
        // Only channel events: `CODEC` comes before anything else but carries no caller
        // profile, and a subscription to `conference::maintenance` alone names member
        // channels whose destroy will never be seen. And not a channel already hanging up,
        // whose destroy may be all that is left to come: `Answer-State: hangup` is set at
        // once, while `Channel-State` can still read `CS_EXECUTE` (the
        // `CHANNEL_EXECUTE_COMPLETE` of `hangup` in `inbound_events_plain`).
        let dying = matches!(
            name,
            EventName::ChannelHangup | EventName::ChannelHangupComplete
        ) || matches!(
            event.channel_state(),
            Some(ChannelState::Hangup | ChannelState::Reporting | ChannelState::Destroy)
        ) || event
            .header("Answer-State")
            .is_some_and(|s| s.eq_ignore_ascii_case("hangup"));
        self.config.adopt && name.as_str().starts_with("CHANNEL_") && !dying
    }

    /// Groups `uuid` with the leg that originated it (or that it originated), once.
    fn follow_origination(&mut self, uuid: &str, event: &Event, out: &mut Vec<Change>) {
        if self.channels.get(uuid).is_none_or(|c| c.linked) {
            return;
        }
        let Some((peer, this_is_a)) = origination_hint(event) else {
            return;
        };
        if peer == uuid || !self.channels.contains_key(&peer) {
            // The other leg may be tracked later: its own events carry the hint back, and
            // this channel's next event carries it again.
            return;
        }
        let (a, b) = if this_is_a {
            (uuid, peer.as_str())
        } else {
            (peer.as_str(), uuid)
        };
        self.join(a, b, out);
    }

    /// Moves `b`'s call into `a`'s and marks both legs as linked.
    fn join(&mut self, a: &str, b: &str, out: &mut Vec<Change>) {
        let (Some(a_call), Some(b_call)) = (
            self.channels.get(a).map(|c| c.call.clone()),
            self.channels.get(b).map(|c| c.call.clone()),
        ) else {
            return;
        };
        for leg in [a, b] {
            if let Some(channel) = self.channels.get_mut(leg) {
                channel.linked = true;
            }
        }
        if a_call == b_call {
            return;
        }
        let Some(moved) = self.calls.remove(&b_call) else {
            return;
        };
        for leg in &moved.legs {
            if let Some(channel) = self.channels.get_mut(leg) {
                channel.call = a_call.clone();
            }
        }
        if let Some(call) = self.calls.get_mut(&a_call) {
            for leg in moved.legs {
                out.push(Change::LegJoined {
                    call: a_call.clone(),
                    leg: leg.clone(),
                });
                call.legs.push(leg);
            }
        }
    }

    /// `CHANNEL_BRIDGE`: `Bridge-A-Unique-ID` is the caller, `Bridge-B-Unique-ID` the peer
    /// (`switch_ivr_multi_threaded_bridge` in FreeSWITCH's `switch_ivr_bridge.c`; no capture
    /// holds a bridge).
    fn bridge(&mut self, event: &Event, out: &mut Vec<Change>) {
        let Some((a, b)) = bridge_legs(event) else {
            return;
        };
        let mut changed = false;
        for (this, other) in [(&a, &b), (&b, &a)] {
            if let Some(channel) = self.channels.get_mut(this.as_str()) {
                changed |= channel::set(&mut channel.bridged_to, other.clone());
            }
        }
        if changed {
            out.push(Change::CallBridged {
                a: a.clone(),
                b: b.clone(),
            });
        }
        self.join(&a, &b, out);
    }

    /// `CHANNEL_UNBRIDGE`: the two legs part; the B leg becomes a call of its own.
    fn unbridge(&mut self, event: &Event, out: &mut Vec<Change>) {
        let Some((a, b)) = bridge_legs(event) else {
            return;
        };
        let mut changed = false;
        for (this, other) in [(&a, &b), (&b, &a)] {
            if let Some(channel) = self.channels.get_mut(this.as_str()) {
                if channel.bridged_to.as_deref() == Some(other.as_str()) {
                    channel.bridged_to = None;
                    changed = true;
                }
            }
        }
        if changed {
            out.push(Change::CallUnbridged {
                a: a.clone(),
                b: b.clone(),
            });
        }
        let same_call = match (self.channels.get(&a), self.channels.get(&b)) {
            (Some(ca), Some(cb)) => ca.call == cb.call,
            _ => false,
        };
        if same_call {
            self.split(&b, out);
        }
    }

    /// Takes `leg` out of its call into a call of its own.
    fn split(&mut self, leg: &str, out: &mut Vec<Change>) {
        let Some(old_id) = self.channels.get(leg).map(|c| c.call.clone()) else {
            return;
        };
        let Some(mut old) = self.calls.remove(&old_id) else {
            return;
        };
        old.legs.retain(|l| l != leg);
        if old.legs.is_empty() {
            // Alone already: put it back as it was.
            old.legs.push(leg.to_owned());
            self.calls.insert(old_id, old);
            return;
        }
        out.push(Change::LegLeft {
            call: old.id.clone(),
            leg: leg.to_owned(),
        });
        // Back in the table before a new id is chosen, so that the new id cannot be its.
        self.calls.insert(old.id.clone(), old);
        let own = self.fresh_call_id(leg);
        if let Some(channel) = self.channels.get_mut(leg) {
            channel.call = own.clone();
        }
        self.calls.insert(own.clone(), Call::new(own, leg));
    }

    /// `base`, or `base#2`, `base#3`, ... if a call already has that id (the call a leg started
    /// keeps its name after that leg left or was destroyed).
    fn fresh_call_id(&self, base: &str) -> String {
        if !self.calls.contains_key(base) {
            return base.to_owned();
        }
        (2u64..)
            .map(|n| format!("{base}#{n}"))
            .find(|id| !self.calls.contains_key(id))
            .unwrap_or_else(|| base.to_owned())
    }
}

/// The other leg an event names, and whether this channel is the originating (A) side.
///
/// In order: `Other-Leg-Unique-ID` with `Other-Type` (`originatee` means the *other* leg is
/// the originatee; `switch_channel_event_set_basic_data` writes them from the originator /
/// originatee caller profiles), `variable_originator` (set on a leg originated by another),
/// and `variable_other_loopback_leg_uuid` with `variable_loopback_leg` `A` / `B`, which is
/// the only link between the two loopback legs of `inbound_events_plain`.
fn origination_hint(event: &Event) -> Option<(String, bool)> {
    if let (Some(peer), Some(kind)) = (
        event.header("Other-Leg-Unique-ID"),
        event.header("Other-Type"),
    ) {
        if kind.eq_ignore_ascii_case("originatee") {
            return Some((peer.into_owned(), true));
        }
        if kind.eq_ignore_ascii_case("originator") {
            return Some((peer.into_owned(), false));
        }
    }
    if let Some(peer) = event.variable("originator") {
        return Some((peer.into_owned(), false));
    }
    let peer = event.variable("other_loopback_leg_uuid")?;
    let leg = event.variable("loopback_leg")?;
    if leg.eq_ignore_ascii_case("A") {
        Some((peer.into_owned(), true))
    } else if leg.eq_ignore_ascii_case("B") {
        Some((peer.into_owned(), false))
    } else {
        None
    }
}

/// `Bridge-A-Unique-ID` and `Bridge-B-Unique-ID` of a bridge event.
fn bridge_legs(event: &Event) -> Option<(String, String)> {
    let a = event.header("Bridge-A-Unique-ID")?.into_owned();
    let b = event.header("Bridge-B-Unique-ID")?.into_owned();
    (a != b).then_some((a, b))
}

/// The uuids removed last, so that late events cannot resurrect them.
#[derive(Debug, Clone, Default)]
struct Removed {
    order: VecDeque<String>,
    set: HashSet<String>,
}

impl Removed {
    fn remember(&mut self, uuid: &str, capacity: usize) {
        if capacity == 0 || self.set.contains(uuid) {
            return;
        }
        while self.order.len() >= capacity {
            match self.order.pop_front() {
                Some(old) => {
                    self.set.remove(&old);
                }
                None => break,
            }
        }
        self.order.push_back(uuid.to_owned());
        self.set.insert(uuid.to_owned());
    }

    fn contains(&self, uuid: &str) -> bool {
        self.set.contains(uuid)
    }
}
