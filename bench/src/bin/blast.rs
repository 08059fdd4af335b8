//! One blast of recorded events received by one reader, in a fresh process: events/s, peak
//! resident memory and page faults, printed as one JSON line.
//!
//! ```text
//! blast --reader <splitter|tokio|async-std|smol|blocking> --format <plain|json|big|xml> [--events N]
//! ```
//!
//! The switch runs in another process (`esl-bench-switch`), so the peak resident memory is the
//! reader's alone; `splitter` is the ceiling (`esl_bench::ceiling::split_events`). Page faults
//! are counted from just before the blast is requested to the last event, so the process's
//! start-up is not in them; the peak resident memory is the whole process's.

// This binary reports on stdout.
#![allow(clippy::print_stdout)]

use esl_bench::child::SwitchProcess;
use esl_bench::clients::{self, Adapter};
use esl_bench::{ceiling, process, Format};

fn main() {
    let mut reader = "splitter".to_owned();
    let mut format = Format::Plain;
    let mut events = 200_000usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_default();
        match arg.as_str() {
            "--reader" => reader = value,
            "--format" => format = Format::parse(&value).expect("--format plain|json|big|xml"),
            "--events" => events = value.parse().expect("--events N"),
            _ => panic!("unknown argument {arg}"),
        }
    }
    let switch = SwitchProcess::spawn();
    let faults_before = process::minor_faults();
    let received = if reader == "splitter" {
        clients::Received {
            took: ceiling::split_events(switch.addr(), format, events),
            max_queued: 0,
        }
    } else {
        let adapter =
            Adapter::parse(&reader).expect("--reader splitter|tokio|async-std|smol|blocking");
        let runtime = clients::tokio_runtime();
        clients::events(adapter, &runtime, switch.addr(), format, events)
    };
    let took = received.took;
    let faults = process::minor_faults() - faults_before;
    let memory = process::memory();
    println!(
        "{{\"reader\":\"{reader}\",\"format\":\"{}\",\"events\":{events},\"seconds\":{:.6},\"events_per_s\":{:.0},\"peak_rss_kib\":{},\"minor_faults\":{faults},\"faults_per_event\":{:.3},\"max_queued\":{}}}",
        format.as_str(),
        took.as_secs_f64(),
        events as f64 / took.as_secs_f64(),
        memory.peak_kib,
        faults as f64 / events as f64,
        received.max_queued,
    );
}
