//! The `Router` app: switchy's router over [`esl_proto::route`]'s matching.
//!
//! When a call parks (`CHANNEL_PARK`, or the event [`Router::trigger`] names), the router
//! checks its guards, then runs the handlers of the routes whose pattern matches, in the
//! order the routes were added, until one returns [`Flow::Stop`]. Each handler gets the
//! call's [`Channel`] (commands go to the switch the call is on) and a [`RouteMatch`] with
//! the route's parameters and the pattern's captures. The handlers of one call run one after
//! another on one worker thread of the service.

use std::sync::Arc;

pub use esl_proto::route::RouteMatch;
use esl_proto::route::{self, Flow};

use crate::app::App;
use crate::channel::Channel;
use esl_proto::client::Result;

type RouteFn = Arc<dyn Fn(Channel, RouteMatch) -> Result<Flow> + Send + Sync>;

/// A handler registered with [`Router::handler`], to attach to routes.
///
/// ```
/// use esl_blocking::{Event, Flow, Router};
///
/// let mut router = Router::new();
/// let busy = router.handler(|channel, _| {
///     channel.respond(486, Some("Busy Here"))?;
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
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HandlerKey(usize);

/// Guards, routes and their handlers; [`Router::into_app`] makes it an [`App`].
///
/// ```
/// # #[cfg(feature = "sim")]
/// # fn main() -> esl_blocking::Result<()> {
/// # let switch = esl_blocking::sim::VirtualSwitch::new(Default::default());
/// use esl_blocking::{ClientConfig, Flow, Router, Service};
///
/// let mut router = Router::new();
/// router.guard("Call-Direction", "inbound");
/// let busy = router.handler(|channel, _| {
///     channel.respond(486, Some("Busy Here"))?;
///     Ok(Flow::Stop)
/// });
/// router.route(r"9\d{3}$", busy).expect("a valid pattern");
/// let service = Service::new();
/// service.add_sim_switch("pbx", &switch, ClientConfig::password("ClueCon"))?;
/// service.load_default("router", router.into_app())?;
/// let call = switch.inbound_call("5551234", "9001", &[]);
/// # for _ in 0..5000 {
/// #     if switch.applications(&call).iter().any(|(a, _)| a == "respond") { break; }
/// #     std::thread::sleep(std::time::Duration::from_millis(1));
/// # }
/// assert!(switch.applications(&call).contains(&("respond".into(), "486 Busy Here".into())));
/// # service.close();
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "sim"))]
/// # fn main() {}
/// ```
pub struct Router {
    matcher: route::Router<HandlerKey>,
    handlers: Vec<RouteFn>,
    trigger: String,
}

impl Default for Router {
    fn default() -> Self {
        Router {
            matcher: route::Router::new(),
            handlers: Vec::new(),
            trigger: "CHANNEL_PARK".into(),
        }
    }
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("matcher", &self.matcher)
            .field("trigger", &self.trigger)
            .finish()
    }
}

impl Router {
    /// A router with no guards and no routes, run on `CHANNEL_PARK`.
    pub fn new() -> Router {
        Router::default()
    }

    esl_proto::__router_api!();

    /// Registers a handler; attach it to one or more routes with [`Router::route`]. It
    /// returns whether to stop routing (`Ok(Flow::Stop)`) or try the next match; an error
    /// is logged and stops routing the call.
    pub fn handler<F>(&mut self, handler: F) -> HandlerKey
    where
        F: Fn(Channel, RouteMatch) -> Result<Flow> + Send + Sync + 'static,
    {
        self.handlers.push(Arc::new(handler));
        HandlerKey(self.handlers.len() - 1)
    }

    /// The app that routes each call when its trigger event comes.
    pub fn into_app(self) -> App {
        let trigger = self.trigger.clone();
        let router = Arc::new(self);
        App::new().on(&trigger, move |call| {
            esl_proto::__route_call!(router, call, ())
        })
    }
}
