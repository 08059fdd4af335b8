//! esl-async under the conformance harness, once for every runtime: tokio (esl-tokio),
//! async-std and smol (esl-async-std). Each runtime supplies an [`Executor`]: how a test
//! thread blocks on a future and how a task is spawned; everything else is the same code,
//! so the runtimes are held to the same behaviour.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use esl_async::{
    Client as AsyncClient, EventStream, OutboundServer, Runtime, ServerConfig, Session,
    ShutdownHandle,
};
use esl_proto::{Command, Event, EventFormat};
use futures_util::future::{self, BoxFuture, Either, FutureExt};

use crate::convert::{api_text, config, connect_error, convert, item};
use crate::harness::{self, Adapter, CallSession, Item, Script, Server, Settings, TestError};

/// What the suite needs from a runtime beyond [`Runtime`].
pub(crate) trait Executor: Send + Sync + 'static {
    type Runtime: Runtime;
    fn runtime(&self) -> Self::Runtime;
    /// Runs `future` to completion on the calling (non-runtime) thread.
    fn block_on<F: Future>(&self, future: F) -> F::Output;
    /// Runs `future` as a task; the returned future is its output.
    fn spawn<F>(&self, future: F) -> BoxFuture<'static, F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
}

pub(crate) struct AsyncAdapter<E: Executor> {
    exec: Arc<E>,
}

impl<E: Executor> AsyncAdapter<E> {
    pub(crate) fn new(exec: E) -> AsyncAdapter<E> {
        AsyncAdapter {
            exec: Arc::new(exec),
        }
    }
}

impl<E: Executor> Adapter for AsyncAdapter<E> {
    fn connect(
        &self,
        addr: &str,
        settings: &Settings,
    ) -> Result<Box<dyn harness::Client>, TestError> {
        let client = self
            .exec
            .block_on(AsyncClient::connect(
                self.exec.runtime(),
                addr,
                config(settings),
            ))
            .map_err(connect_error)?;
        let events = Mutex::new(client.events());
        Ok(Box::new(Client {
            runtime: self.exec.clone(),
            client,
            events,
        }))
    }

    fn serve(&self, script: Script, max_calls: usize) -> Box<dyn Server> {
        let server = self
            .exec
            .block_on(OutboundServer::bind(
                self.exec.runtime(),
                "127.0.0.1:0",
                ServerConfig::default().max_calls(max_calls),
            ))
            .expect("listen");
        let addr = server.local_addr().expect("address");
        let shutdown = server.shutdown_handle();
        let calls = self.exec.clone();
        let join = self.exec.spawn(server.run(move |session| {
            let script = script.clone();
            let runtime = calls.clone();
            async move {
                // The script blocks: it runs on a thread of its own, as a user's blocking
                // code would, while the runtime's threads keep the connection going.
                let (done, result) = futures_channel::oneshot::channel();
                std::thread::spawn(move || {
                    let _ = done.send(script(&Call { session, runtime }));
                });
                if let Ok(Err(error)) = result.await {
                    panic!("the call script failed: {error:?}");
                }
            }
        }));
        Box::new(AsyncServer {
            addr,
            shutdown,
            runtime: self.exec.clone(),
            join: Mutex::new(Some(join)),
        })
    }

    fn service(&self) -> Box<dyn harness::TestService> {
        Box::new(crate::async_service::AsyncService::new(self.exec.clone()))
    }
}

struct Client<E: Executor> {
    runtime: Arc<E>,
    client: AsyncClient<E::Runtime>,
    events: Mutex<EventStream<E::Runtime>>,
}

impl<E: Executor> harness::Client for Client<E> {
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
        let expired = self.runtime.runtime().sleep(timeout);
        self.runtime
            .block_on(async {
                match future::select(events.recv().boxed(), expired).await {
                    Either::Left((item, _)) => item,
                    Either::Right(((), _)) => None,
                }
            })
            .map(item)
    }

    fn try_next(&self) -> Option<Item> {
        self.events.lock().unwrap().try_recv().map(item)
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
                    self.runtime
                        .spawn(async move { client.api(&command).await })
                })
                .collect();
            let mut results = Vec::new();
            for task in tasks {
                results.push(task.await.map_err(convert));
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

    fn reconnects(&self) -> u64 {
        self.client.reconnects()
    }

    fn track(&self) -> Box<dyn harness::TestTable> {
        let table = self.client.track();
        let changes = Mutex::new(table.changes());
        Box::new(Table {
            runtime: self.runtime.clone(),
            table,
            changes,
        })
    }
}

struct Table<E: Executor> {
    runtime: Arc<E>,
    table: esl_async::CallTable<E::Runtime>,
    changes: Mutex<EventStream<E::Runtime>>,
}

impl<E: Executor> harness::TestTable for Table<E> {
    fn channels(&self) -> Vec<String> {
        self.table.channels().into_iter().map(|c| c.uuid).collect()
    }

    fn legs_of(&self, uuid: &str) -> Vec<String> {
        self.table.call_of(uuid).map(|c| c.legs).unwrap_or_default()
    }

    fn is_stale(&self) -> bool {
        self.table.is_stale()
    }

    fn next_change(&self, timeout: Duration) -> Option<Item> {
        let mut changes = self.changes.lock().unwrap();
        let expired = self.runtime.runtime().sleep(timeout);
        self.runtime
            .block_on(async {
                match future::select(changes.recv().boxed(), expired).await {
                    Either::Left((item, _)) => item,
                    Either::Right(((), _)) => None,
                }
            })
            .map(item)
    }
}

struct Call<E: Executor> {
    session: Session<E::Runtime>,
    runtime: Arc<E>,
}

impl<E: Executor> CallSession for Call<E> {
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

struct AsyncServer<E: Executor> {
    addr: SocketAddr,
    shutdown: ShutdownHandle,
    runtime: Arc<E>,
    join: Mutex<Option<BoxFuture<'static, esl_async::Result<()>>>>,
}

impl<E: Executor> Server for AsyncServer<E> {
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

/// tokio, with two worker threads.
pub(crate) struct Tokio(tokio::runtime::Runtime);

impl Tokio {
    pub(crate) fn new() -> Tokio {
        Tokio(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime"),
        )
    }
}

impl Executor for Tokio {
    type Runtime = esl_tokio::Tokio;

    fn runtime(&self) -> esl_tokio::Tokio {
        esl_tokio::Tokio
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }

    fn spawn<F>(&self, future: F) -> BoxFuture<'static, F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let task = self.0.spawn(future);
        Box::pin(async move { task.await.expect("the task panicked") })
    }
}

/// async-std's global executor.
pub(crate) struct AsyncStd;

impl Executor for AsyncStd {
    type Runtime = esl_async_std::AsyncStd;

    fn runtime(&self) -> esl_async_std::AsyncStd {
        esl_async_std::AsyncStd
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        async_std::task::block_on(future)
    }

    fn spawn<F>(&self, future: F) -> BoxFuture<'static, F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Box::pin(async_std::task::spawn(future))
    }
}

/// smol's global executor.
pub(crate) struct Smol;

impl Executor for Smol {
    type Runtime = esl_async_std::Smol;

    fn runtime(&self) -> esl_async_std::Smol {
        esl_async_std::Smol
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        smol::block_on(future)
    }

    fn spawn<F>(&self, future: F) -> BoxFuture<'static, F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Box::pin(smol::spawn(future))
    }
}
