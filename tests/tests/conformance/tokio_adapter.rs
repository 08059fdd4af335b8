//! esl-tokio under the conformance harness.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use esl_async::{Error, Incoming};
use esl_proto::{Command, Event, EventFormat, Response};
use esl_tokio::{
    ClientConfig, EventStream, Gap, Overflow, Reconnect, ServerConfig, ShutdownHandle,
};
use tokio::runtime::Handle;

use crate::harness::{
    self, Adapter, CallSession, Item, OverflowKind, Script, Server, Settings, TestError,
};

pub(crate) struct TokioAdapter {
    runtime: tokio::runtime::Runtime,
}

impl TokioAdapter {
    pub(crate) fn new() -> TokioAdapter {
        TokioAdapter {
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime"),
        }
    }
}

pub(crate) fn convert(error: Error) -> TestError {
    match error {
        Error::Rejected(text) => TestError::Rejected(text),
        Error::Timeout(_) => TestError::Timeout,
        Error::Auth(reply) => TestError::Auth(reply),
        Error::Io(_) | Error::ConnectionClosed(_) | Error::Protocol(_) | Error::Closed => {
            TestError::ConnectionLost(error.to_string())
        }
        other => TestError::Other(other.to_string()),
    }
}

fn connect_error(error: Error) -> TestError {
    match error {
        Error::Io(e) => TestError::Io(e.to_string()),
        Error::ConnectTimeout(d) => TestError::Io(format!("timeout {d:?}")),
        other => convert(other),
    }
}

pub(crate) fn overflow(kind: OverflowKind) -> Overflow {
    match kind {
        OverflowKind::DropNewest => Overflow::DropNewest,
        OverflowKind::DropOldest => Overflow::DropOldest,
        OverflowKind::Backpressure => Overflow::Backpressure,
    }
}

pub(crate) fn config(settings: &Settings) -> ClientConfig {
    let mut config = ClientConfig::password(settings.password.as_str());
    config.request_timeout = settings.request_timeout;
    config.connect_timeout = Duration::from_secs(5);
    config.event_capacity = settings.event_capacity;
    config.overflow = overflow(settings.overflow);
    if settings.reconnect {
        config.reconnect = Some(Reconnect {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(200),
            ..Reconnect::default()
        });
    }
    config
}

pub(crate) fn item(incoming: Incoming) -> Item {
    match incoming {
        Incoming::Event(event) => Item::Event(event),
        Incoming::Log(_) => Item::Log,
        Incoming::Notice(_) => Item::Notice,
        Incoming::Gap(Gap::Lost(n)) => Item::Lost(n),
        Incoming::Gap(Gap::Reconnected) => Item::Reconnected,
    }
}

/// `api` with an explicit timeout, interpreted like `Handle::api`.
pub(crate) fn api_text(response: Response) -> Result<String, TestError> {
    if response.is_ok() {
        Ok(response.text())
    } else {
        Err(TestError::Rejected(response.text()))
    }
}

impl Adapter for TokioAdapter {
    fn connect(
        &self,
        addr: &str,
        settings: &Settings,
    ) -> Result<Box<dyn harness::Client>, TestError> {
        let client = self
            .runtime
            .block_on(esl_tokio::connect_with(addr, config(settings)))
            .map_err(connect_error)?;
        let events = Mutex::new(client.events());
        Ok(Box::new(Client {
            runtime: self.runtime.handle().clone(),
            client,
            events,
        }))
    }

    fn serve(&self, script: Script, max_calls: usize) -> Box<dyn Server> {
        let server = self
            .runtime
            .block_on(esl_tokio::listen(
                "127.0.0.1:0",
                ServerConfig {
                    max_calls,
                    ..ServerConfig::default()
                },
            ))
            .expect("listen");
        let addr = server.local_addr().expect("address");
        let shutdown = server.shutdown_handle();
        let runtime = self.runtime.handle().clone();
        let calls = runtime.clone();
        let join = self.runtime.spawn(server.run(move |session| {
            let script = script.clone();
            let runtime = calls.clone();
            async move {
                let result =
                    tokio::task::spawn_blocking(move || script(&Call { session, runtime })).await;
                if let Ok(Err(error)) = result {
                    panic!("the call script failed: {error:?}");
                }
            }
        }));
        Box::new(TokioServer {
            addr,
            shutdown,
            runtime,
            join: Mutex::new(Some(join)),
        })
    }
}

struct Client {
    runtime: Handle,
    client: esl_tokio::Client,
    events: Mutex<EventStream>,
}

impl harness::Client for Client {
    fn api(&self, command: &str) -> Result<String, TestError> {
        self.runtime
            .block_on(self.client.api(command))
            .map_err(convert)
    }

    fn api_within(&self, command: &str, timeout: Duration) -> Result<String, TestError> {
        let response = self
            .runtime
            .block_on(self.client.send_timeout(Command::api(command), timeout))
            .map_err(convert)?;
        api_text(response)
    }

    fn bgapi(&self, command: &str) -> Result<String, TestError> {
        self.runtime
            .block_on(async { self.client.bgapi(command).await?.await })
            .map_err(convert)
    }

    fn originate(&self, url: &str, target: &str) -> Result<String, TestError> {
        self.runtime
            .block_on(self.client.originate(url, target))
            .map_err(convert)
    }

    fn execute(&self, uuid: &str, app: &str, arg: Option<&str>) -> Result<String, TestError> {
        let done = self
            .runtime
            .block_on(self.client.execute(uuid, app, arg))
            .map_err(convert)?;
        Ok(done.application_response().unwrap_or_default().into_owned())
    }

    fn subscribe(&self, format: EventFormat, events: &[&str]) -> Result<(), TestError> {
        self.runtime
            .block_on(self.client.subscribe(format, events))
            .map_err(convert)
    }

    fn filter(&self, header: &str, value: &str) -> Result<(), TestError> {
        self.runtime
            .block_on(self.client.filter(header, value))
            .map_err(convert)
    }

    fn next(&self, timeout: Duration) -> Option<Item> {
        let mut events = self.events.lock().unwrap();
        self.runtime
            .block_on(async { tokio::time::timeout(timeout, events.recv()).await })
            .ok()
            .flatten()
            .map(item)
    }

    fn dropped(&self) -> u64 {
        self.events.lock().unwrap().dropped()
    }

    fn concurrent_api(&self, commands: Vec<String>) -> Vec<Result<String, TestError>> {
        self.runtime.block_on(async {
            let tasks: Vec<_> = commands
                .into_iter()
                .map(|command| {
                    let client = self.client.clone();
                    tokio::spawn(async move { client.api(&command).await })
                })
                .collect();
            let mut results = Vec::new();
            for task in tasks {
                results.push(task.await.expect("task").map_err(convert));
            }
            results
        })
    }

    fn on(&self, name: &str, handler: Box<dyn Fn(&Event) + Send + Sync>) {
        self.client.on(name, move |event| handler(event));
    }

    fn close(&self) -> Result<(), TestError> {
        self.runtime
            .block_on(self.client.clone().close())
            .map_err(convert)
    }
}

struct Call {
    session: esl_tokio::Session,
    runtime: Handle,
}

impl CallSession for Call {
    fn uuid(&self) -> String {
        self.session.uuid().to_owned()
    }

    fn destination(&self) -> String {
        self.session
            .header("Caller-Destination-Number")
            .unwrap_or_default()
    }

    fn answer(&self) -> Result<(), TestError> {
        self.runtime
            .block_on(self.session.answer())
            .map_err(convert)
    }

    fn playback(&self, file: &str) -> Result<String, TestError> {
        let done = self
            .runtime
            .block_on(self.session.playback(file))
            .map_err(convert)?;
        Ok(done.application_response().unwrap_or_default().into_owned())
    }

    fn set_variable(&self, name: &str, value: &str) -> Result<(), TestError> {
        self.runtime
            .block_on(self.session.set_variable(name, value))
            .map_err(convert)
    }

    fn get_variable(&self, name: &str) -> Result<Option<String>, TestError> {
        self.runtime
            .block_on(self.session.get_variable(name))
            .map_err(convert)
    }

    fn hangup(&self) -> Result<(), TestError> {
        self.runtime
            .block_on(self.session.hangup(None))
            .map_err(convert)
    }
}

struct TokioServer {
    addr: SocketAddr,
    shutdown: ShutdownHandle,
    runtime: Handle,
    join: Mutex<Option<tokio::task::JoinHandle<esl_tokio::Result<()>>>>,
}

impl Server for TokioServer {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn calls(&self) -> u64 {
        self.shutdown.handled_calls()
    }

    fn shutdown(&self) {
        self.shutdown.shutdown();
        if let Some(join) = self.join.lock().unwrap().take() {
            let _ = self.runtime.block_on(join);
        }
    }
}
