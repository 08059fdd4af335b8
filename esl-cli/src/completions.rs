//! `esl completions <shell>`: the shell completion script, from the command definition.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::failure::Failure;

/// Options of `esl completions`.
#[derive(clap::Args, Debug)]
pub(crate) struct CompletionsArgs {
    /// The shell: bash (`esl completions bash > /etc/bash_completion.d/esl`), zsh (into a
    /// directory on `$fpath` as `_esl`), fish (`~/.config/fish/completions/esl.fish`),
    /// elvish, powershell.
    shell: Shell,
}

/// Prints the script.
pub(crate) fn run(args: CompletionsArgs) -> Result<(), Failure> {
    let mut command = crate::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "esl", &mut out);
    crate::render::print(&String::from_utf8_lossy(&out))
}
