//! The switch over TCP on `127.0.0.1`, on real time: an accept thread, a reader and a
//! writer thread per connection, and one timer thread, all driving one [`Switch`] under a
//! lock. Every change wakes the threads that may have something to do.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use crate::config::{Config, Fault};
use crate::ids::ConnectionId;
use crate::network::InboundCall;
use crate::switch::{Output, Switch};

/// How long the `socket` application tries to connect before it gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

struct Driven {
    switch: Switch,
    /// A clone of each connection's socket, to shut it down from outside its threads.
    streams: std::collections::BTreeMap<ConnectionId, TcpStream>,
}

struct Shared {
    driven: Mutex<Driven>,
    changed: Condvar,
    start: Instant,
    stopping: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Driven> {
        self.driven.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, Driven>) -> MutexGuard<'a, Driven> {
        self.changed.wait(guard).unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }
}

/// Runs `f` on the switch at the current time, then acts on its outputs and wakes every
/// thread that waits for a change.
fn drive<R>(shared: &Arc<Shared>, f: impl FnOnce(&mut Switch) -> R) -> R {
    let mut driven = shared.lock();
    driven.switch.handle_timeout(shared.now());
    let result = f(&mut driven.switch);
    settle(shared, &mut driven);
    drop(driven);
    shared.changed.notify_all();
    result
}

/// Acts on the switch's outputs: an outbound socket to connect (on its own thread), a
/// connection to close (its writer does, once it wrote what is left).
fn settle(shared: &Arc<Shared>, driven: &mut Driven) {
    while let Some(output) = driven.switch.poll_output() {
        if let Output::Connect { conn, target, .. } = output {
            let shared = shared.clone();
            let spawned = std::thread::Builder::new()
                .name("sim-outbound".into())
                .spawn(move || connect_outbound(&shared, conn, &target));
            if spawned.is_err() {
                driven.switch.connect_failed(conn);
            }
        }
    }
}

/// The `socket` application's connection: up, then served like any other; or failed.
fn connect_outbound(shared: &Arc<Shared>, conn: ConnectionId, target: &str) {
    let stream = target
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .and_then(|addr| TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).ok());
    match stream {
        Some(stream) => serve(shared, conn, stream, |s| s.connected(conn)),
        None => drive(shared, |s| s.connect_failed(conn)),
    }
}

/// Registers `stream` as connection `conn` (after `register` told the switch) and starts
/// its reader and writer.
fn serve(
    shared: &Arc<Shared>,
    conn: ConnectionId,
    stream: TcpStream,
    register: impl FnOnce(&mut Switch),
) {
    let _ = stream.set_nodelay(true);
    let (Ok(reader), Ok(writer)) = (stream.try_clone(), stream.try_clone()) else {
        return drive(shared, |s| s.close(conn));
    };
    drive(shared, |s| register(s));
    shared.lock().streams.insert(conn, stream);
    let (r, w) = (shared.clone(), shared.clone());
    let spawned = std::thread::Builder::new()
        .name("sim-reader".into())
        .spawn(move || read_loop(&r, conn, reader))
        .and_then(|_| {
            std::thread::Builder::new()
                .name("sim-writer".into())
                .spawn(move || write_loop(&w, conn, writer))
        });
    if spawned.is_err() {
        drive(shared, |s| s.close(conn));
    }
}

/// Reads the client's bytes into the switch while it reads them; the end of the stream
/// closes the connection.
fn read_loop(shared: &Arc<Shared>, conn: ConnectionId, mut stream: TcpStream) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        {
            let mut driven = shared.lock();
            loop {
                if shared.stopping() || driven.switch.has_ended(conn) {
                    return;
                }
                if driven.switch.is_reading(conn) {
                    break;
                }
                driven = shared.wait(driven);
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => {
                drive(shared, |s| s.close(conn));
                shared.lock().streams.remove(&conn);
                return;
            }
            Ok(n) => drive(shared, |s| s.receive(conn, &buf[..n])),
        }
    }
}

/// Writes what the switch has for the connection; closes the socket once it ended.
fn write_loop(shared: &Arc<Shared>, conn: ConnectionId, mut stream: TcpStream) {
    loop {
        let bytes: Bytes = {
            let mut driven = shared.lock();
            loop {
                if shared.stopping() {
                    return;
                }
                let was_reading = driven.switch.is_reading(conn);
                if let Some(bytes) = driven.switch.poll_transmit(conn) {
                    // A connection backed up with replies is read again once they drain.
                    if !was_reading && driven.switch.is_reading(conn) {
                        shared.changed.notify_all();
                    }
                    break bytes;
                }
                if driven.switch.has_ended(conn) {
                    driven.streams.remove(&conn);
                    drop(driven);
                    let _ = stream.shutdown(Shutdown::Both);
                    return;
                }
                driven = shared.wait(driven);
            }
        };
        if stream.write_all(&bytes).is_err() {
            drive(shared, |s| s.close(conn));
            shared.lock().streams.remove(&conn);
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
    }
}

/// Runs the switch's timers on real time.
fn timer_loop(shared: &Arc<Shared>) {
    let mut driven = shared.lock();
    loop {
        if shared.stopping() {
            return;
        }
        let now = shared.now();
        if driven.switch.poll_timeout().is_some_and(|due| due <= now) {
            driven.switch.handle_timeout(now);
            settle(shared, &mut driven);
            shared.changed.notify_all();
        }
        let next = driven.switch.poll_timeout();
        let now = shared.now();
        driven = match next {
            Some(due) if due > now => {
                shared
                    .changed
                    .wait_timeout(driven, due - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
            Some(_) => driven,
            None => shared.wait(driven),
        };
    }
}

/// A simulated switch listening on `127.0.0.1`, on real time. Dropping it stops it.
///
/// ```
/// use std::io::{self, Read, Write};
/// use esl_sim::SimSwitch;
///
/// let switch = SimSwitch::start();
/// let mut socket = std::net::TcpStream::connect(switch.addr()).unwrap();
/// let mut greeting = [0u8; 28];
/// socket.read_exact(&mut greeting).unwrap();
/// assert_eq!(&greeting, b"Content-Type: auth/request\n\n");
/// ```
pub struct SimSwitch {
    shared: Arc<Shared>,
    addr: SocketAddr,
    password: String,
    accepting: Arc<AtomicBool>,
    listener: Mutex<Option<TcpListener>>,
    /// The thread accepting on `listener`: it holds a clone of the socket until it ends.
    accept: Mutex<Option<JoinHandle<()>>>,
    timer: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SimSwitch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimSwitch")
            .field("addr", &self.addr)
            .field("switch", &self.shared.lock().switch)
            .finish_non_exhaustive()
    }
}

impl SimSwitch {
    /// Starts a switch with the default [`Config`] on a free port.
    pub fn start() -> SimSwitch {
        SimSwitch::with_config(Config::default())
    }

    /// Starts a switch with `config`. Panics if it cannot listen on `127.0.0.1` (a test
    /// fixture: there is nothing to test without it); [`SimSwitch::try_with_config`] says
    /// why instead.
    pub fn with_config(config: Config) -> SimSwitch {
        SimSwitch::try_with_config(config).expect("start the simulated switch")
    }

    /// Starts a switch with `config`, or says why it cannot: the port is taken
    /// (`AddrInUse`), not allowed, or a thread could not be started.
    ///
    /// ```
    /// use esl_sim::{Config, SimSwitch};
    ///
    /// let first = SimSwitch::try_with_config(Config::default())?;
    /// let busy = SimSwitch::try_with_config(Config::default().port(first.addr().port()));
    /// assert_eq!(busy.unwrap_err().kind(), std::io::ErrorKind::AddrInUse);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_with_config(mut config: Config) -> io::Result<SimSwitch> {
        // Real switches never share uuids, and their events carry today's date.
        config.seed = Some(config.seed.unwrap_or_else(|| fastrand::u64(..)));
        config.epoch = Some(config.epoch.unwrap_or_else(SystemTime::now));
        let password = config.password.clone();
        let listener = TcpListener::bind(("127.0.0.1", config.port))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            driven: Mutex::new(Driven {
                switch: Switch::new(config),
                streams: std::collections::BTreeMap::new(),
            }),
            changed: Condvar::new(),
            start: Instant::now(),
            stopping: AtomicBool::new(false),
        });
        let ticking = shared.clone();
        let timer = std::thread::Builder::new()
            .name("sim-timers".into())
            .spawn(move || timer_loop(&ticking))?;
        let switch = SimSwitch {
            shared,
            addr,
            password,
            accepting: Arc::new(AtomicBool::new(true)),
            listener: Mutex::new(None),
            accept: Mutex::new(None),
            timer: Some(timer),
        };
        // On failure the switch is dropped, which stops the timer thread.
        switch.serve(listener)?;
        Ok(switch)
    }

    fn serve(&self, listener: TcpListener) -> io::Result<()> {
        let shared = self.shared.clone();
        let accepting = self.accepting.clone();
        let accept = listener.try_clone()?;
        *self.listener.lock().unwrap_or_else(|e| e.into_inner()) = Some(listener);
        let thread = std::thread::Builder::new()
            .name("sim-accept".into())
            .spawn(move || {
                for stream in accept.incoming() {
                    if !accepting.load(Ordering::SeqCst) || shared.stopping() {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let conn = drive(&shared, Switch::open);
                    serve(&shared, conn, stream, |_| {});
                }
            })?;
        *self.accept.lock().unwrap_or_else(|e| e.into_inner()) = Some(thread);
        Ok(())
    }

    /// Runs `f` on the switch (to set it up or to look at it) at the current time, then
    /// lets the switch act on what changed. `f` must not use this `SimSwitch` (its lock is
    /// held).
    pub fn with<R>(&self, f: impl FnOnce(&mut Switch) -> R) -> R {
        drive(&self.shared, f)
    }

    /// Blocks until `done` holds of the switch, or `timeout` passes: true if it holds.
    ///
    /// `done` is asked at once, then again after each change to the switch (a command
    /// received, a timer fired, a connection opened or ended, a test's
    /// [`with`](SimSwitch::with)), never on a polling interval: a test waits exactly as long
    /// as the switch takes to get there, and `timeout` only bounds a hang. `done` runs under
    /// the switch's lock, so it must not use this `SimSwitch`.
    ///
    /// ```
    /// use std::io::Write;
    /// use std::time::Duration;
    /// use esl_sim::SimSwitch;
    ///
    /// let switch = SimSwitch::start();
    /// let mut socket = std::net::TcpStream::connect(switch.addr()).unwrap();
    /// socket.write_all(b"auth ClueCon\n\napi status\n\n").unwrap();
    /// // Wait for the switch to have read the request, however long that takes.
    /// let received = switch.wait_until(Duration::from_secs(60), |s| {
    ///     s.commands().iter().any(|c| c.line() == "api status")
    /// });
    /// assert!(received);
    /// ```
    pub fn wait_until(&self, timeout: Duration, mut done: impl FnMut(&Switch) -> bool) -> bool {
        let deadline = Instant::now().checked_add(timeout);
        let mut driven = self.shared.lock();
        loop {
            if done(&driven.switch) {
                return true;
            }
            let left = match deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => Duration::MAX,
            };
            if left.is_zero() {
                return false;
            }
            driven = self
                .shared
                .changed
                .wait_timeout(driven, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The password it expects.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// Sets a fault. See [`Fault`].
    pub fn set_fault(&self, fault: Fault) {
        self.with(|s| s.set_fault(fault));
    }

    /// Ends every fault.
    pub fn clear_faults(&self) {
        self.with(Switch::clear_faults);
    }

    /// Fires a HEARTBEAT (and its RE_SCHEDULE) now.
    pub fn heartbeat(&self) {
        self.with(Switch::heartbeat);
    }

    /// Where the `socket` extension connects (an outbound server's address).
    pub fn set_socket_target(&self, addr: SocketAddr) {
        self.with(|s| s.set_socket_target(addr));
    }

    /// Closes every client connection at once, without a goodbye.
    pub fn kill_connections(&self) {
        self.with(Switch::kill_connections);
        // A writer blocked on a full socket notices only when the socket goes.
        for stream in self.shared.lock().streams.values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
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
            let woken = TcpStream::connect(self.addr).is_ok();
            drop(listener);
            let accept = self.accept.lock().unwrap_or_else(|e| e.into_inner()).take();
            // The accept thread holds a clone of the socket: once it has ended, the address
            // is free again for `resume`. (Not woken, it would block for good: leave it.)
            if let (true, Some(accept)) = (woken, accept) {
                let _ = accept.join();
            }
        }
        self.kill_connections();
    }

    /// Listens again on the same address after [`SimSwitch::pause`]. Panics if the address
    /// cannot be had (taken by another socket meanwhile).
    pub fn resume(&self) {
        // `pause` let go of the address before it returned: no retry needed.
        let listener = TcpListener::bind(self.addr)
            .unwrap_or_else(|e| panic!("could not listen again on {}: {e}", self.addr));
        self.accepting.store(true, Ordering::SeqCst);
        self.serve(listener)
            .expect("serve the simulated switch again");
    }

    /// [`SimSwitch::pause`] then [`SimSwitch::resume`]: every client is disconnected and may
    /// reconnect.
    pub fn restart(&self) {
        self.pause();
        self.resume();
    }

    /// The event stream `api sim_blast <n>` writes: pre-encoded event messages.
    pub fn set_blast(&self, stream: Bytes) {
        self.with(|s| s.set_blast(stream));
    }

    /// The live channels' uuids.
    pub fn channels(&self) -> Vec<String> {
        self.with(|s| s.channels())
    }

    /// A channel variable, if the channel lives.
    pub fn channel_variable(&self, uuid: &str, name: &str) -> Option<String> {
        self.with(|s| s.channel_variable(uuid, name))
    }

    /// A call arriving from the network at `to` (a SIP phone `from` dialling it), parked by
    /// the dialplan until someone routes it. `vars` become channel variables. Returns its uuid.
    pub fn inbound_call(&self, from: &str, to: &str, vars: &[(&str, &str)]) -> String {
        let call = vars
            .iter()
            .fold(InboundCall::new(from, to), |c, (k, v)| c.var(*k, *v));
        self.call(&call)
    }

    /// A call arriving from the network, routed as `call` says. Returns its uuid.
    pub fn call(&self, call: &InboundCall) -> String {
        self.with(|s| s.inbound_call(call))
    }

    /// Every application the channel `uuid` ran, with its argument, in order (kept after
    /// the channel is gone).
    pub fn applications(&self, uuid: &str) -> Vec<(String, String)> {
        self.with(|s| s.applications(uuid))
    }

    /// Connected clients (inbound and outbound sockets).
    pub fn connections(&self) -> usize {
        self.with(|s| s.connections())
    }
}

impl Drop for SimSwitch {
    fn drop(&mut self) {
        self.pause();
        // Set under the lock: a thread that has just seen `stopping` false holds it until it
        // waits, so the notification below cannot fall between its check and its wait.
        {
            let _driven = self.shared.lock();
            self.shared.stopping.store(true, Ordering::SeqCst);
        }
        self.shared.changed.notify_all();
        if let Some(timer) = self.timer.take() {
            let _ = timer.join();
        }
    }
}
