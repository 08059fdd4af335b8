//! FreeSWITCH's event names (`EVENT_NAMES` in `src/switch_event.c`).

use std::fmt;
use std::str::FromStr;

macro_rules! event_names {
    ($($variant:ident => $wire:literal,)+) => {
        /// An event's `Event-Name`. Names this library does not know are kept in
        /// [`EventName::Other`], so nothing the switch sends is rejected.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum EventName {
            $(
                #[doc = concat!("`", $wire, "`")]
                $variant,
            )+
            /// A name not in FreeSWITCH 1.11's list, kept as sent.
            Other(String),
        }

        impl EventName {
            /// Every name this library knows, in FreeSWITCH's order.
            pub const KNOWN: &'static [EventName] = &[$(EventName::$variant,)+];

            /// The name as FreeSWITCH writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(EventName::$variant => $wire,)+
                    EventName::Other(name) => name,
                }
            }

            /// The position of a known name in [`EventName::KNOWN`].
            pub(crate) fn known_index(&self) -> Option<usize> {
                #[allow(non_camel_case_types, clippy::enum_variant_names)]
                enum Position { $($variant,)+ }
                match self {
                    $(EventName::$variant => Some(Position::$variant as usize),)+
                    EventName::Other(_) => None,
                }
            }

            fn known(name: &str) -> Option<EventName> {
                // FreeSWITCH writes names in upper case: an exact match settles nearly all.
                match name {
                    $($wire => return Some(EventName::$variant),)+
                    _ => {}
                }
                $(
                    if name.eq_ignore_ascii_case($wire) {
                        return Some(EventName::$variant);
                    }
                )+
                None
            }
        }
    };
}

event_names! {
    Custom => "CUSTOM",
    Clone => "CLONE",
    ChannelCreate => "CHANNEL_CREATE",
    ChannelDestroy => "CHANNEL_DESTROY",
    ChannelState => "CHANNEL_STATE",
    ChannelCallstate => "CHANNEL_CALLSTATE",
    ChannelAnswer => "CHANNEL_ANSWER",
    ChannelHangup => "CHANNEL_HANGUP",
    ChannelHangupComplete => "CHANNEL_HANGUP_COMPLETE",
    ChannelExecute => "CHANNEL_EXECUTE",
    ChannelExecuteComplete => "CHANNEL_EXECUTE_COMPLETE",
    ChannelHold => "CHANNEL_HOLD",
    ChannelUnhold => "CHANNEL_UNHOLD",
    ChannelBridge => "CHANNEL_BRIDGE",
    ChannelUnbridge => "CHANNEL_UNBRIDGE",
    ChannelProgress => "CHANNEL_PROGRESS",
    ChannelProgressMedia => "CHANNEL_PROGRESS_MEDIA",
    ChannelOutgoing => "CHANNEL_OUTGOING",
    ChannelPark => "CHANNEL_PARK",
    ChannelUnpark => "CHANNEL_UNPARK",
    ChannelApplication => "CHANNEL_APPLICATION",
    ChannelOriginate => "CHANNEL_ORIGINATE",
    ChannelUuid => "CHANNEL_UUID",
    Api => "API",
    Log => "LOG",
    InboundChan => "INBOUND_CHAN",
    OutboundChan => "OUTBOUND_CHAN",
    Startup => "STARTUP",
    Shutdown => "SHUTDOWN",
    Publish => "PUBLISH",
    Unpublish => "UNPUBLISH",
    Talk => "TALK",
    Notalk => "NOTALK",
    SessionCrash => "SESSION_CRASH",
    ModuleLoad => "MODULE_LOAD",
    ModuleUnload => "MODULE_UNLOAD",
    Dtmf => "DTMF",
    Message => "MESSAGE",
    PresenceIn => "PRESENCE_IN",
    NotifyIn => "NOTIFY_IN",
    PresenceOut => "PRESENCE_OUT",
    PresenceProbe => "PRESENCE_PROBE",
    MessageWaiting => "MESSAGE_WAITING",
    MessageQuery => "MESSAGE_QUERY",
    Roster => "ROSTER",
    Codec => "CODEC",
    BackgroundJob => "BACKGROUND_JOB",
    DetectedSpeech => "DETECTED_SPEECH",
    DetectedTone => "DETECTED_TONE",
    PrivateCommand => "PRIVATE_COMMAND",
    Heartbeat => "HEARTBEAT",
    Trap => "TRAP",
    AddSchedule => "ADD_SCHEDULE",
    DelSchedule => "DEL_SCHEDULE",
    ExeSchedule => "EXE_SCHEDULE",
    ReSchedule => "RE_SCHEDULE",
    ReloadXml => "RELOADXML",
    Notify => "NOTIFY",
    PhoneFeature => "PHONE_FEATURE",
    PhoneFeatureSubscribe => "PHONE_FEATURE_SUBSCRIBE",
    SendMessage => "SEND_MESSAGE",
    RecvMessage => "RECV_MESSAGE",
    RequestParams => "REQUEST_PARAMS",
    ChannelData => "CHANNEL_DATA",
    General => "GENERAL",
    Command => "COMMAND",
    SessionHeartbeat => "SESSION_HEARTBEAT",
    ClientDisconnected => "CLIENT_DISCONNECTED",
    ServerDisconnected => "SERVER_DISCONNECTED",
    SendInfo => "SEND_INFO",
    RecvInfo => "RECV_INFO",
    RecvRtcpMessage => "RECV_RTCP_MESSAGE",
    SendRtcpMessage => "SEND_RTCP_MESSAGE",
    CallSecure => "CALL_SECURE",
    Nat => "NAT",
    RecordStart => "RECORD_START",
    RecordStop => "RECORD_STOP",
    PlaybackStart => "PLAYBACK_START",
    PlaybackStop => "PLAYBACK_STOP",
    CallUpdate => "CALL_UPDATE",
    Failure => "FAILURE",
    SocketData => "SOCKET_DATA",
    MediaBugStart => "MEDIA_BUG_START",
    MediaBugStop => "MEDIA_BUG_STOP",
    ConferenceDataQuery => "CONFERENCE_DATA_QUERY",
    ConferenceData => "CONFERENCE_DATA",
    CallSetupReq => "CALL_SETUP_REQ",
    CallSetupResult => "CALL_SETUP_RESULT",
    CallDetail => "CALL_DETAIL",
    DeviceState => "DEVICE_STATE",
    Text => "TEXT",
    ShutdownRequested => "SHUTDOWN_REQUESTED",
    All => "ALL",
}

impl EventName {
    /// Reads a name as `switch_name_event` does: case-insensitively, with or without the
    /// `SWITCH_EVENT_` prefix. Unknown names are kept, upper-cased as FreeSWITCH writes names.
    pub fn parse(name: &str) -> EventName {
        let bare = match name.get(..13) {
            Some(prefix) if name.len() > 13 && prefix.eq_ignore_ascii_case("SWITCH_EVENT_") => {
                &name[13..]
            }
            _ => name,
        };
        EventName::known(bare).unwrap_or_else(|| EventName::Other(name.to_owned()))
    }

    /// True for the names of FreeSWITCH's list (everything but [`EventName::Other`]).
    pub fn is_known(&self) -> bool {
        !matches!(self, EventName::Other(_))
    }
}

impl FromStr for EventName {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(EventName::parse(s))
    }
}

impl fmt::Display for EventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for EventName {
    fn from(name: &str) -> EventName {
        EventName::parse(name)
    }
}

impl serde::Serialize for EventName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for EventName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(EventName::parse(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_are_kept() {
        for name in EventName::KNOWN {
            assert_eq!(&EventName::parse(name.as_str()), name);
        }
        assert_eq!(EventName::parse("channel_answer"), EventName::ChannelAnswer);
        assert_eq!(
            EventName::parse("SWITCH_EVENT_CHANNEL_ANSWER"),
            EventName::ChannelAnswer
        );
        assert_eq!(
            EventName::parse("MY_NEW_EVENT"),
            EventName::Other("MY_NEW_EVENT".into())
        );
        assert_eq!(EventName::parse("MY_NEW_EVENT").as_str(), "MY_NEW_EVENT");
    }

    #[test]
    fn known_index_is_the_position_in_known() {
        for (at, name) in EventName::KNOWN.iter().enumerate() {
            assert_eq!(name.known_index(), Some(at));
        }
        assert_eq!(EventName::parse("MY_NEW_EVENT").known_index(), None);
        assert!(
            EventName::KNOWN.len() <= 128,
            "a known name is a bit of a u128"
        );
    }
}
