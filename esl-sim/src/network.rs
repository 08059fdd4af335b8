//! The world beyond the switch: calls arriving from the network, what a far end does when
//! the switch dials it, and the hangup causes FreeSWITCH names those outcomes with.

use std::time::Duration;

/// What a far end does when the switch dials it (`originate sofia/...`, `bridge user/...`):
/// any dial string that is not `loopback/` or `error/` reaches this simulated network.
///
/// Set per destination with [`Switch::set_outcome`](crate::Switch::set_outcome); every other
/// destination answers at once ([`Outcome::answer`]).
///
/// ```
/// use std::time::Duration;
/// use esl_sim::Outcome;
///
/// assert_eq!(Outcome::busy(), Outcome::Reject { after: Duration::ZERO, cause: "USER_BUSY".into() });
/// assert_eq!(Outcome::answer_after(Duration::from_secs(3)), Outcome::Answer { after: Duration::from_secs(3) });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Rings (`CHANNEL_PROGRESS`) for `after`, then answers.
    Answer {
        /// How long it rings first.
        after: Duration,
    },
    /// Rings until the originate gives up: the leg hangs up with `NO_ANSWER`, and
    /// `originate` answers `-ERR NO_ANSWER` (`switch_ivr_originate.c`: a timeout sets
    /// `SWITCH_CAUSE_NO_ANSWER`). The wait is the originate's timeout: 60 seconds, or the
    /// `originate_timeout` variable, or the `<timeout_sec>` argument; `call_timeout` for
    /// `bridge`.
    NoAnswer,
    /// Rings for `after`, then refuses with `cause`, a FreeSWITCH cause name such as
    /// `USER_BUSY` (SIP 486), `CALL_REJECTED` (SIP 603) or `UNALLOCATED_NUMBER` (SIP 404).
    Reject {
        /// How long it rings first.
        after: Duration,
        /// The hangup cause the leg ends with, and `originate` reports.
        cause: String,
    },
}

impl Outcome {
    /// Answers at once.
    pub fn answer() -> Outcome {
        Outcome::Answer {
            after: Duration::ZERO,
        }
    }

    /// Rings for `after`, then answers.
    pub fn answer_after(after: Duration) -> Outcome {
        Outcome::Answer { after }
    }

    /// Busy at once: `USER_BUSY`.
    pub fn busy() -> Outcome {
        Outcome::reject("USER_BUSY")
    }

    /// Declined at once: `CALL_REJECTED`.
    pub fn rejected() -> Outcome {
        Outcome::reject("CALL_REJECTED")
    }

    /// Refused at once with `cause`.
    pub fn reject(cause: impl Into<String>) -> Outcome {
        Outcome::Reject {
            after: Duration::ZERO,
            cause: cause.into(),
        }
    }
}

/// A call arriving from the network (a SIP phone dialling the switch), for a router to
/// handle. The switch creates its channel with the events FreeSWITCH fires for an inbound
/// call, and runs the extension it is routed to: [`Route::Park`] (route it in code over an
/// inbound connection, the default) or [`Route::Socket`] (hand it to an outbound socket
/// server, as `<action application="socket" data="... async full"/>` does).
///
/// ```
/// use esl_sim::{InboundCall, Route};
///
/// let call = InboundCall::new("1000", "5000")
///     .caller_name("Alice")
///     .var("sip_h_X-Tenant", "acme")
///     .route(Route::Socket);
/// assert_eq!(call.destination(), "5000");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundCall {
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) caller_name: Option<String>,
    pub(crate) vars: Vec<(String, String)>,
    pub(crate) route: Route,
}

/// Which extension an [`InboundCall`] runs.
///
/// ```
/// use esl_sim::{Config, InboundCall, Route, VirtualSwitch};
///
/// let switch = VirtualSwitch::new(Config::default());
/// let echo = switch.call(&InboundCall::new("1000", "9196").route(Route::Extension("9196".into())));
/// assert_eq!(switch.applications(&echo), [("answer".into(), String::new()), ("echo".into(), String::new())]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Route {
    /// `park`: the call waits for a client to control it.
    Park,
    /// `socket <target> async full`: the switch connects to the outbound socket target
    /// ([`Config::socket_target`](crate::Config::socket_target)) for the call.
    Socket,
    /// One of the simulated dialplan's extensions: `park`, `9196` (echo), `tone` (answer,
    /// play, hang up), `conf` (conference) or `socket`.
    Extension(String),
}

impl InboundCall {
    /// A call from `from` (caller id number and SIP user) to `to` (destination number).
    pub fn new(from: impl Into<String>, to: impl Into<String>) -> InboundCall {
        InboundCall {
            from: from.into(),
            to: to.into(),
            caller_name: None,
            vars: Vec::new(),
            route: Route::Park,
        }
    }

    /// The caller id name (default: the number).
    pub fn caller_name(mut self, name: impl Into<String>) -> InboundCall {
        self.caller_name = Some(name.into());
        self
    }

    /// A channel variable the call arrives with (a SIP header becomes `sip_h_<name>`).
    pub fn var(mut self, name: impl Into<String>, value: impl Into<String>) -> InboundCall {
        self.vars.push((name.into(), value.into()));
        self
    }

    /// Which extension it runs (default [`Route::Park`]).
    pub fn route(mut self, route: Route) -> InboundCall {
        self.route = route;
        self
    }

    /// The caller.
    pub fn caller(&self) -> &str {
        &self.from
    }

    /// The destination number.
    pub fn destination(&self) -> &str {
        &self.to
    }
}

/// `switch_call_cause_t` (`switch_types.h`): the causes a simulated call can end with, by
/// name and Q.850 number.
const CAUSES: [(&str, u16); 48] = [
    ("UNALLOCATED_NUMBER", 1),
    ("NO_ROUTE_TRANSIT_NET", 2),
    ("NO_ROUTE_DESTINATION", 3),
    ("CHANNEL_UNACCEPTABLE", 6),
    ("CALL_AWARDED_DELIVERED", 7),
    ("NORMAL_CLEARING", 16),
    ("USER_BUSY", 17),
    ("NO_USER_RESPONSE", 18),
    ("NO_ANSWER", 19),
    ("SUBSCRIBER_ABSENT", 20),
    ("CALL_REJECTED", 21),
    ("NUMBER_CHANGED", 22),
    ("REDIRECTION_TO_NEW_DESTINATION", 23),
    ("EXCHANGE_ROUTING_ERROR", 25),
    ("DESTINATION_OUT_OF_ORDER", 27),
    ("INVALID_NUMBER_FORMAT", 28),
    ("FACILITY_REJECTED", 29),
    ("RESPONSE_TO_STATUS_ENQUIRY", 30),
    ("NORMAL_UNSPECIFIED", 31),
    ("NORMAL_CIRCUIT_CONGESTION", 34),
    ("NETWORK_OUT_OF_ORDER", 38),
    ("NORMAL_TEMPORARY_FAILURE", 41),
    ("SWITCH_CONGESTION", 42),
    ("REQUESTED_CHAN_UNAVAIL", 44),
    ("OUTGOING_CALL_BARRED", 52),
    ("INCOMING_CALL_BARRED", 54),
    ("SERVICE_UNAVAILABLE", 63),
    ("CHAN_NOT_IMPLEMENTED", 66),
    ("SERVICE_NOT_IMPLEMENTED", 79),
    ("INCOMPATIBLE_DESTINATION", 88),
    ("RECOVERY_ON_TIMER_EXPIRE", 102),
    ("PROTOCOL_ERROR", 111),
    ("INTERWORKING", 127),
    ("ORIGINATOR_CANCEL", 487),
    ("CRASH", 500),
    ("SYSTEM_SHUTDOWN", 501),
    ("LOSE_RACE", 502),
    ("MANAGER_REQUEST", 503),
    ("BLIND_TRANSFER", 600),
    ("ATTENDED_TRANSFER", 601),
    ("ALLOTTED_TIMEOUT", 602),
    ("USER_CHALLENGE", 603),
    ("MEDIA_TIMEOUT", 604),
    ("PICKED_OFF", 605),
    ("USER_NOT_REGISTERED", 606),
    ("PROGRESS_TIMEOUT", 607),
    ("GATEWAY_DOWN", 609),
    ("NO_PICKUP", 612),
];

/// `switch_channel_str2cause`: a cause by name (any case) or number; `None` if unknown.
pub(crate) fn cause_named(text: &str) -> Option<&'static str> {
    let text = text.trim();
    if let Ok(number) = text.parse::<u16>() {
        return CAUSES.iter().find(|(_, n)| *n == number).map(|(c, _)| *c);
    }
    CAUSES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(text))
        .map(|(c, _)| *c)
}

/// `hangup_cause_q850`: `switch_channel_cause_q850` returns a cause up to
/// `SWITCH_CAUSE_INTERWORKING` (127) as it is, and `NORMAL_CLEARING` (16) for the
/// FreeSWITCH-only causes above it. An unknown name counts as `NORMAL_CLEARING`.
pub(crate) fn q850(cause: &str) -> u16 {
    match CAUSES.iter().find(|(c, _)| *c == cause) {
        Some((_, n)) if *n <= 127 => *n,
        _ => 16,
    }
}

/// The destination a dial string reaches, for [`Outcome`] lookup: `sofia/gateway/gw/5551234`
/// is `5551234`, `user/1001@example.com` is `1001`, `sofia/internal/2345;fs_path=...` is
/// `2345`.
pub(crate) fn destination_of(dial: &str) -> &str {
    let last = dial.rsplit('/').next().unwrap_or(dial);
    let last = last.split(';').next().unwrap_or(last);
    last.split('@').next().unwrap_or(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_by_name_and_number() {
        assert_eq!(cause_named("user_busy"), Some("USER_BUSY"));
        assert_eq!(cause_named("19"), Some("NO_ANSWER"));
        assert_eq!(cause_named("nonsense"), None);
        assert_eq!(q850("USER_BUSY"), 17);
        assert_eq!(q850("ORIGINATOR_CANCEL"), 16);
        assert_eq!(q850("SOMETHING_ELSE"), 16);
    }

    #[test]
    fn destinations_of_dial_strings() {
        assert_eq!(destination_of("sofia/gateway/gw/5551234"), "5551234");
        assert_eq!(destination_of("user/1001@example.com"), "1001");
        assert_eq!(
            destination_of("sofia/internal/2345;fs_path=sip:salespbx.com"),
            "2345"
        );
        assert_eq!(destination_of("5000"), "5000");
    }
}
