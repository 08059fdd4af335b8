//! The worker pool user code runs on: event handlers (through each connection's strand),
//! outbound session handlers, and a [`Service`](crate::Service)'s handlers. At most
//! `workers` threads, fed by a queue of at most `capacity` jobs waiting for one.
//!
//! Workers are started as they are needed (a job queued while no worker is idle starts one,
//! up to the limit) and end after 30 s without work. When every worker is busy
//! and the queue is full, [`Pool::submit`] waits for room: the thread that submits (a
//! switch's dispatch thread) stops taking events from its stream, which then fills up to its
//! capacity before its [`Overflow`](crate::Overflow) policy applies. Nothing is spawned
//! beyond the limit and nothing is dropped by the pool.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use crate::signal::lock;

/// How long a worker waits for work before its thread ends.
const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(30);

/// A handler call waiting for a worker.
pub(crate) type Job = Box<dyn FnOnce() + Send + 'static>;

/// A bounded pool of worker threads. Dropping it lets the workers finish what is queued and
/// end.
pub(crate) struct Pool {
    shared: Arc<PoolShared>,
}

struct PoolShared {
    state: Mutex<PoolState>,
    /// Wakes an idle worker: a job, or the end.
    work: Condvar,
    /// Wakes a submitter waiting for room: a job taken, a cancel, the end.
    room: Condvar,
    /// Tests only: wakes a test waiting for the pool to reach a state.
    #[cfg(test)]
    changed: Condvar,
    workers: usize,
    capacity: usize,
}

#[derive(Default)]
struct PoolState {
    queue: VecDeque<Job>,
    /// Workers started and not ended.
    spawned: usize,
    /// Workers waiting for a job.
    idle: usize,
    /// Jobs running now.
    running: usize,
    /// The most jobs ever running at once.
    peak: usize,
    closed: bool,
    /// Tests only: submitters waiting for room.
    #[cfg(test)]
    waiting: usize,
}

/// What the pool is doing, for tests.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PoolLoad {
    /// Worker threads started.
    pub(crate) workers: usize,
    /// Jobs running now.
    pub(crate) running: usize,
    /// Jobs waiting for a worker.
    pub(crate) queued: usize,
    /// The most jobs ever running at once.
    pub(crate) peak: usize,
    /// Submitters waiting for room.
    pub(crate) waiting: usize,
}

impl Pool {
    /// A pool of at most `workers` threads (at least one) and a queue of at most `capacity`
    /// jobs (at least one).
    pub(crate) fn new(workers: usize, capacity: usize) -> Pool {
        Pool {
            shared: Arc::new(PoolShared {
                state: Mutex::new(PoolState::default()),
                work: Condvar::new(),
                room: Condvar::new(),
                #[cfg(test)]
                changed: Condvar::new(),
                workers: workers.max(1),
                capacity: capacity.max(1),
            }),
        }
    }

    /// The limits: (workers, queue capacity).
    pub(crate) fn limits(&self) -> (usize, usize) {
        (self.shared.workers, self.shared.capacity)
    }

    /// Queues `job` for a worker, waiting while the queue is full. Gives the job back if
    /// `cancel` is set (then call [`Pool::wake`]) before there is room.
    pub(crate) fn submit(&self, job: Job, cancel: &AtomicBool) -> Result<(), Job> {
        let shared = &self.shared;
        let mut st = lock(&shared.state);
        while st.queue.len() >= shared.capacity && !st.closed && !cancel.load(Ordering::Acquire) {
            #[cfg(test)]
            {
                st.waiting += 1;
                shared.changed.notify_all();
            }
            st = shared.room.wait(st).unwrap_or_else(|e| e.into_inner());
            #[cfg(test)]
            {
                st.waiting -= 1;
            }
        }
        if st.closed || cancel.load(Ordering::Acquire) {
            return Err(job);
        }
        st.queue.push_back(job);
        // A worker woken but not yet running still counts as idle: a second job queued
        // meanwhile starts another worker.
        let start = st.queue.len() > st.idle && st.spawned < shared.workers;
        if start {
            st.spawned += 1;
        }
        drop(st);
        shared.work.notify_one();
        if start {
            self.start_worker();
        }
        Ok(())
    }

    /// Queues `job` whatever the queue holds, never waiting: for the reactor, which must not
    /// block. Its callers bound what they queue themselves (one strand per connection).
    pub(crate) fn execute(&self, job: Job) {
        let shared = &self.shared;
        let mut st = lock(&shared.state);
        if st.closed {
            return;
        }
        st.queue.push_back(job);
        let start = st.queue.len() > st.idle && st.spawned < shared.workers;
        if start {
            st.spawned += 1;
        }
        drop(st);
        shared.work.notify_one();
        if start {
            self.start_worker();
        }
    }

    fn start_worker(&self) {
        let worker = self.shared.clone();
        let spawned = std::thread::Builder::new()
            .name("esl-handler".into())
            .spawn(move || worker.run());
        if let Err(error) = spawned {
            // The job stays queued for a running worker, or the next submit retries.
            lock(&self.shared.state).spawned -= 1;
            tracing::error!(%error, "cannot start a handler thread");
        }
    }

    /// Wakes the submitters waiting for room, to look at their cancel flag again.
    pub(crate) fn wake(&self) {
        // Under the lock: a submitter that has just seen its flag unset is already waiting.
        let _st = lock(&self.shared.state);
        self.shared.room.notify_all();
    }

    /// What the pool is doing now.
    #[cfg(test)]
    pub(crate) fn load(&self) -> PoolLoad {
        self.shared.load()
    }
}

#[cfg(test)]
impl PoolShared {
    fn load(&self) -> PoolLoad {
        PoolLoad::of(&lock(&self.state))
    }

    /// Waits until `done` holds of the pool's load, woken when a submitter starts waiting or
    /// a worker ends (the changes no job can report). Panics after `timeout`, a hang.
    fn wait_for(&self, what: &str, timeout: std::time::Duration, done: impl Fn(&PoolLoad) -> bool) {
        let st = lock(&self.state);
        let (_st, waited) = self
            .changed
            .wait_timeout_while(st, timeout, |st| !done(&PoolLoad::of(st)))
            .unwrap_or_else(|e| e.into_inner());
        assert!(!waited.timed_out(), "timed out waiting until {what}");
    }
}

#[cfg(test)]
impl PoolLoad {
    fn of(st: &PoolState) -> PoolLoad {
        PoolLoad {
            workers: st.spawned,
            running: st.running,
            queued: st.queue.len(),
            peak: st.peak,
            waiting: st.waiting,
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        lock(&self.shared.state).closed = true;
        self.shared.work.notify_all();
        self.shared.room.notify_all();
    }
}

impl PoolShared {
    /// A worker: runs jobs until the pool is dropped and its queue drained.
    fn run(&self) {
        loop {
            let job = {
                let mut st = lock(&self.state);
                loop {
                    if let Some(job) = st.queue.pop_front() {
                        st.running += 1;
                        st.peak = st.peak.max(st.running);
                        break job;
                    }
                    if st.closed {
                        st.spawned -= 1;
                        #[cfg(test)]
                        self.changed.notify_all();
                        return;
                    }
                    st.idle += 1;
                    let (guard, waited) = self
                        .work
                        .wait_timeout(st, KEEP_ALIVE)
                        .unwrap_or_else(|e| e.into_inner());
                    st = guard;
                    st.idle -= 1;
                    // A worker idle for long gives its thread back; one starts again when
                    // work comes.
                    if waited.timed_out() && st.queue.is_empty() {
                        st.spawned -= 1;
                        #[cfg(test)]
                        self.changed.notify_all();
                        return;
                    }
                }
            };
            // Every waiting submitter looks: one that gives up (its switch is closing) must
            // not swallow the wake-up another one needs.
            self.room.notify_all();
            if catch_unwind(AssertUnwindSafe(job)).is_err() {
                tracing::warn!("a handler panicked; its worker goes on");
            }
            lock(&self.state).running -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// How long a test waits for what must come before it calls it a hang.
    const WAIT: Duration = Duration::from_secs(60);

    /// Queues `job`, which must be taken.
    fn put(pool: &Pool, job: Job) {
        assert!(pool.submit(job, &AtomicBool::new(false)).is_ok(), "queued");
    }

    /// A job that says it started, then runs until `release` says so.
    fn held(release: &Arc<Mutex<mpsc::Receiver<()>>>, started: &mpsc::Sender<()>) -> Job {
        let (release, started) = (release.clone(), started.clone());
        Box::new(move || {
            let _ = started.send(());
            let _ = lock(&release).recv();
        })
    }

    /// Waits for `n` jobs to say they started.
    fn starts(started: &mpsc::Receiver<()>, n: usize) {
        for _ in 0..n {
            started.recv_timeout(WAIT).expect("a job started");
        }
    }

    #[test]
    fn at_most_workers_run_and_at_most_capacity_wait_then_submit_blocks() {
        let pool = Arc::new(Pool::new(2, 3));
        let (tx, rx) = mpsc::channel::<()>();
        let release = Arc::new(Mutex::new(rx));
        let (started_tx, started) = mpsc::channel();
        let never = AtomicBool::new(false);
        // Two run (one holds the receiver's lock, the other waits for it: both are
        // running), three wait in the queue.
        for _ in 0..5 {
            assert!(pool.submit(held(&release, &started_tx), &never).is_ok());
        }
        starts(&started, 2);
        assert_eq!(
            pool.load(),
            PoolLoad {
                workers: 2,
                running: 2,
                queued: 3,
                peak: 2,
                waiting: 0,
            }
        );
        // The sixth waits for room.
        let (done_tx, done_rx) = mpsc::channel();
        let submitter = {
            let pool = pool.clone();
            let job = held(&release, &started_tx);
            std::thread::spawn(move || {
                let never = AtomicBool::new(false);
                let queued = pool.submit(job, &never).is_ok();
                done_tx.send(queued).unwrap();
            })
        };
        pool.shared
            .wait_for("the sixth submitter waits", WAIT, |load| load.waiting == 1);
        assert_eq!(
            done_rx.try_recv(),
            Err(mpsc::TryRecvError::Empty),
            "a full pool makes the submitter wait"
        );
        assert_eq!(pool.load().queued, 3);
        // One job ends: a worker takes the next, which makes room for the sixth.
        tx.send(()).unwrap();
        assert_eq!(done_rx.recv_timeout(WAIT), Ok(true));
        submitter.join().unwrap();
        for _ in 0..5 {
            tx.send(()).unwrap();
        }
        // Every job ran (the last four started after the first two).
        starts(&started, 4);
        let load = pool.load();
        assert_eq!(
            (load.workers, load.peak),
            (2, 2),
            "never more than two workers"
        );
    }

    #[test]
    fn a_waiting_submitter_gives_up_when_cancelled() {
        let pool = Arc::new(Pool::new(1, 1));
        let (tx, rx) = mpsc::channel::<()>();
        let release = Arc::new(Mutex::new(rx));
        let (started_tx, started) = mpsc::channel();
        put(&pool, held(&release, &started_tx));
        starts(&started, 1);
        put(&pool, held(&release, &started_tx));
        let cancel = Arc::new(AtomicBool::new(false));
        let submitter = {
            let (pool, cancel) = (pool.clone(), cancel.clone());
            std::thread::spawn(move || pool.submit(Box::new(|| {}), &cancel).is_err())
        };
        pool.shared
            .wait_for("the submitter waits", WAIT, |load| load.waiting == 1);
        assert!(!submitter.is_finished());
        cancel.store(true, Ordering::Release);
        pool.wake();
        assert!(submitter.join().unwrap(), "the job is given back");
        tx.send(()).unwrap();
        tx.send(()).unwrap();
    }

    #[test]
    fn a_panicking_job_does_not_take_its_worker_down() {
        let pool = Pool::new(1, 4);
        let (tx, rx) = mpsc::channel();
        put(&pool, Box::new(|| panic!("handler bug")));
        put(&pool, Box::new(move || tx.send(7).unwrap()));
        assert_eq!(rx.recv_timeout(WAIT), Ok(7));
        assert_eq!(pool.load().workers, 1);
    }

    #[test]
    fn dropping_the_pool_ends_the_workers_after_the_queue() {
        let pool = Pool::new(2, 8);
        let shared = pool.shared.clone();
        let (tx, rx) = mpsc::channel();
        for n in 0..4 {
            let tx = tx.clone();
            put(&pool, Box::new(move || tx.send(n).unwrap()));
        }
        drop(pool);
        let mut got: Vec<i32> = (0..4).map(|_| rx.recv_timeout(WAIT).unwrap()).collect();
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2, 3]);
        shared.wait_for("the workers end", WAIT, |load| load.workers == 0);
    }
}
