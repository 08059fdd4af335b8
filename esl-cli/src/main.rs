//! `esl`: FreeSWITCH's Event Socket from the command line, built on `esl-tokio`.
//!
//! ```text
//! esl sim &                                  # a simulated switch on 127.0.0.1:8021
//! esl api status                             # one api command; `esl api` alone is a console
//! esl events CHANNEL_CREATE CHANNEL_HANGUP   # events as JSON lines
//! esl calls                                  # the live table of channels, calls, conferences
//! esl load --rate 50 --total 1000            # a load generator, with latency percentiles
//! ```
//!
//! See `esl-cli/README.md` for what each prints, and `esl help <command>` for every option.

// A command-line tool's output is its product: printing to stdout and stderr is the point.
#![allow(clippy::print_stdout, clippy::print_stderr)]
#![forbid(unsafe_code)]

mod api;
mod calls;
mod completions;
mod conn;
mod console;
mod events;
mod failure;
mod load;
mod originate;
mod render;
mod sim;
mod vars;

use std::process::ExitCode;

use clap::{ArgAction, Parser, Subcommand};

use crate::conn::ConnectArgs;

/// FreeSWITCH's Event Socket from the command line.
#[derive(Parser, Debug)]
#[command(name = "esl", version, propagate_version = true)]
#[command(
    about = "FreeSWITCH Event Socket from the command line: api console, event tail, live calls, originate, load generator, simulated switch",
    after_help = "Exit codes: 0 done; 1 the switch refused (-ERR, failed calls); 2 bad usage; \
                  3 switch unreachable or not answering; 4 credentials refused; 130 Ctrl-C."
)]
pub(crate) struct Cli {
    #[command(flatten)]
    connect: ConnectArgs,

    /// Log what the library does on standard error (-v info, -vv debug, -vvv trace);
    /// RUST_LOG overrides.
    #[arg(short, long, global = true, action = ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run an api command and print its output; with no command, an interactive console.
    Api(api::ApiArgs),
    /// Run a command in the background (bgapi) and print its output when its job completes;
    /// with no command, a console that runs every line with bgapi.
    Bgapi(api::ApiArgs),
    /// Print events as JSON lines (or one readable line each) as they arrive.
    Events(events::EventsArgs),
    /// The live table of channels, calls (bridged legs together) and conferences.
    Calls(calls::CallsArgs),
    /// Originate a call and print the new channel's uuid (or the hangup cause).
    Originate(originate::OriginateArgs),
    /// Place calls at a steady rate, follow them, and report setup latency and failures.
    Load(load::LoadArgs),
    /// Run a simulated FreeSWITCH on a local port until Ctrl-C.
    Sim(sim::SimArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("esl: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let connect = cli.connect;
    let result = match cli.command {
        Command::Api(args) => api::run(&runtime, &connect, args, api::Mode::Api),
        Command::Bgapi(args) => api::run(&runtime, &connect, args, api::Mode::Bgapi),
        Command::Events(args) => runtime.block_on(events::run(&connect, args)),
        Command::Calls(args) => runtime.block_on(calls::run(&connect, args)),
        Command::Originate(args) => runtime.block_on(originate::run(&connect, args)),
        Command::Load(args) => runtime.block_on(load::run(&connect, args)),
        Command::Sim(args) => runtime.block_on(sim::run(&connect, args)),
        Command::Completions(args) => completions::run(args),
    };
    // Tasks still waiting (a reconnecting client, a signal listener) must not hold the exit.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if let Some(message) = failure.message() {
                eprintln!("esl: {message}");
            }
            ExitCode::from(failure.code())
        }
    }
}

/// Library logs on standard error: warnings by default (a lost connection, a reconnect).
fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "warn,esl_async={level},esl_tokio={level},esl_proto={level}"
        ))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
