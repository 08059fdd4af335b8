//! `show channels` lists the core database's `channels` table: every column of
//! `create_channels_sql` in `switch_core_sqldb.c`, in its order, with `call_uuid` as
//! `core_event_handler` keeps it (set by `CHANNEL_ORIGINATE` and `CHANNEL_BRIDGE`, nothing at
//! `CHANNEL_CREATE`). What `Tracker::rebuild` makes of the listing follows from that.

mod common;

use std::time::Duration;

use common::Client;
use esl_proto::Tracker;
use esl_sim::{Config, InboundCall, VirtualSwitch};

const COLUMNS: &str = "uuid,direction,created,created_epoch,name,state,cid_name,cid_num,\
ip_addr,dest,application,application_data,dialplan,context,read_codec,read_rate,read_bit_rate,\
write_codec,write_rate,write_bit_rate,secure,hostname,presence_id,presence_data,accountcode,\
callstate,callee_name,callee_num,callee_direction,call_uuid,sent_callee_name,sent_callee_num,\
initial_cid_name,initial_cid_num,initial_ip_addr,initial_dest,initial_dialplan,initial_context";

fn switch() -> (VirtualSwitch, Client) {
    let switch = VirtualSwitch::new(Config::default().seed(38));
    let client = Client::connect(&switch);
    (switch, client)
}

/// The rows of `show channels as json`, by uuid.
fn rows(client: &mut Client) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let listing: serde_json::Value =
        serde_json::from_str(&client.api("show channels as json")).unwrap();
    listing["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_object().unwrap().clone())
        .collect()
}

fn row<'a>(
    rows: &'a [serde_json::Map<String, serde_json::Value>],
    uuid: &str,
) -> &'a serde_json::Map<String, serde_json::Value> {
    rows.iter().find(|r| r["uuid"] == uuid).unwrap()
}

#[test]
fn every_column_in_freeswitch_order() {
    let (switch, mut client) = switch();
    let a = client.api("originate loopback/park &park");
    let a = a.trim().strip_prefix("+OK ").unwrap().to_owned();
    switch.advance(Duration::from_millis(100));
    let text = client.api("show channels");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(COLUMNS));
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(first.len(), 38);
    assert_eq!(first[0], a, "in the order they were made: the A leg first");
    assert!(text.ends_with("\n\n2 total.\n"));

    // The JSON keeps the table's order too.
    let json = client.api("show channels as json");
    assert!(
        json.starts_with("{\"row_count\":2,\"rows\":[{\"uuid\":"),
        "{json}"
    );
    let first_row = &json[..json.find('}').unwrap()];
    let mut at = 0;
    for column in COLUMNS.split(',') {
        let found = first_row[at..]
            .find(&format!("\"{column}\":"))
            .unwrap_or_else(|| panic!("{column} out of order in {first_row}"));
        at += found + 1;
    }
    let rows = rows(&mut client);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].len(), 38);
    let a_row = row(&rows, &a);
    assert_eq!(a_row["direction"], "outbound");
    assert_eq!(a_row["name"], "loopback/park-a");
    assert_eq!(a_row["hostname"], "sim");
    assert_eq!(a_row["application"], "park");
    assert_eq!(a_row["read_codec"], "L16");
    assert_eq!(a_row["callstate"], "ACTIVE");
}

#[test]
fn loopback_legs_keep_their_own_call_uuids_and_rebuild_as_two_calls() {
    let (switch, mut client) = switch();
    let a = client.api("originate loopback/park &park");
    let a = a.trim().strip_prefix("+OK ").unwrap().to_owned();
    switch.advance(Duration::from_millis(100));
    let rows = rows(&mut client);
    let b = rows.iter().find(|r| r["uuid"] != a.as_str()).unwrap()["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    // CHANNEL_ORIGINATE sets the A leg's to its own Channel-Call-UUID; nothing ever sets
    // the B leg's: the two loopback legs are not bridged in FreeSWITCH's sense.
    assert_eq!(row(&rows, &a)["call_uuid"], a.as_str());
    assert_eq!(row(&rows, &b)["call_uuid"], "");
    assert_eq!(row(&rows, &b)["name"], "loopback/park-b");
    assert_eq!(row(&rows, &b)["callee_name"], "Outbound Call");
    assert_eq!(row(&rows, &b)["callee_num"], "park");
    assert_eq!(row(&rows, &b)["dest"], "park");

    let mut tracker = Tracker::new();
    tracker
        .rebuild(&client.api("show channels as json"))
        .unwrap();
    assert_eq!(tracker.call_of(&a).unwrap().legs, [a.as_str()]);
    assert_eq!(tracker.call_of(&b).unwrap().legs, [b.as_str()]);
}

#[test]
fn a_bridge_gives_both_legs_the_callers_call_uuid_and_rebuild_groups_them() {
    let (switch, mut client) = switch();
    let caller = switch.call(&InboundCall::new("1000", "2000"));
    assert_eq!(
        rows(&mut client)[0]["call_uuid"],
        "",
        "a call from the network: none yet"
    );
    client.send(&format!(
        "sendmsg {caller}\ncall-command: execute\nexecute-app-name: bridge\n\
         execute-app-arg: sofia/gateway/gw/2000"
    ));
    switch.advance(Duration::from_secs(1));
    let bridged = rows(&mut client);
    assert_eq!(bridged.len(), 2);
    let callee = bridged
        .iter()
        .find(|r| r["uuid"] != caller.as_str())
        .unwrap();
    assert_eq!(callee["call_uuid"], caller.as_str());
    assert_eq!(row(&bridged, &caller)["call_uuid"], caller.as_str());
    assert_eq!(row(&bridged, &caller)["application"], "bridge");
    let callee = callee["uuid"].as_str().unwrap().to_owned();

    let mut tracker = Tracker::new();
    tracker
        .rebuild(&client.api("show channels as json"))
        .unwrap();
    assert_eq!(
        tracker.call_of(&callee).unwrap().legs,
        [caller.clone(), callee.clone()]
    );

    // The far end hangs up: the caller's row goes back to its own uuid (CHANNEL_UNBRIDGE),
    // the callee's row goes with its channel.
    switch.with(|s| s.hang_up(&callee, "NORMAL_CLEARING"));
    client.send(&format!(
        "sendmsg {caller}\ncall-command: execute\nexecute-app-name: park"
    ));
    switch.advance(Duration::from_millis(100));
    let left = rows(&mut client);
    assert_eq!(left.len(), 1);
    assert_eq!(row(&left, &caller)["call_uuid"], caller.as_str());
    assert_eq!(row(&left, &caller)["application"], "park");
}

#[test]
fn with_no_channels_the_listing_is_as_recorded() {
    let (_switch, mut client) = switch();
    assert_eq!(client.api("show channels"), "\n0 total.\n");
    assert_eq!(client.api("show channels as json"), "{\"row_count\": 0}\n");
}
