//! Typed commands for call control: `mod_dptools` applications and the `uuid_*` API commands.
//!
//! [`Dptools`] names one channel and builds the [`Command`]s a session API sends for it:
//! applications go as `sendmsg <uuid>` with `call-command: execute`, the rest as `api uuid_*`.
//! Every field is checked before a command exists: a CR, LF or NUL anywhere is
//! [`CommandError::LineBreak`] (it would end the command line early and let the rest be read
//! as another command), and a field the switch splits on spaces must be one word.
//!
//! ```
//! use esl_proto::dptools::{DialString, Dptools};
//!
//! let call = Dptools::new("0a83ac5e-9592-4e59-84c7-7064de14660d");
//! let dial = DialString::gateway("long_distance_trunk", "18005550100")?;
//! assert_eq!(
//!     &call.bridge(&dial)?.to_bytes()?[..],
//!     b"sendmsg 0a83ac5e-9592-4e59-84c7-7064de14660d\ncall-command: execute\n\
//!       execute-app-name: bridge\nexecute-app-arg: sofia/gateway/long_distance_trunk/18005550100\n\n"
//! );
//! assert!(call.playback("/tmp/a.wav\n\napi hupall").is_err());
//! # Ok::<(), esl_proto::CommandError>(())
//! ```

use std::fmt;

use crate::command::{checked, nonempty, Command};
use crate::error::CommandError;

/// Commands for one channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dptools {
    uuid: Option<String>,
}

/// Which legs `uuid_broadcast` plays to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Leg {
    /// `aleg`: the channel itself (the switch's default).
    A,
    /// `bleg`: the channel it is bridged to.
    B,
    /// `both`
    Both,
}

impl Leg {
    /// The word `uuid_broadcast` reads.
    pub fn as_str(self) -> &'static str {
        match self {
            Leg::A => "aleg",
            Leg::B => "bleg",
            Leg::Both => "both",
        }
    }
}

/// Which legs `uuid_transfer` moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferLeg {
    /// The channel itself.
    This,
    /// `-bleg`: the channel it is bridged to.
    Bleg,
    /// `-both`: both legs.
    Both,
}

/// Longest list `multiset` applies: `mod_dptools` splits its argument into a 256-slot array
/// and leaves whatever follows inside the last item.
pub const MULTISET_MAX: usize = 256;

/// Delimiters [`Dptools::multiset`] chooses from (the first that no name or value contains).
const MULTISET_DELIMITERS: [char; 8] = [';', '|', '~', '#', '!', '+', '@', ','];

impl Dptools {
    /// Commands for the channel `uuid` (works on inbound and outbound sockets).
    pub fn new(uuid: impl Into<String>) -> Dptools {
        Dptools {
            uuid: Some(uuid.into()),
        }
    }

    /// Commands for the channel of an outbound socket, without naming it: applications go
    /// as a bare `sendmsg`. The `uuid_*` API commands need a uuid and are refused
    /// ([`CommandError::Empty`] for `uuid`).
    pub fn socket_channel() -> Dptools {
        Dptools { uuid: None }
    }

    /// The channel, if named.
    pub fn uuid(&self) -> Option<&str> {
        self.uuid.as_deref()
    }

    /// Any application: `app` with `arg` (checked like every other field).
    pub fn execute_app(&self, app: &str, arg: Option<&str>) -> Result<Command, CommandError> {
        let arg = match arg {
            Some(a) => Some(self::arg("argument", a)?.to_owned()),
            None => None,
        };
        self.execute(word("application", app)?, arg)
    }

    /// `answer`
    pub fn answer(&self) -> Result<Command, CommandError> {
        self.execute("answer", None)
    }

    /// `call-command: hangup` with `hangup-cause` (`NORMAL_CLEARING`, `USER_BUSY`, ...; the
    /// switch uses `NORMAL_CLEARING` when absent).
    pub fn hangup(&self, cause: Option<&str>) -> Result<Command, CommandError> {
        let uuid = self.sendmsg_uuid()?;
        let cause = cause.map(|c| word("hangup cause", c)).transpose()?;
        Ok(Command::hangup(uuid, cause.map(str::to_owned)))
    }

    /// `bridge <dial string>` (build one with [`DialString`], or pass any dial string: a
    /// comma rings several at once, a `|` one after another).
    pub fn bridge(&self, dial: impl AsRef<str>) -> Result<Command, CommandError> {
        self.execute(
            "bridge",
            Some(arg("dial string", dial.as_ref())?.to_owned()),
        )
    }

    /// `park`
    pub fn park(&self) -> Result<Command, CommandError> {
        self.execute("park", None)
    }

    /// `playback <path>` (a file, `tone_stream://...`, `silence_stream://...`, ...).
    pub fn playback(&self, path: &str) -> Result<Command, CommandError> {
        self.execute("playback", Some(arg("path", path)?.to_owned()))
    }

    /// `api uuid_broadcast <uuid> <path> [aleg|bleg|both]`: plays (or runs `app::args`) on
    /// the channel without waiting. The switch splits the line on spaces, so `path` must be
    /// one word.
    pub fn broadcast(&self, path: &str, leg: Option<Leg>) -> Result<Command, CommandError> {
        let uuid = self.api_uuid()?;
        let mut line = format!("uuid_broadcast {uuid} {}", word("path", path)?);
        if let Some(leg) = leg {
            line.push(' ');
            line.push_str(leg.as_str());
        }
        Ok(Command::api(line))
    }

    /// `api uuid_record <uuid> start <path> [<limit>]`: records the channel to `path` (on
    /// the switch's filesystem), for at most `limit_secs` seconds if given.
    pub fn record_start(
        &self,
        path: &str,
        limit_secs: Option<u32>,
    ) -> Result<Command, CommandError> {
        let uuid = self.api_uuid()?;
        let mut line = format!("uuid_record {uuid} start {}", word("path", path)?);
        if let Some(limit) = limit_secs {
            line.push_str(&format!(" {limit}"));
        }
        Ok(Command::api(line))
    }

    /// `api uuid_record <uuid> stop <path>` (`all` stops every recording of the channel).
    pub fn record_stop(&self, path: &str) -> Result<Command, CommandError> {
        let uuid = self.api_uuid()?;
        Ok(Command::api(format!(
            "uuid_record {uuid} stop {}",
            word("path", path)?
        )))
    }

    /// `record_session <path>`: the application form of [`Dptools::record_start`].
    pub fn record_session(&self, path: &str) -> Result<Command, CommandError> {
        self.execute("record_session", Some(arg("path", path)?.to_owned()))
    }

    /// `stop_record_session <path>` (`all` for every recording).
    pub fn stop_record_session(&self, path: &str) -> Result<Command, CommandError> {
        self.execute("stop_record_session", Some(arg("path", path)?.to_owned()))
    }

    /// `set <name>=<value>`. An empty value unsets the variable (`base_set` treats it so).
    pub fn set(&self, name: &str, value: &str) -> Result<Command, CommandError> {
        let name = var_name(name)?;
        let value = checked("variable value", value)?;
        self.execute("set", Some(format!("{name}={value}")))
    }

    /// One `set` per variable, in order: exact for any value, at one command each.
    pub fn set_each<I, K, V>(&self, vars: I) -> Result<Vec<Command>, CommandError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        vars.into_iter()
            .map(|(name, value)| self.set(name.as_ref(), value.as_ref()))
            .collect()
    }

    /// `multiset ^^<d><name>=<value><d>...`: several variables in one application.
    ///
    /// `mod_dptools` reads a leading `^^` and the character after it as the delimiter and
    /// splits with `switch_separate_string`, which also treats `'` as a quote and `\` as an
    /// escape and trims spaces around each item, so those are refused (use
    /// [`Dptools::set_each`] for such values). The delimiter is the first of `; | ~ # ! + @ ,`
    /// that no name or value contains. At most [`MULTISET_MAX`] variables.
    pub fn multiset<I, K, V>(&self, vars: I) -> Result<Command, CommandError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut items = Vec::new();
        for (name, value) in vars {
            let name = var_name(name.as_ref())?;
            let value = checked("variable value", value.as_ref())?;
            for text in [name, value] {
                if text.contains(['\'', '\\']) {
                    return Err(CommandError::Malformed {
                        field: "multiset variable",
                        reason: "quotes and backslashes are read as quoting by multiset",
                    });
                }
                if text.starts_with(' ') || text.ends_with(' ') {
                    return Err(CommandError::Malformed {
                        field: "multiset variable",
                        reason: "multiset trims spaces around each name and value",
                    });
                }
            }
            items.push(format!("{name}={value}"));
        }
        if items.is_empty() {
            return Err(CommandError::Empty {
                field: "multiset variables",
            });
        }
        if items.len() > MULTISET_MAX {
            return Err(CommandError::Malformed {
                field: "multiset variables",
                reason: "more than 256 variables",
            });
        }
        let delimiter = MULTISET_DELIMITERS
            .into_iter()
            .find(|d| !items.iter().any(|item| item.contains(*d)))
            .ok_or(CommandError::Malformed {
                field: "multiset variables",
                reason: "every delimiter occurs in a name or value",
            })?;
        let mut joined = format!("^^{delimiter}");
        joined.push_str(&items.join(delimiter.encode_utf8(&mut [0; 4])));
        self.execute("multiset", Some(joined))
    }

    /// `respond <code> [<reason>]`: a SIP response before answer (`407`, `486 Busy Here`).
    pub fn respond(&self, code: u16, reason: Option<&str>) -> Result<Command, CommandError> {
        if !(100..=699).contains(&code) {
            return Err(CommandError::Malformed {
                field: "SIP response code",
                reason: "must be 100 to 699",
            });
        }
        let data = match reason {
            Some(reason) => format!("{code} {}", arg("SIP reason phrase", reason)?),
            None => code.to_string(),
        };
        self.execute("respond", Some(data))
    }

    /// `transfer <extension> [<dialplan> [<context>]]`: the channel leaves what it is doing
    /// and runs the dialplan again from `extension`. A context without a dialplan uses the
    /// `XML` dialplan (the application reads its arguments by position).
    pub fn transfer(
        &self,
        extension: &str,
        dialplan: Option<&str>,
        context: Option<&str>,
    ) -> Result<Command, CommandError> {
        let target = transfer_target(extension, dialplan, context)?;
        self.execute("transfer", Some(target))
    }

    /// `api uuid_transfer <uuid> [-bleg|-both] <extension> [<dialplan>] [<context>]`.
    pub fn uuid_transfer(
        &self,
        leg: TransferLeg,
        extension: &str,
        dialplan: Option<&str>,
        context: Option<&str>,
    ) -> Result<Command, CommandError> {
        let uuid = self.api_uuid()?;
        let target = transfer_target(extension, dialplan, context)?;
        let flag = match leg {
            TransferLeg::This => "",
            TransferLeg::Bleg => " -bleg",
            TransferLeg::Both => " -both",
        };
        Ok(Command::api(format!("uuid_transfer {uuid}{flag} {target}")))
    }

    /// `api uuid_getvar <uuid> <name>`; read the reply with [`GetVar::parse`].
    pub fn getvar(&self, name: &str) -> Result<Command, CommandError> {
        let uuid = self.api_uuid()?;
        Ok(Command::api(format!(
            "uuid_getvar {uuid} {}",
            word("variable name", name)?
        )))
    }

    fn execute(&self, app: &str, arg: Option<String>) -> Result<Command, CommandError> {
        Ok(Command::execute(self.sendmsg_uuid()?, app, arg))
    }

    fn sendmsg_uuid(&self) -> Result<Option<String>, CommandError> {
        match &self.uuid {
            Some(uuid) => Ok(Some(word("uuid", uuid)?.to_owned())),
            None => Ok(None),
        }
    }

    fn api_uuid(&self) -> Result<&str, CommandError> {
        match &self.uuid {
            Some(uuid) => word("uuid", uuid),
            None => Err(CommandError::Empty { field: "uuid" }),
        }
    }
}

/// What a `uuid_getvar` reply says.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GetVar {
    /// The variable's value: the whole body, which has no trailing LF (`outbound_socket`:
    /// `loopback/socket-b`, 17 bytes).
    Value(String),
    /// `_undef_`: the variable is not set.
    Unset,
    /// `-ERR ...` or `-USAGE: ...` (no such channel, bad arguments). An empty value also
    /// reads as `-ERR no reply`, which `mod_event_socket` puts in place of an empty result.
    Failed(String),
}

impl GetVar {
    /// Reads the body of the `api/response`.
    pub fn parse(body: &str) -> GetVar {
        if body == "_undef_" {
            GetVar::Unset
        } else if body.starts_with("-ERR") || body.starts_with("-USAGE") {
            GetVar::Failed(body.trim_end().to_owned())
        } else {
            GetVar::Value(body.to_owned())
        }
    }
}

/// A Sofia dial string for [`Dptools::bridge`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialString(String);

impl DialString {
    /// `sofia/<profile>/<destination>`: out through a SIP profile.
    pub fn profile(profile: &str, destination: &str) -> Result<DialString, CommandError> {
        Ok(DialString(format!(
            "sofia/{}/{}",
            dial_part("profile", profile, true)?,
            dial_part("destination", destination, false)?
        )))
    }

    /// `sofia/gateway/<gateway>/<destination>`: out through a configured gateway.
    pub fn gateway(gateway: &str, destination: &str) -> Result<DialString, CommandError> {
        Ok(DialString(format!(
            "sofia/gateway/{}/{}",
            dial_part("gateway", gateway, true)?,
            dial_part("destination", destination, false)?
        )))
    }

    /// `sofia/<profile>/<destination>;fs_path=sip:<proxy>`: out through a profile, with the
    /// request routed via `proxy` (`host[:port]`).
    pub fn via_proxy(
        profile: &str,
        destination: &str,
        proxy: &str,
    ) -> Result<DialString, CommandError> {
        let base = DialString::profile(profile, destination)?;
        Ok(DialString(format!(
            "{};fs_path=sip:{}",
            base.0,
            dial_part("proxy", proxy, true)?
        )))
    }

    /// The dial string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for DialString {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DialString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An application argument: no line breaks, not empty.
fn arg<'a>(field: &'static str, value: &'a str) -> Result<&'a str, CommandError> {
    nonempty(field, checked(field, value)?)
}

/// A field of an API command line, which `switch_separate_string` splits on spaces (with `'`
/// quoting and `\` escapes): one word, or it would shift the arguments after it.
pub(crate) fn word<'a>(field: &'static str, value: &'a str) -> Result<&'a str, CommandError> {
    let value = arg(field, value)?;
    if value.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"' || c == '\\') {
        return Err(CommandError::Malformed {
            field,
            reason: "must be one word: no spaces, quotes or backslashes",
        });
    }
    Ok(value)
}

/// A variable name for `set`: `base_set` splits `name=value` at the first `=`.
fn var_name(name: &str) -> Result<&str, CommandError> {
    let name = arg("variable name", name)?;
    if name.contains('=') || name.contains(char::is_whitespace) {
        return Err(CommandError::Malformed {
            field: "variable name",
            reason: "must not contain '=' or spaces",
        });
    }
    Ok(name)
}

/// A part of a dial string: `,` and `|` separate dial strings, and a `/` in a profile or
/// gateway name would move where the switch splits.
fn dial_part<'a>(
    field: &'static str,
    value: &'a str,
    no_slash: bool,
) -> Result<&'a str, CommandError> {
    let value = word(field, value)?;
    if value.contains([',', '|']) || (no_slash && value.contains('/')) {
        return Err(CommandError::Malformed {
            field,
            reason: "must not contain ',' or '|' (or '/' in a profile, gateway or proxy)",
        });
    }
    Ok(value)
}

fn transfer_target(
    extension: &str,
    dialplan: Option<&str>,
    context: Option<&str>,
) -> Result<String, CommandError> {
    let mut target = word("extension", extension)?.to_owned();
    let dialplan = match (dialplan, context) {
        (Some(d), _) => Some(word("dialplan", d)?),
        (None, Some(_)) => Some("XML"),
        (None, None) => None,
    };
    if let Some(dialplan) = dialplan {
        target.push(' ');
        target.push_str(dialplan);
    }
    if let Some(context) = context {
        target.push(' ');
        target.push_str(word("context", context)?);
    }
    Ok(target)
}

#[cfg(test)]
mod tests;
