//! The stand-in switch's outbound side: it opens calls to an outbound server, one TCP
//! connection each, and speaks the `connect` protocol as `mod_event_socket` does in
//! `outbound_socket`: the server sends `connect`, the switch answers with the channel's data
//! (the recorded reply, with a uuid of its own per call), then `+OK` to each setup command
//! (`myevents`, `linger`). The call then stays idle until [`Dialer::hang_up`] closes it.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use esl_tests::fixtures::{self, Direction};

/// The channel's uuid in the recorded `connect` reply.
const RECORDED_UUID: &[u8] = b"63661da5-c8ec-4a78-883a-aa157c6745d6";

/// Opens and holds outbound calls.
pub struct Dialer {
    /// The recorded `connect` reply.
    reply: Vec<u8>,
    /// Where [`RECORDED_UUID`] occurs in `reply`.
    uuid_at: Vec<usize>,
    calls: Vec<TcpStream>,
}

impl Default for Dialer {
    fn default() -> Self {
        Dialer::new()
    }
}

impl Dialer {
    /// A dialer answering `connect` with the reply of the `outbound_socket` capture.
    pub fn new() -> Dialer {
        let capture = fixtures::load("outbound_socket");
        let reply = capture
            .chunks(Direction::FromSwitch)
            .next()
            .expect("the capture starts with the connect reply")
            .bytes
            .to_vec();
        let uuid_at = memchr::memmem::find_iter(&reply, RECORDED_UUID).collect();
        Dialer {
            reply,
            uuid_at,
            calls: Vec::new(),
        }
    }

    /// Calls held open.
    pub fn calls(&self) -> usize {
        self.calls.len()
    }

    /// Opens `n` calls to `addr`, one after the other, each set up before the next is opened.
    pub fn dial(&mut self, addr: SocketAddr, n: usize) -> io::Result<()> {
        for _ in 0..n {
            let call = self.set_up(addr)?;
            self.calls.push(call);
        }
        Ok(())
    }

    /// Closes every call, as the switch does when the channel is gone.
    pub fn hang_up(&mut self) {
        for call in self.calls.drain(..) {
            let _ = call.shutdown(std::net::Shutdown::Both);
        }
    }

    fn set_up(&self, addr: SocketAddr) -> io::Result<TcpStream> {
        let mut socket = TcpStream::connect(addr)?;
        socket.set_nodelay(true)?;
        socket.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut reader = Commands::default();
        let mut reply = self.reply.clone();
        // A uuid of the same length, unique to this call (a process-wide counter).
        let serial = format!("{:012x}", next_serial());
        for at in &self.uuid_at {
            reply[at + 24..at + 36].copy_from_slice(serial.as_bytes());
        }
        loop {
            let command = reader.next(&mut socket)?;
            let answer: &[u8] = match command.as_str() {
                "connect" => &reply,
                "myevents" => b"Content-Type: command/reply\nReply-Text: +OK Events Enabled\n\n",
                "linger" => b"Content-Type: command/reply\nReply-Text: +OK will linger\n\n",
                _ => b"Content-Type: command/reply\nReply-Text: +OK\n\n",
            };
            socket.write_all(answer)?;
            // The last command of the default session setup; the call is idle from here.
            if command == "linger" {
                return Ok(socket);
            }
        }
    }
}

fn next_serial() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SERIAL: AtomicU64 = AtomicU64::new(1);
    SERIAL.fetch_add(1, Ordering::Relaxed)
}

/// Reads command blocks (first lines only) from a socket.
#[derive(Default)]
struct Commands {
    pending: Vec<u8>,
}

impl Commands {
    fn next(&mut self, socket: &mut TcpStream) -> io::Result<String> {
        loop {
            let start = self
                .pending
                .iter()
                .position(|b| *b != b'\n' && *b != b'\r')
                .unwrap_or(self.pending.len());
            self.pending.drain(..start);
            if let Some(end) = memchr::memmem::find(&self.pending, b"\n\n") {
                let block: Vec<u8> = self.pending.drain(..end + 2).collect();
                let line = block.split(|b| *b == b'\n').next().unwrap_or_default();
                return Ok(String::from_utf8_lossy(line).trim().to_owned());
            }
            let mut buf = [0u8; 4096];
            let n = socket.read(&mut buf)?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            self.pending.extend_from_slice(&buf[..n]);
        }
    }
}
