//! What the adapters stand on, driven as an adapter drives it: the shared engine's caller
//! steps, a consumer's end of a stream, a service's switch table.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use esl_proto::apps::{SwitchError, SwitchTable};
use esl_proto::client::{
    ClientConfig, Engine, Expect, Incoming, Overflow, SharedEngine, StreamReader,
};
use esl_proto::{server, Command, Event, EventFormat};

use common::engine::{ready, sent};

type TestEngine = Engine<u32, (), ()>;

/// An adapter's connection state reduced to what the trait asks: the engine under a lock, a
/// fixed clock, and a count of the times the I/O side was woken.
struct Conn {
    engine: Mutex<TestEngine>,
    now: Instant,
    wakes: Mutex<usize>,
}

impl Conn {
    fn ready(config: ClientConfig) -> Arc<Conn> {
        let now = Instant::now();
        Arc::new(Conn {
            engine: Mutex::new(ready(config, now)),
            now,
            wakes: Mutex::new(0),
        })
    }

    fn wakes(&self) -> usize {
        *self.wakes.lock().unwrap()
    }

    /// `n` HEARTBEAT events from the switch.
    fn heartbeats(&self, n: usize) {
        let event = server::encode_event(&Event::builder("HEARTBEAT").build(), EventFormat::Plain);
        self.with_engine(|engine| {
            for _ in 0..n {
                engine.receive(self.now, &event);
            }
        });
    }
}

impl SharedEngine for Conn {
    type Waiter = u32;
    type Handler = ();
    type StreamWaker = ();

    fn with_engine<T>(&self, f: impl FnOnce(&mut TestEngine) -> T) -> T {
        f(&mut self.engine.lock().unwrap())
    }

    fn now(&self) -> Instant {
        self.now
    }

    fn wake_io(&self) {
        *self.wakes.lock().unwrap() += 1;
    }
}

#[test]
fn each_caller_step_reaches_the_engine_and_wakes_the_io_side() {
    let conn = Conn::ready(ClientConfig::password("ClueCon"));
    let (api, uuid, _) = conn
        .start(Command::api("status"), Expect::Api, None)
        .unwrap();
    assert_eq!(uuid, None);
    let (job, uuid, _) = conn
        .start(Command::bgapi("status"), Expect::Job, None)
        .unwrap();
    let uuid = uuid.expect("a job goes out with a Job-UUID");
    assert_ne!(api, job);
    assert_eq!(conn.wakes(), 2);
    // (The job's BACKGROUND_JOB subscription goes out before it.)
    let written = conn.with_engine(sent);
    assert_eq!(
        written.first(),
        Some(&Command::api("status")),
        "{written:?}"
    );
    assert_eq!(
        written.last(),
        Some(&Command::bgapi_with_uuid("status", &uuid))
    );

    conn.cancel(job);
    assert_eq!(conn.wakes(), 3);
    assert!(!conn.with_engine(|engine| engine.is_closing()));
    conn.close();
    assert_eq!(conn.wakes(), 4);
    assert!(conn.with_engine(|engine| engine.is_closing()));
    let written = conn.with_engine(sent);
    assert_eq!(written.last(), Some(&Command::Exit), "{written:?}");
    // A closed engine refuses new requests, and the I/O side is not woken for nothing.
    assert!(conn
        .start(Command::api("status"), Expect::Api, None)
        .is_err());
    assert_eq!(conn.wakes(), 4);
}

#[test]
fn a_reader_takes_its_stream_in_batches_and_counts_what_waits() {
    let conn = Conn::ready(ClientConfig::password("ClueCon"));
    let mut events = StreamReader::open(conn.clone(), ());
    assert!(events.is_empty() && events.try_recv().is_none());
    conn.heartbeats(300);
    assert_eq!(events.len(), 300);
    assert!(!events.is_empty());
    assert!(events.next_taken().is_none(), "nothing taken before asking");
    assert!(matches!(events.try_recv(), Some(Incoming::Event(e)) if e.is("HEARTBEAT")));
    // One lock took a batch: the rest of it is handed out without the engine.
    let mut taken = 1;
    while events.next_taken().is_some() {
        taken += 1;
    }
    assert_eq!(taken, 256, "one batch");
    assert_eq!(events.len(), 300 - 256);
    while events.try_recv().is_some() {
        taken += 1;
    }
    assert_eq!(taken, 300);
    assert!(events.is_empty() && !events.is_ended());
    assert_eq!(events.dropped(), 0);
}

#[test]
fn a_full_stream_under_backpressure_resumes_the_reading_when_drained_or_dropped() {
    let config = ClientConfig::password("ClueCon")
        .overflow(Overflow::Backpressure)
        .event_capacity(4);
    let conn = Conn::ready(config);
    let mut events = StreamReader::open(conn.clone(), ());
    conn.heartbeats(4);
    assert!(!conn.with_engine(|engine| engine.wants_read()));
    let before = conn.wakes();
    assert!(events.try_recv().is_some());
    assert!(conn.with_engine(|engine| engine.wants_read()));
    assert_eq!(
        conn.wakes(),
        before + 1,
        "drained: the I/O side reads again"
    );
    // Taking from what is already out does not wake anyone.
    assert!(events.try_recv().is_some());
    assert_eq!(conn.wakes(), before + 1);

    drop(events);

    // A consumer that goes away lets the reading go on too.
    let dropped = StreamReader::open(conn.clone(), ());
    conn.heartbeats(4);
    assert!(!conn.with_engine(|engine| engine.wants_read()));
    let before = conn.wakes();
    drop(dropped);
    assert_eq!(conn.wakes(), before + 1);
    assert!(conn.with_engine(|engine| engine.wants_read()));
}

#[test]
fn a_reader_counts_what_the_overflow_policy_dropped() {
    let config = ClientConfig::password("ClueCon")
        .overflow(Overflow::DropNewest)
        .event_capacity(2);
    let conn = Conn::ready(config);
    let mut events = StreamReader::open(conn.clone(), ());
    conn.heartbeats(5);
    assert_eq!(events.dropped(), 3);
    assert_eq!(
        events.len(),
        2 + 1,
        "two events and the gap that says three were lost"
    );
    let mut items = Vec::new();
    while let Some(item) = events.try_recv() {
        items.push(item);
    }
    assert_eq!(items.len(), 3, "{items:?}");
}

#[test]
fn a_reader_ends_once_the_engine_finished_and_everything_was_handed_out() {
    let conn = Conn::ready(ClientConfig::password("ClueCon"));
    let mut events = StreamReader::open(conn.clone(), ());
    conn.heartbeats(2);
    conn.close();
    conn.with_engine(|engine| engine.receive_eof(conn.now));
    assert!(events.try_recv().is_some());
    assert!(!events.is_ended(), "one event still to hand out");
    assert!(events.try_recv().is_some());
    assert!(events.try_recv().is_none());
    assert!(events.is_ended());
}

#[test]
fn tracking_asks_for_the_listing_at_once() {
    let conn = Conn::ready(ClientConfig::password("ClueCon"));
    let before = conn.wakes();
    conn.track();
    assert_eq!(conn.wakes(), before + 1);
    assert!(conn.with_engine(|engine| engine.tracker().is_some()));
    let written = conn.with_engine(sent);
    assert!(
        written.contains(&Command::api("show channels as json")),
        "{written:?}"
    );
}

#[test]
fn a_change_reader_asks_for_the_listing_at_once() {
    let conn = Conn::ready(ClientConfig::password("ClueCon"));
    let before = conn.wakes();
    let changes = StreamReader::open_changes(conn.clone(), ());
    assert_eq!(conn.wakes(), before + 1);
    let written = conn.with_engine(sent);
    assert!(
        written
            .iter()
            .any(|c| *c == Command::api("show channels as json")),
        "the table's listing goes out: {written:?}"
    );
    assert!(conn.with_engine(|engine| engine.tracker().is_some()));
    assert!(format!("{changes:?}").contains("queued"));
}

#[test]
fn a_switch_table_keeps_names_unique_and_in_order() {
    let mut switches = SwitchTable::new();
    assert!(switches.names().is_empty() && switches.get("fs1").is_none());
    switches.insert("fs1".into(), 1).unwrap();
    switches.insert("fs2".into(), 2).unwrap();
    assert_eq!(switches.check_free("fs3"), Ok(()));
    assert_eq!(
        switches.check_free("fs2"),
        Err(SwitchError::Taken("fs2".into()))
    );
    assert_eq!(
        switches.insert("fs1".into(), 3),
        Err((SwitchError::Taken("fs1".into()), 3))
    );
    assert_eq!(switches.names(), ["fs1", "fs2"]);
    assert_eq!(switches.get("fs2"), Some(&2));
    assert_eq!(switches.find("fs1"), Ok(&1));
    assert_eq!(
        switches.find("fs9"),
        Err(SwitchError::Unknown("fs9".into()))
    );
    let listed: Vec<(String, i32)> = switches
        .iter()
        .map(|(name, switch)| (name.to_string(), *switch))
        .collect();
    assert_eq!(listed, [("fs1".to_string(), 1), ("fs2".to_string(), 2)]);
    let taken: Vec<i32> = switches.take_all().into_iter().map(|(_, s)| s).collect();
    assert_eq!(taken, [1, 2]);
    assert!(switches.names().is_empty());
    assert_eq!(
        SwitchError::Taken("fs1".into()).to_string(),
        "a switch called fs1 is already added"
    );
    assert_eq!(
        SwitchError::Unknown("fs1".into()).to_string(),
        "no switch called fs1"
    );
}
