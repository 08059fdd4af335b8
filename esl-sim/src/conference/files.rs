//! Files a conference plays (`conference_file.c`): one queue for everyone, one `async` file
//! over it, and a queue per member. A file that opens plays for its (virtual) length after
//! its lead-in, then closes with `play-file-done` (`play-file-member-done` for a member's);
//! one that does not open fires `play-file` with `Error: File could not be played`.
//!
//! What opens: `tone_stream://` (as long as its cadence), `silence_stream://<ms>`, and any
//! other file path (a tenth of a second, as `playback` plays one). What does not: the sound
//! files under the sound prefix and `local_stream://`, which the recording switch did not
//! have (`inbound_conference`), and other `scheme://` sources.

use std::time::Duration;

use super::{Extra, Who, FRAME, MOH};
use crate::apps::playback_duration;
use crate::switch::Switch;
use crate::time::{Timer, TimerKey};

/// How long music on hold waits after it fails to start (`moh_wait`, 2000 ms).
const MOH_WAIT: Duration = Duration::from_secs(2);

/// One file being played (`conference_file_node_t`).
#[derive(Debug)]
pub(crate) struct FileNode {
    pub(crate) id: u64,
    /// The file as opened (`node->file`): relative paths under the sound prefix.
    pub(crate) file: String,
    pub(crate) leadin: Duration,
    pub(crate) length: Duration,
    pub(crate) asynchronous: bool,
    /// Played to this member only.
    pub(crate) member: Option<u32>,
    /// When it started (after it reached the head of its queue).
    pub(crate) started: Option<Duration>,
    /// Its end, while it plays.
    pub(crate) timer: Option<TimerKey>,
    /// Stopped or played out: it closes at the next frame. When, for what it played.
    pub(crate) done: Option<Duration>,
    /// A tone stream (its sample count reads twice its length: `inbound_conference` shows
    /// 3200 samples and 400 ms for a 200 ms enter tone, 8000 and 1000 for the 500 ms exit
    /// tone).
    pub(crate) tone: bool,
}

/// Which files `stop` ends (`file_stop_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Current,
    All,
    Async,
}

/// `switch_is_file_path`: absolute, a `scheme://` source or `{params}` first; anything else
/// is relative to the sound prefix.
fn is_file_path(file: &str) -> bool {
    file.starts_with('/') || file.starts_with('{') || file.contains("://")
}

/// How long `file` (as opened) plays, `None` if it does not open.
fn playable(file: &str, sound_prefix: &str) -> Option<Duration> {
    let bare = match file.strip_prefix('{') {
        Some(rest) => rest.split_once('}').map_or(rest, |(_, f)| f),
        None => file,
    };
    if bare.starts_with("tone_stream://") {
        return Some(playback_duration(bare));
    }
    if let Some(ms) = bare.strip_prefix("silence_stream://") {
        let ms: u64 = ms
            .split(',')
            .next()
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0);
        return Some(Duration::from_millis(ms.min(86_400_000)));
    }
    if bare.contains("://") || bare.starts_with(sound_prefix) {
        return None;
    }
    Some(playback_duration(bare))
}

impl Switch {
    fn sound_prefix(&self) -> String {
        self.globals
            .get("sound_prefix")
            .cloned()
            .unwrap_or_default()
    }

    /// `file` as the conference opens it: relative to the sound prefix, or as given.
    fn resolve(&self, file: &str) -> String {
        if is_file_path(file) {
            file.to_owned()
        } else {
            format!("{}/{file}", self.sound_prefix())
        }
    }

    fn new_node(&mut self, file: String, leadin: Duration, asynchronous: bool) -> Option<FileNode> {
        let length = playable(&file, &self.sound_prefix())?;
        self.file_ids += 1;
        Some(FileNode {
            id: self.file_ids,
            tone: file.contains("tone_stream://"),
            file,
            leadin,
            length,
            asynchronous,
            member: None,
            started: None,
            timer: None,
            done: None,
        })
    }

    /// Starts `node` now: its end is due after its lead-in and length.
    fn start_node(&mut self, cuuid: &str, node: &mut FileNode) {
        node.started = Some(self.now);
        let due = self.now + self.config.scaled(node.leadin + node.length);
        node.timer = Some(self.timers.at(
            due,
            Timer::ConferenceFile {
                conference: cuuid.to_owned(),
                file: node.id,
            },
        ));
    }

    /// `conference_file_play`: queues `file` for everyone (or replaces the `async` one).
    /// True if it opened; a file that does not open fires `play-file` with the error.
    pub(crate) fn conference_play(
        &mut self,
        conf: &str,
        file: &str,
        leadin: Duration,
        asynchronous: bool,
    ) -> bool {
        let Some(c) = self.conferences.get(conf) else {
            return false;
        };
        if c.count() == 0 {
            return false;
        }
        let cuuid = c.uuid.clone();
        let file = self.resolve(file);
        let Some(mut node) = self.new_node(file.clone(), leadin, asynchronous) else {
            self.conference_event(
                conf,
                ("conference_file.c", "conference_file_play", 268),
                "play-file",
                &[
                    ("File", file),
                    ("Async", super::bool_str(asynchronous).into()),
                    ("Error", "File could not be played".into()),
                ],
            );
            return false;
        };
        if asynchronous {
            let old = self
                .conferences
                .get_mut(conf)
                .and_then(|c| c.async_file.take());
            if let Some(old) = old {
                if let Some(key) = old.timer {
                    self.timers.cancel(key);
                }
                self.file_closed(conf, &old);
            }
            self.start_node(&cuuid, &mut node);
            if let Some(c) = self.conferences.get_mut(conf) {
                c.async_file = Some(node);
            }
        } else {
            let idle = self
                .conferences
                .get(conf)
                .is_some_and(|c| c.files.is_empty());
            if idle {
                self.start_node(&cuuid, &mut node);
            }
            if let Some(c) = self.conferences.get_mut(conf) {
                c.files.push_back(node);
            }
        }
        true
    }

    /// `conference_member_play_file`: queues `file` for one member (`mux`: mixed with the
    /// conference, which the simulator does not tell apart). True if it opened.
    pub(crate) fn member_play(&mut self, conf: &str, id: u32, file: &str) -> bool {
        let file = self.resolve(file);
        let Some(mut node) = self.new_node(file, Duration::ZERO, false) else {
            return false;
        };
        node.member = Some(id);
        let Some(c) = self.conferences.get(conf) else {
            return false;
        };
        let cuuid = c.uuid.clone();
        let idle = c.member(id).is_some_and(|m| m.files.is_empty());
        if idle {
            self.start_node(&cuuid, &mut node);
        }
        match self
            .conferences
            .get_mut(conf)
            .and_then(|c| c.member_mut(id))
        {
            Some(m) => {
                m.files.push_back(node);
                true
            }
            None => false,
        }
    }

    /// `conference_file_stop` (or `conference_member_stop_file` for `member`): marks files
    /// done; they close at the next frame. Returns how many.
    pub(crate) fn file_stop(&mut self, conf: &str, stop: Stop) -> u32 {
        self.stop_files(conf, None, stop)
    }

    pub(crate) fn stop_files(&mut self, conf: &str, member: Option<u32>, stop: Stop) -> u32 {
        let Some(c) = self.conferences.get_mut(conf) else {
            return 0;
        };
        let mut count = 0;
        let now = self.now;
        let mut mark = |node: &mut FileNode| {
            node.done.get_or_insert(now);
            count += 1;
        };
        match member {
            Some(id) => {
                let Some(m) = c.member_mut(id) else {
                    return 0;
                };
                // A member has no async file: `async` and `current` stop the first one.
                match stop {
                    Stop::All => m.files.iter_mut().for_each(&mut mark),
                    Stop::Current | Stop::Async => {
                        m.files.front_mut().into_iter().for_each(&mut mark)
                    }
                }
            }
            None => match stop {
                Stop::All => {
                    c.files.iter_mut().for_each(&mut mark);
                    c.async_file.iter_mut().for_each(&mut mark);
                }
                Stop::Async => c.async_file.iter_mut().for_each(&mut mark),
                Stop::Current => c.files.front_mut().into_iter().for_each(&mut mark),
            },
        }
        if count > 0 {
            self.schedule_frame(conf, FRAME);
        }
        count
    }

    /// A file's end came (`file_sample_len <= 0`): it is done and closes now.
    pub(crate) fn file_ended(&mut self, cuuid: &str, id: u64) {
        let Some(conf) = self.conference_named_by(cuuid) else {
            return;
        };
        let Some(c) = self.conferences.get_mut(&conf) else {
            return;
        };
        let node = if c.async_file.as_ref().is_some_and(|n| n.id == id) {
            c.async_file.as_mut()
        } else if let Some(n) = c.files.iter_mut().find(|n| n.id == id) {
            Some(n)
        } else {
            c.members
                .iter_mut()
                .flat_map(|m| m.files.iter_mut())
                .find(|n| n.id == id)
        };
        if let Some(node) = node {
            node.timer = None;
            node.done.get_or_insert(self.now);
        }
        self.close_done_files(&conf);
        self.schedule_frame(&conf, FRAME);
    }

    /// The end of a frame: the `async` file and the first of each queue close if they are
    /// done (one per queue per frame), and the next in each queue starts.
    pub(crate) fn close_done_files(&mut self, conf: &str) {
        let Some(c) = self.conferences.get_mut(conf) else {
            return;
        };
        let cuuid = c.uuid.clone();
        let mut closed = Vec::new();
        if c.async_file.as_ref().is_some_and(|n| n.done.is_some()) {
            closed.extend(c.async_file.take());
        }
        if c.files.front().is_some_and(|n| n.done.is_some()) {
            closed.extend(c.files.pop_front());
        }
        for m in &mut c.members {
            if m.files.front().is_some_and(|n| n.done.is_some()) {
                closed.extend(m.files.pop_front());
            }
        }
        let more = c.files.iter().any(|n| n.done.is_some())
            || c.members
                .iter()
                .any(|m| m.files.iter().any(|n| n.done.is_some()));
        for node in &closed {
            if let Some(key) = node.timer {
                self.timers.cancel(key);
            }
            self.file_closed(conf, node);
        }
        // What reached the head of its queue starts.
        let mut starting: Vec<FileNode> = Vec::new();
        if let Some(c) = self.conferences.get_mut(conf) {
            let waiting = |n: &FileNode| n.started.is_none() && n.done.is_none();
            if c.files.front().is_some_and(waiting) {
                starting.extend(c.files.pop_front());
            }
            for m in &mut c.members {
                if m.files.front().is_some_and(waiting) {
                    starting.extend(m.files.pop_front());
                }
            }
        }
        for mut node in starting {
            self.start_node(&cuuid, &mut node);
            let Some(c) = self.conferences.get_mut(conf) else {
                return;
            };
            match node.member {
                Some(id) => {
                    if let Some(m) = c.member_mut(id) {
                        m.files.push_front(node);
                    }
                }
                None => c.files.push_front(node),
            }
        }
        if more {
            self.schedule_frame(conf, FRAME);
        }
    }

    /// `conference_file_close`: `play-file-done` (or `play-file-member-done` with the
    /// member's data while it is still there) with how much was played.
    pub(crate) fn file_closed(&mut self, conf: &str, node: &FileNode) {
        let until = node.done.unwrap_or(self.now);
        let played = node
            .started
            .map(|at| self.config.unscaled(until.saturating_sub(at)))
            .unwrap_or_default()
            .saturating_sub(node.leadin)
            .min(node.length);
        let samples = played.as_millis() * if node.tone { 16 } else { 8 };
        let before = [
            Extra::Header("seconds", (samples / 8000).to_string()),
            Extra::Header("milliseconds", (samples / 8).to_string()),
            Extra::Header("samples", samples.to_string()),
        ];
        let mut after = Vec::new();
        let action = match node.member {
            Some(id) => {
                let here = self
                    .conferences
                    .get(conf)
                    .and_then(|c| c.gettable(id, |u| self.channel_up(u)))
                    .is_some();
                if here {
                    after.push(Extra::Member(Who::Id(id)));
                }
                "play-file-member-done"
            }
            None => "play-file-done",
        };
        after.push(Extra::Header("File", node.file.clone()));
        if node.asynchronous {
            after.push(Extra::Header("Async", "true".into()));
        }
        self.maintenance(
            conf,
            ("conference_file.c", "conference_file_close", 52),
            None,
            &before,
            action,
            &after,
        );
    }

    /// Music on hold: one member alone with nothing playing hears `moh-sound`; when it does
    /// not open, the thread tries again two seconds later.
    pub(crate) fn music_on_hold(&mut self, conf: &str) {
        let Some(c) = self.conferences.get(conf) else {
            return;
        };
        let alone = c.count() == 1 && c.files.is_empty() && c.async_file.is_none();
        if !alone {
            return;
        }
        if self.now < c.moh_wait_until {
            let at = c.moh_wait_until;
            return self.schedule_frame_at(conf, at);
        }
        if !self.conference_play(conf, MOH, super::LEADIN, true) {
            let until = self.now + self.config.scaled(MOH_WAIT);
            if let Some(c) = self.conferences.get_mut(conf) {
                c.moh_wait_until = until;
            }
            self.schedule_frame(conf, MOH_WAIT);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_opens() {
        let prefix = "/usr/freeswitch/sounds/en/us/callie";
        assert_eq!(
            playable("tone_stream://%(200,0,500,600,700)", prefix),
            Some(Duration::from_millis(200))
        );
        assert_eq!(
            playable("silence_stream://1500", prefix),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(playable("local_stream://moh", prefix), None);
        assert_eq!(
            playable(
                "/usr/freeswitch/sounds/en/us/callie/conference/conf-alone.wav",
                prefix
            ),
            None
        );
        assert_eq!(
            playable("/tmp/a.wav", prefix),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            playable("{vol=-3}/tmp/a.wav", prefix),
            Some(Duration::from_millis(100))
        );
        assert!(is_file_path("/tmp/a.wav") && !is_file_path("conference/conf-alone.wav"));
    }
}
