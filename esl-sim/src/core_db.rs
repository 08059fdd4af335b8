//! The core database's `channels` table, which `show channels` lists: kept from the events
//! the switch fires, as `core_event_handler` in `switch_core_sqldb.c` keeps it. Its columns
//! are those of `create_channels_sql`, in that order.
//!
//! What a column holds is what the handler writes: `CHANNEL_CREATE` inserts the row
//! (without `call_uuid`), `CHANNEL_ORIGINATE` sets `call_uuid` to the event's
//! `Channel-Call-UUID`, `CHANNEL_BRIDGE` sets it on both legs to the bridge's, and
//! `CHANNEL_UNBRIDGE` puts each leg's own uuid back; `CS_ROUTING` fills in the caller and
//! callee, `CHANNEL_EXECUTE` the application, `CHANNEL_DESTROY` deletes the row. A column
//! nothing wrote is NULL, which the listing prints as an empty value. So a channel neither
//! originated nor bridged (a call from the network, the B leg of a loopback pair) has an
//! empty `call_uuid`.

use esl_proto::Event;

use crate::switch::Switch;

/// `create_channels_sql`.
pub(crate) const COLUMNS: [&str; 38] = [
    "uuid",
    "direction",
    "created",
    "created_epoch",
    "name",
    "state",
    "cid_name",
    "cid_num",
    "ip_addr",
    "dest",
    "application",
    "application_data",
    "dialplan",
    "context",
    "read_codec",
    "read_rate",
    "read_bit_rate",
    "write_codec",
    "write_rate",
    "write_bit_rate",
    "secure",
    "hostname",
    "presence_id",
    "presence_data",
    "accountcode",
    "callstate",
    "callee_name",
    "callee_num",
    "callee_direction",
    "call_uuid",
    "sent_callee_name",
    "sent_callee_num",
    "initial_cid_name",
    "initial_cid_num",
    "initial_ip_addr",
    "initial_dest",
    "initial_dialplan",
    "initial_context",
];

fn column(name: &str) -> usize {
    COLUMNS.iter().position(|c| *c == name).unwrap_or(0)
}

/// One row: a value per column, `None` for NULL.
#[derive(Debug, Clone)]
pub(crate) struct Row(pub(crate) [Option<String>; 38]);

impl Row {
    fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0[column(name)] = Some(value.into());
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0[column(name)].as_deref()
    }
}

/// The table, rows in the order they were inserted (the listing's `order by created_epoch`).
#[derive(Debug, Default)]
pub(crate) struct ChannelsTable {
    rows: Vec<Row>,
}

impl ChannelsTable {
    pub(crate) fn rows(&self) -> &[Row] {
        &self.rows
    }

    fn row(&mut self, uuid: &str) -> Option<&mut Row> {
        self.rows.iter_mut().find(|r| r.get("uuid") == Some(uuid))
    }
}

/// `switch_event_get_header_nil`: a header, or an empty value.
fn nil(event: &Event, name: &str) -> String {
    event
        .header(name)
        .map(|v| v.into_owned())
        .unwrap_or_default()
}

impl Switch {
    /// `core_event_handler`, for the `channels` table.
    pub(crate) fn core_db_event(&mut self, event: &Event) {
        let name = event.name().as_str().to_owned();
        let uuid = nil(event, "Unique-ID");
        // Updates apply only while the session exists (`switch_ivr_uuid_exists`).
        let exists = self.channels.contains_key(&uuid);
        let now_secs = self.now_micros() / 1_000_000;
        let hostname = self.config.hostname.clone();
        let table = &mut self.channels_table;
        match name.as_str() {
            "CHANNEL_CREATE" if exists => {
                let mut row = Row(std::array::from_fn(|_| None));
                row.set("uuid", uuid.as_str());
                row.set("direction", nil(event, "Call-Direction"));
                row.set("created", nil(event, "Event-Date-Local"));
                row.set("created_epoch", now_secs.to_string());
                row.set("name", nil(event, "Channel-Name"));
                row.set("state", nil(event, "Channel-State"));
                row.set("callstate", nil(event, "Channel-Call-State"));
                row.set("dialplan", nil(event, "Caller-Dialplan"));
                row.set("context", nil(event, "Caller-Context"));
                row.set("hostname", hostname);
                row.set("initial_cid_name", nil(event, "Caller-Caller-ID-Name"));
                row.set("initial_cid_num", nil(event, "Caller-Caller-ID-Number"));
                row.set("initial_ip_addr", nil(event, "Caller-Network-Addr"));
                row.set("initial_dest", nil(event, "Caller-Destination-Number"));
                row.set("initial_dialplan", nil(event, "Caller-Dialplan"));
                row.set("initial_context", nil(event, "Caller-Context"));
                table.rows.push(row);
            }
            "CHANNEL_DESTROY" => table.rows.retain(|r| r.get("uuid") != Some(uuid.as_str())),
            "CHANNEL_ANSWER" | "CHANNEL_PROGRESS_MEDIA" | "CODEC" if exists => {
                if let Some(row) = table.row(&uuid) {
                    for (col, header) in [
                        ("read_codec", "Channel-Read-Codec-Name"),
                        ("read_rate", "Channel-Read-Codec-Rate"),
                        ("read_bit_rate", "Channel-Read-Codec-Bit-Rate"),
                        ("write_codec", "Channel-Write-Codec-Name"),
                        ("write_rate", "Channel-Write-Codec-Rate"),
                        ("write_bit_rate", "Channel-Write-Codec-Bit-Rate"),
                    ] {
                        row.set(col, nil(event, header));
                    }
                }
            }
            "CHANNEL_EXECUTE" | "CHANNEL_HOLD" | "CHANNEL_UNHOLD" if exists => {
                if let Some(row) = table.row(&uuid) {
                    row.set("application", nil(event, "Application"));
                    row.set("application_data", nil(event, "Application-Data"));
                    presence(row, event);
                }
            }
            "CHANNEL_ORIGINATE" if exists => {
                if let Some(row) = table.row(&uuid) {
                    presence(row, event);
                    row.set("call_uuid", nil(event, "Channel-Call-UUID"));
                }
            }
            "CALL_UPDATE" if exists => {
                if let Some(row) = table.row(&uuid) {
                    callee(row, event);
                    row.set("callee_direction", nil(event, "Direction"));
                    row.set("cid_name", nil(event, "Caller-Caller-ID-Name"));
                    row.set("cid_num", nil(event, "Caller-Caller-ID-Number"));
                }
            }
            "CHANNEL_CALLSTATE" if exists => {
                let number = nil(event, "Channel-Call-State-Number");
                // DOWN and HANGUP are not written.
                if number != "0" && number != "7" {
                    if let Some(row) = table.row(&uuid) {
                        row.set("callstate", nil(event, "Channel-Call-State"));
                    }
                }
            }
            "CHANNEL_STATE" if exists => {
                let number: u32 = nil(event, "Channel-State-Number").parse().unwrap_or(12);
                let Some(row) = table.row(&uuid) else {
                    return;
                };
                match number {
                    // CS_NEW, CS_INIT, CS_HANGUP, CS_REPORTING, CS_DESTROY
                    0 | 1 | 10 | 11 | 12 => {}
                    // CS_ROUTING
                    2 => {
                        row.set("state", nil(event, "Channel-State"));
                        row.set("cid_name", nil(event, "Caller-Caller-ID-Name"));
                        row.set("cid_num", nil(event, "Caller-Caller-ID-Number"));
                        callee(row, event);
                        row.set("ip_addr", nil(event, "Caller-Network-Addr"));
                        row.set("dest", nil(event, "Caller-Destination-Number"));
                        row.set("dialplan", nil(event, "Caller-Dialplan"));
                        row.set("context", nil(event, "Caller-Context"));
                        presence(row, event);
                    }
                    _ => row.set("state", nil(event, "Channel-State")),
                }
            }
            "CHANNEL_BRIDGE" if exists => {
                let (mut a, mut b) = (
                    nil(event, "Bridge-A-Unique-ID"),
                    nil(event, "Bridge-B-Unique-ID"),
                );
                if a.is_empty() || b.is_empty() {
                    a = nil(event, "Caller-Unique-ID");
                    b = nil(event, "Other-Leg-Unique-ID");
                }
                let call = nil(event, "Channel-Call-UUID");
                for row in &mut table.rows {
                    if row.get("uuid").is_some_and(|u| u == a || u == b) {
                        row.set("call_uuid", call.as_str());
                    }
                }
            }
            "CHANNEL_UNBRIDGE" if exists => {
                let call = nil(event, "Channel-Call-UUID");
                for row in &mut table.rows {
                    if row.get("call_uuid") == Some(call.as_str()) {
                        let own = row.get("uuid").unwrap_or_default().to_owned();
                        row.set("call_uuid", own);
                    }
                }
            }
            _ => {}
        }
    }
}

fn presence(row: &mut Row, event: &Event) {
    row.set("presence_id", nil(event, "Channel-Presence-ID"));
    row.set("presence_data", nil(event, "Channel-Presence-Data"));
    row.set("accountcode", nil(event, "variable_accountcode"));
}

fn callee(row: &mut Row, event: &Event) {
    row.set("callee_name", nil(event, "Caller-Callee-ID-Name"));
    row.set("callee_num", nil(event, "Caller-Callee-ID-Number"));
    row.set("sent_callee_name", nil(event, "Sent-Callee-ID-Name"));
    row.set("sent_callee_num", nil(event, "Sent-Callee-ID-Number"));
}
