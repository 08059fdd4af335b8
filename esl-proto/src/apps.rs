//! What apps need from the protocol, for every adapter: handlers kept by event name, the
//! `event` subscription they need, the channel variable that says which app owns a call, and
//! a service's switches by name ([`SwitchTable`]).
//!
//! ```
//! use esl_proto::apps::{with_app, EventHandlers};
//! use esl_proto::{Event, EventFormat};
//!
//! let mut handlers = EventHandlers::new();
//! handlers.add("CHANNEL_PARK", "route");
//! handlers.add("conference::maintenance", "count");
//! let subscribe = handlers.subscription(EventFormat::Plain)?.unwrap();
//! assert_eq!(&subscribe.to_bytes()?[..], b"event plain CHANNEL_PARK CUSTOM conference::maintenance\n\n");
//!
//! let park = Event::builder("CHANNEL_PARK").build();
//! assert_eq!(handlers.matching(&park).collect::<Vec<_>>(), [&"route"]);
//! assert_eq!(with_app("loopback/park", "ivr")?, "{esl_app=ivr}loopback/park");
//! # Ok::<(), esl_proto::CommandError>(())
//! ```

mod switches;

pub use switches::{SwitchError, SwitchTable};

use crate::command::Command;
use crate::error::CommandError;
use crate::event::{Event, EventFormat};

/// The channel variable that names the app a call belongs to: `{esl_app=<id>}` on the
/// originate, and the call's events then carry `variable_esl_app`.
pub const APP_VARIABLE: &str = "esl_app";

/// Names a handler in an [`EventHandlers`], to remove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HandlerId(u64);

/// Handlers of type `F` by event name (`CHANNEL_PARK`, a `CUSTOM` subclass such as
/// `conference::maintenance`, or `*` for every event), in the order they were added.
#[derive(Debug, Clone)]
pub struct EventHandlers<F> {
    entries: Vec<(HandlerId, String, F)>,
    next: u64,
}

impl<F> Default for EventHandlers<F> {
    fn default() -> Self {
        EventHandlers {
            entries: Vec::new(),
            next: 1,
        }
    }
}

impl<F> EventHandlers<F> {
    /// No handlers.
    pub fn new() -> EventHandlers<F> {
        EventHandlers::default()
    }

    /// Adds `handler` for events called `name`.
    pub fn add(&mut self, name: impl Into<String>, handler: F) -> HandlerId {
        let id = HandlerId(self.next);
        self.next += 1;
        self.entries.push((id, name.into(), handler));
        id
    }

    /// Removes the handler `id`; false if there was none.
    pub fn remove(&mut self, id: HandlerId) -> bool {
        let before = self.entries.len();
        self.entries.retain(|(i, _, _)| *i != id);
        self.entries.len() != before
    }

    /// The event names handled, in the order they were added.
    pub fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|(_, n, _)| n.as_str()).collect()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The handlers for `event`, in the order they were added.
    pub fn matching<'a>(&'a self, event: &'a Event) -> impl Iterator<Item = &'a F> + 'a {
        self.entries
            .iter()
            .filter(move |(_, name, _)| name == "*" || event.is(name))
            .map(|(_, _, handler)| handler)
    }

    /// The `event` command that subscribes to every name handled (`None` without
    /// handlers); an error if a name could not travel on the wire.
    pub fn subscription(&self, format: EventFormat) -> Result<Option<Command>, CommandError> {
        if self.entries.is_empty() {
            return Ok(None);
        }
        let names = subscription_names(self.entries.iter().map(|(_, n, _)| n.as_str()));
        let command = Command::event(format, names.iter().map(String::as_str));
        // Encoding checks every name, so a bad one is refused before anything is sent.
        command.to_bytes()?;
        Ok(Some(command))
    }
}

/// The names to subscribe to for these handler names, each once: a subclass (`a::b`) needs
/// `CUSTOM` before it (`event plain CUSTOM a::b`), `*` means `ALL`.
pub fn subscription_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |name: &str| {
        if !out.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            out.push(name.to_owned());
        }
    };
    for name in names {
        if name == "*" {
            push("ALL");
        } else if name.contains("::") {
            push("CUSTOM");
            push(name);
        } else {
            push(name);
        }
    }
    out
}

/// `url` with [`APP_VARIABLE`] set to `app`: `{esl_app=<app>}` in front, or merged into the
/// `{...}` the url already has. The id travels inside the originate's variable list, so it
/// must be a plain word: letters, digits, `_`, `-`, `.` ([`CommandError::Malformed`]
/// otherwise).
pub fn with_app(url: &str, app: &str) -> Result<String, CommandError> {
    check_app_id(app)?;
    Ok(match url.strip_prefix('{') {
        Some(rest) => format!("{{{APP_VARIABLE}={app},{rest}"),
        None => format!("{{{APP_VARIABLE}={app}}}{url}"),
    })
}

/// Whether `id` can name an app (see [`with_app`]).
pub fn check_app_id(id: &str) -> Result<(), CommandError> {
    let plain = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if plain {
        Ok(())
    } else {
        Err(CommandError::Malformed {
            field: "app id",
            reason: "use letters, digits, '_', '-' and '.'",
        })
    }
}

/// The apps of a service, by id, with the rule that says which app owns a call.
///
/// As in switchio: a call originated for an app carries its id in [`APP_VARIABLE`], and its
/// events go to that app; the events of calls no loaded app claims go to the default app,
/// if there is one.
///
/// ```
/// use esl_proto::apps::AppTable;
/// use esl_proto::Event;
///
/// let mut apps = AppTable::new();
/// apps.insert("ivr", "IVR").unwrap();
/// apps.insert("router", "ROUTER").unwrap();
/// apps.set_default("router");
/// assert!(apps.insert("ivr", "again").is_err());
///
/// let owned = Event::builder("CHANNEL_PARK").header("variable_esl_app", "ivr").build();
/// let stranger = Event::builder("CHANNEL_PARK").build();
/// assert_eq!(apps.owner(&owned), Some(&"IVR"));
/// assert_eq!(apps.owner(&stranger), Some(&"ROUTER"));
/// ```
#[derive(Debug, Clone)]
pub struct AppTable<A> {
    by_id: Vec<(String, A)>,
    default: Option<String>,
}

impl<A> Default for AppTable<A> {
    fn default() -> Self {
        AppTable {
            by_id: Vec::new(),
            default: None,
        }
    }
}

impl<A> AppTable<A> {
    /// No apps.
    pub fn new() -> AppTable<A> {
        AppTable::default()
    }

    /// Whether `id` can be loaded: a plain word no loaded app has.
    pub fn check(&self, id: &str) -> Result<(), AppError> {
        check_app_id(id).map_err(AppError::InvalidId)?;
        if self.get(id).is_some() {
            return Err(AppError::AlreadyLoaded(id.to_owned()));
        }
        Ok(())
    }

    /// Loads `app` under `id` (see [`AppTable::check`]).
    pub fn insert(&mut self, id: &str, app: A) -> Result<(), AppError> {
        self.check(id)?;
        self.by_id.push((id.to_owned(), app));
        Ok(())
    }

    /// Makes `id` the app for calls no app claimed; false if no app has that id.
    pub fn set_default(&mut self, id: &str) -> bool {
        let known = self.get(id).is_some();
        if known {
            self.default = Some(id.to_owned());
        }
        known
    }

    /// Unloads `id`, returning it.
    pub fn remove(&mut self, id: &str) -> Option<A> {
        let at = self.by_id.iter().position(|(i, _)| i == id)?;
        if self.default.as_deref() == Some(id) {
            self.default = None;
        }
        Some(self.by_id.remove(at).1)
    }

    /// The app loaded under `id`.
    pub fn get(&self, id: &str) -> Option<&A> {
        self.by_id.iter().find(|(i, _)| i == id).map(|(_, a)| a)
    }

    /// [`AppTable::get`], with the error a request naming an unknown app gets.
    pub fn find(&self, id: &str) -> Result<&A, AppError> {
        self.get(id).ok_or_else(|| AppError::Unknown(id.to_owned()))
    }

    /// The ids, in load order.
    pub fn ids(&self) -> Vec<String> {
        self.by_id.iter().map(|(i, _)| i.clone()).collect()
    }

    /// The apps, in load order.
    pub fn apps(&self) -> impl Iterator<Item = &A> {
        self.by_id.iter().map(|(_, a)| a)
    }

    /// The app that owns the call `event` is about: the one its [`APP_VARIABLE`] names if
    /// loaded, else the default app.
    pub fn owner(&self, event: &Event) -> Option<&A> {
        event
            .variable(APP_VARIABLE)
            .and_then(|id| self.get(&id))
            .or_else(|| self.default.as_deref().and_then(|id| self.get(id)))
    }
}

/// Why an app cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The id cannot travel in a channel variable.
    #[error("invalid app id: {0}")]
    InvalidId(CommandError),
    /// An app with this id is loaded already.
    #[error("an app called {0} is already loaded")]
    AlreadyLoaded(String),
    /// No app has this id.
    #[error("no app called {0}")]
    Unknown(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_variable_joins_the_originate_variables() {
        assert_eq!(
            with_app("loopback/park", "ivr").unwrap(),
            "{esl_app=ivr}loopback/park"
        );
        assert_eq!(
            with_app("{origination_caller_id_number=100}loopback/park", "ivr").unwrap(),
            "{esl_app=ivr,origination_caller_id_number=100}loopback/park"
        );
        for bad in ["", "a,b", "a b", "a}b", "a\nb"] {
            assert!(
                matches!(
                    with_app("loopback/park", bad),
                    Err(CommandError::Malformed {
                        field: "app id",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn handlers_come_off_by_id_and_the_rest_keep_their_order() {
        let mut handlers = EventHandlers::new();
        let a = handlers.add("CHANNEL_PARK", 'a');
        handlers.add("*", 'b');
        handlers.add("channel_park", 'c');
        let park = Event::builder("CHANNEL_PARK").build();
        assert_eq!(handlers.matching(&park).collect::<String>(), "abc");
        assert!(handlers.remove(a));
        assert!(!handlers.remove(a));
        assert_eq!(handlers.matching(&park).collect::<String>(), "bc");
        assert_eq!(handlers.names(), ["*", "channel_park"]);
    }

    #[test]
    fn subscriptions_name_each_event_once_and_custom_subclasses_properly() {
        assert_eq!(
            subscription_names(["CHANNEL_PARK", "a::b", "channel_park", "c::d", "*"]),
            ["CHANNEL_PARK", "CUSTOM", "a::b", "c::d", "ALL"]
        );
        let mut bad = EventHandlers::new();
        bad.add("CHANNEL_PARK\n\napi hupall", ());
        assert_eq!(
            bad.subscription(EventFormat::Plain),
            Err(CommandError::LineBreak {
                field: "event name"
            })
        );
        assert!(EventHandlers::<()>::new()
            .subscription(EventFormat::Plain)
            .unwrap()
            .is_none());
    }
}
