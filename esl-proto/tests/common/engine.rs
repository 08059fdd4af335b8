//! What every engine test reads back: the actions it was handed and the commands it wrote.

use esl_proto::client::{Action, Engine};
use esl_proto::server::CommandReader;
use esl_proto::{Command, Limits};

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
