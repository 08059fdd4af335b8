//! Conferences: members joining and leaving with the `conference::maintenance` events
//! `inbound_conference` recorded, and the `conference <name> list|json_list` api.

use crate::switch::Switch;

#[derive(Debug)]
pub(crate) struct Member {
    pub(crate) id: u32,
    pub(crate) uuid: String,
    pub(crate) name: String,
    pub(crate) cid_num: String,
}

#[derive(Debug)]
pub(crate) struct Conference {
    pub(crate) name: String,
    pub(crate) uuid: String,
    pub(crate) members: Vec<Member>,
    pub(crate) floor: Option<u32>,
    pub(crate) next_member: u32,
}

/// No sound files were installed on the recording switch, so every `play-file` failed.
fn play_file(file: &str) -> [(&'static str, String); 3] {
    [
        ("File", file.to_owned()),
        ("Async", "true".into()),
        ("Error", "File could not be played".into()),
    ]
}

const ALONE: &str = "conference/conf-alone.wav";
const EXIT: &str = "conference/conf-exit.wav";

impl Switch {
    fn conference_event(
        &mut self,
        conf: &str,
        action: &str,
        member: Option<(&str, u32)>,
        extra: &[(&str, String)],
    ) {
        let Some(c) = self.conferences.get(conf) else {
            return;
        };
        let (name, cuuid, size, floor) = (c.name.clone(), c.uuid.clone(), c.members.len(), c.floor);
        let mut b = self
            .base_custom(
                "conference::maintenance",
                ("conference_member.c", "conference_member_add", 962),
            )
            .header("Conference-Name", name.as_str())
            .header("Conference-Domain", "127.0.0.1")
            .header("Conference-Size", size.to_string())
            .header("Conference-Ghosts", "0")
            .header("Conference-Profile-Name", "default")
            .header("Conference-Unique-ID", cuuid.as_str());
        if let Some((uuid, id)) = member {
            b = b.header("Floor", if floor == Some(id) { "true" } else { "false" });
            if let Some(ch) = self.channels.get(uuid) {
                b = Self::channel_data(b, ch);
            }
            b = b
                .header("Hear", "true")
                .header("Speak", "true")
                .header("Talking", "false")
                .header("Mute-Detect", "false")
                .header("Member-ID", id.to_string())
                .header("Member-Type", "member");
        }
        for (n, v) in extra {
            b = b.header(*n, v.as_str());
        }
        let event = b.header("Action", action).build();
        self.publish(&event);
    }

    /// `conference <name>@<profile>`: join, with the events `inbound_conference` shows. The
    /// application runs until the member leaves.
    pub(crate) fn conference_join(&mut self, uuid: &str, arg: &str) {
        let conf = arg.split('@').next().unwrap_or(arg).trim().to_owned();
        let first = !self.conferences.contains_key(&conf);
        if first {
            let cuuid = self.uuids.next();
            self.conferences.insert(
                conf.clone(),
                Conference {
                    name: conf.clone(),
                    uuid: cuuid,
                    members: Vec::new(),
                    floor: None,
                    next_member: 1,
                },
            );
            self.conference_event(&conf, "conference-create", None, &[]);
            self.conference_event(&conf, "play-file", None, &play_file(ALONE));
        }
        let Some(ch) = self.channels.get(uuid) else {
            return;
        };
        let (name, cid_num) = (ch.name.clone(), ch.profile.cid_num.clone());
        let Some(c) = self.conferences.get_mut(&conf) else {
            return;
        };
        let id = c.next_member;
        c.next_member += 1;
        c.members.push(Member {
            id,
            uuid: uuid.to_owned(),
            name,
            cid_num,
        });
        if let Some(ch) = self.channels.get_mut(uuid) {
            ch.conference = Some(conf.clone());
        }
        self.conference_event(&conf, "add-member", Some((uuid, id)), &[]);
        if first {
            if let Some(c) = self.conferences.get_mut(&conf) {
                c.floor = Some(id);
            }
            self.conference_event(
                &conf,
                "floor-change",
                Some((uuid, id)),
                &[("Old-ID", "none".into()), ("New-ID", id.to_string())],
            );
            self.conference_event(&conf, "play-file", None, &play_file(ALONE));
        } else {
            self.conference_event(&conf, "play-file-done", None, &[("File", ALONE.into())]);
        }
    }

    /// A member hangs up: `del-member`, the floor passes on, and the last one out destroys
    /// the conference.
    pub(crate) fn leave_conference(&mut self, uuid: &str, cause: &str) {
        let Some(conf) = self
            .channels
            .get_mut(uuid)
            .and_then(|c| c.conference.take())
        else {
            return;
        };
        let Some(c) = self.conferences.get(&conf) else {
            return;
        };
        let Some(member) = c.members.iter().find(|m| m.uuid == uuid) else {
            return;
        };
        let id = member.id;
        let had_floor = c.floor == Some(id);
        let remaining = c.members.len() - 1;
        if had_floor {
            self.conference_event(
                &conf,
                "floor-change",
                None,
                &[("Old-ID", id.to_string()), ("New-ID", "none".into())],
            );
        }
        if remaining > 0 {
            self.conference_event(&conf, "play-file", None, &play_file(EXIT));
        }
        self.conference_event(
            &conf,
            "del-member",
            Some((uuid, id)),
            &[("Hangup-Cause", cause.to_owned())],
        );
        let Some(c) = self.conferences.get_mut(&conf) else {
            return;
        };
        c.members.retain(|m| m.uuid != uuid);
        let Some(next) = c.members.first() else {
            self.conference_event(&conf, "conference-destroy", None, &[]);
            self.conferences.remove(&conf);
            return;
        };
        if had_floor {
            let (next_id, next_uuid) = (next.id, next.uuid.clone());
            c.floor = Some(next_id);
            self.conference_event(
                &conf,
                "floor-change",
                Some((&next_uuid, next_id)),
                &[("Old-ID", "none".into()), ("New-ID", next_id.to_string())],
            );
            self.conference_event(&conf, "play-file-done", None, &[("File", EXIT.into())]);
            self.conference_event(&conf, "play-file", None, &play_file(ALONE));
        }
    }

    /// `conference <name> list|json_list` (`inbound_conference`).
    pub(crate) fn conference_api(&self, words: &[&str]) -> String {
        let Some(name) = words.first() else {
            return "-USAGE: conference <name> <command>\n".into();
        };
        let Some(conf) = self.conferences.get(*name) else {
            return format!("-ERR Conference {name} not found\n");
        };
        match words.get(1).copied() {
            Some("list") => conf
                .members
                .iter()
                .rev()
                .map(|m| {
                    format!(
                        "{};{};{};;{};hear|speak;0;0;100\n",
                        m.id, m.name, m.uuid, m.cid_num
                    )
                })
                .collect(),
            Some("json_list") => {
                let members: Vec<serde_json::Value> = conf
                    .members
                    .iter()
                    .map(|m| {
                        serde_json::json!({
                            "id": m.id,
                            "uuid": m.uuid,
                            "caller_id_number": m.cid_num,
                            "flags": {
                                "can_hear": true,
                                "can_speak": true,
                                "talking": false,
                                "has_floor": conf.floor == Some(m.id),
                            },
                        })
                    })
                    .collect();
                let list = serde_json::json!([{
                    "conference_name": conf.name,
                    "member_count": conf.members.len(),
                    "members": members,
                }]);
                format!("{list}\n")
            }
            Some(other) => format!("-ERR Unknown command {other}\n"),
            None => "-USAGE: conference <name> <command>\n".into(),
        }
    }
}
