//! Typed `conference` API commands for a moderator, and readers for the `list` replies.
//!
//! [`ConferenceCommands`] names one conference of `mod_conference` and builds the
//! `api conference <name> <subcommand> ...` [`Command`]s that control it. The module splits
//! the command line on spaces (`switch_separate_string`, which also reads `'` quotes and `\`
//! escapes) and hands each subcommand a fixed number of words, so every field is one word: a
//! space would shift the words after it ([`CommandError::Malformed`]), and a CR, LF or NUL
//! would end the command line early ([`CommandError::LineBreak`]). Numbers are checked
//! against what the switch reads rather than letting it clamp or misread them.
//!
//! [`parse_list`] and [`parse_list_all`] read the `list` replies in the exact format
//! `conference_list` and `conference_api_sub_list` print.
//!
//! ```
//! use esl_proto::conference::{parse_list, ConferenceCommands, Target};
//!
//! let conf = ConferenceCommands::new("conf217");
//! assert_eq!(&conf.mute(Target::Member(2))?.to_bytes()?[..], b"api conference conf217 mute 2\n\n");
//! assert!(conf.play("/tmp/a b.wav").is_err());
//! // As `inbound_conference` (FreeSWITCH 1.11.2) answers `conference conf217 list`.
//! let members = parse_list(
//!     "1;loopback/conf-b;11b9dc55-b269-4ff8-81ec-5d199ab2b58a;;0000000000;hear|speak|floor;0;0;100\n",
//! )?;
//! assert!(members[0].flags.floor && !members[0].flags.talking);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::command::Command;
use crate::dptools::word;
use crate::error::CommandError;

mod list;

use list::readable_delimiter;
pub use list::{
    parse_list, parse_list_all, parse_list_with, ListError, ListedConference, ListedFlags,
    ListedMember,
};

/// Which members a member command acts on (`conference_api_dispatch` reads one word).
///
/// ```
/// use esl_proto::conference::{ConferenceCommands, Target};
/// let conf = ConferenceCommands::new("sales");
/// assert_eq!(&conf.hup(Target::NonModerator)?.to_bytes()?[..], b"api conference sales hup non_moderator\n\n");
/// # Ok::<(), esl_proto::CommandError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Target {
    /// One member, by `Member-ID` (from 1).
    Member(u32),
    /// `all`: every member with a channel, one reply line each.
    All,
    /// `last`: the member with the highest id (the one who joined last).
    Last,
    /// `non_moderator`: every member but moderators (each skipped one is a reply line).
    NonModerator,
}

impl Target {
    fn word(self) -> Result<String, CommandError> {
        Ok(match self {
            Target::Member(id) => member_id(id)?.to_string(),
            Target::All => "all".into(),
            Target::Last => "last".into(),
            Target::NonModerator => "non_moderator".into(),
        })
    }
}

/// A new level for `volume_in`, `volume_out` or `energy`, or none to read the current one.
///
/// ```
/// use esl_proto::conference::{ConferenceCommands, Level, Target};
/// let conf = ConferenceCommands::new("sales");
/// assert_eq!(&conf.volume_in(Target::Member(3), Level::Up)?.to_bytes()?[..],
///     b"api conference sales volume_in 3 up\n\n");
/// # Ok::<(), esl_proto::CommandError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Level {
    /// No argument: the switch prints the current level and fires no event.
    Current,
    /// An absolute level.
    Set(i32),
    /// `up`: one step up (volume by 1, energy by 200 up to 1800).
    Up,
    /// `down`: one step down (volume by 1, energy by 200 down to 0).
    Down,
}

/// Which of the conference's files `stop` ends.
///
/// ```
/// use esl_proto::conference::{ConferenceCommands, Stop};
/// let conf = ConferenceCommands::new("sales");
/// assert_eq!(&conf.stop(Stop::Current)?.to_bytes()?[..], b"api conference sales stop current\n\n");
/// # Ok::<(), esl_proto::CommandError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stop {
    /// `current`: the file playing now; the queue goes on.
    Current,
    /// `all`: every queued file and the async one.
    All,
    /// `async`: the file started with `play <file> async`.
    Async,
}

impl Stop {
    fn word(self) -> &'static str {
        match self {
            Stop::Current => "current",
            Stop::All => "all",
            Stop::Async => "async",
        }
    }
}

/// Commands for one conference: `api conference <name> ...`.
///
/// ```
/// use esl_proto::conference::ConferenceCommands;
/// let conf = ConferenceCommands::new("conf217");
/// assert_eq!(conf.name(), "conf217");
/// assert_eq!(&conf.lock()?.to_bytes()?[..], b"api conference conf217 lock\n\n");
/// assert!(ConferenceCommands::new("conf 217").lock().is_err());
/// # Ok::<(), esl_proto::CommandError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConferenceCommands {
    name: String,
}

impl ConferenceCommands {
    /// Commands for the conference `name` (`Conference-Name`, without `@profile`). The name is
    /// checked when a command is built: it must be one word.
    ///
    /// ```
    /// let conf = esl_proto::conference::ConferenceCommands::new("3000");
    /// assert!(conf.unlock().is_ok());
    /// ```
    pub fn new(name: impl Into<String>) -> ConferenceCommands {
        ConferenceCommands { name: name.into() }
    }

    /// The conference's name, as given.
    ///
    /// ```
    /// assert_eq!(esl_proto::conference::ConferenceCommands::new("3000").name(), "3000");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `conference list`: every conference, each a summary line and its members; read the
    /// reply with [`parse_list_all`].
    ///
    /// ```
    /// use esl_proto::conference::ConferenceCommands;
    /// assert_eq!(&ConferenceCommands::list_all().to_bytes()?[..], b"api conference list\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn list_all() -> Command {
        Command::api("conference list")
    }

    /// `conference <name> list`: one line per member; read the reply with [`parse_list`].
    ///
    /// ```
    /// let conf = esl_proto::conference::ConferenceCommands::new("conf217");
    /// // As `inbound_conference` sends it.
    /// assert_eq!(&conf.list()?.to_bytes()?[..], b"api conference conf217 list\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn list(&self) -> Result<Command, CommandError> {
        self.api("list")
    }

    /// `conference <name> list delim <delim>`: the same lines with `delim` between fields
    /// (read them with [`parse_list_with`]). One word (so never a `"`, which the switch
    /// strips as a quote), and none of `|`, `:`, `-` or a hex digit, which occur inside the
    /// flags, the uuid and the numbers: the reply could not be split back into fields.
    ///
    /// ```
    /// let conf = esl_proto::conference::ConferenceCommands::new("conf217");
    /// assert_eq!(&conf.list_delim(",")?.to_bytes()?[..], b"api conference conf217 list delim ,\n\n");
    /// assert!(conf.list_delim("|").is_err());
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn list_delim(&self, delim: &str) -> Result<Command, CommandError> {
        let delim = word("list delimiter", delim)?;
        if !readable_delimiter(delim) {
            return Err(CommandError::Malformed {
                field: "list delimiter",
                reason: "`|`, `:`, `-` and hex digits occur inside the fields",
            });
        }
        self.api(&format!("list delim {delim}"))
    }

    /// `conference <name> list count`: the member count, a bare number without a line end.
    ///
    /// ```
    /// let conf = esl_proto::conference::ConferenceCommands::new("conf217");
    /// assert_eq!(&conf.list_count()?.to_bytes()?[..], b"api conference conf217 list count\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn list_count(&self) -> Result<Command, CommandError> {
        self.api("list count")
    }

    /// `conference <name> json_list`: the conference and its members as JSON.
    ///
    /// ```
    /// let conf = esl_proto::conference::ConferenceCommands::new("conf217");
    /// assert_eq!(&conf.json_list()?.to_bytes()?[..], b"api conference conf217 json_list\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn json_list(&self) -> Result<Command, CommandError> {
        self.api("json_list")
    }

    /// `mute <target>`: the members can no longer be heard; each hears the muted sound.
    ///
    /// ```
    /// use esl_proto::conference::{ConferenceCommands, Target};
    /// let conf = ConferenceCommands::new("sales");
    /// assert_eq!(&conf.mute(Target::All)?.to_bytes()?[..], b"api conference sales mute all\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn mute(&self, target: Target) -> Result<Command, CommandError> {
        self.member_command("mute", target, None)
    }

    /// `mute <target> quiet`: as [`mute`](Self::mute), without the muted sound.
    ///
    /// ```
    /// use esl_proto::conference::{ConferenceCommands, Target};
    /// let conf = ConferenceCommands::new("sales");
    /// assert_eq!(&conf.mute_quiet(Target::Last)?.to_bytes()?[..], b"api conference sales mute last quiet\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn mute_quiet(&self, target: Target) -> Result<Command, CommandError> {
        self.member_command("mute", target, Some("quiet"))
    }

    /// `unmute <target>`: the members can be heard again.
    ///
    /// ```
    /// use esl_proto::conference::{ConferenceCommands, Target};
    /// let conf = ConferenceCommands::new("sales");
    /// assert_eq!(&conf.unmute(Target::Member(7))?.to_bytes()?[..], b"api conference sales unmute 7\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn unmute(&self, target: Target) -> Result<Command, CommandError> {
        self.member_command("unmute", target, None)
    }

    /// `unmute <target> quiet`: as [`unmute`](Self::unmute), without the unmuted sound.
    ///
    /// ```
    /// use esl_proto::conference::{ConferenceCommands, Target};
    /// let conf = ConferenceCommands::new("sales");
    /// assert_eq!(&conf.unmute_quiet(Target::All)?.to_bytes()?[..], b"api conference sales unmute all quiet\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn unmute_quiet(&self, target: Target) -> Result<Command, CommandError> {
        self.member_command("unmute", target, Some("quiet"))
    }

    /// `deaf <target>`: the members no longer hear the conference.
    ///
    /// ```
    /// use esl_proto::conference::{ConferenceCommands, Target};
    /// let conf = ConferenceCommands::new("sales");
    /// assert_eq!(&conf.deaf(Target::Member(2))?.to_bytes()?[..], b"api conference sales deaf 2\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn deaf(&self, target: Target) -> Result<Command, CommandError> {
        self.member_command("deaf", target, None)
    }

    /// `undeaf <target>`: the members hear the conference again.
    ///
    /// ```
    /// use esl_proto::conference::{ConferenceCommands, Target};
    /// let conf = ConferenceCommands::new("sales");
    /// assert_eq!(&conf.undeaf(Target::Member(2))?.to_bytes()?[..], b"api conference sales undeaf 2\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn undeaf(&self, target: Target) -> Result<Command, CommandError> {
        self.member_command("undeaf", target, None)
    }

    /// `kick <target> [<sound>]`: the members leave the conference. `sound` replaces the
    /// profile's `kicked-sound`, and plays only when the profile has one.
    ///
    /// ```
    /// use esl_proto::conference::{ConferenceCommands, Target};
    /// let conf = ConferenceCommands::new("sales");
    /// assert_eq!(&conf.kick(Target::Member(4), Some("/tmp/bye.wav"))?.to_bytes()?[..],
    ///     b"api conference sales kick 4 /tmp/bye.wav\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn kick(&self, target: Target, sound: Option<&str>) -> Result<Command, CommandError> {
        let sound = sound.map(|s| word("kick sound", s)).transpose()?;
        self.member_command("kick", target, sound)
    }

    /// `hup <target>`: the members leave the conference without any kick sound.
    ///
    /// ```
    /// use esl_proto::conference::{ConferenceCommands, Target};
    /// let conf = ConferenceCommands::new("sales");
    /// assert_eq!(&conf.hup(Target::Member(4))?.to_bytes()?[..], b"api conference sales hup 4\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn hup(&self, target: Target) -> Result<Command, CommandError> {
        self.member_command("hup", target, None)
    }

    /// `lock`: nobody new may join.
    ///
    /// ```
    /// let conf = esl_proto::conference::ConferenceCommands::new("sales");
    /// assert_eq!(&conf.lock()?.to_bytes()?[..], b"api conference sales lock\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn lock(&self) -> Result<Command, CommandError> {
        self.api("lock")
    }

    /// `unlock`: callers may join again.
    ///
    /// ```
    /// let conf = esl_proto::conference::ConferenceCommands::new("sales");
    /// assert_eq!(&conf.unlock()?.to_bytes()?[..], b"api conference sales unlock\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn unlock(&self) -> Result<Command, CommandError> {
        self.api("unlock")
    }

    /// `play <path>`: queues a file (or `tone_stream://...`, `say:...`) for the whole
    /// conference. A relative path (no leading `/`, no `://`) is looked up under the profile's
    /// `sound-prefix`.
    ///
    /// ```
    /// let conf = esl_proto::conference::ConferenceCommands::new("sales");
    /// assert_eq!(&conf.play("tone_stream://%(200,0,500)")?.to_bytes()?[..],
    ///     b"api conference sales play tone_stream://%(200,0,500)\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn play(&self, path: &str) -> Result<Command, CommandError> {
        self.api(&format!("play {}", play_path(path)?))
    }

    /// `play <path> async`: plays over whatever is queued, replacing the previous async file.
    ///
    /// ```
    /// let conf = esl_proto::conference::ConferenceCommands::new("sales");
    /// assert_eq!(&conf.play_async("/tmp/a.wav")?.to_bytes()?[..], b"api conference sales play /tmp/a.wav async\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn play_async(&self, path: &str) -> Result<Command, CommandError> {
        self.api(&format!("play {} async", play_path(path)?))
    }

    /// `play <path> <member>`: plays to one member only, mixed with the conference.
    /// `play` reads a numeric id only (`all` and `last` are not member targets here).
    ///
    /// ```
    /// let conf = esl_proto::conference::ConferenceCommands::new("sales");
    /// assert_eq!(&conf.play_to("/tmp/a.wav", 3)?.to_bytes()?[..], b"api conference sales play /tmp/a.wav 3\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn play_to(&self, path: &str, member: u32) -> Result<Command, CommandError> {
        let (path, id) = (play_path(path)?, member_id(member)?);
        self.api(&format!("play {path} {id}"))
    }

    /// `play <path> <member> nomux`: plays to one member in place of the conference audio.
    ///
    /// ```
    /// let conf = esl_proto::conference::ConferenceCommands::new("sales");
    /// assert_eq!(&conf.play_to_unmixed("/tmp/a.wav", 3)?.to_bytes()?[..],
    ///     b"api conference sales play /tmp/a.wav 3 nomux\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn play_to_unmixed(&self, path: &str, member: u32) -> Result<Command, CommandError> {
        let (path, id) = (play_path(path)?, member_id(member)?);
        self.api(&format!("play {path} {id} nomux"))
    }

    /// `stop <current|all|async>`: ends the conference's files.
    ///
    /// ```
    /// use esl_proto::conference::{ConferenceCommands, Stop};
    /// let conf = ConferenceCommands::new("sales");
    /// assert_eq!(&conf.stop(Stop::All)?.to_bytes()?[..], b"api conference sales stop all\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn stop(&self, which: Stop) -> Result<Command, CommandError> {
        self.api(&format!("stop {}", which.word()))
    }

    /// `stop <current|all|async> <member>`: ends the files played to one member (`async`
    /// counts as `current` there: a member has no async file).
    ///
    /// ```
    /// use esl_proto::conference::{ConferenceCommands, Stop};
    /// let conf = ConferenceCommands::new("sales");
    /// assert_eq!(&conf.stop_member(Stop::All, 3)?.to_bytes()?[..], b"api conference sales stop all 3\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn stop_member(&self, which: Stop, member: u32) -> Result<Command, CommandError> {
        self.api(&format!("stop {} {}", which.word(), member_id(member)?))
    }

    /// `recording start <path>`: records the conference to `path` on the switch (the 1.11
    /// form; `record <path>` is the older name for the same call).
    ///
    /// ```
    /// let conf = esl_proto::conference::ConferenceCommands::new("sales");
    /// assert_eq!(&conf.record_start("/tmp/sales.wav")?.to_bytes()?[..],
    ///     b"api conference sales recording start /tmp/sales.wav\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn record_start(&self, path: &str) -> Result<Command, CommandError> {
        self.api(&format!(
            "recording start {}",
            word("recording path", path)?
        ))
    }

    /// `recording stop <path>`: ends one recording (the older name is `norecord`).
    ///
    /// ```
    /// let conf = esl_proto::conference::ConferenceCommands::new("sales");
    /// assert_eq!(&conf.record_stop("/tmp/sales.wav")?.to_bytes()?[..],
    ///     b"api conference sales recording stop /tmp/sales.wav\n\n");
    /// assert!(conf.record_stop("ALL").is_err());
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn record_stop(&self, path: &str) -> Result<Command, CommandError> {
        let path = word("recording path", path)?;
        // conference_api_sub_norecord: `all = (strcasecmp(argv[2], "all") == 0)`, so a path
        // spelled `all` in any case would stop every recording.
        if path.eq_ignore_ascii_case("all") {
            return Err(CommandError::Malformed {
                field: "recording path",
                reason: "the switch reads `all` as every recording (use record_stop_all)",
            });
        }
        self.api(&format!("recording stop {path}"))
    }

    /// `recording stop all`: ends every recording of the conference.
    ///
    /// ```
    /// let conf = esl_proto::conference::ConferenceCommands::new("sales");
    /// assert_eq!(&conf.record_stop_all()?.to_bytes()?[..], b"api conference sales recording stop all\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn record_stop_all(&self) -> Result<Command, CommandError> {
        self.api("recording stop all")
    }

    /// `floor <member|last>`: gives the audio floor to a member when nobody holds it, and
    /// takes it back when that member already holds it (the switch toggles; it answers
    /// `-ERR floor is held by <id>` while another member holds it). The switch
    /// documents `<member_id|last>` only, so [`Target::All`] and [`Target::NonModerator`]
    /// are refused.
    ///
    /// ```
    /// use esl_proto::conference::{ConferenceCommands, Target};
    /// let conf = ConferenceCommands::new("sales");
    /// assert_eq!(&conf.floor(Target::Member(2))?.to_bytes()?[..], b"api conference sales floor 2\n\n");
    /// assert!(conf.floor(Target::All).is_err());
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn floor(&self, target: Target) -> Result<Command, CommandError> {
        if matches!(target, Target::All | Target::NonModerator) {
            return Err(CommandError::Malformed {
                field: "floor target",
                reason: "the floor goes to one member: a member id or `last`",
            });
        }
        self.member_command("floor", target, None)
    }

    /// `volume_in <target> [<level>]`: how loud the members are heard, -4 to 4 (0 is
    /// unchanged).
    ///
    /// ```
    /// use esl_proto::conference::{ConferenceCommands, Level, Target};
    /// let conf = ConferenceCommands::new("sales");
    /// assert_eq!(&conf.volume_in(Target::Member(2), Level::Set(-2))?.to_bytes()?[..],
    ///     b"api conference sales volume_in 2 -2\n\n");
    /// assert!(conf.volume_in(Target::Member(2), Level::Set(5)).is_err());
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn volume_in(&self, target: Target, level: Level) -> Result<Command, CommandError> {
        let level = volume("volume_in level", level)?;
        self.member_command("volume_in", target, level.as_deref())
    }

    /// `volume_out <target> [<level>]`: how loud the members hear the conference, -4 to 4.
    ///
    /// ```
    /// use esl_proto::conference::{ConferenceCommands, Level, Target};
    /// let conf = ConferenceCommands::new("sales");
    /// assert_eq!(&conf.volume_out(Target::All, Level::Current)?.to_bytes()?[..],
    ///     b"api conference sales volume_out all\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn volume_out(&self, target: Target, level: Level) -> Result<Command, CommandError> {
        let level = volume("volume_out level", level)?;
        self.member_command("volume_out", target, level.as_deref())
    }

    /// `energy <target> [<level>]`: the energy threshold above which a member counts as
    /// talking (0 or more).
    ///
    /// ```
    /// use esl_proto::conference::{ConferenceCommands, Level, Target};
    /// let conf = ConferenceCommands::new("sales");
    /// assert_eq!(&conf.energy(Target::Member(2), Level::Set(300))?.to_bytes()?[..],
    ///     b"api conference sales energy 2 300\n\n");
    /// # Ok::<(), esl_proto::CommandError>(())
    /// ```
    pub fn energy(&self, target: Target, level: Level) -> Result<Command, CommandError> {
        let level = match level {
            // conference_api_sub_energy: `member->energy_level = atoi((char *) data)`: any
            // int is taken, but a negative threshold counts silence as talking.
            Level::Set(n) if n < 0 => {
                return Err(CommandError::Malformed {
                    field: "energy level",
                    reason: "must be 0 or more",
                })
            }
            other => level_word(other),
        };
        self.member_command("energy", target, level.as_deref())
    }

    fn member_command(
        &self,
        sub: &str,
        target: Target,
        data: Option<&str>,
    ) -> Result<Command, CommandError> {
        let mut rest = format!("{sub} {}", target.word()?);
        if let Some(data) = data {
            rest.push(' ');
            rest.push_str(data);
        }
        self.api(&rest)
    }

    fn api(&self, rest: &str) -> Result<Command, CommandError> {
        let name = word("conference name", &self.name)?;
        Ok(Command::api(format!("conference {name} {rest}")))
    }
}

/// A member id as `conference_api_dispatch` reads it: `if (!(id = atoi(argv[argn + 1])))`
/// falls through to `all` / `last` / `non_moderator` and then prints the usage, so 0 is no
/// id; `atoi` reads a C `int`, so larger ids would be misread.
fn member_id(id: u32) -> Result<u32, CommandError> {
    if id == 0 || id > i32::MAX as u32 {
        return Err(CommandError::Malformed {
            field: "member id",
            reason: "must be 1 to 2147483647",
        });
    }
    Ok(id)
}

/// A file for `play`: one word, and not `async`, which conference_api_sub_play reads as the
/// async flag when it is the word after the path (`!strcasecmp(argv[3], "async")`), so a
/// bare `play async` would play a file called `async` while `play_to` could not.
fn play_path(path: &str) -> Result<&str, CommandError> {
    let path = word("file path", path)?;
    if path.eq_ignore_ascii_case("async") {
        return Err(CommandError::Malformed {
            field: "file path",
            reason: "the switch reads `async` as a flag",
        });
    }
    Ok(path)
}

/// `switch_normalize_volume(x)`: `if (x > 4) x = 4; if (x < -4) x = -4;`: the switch
/// clamps silently, so a level outside -4..=4 is refused rather than changed.
fn volume(field: &'static str, level: Level) -> Result<Option<String>, CommandError> {
    if let Level::Set(n) = level {
        if !(-4..=4).contains(&n) {
            return Err(CommandError::Malformed {
                field,
                reason: "must be -4 to 4",
            });
        }
    }
    Ok(level_word(level))
}

fn level_word(level: Level) -> Option<String> {
    match level {
        Level::Current => None,
        Level::Set(n) => Some(n.to_string()),
        Level::Up => Some("up".into()),
        Level::Down => Some("down".into()),
    }
}
