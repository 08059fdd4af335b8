//! A call: the legs that belong together.

/// The legs of one call, the originating leg (the A leg) first.
///
/// A channel starts as a call of its own, named after its uuid. It joins another leg's call
/// when the events say which leg originated which (`Other-Leg-Unique-ID` with `Other-Type`,
/// `variable_originator`, or the `variable_other_loopback_leg_uuid` that links the two halves
/// of a loopback channel), or when a `CHANNEL_BRIDGE` bridges the two; a `CHANNEL_UNBRIDGE`
/// separates the B leg again into a call of its own. A call keeps its id while legs come and
/// go, even once the leg it was named after is gone, and ends with its last leg.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Call {
    /// The call's id: the uuid of the leg it started with.
    pub id: String,
    /// The uuids of its legs, the A leg first, then each leg in the order it joined.
    pub legs: Vec<String>,
}

impl Call {
    pub(crate) fn new(id: String, first_leg: &str) -> Call {
        Call {
            id,
            legs: vec![first_leg.to_owned()],
        }
    }

    /// The A leg: the one that originated the others (the first leg still tracked).
    pub fn a_leg(&self) -> Option<&str> {
        self.legs.first().map(String::as_str)
    }

    /// True if `uuid` is one of the call's legs.
    pub fn contains(&self, uuid: &str) -> bool {
        self.legs.iter().any(|leg| leg == uuid)
    }
}
