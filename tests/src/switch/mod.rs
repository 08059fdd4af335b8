//! A simulated FreeSWITCH speaking `mod_event_socket`, in-process, on `127.0.0.1`.
//!
//! ```
//! use esl_tests::switch::SimSwitch;
//!
//! let switch = SimSwitch::start();
//! let mut socket = std::net::TcpStream::connect(switch.addr()).unwrap();
//! # drop(socket);
//! ```
//!
//! It answers as FreeSWITCH 1.11 does, built on esl-proto's server-side codec: auth (a wrong
//! password gets `-ERR invalid`, the disconnect notice and a close), api and bgapi with
//! `BACKGROUND_JOB`, subscriptions in plain, JSON and XML with filters, `myevents`, `linger`,
//! logs, `sendmsg`, and channels with a life: `originate loopback/<ext>` creates the two
//! loopback legs of the captures, whose events follow `inbound_events_*` in name, order and
//! headers. The small dialplan is the recording switch's: `park`, `9196` (echo), `tone`
//! (answer, play, hang up), `conf` (conference) and `socket` (connect out to
//! [`SimSwitch::set_socket_target`] and speak the outbound protocol).
//!
//! Faults on demand ([`Fault`]) make it misbehave: close in the middle of a reply, delay or
//! withhold replies, stall, send garbage, stop reading; [`SimSwitch::restart`] drops every
//! connection and listens again on the same port.
//!
//! The `fidelity` test drives it with every capture's client bytes and checks it answers
//! with the same content types, reply texts and event names as the real switch.

mod api;
pub(crate) mod clock;
mod listener;
mod state;

use std::collections::HashMap;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

use state::State;

/// How the simulated switch is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// The `event_socket.conf.xml` password. Default `ClueCon`.
    pub password: String,
    /// `FreeSWITCH-Hostname` in events. Default `sim`.
    pub hostname: String,
    /// Multiplies every simulated duration (playback, sleep, linger). Default 1.0; tests use
    /// less to run fast.
    pub time_scale: f64,
    /// HEARTBEAT interval; `None` (the default) only on [`SimSwitch::heartbeat`].
    pub heartbeat: Option<Duration>,
    /// Where the `socket` extension connects.
    pub socket_target: Option<SocketAddr>,
    /// Port to listen on; 0 (the default) picks a free one.
    pub port: u16,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            password: "ClueCon".into(),
            hostname: "sim".into(),
            time_scale: 1.0,
            heartbeat: None,
            socket_target: None,
            port: 0,
        }
    }
}

/// Misbehaviour on demand. Several can be set at once; [`SimSwitch::clear_faults`] ends them.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// The next reply is cut in half and the connection closed.
    CloseMidReply,
    /// Every reply waits this long first.
    DelayReplies(Duration),
    /// Replies are not sent at all (the requests stay open).
    WithholdReplies,
    /// Nothing at all is written (replies, events) until cleared.
    Stall,
    /// The next reply is replaced by bytes that cannot be framed.
    Garbage,
    /// The switch stops reading what clients send, so their writes back up.
    StopReading,
}

/// What every part of the simulator shares.
pub(crate) struct Shared {
    pub(crate) state: Arc<Mutex<State>>,
    faults: Mutex<Vec<Fault>>,
    connections: Mutex<HashMap<u64, TcpStream>>,
    blast: Mutex<Option<Bytes>>,
    password: String,
    time_scale: f64,
}

impl Shared {
    pub(crate) fn password(&self) -> &str {
        &self.password
    }

    pub(crate) fn time_scale(&self) -> f64 {
        self.time_scale
    }

    fn faults(&self) -> std::sync::MutexGuard<'_, Vec<Fault>> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn fault_is(&self, test: impl Fn(&Fault) -> bool) -> bool {
        self.faults().iter().any(test)
    }

    pub(crate) fn fault_map<T>(&self, map: impl Fn(&Fault) -> Option<T>) -> Option<T> {
        self.faults().iter().find_map(map)
    }

    /// Removes a one-shot fault; true if it was set.
    pub(crate) fn take_fault(&self, test: impl Fn(&Fault) -> bool) -> bool {
        let mut faults = self.faults();
        match faults.iter().position(test) {
            Some(at) => {
                faults.remove(at);
                true
            }
            None => false,
        }
    }

    pub(crate) fn register(&self, id: u64, stream: &TcpStream) {
        if let Ok(clone) = stream.try_clone() {
            self.connections
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id, clone);
        }
    }

    pub(crate) fn unregister(&self, id: u64) {
        self.connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }

    pub(crate) fn blast_stream(&self) -> Option<Bytes> {
        self.blast.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn kill_all(&self) {
        for (_, stream) in self
            .connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
        {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

/// A running simulated switch. Dropping it stops it.
pub struct SimSwitch {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accepting: Arc<AtomicBool>,
    listener: Mutex<Option<TcpListener>>,
    scheduler: clock::Scheduler,
}

impl SimSwitch {
    /// Starts a switch with the default [`Config`] on a free port.
    pub fn start() -> SimSwitch {
        SimSwitch::with_config(Config::default())
    }

    /// Starts a switch with `config`.
    pub fn with_config(config: Config) -> SimSwitch {
        let scheduler = clock::Scheduler::start();
        let heartbeat = config.heartbeat;
        let state = State::new(config.clone(), scheduler.clone());
        let shared = Arc::new(Shared {
            state: state.clone(),
            faults: Mutex::new(Vec::new()),
            connections: Mutex::new(HashMap::new()),
            blast: Mutex::new(None),
            password: config.password.clone(),
            time_scale: config.time_scale,
        });
        state.lock().unwrap_or_else(|e| e.into_inner()).shared = Arc::downgrade(&shared);
        let listener =
            TcpListener::bind(("127.0.0.1", config.port)).expect("bind the simulated switch");
        let addr = listener.local_addr().expect("local address");
        let switch = SimSwitch {
            shared,
            addr,
            accepting: Arc::new(AtomicBool::new(true)),
            listener: Mutex::new(None),
            scheduler,
        };
        switch.serve(listener);
        if let Some(interval) = heartbeat {
            schedule_heartbeat(Arc::downgrade(&state), switch.scheduler.clone(), interval);
        }
        switch
    }

    fn serve(&self, listener: TcpListener) {
        let shared = self.shared.clone();
        let accepting = self.accepting.clone();
        let accept = listener.try_clone().expect("clone the listening socket");
        *self.listener.lock().unwrap_or_else(|e| e.into_inner()) = Some(listener);
        std::thread::Builder::new()
            .name("sim-accept".into())
            .spawn(move || {
                for stream in accept.incoming() {
                    if !accepting.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let shared = shared.clone();
                    let _ = std::thread::Builder::new()
                        .name("sim-session".into())
                        .spawn(move || listener::serve_inbound(shared, stream));
                }
            })
            .expect("spawn the accept thread");
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The password it expects.
    pub fn password(&self) -> &str {
        self.shared.password()
    }

    /// Sets a fault. See [`Fault`].
    pub fn set_fault(&self, fault: Fault) {
        self.shared.faults().push(fault);
    }

    /// Ends every fault.
    pub fn clear_faults(&self) {
        self.shared.faults().clear();
    }

    /// Fires a HEARTBEAT (and its RE_SCHEDULE) now.
    pub fn heartbeat(&self) {
        self.state().heartbeat();
    }

    /// Where the `socket` extension connects (an outbound server's address).
    pub fn set_socket_target(&self, addr: SocketAddr) {
        self.state().socket_target = Some(addr);
    }

    /// Closes every client connection at once, without a goodbye.
    pub fn kill_connections(&self) {
        self.shared.kill_all();
    }

    /// Stops listening and drops every connection; new connections are refused until
    /// [`SimSwitch::resume`]. Channels live on, as they would in a switch whose event socket
    /// module was reloaded.
    pub fn pause(&self) {
        self.accepting.store(false, Ordering::SeqCst);
        if let Some(listener) = self
            .listener
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            // Wake the accept loop so it sees the flag and lets the socket go.
            let _ = TcpStream::connect(self.addr);
            drop(listener);
        }
        self.shared.kill_all();
    }

    /// Listens again on the same address after [`SimSwitch::pause`].
    pub fn resume(&self) {
        // The accept thread may still hold the old socket for a moment.
        for _ in 0..200 {
            if let Ok(listener) = TcpListener::bind(self.addr) {
                self.accepting.store(true, Ordering::SeqCst);
                self.serve(listener);
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("could not listen again on {}", self.addr);
    }

    /// [`SimSwitch::pause`] then [`SimSwitch::resume`]: every client is disconnected and may
    /// reconnect.
    pub fn restart(&self) {
        self.pause();
        self.resume();
    }

    /// The event stream `api sim_blast <n>` writes: pre-encoded event messages.
    pub fn set_blast(&self, stream: Bytes) {
        *self.shared.blast.lock().unwrap_or_else(|e| e.into_inner()) = Some(stream);
    }

    /// The live channels' uuids.
    pub fn channels(&self) -> Vec<String> {
        self.state()
            .channels
            .values()
            .filter(|c| !c.hung_up)
            .map(|c| c.uuid.clone())
            .collect()
    }

    /// A channel variable, if the channel lives.
    pub fn channel_variable(&self, uuid: &str, name: &str) -> Option<String> {
        self.state()
            .channels
            .get(uuid)
            .and_then(|c| c.var(name).map(str::to_owned))
    }

    /// A call arriving from the network at `to` (a SIP phone `from` dialling it), parked by
    /// the dialplan until someone routes it. `vars` become channel variables. Returns its uuid.
    pub fn inbound_call(&self, from: &str, to: &str, vars: &[(&str, &str)]) -> String {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.state().incoming(from, to, &vars)
    }

    /// Every application the channel `uuid` ran, with its argument, in order (kept after
    /// the channel is gone).
    pub fn applications(&self, uuid: &str) -> Vec<(String, String)> {
        self.state().history.get(uuid).cloned().unwrap_or_default()
    }

    /// Connected clients (inbound and outbound sockets).
    pub fn connections(&self) -> usize {
        self.state().listeners.len()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn schedule_heartbeat(
    state: std::sync::Weak<Mutex<State>>,
    scheduler: clock::Scheduler,
    interval: Duration,
) {
    let again = scheduler.clone();
    scheduler.after(interval, move || {
        if let Some(strong) = state.upgrade() {
            strong.lock().unwrap_or_else(|e| e.into_inner()).heartbeat();
            schedule_heartbeat(state, again, interval);
        }
    });
}

impl Drop for SimSwitch {
    fn drop(&mut self) {
        self.pause();
        self.scheduler.stop();
    }
}
