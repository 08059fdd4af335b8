//! Rebuilding the tables from `show channels as json`, after events were missed (a
//! reconnect): the channels come back exactly; calls and conferences as far as the listing
//! tells.

use serde_json::Value;

use super::{Change, Tracker};
use crate::event::Event;

/// Why `show channels as json` output could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RebuildError {
    /// Not the JSON object `show channels as json` prints.
    #[error("not show channels output: {0}")]
    Malformed(String),
}

/// The columns of `show channels` read into a channel, and the event header each becomes.
/// (`switch_core_sqldb.c` creates the `channels` table with these among its columns; the
/// listing prints them by name.)
const COLUMNS: [(&str, &str); 7] = [
    ("direction", "Call-Direction"),
    ("name", "Channel-Name"),
    ("state", "Channel-State"),
    ("callstate", "Channel-Call-State"),
    ("cid_name", "Caller-Caller-ID-Name"),
    ("cid_num", "Caller-Caller-ID-Number"),
    ("dest", "Caller-Destination-Number"),
];

impl Tracker {
    /// The events a tracker must see to keep its tables: every channel event it reads, the
    /// `CHANNEL_DESTROY` that removes a channel included, and `conference::maintenance`.
    pub const EVENTS: [&'static str; 15] = [
        "CHANNEL_CREATE",
        "CHANNEL_DESTROY",
        "CHANNEL_STATE",
        "CHANNEL_CALLSTATE",
        "CHANNEL_ANSWER",
        "CHANNEL_HANGUP",
        "CHANNEL_HANGUP_COMPLETE",
        "CHANNEL_BRIDGE",
        "CHANNEL_UNBRIDGE",
        "CHANNEL_EXECUTE",
        "CHANNEL_EXECUTE_COMPLETE",
        "CHANNEL_ORIGINATE",
        "CHANNEL_PARK",
        "CHANNEL_UNPARK",
        "conference::maintenance",
    ];

    /// Replaces the channel and call tables with what `show channels as json` lists (the
    /// conferences are kept: the listing says nothing of them). Each listed channel is
    /// reported as [`Change::ChannelCreated`]; legs whose `call_uuid` names another listed
    /// channel are grouped with it. What the listing does not carry (answer and hang-up
    /// times, variables) stays unknown until the channel's next event.
    ///
    /// ```
    /// use esl_proto::{Change, Tracker};
    ///
    /// let mut tracker = Tracker::new();
    /// let listing = r#"{"row_count":2,"rows":[
    ///   {"uuid":"a","direction":"inbound","state":"CS_EXECUTE","callstate":"ACTIVE","dest":"1000","call_uuid":"a"},
    ///   {"uuid":"b","direction":"outbound","state":"CS_EXCHANGE_MEDIA","callstate":"ACTIVE","dest":"2000","call_uuid":"a"}]}"#;
    /// let changes = tracker.rebuild(listing).unwrap();
    /// assert!(changes.contains(&Change::ChannelCreated("b".into())));
    /// assert_eq!(tracker.channel("a").unwrap().destination.as_deref(), Some("1000"));
    /// assert_eq!(tracker.call_of("b").unwrap().legs, ["a", "b"]);
    /// assert!(tracker.rebuild("-ERR no").is_err());
    /// ```
    pub fn rebuild(&mut self, show_channels: &str) -> Result<Vec<Change>, RebuildError> {
        let listing: Value = serde_json::from_str(show_channels.trim())
            .map_err(|e| RebuildError::Malformed(e.to_string()))?;
        let Some(object) = listing.as_object() else {
            return Err(RebuildError::Malformed("not an object".into()));
        };
        // With no channel, the listing is `{"row_count": 0}`, without `rows`.
        let rows = match object.get("rows") {
            Some(Value::Array(rows)) => rows.as_slice(),
            Some(_) => return Err(RebuildError::Malformed("rows is not a list".into())),
            None => &[],
        };
        let conferences = std::mem::take(&mut self.conferences);
        let members = self.members;
        self.clear();
        self.conferences = conferences;
        self.members = members;
        let mut changes = Vec::new();
        let mut groups = Vec::new();
        for row in rows {
            let text = |column: &str| row.get(column).and_then(Value::as_str);
            let Some(uuid) = text("uuid").filter(|u| !u.is_empty()) else {
                continue;
            };
            let mut event = Event::builder("CHANNEL_CREATE").header("Unique-ID", uuid);
            for (column, header) in COLUMNS {
                if let Some(value) = text(column).filter(|v| !v.is_empty()) {
                    event = event.header(header, value);
                }
            }
            if let Some(created) = text("created_epoch").and_then(|t| t.parse::<u64>().ok()) {
                event = event.header(
                    "Caller-Channel-Created-Time",
                    created.saturating_mul(1_000_000).to_string(),
                );
            }
            changes.extend(self.update(&event.build()));
            if let Some(app) = text("application").filter(|a| !a.is_empty()) {
                let mut running = Event::builder("CHANNEL_EXECUTE")
                    .header("Unique-ID", uuid)
                    .header("Application", app);
                if let Some(data) = text("application_data").filter(|d| !d.is_empty()) {
                    running = running.header("Application-Data", data);
                }
                changes.extend(self.update(&running.build()));
            }
            if let Some(call) = text("call_uuid").filter(|c| !c.is_empty() && *c != uuid) {
                groups.push((call.to_owned(), uuid.to_owned()));
            }
        }
        for (a, b) in groups {
            self.join(&a, &b, &mut changes);
        }
        Ok(changes)
    }
}
