//! One service over many switches: the same apps on every switch, each command sent back to
//! the switch the event came from (switchy's `Service`, switchio's `Client` + `EventListener`
//! per slave).
//!
//! Each switch has its own [`Client`] with its own reconnect policy, and one task that reads
//! its event stream and hands each event to the app that owns the call. A switch that goes
//! down fails only the requests pending on it; the others carry on, and when it comes back its
//! subscriptions are replayed and its events flow again.

use std::sync::{Arc, Mutex, RwLock};

use esl_proto::apps::{subscription_names, with_app, AppTable, SwitchTable};
use esl_proto::client::{Address, ClientConfig, Error, Gap, Incoming, Result};
use esl_proto::{Event, EventFormat};

use crate::app::{App, CallEvent};
use crate::client::Client;
use crate::handle::{Handle, Job};
use crate::runtime::Runtime;
use crate::transport::Transport;

/// Many switches, the same apps on each.
///
/// ```no_run
/// # async fn demo<R: esl_async::Runtime>(runtime: R, router: esl_async::Router<R>)
/// # -> esl_async::Result<()> {
/// use esl_async::{ClientConfig, Service};
///
/// let service = Service::new(runtime); // `Service::new(Tokio)` with esl-tokio
/// service.add_switch("fs1", "10.0.0.1:8021", ClientConfig::password("ClueCon")).await?;
/// service.add_switch("fs2", "10.0.0.2:8021", ClientConfig::password("ClueCon")).await?;
/// service.load_default("router", router.into_app()).await?;
/// # Ok(())
/// # }
/// ```
///
/// # Waiting
///
/// Each method that waits is cancel-safe; what dropping its future leaves behind is said on
/// each. Every wait is bounded by the timeouts of the switches' [`ClientConfig`].
pub struct Service<R: Runtime> {
    inner: Arc<ServiceInner<R>>,
}

impl<R: Runtime> Clone for Service<R> {
    fn clone(&self) -> Self {
        Service {
            inner: self.inner.clone(),
        }
    }
}

impl<R: Runtime> std::fmt::Debug for Service<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("switches", &self.switches())
            .field("apps", &self.apps())
            .finish()
    }
}

struct ServiceInner<R: Runtime> {
    runtime: R,
    switches: Mutex<SwitchTable<Client<R>>>,
    apps: RwLock<AppTable<App<R>>>,
}

impl<R: Runtime> Service<R> {
    /// A service with no switches and no apps.
    pub fn new(runtime: R) -> Service<R> {
        Service {
            inner: Arc::new(ServiceInner {
                runtime,
                switches: Mutex::new(SwitchTable::new()),
                apps: RwLock::new(AppTable::new()),
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
        self.read_apps().ids()
    }

    /// The connection to the switch called `name`: its requests, its events, and its live
    /// call table (`service.switch("fs1").map(|fs1| fs1.track())`).
    pub fn switch(&self, name: &str) -> Option<Handle<R>> {
        self.lock_switches()
            .get(name)
            .map(|client| client.handle().clone())
    }

    // ---- switches ----

    /// Connects to a switch and runs the loaded apps on it. Without a reconnect policy in
    /// `config`, the default [`Reconnect`](crate::Reconnect) is used: a service keeps its
    /// switches.
    ///
    /// Cancel-safe: dropped before it returns, it adds nothing, and the connection it opened
    /// closes.
    pub async fn add_switch(
        &self,
        name: &str,
        addr: impl Into<Address>,
        config: ClientConfig,
    ) -> Result<()> {
        self.lock_switches().check_free(name)?;
        let runtime = self.inner.runtime.clone();
        let client = Client::connect(runtime, addr, config.reconnecting()).await?;
        self.attach(name, client).await
    }

    /// [`Service::add_switch`] over `transport` (a simulated switch in memory) instead of
    /// TCP; cancel-safe too.
    pub async fn add_switch_via(
        &self,
        name: &str,
        transport: Arc<dyn Transport>,
        config: ClientConfig,
    ) -> Result<()> {
        self.lock_switches().check_free(name)?;
        let runtime = self.inner.runtime.clone();
        let client = Client::connect_via(runtime, transport, config.reconnecting()).await?;
        self.attach(name, client).await
    }

    /// Runs the loaded apps on a connected switch.
    async fn attach(&self, name: &str, client: Client<R>) -> Result<()> {
        // The stream opens before the subscription, so no event of a loaded app is missed.
        let mut events = client.events();
        let names = subscription_names(self.read_apps().apps().flat_map(|app| app.events()));
        if !names.is_empty() {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            client
                .subscribe(esl_proto::EventFormat::Plain, &names)
                .await?;
        }
        let name: Arc<str> = Arc::from(name);
        let handle = client.handle().clone();
        // Another add_switch of the same name may have finished while this one connected
        // and subscribed: the loser's client closes as it is dropped, outside the lock.
        let refused = self.lock_switches().insert(name.clone(), client);
        if let Err((error, _client)) = refused {
            return Err(error.into());
        }
        let inner = self.inner.clone();
        let switch = name.clone();
        self.inner.runtime.spawn(async move {
            while let Some(item) = events.recv().await {
                match item {
                    Incoming::Event(event) => inner.dispatch(&switch, &handle, event),
                    Incoming::Gap(Gap::Reconnected) => {
                        tracing::info!(switch = %switch, "switch back; subscriptions replayed");
                    }
                    Incoming::Gap(Gap::Lost(n)) => {
                        tracing::warn!(switch = %switch, lost = n, "events dropped: the service is behind");
                    }
                    _ => {}
                }
            }
            tracing::debug!(switch = %switch, "switch closed");
        });
        Ok(())
    }

    /// Closes every switch's connection, each with a goodbye (at most the request timeout).
    ///
    /// Cancel-safe: once polled, every switch is closing, and dropping the future gives up
    /// only the wait for their goodbyes.
    pub async fn close(&self) {
        let switches = self.lock_switches().take_all();
        for (_, client) in switches {
            let _ = client.close().await;
        }
    }

    // ---- apps ----

    /// Loads `app` under `id` on every switch, all or nothing: if the id is taken, an event
    /// name cannot be sent, or a switch refuses the subscription, nothing is loaded and the
    /// error says why.
    ///
    /// Cancel-safe: dropped before it returns, it loads nothing, though the switches it had
    /// already asked keep the subscription (as after [`Service::unload`]).
    pub async fn load(&self, id: &str, app: App<R>) -> Result<()> {
        self.read_apps().check(id)?;
        if let Some(command) = app.handlers.subscription(EventFormat::Plain)? {
            let handles: Vec<(Arc<str>, Handle<R>)> = self
                .lock_switches()
                .iter()
                .map(|(name, client)| (name.clone(), client.handle().clone()))
                .collect();
            for (name, handle) in handles {
                handle.command(command.clone()).await.map_err(|error| {
                    Error::Rejected(format!("app {id} not loaded: switch {name}: {error}"))
                })?;
            }
        }
        Ok(self.write_apps().insert(id, app)?)
    }

    /// [`Service::load`], and makes it the app for calls no app claimed. Cancel-safe as
    /// [`Service::load`] is.
    pub async fn load_default(&self, id: &str, app: App<R>) -> Result<()> {
        self.load(id, app).await?;
        self.write_apps().set_default(id);
        Ok(())
    }

    /// Unloads the app `id`; false if there was none. (Its subscriptions stay: another app
    /// may share them, and events no app wants are dropped.)
    pub fn unload(&self, id: &str) -> bool {
        self.write_apps().remove(id).is_some()
    }

    // ---- calls ----

    /// `originate` on the switch `switch`, the new call owned by the app `app` (its events
    /// go to that app). The job resolves to the new channel's uuid with
    /// [`Job::channel_uuid`], or to the switch's error.
    ///
    /// Returns once the switch accepted the job. Cancel-safe in [`Handle`]'s sense: dropped
    /// before, the request is cancelled, and the call may still be placed.
    pub async fn originate(
        &self,
        switch: &str,
        app: &str,
        url: &str,
        target: &str,
    ) -> Result<Job<R>> {
        let handle = self.lock_switches().find(switch)?.handle().clone();
        self.read_apps().find(app)?;
        handle.originate_job(&with_app(url, app)?, target).await
    }

    // ---- internals ----

    fn lock_switches(&self) -> std::sync::MutexGuard<'_, SwitchTable<Client<R>>> {
        self.inner
            .switches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn read_apps(&self) -> std::sync::RwLockReadGuard<'_, AppTable<App<R>>> {
        self.inner.apps.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_apps(&self) -> std::sync::RwLockWriteGuard<'_, AppTable<App<R>>> {
        self.inner.apps.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl<R: Runtime> ServiceInner<R> {
    /// Hands `event` to each handler of the app that owns its call, each as a task.
    fn dispatch(&self, switch: &Arc<str>, handle: &Handle<R>, event: Event) {
        let apps = self.apps.read().unwrap_or_else(|e| e.into_inner());
        let Some(app) = apps.owner(&event) else {
            return;
        };
        for handler in app.handlers.matching(&event) {
            let call = CallEvent::new(event.clone(), switch.clone(), handle.clone());
            self.runtime.spawn(handler(call));
        }
    }
}
