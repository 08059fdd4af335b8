//! The simulated dialplan: the extensions the captures were recorded with, calls arriving
//! from the network, and transfers between extensions.

use std::collections::VecDeque;

use crate::apps::TONE;
use crate::channel::Profile;
use crate::hangup::HangupOrder;
use crate::network::{InboundCall, Route};
use crate::switch::Switch;

/// Where the `socket` extension connects when no target is set: the recording dialplan's
/// `socket 127.0.0.1:8084 async full`.
const DEFAULT_SOCKET_TARGET: &str = "127.0.0.1:8084";

impl Switch {
    /// The `socket` application's argument in the `socket` extension.
    pub(crate) fn socket_extension_arg(&self) -> String {
        let target = self
            .socket_target
            .map_or_else(|| DEFAULT_SOCKET_TARGET.to_owned(), |t| t.to_string());
        format!("{target} async full")
    }

    /// The applications of extension `ext`, `None` if the dialplan has no such extension.
    pub(crate) fn extension_apps(&self, ext: &str) -> Option<VecDeque<(String, String)>> {
        let apps: Vec<(&str, String)> = match ext {
            "park" => vec![("answer", String::new()), ("park", String::new())],
            "9196" => vec![("answer", String::new()), ("echo", String::new())],
            "tone" => vec![
                ("answer", String::new()),
                ("playback", TONE.to_owned()),
                ("hangup", String::new()),
            ],
            "conf" => vec![
                ("answer", String::new()),
                ("conference", "conf217@default".to_owned()),
            ],
            "socket" => vec![("socket", self.socket_extension_arg())],
            _ => return None,
        };
        Some(
            apps.into_iter()
                .map(|(app, arg)| (app.to_owned(), arg))
                .collect(),
        )
    }

    /// A call arriving from the network: the channel, `CHANNEL_CREATE`, the state changes of
    /// routing, then the extension it is routed to. Returns its uuid.
    pub(crate) fn incoming(&mut self, call: &InboundCall) -> String {
        let uuid = self.uuids.next();
        let domain = "sim.invalid";
        let (from, to) = (call.from.as_str(), call.to.as_str());
        let name = format!("sofia/internal/{from}@{domain}");
        let cid_name = call.caller_name.clone().unwrap_or_else(|| from.to_owned());
        let profile = Profile {
            outbound: false,
            cid_name: cid_name.clone(),
            cid_num: from.to_owned(),
            dest: to.to_owned(),
            uuid: uuid.clone(),
            source: "mod_sofia",
            chan_name: name.clone(),
            created: self.now_micros(),
            ..Profile::default()
        };
        let own = [
            ("sip_from_user", from.to_owned()),
            ("sip_to_user", to.to_owned()),
            ("sip_req_user", to.to_owned()),
            ("sip_req_uri", format!("{to}@{domain}")),
            ("sip_req_host", domain.to_owned()),
            ("caller_id_name", cid_name),
            ("caller_id_number", from.to_owned()),
            ("destination_number", to.to_owned()),
        ];
        let own = own.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        self.add_channel(&uuid, &name, profile, own, &call.vars);
        self.set_state(&uuid, "CS_INIT");
        self.channel_event(
            &uuid,
            "CHANNEL_CREATE",
            (
                "switch_core_state_machine.c",
                "switch_core_session_run",
                620,
            ),
            &[],
        );
        self.set_callstate(&uuid, "RINGING");
        self.set_state(&uuid, "CS_ROUTING");
        self.log(
            6,
            ("mod_dialplan_xml.c", "dialplan_hunt", 648),
            &uuid,
            &format!(
                "Processing {} <{from}>->{to} in context default",
                call.caller_name.as_deref().unwrap_or(from)
            ),
        );
        let extension = match &call.route {
            Route::Park => Some(VecDeque::from([("park".to_owned(), String::new())])),
            Route::Socket => Some(VecDeque::from([(
                "socket".to_owned(),
                self.socket_extension_arg(),
            )])),
            Route::Extension(ext) => self.extension_apps(ext),
        };
        match extension {
            Some(apps) => {
                if let Some(ch) = self.channels.get_mut(&uuid) {
                    ch.extension = Some(apps);
                }
                self.set_state(&uuid, "CS_EXECUTE");
                self.run_queue(&uuid);
            }
            // "No Route, Aborting": switch_core_state_machine.c hangs up the call.
            None => self.hangup(&uuid, "NO_ROUTE_DESTINATION", HangupOrder::Killed),
        }
        uuid
    }

    /// `switch_ivr_session_transfer`: what the channel runs ends, and it is routed again to
    /// `dest`; a destination the dialplan does not know is `NO_ROUTE_DESTINATION`.
    pub(crate) fn transfer(&mut self, uuid: &str, dest: &str) {
        if self.channels.get(uuid).is_none_or(|c| c.hung_up) {
            return;
        }
        self.end_apps(uuid, None);
        let apps = self.extension_apps(dest);
        let Some(ch) = self.channels.get_mut(uuid) else {
            return;
        };
        ch.profile.dest = dest.to_owned();
        ch.set_var("destination_number", dest);
        ch.queue.clear();
        self.set_state(uuid, "CS_ROUTING");
        match apps {
            Some(apps) => {
                if let Some(ch) = self.channels.get_mut(uuid) {
                    ch.extension = Some(apps);
                }
                self.set_state(uuid, "CS_EXECUTE");
                self.run_queue(uuid);
            }
            None => self.hangup(uuid, "NO_ROUTE_DESTINATION", HangupOrder::Killed),
        }
    }
}
