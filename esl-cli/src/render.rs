//! How events, log lines, notices and gaps look on screen: one JSON object per line, or one
//! readable line each; and writing to standard output without dying on a closed pipe.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

use esl_tokio::esl_proto::{DisconnectNotice, Event, LogLine};
use esl_tokio::Gap;

use crate::failure::Failure;

/// An event as one JSON object: every header by name, decoded, the body under `_body`.
pub(crate) fn write_json(out: &mut impl Write, event: &Event) -> io::Result<()> {
    serde_json::to_writer(&mut *out, event).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// A gap as a JSON line: `{"gap":"lost","events":N}`, `{"gap":"disconnected"}` or
/// `{"gap":"reconnected"}`.
pub(crate) fn gap_json(gap: Gap) -> String {
    match gap {
        Gap::Lost(n) => serde_json::json!({ "gap": "lost", "events": n }).to_string(),
        Gap::Reconnected => serde_json::json!({ "gap": "reconnected" }).to_string(),
        Gap::Disconnected => serde_json::json!({ "gap": "disconnected" }).to_string(),
        _ => serde_json::json!({ "gap": "unknown" }).to_string(),
    }
}

/// A gap as a readable line.
pub(crate) fn gap_text(gap: Gap) -> String {
    match gap {
        Gap::Lost(n) => format!("--- {n} events lost: this reader fell behind ---"),
        Gap::Reconnected => {
            "--- reconnected: events sent while disconnected are missing ---".to_owned()
        }
        Gap::Disconnected => "--- disconnected: reconnecting ---".to_owned(),
        _ => "--- events may be missing here ---".to_owned(),
    }
}

/// A log line (`log <level>`) as a readable line.
pub(crate) fn log_text(line: &LogLine) -> String {
    let text = line.text();
    let text = text.trim_end();
    match (line.file(), line.line()) {
        (Some(file), Some(n)) => format!("[{}] {file}:{n} {text}", level_name(line.level())),
        _ => format!("[{}] {text}", level_name(line.level())),
    }
}

fn level_name(level: Option<u8>) -> &'static str {
    match level {
        Some(0) => "CONSOLE",
        Some(1) => "ALERT",
        Some(2) => "CRIT",
        Some(3) => "ERR",
        Some(4) => "WARNING",
        Some(5) => "NOTICE",
        Some(6) => "INFO",
        Some(7) => "DEBUG",
        _ => "LOG",
    }
}

/// A disconnect or linger notice as a readable line.
pub(crate) fn notice_text(notice: &DisconnectNotice) -> String {
    format!("--- the switch says: {} ---", notice.text().trim())
}

/// Headers worth a place on an event's one-line view, by the event they describe.
fn fields_of(name: &str) -> &'static [(&'static str, &'static str)] {
    match name {
        "BACKGROUND_JOB" => &[("Job-UUID", "job"), ("Job-Command", "command")],
        "API" => &[("API-Command", "command"), ("API-Command-Argument", "args")],
        "HEARTBEAT" => &[("Up-Time", "up"), ("Session-Count", "sessions")],
        "CHANNEL_STATE" => &[("Channel-State", "state")],
        "CHANNEL_CALLSTATE" => &[
            ("Original-Channel-Call-State", "from"),
            ("Channel-Call-State", "to"),
        ],
        "CHANNEL_CREATE" | "CHANNEL_ORIGINATE" | "CHANNEL_OUTGOING" => &[
            ("Call-Direction", "dir"),
            ("Caller-Caller-ID-Number", "from"),
            ("Caller-Destination-Number", "to"),
        ],
        "CHANNEL_ANSWER" | "CHANNEL_PROGRESS" | "CHANNEL_PROGRESS_MEDIA" => {
            &[("Channel-Call-State", "state")]
        }
        "CHANNEL_HANGUP" | "CHANNEL_HANGUP_COMPLETE" | "CHANNEL_DESTROY" => {
            &[("Hangup-Cause", "cause")]
        }
        "CHANNEL_EXECUTE" => &[("Application", "app"), ("Application-Data", "data")],
        "CHANNEL_EXECUTE_COMPLETE" => {
            &[("Application", "app"), ("Application-Response", "response")]
        }
        "CHANNEL_BRIDGE" | "CHANNEL_UNBRIDGE" => {
            &[("Bridge-A-Unique-ID", "a"), ("Bridge-B-Unique-ID", "b")]
        }
        "CUSTOM" => &[
            ("Action", "action"),
            ("Conference-Name", "conference"),
            ("Member-ID", "member"),
        ],
        _ => &[],
    }
}

/// An event as one readable line: time, name (and subclass), channel, then what matters
/// for that event.
pub(crate) fn text_line(event: &Event) -> String {
    let mut line = String::with_capacity(128);
    line.push_str(&time_of(event));
    line.push(' ');
    let name = event.name();
    line.push_str(name.as_str());
    if let Some(subclass) = event.subclass() {
        let _ = write!(line, " {subclass}");
    }
    if let Some(uuid) = event.unique_id() {
        let _ = write!(line, " {uuid}");
        if let Some(channel) = event.header("Channel-Name") {
            let _ = write!(line, " {channel}");
        }
    }
    for (header, label) in fields_of(name.as_str()) {
        if let Some(value) = event.header(header).filter(|v| !v.is_empty()) {
            let _ = write!(line, " {label}={}", quoted(&value));
        }
    }
    if name.as_str() == "BACKGROUND_JOB" {
        if let Some(body) = event.body_text() {
            let first = body.lines().next().unwrap_or_default().trim();
            let _ = write!(line, " result={}", quoted(first));
        }
    }
    line
}

/// `HH:MM:SS.mmm` from the switch's `Event-Date-Local` and `Event-Date-Timestamp`.
fn time_of(event: &Event) -> String {
    let clock = event
        .header("Event-Date-Local")
        .and_then(|d| d.split_whitespace().nth(1).map(str::to_owned));
    let millis = event.timestamp_micros().map(|us| us / 1000 % 1000);
    match (clock, millis) {
        (Some(clock), Some(ms)) => format!("{clock}.{ms:03}"),
        (Some(clock), None) => clock,
        (None, Some(_)) | (None, None) => "--:--:--".to_owned(),
    }
}

fn quoted(value: &str) -> Cow<'_, str> {
    if value.is_empty() || value.contains(char::is_whitespace) || value.contains('"') {
        Cow::Owned(format!("{value:?}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// Writes `text` (and a line end if it lacks one) to standard output. A closed pipe
/// (`esl ... | head`) is not an error: the reader has what it wanted.
pub(crate) fn print(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    let result = out.write_all(text.as_bytes()).and_then(|()| {
        if text.ends_with('\n') || text.is_empty() {
            Ok(())
        } else {
            out.write_all(b"\n")
        }
    });
    finish_write(result.and_then(|()| out.flush()))
}

/// Writes `text` to standard output as it is (terminal control sequences, a screen).
pub(crate) fn print_raw(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    finish_write(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
}

/// Maps a write's result: a closed pipe is fine, anything else is a failure.
pub(crate) fn finish_write(result: io::Result<()>) -> Result<(), Failure> {
    match result {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(Failure::io("writing to standard output", &e))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hangup() -> Event {
        Event::builder("CHANNEL_HANGUP_COMPLETE")
            .header("Event-Date-Local", "2024-05-01 12:00:01")
            .header("Event-Date-Timestamp", "1714564801234567")
            .header("Unique-ID", "6f1c")
            .header("Channel-Name", "loopback/9196-a")
            .header("Hangup-Cause", "NORMAL_CLEARING")
            .header("variable_x", "a b%20c")
            .build()
    }

    #[test]
    fn a_text_line_has_time_name_channel_and_cause() {
        assert_eq!(
            text_line(&hangup()),
            "12:00:01.234 CHANNEL_HANGUP_COMPLETE 6f1c loopback/9196-a cause=NORMAL_CLEARING"
        );
    }

    #[test]
    fn a_json_line_is_one_object_with_every_header() {
        let mut out = Vec::new();
        write_json(&mut out, &hangup()).unwrap();
        assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 1);
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["Event-Name"], "CHANNEL_HANGUP_COMPLETE");
        assert_eq!(value["Hangup-Cause"], "NORMAL_CLEARING");
        assert_eq!(value["variable_x"], "a b%20c");
    }

    #[test]
    fn gaps_are_marked_in_both_views() {
        let lost: serde_json::Value = serde_json::from_str(&gap_json(Gap::Lost(3))).unwrap();
        assert_eq!(lost, serde_json::json!({ "gap": "lost", "events": 3 }));
        assert!(gap_text(Gap::Reconnected).contains("reconnected"));
    }
}
