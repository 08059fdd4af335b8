//! A scripted switch for the connection tests: what the connection wrote, what it handed
//! out, and the events a switch sends to end jobs and executes.

#![allow(dead_code, unreachable_pub)]

pub mod engine;

use esl_proto::server::{self, CommandReader};
use esl_proto::{
    Auth, CallCommand, Command, Connection, Event, EventFormat, Execute, Limits, Output, RequestId,
    SendMsg,
};

/// What a switch writes first on an inbound connection.
pub const AUTH_REQUEST: &[u8] = b"Content-Type: auth/request\n\n";

/// Every output the connection has now.
pub fn outputs(conn: &mut Connection) -> Vec<Output> {
    let mut out = Vec::new();
    while let Some(o) = conn.poll_output().expect("no fatal error") {
        out.push(o);
    }
    out
}

/// What the connection wrote, as parsed commands.
pub fn sent(conn: &mut Connection) -> Vec<Command> {
    let mut reader = CommandReader::new(Limits::default());
    while let Some(bytes) = conn.poll_transmit() {
        reader.push(&bytes);
    }
    let mut commands = Vec::new();
    while let Some(c) = reader.next_command().unwrap() {
        commands.push(c.parse());
    }
    commands
}

/// An inbound connection past `auth`.
pub fn ready() -> Connection {
    let mut conn = Connection::inbound(Auth::Password("ClueCon".into()));
    conn.receive(&server::encode_auth_request());
    outputs(&mut conn);
    assert_eq!(sent(&mut conn), [Command::auth("ClueCon")]);
    conn.receive(&server::encode_command_reply("+OK accepted"));
    assert!(matches!(outputs(&mut conn)[..], [Output::Ready(_)]));
    conn
}

/// A ready connection that subscribes to nothing on its own, so that every reply it reads
/// answers a command of the test.
pub fn quiet() -> Connection {
    ready().with_auto_subscribe(false)
}

/// The one terminal output of `id` (panics if there is none or more than one).
pub fn terminal(outputs: &[Output], id: RequestId) -> &Output {
    let found: Vec<_> = outputs
        .iter()
        .filter(|o| matches!(o, Output::Response { id: i, .. } | Output::Failed { id: i, .. } if *i == id))
        .collect();
    assert_eq!(found.len(), 1, "{id}: {outputs:#?}");
    found[0]
}

/// The ids that ended in `outputs`, in order.
pub fn ended(outputs: &[Output]) -> Vec<RequestId> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Response { id, .. } | Output::Failed { id, .. } => Some(*id),
            _ => None,
        })
        .collect()
}

/// The text of `id`'s result (panics if it failed or did not end).
pub fn result_text(outputs: &[Output], id: RequestId) -> String {
    match terminal(outputs, id) {
        Output::Response { response, .. } => response.text(),
        other => panic!("{id} did not succeed: {other:?}"),
    }
}

/// The text of `id`'s result, or `Err` with its failure (panics if it did not end).
pub fn outcome_text(outputs: &[Output], id: RequestId) -> Result<String, String> {
    match terminal(outputs, id) {
        Output::Response { response, .. } => Ok(response.text()),
        Output::Failed { error, .. } => Err(error.to_string()),
        _ => unreachable!(),
    }
}

/// A `BACKGROUND_JOB` for `uuid` whose output is `body`.
pub fn job_event(uuid: &str, body: &str) -> Event {
    Event::builder("BACKGROUND_JOB")
        .header("Job-UUID", uuid)
        .header("Job-Command", "status")
        .body(body)
        .build()
}

/// `sendmsg <channel>` executing `app`, with `Event-UUID: <event_uuid>` when given.
pub fn execute(channel: &str, app: &str, event_uuid: Option<&str>) -> Command {
    let mut exec = Execute::new(app, Some(format!("{app}-arg")));
    exec.event_uuid = event_uuid.map(str::to_owned);
    Command::SendMsg(SendMsg {
        uuid: Some(channel.into()),
        command: CallCommand::Execute(exec),
        headers: vec![],
    })
}

/// A `CHANNEL_EXECUTE` or `CHANNEL_EXECUTE_COMPLETE` of `app` on `channel`.
pub fn execute_event(name: &str, channel: &str, app: &str, app_uuid: &str) -> Event {
    Event::builder(name)
        .header("Unique-ID", channel)
        .header("Application", app)
        .header("Application-UUID", app_uuid)
        .header("Application-Response", format!("done {app_uuid}"))
        .build()
}

/// Feeds `event` as the switch writes it.
pub fn deliver(conn: &mut Connection, event: &Event) {
    conn.receive(&server::encode_event(event, EventFormat::Plain));
}
