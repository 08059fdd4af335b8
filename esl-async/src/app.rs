//! Apps: event handlers loaded into a [`Service`](crate::Service) under an id.
//!
//! As in switchio: a call originated with an app id carries it in a channel variable
//! ([`APP_VARIABLE`]), and that call's events go to that app's handlers; events of calls
//! nobody claimed go to the default app. Each handler runs as its own task, so a handler that
//! waits (a playback, a bridge) never holds up the events of other calls.

use std::future::Future;
use std::sync::Arc;

use esl_proto::apps::EventHandlers;
use esl_proto::Event;
use futures_util::future::BoxFuture;

use crate::channel::Channel;
use crate::handle::Handle;
use crate::runtime::Runtime;

pub use esl_proto::apps::APP_VARIABLE;

pub(crate) type HandlerFn<R> = Arc<dyn Fn(CallEvent<R>) -> BoxFuture<'static, ()> + Send + Sync>;

/// Handlers by event name. Build it with [`App::on`], load it with
/// [`Service::load`](crate::Service::load).
///
/// ```no_run
/// # async fn demo<R: esl_async::Runtime>(service: esl_async::Service<R>) -> esl_async::Result<()> {
/// use esl_async::App;
///
/// // Answers every call that parks; each handler call is a task of its own.
/// let app = App::new().on("CHANNEL_PARK", |call| async move {
///     if let Some(channel) = call.channel() {
///         let _ = channel.answer().await;
///     }
/// });
/// service.load_default("answer", app).await
/// # }
/// ```
pub struct App<R: Runtime> {
    pub(crate) handlers: EventHandlers<HandlerFn<R>>,
}

impl<R: Runtime> Default for App<R> {
    fn default() -> Self {
        App {
            handlers: EventHandlers::new(),
        }
    }
}

impl<R: Runtime> Clone for App<R> {
    fn clone(&self) -> Self {
        App {
            handlers: self.handlers.clone(),
        }
    }
}

impl<R: Runtime> std::fmt::Debug for App<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("events", &self.events())
            .finish()
    }
}

impl<R: Runtime> App<R> {
    /// An app with no handlers.
    pub fn new() -> App<R> {
        App::default()
    }

    /// Runs `handler` for each event called `event` (a `CUSTOM` subclass such as
    /// `conference::maintenance` works too) of the calls this app owns.
    pub fn on<F, Fut>(mut self, event: &str, handler: F) -> App<R>
    where
        F: Fn(CallEvent<R>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handler: HandlerFn<R> = Arc::new(move |call| Box::pin(handler(call)));
        self.handlers.add(event, handler);
        self
    }

    /// The event names it handles, in the order they were added.
    pub fn events(&self) -> Vec<&str> {
        self.handlers.names()
    }
}

/// What a handler receives: the event, the switch it came from, and the channel it is about.
///
/// ```no_run
/// # fn demo<R: esl_async::Runtime>() -> esl_async::App<R> {
/// use esl_async::{App, CallEvent};
///
/// App::new().on("CHANNEL_ANSWER", |call: CallEvent<R>| async move {
///     let number = call.event.header("Caller-Destination-Number").unwrap_or_default();
///     println!("{number} answered on {}", call.switch);
///     // Commands on the channel go back to the switch the event came from.
///     if let Some(channel) = call.channel() {
///         let _ = channel.playback("ivr/ivr-welcome.wav").await;
///     }
/// })
/// # }
/// ```
#[non_exhaustive]
pub struct CallEvent<R: Runtime> {
    /// The event.
    pub event: Event,
    /// The name the switch was added under.
    pub switch: Arc<str>,
    handle: Handle<R>,
}

impl<R: Runtime> CallEvent<R> {
    pub(crate) fn new(event: Event, switch: Arc<str>, handle: Handle<R>) -> CallEvent<R> {
        CallEvent {
            event,
            switch,
            handle,
        }
    }

    /// The channel the event is about (its `Unique-ID`), with commands that go to the
    /// switch the event came from; `None` for events about no channel.
    pub fn channel(&self) -> Option<Channel<R>> {
        Channel::from_event(self.handle.clone(), self.event.clone())
    }

    /// The connection to the switch the event came from.
    pub fn handle(&self) -> &Handle<R> {
        &self.handle
    }
}

impl<R: Runtime> std::fmt::Debug for CallEvent<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallEvent")
            .field("event", &self.event.name().as_str())
            .field("switch", &self.switch)
            .finish()
    }
}
