//! Requests whose result is an event that comes after their reply: a `bgapi`'s
//! `BACKGROUND_JOB` (matched by `Job-UUID`) and a waiting `execute`'s
//! `CHANNEL_EXECUTE_COMPLETE` (matched by `Application-UUID`, the `Event-UUID` the client
//! chose, or the one the switch gave the first `CHANNEL_EXECUTE` of that application).
//!
//! A uuid may be registered by more than one request (two `bgapi`s that the switch answers
//! with the same `Job-UUID`, or a client that reuses an `Event-UUID`): they are kept in the
//! order they registered and each completion ends the oldest, so that whatever the peer
//! sends, every request still ends exactly once.

use std::collections::{BTreeMap, VecDeque};

use super::output::RequestId;
use crate::event::Event;

/// A request whose completion event is awaited.
#[derive(Debug)]
pub(super) struct Waiting {
    pub(super) id: RequestId,
    pub(super) channel: Option<String>,
    /// False while the reply is still due (a client-chosen uuid is registered at send).
    pub(super) replied: bool,
}

/// An `execute` without `Event-UUID`: it takes the `Application-UUID` of the first
/// `CHANNEL_EXECUTE` of its application on its channel after its `+OK`.
#[derive(Debug)]
struct Adoption {
    id: RequestId,
    channel: Option<String>,
    app: String,
}

/// Requests by the uuid that completes them, oldest first per uuid.
#[derive(Debug, Default)]
struct ByUuid(BTreeMap<String, VecDeque<Waiting>>);

impl ByUuid {
    fn register(&mut self, uuid: String, waiting: Waiting) {
        self.0.entry(uuid).or_default().push_back(waiting);
    }

    /// The reply of `id` came: marks its registration, or registers it under `uuid`.
    fn replied(&mut self, uuid: String, id: RequestId, channel: Option<String>) {
        let queue = self.0.entry(uuid).or_default();
        match queue.iter_mut().find(|w| w.id == id) {
            Some(waiting) => waiting.replied = true,
            None => queue.push_back(Waiting {
                id,
                channel,
                replied: true,
            }),
        }
    }

    fn take(&mut self, uuid: &str) -> Option<Waiting> {
        let queue = self.0.get_mut(uuid)?;
        let waiting = queue.pop_front();
        if queue.is_empty() {
            self.0.remove(uuid);
        }
        waiting
    }

    fn contains(&self, uuid: &str) -> bool {
        self.0.contains_key(uuid)
    }

    fn len(&self) -> usize {
        self.0.values().map(VecDeque::len).sum()
    }

    fn retain(&mut self, mut keep: impl FnMut(&Waiting) -> bool) {
        self.0.retain(|_, queue| {
            queue.retain(&mut keep);
            !queue.is_empty()
        });
    }

    fn values(&self) -> impl Iterator<Item = &Waiting> {
        self.0.values().flatten()
    }

    fn drain_ids(&mut self) -> impl Iterator<Item = RequestId> + '_ {
        std::mem::take(&mut self.0)
            .into_values()
            .flatten()
            .map(|w| w.id)
    }
}

/// The jobs and executes waiting for their completion event.
#[derive(Debug, Default)]
pub(super) struct Completions {
    jobs: ByUuid,
    executes: ByUuid,
    adoptions: VecDeque<Adoption>,
}

impl Completions {
    /// Requests waiting for their completion event.
    pub(super) fn len(&self) -> usize {
        self.jobs.len() + self.executes.len() + self.adoptions.len()
    }

    /// Background jobs waiting for their `BACKGROUND_JOB`.
    pub(super) fn jobs(&self) -> usize {
        self.jobs.len()
    }

    /// Executes waiting for their `CHANNEL_EXECUTE_COMPLETE`, adopted or not yet.
    pub(super) fn executes(&self) -> usize {
        self.executes.len() + self.adoptions.len()
    }

    pub(super) fn has_jobs(&self) -> bool {
        self.jobs.len() > 0
    }

    pub(super) fn has_adoptions(&self) -> bool {
        !self.adoptions.is_empty()
    }

    /// The channel of some waiting execute, if any waits.
    pub(super) fn some_execute_channel(&self) -> Option<Option<String>> {
        self.executes
            .values()
            .map(|w| w.channel.clone())
            .chain(self.adoptions.iter().map(|a| a.channel.clone()))
            .next()
    }

    // ---- registration ----

    /// A `bgapi` with a client-chosen `Job-UUID`, at send.
    pub(super) fn expect_job(&mut self, uuid: String, id: RequestId) {
        self.jobs.register(
            uuid,
            Waiting {
                id,
                channel: None,
                replied: false,
            },
        );
    }

    /// A `bgapi` was accepted; its `Job-UUID` is known now.
    pub(super) fn job_accepted(&mut self, uuid: String, id: RequestId) {
        self.jobs.replied(uuid, id, None);
    }

    /// A waiting `execute` with a client-chosen `Event-UUID`, at send.
    pub(super) fn expect_execute(&mut self, uuid: String, id: RequestId, channel: Option<String>) {
        self.executes.register(
            uuid,
            Waiting {
                id,
                channel,
                replied: false,
            },
        );
    }

    /// A waiting `execute` was accepted.
    pub(super) fn execute_accepted(
        &mut self,
        event_uuid: Option<String>,
        id: RequestId,
        channel: Option<String>,
        app: String,
    ) {
        match event_uuid {
            Some(uuid) => self.executes.replied(uuid, id, channel),
            None => self.adoptions.push_back(Adoption { id, channel, app }),
        }
    }

    // ---- completion ----

    /// The request a `BACKGROUND_JOB` with this `Job-UUID` completes.
    pub(super) fn job_done(&mut self, job_uuid: &str) -> Option<Waiting> {
        self.jobs.take(job_uuid)
    }

    /// The request a `CHANNEL_EXECUTE_COMPLETE` with this `Application-UUID` completes.
    pub(super) fn execute_done(&mut self, app_uuid: &str) -> Option<Waiting> {
        self.executes.take(app_uuid)
    }

    /// A `CHANNEL_EXECUTE`: the oldest execute without `Event-UUID` of that application on
    /// that channel takes its `Application-UUID`.
    pub(super) fn execute_started(&mut self, event: &Event) {
        if self.adoptions.is_empty() {
            return;
        }
        let Some(app_uuid) = event.application_uuid() else {
            return;
        };
        if self.executes.contains(&app_uuid) {
            return;
        }
        let channel = event.unique_id();
        let app = event.application();
        let found = self.adoptions.iter().position(|a| {
            a.channel.as_deref() == channel.as_deref()
                && app
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&a.app))
        });
        if let Some(adoption) = found.and_then(|i| self.adoptions.remove(i)) {
            self.executes.register(
                app_uuid.into_owned(),
                Waiting {
                    id: adoption.id,
                    channel: adoption.channel,
                    replied: true,
                },
            );
        }
    }

    /// The channel hung up: the executes accepted on it will never run. Their ids, in order.
    pub(super) fn channel_gone(&mut self, uuid: &str) -> Vec<RequestId> {
        let mut gone = Vec::new();
        self.executes.retain(|w| {
            let keep = w.channel.as_deref() != Some(uuid) || !w.replied;
            if !keep {
                gone.push(w.id);
            }
            keep
        });
        self.adoptions.retain(|a| {
            let keep = a.channel.as_deref() != Some(uuid);
            if !keep {
                gone.push(a.id);
            }
            keep
        });
        gone.sort();
        gone
    }

    /// Removes `id`'s registration; true if there was one.
    pub(super) fn forget(&mut self, id: RequestId) -> bool {
        let before = self.len();
        self.jobs.retain(|w| w.id != id);
        self.executes.retain(|w| w.id != id);
        self.adoptions.retain(|a| a.id != id);
        before != self.len()
    }

    /// Every registration, removed.
    pub(super) fn drain_ids(&mut self) -> Vec<RequestId> {
        let mut ids: Vec<RequestId> = self.jobs.drain_ids().collect();
        ids.extend(self.executes.drain_ids());
        ids.extend(self.adoptions.drain(..).map(|a| a.id));
        ids
    }
}
