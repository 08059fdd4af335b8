//! Benchmarks of the `esl` binary against the simulated switch (not timed tests):
//!
//! ```sh
//! cargo bench -p esl-cli --bench cli            # both
//! cargo bench -p esl-cli --bench cli -- load    # the load generator only
//! cargo bench -p esl-cli --bench cli -- events  # the event tail only
//! ```
//!
//! **load**: `esl load --duration 5s --hold 100ms` at rising rates. A rate is *held* when
//! the originates left at the target rate within 2% (first to last), every call completed,
//! and none waited for a `--max-concurrent` slot. Prints each rate's achieved rate, setup
//! latency and the CPU time `esl` used per call (user + system, from `/usr/bin/time`), and
//! the highest rate held. The simulated switch runs in this process, on the same two cores;
//! where its setup latency climbs (p99 past 100 ms) the switch, not `esl`, is what is
//! saturated: `esl` goes on offering the rate, which is what a load test is for.
//!
//! **events**: the switch writes channel events (recorded from it) as fast as the socket
//! takes them (`api sim_blast`), and `esl events --count N` prints them to `/dev/null`, as
//! JSON lines and as text: events per second from start to exit (connecting included).
//! `--buffer` holds the whole blast, so none is dropped and `--count` is reached.

// A benchmark reports its numbers on standard output.
#![allow(clippy::print_stdout)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use esl_sim::{Config, SimSwitch};
use esl_tokio::esl_proto::{ContentType, Framer, Limits, Message};

const ESL: &str = env!("CARGO_BIN_EXE_esl");

fn main() {
    // `cargo bench` passes `--bench`; a further word picks one benchmark.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wants = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    if wants("load") {
        load();
    }
    if wants("events") {
        events();
    }
}

/// Runs `esl` with `args` under `/usr/bin/time` when it is there: its standard output,
/// wall time and CPU seconds (user + system). Panics if it fails.
fn run(args: &[String], stdout: Stdio) -> (String, Duration, Option<f64>) {
    let timed = std::path::Path::new("/usr/bin/time").exists();
    let mut cmd = if timed {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "cpu %U %S"]).arg(ESL);
        c
    } else {
        Command::new(ESL)
    };
    for var in ["ESL_ADDR", "ESL_PASSWORD", "ESL_USER", "ESL_TIMEOUT"] {
        cmd.env_remove(var);
    }
    let start = Instant::now();
    let output = cmd
        .args(args)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .expect("run esl");
    let wall = start.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "esl {args:?} failed: {stderr}");
    let cpu = stderr.lines().rev().find_map(|l| {
        let mut words = l.strip_prefix("cpu ")?.split_whitespace();
        let user: f64 = words.next()?.parse().ok()?;
        let system: f64 = words.next()?.parse().ok()?;
        Some(user + system)
    });
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        wall,
        cpu,
    )
}

fn connection(switch: &SimSwitch) -> Vec<String> {
    [
        "--addr",
        &switch.addr().to_string(),
        "--password",
        "ClueCon",
    ]
    .map(str::to_owned)
    .to_vec()
}

fn load() {
    println!("esl load against the simulated switch: --duration 5s --hold 100ms");
    println!(
        "{:>7} {:>9} {:>7} {:>7} {:>9} {:>9} {:>9} {:>12}  held",
        "target", "achieved", "placed", "failed", "setup p50", "setup p99", "lag p99", "cpu/call"
    );
    let mut best = None;
    for rate in [100, 200, 400, 800, 1600, 3200, 6400, 9600, 12800] {
        // A fresh switch per rate: nothing left over from the last one.
        let switch = SimSwitch::start();
        let mut args = connection(&switch);
        args.extend(
            [
                "load",
                "--rate",
                &rate.to_string(),
                "--duration",
                "5s",
                "--hold",
                "100ms",
                "--max-concurrent",
                "100000",
                "--json",
                "-q",
            ]
            .map(str::to_owned),
        );
        let (out, _, cpu) = run(&args, Stdio::piped());
        let report: serde_json::Value = match serde_json::from_str(out.trim()) {
            Ok(report) => report,
            Err(e) => {
                println!("{rate:>7} no report ({e}): {out}");
                break;
            }
        };
        let n = |k: &str| report[k].as_u64().unwrap_or(0);
        let achieved = report["achieved_rate"].as_f64().unwrap_or(0.0);
        let placed = n("placed");
        let held = (achieved - f64::from(rate)).abs() <= 0.02 * f64::from(rate)
            && n("completed") == placed
            && n("failed") == 0
            && n("throttled") == 0;
        let ms = |path: [&str; 2]| report[path[0]][path[1]].as_f64().unwrap_or(f64::NAN);
        let per_call = cpu.map_or("n/a".to_owned(), |cpu| {
            format!("{:.1} µs", cpu * 1e6 / placed.max(1) as f64)
        });
        println!(
            "{rate:>7} {achieved:>9.1} {placed:>7} {:>7} {:>7.2}ms {:>7.2}ms {:>7.2}ms {per_call:>12}  {}",
            n("failed"),
            ms(["setup_latency_ms", "p50"]),
            ms(["setup_latency_ms", "p99"]),
            ms(["schedule_lag_ms", "p99"]),
            if held { "yes" } else { "no" }
        );
        if held {
            best = Some((rate, per_call));
        } else {
            break;
        }
    }
    match best {
        Some((rate, per_call)) => {
            println!("highest rate held within 2%: {rate} calls/s ({per_call} of CPU per call)")
        }
        None => println!("no rate held"),
    }
}

/// The event messages the simulated switch sends for a few loopback calls, byte for byte,
/// and how many there are.
fn recorded_events(switch: &SimSwitch) -> (Vec<u8>, usize) {
    let mut socket = TcpStream::connect(switch.addr()).expect("connect");
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut commands = String::from("auth ClueCon\n\nevent plain ALL\n\n");
    for _ in 0..5 {
        commands.push_str("api originate loopback/9196 &park\n\n");
    }
    commands.push_str("api hupall\n\n");
    socket.write_all(commands.as_bytes()).unwrap();
    // Until the switch has been quiet for a moment: every call created and destroyed.
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = socket.read(&mut buf) {
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n]);
    }
    let mut framer = Framer::new(Limits::default());
    framer.push(&bytes);
    let (mut out, mut count, mut offset) = (Vec::new(), 0, 0);
    while let Ok(Some(frame)) = framer.next_frame() {
        let end = bytes.len() - framer.buffered();
        if Message::from(frame).content_type() == ContentType::EventPlain {
            out.extend_from_slice(&bytes[offset..end]);
            count += 1;
        }
        offset = end;
    }
    (out, count)
}

fn events() {
    let switch = SimSwitch::with_config(Config::default());
    let (stream, per_blast) = recorded_events(&switch);
    assert!(per_blast > 0, "no events recorded");
    let bytes = stream.len() / per_blast;
    switch.set_blast(stream.into());
    let rounds = 200_000 / per_blast;
    let total = rounds * per_blast;
    println!(
        "esl events: {total} recorded channel events (about {bytes} bytes each) blasted by the switch"
    );
    println!(
        "{:>6} {:>12} {:>9} {:>9}",
        "output", "events/s", "wall", "cpu"
    );
    for output in ["json", "text"] {
        let mut args = connection(&switch);
        args.extend(
            [
                "events",
                "ALL",
                "-o",
                output,
                "--count",
                &total.to_string(),
                "--buffer",
                &(total + 1).to_string(),
                "--exec",
                &format!("sim_blast {rounds}"),
            ]
            .map(str::to_owned),
        );
        let (_, wall, cpu) = run(&args, Stdio::null());
        println!(
            "{output:>6} {:>12.0} {:>8.2}s {:>8}",
            total as f64 / wall.as_secs_f64(),
            wall.as_secs_f64(),
            cpu.map_or("n/a".to_owned(), |c| format!("{c:.2}s")),
        );
    }
}
