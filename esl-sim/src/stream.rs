//! One in-memory connection as a byte stream, for an adapter to wrap in its runtime's I/O
//! traits: what would otherwise be written again in each adapter.

use std::io;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};

use crate::ids::ConnectionId;
use crate::memory::VirtualSwitch;

/// One connection to a [`VirtualSwitch`], read and written as a non-blocking socket would
/// be: a read fills the caller's buffer from what the switch wrote and keeps the rest for the
/// next read; a write hands bytes to the switch; dropping it closes the connection.
///
/// ```
/// use esl_sim::{Config, Stream, VirtualSwitch};
///
/// let switch = VirtualSwitch::new(Config::default());
/// let mut stream = Stream::connect(&switch);
/// let mut buf = [0u8; 8];
/// // The switch greets a new connection with `Content-Type: auth/request`, a few bytes at
/// // a time as the buffer takes them.
/// let n = stream.read(&mut buf).unwrap();
/// assert_eq!(&buf[..n], b"Content-");
/// let n = stream.read(&mut buf).unwrap();
/// assert_eq!(&buf[..n], b"Type: au");
/// stream.write(b"auth ClueCon\n\n").unwrap();
/// ```
#[derive(Debug)]
pub struct Stream {
    switch: VirtualSwitch,
    conn: ConnectionId,
    /// Read from the switch, not yet handed out.
    pending: Bytes,
}

impl Stream {
    /// Opens a new connection to `switch` (as a client dials its port).
    pub fn connect(switch: &VirtualSwitch) -> Stream {
        Stream::new(switch, switch.connect())
    }

    /// The stream of connection `conn` (one the switch opened: [`VirtualSwitch::accept`]).
    pub fn new(switch: &VirtualSwitch, conn: ConnectionId) -> Stream {
        Stream {
            switch: switch.clone(),
            conn,
            pending: Bytes::new(),
        }
    }

    /// Which connection this is.
    pub fn id(&self) -> ConnectionId {
        self.conn
    }

    /// What the switch wrote, into `buf`: `Ok(0)` at the end of the connection,
    /// `ErrorKind::WouldBlock` while there is nothing yet.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pending.is_empty() {
            match self.switch.read(self.conn) {
                Some(bytes) => self.pending = bytes,
                None if self.switch.is_closed(self.conn) => return Ok(0),
                None => return Err(io::ErrorKind::WouldBlock.into()),
            }
        }
        Ok(self.hand_out(buf))
    }

    /// [`Stream::read`] for an async transport: `Pending` (and a wake-up when bytes
    /// arrive) while there is nothing yet.
    pub fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if self.pending.is_empty() {
            match self.switch.poll_read(self.conn, cx) {
                // The end of the connection.
                Poll::Ready(bytes) if bytes.is_empty() => return Poll::Ready(Ok(0)),
                Poll::Ready(bytes) => self.pending = bytes,
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(self.hand_out(buf)))
    }

    fn hand_out(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.advance(n);
        n
    }

    /// Hands `buf` to the switch: how much it took, or `ErrorKind::WouldBlock` while its
    /// input window is full.
    pub fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.switch.write(self.conn, buf)? {
            0 if !buf.is_empty() => Err(io::ErrorKind::WouldBlock.into()),
            n => Ok(n),
        }
    }

    /// [`Stream::write`] for an async transport.
    pub fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.switch.poll_write(self.conn, cx, buf)
    }

    /// Closes the connection (as dropping the stream does).
    pub fn close(&mut self) {
        self.switch.close(self.conn);
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.switch.close(self.conn);
    }
}
