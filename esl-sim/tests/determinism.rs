//! The same seed and the same inputs give byte-identical traffic; another seed does not.

mod common;

use std::time::Duration;

use common::Client;
use esl_sim::{Config, InboundCall, Outcome, VirtualSwitch};

/// FNV-1a, 64 bits: a digest of everything that crossed the wire.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A busy minute of calls: every event format, loopback and network originates with every
/// outcome, a network call bridged out, a conference, a heartbeat. Returns every byte each
/// connection received, one connection after the other.
fn a_busy_minute(seed: u64) -> Vec<u8> {
    let switch = VirtualSwitch::new(
        Config::default()
            .seed(seed)
            .heartbeat(Duration::from_secs(20)),
    );
    switch.with(|s| {
        s.set_outcome("200", Outcome::busy());
        s.set_outcome("300", Outcome::NoAnswer);
        s.set_outcome("400", Outcome::answer_after(Duration::from_secs(2)));
    });
    let mut plain = Client::connect(&switch);
    let mut json = Client::connect(&switch);
    let mut xml = Client::connect(&switch);
    plain.send("event plain ALL");
    json.send("event json ALL");
    xml.send("event xml CHANNEL_CREATE CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB CUSTOM conference::maintenance");
    plain.send("log 7");
    plain.send("bgapi originate loopback/tone &park");
    plain.send("bgapi originate sofia/gateway/gw/200 &park");
    plain.send("bgapi originate {originate_timeout=5}sofia/gateway/gw/300 &park");
    json.send("bgapi originate sofia/gateway/gw/400 &playback(ivr/welcome.wav)");
    xml.send("bgapi originate loopback/conf &park");
    xml.send("bgapi originate loopback/conf &park");
    let caller = switch.call(&InboundCall::new("1000", "5000").var("tenant", "acme"));
    plain.send(&format!(
        "sendmsg {caller}\ncall-command: execute\nexecute-app-name: bridge\nexecute-app-arg: sofia/gateway/gw/400"
    ));
    let mut clients = [plain, json, xml];
    for _ in 0..60 {
        switch.advance(Duration::from_secs(1));
        for client in &mut clients {
            client.read();
        }
    }
    let conf = switch.channels();
    clients[0].send(&format!("api hupall NORMAL_CLEARING {}", conf.len()));
    switch.advance(Duration::from_secs(1));
    clients
        .iter_mut()
        .flat_map(|c| {
            c.read();
            c.wire.clone()
        })
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let (first, second) = (a_busy_minute(7), a_busy_minute(7));
    // Enough happened for the comparison to mean something.
    assert!(first.len() > 100_000, "only {} bytes", first.len());
    let text = String::from_utf8_lossy(&first);
    for expected in [
        "HEARTBEAT",
        "CHANNEL_BRIDGE",
        "USER_BUSY",
        "NO_ANSWER",
        "conference-create",
        "text/event-json",
        "text/event-xml",
        "log/data",
    ] {
        assert!(text.contains(expected), "no {expected} in the traffic");
    }
    assert_eq!(fnv1a(&first), fnv1a(&second));
    assert!(first == second, "same digest, different bytes");
}

#[test]
fn another_seed_gives_other_uuids_and_the_same_calls() {
    let (first, other) = (a_busy_minute(7), a_busy_minute(8));
    assert_ne!(fnv1a(&first), fnv1a(&other));
    // The uuids differ (and so does the order `hupall` takes channels in, uuid order), but
    // the calls are the same: as many of each event.
    let census = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let mut names: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("Event-Name: "))
            .collect();
        names.sort_unstable();
        names.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let (a, b) = (census(&first), census(&other));
    assert!(a.len() > 200, "only {} events", a.len());
    assert_eq!(a, b);
}
