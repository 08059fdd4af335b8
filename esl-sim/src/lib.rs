//! A simulated FreeSWITCH, for testing Event Socket (ESL) clients and the call logic built on
//! them without a real switch.
//!
//! It answers as FreeSWITCH 1.11 answers over `mod_event_socket`: `auth`, `api` and `bgapi`
//! (with `BACKGROUND_JOB`), events in plain, JSON and XML with filters, `myevents`,
//! `linger`, log lines, `sendmsg`, and channels with a life whose events follow recorded
//! traffic: loopback originates, calls arriving from the network with any caller,
//! destination and variables, calls dialled out that answer, ring out (`NO_ANSWER`) or are
//! refused (`USER_BUSY`, `CALL_REJECTED`, ...), `bridge` and `uuid_bridge`, conferences,
//! outbound sockets, and faults on demand. The workspace's fidelity test plays every
//! recorded capture against it.
//!
//! ```
//! use esl_sim::{Config, Outcome, VirtualSwitch};
//!
//! let switch = VirtualSwitch::new(Config::default());
//! switch.with(|s| s.set_outcome("5551234", Outcome::busy()));
//! let conn = switch.connect();
//! switch.write(conn, b"auth ClueCon\n\napi originate sofia/gateway/gw/5551234 &park\n\n").unwrap();
//! let wire = String::from_utf8(switch.read(conn).unwrap().to_vec()).unwrap();
//! assert!(wire.ends_with("-ERR USER_BUSY\n"));
//! ```
//!
//! # Three ways to drive it
//!
//! - [`SimSwitch`]: over TCP on `127.0.0.1`, on real time, for clients that open sockets
//!   (examples, tests of a TCP path). Its own threads run it; [`SimSwitch::with`] reaches
//!   the switch inside.
//! - [`VirtualSwitch`]: in memory and on virtual time. A transport opens a connection,
//!   writes the client's bytes, reads the switch's, and accepts the outbound sockets the
//!   `socket` application opens; a test moves time with [`VirtualSwitch::advance`], so a
//!   60-second originate timeout or a linger takes no wall time. It owns no thread and
//!   reads no clock; `poll_read`, `poll_write` and `poll_accept` serve async transports.
//! - [`Switch`]: the switch itself, sans-IO. A driver repeats:
//!   1. **Time.** [`Switch::handle_timeout`] with the time now (a [`Duration`] since the
//!      switch started); every other input happens at the last time handed in.
//!   2. **Connections.** [`Switch::open`] when a client connects, [`Switch::receive`] with
//!      its bytes (any split) while [`Switch::is_reading`], [`Switch::close`] when it goes.
//!   3. **Outputs.** [`Switch::poll_output`] until `None`: connect an outbound socket
//!      ([`Output::Connect`], then [`Switch::connected`] or [`Switch::connect_failed`]), or
//!      close a connection once its bytes are written ([`Output::Close`]).
//!   4. **Transmit.** Write what [`Switch::poll_transmit`] returns for each connection.
//!   5. **Wait** until [`Switch::poll_timeout`], new bytes, or a test's own input.
//!
//! Test code sets the switch up and looks at it through the same [`Switch`] methods:
//! [`Switch::inbound_call`], [`Switch::set_outcome`], [`Switch::set_fault`],
//! [`Switch::hang_up`]; [`Switch::channels`], [`Switch::channel`],
//! [`Switch::applications`], [`Switch::commands`]. [`testing`] builds events from capture
//! text and asserts on what a call ran.
//!
//! # Deterministic
//!
//! A [`Config::seed`] fixes every uuid the switch makes, state lives in ordered maps, and
//! everything scheduled waits in one queue keyed by time: the same seed and the same inputs
//! give byte-identical output, run after run. On virtual time that makes a whole test
//! reproducible; the TCP driver is as deterministic as the threads of its clients allow.
//!
//! # What it does not do
//!
//! - No media and no SIP: a playback lasts as long as its tone cadence says (a file, a
//!   tenth of a second), calls "from the network" are made by the test, and a far end does
//!   what its [`Outcome`] says.
//! - A small dialplan, the one the captures were recorded with (`park`, `9196`, `tone`,
//!   `conf`, `socket`), plus [`Route`]s for network calls; no XML dialplan, no
//!   configuration files, no ACLs, no `userauth` accounts beyond the password.
//! - The `api` commands call control uses (`originate`, `uuid_*`, `hupall`, `show
//!   channels`, `status`, `global_getvar`/`setvar`, ...); any other is
//!   `-ERR <command> Command not found!`.
//! - Of `conference`, the moderator's subcommands (`list`, `json_list`, `mute`, `unmute`,
//!   `deaf`, `undeaf`, `kick`, `hup`, `lock`, `unlock`, `play`, `stop`, `record`,
//!   `norecord`, `recording`, `floor`, `volume_in`, `volume_out`, `energy`) and
//!   `conference list|count|json_list`; the others answer
//!   `-ERR Conference command '<name>' not found.`. No audio: nobody talks, so the floor
//!   moves only when its holder leaves or gives it up. Sounds behave as on the recording
//!   switch, which had none installed: files under the sound prefix and `local_stream://`
//!   do not open; `tone_stream://` plays for its cadence, `silence_stream://<ms>` for its
//!   length, any other path for a tenth of a second.
//! - A bridge's legs keep their states (no `CS_EXCHANGE_MEDIA` dance), and `uuid_bridge`
//!   answers both legs rather than waiting for them.
//!
//! [`Duration`]: std::time::Duration

#![forbid(unsafe_code)]

mod api;
mod apps;
mod bridge;
mod channel;
mod cjson;
mod commands;
mod conference;
mod config;
mod connection;
mod core_db;
mod dialplan;
mod events;
mod hangup;
mod ids;
mod inspect;
mod memory;
mod network;
mod originate;
mod outbound;
mod stream;
mod switch;
mod tcp;
pub mod testing;
mod time;

pub use config::{Config, Fault};
pub use ids::ConnectionId;
pub use inspect::{ChannelInfo, Received};
pub use memory::{Accepted, VirtualSwitch, Watcher, WRITE_WINDOW};
pub use network::{InboundCall, Outcome, Route};
pub use stream::Stream;
pub use switch::{Output, Switch};
pub use tcp::SimSwitch;

/// The README's example, run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
