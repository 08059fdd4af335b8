//! `status` and `show`: the switch's state as FreeSWITCH's console commands print it.

use crate::cjson::Json;
use crate::core_db::COLUMNS;
use crate::switch::Switch;

const SHOW_USAGE: &str = "-USAGE: codec|endpoint|application|api|dialplan|file|timer|calls [count]|channels [count|like <match string>]|calls|detailed_calls|bridged_calls|detailed_bridged_calls|aliases|complete|chat|management|modules|nat_map|say|interfaces|interface_types|tasks|limits|status\n";

impl Switch {
    /// `status`.
    pub(super) fn status(&self) -> String {
        let up = u64::try_from(self.now.as_millis()).unwrap_or(u64::MAX);
        format!(
            "UP 0 years, 0 days, {} hours, {} minutes, {} seconds, {} milliseconds, 0 microseconds\n\
FreeSWITCH (Version 1.11.2-release+sim esl-sim 64bit) is ready\n\
{} session(s) since startup\n\
{} session(s) - peak {}, last 5min {} \n\
0 session(s) per Sec out of max 30, peak 0, last 5min 0 \n\
1000 session(s) max\nmin idle cpu 0.00/99.00\nCurrent Stack Size/Max 240K/8192K\n",
            up / 3_600_000,
            up / 60_000 % 60,
            up / 1000 % 60,
            up % 1000,
            self.sessions_since_startup,
            self.channels.len(),
            self.peak,
            self.peak,
        )
    }

    /// `show channels|calls [as json]`, `show modules`, `show application`.
    pub(super) fn show(&self, args: &str) -> String {
        match args.split_whitespace().next() {
            Some("channels" | "calls") => self.show_channels(args.ends_with("as json")),
            Some("modules") => "type,name,ikey,filename\napi,status,mod_commands,/usr/freeswitch/lib/freeswitch/mod/mod_commands.so\n\n1 total.\n".into(),
            Some("application") => {
                "type,name,ikey,filename\napplication,park,mod_dptools,\n\n1 total.\n".into()
            }
            _ => SHOW_USAGE.into(),
        }
    }

    /// `show channels [as json]`: the core database's `channels` table (`select * from
    /// channels ... order by created_epoch`), every column; NULL prints as empty.
    fn show_channels(&self, json: bool) -> String {
        let rows: Vec<Vec<&str>> = self
            .channels_table
            .rows()
            .iter()
            .map(|r| r.0.iter().map(|v| v.as_deref().unwrap_or("")).collect())
            .collect();
        if json {
            // `{"row_count": 0}` with no rows (inbound_api_errors).
            if rows.is_empty() {
                return "{\"row_count\": 0}\n".into();
            }
            let rows = rows
                .iter()
                .map(|r| {
                    Json::Object(
                        COLUMNS
                            .iter()
                            .zip(r)
                            .map(|(k, v)| ((*k).to_owned(), Json::str(*v)))
                            .collect(),
                    )
                })
                .collect();
            let listing = Json::Object(vec![
                (
                    "row_count".into(),
                    Json::Int(self.channels_table.rows().len() as i64),
                ),
                ("rows".into(), Json::Array(rows)),
            ]);
            return format!("{}\n", listing.compact());
        }
        // `\n0 total.\n` with no rows (inbound_api_errors).
        if rows.is_empty() {
            return "\n0 total.\n".into();
        }
        let mut out = COLUMNS.join(",");
        out.push('\n');
        for row in &rows {
            out.push_str(&row.join(","));
            out.push('\n');
        }
        out.push_str(&format!("\n{} total.\n", rows.len()));
        out
    }
}
