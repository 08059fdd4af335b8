//! The tracker's tables as text: calls with their legs together, then conferences.

use std::time::{SystemTime, UNIX_EPOCH};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use esl_tokio::esl_proto::track::Tracker;
use esl_tokio::esl_proto::Channel;

/// The screen: a heading line, the calls table, and the conferences table if any.
pub(crate) fn render(tracker: &Tracker, addr: &str, width: Option<u16>) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64);
    let conferences = tracker.conferences().count();
    let mut out = format!(
        "{addr}: {} channels in {} calls, {conferences} conferences ({})\n",
        tracker.channel_count(),
        tracker.calls().count(),
        humantime::format_rfc3339_seconds(SystemTime::now()),
    );
    if tracker.channel_count() > 0 {
        out.push_str(&calls_table(tracker, now, width).to_string());
        out.push('\n');
    }
    if conferences > 0 {
        out.push_str(&conferences_table(tracker, width).to_string());
        out.push('\n');
    }
    out
}

fn table(width: Option<u16>, header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(header);
    if let Some(width) = width {
        table
            .set_width(width)
            .set_content_arrangement(ContentArrangement::Dynamic);
    }
    table
}

fn calls_table(tracker: &Tracker, now_micros: u64, width: Option<u16>) -> Table {
    let mut table = table(
        width,
        &[
            "call", "uuid", "channel", "dir", "state", "caller", "dest", "app", "age",
        ],
    );
    for (n, call) in tracker.calls().enumerate() {
        for (i, leg) in call.legs.iter().enumerate() {
            let Some(channel) = tracker.channel(leg) else {
                continue;
            };
            let label = if i == 0 {
                format!("#{}", n + 1)
            } else if channel.bridged_to.is_some() {
                "  ⇄".to_owned()
            } else {
                "  └".to_owned()
            };
            table.add_row(row(label, channel, now_micros));
        }
    }
    table
}

fn row(label: String, channel: &Channel, now_micros: u64) -> Vec<String> {
    let or_blank = |v: Option<&str>| v.unwrap_or_default().to_owned();
    let state = match (&channel.call_state, &channel.state) {
        (Some(call), _) => call.as_str().to_owned(),
        (None, Some(state)) => state.as_str().to_owned(),
        (None, None) => String::new(),
    };
    let caller = match (&channel.caller_id_name, &channel.caller_id_number) {
        (Some(name), Some(number)) if !name.is_empty() => format!("{name} <{number}>"),
        (_, Some(number)) => number.clone(),
        (Some(name), None) => name.clone(),
        (None, None) => String::new(),
    };
    let app = match (&channel.application, &channel.application_data) {
        (Some(app), Some(data)) if !data.is_empty() => format!("{app}({data})"),
        (Some(app), _) => app.clone(),
        (None, _) => String::new(),
    };
    let age = channel
        .created_at
        .filter(|&t| t > 0)
        .map(|t| age(now_micros.saturating_sub(t) / 1_000_000))
        .unwrap_or_default();
    vec![
        label,
        channel.uuid.clone(),
        or_blank(channel.name.as_deref()),
        if channel.is_inbound() {
            "in"
        } else if channel.is_outbound() {
            "out"
        } else {
            ""
        }
        .to_owned(),
        state,
        caller,
        or_blank(channel.destination.as_deref()),
        app,
        age,
    ]
}

/// `42s`, `3m07s`, `1h02m`.
fn age(seconds: u64) -> String {
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, s / 60 % 60),
    }
}

fn conferences_table(tracker: &Tracker, width: Option<u16>) -> Table {
    let mut table = table(width, &["conference", "member", "uuid", "caller", "flags"]);
    for conference in tracker.conferences() {
        if conference.members.is_empty() {
            table.add_row(vec![conference.name.clone()]);
        }
        for (i, member) in conference.members.values().enumerate() {
            let mut flags = Vec::new();
            if member.is_muted() {
                flags.push("muted");
            }
            if member.is_deaf() {
                flags.push("deaf");
            }
            if member.flags.talking {
                flags.push("talking");
            }
            if conference.floor == Some(member.id) {
                flags.push("floor");
            }
            table.add_row(vec![
                if i == 0 {
                    conference.name.clone()
                } else {
                    String::new()
                },
                member.id.to_string(),
                member.uuid.clone().unwrap_or_default(),
                member
                    .caller_id_number
                    .clone()
                    .or_else(|| member.caller_id_name.clone())
                    .unwrap_or_default(),
                flags.join(" "),
            ]);
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use esl_tokio::esl_proto::Event;

    #[test]
    fn legs_of_a_call_sit_together_under_one_number() {
        let mut tracker = Tracker::new();
        for (uuid, leg, other) in [("a", "A", "b"), ("b", "B", "a")] {
            tracker.update(
                &Event::builder("CHANNEL_CREATE")
                    .header("Unique-ID", uuid)
                    .header(
                        "Channel-Name",
                        format!("loopback/9196-{}", leg.to_lowercase()),
                    )
                    .header("Call-Direction", "outbound")
                    .header("Channel-Call-State", "ACTIVE")
                    .header("variable_loopback_leg", leg)
                    .header("variable_other_loopback_leg_uuid", other)
                    .build(),
            );
        }
        let screen = render(&tracker, "127.0.0.1:8021", None);
        assert!(screen.starts_with("127.0.0.1:8021: 2 channels in 1 calls, 0 conferences"));
        let rows: Vec<&str> = screen.lines().filter(|l| l.contains("loopback/")).collect();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].contains("#1") && rows[0].contains("9196-a"));
        assert!(rows[1].contains('└') && rows[1].contains("9196-b"));
        assert!(!screen.contains("#2"));
    }

    #[test]
    fn ages_read_short() {
        assert_eq!(age(7), "7s");
        assert_eq!(age(187), "3m07s");
        assert_eq!(age(3720), "1h02m");
    }
}
