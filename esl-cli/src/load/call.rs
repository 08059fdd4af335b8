//! One load call, followed by its events: originate (with a uuid chosen here, so its events
//! are recognised before the originate returns), answer, hold, hang up, hangup cause.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use esl_tokio::esl_proto::Event;
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit};
use tokio::time::Instant;

use super::stats::{Outcome, Stats};
use crate::failure::cause_of;

/// What the events say about one call.
#[derive(Debug)]
pub(crate) enum Step {
    /// `CHANNEL_ANSWER`, received at this instant.
    Answered(Instant),
    /// `CHANNEL_BRIDGE`.
    Bridged,
    /// `CHANNEL_HANGUP_COMPLETE` with its cause.
    HungUp(String),
}

/// The events a load run subscribes to.
pub(crate) const EVENTS: &[&str] = &[
    "CHANNEL_ANSWER",
    "CHANNEL_BRIDGE",
    "CHANNEL_HANGUP_COMPLETE",
];

/// Hands each event to the call it is about.
#[derive(Default)]
pub(crate) struct Router {
    calls: Mutex<HashMap<String, mpsc::UnboundedSender<Step>>>,
}

impl Router {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, mpsc::UnboundedSender<Step>>> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts following `uuid`.
    fn register(&self, uuid: &str) -> mpsc::UnboundedReceiver<Step> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.lock().insert(uuid.to_owned(), tx);
        rx
    }

    fn remove(&self, uuid: &str) {
        self.lock().remove(uuid);
    }

    /// Delivers `event` to its call, if it is one of ours.
    pub(crate) fn deliver(&self, event: &Event) {
        let name = event.name();
        let (uuid, step) = match name.as_str() {
            "CHANNEL_ANSWER" => (event.unique_id(), Step::Answered(Instant::now())),
            "CHANNEL_HANGUP_COMPLETE" => (
                event.unique_id(),
                Step::HungUp(
                    event
                        .hangup_cause()
                        .map_or_else(|| "UNKNOWN".to_owned(), |c| c.into_owned()),
                ),
            ),
            "CHANNEL_BRIDGE" => (
                event
                    .header("Bridge-A-Unique-ID")
                    .or_else(|| event.unique_id()),
                Step::Bridged,
            ),
            _ => return,
        };
        let Some(uuid) = uuid else { return };
        if let Some(tx) = self.lock().get(uuid.as_ref()) {
            let _ = tx.send(step);
        }
    }
}

/// What every call of a run shares.
pub(crate) struct Plan {
    /// The connection.
    pub(crate) client: esl_tokio::Client,
    /// Events to calls.
    pub(crate) router: Router,
    /// Counters.
    pub(crate) stats: Stats,
    /// Channel variables for every call, already `name=value,` joined (each ends in a comma).
    pub(crate) vars: String,
    /// The dial string.
    pub(crate) url: String,
    /// Where answered calls go.
    pub(crate) target: String,
    /// How long an answered call is held before this side hangs up.
    pub(crate) hold: Duration,
    /// How long to wait for the hangup event after hanging up.
    pub(crate) hangup_wait: Duration,
}

/// Waits until `cancel` says stop (forever if nobody can say it any more).
pub(crate) async fn cancelled(cancel: &mut watch::Receiver<bool>) {
    loop {
        if *cancel.borrow_and_update() {
            return;
        }
        if cancel.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Places one call and follows it to its end; `permit` is its `--max-concurrent` slot.
pub(crate) async fn place(
    plan: Arc<Plan>,
    permit: OwnedSemaphorePermit,
    cancel: watch::Receiver<bool>,
) {
    let uuid = uuid::Uuid::new_v4().to_string();
    let steps = plan.router.register(&uuid);
    let outcome = follow(&plan, &uuid, steps, cancel).await;
    plan.router.remove(&uuid);
    plan.stats.ended(outcome);
    drop(permit);
}

async fn follow(
    plan: &Plan,
    uuid: &str,
    mut steps: mpsc::UnboundedReceiver<Step>,
    mut cancel: watch::Receiver<bool>,
) -> Outcome {
    let command = format!(
        "originate {{origination_uuid={uuid},{}}}{} {}",
        plan.vars, plan.url, plan.target
    );
    let sent = Instant::now();
    let job = match plan.client.bgapi(&command).await {
        Ok(job) => job,
        Err(e) => return failed(&e),
    };
    // Until it comes up: its answer, or the originate's result, whichever is first.
    let mut bridged = false;
    let mut stopping = false;
    let answered = {
        let job = job.output();
        tokio::pin!(job);
        loop {
            tokio::select! {
                result = &mut job => match result {
                    // The originate returns once the call is up.
                    Ok(_) => break Instant::now(),
                    Err(e) => return failed(&e),
                },
                step = steps.recv() => match step {
                    Some(Step::Answered(at)) => break at,
                    Some(Step::Bridged) => bridged = true,
                    Some(Step::HungUp(cause)) => return Outcome::Failed { cause },
                    None => return Outcome::Failed { cause: "LOST".to_owned() },
                },
                () = cancelled(&mut cancel), if !stopping => {
                    // Stop it ringing; if it was not there yet, it is hung up once it is up.
                    stopping = true;
                    let _ = plan.client.api(&format!("uuid_kill {uuid}")).await;
                }
            }
        }
    };
    plan.stats.answered();
    let setup = answered.saturating_duration_since(sent);
    let complete = |cause: String, bridged: bool| Outcome::Completed {
        setup,
        cause,
        bridged,
    };
    // Held until the hold time is up, it ends by itself, or the run stops.
    if !stopping {
        let hold = tokio::time::sleep(plan.hold);
        tokio::pin!(hold);
        loop {
            tokio::select! {
                () = &mut hold => break,
                () = cancelled(&mut cancel) => break,
                step = steps.recv() => match step {
                    Some(Step::HungUp(cause)) => return complete(cause, bridged),
                    Some(Step::Bridged) => bridged = true,
                    Some(Step::Answered(_)) => {}
                    None => break,
                },
            }
        }
    }
    // A refusal means it is gone already; its hangup event says how.
    let _ = plan.client.api(&format!("uuid_kill {uuid}")).await;
    let deadline = tokio::time::sleep(plan.hangup_wait);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            step = steps.recv() => match step {
                Some(Step::HungUp(cause)) => return complete(cause, bridged),
                Some(Step::Bridged | Step::Answered(_)) => {}
                None => return complete("NO_HANGUP_EVENT".to_owned(), bridged),
            },
            () = &mut deadline => return complete("NO_HANGUP_EVENT".to_owned(), bridged),
        }
    }
}

/// A call that did not come up because of `error`.
fn failed(error: &esl_tokio::Error) -> Outcome {
    let cause = match error {
        esl_tokio::Error::Rejected(text) => cause_of(text),
        esl_tokio::Error::Timeout(_) => "TIMEOUT".to_owned(),
        e if e.is_connection_lost() => "CONNECTION_LOST".to_owned(),
        _ => "ERROR".to_owned(),
    };
    Outcome::Failed { cause }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_reach_the_call_they_are_about_and_no_other() {
        let router = Router::default();
        let mut mine = router.register("u1");
        let mut other = router.register("u2");
        router.deliver(
            &Event::builder("CHANNEL_ANSWER")
                .header("Unique-ID", "u1")
                .build(),
        );
        router.deliver(
            &Event::builder("CHANNEL_HANGUP_COMPLETE")
                .header("Unique-ID", "u1")
                .header("Hangup-Cause", "NORMAL_CLEARING")
                .build(),
        );
        router.deliver(
            &Event::builder("CHANNEL_ANSWER")
                .header("Unique-ID", "someone-else")
                .build(),
        );
        assert!(matches!(mine.recv().await, Some(Step::Answered(_))));
        assert!(matches!(mine.recv().await, Some(Step::HungUp(c)) if c == "NORMAL_CLEARING"));
        assert!(other.try_recv().is_err());
        router.remove("u1");
        assert!(mine.recv().await.is_none());
    }
}
