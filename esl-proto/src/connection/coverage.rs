//! What the connection is subscribed to, and the subscriptions it adds for itself.
//!
//! A `bgapi` completes with a `BACKGROUND_JOB` event and a waiting `execute` with a
//! `CHANNEL_EXECUTE_COMPLETE`, which the switch only sends to a connection subscribed to
//! them (`event_handler` in `mod_event_socket.c` tests the connection's event list and its
//! filters). When the application's own subscriptions do not let them through, the
//! connection subscribes (and adds a filter, if the application has filters) for as long as
//! some request needs them, then withdraws what it added, so that a connection that ran one
//! `execute` does not go on receiving every channel's completions for the rest of its life.
//!
//! The connection can also be asked to keep some events coming for as long as it lives (a
//! call table that must see every channel come and go): those are its standing
//! subscriptions, covered the same way and never withdrawn.
//!
//! Subscription commands count once the switch said `+OK`: a refused one (`-ERR`) changes
//! nothing, neither the record a reconnect replays nor the view the coverage is decided on.
//!
//! A name with `::` in it is a `CUSTOM` subclass (`conference::maintenance`).

use std::collections::BTreeSet;

use crate::command::Command;
use crate::event::Event;
use crate::subscriptions::Subscriptions;

pub(super) const BACKGROUND_JOB: &str = "BACKGROUND_JOB";
pub(super) const EXECUTE: &str = "CHANNEL_EXECUTE";
pub(super) const EXECUTE_COMPLETE: &str = "CHANNEL_EXECUTE_COMPLETE";

/// What the library added for itself: an event name, and whether a filter came with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Added {
    name: &'static str,
    filter: bool,
}

#[derive(Debug, Default)]
pub(super) struct Coverage {
    /// The application's subscription commands the switch accepted.
    user: Subscriptions,
    /// Every subscription command the switch accepted, the connection's own included.
    confirmed: Subscriptions,
    /// `confirmed` plus the commands sent and not yet answered: what the switch will be
    /// doing once it has read everything sent.
    wire: Subscriptions,
    /// What the connection subscribed to for itself and has not withdrawn.
    added: BTreeSet<Added>,
    /// Names withdrawn whose `nixevent` the switch has not answered yet: their events may
    /// still arrive, and are still not the application's.
    withdrawing: BTreeSet<&'static str>,
    /// What the connection keeps subscribed to for as long as it lives.
    standing: BTreeSet<&'static str>,
}

/// What a request needs the switch to send: an event name, about a channel.
#[derive(Debug, Clone, Copy)]
pub(super) struct Need<'a> {
    pub(super) name: &'static str,
    pub(super) channel: Option<&'a str>,
}

impl Coverage {
    /// What the application subscribed to, as the switch accepted it.
    pub(super) fn user(&self) -> &Subscriptions {
        &self.user
    }

    /// What the switch has been told, the connection's own subscriptions included.
    pub(super) fn wire(&self) -> &Subscriptions {
        &self.wire
    }

    /// The event names the connection subscribed to for itself.
    pub(super) fn added_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.added.iter().map(|a| a.name)
    }

    /// True if `event` may reach the connection because the connection asked for it.
    pub(super) fn is_added(&self, event: &Event) -> bool {
        // Asked of every event on the reading thread, and most connections add nothing: a
        // subclass is a search through the event's headers, only worth it when it can match.
        if self.added.is_empty() && self.withdrawing.is_empty() {
            return false;
        }
        let name = event.name();
        let subclass = match name {
            crate::EventName::Custom => event.subclass(),
            _ => None,
        };
        let key = subclass.as_deref().unwrap_or(name.as_str());
        self.added.iter().any(|a| a.name == key) || self.withdrawing.contains(key)
    }

    /// Keeps `name` subscribed for as long as the connection lives.
    pub(super) fn stand(&mut self, name: &'static str) {
        self.standing.insert(name);
    }

    /// The standing subscriptions.
    pub(super) fn standing(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.standing.iter().copied()
    }

    /// True if `name` is a standing subscription.
    pub(super) fn is_standing(&self, name: &str) -> bool {
        self.standing.contains(name)
    }

    /// A subscription command went out.
    pub(super) fn sent(&mut self, command: &Command) {
        self.wire.apply(command);
    }

    /// The switch answered a subscription command: `+OK` records it, `-ERR` undoes it in
    /// the view of what the switch does. `unanswered` are the subscription commands sent
    /// after it, still waiting for their reply.
    pub(super) fn answered<'a>(
        &mut self,
        command: &Command,
        by_user: bool,
        ok: bool,
        unanswered: impl Iterator<Item = &'a Command>,
    ) {
        if let (false, Command::NixEvent { events }) = (by_user, command) {
            self.withdrawing
                .retain(|name| !events.iter().any(|e| e == name));
        }
        if ok {
            self.confirmed.apply(command);
            if by_user {
                self.user.apply(command);
            }
            return;
        }
        self.wire = self.confirmed.clone();
        for command in unanswered {
            self.wire.apply(command);
        }
    }

    /// An event of the kind `need` waits for, to ask the subscription model about.
    fn probe(need: Need<'_>, session: Option<&str>) -> Event {
        let mut probe = match subclass(need.name) {
            Some(sub) => Event::builder("CUSTOM").header("Event-Subclass", sub),
            None => Event::builder(need.name),
        };
        if let Some(channel) = need.channel.or(session) {
            probe = probe.header("Unique-ID", channel);
        }
        probe.build()
    }

    /// The commands that make the switch send what `need` asks for, if it would not.
    pub(super) fn cover(&mut self, need: Need<'_>, session: Option<&str>) -> Vec<Command> {
        let probe = Coverage::probe(need, session);
        if self.wire.admits(&probe, session) {
            return Vec::new();
        }
        let mut commands = vec![Command::Event {
            format: Some(self.wire.format()),
            events: words(need.name),
        }];
        let mut after = self.wire.clone();
        after.apply(&commands[0]);
        let filter = !after.admits(&probe, session) && !after.filters().is_empty();
        if filter {
            match subclass(need.name) {
                Some(sub) => commands.push(Command::filter("Event-Subclass", sub)),
                None => commands.push(Command::filter("Event-Name", need.name)),
            }
        }
        self.added.insert(Added {
            name: need.name,
            filter,
        });
        commands
    }

    /// The commands that withdraw what the connection added for `name`, now that no request
    /// needs it. What the application itself subscribed to stays.
    pub(super) fn withdraw(&mut self, name: &'static str) -> Vec<Command> {
        let Some(added) = self.added.iter().copied().find(|a| a.name == name) else {
            return Vec::new();
        };
        self.added.remove(&added);
        let mut commands = Vec::new();
        let user_wants = self.user.is_all()
            || match subclass(name) {
                Some(sub) => self.user.subclasses().any(|s| s == sub),
                None => self.user.events().any(|e| e == name),
            };
        if !user_wants {
            commands.push(Command::NixEvent {
                events: words(name),
            });
            self.withdrawing.insert(name);
        }
        let header = if subclass(name).is_some() {
            "Event-Subclass"
        } else {
            "Event-Name"
        };
        let user_filter = self
            .user
            .filters()
            .iter()
            .any(|f| f.header().eq_ignore_ascii_case(header) && f.value() == name);
        if added.filter && !user_filter {
            commands.push(Command::filter_delete(header, Some(name.to_owned())));
        }
        commands
    }
}

/// The subclass a name stands for, if it is one (`conference::maintenance`).
fn subclass(name: &str) -> Option<&str> {
    name.contains("::").then_some(name)
}

/// The words of `event` / `nixevent` for a name.
fn words(name: &str) -> Vec<String> {
    match subclass(name) {
        Some(sub) => vec!["CUSTOM".to_owned(), sub.to_owned()],
        None => vec![name.to_owned()],
    }
}
