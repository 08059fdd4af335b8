//! The ceilings: bare `std::net` clients that do strictly less than any adapter, measured in
//! the same run as the adapters so that each figure is also a ratio.
//!
//! - [`split_events`]: reads a blast and splits it into messages with memchr (the blank line
//!   that ends each header block, and the outer `Content-Length`), nothing else: no header
//!   index, no event, no queue, no second thread.
//! - [`request_reply`]: one `api` call at a time, each reply split the same way.
//! - [`pipelined`]: `api` calls with `depth` in flight on one connection: as replies arrive,
//!   as many new calls go out in one write.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::recorded::Format;
use crate::PASSWORD;

/// Bytes the splitter reads at a time (and its buffer's starting size).
const READ: usize = 256 * 1024;

/// Splits a byte stream into messages: memchr for the end of each header block, memmem for
/// its `Content-Length`, and the body skipped by length.
pub struct Splitter {
    socket: TcpStream,
    buf: Vec<u8>,
    /// Bytes of `buf` not yet split, `start..end`.
    start: usize,
    end: usize,
    /// Sum of the bodies' lengths, so the work cannot be optimised away.
    pub body_bytes: usize,
}

impl Splitter {
    /// A splitter reading `socket`.
    pub fn new(socket: TcpStream) -> Splitter {
        Splitter {
            socket,
            buf: vec![0; READ],
            start: 0,
            end: 0,
            body_bytes: 0,
        }
    }

    /// Reads once and returns how many messages were completed. Panics if the peer closed
    /// (the benchmark expected more).
    pub fn read_some(&mut self) -> usize {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.buf.len() - self.end < READ / 4 {
            // Keep the incomplete message, at the front; grow only if it nearly fills the
            // buffer (a message larger than the buffer).
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.buf.len() - self.end < READ / 4 {
                self.buf.resize(self.buf.len() * 2, 0);
            }
        }
        let n = self
            .socket
            .read(&mut self.buf[self.end..])
            .expect("reading");
        assert!(n > 0, "the switch closed the connection");
        self.end += n;
        self.split()
    }

    /// Reads until `count` messages were completed; returns how many were (a read may end
    /// inside the next ones).
    pub fn messages(&mut self, count: usize) -> usize {
        let mut seen = self.split();
        while seen < count {
            seen += self.read_some();
        }
        seen
    }

    fn split(&mut self) -> usize {
        let mut seen = 0;
        loop {
            let data = &self.buf[self.start..self.end];
            let skip = data.iter().position(|b| *b != b'\n').unwrap_or(data.len());
            let data = &data[skip..];
            let Some(head_end) = memchr::memmem::find(data, b"\n\n") else {
                return seen;
            };
            let head = &data[..head_end];
            let length = memchr::memmem::find(head, b"Content-Length: ").map_or(0, |at| {
                head[at + 16..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .fold(0usize, |n, d| n * 10 + usize::from(d - b'0'))
            });
            let total = head_end + 2 + length;
            if total > data.len() {
                return seen;
            }
            self.body_bytes += length;
            self.start += skip + total;
            seen += 1;
        }
    }

    /// Writes to the socket.
    pub fn send(&mut self, bytes: &[u8]) {
        self.socket.write_all(bytes).expect("writing");
    }
}

/// Connects and authenticates (the greeting and the `auth` reply read).
pub fn connect(addr: SocketAddr) -> Splitter {
    let socket = TcpStream::connect(addr).expect("connecting to the stand-in switch");
    socket.set_nodelay(true).expect("nodelay");
    let mut splitter = Splitter::new(socket);
    splitter.send(format!("auth {PASSWORD}\n\n").as_bytes());
    splitter.messages(2);
    splitter
}

/// Asks for `n` events of `format` and splits them; the time from the request to the last
/// event (as the clients are timed).
pub fn split_events(addr: SocketAddr, format: Format, n: usize) -> Duration {
    let mut splitter = connect(addr);
    let start = Instant::now();
    splitter.send(format!("api bench_blast {} {n}\n\n", format.as_str()).as_bytes());
    // The api/response, then the events.
    splitter.messages(n + 1);
    start.elapsed()
}

/// `calls` api calls, one at a time.
pub fn request_reply(addr: SocketAddr, calls: usize) -> Duration {
    let mut splitter = connect(addr);
    let start = Instant::now();
    for _ in 0..calls {
        splitter.send(b"api eval x\n\n");
        splitter.messages(1);
    }
    start.elapsed()
}

/// `calls` api calls with `depth` in flight.
pub fn pipelined(addr: SocketAddr, calls: usize, depth: usize) -> Duration {
    let mut splitter = connect(addr);
    let request = b"api eval x\n\n";
    let start = Instant::now();
    let mut sent = depth.min(calls);
    splitter.send(&request.repeat(sent));
    let mut answered = 0;
    while answered < calls {
        let got = splitter.read_some();
        answered += got;
        let more = got.min(calls - sent);
        if more > 0 {
            splitter.send(&request.repeat(more));
            sent += more;
        }
    }
    start.elapsed()
}
