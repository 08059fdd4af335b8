//! A strand: one connection's handlers, run on the worker pool one at a time and in the
//! order their events came, so that a connection's handlers never race each other and the
//! reactor never waits for one.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use crate::pool::{Job, Pool};
use crate::signal::lock;

struct Queue {
    jobs: VecDeque<Job>,
    /// A worker is running this strand's jobs.
    running: bool,
    dropped: u64,
}

pub(crate) struct Strand {
    queue: Mutex<Queue>,
    pool: Arc<Pool>,
    /// Most jobs waiting; beyond it, new ones are dropped and counted (a handler that
    /// cannot keep up must not grow memory without bound).
    capacity: usize,
}

impl Strand {
    pub(crate) fn new(pool: Arc<Pool>, capacity: usize) -> Arc<Strand> {
        Arc::new(Strand {
            queue: Mutex::new(Queue {
                jobs: VecDeque::new(),
                running: false,
                dropped: 0,
            }),
            pool,
            capacity: capacity.max(1),
        })
    }

    /// Queues `job` behind this strand's others; never waits.
    pub(crate) fn submit(self: &Arc<Self>, job: Job) {
        let mut queue = lock(&self.queue);
        if queue.jobs.len() >= self.capacity {
            queue.dropped += 1;
            tracing::warn!(
                dropped = queue.dropped,
                "handlers are behind; an event's handlers were skipped"
            );
            return;
        }
        queue.jobs.push_back(job);
        if !queue.running {
            queue.running = true;
            drop(queue);
            let strand = self.clone();
            self.pool.execute(Box::new(move || strand.run()));
        }
    }

    fn run(&self) {
        loop {
            let job = {
                let mut queue = lock(&self.queue);
                match queue.jobs.pop_front() {
                    Some(job) => job,
                    None => {
                        queue.running = false;
                        return;
                    }
                }
            };
            if catch_unwind(AssertUnwindSafe(job)).is_err() {
                tracing::error!("an event handler panicked");
            }
        }
    }
}
