//! `esl api <command...>` and `esl bgapi <command...>`: one command, its output, an exit code.

use tokio::runtime::Runtime;

use crate::conn::{Conn, ConnectArgs, Needs};
use crate::failure::{self, Failure};
use crate::render;

/// Options of `esl api` and `esl bgapi`.
#[derive(clap::Args, Debug)]
pub(crate) struct ApiArgs {
    /// Print one JSON object: {"command", "ok", "output"} (and "job_uuid" for bgapi).
    #[arg(long)]
    pub(crate) json: bool,

    /// The command and its arguments, sent as one line. Options go before it: everything
    /// from the first word on is the command's. Without one, an interactive console.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub(crate) command: Vec<String>,
}

/// `api` or `bgapi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `api`: the reply is the output.
    Api,
    /// `bgapi`: the switch runs it in the background; the `BACKGROUND_JOB` event carries it.
    Bgapi,
}

impl Mode {
    /// The command's keyword.
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            Mode::Api => "api",
            Mode::Bgapi => "bgapi",
        }
    }
}

/// What one command came to.
pub(crate) struct Outcome {
    /// The output, or the switch's refusal (`-ERR ...`).
    pub(crate) result: Result<String, String>,
    /// The job's uuid (bgapi).
    pub(crate) job_uuid: Option<String>,
}

/// Runs `line` with `mode`. A refusal by the switch is an [`Outcome`]; a failure to talk to
/// it is a [`Failure`].
pub(crate) async fn execute(conn: &Conn, mode: Mode, line: &str) -> Result<Outcome, Failure> {
    let doing = format!("{} {line}", mode.keyword());
    let (result, job_uuid) = match mode {
        Mode::Api => (conn.client.api(line).await, None),
        Mode::Bgapi => match conn.client.bgapi(line).await {
            Ok(job) => {
                let uuid = job.uuid().to_owned();
                (job.output().await, Some(uuid))
            }
            Err(e) => (Err(e), None),
        },
    };
    match result {
        Ok(output) => Ok(Outcome {
            result: Ok(output),
            job_uuid,
        }),
        Err(esl_tokio::Error::Rejected(text)) => Ok(Outcome {
            result: Err(text),
            job_uuid,
        }),
        Err(e) => Err(conn.fail(&e, &doing)),
    }
}

/// `esl api` / `esl bgapi`: one command, or the console when none is given.
pub(crate) fn run(
    runtime: &Runtime,
    connect: &ConnectArgs,
    args: ApiArgs,
    mode: Mode,
) -> Result<(), Failure> {
    if args.command.is_empty() {
        if args.json {
            return Err(Failure::usage(
                "--json needs a command (the console prints as it goes)",
            ));
        }
        return crate::console::run(runtime, connect, mode);
    }
    let line = args.command.join(" ");
    runtime.block_on(async {
        let conn = connect.connect(Needs::default()).await?;
        let outcome = execute(&conn, mode, &line).await;
        conn.close().await;
        report(&line, &outcome?, args.json)
    })
}

/// Prints an outcome: the output on stdout; a refusal on stderr (exit 1); with `json`, one
/// object on stdout either way.
fn report(line: &str, outcome: &Outcome, json: bool) -> Result<(), Failure> {
    if json {
        let (ok, output) = match &outcome.result {
            Ok(output) => (true, output),
            Err(text) => (false, text),
        };
        let mut object = serde_json::json!({ "command": line, "ok": ok, "output": output });
        if let Some(uuid) = &outcome.job_uuid {
            object["job_uuid"] = serde_json::Value::from(uuid.as_str());
        }
        render::print(&object.to_string())?;
        return if ok {
            Ok(())
        } else {
            Err(Failure::quiet(failure::REFUSED))
        };
    }
    match &outcome.result {
        Ok(output) => render::print(output),
        Err(text) => Err(Failure::new(failure::REFUSED, text.trim_end())),
    }
}
