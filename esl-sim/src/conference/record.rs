//! Recording a conference (`conference_record.c`): a recording is a member without a
//! channel that joins when `record` (or `recording start`) launches it and fires
//! `start-recording`; `norecord` (`recording stop`) stops it at its next frame with
//! `stop-recording`.

use super::{Extra, Member, MemberFlags, FRAME};
use crate::switch::Switch;
use crate::time::Timer;

use super::api::atoi;

impl Switch {
    /// `record <path> [<canvas>]`: a recording member joins (`start-recording`).
    pub(super) fn record(&mut self, conf: &str, argv: &[&str]) -> Result<String, String> {
        if argv.len() <= 2 {
            return Err(String::new());
        }
        let path = argv[2];
        let mut out = String::new();
        // No video canvases: a canvas id reads as 1, or as invalid below 1.
        let canvas = argv.get(3).map(|w| atoi(w));
        if canvas.is_some_and(|id| id < 1) {
            out.push_str("-ERR Invalid canvas\n");
        }
        let bare = |p: &str| match p.rfind('}') {
            Some(at) => p[at..].trim_start_matches(['}', ' ']).to_owned(),
            None => p.to_owned(),
        };
        let Some(c) = self.conferences.get(conf) else {
            return Ok(out);
        };
        if let Some(taken) = c
            .members
            .iter()
            .filter_map(|m| m.rec_path.as_deref())
            .find(|p| bare(p) == bare(path))
        {
            out.push_str(&format!(
                "-ERR file [{taken}] is already being used for recording.\n"
            ));
            return Ok(out);
        }
        match canvas {
            Some(id) if id >= 1 => out.push_str(&format!("+OK Record file {path} canvas 1\n")),
            _ => out.push_str(&format!("+OK Record file {path}\n")),
        }
        self.member_ids += 1;
        let member = Member {
            id: self.member_ids,
            uuid: None,
            app_uuid: String::new(),
            rec_path: Some(path.to_owned()),
            flags: MemberFlags::default(),
            volume_in: 0,
            volume_out: 0,
            energy: super::ENERGY_LEVEL,
            joined: self.now_micros(),
            since: self.now,
            files: Default::default(),
        };
        if let Some(c) = self.conferences.get_mut(conf) {
            c.record_count += 1;
        }
        self.conference_event(
            conf,
            ("conference_record.c", "conference_record_thread_run", 0),
            "start-recording",
            &[("Path", path.to_owned())],
        );
        if let Some(c) = self.conferences.get_mut(conf) {
            c.members.insert(0, member);
        }
        Ok(out)
    }

    /// `norecord <path|all>`: each recording stops at its next frame; the count in the
    /// reply is of recordings already gone, which is none yet (`ttl = before -
    /// record_count` is read before the recording threads wake).
    pub(super) fn norecord(&mut self, conf: &str, argv: &[&str]) -> Result<String, String> {
        if argv.len() <= 2 {
            return Err(String::new());
        }
        let path = argv[2];
        let all = path.eq_ignore_ascii_case("all");
        let Some(c) = self.conferences.get_mut(conf) else {
            return Ok(String::new());
        };
        let before = c.record_count;
        let cuuid = c.uuid.clone();
        let mut out = String::new();
        let mut stopped = Vec::new();
        for m in c.members.iter_mut().filter(|m| !m.has_channel()) {
            let Some(p) = m.rec_path.as_deref() else {
                continue;
            };
            if all || p == path {
                out.push_str(&format!("Stopped recording file {p}\n"));
                m.flags.running = false;
                stopped.push(m.id);
            }
        }
        let after = c.record_count;
        if stopped.is_empty() && !all {
            out.push_str(&format!("-ERR non-existant recording '{path}'\n"));
        }
        let due = self.now + self.config.scaled(FRAME);
        for id in stopped {
            self.timers.at(
                due,
                Timer::RecordingEnds {
                    conference: cuuid.clone(),
                    member: id,
                },
            );
        }
        let ttl = before - after;
        let s = if ttl == 1 { "" } else { "s" };
        out.push_str(&format!("+OK Stopped recording {ttl} file{s}\n"));
        Ok(out)
    }

    /// `recording start|stop|check <path|all>` (and the old one-word forms).
    pub(super) fn recording(&mut self, conf: &str, argv: &[&str]) -> Result<String, String> {
        let mut argv: Vec<&str> = argv.to_vec();
        if argv.len() == 3
            && (argv[2].eq_ignore_ascii_case("stop") || argv[2].eq_ignore_ascii_case("check"))
        {
            argv.push("all");
        }
        if argv.len() <= 3 {
            return self.record(conf, &argv);
        }
        let rest: Vec<&str> = [argv[0], argv[2]]
            .into_iter()
            .chain(argv[3..].iter().copied())
            .collect();
        match argv[2].to_ascii_lowercase().as_str() {
            "start" => self.record(conf, &rest[..rest.len().min(4)]),
            "stop" => self.norecord(conf, &rest[..3]),
            "check" => Ok(self.check_record(conf)),
            _ => Err(String::new()),
        }
    }

    /// `recording check`.
    fn check_record(&self, conf: &str) -> String {
        let Some(c) = self.conferences.get(conf) else {
            return String::new();
        };
        let out: String = c
            .members
            .iter()
            .filter_map(|m| m.rec_path.as_deref())
            .map(|p| format!("+OK Record file {p}\n"))
            .collect();
        if out.is_empty() {
            "-ERR Conference is not being recorded.\n".into()
        } else {
            out
        }
    }

    /// A recording's thread ends: `stop-recording` with what it wrote (8000 samples a
    /// second of its time).
    pub(crate) fn recording_ended(&mut self, conf: &str, id: u32) {
        let Some(c) = self.conferences.get_mut(conf) else {
            return;
        };
        let Some(at) = c
            .members
            .iter()
            .position(|m| m.id == id && !m.has_channel())
        else {
            return;
        };
        let member = c.members.remove(at);
        c.record_count = c.record_count.saturating_sub(1);
        let others = c.record_count > 0;
        let elapsed = self.config.unscaled(self.now.saturating_sub(member.since));
        let samples = elapsed.as_millis() * 8;
        self.maintenance(
            conf,
            ("conference_record.c", "conference_record_thread_run", 0),
            None,
            &[],
            "stop-recording",
            &[
                Extra::Header("Path", member.rec_path.unwrap_or_default()),
                Extra::Header("Other-Recordings", super::bool_str(others).into()),
                Extra::Header("Samples-Out", samples.to_string()),
                Extra::Header("Samplerate", "8000".into()),
                Extra::Header("Milliseconds-Elapsed", (samples / 8).to_string()),
            ],
        );
    }

    /// The timer of a stopped recording.
    pub(crate) fn recording_timer(&mut self, cuuid: &str, id: u32) {
        if let Some(conf) = self.conference_named_by(cuuid) {
            self.recording_ended(&conf, id);
        }
    }
}
