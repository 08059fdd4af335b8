//! Hanging up: a channel and its loopback partner leave in the order the captures recorded,
//! what ran on them completes, bridges and dials they were part of end, and the channels are
//! destroyed once no socket holds them.

use crate::ids::ConnectionId;
use crate::network;
use crate::switch::Switch;

/// How a hang-up's events are ordered (FreeSWITCH's threads race; each order is recorded).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum HangupOrder {
    /// `uuid_kill`, `sendmsg hangup`, `hupall` (`inbound_sendmsg`, `outbound_socket`).
    Killed,
    /// The `hangup` application, or an extension that ran out (`inbound_events_plain`).
    Dialplan,
}

impl Switch {
    /// Hangs up `x` and its loopback partner, events in the recorded order.
    pub(crate) fn hangup(&mut self, x: &str, cause: &str, order: HangupOrder) {
        let now = self.now_micros();
        let Some(ch) = self.channels.get_mut(x) else {
            return;
        };
        if ch.hung_up {
            return;
        }
        mark_hung_up(ch, cause, now);
        let name = ch.name.clone();
        let state = ch.state;
        let bridged = ch.bridged.take();
        let partner = ch
            .other
            .clone()
            .filter(|p| self.channels.get(p).is_some_and(|c| !c.hung_up));
        self.log(
            5,
            (
                "switch_core_session.c",
                "switch_core_session_perform_hangup",
                407,
            ),
            x,
            &format!("Hangup {name} [{state}] [{cause}]"),
        );
        self.hangup_event(x, cause);
        if let Some(b) = bridged.as_ref().filter(|b| b.originator) {
            self.unbridge_event(x, &b.peer);
        }
        if order == HangupOrder::Dialplan {
            self.end_apps(x, Some(cause));
            self.set_state(x, "CS_HANGUP");
            self.set_callstate(x, "HANGUP");
            if let Some(p) = &partner {
                self.partner_hangup(p, cause);
            }
        } else {
            self.end_apps(x, Some(cause));
            if let Some(p) = &partner {
                self.partner_hangup(p, cause);
            }
            self.set_state(x, "CS_HANGUP");
            self.set_callstate(x, "HANGUP");
        }
        self.set_state(x, "CS_REPORTING");
        self.hangup_complete(x, cause);
        if let Some(p) = &partner {
            self.wind_down(p, cause);
        }
        let mut ids: Vec<String> = [Some(x.to_owned()), partner]
            .into_iter()
            .flatten()
            .collect();
        if order == HangupOrder::Dialplan {
            ids.reverse(); // the A leg is destroyed first in inbound_events_plain
        }
        for id in &ids {
            self.destroy_when_free(id);
        }
        if let Some(b) = bridged.filter(|b| !ids.contains(&b.peer)) {
            if b.originator {
                // The originator left: its peer is hung up with the same cause.
                if let Some(peer) = self.channels.get_mut(&b.peer) {
                    peer.bridged = None;
                }
                self.hangup(&b.peer, cause, HangupOrder::Killed);
            } else {
                self.peer_left(&b.peer, cause);
            }
        }
        for id in &ids {
            self.dial_ended(id, cause);
        }
    }

    /// `CHANNEL_HANGUP`. A lingering `myevents` socket hears of it before the event
    /// (`inbound_myevents_linger`); one that does not linger after it (`inbound_myevents`).
    fn hangup_event(&mut self, uuid: &str, cause: &str) {
        self.notify_session(uuid, |c| c.outbound.is_none() && c.linger.is_some());
        self.channel_event(
            uuid,
            "CHANNEL_HANGUP",
            ("switch_channel.c", "switch_channel_perform_hangup", 3473),
            &[("Hangup-Cause", cause.to_owned())],
        );
        self.notify_session(uuid, |c| c.outbound.is_none() && c.linger.is_none());
        self.leave_conference(uuid, cause);
    }

    /// Tells the connections bound to `uuid` (that pass `when`) that it is down.
    pub(crate) fn notify_session(
        &mut self,
        uuid: &str,
        when: impl Fn(&crate::connection::Conn) -> bool,
    ) {
        let ids: Vec<ConnectionId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.is_live() && c.session.as_deref() == Some(uuid) && when(c))
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.deliver(id, crate::connection::Pending::ChannelDown);
        }
    }

    fn partner_hangup(&mut self, p: &str, cause: &str) {
        let now = self.now_micros();
        if let Some(ch) = self.channels.get_mut(p) {
            mark_hung_up(ch, cause, now);
        }
        self.hangup_event(p, cause);
    }

    fn wind_down(&mut self, p: &str, cause: &str) {
        self.end_apps(p, Some(cause));
        self.set_state(p, "CS_HANGUP");
        self.set_callstate(p, "HANGUP");
        self.set_state(p, "CS_REPORTING");
        self.hangup_complete(p, cause);
    }

    /// The applications still running end, innermost first: `CHANNEL_UNPARK` for a park
    /// (with the cause when the channel hangs up), then the completion.
    pub(crate) fn end_apps(&mut self, uuid: &str, cause: Option<&str>) {
        while let Some(running) = self.channels.get(uuid).and_then(|c| c.running().cloned()) {
            let parked = self.channels.get(uuid).is_some_and(|c| c.parked);
            if running.app == "park" || (running.app == "socket" && parked) {
                let extra: Vec<(&str, String)> = cause
                    .map(|c| vec![("Hangup-Cause", c.to_owned())])
                    .unwrap_or_default();
                self.channel_event(
                    uuid,
                    "CHANNEL_UNPARK",
                    ("switch_ivr.c", "switch_ivr_park", 1161),
                    &extra,
                );
                if let Some(ch) = self.channels.get_mut(uuid) {
                    ch.parked = false;
                }
            }
            let response = if running.app == "playback" && cause.is_some() {
                "FILE NOT FOUND"
            } else {
                "_none_"
            };
            self.exec_complete(uuid, &running.uuid, response);
        }
    }

    fn hangup_complete(&mut self, uuid: &str, cause: &str) {
        if let Some(ch) = self.channels.get_mut(uuid) {
            let p = &ch.profile;
            let (start, end) = (p.created / 1_000_000, p.hungup / 1_000_000);
            let billsec = if p.answered == 0 {
                0
            } else {
                end.saturating_sub(p.answered / 1_000_000)
            };
            ch.set_var("hangup_cause_q850", &network::q850(cause).to_string());
            ch.set_var("start_epoch", &start.to_string());
            ch.set_var("end_epoch", &end.to_string());
            ch.set_var("duration", &end.saturating_sub(start).to_string());
            ch.set_var("billsec", &billsec.to_string());
        }
        self.channel_event(
            uuid,
            "CHANNEL_HANGUP_COMPLETE",
            (
                "switch_core_state_machine.c",
                "switch_core_session_reporting_state",
                932,
            ),
            &[("Hangup-Cause", cause.to_owned())],
        );
        // An outbound socket hears of it after the events (outbound_socket).
        self.notify_session(uuid, |c| c.outbound.is_some());
    }

    /// `CHANNEL_DESTROY` once no socket holds the channel (`outbound_socket`: FreeSWITCH does
    /// not destroy a session an outbound socket still holds).
    pub(crate) fn destroy_when_free(&mut self, uuid: &str) {
        let Some(ch) = self.channels.get_mut(uuid) else {
            return;
        };
        if !ch.held_by.is_empty() {
            ch.destroy_pending = true;
            return;
        }
        let cause = ch.cause.clone().unwrap_or_default();
        let name = ch.name.clone();
        self.channel_event(
            uuid,
            "CHANNEL_DESTROY",
            (
                "switch_core_session.c",
                "switch_core_session_perform_destroy",
                1766,
            ),
            &[("Hangup-Cause", cause)],
        );
        self.set_state(uuid, "CS_DESTROY");
        self.log(
            5,
            (
                "switch_core_session.c",
                "switch_core_session_perform_destroy",
                1770,
            ),
            uuid,
            &format!("Close Channel {name} [CS_DESTROY]"),
        );
        self.channels.remove(uuid);
    }

    /// A socket bound to `uuid` closed.
    pub(crate) fn release(&mut self, uuid: &str, conn: ConnectionId) {
        let resume = self.conns.get(&conn).is_some_and(|c| c.resume);
        let Some(ch) = self.channels.get_mut(uuid) else {
            return;
        };
        ch.held_by.retain(|id| *id != conn);
        if ch.held_by.is_empty() && ch.destroy_pending {
            return self.destroy_when_free(uuid);
        }
        let controlled =
            ch.held_by.is_empty() && !ch.hung_up && ch.apps.iter().any(|r| r.app == "socket");
        if !controlled {
            return;
        }
        if resume {
            // `resume`: the socket application ends and the extension goes on.
            self.end_apps(uuid, None);
            self.run_queue(uuid);
        } else {
            // Without `resume`, the call ends with its socket.
            self.hangup(uuid, "NORMAL_CLEARING", HangupOrder::Killed);
        }
    }

    /// `hupall`: every channel, in uuid order.
    pub(crate) fn hupall(&mut self, cause: &str) {
        let legs: Vec<String> = self
            .channels
            .values()
            .filter(|c| !c.hung_up)
            .map(|c| c.uuid.clone())
            .collect();
        for uuid in legs {
            self.hangup(&uuid, cause, HangupOrder::Killed);
        }
    }
}

/// The channel's own record of its hang-up.
fn mark_hung_up(ch: &mut crate::channel::Channel, cause: &str, now: u64) {
    ch.hung_up = true;
    ch.answer_state = "hangup";
    ch.cause = Some(cause.to_owned());
    ch.profile.hungup = now;
    ch.set_var("hangup_cause", cause);
    ch.queue.clear();
}
