//! Originating calls: the loopback pair of the captures, legs to the simulated network that
//! ring and then answer, refuse or time out, and the `error/<cause>` endpoint. Whoever waits
//! for the result (an `api` call, a `bgapi` job, a `bridge`) hears of it when the far end
//! decides, as `switch_ivr_originate` returns then.

use std::collections::VecDeque;
use std::time::Duration;

use crate::channel::Profile;
use crate::hangup::HangupOrder;
use crate::ids::ConnectionId;
use crate::network::{self, Outcome};
use crate::switch::Switch;
use crate::time::{Timer, TimerKey};

/// Who waits for an originate to end.
#[derive(Debug, Clone)]
pub(crate) enum Waiter {
    /// `api originate ...` on a connection, which waits for the reply.
    Api { conn: ConnectionId, args: String },
    /// `bgapi originate ...`: the `BACKGROUND_JOB` carries the result.
    Job { job: String, args: String },
    /// The `bridge` application on `caller`.
    Bridge { caller: String, app_uuid: String },
}

/// A far end being dialled.
#[derive(Debug)]
pub(crate) struct Dialing {
    waiter: Waiter,
    /// What the new leg runs once answered (`&app(arg)` or an extension), for an originate.
    target: String,
    timers: Vec<TimerKey>,
    outcome: Outcome,
}

/// `originate` with no usable call url or target.
pub(crate) fn originate_usage() -> String {
    "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n".into()
}

/// `{a=1,b=2}rest` to the variables and the rest.
pub(crate) fn parse_vars(args: &str) -> (Vec<(String, String)>, &str) {
    let args = args.trim();
    let Some(inner) = args.strip_prefix('{') else {
        return (Vec::new(), args);
    };
    let Some(end) = inner.find('}') else {
        return (Vec::new(), args);
    };
    let vars = inner[..end]
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
        .collect();
    (vars, &inner[end + 1..])
}

/// `&app(arg)` or `&app` to the application and its argument.
fn parse_app(target: &str) -> Option<(String, String)> {
    let spec = target.strip_prefix('&').filter(|s| !s.is_empty())?;
    Some(match spec.split_once('(') {
        Some((app, rest)) => (app.to_owned(), rest.trim_end_matches(')').to_owned()),
        None => (spec.to_owned(), String::new()),
    })
}

fn var<'a>(vars: &'a [(String, String)], name: &str) -> Option<&'a str> {
    vars.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

impl Switch {
    /// `originate [{vars}]<call url> <&app(arg)|exten> [dialplan] [context] [cid_name]
    /// [cid_num] [timeout_sec]`.
    pub(crate) fn originate(&mut self, args: &str, waiter: Waiter) {
        let (vars, rest) = parse_vars(args);
        let words: Vec<&str> = rest.split_whitespace().collect();
        // mod_commands: `if (argc < 2 || argc > 7)` is a usage error.
        if words.len() < 2 || words.len() > 7 {
            return self.originate_result(waiter, Err(originate_usage()));
        }
        let (url, target) = (words[0], words[1]);
        if let Some(ext) = url.strip_prefix("loopback/") {
            let ext = ext.split('/').next().unwrap_or(ext);
            return self.originate_loopback(ext, target, &vars, waiter);
        }
        if let Some(cause) = url.strip_prefix("error/") {
            // mod_dptools' error endpoint: `switch_channel_str2cause` of the destination, and
            // DESTINATION_OUT_OF_ORDER when that is no cause. No channel is created.
            let cause = network::cause_named(cause).unwrap_or("DESTINATION_OUT_OF_ORDER");
            return self.originate_result(waiter, Err(format!("-ERR {cause}\n")));
        }
        let timeout = words
            .get(6)
            .and_then(|t| t.parse::<u64>().ok())
            .or_else(|| var(&vars, "originate_timeout").and_then(|t| t.parse().ok()))
            .unwrap_or(60);
        self.dial(url, &vars, None, waiter, target.to_owned(), timeout);
    }

    /// Hands the end of an originate to whoever waits for it: `+OK <uuid>` or
    /// `-ERR <cause>` (`stream->write_function(stream, "-ERR %s\n", cause2str(cause))`).
    fn originate_result(&mut self, waiter: Waiter, result: Result<String, String>) {
        let text = match &result {
            Ok(uuid) => format!("+OK {uuid}\n"),
            Err(text) => text.clone(),
        };
        match waiter {
            Waiter::Api { conn, args } => self.api_done(conn, "originate", &args, &text),
            Waiter::Job { job, args } => self.job_done(&job, "originate", &args, &text),
            Waiter::Bridge { caller, app_uuid } => match result {
                Ok(leg) => self.bridge_answered(&caller, &leg, &app_uuid),
                Err(text) => {
                    let cause = text.trim().trim_start_matches("-ERR ").to_owned();
                    self.bridge_failed(&caller, &app_uuid, &cause);
                }
            },
        }
    }

    /// The two loopback legs, as recorded (`inbound_events_plain`): the result is handed
    /// out where FreeSWITCH's originate returns, then the A leg runs its target.
    fn originate_loopback(
        &mut self,
        ext: &str,
        target: &str,
        vars: &[(String, String)],
        waiter: Waiter,
    ) {
        let Some(b_extension) = self.extension_apps(ext) else {
            return self.originate_result(waiter, Err("-ERR NO_ROUTE_DESTINATION\n".into()));
        };
        let a = var(vars, "origination_uuid")
            .map(str::to_owned)
            .unwrap_or_else(|| self.uuids.next());
        let b = self.uuids.next();
        let cid_name = var(vars, "origination_caller_id_name").unwrap_or_default();
        let cid_num = var(vars, "origination_caller_id_number").unwrap_or("0000000000");
        let now = self.now_micros();
        for (uuid, outbound, other) in [(&a, true, &b), (&b, false, &a)] {
            let name = format!("loopback/{ext}-{}", if outbound { "a" } else { "b" });
            let profile = Profile {
                outbound,
                cid_name: if outbound { "" } else { cid_name }.to_owned(),
                cid_num: cid_num.to_owned(),
                callee_name: if outbound { "" } else { "Outbound Call" }.to_owned(),
                callee_num: if outbound { "" } else { ext }.to_owned(),
                dest: ext.to_owned(),
                uuid: uuid.clone(),
                source: "mod_loopback",
                chan_name: name.clone(),
                created: now,
                ..Profile::default()
            };
            let mut own = vec![
                ("read_codec", "L16"),
                ("read_rate", "8000"),
                ("write_codec", "L16"),
                ("write_rate", "8000"),
                ("other_loopback_leg_uuid", other.as_str()),
                ("loopback_leg", if outbound { "A" } else { "B" }),
            ];
            if outbound {
                own.extend([
                    ("is_outbound", "true"),
                    ("originate_early_media", "true"),
                    ("originate_endpoint", "loopback"),
                ]);
            }
            let own = own
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            self.add_channel(uuid, &name, profile, own, vars);
            if let Some(ch) = self.channels.get_mut(uuid.as_str()) {
                ch.state = "CS_NONE";
                ch.other = Some(other.clone());
            }
        }
        self.codec_events(&a);
        self.outgoing_event(&a);
        self.set_state(&a, "CS_INIT");
        self.codec_events(&b);
        self.created_events(&a, true);
        self.set_state(&a, "CS_ROUTING");
        self.set_state(&a, "CS_CONSUME_MEDIA");
        self.set_state(&b, "CS_INIT");
        self.created_events(&b, false);
        self.set_callstate(&b, "RINGING");
        self.set_state(&b, "CS_ROUTING");
        self.log(
            6,
            ("mod_dialplan_xml.c", "dialplan_hunt", 648),
            &b,
            &format!("Processing {cid_name} <{cid_num}>->{ext} in context default"),
        );
        self.set_state(&b, "CS_EXECUTE");
        // The B leg's extension, up to where the originate returns.
        if let Some(ch) = self.channels.get_mut(&b) {
            ch.extension = Some(b_extension);
        }
        self.run_queue(&b);
        if let Some(ch) = self.channels.get_mut(&a) {
            ch.profile.cid_name = "Outbound Call".into();
            ch.profile.cid_num = ext.to_owned();
            ch.set_var("pre_transfer_caller_id_number", "0000000000");
            ch.set_var("channel_cid_flipped", "yes");
        }
        self.channel_event(
            &a,
            "CALL_UPDATE",
            ("switch_channel.c", "switch_channel_flip_cid", 3296),
            &[("Direction", "SEND".into())],
        );
        self.originate_result(waiter, Ok(a.clone()));
        self.run_target(&a, target);
    }

    /// After the originate returned, the new leg runs `&app(arg)` or is sent to an
    /// extension (`switch_ivr_session_transfer`).
    fn run_target(&mut self, uuid: &str, target: &str) {
        if self.channels.get(uuid).is_none_or(|c| c.hung_up) {
            return;
        }
        match parse_app(target) {
            Some(app) => {
                if let Some(ch) = self.channels.get_mut(uuid) {
                    ch.extension = Some(VecDeque::from([app]));
                }
                self.set_state(uuid, "CS_EXECUTE");
                self.run_queue(uuid);
            }
            None => self.transfer(uuid, target),
        }
    }

    /// `CHANNEL_OUTGOING`, fired as an originate creates the outgoing channel.
    fn outgoing_event(&mut self, uuid: &str) {
        self.channel_event(
            uuid,
            "CHANNEL_OUTGOING",
            (
                "switch_core_session.c",
                "switch_core_session_outgoing_channel",
                737,
            ),
            &[],
        );
    }

    /// The read and write codec being set (loopback legs have media from the start).
    fn codec_events(&mut self, uuid: &str) {
        for (function, line) in [
            ("switch_core_session_set_read_codec", 1096),
            ("switch_core_session_set_write_codec", 1320),
        ] {
            let extra: Vec<(&str, String)> = vec![
                ("channel-read-codec-name", "L16".into()),
                ("channel-read-codec-rate", "8000".into()),
                ("channel-read-codec-bit-rate", "128000".into()),
            ];
            self.channel_event(
                uuid,
                "CODEC",
                ("switch_core_codec.c", function, line),
                &extra,
            );
        }
    }

    /// `CHANNEL_CREATE`, and `CHANNEL_ORIGINATE` for a leg an originate made.
    fn created_events(&mut self, uuid: &str, originated: bool) {
        let origin = (
            "switch_core_state_machine.c",
            "switch_core_session_run",
            620,
        );
        self.channel_event(uuid, "CHANNEL_CREATE", origin, &[]);
        if originated {
            self.channel_event(uuid, "CHANNEL_ORIGINATE", origin, &[]);
        }
    }

    /// Dials `dial` on the simulated network: an outbound leg that rings, then does what its
    /// [`Outcome`] says. `caller` is the channel a `bridge` dials for.
    pub(crate) fn dial(
        &mut self,
        dial: &str,
        vars: &[(String, String)],
        caller: Option<&str>,
        waiter: Waiter,
        target: String,
        timeout_secs: u64,
    ) {
        let uuid = var(vars, "origination_uuid")
            .map(str::to_owned)
            .unwrap_or_else(|| self.uuids.next());
        let dest = network::destination_of(dial).to_owned();
        let name = dial.split(';').next().unwrap_or(dial).to_owned();
        let from = caller
            .and_then(|c| self.channels.get(c))
            .map(|c| c.profile.clone());
        let cid_name = var(vars, "origination_caller_id_name")
            .map(str::to_owned)
            .or_else(|| from.as_ref().map(|p| p.cid_name.clone()))
            .unwrap_or_default();
        let cid_num = var(vars, "origination_caller_id_number")
            .map(str::to_owned)
            .or_else(|| from.as_ref().map(|p| p.cid_num.clone()))
            .unwrap_or_else(|| "0000000000".into());
        let profile = Profile {
            outbound: true,
            cid_name,
            cid_num,
            callee_name: "Outbound Call".into(),
            callee_num: dest.clone(),
            dest: dest.clone(),
            uuid: uuid.clone(),
            source: "mod_sofia",
            chan_name: name.clone(),
            created: self.now_micros(),
            ..Profile::default()
        };
        let mut own = vec![
            ("dialed_string".to_owned(), dial.to_owned()),
            ("is_outbound".to_owned(), "true".to_owned()),
        ];
        if let Some(caller) = caller {
            // switch_core_session_outgoing_channel: the new leg knows its originator.
            own.push(("originator".to_owned(), caller.to_owned()));
            own.push(("call_uuid".to_owned(), caller.to_owned()));
        }
        self.add_channel(&uuid, &name, profile, own, vars);
        if let (Some(p), Some(ch)) = (from, self.channels.get_mut(&uuid)) {
            ch.other_leg = Some(("originator", p));
        }
        self.outgoing_event(&uuid);
        self.set_state(&uuid, "CS_INIT");
        self.created_events(&uuid, true);
        self.set_state(&uuid, "CS_ROUTING");
        self.set_state(&uuid, "CS_CONSUME_MEDIA");
        let outcome = self
            .outcomes
            .get(dial)
            .or_else(|| self.outcomes.get(&dest))
            .cloned()
            .unwrap_or_else(|| self.default_outcome.clone());
        let mut timers = Vec::new();
        let timeout = self.config.scaled(Duration::from_secs(timeout_secs));
        timers.push(self.timers.at(
            self.now + timeout,
            Timer::OriginateTimeout { uuid: uuid.clone() },
        ));
        let decides_after = match &outcome {
            Outcome::Answer { after } | Outcome::Reject { after, .. } => Some(*after),
            Outcome::NoAnswer => None,
        };
        self.dialing.insert(
            uuid.clone(),
            Dialing {
                waiter,
                target,
                timers,
                outcome,
            },
        );
        self.mark_ring_ready(&uuid);
        match decides_after {
            Some(after) if after.is_zero() => self.far_end(&uuid),
            Some(after) => {
                let key = self.timers.at(
                    self.now + self.config.scaled(after),
                    Timer::FarEnd { uuid: uuid.clone() },
                );
                if let Some(d) = self.dialing.get_mut(&uuid) {
                    d.timers.push(key);
                }
            }
            None => {}
        }
    }

    /// Whether connection `id` waits for an `api originate` result.
    pub(crate) fn api_pending(&self, id: ConnectionId) -> bool {
        self.dialing
            .values()
            .any(|d| matches!(d.waiter, Waiter::Api { conn, .. } if conn == id))
    }

    /// Changes what the far end dialled on `uuid` will do; false if it is not ringing.
    pub(crate) fn set_dialing_outcome(&mut self, uuid: &str, outcome: Outcome) -> bool {
        match self.dialing.get_mut(uuid) {
            Some(d) => {
                d.outcome = outcome;
                true
            }
            None => false,
        }
    }

    /// A far end decides: answers, or refuses with its cause.
    pub(crate) fn far_end(&mut self, uuid: &str) {
        let Some(outcome) = self.dialing.get(uuid).map(|d| d.outcome.clone()) else {
            return;
        };
        match outcome {
            Outcome::Answer { .. } => {
                self.mark_answered(uuid);
                let Some(dialing) = self.dialing.remove(uuid) else {
                    return;
                };
                for key in dialing.timers {
                    self.timers.cancel(key);
                }
                match dialing.waiter {
                    waiter @ Waiter::Bridge { .. } => {
                        self.originate_result(waiter, Ok(uuid.to_owned()))
                    }
                    waiter => {
                        self.originate_result(waiter, Ok(uuid.to_owned()));
                        self.run_target(uuid, &dialing.target);
                    }
                }
            }
            Outcome::Reject { cause, .. } => self.hangup(uuid, &cause, HangupOrder::Killed),
            Outcome::NoAnswer => {}
        }
    }

    /// The originate waited its time out: the leg is hung up with `NO_ANSWER`
    /// (`if (oglobals.idx == IDX_TIMEOUT || to) reason = SWITCH_CAUSE_NO_ANSWER`).
    pub(crate) fn originate_timeout(&mut self, uuid: &str) {
        if self.dialing.contains_key(uuid) {
            self.hangup(uuid, "NO_ANSWER", HangupOrder::Killed);
        }
    }

    /// A channel hung up: if it was being dialled, whoever waited hears the cause; if it was
    /// a `bridge` caller still dialling, the far end is cancelled (`ORIGINATOR_CANCEL`).
    pub(crate) fn dial_ended(&mut self, uuid: &str, cause: &str) {
        if let Some(dialing) = self.dialing.remove(uuid) {
            for key in dialing.timers {
                self.timers.cancel(key);
            }
            self.originate_result(dialing.waiter, Err(format!("-ERR {cause}\n")));
        }
        let cancelled: Vec<String> = self
            .dialing
            .iter()
            .filter(|(_, d)| matches!(&d.waiter, Waiter::Bridge { caller, .. } if caller == uuid))
            .map(|(leg, _)| leg.clone())
            .collect();
        for leg in cancelled {
            self.hangup(&leg, "ORIGINATOR_CANCEL", HangupOrder::Killed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn originate_arguments() {
        let (vars, rest) = parse_vars("{origination_caller_id_name=Big,x=y z}loopback/park &park");
        assert_eq!(
            vars,
            [
                ("origination_caller_id_name".into(), "Big".into()),
                ("x".into(), "y z".into())
            ]
        );
        assert_eq!(rest, "loopback/park &park");
        assert_eq!(parse_app("&park"), Some(("park".into(), String::new())));
        assert_eq!(
            parse_app("&playback(a.wav)"),
            Some(("playback".into(), "a.wav".into()))
        );
        assert_eq!(parse_app("9196"), None);
        assert_eq!(parse_app("&"), None);
    }
}
