//! esl-blocking under the conformance harness.

use std::net::SocketAddr;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::Duration;

use esl_blocking::{EventStream, ServerConfig, ShutdownHandle};
use esl_proto::{Command, Event, EventFormat};

use crate::convert::{api_text, config, connect_error, convert, item};
use crate::harness::{self, Adapter, CallSession, Item, Script, Server, Settings, TestError};

pub(crate) struct BlockingAdapter;

impl BlockingAdapter {
    pub(crate) fn new() -> BlockingAdapter {
        BlockingAdapter
    }
}

impl Adapter for BlockingAdapter {
    fn connect(
        &self,
        addr: &str,
        settings: &Settings,
    ) -> Result<Box<dyn harness::Client>, TestError> {
        let client = esl_blocking::connect_with(addr, config(settings)).map_err(connect_error)?;
        let events = Mutex::new(client.events());
        Ok(Box::new(Client { client, events }))
    }

    fn serve(&self, script: Script, max_calls: usize) -> Box<dyn Server> {
        let server =
            esl_blocking::listen("127.0.0.1:0", ServerConfig::default().max_calls(max_calls))
                .expect("listen");
        let addr = server.local_addr().expect("address");
        let shutdown = server.shutdown_handle();
        let join = std::thread::spawn(move || {
            server.run(move |session| {
                if let Err(error) = script(&Call { session }) {
                    panic!("the call script failed: {error:?}");
                }
            })
        });
        Box::new(BlockingServer {
            addr,
            shutdown,
            join: Mutex::new(Some(join)),
        })
    }

    fn service(&self) -> Box<dyn harness::TestService> {
        Box::new(crate::blocking_service::BlockingService::new())
    }
}

struct Client {
    client: esl_blocking::Client,
    events: Mutex<EventStream>,
}

impl harness::Client for Client {
    fn api(&self, command: &str) -> Result<String, TestError> {
        self.client.api(command).map_err(convert)
    }

    fn api_within(&self, command: &str, timeout: Duration) -> Result<String, TestError> {
        let response = self
            .client
            .send_timeout(Command::api(command), timeout)
            .map_err(convert)?;
        api_text(response)
    }

    fn bgapi(&self, command: &str) -> Result<String, TestError> {
        self.client
            .bgapi(command)
            .and_then(|job| job.wait())
            .map_err(convert)
    }

    fn originate(&self, url: &str, target: &str) -> Result<String, TestError> {
        self.client.originate(url, target).map_err(convert)
    }

    fn execute(&self, uuid: &str, app: &str, arg: Option<&str>) -> Result<String, TestError> {
        let done = self.client.execute(uuid, app, arg).map_err(convert)?;
        Ok(done.application_response().unwrap_or_default().into_owned())
    }

    fn subscribe(&self, format: EventFormat, events: &[&str]) -> Result<(), TestError> {
        self.client.subscribe(format, events).map_err(convert)
    }

    fn filter(&self, header: &str, value: &str) -> Result<(), TestError> {
        self.client.filter(header, value).map_err(convert)
    }

    fn next(&self, timeout: Duration) -> Option<Item> {
        match self.events.lock().unwrap().recv_timeout(timeout) {
            Ok(incoming) => Some(item(incoming)),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    fn try_next(&self) -> Option<Item> {
        self.events.lock().unwrap().try_recv().map(item)
    }

    fn dropped(&self) -> u64 {
        self.events.lock().unwrap().dropped()
    }

    fn concurrent_api(&self, commands: Vec<String>) -> Vec<Result<String, TestError>> {
        std::thread::scope(|scope| {
            let threads: Vec<_> = commands
                .iter()
                .map(|command| {
                    std::thread::Builder::new()
                        .stack_size(256 * 1024)
                        .spawn_scoped(scope, || self.client.api(command).map_err(convert))
                        .expect("a thread per caller")
                })
                .collect();
            threads
                .into_iter()
                .map(|thread| thread.join().expect("caller thread"))
                .collect()
        })
    }

    fn on(&self, name: &str, handler: Box<dyn Fn(&Event) + Send + Sync>) {
        self.client.on(name, move |event| handler(event));
    }

    fn close(&self) -> Result<(), TestError> {
        self.client.clone().close().map_err(convert)
    }

    fn reconnects(&self) -> u64 {
        self.client.reconnects()
    }

    fn track(&self) -> Box<dyn harness::TestTable> {
        let table = self.client.track();
        let changes = Mutex::new(table.changes());
        Box::new(Table { table, changes })
    }
}

struct Table {
    table: esl_blocking::CallTable,
    changes: Mutex<EventStream>,
}

impl harness::TestTable for Table {
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
        self.changes
            .lock()
            .unwrap()
            .recv_timeout(timeout)
            .ok()
            .map(item)
    }
}

struct Call {
    session: esl_blocking::Session,
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
        self.session.answer().map_err(convert)
    }

    fn playback(&self, file: &str) -> Result<String, TestError> {
        let done = self.session.playback(file).map_err(convert)?;
        Ok(done.application_response().unwrap_or_default().into_owned())
    }

    fn set_variable(&self, name: &str, value: &str) -> Result<(), TestError> {
        self.session.set_variable(name, value).map_err(convert)
    }

    fn get_variable(&self, name: &str) -> Result<Option<String>, TestError> {
        self.session.get_variable(name).map_err(convert)
    }

    fn hangup(&self) -> Result<(), TestError> {
        self.session.hangup(None).map_err(convert)
    }
}

struct BlockingServer {
    addr: SocketAddr,
    shutdown: ShutdownHandle,
    join: Mutex<Option<JoinHandle<esl_blocking::Result<()>>>>,
}

impl Server for BlockingServer {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn calls(&self) -> u64 {
        self.shutdown.handled_calls()
    }

    fn shutdown(&self) {
        self.shutdown.shutdown();
        if let Some(join) = self.join.lock().unwrap().take() {
            join.join()
                .expect("the server thread")
                .expect("the server ran");
        }
    }
}
