//! esl-blocking's `Service`, `Router` and `App` under the conformance harness: handlers run
//! on the service's worker pool and call the scenario's scripts directly.

use esl_blocking::{App, Channel, Router, Service};
use esl_proto::route::Flow;

use crate::convert::{config, convert};
use crate::harness::{AppSpec, RoutedCall, Settings, TestError, TestService};

pub(crate) struct BlockingService {
    service: Service,
}

impl BlockingService {
    pub(crate) fn new() -> BlockingService {
        BlockingService {
            service: Service::new(),
        }
    }
}

fn app(spec: AppSpec) -> App {
    match spec {
        AppSpec::Events(handlers) => {
            let mut app = App::new();
            for (name, script) in handlers {
                app = app.on(name, move |call| {
                    if let Some(channel) = call.channel() {
                        script(&Routed {
                            channel,
                            switch: call.switch.to_string(),
                        });
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
                    router.handler(move |channel, m| {
                        let switch = channel.peer().to_owned();
                        match script(&Routed { channel, switch }, &m) {
                            Ok(true) => Ok(Flow::Stop),
                            Ok(false) => Ok(Flow::Continue),
                            Err(error) => Err(esl_blocking::Error::Rejected(format!("{error:?}"))),
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

struct Routed {
    channel: Channel,
    switch: String,
}

impl RoutedCall for Routed {
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
        self.channel.respond(code, None).map_err(convert)
    }

    fn hangup(&self, cause: &str) -> Result<(), TestError> {
        self.channel.hangup(Some(cause)).map_err(convert)
    }

    fn answer(&self) -> Result<(), TestError> {
        self.channel.answer().map_err(convert)
    }

    fn bridge_nowait(&self, dial: &str) -> Result<(), TestError> {
        self.channel.bridge_nowait(dial).map_err(convert)
    }

    fn set_variables(&self, vars: &[(&str, &str)]) -> Result<(), TestError> {
        self.channel
            .set_variables(vars.iter().copied())
            .map_err(convert)
    }
}

impl TestService for BlockingService {
    fn add_switch(&self, name: &str, addr: &str) -> Result<(), TestError> {
        let settings = Settings {
            reconnect: true,
            ..Settings::default()
        };
        self.service
            .add_switch(name, addr, config(&settings))
            .map_err(convert)
    }

    fn load(&self, id: &str, spec: AppSpec, default: bool) -> Result<(), TestError> {
        let app = app(spec);
        if default {
            self.service.load_default(id, app)
        } else {
            self.service.load(id, app)
        }
        .map_err(convert)
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
        self.service
            .originate(switch, app, url, target)
            .and_then(|job| job.channel_uuid())
            .map_err(convert)
    }

    fn api(&self, switch: &str, command: &str) -> Result<String, TestError> {
        let handle = self
            .service
            .switch(switch)
            .expect("a switch of the service");
        handle.api(command).map_err(convert)
    }

    fn originate_plain(&self, switch: &str, url: &str, target: &str) -> Result<String, TestError> {
        let handle = self
            .service
            .switch(switch)
            .expect("a switch of the service");
        handle.originate(url, target).map_err(convert)
    }

    fn close(&self) {
        self.service.close();
    }
}
