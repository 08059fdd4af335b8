//! Decodes a recorded stream through `esl_proto::Connection` as an adapter does (64 KiB
//! reads), and touches each event as the benches' consumer does, for instruction counts that
//! do not depend on the machine's load:
//!
//! ```text
//! valgrind --tool=callgrind --toggle-collect='*decode_rounds*' \
//!     target/release/decode-count --format plain --rounds 20
//! ```
//!
//! Instructions per event are the collected total over the events printed.

// This binary reports on stdout.
#![allow(clippy::print_stdout)]

use esl_bench::{clients, Format, Recorded};
use esl_proto::{Auth, Connection, Output};

fn main() {
    let mut format = Format::Plain;
    let mut rounds = 20usize;
    let mut touch = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--format" => {
                format = args
                    .next()
                    .as_deref()
                    .and_then(Format::parse)
                    .expect("--format")
            }
            "--rounds" => rounds = args.next().and_then(|n| n.parse().ok()).expect("--rounds"),
            "--no-touch" => touch = false,
            _ => panic!("usage: decode-count [--format F] [--rounds N] [--no-touch]"),
        }
    }
    let recorded = Recorded::load(format);
    let (events, touched) = decode_rounds(recorded.bytes(), rounds, touch);
    println!("{} events, {touched} bytes touched", events);
}

#[inline(never)]
fn decode_rounds(bytes: &[u8], rounds: usize, touch: bool) -> (usize, usize) {
    let mut conn = Connection::inbound(Auth::Manual);
    let mut events = 0;
    let mut touched = 0;
    for _ in 0..rounds {
        for chunk in bytes.chunks(64 * 1024) {
            conn.receive(chunk);
            while let Ok(Some(output)) = conn.poll_output() {
                if let Output::Event(event) = output {
                    events += 1;
                    if touch {
                        touched += clients::touch(&event);
                    }
                }
            }
        }
    }
    (events, touched)
}
