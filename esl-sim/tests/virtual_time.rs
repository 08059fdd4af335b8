//! Virtual time: everything scheduled (an originate's timeout, a linger, a heartbeat, a
//! playback) happens at its virtual instant, however little wall time passes.

mod common;

use std::time::{Duration, Instant};

use common::{about, Client};
use esl_sim::{Config, Outcome, VirtualSwitch};

/// The captures' date: virtual time zero.
const EPOCH_MICROS: u64 = 1_795_421_405_000_000;

#[test]
#[allow(clippy::print_stdout)] // the wall time is reported, never asserted
fn a_60_second_originate_timeout_passes_in_virtual_time() {
    let started = Instant::now();
    let switch = VirtualSwitch::new(Config::default().seed(3));
    switch.with(|s| s.set_default_outcome(Outcome::NoAnswer));
    // The originating connection waits for its `api` (events to it wait too), so a second
    // one watches.
    let mut watcher = Client::connect(&switch);
    watcher.send("event plain CHANNEL_PROGRESS CHANNEL_HANGUP");
    let mut client = Client::connect(&switch);
    client.send("api originate sofia/gateway/gw/5551234 &park");
    let ringing = watcher.events();
    assert_eq!(ringing.len(), 1, "the far end rings");
    let leg = ringing[0].unique_id().unwrap().into_owned();

    switch.advance(Duration::from_millis(59_999));
    assert!(client.read().is_empty(), "still ringing at 59.999 s");
    switch.advance(Duration::from_millis(1));
    let reply = client.read();
    assert_eq!(&reply[0].body()[..], b"-ERR NO_ANSWER\n");
    let events = watcher.events();
    let hangup = about(&events, &leg)[0];
    assert_eq!(hangup.hangup_cause().as_deref(), Some("NO_ANSWER"));
    // The event is dated sixty seconds after time zero.
    assert_eq!(hangup.timestamp_micros(), Some(EPOCH_MICROS + 60_000_000));
    assert_eq!(switch.now(), Duration::from_secs(60));
    // Not an assertion (wall time depends on the machine): what it cost.
    println!(
        "60 s of virtual time took {:?} of wall time",
        started.elapsed()
    );
}

#[test]
fn linger_waits_its_seconds_then_says_goodbye() {
    let switch = VirtualSwitch::new(Config::default().seed(4));
    let mut control = Client::connect(&switch);
    let uuid = control
        .api("originate loopback/park &park")
        .trim()
        .trim_start_matches("+OK ")
        .to_owned();
    let mut bound = Client::connect(&switch);
    assert_eq!(
        bound.reply(&format!("myevents {uuid}")),
        "+OK Events Enabled"
    );
    assert_eq!(bound.reply("linger 2"), "+OK will linger 2 seconds");
    bound.read();
    control.api(&format!("uuid_kill {uuid}"));
    let notice = bound.read();
    let linger = notice
        .iter()
        .find(|m| m.headers().text("Content-Disposition").as_deref() == Some("linger"))
        .expect("a linger notice");
    assert_eq!(linger.headers().text("Linger-Time").as_deref(), Some("2"));
    switch.advance(Duration::from_millis(1999));
    assert!(bound.read().is_empty() && !bound.is_closed());
    switch.advance(Duration::from_millis(1));
    let goodbye = bound.read();
    assert_eq!(
        goodbye[0].headers().text("Content-Disposition").as_deref(),
        Some("disconnect")
    );
    assert!(bound.is_closed());
}

#[test]
fn heartbeats_come_at_their_interval_and_playback_at_its_cadence() {
    let switch = VirtualSwitch::new(Config::default().seed(5).heartbeat(Duration::from_secs(20)));
    let mut client = Client::connect(&switch);
    client.send("event plain HEARTBEAT PLAYBACK_STOP");
    let uuid = client
        .api("originate loopback/park &park")
        .trim()
        .trim_start_matches("+OK ")
        .to_owned();
    // Three loops of 200 ms on and 100 ms off: 900 ms.
    client.send(&format!(
        "sendmsg {uuid}\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: tone_stream://%(200,100,440);loops=3"
    ));
    switch.advance(Duration::from_millis(899));
    assert!(client.events().is_empty());
    switch.advance(Duration::from_millis(1));
    let stop = client.events();
    assert_eq!(stop.len(), 1);
    assert_eq!(stop[0].timestamp_micros(), Some(EPOCH_MICROS + 900_000));

    switch.advance(Duration::from_secs(60));
    let beats: Vec<u64> = client
        .events()
        .iter()
        .filter(|e| e.is("HEARTBEAT"))
        .filter_map(|e| e.timestamp_micros())
        .collect();
    assert_eq!(
        beats,
        [20, 40, 60].map(|s| EPOCH_MICROS + s * 1_000_000),
        "one every 20 s"
    );
    assert_eq!(switch.next_timer(), Some(Duration::from_secs(80)));
}

#[test]
fn a_delayed_reply_comes_at_its_time_and_holds_back_what_follows() {
    let switch = VirtualSwitch::new(Config::default().seed(6));
    let mut client = Client::connect(&switch);
    switch.with(|s| s.set_fault(esl_sim::Fault::DelayReplies(Duration::from_millis(400))));
    client.send("api eval one");
    client.send("api eval two");
    switch.advance(Duration::from_millis(399));
    assert!(client.read().is_empty());
    switch.advance(Duration::from_millis(1));
    let first = client.read();
    assert_eq!(first.len(), 1);
    assert_eq!(&first[0].body()[..], b"one");
    switch.advance(Duration::from_millis(400));
    assert_eq!(&client.read()[0].body()[..], b"two");
}
