//! Conferences (`mod_conference`): members joining and leaving with the
//! `conference::maintenance` events `inbound_conference` recorded, the conference's own
//! thread (the floor, music on hold, files ending), and the moderator's `conference` api.
//!
//! The profile is FreeSWITCH's `default` as the recording switch had it: energy level 100,
//! the vanilla sounds (enter and exit tones, `conference/conf-alone.wav`,
//! `local_stream://moh`, ...) and no sound files installed, so every sound file under the
//! sound prefix and `local_stream://` fail to open, as they did there.
//!
//! - [`api`]: `conference <name> <subcommand> ...` and `conference list`.
//! - [`events`]: the conference and member headers every event carries.
//! - [`files`]: files played to the conference or to one member, and the mixer's frame.
//! - [`list`]: `list`, `conference list` and `json_list`.
//! - [`record`]: recordings, members without a channel.

mod api;
mod events;
mod files;
mod list;
mod record;

use std::collections::VecDeque;
use std::time::Duration;

use crate::switch::Switch;
use crate::time::{Timer, TimerKey};

pub(crate) use events::{Extra, Who};
pub(crate) use files::FileNode;

/// One mixer frame (the default profile's `interval`): what the conference thread notices,
/// it notices at the next frame.
pub(crate) const FRAME: Duration = Duration::from_millis(20);

/// `CONF_DEFAULT_LEADIN`: twenty frames of silence before the enter sound.
const LEADIN: Duration = Duration::from_millis(400);

/// The default profile's sounds.
const ALONE: &str = "conference/conf-alone.wav";
const MOH: &str = "local_stream://moh";
const ENTER: &str = "tone_stream://%(200,0,500,600,700)";
const EXIT: &str = "tone_stream://%(500,0,300,200,100,50,25)";
const IS_LOCKED: &str = "conference/conf-is-locked.wav";
const IS_UNLOCKED: &str = "conference/conf-is-unlocked.wav";

/// `energy-level` of the recording switch's default profile (`Energy-Level: 100`).
const ENERGY_LEVEL: i32 = 100;

/// A member's flags (`MFLAG_*`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct MemberFlags {
    pub(crate) hear: bool,
    pub(crate) speak: bool,
    pub(crate) talking: bool,
    pub(crate) moderator: bool,
    pub(crate) ghost: bool,
    pub(crate) mute_detect: bool,
    pub(crate) hold: bool,
    /// `MFLAG_CAN_BE_SEEN` (`See`).
    pub(crate) be_seen: bool,
    /// `MFLAG_CAN_SEE` (`can_see` in `json_list`).
    pub(crate) see: bool,
    /// `MFLAG_RUNNING`: cleared by `kick` and `hup`; the member leaves at the next frame.
    pub(crate) running: bool,
    pub(crate) kicked: bool,
    /// `MFLAG_INTREE`: cleared as the member starts to leave.
    pub(crate) intree: bool,
}

impl Default for MemberFlags {
    fn default() -> Self {
        MemberFlags {
            hear: true,
            speak: true,
            talking: false,
            moderator: false,
            ghost: false,
            mute_detect: false,
            hold: false,
            be_seen: true,
            see: true,
            running: true,
            kicked: false,
            intree: true,
        }
    }
}

/// A member: a channel in the conference, or a recording (a member without a channel,
/// `MFLAG_NOCHANNEL`, as `conference_record_thread_run` makes one).
#[derive(Debug)]
pub(crate) struct Member {
    pub(crate) id: u32,
    /// The member's channel; `None` for a recording.
    pub(crate) uuid: Option<String>,
    /// The `conference` application running on the channel.
    pub(crate) app_uuid: String,
    /// The recording's path.
    pub(crate) rec_path: Option<String>,
    pub(crate) flags: MemberFlags,
    pub(crate) volume_in: i32,
    pub(crate) volume_out: i32,
    pub(crate) energy: i32,
    /// When it joined (microseconds since the epoch).
    pub(crate) joined: u64,
    /// Switch time it joined (a recording's length).
    pub(crate) since: Duration,
    /// Files played to this member only, the first one playing.
    pub(crate) files: VecDeque<FileNode>,
}

impl Member {
    /// Has a channel (`member->session && !MFLAG_NOCHANNEL`).
    pub(crate) fn has_channel(&self) -> bool {
        self.uuid.is_some()
    }
}

#[derive(Debug)]
pub(crate) struct Conference {
    pub(crate) name: String,
    pub(crate) uuid: String,
    pub(crate) profile: String,
    /// When it was made (microseconds since the epoch).
    pub(crate) created: u64,
    /// Newest first, as `conference_member_add` puts each at the head of the list.
    pub(crate) members: Vec<Member>,
    pub(crate) floor: Option<u32>,
    pub(crate) locked: bool,
    /// `CFLAG_ANSWERED`: a member that is not an outbound leg joined.
    pub(crate) answered: bool,
    /// `CFLAG_DESTRUCT`: the last member left; the thread ends at its next frame.
    pub(crate) destruct: bool,
    /// The queue of files played to everyone, the first one playing.
    pub(crate) files: VecDeque<FileNode>,
    /// The `async` file, playing over the queue.
    pub(crate) async_file: Option<FileNode>,
    pub(crate) record_count: u32,
    /// `moh_wait`: after music on hold fails to start, the thread waits two seconds.
    pub(crate) moh_wait_until: Duration,
    /// The next frame the thread is due to run, if any.
    pub(crate) frame: Option<(Duration, TimerKey)>,
}

impl Conference {
    /// `conference->count`: members with a channel, ghosts not counted.
    pub(crate) fn count(&self) -> usize {
        self.members
            .iter()
            .filter(|m| m.has_channel() && !m.flags.ghost)
            .count()
    }

    /// `conference->count_ghosts`.
    pub(crate) fn ghosts(&self) -> usize {
        self.members
            .iter()
            .filter(|m| m.has_channel() && m.flags.ghost)
            .count()
    }

    pub(crate) fn member(&self, id: u32) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }

    pub(crate) fn member_mut(&mut self, id: u32) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.id == id)
    }

    /// `conference_member_get`: a member with a channel that is neither kicked nor hanging
    /// up. `up` says whether a channel is up.
    pub(crate) fn gettable(&self, id: u32, up: impl Fn(&str) -> bool) -> Option<&Member> {
        self.members
            .iter()
            .find(|m| m.id == id && !m.flags.kicked && m.uuid.as_deref().is_some_and(&up))
    }
}

/// `conference <name>[@<profile>][+flags{a|b}]`: the name, the profile and the member flags.
fn parse_target(arg: &str) -> (String, String, Vec<String>) {
    let mut rest = arg.trim().to_owned();
    let mut flags = Vec::new();
    if let Some(start) = rest.find("+flags{") {
        let inner = &rest[start + "+flags{".len()..];
        let end = inner.find('}').unwrap_or(inner.len());
        flags = inner[..end]
            .split('|')
            .map(|f| f.trim().to_ascii_lowercase())
            .filter(|f| !f.is_empty())
            .collect();
        let after = (start + "+flags{".len() + end + 1).min(rest.len());
        rest = format!("{}{}", &rest[..start], &rest[after..]);
    }
    // `+<pin>` is not simulated: it is cut off with the rest.
    let rest = rest.split('+').next().unwrap_or_default();
    let (name, profile) = match rest.split_once('@') {
        Some((name, profile)) if !profile.is_empty() => (name, profile),
        Some((name, _)) => (name, "default"),
        None => (rest, "default"),
    };
    (name.to_owned(), profile.to_owned(), flags)
}

impl Switch {
    /// The name of the conference whose `Conference-Unique-ID` is `cuuid` (timers name
    /// conferences by uuid: a conference of the same name made later is another one).
    pub(crate) fn conference_named_by(&self, cuuid: &str) -> Option<String> {
        self.conferences
            .values()
            .find(|c| c.uuid == cuuid)
            .map(|c| c.name.clone())
    }

    /// Whether the channel `uuid` is up (not hanging up).
    pub(crate) fn channel_up(&self, uuid: &str) -> bool {
        self.channels.get(uuid).is_some_and(|c| !c.hung_up)
    }

    /// The `conference` application: `conference_function` then `conference_member_add`.
    /// The application runs until the member leaves.
    pub(crate) fn conference_join(&mut self, uuid: &str, arg: &str, app_uuid: String) {
        let (conf, profile, flags) = parse_target(arg);
        if self.conferences.get(&conf).is_some_and(|c| c.locked) {
            // "Conference %s is locked.": the locked sound (missing) and the application
            // returns; no event.
            self.answer(uuid);
            self.exec_done(uuid, &app_uuid, "_none_");
            return;
        }
        let Some(ch) = self.channels.get(uuid) else {
            return;
        };
        let inbound = !ch.outbound();
        if !self.conferences.contains_key(&conf) {
            let cuuid = self.uuids.next();
            self.conferences.insert(
                conf.clone(),
                Conference {
                    name: conf.clone(),
                    uuid: cuuid,
                    profile,
                    created: self.now_micros(),
                    members: Vec::new(),
                    floor: None,
                    locked: false,
                    answered: false,
                    destruct: false,
                    files: VecDeque::new(),
                    async_file: None,
                    record_count: 0,
                    moh_wait_until: Duration::ZERO,
                    frame: None,
                },
            );
            self.conference_event(
                &conf,
                ("mod_conference.c", "conference_new", 3848),
                "conference-create",
                &[],
            );
        }
        self.member_ids += 1;
        let id = self.member_ids;
        let mut member_flags = MemberFlags::default();
        for flag in &flags {
            match flag.as_str() {
                "moderator" => member_flags.moderator = true,
                "mute" => member_flags.speak = false,
                "ghost" => member_flags.ghost = true,
                "mute-detect" => member_flags.mute_detect = true,
                _ => {}
            }
        }
        let member = Member {
            id,
            uuid: Some(uuid.to_owned()),
            app_uuid,
            rec_path: None,
            flags: member_flags,
            volume_in: 0,
            volume_out: 0,
            energy: ENERGY_LEVEL,
            joined: self.now_micros(),
            since: self.now,
            files: VecDeque::new(),
        };
        let cuuid = {
            let Some(c) = self.conferences.get_mut(&conf) else {
                return;
            };
            c.answered |= inbound;
            c.uuid.clone()
        };
        if let Some(ch) = self.channels.get_mut(uuid) {
            ch.conference = Some(conf.clone());
            ch.set_var("conference_name", &conf);
            ch.set_var("conference_member_id", &id.to_string());
            ch.set_var("conference_moderator", bool_str(member_flags.moderator));
            ch.set_var("conference_ghost", bool_str(member_flags.ghost));
            ch.set_var("conference_uuid", &cuuid);
        }
        // conference_member_add counts the member, plays what the count calls for and
        // fires add-member (it links the member into the list last, which nothing here
        // can tell apart).
        let ghost = member_flags.ghost;
        let Some(c) = self.conferences.get_mut(&conf) else {
            return;
        };
        c.members.insert(0, member);
        let count = c.count();
        if count > 1 {
            self.file_stop(&conf, files::Stop::Async);
            self.conference_play(&conf, ENTER, LEADIN, false);
        } else if count == 1 && !ghost {
            self.file_stop(&conf, files::Stop::Async);
            self.conference_play(&conf, ALONE, LEADIN, false);
        }
        self.member_event(
            &conf,
            Who::Id(id),
            ("conference_member.c", "conference_member_add", 962),
            "add-member",
            &[],
        );
        self.schedule_frame(&conf, FRAME);
    }

    /// A member's channel hangs up: it leaves at once (`conference_member_get` no longer
    /// finds a member whose channel is down).
    pub(crate) fn leave_conference(&mut self, uuid: &str, _cause: &str) {
        let Some(conf) = self
            .channels
            .get_mut(uuid)
            .and_then(|c| c.conference.take())
        else {
            return;
        };
        let id = self
            .conferences
            .get(&conf)
            .and_then(|c| c.members.iter().find(|m| m.uuid.as_deref() == Some(uuid)))
            .map(|m| m.id);
        if let Some(id) = id {
            self.member_del(&conf, id);
        }
    }

    /// A kicked or hung-up member's thread notices at the next frame: it leaves, and the
    /// `conference` application returns (the channel goes on with its extension).
    pub(crate) fn member_leaves(&mut self, cuuid: &str, id: u32) {
        let Some(conf) = self.conference_named_by(cuuid) else {
            return;
        };
        let Some(member) = self.conferences.get(&conf).and_then(|c| c.member(id)) else {
            return;
        };
        let (Some(uuid), app_uuid) = (member.uuid.clone(), member.app_uuid.clone()) else {
            return;
        };
        if member.flags.running {
            return;
        }
        if let Some(ch) = self.channels.get_mut(&uuid) {
            ch.conference = None;
        }
        self.member_del(&conf, id);
        // A kicked member hears the kicked sound first; it is not installed.
        self.exec_done(&uuid, &app_uuid, "_none_");
    }

    /// `conference_member_del`: the member's files close, the floor goes if it held it,
    /// the exit and alone sounds play, `del-member` fires; the last one out ends the
    /// conference at the next frame.
    pub(crate) fn member_del(&mut self, conf: &str, id: u32) {
        let Some(c) = self.conferences.get_mut(conf) else {
            return;
        };
        let Some(member) = c.member_mut(id) else {
            return;
        };
        // Out of the tree first: its files close and the floor leaves it while it still
        // counts, but nothing finds it any more (`Old-ID: none`).
        member.flags.intree = false;
        let files: Vec<FileNode> = member.files.drain(..).collect();
        let had_floor = c.floor == Some(id);
        for node in &files {
            if let Some(key) = node.timer {
                self.timers.cancel(key);
            }
            self.file_closed(conf, node);
        }
        if had_floor {
            self.set_floor_holder(conf, None);
        }
        let Some(c) = self.conferences.get_mut(conf) else {
            return;
        };
        let Some(at) = c.members.iter().position(|m| m.id == id) else {
            return;
        };
        let member = c.members.remove(at);
        if member.has_channel() {
            let (count, ghosts) = match self.conferences.get(conf) {
                Some(c) => (c.count(), c.ghosts()),
                None => return,
            };
            if count + ghosts == 0 {
                if let Some(c) = self.conferences.get_mut(conf) {
                    c.destruct = true;
                }
            } else {
                self.conference_play(conf, EXIT, Duration::ZERO, false);
                if count == 1 && !member.flags.ghost {
                    self.file_stop(conf, files::Stop::Async);
                    self.conference_play(conf, ALONE, Duration::ZERO, false);
                }
            }
            self.member_event(
                conf,
                Who::Gone(&member),
                ("conference_member.c", "conference_member_del", 1355),
                "del-member",
                &[],
            );
        }
        self.schedule_frame(conf, FRAME);
    }

    /// The conference thread ends: what still plays is closed, recordings stop, and
    /// `conference-destroy` fires.
    pub(crate) fn conference_destroy(&mut self, conf: &str) {
        let Some(c) = self.conferences.get_mut(conf) else {
            return;
        };
        if let Some((_, key)) = c.frame.take() {
            self.timers.cancel(key);
        }
        let Some(c) = self.conferences.get_mut(conf) else {
            return;
        };
        let mut nodes: Vec<FileNode> = c.files.drain(..).collect();
        nodes.extend(c.async_file.take());
        for node in &nodes {
            if let Some(key) = node.timer {
                self.timers.cancel(key);
            }
            self.file_closed(conf, node);
        }
        let recorders: Vec<u32> = self
            .conferences
            .get(conf)
            .map(|c| {
                c.members
                    .iter()
                    .filter(|m| !m.has_channel())
                    .map(|m| m.id)
                    .collect()
            })
            .unwrap_or_default();
        for id in recorders {
            self.recording_ended(conf, id);
        }
        self.conference_event(
            conf,
            ("mod_conference.c", "conference_thread_run", 863),
            "conference-destroy",
            &[],
        );
        self.conferences.remove(conf);
    }

    /// Asks for a frame of `conf`'s thread `after` from now (or sooner, if one is due
    /// sooner already).
    pub(crate) fn schedule_frame(&mut self, conf: &str, after: Duration) {
        let at = self.now + self.config.scaled(after);
        self.schedule_frame_at(conf, at);
    }

    /// Asks for a frame of `conf`'s thread at `at` (or sooner, if one is due sooner).
    pub(crate) fn schedule_frame_at(&mut self, conf: &str, at: Duration) {
        let Some(c) = self.conferences.get_mut(conf) else {
            return;
        };
        if let Some((due, key)) = c.frame {
            if due <= at {
                return;
            }
            self.timers.cancel(key);
        }
        let key = self.timers.at(
            at,
            Timer::ConferenceFrame {
                conference: c.uuid.clone(),
            },
        );
        if let Some(c) = self.conferences.get_mut(conf) {
            c.frame = Some((at, key));
        }
    }

    /// One frame of the conference thread (`conference_thread_run`): the floor goes to the
    /// newest member when nobody holds it, music on hold starts when one member is alone
    /// with nothing playing, files that were stopped close, and a conference whose last
    /// member left ends.
    pub(crate) fn conference_frame(&mut self, cuuid: &str) {
        let Some(conf) = self.conference_named_by(cuuid) else {
            return;
        };
        let Some(c) = self.conferences.get_mut(&conf) else {
            return;
        };
        c.frame = None;
        if c.destruct {
            return self.conference_destroy(&conf);
        }
        if c.floor.is_none() {
            let next = c
                .members
                .iter()
                .find(|m| m.flags.running && m.has_channel())
                .map(|m| m.id);
            if let Some(id) = next {
                self.set_floor_holder(&conf, Some(id));
            }
        }
        self.music_on_hold(&conf);
        self.close_done_files(&conf);
    }
}

pub(crate) fn bool_str(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_application_argument() {
        let t = |a: &str| parse_target(a);
        assert_eq!(
            t("conf217@default"),
            ("conf217".into(), "default".into(), vec![])
        );
        assert_eq!(
            t("sales+flags{moderator|mute}"),
            (
                "sales".into(),
                "default".into(),
                vec!["moderator".into(), "mute".into()]
            )
        );
        assert_eq!(
            t("sales@wideband+flags{Moderator}"),
            ("sales".into(), "wideband".into(), vec!["moderator".into()])
        );
        assert_eq!(t("sales@"), ("sales".into(), "default".into(), vec![]));
    }
}
