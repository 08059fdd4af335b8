//! What users test most: calls from the network with their caller, destination and
//! variables; far ends that answer, ring out or refuse, with FreeSWITCH's causes; bridges
//! and their events; and the inspection API.

mod common;

use std::time::Duration;

use common::{about, header_names, names, Client};
use esl_sim::testing::assert_ran;
use esl_sim::{Config, InboundCall, Outcome, Route, VirtualSwitch};

fn switch() -> VirtualSwitch {
    VirtualSwitch::new(Config::default().seed(11))
}

fn execute(client: &mut Client, uuid: &str, app: &str, arg: &str) {
    client.send(&format!(
        "sendmsg {uuid}\ncall-command: execute\nexecute-app-name: {app}\nexecute-app-arg: {arg}"
    ));
}

#[test]
fn a_network_call_arrives_with_its_caller_destination_and_variables() {
    let switch = switch();
    let mut client = Client::connect(&switch);
    client.send("event plain CHANNEL_CREATE CHANNEL_PARK");
    let call = InboundCall::new("+15551230000", "8000")
        .caller_name("Alice")
        .var("sip_h_X-Tenant", "acme");
    let uuid = switch.call(&call);
    let events = client.events();
    assert_eq!(names(&events), ["CHANNEL_CREATE", "CHANNEL_PARK"]);
    for event in &events {
        assert_eq!(event.unique_id().as_deref(), Some(uuid.as_str()));
        assert_eq!(
            event.header("Caller-Caller-ID-Number").as_deref(),
            Some("+15551230000")
        );
        assert_eq!(
            event.header("Caller-Caller-ID-Name").as_deref(),
            Some("Alice")
        );
        assert_eq!(
            event.header("Caller-Destination-Number").as_deref(),
            Some("8000")
        );
        assert_eq!(event.call_direction().as_deref(), Some("inbound"));
        assert_eq!(event.variable("sip_h_X-Tenant").as_deref(), Some("acme"));
    }
    let info = switch.with(|s| s.channel(&uuid)).unwrap();
    assert_eq!(info.caller, "+15551230000");
    assert_eq!(info.destination, "8000");
    assert_eq!(info.application, Some(("park".into(), String::new())));
    assert!(!info.answered);
    // Routed in code: early media, answer and play.
    client.send("event plain CHANNEL_PROGRESS_MEDIA CHANNEL_ANSWER");
    execute(&mut client, &uuid, "pre_answer", "");
    execute(&mut client, &uuid, "answer", "");
    let answered = client.events();
    assert_eq!(
        names(&answered),
        ["CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER"]
    );
    assert_eq!(
        answered[0].variable("endpoint_disposition").as_deref(),
        Some("EARLY MEDIA")
    );
    assert_eq!(
        answered[1].call_state().as_deref(),
        Some("EARLY"),
        "the state before ACTIVE"
    );
    execute(&mut client, &uuid, "playback", "ivr/welcome.wav");
    switch.advance(Duration::from_secs(1));
    assert_ran(
        &switch.applications(&uuid),
        &[
            ("park", ""),
            ("answer", ""),
            ("playback", "ivr/welcome.wav"),
        ],
    );
    assert!(switch.with(|s| s.channel(&uuid)).unwrap().answered);
}

#[test]
fn a_network_call_goes_to_an_outbound_socket_or_an_extension() {
    let switch = switch();
    let uuid = switch.call(
        &InboundCall::new("1000", "5000")
            .var("vip", "yes")
            .route(Route::Socket),
    );
    let accepted = switch.accept().expect("the socket application connected");
    assert_eq!(accepted.channel, uuid);
    assert_eq!(accepted.target, "127.0.0.1:8084");
    let mut socket = Client::on(&switch, accepted.conn);
    socket.send("connect");
    let reply = &socket.read()[0];
    assert_eq!(
        reply.headers().text("Unique-ID").as_deref(),
        Some(uuid.as_str())
    );
    assert_eq!(reply.headers().text("variable_vip").as_deref(), Some("yes"));
    assert_eq!(
        switch.with(|s| s.outbound_connection(&uuid)),
        Some(accepted.conn)
    );

    // No outbound server: the socket application fails and the call is cleared.
    switch.refuse_outbound(true);
    let refused = switch.call(&InboundCall::new("1000", "5001").route(Route::Socket));
    assert!(!switch.channels().contains(&refused));
    assert_ran(
        &switch.applications(&refused),
        &[("socket", "127.0.0.1:8084 async full")],
    );

    let echo =
        switch.call(&InboundCall::new("1000", "9196").route(Route::Extension("9196".into())));
    assert_ran(&switch.applications(&echo), &[("answer", ""), ("echo", "")]);
    let nowhere =
        switch.call(&InboundCall::new("1000", "1").route(Route::Extension("nope".into())));
    assert!(!switch.channels().contains(&nowhere));
}

#[test]
fn outcomes_come_back_with_freeswitch_causes() {
    let switch = switch();
    switch.with(|s| {
        s.set_outcome("200", Outcome::busy());
        s.set_outcome("sofia/gateway/gw/300", Outcome::rejected());
        s.set_outcome("400", Outcome::answer_after(Duration::from_secs(3)));
        s.set_outcome("500", Outcome::NoAnswer);
        s.set_outcome("600", Outcome::reject("UNALLOCATED_NUMBER"));
    });
    let mut client = Client::connect(&switch);
    client
        .send("event plain CHANNEL_PROGRESS CHANNEL_ANSWER CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE");
    client.read();
    assert_eq!(
        client.api("originate sofia/gateway/gw/200 &park"),
        "-ERR USER_BUSY\n"
    );
    let events = client.events();
    let hangup = events.iter().find(|e| e.is("CHANNEL_HANGUP")).unwrap();
    assert_eq!(hangup.hangup_cause().as_deref(), Some("USER_BUSY"));
    let complete = events
        .iter()
        .find(|e| e.is("CHANNEL_HANGUP_COMPLETE"))
        .unwrap();
    assert_eq!(
        complete.variable("hangup_cause_q850").as_deref(),
        Some("17")
    );
    assert_eq!(
        client.api("originate sofia/gateway/gw/300 &park"),
        "-ERR CALL_REJECTED\n"
    );
    assert_eq!(
        client.api("originate sofia/gateway/gw/600 &park"),
        "-ERR UNALLOCATED_NUMBER\n"
    );
    // mod_dptools' error endpoint fails without a channel.
    assert_eq!(
        client.api("originate error/user_busy &park"),
        "-ERR USER_BUSY\n"
    );
    assert!(client
        .events()
        .iter()
        .all(|e| !e.is("CHANNEL_HANGUP") || e.hangup_cause().is_some()));

    // Rings three seconds, then answers: the reply waits for it, in virtual time.
    client.read();
    client.send("api originate sofia/gateway/gw/400 &park");
    switch.advance(Duration::from_millis(2999));
    assert!(client
        .read()
        .iter()
        .all(|m| m.body().is_empty() || !m.body().starts_with(b"+OK")));
    switch.advance(Duration::from_millis(1));
    let answered = client.read();
    let reply = answered
        .iter()
        .find(|m| m.body().starts_with(b"+OK "))
        .unwrap();
    let uuid = String::from_utf8_lossy(&reply.body()[4..])
        .trim()
        .to_owned();
    assert!(switch.channels().contains(&uuid));

    // The originate's own timeout argument (seconds) bounds a far end that never answers.
    client.send("api originate sofia/gateway/gw/500 &park XML default Bob 1000 5");
    switch.advance(Duration::from_secs(5));
    let out = client.read();
    assert!(out.iter().any(|m| &m.body()[..] == b"-ERR NO_ANSWER\n"));
    let cause = out
        .iter()
        .filter_map(common::event_of)
        .find(|e| e.is("CHANNEL_HANGUP"))
        .and_then(|e| e.hangup_cause().map(|c| c.into_owned()));
    assert_eq!(cause.as_deref(), Some("NO_ANSWER"));

    // bgapi: the same result in the job's body.
    client.send("event plain BACKGROUND_JOB");
    client.send("bgapi originate sofia/gateway/gw/200 &park");
    let job = client
        .events()
        .into_iter()
        .find(|e| e.is("BACKGROUND_JOB"))
        .unwrap();
    assert_eq!(job.body_text().as_deref(), Some("-ERR USER_BUSY\n"));
}

#[test]
fn commands_wait_behind_an_originate_as_they_do_on_one_socket() {
    let switch = switch();
    switch.with(|s| s.set_default_outcome(Outcome::answer_after(Duration::from_secs(2))));
    let mut client = Client::connect(&switch);
    client.send("api originate sofia/gateway/gw/1 &park");
    client.send("api eval after");
    assert!(
        client.read().is_empty(),
        "nothing before the far end answers"
    );
    assert!(!switch.with(|s| s.is_reading(client.conn)));
    switch.advance(Duration::from_secs(2));
    let replies: Vec<String> = client
        .read()
        .iter()
        .map(|m| String::from_utf8_lossy(m.body()).into_owned())
        .collect();
    assert!(replies[0].starts_with("+OK "), "{replies:?}");
    assert_eq!(replies[1], "after");
}

#[test]
fn a_bridge_fires_its_events_with_the_other_leg() {
    let switch = switch();
    switch.with(|s| s.set_outcome("9000", Outcome::answer_after(Duration::from_secs(1))));
    let mut client = Client::connect(&switch);
    client.send("event plain CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_PROGRESS CHANNEL_ANSWER CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP");
    let a = switch.call(&InboundCall::new("1000", "5000"));
    execute(&mut client, &a, "bridge", "sofia/gateway/gw/9000");
    switch.advance(Duration::from_secs(1));
    let events = client.events();
    let bridge = events
        .iter()
        .find(|e| e.is("CHANNEL_BRIDGE"))
        .expect("a bridge");
    let b = bridge.header("Bridge-B-Unique-ID").unwrap().into_owned();
    assert_eq!(bridge.unique_id().as_deref(), Some(a.as_str()));
    assert_eq!(
        bridge.header("Bridge-A-Unique-ID").as_deref(),
        Some(a.as_str())
    );
    // switch_ivr_multi_threaded_bridge adds Bridge-A/B before the channel data.
    let headers = header_names(bridge);
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    assert!(at("Bridge-B-Unique-ID") < at("Channel-State"));
    assert_eq!(bridge.header("Other-Type").as_deref(), Some("originatee"));
    assert_eq!(
        bridge.header("Other-Leg-Unique-ID").as_deref(),
        Some(b.as_str())
    );
    assert_eq!(
        bridge.header("Other-Leg-Destination-Number").as_deref(),
        Some("9000")
    );
    assert!(at("Other-Leg-Unique-ID") < at("variable_uuid"));
    // The far end rang, then answered, then the caller was answered.
    let far: Vec<String> = about(&events, &b)
        .iter()
        .map(|e| e.name().as_str().to_owned())
        .collect();
    assert_eq!(far, ["CHANNEL_PROGRESS", "CHANNEL_ANSWER"]);
    let far_answer = about(&events, &b)[1];
    assert_eq!(
        far_answer.header("Other-Type").as_deref(),
        Some("originator")
    );
    assert_eq!(
        far_answer.header("Other-Leg-Unique-ID").as_deref(),
        Some(a.as_str())
    );
    let info = switch.with(|s| s.channel(&a)).unwrap();
    assert_eq!(info.bridged_to.as_deref(), Some(b.as_str()));
    assert_eq!(info.variable("bridge_uuid"), Some(b.as_str()));

    // The far end hangs up: the bridge ends on the caller, which stays parked.
    assert!(switch.with(|s| s.hang_up(&b, "NORMAL_CLEARING")));
    let events = client.events();
    let on_a: Vec<String> = about(&events, &a)
        .iter()
        .map(|e| e.name().as_str().to_owned())
        .collect();
    assert_eq!(on_a, ["CHANNEL_UNBRIDGE", "CHANNEL_EXECUTE_COMPLETE"]);
    let unbridge = about(&events, &a)[0];
    assert_eq!(
        unbridge.header("Bridge-B-Unique-ID").as_deref(),
        Some(b.as_str())
    );
    assert!(switch.channels().contains(&a));
    assert_eq!(
        switch
            .with(|s| s.channel_variable(&a, "bridge_hangup_cause"))
            .as_deref(),
        Some("NORMAL_CLEARING")
    );

    // With hangup_after_bridge, the caller goes with its peer.
    execute(&mut client, &a, "set", "hangup_after_bridge=true");
    execute(&mut client, &a, "bridge", "sofia/gateway/gw/9000");
    switch.advance(Duration::from_secs(1));
    let b2 = switch.with(|s| s.channel(&a)).unwrap().bridged_to.unwrap();
    switch.with(|s| s.hang_up(&b2, "NORMAL_CLEARING"));
    assert!(!switch.channels().contains(&a));
    assert_ran(
        &switch.applications(&a),
        &[
            ("park", ""),
            ("bridge", "sofia/gateway/gw/9000"),
            ("bridge", "sofia/gateway/gw/9000"),
        ],
    );
}

#[test]
fn a_failed_bridge_hangs_up_the_caller_unless_told_to_continue() {
    let switch = switch();
    switch.with(|s| s.set_default_outcome(Outcome::busy()));
    let mut client = Client::connect(&switch);
    let a = switch.call(&InboundCall::new("1000", "5000"));
    execute(&mut client, &a, "bridge", "sofia/gateway/gw/1");
    assert!(
        !switch.channels().contains(&a),
        "USER_BUSY hangs up the caller"
    );

    let b = switch.call(&InboundCall::new("1000", "5001").var("continue_on_fail", "true"));
    execute(&mut client, &b, "bridge", "sofia/gateway/gw/1");
    let info = switch.with(|s| s.channel(&b)).expect("continued");
    assert_eq!(info.variable("DIALSTATUS"), Some("BUSY"));
    assert_eq!(info.variable("originate_disposition"), Some("USER_BUSY"));

    // No answer always continues (mod_dptools), after the bridge's call_timeout.
    switch.with(|s| s.set_default_outcome(Outcome::NoAnswer));
    let c = switch.call(&InboundCall::new("1000", "5002").var("call_timeout", "20"));
    execute(&mut client, &c, "bridge", "sofia/gateway/gw/1");
    switch.advance(Duration::from_secs(20));
    let info = switch
        .with(|s| s.channel(&c))
        .expect("continued after no answer");
    assert_eq!(info.variable("DIALSTATUS"), Some("NOANSWER"));

    // The caller hangs up while the far end rings: the far end is cancelled.
    let d = switch.call(&InboundCall::new("1000", "5003"));
    execute(&mut client, &d, "bridge", "sofia/gateway/gw/1");
    let ringing: Vec<String> = switch
        .channels()
        .into_iter()
        .filter(|u| {
            switch
                .with(|s| s.channel(u))
                .is_some_and(|c| c.direction == "outbound")
        })
        .collect();
    assert_eq!(ringing.len(), 1);
    client.send("event plain CHANNEL_HANGUP");
    switch.with(|s| s.hang_up(&d, "NORMAL_CLEARING"));
    let cancelled = client
        .events()
        .into_iter()
        .find(|e| e.unique_id().as_deref() == Some(ringing[0].as_str()))
        .unwrap();
    assert_eq!(
        cancelled.hangup_cause().as_deref(),
        Some("ORIGINATOR_CANCEL")
    );
}

#[test]
fn uuid_bridge_joins_two_calls_and_the_survivor_is_cleared_when_the_other_leaves() {
    let switch = switch();
    let mut client = Client::connect(&switch);
    let a = switch.call(&InboundCall::new("1000", "5000"));
    let b = switch.call(&InboundCall::new("2000", "6000"));
    client.send("event plain ALL");
    client.read();
    assert_eq!(
        client.api(&format!("uuid_bridge {a} {b}")),
        format!("+OK {b}\n")
    );
    let events = client.events();
    let on_a: Vec<String> = about(&events, &a)
        .iter()
        .map(|e| e.name().as_str().to_owned())
        .collect();
    assert_eq!(
        on_a,
        [
            "CHANNEL_UNPARK",
            "CHANNEL_EXECUTE_COMPLETE",
            "CHANNEL_EXECUTE",
            "CHANNEL_ANSWER",
            "CHANNEL_CALLSTATE",
            "CHANNEL_BRIDGE"
        ]
    );
    let bridge = about(&events, &a)[5];
    assert_eq!(
        bridge.header("Other-Leg-Unique-ID").as_deref(),
        Some(b.as_str())
    );
    assert_eq!(
        bridge.header("Other-Leg-Caller-ID-Number").as_deref(),
        Some("2000")
    );
    switch.with(|s| s.hang_up(&b, "NORMAL_CLEARING"));
    let events = client.events();
    assert_eq!(about(&events, &a)[0].name().as_str(), "CHANNEL_UNBRIDGE");
    // Its extension (a park, which the bridge ended) has nothing left: cleared.
    assert!(switch.channels().is_empty());
    assert_ran(
        &switch.applications(&a),
        &[("park", ""), ("uuid_bridge", &b)],
    );
}

#[test]
fn the_inspection_api_sees_channels_applications_and_commands() {
    let switch = switch();
    let mut first = Client::connect(&switch);
    let mut second = Client::connect(&switch);
    let uuid = first
        .api("originate loopback/park &park")
        .trim()
        .trim_start_matches("+OK ")
        .to_owned();
    second.api(&format!("uuid_setvar {uuid} colour blue"));
    execute(&mut second, &uuid, "playback", "tone_stream://%(100,0,350)");
    switch.advance(Duration::from_secs(1));
    let seen = switch.with(|s| {
        assert_eq!(s.connections(), 2);
        assert_eq!(s.connection_ids(), [first.conn, second.conn]);
        let lines: Vec<String> = s
            .commands_on(second.conn)
            .iter()
            .map(|r| r.line().to_owned())
            .collect();
        assert_eq!(
            lines,
            [
                "auth ClueCon".to_owned(),
                format!("api uuid_setvar {uuid} colour blue"),
                format!("sendmsg {uuid}"),
            ]
        );
        let sendmsg = &s.commands_on(second.conn)[2];
        assert_eq!(
            sendmsg.raw.headers.text("execute-app-name").as_deref(),
            Some("playback")
        );
        assert_eq!(s.commands().len(), 5);
        s.channels()
    });
    assert_eq!(seen.len(), 2, "both loopback legs live");
    assert!(seen.contains(&uuid));
    assert_eq!(
        switch
            .with(|s| s.channel_variable(&uuid, "colour"))
            .as_deref(),
        Some("blue")
    );
    assert_ran(
        &switch.applications(&uuid),
        &[("park", ""), ("playback", "tone_stream://%(100,0,350)")],
    );
    // The history outlives the channel.
    first.api(&format!("uuid_kill {uuid}"));
    assert!(switch.channels().is_empty());
    assert_eq!(switch.applications(&uuid).len(), 2);
}
