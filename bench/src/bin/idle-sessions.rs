//! Resident memory per idle outbound session (esl-tokio), in a fresh process and after the
//! process has already served and hung up as many calls; printed as one JSON line.
//!
//! ```text
//! idle-sessions [--sessions N]
//! ```
//!
//! The stand-in switch (another process) opens `N` calls to an `OutboundServer` with the
//! default configuration (`myevents`, `linger`); each handler waits on its event stream, as an
//! application waiting for its call's events does. Per session is the resident memory with
//! the `N` calls idle less the resident memory before the first call, over `N`; the second
//! figure is the same after all `N` were hung up and `N` new ones opened.

// This binary reports on stdout.
#![allow(clippy::print_stdout)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use esl_bench::child::SwitchProcess;
use esl_bench::process;
use esl_tokio::ServerConfig;

fn main() {
    let mut sessions = 1_000usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--sessions", Some(n)) => sessions = n.parse().expect("--sessions N"),
            _ => panic!("usage: idle-sessions [--sessions N]"),
        }
    }
    let mut switch = SwitchProcess::spawn();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let idle = Arc::new(AtomicUsize::new(0));
    let server = runtime
        .block_on(esl_tokio::listen("127.0.0.1:0", ServerConfig::default()))
        .expect("listening");
    let server_addr = server.local_addr().expect("bound");
    let calls = server.shutdown_handle();
    let waiting = idle.clone();
    runtime.spawn(server.run(move |session| {
        let waiting = waiting.clone();
        async move {
            let mut events = session.events();
            waiting.fetch_add(1, Ordering::AcqRel);
            while events.recv().await.is_some() {}
            waiting.fetch_sub(1, Ordering::AcqRel);
        }
    }));
    settle();
    let base = process::memory().rss_kib;

    let mut per_session = Vec::new();
    for round in 0..2 {
        switch.dial(server_addr, sessions);
        wait_until(|| idle.load(Ordering::Acquire) == sessions);
        settle();
        let rss = process::memory().rss_kib;
        per_session.push((rss.saturating_sub(base)) as f64 / sessions as f64);
        switch.hang_up();
        wait_until(|| calls.active_calls() == 0);
        if round == 0 {
            settle();
        }
    }
    println!(
        "{{\"sessions\":{sessions},\"base_rss_kib\":{base},\"fresh_kib_per_session\":{:.2},\"reused_kib_per_session\":{:.2},\"peak_rss_kib\":{}}}",
        per_session[0],
        per_session[1],
        process::memory().peak_kib,
    );
}

/// Lets the runtime's threads finish what they were doing (the driver's last reads).
fn settle() {
    std::thread::sleep(Duration::from_millis(300));
}

fn wait_until(done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(120), "timed out");
        std::thread::sleep(Duration::from_millis(10));
    }
}
