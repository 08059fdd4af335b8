//! The switches of a service, each under its name: the rules every adapter's `Service`
//! follows, over whatever it keeps for a switch.

use std::sync::Arc;

/// The switches of a service, each under a name, in the order they were added. What a
/// `Service` keeps for a switch (its client, its dispatch thread) is the adapter's `S`; the
/// names and their rules are kept here, once.
///
/// ```
/// use esl_proto::apps::{SwitchError, SwitchTable};
///
/// let mut switches = SwitchTable::new();
/// switches.insert("fs1".into(), 'a').unwrap();
/// assert_eq!(switches.check_free("fs1"), Err(SwitchError::Taken("fs1".into())));
/// // The switch refused is handed back, for the adapter to close.
/// assert_eq!(
///     switches.insert("fs1".into(), 'b'),
///     Err((SwitchError::Taken("fs1".into()), 'b'))
/// );
/// switches.insert("fs2".into(), 'c').unwrap();
/// assert_eq!(switches.names(), ["fs1", "fs2"]);
/// assert_eq!(switches.find("fs2"), Ok(&'c'));
/// assert_eq!(switches.find("fs3"), Err(SwitchError::Unknown("fs3".into())));
/// let closed: Vec<char> = switches.take_all().into_iter().map(|(_, s)| s).collect();
/// assert_eq!(closed, ['a', 'c']);
/// assert!(switches.names().is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct SwitchTable<S> {
    switches: Vec<(Arc<str>, S)>,
}

impl<S> Default for SwitchTable<S> {
    fn default() -> Self {
        SwitchTable {
            switches: Vec::new(),
        }
    }
}

impl<S> SwitchTable<S> {
    /// No switches.
    pub fn new() -> SwitchTable<S> {
        SwitchTable::default()
    }

    // ---- getters ----

    /// The names, in the order the switches were added.
    pub fn names(&self) -> Vec<String> {
        self.switches
            .iter()
            .map(|(name, _)| name.to_string())
            .collect()
    }

    /// The switch called `name`.
    pub fn get(&self, name: &str) -> Option<&S> {
        self.switches
            .iter()
            .find(|(taken, _)| **taken == *name)
            .map(|(_, switch)| switch)
    }

    /// [`SwitchTable::get`], with the error a request naming an unknown switch gets.
    pub fn find(&self, name: &str) -> Result<&S, SwitchError> {
        self.get(name)
            .ok_or_else(|| SwitchError::Unknown(name.to_string()))
    }

    /// Every switch with its name, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &S)> {
        self.switches.iter().map(|(name, switch)| (name, switch))
    }

    /// `Ok` if no switch is called `name` yet: checked before connecting, and again by
    /// [`SwitchTable::insert`], since another switch of that name may be added meanwhile.
    pub fn check_free(&self, name: &str) -> Result<(), SwitchError> {
        match self.get(name) {
            Some(_) => Err(SwitchError::Taken(name.to_string())),
            None => Ok(()),
        }
    }

    // ---- input ----

    /// Adds `switch` under `name`; if the name is taken, the switch is handed back with the
    /// error, for the caller to close.
    pub fn insert(&mut self, name: Arc<str>, switch: S) -> Result<(), (SwitchError, S)> {
        if let Err(error) = self.check_free(&name) {
            return Err((error, switch));
        }
        self.switches.push((name, switch));
        Ok(())
    }

    /// Every switch, taken out (the service is closing).
    pub fn take_all(&mut self) -> Vec<(Arc<str>, S)> {
        std::mem::take(&mut self.switches)
    }
}

/// Why a service cannot add or use a switch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SwitchError {
    /// A switch of this name is added already.
    #[error("a switch called {0} is already added")]
    Taken(String),
    /// No switch has this name.
    #[error("no switch called {0}")]
    Unknown(String),
}
