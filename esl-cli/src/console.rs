//! The interactive console (`esl api` or `esl bgapi` with no command), in the manner of
//! `fs_cli`: line editing and history, every line run as an api (or bgapi) command, and
//! slash commands for the socket itself (`/log`, `/event`, `/filter`, `/exit`, ...). Events and
//! log lines asked for with `/event` and `/log` print above the prompt as they arrive.
//!
//! Standard input need not be a terminal: `esl api < commands.txt` runs each line, and exits
//! 1 if any was refused.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use esl_tokio::esl_proto::{Command, EventFormat, LogLevel};
use esl_tokio::Incoming;
use rustyline::error::ReadlineError;
use rustyline::{DefaultEditor, ExternalPrinter};
use tokio::runtime::Runtime;

use crate::api::{self, Mode};
use crate::conn::{Conn, ConnectArgs, Needs};
use crate::failure::{self, Failure};
use crate::render;

const HELP: &str = "\
Lines run as api commands (bgapi in `esl bgapi`). Console commands:
  /api <command>             run with api
  /bgapi <command>           run with bgapi, print the job's output when it completes
  /event [plain|json|xml] [NAMES...]   show events (default ALL)
  /nixevent NAMES...         stop showing these events
  /noevents                  stop showing events
  /filter <header> <value>   only events with this header value
  /filter delete <header> [<value>]
  /log [level]               show the switch's log lines (default debug)
  /nolog                     stop showing log lines
  /help                      this text
  /exit, /quit, /bye         leave (so does Ctrl-D)";

/// What the loop does after a line.
enum Step {
    Continue,
    Exit,
}

/// Prints lines above the prompt (events, log lines) while the editor reads.
type Printer = Arc<Mutex<Option<Box<dyn ExternalPrinter + Send>>>>;

/// Runs the console until `/exit` or the end of input.
pub(crate) fn run(runtime: &Runtime, connect: &ConnectArgs, mode: Mode) -> Result<(), Failure> {
    let conn = runtime.block_on(connect.connect(Needs {
        reconnect: true,
        ..Needs::default()
    }))?;
    let mut editor = DefaultEditor::new()
        .map_err(|e| Failure::new(failure::REFUSED, format!("cannot start the console: {e}")))?;
    let interactive = std::io::stdin().is_terminal();
    let history = history_file().filter(|_| interactive);
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    let printer: Printer = Arc::new(Mutex::new(
        editor
            .create_external_printer()
            .ok()
            .filter(|_| interactive)
            .map(|p| Box::new(p) as Box<dyn ExternalPrinter + Send>),
    ));
    runtime.spawn(show_events(conn.clone(), printer));
    if interactive {
        eprintln!(
            "Connected to {}. Lines run as {}; /help lists console commands; /exit or Ctrl-D leaves.",
            conn.addr,
            mode.keyword()
        );
    }
    let prompt = format!("esl@{}> ", conn.addr);
    let mut refused = false;
    let result = loop {
        match editor.readline(&prompt) {
            Ok(line) => {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(line);
                match runtime.block_on(handle(&conn, mode, line)) {
                    Ok(Step::Continue) => {}
                    Ok(Step::Exit) => break Ok(()),
                    Err(failure) => {
                        refused = true;
                        if let Some(message) = failure.message() {
                            eprintln!("esl: {message}");
                        }
                    }
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break Ok(()),
            Err(e) => {
                break Err(Failure::new(
                    failure::REFUSED,
                    format!("reading the console: {e}"),
                ))
            }
        }
    };
    if let Some(path) = &history {
        let _ = editor.save_history(path);
    }
    runtime.block_on(conn.close());
    match result {
        Ok(()) if refused && !interactive => Err(Failure::quiet(failure::REFUSED)),
        other => other,
    }
}

/// `~/.esl_history`.
fn history_file() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".esl_history"))
}

/// Prints what the event stream brings, above the prompt when there is one.
async fn show_events(conn: Conn, printer: Printer) {
    let mut stream = conn.client.events();
    drop(conn);
    while let Some(item) = stream.recv().await {
        let line = match item {
            Incoming::Event(event) => render::text_line(&event),
            Incoming::Log(log) => render::log_text(&log),
            Incoming::Notice(notice) => render::notice_text(&notice),
            Incoming::Gap(gap) => render::gap_text(gap),
            // Only a call table's stream carries anything else.
            _ => continue,
        };
        let mut printer = printer.lock().unwrap_or_else(|e| e.into_inner());
        let printed = printer
            .as_mut()
            .is_some_and(|p| p.print(format!("{line}\n")).is_ok());
        if !printed {
            let _ = render::print(&line);
        }
    }
}

/// Runs one line.
async fn handle(conn: &Conn, mode: Mode, line: &str) -> Result<Step, Failure> {
    let Some(slash) = line.strip_prefix('/') else {
        return run_command(conn, mode, line).await;
    };
    let (word, rest) = slash.split_once(' ').unwrap_or((slash, ""));
    let rest = rest.trim();
    let client = &conn.client;
    let words: Vec<&str> = rest.split_whitespace().collect();
    let result = match word {
        "exit" | "quit" | "bye" => return Ok(Step::Exit),
        "help" => {
            render::print(HELP)?;
            return Ok(Step::Continue);
        }
        "api" | "bgapi" if rest.is_empty() => {
            return Err(Failure::usage(format!("/{word} needs a command")))
        }
        "api" => return run_command(conn, Mode::Api, rest).await,
        "bgapi" => return run_command(conn, Mode::Bgapi, rest).await,
        "log" => {
            let text = if rest.is_empty() { "debug" } else { rest };
            let level = LogLevel::parse(text)
                .ok_or_else(|| Failure::usage(format!("`{text}` is not a log level")))?;
            client.log(level).await.map(drop)
        }
        "nolog" => client.command(Command::NoLog).await.map(drop),
        "event" => {
            let (format, names) = match words.split_first() {
                Some((first, rest)) => match EventFormat::parse(first) {
                    Some(format) => (format, rest),
                    None => (EventFormat::Plain, &words[..]),
                },
                None => (EventFormat::Plain, &words[..]),
            };
            let names: Vec<&str> = if names.is_empty() {
                vec!["ALL"]
            } else {
                names.to_vec()
            };
            client.subscribe(format, &names).await
        }
        "nixevent" if words.is_empty() => {
            return Err(Failure::usage("/nixevent needs event names"))
        }
        "nixevent" => client.unsubscribe(&words).await,
        "noevents" => client.unsubscribe_all().await,
        "filter" => match words.as_slice() {
            ["delete", header] => client.filter_delete(header, None).await,
            ["delete", header, value @ ..] => {
                client.filter_delete(header, Some(&value.join(" "))).await
            }
            [header, value @ ..] if !value.is_empty() => {
                client.filter(header, &value.join(" ")).await
            }
            _ => {
                return Err(Failure::usage(
                    "/filter <header> <value>, or /filter delete <header> [<value>]",
                ))
            }
        },
        other => {
            return Err(Failure::usage(format!(
                "unknown console command /{other}; /help lists them"
            )))
        }
    };
    match result {
        Ok(()) => {
            render::print("+OK")?;
            Ok(Step::Continue)
        }
        Err(e) => Err(conn.fail(&e, line)),
    }
}

/// Runs `line` with `mode` and prints its output, or the switch's refusal.
async fn run_command(conn: &Conn, mode: Mode, line: &str) -> Result<Step, Failure> {
    let outcome = api::execute(conn, mode, line).await?;
    match outcome.result {
        Ok(output) => {
            render::print(&output)?;
            Ok(Step::Continue)
        }
        Err(refusal) => {
            render::print(&refusal)?;
            Err(Failure::quiet(failure::REFUSED))
        }
    }
}
