//! Readers for the `list` replies, in the exact format `conference_list` and
//! `conference_api_sub_list` (`mod_conference`) print.

/// A `list` reply that does not have the shape `mod_conference` prints.
///
/// ```
/// use esl_proto::conference::{parse_list, ListError};
/// assert_eq!(parse_list("-ERR Conference conf217 not found\n"),
///     Err(ListError::Refused("-ERR Conference conf217 not found".into())));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ListError {
    /// The switch answered `-ERR ...` (no such conference) instead of a list.
    #[error("the switch refused: {0}")]
    Refused(String),
    /// A line is not a member line (or a summary line, for `conference list`).
    #[error("malformed list line {0:?}")]
    Malformed(String),
    /// The delimiter occurs inside the fields (see [`ConferenceCommands::list_delim`](super::ConferenceCommands::list_delim)).
    #[error("list delimiter {0:?} occurs inside the fields")]
    Delimiter(String),
}

/// A member's flags in a `list` line (`conference_list` in `mod_conference.c` writes them
/// joined by `|`, in this order, `hear|speak|talking|hold|video|floor|vid-floor|moderator|ghost`;
/// a held member shows `hold` and none of the first three).
///
/// ```
/// let m = esl_proto::conference::parse_list("2;a;b;;1;hear|moderator;0;0;100\n").unwrap();
/// assert!(m[0].flags.hear && m[0].flags.moderator && !m[0].flags.speak);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ListedFlags {
    /// `hear`: the member hears the conference (not deaf).
    pub hear: bool,
    /// `speak`: the member can be heard (not muted).
    pub speak: bool,
    /// `talking`: the member is talking now.
    pub talking: bool,
    /// `hold`: the member is on hold.
    pub hold: bool,
    /// `video`: the member's channel has video.
    pub video: bool,
    /// `floor`: the member holds the audio floor.
    pub floor: bool,
    /// `vid-floor`: the member holds the video floor.
    pub vid_floor: bool,
    /// `moderator`
    pub moderator: bool,
    /// `ghost`: not counted, not announced.
    pub ghost: bool,
    /// `res-id:<id>`: the member's video reservation id.
    pub reservation_id: Option<String>,
    /// `role-id:<id>`: the member's video role id.
    pub role_id: Option<String>,
}

/// One member line of `conference <name> list`:
/// `"%u;%s;%s;%s;%s;" flags ";%d;%d;%d\n"` (id, channel name, uuid, caller id name and
/// number, flags, volume in, volume out, energy level).
///
/// ```
/// let m = &esl_proto::conference::parse_list(
///     "2;loopback/conf-b;0451b837-24a6-4b4b-9ddf-8fe421955430;;0000000000;hear|speak;0;0;100\n",
/// ).unwrap()[0];
/// assert_eq!((m.id, m.channel_name.as_str(), m.energy_level), (2, "loopback/conf-b", 100));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ListedMember {
    /// `Member-ID`.
    pub id: u32,
    /// The member's channel name.
    pub channel_name: String,
    /// The member's channel uuid.
    pub uuid: String,
    /// Caller id name (often empty).
    pub caller_id_name: String,
    /// Caller id number.
    pub caller_id_number: String,
    /// The flags field.
    pub flags: ListedFlags,
    /// `volume_in` level, -4 to 4.
    pub volume_in: i32,
    /// `volume_out` level, -4 to 4.
    pub volume_out: i32,
    /// `energy` threshold.
    pub energy_level: i32,
}

impl ListedMember {
    /// Reads one member line, fields separated by `delim` (`;` unless `list delim` chose
    /// another). A channel name or caller id name may itself hold the delimiter (a SIP
    /// channel name with `;transport=tcp`): then the uuid field is found by its shape, and
    /// without one the line is [`ListError::Malformed`].
    ///
    /// ```
    /// use esl_proto::conference::ListedMember;
    /// let line = "5;sofia/internal/sip:1000@example.com;transport=tcp;\
    ///             8d1e2f38-5ae1-4c4b-a2a8-3a6f0e0b2c11;Ann; Bob;1000;hear|speak|talking;1;-1;300";
    /// let m = ListedMember::parse_line(line, ";")?;
    /// assert_eq!(m.channel_name, "sofia/internal/sip:1000@example.com;transport=tcp");
    /// assert_eq!((m.caller_id_name.as_str(), m.volume_in, m.volume_out), ("Ann; Bob", 1, -1));
    /// # Ok::<(), esl_proto::conference::ListError>(())
    /// ```
    pub fn parse_line(line: &str, delim: &str) -> Result<ListedMember, ListError> {
        if !readable_delimiter(delim) {
            return Err(ListError::Delimiter(delim.to_owned()));
        }
        let bad = || ListError::Malformed(line.to_owned());
        let parts: Vec<&str> = line.split(delim).collect();
        let n = parts.len();
        if n < 9 {
            return Err(bad());
        }
        let number = |s: &str| s.parse::<i32>().map_err(|_| bad());
        let middle = &parts[1..n - 4];
        // The uuid is the only field of a known shape; with exactly four middle fields
        // nothing needs finding.
        let at = if middle.len() == 4 {
            1
        } else {
            (1..middle.len() - 2)
                .find(|&i| is_uuid(middle[i]))
                .ok_or_else(bad)?
        };
        Ok(ListedMember {
            id: parts[0].parse().map_err(|_| bad())?,
            channel_name: middle[..at].join(delim),
            uuid: middle[at].to_owned(),
            caller_id_name: middle[at + 1..middle.len() - 1].join(delim),
            caller_id_number: middle[middle.len() - 1].to_owned(),
            flags: parse_flags(parts[n - 4]),
            volume_in: number(parts[n - 3])?,
            volume_out: number(parts[n - 2])?,
            energy_level: number(parts[n - 1])?,
        })
    }
}

/// conference_list joins the flags with `|` and writes `res-id:<id>`; the uuid holds `-`
/// and hex digits, the levels `-` and digits. A delimiter holding none of them splits only
/// where the switch put it (or inside the free-text names, which the uuid anchors).
pub(super) fn readable_delimiter(delim: &str) -> bool {
    !delim.is_empty()
        && !delim.contains(|c: char| matches!(c, '|' | ':' | '-') || c.is_ascii_hexdigit())
}

fn parse_flags(field: &str) -> ListedFlags {
    let mut flags = ListedFlags::default();
    for flag in field.split('|') {
        match flag {
            "hear" => flags.hear = true,
            "speak" => flags.speak = true,
            "talking" => flags.talking = true,
            "hold" => flags.hold = true,
            "video" => flags.video = true,
            "floor" => flags.floor = true,
            "vid-floor" => flags.vid_floor = true,
            "moderator" => flags.moderator = true,
            "ghost" => flags.ghost = true,
            other => {
                if let Some(id) = other.strip_prefix("res-id:") {
                    flags.reservation_id = Some(id.to_owned());
                } else if let Some(id) = other.strip_prefix("role-id:") {
                    flags.role_id = Some(id.to_owned());
                }
            }
        }
    }
    flags
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Reads the body of `conference <name> list`: one [`ListedMember`] per line, newest
/// member first as the switch lists them. `-ERR no reply` (what `mod_event_socket` sends
/// for an empty body: a conference with no member channels) is an empty list; any other
/// `-ERR` is [`ListError::Refused`].
///
/// ```
/// let members = esl_proto::conference::parse_list("-ERR no reply\n")?;
/// assert!(members.is_empty());
/// # Ok::<(), esl_proto::conference::ListError>(())
/// ```
pub fn parse_list(body: &str) -> Result<Vec<ListedMember>, ListError> {
    parse_list_with(body, ";")
}

/// As [`parse_list`], for `list delim <delim>`.
///
/// ```
/// let m = esl_proto::conference::parse_list_with("3,a,b,,9,speak,0,0,100\n", ",")?;
/// assert_eq!(m[0].id, 3);
/// # Ok::<(), esl_proto::conference::ListError>(())
/// ```
pub fn parse_list_with(body: &str, delim: &str) -> Result<Vec<ListedMember>, ListError> {
    let body = body.trim_end_matches('\n');
    if body == "-ERR no reply" {
        return Ok(Vec::new());
    }
    if body.starts_with("-ERR") {
        return Err(ListError::Refused(body.to_owned()));
    }
    body.lines()
        .filter(|line| !line.is_empty())
        .map(|line| ListedMember::parse_line(line, delim))
        .collect()
}

/// One conference of `conference list`: its summary line,
/// `"+OK Conference %s (%u member%s rate: %u%s flags: %s)"`, and its member lines.
///
/// ```
/// let all = esl_proto::conference::parse_list_all(
///     "+OK Conference sales (1 member rate: 16000 locked flags: locked|running)\n\
///      1;a;b;;9;hear|speak;0;0;100\n",
/// )?;
/// assert_eq!((all[0].name.as_str(), all[0].member_count, all[0].rate, all[0].locked), ("sales", 1, 16000, true));
/// # Ok::<(), esl_proto::conference::ListError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ListedConference {
    /// The conference's name.
    pub name: String,
    /// Members counted by the switch (ghosts excluded).
    pub member_count: u32,
    /// Sample rate.
    pub rate: u32,
    /// The conference is locked.
    pub locked: bool,
    /// The conference flags (`running`, `answered`, `dynamic`, `recording`, ...); empty
    /// when the switch prints `none`.
    pub flags: Vec<String>,
    /// The member lines that follow the summary.
    pub members: Vec<ListedMember>,
}

/// Reads the body of `conference list` ([`ConferenceCommands::list_all`](super::ConferenceCommands::list_all)):
/// `+OK No active conferences.` is an empty list.
///
/// ```
/// assert!(esl_proto::conference::parse_list_all("+OK No active conferences.\n")?.is_empty());
/// # Ok::<(), esl_proto::conference::ListError>(())
/// ```
pub fn parse_list_all(body: &str) -> Result<Vec<ListedConference>, ListError> {
    let mut all: Vec<ListedConference> = Vec::new();
    for line in body.lines().filter(|line| !line.is_empty()) {
        if line == "+OK No active conferences." {
            continue;
        }
        if line.starts_with("-ERR") {
            return Err(ListError::Refused(line.to_owned()));
        }
        if let Some(rest) = line.strip_prefix("+OK Conference ") {
            all.push(parse_summary(rest).ok_or_else(|| ListError::Malformed(line.to_owned()))?);
            continue;
        }
        let member = ListedMember::parse_line(line, ";")?;
        all.last_mut()
            .ok_or_else(|| ListError::Malformed(line.to_owned()))?
            .members
            .push(member);
    }
    Ok(all)
}

/// `<name> (<n> member[s] rate: <rate>[ locked] flags: <a|b|none>)`.
fn parse_summary(rest: &str) -> Option<ListedConference> {
    let rest = rest.strip_suffix(')')?;
    // The flags never hold " (", so the last one ends the name (which may hold spaces).
    let open = rest.rfind(" (")?;
    let (name, rest) = (&rest[..open], &rest[open + 2..]);
    let (count, rest) = rest.split_once(' ')?;
    let rest = rest
        .strip_prefix("members rate: ")
        .or_else(|| rest.strip_prefix("member rate: "))?;
    let (rate, flags) = rest.split_once(" flags: ")?;
    let (rate, locked) = match rate.strip_suffix(" locked") {
        Some(rate) => (rate, true),
        None => (rate, false),
    };
    Some(ListedConference {
        name: name.to_owned(),
        member_count: count.parse().ok()?,
        rate: rate.parse().ok()?,
        locked,
        flags: match flags {
            "none" => Vec::new(),
            flags => flags.split('|').map(str::to_owned).collect(),
        },
        members: Vec::new(),
    })
}
