//! esl-async's `Service`, `Router` and `App` under the conformance harness, for every
//! runtime. Handlers run the scenario's blocking scripts on a thread of their own, as a
//! user's blocking code would, while the runtime keeps the connections going.

use std::sync::Arc;

use esl_async::{App, CallEvent, Channel, Router, Service};
use esl_proto::route::{Flow, RouteMatch};

use crate::async_adapter::Executor;
use crate::convert::{config, convert};
use crate::harness::{AppSpec, RoutedCall, Settings, TestError, TestService};

pub(crate) struct AsyncService<E: Executor> {
    exec: Arc<E>,
    service: Service<E::Runtime>,
}

impl<E: Executor> AsyncService<E> {
    pub(crate) fn new(exec: Arc<E>) -> AsyncService<E> {
        let service = Service::new(exec.runtime());
        AsyncService { exec, service }
    }

    fn app(&self, spec: AppSpec) -> App<E::Runtime> {
        match spec {
            AppSpec::Events(handlers) => {
                let mut app = App::new();
                for (name, script) in handlers {
                    let exec = self.exec.clone();
                    app = app.on(name, move |call: CallEvent<E::Runtime>| {
                        let script = script.clone();
                        let exec = exec.clone();
                        async move {
                            let switch = call.switch.to_string();
                            let Some(channel) = call.channel() else {
                                return;
                            };
                            run_blocking(move || {
                                script(&Routed {
                                    exec,
                                    channel,
                                    switch,
                                })
                            })
                            .await;
                        }
                    });
                }
                app
            }
            AppSpec::Router(spec) => {
                let mut router = Router::new();
                for (header, value) in spec.guards {
                    router.guard(header, value);
                }
                let keys: Vec<_> = spec
                    .handlers
                    .into_iter()
                    .map(|script| {
                        let exec = self.exec.clone();
                        router.handler(move |channel: Channel<E::Runtime>, m: RouteMatch| {
                            let script = script.clone();
                            let exec = exec.clone();
                            async move {
                                let switch = channel.peer().to_owned();
                                let stop = run_blocking(move || {
                                    script(
                                        &Routed {
                                            exec,
                                            channel,
                                            switch,
                                        },
                                        &m,
                                    )
                                })
                                .await;
                                match stop {
                                    Ok(true) => Ok(Flow::Stop),
                                    Ok(false) => Ok(Flow::Continue),
                                    Err(error) => {
                                        Err(esl_async::Error::Rejected(format!("{error:?}")))
                                    }
                                }
                            }
                        })
                    })
                    .collect();
                for route in spec.routes {
                    let added = router.route(route.pattern, keys[route.handler]).unwrap();
                    for (name, value) in route.params {
                        added.param(name, value);
                    }
                }
                router.into_app()
            }
        }
    }
}

/// Runs `work` on a thread of its own and awaits its result.
async fn run_blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = futures_channel::oneshot::channel();
    std::thread::spawn(move || {
        let _ = done.send(work());
    });
    result.await.expect("the script ran to its end")
}

struct Routed<E: Executor> {
    exec: Arc<E>,
    channel: Channel<E::Runtime>,
    switch: String,
}

impl<E: Executor> RoutedCall for Routed<E> {
    fn uuid(&self) -> String {
        self.channel.uuid().to_owned()
    }

    fn switch(&self) -> String {
        self.switch.clone()
    }

    fn header(&self, name: &str) -> Option<String> {
        self.channel.header(name)
    }

    fn respond(&self, code: u16) -> Result<(), TestError> {
        self.exec
            .block_on(self.channel.respond(code, None))
            .map_err(convert)
    }

    fn hangup(&self, cause: &str) -> Result<(), TestError> {
        self.exec
            .block_on(self.channel.hangup(Some(cause)))
            .map_err(convert)
    }

    fn answer(&self) -> Result<(), TestError> {
        self.exec.block_on(self.channel.answer()).map_err(convert)
    }

    fn bridge_nowait(&self, dial: &str) -> Result<(), TestError> {
        self.exec
            .block_on(self.channel.bridge_nowait(dial))
            .map_err(convert)
    }

    fn set_variables(&self, vars: &[(&str, &str)]) -> Result<(), TestError> {
        self.exec
            .block_on(self.channel.set_variables(vars.iter().copied()))
            .map_err(convert)
    }
}

impl<E: Executor> TestService for AsyncService<E> {
    fn add_switch(&self, name: &str, addr: &str) -> Result<(), TestError> {
        let settings = Settings {
            reconnect: true,
            ..Settings::default()
        };
        self.exec
            .block_on(self.service.add_switch(name, addr, config(&settings)))
            .map_err(convert)
    }

    fn load(&self, id: &str, app: AppSpec, default: bool) -> Result<(), TestError> {
        let app = self.app(app);
        let loading = async {
            if default {
                self.service.load_default(id, app).await
            } else {
                self.service.load(id, app).await
            }
        };
        self.exec.block_on(loading).map_err(convert)
    }

    fn unload(&self, id: &str) -> bool {
        self.service.unload(id)
    }

    fn apps(&self) -> Vec<String> {
        self.service.apps()
    }

    fn switches(&self) -> Vec<String> {
        self.service.switches()
    }

    fn originate(
        &self,
        switch: &str,
        app: &str,
        url: &str,
        target: &str,
    ) -> Result<String, TestError> {
        self.exec
            .block_on(async {
                let job = self.service.originate(switch, app, url, target).await?;
                job.channel_uuid().await
            })
            .map_err(convert)
    }

    fn api(&self, switch: &str, command: &str) -> Result<String, TestError> {
        let handle = self
            .service
            .switch(switch)
            .expect("a switch of the service");
        self.exec.block_on(handle.api(command)).map_err(convert)
    }

    fn originate_plain(&self, switch: &str, url: &str, target: &str) -> Result<String, TestError> {
        let handle = self
            .service
            .switch(switch)
            .expect("a switch of the service");
        self.exec
            .block_on(handle.originate(url, target))
            .map_err(convert)
    }

    fn close(&self) {
        self.exec.block_on(self.service.close());
    }
}
