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
mod tests {
    use super::*;

    const UUID: &str = "0a83ac5e-9592-4e59-84c7-7064de14660d";

    fn wire(command: Result<Command, CommandError>) -> String {
        let bytes = command.and_then(|c| c.to_bytes()).unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn exec(app: &str, arg: Option<&str>) -> String {
        let mut s = format!("sendmsg {UUID}\ncall-command: execute\nexecute-app-name: {app}\n");
        if let Some(arg) = arg {
            s.push_str(&format!("execute-app-arg: {arg}\n"));
        }
        s.push('\n');
        s
    }

    #[test]
    fn applications_encode_as_sendmsg_execute() {
        let dp = Dptools::new(UUID);
        assert_eq!(wire(dp.answer()), exec("answer", None));
        assert_eq!(wire(dp.park()), exec("park", None));
        // The capture `inbound_sendmsg` shows this exact execute of a tone stream.
        assert_eq!(
            wire(dp.playback("tone_stream://%(200,100,440);loops=3")),
            exec("playback", Some("tone_stream://%(200,100,440);loops=3"))
        );
        assert_eq!(
            wire(dp.record_session("/tmp/rec.wav")),
            exec("record_session", Some("/tmp/rec.wav"))
        );
        assert_eq!(
            wire(dp.stop_record_session("all")),
            exec("stop_record_session", Some("all"))
        );
        assert_eq!(
            wire(dp.set("privacy", "yes")),
            exec("set", Some("privacy=yes"))
        );
        assert_eq!(wire(dp.set("privacy", "")), exec("set", Some("privacy=")));
        assert_eq!(wire(dp.respond(407, None)), exec("respond", Some("407")));
        assert_eq!(
            wire(dp.respond(486, Some("Busy Here"))),
            exec("respond", Some("486 Busy Here"))
        );
        assert_eq!(
            wire(dp.transfer("9196", None, None)),
            exec("transfer", Some("9196"))
        );
        assert_eq!(
            wire(dp.transfer("9196", None, Some("default"))),
            exec("transfer", Some("9196 XML default"))
        );
        assert_eq!(
            wire(dp.transfer("9196", Some("XML"), None)),
            exec("transfer", Some("9196 XML"))
        );
    }

    #[test]
    fn hangup_is_the_hangup_call_command() {
        let dp = Dptools::new(UUID);
        // As `inbound_sendmsg` sends it.
        assert_eq!(
            wire(dp.hangup(Some("NORMAL_CLEARING"))),
            format!("sendmsg {UUID}\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n")
        );
        assert_eq!(
            wire(dp.hangup(None)),
            format!("sendmsg {UUID}\ncall-command: hangup\n\n")
        );
        assert!(matches!(
            dp.hangup(Some("USER BUSY")),
            Err(CommandError::Malformed { .. })
        ));
    }

    #[test]
    fn dial_strings() {
        let dp = Dptools::new(UUID);
        assert_eq!(
            DialString::profile("internal", "1000@example.com")
                .unwrap()
                .as_str(),
            "sofia/internal/1000@example.com"
        );
        assert_eq!(
            DialString::gateway("trunk", "18005550100")
                .unwrap()
                .as_str(),
            "sofia/gateway/trunk/18005550100"
        );
        let proxied =
            DialString::via_proxy("internal", "2001@salespbx.com", "salespbx.com:5060").unwrap();
        assert_eq!(
            proxied.as_str(),
            "sofia/internal/2001@salespbx.com;fs_path=sip:salespbx.com:5060"
        );
        assert_eq!(
            wire(dp.bridge(&proxied)),
            exec(
                "bridge",
                Some("sofia/internal/2001@salespbx.com;fs_path=sip:salespbx.com:5060")
            )
        );
        // Any dial string passes through, variables and all.
        assert_eq!(
            wire(dp.bridge("{ignore_early_media=true}sofia/internal/a,sofia/internal/b")),
            exec(
                "bridge",
                Some("{ignore_early_media=true}sofia/internal/a,sofia/internal/b")
            )
        );
        // Each is malformed, and names the field at fault.
        let field = |result: Result<DialString, CommandError>| match result {
            Err(CommandError::Malformed { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        for (profile, dest, at_fault) in [
            ("in/ternal", "1000", "profile"),
            ("internal", "1000,sofia/x/y", "destination"),
            ("internal", "1000|sofia/x/y", "destination"),
            ("internal", "10 00", "destination"),
        ] {
            assert!(
                matches!(
                    DialString::profile(profile, dest),
                    Err(CommandError::Malformed { field, .. }) if field == at_fault
                ),
                "{profile} {dest}"
            );
        }
        assert!(matches!(
            DialString::profile("", "1000"),
            Err(CommandError::Empty { field: "profile" })
        ));
        assert_eq!(field(DialString::gateway("gw/x", "1")), "gateway");
        assert_eq!(
            field(DialString::via_proxy("internal", "1", "p/x")),
            "proxy"
        );
    }

    #[test]
    fn api_commands() {
        let dp = Dptools::new(UUID);
        assert_eq!(
            wire(dp.broadcast("playback::/tmp/a.wav", None)),
            format!("api uuid_broadcast {UUID} playback::/tmp/a.wav\n\n")
        );
        assert_eq!(
            wire(dp.broadcast("privacy::full", Some(Leg::Both))),
            format!("api uuid_broadcast {UUID} privacy::full both\n\n")
        );
        assert_eq!(
            wire(dp.broadcast("/tmp/a.wav", Some(Leg::A))),
            format!("api uuid_broadcast {UUID} /tmp/a.wav aleg\n\n")
        );
        assert_eq!(
            wire(dp.broadcast("/tmp/a.wav", Some(Leg::B))),
            format!("api uuid_broadcast {UUID} /tmp/a.wav bleg\n\n")
        );
        assert_eq!(
            wire(dp.record_start("/tmp/agents/x.wav", None)),
            format!("api uuid_record {UUID} start /tmp/agents/x.wav\n\n")
        );
        assert_eq!(
            wire(dp.record_start("/tmp/x.wav", Some(60))),
            format!("api uuid_record {UUID} start /tmp/x.wav 60\n\n")
        );
        assert_eq!(
            wire(dp.record_stop("all")),
            format!("api uuid_record {UUID} stop all\n\n")
        );
        // As `outbound_socket` sends it.
        assert_eq!(
            wire(dp.getvar("channel_name")),
            format!("api uuid_getvar {UUID} channel_name\n\n")
        );
        assert_eq!(
            wire(dp.uuid_transfer(TransferLeg::This, "9196", None, None)),
            format!("api uuid_transfer {UUID} 9196\n\n")
        );
        assert_eq!(
            wire(dp.uuid_transfer(TransferLeg::Bleg, "9196", Some("XML"), Some("default"))),
            format!("api uuid_transfer {UUID} -bleg 9196 XML default\n\n")
        );
        assert_eq!(
            wire(dp.uuid_transfer(TransferLeg::Both, "park", None, Some("switchy"))),
            format!("api uuid_transfer {UUID} -both park XML switchy\n\n")
        );
        // Spaces would shift the switch's arguments.
        let one_word = |field| CommandError::Malformed {
            field,
            reason: "must be one word: no spaces, quotes or backslashes",
        };
        assert_eq!(dp.broadcast("/tmp/a b.wav", None), Err(one_word("path")));
        assert_eq!(dp.getvar("a b"), Err(one_word("variable name")));
        assert_eq!(dp.record_start("'/tmp/x.wav'", None), Err(one_word("path")));
    }

    #[test]
    fn setting_many_variables() {
        let dp = Dptools::new(UUID);
        assert_eq!(
            wire(dp.multiset([("privacy", "yes"), ("sip_h_Privacy", "id")])),
            exec("multiset", Some("^^;privacy=yes;sip_h_Privacy=id"))
        );
        // A value with `;` moves the delimiter to the next free one.
        assert_eq!(
            wire(dp.multiset([("a", "x;y"), ("b", "1")])),
            exec("multiset", Some("^^|a=x;y|b=1"))
        );
        let each = dp.set_each([("a", "1"), ("b", "it's")]).unwrap();
        let each: Vec<String> = each
            .into_iter()
            .map(|c| String::from_utf8(c.to_bytes().unwrap().to_vec()).unwrap())
            .collect();
        assert_eq!(
            each,
            [exec("set", Some("a=1")), exec("set", Some("b=it's"))]
        );
        assert!(matches!(
            dp.multiset([("b", "it's")]),
            Err(CommandError::Malformed { .. })
        ));
        assert!(matches!(
            dp.multiset([("b", " padded")]),
            Err(CommandError::Malformed { .. })
        ));
        assert!(matches!(
            dp.multiset(Vec::<(String, String)>::new()),
            Err(CommandError::Empty { .. })
        ));
        let all = MULTISET_DELIMITERS.iter().collect::<String>();
        assert_eq!(
            dp.multiset([("a", all.as_str())]),
            Err(CommandError::Malformed {
                field: "multiset variables",
                reason: "every delimiter occurs in a name or value",
            })
        );
        let many: Vec<(String, String)> = (0..=MULTISET_MAX)
            .map(|i| (format!("v{i}"), "1".to_string()))
            .collect();
        assert_eq!(
            dp.multiset(many),
            Err(CommandError::Malformed {
                field: "multiset variables",
                reason: "more than 256 variables",
            })
        );
        assert!(matches!(
            dp.set("a=b", "c"),
            Err(CommandError::Malformed { .. })
        ));
    }

    #[test]
    fn line_breaks_never_reach_the_wire() {
        let bad = "x\r\napi hupall";
        let dp = Dptools::new(UUID);
        let results = [
            Dptools::new(bad).answer(),
            Dptools::new(bad).getvar("x"),
            dp.hangup(Some(bad)),
            dp.bridge(bad),
            dp.playback(bad),
            dp.broadcast(bad, None),
            dp.record_start(bad, None),
            dp.record_stop(bad),
            dp.record_session(bad),
            dp.stop_record_session(bad),
            dp.set(bad, "v"),
            dp.set("n", bad),
            dp.multiset([("n", bad)]),
            dp.multiset([(bad, "v")]),
            dp.respond(486, Some(bad)),
            dp.transfer(bad, None, None),
            dp.transfer("1", Some(bad), None),
            dp.transfer("1", None, Some(bad)),
            dp.uuid_transfer(TransferLeg::This, bad, None, None),
            dp.getvar(bad),
        ];
        for result in results {
            assert!(
                matches!(result, Err(CommandError::LineBreak { .. })),
                "{result:?}"
            );
        }
        for (a, b) in [("p\n", "d"), ("p", "d\r"), ("p", "d\0")] {
            assert!(matches!(
                DialString::profile(a, b),
                Err(CommandError::LineBreak { .. })
            ));
        }
    }

    #[test]
    fn other_refusals() {
        let dp = Dptools::new(UUID);
        assert!(matches!(
            dp.respond(99, None),
            Err(CommandError::Malformed { .. })
        ));
        assert!(matches!(
            dp.respond(700, None),
            Err(CommandError::Malformed { .. })
        ));
        assert!(matches!(dp.playback(""), Err(CommandError::Empty { .. })));
        assert!(matches!(
            Dptools::new("").answer(),
            Err(CommandError::Empty { .. })
        ));
        assert!(matches!(
            Dptools::new("a b").answer(),
            Err(CommandError::Malformed { .. })
        ));
    }

    #[test]
    fn the_socket_channel_is_not_named() {
        let own = Dptools::socket_channel();
        assert_eq!(
            wire(own.answer()),
            "sendmsg\ncall-command: execute\nexecute-app-name: answer\n\n"
        );
        assert_eq!(own.getvar("x"), Err(CommandError::Empty { field: "uuid" }));
        assert_eq!(
            own.broadcast("x", None),
            Err(CommandError::Empty { field: "uuid" })
        );
    }

    #[test]
    fn getvar_replies() {
        assert_eq!(
            GetVar::parse("loopback/socket-b"),
            GetVar::Value("loopback/socket-b".into())
        );
        assert_eq!(GetVar::parse("_undef_"), GetVar::Unset);
        assert_eq!(
            GetVar::parse("-ERR No Such Channel!\n"),
            GetVar::Failed("-ERR No Such Channel!".into())
        );
        assert_eq!(
            GetVar::parse("-ERR no reply\n"),
            GetVar::Failed("-ERR no reply".into())
        );
    }
}
