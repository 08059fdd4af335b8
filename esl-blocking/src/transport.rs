//! Connections that are not TCP sockets: a transport in the same process (a simulated
//! switch in memory), with the clock that goes with it (virtual time).
//!
//! A client or outbound server made over a [`Transport`] runs the same reactor and engine
//! as over TCP but opens no socket, and takes its time from the transport: a test moves the
//! simulated switch's clock on, and the client's timeouts and reconnect waits follow it.
//! With the `sim` feature, `esl_sim::VirtualSwitch` is such a transport.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::Instant;

/// A connection over a [`Transport`]: reads and writes never block; they fail with
/// `WouldBlock` when there is nothing to read or no room to write (the transport then calls
/// its watcher once there is).
///
/// ```
/// use std::io::{Cursor, Read};
/// use esl_blocking::Duplex;
///
/// // Any `Read + Write + Send + Sync` is one. Here, bytes in memory: a switch that greets, then
/// // ends the connection (a read of 0 bytes).
/// let greeting = b"Content-Type: auth/request\n\n".to_vec();
/// let mut conn: Box<dyn Duplex> = Box::new(Cursor::new(greeting));
/// let mut read = String::new();
/// conn.read_to_string(&mut read)?;
/// assert_eq!(read, "Content-Type: auth/request\n\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait Duplex: Read + Write + Send + Sync + 'static {}

impl<T: Read + Write + Send + Sync + 'static> Duplex for T {}

/// Called when something may have changed on a transport: what [`Transport::watch`] hands
/// the transport, for it to call from whichever thread made the change.
///
/// ```
/// use std::sync::{mpsc, Arc, Mutex};
/// use esl_blocking::Watcher;
///
/// // What a transport keeps: the watchers it was given, called after every change.
/// let watchers: Mutex<Vec<Watcher>> = Mutex::default();
/// let (woken, wakes) = mpsc::channel();
/// watchers.lock().unwrap().push(Arc::new(move || {
///     let _ = woken.send(());
/// }));
/// // Bytes arrived on a connection:
/// watchers.lock().unwrap().iter().for_each(|watcher| watcher());
/// assert!(wakes.try_recv().is_ok());
/// ```
pub type Watcher = Arc<dyn Fn() + Send + Sync>;

/// Where connections come from when they do not come from TCP, and the clock that goes with
/// them.
///
/// ```
/// # use std::{io, time::Instant};
/// use esl_blocking::{Duplex, Transport, Watcher};
///
/// /// A transport that has nothing to connect to, on the system's clock.
/// struct Nowhere;
///
/// impl Transport for Nowhere {
///     fn connect(&self) -> io::Result<Box<dyn Duplex>> {
///         Err(io::ErrorKind::ConnectionRefused.into())
///     }
///     fn accept(&self) -> Option<(Box<dyn Duplex>, String)> {
///         None
///     }
///     fn now(&self) -> Instant {
///         Instant::now()
///     }
///     fn watch(&self, _: Watcher) {}
/// }
/// ```
pub trait Transport: Send + Sync + 'static {
    /// A connection to the switch.
    fn connect(&self) -> io::Result<Box<dyn Duplex>>;

    /// The next connection the switch opened to an outbound server (its `socket`
    /// application), with a name for its peer, if one waits.
    fn accept(&self) -> Option<(Box<dyn Duplex>, String)>;

    /// The time now, on the transport's clock.
    fn now(&self) -> Instant;

    /// Calls `watcher` whenever something may have changed: bytes to read or room to write
    /// on a connection, a connection to accept or that ended, the clock moved.
    fn watch(&self, watcher: Watcher);
}

/// How a reactor gets its connections and its time.
#[derive(Clone)]
pub(crate) enum Medium {
    /// TCP, and the system's clock.
    Tcp,
    /// A transport, and its clock.
    Memory(Arc<dyn Transport>),
}

impl Medium {
    pub(crate) fn now(&self) -> Instant {
        match self {
            Medium::Tcp => Instant::now(),
            Medium::Memory(transport) => transport.now(),
        }
    }
}

/// A connection: a TCP socket under mio, or a transport's.
pub(crate) enum Socket {
    Tcp(mio::net::TcpStream),
    Memory(Box<dyn Duplex>),
}

impl Socket {
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.read(buf),
            Socket::Memory(s) => s.read(buf),
        }
    }

    pub(crate) fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.write(buf),
            Socket::Memory(s) => s.write(buf),
        }
    }

    pub(crate) fn is_memory(&self) -> bool {
        matches!(self, Socket::Memory(_))
    }
}
