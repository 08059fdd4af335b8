//! The benchmarks' work through each adapter's public API only (`connect`, `events()`,
//! `api`), so they keep measuring whatever the adapters become inside.
//!
//! Each event is touched as an application would: its name and one channel variable are
//! read, which makes every header of it reachable and decoded on access.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use esl_proto::Event;

use crate::recorded::Format;
use crate::PASSWORD;

/// An adapter, and the runtime it runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adapter {
    /// `esl-tokio` on a multi-threaded runtime with one worker (the connection's driver); the
    /// caller runs on its own thread in `block_on`.
    Tokio,
    /// `esl-async-std` on async-std's global executor.
    AsyncStd,
    /// `esl-async-std`'s `Smol` runtime on smol's global executor.
    Smol,
    /// `esl-blocking`: a reader thread per connection.
    Blocking,
}

impl Adapter {
    /// Every adapter.
    pub const ALL: [Adapter; 4] = [
        Adapter::Tokio,
        Adapter::AsyncStd,
        Adapter::Smol,
        Adapter::Blocking,
    ];

    /// The name used on command lines and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Adapter::Tokio => "tokio",
            Adapter::AsyncStd => "async-std",
            Adapter::Smol => "smol",
            Adapter::Blocking => "blocking",
        }
    }

    /// Reads [`Adapter::as_str`] back.
    pub fn parse(name: &str) -> Option<Adapter> {
        Adapter::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// The runtime the tokio adapter runs on in every benchmark.
pub fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// What an application does with each event: its name and a channel variable.
#[inline]
pub fn touch(event: &Event) -> usize {
    event.name().as_str().len() + event.variable("channel_name").map_or(0, |v| v.len())
}

fn blast_command(format: Format, n: usize) -> String {
    format!("bench_blast {} {n}", format.as_str())
}

/// The configuration every benchmark connects with: the defaults, with
/// [`Overflow::Backpressure`](esl_tokio::Overflow) so that a consumer descheduled for a while
/// on a busy machine slows the switch down instead of losing events (the default drops them
/// once 16,384 are queued, and a benchmark counts what arrives).
pub fn config() -> esl_tokio::ClientConfig {
    esl_tokio::ClientConfig::password(PASSWORD).overflow(esl_tokio::Overflow::Backpressure)
}

/// What a blast through an adapter measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Received {
    /// From the request to the last event.
    pub took: Duration,
    /// The most events seen waiting in the stream (sampled every 1,024 events).
    pub max_queued: usize,
}

/// Asks a connected client for `n` events of `format` and receives them all: the same steps
/// for every adapter, written once (the clients are different types, async or not, with the
/// same methods; pass `.await` for an async one).
macro_rules! receive {
    ($client:ident, $format:expr, $n:expr $(, $dot:tt $await:tt)?) => {{
        let mut events = $client.events();
        let start = Instant::now();
        $client.api(&blast_command($format, $n))$($dot $await)?.expect("blast");
        let (mut touched, mut max_queued) = (0, 0);
        for i in 0..$n {
            if i % 1024 == 0 {
                max_queued = max_queued.max(events.len());
            }
            touched += touch(&events.recv()$($dot $await)?.into_event());
        }
        let took = start.elapsed();
        std::hint::black_box(touched);
        Received { took, max_queued }
    }};
}

/// Connects with `adapter`, asks for `n` events of `format` and receives them all through the
/// public event stream; the time from the request to the last event. Panics if an event is
/// lost.
pub fn events(
    adapter: Adapter,
    runtime: &tokio::runtime::Runtime,
    addr: SocketAddr,
    format: Format,
    n: usize,
) -> Received {
    let addr = addr.to_string();
    match adapter {
        Adapter::Tokio => runtime.block_on(async {
            let client = esl_tokio::connect_with(&addr, config()).await;
            let client = client.expect("connect");
            receive!(client, format, n, .await)
        }),
        Adapter::AsyncStd => async_std::task::block_on(async {
            let client = esl_async_std::connect_with(&addr, config()).await;
            let client = client.expect("connect");
            receive!(client, format, n, .await)
        }),
        Adapter::Smol => smol::block_on(async {
            let smol = esl_async_std::Smol;
            let client = esl_async_std::Client::connect(smol, &addr, config()).await;
            let client = client.expect("connect");
            receive!(client, format, n, .await)
        }),
        Adapter::Blocking => {
            let client = esl_blocking::connect_with(&addr, config()).expect("connect");
            receive!(client, format, n)
        }
    }
}

/// The event of a stream item; anything else (a gap: events were lost) fails the benchmark.
/// (Every adapter's stream has the same item type today; a trait keeps the call sites the same
/// if one day they differ.)
trait IntoEvent {
    fn into_event(self) -> Event;
}

impl IntoEvent for Option<esl_tokio::Incoming> {
    fn into_event(self) -> Event {
        match self {
            Some(esl_tokio::Incoming::Event(event)) => event,
            other => panic!("expected an event, got {other:?}"),
        }
    }
}

/// One caller's `calls` api calls, each checking its reply is its own (pass `.await` for an
/// async client).
macro_rules! call {
    ($client:ident, $caller:expr, $calls:expr $(, $dot:tt $await:tt)?) => {
        for call in 0..$calls {
            let text = format!("{}-{call}", $caller);
            let got = $client.api(&format!("eval {text}"))$($dot $await)?;
            assert_eq!(got.expect("api"), text, "a reply reached the wrong caller");
        }
    };
}

/// A connected client of one adapter, for `api` benchmarks.
pub enum Connected {
    /// On the given tokio runtime.
    Tokio(esl_tokio::Client),
    /// On smol's executor.
    Smol(esl_async_std::Client<esl_async_std::Smol>),
    /// Blocking.
    Blocking(esl_blocking::Client),
}

impl Connected {
    /// Connects with `adapter` (async-std is measured through smol: they share the driver and
    /// the reactor).
    pub fn connect(
        adapter: Adapter,
        runtime: &tokio::runtime::Runtime,
        addr: SocketAddr,
    ) -> Connected {
        let addr = addr.to_string();
        match adapter {
            Adapter::Tokio => Connected::Tokio(
                runtime
                    .block_on(esl_tokio::connect_with(&addr, config()))
                    .expect("connect"),
            ),
            Adapter::AsyncStd | Adapter::Smol => Connected::Smol(
                smol::block_on(esl_async_std::Client::<esl_async_std::Smol>::connect(
                    esl_async_std::Smol,
                    &addr,
                    config(),
                ))
                .expect("connect"),
            ),
            Adapter::Blocking => {
                Connected::Blocking(esl_blocking::connect_with(&addr, config()).expect("connect"))
            }
        }
    }

    /// `calls` api calls from `callers` concurrent callers (tasks, or threads for the
    /// blocking adapter) on this one connection. Each call's text is unique and each caller
    /// checks the reply it got is its own: panics if any reached the wrong caller.
    pub fn api(&self, runtime: &tokio::runtime::Runtime, callers: usize, calls: usize) -> Duration {
        let per_caller = calls / callers;
        match self {
            Connected::Tokio(client) => runtime.block_on(async {
                let start = Instant::now();
                let tasks: Vec<_> = (0..callers)
                    .map(|caller| {
                        let client = client.clone();
                        tokio::spawn(async move { call!(client, caller, per_caller, .await) })
                    })
                    .collect();
                for task in tasks {
                    task.await.expect("caller");
                }
                start.elapsed()
            }),
            Connected::Smol(client) => smol::block_on(async {
                let start = Instant::now();
                let tasks: Vec<_> = (0..callers)
                    .map(|caller| {
                        let client = client.clone();
                        smol::spawn(async move { call!(client, caller, per_caller, .await) })
                    })
                    .collect();
                for task in tasks {
                    task.await;
                }
                start.elapsed()
            }),
            Connected::Blocking(client) => {
                let start = Instant::now();
                std::thread::scope(|scope| {
                    for caller in 0..callers {
                        scope.spawn(move || call!(client, caller, per_caller));
                    }
                });
                start.elapsed()
            }
        }
    }
}
