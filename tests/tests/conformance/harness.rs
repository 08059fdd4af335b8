//! What a scenario needs from an adapter, as plain blocking calls. Each adapter implements
//! these traits over its own API; the scenarios are written once against them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use esl_proto::{Event, EventFormat};

/// An adapter's error, reduced to what the scenarios tell apart.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TestError {
    /// The switch answered `-ERR` / `-USAGE`.
    Rejected(String),
    /// No reply in time.
    Timeout,
    /// The connection closed or broke under the request.
    ConnectionLost(String),
    /// Credentials refused.
    Auth(String),
    /// Could not connect.
    Io(String),
    /// Anything else.
    Other(String),
}

/// How the overflow of the event stream is handled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum OverflowKind {
    DropNewest,
    DropOldest,
    Backpressure,
}

/// The client settings scenarios vary.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) password: String,
    pub(crate) request_timeout: Duration,
    pub(crate) reconnect: bool,
    pub(crate) event_capacity: usize,
    pub(crate) overflow: OverflowKind,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            password: "ClueCon".into(),
            // Long enough that no request of a scenario times out on a loaded machine: a
            // request that fails has failed for its own reason, which the scenario names.
            request_timeout: Duration::from_secs(60),
            reconnect: false,
            event_capacity: 4096,
            overflow: OverflowKind::DropNewest,
        }
    }
}

/// One item of the client's event stream.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    Event(Event),
    Change(esl_proto::track::Change),
    Log,
    Notice,
    Lost(u64),
    Disconnected,
    Reconnected,
}

pub(crate) type Script = Arc<dyn Fn(&dyn CallSession) -> Result<(), TestError> + Send + Sync>;

/// An adapter under test.
pub(crate) trait Adapter: Send + Sync {
    fn connect(&self, addr: &str, settings: &Settings) -> Result<Box<dyn Client>, TestError>;
    /// Starts an outbound server that runs `script` for every call.
    fn serve(&self, script: Script, max_calls: usize) -> Box<dyn Server>;
    /// A service with no switches and no apps; its switches reconnect quickly.
    fn service(&self) -> Box<dyn TestService>;
}

/// A connected client. Its event stream is opened when it connects.
pub(crate) trait Client: Send + Sync {
    fn api(&self, command: &str) -> Result<String, TestError>;
    fn api_within(&self, command: &str, timeout: Duration) -> Result<String, TestError>;
    /// `bgapi`, then the job's output.
    fn bgapi(&self, command: &str) -> Result<String, TestError>;
    fn originate(&self, url: &str, target: &str) -> Result<String, TestError>;
    /// Executes and waits; the `Application-Response`.
    fn execute(&self, uuid: &str, app: &str, arg: Option<&str>) -> Result<String, TestError>;
    fn subscribe(&self, format: EventFormat, events: &[&str]) -> Result<(), TestError>;
    fn filter(&self, header: &str, value: &str) -> Result<(), TestError>;
    fn next(&self, timeout: Duration) -> Option<Item>;
    /// The next item already in the stream, without waiting.
    fn try_next(&self) -> Option<Item>;
    fn dropped(&self) -> u64;
    /// Runs every command at once, each from its own task or thread.
    fn concurrent_api(&self, commands: Vec<String>) -> Vec<Result<String, TestError>>;
    fn on(&self, name: &str, handler: Box<dyn Fn(&Event) + Send + Sync>);
    fn close(&self) -> Result<(), TestError>;
    /// Reconnections made so far.
    fn reconnects(&self) -> u64;
    /// The connection's live call table, with a stream of its changes opened now.
    fn track(&self) -> Box<dyn TestTable>;
}

/// A live call table under test.
pub(crate) trait TestTable: Send + Sync {
    /// The uuids of the channels up.
    fn channels(&self) -> Vec<String>;
    /// The legs of the call `uuid` belongs to.
    fn legs_of(&self, uuid: &str) -> Vec<String>;
    fn is_stale(&self) -> bool;
    /// The next item of the change stream.
    fn next_change(&self, timeout: Duration) -> Option<Item>;
}

/// One call, inside an outbound server's handler.
pub(crate) trait CallSession {
    fn uuid(&self) -> String;
    fn destination(&self) -> String;
    fn answer(&self) -> Result<(), TestError>;
    fn playback(&self, file: &str) -> Result<String, TestError>;
    fn set_variable(&self, name: &str, value: &str) -> Result<(), TestError>;
    fn get_variable(&self, name: &str) -> Result<Option<String>, TestError>;
    fn hangup(&self) -> Result<(), TestError>;
}

/// A running outbound server.
pub(crate) trait Server: Send + Sync {
    fn addr(&self) -> SocketAddr;
    fn calls(&self) -> u64;
    /// Stops accepting and waits for the calls under way.
    fn shutdown(&self);
}

// ---- call control: a service over several switches ----

/// One call inside a router or app handler: its channel, with commands that go to the switch
/// the call is on.
pub(crate) trait RoutedCall {
    fn uuid(&self) -> String;
    /// The name of the switch the event came from (apps), or the peer address (router).
    fn switch(&self) -> String;
    fn header(&self, name: &str) -> Option<String>;
    fn respond(&self, code: u16) -> Result<(), TestError>;
    fn hangup(&self, cause: &str) -> Result<(), TestError>;
    fn answer(&self) -> Result<(), TestError>;
    fn bridge_nowait(&self, dial: &str) -> Result<(), TestError>;
    fn set_variables(&self, vars: &[(&str, &str)]) -> Result<(), TestError>;
}

/// A router handler: true to stop routing the call.
pub(crate) type RouteScript = Arc<
    dyn Fn(&dyn RoutedCall, &esl_proto::route::RouteMatch) -> Result<bool, TestError> + Send + Sync,
>;

/// An app handler.
pub(crate) type EventScript = Arc<dyn Fn(&dyn RoutedCall) + Send + Sync>;

/// One route: a pattern on `Caller-Destination-Number`, its parameters, and the index of
/// its handler in [`RouterSpec::handlers`].
pub(crate) struct RouteSpec {
    pub(crate) pattern: &'static str,
    pub(crate) params: Vec<(&'static str, &'static str)>,
    pub(crate) handler: usize,
}

/// A router, the same for every adapter.
pub(crate) struct RouterSpec {
    pub(crate) guards: Vec<(&'static str, &'static str)>,
    pub(crate) handlers: Vec<RouteScript>,
    pub(crate) routes: Vec<RouteSpec>,
}

/// An app to load into a service.
pub(crate) enum AppSpec {
    Router(RouterSpec),
    /// Handlers by event name.
    Events(Vec<(&'static str, EventScript)>),
}

/// A service over several switches, under test.
pub(crate) trait TestService: Send + Sync {
    fn add_switch(&self, name: &str, addr: &str) -> Result<(), TestError>;
    fn load(&self, id: &str, app: AppSpec, default: bool) -> Result<(), TestError>;
    fn unload(&self, id: &str) -> bool;
    fn apps(&self) -> Vec<String>;
    fn switches(&self) -> Vec<String>;
    /// `originate` for `app` on `switch`: the new channel's uuid.
    fn originate(
        &self,
        switch: &str,
        app: &str,
        url: &str,
        target: &str,
    ) -> Result<String, TestError>;
    /// `api` on one switch's connection.
    fn api(&self, switch: &str, command: &str) -> Result<String, TestError>;
    /// `originate` on one switch's connection, owned by no app.
    fn originate_plain(&self, switch: &str, url: &str, target: &str) -> Result<String, TestError>;
    fn close(&self);
}
