//! What a test asks the switch: the channels alive, what each ran, the commands each
//! connection sent. The history is bounded ([`Config::history_limit`]); the oldest is
//! forgotten first.
//!
//! [`Config::history_limit`]: crate::Config::history_limit

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use esl_proto::server::ClientCommand;
use esl_proto::Command;

use crate::ids::ConnectionId;
use crate::switch::Switch;

/// A command the switch received, as the client sent it.
///
/// ```
/// use esl_sim::{Config, Switch};
///
/// let mut switch = Switch::new(Config::default());
/// let conn = switch.open();
/// switch.receive(conn, b"auth ClueCon\n\napi status\n\n");
/// let received = switch.commands_on(conn);
/// assert_eq!(received[1].line(), "api status");
/// assert!(matches!(received[1].command(), esl_proto::Command::Api { .. }));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Received {
    /// The connection it came on.
    pub conn: ConnectionId,
    /// When, in switch time.
    pub at: Duration,
    /// The command: first line, headers, body.
    pub raw: ClientCommand,
}

impl Received {
    /// The command's first line (`api status`, `sendmsg <uuid>`).
    pub fn line(&self) -> &str {
        &self.raw.line
    }

    /// The command as the switch reads it.
    pub fn command(&self) -> Command {
        self.raw.parse()
    }
}

/// A live channel, as [`Switch::channel`] sees it now.
///
/// ```
/// use esl_sim::{Config, InboundCall, Switch};
///
/// let mut switch = Switch::new(Config::default());
/// let uuid = switch.inbound_call(&InboundCall::new("1000", "5000").var("tenant", "acme"));
/// let channel = switch.channel(&uuid).unwrap();
/// assert_eq!(channel.destination, "5000");
/// assert_eq!(channel.variable("tenant"), Some("acme"));
/// assert!(!channel.answered);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChannelInfo {
    /// `Unique-ID`.
    pub uuid: String,
    /// `Channel-Name`.
    pub name: String,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// `Channel-State` (`CS_EXECUTE`, ...).
    pub state: String,
    /// `Channel-Call-State` (`RINGING`, `ACTIVE`, ...).
    pub call_state: String,
    /// Whether it has been answered.
    pub answered: bool,
    /// `Caller-Caller-ID-Number`.
    pub caller: String,
    /// `Caller-Destination-Number`.
    pub destination: String,
    /// The channel it is bridged to.
    pub bridged_to: Option<String>,
    /// The application running now (the innermost), with its argument.
    pub application: Option<(String, String)>,
    /// Every channel variable, in the order they were set.
    pub variables: Vec<(String, String)>,
}

impl ChannelInfo {
    /// A channel variable.
    pub fn variable(&self, name: &str) -> Option<&str> {
        self.variables
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Most bytes of commands the history keeps, whatever their number: a command may be 10 MiB.
const HISTORY_BYTES: usize = 64 * 1024 * 1024;

fn size_of(raw: &ClientCommand) -> usize {
    raw.line.len()
        + raw.body.len()
        + raw
            .headers
            .iter()
            .map(|(n, v)| n.as_bytes().len() + v.raw().len())
            .sum::<usize>()
}

/// Commands and applications, remembered up to a limit.
#[derive(Debug)]
pub(crate) struct History {
    limit: usize,
    commands: VecDeque<Received>,
    command_bytes: usize,
    applications: BTreeMap<String, Vec<(String, String)>>,
    /// Channels in the order their history began, to forget the oldest first.
    channels: VecDeque<String>,
}

impl History {
    pub(crate) fn new(limit: usize) -> History {
        History {
            limit: limit.max(1),
            commands: VecDeque::new(),
            command_bytes: 0,
            applications: BTreeMap::new(),
            channels: VecDeque::new(),
        }
    }

    pub(crate) fn command(&mut self, received: Received) {
        self.command_bytes += size_of(&received.raw);
        self.commands.push_back(received);
        while self.commands.len() > self.limit
            || (self.command_bytes > HISTORY_BYTES && self.commands.len() > 1)
        {
            if let Some(old) = self.commands.pop_front() {
                self.command_bytes -= size_of(&old.raw);
            }
        }
    }

    pub(crate) fn application(&mut self, uuid: &str, app: &str, arg: &str) {
        if !self.applications.contains_key(uuid) {
            if self.channels.len() >= self.limit {
                if let Some(old) = self.channels.pop_front() {
                    self.applications.remove(&old);
                }
            }
            self.channels.push_back(uuid.to_owned());
        }
        let apps = self.applications.entry(uuid.to_owned()).or_default();
        if apps.len() < self.limit {
            apps.push((app.to_owned(), arg.to_owned()));
        }
    }
}

impl Switch {
    pub(crate) fn remember_command(&mut self, conn: ConnectionId, raw: &ClientCommand) {
        let received = Received {
            conn,
            at: self.now,
            raw: raw.clone(),
        };
        self.history.command(received);
    }

    /// The uuids of the channels alive (not hung up), in uuid order.
    pub fn channels(&self) -> Vec<String> {
        self.channels
            .values()
            .filter(|c| !c.hung_up)
            .map(|c| c.uuid.clone())
            .collect()
    }

    /// A live channel's state, caller, destination, bridge and variables.
    pub fn channel(&self, uuid: &str) -> Option<ChannelInfo> {
        let c = self.channels.get(uuid).filter(|c| !c.hung_up)?;
        Some(ChannelInfo {
            uuid: c.uuid.clone(),
            name: c.name.clone(),
            direction: c.profile.direction().to_owned(),
            state: c.state.to_owned(),
            call_state: c.call_state.to_owned(),
            answered: c.is_answered(),
            caller: c.profile.cid_num.clone(),
            destination: c.profile.dest.clone(),
            bridged_to: c.bridged.as_ref().map(|b| b.peer.clone()),
            application: c.running().map(|r| (r.app.clone(), r.arg.clone())),
            variables: c.vars.clone(),
        })
    }

    /// A channel variable, while the channel exists.
    pub fn channel_variable(&self, uuid: &str, name: &str) -> Option<String> {
        self.channels
            .get(uuid)
            .and_then(|c| c.var(name).map(str::to_owned))
    }

    /// Every application the channel `uuid` ran, with its argument, in order, kept after the
    /// channel is gone. A `uuid_transfer` shows as `("transfer", <extension>)` and a
    /// `uuid_bridge` as `("uuid_bridge", <other uuid>)`, though no application runs for them.
    pub fn applications(&self, uuid: &str) -> Vec<(String, String)> {
        self.history
            .applications
            .get(uuid)
            .cloned()
            .unwrap_or_default()
    }

    /// Every command received, oldest first.
    pub fn commands(&self) -> Vec<Received> {
        self.history.commands.iter().cloned().collect()
    }

    /// The commands received on `conn`, oldest first.
    pub fn commands_on(&self, conn: ConnectionId) -> Vec<Received> {
        self.history
            .commands
            .iter()
            .filter(|r| r.conn == conn)
            .cloned()
            .collect()
    }

    /// How many connections are open (inbound clients and outbound sockets).
    pub fn connections(&self) -> usize {
        self.conns.values().filter(|c| c.is_live()).count()
    }

    /// The open connections, oldest first.
    pub fn connection_ids(&self) -> Vec<ConnectionId> {
        self.conns
            .iter()
            .filter(|(_, c)| c.is_live())
            .map(|(id, _)| *id)
            .collect()
    }

    /// The outbound socket serving channel `uuid`, while it is open.
    pub fn outbound_connection(&self, uuid: &str) -> Option<ConnectionId> {
        self.conns
            .iter()
            .find(|(_, c)| c.is_live() && c.outbound.as_deref() == Some(uuid))
            .map(|(id, _)| *id)
    }

    /// How many timers wait (a playback, a linger, a far end ringing, the heartbeat).
    pub fn pending_timers(&self) -> usize {
        self.timers.len()
    }
}
