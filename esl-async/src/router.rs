//! The `Router` app: switchy's router over [`esl_proto::route`]'s matching.
//!
//! When a call parks (`CHANNEL_PARK`, or the event [`Router::trigger`] names), the router
//! checks its guards, then runs the handlers of the routes whose pattern matches, in the
//! order the routes were added, until one returns [`Flow::Stop`]. Each handler gets the
//! call's [`Channel`] (commands go to the switch the call is on) and a [`RouteMatch`] with
//! the route's parameters and the pattern's captures.

use std::future::Future;
use std::sync::Arc;

pub use esl_proto::route::RouteMatch;
use esl_proto::route::{self, Flow};
use futures_util::future::BoxFuture;

use crate::app::App;
use crate::channel::Channel;
use crate::runtime::Runtime;
use esl_proto::client::Result;

type RouteFn<R> =
    Arc<dyn Fn(Channel<R>, RouteMatch) -> BoxFuture<'static, Result<Flow>> + Send + Sync>;

/// A handler registered with [`Router::handler`], to attach to routes.
///
/// ```no_run
/// # fn demo<R: esl_async::Runtime>() {
/// use esl_async::{Event, Flow, Router};
///
/// let mut router = Router::<R>::new();
/// let busy = router.handler(|channel, _| async move {
///     channel.respond(486, Some("Busy Here")).await?;
///     Ok(Flow::Stop)
/// });
/// // One handler on two routes.
/// router.route(r"9\d{3}$", busy).expect("a valid pattern");
/// router.route(r"555", busy).expect("a valid pattern");
///
/// let park = Event::builder("CHANNEL_PARK")
///     .header("Caller-Destination-Number", "5551234")
///     .build();
/// assert_eq!(*router.matcher().matches(&park)[0].handler, busy);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HandlerKey(usize);

/// Guards, routes and their handlers; [`Router::into_app`] makes it an [`App`].
///
/// ```no_run
/// # fn demo<R: esl_async::Runtime>() -> esl_async::App<R> {
/// use esl_async::{dptools::DialString, Flow, Router};
///
/// // Extensions 1000-1999 ring on the internal profile.
/// let mut router = Router::new();
/// router.guard("Call-Direction", "inbound");
/// let ring = router.handler(|channel, m| async move {
///     let dial = DialString::profile("internal", m.capture(1).unwrap_or_default())?;
///     channel.answer().await?;
///     channel.bridge_nowait(&dial).await?;
///     Ok(Flow::Stop)
/// });
/// router.route(r"(1\d{3})$", ring).expect("a valid pattern");
/// router.into_app() // for `Service::load`
/// # }
/// ```
pub struct Router<R: Runtime> {
    matcher: route::Router<HandlerKey>,
    handlers: Vec<RouteFn<R>>,
    trigger: String,
}

impl<R: Runtime> Default for Router<R> {
    fn default() -> Self {
        Router {
            matcher: route::Router::new(),
            handlers: Vec::new(),
            trigger: "CHANNEL_PARK".into(),
        }
    }
}

impl<R: Runtime> std::fmt::Debug for Router<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("matcher", &self.matcher)
            .field("trigger", &self.trigger)
            .finish()
    }
}

impl<R: Runtime> Router<R> {
    /// A router with no guards and no routes, run on `CHANNEL_PARK`.
    pub fn new() -> Router<R> {
        Router::default()
    }

    esl_proto::__router_api!();

    /// Registers a handler; attach it to one or more routes with [`Router::route`]. It
    /// returns whether to stop routing (`Ok(Flow::Stop)`) or try the next match.
    pub fn handler<F, Fut>(&mut self, handler: F) -> HandlerKey
    where
        F: Fn(Channel<R>, RouteMatch) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Flow>> + Send + 'static,
    {
        self.handlers
            .push(Arc::new(move |channel, m| Box::pin(handler(channel, m))));
        HandlerKey(self.handlers.len() - 1)
    }

    /// The app that routes each call when its trigger event comes.
    pub fn into_app(self) -> App<R> {
        let trigger = self.trigger.clone();
        let router = Arc::new(self);
        App::new().on(&trigger, move |call| {
            let router = router.clone();
            async move { esl_proto::__route_call!(router, call, (.await)) }
        })
    }
}
