//! The table from request to waiter: what each request expects, and when it times out.
//!
//! Every request has a deadline from the moment it is sent; a `bgapi` or a waiting `execute`
//! gets a new one when the switch accepts it (its result may take much longer than a reply).
//! Deadlines are kept in order, so the next one is found without a scan.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::error::Error;
use crate::{RequestId, Response};

/// What a request's result has to be, decided by the call the application made.
///
/// ```
/// use esl_proto::client::{Error, Expect};
/// use esl_proto::{ApiResponse, Response};
///
/// let answer = Response::Api(ApiResponse::new("-ERR no reply\n".into()));
/// assert!(matches!(Expect::Api.check(answer.clone()), Err(Error::Rejected(_))));
/// assert!(Expect::Any.check(answer).is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expect {
    /// Whatever the switch answered, an `-ERR` included.
    Any,
    /// A `command/reply` with `+OK`.
    Reply,
    /// An `api/response` that is not `-ERR ...` / `-USAGE ...`.
    Api,
    /// A `bgapi`: accepted with `+OK`, then its `BACKGROUND_JOB` (whose body may still be an
    /// `-ERR`: see [`job_output`](super::job_output)).
    Job,
    /// A waiting `execute`: accepted, then its `CHANNEL_EXECUTE_COMPLETE`.
    Executed,
}

impl Expect {
    /// The result of a request that expected `self` and got `response`.
    pub fn check(self, response: Response) -> Result<Response, Error> {
        let fits = match (self, &response) {
            (Expect::Any, _) => return Ok(response),
            (Expect::Reply, Response::Reply(_)) => true,
            (Expect::Api, Response::Api(_)) => true,
            (Expect::Job, Response::Job(_)) => return Ok(response),
            (Expect::Executed, Response::Executed(_)) => true,
            _ => false,
        };
        if fits && response.is_ok() {
            Ok(response)
        } else {
            Err(Error::Rejected(response.text()))
        }
    }
}

#[derive(Debug)]
pub(super) struct Entry<W> {
    pub(super) waiter: W,
    pub(super) expect: Expect,
    /// The wait in force, reported in [`Error::Timeout`].
    pub(super) timeout: Duration,
    deadline: Instant,
    /// The wait once the switch has accepted it.
    after_accept: Duration,
}

#[derive(Debug)]
pub(super) struct Requests<W> {
    entries: BTreeMap<RequestId, Entry<W>>,
    deadlines: BTreeSet<(Instant, RequestId)>,
}

impl<W> Default for Requests<W> {
    fn default() -> Self {
        Requests {
            entries: BTreeMap::new(),
            deadlines: BTreeSet::new(),
        }
    }
}

impl<W> Requests<W> {
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }
}

impl<W: Clone> Requests<W> {
    pub(super) fn insert(
        &mut self,
        id: RequestId,
        waiter: W,
        expect: Expect,
        now: Instant,
        timeout: Duration,
        after_accept: Duration,
    ) {
        let deadline = later(now, timeout);
        self.deadlines.insert((deadline, id));
        self.entries.insert(
            id,
            Entry {
                waiter,
                expect,
                timeout,
                deadline,
                after_accept,
            },
        );
    }

    /// The switch accepted `id`: its result now has the wait its kind calls for.
    pub(super) fn accepted(&mut self, id: RequestId, now: Instant) -> Option<W> {
        let after = self.entries.get(&id)?.after_accept;
        self.set_timeout(id, now, after);
        self.entries.get(&id).map(|e| e.waiter.clone())
    }

    /// Gives `id` a new wait from `now`.
    pub(super) fn set_timeout(&mut self, id: RequestId, now: Instant, timeout: Duration) -> bool {
        let Some(entry) = self.entries.get_mut(&id) else {
            return false;
        };
        self.deadlines.remove(&(entry.deadline, id));
        entry.deadline = later(now, timeout);
        entry.timeout = timeout;
        self.deadlines.insert((entry.deadline, id));
        true
    }

    /// The request ended: its entry, if anyone waits for it.
    pub(super) fn remove(&mut self, id: RequestId) -> Option<Entry<W>> {
        let entry = self.entries.remove(&id)?;
        self.deadlines.remove(&(entry.deadline, id));
        Some(entry)
    }

    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.first().map(|(at, _)| *at)
    }

    /// The requests whose deadline is `now` or earlier, removed, oldest deadline first.
    pub(super) fn expire(&mut self, now: Instant) -> Vec<(RequestId, Entry<W>)> {
        let mut expired = Vec::new();
        while let Some(&(at, id)) = self.deadlines.first() {
            if at > now {
                break;
            }
            self.deadlines.pop_first();
            if let Some(entry) = self.entries.remove(&id) {
                expired.push((id, entry));
            }
        }
        expired
    }

    /// Every entry, removed, in request order.
    pub(super) fn drain(&mut self) -> Vec<(RequestId, Entry<W>)> {
        self.deadlines.clear();
        std::mem::take(&mut self.entries).into_iter().collect()
    }
}

/// `now + wait`, or a year from now for a wait too long to represent (a deadline that far
/// is no deadline for a connection).
pub(super) fn later(now: Instant, wait: Duration) -> Instant {
    const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);
    now.checked_add(wait.min(YEAR))
        .or_else(|| now.checked_add(Duration::from_secs(3600)))
        .unwrap_or(now)
}
