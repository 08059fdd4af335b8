//! Outbound sockets: the `socket` application asks the driver for a connection, answers the
//! `connect` command with the channel's data, and parks the channel for the socket to
//! control (`socket_function` in `mod_event_socket.c`).

use std::time::Duration;

use esl_proto::server;
use esl_proto::Event;

use crate::connection::{Conn, Phase};
use crate::ids::ConnectionId;
use crate::switch::{Output, Switch};
use crate::time::Timer;

/// FreeSWITCH parks once the listener thread has the connection; the race lets a client's
/// first commands (`myevents`, `linger`) in first, as in `outbound_socket`.
const PARK_AFTER_CONNECT: Duration = Duration::from_millis(50);

impl Switch {
    /// `socket <host>[:<port>] [async] [full]`.
    pub(crate) fn socket_app(&mut self, uuid: &str, arg: &str, app_uuid: String) {
        let mut words = arg.split_whitespace();
        let Some(target) = words.next() else {
            // `if (argc < 1) ... "Parse Error!"`: the application returns.
            self.log(
                3,
                ("mod_event_socket.c", "socket_function", 317),
                uuid,
                "Parse Error!",
            );
            return self.exec_done(uuid, &app_uuid, "_none_");
        };
        let (mut full, mut async_mode) = (false, false);
        for word in words {
            full |= word.eq_ignore_ascii_case("full");
            async_mode |= word.eq_ignore_ascii_case("async");
        }
        let host = target.rsplit_once(':').map_or(target, |(h, _)| h);
        if let Some(ch) = self.channels.get_mut(uuid) {
            ch.set_var("socket_host", host);
        }
        let id = ConnectionId(self.next_conn);
        self.next_conn += 1;
        let mut conn = Conn::new(Some(uuid.to_owned()));
        conn.full = full;
        conn.async_mode = async_mode;
        self.conns.insert(id, conn);
        self.outputs.push_back(Output::Connect {
            conn: id,
            channel: uuid.to_owned(),
            target: target.to_owned(),
        });
    }

    /// The driver connected an outbound socket.
    pub(crate) fn socket_connected(&mut self, id: ConnectionId) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        if conn.phase != Phase::Connecting {
            return;
        }
        conn.phase = Phase::Open;
        let uuid = conn.outbound.clone().unwrap_or_default();
        match self.channels.get_mut(&uuid) {
            Some(ch) if !ch.hung_up => ch.held_by.push(id),
            // The call ended while the socket connected: the listener finds no session.
            _ => self.finish(id, true),
        }
    }

    /// The driver could not connect: "Socket Error!", the application returns, and the
    /// extension goes on (with nothing left, the call is cleared).
    pub(crate) fn socket_connect_failed(&mut self, id: ConnectionId) {
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        if conn.phase != Phase::Connecting {
            return;
        }
        let uuid = conn.outbound.clone().unwrap_or_default();
        self.conns.remove(&id);
        self.socket_failed(&uuid);
    }

    /// The `socket` application on `uuid` ends without a connection.
    pub(crate) fn socket_failed(&mut self, uuid: &str) {
        let running = self
            .channels
            .get(uuid)
            .and_then(|c| c.apps.iter().rfind(|r| r.app == "socket").cloned());
        let Some(running) = running else {
            return;
        };
        self.log(
            3,
            ("mod_event_socket.c", "socket_function", 377),
            uuid,
            "Socket Error!",
        );
        self.exec_done(uuid, &running.uuid, "_none_");
    }

    /// `connect` on an outbound socket: the channel's data as the reply's headers, then the
    /// channel is parked for the socket.
    pub(crate) fn socket_connect(&mut self, id: ConnectionId, uuid: &str) {
        let Some(data) = self.channel_data_event(uuid) else {
            return self.finish(id, true);
        };
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        conn.connected = true;
        let reply = server::encode_connect_reply(&data, conn.async_mode, conn.full);
        self.send(id, reply);
        let due = self.now + PARK_AFTER_CONNECT;
        self.timers.at(
            due,
            Timer::ParkAfterConnect {
                uuid: uuid.to_owned(),
            },
        );
    }

    /// The socket application parks the channel (`switch_ivr_park`).
    pub(crate) fn park_after_connect(&mut self, uuid: &str) {
        let Some(ch) = self.channels.get_mut(uuid) else {
            return;
        };
        if ch.hung_up || !ch.apps.iter().any(|r| r.app == "socket") {
            return;
        }
        self.park(uuid);
    }

    /// The connect reply's channel data (`CHANNEL_DATA`).
    pub(crate) fn channel_data_event(&mut self, uuid: &str) -> Option<Event> {
        if !self.channels.contains_key(uuid) {
            return None;
        }
        let base = self.base(
            "CHANNEL_DATA",
            ("mod_event_socket.c", "parse_command", 2007),
        );
        let ch = self.channels.get(uuid)?;
        let b = Self::channel_data(base, ch);
        Some(Self::with_vars("CHANNEL_DATA", b, ch).build())
    }
}
