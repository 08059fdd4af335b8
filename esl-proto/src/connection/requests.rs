//! The strict FIFO that pairs each reply with its request.
//!
//! `mod_event_socket` reads one command at a time and writes its reply before it reads the
//! next, so the n-th `command/reply` or `api/response` answers the n-th command sent. Commands
//! made before the handshake completes are held and sent, in order, once it does.

use std::collections::VecDeque;

use bytes::Bytes;

use super::output::RequestId;
use crate::command::{CallCommand, Command};

/// What a request is, which decides what its reply means.
#[derive(Debug, Clone)]
pub(super) enum Kind {
    /// A command answered by its reply alone.
    Reply,
    /// An `api` command: answered by an `api/response` once authenticated.
    Api,
    /// A subscription command (`event`, `nixevent`, `filter`, ...): its `+OK` changes what the
    /// connection is subscribed to.
    Subscription(Command),
    Exit,
    ManualAuth,
    Job {
        job_uuid: Option<String>,
    },
    Execute {
        channel: Option<String>,
        app: String,
        event_uuid: Option<String>,
        wait: bool,
    },
    InternalAuth,
    InternalConnect,
    /// One of the application's subscriptions, replayed on a new connection: it counts as
    /// the application's again once the switch accepts it.
    Replay(Command),
    /// A command the connection sent for itself (a subscription an open request needs, or
    /// its withdrawal), kept so that its `+OK` can be recorded.
    Internal(Option<Command>),
}

impl Kind {
    /// Sorts a command the application sends.
    pub(super) fn of(command: &Command, session: Option<&str>, manual_auth: bool) -> Kind {
        match command {
            Command::Bgapi { job_uuid, .. } => Kind::Job {
                job_uuid: job_uuid.clone(),
            },
            Command::SendMsg(msg) => match &msg.command {
                CallCommand::Execute(exec) => Kind::Execute {
                    channel: msg.uuid.clone().or_else(|| session.map(str::to_owned)),
                    app: exec.app.clone(),
                    event_uuid: exec.event_uuid.clone(),
                    wait: exec.wait,
                },
                _ => Kind::Reply,
            },
            Command::Exit => Kind::Exit,
            Command::Api { .. } => Kind::Api,
            Command::Auth { .. } | Command::UserAuth { .. } if manual_auth => Kind::ManualAuth,
            command if is_subscription(command) => Kind::Subscription(command.clone()),
            _ => Kind::Reply,
        }
    }

    /// True for requests the application made (their ids were handed out).
    pub(super) fn is_user(&self) -> bool {
        !matches!(
            self,
            Kind::InternalAuth | Kind::InternalConnect | Kind::Replay(_) | Kind::Internal(_)
        )
    }

    /// True for a request whose result is an event that comes after its reply.
    pub(super) fn completes_later(&self) -> bool {
        matches!(self, Kind::Job { .. } | Kind::Execute { wait: true, .. })
    }
}

/// True for the commands that change what the switch sends this connection.
pub(super) fn is_subscription(command: &Command) -> bool {
    matches!(
        command,
        Command::Event { .. }
            | Command::NixEvent { .. }
            | Command::NoEvents
            | Command::Filter { .. }
            | Command::FilterDelete { .. }
            | Command::MyEvents { .. }
            | Command::Log { .. }
            | Command::NoLog
            | Command::DivertEvents { .. }
    )
}

/// One request waiting for its reply.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) id: RequestId,
    pub(super) kind: Kind,
    /// The caller gave up: the reply is consumed when it comes.
    pub(super) cancelled: bool,
    /// The completion event came before the reply: the reply is then consumed.
    pub(super) done: bool,
}

impl Pending {
    pub(super) fn new(id: RequestId, kind: Kind) -> Pending {
        Pending {
            id,
            kind,
            cancelled: false,
            done: false,
        }
    }

    /// True while a reply for it would still be handed to the application.
    fn is_open(&self) -> bool {
        self.kind.is_user() && !self.cancelled && !self.done
    }
}

/// A command made before the handshake, with its encoding.
#[derive(Debug)]
pub(super) struct Held {
    pub(super) pending: Pending,
    pub(super) bytes: Bytes,
    pub(super) command: Command,
}

/// The requests that wait for their reply, sent or held.
#[derive(Debug, Default)]
pub(super) struct Requests {
    held: VecDeque<Held>,
    sent: VecDeque<Pending>,
}

impl Requests {
    /// Requests waiting for their reply, held ones included.
    pub(super) fn len(&self) -> usize {
        self.sent.len() + self.held.len()
    }

    pub(super) fn hold(&mut self, held: Held) {
        self.held.push_back(held);
    }

    /// The held requests, oldest first, to send now.
    pub(super) fn release(&mut self) -> impl Iterator<Item = Held> + '_ {
        self.held.drain(..)
    }

    /// Gives back the queues' memory when they are empty (the connection is going idle).
    pub(super) fn shrink(&mut self) {
        if self.held.is_empty() {
            self.held = VecDeque::new();
        }
        if self.sent.is_empty() {
            self.sent = VecDeque::new();
        }
    }

    pub(super) fn sent(&mut self, pending: Pending) {
        self.sent.push_back(pending);
    }

    /// The request the next reply answers.
    pub(super) fn answer_next(&mut self) -> Option<Pending> {
        self.sent.pop_front()
    }

    /// Puts back the request a reply was found not to answer, so that it fails with the
    /// others.
    pub(super) fn unanswer(&mut self, pending: Pending) {
        self.sent.push_front(pending);
    }

    /// Gives up on `id`: a held request is dropped (never sent), a sent one has its reply
    /// consumed. False if `id` is not waiting for its reply.
    pub(super) fn cancel(&mut self, id: RequestId) -> bool {
        if let Some(index) = self.held.iter().position(|h| h.pending.id == id) {
            self.held.remove(index);
            return true;
        }
        match self.sent.iter_mut().find(|p| p.id == id && p.is_open()) {
            Some(entry) => {
                entry.cancelled = true;
                true
            }
            None => false,
        }
    }

    /// The completion of `id` came before its reply: the reply, when it comes, is consumed.
    pub(super) fn mark_done(&mut self, id: RequestId) {
        if let Some(entry) = self.sent.iter_mut().find(|p| p.id == id) {
            entry.done = true;
        }
    }

    /// True if a `bgapi` waits for its reply.
    pub(super) fn has_open_job(&self) -> bool {
        self.sent
            .iter()
            .any(|p| matches!(p.kind, Kind::Job { .. }) && !p.cancelled)
    }

    /// The channel of a waiting `execute` that waits for its reply, if any.
    pub(super) fn open_execute_channel(&self) -> Option<Option<String>> {
        self.sent.iter().find_map(|p| match &p.kind {
            Kind::Execute {
                channel,
                wait: true,
                ..
            } if !p.cancelled => Some(channel.clone()),
            _ => None,
        })
    }

    /// True if a waiting `execute` without `Event-UUID` waits for its reply.
    pub(super) fn has_open_adoption(&self) -> bool {
        self.sent.iter().any(|p| {
            matches!(
                p.kind,
                Kind::Execute {
                    event_uuid: None,
                    wait: true,
                    ..
                }
            ) && !p.cancelled
        })
    }

    /// True if a replayed subscription waits for its reply.
    pub(super) fn has_unanswered_replay(&self) -> bool {
        self.sent.iter().any(|p| matches!(p.kind, Kind::Replay(_)))
    }

    /// The subscription commands sent and not yet answered, oldest first.
    pub(super) fn unanswered_subscriptions(&self) -> impl Iterator<Item = &Command> {
        self.sent.iter().filter_map(|p| match &p.kind {
            Kind::Subscription(command) | Kind::Replay(command) | Kind::Internal(Some(command)) => {
                Some(command)
            }
            _ => None,
        })
    }

    /// Every request whose reply would reach the application, removed.
    pub(super) fn drain_open(&mut self) -> Vec<RequestId> {
        let mut ids: Vec<RequestId> = self
            .sent
            .drain(..)
            .filter(Pending::is_open)
            .map(|p| p.id)
            .collect();
        ids.extend(self.held.drain(..).map(|h| h.pending.id));
        ids
    }
}
