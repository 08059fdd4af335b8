//! Time for the simulated switch: event dates as FreeSWITCH writes them, and a scheduler for
//! the steps that happen later (a playback ending, a linger expiring, a heartbeat).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Microseconds since the epoch.
pub(crate) fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or_default()
}

/// Days since 1970-01-01 to (year, month, day), the proleptic Gregorian calendar.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn parts(micros: u64) -> (i64, u32, u32, u64, u64, u64, usize) {
    let secs = micros / 1_000_000;
    let days = (secs / 86_400) as i64;
    let (y, m, d) = civil(days);
    let rem = secs % 86_400;
    // 1970-01-01 was a Thursday.
    let weekday = ((days + 4).rem_euclid(7)) as usize;
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60, weekday)
}

/// `Event-Date-Local` (the simulator's local time is UTC): `2026-11-23 08:10:05`.
pub(crate) fn date_local(micros: u64) -> String {
    let (y, m, d, hh, mm, ss, _) = parts(micros);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}")
}

/// `Event-Date-GMT`: `Mon, 23 Nov 2026 08:10:05 GMT`.
pub(crate) fn date_gmt(micros: u64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, d, hh, mm, ss, wd) = parts(micros);
    format!(
        "{}, {d:02} {} {y:04} {hh:02}:{mm:02}:{ss:02} GMT",
        DAYS[wd],
        MONTHS[(m - 1) as usize]
    )
}

/// A fresh uuid, as FreeSWITCH's are.
pub(crate) fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

type Task = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Queue {
    due: BinaryHeap<Reverse<(Instant, u64)>>,
    tasks: HashMap<u64, Task>,
    next: u64,
    stopped: bool,
}

/// Runs closures at a later time, on one thread, in due order.
#[derive(Clone)]
pub(crate) struct Scheduler {
    queue: Arc<(Mutex<Queue>, Condvar)>,
}

impl Scheduler {
    pub(crate) fn start() -> Scheduler {
        let scheduler = Scheduler {
            queue: Arc::new((Mutex::new(Queue::default()), Condvar::new())),
        };
        let queue = scheduler.queue.clone();
        std::thread::Builder::new()
            .name("sim-scheduler".into())
            .spawn(move || run(&queue))
            .expect("spawn the scheduler thread");
        scheduler
    }

    /// Runs `task` after `delay`.
    pub(crate) fn after(&self, delay: Duration, task: impl FnOnce() + Send + 'static) {
        let (lock, wake) = &*self.queue;
        let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
        let id = q.next;
        q.next += 1;
        q.due.push(Reverse((Instant::now() + delay, id)));
        q.tasks.insert(id, Box::new(task));
        wake.notify_one();
    }

    pub(crate) fn stop(&self) {
        let (lock, wake) = &*self.queue;
        lock.lock().unwrap_or_else(|e| e.into_inner()).stopped = true;
        wake.notify_one();
    }
}

fn run(queue: &(Mutex<Queue>, Condvar)) {
    let (lock, wake) = queue;
    let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if q.stopped {
            return;
        }
        let now = Instant::now();
        match q.due.peek().copied() {
            Some(Reverse((at, id))) if at <= now => {
                q.due.pop();
                if let Some(task) = q.tasks.remove(&id) {
                    drop(q);
                    task();
                    q = lock.lock().unwrap_or_else(|e| e.into_inner());
                }
            }
            Some(Reverse((at, _))) => {
                q = wake
                    .wait_timeout(q, at - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            None => q = wake.wait(q).unwrap_or_else(|e| e.into_inner()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_freeswitch_writes_them() {
        // Event-Date-Timestamp 1795421405396962 in inbound_events_plain.
        assert_eq!(date_local(1_795_421_405_396_962), "2026-11-23 08:10:05");
        assert_eq!(
            date_gmt(1_795_421_405_396_962),
            "Mon, 23 Nov 2026 08:10:05 GMT"
        );
        assert_eq!(date_gmt(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn tasks_run_in_due_order() {
        let scheduler = Scheduler::start();
        let (tx, rx) = std::sync::mpsc::channel();
        for (delay, label) in [(30, 3), (10, 1), (20, 2)] {
            let tx = tx.clone();
            scheduler.after(Duration::from_millis(delay), move || {
                let _ = tx.send(label);
            });
        }
        let got: Vec<i32> = (0..3).map(|_| rx.recv().unwrap()).collect();
        assert_eq!(got, [1, 2, 3]);
        scheduler.stop();
    }
}
