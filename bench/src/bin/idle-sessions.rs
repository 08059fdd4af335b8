//! Resident memory, threads and file descriptors per idle outbound session, in a fresh
//! process and after the process has already served and hung up as many calls; printed as
//! one JSON line.
//!
//! ```text
//! idle-sessions [--adapter tokio|blocking] [--sessions N]
//! ```
//!
//! The stand-in switch (another process) opens `N` calls to an outbound server with the
//! default configuration (`myevents`, `linger`). With tokio each handler waits on its event
//! stream, as an application waiting for its call's events does; with esl-blocking each
//! handler registers a handler that closes the session on `CHANNEL_HANGUP_COMPLETE` and
//! detaches (the thread-free form: no thread waits for the call). Per session is the
//! resident memory (threads, descriptors) with the `N` calls idle less what the process held
//! before the first call, over `N`; the second figure is the same after all `N` were hung up
//! and `N` new ones opened.

// This binary reports on stdout.
#![allow(clippy::print_stdout)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use esl_bench::child::SwitchProcess;
use esl_bench::process;

/// What the process holds.
#[derive(Debug, Clone, Copy)]
struct Held {
    rss_kib: u64,
    threads: usize,
    fds: usize,
}

impl Held {
    fn now() -> Held {
        Held {
            rss_kib: process::memory().rss_kib,
            threads: process::threads(),
            fds: process::fds(),
        }
    }
}

/// An outbound server whose calls can be counted.
struct Server {
    addr: SocketAddr,
    /// Handlers that have set their call up and are waiting.
    idle: Arc<AtomicUsize>,
    active: Box<dyn Fn() -> usize>,
}

fn main() {
    let mut sessions = 1_000usize;
    let mut adapter = "tokio".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--sessions", Some(n)) => sessions = n.parse().expect("--sessions N"),
            ("--adapter", Some(name)) => adapter = name,
            _ => panic!("usage: idle-sessions [--adapter tokio|blocking] [--sessions N]"),
        }
    }
    let mut switch = SwitchProcess::spawn();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let server = match adapter.as_str() {
        "tokio" => tokio_server(&runtime),
        "blocking" => blocking_server(),
        _ => panic!("--adapter tokio|blocking"),
    };
    settle();
    let base = Held::now();

    let mut rounds = Vec::new();
    for round in 0..2 {
        switch.dial(server.addr, sessions);
        wait_until(|| server.idle.load(Ordering::Acquire) >= sessions);
        settle();
        rounds.push(Held::now());
        switch.hang_up();
        wait_until(|| (server.active)() == 0);
        server.idle.store(0, Ordering::Release);
        if round == 0 {
            settle();
        }
    }
    let per = |n: u64, base: u64| n.saturating_sub(base) as f64 / sessions as f64;
    let (fresh, reused) = (rounds[0], rounds[1]);
    println!(
        "{{\"adapter\":\"{adapter}\",\"sessions\":{sessions},\"base_rss_kib\":{},\"fresh_kib_per_session\":{:.2},\"reused_kib_per_session\":{:.2},\"base_threads\":{},\"threads\":{},\"reused_threads\":{},\"base_fds\":{},\"fds_per_session\":{:.3},\"reused_fds_per_session\":{:.3},\"peak_rss_kib\":{}}}",
        base.rss_kib,
        per(fresh.rss_kib, base.rss_kib),
        per(reused.rss_kib, base.rss_kib),
        base.threads,
        fresh.threads,
        reused.threads,
        base.fds,
        per(fresh.fds as u64, base.fds as u64),
        per(reused.fds as u64, base.fds as u64),
        process::memory().peak_kib,
    );
}

/// esl-tokio: each handler waits on its call's event stream.
fn tokio_server(runtime: &tokio::runtime::Runtime) -> Server {
    let idle = Arc::new(AtomicUsize::new(0));
    let server = runtime
        .block_on(esl_tokio::listen(
            "127.0.0.1:0",
            esl_tokio::ServerConfig::default(),
        ))
        .expect("listening");
    let addr = server.local_addr().expect("bound");
    let calls = server.shutdown_handle();
    let waiting = idle.clone();
    runtime.spawn(server.run(move |session| {
        let waiting = waiting.clone();
        async move {
            let mut events = session.events();
            waiting.fetch_add(1, Ordering::AcqRel);
            while events.recv().await.is_some() {}
        }
    }));
    Server {
        addr,
        idle,
        active: Box::new(move || calls.active_calls()),
    }
}

/// esl-blocking, thread-free: each handler leaves its call to an event handler and returns.
fn blocking_server() -> Server {
    let idle = Arc::new(AtomicUsize::new(0));
    let server = esl_blocking::listen("127.0.0.1:0", esl_blocking::ServerConfig::default())
        .expect("listening");
    let addr = server.local_addr().expect("bound");
    let calls = server.shutdown_handle();
    let waiting = idle.clone();
    std::thread::spawn(move || {
        server.run(move |session| {
            let closer = session.clone();
            session.on("CHANNEL_HANGUP_COMPLETE", move |_| closer.close());
            waiting.fetch_add(1, Ordering::AcqRel);
            session.detach();
        })
    });
    Server {
        addr,
        idle,
        active: Box::new(move || calls.active_calls()),
    }
}

/// Lets the threads finish what they were doing (the drivers' last reads), and the sessions
/// stay idle long enough for their engines to give back their buffers.
fn settle() {
    std::thread::sleep(esl_proto::client::RELEASE_AFTER + Duration::from_millis(250));
}

fn wait_until(done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(120), "timed out");
        std::thread::sleep(Duration::from_millis(10));
    }
}
