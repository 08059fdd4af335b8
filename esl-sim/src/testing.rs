//! Helpers for tests: an [`Event`] from the text of a capture in one call, and an assertion
//! on what a call ran.

use bytes::Bytes;
use esl_proto::{Event, EventError, EventFormat, Limits};

/// An event from capture-style text: `Header: value` lines as a `.txt` capture shows them
/// (a leading `S: ` is dropped, values stay as they travel, percent-encoded), then, after a
/// blank line, an optional body. The `Content-Length` of the body is worked out.
///
/// ```
/// let event = esl_sim::testing::try_event(
///     "Event-Name: CHANNEL_ANSWER\nUnique-ID: 5a3c\nCaller-Caller-ID-Name: Big%20Al\n",
/// )
/// .unwrap();
/// assert_eq!(event.name().as_str(), "CHANNEL_ANSWER");
/// assert_eq!(event.header("Caller-Caller-ID-Name").as_deref(), Some("Big Al"));
/// ```
pub fn try_event(text: &str) -> Result<Event, EventError> {
    let text = text.replace("\r\n", "\n");
    let stripped: String = text
        .split_inclusive('\n')
        .map(|l| l.strip_prefix("S: ").unwrap_or(l))
        .collect();
    let stripped = stripped.trim_start_matches('\n');
    let (head, body) = match stripped.find("\n\n") {
        Some(at) => (&stripped[..at + 1], &stripped[at + 2..]),
        None => (stripped, ""),
    };
    let mut wire = String::new();
    for line in head.lines().filter(|l| !l.trim().is_empty()) {
        let is_length = line
            .split_once(':')
            .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case("Content-Length"));
        if !is_length {
            wire.push_str(line);
            wire.push('\n');
        }
    }
    if body.is_empty() {
        wire.push('\n');
    } else {
        wire.push_str(&format!("Content-Length: {}\n\n{body}", body.len()));
    }
    Event::parse(EventFormat::Plain, &Bytes::from(wire), &Limits::default())
}

/// [`try_event`], panicking with the reason if the text is no event (for tests).
///
/// ```
/// let job = esl_sim::testing::event("Event-Name: BACKGROUND_JOB\nJob-UUID: 7f4d\n\n+OK done\n");
/// assert_eq!(job.body_text().as_deref(), Some("+OK done\n"));
/// ```
pub fn event(text: &str) -> Event {
    try_event(text).unwrap_or_else(|e| panic!("not an event ({e}):\n{text}"))
}

/// Asserts that `ran` (what [`Switch::applications`](crate::Switch::applications) returned)
/// contains `expected` in order, other applications allowed in between. An empty expected
/// argument matches any argument. Panics with both lists otherwise.
///
/// ```
/// use esl_sim::testing::assert_ran;
///
/// let ran = vec![
///     ("park".to_owned(), String::new()),
///     ("answer".to_owned(), String::new()),
///     ("playback".to_owned(), "ivr/welcome.wav".to_owned()),
/// ];
/// assert_ran(&ran, &[("answer", ""), ("playback", "ivr/welcome.wav")]);
/// ```
#[track_caller]
pub fn assert_ran(ran: &[(String, String)], expected: &[(&str, &str)]) {
    let mut rest = ran.iter();
    for (app, arg) in expected {
        let found = rest
            .by_ref()
            .any(|(a, g)| a == app && (arg.is_empty() || g == arg));
        assert!(
            found,
            "expected {expected:?} in order, but the call ran {ran:?} (missing {app}({arg}))"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_text_with_prefixes_and_a_body() {
        let event = event(
            "S: Event-Name: BACKGROUND_JOB\nS: Job-UUID: 1\nS: Content-Length: 99\nS: \nS: +OK 5\n",
        );
        assert_eq!(event.job_uuid().as_deref(), Some("1"));
        assert_eq!(event.body_text().as_deref(), Some("+OK 5\n"));
    }

    #[test]
    #[should_panic(expected = "missing hangup")]
    fn a_missing_application_fails() {
        assert_ran(
            &[("answer".into(), String::new())],
            &[("answer", ""), ("hangup", "")],
        );
    }

    #[test]
    #[should_panic(expected = "missing park")]
    fn order_matters() {
        let ran = [
            ("park".into(), String::new()),
            ("answer".into(), String::new()),
        ];
        assert_ran(&ran, &[("answer", ""), ("park", "")]);
    }
}
