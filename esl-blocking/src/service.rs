//! One service over many switches: the same apps on every switch, each command sent back to
//! the switch the event came from (switchy's `Service`, switchio's `Client` + `EventListener`
//! per slave).
//!
//! Each switch has its own [`Client`] with its own reconnect policy, and one dispatch thread
//! that reads its event stream and hands each event to the app that owns the call. The
//! handlers run on the service's worker pool. A switch that goes down fails only the requests
//! pending on it; the others carry on, and when it comes back its subscriptions are replayed
//! and its events flow again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use esl_proto::apps::{subscription_names, with_app, AppTable, SwitchTable};
use esl_proto::client::{Address, ClientConfig, Error, Gap, Incoming, Overflow, Result};
use esl_proto::{Event, EventFormat};

use crate::app::{App, CallEvent, HandlerFn};
use crate::client::Client;
use crate::events::EventStream;
use crate::handle::{Handle, Job};
use crate::pool::Pool;
use crate::signal::lock;
use crate::transport::Transport;

/// How often a dispatch thread waiting for an event looks whether its switch was closed.
const CLOSE_CHECK: Duration = Duration::from_millis(250);

/// Many switches, the same apps on each; handlers run on a bounded pool of worker threads.
///
/// ```no_run
/// # fn demo(router: esl_blocking::Router) -> esl_blocking::Result<()> {
/// use esl_blocking::{ClientConfig, Service};
///
/// let service = Service::new();
/// service.add_switch("fs1", "10.0.0.1:8021", ClientConfig::password("ClueCon"))?;
/// service.add_switch("fs2", "10.0.0.2:8021", ClientConfig::password("ClueCon"))?;
/// service.load_default("router", router.into_app())?;
/// # Ok(())
/// # }
/// ```
///
/// # The worker pool
///
/// Each switch has one dispatch thread, which reads the switch's event stream and queues one
/// job per matching handler. The jobs run on the service's pool: at most `workers` threads
/// ([`Service::DEFAULT_WORKERS`] with [`Service::new`]; started as they are needed and kept),
/// fed by one queue of at most `queue` jobs waiting for a worker
/// ([`Service::DEFAULT_QUEUE`]). Handlers of different events (of the same call too) may run
/// at the same time and finish in any order.
///
/// A handler holds its worker for as long as it runs: a [`Channel::bridge`] holds it for the
/// whole bridged call. When every worker is busy and the queue is full, a dispatch thread
/// with a job to queue waits for room: that switch's events then wait in its event stream,
/// which holds [`ClientConfig::event_capacity`] of them; beyond that its
/// [`ClientConfig::overflow`] policy drops events (and the service logs how many). Requests,
/// replies and jobs are not held up, so the handlers that keep the workers busy can finish.
/// Size the pool with [`Service::with_pool`] for the handlers that may wait at once, or use
/// the `_nowait` forms (`bridge_nowait`, `playback_nowait`) in handlers.
///
/// [`Overflow::Backpressure`] is refused for a switch: a full stream would stop its
/// connection's reading, and with it the replies the busy handlers wait for.
///
/// [`Channel::bridge`]: crate::Channel::bridge
#[derive(Clone)]
pub struct Service {
    inner: Arc<ServiceInner>,
}

impl Default for Service {
    fn default() -> Self {
        Service::new()
    }
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (workers, queue) = self.inner.core.pool.limits();
        f.debug_struct("Service")
            .field("switches", &self.switches())
            .field("apps", &self.apps())
            .field("workers", &workers)
            .field("queue", &queue)
            .finish()
    }
}

struct ServiceInner {
    switches: Mutex<SwitchTable<Switch>>,
    core: Arc<Core>,
}

/// What the dispatch threads share: the apps and the pool. Not the switches, so dropping
/// the last [`Service`] closes them even with no [`Service::close`].
struct Core {
    apps: RwLock<AppTable<App>>,
    pool: Pool,
}

struct Switch {
    client: Client,
    /// Tells the dispatch thread to stop, even while it waits for room in the pool.
    closing: Arc<AtomicBool>,
    dispatcher: Option<JoinHandle<()>>,
    core: Arc<Core>,
}

impl Service {
    /// Handler threads of a service made with [`Service::new`].
    pub const DEFAULT_WORKERS: usize = 16;
    /// Handler calls waiting for a worker, at most, in a service made with [`Service::new`].
    pub const DEFAULT_QUEUE: usize = 256;

    /// A service with no switches and no apps, and a pool of
    /// [`DEFAULT_WORKERS`](Service::DEFAULT_WORKERS) workers fed by a queue of
    /// [`DEFAULT_QUEUE`](Service::DEFAULT_QUEUE).
    pub fn new() -> Service {
        Service::with_pool(Service::DEFAULT_WORKERS, Service::DEFAULT_QUEUE)
    }

    /// A service whose handlers run on at most `workers` threads, with at most `queue`
    /// handler calls waiting for one (each at least 1). See [the worker pool](Service#the-worker-pool).
    pub fn with_pool(workers: usize, queue: usize) -> Service {
        Service {
            inner: Arc::new(ServiceInner {
                switches: Mutex::new(SwitchTable::new()),
                core: Arc::new(Core {
                    apps: RwLock::new(AppTable::new()),
                    pool: Pool::new(workers, queue),
                }),
            }),
        }
    }

    // ---- getters ----

    /// The switches' names, in the order they were added.
    pub fn switches(&self) -> Vec<String> {
        self.lock_switches().names()
    }

    /// The loaded apps' ids, in load order.
    pub fn apps(&self) -> Vec<String> {
        self.inner.core.read_apps().ids()
    }

    /// The connection to the switch called `name`: its requests, its events, and its live
    /// call table (`service.switch("fs1").map(|fs1| fs1.track())`).
    pub fn switch(&self, name: &str) -> Option<Handle> {
        self.lock_switches()
            .get(name)
            .map(|switch| switch.client.handle().clone())
    }

    // ---- switches ----

    /// Connects to a switch and runs the loaded apps on it. Without a reconnect policy in
    /// `config`, the default [`Reconnect`](crate::Reconnect) is used: a service keeps its
    /// switches.
    /// [`Overflow::Backpressure`] is refused (see [the worker pool](Service#the-worker-pool)).
    ///
    /// Blocks for the connection (at most the connect timeout) and the subscription of the
    /// loaded apps (at most the request timeout).
    pub fn add_switch(
        &self,
        name: &str,
        addr: impl Into<Address>,
        config: ClientConfig,
    ) -> Result<()> {
        self.check(name, &config)?;
        let client = Client::connect(addr, config.reconnecting())?;
        self.attach(name, client)
    }

    /// [`Service::add_switch`] over `transport` (a simulated switch in memory) instead of
    /// TCP.
    pub fn add_switch_via(
        &self,
        name: &str,
        transport: Arc<dyn Transport>,
        config: ClientConfig,
    ) -> Result<()> {
        self.check(name, &config)?;
        let client = Client::connect_via(transport, config.reconnecting())?;
        self.attach(name, client)
    }

    fn check(&self, name: &str, config: &ClientConfig) -> Result<()> {
        self.lock_switches().check_free(name)?;
        if config.overflow == Overflow::Backpressure {
            return Err(Error::Rejected(format!(
                "switch {name}: a service cannot use Overflow::Backpressure (a full pool would \
                 stop the replies its handlers wait for); use DropNewest or DropOldest"
            )));
        }
        Ok(())
    }

    /// Runs the loaded apps on a connected switch.
    fn attach(&self, name: &str, client: Client) -> Result<()> {
        // The stream opens before the subscription, so no event of a loaded app is missed.
        let events = client.events();
        let names = subscription_names(
            self.inner
                .core
                .read_apps()
                .apps()
                .flat_map(|app| app.events()),
        );
        if !names.is_empty() {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            client.subscribe(esl_proto::EventFormat::Plain, &names)?;
        }
        let name: Arc<str> = Arc::from(name);
        let closing = Arc::new(AtomicBool::new(false));
        let dispatcher = {
            let core = self.inner.core.clone();
            let switch = name.clone();
            let handle = client.handle().clone();
            let closing = closing.clone();
            std::thread::Builder::new()
                .name("esl-dispatch".into())
                .spawn(move || core.run(&switch, &handle, events, &closing))?
        };
        let switch = Switch {
            client,
            closing,
            dispatcher: Some(dispatcher),
            core: self.inner.core.clone(),
        };
        // Another thread may have added the same name meanwhile.
        let refused = self.lock_switches().insert(name.clone(), switch);
        if let Err((error, switch)) = refused {
            switch.stop(&name);
            return Err(error.into());
        }
        Ok(())
    }

    /// Closes every switch's connection and waits for their dispatch threads to end.
    /// Handlers still running go on (a request they were waiting for fails with
    /// [`Error::ConnectionClosed`], a later one with [`Error::Closed`]); the workers end once
    /// the last clone of the service is dropped.
    ///
    /// Blocks for each switch's goodbye in turn (at most the request timeout each).
    pub fn close(&self) {
        let switches = self.lock_switches().take_all();
        for (name, switch) in switches {
            switch.stop(&name);
        }
    }

    // ---- apps ----

    /// Loads `app` under `id` on every switch, all or nothing: if the id is taken or is not
    /// one word of letters, digits, `_`, `-` and `.`, an event name cannot be sent, or a
    /// switch refuses the subscription, nothing is loaded and the error says why.
    ///
    /// Blocks for one subscription request per switch, in turn (at most the request timeout
    /// each).
    pub fn load(&self, id: &str, app: App) -> Result<()> {
        self.inner.core.read_apps().check(id)?;
        if let Some(command) = app.handlers.subscription(EventFormat::Plain)? {
            let handles: Vec<(Arc<str>, Handle)> = self
                .lock_switches()
                .iter()
                .map(|(name, switch)| (name.clone(), switch.client.handle().clone()))
                .collect();
            for (name, handle) in handles {
                handle.command(command.clone()).map_err(|error| {
                    Error::Rejected(format!("app {id} not loaded: switch {name}: {error}"))
                })?;
            }
        }
        Ok(self.inner.core.write_apps().insert(id, app)?)
    }

    /// [`Service::load`], and makes it the app for calls no app claimed. Blocks as
    /// [`Service::load`] does.
    pub fn load_default(&self, id: &str, app: App) -> Result<()> {
        self.load(id, app)?;
        self.inner.core.write_apps().set_default(id);
        Ok(())
    }

    /// Unloads the app `id`; false if there was none. (Its subscriptions stay: another app
    /// may share them, and events no app wants are dropped.) Handler calls already queued
    /// still run.
    pub fn unload(&self, id: &str) -> bool {
        self.inner.core.write_apps().remove(id).is_some()
    }

    // ---- calls ----

    /// `originate` on the switch `switch`, the new call owned by the app `app` (its events
    /// go to that app): `url` gets `{esl_app=<app>}` merged into its variables. The job
    /// resolves to the new channel's uuid with [`Job::channel_uuid`], or to the switch's
    /// error.
    ///
    /// Blocks until the switch accepted the job (at most the request timeout), not until
    /// the call is up.
    pub fn originate(&self, switch: &str, app: &str, url: &str, target: &str) -> Result<Job> {
        let handle = self.lock_switches().find(switch)?.client.handle().clone();
        self.inner.core.read_apps().find(app)?;
        handle.originate_job(&with_app(url, app)?, target)
    }

    // ---- internals ----

    fn lock_switches(&self) -> MutexGuard<'_, SwitchTable<Switch>> {
        lock(&self.inner.switches)
    }
}

impl Switch {
    /// Tells the dispatch thread to stop, wakes it if it waits for room in the pool.
    fn signal_stop(&self) {
        self.closing.store(true, Ordering::Release);
        self.core.pool.wake();
    }

    /// Closes the connection and waits for the dispatch thread to end.
    fn stop(mut self, name: &str) {
        self.signal_stop();
        if let Err(error) = self.client.clone().close() {
            tracing::debug!(switch = %name, %error, "closing the switch");
        }
        if let Some(thread) = self.dispatcher.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Switch {
    fn drop(&mut self) {
        // Dropped without `stop` (the service was dropped): the connection closes with the
        // client, and the dispatch thread ends on its own.
        self.signal_stop();
    }
}

impl Core {
    fn read_apps(&self) -> RwLockReadGuard<'_, AppTable<App>> {
        self.apps.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_apps(&self) -> RwLockWriteGuard<'_, AppTable<App>> {
        self.apps.write().unwrap_or_else(|e| e.into_inner())
    }

    /// A switch's dispatch thread: reads its events until the switch is closed.
    fn run(
        &self,
        switch: &Arc<str>,
        handle: &Handle,
        mut events: EventStream,
        closing: &AtomicBool,
    ) {
        while !closing.load(Ordering::Acquire) {
            match events.recv_timeout(CLOSE_CHECK) {
                Ok(Incoming::Event(event)) => {
                    if !self.dispatch(switch, handle, event, closing) {
                        break;
                    }
                }
                Ok(Incoming::Gap(Gap::Reconnected)) => {
                    tracing::info!(switch = %switch, "switch back; subscriptions replayed");
                }
                Ok(Incoming::Gap(Gap::Lost(n))) => {
                    tracing::warn!(switch = %switch, lost = n, "events dropped: the service is behind");
                }
                Ok(_) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        tracing::debug!(switch = %switch, "switch closed");
    }

    /// Queues a call of each handler of the app that owns `event`'s call, in the order they
    /// were added; waits for room in the pool. False if the switch was closed meanwhile.
    fn dispatch(
        &self,
        switch: &Arc<str>,
        handle: &Handle,
        event: Event,
        closing: &AtomicBool,
    ) -> bool {
        // Taken out of the lock: queueing may wait, and loading needs the lock to write.
        let handlers: Vec<HandlerFn> = {
            match self.read_apps().owner(&event) {
                Some(app) => app.handlers.matching(&event).cloned().collect(),
                None => return true,
            }
        };
        for handler in handlers {
            let call = CallEvent::new(event.clone(), switch.clone(), handle.clone());
            if self
                .pool
                .submit(Box::new(move || handler(call)), closing)
                .is_err()
            {
                return false;
            }
        }
        true
    }
}
