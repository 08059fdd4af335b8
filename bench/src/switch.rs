//! The stand-in switch: `mod_event_socket`'s inbound side, reduced to what the benchmarks
//! need and made as cheap as a socket allows.
//!
//! Each connection has its own thread. It greets with `auth/request`, accepts any password,
//! and then reads whatever the client sent, splits it into commands, and writes every reply
//! in one write: 64 pipelined `api` calls cost it one read and one write, not 64 of each.
//!
//! - `api bench_blast <plain|json|xml|big> <n>`: `+OK`, then `n` recorded events of that
//!   format (the capture's events in order, repeated), written in batches of about 1 MiB of
//!   whole events encoded once at start-up, as fast as the socket takes them.
//! - `api eval <text>`: `<text>` as the body (FreeSWITCH expands variables in it; nothing
//!   here has any), so each caller can check that the reply it got is its own.
//! - `exit`: `+OK bye`, the disconnect notice, and the socket is closed.
//! - anything else (`event plain ALL`, `myevents`, `linger`, another `api`): `+OK`.
//!
//! Commands with a body (`sendmsg` with `content-length`) are not read as such: no benchmark
//! sends one.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use bytes::Bytes;

use crate::recorded::{Format, Recorded};

/// Bytes per write of a blast.
const BATCH: usize = 1 << 20;

/// One format's stream, ready to write.
struct Blast {
    recorded: Recorded,
    /// The stream repeated to about [`BATCH`] bytes.
    batch: Bytes,
    batch_events: usize,
}

impl Blast {
    fn new(format: Format) -> Blast {
        let recorded = Recorded::load(format);
        let (batch, batch_events) = recorded.batch(BATCH);
        Blast {
            recorded,
            batch,
            batch_events,
        }
    }

    /// Writes `n` events: whole batches, then the first events of one more.
    fn write(&self, socket: &mut TcpStream, n: usize) -> io::Result<()> {
        for _ in 0..n / self.batch_events {
            socket.write_all(&self.batch)?;
        }
        let rest = self.recorded.prefix_len(n % self.batch_events);
        socket.write_all(&self.batch[..rest])
    }
}

/// The encoded streams, loaded on first use and shared by every connection.
#[derive(Default)]
struct Streams(Mutex<HashMap<Format, Arc<Blast>>>);

impl Streams {
    fn get(&self, format: Format) -> Arc<Blast> {
        let mut loaded = self.0.lock().unwrap_or_else(|e| e.into_inner());
        loaded
            .entry(format)
            .or_insert_with(|| Arc::new(Blast::new(format)))
            .clone()
    }
}

/// A running stand-in switch. Its threads live as long as the process.
pub struct StandIn {
    addr: SocketAddr,
}

impl StandIn {
    /// Listens on a free port of 127.0.0.1. Panics if it cannot (a benchmark cannot run
    /// without it).
    pub fn start() -> StandIn {
        StandIn::bind("127.0.0.1:0").expect("the stand-in switch listens")
    }

    /// Listens on `addr` and serves every connection on a thread of its own.
    pub fn bind(addr: &str) -> io::Result<StandIn> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let streams = Arc::new(Streams::default());
        // Encoded before the first client connects, so no measurement pays for it.
        for format in Format::ALL {
            streams.get(format);
        }
        thread::Builder::new()
            .name("stand-in-accept".into())
            .spawn(move || {
                for socket in listener.incoming().flatten() {
                    let streams = streams.clone();
                    let _ = thread::Builder::new()
                        .name("stand-in-conn".into())
                        .spawn(move || serve(socket, &streams));
                }
            })?;
        Ok(StandIn { addr })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// What one command asks of the connection.
enum Action {
    Reply,
    Blast(Format, usize),
    Exit,
}

fn serve(mut socket: TcpStream, streams: &Streams) {
    let _ = socket.set_nodelay(true);
    if socket.write_all(b"Content-Type: auth/request\n\n").is_err() {
        return;
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    let mut out: Vec<u8> = Vec::with_capacity(64 * 1024);
    loop {
        let n = match socket.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        pending.extend_from_slice(&buf[..n]);
        let mut at = 0;
        while let Some(end) = memchr::memmem::find(&pending[at..], b"\n\n") {
            let block = &pending[at..at + end];
            at += end + 2;
            let line = block.split(|b| *b == b'\n').next().unwrap_or_default();
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            match answer(line, &mut out) {
                Action::Reply => {}
                Action::Blast(format, n) => {
                    let sent = socket.write_all(&out).is_ok()
                        && streams.get(format).write(&mut socket, n).is_ok();
                    out.clear();
                    if !sent {
                        return;
                    }
                }
                Action::Exit => {
                    let _ = socket.write_all(&out);
                    return;
                }
            }
        }
        pending.drain(..at);
        if !out.is_empty() {
            if socket.write_all(&out).is_err() {
                return;
            }
            out.clear();
        }
    }
}

/// Appends the reply to the command `line` to `out`.
fn answer(line: &[u8], out: &mut Vec<u8>) -> Action {
    let text = String::from_utf8_lossy(line);
    let mut words = text.trim_start_matches(['\n', '\r']).splitn(2, ' ');
    let verb = words.next().unwrap_or_default();
    let rest = words.next().unwrap_or_default();
    match verb {
        "auth" | "userauth" => reply(out, "+OK accepted"),
        "api" => {
            let (command, arg) = rest.split_once(' ').unwrap_or((rest, ""));
            match command {
                "eval" => api_response(out, arg.as_bytes()),
                "bench_blast" => {
                    let mut args = arg.split(' ');
                    let format = args.next().and_then(Format::parse);
                    let n = args.next().and_then(|n| n.parse().ok());
                    match (format, n) {
                        (Some(format), Some(n)) => {
                            api_response(out, b"+OK\n");
                            return Action::Blast(format, n);
                        }
                        _ => api_response(out, b"-USAGE: bench_blast <format> <n>\n"),
                    }
                }
                _ => api_response(out, b"+OK\n"),
            }
        }
        "exit" => {
            reply(out, "+OK bye");
            out.extend_from_slice(
                b"Content-Type: text/disconnect-notice\nContent-Length: 67\n\n\
Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n",
            );
            return Action::Exit;
        }
        "event" => reply(out, "+OK event listener enabled plain"),
        _ => reply(out, "+OK"),
    }
    Action::Reply
}

fn reply(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(b"Content-Type: command/reply\nReply-Text: ");
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(b"\n\n");
}

fn api_response(out: &mut Vec<u8>, body: &[u8]) {
    let _ = write!(
        out,
        "Content-Type: api/response\nContent-Length: {}\n\n",
        body.len()
    );
    out.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_disconnect_notice_length_is_its_body() {
        let body = b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n";
        assert_eq!(body.len(), 67);
    }

    #[test]
    fn api_calls_get_their_own_text_and_blasts_their_count() {
        let mut out = Vec::new();
        assert!(matches!(answer(b"api eval 3-7", &mut out), Action::Reply));
        assert_eq!(
            out,
            b"Content-Type: api/response\nContent-Length: 3\n\n3-7".to_vec()
        );
        out.clear();
        assert!(matches!(
            answer(b"api bench_blast big 12", &mut out),
            Action::Blast(Format::Big, 12)
        ));
    }
}
