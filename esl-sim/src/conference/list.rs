//! Listing conferences: `conference <name> list [delim <d>|count]`, `conference list`
//! (`conference_list`, `conference_api_sub_list`) and `json_list` (`conference_jlist`).

use super::Conference;
use crate::cjson::Json;
use crate::switch::Switch;

impl Switch {
    /// `conference <name> list [delim <d>|count]`.
    pub(super) fn list_one(&self, conf: &str, argv: &[&str]) -> String {
        let Some(c) = self.conferences.get(conf) else {
            return String::new();
        };
        let (delim, count, _) = list_options(&argv[1..]);
        if count {
            return c.count().to_string();
        }
        self.list_members(c, &delim)
    }

    /// `conference list [delim <d>|summary]`: each conference's summary line, then its
    /// members.
    pub(super) fn list_conferences(&self, argv: &[&str]) -> String {
        let (delim, _, summary) = list_options(argv);
        let mut out = String::new();
        for c in self.conferences.values() {
            let count = c.count();
            let mut flags = Vec::new();
            for (on, flag) in [
                (c.locked, "locked"),
                (c.destruct, "destruct"),
                (true, "running"),
                (c.answered, "answered"),
                (true, "enforce_min"),
                (true, "dynamic"),
                (true, "exit_sound"),
                (true, "enter_sound"),
                (c.record_count > 0, "recording"),
            ] {
                if on {
                    flags.push(flag);
                }
            }
            let flags = if flags.is_empty() {
                "none".to_owned()
            } else {
                flags.join("|")
            };
            out.push_str(&format!(
                "+OK Conference {} ({count} member{} rate: 8000{} flags: {flags})\n",
                c.name,
                if count == 1 { "" } else { "s" },
                if c.locked { " locked" } else { "" },
            ));
            if !summary {
                out.push_str(&self.list_members(c, &delim));
            }
        }
        if out.is_empty() {
            out.push_str("+OK No active conferences.\n");
        }
        out
    }

    /// `conference_list`: one line per member with a channel, newest first.
    fn list_members(&self, c: &Conference, d: &str) -> String {
        let mut out = String::new();
        for m in &c.members {
            let Some(ch) = m.uuid.as_deref().and_then(|u| self.channels.get(u)) else {
                continue;
            };
            let f = &m.flags;
            let mut flags = Vec::new();
            for (on, flag) in [
                (!f.hold && f.hear, "hear"),
                (!f.hold && f.speak, "speak"),
                (!f.hold && f.talking, "talking"),
                (f.hold, "hold"),
                (c.floor == Some(m.id), "floor"),
                (f.moderator, "moderator"),
                (f.ghost, "ghost"),
            ] {
                if on {
                    flags.push(flag);
                }
            }
            out.push_str(&format!(
                "{id}{d}{name}{d}{uuid}{d}{cid_name}{d}{cid_num}{d}{flags}{d}{vin}{d}{vout}{d}{energy}\n",
                id = m.id,
                name = ch.name,
                uuid = ch.uuid,
                cid_name = ch.profile.cid_name,
                cid_num = ch.profile.cid_num,
                flags = flags.join("|"),
                vin = m.volume_in,
                vout = m.volume_out,
                energy = m.energy,
            ));
        }
        out
    }

    /// `conference_jlist`: one conference as `json_list` prints it.
    pub(super) fn jlist(&self, c: &Conference) -> Json {
        let now = self.now_micros() / 1_000_000;
        let secs = |micros: u64| Json::Int(now.saturating_sub(micros / 1_000_000) as i64);
        let b = Json::Bool;
        let mut members = Vec::new();
        for m in &c.members {
            let Some(ch) = m.uuid.as_deref().and_then(|u| self.channels.get(u)) else {
                let mut node = Vec::new();
                if let Some(path) = &m.rec_path {
                    node.push(("type".into(), Json::str("recording_node")));
                    node.push(("record_path".into(), Json::str(path.as_str())));
                    node.push(("join_time".into(), Json::Int((m.joined / 1_000_000) as i64)));
                }
                members.push(Json::Object(node));
                continue;
            };
            let f = &m.flags;
            let flags = vec![
                ("can_hear".into(), b(!f.hold && f.hear)),
                ("can_see".into(), b(!f.hold && f.see)),
                ("can_speak".into(), b(!f.hold && f.speak)),
                ("hold".into(), b(f.hold)),
                ("mute_detect".into(), b(f.mute_detect)),
                ("talking".into(), b(f.talking)),
                ("has_video".into(), b(false)),
                ("video_bridge".into(), b(false)),
                ("has_floor".into(), b(c.floor == Some(m.id))),
                ("is_moderator".into(), b(f.moderator)),
                ("end_conference".into(), b(false)),
                ("mandatory_member_end_conference".into(), b(false)),
                ("pass_digits".into(), b(false)),
            ];
            members.push(Json::Object(vec![
                ("type".into(), Json::str("caller")),
                ("id".into(), Json::Int(m.id.into())),
                ("flags".into(), Json::Object(flags)),
                ("uuid".into(), Json::str(ch.uuid.as_str())),
                (
                    "caller_id_name".into(),
                    Json::str(ch.profile.cid_name.as_str()),
                ),
                (
                    "caller_id_number".into(),
                    Json::str(ch.profile.cid_num.as_str()),
                ),
                ("join_time".into(), secs(m.joined)),
                ("last_talking".into(), Json::Int(0)),
                ("energy".into(), Json::Int(m.energy.into())),
                ("volume_in".into(), Json::Int(m.volume_in.into())),
                ("volume_out".into(), Json::Int(m.volume_out.into())),
                ("output-volume".into(), Json::Int(m.volume_out.into())),
                ("input-volume".into(), Json::Int(m.volume_in.into())),
            ]));
        }
        let count = |n: usize| Json::Int(n as i64);
        Json::Object(vec![
            ("conference_name".into(), Json::str(c.name.as_str())),
            ("member_count".into(), count(c.count())),
            ("ghost_count".into(), count(c.ghosts())),
            ("rate".into(), Json::Int(8000)),
            ("run_time".into(), secs(c.created)),
            ("conference_uuid".into(), Json::str(c.uuid.as_str())),
            ("canvas_count".into(), Json::Int(0)),
            ("max_bw_in".into(), Json::Int(0)),
            ("force_bw_in".into(), Json::Int(0)),
            ("video_floor_packets".into(), Json::Int(0)),
            ("locked".into(), b(c.locked)),
            ("destruct".into(), b(c.destruct)),
            ("wait_mod".into(), b(false)),
            ("audio_always".into(), b(false)),
            ("running".into(), b(true)),
            ("answered".into(), b(c.answered)),
            ("enforce_min".into(), b(true)),
            ("bridge_to".into(), b(false)),
            ("dynamic".into(), b(true)),
            ("exit_sound".into(), b(true)),
            ("enter_sound".into(), b(true)),
            ("recording".into(), b(c.record_count > 0)),
            ("video_bridge".into(), b(false)),
            ("video_floor_only".into(), b(false)),
            ("video_rfc4579".into(), b(false)),
            ("variables".into(), Json::Object(Vec::new())),
            ("members".into(), Json::Array(members)),
        ])
    }
}

/// `list`'s options after the word `list`: the delimiter (`delim <d>`, a leading `"`
/// quoting it), `count`, `summary`.
fn list_options(argv: &[&str]) -> (String, bool, bool) {
    let mut delim = ";".to_owned();
    let (mut count, mut summary) = (false, false);
    if let Some(first) = argv.get(1) {
        if first.eq_ignore_ascii_case("delim") && argv.len() > 2 {
            let d = argv[2];
            delim = match d.strip_prefix('"') {
                Some("") => ";".into(),
                Some(rest) => rest.split('"').next().unwrap_or(rest).to_owned(),
                None => d.to_owned(),
            };
        } else if first.eq_ignore_ascii_case("summary") {
            summary = true;
        } else if first.eq_ignore_ascii_case("count") {
            count = true;
        }
    }
    (delim, count, summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_options_follow_conference_api_sub_list() {
        assert_eq!(list_options(&["list"]), (";".into(), false, false));
        assert_eq!(
            list_options(&["list", "delim", ","]),
            (",".into(), false, false)
        );
        assert_eq!(
            list_options(&["list", "delim", "\"#\""]),
            ("#".into(), false, false)
        );
        assert_eq!(list_options(&["list", "count"]), (";".into(), true, false));
        assert_eq!(list_options(&["list", "delim"]), (";".into(), false, false));
    }
}
