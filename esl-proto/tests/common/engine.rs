//! What every engine test reads back: the actions it was handed and the commands it wrote.

use std::time::Instant;

use esl_proto::client::{Action, ClientConfig, Engine};
use esl_proto::server::{self, CommandReader};
use esl_proto::{Command, Limits};

/// An inbound engine past its handshake at `now`, what it handed out and wrote so far taken.
pub fn ready<W: Clone, H: Clone, S: Clone>(config: ClientConfig, now: Instant) -> Engine<W, H, S> {
    let mut engine = Engine::inbound(config, now);
    engine.poll_action();
    engine.connected(now);
    engine.receive(now, &server::encode_auth_request());
    engine.receive(now, &server::encode_command_reply("+OK accepted"));
    actions(&mut engine);
    sent(&mut engine);
    engine
}

/// Auth asked and accepted (the password is `ClueCon`); the commands written after `auth`.
pub fn handshake<W: Clone, H: Clone, S: Clone>(
    engine: &mut Engine<W, H, S>,
    now: Instant,
) -> Vec<Command> {
    engine.receive(now, &server::encode_auth_request());
    engine.receive(now, &server::encode_command_reply("+OK accepted"));
    let mut written = sent(engine);
    assert_eq!(written.remove(0), Command::auth("ClueCon"));
    written
}

/// Every action the engine has now.
pub fn actions<W: Clone, H: Clone, S: Clone>(engine: &mut Engine<W, H, S>) -> Vec<Action<W, H>> {
    std::iter::from_fn(|| engine.poll_action()).collect()
}

/// What the engine wrote, as parsed commands.
pub fn sent<W: Clone, H: Clone, S: Clone>(engine: &mut Engine<W, H, S>) -> Vec<Command> {
    let mut reader = CommandReader::new(Limits::default());
    while let Some(bytes) = engine.poll_transmit() {
        reader.push(&bytes);
    }
    std::iter::from_fn(|| reader.next_command().unwrap().map(|c| c.parse())).collect()
}
