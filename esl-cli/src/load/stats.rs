//! What a load run counts while it runs, and the report it ends with.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;
use tokio::time::Instant;

/// How one call ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// It came up (answered) after `setup`, then ended with `cause`.
    Completed {
        /// From sending the originate to the answer.
        setup: Duration,
        /// The hangup cause, or what stands for it (`NO_HANGUP_EVENT` when the hangup was
        /// sent but its event never came).
        cause: String,
        /// A `CHANNEL_BRIDGE` was seen.
        bridged: bool,
    },
    /// It never came up: the originate failed, or the channel hung up before answering.
    Failed {
        /// The hangup cause or the switch's error.
        cause: String,
    },
}

/// Counters the progress display reads while calls run, and what the report needs.
pub(crate) struct Stats {
    /// Originates sent.
    pub(crate) placed: AtomicU64,
    /// Calls up now (answered, not yet ended).
    pub(crate) up: AtomicU64,
    /// Calls that came up and ended.
    pub(crate) completed: AtomicU64,
    /// Calls that never came up.
    pub(crate) failed: AtomicU64,
    peak_up: AtomicU64,
    answered: AtomicU64,
    bridged: AtomicU64,
    events_lost: AtomicU64,
    inner: Mutex<Inner>,
}

struct Inner {
    /// Setup latency, microseconds.
    setup: Histogram<u64>,
    /// How late each originate left against its schedule, microseconds.
    lag: Histogram<u64>,
    failures: BTreeMap<String, u64>,
    hangups: BTreeMap<String, u64>,
    first_sent: Option<Instant>,
    last_sent: Option<Instant>,
    throttled: u64,
}

fn histogram() -> Histogram<u64> {
    // 1 µs to one hour, three significant digits.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

impl Stats {
    /// Nothing counted yet.
    pub(crate) fn new() -> Stats {
        Stats {
            placed: AtomicU64::new(0),
            up: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            peak_up: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            bridged: AtomicU64::new(0),
            events_lost: AtomicU64::new(0),
            inner: Mutex::new(Inner {
                setup: histogram(),
                lag: histogram(),
                failures: BTreeMap::new(),
                hangups: BTreeMap::new(),
                first_sent: None,
                last_sent: None,
                throttled: 0,
            }),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An originate leaves at `at`, `lag` after its scheduled time.
    pub(crate) fn placed(&self, at: Instant, lag: Duration) {
        self.placed.fetch_add(1, Ordering::Relaxed);
        let mut inner = self.inner();
        inner.first_sent.get_or_insert(at);
        inner.last_sent = Some(at);
        inner.lag.saturating_record(micros(lag));
    }

    /// A call waited for a `--max-concurrent` slot.
    pub(crate) fn throttled(&self) {
        self.inner().throttled += 1;
    }

    /// A call came up.
    pub(crate) fn answered(&self) {
        self.answered.fetch_add(1, Ordering::Relaxed);
        let up = self.up.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak_up.fetch_max(up, Ordering::Relaxed);
    }

    /// The event stream dropped `n` events.
    pub(crate) fn events_lost(&self, n: u64) {
        self.events_lost.fetch_add(n, Ordering::Relaxed);
    }

    /// A call ended.
    pub(crate) fn ended(&self, outcome: Outcome) {
        match outcome {
            Outcome::Completed {
                setup,
                cause,
                bridged,
            } => {
                self.up.fetch_sub(1, Ordering::Relaxed);
                if bridged {
                    self.bridged.fetch_add(1, Ordering::Relaxed);
                }
                let mut inner = self.inner();
                inner.setup.saturating_record(micros(setup));
                *inner.hangups.entry(cause).or_default() += 1;
                drop(inner);
                self.completed.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Failed { cause } => {
                *self.inner().failures.entry(cause).or_default() += 1;
                self.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The commonest failure causes so far: `NO_ROUTE_DESTINATION 3, USER_BUSY 1`.
    pub(crate) fn failure_summary(&self) -> String {
        let inner = self.inner();
        let mut causes: Vec<(&String, &u64)> = inner.failures.iter().collect();
        causes.sort_by(|a, b| b.1.cmp(a.1));
        let mut text: Vec<String> = causes
            .iter()
            .take(3)
            .map(|(cause, n)| format!("{cause} {n}"))
            .collect();
        if causes.len() > 3 {
            text.push("...".to_owned());
        }
        text.join(", ")
    }

    /// Originates per second so far: between the first and the last one sent.
    pub(crate) fn achieved_rate(&self) -> f64 {
        let inner = self.inner();
        let placed = self.placed.load(Ordering::Relaxed);
        match (inner.first_sent, inner.last_sent) {
            (Some(first), Some(last)) if placed > 1 && last > first => {
                (placed - 1) as f64 / (last - first).as_secs_f64()
            }
            _ => 0.0,
        }
    }

    /// The report, given what the run was asked to do.
    pub(crate) fn report(&self, target: Target, elapsed: Duration, interrupted: bool) -> Report {
        let achieved_rate = self.achieved_rate();
        let inner = self.inner();
        Report {
            target,
            interrupted,
            elapsed_s: elapsed.as_secs_f64(),
            placed: self.placed.load(Ordering::Relaxed),
            answered: self.answered.load(Ordering::Relaxed),
            completed: self.completed.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            bridged: self.bridged.load(Ordering::Relaxed),
            peak_up: self.peak_up.load(Ordering::Relaxed),
            achieved_rate,
            throttled: inner.throttled,
            setup_latency_ms: Percentiles::of(&inner.setup),
            schedule_lag_ms: Percentiles::of(&inner.lag),
            failures: inner.failures.clone(),
            hangup_causes: inner.hangups.clone(),
            events_lost: self.events_lost.load(Ordering::Relaxed),
        }
    }
}

/// What the run was asked to do.
#[derive(Serialize, Debug, Clone)]
pub(crate) struct Target {
    /// The switch.
    pub(crate) addr: String,
    /// The dial string.
    pub(crate) url: String,
    /// Where answered calls go.
    pub(crate) target: String,
    /// Calls per second.
    pub(crate) rate: f64,
    /// Calls at once at most.
    pub(crate) max_concurrent: usize,
    /// Calls to place, if bounded by count.
    pub(crate) total: Option<u64>,
    /// Seconds to place calls for, if bounded by time.
    pub(crate) duration_s: Option<f64>,
    /// How long each answered call is held, ms.
    pub(crate) hold_ms: u64,
}

/// Latency percentiles in milliseconds.
#[derive(Serialize, Debug, Clone, Copy, PartialEq)]
pub(crate) struct Percentiles {
    /// Samples.
    pub(crate) count: u64,
    /// 50th percentile.
    pub(crate) p50: f64,
    /// 90th.
    pub(crate) p90: f64,
    /// 99th.
    pub(crate) p99: f64,
    /// The largest.
    pub(crate) max: f64,
    /// The mean.
    pub(crate) mean: f64,
}

impl Percentiles {
    fn of(h: &Histogram<u64>) -> Percentiles {
        let ms = |us: u64| us as f64 / 1000.0;
        Percentiles {
            count: h.len(),
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            max: ms(h.max()),
            mean: h.mean() / 1000.0,
        }
    }

    fn line(&self) -> String {
        if self.count == 0 {
            return "no samples".to_owned();
        }
        format!(
            "p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms  (mean {:.2} ms, {} calls)",
            self.p50, self.p90, self.p99, self.max, self.mean, self.count
        )
    }
}

/// The end of a run (`--json` prints it as it is).
#[derive(Serialize, Debug, Clone)]
pub(crate) struct Report {
    /// What was asked.
    pub(crate) target: Target,
    /// Stopped by Ctrl-C.
    pub(crate) interrupted: bool,
    /// From the first scheduled call to the last call ended, seconds.
    pub(crate) elapsed_s: f64,
    /// Originates sent.
    pub(crate) placed: u64,
    /// Calls that came up.
    pub(crate) answered: u64,
    /// Calls that came up and ended.
    pub(crate) completed: u64,
    /// Calls that never came up.
    pub(crate) failed: u64,
    /// Calls bridged.
    pub(crate) bridged: u64,
    /// Most calls up at once.
    pub(crate) peak_up: u64,
    /// Originates per second, first to last.
    pub(crate) achieved_rate: f64,
    /// Calls that waited for a `--max-concurrent` slot (the schedule moved back by the wait).
    pub(crate) throttled: u64,
    /// From originate to answer.
    pub(crate) setup_latency_ms: Percentiles,
    /// How late originates left against the schedule (timer and runtime delay).
    pub(crate) schedule_lag_ms: Percentiles,
    /// Calls that never came up, by cause.
    pub(crate) failures: BTreeMap<String, u64>,
    /// Calls that came up, by hangup cause.
    pub(crate) hangup_causes: BTreeMap<String, u64>,
    /// Events the stream dropped (calls may then end by timeout).
    pub(crate) events_lost: u64,
}

impl Report {
    /// The report for people.
    pub(crate) fn text(&self) -> String {
        let t = &self.target;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "esl load: {} {} on {}{}",
            t.url,
            t.target,
            t.addr,
            if self.interrupted {
                " (stopped by Ctrl-C)"
            } else {
                ""
            }
        );
        let _ = writeln!(
            out,
            "placed     {:>8} at {:.2} calls/s (target {}); {:.2}s in all",
            self.placed, self.achieved_rate, t.rate, self.elapsed_s
        );
        let _ = writeln!(out, "answered   {:>8}", self.answered);
        let _ = writeln!(out, "completed  {:>8}", self.completed);
        let _ = writeln!(out, "failed     {:>8}", self.failed);
        let _ = writeln!(
            out,
            "peak up    {:>8} (max concurrent {})",
            self.peak_up, t.max_concurrent
        );
        if self.bridged > 0 {
            let _ = writeln!(out, "bridged    {:>8}", self.bridged);
        }
        if self.throttled > 0 {
            let _ = writeln!(
                out,
                "throttled  {:>8} calls waited for a free slot (raise --max-concurrent)",
                self.throttled
            );
        }
        let _ = writeln!(out, "setup latency  {}", self.setup_latency_ms.line());
        let _ = writeln!(out, "schedule lag   {}", self.schedule_lag_ms.line());
        let causes = |map: &BTreeMap<String, u64>| {
            map.iter()
                .map(|(cause, n)| format!("{cause} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.hangup_causes.is_empty() {
            let _ = writeln!(out, "hangup causes  {}", causes(&self.hangup_causes));
        }
        if !self.failures.is_empty() {
            let _ = writeln!(out, "failures       {}", causes(&self.failures));
        }
        if self.events_lost > 0 {
            let _ = writeln!(
                out,
                "events lost    {} (the reader fell behind)",
                self.events_lost
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_counts_outcomes_and_percentiles() {
        let stats = Stats::new();
        let start = Instant::now();
        for i in 0..100u64 {
            stats.placed(start + Duration::from_millis(10 * i), Duration::ZERO);
            stats.answered();
            stats.ended(Outcome::Completed {
                setup: Duration::from_millis(i + 1),
                cause: "NORMAL_CLEARING".into(),
                bridged: false,
            });
        }
        stats.ended(Outcome::Failed {
            cause: "USER_BUSY".into(),
        });
        let report = stats.report(
            Target {
                addr: "a".into(),
                url: "loopback/9196".into(),
                target: "&park".into(),
                rate: 100.0,
                max_concurrent: 10,
                total: Some(101),
                duration_s: None,
                hold_ms: 0,
            },
            Duration::from_secs(1),
            false,
        );
        assert_eq!(
            (report.completed, report.failed, report.peak_up),
            (100, 1, 1)
        );
        assert!((report.achieved_rate - 100.0).abs() < 0.01);
        assert!((report.setup_latency_ms.p50 - 50.0).abs() < 0.1);
        assert!((report.setup_latency_ms.p99 - 99.0).abs() < 0.1);
        assert!((report.setup_latency_ms.max - 100.0).abs() < 0.1);
        assert_eq!(report.failures["USER_BUSY"], 1);
        assert_eq!(stats.failure_summary(), "USER_BUSY 1");
        assert_eq!(report.hangup_causes["NORMAL_CLEARING"], 100);
        let text = report.text();
        assert!(
            text.contains("p99 99.") && text.contains("USER_BUSY 1"),
            "{text}"
        );
    }
}
