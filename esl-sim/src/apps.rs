//! Applications on a channel: starting and completing them (`CHANNEL_EXECUTE`,
//! `CHANNEL_EXECUTE_COMPLETE`), the queue of `sendmsg execute`s, the extension a channel
//! runs, and what each dialplan tool does.

use std::time::Duration;

use crate::channel::{Queued, Running, MAX_QUEUED};
use crate::hangup::HangupOrder;
use crate::switch::Switch;
use crate::time::Timer;

/// The tone the `tone` extension plays (`inbound_events_plain`).
pub(crate) const TONE: &str = "tone_stream://%(200,100,440);loops=10";

impl Switch {
    /// Starts an application: `CHANNEL_EXECUTE` with its uuid, and a note in the history.
    pub(crate) fn exec_start(
        &mut self,
        uuid: &str,
        app: &str,
        arg: &str,
        app_uuid: Option<String>,
    ) -> String {
        let app_uuid = app_uuid.unwrap_or_else(|| self.uuids.next());
        let Some(ch) = self.channels.get_mut(uuid) else {
            return app_uuid;
        };
        ch.set_var("current_application", app);
        if !arg.is_empty() {
            ch.set_var("current_application_data", arg);
        }
        ch.apps.push(Running {
            app: app.to_owned(),
            arg: arg.to_owned(),
            uuid: app_uuid.clone(),
        });
        let name = ch.name.clone();
        self.history.application(uuid, app, arg);
        self.log(
            7,
            ("switch_core_session.c", "switch_core_session_exec", 2932),
            uuid,
            &format!("EXECUTE [depth=0] {name} {app}({arg})"),
        );
        let mut extra = vec![("Application", app.to_owned())];
        if !arg.is_empty() {
            extra.push(("Application-Data", arg.to_owned()));
        }
        extra.push(("Application-UUID", app_uuid.clone()));
        self.channel_event(
            uuid,
            "CHANNEL_EXECUTE",
            ("switch_core_session.c", "switch_core_session_exec", 2932),
            &extra,
        );
        app_uuid
    }

    /// Ends an application: `CHANNEL_EXECUTE_COMPLETE`, then whatever runs next.
    pub(crate) fn exec_done(&mut self, uuid: &str, app_uuid: &str, response: &str) {
        if self.exec_complete(uuid, app_uuid, response) {
            self.run_queue(uuid);
        }
    }

    /// `CHANNEL_EXECUTE_COMPLETE` for the application `app_uuid`, if it runs. True if it did.
    pub(crate) fn exec_complete(&mut self, uuid: &str, app_uuid: &str, response: &str) -> bool {
        let Some(ch) = self.channels.get_mut(uuid) else {
            return false;
        };
        let Some(at) = ch.apps.iter().rposition(|r| r.uuid == app_uuid) else {
            return false;
        };
        let running = ch.apps.remove(at);
        ch.set_var("last_app", &running.app);
        if running.app == "park" {
            ch.parked = false;
        }
        let mut extra = vec![("Application", running.app.clone())];
        if !running.arg.is_empty() {
            extra.push(("Application-Data", running.arg.clone()));
        }
        extra.push(("Application-Response", response.to_owned()));
        extra.push(("Application-UUID", running.uuid));
        self.channel_event(
            uuid,
            "CHANNEL_EXECUTE_COMPLETE",
            ("switch_core_session.c", "switch_core_session_exec", 2972),
            &extra,
        );
        true
    }

    /// Queues an application from `sendmsg` and runs it when the channel can.
    pub(crate) fn queue_exec(
        &mut self,
        uuid: &str,
        app: &str,
        arg: &str,
        event_uuid: Option<String>,
        again: u32,
    ) {
        if let Some(ch) = self.channels.get_mut(uuid) {
            if ch.queue.len() < MAX_QUEUED {
                ch.queue.push_back(Queued {
                    app: app.to_owned(),
                    arg: arg.to_owned(),
                    event_uuid,
                    again,
                });
            }
        }
        self.run_queue(uuid);
    }

    /// Runs what `uuid` has to run next, and so on until every channel waits. Work is
    /// taken from one list instead of by recursion, so that a thousand instant
    /// applications in a row cost no stack.
    pub(crate) fn run_queue(&mut self, uuid: &str) {
        self.queue_work.push_back(uuid.to_owned());
        if self.draining_queues {
            return;
        }
        self.draining_queues = true;
        while let Some(uuid) = self.queue_work.pop_front() {
            self.run_next(&uuid);
        }
        self.draining_queues = false;
    }

    /// The next `sendmsg execute` if the channel is free for it (parked or idle), else the
    /// next application of its extension; an extension that has run out hangs the channel
    /// up (`switch_core_standard_on_execute`: no more applications is `NORMAL_CLEARING`).
    fn run_next(&mut self, uuid: &str) {
        let Some(ch) = self.channels.get_mut(uuid) else {
            return;
        };
        if ch.hung_up {
            return;
        }
        let free = ch.apps.is_empty()
            || matches!(
                ch.running().map(|r| r.app.as_str()),
                Some("park" | "socket" | "echo")
            );
        if !free {
            return;
        }
        if let Some(next) = ch.queue.pop_front() {
            if next.again > 0 {
                ch.queue.push_front(Queued {
                    app: next.app.clone(),
                    arg: next.arg.clone(),
                    event_uuid: next.event_uuid.clone(),
                    again: next.again - 1,
                });
            }
            return self.run_app(uuid, &next.app, &next.arg, next.event_uuid);
        }
        // A bridged leg goes back to its extension only when the bridge ends.
        if !ch.apps.is_empty() || ch.bridged.is_some() {
            return;
        }
        let Some(extension) = ch.extension.as_mut() else {
            return;
        };
        match extension.pop_front() {
            Some((app, arg)) if app == "hangup" => {
                // The extension's own `hangup` runs in the order inbound_events_plain shows.
                self.exec_start(uuid, "hangup", &arg, None);
                let cause = hangup_cause(&arg);
                self.hangup(uuid, &cause, HangupOrder::Dialplan);
            }
            Some((app, arg)) => self.run_app(uuid, &app, &arg, None),
            None => self.hangup(uuid, "NORMAL_CLEARING", HangupOrder::Dialplan),
        }
    }

    /// Runs one dialplan application on a channel.
    pub(crate) fn run_app(&mut self, uuid: &str, app: &str, arg: &str, event_uuid: Option<String>) {
        let app_uuid = self.exec_start(uuid, app, arg, event_uuid);
        match app {
            "answer" => {
                self.answer(uuid);
                self.exec_done(uuid, &app_uuid, "_none_");
            }
            "ring_ready" => {
                self.mark_ring_ready(uuid);
                self.exec_done(uuid, &app_uuid, "_none_");
            }
            "pre_answer" => {
                self.mark_pre_answered(uuid);
                self.exec_done(uuid, &app_uuid, "_none_");
            }
            "park" => self.park(uuid),
            "echo" => self.run_queue(uuid),
            "playback" | "endless_playback" | "broadcast" => self.playback(uuid, arg, app_uuid),
            "sleep" => {
                let ms = arg.trim().parse().unwrap_or(0);
                let due = self.now + self.config.scaled(Duration::from_millis(ms));
                let uuid = uuid.to_owned();
                self.timers.at(due, Timer::SleepDone { uuid, app_uuid });
            }
            "set" | "export" => {
                if let Some((name, value)) = arg.split_once('=') {
                    if let Some(ch) = self.channels.get_mut(uuid) {
                        ch.set_var(name, value);
                    }
                }
                self.exec_done(uuid, &app_uuid, "_none_");
            }
            "unset" => {
                if let Some(ch) = self.channels.get_mut(uuid) {
                    ch.vars.retain(|(n, _)| n != arg.trim());
                }
                self.exec_done(uuid, &app_uuid, "_none_");
            }
            "multiset" => {
                for (name, value) in multiset_pairs(arg) {
                    if let Some(ch) = self.channels.get_mut(uuid) {
                        ch.set_var(name, value);
                    }
                }
                self.exec_done(uuid, &app_uuid, "_none_");
            }
            "hangup" => self.hangup(uuid, &hangup_cause(arg), HangupOrder::Killed),
            "respond" => {
                if let Some(ch) = self.channels.get_mut(uuid) {
                    ch.set_var("sip_response_code", arg.split(' ').next().unwrap_or(arg));
                }
                self.exec_done(uuid, &app_uuid, "_none_");
            }
            "bridge" => self.bridge_app(uuid, arg, app_uuid),
            "transfer" => {
                let dest = arg.split(' ').next().unwrap_or(arg).to_owned();
                self.exec_complete(uuid, &app_uuid, "_none_");
                self.transfer(uuid, &dest);
            }
            "conference" => self.conference_join(uuid, arg, app_uuid),
            "socket" => self.socket_app(uuid, arg, app_uuid),
            _ => self.exec_done(uuid, &app_uuid, "_none_"),
        }
    }

    /// `playback`: PLAYBACK_START now, PLAYBACK_STOP and the completion when the file ends.
    fn playback(&mut self, uuid: &str, file: &str, app_uuid: String) {
        self.channel_event(
            uuid,
            "PLAYBACK_START",
            ("switch_ivr_play_say.c", "switch_ivr_play_file", 1557),
            &[
                ("Playback-File-Type", "tone_stream".into()),
                ("Playback-File-Path", file.to_owned()),
            ],
        );
        let due = self.now + self.config.scaled(playback_duration(file));
        let timer = Timer::PlaybackDone {
            uuid: uuid.to_owned(),
            app_uuid,
            file: file.to_owned(),
        };
        self.timers.at(due, timer);
    }

    /// A playback's file ended (if the channel is still there to hear it).
    pub(crate) fn playback_done(&mut self, uuid: &str, app_uuid: &str, file: String) {
        let playing = self
            .channels
            .get(uuid)
            .is_some_and(|c| !c.hung_up && c.apps.iter().any(|r| r.uuid == app_uuid));
        if !playing {
            return;
        }
        self.channel_event(
            uuid,
            "PLAYBACK_STOP",
            ("switch_ivr_play_say.c", "switch_ivr_play_file", 2064),
            &[
                ("Playback-File-Type", "tone_stream".into()),
                ("Playback-File-Path", file),
                ("Playback-Status", "done".into()),
            ],
        );
        self.exec_done(uuid, app_uuid, "FILE PLAYED");
    }

    /// A sleep is over (if the channel is still there).
    pub(crate) fn sleep_done(&mut self, uuid: &str, app_uuid: &str) {
        if self.channels.get(uuid).is_some_and(|c| !c.hung_up) {
            self.exec_done(uuid, app_uuid, "_none_");
        }
    }
}

/// The cause the `hangup` application ends a call with: its argument, or `NORMAL_CLEARING`.
fn hangup_cause(arg: &str) -> String {
    let arg = arg.trim();
    if arg.is_empty() {
        "NORMAL_CLEARING".into()
    } else {
        arg.to_owned()
    }
}

/// `multiset`'s pairs: `^^<d>` names the delimiter (mod_dptools), else they are
/// space-separated.
fn multiset_pairs(arg: &str) -> Vec<(&str, &str)> {
    let items: Vec<&str> = match arg.strip_prefix("^^") {
        Some(rest) => match rest.chars().next() {
            Some(d) => rest[d.len_utf8()..].split(d).collect(),
            None => Vec::new(),
        },
        None => arg.split_whitespace().collect(),
    };
    items
        .into_iter()
        .filter_map(|pair| pair.split_once('='))
        .collect()
}

/// How long `playback` of `file` takes: the tone stream's cadence times its loops, or a short
/// time for a file (the simulator has no sound files; neither had the recording switch).
pub(crate) fn playback_duration(file: &str) -> Duration {
    let Some(spec) = file.strip_prefix("tone_stream://") else {
        return Duration::from_millis(100);
    };
    let cadence: u64 = spec
        .split(['(', ')'])
        .nth(1)
        .map(|inner| {
            inner
                .split(',')
                .take(2)
                .filter_map(|n| n.trim().parse::<u64>().ok())
                .fold(0u64, u64::saturating_add)
        })
        .unwrap_or(300);
    let loops: u64 = spec
        .split("loops=")
        .nth(1)
        .and_then(|l| l.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    // A day at most: a tone spec from the network cannot overflow the clock.
    Duration::from_millis(cadence.saturating_mul(loops.max(1)).min(86_400_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tone_durations_follow_the_cadence() {
        assert_eq!(playback_duration(TONE), Duration::from_millis(3000));
        assert_eq!(
            playback_duration("tone_stream://%(200,100,440);loops=3"),
            Duration::from_millis(900)
        );
        assert_eq!(
            playback_duration("ivr/welcome.wav"),
            Duration::from_millis(100)
        );
        assert_eq!(
            playback_duration("tone_stream://%(18446744073709551615,1,1);loops=99"),
            Duration::from_secs(86_400)
        );
    }

    #[test]
    fn multiset_reads_both_forms() {
        assert_eq!(multiset_pairs("a=1 b=2"), [("a", "1"), ("b", "2")]);
        assert_eq!(multiset_pairs("^^,a=x y,b=2"), [("a", "x y"), ("b", "2")]);
        assert_eq!(multiset_pairs("^^"), []);
    }
}
