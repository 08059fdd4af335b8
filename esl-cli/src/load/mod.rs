//! `esl load`: a load generator in the manner of switchio's `dial`.
//!
//! Calls leave on a schedule kept against the clock: call `i` is due at `start + i / rate`,
//! so timer and runtime delays never accumulate into drift. A call due while
//! `--max-concurrent` calls are in progress waits for a slot, and the schedule moves back by
//! that wait instead of catching up in a burst (the report counts such calls as throttled).
//!
//! Each call is an `originate` sent with `bgapi`, its uuid chosen here
//! (`origination_uuid`) so that its events are recognised from the first. Every call also
//! carries `esl_load_run=<run id>`, and the connection filters on it, so that on a busy
//! switch the run receives its own calls' events only. A call is followed by its events
//! (`CHANNEL_ANSWER`, `CHANNEL_BRIDGE`, `CHANNEL_HANGUP_COMPLETE`): setup latency runs from
//! the originate to the answer; an answered call is held for `--hold`, then hung up with
//! `uuid_kill`, and counted completed with its hangup cause; a call that never came up is
//! counted failed with its cause. Ctrl-C stops placing calls and hangs up every call placed
//! (a second Ctrl-C quits at once).

mod call;
mod progress;
mod stats;

use std::sync::Arc;
use std::time::Duration;

use esl_tokio::esl_proto::EventFormat;
use esl_tokio::{EventStream, Gap, Incoming};
use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;

use self::call::{cancelled, Plan, Router};
use self::progress::{Goal, Progress};
use self::stats::{Stats, Target};
use crate::conn::{duration, ConnectArgs, Needs};
use crate::failure::{self, Failure};
use crate::render;
use crate::vars::{self, Var};

/// Options of `esl load`.
#[derive(clap::Args, Debug)]
pub(crate) struct LoadArgs {
    /// Calls per second.
    #[arg(long, short = 'r', default_value_t = 10.0)]
    rate: f64,

    /// Calls in progress at once, at most.
    #[arg(long, short = 'c', default_value_t = 200, value_name = "N")]
    max_concurrent: usize,

    /// Place this many calls, then stop [default: until Ctrl-C, or --duration].
    #[arg(long, short = 'n', conflicts_with = "duration", value_name = "N")]
    total: Option<u64>,

    /// Place calls for this long (`30s`, `5m`), then stop.
    #[arg(long, short = 'd', value_parser = duration, value_name = "DURATION")]
    duration: Option<Duration>,

    /// How long an answered call is held before it is hung up.
    #[arg(long, default_value = "1s", value_parser = duration, value_name = "DURATION")]
    hold: Duration,

    /// A channel variable of every call, NAME=VALUE (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = vars::parse)]
    vars: Vec<Var>,

    /// Print the full report as one JSON object.
    #[arg(long)]
    json: bool,

    /// No progress on standard error.
    #[arg(long, short = 'q')]
    quiet: bool,

    /// The dial string.
    #[arg(default_value = "loopback/9196")]
    url: String,

    /// Where answered calls go: an application (`&park`, `&echo`) or an extension.
    #[arg(default_value = "&park")]
    target: String,
}

/// Why placing calls stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// The total or duration was reached.
    Done,
    /// Ctrl-C.
    Interrupted,
    /// The connection was lost.
    Lost,
}

/// Runs a load.
pub(crate) async fn run(connect: &ConnectArgs, args: LoadArgs) -> Result<(), Failure> {
    if !(args.rate > 0.0 && args.rate.is_finite()) {
        return Err(Failure::usage("--rate must be a positive number"));
    }
    let max_concurrent = u32::try_from(args.max_concurrent)
        .ok()
        .filter(|&n| n > 0 && (n as usize) < Semaphore::MAX_PERMITS)
        .ok_or_else(|| Failure::usage("--max-concurrent must be between 1 and 2^29"))?;
    let conn = connect
        .connect(Needs {
            reconnect: false,
            event_capacity: Some(256 * 1024),
        })
        .await?;
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    let stream = conn.client.events();
    conn.client
        .filter("variable_esl_load_run", &run_id)
        .await
        .map_err(|e| conn.fail(&e, "filter variable_esl_load_run"))?;
    conn.client
        .subscribe(EventFormat::Plain, call::EVENTS)
        .await
        .map_err(|e| conn.fail(&e, "subscribing to channel events"))?;
    let mut all_vars = vec![("esl_load_run", run_id.as_str())];
    all_vars.extend(
        args.vars
            .iter()
            .map(|v| (v.name.as_str(), v.value.as_str())),
    );
    let braces = vars::prefix(all_vars);
    let plan = Arc::new(Plan {
        client: conn.client.clone(),
        router: Router::default(),
        stats: Stats::new(),
        vars: braces[1..braces.len() - 1].to_owned(),
        url: args.url.clone(),
        target: args.target.clone(),
        hold: args.hold,
        hangup_wait: connect.timeout.unwrap_or(Duration::from_secs(10)),
    });
    let dispatcher = tokio::spawn(dispatch(stream, plan.clone()));
    let (cancel_tx, cancel) = watch::channel(false);
    let signals = tokio::spawn(watch_interrupts(cancel_tx));
    let goal = match (args.total, args.duration) {
        (Some(n), _) => Goal::Total(n),
        (None, Some(d)) => Goal::Duration(d),
        (None, None) => Goal::Open,
    };
    if !args.quiet {
        eprintln!(
            "esl load: {} calls/s to {} {} on {} (Ctrl-C stops and hangs up)",
            args.rate, args.url, args.target, conn.addr
        );
    }
    let progress = Progress::start(plan.clone(), goal, args.quiet);
    let slots = Arc::new(Semaphore::new(max_concurrent as usize));
    let start = Instant::now();
    let stop = schedule(&plan, &args, &slots, cancel.clone()).await;
    // Every call holds a slot until it has ended.
    let _all = slots.acquire_many(max_concurrent).await;
    let elapsed = start.elapsed();
    drop(progress);
    let interrupted = stop == Stop::Interrupted || *cancel.borrow();
    let report = plan.stats.report(
        Target {
            addr: conn.addr.clone(),
            url: args.url.clone(),
            target: args.target.clone(),
            rate: args.rate,
            max_concurrent: args.max_concurrent,
            total: args.total,
            duration_s: args.duration.map(|d| d.as_secs_f64()),
            hold_ms: u64::try_from(args.hold.as_millis()).unwrap_or(u64::MAX),
        },
        elapsed,
        interrupted,
    );
    dispatcher.abort();
    signals.abort();
    conn.close().await;
    if args.json {
        render::print(&serde_json::to_string(&report).unwrap_or_default())?;
    } else {
        render::print(&report.text())?;
    }
    if stop == Stop::Lost {
        return Err(Failure::new(
            failure::UNREACHABLE,
            format!("lost the connection to {}", conn.addr),
        ));
    }
    if interrupted {
        return Err(Failure::quiet(failure::INTERRUPTED));
    }
    if report.failed > 0 {
        return Err(Failure::quiet(failure::REFUSED));
    }
    Ok(())
}

/// Places calls on schedule until the goal, Ctrl-C, or the connection's end.
async fn schedule(
    plan: &Arc<Plan>,
    args: &LoadArgs,
    slots: &Arc<Semaphore>,
    mut cancel: watch::Receiver<bool>,
) -> Stop {
    let start = Instant::now();
    let end = args.duration.map(|d| start + d);
    let mut anchor = start;
    let mut i: u64 = 0;
    loop {
        if args.total.is_some_and(|total| i >= total) {
            return Stop::Done;
        }
        // From the anchor each time, never by adding periods: no rounding accumulates.
        let mut due = anchor + Duration::from_secs_f64(i as f64 / args.rate);
        if end.is_some_and(|end| due >= end) {
            return Stop::Done;
        }
        tokio::select! {
            () = tokio::time::sleep_until(due) => {}
            () = cancelled(&mut cancel) => return Stop::Interrupted,
        }
        let permit = match slots.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                plan.stats.throttled();
                let waiting = Instant::now();
                let permit = tokio::select! {
                    permit = slots.clone().acquire_owned() => permit,
                    () = cancelled(&mut cancel) => return Stop::Interrupted,
                };
                let Ok(permit) = permit else {
                    return Stop::Done;
                };
                // No burst to catch up: the rest of the schedule moves back by the wait.
                let waited = waiting.elapsed();
                anchor += waited;
                due += waited;
                permit
            }
        };
        if !plan.client.is_connected() {
            return Stop::Lost;
        }
        let now = Instant::now();
        plan.stats.placed(now, now.saturating_duration_since(due));
        tokio::spawn(call::place(plan.clone(), permit, cancel.clone()));
        i += 1;
    }
}

/// Hands every event to its call.
async fn dispatch(mut stream: EventStream, plan: Arc<Plan>) {
    while let Some(item) = stream.recv().await {
        match item {
            Incoming::Event(event) => plan.router.deliver(&event),
            Incoming::Gap(Gap::Lost(n)) => plan.stats.events_lost(n),
            _ => {}
        }
    }
}

/// The first Ctrl-C stops the run (calls are hung up); the second quits at once.
async fn watch_interrupts(cancel: watch::Sender<bool>) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    let _ = cancel.send(true);
    eprintln!("esl load: stopping; hanging up the calls placed (Ctrl-C again quits at once)");
    if tokio::signal::ctrl_c().await.is_ok() {
        eprintln!("esl load: quitting; calls placed may still be up");
        std::process::exit(i32::from(failure::INTERRUPTED));
    }
}
