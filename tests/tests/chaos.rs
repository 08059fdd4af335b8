//! An hour of traffic on virtual time, with a fault every few seconds: calls through a
//! service over three switches, `api` requests, `bgapi` jobs and `execute`s on a client,
//! while the switches cut replies in half, send garbage, stall, stop reading and drop every
//! connection. Every request must end exactly once, every event be delivered or counted by
//! the overflow policy, the client's subscriptions come back after each reconnect, and the
//! memory held stay flat. Runs in seconds; a failure names its seed
//! (`ESL_CHAOS_SEED=<seed> cargo test -p esl-tests --test chaos` replays it).

#![allow(unsafe_code)] // The counting allocator, and only it: a GlobalAlloc is unsafe to implement.
#![allow(clippy::print_stderr)] // The summary, for `--nocapture`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use esl_tokio::esl_proto::EventFormat;
use esl_tokio::sim::{Config, Fault, VirtualSwitch};
use esl_tokio::{App, ClientConfig, Error, Gap, Incoming, Overflow, Reconnect, Service, Tokio};

/// Counts the bytes allocated and not freed, to see whether memory stays flat.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const SECONDS: u64 = 3600;
const SWITCHES: usize = 3;

/// A small generator for the traffic's choices, from the seed.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % sides
    }
}

/// How each kind of request ended, counted once per request.
#[derive(Debug, Default)]
struct Ledger {
    started: BTreeMap<&'static str, u64>,
    ended: BTreeMap<(&'static str, &'static str), u64>,
}

impl Ledger {
    fn start(ledger: &Rc<RefCell<Ledger>>, kind: &'static str) {
        *ledger.borrow_mut().started.entry(kind).or_default() += 1;
    }

    fn end<T>(ledger: &Rc<RefCell<Ledger>>, kind: &'static str, result: &Result<T, Error>) {
        let how = match result {
            Ok(_) => "ok",
            Err(Error::Rejected(text)) => {
                if std::env::var_os("ESL_CHAOS_DEBUG").is_some() {
                    eprintln!("{kind} rejected: {text:?}");
                }
                "rejected"
            }
            Err(Error::Timeout(_)) => "timeout",
            Err(Error::ConnectionClosed(_) | Error::Io(_) | Error::Protocol(_)) => "lost",
            Err(_) => "other",
        };
        *ledger.borrow_mut().ended.entry((kind, how)).or_default() += 1;
    }

    fn ended(&self, kind: &str) -> u64 {
        self.ended
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|(_, n)| n)
            .sum()
    }
}

#[test]
fn an_hour_of_traffic_with_faults_loses_nothing_and_leaks_nothing() {
    let seed: u64 = std::env::var("ESL_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0xC4A0_5EED);
    let outcome = std::panic::catch_unwind(|| run(seed));
    if let Err(panic) = outcome {
        panic!("chaos failed with ESL_CHAOS_SEED={seed}: {panic:?}");
    }
}

fn run(seed: u64) {
    // tokio's clock is paused: nothing here uses it but `settle`, whose sleep ends only once
    // every task is idle (the clients' own timers follow the switches' virtual clocks).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let mut dice = Dice(seed);
        let switches: Vec<VirtualSwitch> = (0..SWITCHES as u64)
            .map(|i| VirtualSwitch::new(Config::default().seed(seed ^ i).history_limit(64)))
            .collect();
        let reconnect = Reconnect::default()
            .initial(Duration::from_secs(1))
            .max(Duration::from_secs(5));
        let config = ClientConfig::password("ClueCon")
            .reconnect(reconnect)
            .request_timeout(Duration::from_secs(10))
            .job_timeout(Duration::from_secs(30))
            .execute_timeout(Duration::from_secs(30))
            .overflow(Overflow::DropNewest)
            .seed(seed);

        // A service over the three switches: an app counts the calls it sees answered.
        let service = Service::new(Tokio);
        for (i, switch) in switches.iter().enumerate() {
            service
                .add_sim_switch(&format!("fs{i}"), switch, config.clone())
                .await
                .unwrap();
        }
        let answered = Arc::new(AtomicUsize::new(0));
        let count = answered.clone();
        let app = App::new().on("CHANNEL_ANSWER", move |_| {
            count.fetch_add(1, Ordering::Relaxed);
            async {}
        });
        service.load_default("counter", app).await.unwrap();

        // A client of its own on the first switch, with a stream it reads every second.
        let client = esl_tokio::sim::connect(&switches[0], config.clone())
            .await
            .unwrap();
        let mut events = client.events();
        client
            .subscribe(EventFormat::Plain, &["HEARTBEAT", "CHANNEL_CREATE"])
            .await
            .unwrap();

        let ledger: Rc<RefCell<Ledger>> = Rc::default();
        let mut tasks = Vec::new();
        let mut faults: Vec<(u64, usize)> = Vec::new();
        let (mut received, mut reconnected, mut memory_at_ten) = (0u64, 0u64, 0isize);
        for second in 0..SECONDS {
            // Traffic.
            let spawn = |kind: &'static str,
                         request: std::pin::Pin<
                Box<dyn std::future::Future<Output = Result<(), Error>>>,
            >| {
                Ledger::start(&ledger, kind);
                let ledger = ledger.clone();
                tokio::task::spawn_local(async move {
                    let result = request.await;
                    Ledger::end(&ledger, kind, &result);
                })
            };
            let c = client.clone();
            tasks.push(spawn(
                "api",
                Box::pin(async move { c.api("status").await.map(drop) }),
            ));
            if second % 3 == 0 {
                let c = client.clone();
                tasks.push(spawn(
                    "bgapi",
                    Box::pin(async move { c.bgapi("status").await?.output().await.map(drop) }),
                ));
            }
            if second % 5 == 0 {
                let on = format!("fs{}", dice.roll(SWITCHES as u64));
                let s = service.clone();
                tasks.push(spawn(
                    "call",
                    Box::pin(async move {
                        let job = s
                            .originate(&on, "counter", "loopback/park", "&park")
                            .await?;
                        let uuid = job.channel_uuid().await?;
                        let handle = s.switch(&on).expect("a switch of the service");
                        let channel = esl_tokio::Channel::new(handle, uuid);
                        channel.playback("tone_stream://%(100,0,440)").await?;
                        channel.hangup(None).await
                    }),
                ));
            }
            // A fault every few seconds, on one switch; the lasting ones end two seconds on.
            if dice.roll(4) == 0 {
                let victim = dice.roll(SWITCHES as u64) as usize;
                let fault = match dice.roll(6) {
                    0 => Some(Fault::CloseMidReply),
                    1 => Some(Fault::Garbage),
                    2 => Some(Fault::Stall),
                    3 => Some(Fault::StopReading),
                    // A busy switch: replies late, but in order. (Replies that never come at
                    // all, on a connection that lives on, would be no FreeSWITCH.)
                    4 => Some(Fault::DelayReplies(Duration::from_secs(3))),
                    _ => None,
                };
                match fault {
                    Some(fault) => switches[victim].with(|s| s.set_fault(fault)),
                    None => switches[victim].with(|s| s.kill_connections()),
                }
                faults.push((second + 2, victim));
            }
            faults.retain(|(until, victim)| {
                let due = *until == second;
                if due {
                    switches[*victim].with(|s| s.clear_faults());
                }
                !due
            });
            if second % 20 == 0 {
                switches[0].with(|s| s.heartbeat());
            }

            // A second passes; the clients act on what it brought.
            for switch in &switches {
                switch.advance(Duration::from_secs(1));
            }
            settle().await;
            while let Some(item) = events.try_recv() {
                match item {
                    Incoming::Event(_) => received += 1,
                    Incoming::Gap(Gap::Reconnected) => reconnected += 1,
                    _ => {}
                }
            }
            // A finished task's handle holds its memory: let those go.
            tasks.retain(|t| !t.is_finished());
            if second == 600 {
                memory_at_ten = LIVE.load(Ordering::Relaxed);
            }
        }

        // Quiet: no more faults; every request still open ends by its deadline.
        for switch in &switches {
            switch.with(|s| s.clear_faults());
        }
        for _ in 0..120 {
            for switch in &switches {
                switch.advance(Duration::from_secs(1));
            }
            settle().await;
        }
        let open = tasks.iter().filter(|t| !t.is_finished()).count();
        assert_eq!(open, 0, "requests that never ended: {:?}", ledger.borrow());
        let ledger = std::mem::take(&mut *ledger.borrow_mut());
        for (kind, started) in &ledger.started {
            assert_eq!(ledger.ended(kind), *started, "{kind}: {ledger:?}");
        }
        // The traffic got through most of the time, faults and all.
        let ok = |kind| ledger.ended.get(&(kind, "ok")).copied().unwrap_or_default();
        assert!(ok("api") > SECONDS / 2, "{ledger:?}");
        assert!(ok("call") > 0, "{ledger:?}");
        assert!(answered.load(Ordering::Relaxed) > 0);

        // Events: each one received or counted as dropped; none dropped by a reader that
        // keeps up.
        assert_eq!(events.dropped(), 0);
        assert!(received > 0);
        // The client reconnected, and its subscription came back each time: a heartbeat
        // now arrives.
        assert!(reconnected > 0, "the faults reached the client");
        switches[0].with(|s| s.heartbeat());
        switches[0].advance(Duration::from_millis(1));
        settle().await;
        let heartbeat = std::iter::from_fn(|| events.try_recv())
            .any(|item| item.event().is_some_and(|e| e.is("HEARTBEAT")));
        assert!(
            heartbeat,
            "the subscription survived {reconnected} reconnects"
        );

        // Memory: what an hour of this holds is what ten minutes of it held.
        let memory_at_end = LIVE.load(Ordering::Relaxed);
        eprintln!(
            "seed {seed}: {:?}; {received} events, {reconnected} reconnects, {} calls answered; \
             live bytes {memory_at_ten} at 10 min, {memory_at_end} at 60 min",
            ledger.ended,
            answered.load(Ordering::Relaxed)
        );
        assert!(
            memory_at_end < memory_at_ten + 512 * 1024,
            "live bytes grew from {memory_at_ten} at ten minutes to {memory_at_end}"
        );
        drop(tasks);
        client.close().await.unwrap();
        service.close().await;
    });
}

/// Lets every task run until none has anything left to do at this virtual instant: tokio's
/// paused clock moves on (and this sleep ends) only when no task is ready to run. (It was 64
/// `yield_now`s, which a task needing a 65th turn would have outlasted.)
async fn settle() {
    tokio::time::sleep(Duration::from_secs(1)).await;
}
