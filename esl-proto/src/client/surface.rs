//! The adapters' request surface, written once.
//!
//! `esl-async` and `esl-blocking` offer the same methods on a connection's `Handle` and on a
//! `Channel`, with and without `.await`. Each method is one [`Call`](super::Call) run by the
//! adapter, so the methods differ only in that keyword: these macros write them once, with
//! their documentation, for both. An adapter invokes one inside its `impl` block with
//! `(async) (.await)` or `() ()`, and provides what the methods stand on:
//!
//! - for [`__handle_api!`]: a field `shared` whose `lock()` gives the
//!   [`Engine`](super::Engine), and `fn bgapi(&self, command: &str) -> Result<Job>`
//!   where `Job` has `channel_uuid()`;
//! - for [`__channel_api!`]: fields `handle` (the connection's `Handle`), `calls`
//!   ([`ChannelCalls`](super::ChannelCalls)), `uuid` (`String`) and `data` (`Arc<Event>`);
//! - for [`__event_stream_api!`]: a field `reader` (a [`StreamReader`](super::StreamReader))
//!   and `fn recv(&mut self) -> Option<Incoming>`, the adapter's way of waiting.

/// The methods of a connection's `Handle`. See the [module documentation](self).
#[doc(hidden)]
#[macro_export]
macro_rules! __handle_api {
    (($($async:tt)*) ($($await:tt)*) $job:ty) => {
        /// Runs one [`Call`]: sends its command and waits for what it expects.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        ///
        /// [`Call`]: $crate::client::Call
        pub $($async)* fn call<T>(&self, call: $crate::client::Call<T>) -> $crate::client::Result<T> {
            let result = self.request(call.command.clone(), call.expect, call.timeout)$($await)*;
            call.finish(result)
        }

        /// Sends `command` and waits for its result for at most `timeout`: the reply, the
        /// api output, a job's `BACKGROUND_JOB` or an execute's `CHANNEL_EXECUTE_COMPLETE`.
        /// The switch's `-ERR` comes back as `Ok` here; see
        /// [`Response::is_ok`]($crate::Response::is_ok).
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn send_timeout(
            &self,
            command: $crate::Command,
            timeout: ::std::time::Duration,
        ) -> $crate::client::Result<$crate::Response> {
            self.call($crate::client::Call::send(command).within(timeout))$($await)*
        }

        /// [`send_timeout`](Self::send_timeout) with the timeout the command's kind calls
        /// for (`bgapi`: the job timeout; `execute`: the execute timeout; anything else: the
        /// request timeout).
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn send(&self, command: $crate::Command) -> $crate::client::Result<$crate::Response> {
            self.call($crate::client::Call::send(command))$($await)*
        }

        /// Sends a command whose reply is `+OK` on success; an `-ERR` is
        /// [`Error::Rejected`]($crate::client::Error::Rejected).
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn command(&self, command: $crate::Command) -> $crate::client::Result<$crate::Reply> {
            self.call($crate::client::Call::command(command))$($await)*
        }

        /// `api <command>`: its output. An output starting `-ERR` or `-USAGE` is
        /// [`Error::Rejected`]($crate::client::Error::Rejected).
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn api(&self, command: &str) -> $crate::client::Result<String> {
            self.call($crate::client::Call::api(command))$($await)*
        }

        /// `api <command>`, its output as it came.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn api_response(&self, command: &str) -> $crate::client::Result<$crate::ApiResponse> {
            self.call($crate::client::Call::api_response(command))$($await)*
        }

        /// `originate <url> <target>` in the background; the new channel's uuid, or the
        /// switch's cause (`-ERR NO_ANSWER`, ...) as
        /// [`Error::Rejected`]($crate::client::Error::Rejected). `target` is an extension
        /// or `&app(args)`.
        ///
        /// Given up on (dropped, or timed out), it may still place the call.
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn originate(&self, url: &str, target: &str) -> $crate::client::Result<String> {
            self.originate_job(url, target)$($await)*?.channel_uuid()$($await)*
        }

        /// `originate` as a job; see its `channel_uuid`.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn originate_job(&self, url: &str, target: &str) -> $crate::client::Result<$job> {
            self.bgapi(&format!("originate {url} {target}"))$($await)*
        }

        /// `event <format> <names...>`.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn subscribe(&self, format: $crate::EventFormat, events: &[&str]) -> $crate::client::Result<()> {
            self.call($crate::client::Call::subscribe(format, events))$($await)*
        }

        /// `event <format> ALL`: every event.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn subscribe_all(&self, format: $crate::EventFormat) -> $crate::client::Result<()> {
            self.call($crate::client::Call::subscribe(format, &["ALL"]))$($await)*
        }

        /// `nixevent <names...>`.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn unsubscribe(&self, events: &[&str]) -> $crate::client::Result<()> {
            self.call($crate::client::Call::unsubscribe(events))$($await)*
        }

        /// `noevents`.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn unsubscribe_all(&self) -> $crate::client::Result<()> {
            self.call($crate::client::Call::setting($crate::Command::NoEvents))$($await)*
        }

        /// `filter <header> <value>`.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn filter(&self, header: &str, value: &str) -> $crate::client::Result<()> {
            self.call($crate::client::Call::filter(header, value))$($await)*
        }

        /// `filter delete <header> [<value>]`.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn filter_delete(&self, header: &str, value: Option<&str>) -> $crate::client::Result<()> {
            self.call($crate::client::Call::filter_delete(header, value))$($await)*
        }

        /// `log <level>`: log lines then arrive in the event streams.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn log(&self, level: $crate::LogLevel) -> $crate::client::Result<()> {
            self.call($crate::client::Call::log(level))$($await)*
        }

        /// Runs `app` on channel `uuid` and waits until it completes (its
        /// `CHANNEL_EXECUTE_COMPLETE`, which is returned).
        ///
        /// Given up on (dropped, or timed out), the application still runs.
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn execute(&self, uuid: &str, app: &str, arg: Option<&str>) -> $crate::client::Result<$crate::Event> {
            self.call($crate::client::Call::execute(uuid, app, arg))$($await)*
        }

        /// Removes a handler added with `on`.
        pub fn off(&self, id: $crate::apps::HandlerId) {
            self.shared.lock().off(id);
        }

        /// What the application subscribed to and the switch accepted (replayed after a
        /// reconnect).
        pub fn subscriptions(&self) -> $crate::Subscriptions {
            self.shared.lock().subscriptions().clone()
        }

        /// The events the connection subscribed to for itself, because an open `bgapi` or
        /// `execute` needs them (withdrawn once none does).
        pub fn library_subscriptions(&self) -> Vec<&'static str> {
            self.shared.lock().library_subscriptions()
        }

        /// The protocol counters of the current connection.
        pub fn stats(&self) -> $crate::Stats {
            self.shared.lock().stats()
        }

        /// Reconnections made so far.
        pub fn reconnects(&self) -> u64 {
            self.shared.lock().reconnects()
        }

        /// True while the connection is up and authenticated.
        pub fn is_connected(&self) -> bool {
            self.shared.lock().is_ready()
        }

        /// The address of the peer.
        pub fn peer(&self) -> &str {
            &self.shared.peer
        }
    };
}

/// The methods of a `Channel`. See the [module documentation](self).
#[doc(hidden)]
#[macro_export]
macro_rules! __channel_api {
    (($($async:tt)*) ($($await:tt)*) $handle:ty) => {
        /// The channel an event is about (its `Unique-ID`), controlled through `handle`;
        /// `None` for an event that names no channel.
        pub fn from_event(handle: $handle, event: $crate::Event) -> Option<Self> {
            let uuid = event.unique_id()?.into_owned();
            Some(Self {
                handle,
                calls: $crate::client::ChannelCalls::new(&uuid),
                uuid,
                data: ::std::sync::Arc::new(event),
            })
        }

        /// The channel `uuid` (one the application already knows), controlled through
        /// `handle`, with no data yet.
        pub fn new(handle: $handle, uuid: impl Into<String>) -> Self {
            let uuid = uuid.into();
            let data = $crate::Event::builder("CHANNEL_DATA")
                .header("Unique-ID", uuid.as_str())
                .build();
            Self {
                handle,
                calls: $crate::client::ChannelCalls::new(&uuid),
                uuid,
                data: ::std::sync::Arc::new(data),
            }
        }

        /// The call of an outbound socket: applications go as a bare `sendmsg`.
        pub(crate) fn socket(handle: $handle, uuid: String, data: ::std::sync::Arc<$crate::Event>) -> Self {
            Self {
                handle,
                calls: $crate::client::ChannelCalls::socket(&uuid),
                uuid,
                data,
            }
        }

        // ---- getters ----

        /// The channel's uuid.
        pub fn uuid(&self) -> &str {
            &self.uuid
        }

        /// The connection commands go through.
        pub fn handle(&self) -> &$handle {
            &self.handle
        }

        /// The event this channel was made from (the `connect` reply's channel data for an
        /// outbound call): `Caller-*`, `variable_*`, ...
        pub fn data(&self) -> &$crate::Event {
            &self.data
        }

        /// A channel variable as the data has it (see `get_variable` for its value now).
        pub fn variable(&self, name: &str) -> Option<String> {
            self.data.variable(name).map(|v| v.into_owned())
        }

        /// A header of the data (`Caller-Destination-Number`, ...).
        pub fn header(&self, name: &str) -> Option<String> {
            self.data.header(name).map(|v| v.into_owned())
        }

        /// True for a call that came into the switch (`Call-Direction: inbound`).
        pub fn is_inbound(&self) -> bool {
            self.data.is_inbound()
        }

        /// True for a call the switch placed (`Call-Direction: outbound`).
        pub fn is_outbound(&self) -> bool {
            self.data.is_outbound()
        }

        // ---- applications, waiting for completion ----

        /// Runs `app` and waits for its `CHANNEL_EXECUTE_COMPLETE`, which is returned.
        ///
        /// Given up on (dropped, or timed out), the application still runs.
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn execute(&self, app: &str, arg: Option<&str>) -> $crate::client::Result<$crate::Event> {
            self.run(self.calls.execute(app, arg))$($await)*
        }

        /// `answer`, once answered.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn answer(&self) -> $crate::client::Result<()> {
            self.run(self.calls.answer())$($await)*
        }

        /// `hangup <cause>` (`NORMAL_CLEARING` when `None`), once the channel is down; `Ok`
        /// for a channel already gone.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn hangup(&self, cause: Option<&str>) -> $crate::client::Result<()> {
            self.run(self.calls.hangup(cause))$($await)*
        }

        /// `bridge <dial string>` until the bridge ends (build the dial string for a
        /// profile, a gateway or a proxy with
        /// [`DialString`]($crate::dptools::DialString)).
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn bridge(&self, dial: impl AsRef<str>) -> $crate::client::Result<$crate::Event> {
            self.run(self.calls.bridge(dial.as_ref()))$($await)*
        }

        /// `playback <path>`, once played.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn playback(&self, path: &str) -> $crate::client::Result<$crate::Event> {
            self.run(self.calls.playback(path))$($await)*
        }

        /// `set <name>=<value>`, once set.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn set_variable(&self, name: &str, value: &str) -> $crate::client::Result<()> {
            self.run(self.calls.set_variable(name, value))$($await)*
        }

        /// Sets several variables with one `multiset`, once set. Values `multiset` cannot
        /// carry (quotes, backslashes, edge spaces) are refused: set those one by one.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn set_variables<I, K, V>(&self, vars: I) -> $crate::client::Result<()>
        where
            I: IntoIterator<Item = (K, V)>,
            K: AsRef<str>,
            V: AsRef<str>,
        {
            self.run(self.calls.set_variables(vars))$($await)*
        }

        /// `respond <code> [<reason>]`: a SIP response before answer (`407`,
        /// `486 Busy Here`).
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn respond(&self, code: u16, reason: Option<&str>) -> $crate::client::Result<()> {
            self.run(self.calls.respond(code, reason))$($await)*
        }

        /// `transfer <extension> [<dialplan> [<context>]]`, once the channel left what it
        /// was doing for the new extension.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn transfer(
            &self,
            extension: &str,
            dialplan: Option<&str>,
            context: Option<&str>,
        ) -> $crate::client::Result<()> {
            self.run(self.calls.transfer(extension, dialplan, context))$($await)*
        }

        // ---- applications, not waiting ----

        /// Queues `app` and returns once the switch accepted it.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn execute_nowait(&self, app: &str, arg: Option<&str>) -> $crate::client::Result<()> {
            self.run(self.calls.execute_nowait(app, arg))$($await)*
        }

        /// `park`: returns once the switch accepted it (park lasts until the call moves or
        /// ends).
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn park(&self) -> $crate::client::Result<()> {
            self.run(self.calls.park())$($await)*
        }

        /// `bridge` without waiting for the bridge to end.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn bridge_nowait(&self, dial: impl AsRef<str>) -> $crate::client::Result<()> {
            self.run(self.calls.bridge_nowait(dial.as_ref()))$($await)*
        }

        /// `playback` without waiting for it to finish.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn playback_nowait(&self, path: &str) -> $crate::client::Result<()> {
            self.run(self.calls.playback_nowait(path))$($await)*
        }

        // ---- API commands (by uuid; they work on any connection) ----

        /// `uuid_broadcast`: plays `path` (or runs `app::args`) on the channel, to `leg`.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn broadcast(&self, path: &str, leg: Option<$crate::dptools::Leg>) -> $crate::client::Result<String> {
            self.run(self.calls.broadcast(path, leg))$($await)*
        }

        /// `uuid_record <uuid> start <path> [<limit>]`.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn record_start(&self, path: &str, limit_secs: Option<u32>) -> $crate::client::Result<String> {
            self.run(self.calls.record_start(path, limit_secs))$($await)*
        }

        /// `uuid_record <uuid> stop <path>` (`all` for every recording of the channel).
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn record_stop(&self, path: &str) -> $crate::client::Result<String> {
            self.run(self.calls.record_stop(path))$($await)*
        }

        /// `uuid_transfer`: moves this leg, its bridged leg, or both, to `extension`.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn uuid_transfer(
            &self,
            leg: $crate::dptools::TransferLeg,
            extension: &str,
            dialplan: Option<&str>,
            context: Option<&str>,
        ) -> $crate::client::Result<String> {
            self.run(self.calls.uuid_transfer(leg, extension, dialplan, context))$($await)*
        }

        /// The variable's value now (`uuid_getvar`); `None` when unset.
        ///
        /// See [waiting](Self#waiting) for cancellation and timeouts.
        pub $($async)* fn get_variable(&self, name: &str) -> $crate::client::Result<Option<String>> {
            self.run(self.calls.get_variable(name))$($await)*
        }

        $($async)* fn run<T>(&self, call: $crate::client::Result<$crate::client::Call<T>>) -> $crate::client::Result<T> {
            self.handle.call(call?)$($await)*
        }
    };
}

/// The methods of an `EventStream` beside its waiting `recv`. See the
/// [module documentation](self).
#[doc(hidden)]
#[macro_export]
macro_rules! __event_stream_api {
    (($($async:tt)*) ($($await:tt)*)) => {
        /// The next item if one is queued.
        pub fn try_recv(&mut self) -> Option<$crate::client::Incoming> {
            self.reader.try_recv()
        }

        /// The next [`Incoming::Event`]($crate::client::Incoming::Event), skipping log
        /// lines, notices and gap markers (see [`EventStream::recv`](Self::recv) to see
        /// those, or [`EventStream::dropped`](Self::dropped) to count losses).
        pub $($async)* fn next_event(&mut self) -> Option<$crate::Event> {
            loop {
                if let $crate::client::Incoming::Event(event) = self.recv()$($await)*? {
                    return Some(event);
                }
            }
        }

        /// Events dropped so far by the overflow policy.
        pub fn dropped(&self) -> u64 {
            self.reader.dropped()
        }

        /// Items waiting.
        pub fn len(&self) -> usize {
            self.reader.len()
        }

        /// True if nothing is waiting.
        pub fn is_empty(&self) -> bool {
            self.reader.is_empty()
        }
    };
}

/// The methods of a live call table (`CallTable`), on a field `shared` whose `lock()` gives
/// the engine. See the [module documentation](self).
#[doc(hidden)]
#[macro_export]
macro_rules! __call_table_api {
    () => {
        /// Every channel up, by uuid.
        pub fn channels(&self) -> Vec<$crate::track::Channel> {
            self.read(|t| t.channels().cloned().collect())
        }

        /// The channel `uuid`.
        pub fn channel(&self, uuid: &str) -> Option<$crate::track::Channel> {
            self.read(|t| t.channel(uuid).cloned())
        }

        /// Every call (its legs grouped), by id.
        pub fn calls(&self) -> Vec<$crate::track::Call> {
            self.read(|t| t.calls().cloned().collect())
        }

        /// The call the channel `uuid` belongs to.
        pub fn call_of(&self, uuid: &str) -> Option<$crate::track::Call> {
            self.read(|t| t.call_of(uuid).cloned())
        }

        /// The other leg of the channel `uuid` (see
        /// [`Tracker::other_leg`]($crate::Tracker::other_leg)).
        pub fn other_leg(&self, uuid: &str) -> Option<$crate::track::Channel> {
            self.read(|t| t.other_leg(uuid).cloned())
        }

        /// Every conference with its members, by name.
        pub fn conferences(&self) -> Vec<$crate::track::Conference> {
            self.read(|t| t.conferences().cloned().collect())
        }

        /// The conference called `name`.
        pub fn conference(&self, name: &str) -> Option<$crate::track::Conference> {
            self.read(|t| t.conference(name).cloned())
        }

        /// True while the table may miss what happened while events were not received: from
        /// the start until the channels already up are listed, and after a reconnect until
        /// they are listed again (or for good, with a warning, if the listing cannot be
        /// read).
        pub fn is_stale(&self) -> bool {
            self.shared.lock().is_table_stale()
        }

        fn read<T>(&self, read: impl FnOnce(&$crate::Tracker) -> T) -> T {
            let engine = self.shared.lock();
            match engine.tracker() {
                Some(tracker) => read(tracker),
                None => read(&$crate::Tracker::new()),
            }
        }
    };
}

/// An outbound server's `ShutdownHandle`: its counters (from the adapter's
/// `fn counters(&self) -> &CallCounters`) and its `Debug`. `shutdown` is the adapter's: each
/// wakes its accept loop its own way.
#[doc(hidden)]
#[macro_export]
macro_rules! __shutdown_handle_api {
    () => {
        /// Calls under way.
        pub fn active_calls(&self) -> usize {
            self.counters().active()
        }

        /// Calls handled so far (completed or under way).
        pub fn handled_calls(&self) -> u64 {
            self.counters().handled()
        }

        /// Connections refused at once: [`ServerConfig::max_calls`] were under way, or (on
        /// esl-blocking) the process was out of file descriptors.
        ///
        /// [`ServerConfig::max_calls`]: $crate::client::ServerConfig::max_calls
        pub fn rejected_calls(&self) -> u64 {
            self.counters().rejected()
        }
    };
    (debug $handle:ty) => {
        impl ::std::fmt::Debug for $handle {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct("ShutdownHandle")
                    .field("stopping", &self.counters().is_stopping())
                    .field("active_calls", &self.counters().active())
                    .finish()
            }
        }
    };
}

/// The configuring methods of a `Router` app, over its `matcher`
/// ([`route::Router<HandlerKey>`](crate::route::Router)) and `trigger` (`String`) fields.
#[doc(hidden)]
#[macro_export]
macro_rules! __router_api {
    () => {
        /// A header value every routed event must have (`Call-Direction` = `inbound`, ...).
        pub fn guard(&mut self, header: impl Into<String>, value: impl Into<String>) -> &mut Self {
            self.matcher.guard(header, value);
            self
        }

        /// Routes on `event` instead of `CHANNEL_PARK`.
        pub fn trigger(&mut self, event: impl Into<String>) -> &mut Self {
            self.trigger = event.into();
            self
        }

        /// A route: `pattern` (anchored at the start, as Python's `re.match`) on
        /// `Caller-Destination-Number` unless
        /// [`Route::field`]($crate::route::Route::field) says otherwise, to `handler`. Add
        /// parameters and per-route guards on the returned route.
        pub fn route(
            &mut self,
            pattern: &str,
            handler: HandlerKey,
        ) -> ::std::result::Result<&mut $crate::route::Route<HandlerKey>, $crate::RouteError> {
            self.matcher.route(pattern, handler)
        }

        /// The matching half, for inspection.
        pub fn matcher(&self) -> &$crate::route::Router<HandlerKey> {
            &self.matcher
        }
    };
}

/// Routes one call: the handlers of the routes that match `$call`'s event, in order, until
/// one says [`Flow::Stop`](crate::route::Flow::Stop) or fails. `$router` has the fields
/// `matcher` and `handlers` (indexed by `HandlerKey.0`); `$call` is a `CallEvent`.
#[doc(hidden)]
#[macro_export]
macro_rules! __route_call {
    ($router:expr, $call:expr, ($($await:tt)*)) => {{
        let Some(channel) = $call.channel() else {
            return;
        };
        // Owned before the first handler runs: handlers take as long as they like.
        let matches: Vec<(HandlerKey, $crate::route::RouteMatch)> = $router
            .matcher
            .iter_matches(&$call.event)
            .map(|m| (*m.handler, $crate::route::RouteMatch::from(&m)))
            .collect();
        if matches.is_empty() {
            $crate::__tracing::debug!(channel = %channel.uuid(), "no route");
        }
        for (key, m) in matches {
            let Some(handler) = $router.handlers.get(key.0) else {
                continue;
            };
            match handler(channel.clone(), m)$($await)* {
                Ok($crate::route::Flow::Continue) => {}
                Ok($crate::route::Flow::Stop) => break,
                Err(error) => {
                    $crate::__tracing::warn!(channel = %channel.uuid(), %error, "route handler failed");
                    break;
                }
            }
        }
    }};
}
