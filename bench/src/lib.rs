//! Throughput and memory benchmarks for the workspace, with their ceilings.
//!
//! Every figure is measured against something that does strictly less work in the same run,
//! on the same machine, so that what is reported is a ratio as well as a number:
//!
//! - [`switch::StandIn`]: a stand-in switch on loopback TCP, on threads of its own, that
//!   writes recorded FreeSWITCH events (pre-encoded, in large batched writes) as fast as the
//!   socket takes them, and answers pipelined `api` commands in batches, so it is never the
//!   bottleneck of what it measures.
//! - [`ceiling`]: bare `std::net` readers that do strictly less than a client: a message
//!   splitter (memchr, no header parsing) for event streams, and request loops (one at a
//!   time, and 64 in flight) for `api`.
//! - [`clients`]: the same work through each adapter's public API (`esl-tokio`,
//!   `esl-async-std` on async-std and on smol, `esl-blocking`), so a regression in any adapter
//!   shows.
//! - [`dialer`]: the switch's outbound side, opening idle calls to an outbound server.
//! - [`process`]: peak resident memory and page faults of this process, from `/proc`.
//!
//! The criterion benches (`cargo bench -p esl-bench`) give the throughput rows; the binaries
//! `blast` and `idle-sessions` give the memory rows, each in a fresh process, with the switch
//! in another process (`esl-bench-switch`) so that its memory is not counted.
//! `bench/summary.py` prints every figure with its ceiling and the ratio.
//!
//! ```no_run
//! use esl_bench::{ceiling, switch::StandIn, Format};
//!
//! let switch = StandIn::start();
//! let took = ceiling::split_events(switch.addr(), Format::Plain, 10_000);
//! println!("{:.0} events/s", 10_000.0 / took.as_secs_f64());
//! ```

// A measuring tool, not an API: its handles hold sockets and children, nothing to show.
#![allow(missing_debug_implementations)]

pub mod ceiling;
pub mod child;
pub mod clients;
pub mod dialer;
pub mod process;
pub mod recorded;
pub mod switch;

pub use recorded::{Format, Recorded};

/// The password the stand-in switch accepts (any is accepted; this one is FreeSWITCH's
/// default).
pub const PASSWORD: &str = "ClueCon";
