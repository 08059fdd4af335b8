//! Apps: event handlers loaded into a [`Service`](crate::Service) under an id.
//!
//! As in switchio: a call originated with an app id carries it in a channel variable
//! ([`APP_VARIABLE`]), and that call's events go to that app's handlers; events of calls
//! nobody claimed go to the default app. Each handler call runs on a worker of the service's
//! pool, so a handler that waits (a playback, a bridge) never holds up the events of other
//! calls while a worker is free.

use std::sync::Arc;

use esl_proto::apps::EventHandlers;
use esl_proto::Event;

use crate::channel::Channel;
use crate::handle::Handle;

pub use esl_proto::apps::APP_VARIABLE;

pub(crate) type HandlerFn = Arc<dyn Fn(CallEvent) + Send + Sync>;

/// Handlers by event name. Build it with [`App::on`], load it with
/// [`Service::load`](crate::Service::load). Cheap to clone: clones share the handlers.
///
/// ```
/// # #[cfg(feature = "sim")]
/// # fn main() -> esl_blocking::Result<()> {
/// # let switch = esl_blocking::sim::VirtualSwitch::new(Default::default());
/// use esl_blocking::{App, ClientConfig, Service};
///
/// // Answers every call that parks; handlers run on the service's worker threads.
/// let app = App::new().on("CHANNEL_PARK", |call| {
///     if let Some(channel) = call.channel() {
///         let _ = channel.answer();
///     }
/// });
/// let service = Service::new();
/// service.add_sim_switch("pbx", &switch, ClientConfig::password("ClueCon"))?;
/// service.load_default("answer", app)?;
/// let call = switch.inbound_call("1000", "5000", &[]); // a call from the network, parked
/// # for _ in 0..5000 {
/// #     if switch.applications(&call).iter().any(|(a, _)| a == "answer") { break; }
/// #     std::thread::sleep(std::time::Duration::from_millis(1));
/// # }
/// assert!(switch.applications(&call).contains(&("answer".into(), String::new())));
/// service.close();
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "sim"))]
/// # fn main() {}
/// ```
#[derive(Clone, Default)]
pub struct App {
    pub(crate) handlers: EventHandlers<HandlerFn>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("events", &self.events())
            .finish()
    }
}

impl App {
    /// An app with no handlers.
    pub fn new() -> App {
        App::default()
    }

    /// Runs `handler` for each event called `event` (a `CUSTOM` subclass such as
    /// `conference::maintenance` works too, and `*` for every event) of the calls this app
    /// owns. It runs on a worker thread of the service and may block (wait for an
    /// application, a bridge, a job) for as long as it likes, holding that worker meanwhile.
    pub fn on<F>(mut self, event: &str, handler: F) -> App
    where
        F: Fn(CallEvent) + Send + Sync + 'static,
    {
        self.handlers.add(event, Arc::new(handler));
        self
    }

    /// The event names it handles, in the order they were added.
    pub fn events(&self) -> Vec<&str> {
        self.handlers.names()
    }
}

/// What a handler receives: the event, the switch it came from, and the channel it is about.
///
/// ```
/// # #[cfg(feature = "sim")]
/// # fn main() -> esl_blocking::Result<()> {
/// # let switch = esl_blocking::sim::VirtualSwitch::new(Default::default());
/// use std::sync::mpsc;
/// use esl_blocking::{App, CallEvent};
///
/// let (parked, calls) = mpsc::channel();
/// let app = App::new().on("CHANNEL_PARK", move |call: CallEvent| {
///     let to = call.event.header("Caller-Destination-Number").unwrap_or_default().into_owned();
///     // Commands on the channel go back to the switch the event came from.
///     if let Some(channel) = call.channel() {
///         let _ = channel.set_variable("parked_on", &call.switch);
///     }
///     let _ = parked.send(to);
/// });
/// # let service = esl_blocking::Service::new();
/// # service.add_sim_switch("pbx", &switch, esl_blocking::ClientConfig::password("ClueCon"))?;
/// # service.load_default("parked", app)?;
/// # switch.inbound_call("1000", "5000", &[]);
/// assert_eq!(calls.recv().unwrap(), "5000");
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "sim"))]
/// # fn main() {}
/// ```
#[non_exhaustive]
pub struct CallEvent {
    /// The event.
    pub event: Event,
    /// The name the switch was added under.
    pub switch: Arc<str>,
    handle: Handle,
}

impl CallEvent {
    pub(crate) fn new(event: Event, switch: Arc<str>, handle: Handle) -> CallEvent {
        CallEvent {
            event,
            switch,
            handle,
        }
    }

    /// The channel the event is about (its `Unique-ID`), with commands that go to the
    /// switch the event came from; `None` for events about no channel.
    pub fn channel(&self) -> Option<Channel> {
        Channel::from_event(self.handle.clone(), self.event.clone())
    }

    /// The connection to the switch the event came from.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl std::fmt::Debug for CallEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallEvent")
            .field("event", &self.event.name().as_str())
            .field("switch", &self.switch)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_subscribes_to_what_it_handles_and_refuses_names_that_cannot_travel() {
        let app = App::new()
            .on("CHANNEL_ANSWER", |_| {})
            .on("sofia::register", |_| {});
        assert_eq!(app.events(), ["CHANNEL_ANSWER", "sofia::register"]);
        assert!(app
            .handlers
            .subscription(esl_proto::EventFormat::Plain)
            .unwrap()
            .is_some());
        assert!(App::new()
            .handlers
            .subscription(esl_proto::EventFormat::Plain)
            .unwrap()
            .is_none());
        let bad = App::new().on("CHANNEL_PARK\n\napi hupall", |_| {});
        assert!(bad
            .handlers
            .subscription(esl_proto::EventFormat::Plain)
            .is_err());
    }
}
