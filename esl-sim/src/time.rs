//! The switch's clock: dates written as FreeSWITCH writes them, and one queue of everything
//! scheduled for later (a playback ending, a linger expiring, a heartbeat, a far end
//! answering), keyed by the time it is due.
//!
//! Time is a [`Duration`] since the switch started. Nothing here reads a clock: the driver
//! passes time in, so the same inputs give the same outputs whether time is real or virtual.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::ids::ConnectionId;

/// Days since 1970-01-01 to (year, month, day), the proleptic Gregorian calendar.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

struct Parts {
    year: i64,
    month: u32,
    day: u32,
    hour: u64,
    minute: u64,
    second: u64,
    weekday: usize,
}

fn parts(micros: u64) -> Parts {
    let secs = micros / 1_000_000;
    let days = (secs / 86_400) as i64;
    let (year, month, day) = civil(days);
    let rem = secs % 86_400;
    Parts {
        year,
        month,
        day,
        hour: rem / 3600,
        minute: rem % 3600 / 60,
        second: rem % 60,
        // 1970-01-01 was a Thursday.
        weekday: ((days + 4).rem_euclid(7)) as usize,
    }
}

/// `Event-Date-Local` (the simulator's local time is UTC): `2026-11-23 08:10:05`.
pub(crate) fn date_local(micros: u64) -> String {
    let p = parts(micros);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        p.year, p.month, p.day, p.hour, p.minute, p.second
    )
}

/// `Event-Date-GMT`: `Mon, 23 Nov 2026 08:10:05 GMT`.
pub(crate) fn date_gmt(micros: u64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let p = parts(micros);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[p.weekday],
        p.day,
        MONTHS[(p.month as usize).saturating_sub(1) % 12],
        p.year,
        p.hour,
        p.minute,
        p.second
    )
}

/// Something the switch does later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Timer {
    /// `HEARTBEAT` and its `RE_SCHEDULE`, then the next one.
    Heartbeat,
    /// A `playback` reached the end of its file.
    PlaybackDone {
        uuid: String,
        app_uuid: String,
        file: String,
    },
    /// A `sleep` is over.
    SleepDone { uuid: String, app_uuid: String },
    /// A connection's linger time is up: the switch says goodbye.
    LingerOver { conn: ConnectionId },
    /// The `socket` application parks its channel once the outbound socket is connected.
    ParkAfterConnect { uuid: String },
    /// A far end rang for its configured time and now answers or refuses.
    FarEnd { uuid: String },
    /// An originate waited as long as it was allowed to: `NO_ANSWER`.
    OriginateTimeout { uuid: String },
    /// A conference's thread runs a frame (the floor, music on hold, files that ended).
    /// Conferences are named by `Conference-Unique-ID` here.
    ConferenceFrame { conference: String },
    /// A file played in a conference (or to one member) reached its end.
    ConferenceFile { conference: String, file: u64 },
    /// A kicked or hung-up member's thread notices and leaves.
    MemberLeaves { conference: String, member: u32 },
    /// A stopped recording's thread notices and ends.
    RecordingEnds { conference: String, member: u32 },
}

/// When a timer is due and in which order it was set: two timers due at the same time run
/// in the order they were set, so the order never depends on anything but the inputs.
pub(crate) type TimerKey = (Duration, u64);

/// Everything scheduled, in due order.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    due: BTreeMap<TimerKey, Timer>,
    next: u64,
}

impl Timers {
    /// Schedules `timer` at `when`.
    pub(crate) fn at(&mut self, when: Duration, timer: Timer) -> TimerKey {
        let key = (when, self.next);
        self.next += 1;
        self.due.insert(key, timer);
        key
    }

    /// Forgets a timer (it may have run already).
    pub(crate) fn cancel(&mut self, key: TimerKey) {
        self.due.remove(&key);
    }

    /// When the next timer is due.
    pub(crate) fn next_due(&self) -> Option<Duration> {
        self.due.keys().next().map(|(when, _)| *when)
    }

    /// The earliest timer due at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Duration) -> Option<Timer> {
        let key = *self.due.keys().next()?;
        if key.0 > now {
            return None;
        }
        self.due.remove(&key)
    }

    /// How many timers are waiting.
    pub(crate) fn len(&self) -> usize {
        self.due.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_freeswitch_writes_them() {
        // Event-Date-Timestamp 1795421405396962 in inbound_events_plain.
        assert_eq!(date_local(1_795_421_405_396_962), "2026-11-23 08:10:05");
        assert_eq!(
            date_gmt(1_795_421_405_396_962),
            "Mon, 23 Nov 2026 08:10:05 GMT"
        );
        assert_eq!(date_gmt(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn timers_run_in_due_order_then_in_the_order_they_were_set() {
        let mut timers = Timers::default();
        let sleep = |n: &str| Timer::SleepDone {
            uuid: n.into(),
            app_uuid: String::new(),
        };
        timers.at(Duration::from_millis(30), sleep("c"));
        timers.at(Duration::from_millis(10), sleep("a"));
        let cancelled = timers.at(Duration::from_millis(10), sleep("x"));
        timers.at(Duration::from_millis(10), sleep("b"));
        timers.cancel(cancelled);
        assert_eq!(timers.next_due(), Some(Duration::from_millis(10)));
        assert_eq!(timers.pop_due(Duration::from_millis(9)), None);
        let now = Duration::from_millis(30);
        let order: Vec<Timer> = std::iter::from_fn(|| timers.pop_due(now)).collect();
        assert_eq!(order, [sleep("a"), sleep("b"), sleep("c")]);
        assert_eq!(timers.len(), 0);
    }
}
