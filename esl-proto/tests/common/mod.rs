//! What the connection tests share: a scripted switch's side of the conversation.

#![allow(dead_code)]

use esl_proto::server::{self, CommandReader};
use esl_proto::{Auth, Command, Connection, Event, Limits, Output, RequestId};

pub(crate) const AUTH_REQUEST: &[u8] = b"Content-Type: auth/request\n\n";

/// Every output the connection has now.
pub(crate) fn outputs(conn: &mut Connection) -> Vec<Output> {
    let mut out = Vec::new();
    while let Some(o) = conn.poll_output().expect("no fatal error") {
        out.push(o);
    }
    out
}

/// What the connection wrote, as parsed commands.
pub(crate) fn sent(conn: &mut Connection) -> Vec<Command> {
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

/// An inbound connection past its handshake, nothing else sent.
pub(crate) fn ready() -> Connection {
    let mut conn = Connection::inbound(Auth::Password("ClueCon".into()));
    conn.receive(AUTH_REQUEST);
    outputs(&mut conn);
    assert_eq!(sent(&mut conn), [Command::auth("ClueCon")]);
    conn.receive(&server::encode_command_reply("+OK accepted"));
    assert!(matches!(outputs(&mut conn)[..], [Output::Ready(_)]));
    conn
}

/// The one terminal output of `id` (fails if there is not exactly one).
pub(crate) fn terminal(outputs: &[Output], id: RequestId) -> &Output {
    let found: Vec<_> = outputs
        .iter()
        .filter(|o| matches!(o, Output::Response { id: i, .. } | Output::Failed { id: i, .. } if *i == id))
        .collect();
    assert_eq!(found.len(), 1, "{id}: {outputs:#?}");
    found[0]
}

/// A `BACKGROUND_JOB` for `uuid` with `body` as the command's output.
pub(crate) fn job_event(uuid: &str, body: &str) -> Event {
    Event::builder("BACKGROUND_JOB")
        .header("Job-UUID", uuid)
        .header("Job-Command", "status")
        .body(body)
        .build()
}

/// The text of `id`'s result, or `Err` with its failure.
pub(crate) fn result_text(outputs: &[Output], id: RequestId) -> Result<String, String> {
    match terminal(outputs, id) {
        Output::Response { response, .. } => Ok(response.text()),
        Output::Failed { error, .. } => Err(error.to_string()),
        _ => unreachable!(),
    }
}
