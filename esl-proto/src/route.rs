//! The matching half of a router: which handlers an event (a parked call) should go to.
//!
//! As in switchy's `Router`: guards are exact header values that must all hold; each route
//! matches a regular expression against one header (`Caller-Destination-Number` unless told
//! otherwise) and carries its own parameters; routes are tried in the order they were
//! registered; a handler's result says whether to stop trying the later ones.
//!
//! A pattern is matched like Python's `re.match`, which switchy uses: anchored at the start
//! of the value, not at its end. `1(.*)` matches `1800` but not `21800`; write `$` to anchor
//! the end (`^2[1-9]{3}$`).
//!
//! ```
//! use esl_proto::route::{Flow, Router, Dispatch};
//! use esl_proto::Event;
//!
//! let mut router = Router::new();
//! router.guard("Call-Direction", "inbound");
//! router.route("00(.*)|011(.*)", "reject")?.param("response", "407");
//! router.route("1(?P<rest>.*)", "bridge")?.param("gateway", "long_distance_trunk");
//! router.route(r"2[1-9]{3}$", "bridge")?.param("profile", "internal").param("proxy", "salespbx.com");
//!
//! let park = Event::builder("CHANNEL_PARK")
//!     .header("Call-Direction", "inbound")
//!     .header("Caller-Destination-Number", "18005550100")
//!     .build();
//! let matches = router.matches(&park);
//! assert_eq!(matches.len(), 1);
//! assert_eq!(*matches[0].handler, "bridge");
//! assert_eq!(matches[0].param("gateway"), Some("long_distance_trunk"));
//! assert_eq!(matches[0].captures.name("rest"), Some("8005550100"));
//!
//! // Run handlers in order; returning `Flow::Stop` (or `true`) ends routing.
//! let outcome = router.dispatch(&park, |m| {
//!     assert_eq!(*m.handler, "bridge");
//!     Flow::Stop
//! });
//! assert_eq!(outcome, Dispatch::Ran { count: 1, stopped: true });
//! # Ok::<(), esl_proto::RouteError>(())
//! ```

use regex::Regex;

use crate::error::RouteError;
use crate::event::Event;

/// The header a route matches when not told otherwise.
pub const DEFAULT_FIELD: &str = "Caller-Destination-Number";

/// Guards and routes to handlers of type `H` (a name, an id, a function pointer, ...).
#[derive(Debug, Clone)]
pub struct Router<H> {
    guards: Vec<(String, String)>,
    routes: Vec<Route<H>>,
}

impl<H> Default for Router<H> {
    fn default() -> Self {
        Router::new()
    }
}

impl<H> Router<H> {
    /// A router without guards or routes.
    pub fn new() -> Router<H> {
        Router {
            guards: Vec::new(),
            routes: Vec::new(),
        }
    }

    /// A router with these guards (switchy's `Router(guards={...})`).
    pub fn with_guards<I, K, V>(guards: I) -> Router<H>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut router = Router::new();
        for (header, value) in guards {
            router.guard(header, value);
        }
        router
    }

    /// Adds a guard: no route matches an event whose `header` is not exactly `value`
    /// (header names are case-insensitive, values are not; a missing header fails).
    pub fn guard(&mut self, header: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.guards.push((header.into(), value.into()));
        self
    }

    /// Registers a route on [`DEFAULT_FIELD`]. The pattern is compiled now; an invalid one is
    /// an error and registers nothing.
    pub fn route(&mut self, pattern: &str, handler: H) -> Result<&mut Route<H>, RouteError> {
        let route = Route::new(pattern, handler)?;
        self.routes.push(route);
        let last = self.routes.len() - 1;
        // Just pushed: the index is in range.
        Ok(&mut self.routes[last])
    }

    /// The guards, in the order they were added.
    pub fn guards(&self) -> &[(String, String)] {
        &self.guards
    }

    /// The routes, in registration order.
    pub fn routes(&self) -> &[Route<H>] {
        &self.routes
    }

    /// The header of the first guard `event` fails, if any.
    pub fn failed_guard(&self, event: &Event) -> Option<&str> {
        failed(&self.guards, event)
    }

    /// Every route that matches `event`, in registration order (none if a guard fails).
    pub fn iter_matches<'r, 'e>(
        &'r self,
        event: &'e Event,
    ) -> impl Iterator<Item = Match<'r, H>> + use<'r, 'e, H> {
        let guarded = self.failed_guard(event).is_some();
        self.routes
            .iter()
            .enumerate()
            .filter(move |_| !guarded)
            .filter_map(move |(index, route)| route.matching(index, event))
    }

    /// [`Router::iter_matches`], collected.
    pub fn matches(&self, event: &Event) -> Vec<Match<'_, H>> {
        self.iter_matches(event).collect()
    }

    /// Calls `handle` for each matching route in order until one returns [`Flow::Stop`]
    /// (`true` converts to `Stop`, `false` and `()` to `Continue`), and says how it went.
    /// Routes after a stop are not even matched.
    pub fn dispatch<F, R>(&self, event: &Event, mut handle: F) -> Dispatch
    where
        F: FnMut(&Match<'_, H>) -> R,
        R: Into<Flow>,
    {
        if let Some(header) = self.failed_guard(event) {
            return Dispatch::Guarded {
                header: header.to_owned(),
            };
        }
        let mut count = 0;
        for m in self.iter_matches(event) {
            count += 1;
            if handle(&m).into() == Flow::Stop {
                return Dispatch::Ran {
                    count,
                    stopped: true,
                };
            }
        }
        if count == 0 {
            Dispatch::NoMatch
        } else {
            Dispatch::Ran {
                count,
                stopped: false,
            }
        }
    }
}

/// One route: a pattern on a field, a handler, parameters and its own guards.
#[derive(Debug, Clone)]
pub struct Route<H> {
    handler: H,
    field: String,
    pattern: String,
    anchored: Regex,
    names: Vec<Option<String>>,
    params: Vec<(String, String)>,
    guards: Vec<(String, String)>,
}

impl<H> Route<H> {
    fn new(pattern: &str, handler: H) -> Result<Route<H>, RouteError> {
        let invalid = |source| RouteError::InvalidPattern {
            pattern: pattern.to_owned(),
            source,
        };
        // Compiled alone first: a valid pattern has balanced groups, so wrapping it cannot
        // change what it means (`a)|(b` would otherwise escape the anchor).
        let alone = Regex::new(pattern).map_err(invalid)?;
        let anchored = Regex::new(&format!("^(?:{pattern})")).map_err(invalid)?;
        let names = alone
            .capture_names()
            .map(|n| n.map(str::to_owned))
            .collect();
        Ok(Route {
            handler,
            field: DEFAULT_FIELD.to_owned(),
            pattern: pattern.to_owned(),
            anchored,
            names,
            params: Vec::new(),
            guards: Vec::new(),
        })
    }

    /// Matches the pattern against `header` instead of [`DEFAULT_FIELD`]
    /// (switchy's `field=`).
    pub fn field(&mut self, header: impl Into<String>) -> &mut Self {
        self.field = header.into();
        self
    }

    /// Adds a parameter handed to the handler with each match (switchy's route `kwargs`).
    pub fn param(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.params.push((name.into(), value.into()));
        self
    }

    /// Adds a guard that holds for this route only.
    pub fn guard(&mut self, header: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.guards.push((header.into(), value.into()));
        self
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// The header matched.
    pub fn field_name(&self) -> &str {
        &self.field
    }

    /// The pattern as registered.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The parameters, in the order added.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    fn matching(&self, index: usize, event: &Event) -> Option<Match<'_, H>> {
        if failed(&self.guards, event).is_some() {
            return None;
        }
        let value = event.header(&self.field)?;
        // switchio skips a field that is missing or empty (`if value:`).
        if value.is_empty() {
            return None;
        }
        let caps = self.anchored.captures(&value)?;
        let groups = (0..caps.len())
            .map(|i| caps.get(i).map(|m| m.as_str().to_owned()))
            .collect();
        Some(Match {
            route: index,
            handler: &self.handler,
            params: &self.params,
            field: &self.field,
            captures: Captures {
                names: &self.names,
                groups,
            },
        })
    }
}

/// A route that matched: what its handler needs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Match<'r, H> {
    /// The route's index in registration order.
    pub route: usize,
    /// The route's handler.
    pub handler: &'r H,
    /// The route's parameters.
    pub params: &'r [(String, String)],
    /// The header that was matched.
    pub field: &'r str,
    /// The pattern's captures.
    pub captures: Captures<'r>,
}

impl<H> Match<'_, H> {
    /// The value of parameter `name` (the last one, if it was given twice).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The whole matched text (the start of the field's value the pattern covered).
    pub fn matched(&self) -> &str {
        self.captures.get(0).unwrap_or_default()
    }
}

/// A [`Match`] that owns its data, for a handler that runs after the router is borrowed
/// (as a task or on another thread).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouteMatch {
    /// The route's index in the order routes were added.
    pub route: usize,
    /// The header the route matched.
    pub field: String,
    params: Vec<(String, String)>,
    groups: Vec<Option<String>>,
    names: Vec<Option<String>>,
}

impl<H> From<&Match<'_, H>> for RouteMatch {
    fn from(m: &Match<'_, H>) -> RouteMatch {
        let groups: Vec<Option<String>> = (0..m.captures.len())
            .map(|i| m.captures.get(i).map(str::to_owned))
            .collect();
        RouteMatch {
            route: m.route,
            field: m.field.to_owned(),
            params: m.params.to_vec(),
            names: m.captures.names().map(|n| n.map(str::to_owned)).collect(),
            groups,
        }
    }
}

impl RouteMatch {
    /// The route's parameter `name` (the last one if given twice).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every parameter of the route, in order.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// Capture group `index` (0 is the whole match).
    pub fn capture(&self, index: usize) -> Option<&str> {
        self.groups.get(index)?.as_deref()
    }

    /// The group called `name` (`(?P<name>...)`).
    pub fn named(&self, name: &str) -> Option<&str> {
        let index = self.names.iter().position(|n| n.as_deref() == Some(name))?;
        self.capture(index)
    }

    /// The numbered groups, 1 and on.
    pub fn positional(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        self.groups.iter().skip(1).map(Option::as_deref)
    }

    /// The text the pattern matched.
    pub fn matched(&self) -> &str {
        self.capture(0).unwrap_or_default()
    }
}

/// The groups a pattern captured, by position and by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captures<'r> {
    names: &'r [Option<String>],
    groups: Vec<Option<String>>,
}

impl Captures<'_> {
    /// Group `index` (0 is the whole match); `None` if the group did not take part.
    pub fn get(&self, index: usize) -> Option<&str> {
        self.groups.get(index)?.as_deref()
    }

    /// The group called `name` (`(?P<name>...)`).
    pub fn name(&self, name: &str) -> Option<&str> {
        let index = self.names.iter().position(|n| n.as_deref() == Some(name))?;
        self.get(index)
    }

    /// The numbered groups, 1 and on (Python's `match.groups()`).
    pub fn positional(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        self.groups.iter().skip(1).map(Option::as_deref)
    }

    /// Each group's name, by position (`None` for an unnamed group and for group 0).
    pub fn names(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        self.names.iter().map(Option::as_deref)
    }

    /// How many groups the pattern has, group 0 included.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Never true: group 0 always exists.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

/// What a handler says about the routes after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flow {
    /// Go on with the next matching route.
    Continue,
    /// Stop routing (switchy's "return True", the dialplan's `break="on-true"`).
    Stop,
}

impl From<bool> for Flow {
    /// `true` stops, as in switchy.
    fn from(stop: bool) -> Flow {
        if stop {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }
}

impl From<()> for Flow {
    fn from(_: ()) -> Flow {
        Flow::Continue
    }
}

/// How [`Router::dispatch`] went.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dispatch {
    /// A guard failed; no route was tried.
    Guarded {
        /// The header of the first guard that failed.
        header: String,
    },
    /// The guards held but no route matched.
    NoMatch,
    /// `count` handlers ran; `stopped` if the last one returned [`Flow::Stop`].
    Ran {
        /// How many handlers ran.
        count: usize,
        /// Whether a handler stopped routing.
        stopped: bool,
    },
}

fn failed<'g>(guards: &'g [(String, String)], event: &Event) -> Option<&'g str> {
    guards
        .iter()
        .find(|(header, value)| event.header(header).as_deref() != Some(value.as_str()))
        .map(|(header, _)| header.as_str())
}
