//! A set of event names: FreeSWITCH's known names as the bits of one integer, any other name
//! as a string.
//!
//! `myevents` alone subscribes to 23 names, and a connection keeps its subscriptions three
//! times over (asked, confirmed, on the wire): as strings in ordered sets that was 4.6 KiB of
//! every idle outbound session. As bits it is no allocation at all, and the test an event
//! goes through on its way in is a bit test instead of a string search.

use std::collections::BTreeSet;

use crate::event_name::EventName;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct NameSet {
    /// Bit `i`: [`EventName::KNOWN`]`[i]`.
    known: u128,
    /// Names FreeSWITCH's list does not have, upper-cased.
    other: BTreeSet<String>,
}

fn bit(at: usize) -> u128 {
    1u128 << at
}

impl NameSet {
    /// Every known name but `ALL` (what `nixevent <name>` after `event ALL` starts from).
    pub(super) fn every_known_name() -> NameSet {
        let mut set = NameSet::default();
        for name in EventName::KNOWN.iter().filter(|n| **n != EventName::All) {
            set.insert(name);
        }
        set
    }

    pub(super) fn insert(&mut self, name: &EventName) {
        match name.known_index() {
            Some(at) => self.known |= bit(at),
            None => {
                self.other.insert(name.as_str().to_ascii_uppercase());
            }
        }
    }

    pub(super) fn remove(&mut self, name: &EventName) {
        match name.known_index() {
            Some(at) => self.known &= !bit(at),
            None => {
                self.other.remove(&name.as_str().to_ascii_uppercase());
            }
        }
    }

    /// `name` as an event carries it: any name but a known one must match exactly.
    pub(super) fn contains(&self, name: &EventName) -> bool {
        match name.known_index() {
            Some(at) => self.known & bit(at) != 0,
            None => self.other.contains(name.as_str()),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.known == 0 && self.other.is_empty()
    }

    pub(super) fn clear(&mut self) {
        *self = NameSet::default();
    }

    /// The names, in alphabetical order.
    pub(super) fn iter(&self) -> std::vec::IntoIter<&str> {
        let known = EventName::KNOWN.iter().enumerate();
        let mut names: Vec<&str> = known
            .filter(|(at, _)| self.known & bit(*at) != 0)
            .map(|(_, name)| name.as_str())
            .chain(self.other.iter().map(String::as_str))
            .collect();
        names.sort_unstable();
        names.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_other_names_are_kept_sorted() {
        let mut set = NameSet::default();
        for name in ["HEARTBEAT", "my_event", "CHANNEL_CREATE", "channel_answer"] {
            set.insert(&EventName::parse(name));
        }
        let names: Vec<&str> = set.iter().collect();
        assert_eq!(
            names,
            ["CHANNEL_ANSWER", "CHANNEL_CREATE", "HEARTBEAT", "MY_EVENT"]
        );
        assert!(set.contains(&EventName::ChannelAnswer));
        assert!(set.contains(&EventName::parse("MY_EVENT")));
        assert!(!set.contains(&EventName::parse("My_Event")));
        set.remove(&EventName::parse("MY_EVENT"));
        set.remove(&EventName::Heartbeat);
        assert!(!set.contains(&EventName::Heartbeat));
        assert_eq!(set.iter().count(), 2);
        set.clear();
        assert!(set.is_empty());
        assert_eq!(
            NameSet::every_known_name().iter().count(),
            EventName::KNOWN.len() - 1
        );
    }
}
