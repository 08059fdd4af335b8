//! Names the switch gives: connection ids, and uuids drawn from one seeded generator so that
//! the same seed names everything the same way on every run.

use std::fmt;

/// A connection to the simulated switch: an inbound client, or an outbound socket the
/// `socket` application opened. Ids are never reused by one [`Switch`](crate::Switch).
///
/// ```
/// let mut switch = esl_sim::Switch::new(esl_sim::Config::default());
/// let first = switch.open();
/// let second = switch.open();
/// assert!(first < second);
/// assert_eq!(first.to_string(), format!("conn#{}", first.get()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnectionId(pub(crate) u64);

impl ConnectionId {
    /// The number behind the id.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}", self.0)
    }
}

/// Version 4 uuids (random, as FreeSWITCH's `switch_uuid_get` makes them), from a seeded
/// generator instead of the operating system's.
pub(crate) struct Uuids {
    rng: fastrand::Rng,
}

impl fmt::Debug for Uuids {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Uuids")
    }
}

impl Uuids {
    pub(crate) fn new(seed: u64) -> Uuids {
        Uuids {
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// The next uuid, `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`.
    pub(crate) fn next(&mut self) -> String {
        esl_proto::client::uuid_v4(self.rng.u128(..).to_be_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4_and_follow_the_seed() {
        let (mut a, mut b, mut c) = (Uuids::new(7), Uuids::new(7), Uuids::new(8));
        let first = a.next();
        assert_eq!(first.len(), 36);
        assert_eq!(&first[14..15], "4");
        assert!(matches!(&first[19..20], "8" | "9" | "a" | "b"));
        assert_eq!(first, b.next());
        assert_ne!(first, c.next());
        assert_ne!(a.next(), first);
    }
}
