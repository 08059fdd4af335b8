//! `esl calls`: channels, calls (legs together) and conferences, from `esl_proto::Tracker`.
//!
//! It subscribes to the events the tracker reads (every `CHANNEL_*` it uses, including
//! `CHANNEL_DESTROY`, which alone removes a channel, and `CUSTOM conference::maintenance`),
//! then loads what is already up from `show channels as json` and `conference json_list`,
//! and redraws as events arrive. After a gap (a reconnection, or events dropped) it loads
//! the listing again, since the events that would have kept the tables right are gone.

mod snapshot;
mod table;

use std::io::IsTerminal;
use std::time::Duration;

use esl_tokio::esl_proto::track::Tracker;
use esl_tokio::esl_proto::EventFormat;
use esl_tokio::Incoming;
use tokio::time::Instant;

use crate::conn::{duration, Conn, ConnectArgs, Needs};
use crate::failure::{self, Failure};
use crate::render;

use self::snapshot::View;

/// Options of `esl calls`.
#[derive(clap::Args, Debug)]
pub(crate) struct CallsArgs {
    /// Print what is up now and exit.
    #[arg(long)]
    once: bool,

    /// JSON: {"channels", "calls", "conferences"}; once with --once, else one line per
    /// change.
    #[arg(long)]
    json: bool,

    /// Redraw at most this often.
    #[arg(long, default_value = "200ms", value_parser = duration, value_name = "DURATION")]
    interval: Duration,
}

/// What the tracker reads.
const TRACKED: &[&str] = &[
    "CHANNEL_CREATE",
    "CHANNEL_DESTROY",
    "CHANNEL_STATE",
    "CHANNEL_CALLSTATE",
    "CHANNEL_ANSWER",
    "CHANNEL_PROGRESS",
    "CHANNEL_PROGRESS_MEDIA",
    "CHANNEL_HANGUP",
    "CHANNEL_HANGUP_COMPLETE",
    "CHANNEL_EXECUTE",
    "CHANNEL_EXECUTE_COMPLETE",
    "CHANNEL_BRIDGE",
    "CHANNEL_UNBRIDGE",
    "CHANNEL_ORIGINATE",
    "CHANNEL_OUTGOING",
    "CHANNEL_PARK",
    "CHANNEL_UNPARK",
    "CALL_UPDATE",
    "CUSTOM",
    "conference::maintenance",
];

/// Runs `esl calls`.
pub(crate) async fn run(connect: &ConnectArgs, args: CallsArgs) -> Result<(), Failure> {
    let conn = connect
        .connect(Needs {
            reconnect: !args.once,
            event_capacity: Some(64 * 1024),
        })
        .await?;
    let mut tracker = Tracker::new();
    if args.once {
        snapshot::bootstrap(&conn, &mut tracker).await?;
        conn.close().await;
        return if args.json {
            render::print(&to_json(&tracker))
        } else {
            render::print(&table::render(&tracker, &connect.addr, width()))
        };
    }
    // Subscribed before the listing, so nothing that happens in between is missed.
    let mut stream = conn.client.events();
    conn.client
        .subscribe(EventFormat::Plain, TRACKED)
        .await
        .map_err(|e| conn.fail(&e, "subscribing to channel events"))?;
    snapshot::bootstrap(&conn, &mut tracker).await?;
    let screen = Screen::new(args.json);
    screen.enter();
    let result = live(&conn, &mut tracker, &mut stream, &screen, args.interval).await;
    screen.leave();
    drop(stream);
    conn.close().await;
    result
}

/// Where and how the tables are drawn.
struct Screen {
    json: bool,
    /// A terminal: redraw in place on the alternate screen.
    terminal: bool,
}

impl Screen {
    fn new(json: bool) -> Screen {
        Screen {
            json,
            terminal: !json && std::io::stdout().is_terminal(),
        }
    }

    /// Switches to the alternate screen and hides the cursor.
    fn enter(&self) {
        if self.terminal {
            let _ = render::print_raw("\x1b[?1049h\x1b[?25l");
        }
    }

    /// Back to the normal screen, cursor shown.
    fn leave(&self) {
        if self.terminal {
            let _ = render::print_raw("\x1b[?25h\x1b[?1049l");
        }
    }

    fn draw(&self, tracker: &Tracker, addr: &str, note: Option<&str>) -> Result<(), Failure> {
        if self.json {
            return render::print(&to_json(tracker));
        }
        let mut text = table::render(tracker, addr, width());
        if let Some(note) = note {
            text.insert_str(text.find('\n').map_or(0, |i| i + 1), &format!("{note}\n"));
        }
        if self.terminal {
            render::print_raw(&format!("\x1b[H\x1b[2J{text}"))
        } else {
            render::print(&format!("{text}\n"))
        }
    }
}

fn to_json(tracker: &Tracker) -> String {
    serde_json::to_string(&View::of(tracker)).unwrap_or_default()
}

/// The terminal's width, if standard output is one.
fn width() -> Option<u16> {
    let term = console::Term::stdout();
    term.is_term()
        .then(|| term.size_checked())
        .flatten()
        .map(|(_, cols)| cols)
}

async fn live(
    conn: &Conn,
    tracker: &mut Tracker,
    stream: &mut esl_tokio::EventStream,
    screen: &Screen,
    interval: Duration,
) -> Result<(), Failure> {
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let mut dirty = true;
    let mut drawn_at: Option<Instant> = None;
    let mut note: Option<String> = None;
    loop {
        let due = drawn_at.map_or(Instant::now(), |t| t + interval);
        if dirty && Instant::now() >= due {
            let lost = (!conn.client.is_connected()).then(|| {
                format!(
                    "(reconnecting to {}: the tables may be out of date)",
                    conn.addr
                )
            });
            screen.draw(tracker, &conn.addr, lost.as_deref().or(note.as_deref()))?;
            dirty = false;
            drawn_at = Some(Instant::now());
        }
        // Ages move on a terminal even when nothing happens.
        let wake = if dirty {
            due
        } else {
            Instant::now() + Duration::from_secs(1)
        };
        tokio::select! {
            item = stream.recv() => {
                let Some(item) = item else {
                    return Err(Failure::new(
                        failure::UNREACHABLE,
                        format!("the connection to {} ended", conn.addr),
                    ));
                };
                let mut next = Some(item);
                let mut gap = false;
                while let Some(item) = next {
                    match item {
                        Incoming::Event(event) => dirty |= !tracker.update(&event).is_empty(),
                        Incoming::Gap(_) => gap = true,
                        _ => {}
                    }
                    next = stream.try_recv();
                }
                if gap {
                    note = snapshot::bootstrap(conn, tracker)
                        .await
                        .err()
                        .and_then(|f| f.message().map(|m| format!("(out of date: {m})")));
                    dirty = true;
                }
            }
            _ = tokio::time::sleep_until(wake) => dirty |= screen.terminal,
            _ = &mut interrupted => return Ok(()),
        }
    }
}
