//! Bridges: the `bridge` application (dial a far end, join it when it answers) and
//! `uuid_bridge` (join two channels that exist), with the `CHANNEL_BRIDGE` and
//! `CHANNEL_UNBRIDGE` events `switch_ivr_bridge.c` fires, and what happens to a leg when
//! its bridge ends.

use crate::channel::Bridged;
use crate::hangup::HangupOrder;
use crate::originate::Waiter;
use crate::switch::Switch;

/// Causes that never stop the dialplan after a failed `bridge` (`switch_channel_handle_cause`
/// in `mod_dptools.c`: "no answer is *always* a reason to continue").
const ALWAYS_CONTINUE: [&str; 3] = ["NO_ANSWER", "NO_USER_RESPONSE", "ORIGINATOR_CANCEL"];

/// `DIALSTATUS` for a failed originate with a caller (`switch_ivr_originate.c`).
fn dial_status(cause: &str) -> &str {
    match cause {
        "ORIGINATOR_CANCEL" => "CANCEL",
        "USER_BUSY" => "BUSY",
        "NO_ANSWER" => "NOANSWER",
        "DESTINATION_OUT_OF_ORDER" | "INVALID_PROFILE" => "INVALIDARGS",
        "CALL_REJECTED" => "DONTCALL",
        other => other,
    }
}

impl Switch {
    /// `bridge <dialstring>`: dials the far end for `uuid`; the application ends when the
    /// bridge does (or when the dial fails).
    pub(crate) fn bridge_app(&mut self, uuid: &str, dial: &str, app_uuid: String) {
        let dial = dial.trim();
        let Some(ch) = self.channels.get(uuid) else {
            return;
        };
        if dial.is_empty() {
            return self.exec_done(uuid, &app_uuid, "_none_");
        }
        // `call_timeout` bounds the dial (default 60 seconds), `leg_timeout` one leg.
        let timeout = ["leg_timeout", "call_timeout"]
            .iter()
            .find_map(|v| ch.var(v).and_then(|t| t.trim().parse::<u64>().ok()))
            .unwrap_or(60);
        let (vars, dial) = crate::originate::parse_vars(dial);
        let dial = dial
            .split([',', '|'])
            .next()
            .unwrap_or(dial)
            .trim()
            .to_owned();
        if let Some(cause) = dial.strip_prefix("error/") {
            let cause = crate::network::cause_named(cause).unwrap_or("DESTINATION_OUT_OF_ORDER");
            return self.bridge_failed(uuid, &app_uuid, cause);
        }
        let waiter = Waiter::Bridge {
            caller: uuid.to_owned(),
            app_uuid,
        };
        self.dial(&dial, &vars, Some(uuid), waiter, String::new(), timeout);
    }

    /// The far end answered: the caller is answered and the two are joined.
    pub(crate) fn bridge_answered(&mut self, caller: &str, leg: &str, app_uuid: &str) {
        if self.channels.get(caller).is_none_or(|c| c.hung_up) {
            return self.hangup(leg, "ORIGINATOR_CANCEL", HangupOrder::Killed);
        }
        if let Some(ch) = self.channels.get_mut(caller) {
            ch.set_var("originate_disposition", "call accepted");
            // Sic: `if (switch_channel_test_flag(peer_channel, CF_ANSWERED))
            // switch_channel_set_variable(caller_channel, "DIALSTATUS", "EARLY")`.
            ch.set_var("DIALSTATUS", "EARLY");
        }
        // switch_ivr_multi_threaded_bridge: a peer that answered answers the caller.
        self.answer(caller);
        self.join(caller, leg, Some(app_uuid.to_owned()));
    }

    /// The dial failed with `cause`: the variables FreeSWITCH sets, then the dialplan goes
    /// on (`continue_on_fail`, or a cause that always continues) or the caller hangs up
    /// with the cause.
    pub(crate) fn bridge_failed(&mut self, caller: &str, app_uuid: &str, cause: &str) {
        let Some(ch) = self.channels.get_mut(caller).filter(|c| !c.hung_up) else {
            return;
        };
        ch.set_var("originate_disposition", cause);
        ch.set_var("DIALSTATUS", dial_status(cause));
        ch.set_var("originate_failed_cause", cause);
        let cont = match ch.var("continue_on_fail") {
            Some(_) if ch.var_true("continue_on_fail") => true,
            Some(list) => list
                .split(',')
                .any(|c| c.trim().eq_ignore_ascii_case(cause)),
            None => ALWAYS_CONTINUE.contains(&cause),
        };
        if cont {
            self.exec_done(caller, app_uuid, "_none_");
        } else {
            self.hangup(caller, cause, HangupOrder::Killed);
        }
    }

    /// `uuid_bridge <a> <b>`: each leg leaves what it runs (`CHANNEL_EXECUTE` of
    /// `uuid_bridge` on both, as `uuid_bridge_on_soft_execute` fires), then they are joined
    /// with `a` as the originator.
    pub(crate) fn uuid_bridge(&mut self, a: &str, b: &str) {
        for (leg, other) in [(a, b), (b, a)] {
            self.end_apps(leg, None);
            if let Some(ch) = self.channels.get_mut(leg) {
                ch.queue.clear();
            }
            self.channel_event(
                leg,
                "CHANNEL_EXECUTE",
                ("switch_ivr_bridge.c", "uuid_bridge_on_soft_execute", 1991),
                &[
                    ("Application", "uuid_bridge".into()),
                    ("Application-Data", other.to_owned()),
                ],
            );
            self.history.application(leg, "uuid_bridge", other);
        }
        for leg in [a, b] {
            self.answer(leg);
        }
        self.join(a, b, None);
    }

    /// Joins `a` (the originator) and `b`: each carries the other's profile as
    /// `Other-Leg-*` from now on, and `CHANNEL_BRIDGE` fires on `a` with
    /// `Bridge-A-Unique-ID` and `Bridge-B-Unique-ID` before its channel data.
    fn join(&mut self, a: &str, b: &str, app_uuid: Option<String>) {
        let now = self.now_micros();
        let (Some(pa), Some(pb)) = (
            self.channels.get(a).map(|c| c.profile.clone()),
            self.channels.get(b).map(|c| c.profile.clone()),
        ) else {
            return;
        };
        let (name_a, name_b) = (pa.chan_name.clone(), pb.chan_name.clone());
        if let Some(ch) = self.channels.get_mut(a) {
            ch.profile.bridged = now;
            ch.other_leg = Some(("originatee", pb));
            ch.bridged = Some(Bridged {
                peer: b.to_owned(),
                originator: true,
                app_uuid,
            });
        }
        if let Some(ch) = self.channels.get_mut(b) {
            ch.profile.bridged = now;
            ch.other_leg = Some(("originator", pa));
            ch.bridged = Some(Bridged {
                peer: a.to_owned(),
                originator: false,
                app_uuid: None,
            });
            ch.set_var("call_uuid", a);
        }
        self.channel_event_with(
            a,
            "CHANNEL_BRIDGE",
            (
                "switch_ivr_bridge.c",
                "switch_ivr_multi_threaded_bridge",
                1702,
            ),
            &[
                ("Bridge-A-Unique-ID", a.to_owned()),
                ("Bridge-B-Unique-ID", b.to_owned()),
            ],
            &[],
        );
        // Set after the event, as switch_ivr_multi_threaded_bridge sets them.
        for (leg, peer, peer_name) in [(a, b, &name_b), (b, a, &name_a)] {
            if let Some(ch) = self.channels.get_mut(leg) {
                ch.set_var("bridge_to", peer);
                ch.set_var("last_bridge_to", peer);
                ch.set_var("bridge_channel", peer_name);
                ch.set_var("bridge_uuid", peer);
                ch.set_var("signal_bond", peer);
            }
        }
    }

    /// `CHANNEL_UNBRIDGE` on the originator, `Bridge-A-Unique-ID` and `Bridge-B-Unique-ID`
    /// before its channel data.
    pub(crate) fn unbridge_event(&mut self, originator: &str, peer: &str) {
        self.channel_event_with(
            originator,
            "CHANNEL_UNBRIDGE",
            (
                "switch_ivr_bridge.c",
                "switch_ivr_multi_threaded_bridge",
                1781,
            ),
            &[
                ("Bridge-A-Unique-ID", originator.to_owned()),
                ("Bridge-B-Unique-ID", peer.to_owned()),
            ],
            &[],
        );
    }

    /// The peer of `originator` hung up with `cause`: the bridge ends, the `bridge`
    /// application completes, and the originator hangs up too (`hangup_after_bridge`),
    /// parks (`park_after_bridge`) or goes on with its extension.
    pub(crate) fn peer_left(&mut self, originator: &str, cause: &str) {
        let Some(ch) = self.channels.get_mut(originator).filter(|c| !c.hung_up) else {
            return;
        };
        let Some(bridged) = ch.bridged.take() else {
            return;
        };
        ch.set_var("bridge_hangup_cause", cause);
        let hangup_after = ch.var_true("hangup_after_bridge");
        let park_after = ch.var_true("park_after_bridge");
        self.unbridge_event(originator, &bridged.peer);
        if let Some(app_uuid) = &bridged.app_uuid {
            self.exec_complete(originator, app_uuid, "_none_");
        }
        if hangup_after {
            self.hangup(originator, cause, HangupOrder::Killed);
        } else if park_after {
            self.run_app(originator, "park", "", None);
        } else {
            self.run_queue(originator);
        }
    }
}
