//! `esl events`: tail the switch's events, one JSON object (or one readable line) each.
//!
//! The connection reconnects when lost and the library replays the subscription and
//! filters; a gap marker line says where events may be missing (a reconnection, or a reader
//! that fell behind the switch).

use std::io::{BufWriter, Write};

use esl_tokio::esl_proto::EventFormat;
use esl_tokio::Incoming;

use crate::conn::{ConnectArgs, Needs};
use crate::failure::{self, Failure};
use crate::render;

/// Options of `esl events`.
#[derive(clap::Args, Debug)]
pub(crate) struct EventsArgs {
    /// Event names to subscribe to (`CHANNEL_CREATE`, `CUSTOM conference::maintenance`, ...).
    #[arg(value_name = "NAMES", default_value = "ALL")]
    names: Vec<String>,

    /// The format the switch sends events in (what is printed is the same).
    #[arg(long, short = 'f', value_enum, default_value_t = WireFormat::Plain)]
    format: WireFormat,

    /// Only events whose HEADER has VALUE (the switch's `filter`; several are or-ed, as the
    /// switch does).
    #[arg(long = "filter", value_name = "HEADER=VALUE", value_parser = filter)]
    filters: Vec<(String, String)>,

    /// Stop after this many events.
    #[arg(long, short = 'n', value_name = "N")]
    count: Option<u64>,

    /// How events are printed.
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Json)]
    output: Output,

    /// Events held while the output is slower than the switch; beyond that the newest are
    /// dropped and a gap line says how many.
    #[arg(long, default_value_t = 64 * 1024, value_name = "EVENTS")]
    buffer: usize,

    /// Run this api command once subscribed (repeatable), e.g. what triggers the events
    /// you want to watch; its output goes to standard error.
    #[arg(long, value_name = "COMMAND")]
    exec: Vec<String>,
}

/// How the switch sends events.
#[derive(clap::ValueEnum, Debug, Clone, Copy)]
enum WireFormat {
    Plain,
    Json,
    Xml,
}

impl From<WireFormat> for EventFormat {
    fn from(format: WireFormat) -> EventFormat {
        match format {
            WireFormat::Plain => EventFormat::Plain,
            WireFormat::Json => EventFormat::Json,
            WireFormat::Xml => EventFormat::Xml,
        }
    }
}

/// How events are printed.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    /// One JSON object per line, every header decoded, the body under `_body`; gaps as
    /// `{"gap":"lost","events":N}` or `{"gap":"reconnected"}`.
    Json,
    /// One readable line per event.
    Text,
}

fn filter(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((header, value)) if !header.trim().is_empty() => {
            Ok((header.trim().to_owned(), value.to_owned()))
        }
        _ => Err(format!("`{text}`: write HEADER=VALUE")),
    }
}

/// Runs the tail until `--count` events, Ctrl-C, or the end of the connection.
pub(crate) async fn run(connect: &ConnectArgs, args: EventsArgs) -> Result<(), Failure> {
    let conn = connect
        .connect(Needs {
            reconnect: true,
            // A tail that falls behind drops the newest and says so (FreeSWITCH would drop
            // a listener that held it back); a deep queue rides out a slow terminal.
            event_capacity: Some(args.buffer.max(1)),
        })
        .await?;
    let mut stream = conn.client.events();
    for (header, value) in &args.filters {
        conn.client
            .filter(header, value)
            .await
            .map_err(|e| conn.fail(&e, &format!("filter {header} {value}")))?;
    }
    let names: Vec<&str> = args.names.iter().map(String::as_str).collect();
    conn.client
        .subscribe(args.format.into(), &names)
        .await
        .map_err(|e| conn.fail(&e, &format!("event {}", names.join(" "))))?;
    for command in args.exec {
        let conn = conn.clone();
        tokio::spawn(async move {
            match conn.client.api(&command).await {
                Ok(output) => eprintln!("esl: {command}: {}", output.trim_end()),
                Err(e) => eprintln!(
                    "esl: {}",
                    conn.fail(&e, &format!("api {command}"))
                        .message()
                        .unwrap_or_default()
                ),
            }
        });
    }
    let mut out = BufWriter::with_capacity(64 * 1024, std::io::stdout());
    let mut seen = 0u64;
    let limit = args.count.unwrap_or(u64::MAX);
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let written: std::io::Result<()> = 'tail: loop {
        let first = tokio::select! {
            item = stream.recv() => item,
            _ = &mut interrupted => break 'tail Ok(()),
        };
        let Some(first) = first else {
            // The connection ended for good (closed by the switch, or reconnecting gave up).
            let _ = out.flush();
            conn.close().await;
            return Err(Failure::new(
                failure::UNREACHABLE,
                format!("the connection to {} ended", connect.addr),
            ));
        };
        // Write what is already queued in one go, then flush once.
        let mut item = Some(first);
        while let Some(next) = item {
            if let Err(e) = print_item(&mut out, next, args.output, &mut seen) {
                break 'tail Err(e);
            }
            if seen >= limit {
                break 'tail Ok(());
            }
            item = stream.try_recv();
        }
        if let Err(e) = out.flush() {
            break 'tail Err(e);
        }
    };
    let written = written.and_then(|()| out.flush());
    drop(stream);
    conn.close().await;
    render::finish_write(written)
}

/// Prints one item; counts events.
fn print_item(
    out: &mut impl Write,
    item: Incoming,
    output: Output,
    seen: &mut u64,
) -> std::io::Result<()> {
    match (item, output) {
        (Incoming::Event(event), Output::Json) => {
            *seen += 1;
            render::write_json(out, &event)
        }
        (Incoming::Event(event), Output::Text) => {
            *seen += 1;
            writeln!(out, "{}", render::text_line(&event))
        }
        (Incoming::Gap(gap), Output::Json) => writeln!(out, "{}", render::gap_json(gap)),
        (Incoming::Gap(gap), Output::Text) => writeln!(out, "{}", render::gap_text(gap)),
        (Incoming::Notice(notice), _) => {
            eprintln!("esl: {}", render::notice_text(&notice));
            Ok(())
        }
        // Log lines come only after `log`, which this command does not send.
        _ => Ok(()),
    }
}
