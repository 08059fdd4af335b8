//! `api` calls/s of concurrent callers on one connection, in a fresh process, against the
//! stand-in switch in another process, with the bare pipelined loop (the ceiling) in the
//! same process; printed as one JSON line. For profiling one adapter (`perf record`,
//! `strace -c`) without criterion around it.
//!
//! ```text
//! api-callers --adapter <tokio|smol|blocking|ceiling> [--callers 64] [--calls 200000]
//! ```

// This binary reports on stdout.
#![allow(clippy::print_stdout)]

use esl_bench::ceiling;
use esl_bench::child::SwitchProcess;
use esl_bench::clients::{self, Adapter, Connected};

fn main() {
    let mut adapter = "tokio".to_owned();
    let mut callers = 64usize;
    let mut calls = 200_000usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_default();
        match arg.as_str() {
            "--adapter" => adapter = value,
            "--callers" => callers = value.parse().expect("--callers N"),
            "--calls" => calls = value.parse().expect("--calls N"),
            _ => panic!("unknown argument {arg}"),
        }
    }
    let switch = SwitchProcess::spawn();
    let took = if adapter == "ceiling" {
        match callers {
            1 => ceiling::request_reply(switch.addr(), calls),
            depth => ceiling::pipelined(switch.addr(), calls, depth),
        }
    } else {
        let runtime = clients::tokio_runtime();
        let adapter = Adapter::parse(&adapter).expect("--adapter tokio|smol|blocking|ceiling");
        let client = Connected::connect(adapter, &runtime, switch.addr());
        client.api(&runtime, callers, calls)
    };
    println!(
        "{{\"adapter\":\"{adapter}\",\"callers\":{callers},\"calls\":{calls},\"seconds\":{:.6},\"calls_per_s\":{:.0}}}",
        took.as_secs_f64(),
        calls as f64 / took.as_secs_f64(),
    );
}
