//! The `conference` api (`conference_api.c`, FreeSWITCH 1.11): `conference list`,
//! `conference <name> <subcommand> ...` for the moderator's subcommands, with the exact
//! reply texts and the events each fires.
//!
//! Dispatch as `conference_api_dispatch` does it: member commands read the third word as a
//! member id (`atoi`), `all`, `non_moderator`, `last` or `var=value`, and pass only the
//! fourth word on; a subcommand that fails prints its usage, `"<command> <syntax>"`, with
//! no line end.

use super::files::Stop;
use super::{MemberFlags, Who, FRAME, IS_LOCKED, IS_UNLOCKED};
use crate::cjson::Json;
use crate::events::Origin;
use crate::switch::Switch;
use crate::time::Timer;

/// A member command's name and syntax (`conference_api_sub_commands`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sub {
    Mute,
    Unmute,
    Deaf,
    Undeaf,
    Kick,
    Hup,
    Floor,
    VolumeIn,
    VolumeOut,
    Energy,
}

impl Sub {
    fn parse(word: &str) -> Option<Sub> {
        Some(match word.to_ascii_lowercase().as_str() {
            "mute" => Sub::Mute,
            "unmute" => Sub::Unmute,
            "deaf" => Sub::Deaf,
            "undeaf" => Sub::Undeaf,
            "kick" => Sub::Kick,
            "hup" => Sub::Hup,
            "floor" => Sub::Floor,
            "volume_in" => Sub::VolumeIn,
            "volume_out" => Sub::VolumeOut,
            "energy" => Sub::Energy,
            _ => return None,
        })
    }

    fn usage(self) -> &'static str {
        match self {
            Sub::Mute => "mute <[member_id|all]|last|non_moderator> [<quiet>]",
            Sub::Unmute => "unmute <[member_id|all]|last|non_moderator> [<quiet>]",
            Sub::Deaf => "deaf <[member_id|all]|last|non_moderator>",
            Sub::Undeaf => "undeaf <[member_id|all]|last|non_moderator>",
            Sub::Kick => "kick <[member_id|all|last|non_moderator]> [<optional sound file>]",
            Sub::Hup => "hup <[member_id|all|last|non_moderator]>",
            Sub::Floor => "floor <member_id|last>",
            Sub::VolumeIn => "volume_in <member_id|all|last|non_moderator> [<newval>]",
            Sub::VolumeOut => "volume_out <member_id|all|last|non_moderator> [<newval>]",
            Sub::Energy => "energy <member_id|all|last|non_moderator> [<newval>]",
        }
    }

    fn function(self) -> &'static str {
        match self {
            Sub::Mute => "conference_api_sub_mute",
            Sub::Unmute => "conference_api_sub_unmute",
            Sub::Deaf => "conference_api_sub_deaf",
            Sub::Undeaf => "conference_api_sub_undeaf",
            Sub::Kick => "conference_api_sub_kick",
            Sub::Hup => "conference_api_sub_hup",
            Sub::Floor => "conference_api_sub_floor",
            Sub::VolumeIn => "conference_api_sub_volume_in",
            Sub::VolumeOut => "conference_api_sub_volume_out",
            Sub::Energy => "conference_api_sub_energy",
        }
    }
}

const PLAY_USAGE: &str = "play <file_path> [async|<member_id> [nomux]]";
const STOP_USAGE: &str = "stop <[current|all|async|last]> [<member_id>]";
const RECORD_USAGE: &str = "record <filename>";
const NORECORD_USAGE: &str = "norecord <[filename|all]>";
const RECORDING_USAGE: &str = "recording [start|stop|check|pause|resume] [<filename>|all]";

/// C's `atoi`: leading blanks, a sign, digits; anything else ends it (0 if none).
pub(crate) fn atoi(word: &str) -> i32 {
    let s = word.trim_start();
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        n = (n * 10 + i64::from(b - b'0')).min(i64::from(i32::MAX) + 1);
    }
    let n = if negative { -n } else { n };
    n.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

fn origin(function: &'static str) -> Origin {
    ("conference_api.c", function, 0)
}

/// `switch_normalize_volume`.
fn clamp_volume(v: i32) -> i32 {
    v.clamp(-4, 4)
}

impl Switch {
    /// `conference <args>` (`conference_api_main_real`).
    pub(crate) fn conference_api(&mut self, words: &[&str]) -> String {
        let argv: Vec<&str> = words.iter().take(25).copied().collect();
        let Some(&first) = argv.first() else {
            return "-USAGE: conference <name> <command>\n".into();
        };
        if self.conferences.get(first).is_some_and(|c| !c.destruct) {
            if argv.len() < 2 {
                return "Conference command, not specified.\nTry 'help'\n".into();
            }
            return self.conference_dispatch(first, &argv);
        }
        match first.to_ascii_lowercase().as_str() {
            "list" => self.list_conferences(&argv),
            "count" => self.conferences.len().to_string(),
            "json_list" => {
                let all: Vec<Json> = self.conferences.values().map(|c| self.jlist(c)).collect();
                let compact = argv.get(1) == Some(&"compact");
                let json = Json::Array(all);
                if compact {
                    json.compact()
                } else {
                    json.pretty()
                }
            }
            _ => format!("-ERR Conference {first} not found\n"),
        }
    }

    /// `conference_api_dispatch` for conference `conf`.
    fn conference_dispatch(&mut self, conf: &str, argv: &[&str]) -> String {
        if let Some(sub) = Sub::parse(argv[1]) {
            return self.member_target(conf, sub, argv);
        }
        let split = match argv[1].to_ascii_lowercase().as_str() {
            "list" => Ok(self.list_one(conf, argv)),
            "json_list" => {
                let Some(c) = self.conferences.get(conf) else {
                    return String::new();
                };
                let json = Json::Array(vec![self.jlist(c)]);
                Ok(if argv.len() == 3 && argv[2] == "compact" {
                    json.compact()
                } else {
                    json.pretty()
                })
            }
            "lock" => Ok(self.lock(conf, argv[0], true)),
            "unlock" => Ok(self.lock(conf, argv[0], false)),
            "play" => self.play(conf, argv).map_err(|out| (out, PLAY_USAGE)),
            "stop" => self.stop(conf, argv).map_err(|out| (out, STOP_USAGE)),
            "record" => self.record(conf, argv).map_err(|out| (out, RECORD_USAGE)),
            "norecord" => self
                .norecord(conf, argv)
                .map_err(|out| (out, NORECORD_USAGE)),
            "recording" => self
                .recording(conf, argv)
                .map_err(|out| (out, RECORDING_USAGE)),
            _ => return format!("-ERR Conference command '{}' not found.\n", argv[1]),
        };
        match split {
            Ok(out) => out,
            Err((out, usage)) => format!("{out}{usage}"),
        }
    }

    /// A member command: by id, `all`, `non_moderator`, `last` or `var=value`.
    fn member_target(&mut self, conf: &str, sub: Sub, argv: &[&str]) -> String {
        let mut out = String::new();
        let Some(c) = self.conferences.get(conf) else {
            return out;
        };
        let target = argv.get(2).copied().unwrap_or_default();
        let data = argv.get(3).copied();
        let id = atoi(target) as u32;
        let word = |w: &str| id == 0 && target.eq_ignore_ascii_case(w);
        if word("all") || word("non_moderator") {
            let non_mod = word("non_moderator");
            let members: Vec<(u32, bool, bool)> = c
                .members
                .iter()
                .map(|m| (m.id, m.flags.moderator, m.has_channel()))
                .collect();
            for (id, moderator, channel) in members {
                if non_mod && moderator {
                    out.push_str(&format!("Skipping moderator (member id {id}).\n"));
                } else if channel {
                    self.member_command(conf, id, sub, data, &mut out);
                }
            }
        } else if word("last") {
            // The highest id of every member, recordings included: when that is a
            // recording, nothing is done.
            let last = c.members.iter().max_by_key(|m| m.id);
            if let Some(m) = last.filter(|m| m.has_channel()) {
                let id = m.id;
                self.member_command(conf, id, sub, data, &mut out);
            }
        } else if id != 0 {
            match c.gettable(id, |u| self.channel_up(u)).map(|m| m.id) {
                Some(id) => self.member_command(conf, id, sub, data, &mut out),
                None => out.push_str(&format!("-ERR Non-Existant ID {id}\n")),
            }
        } else if target.contains('=') {
            match self.member_by_var(conf, target) {
                Some(id) => self.member_command(conf, id, sub, data, &mut out),
                None => out.push_str("-ERR Non-Existant member\n"),
            }
        } else {
            out.push_str(sub.usage());
        }
        out
    }

    /// `conference_member_get_by_var`: the first member whose channel has `var=value`.
    fn member_by_var(&self, conf: &str, target: &str) -> Option<u32> {
        let (var, value) = target.split_once('=')?;
        let c = self.conferences.get(conf)?;
        let m = c.members.iter().find(|m| {
            m.uuid
                .as_deref()
                .and_then(|u| self.channels.get(u))
                .and_then(|ch| ch.var(var))
                == Some(value)
        })?;
        c.gettable(m.id, |u| self.channel_up(u)).map(|m| m.id)
    }

    /// `conference_member_get_by_str`: an id, or `var=value`.
    fn member_by_str(&self, conf: &str, word: &str) -> Option<u32> {
        if word.contains('=') {
            return self.member_by_var(conf, word);
        }
        let c = self.conferences.get(conf)?;
        c.gettable(atoi(word) as u32, |u| self.channel_up(u))
            .map(|m| m.id)
    }

    /// One member command on member `id` (it exists), its reply line appended to `out`.
    fn member_command(
        &mut self,
        conf: &str,
        id: u32,
        sub: Sub,
        data: Option<&str>,
        out: &mut String,
    ) {
        let Some(m) = self
            .conferences
            .get_mut(conf)
            .and_then(|c| c.member_mut(id))
        else {
            return;
        };
        let f: &mut MemberFlags = &mut m.flags;
        let mut extra: Vec<(&'static str, String)> = Vec::new();
        let action = match sub {
            Sub::Mute => {
                f.speak = false;
                f.talking = false;
                out.push_str(&format!("+OK mute {id}\n"));
                "mute-member"
            }
            Sub::Unmute => {
                f.speak = true;
                out.push_str(&format!("+OK unmute {id}\n"));
                "unmute-member"
            }
            Sub::Deaf => {
                f.hear = false;
                out.push_str(&format!("+OK deaf {id}\n"));
                "deaf-member"
            }
            Sub::Undeaf => {
                f.hear = true;
                out.push_str(&format!("+OK undeaf {id}\n"));
                "undeaf-member"
            }
            Sub::Kick | Sub::Hup => {
                f.running = false;
                let action = if sub == Sub::Kick {
                    f.kicked = true;
                    out.push_str(&format!("+OK kicked {id}\n"));
                    "kick-member"
                } else {
                    out.push_str(&format!("+OK hup {id}\n"));
                    "hup-member"
                };
                let cuuid = self.conferences.get(conf).map(|c| c.uuid.clone());
                if let Some(cuuid) = cuuid {
                    let due = self.now + self.config.scaled(FRAME);
                    self.timers.at(
                        due,
                        Timer::MemberLeaves {
                            conference: cuuid,
                            member: id,
                        },
                    );
                }
                action
            }
            Sub::Floor => return self.floor(conf, id, out),
            Sub::VolumeIn | Sub::VolumeOut => {
                let level = if sub == Sub::VolumeIn {
                    &mut m.volume_in
                } else {
                    &mut m.volume_out
                };
                if let Some(data) = data {
                    *level = clamp_volume(match data.to_ascii_lowercase().as_str() {
                        "up" => *level + 1,
                        "down" => *level - 1,
                        _ => atoi(data),
                    });
                }
                let (name, action) = if sub == Sub::VolumeIn {
                    ("IN", "volume-in-member")
                } else {
                    ("OUT", "volume-out-member")
                };
                out.push_str(&format!("+OK Volume {name} {id} = {}\n", *level));
                if data.is_none() {
                    return;
                }
                extra.push(("Volume-Level", level.to_string()));
                action
            }
            Sub::Energy => {
                if let Some(data) = data {
                    m.energy = match data.to_ascii_lowercase().as_str() {
                        "up" => (m.energy + 200).min(1800),
                        "down" => (m.energy - 200).max(0),
                        _ => atoi(data),
                    };
                }
                out.push_str(&format!("Energy {id} = {}\n", m.energy));
                if data.is_none() {
                    return;
                }
                extra.push(("Energy-Level", m.energy.to_string()));
                "energy-level-member"
            }
        };
        self.member_event(conf, Who::Id(id), origin(sub.function()), action, &extra);
    }

    /// `floor`: takes the floor back from its holder, gives it to the member when nobody
    /// holds it, refuses while another member holds it.
    fn floor(&mut self, conf: &str, id: u32, out: &mut String) {
        let Some(holder) = self.conferences.get(conf).map(|c| c.floor) else {
            return;
        };
        match holder {
            Some(h) if h == id => {
                self.set_floor_holder(conf, None);
                out.push_str("+OK floor none\n");
                // The mixer hands the floor on at its next frame.
                self.schedule_frame(conf, FRAME);
            }
            None => {
                self.set_floor_holder(conf, Some(id));
                out.push_str(&format!("+OK floor {id}\n"));
            }
            Some(h) => out.push_str(&format!("-ERR floor is held by {h}\n")),
        }
    }

    /// `lock` / `unlock`: the is-(un)locked sound (missing), the flag, the event.
    fn lock(&mut self, conf: &str, name: &str, lock: bool) -> String {
        let sound = if lock { IS_LOCKED } else { IS_UNLOCKED };
        self.conference_play(conf, sound, super::LEADIN, false);
        if let Some(c) = self.conferences.get_mut(conf) {
            c.locked = lock;
        }
        let (function, action) = if lock {
            ("conference_api_sub_lock", "lock")
        } else {
            ("conference_api_sub_unlock", "unlock")
        };
        self.conference_event(conf, origin(function), action, &[]);
        format!("+OK {name} {action}ed\n")
    }

    /// `play <file> [async | <member> [nomux]]`.
    fn play(&mut self, conf: &str, argv: &[&str]) -> Result<String, String> {
        let mut argc = argv.len();
        let mut asynchronous = false;
        if (argc == 4 && argv[3].eq_ignore_ascii_case("async"))
            || (argc == 5 && argv[4].eq_ignore_ascii_case("async"))
        {
            argc -= 1;
            asynchronous = true;
        }
        if argc == 3 {
            let file = argv[2];
            if !self.conference_play(conf, file, std::time::Duration::ZERO, asynchronous) {
                return Ok(format!("-ERR (play) File: {file} not found.\n"));
            }
            self.conference_event(
                conf,
                origin("conference_api_sub_play"),
                "play-file",
                &[
                    ("File", file.to_owned()),
                    ("Async", super::bool_str(asynchronous).into()),
                ],
            );
            return Ok(format!("+OK (play) Playing file {file}\n"));
        }
        if argc < 4 {
            return Err(String::new());
        }
        let (file, word) = (argv[2], argv[3]);
        let Some(id) = self.member_by_str(conf, word) else {
            return Err(format!("-ERR Member: {} not found.\n", atoi(word) as u32));
        };
        if !self.member_play(conf, id, file) {
            return Ok(format!("-ERR (play) File: {file} not found.\n"));
        }
        self.member_event(
            conf,
            Who::Id(id),
            origin("conference_api_sub_play"),
            "play-file-member",
            &[("File", file.to_owned())],
        );
        Ok(format!("+OK (play) Playing file {file} to member {id}\n"))
    }

    /// `stop [current|all|async] [<member>]`.
    fn stop(&mut self, conf: &str, argv: &[&str]) -> Result<String, String> {
        let which = match argv.get(2).map(|w| w.to_ascii_lowercase()) {
            None => Stop::All,
            Some(w) if w == "current" => Stop::Current,
            Some(w) if w == "all" => Stop::All,
            Some(w) if w == "async" => Stop::Async,
            Some(_) => return Err(String::new()),
        };
        if argv.len() == 4 {
            return Ok(match self.member_by_str(conf, argv[3]) {
                Some(id) => {
                    let n = self.stop_files(conf, Some(id), which);
                    format!("+OK Stopped {n} files.\n")
                }
                None => format!("-ERR Member: {} not found.\n", argv[3]),
            });
        }
        let n = self.file_stop(conf, which);
        Ok(format!("+OK Stopped {n} files.\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_reads_as_c_does() {
        assert_eq!(atoi("12"), 12);
        assert_eq!(atoi("  7x"), 7);
        assert_eq!(atoi("-1"), -1);
        assert_eq!(atoi("all"), 0);
        assert_eq!(atoi("99999999999"), i32::MAX);
        assert_eq!(atoi("-1") as u32, 4_294_967_295);
    }
}
