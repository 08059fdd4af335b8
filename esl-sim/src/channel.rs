//! A channel: its caller profile, variables, states, the applications it runs, and the
//! changes that each fire their event (state, call state, ring, answer).

use std::collections::VecDeque;

use crate::ids::ConnectionId;
use crate::switch::Switch;

/// `switch_caller_profile_t`: who calls whom, and when things happened (microseconds since
/// the epoch). An event carries it as the `Caller-*` headers, and a bridged channel carries a
/// copy of its peer's as `Other-Leg-*`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Profile {
    pub(crate) outbound: bool,
    pub(crate) cid_name: String,
    pub(crate) cid_num: String,
    pub(crate) callee_name: String,
    pub(crate) callee_num: String,
    pub(crate) dest: String,
    pub(crate) uuid: String,
    pub(crate) source: &'static str,
    pub(crate) chan_name: String,
    pub(crate) created: u64,
    pub(crate) answered: u64,
    pub(crate) progress: u64,
    pub(crate) progress_media: u64,
    pub(crate) hungup: u64,
    pub(crate) bridged: u64,
}

impl Profile {
    pub(crate) fn direction(&self) -> &'static str {
        if self.outbound {
            "outbound"
        } else {
            "inbound"
        }
    }
}

/// One application running on a channel.
#[derive(Debug, Clone)]
pub(crate) struct Running {
    pub(crate) app: String,
    pub(crate) arg: String,
    pub(crate) uuid: String,
}

/// An `execute` waiting for its turn on a channel.
#[derive(Debug)]
pub(crate) struct Queued {
    pub(crate) app: String,
    pub(crate) arg: String,
    pub(crate) event_uuid: Option<String>,
    /// `loops`: how many more times it runs after this one.
    pub(crate) again: u32,
}

/// Who is on the other side of a bridge, and whether this channel started it.
#[derive(Debug, Clone)]
pub(crate) struct Bridged {
    pub(crate) peer: String,
    /// The `bridge` caller or the first leg of `uuid_bridge` (`CF_BRIDGE_ORIGINATOR`): it
    /// fires `CHANNEL_BRIDGE` and `CHANNEL_UNBRIDGE`.
    pub(crate) originator: bool,
    /// The `bridge` application that is running, on the originator.
    pub(crate) app_uuid: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Channel {
    pub(crate) uuid: String,
    pub(crate) name: String,
    pub(crate) profile: Profile,
    pub(crate) state: &'static str,
    pub(crate) call_state: &'static str,
    pub(crate) answer_state: &'static str,
    pub(crate) vars: Vec<(String, String)>,
    /// The other loopback leg.
    pub(crate) other: Option<String>,
    pub(crate) bridged: Option<Bridged>,
    /// `Other-Type` and the peer's profile as it was when they were joined.
    pub(crate) other_leg: Option<(&'static str, Profile)>,
    /// Applications running, outermost first (`park`, then an `execute` inside it).
    pub(crate) apps: Vec<Running>,
    pub(crate) parked: bool,
    pub(crate) queue: VecDeque<Queued>,
    /// The extension the channel runs, what is left of it; `None` for a leg that runs no
    /// dialplan (a far end being dialled, the peer of a bridge).
    pub(crate) extension: Option<VecDeque<(String, String)>>,
    pub(crate) cause: Option<String>,
    pub(crate) hung_up: bool,
    /// Connections bound to this channel keep it from being destroyed until they close.
    pub(crate) held_by: Vec<ConnectionId>,
    pub(crate) destroy_pending: bool,
    pub(crate) conference: Option<String>,
}

/// Most `execute`s one channel holds queued; more are refused, so that a client cannot make
/// the switch hold without bound.
pub(crate) const MAX_QUEUED: usize = 100_000;

impl Channel {
    /// A channel just created, with nothing run yet; each kind of leg sets the rest.
    pub(crate) fn new(uuid: &str, name: String, profile: Profile) -> Channel {
        Channel {
            uuid: uuid.to_owned(),
            name,
            profile,
            state: "CS_NEW",
            call_state: "DOWN",
            answer_state: "ringing",
            vars: Vec::new(),
            other: None,
            bridged: None,
            other_leg: None,
            apps: Vec::new(),
            parked: false,
            queue: VecDeque::new(),
            extension: None,
            cause: None,
            hung_up: false,
            held_by: Vec::new(),
            destroy_pending: false,
            conference: None,
        }
    }

    pub(crate) fn outbound(&self) -> bool {
        self.profile.outbound
    }

    pub(crate) fn state_number(&self) -> &'static str {
        match self.state {
            "CS_NEW" => "0",
            "CS_INIT" => "1",
            "CS_ROUTING" => "2",
            "CS_SOFT_EXECUTE" => "3",
            "CS_EXECUTE" => "4",
            "CS_EXCHANGE_MEDIA" => "5",
            "CS_PARK" => "6",
            "CS_CONSUME_MEDIA" => "7",
            "CS_HIBERNATE" => "8",
            "CS_RESET" => "9",
            "CS_HANGUP" => "10",
            "CS_REPORTING" => "11",
            "CS_DESTROY" => "12",
            _ => "0",
        }
    }

    /// `Channel-State-Number` in events: the state the channel was set to, while
    /// `Channel-State` is the one it runs; a channel that hangs up is set to `CS_HANGUP`
    /// before it leaves the state it runs (`inbound_events_plain`: `CS_EXECUTE` and 10).
    pub(crate) fn state_number_reported(&self) -> &'static str {
        let leaving = !matches!(self.state, "CS_HANGUP" | "CS_REPORTING" | "CS_DESTROY");
        if self.hung_up && leaving {
            "10"
        } else {
            self.state_number()
        }
    }

    pub(crate) fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn set_var(&mut self, name: &str, value: &str) {
        match self.vars.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => *v = value.to_owned(),
            None => self.vars.push((name.to_owned(), value.to_owned())),
        }
    }

    /// `switch_true` of a variable.
    pub(crate) fn var_true(&self, name: &str) -> bool {
        self.var(name).is_some_and(|v| {
            ["yes", "on", "true", "t", "enabled", "active", "allow"]
                .iter()
                .any(|t| v.eq_ignore_ascii_case(t))
                || v.parse::<i64>().is_ok_and(|n| n != 0)
        })
    }

    pub(crate) fn running(&self) -> Option<&Running> {
        self.apps.last()
    }

    pub(crate) fn is_answered(&self) -> bool {
        self.profile.answered != 0
    }
}

impl Switch {
    /// Registers a new channel with the variables every channel starts with (`direction`,
    /// `uuid`, `session_id`, `channel_name`), then `own` (what its kind of leg sets) and
    /// `vars` (an originate's `{...}`, a call's own), and counts it in the session totals.
    pub(crate) fn add_channel(
        &mut self,
        uuid: &str,
        name: &str,
        profile: Profile,
        own: Vec<(String, String)>,
        vars: &[(String, String)],
    ) {
        self.next_session += 1;
        let mut ch = Channel::new(uuid, name.to_owned(), profile);
        ch.vars = vec![
            ("direction".into(), ch.profile.direction().into()),
            ("uuid".into(), uuid.to_owned()),
            ("session_id".into(), self.next_session.to_string()),
            ("channel_name".into(), name.to_owned()),
        ];
        ch.vars.extend(own);
        for (k, v) in vars {
            ch.set_var(k, v);
        }
        self.channels.insert(uuid.to_owned(), ch);
        self.sessions_since_startup += 1;
        self.peak = self.peak.max(self.channels.len() as u64);
        self.log(
            5,
            ("switch_channel.c", "switch_channel_set_name", 1143),
            uuid,
            &format!("New Channel {name} [{uuid}]"),
        );
    }

    /// `switch_ivr_park`: the channel waits, `CHANNEL_PARK`, and queued executes run.
    pub(crate) fn park(&mut self, uuid: &str) {
        if let Some(ch) = self.channels.get_mut(uuid) {
            ch.parked = true;
        }
        self.channel_event(
            uuid,
            "CHANNEL_PARK",
            ("switch_ivr.c", "switch_ivr_park", 1020),
            &[],
        );
        self.run_queue(uuid);
    }

    /// `switch_channel_perform_set_running_state`: the state, a debug log line, and
    /// `CHANNEL_STATE`.
    pub(crate) fn set_state(&mut self, uuid: &str, state: &'static str) {
        let Some(ch) = self.channels.get_mut(uuid) else {
            return;
        };
        let (old, name) = (ch.state, ch.name.clone());
        ch.state = state;
        self.log(
            7,
            (
                "switch_core_state_machine.c",
                "switch_core_session_run",
                581,
            ),
            uuid,
            &format!("({name}) State Change {old} -> {state}"),
        );
        self.channel_event(
            uuid,
            "CHANNEL_STATE",
            (
                "switch_channel.c",
                "switch_channel_perform_set_running_state",
                2409,
            ),
            &[],
        );
    }

    /// `switch_channel_perform_set_callstate`: `CHANNEL_CALLSTATE` with the old state.
    pub(crate) fn set_callstate(&mut self, uuid: &str, call_state: &'static str) {
        let Some(ch) = self.channels.get_mut(uuid) else {
            return;
        };
        let old = ch.call_state;
        ch.call_state = call_state;
        let number = match call_state {
            "DOWN" => "0",
            "DIALING" => "1",
            "RINGING" => "2",
            "EARLY" => "3",
            "ACTIVE" => "4",
            "HELD" => "5",
            "RING_WAIT" => "6",
            "HANGUP" => "7",
            _ => "8",
        };
        self.channel_event(
            uuid,
            "CHANNEL_CALLSTATE",
            (
                "switch_channel.c",
                "switch_channel_perform_set_callstate",
                370,
            ),
            &[
                ("Original-Channel-Call-State", old.to_owned()),
                ("Channel-Call-State-Number", number.to_owned()),
            ],
        );
    }

    /// `switch_channel_perform_mark_ring_ready_value`: the progress time, `CHANNEL_PROGRESS`,
    /// then the call state `RINGING`, in that order.
    pub(crate) fn mark_ring_ready(&mut self, uuid: &str) {
        let now = self.now_micros();
        let Some(ch) = self.channels.get_mut(uuid) else {
            return;
        };
        if ch.profile.progress != 0 || ch.is_answered() || ch.hung_up {
            return;
        }
        ch.profile.progress = now;
        let name = ch.name.clone();
        self.log(
            5,
            (
                "switch_channel.c",
                "switch_channel_perform_mark_ring_ready_value",
                3557,
            ),
            uuid,
            &format!("Ring-Ready {name}!"),
        );
        self.channel_event(
            uuid,
            "CHANNEL_PROGRESS",
            (
                "switch_channel.c",
                "switch_channel_perform_mark_ring_ready_value",
                3579,
            ),
            &[],
        );
        self.set_callstate(uuid, "RINGING");
    }

    /// `switch_channel_perform_mark_pre_answered`: the progress-media time,
    /// `endpoint_disposition=EARLY MEDIA`, `CHANNEL_PROGRESS_MEDIA`, then the call state
    /// `EARLY`.
    pub(crate) fn mark_pre_answered(&mut self, uuid: &str) {
        let now = self.now_micros();
        let Some(ch) = self.channels.get_mut(uuid) else {
            return;
        };
        if ch.profile.progress_media != 0 || ch.is_answered() || ch.hung_up {
            return;
        }
        ch.profile.progress_media = now;
        ch.set_var("endpoint_disposition", "EARLY MEDIA");
        let name = ch.name.clone();
        self.log(
            5,
            (
                "switch_channel.c",
                "switch_channel_perform_mark_pre_answered",
                3650,
            ),
            uuid,
            &format!("Pre-Answer {name}!"),
        );
        self.channel_event(
            uuid,
            "CHANNEL_PROGRESS_MEDIA",
            (
                "switch_channel.c",
                "switch_channel_perform_mark_pre_answered",
                3683,
            ),
            &[],
        );
        self.set_callstate(uuid, "EARLY");
    }

    /// `switch_channel_perform_mark_answered`: the answered time, `CHANNEL_ANSWER`,
    /// `endpoint_disposition=ANSWER`, a notice, then the call state `ACTIVE`.
    pub(crate) fn mark_answered(&mut self, uuid: &str) {
        let now = self.now_micros();
        let Some(ch) = self.channels.get_mut(uuid) else {
            return;
        };
        if ch.is_answered() || ch.hung_up {
            return;
        }
        ch.answer_state = "answered";
        ch.profile.answered = now;
        ch.set_var("endpoint_disposition", "ANSWER");
        let name = ch.name.clone();
        let source = ch.profile.source;
        self.channel_event(
            uuid,
            "CHANNEL_ANSWER",
            (
                "switch_channel.c",
                "switch_channel_perform_mark_answered",
                3923,
            ),
            &[],
        );
        let file = if source == "mod_loopback" {
            ("mod_loopback.c", "channel_answer_channel", 1021)
        } else {
            (
                "switch_channel.c",
                "switch_channel_perform_mark_answered",
                3958,
            )
        };
        self.log(
            5,
            file,
            uuid,
            &format!("Channel [{name}] has been answered"),
        );
        self.set_callstate(uuid, "ACTIVE");
    }

    /// Answers a channel; answering the loopback B leg answers the A leg first
    /// (`inbound_events_plain`).
    pub(crate) fn answer(&mut self, uuid: &str) {
        let Some(ch) = self.channels.get(uuid) else {
            return;
        };
        if ch.is_answered() || ch.hung_up {
            return;
        }
        let partner = ch
            .other
            .clone()
            .filter(|o| self.channels.get(o).is_some_and(Channel::outbound));
        if let Some(a) = partner {
            self.mark_answered(&a);
        }
        self.mark_answered(uuid);
    }
}
