//! Progress while a load runs: a bar on a terminal, a line a second otherwise.

use std::io::IsTerminal;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::time::Instant;

use super::call::Plan;

/// Shows progress until dropped.
pub(crate) struct Progress {
    task: tokio::task::JoinHandle<()>,
    bar: Option<ProgressBar>,
}

/// What the bar measures.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Goal {
    /// Calls to finish.
    Total(u64),
    /// Time to place calls for.
    Duration(Duration),
    /// Until Ctrl-C.
    Open,
}

impl Progress {
    /// Starts showing progress on standard error (nothing if `quiet`).
    pub(crate) fn start(plan: Arc<Plan>, goal: Goal, quiet: bool) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let bar = (!quiet && terminal).then(|| {
            let (bar, template) = match goal {
                Goal::Total(n) => (
                    ProgressBar::new(n),
                    "{elapsed_precise} [{bar:30}] {pos}/{len} ended  {msg}",
                ),
                Goal::Duration(d) => (
                    ProgressBar::new(d.as_secs().max(1)),
                    "{elapsed_precise} [{bar:30}] {pos}/{len}s  {msg}",
                ),
                Goal::Open => (
                    ProgressBar::new_spinner(),
                    "{elapsed_precise} {spinner} {msg}",
                ),
            };
            bar.set_draw_target(ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        let shown = bar.clone();
        let start = Instant::now();
        let task = tokio::spawn(async move {
            let every = if shown.is_some() {
                Duration::from_millis(200)
            } else {
                Duration::from_secs(1)
            };
            let mut ticker = tokio::time::interval_at(start + every, every);
            loop {
                ticker.tick().await;
                let line = status(&plan);
                match &shown {
                    Some(bar) => {
                        let stats = &plan.stats;
                        match goal {
                            Goal::Total(_) => bar.set_position(
                                stats.completed.load(Ordering::Relaxed)
                                    + stats.failed.load(Ordering::Relaxed),
                            ),
                            Goal::Duration(_) => bar.set_position(start.elapsed().as_secs()),
                            Goal::Open => bar.tick(),
                        }
                        bar.set_message(line);
                    }
                    None if !quiet => {
                        eprintln!("esl load: {:.0}s {line}", start.elapsed().as_secs_f64())
                    }
                    None => {}
                }
            }
        });
        Progress { task, bar }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `placed 200  up 100  completed 95  failed 2 (USER_BUSY 2)  100.0/s`.
fn status(plan: &Plan) -> String {
    let stats = &plan.stats;
    let placed = stats.placed.load(Ordering::Relaxed);
    let rate = stats.achieved_rate();
    let failed = stats.failed.load(Ordering::Relaxed);
    let causes = if failed > 0 {
        format!(" ({})", stats.failure_summary())
    } else {
        String::new()
    };
    format!(
        "placed {placed}  up {}  completed {}  failed {failed}{causes}  {rate:.1}/s",
        stats.up.load(Ordering::Relaxed),
        stats.completed.load(Ordering::Relaxed),
    )
}
